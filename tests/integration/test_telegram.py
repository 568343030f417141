"""Telegram end to end at the wire level: python-telegram-bot against a fake Bot API on 127.0.0.1, by long
polling and through the webhook route of the running HTTP app; the CRM database checked after each step."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import ClientSession
from sqlalchemy import func, select

pytest.importorskip("telegram", reason="python-telegram-bot is not installed (pip install crmbot[telegram])")

from bot.bootstrap import App
from bot.channels.telegram import SECRET_HEADER, TelegramChannel, TelegramSettings
from bot.crm import linking, users
from bot.crm.models import Activity, ChannelIdentity, Contact, Reminder
from tests.conftest import NOW
from tests.support.chat_http import serving
from tests.support.factories import company, person, user
from tests.support.fake_telegram import FakeTelegram

SECRET = "s3cret-Token_1"
HOOK = "https://crm.example/telegram/webhook"
ANNA = 42  # a linked Telegram account
STRANGER = 77


@dataclass
class Env:
    app: App
    tg: FakeTelegram
    url: str
    channel: TelegramChannel

    async def reply(self, count: int) -> dict[str, Any]:
        """Wait until the bot has sent *count* messages; the last one's sendMessage parameters."""
        await self.tg.wait_for(lambda: len(self.tg.sent) >= count)
        return self.tg.sent[count - 1]

    def say(self, text: str, **kw: Any) -> None:
        self.tg.push(self.tg.text_update(text, **kw))


def seed(app: App) -> None:
    with app.uow() as uow:
        s = uow.session
        anna = user(s, "anna", name="Anna Berger", language="en", emails=["anna@ourco.example"])
        user(s, "bob", name="Bob Miller", language="de", emails=["bob@ourco.example"])
        s.add(ChannelIdentity(channel="telegram", external_id=str(ANNA), user_id=anna.id))
        acme = company(s, "ACME GmbH")
        soylent = company(s, "Soylent GmbH")
        company(s, "Schmidt & Partner <b>Beratung</b>")
        person(s, "Max", "Mustermann", acme)
        person(s, "Max", "Weber", soylent)
        uow.commit()


def count(app: App, model: type) -> int:
    with app.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def keyboard(sent: dict[str, Any]) -> list[tuple[str, str]]:
    markup = sent.get("reply_markup") or {}
    return [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row]


async def running(app: App, tg: FakeTelegram, *, webhook: bool = False) -> AsyncIterator[Env]:
    settings = TelegramSettings(
        token=tg.token,
        api_url=tg.base_url,
        webhook_url=HOOK if webhook else None,
        secret=SECRET,
        poll_timeout=1,
    )
    async with serving(
        app,
        lambda gateway: TelegramChannel(settings, gateway),
        lambda channel: {"telegram": channel.handle_webhook if webhook else None},
    ) as (channel, url, _):
        yield Env(app, tg, url, channel)


@pytest.fixture
async def env(sqlite_app: App) -> AsyncIterator[Env]:
    seed(sqlite_app)
    async with FakeTelegram() as tg:
        async for ready in running(sqlite_app, tg):
            yield ready


async def press(env: Env, sent_index: int, label: str, *, user_id: int = ANNA) -> None:
    """Tap a button of the bot's message number *sent_index* (1-based)."""
    await env.tg.wait_for(lambda: len(env.tg.sent) >= sent_index)
    message = [m for m in env.tg.messages.values() if m["chat"]["id"] == user_id][sent_index - 1]
    data = dict(keyboard(env.tg.sent[sent_index - 1]))[label]
    env.tg.push(
        env.tg.callback_update(data, message_id=message["message_id"], chat_id=user_id, user_id=user_id)
    )


