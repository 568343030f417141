"""Hardening (#7): limits with clear errors, names that look like SQL or markup shown as plain text on every
channel, and no secret in any log line.

Covered elsewhere and not repeated here:
- chat messages over 4,000 characters: ``test_engine.py::test_overlong_message_gets_a_clear_error``;
- SMTP: 552 over ``CRMBOT_SMTP_MAX_BYTES`` and never a relay (550 for foreign recipients):
  ``test_smtp_intake.py::test_too_big_is_552``, ``::test_never_a_relay_550_for_foreign_recipients``;
- the mail loop guard (#4): ``test_mail_routing.py::test_loop_guard_*``; machine mail (auto-replies,
  bounces) is skipped: ``::test_auto_replies_are_skipped_with_a_reason``;
- the log filter itself: ``tests/unit/test_redaction.py``;
- fuzzing: ``test_fuzz_chat.py`` (parser and engine), ``test_fuzz_import.py`` (CSV importer).
"""

from __future__ import annotations

import base64
import csv
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.bootstrap import App, build_app
from bot.channels.mailer import SmtpMailer
from bot.channels.slack import SlackChannel, SlackSettings
from bot.channels.smtp_inbound import SmtpServer, SmtpSettings
from bot.channels.telegram import TelegramChannel, TelegramSettings
from bot.cli import app as cli
from bot.config import ConfigError, load_settings
from bot.crm.audit import Actor
from bot.crm.imports import ImportLimitError, import_thirdparties
from bot.crm.mail import MailSettings
from bot.crm.models import ChannelIdentity, EmailMessage, ThirdParty
from bot.mailroom import mail_settings
from bot.messages import OutboundMail, RawMail
from bot.runner import RedactSecrets, configured_secrets
from tests.conftest import NOW
from tests.support.chat import Conversation
from tests.support.chat_http import serving
from tests.support.factories import company, person, user
from tests.support.fake_slack import FakeSlack, action_body, deliver, dm_event, event_body, payload_of
from tests.support.fake_telegram import FakeTelegram
from tests.support.mail import BOT, Room, mail
from tests.support.postgres import free_port

SQL = "Robert'); DROP TABLE thirdparties;--"
MARKUP = "<script>alert(1)</script> & *bold* _x_ <b>"
PINGS = "<!channel> <@U123> Tools & Co"


def slack_escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def names(app: App) -> set[str]:
    with app.uow(read_only=True) as uow:
        return set(uow.session.scalars(select(ThirdParty.name)))


# -- limits ------------------------------------------------------------------------------------------------


def test_limit_settings_must_be_positive_and_name_the_variable() -> None:
    with pytest.raises(ConfigError, match="CRMBOT_IMPORT_MAX_ROWS"):
        load_settings(import_max_rows=0)
    with pytest.raises(ConfigError, match="CRMBOT_SMTP_MAX_BYTES"):
        load_settings(smtp_max_bytes=-1)
    assert mail_settings(load_settings(smtp_max_bytes=1234)).max_bytes == 1234


def test_mail_over_the_size_limit_is_kept_but_rejected_as_too_large(sqlite_app: App) -> None:
    """What IMAP or `import eml` hands over past the limit is stored as received and never parsed."""
    with sqlite_app.uow() as uow:
        user(uow.session, "anna", emails=["anna@nordlicht.example"])
        uow.commit()
    room = Room(
        sqlite_app, MailSettings(bot_addresses=frozenset({BOT}), internal_domains=frozenset(), max_bytes=4000)
    )
    big = mail("anna@nordlicht.example", "max@acme.example", body="x" * 5000)
    outcome = room.deliver(big, via="imap")
    assert (outcome.status, outcome.reason) == ("rejected", f"too large: {len(big)} bytes, at most 4000")
    with sqlite_app.uow(read_only=True) as uow:
        row = uow.session.scalars(select(EmailMessage)).one()
    assert (row.status, row.routing_reason) == ("rejected", outcome.reason)
    assert sqlite_app.documents.read(row.raw_sha256) == big  # kept what was received
    small = room.deliver(mail("anna@nordlicht.example", "max@acme.example", body="short"), via="imap")
    assert small.status != "rejected"


