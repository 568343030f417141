"""Slack Block Kit and Telegram HTML rendering, Slack markup to text, Telegram commands, link codes."""

from __future__ import annotations

import json

import pytest

from bot.channels import slack_blocks
from bot.channels.chat import RecentIds, context_line
from bot.channels.telegram import MESSAGE_LIMIT, _file_url, _LongValues, command_text, render_html
from bot.crm.linking import code_in
from bot.messages import Choice, Reply

NASTY = "Schmidt & Partner <b>GmbH</b> <!channel>"


def test_slack_blocks_escape_markup_and_carry_buttons() -> None:
    reply = Reply(
        "Logged call",
        title=NASTY,
        lines=("first <line>", "second & last"),
        context="discussed <pricing>",
        choices=(Choice("Max Mustermann (ACME)", "pick:7:0"),),
        actions=(Choice("Undo", "undo:slack:D1:1.2"),),
        data={"thirdparty": {"id": 3, "name": "Tools & Co <x>"}},
    )
    blocks = slack_blocks.blocks(reply)
    dumped = json.dumps(blocks)
    assert "<b>" not in dumped
    assert "<!channel>" not in dumped
    assert blocks[0]["text"]["text"].startswith(
        "*Schmidt &amp; Partner &lt;b&gt;GmbH&lt;/b&gt; &lt;!channel&gt;*"
    )
    assert blocks[1]["text"]["text"] == "• first &lt;line&gt;\n• second &amp; last"
    context = blocks[2]["elements"][0]["text"]
    assert context == "Tools &amp; Co &lt;x&gt; · discussed &lt;pricing&gt;"
    actions = blocks[3]
    assert actions["type"] == "actions"
    assert [(e["action_id"], e["value"], e["text"]["text"]) for e in actions["elements"]] == [
        ("crm:0", "pick:7:0", "Max Mustermann (ACME)"),
        ("crm:1", "undo:slack:D1:1.2", "Undo"),
    ]


def test_slack_context_line_shows_the_date_in_the_readers_zone_and_language() -> None:
    reply = Reply(
        "x",
        data={"thirdparty": {"name": "ACME GmbH"}, "when": "2026-11-23T10:00:00+01:00"},
        lang="de",
        tz="Europe/Berlin",
    )
    assert context_line(reply) == "ACME GmbH · Mo 23.11., 10:00"


def test_slack_long_lists_are_split_into_sections_under_the_limit() -> None:
    reply = Reply("", lines=tuple(f"entry {i} " + "x" * 90 for i in range(100)))
    sections = [b for b in slack_blocks.blocks(reply) if b["type"] == "section"]
    assert len(sections) >= 4
    assert all(len(s["text"]["text"]) <= slack_blocks.SECTION_LIMIT for s in sections)
    joined = "\n".join(s["text"]["text"] for s in sections)
    assert joined.count("• entry") == 100


def test_pressed_message_loses_its_buttons_and_says_who_chose() -> None:
    original = slack_blocks.blocks(Reply("Which Max?", choices=(Choice("A", "pick:1:0"),)))
    changed = slack_blocks.without_actions(original, "<@U1> chose: A")
    assert [b["type"] for b in changed] == ["section", "context"]
    assert changed[-1]["elements"][0]["text"] == "<@U1> chose: A"


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("<@UBOT> last contact ACME", "last contact ACME"),
        (
            "call with <mailto:max@acme.example|max@acme.example> about &lt;pricing&gt;",
            "call with max@acme.example about <pricing>",
        ),
        (
            "see <https://acme.example/offer|the offer> and <https://acme.example>",
            "see the offer and https://acme.example",
        ),
        ("ask <@U2|bob> in <#C1|sales> &amp; <!here>", "ask @bob in #sales & @here"),
    ],
)
def test_slack_markup_becomes_what_the_user_typed(raw: str, plain: str) -> None:
    assert slack_blocks.plain_text(raw, "UBOT") == plain


def test_telegram_html_escapes_names_and_keeps_structure() -> None:
    reply = Reply("Logged: call", title=NASTY, lines=("a < b",), context="x & y")
    assert render_html(reply) == (
        "<b>Schmidt &amp; Partner &lt;b&gt;GmbH&lt;/b&gt; &lt;!channel&gt;</b>\n"
        "Logged: call\n• a &lt; b\n<i>x &amp; y</i>"
    )


def test_telegram_html_stays_under_the_message_limit() -> None:
    reply = Reply("History", lines=tuple("line " + "ü" * 200 for _ in range(60)), context="end")
    text = render_html(reply)
    assert len(text) <= MESSAGE_LIMIT
    assert text.endswith("…\n<i>end</i>")


@pytest.mark.parametrize(
    ("command", "args", "text"),
    [
        ("last", ["ACME"], "last contact ACME"),
        ("verlauf", ["Hooli", "GmbH"], "history Hooli GmbH"),
        ("remind", ["me", "Friday", "to", "call", "Max"], "remind me me Friday to call Max"),
        ("undo", [], "undo"),
        ("help", [], "help"),
        ("last", [], None),
        ("nonsense", ["x"], None),
    ],
)
def test_telegram_commands_become_words_the_engine_understands(
    command: str, args: list[str], text: str | None
) -> None:
    assert command_text(command, args) == text


def test_long_button_values_fit_telegrams_64_bytes() -> None:
    values = _LongValues(size=2)
    short = "pick:12:0"
    assert values.encode(short) == short
    long = "new contact Maximiliane Müller-Lüdenscheidt, +49 170 1234567 8901 2345"
    key = values.encode(long)
    assert len(key.encode()) <= 64
    assert values.decode(key) == long
    values.encode(long + "1")
    values.encode(long + "2")
    assert values.decode(key) is None  # evicted: the button then answers "expired"


def test_file_url_follows_the_api_url() -> None:
    assert _file_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert _file_url("http://127.0.0.1:8081/bot") == "http://127.0.0.1:8081/file/bot"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("link K7PMQ-2XW4D", "K7PMQ2XW4D"),
        ("  LINK k7pmq2xw4d ", "K7PMQ2XW4D"),
        ("/start K7PMQ2XW4D", "K7PMQ2XW4D"),
        ("/start@crm_test_bot K7PMQ-2XW4D", "K7PMQ2XW4D"),
        ("verknüpfen K7PMQ-2XW4D", "K7PMQ2XW4D"),
        ("link ACME", None),
        ("link the ACME deal to Max", None),
        ("K7PMQ-2XW4D", None),
    ],
)
def test_link_codes_are_found_only_in_link_messages(text: str, code: str | None) -> None:
    assert code_in(text) == code


def test_recent_ids_remember_a_bounded_number() -> None:
    seen = RecentIds(size=2)
    assert seen.add("a")
    assert seen.add("b")
    assert not seen.add("a")
    assert seen.add("c")  # evicts b (a was used last)
    assert seen.add("b")