async def test_log_a_call_then_undo_with_the_inline_button(env: Env) -> None:
    env.say("called Max Mustermann at ACME, discussed pricing")
    logged = await env.reply(1)
    assert logged["parse_mode"] == "HTML"
    assert logged["text"].startswith("Call logged: Max Mustermann, ACME GmbH")
    assert "<i>ACME GmbH · Mon 23 Nov" in logged["text"]
    assert [label for label, _ in keyboard(logged)] == ["Undo"]
    assert count(env.app, Activity) == 1
    await press(env, 1, "Undo")
    undone = await env.reply(2)
    assert undone["text"].startswith("Undone: ")
    assert count(env.app, Activity) == 0
    assert len(env.tg.answered) == 1  # the callback query was answered (the spinner stops)
    edit = env.tg.edits[-1]
    assert "✓ Max chose: Undo" in edit["text"]
    assert "reply_markup" not in edit  # the buttons are gone from the receipt


async def test_ambiguous_name_is_answered_with_a_keyboard_choice(env: Env) -> None:
    env.say("call with Max: prices for Q1")
    question = await env.reply(1)
    assert question["text"] == "Which Max?"
    assert [label for label, _ in keyboard(question)] == [
        "Max Mustermann (ACME GmbH)",
        "Max Weber (Soylent GmbH)",
    ]
    await press(env, 1, "Max Weber (Soylent GmbH)")
    done = await env.reply(2)
    assert done["text"].startswith("Call logged: Max Weber, Soylent GmbH")
    assert count(env.app, Activity) == 1


async def test_commands_last_history_and_help(env: Env) -> None:
    env.say("called Max Mustermann at ACME about the renewal")
    await env.reply(1)
    env.say("/last ACME")
    last = await env.reply(2)
    assert last["text"].startswith("<b>Last contact with ACME GmbH</b>")
    assert "call by Anna Berger with Max Mustermann" in last["text"]
    env.say("/history@crm_test_bot ACME")
    history = await env.reply(3)
    assert history["text"].startswith("<b>History of ACME GmbH</b>")
    env.say("/last")
    missing = await env.reply(4)
    assert missing["text"] == "Which company? For example: /last ACME"
    env.say("/help")
    helped = await env.reply(5)
    assert "last contact" in helped["text"]


async def test_start_with_a_link_code_links_the_account(env: Env) -> None:
    with env.app.uow() as uow:
        code = linking.issue(uow.session, users.require_login(uow.session, "bob"), NOW)
        uow.commit()
    env.say("Letzter Kontakt ACME", chat_id=STRANGER, user_id=STRANGER)
    refused = await env.reply(1)
    assert refused["text"].startswith("Sorry, I don't know you yet.")
    env.say(f"/start {code.replace('-', '')}", chat_id=STRANGER, user_id=STRANGER)
    linked = await env.reply(2)
    assert linked["text"].startswith("Verknüpft: Du bist jetzt Bob Miller im CRM.")
    env.say("Letzter Kontakt ACME", chat_id=STRANGER, user_id=STRANGER)
    answer = await env.reply(3)
    assert answer["text"] == "Mit ACME GmbH ist noch kein Kontakt erfasst."
    with env.app.uow() as uow:
        identity = uow.session.scalars(
            select(ChannelIdentity).where(ChannelIdentity.external_id == str(STRANGER))
        ).one()
        assert identity.user_id == users.require_login(uow.session, "bob").id
        # reminders and digests now come here instead of by email
        assert users.require_login(uow.session, "bob").preferred_channel == "telegram"


async def test_unknown_user_is_refused_and_nothing_is_written(env: Env) -> None:
    env.say("called Max Mustermann at ACME", chat_id=STRANGER, user_id=STRANGER)
    refused = await env.reply(1)
    assert "/start CODE" in refused["text"]
    assert "Verknüpfungscode" in refused["text"]
    assert count(env.app, Activity) == 0


async def test_markup_characters_are_escaped_in_html(env: Env) -> None:
    env.say("/last Schmidt & Partner")
    sent = await env.reply(1)
    assert sent["parse_mode"] == "HTML"
    assert sent["text"] == "No contact with Schmidt &amp; Partner &lt;b&gt;Beratung&lt;/b&gt; is logged yet."