@pytest.fixture
def run_cli(sqlite_url: str, tmp_path: Path) -> Any:
    runner = CliRunner()

    def run(*args: str, input: str | None = None, **env: str) -> Any:
        return runner.invoke(
            cli,
            ["--db", sqlite_url, "--data-dir", str(tmp_path / "data"), "--now", NOW.isoformat(), *args],
            input=input,
            env={"CRMBOT_SMTP_LISTEN": "off", "CRMBOT_HTTP_LISTEN": "off", **env},
        )

    return run


def test_import_eml_reports_a_mail_over_the_limit_as_rejected(run_cli: Any, tmp_path: Path) -> None:
    eml = tmp_path / "big.eml"
    eml.write_bytes(mail("anna@nordlicht.example", BOT, body="y" * 3000, message_id="<big@x>"))
    result = run_cli("import", "eml", str(eml), "--json", CRMBOT_SMTP_MAX_BYTES="2000")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.splitlines()[0])
    assert report["status"] == "rejected"
    assert report["reason"] == f"too large: {eml.stat().st_size} bytes, at most 2000"


def _thirdparty_csv(path: Path, rows: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["name", "town"])
        writer.writerows([name, "Berlin"] for name in rows)
    return path


def test_csv_import_over_the_row_or_size_limit_is_refused_before_anything_is_written(
    sqlite_app: App, tmp_path: Path
) -> None:
    path = _thirdparty_csv(tmp_path / "five.csv", [f"Firma {n}" for n in range(5)])
    uow = lambda: sqlite_app.uow(Actor(user_id=None, channel="import"))  # noqa: E731
    with pytest.raises(ImportLimitError, match=r"more than 4 rows \(line 6\)") as rows:
        import_thirdparties(uow, path, max_rows=4)
    assert rows.value.limit == "rows"
    with pytest.raises(ImportLimitError, match="too large") as size:
        import_thirdparties(uow, path, max_bytes=50)
    assert size.value.limit == "bytes"
    assert names(sqlite_app) == set()
    assert import_thirdparties(uow, path, max_rows=5, max_bytes=path.stat().st_size).created == 5


def test_cli_import_names_the_limit_it_hit(run_cli: Any, tmp_path: Path) -> None:
    path = _thirdparty_csv(tmp_path / "three.csv", ["A GmbH", "B GmbH", "C GmbH"])
    result = run_cli("import", "thirdparties", str(path), CRMBOT_IMPORT_MAX_ROWS="2")
    assert result.exit_code == 1
    assert "three.csv: the file has more than 2 rows (line 4)" in result.output
    assert "nothing was imported (the limit is CRMBOT_IMPORT_MAX_ROWS)" in result.output
    result = run_cli("import", "thirdparties", str(path), CRMBOT_IMPORT_MAX_BYTES="10")
    assert result.exit_code == 1
    assert "the limit is CRMBOT_IMPORT_MAX_BYTES" in result.output


def test_say_batch_stops_with_an_error_line_after_the_line_limit(run_cli: Any, sqlite_app: App) -> None:
    with sqlite_app.uow() as uow:
        user(uow.session, "anna")
        uow.commit()
    lines = "".join(json.dumps({"user": "anna", "text": "help"}) + "\n" for _ in range(3))
    result = run_cli("say", "--batch", "-", input=lines, CRMBOT_BATCH_MAX_LINES="2")
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [o.get("intent") for o in out[:2]] == ["help", "help"]
    assert out[2] == {
        "line": 3,
        "error": "more than 2 lines (CRMBOT_BATCH_MAX_LINES); the rest was not read",
    }


# -- names that look like SQL or markup ----------------------------------------------------------------------


def test_sql_and_markup_names_are_stored_and_shown_verbatim_in_chat(sqlite_app: App) -> None:
    with sqlite_app.uow() as uow:
        user(uow.session, "anna", language="en")
        uow.commit()
    chat = Conversation(sqlite_app, "anna")
    for name in (SQL, MARKUP, PINGS):
        created = chat.send(f"new company {name}")
        assert created.data["thirdparty"]["name"] == name
        assert created.plain() == f"Created prospect {name}."
    assert names(sqlite_app) == {SQL, MARKUP, PINGS}
    assert chat.say(f"last contact {SQL}") == f"No contact with {SQL} is logged yet."
    assert chat.say(f"last contact {MARKUP}") == f"No contact with {MARKUP} is logged yet."
    assert chat.send("show Robert").data["thirdparty"]["name"] == SQL
    assert chat.say("called Robert about pricing").startswith(f"Call logged: {SQL} · ")


def test_sql_and_markup_names_from_a_csv_import_read_back_verbatim(sqlite_app: App, tmp_path: Path) -> None:
    with sqlite_app.uow() as uow:
        user(uow.session, "anna", language="en")
        uow.commit()
    path = _thirdparty_csv(tmp_path / "nasty.csv", [SQL, MARKUP, PINGS, 'Quote "Q" GmbH; Semi, Comma'])
    report = import_thirdparties(lambda: sqlite_app.uow(Actor(user_id=None, channel="import")), path)
    assert (report.created, report.errors) == (4, [])
    assert names(sqlite_app) == {SQL, MARKUP, PINGS, 'Quote "Q" GmbH; Semi, Comma'}
    chat = Conversation(sqlite_app, "anna")
    assert chat.send(f"show {MARKUP}").data["thirdparty"]["name"] == MARKUP
    assert chat.say(f"last contact {SQL}") == f"No contact with {SQL} is logged yet."


# Slack at the wire level: what the bot posts is mrkdwn, so every name is escaped and cannot ping.

SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def seed_names(app: App, *, telegram_id: int | None = None) -> None:
    with app.uow() as uow:
        s = uow.session
        anna = user(s, "anna", name="Anna Berger", language="en", emails=["anna@ourco.example"])
        if telegram_id is not None:
            s.add(ChannelIdentity(channel="telegram", external_id=str(telegram_id), user_id=anna.id))
        company(s, SQL)
        tools = company(s, "<!channel> Tools & Co")
        company(s, "<@U123> Tools & Co")
        person(s, "Max", "<b>Mustermann</b>", tools)
        uow.commit()


def mrkdwn_texts(params: dict[str, Any]) -> list[str]:
    """Every string of a Web API call that Slack reads as mrkdwn: the top-level text and mrkdwn objects."""
    found = [params["text"]] if isinstance(params.get("text"), str) else []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(params.get("blocks"))
    return found


@asynccontextmanager
async def slack_running(app: App, slack: FakeSlack, token: str = "xoxb-test") -> AsyncIterator[str]:
    settings = SlackSettings(bot_token=token, signing_secret=SLACK_SECRET, api_url=slack.api_url)
    async with serving(
        app, lambda gateway: SlackChannel(settings, gateway), lambda channel: {"slack": channel.handle_http}
    ) as (_, url, _):
        yield f"{url}/slack/events"