async def test_in_groups_the_bot_answers_only_when_addressed(env: Env) -> None:
    group = -1001234
    env.say("called Max Mustermann at ACME", chat_id=group, user_id=ANNA, chat_type="supergroup")
    env.say("@crm_test_bot last contact ACME", chat_id=group, user_id=ANNA, chat_type="supergroup")
    answer = await env.reply(1)
    assert answer["chat_id"] == group
    assert answer["text"] == "No contact with ACME GmbH is logged yet."  # the unaddressed log was ignored
    assert "reply_parameters" in answer  # answers quote the message they answer in a group
    assert count(env.app, Activity) == 0


async def test_a_shared_contact_card_is_offered_not_created(env: Env) -> None:
    env.tg.push(env.tg.contact_update("+49 170 1234567", "Erika", "Musterfrau"))
    offer = await env.reply(1)
    assert offer["text"].startswith("Create a contact for Erika Musterfrau?")
    assert count(env.app, Contact) == 2
    await press(env, 1, "Create contact")
    created = await env.reply(2)
    assert "Erika Musterfrau" in created["text"]
    with env.app.uow() as uow:
        erika = uow.session.scalars(select(Contact).where(Contact.lastname == "Musterfrau")).one()
        assert erika.phone_mobile == "+49 170 1234567" or erika.phone == "+49 170 1234567"


async def test_webhook_needs_the_secret_token(sqlite_app: App) -> None:
    seed(sqlite_app)
    async with FakeTelegram() as tg:
        async for env in running(sqlite_app, tg, webhook=True):
            assert tg.webhook is not None
            assert tg.webhook["url"] == HOOK
            assert tg.webhook["secret_token"] == SECRET
            url = f"{env.url}/telegram/webhook"
            update = tg.text_update("called Max Mustermann at ACME")
            assert await tg.deliver(update, url, secret_token="wrong") == 403
            async with ClientSession() as http, http.post(url, json=update) as response:
                assert response.status == 403
            assert tg.sent == []
            assert count(sqlite_app, Activity) == 0
            assert await tg.deliver(update, url) == 200
            logged = await env.reply(1)
            assert logged["text"].startswith("Call logged: Max Mustermann, ACME GmbH")
            # Telegram redelivers an update it thinks failed: it is handled once
            assert await tg.deliver(update, url, secret_token=SECRET) == 200
            tg.push(tg.text_update("x"))  # not polled: webhook mode never calls getUpdates
            async with ClientSession() as http:
                headers = {SECRET_HEADER: SECRET}
                async with http.post(url, data=b"not json", headers=headers) as response:
                    assert response.status == 400
                async with http.get(f"{env.url}/metrics") as response:
                    metrics = await response.text()
            assert count(sqlite_app, Activity) == 1
            assert len(tg.sent) == 1
            assert not tg.called("getUpdates")
            assert 'crmbot_messages_total{channel="telegram",intent="log_call"} 1.0' in metrics


async def test_remind_and_undo_commands(env: Env) -> None:
    env.say("/remind tomorrow at 10 to send the offer")
    set_ = await env.reply(1)
    assert set_["text"].startswith("Reminder set: tomorrow 10:00 — send the offer")
    with env.app.uow(read_only=True) as uow:
        assert uow.session.scalars(select(Reminder)).one().message == "send the offer"
    env.say("/undo")
    undone = await env.reply(2)
    assert undone["text"].startswith("Undone: ")
    assert count(env.app, Reminder) == 0


async def test_a_flood_limit_is_waited_out_and_the_reply_still_arrives(env: Env) -> None:
    env.tg.rate_limit("sendMessage", times=1, retry_after=1)
    env.say("/last ACME")
    answer = await env.reply(1)
    assert answer["text"] == "No contact with ACME GmbH is logged yet."
    attempts = [name for name, _ in env.tg.calls if name == "sendMessage"]
    assert len(attempts) == 2  # the 429, then the retry after retry_after