async def test_slack_escapes_every_name_in_text_blocks_and_the_choice_note(sqlite_app: App) -> None:
    seed_names(sqlite_app)
    users = {"U1": {"email": "anna@ourco.example", "real_name": "Anna Berger"}}
    async with FakeSlack(users=users) as slack, slack_running(sqlite_app, slack) as events:

        def posts() -> list[dict[str, Any]]:
            return [
                {**c.params, "ts": c.response["ts"]}
                for c in slack.called("chat.postMessage")
                if c.response and c.response.get("ok")
            ]

        async def say(text: str, n: int) -> dict[str, Any]:
            # Slack sends what the user typed with & < > escaped, as here
            event = dm_event(slack_escaped(text), ts=f"1700000001.{n:06d}")
            await deliver(events, event_body(event, event_id=f"Ev{n}"), SLACK_SECRET)
            await slack.wait_for(lambda: len(posts()) >= n)
            return posts()[n - 1]

        created = await say(f"new company {MARKUP}", 1)
        assert created["text"] == f"Created prospect {slack_escaped(MARKUP)}."
        assert created["blocks"][0]["text"] == {
            "type": "mrkdwn",
            "text": f"Created prospect {slack_escaped(MARKUP)}.",
        }
        last = await say(f"last contact {SQL}", 2)
        assert last["text"] == f"No contact with {SQL} is logged yet."  # nothing to escape in SQL
        question = await say("last contact Tools", 3)
        assert question["text"] == (
            "Which one do you mean by “Tools”?\n"
            "1) &lt;@U123&gt; Tools &amp; Co\n"
            "2) &lt;!channel&gt; Tools &amp; Co"
        )
        labels = [
            e["text"] for b in question["blocks"] if b["type"] == "actions" for e in b["elements"]
        ]  # plain_text: Slack shows it as it is, no escaping needed and none done
        assert labels[:2] == [
            {"type": "plain_text", "text": "<@U123> Tools & Co", "emoji": False},
            {"type": "plain_text", "text": "<!channel> Tools & Co", "emoji": False},
        ]
        button = next(
            e for b in question["blocks"] if b["type"] == "actions" for e in b["elements"]
            if e["text"]["text"] == "<!channel> Tools & Co"
        )  # fmt: skip
        payload = payload_of(action_body(button["action_id"], button["value"], message_ts=question["ts"]))
        payload["actions"][0]["text"] = button["text"]
        payload["message"] = {"ts": question["ts"], "text": question["text"], "blocks": question["blocks"]}
        await deliver(events, urlencode({"payload": json.dumps(payload)}), SLACK_SECRET)
        await slack.wait_for(lambda: len(posts()) >= 4 and bool(slack.called("chat.update")))
        answer = posts()[3]
        assert answer["text"] == "No contact with &lt;!channel&gt; Tools &amp; Co is logged yet."
        (update,) = [c.params for c in slack.called("chat.update")]
        note = update["blocks"][-1]["elements"][0]["text"]
        assert note.endswith("chose: &lt;!channel&gt; Tools &amp; Co")
        calls = [c.params for c in slack.calls if c.method in ("chat.postMessage", "chat.update")]
        for text in (t for params in calls for t in mrkdwn_texts(params)):
            for raw in ("<!channel>", "<@U123>", "<script>", "<b>", "<!"):
                assert raw not in text, (raw, text)


# Telegram at the wire level: HTML parse mode, every name through html.escape.


@asynccontextmanager
async def telegram_running(app: App, tg: FakeTelegram) -> AsyncIterator[None]:
    settings = TelegramSettings(token=tg.token, api_url=tg.base_url, secret="s3cret-Token_1", poll_timeout=1)
    async with serving(app, lambda gateway: TelegramChannel(settings, gateway), lambda _: {"telegram": None}):
        yield


async def test_telegram_escapes_every_name_in_html_and_keeps_buttons_verbatim(sqlite_app: App) -> None:
    seed_names(sqlite_app, telegram_id=42)
    async with FakeTelegram() as tg, telegram_running(sqlite_app, tg):

        async def say(text: str) -> dict[str, Any]:
            count = len(tg.sent)
            tg.push(tg.text_update(text))
            await tg.wait_for(lambda: len(tg.sent) > count)
            return tg.sent[count]

        created = await say(f"new company {MARKUP}")
        assert created["parse_mode"] == "HTML"
        assert (
            created["text"]
            == "Created prospect &lt;script&gt;alert(1)&lt;/script&gt; &amp; *bold* _x_ &lt;b&gt;."
        )
        last = await say(f"/last {SQL}")
        assert last["text"] == f"No contact with {SQL} is logged yet."
        logged_call = await say("called Max about pricing")
        assert logged_call["text"].startswith(
            "Call logged: Max &lt;b&gt;Mustermann&lt;/b&gt;, &lt;!channel&gt; Tools &amp; Co · "
        )
        question = await say("last contact Tools")
        assert question["text"] == "Which one do you mean by “Tools”?"  # the choices are the buttons
        keyboard = [b for row in question["reply_markup"]["inline_keyboard"] for b in row]
        assert [b["text"] for b in keyboard[:2]] == ["<@U123> Tools & Co", "<!channel> Tools & Co"]  # plain
        message = tg.messages[(42, max(m for _, m in tg.messages))]
        tg.push(tg.callback_update(keyboard[1]["callback_data"], message_id=message["message_id"]))
        await tg.wait_for(lambda: len(tg.sent) >= 5 and bool(tg.edits))
        answer = tg.sent[4]["text"]
        assert answer.startswith("<b>Last contact with &lt;!channel&gt; Tools &amp; Co</b>\n")
        assert "call by Anna Berger with Max &lt;b&gt;Mustermann&lt;/b&gt;" in answer
        assert answer.count("<b>") == 1  # the title's own tag; the names' tags are text
        assert tg.edits[-1]["text"].endswith("<i>✓ Max chose: &lt;!channel&gt; Tools &amp; Co</i>")
        assert names(sqlite_app) >= {MARKUP, SQL}


# -- secrets never in logs ---------------------------------------------------------------------------------

SLACK_TOKEN = "xoxb-1111-2222-SlackBotTokenSecret"
SIGNING_SECRET = "slack-signing-secret-0123456789abcdef"
TELEGRAM_TOKEN = "987654:TelegramBotSecretToken_x"
SMTP_PASSWORD = "smtp-Pa55word-Secret"
DB_PASSWORD = "db-Pa55word-Secret"
BODY_MARKER = "Customer-Body-Marker-7781"
NOISY = (
    "httpx",
    "httpcore",
    "telegram",
    "slack_bolt",
    "slack_sdk",
    "aiohttp",
    "mail.log",
    "sqlalchemy",
    "asyncio",
)


def debug_everywhere(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in NOISY:  # the worst case: every library at DEBUG, whatever the CLI quietens
        caplog.set_level(logging.DEBUG, logger=name)


def logged(caplog: pytest.LogCaptureFixture) -> str:
    lines = [caplog.text]
    for record in caplog.records:
        lines.append(record.getMessage())
        lines.append(str(record.exc_info[1]) if record.exc_info else "")
    return "\n".join(lines)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_no_token_or_password_reaches_the_log(
    sqlite_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack, Telegram (its token is part of every URL), SMTP AUTH in and out, with every logger at DEBUG
    and the filter `crmbot run` puts on every log handler."""
    port = free_port()
    settings = load_settings(
        database_url=sqlite_url,
        data_dir=tmp_path / "data",
        now=NOW,
        slack_bot_token=SLACK_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        telegram_token=TELEGRAM_TOKEN,
        smtp_auth=f"relay:{SMTP_PASSWORD}",
        outbound_smtp_host="127.0.0.1",
        outbound_smtp_port=port,
        outbound_smtp_user="relay",
        outbound_smtp_password=SMTP_PASSWORD,
        mail_addresses=[BOT],
    )
    app = build_app(settings)
    try:
        seed_names(app, telegram_id=42)
        caplog.handler.addFilter(RedactSecrets(configured_secrets(app.settings)))
        debug_everywhere(caplog)

        users = {"U1": {"email": "anna@ourco.example", "real_name": "Anna Berger"}}
        async with FakeSlack(users=users) as slack:
            signing = settings.slack_signing_secret
            assert signing is not None
            slack_settings = SlackSettings(
                bot_token=SLACK_TOKEN, signing_secret=signing.get_secret_value(), api_url=slack.api_url
            )
            async with serving(
                app, lambda g: SlackChannel(slack_settings, g), lambda c: {"slack": c.handle_http}
            ) as (_, url, _):
                body = event_body(dm_event("last contact Tools"))
                assert (await deliver(f"{url}/slack/events", body, SIGNING_SECRET))[0] == 200
                assert (await deliver(f"{url}/slack/events", body, "wrong-secret-123"))[0] == 401
                await slack.wait_for(lambda: bool(slack.called("chat.postMessage")))
            assert {c.token for c in slack.calls} == {SLACK_TOKEN}  # the secret was in play

        async with FakeTelegram(token=TELEGRAM_TOKEN) as tg, telegram_running(app, tg):
            tg.push(tg.text_update("/last Tools"))
            await tg.wait_for(lambda: bool(tg.sent))

        received: list[RawMail] = []

        async def accept(raw: RawMail) -> None:
            received.append(raw)

        server = SmtpServer(
            SmtpSettings("127.0.0.1", port, frozenset({BOT}), credentials=settings.smtp_credentials), accept
        )
        await server.start()
        try:
            mailer = SmtpMailer("127.0.0.1", port, BOT, "plain", "relay", SMTP_PASSWORD, backoff=())
            assert SMTP_PASSWORD not in repr(mailer)
            await mailer.send(OutboundMail(to=(BOT,), subject="Offer", text=BODY_MARKER))
            wrong = SmtpMailer("127.0.0.1", port, BOT, "plain", "relay", "wrong-password-42", backoff=())
            with pytest.raises(Exception, match="could not send"):
                await wrong.send(OutboundMail(to=(BOT,), subject="Offer", text=BODY_MARKER))
        finally:
            await server.stop()
        (delivered,) = received
        assert BODY_MARKER.encode() in delivered.data
    finally:
        app.close()
    text = logged(caplog)
    assert "bot[redacted]/" in text  # httpx logged Telegram's URLs, and the filter took the token out
    plain_auth = base64.b64encode(f"\0relay\0{SMTP_PASSWORD}".encode()).decode()
    for secret in (
        SLACK_TOKEN,
        SIGNING_SECRET,
        TELEGRAM_TOKEN,
        SMTP_PASSWORD,
        plain_auth,
        "wrong-password-42",
    ):
        assert secret not in text, secret
    assert BODY_MARKER not in text  # mail bodies are customer data (STYLE rule 10)
    chatter = [r.getMessage() for r in caplog.records if r.name == "mail.log" and r.levelno < logging.WARNING]
    assert chatter == []  # nor aiosmtpd's line per SMTP command with the envelope addresses


def test_the_database_password_is_in_no_repr_error_or_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"postgresql://crm:{DB_PASSWORD}@127.0.0.1:{free_port()}/crm"
    settings = load_settings(database_url=url, data_dir=tmp_path)
    assert DB_PASSWORD not in repr(settings)
    slack_settings = repr(
        SlackSettings(bot_token=SLACK_TOKEN, signing_secret=SIGNING_SECRET, app_token="xapp-1-Secret")
    )
    for secret in (SLACK_TOKEN, SIGNING_SECRET, "xapp-1-Secret"):
        assert secret not in slack_settings
    assert TELEGRAM_TOKEN not in repr(TelegramSettings(token=TELEGRAM_TOKEN, secret=SIGNING_SECRET))
    # and should a driver quote the URL in a log line, `crmbot run`'s filter takes the password out
    redact = RedactSecrets(configured_secrets(settings))
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "connect to %s failed", (url,), None)
    assert redact.filter(record)
    assert DB_PASSWORD not in record.getMessage()
    debug_everywhere(caplog)
    names = ("", "httpx", "aioimaplib", "apscheduler")  # the CLI sets these levels: put them back after
    levels = {n: logging.getLogger(n).level for n in names}
    try:
        result = CliRunner().invoke(cli, ["--db", url, "-v", "say", "--as", "anna", "hello"])
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    assert result.exit_code == 1
    assert "the database is unavailable" in result.output
    assert DB_PASSWORD not in result.output
    assert DB_PASSWORD not in logged(caplog)


@pytest.mark.postgres
def test_working_on_postgresql_logs_no_database_password(
    postgres_cluster: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The test cluster trusts local connections, so a URL with a password connects."""
    from tests.conftest import _postgres_database

    url = _postgres_database(postgres_cluster).replace("postgres@", f"postgres:{DB_PASSWORD}@")
    debug_everywhere(caplog)
    app = build_app(load_settings(database_url=url, data_dir=tmp_path / "data", now=NOW))
    try:
        with app.uow() as uow:
            user(uow.session, "anna")
            uow.commit()
        assert Conversation(app, "anna").send(f"new company {SQL}").data["thirdparty"]["name"] == SQL
        with app.uow(read_only=True) as uow:
            assert uow.session.scalar(select(func.count()).select_from(ThirdParty)) == 1
    finally:
        app.close()
    assert "sqlalchemy" in {r.name.split(".")[0] for r in caplog.records}  # the engine did log at DEBUG
    assert DB_PASSWORD not in logged(caplog)
