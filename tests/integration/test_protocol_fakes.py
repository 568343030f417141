"""The Slack and Telegram fakes speak the real wire formats: the real SDKs talk to them unchanged."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

pytest.importorskip("aiohttp", reason="aiohttp is not installed (it comes with crmbot[slack])")

from tests.support import fake_slack
from tests.support.fake_slack import FakeSlack
from tests.support.fake_telegram import FakeTelegram

SECRET = "signing-secret"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    pytest.importorskip("slack_sdk", reason="slack_sdk is not installed (pip install crmbot[slack])")
    async with FakeSlack(users={"U1": {"email": "max@nordlicht.example", "real_name": "Max Muster"}}) as fake:
        yield fake


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    pytest.importorskip(
        "telegram", reason="python-telegram-bot is not installed (pip install crmbot[telegram])"
    )
    async with FakeTelegram() as fake:
        yield fake


def _bolt() -> Any:
    return pytest.importorskip("slack_bolt", reason="slack_bolt is not installed (pip install crmbot[slack])")


# -- Slack -------------------------------------------------------------------------------------------------


async def test_slack_web_client(slack: FakeSlack) -> None:
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient

    client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
    auth = await client.auth_test()
    assert (auth["user_id"], auth["team_id"], auth["bot_id"]) == ("UBOT", "T1", "B1")

    user = (await client.users_info(user="U1"))["user"]
    assert user["profile"]["email"] == "max@nordlicht.example"
    assert user["real_name"] == "Max Muster"
    assert user["is_bot"] is False
    with pytest.raises(SlackApiError) as missing:
        await client.users_info(user="U404")
    assert missing.value.response["error"] == "user_not_found"

    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*ACME*"}}]
    first = await client.chat_postMessage(channel="D1", text="hello", blocks=blocks)
    second = await client.chat_postMessage(channel="D1", text="again", thread_ts=first["ts"])
    assert first["ts"] == "1700000000.000100"
    assert float(second["ts"]) > float(first["ts"])
    assert second["message"]["thread_ts"] == first["ts"]
    posted = slack.called("chat.postMessage")[0]
    assert posted.token == "xoxb-test"
    assert posted.params["blocks"] == blocks

    # Form-encoded methods: JSON values (blocks) decoded; unknown methods fail the way Slack does.
    await client.api_call(
        "chat.update", data={"channel": "D1", "ts": first["ts"], "blocks": json.dumps(blocks)}
    )
    assert slack.called("chat.update")[0].params["blocks"] == blocks
    assert (await client.conversations_open(users="U1"))["channel"]["id"] == "DU1"
    with pytest.raises(SlackApiError) as unknown:
        await client.api_call("pins.add", json={"channel": "C1"})
    assert unknown.value.response["error"] == "unknown_method"


async def test_slack_rate_limit_is_retried(slack: FakeSlack) -> None:
    from slack_sdk.errors import SlackApiError
    from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
    from slack_sdk.web.async_client import AsyncWebClient

    plain = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
    slack.rate_limit("chat.postMessage", retry_after=0)
    with pytest.raises(SlackApiError) as limited:
        await plain.chat_postMessage(channel="C1", text="no retry handler")
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "0"

    client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    slack.rate_limit("chat.postMessage", times=1, retry_after=0)  # the handler sleeps Retry-After + random()
    response = await client.chat_postMessage(channel="C1", text="retried")
    assert response["ok"]
    assert [call.limited for call in slack.called("chat.postMessage")] == [True, True, False]


async def test_slack_socket_mode(slack: FakeSlack) -> None:
    _bolt()
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    app = AsyncApp(client=AsyncWebClient(token="xoxb-test", base_url=slack.api_url))

    @app.event("message")
    async def on_dm(event: dict[str, Any], say: Any) -> None:
        await say(f"noted: {event['text']}")

    @app.command("/crm")
    async def on_command(ack: Any, command: dict[str, Any]) -> None:
        await ack(f"looking up {command['text']}")

    handler = AsyncSocketModeHandler(app, app_token="xapp-1-test")
    await handler.connect_async()
    try:
        event = fake_slack.event_body(fake_slack.dm_event("Meeting with ACME"))
        envelope = await slack.push_envelope("events_api", fake_slack.payload_of(event))
        assert await slack.wait_ack(envelope) == {"envelope_id": envelope}
        await slack.wait_for(lambda: bool(slack.called("chat.postMessage")))
        posted = slack.called("chat.postMessage")[0]
        # say() also passes the team id of the workspace the event came from
        assert posted.params == {"channel": "D1", "text": "noted: Meeting with ACME", "team_id": "T1"}

        body = fake_slack.command_body("ACME", response_url=slack.response_url())
        envelope = await slack.push_envelope(
            "slash_commands", fake_slack.payload_of(body), accepts_response_payload=True
        )
        assert (await slack.wait_ack(envelope))["payload"] == {"text": "looking up ACME"}
    finally:
        await handler.close_async()
    assert slack.called("apps.connections.open")[0].token == "xapp-1-test"
    assert slack.called("auth.test")  # AsyncApp(token) authorizes lazily with auth.test


async def test_slack_http_bodies_and_signatures(slack: FakeSlack) -> None:
    _bolt()
    from slack_bolt.async_app import AsyncApp
    from slack_bolt.request.async_request import AsyncBoltRequest
    from slack_sdk.web.async_client import AsyncWebClient

    app = AsyncApp(signing_secret=SECRET, client=AsyncWebClient(token="xoxb-test", base_url=slack.api_url))
    seen: list[tuple[str, Any]] = []

    @app.command("/crm")
    async def on_command(ack: Any, command: dict[str, Any], respond: Any) -> None:
        await ack()
        await respond(f"found {command['text']}")

    @app.action("approve")
    async def on_action(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        seen.append(("action", body["actions"][0]["value"]))

    @app.shortcut("log_message")
    async def on_shortcut(ack: Any, shortcut: dict[str, Any]) -> None:
        await ack()
        seen.append(("shortcut", shortcut["message"]["text"]))

    @app.view("new_deal")
    async def on_view(ack: Any, view: dict[str, Any]) -> None:
        await ack()
        seen.append(("view", (view["private_metadata"], view["state"]["values"]["name"]["input"]["value"])))

    async def dispatch(body: str, headers: dict[str, str] | None = None) -> int:
        headers = headers if headers is not None else fake_slack.sign(SECRET, body)
        headers = {**headers, "Content-Type": fake_slack.content_type(body)}
        response = await app.async_dispatch(
            AsyncBoltRequest(body=body, headers={k: [v] for k, v in headers.items()})
        )
        return response.status

    assert await dispatch(fake_slack.command_body("ACME", response_url=slack.response_url("cmd"))) == 200
    assert await dispatch(fake_slack.action_body("approve", "D-42")) == 200
    assert await dispatch(fake_slack.shortcut_body("log_message", "Call ACME back")) == 200
    assert (
        await dispatch(fake_slack.view_submission_body("new_deal", "deal:7", {"name": {"input": "ACME"}}))
        == 200
    )
    event = fake_slack.event_body(fake_slack.mention_event("hi"))
    assert await dispatch(event, fake_slack.sign("wrong", event)) == 401
    assert await dispatch(event, fake_slack.sign(SECRET, event, timestamp=1_000_000_000)) == 401

    await slack.wait_for(lambda: bool(slack.responses) and len(seen) == 3)
    assert slack.responses == [("cmd", {"text": "found ACME"})]
    assert seen == [("action", "D-42"), ("shortcut", "Call ACME back"), ("view", ("deal:7", "ACME"))]


# -- Telegram ----------------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:.*attribute `retry_after`:DeprecationWarning")  # raised inside PTB 22
async def test_telegram_bot_calls(tg: FakeTelegram) -> None:
    from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
    from telegram.error import BadRequest, InvalidToken, RetryAfter

    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Approve", callback_data="approve:7")]])
    async with Bot(tg.token, base_url=tg.base_url) as bot:
        assert bot.username == "crm_test_bot"  # getMe from initialize
        message = await bot.send_message(42, "Deal 7?", reply_markup=keyboard)
        assert message.reply_markup == keyboard
        assert message.chat.type == "private"
        buttons = [[{"text": "Approve", "callback_data": "approve:7"}]]
        assert tg.sent == [{"chat_id": 42, "text": "Deal 7?", "reply_markup": {"inline_keyboard": buttons}}]

        edited = await bot.edit_message_text("Deal 7 approved", chat_id=42, message_id=message.message_id)
        assert isinstance(edited, type(message))
        assert edited.text == "Deal 7 approved"
        assert edited.reply_markup is None
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await bot.edit_message_text("Deal 7 approved", chat_id=42, message_id=message.message_id)

        tg.rate_limit("sendMessage", retry_after=3)
        with pytest.raises(RetryAfter, match="Retry in 3"):  # .retry_after is deprecated-int in PTB 22
            await bot.send_message(42, "too fast")
        assert len(tg.sent) == 1

    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=tg.base_url):
            pass


async def test_telegram_polling_application(tg: FakeTelegram) -> None:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(f"Hi {update.effective_user.first_name}")  # type: ignore[union-attr]

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer("ok")

    app = (
        ApplicationBuilder()
        .token(tg.token)
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        .get_updates_read_timeout(5)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        await app.start()
        try:
            tg.push(tg.text_update("/start@crm_test_bot"))
            await tg.wait_for(lambda: bool(tg.sent))
            reply = tg.last_message(42)
            tg.push(tg.callback_update("approve:7", message_id=reply["message_id"]))
            await tg.wait_for(lambda: bool(tg.answered))
        finally:
            await app.updater.stop()
            await app.stop()
    assert tg.sent[0]["text"] == "Hi Max"
    assert tg.answered[0]["text"] == "ok"
    assert tg.called("deleteWebhook")
    assert tg.updates == []  # the final getUpdates confirmed both updates


def test_telegram_update_builders() -> None:
    tg = FakeTelegram()
    update = tg.text_update(
        "/note@crm_test_bot call 🐻 @crm_test_bot", chat_id=-100123, chat_type="supergroup"
    )
    message = update["message"]
    assert message["chat"] == {"id": -100123, "type": "supergroup", "title": "Test group"}
    assert message["entities"] == [
        {"type": "bot_command", "offset": 0, "length": 18},
        {"type": "mention", "offset": 27, "length": 13},  # the bear counts as two UTF-16 units
    ]
    contact = tg.contact_update("+49 170 1234567", "Erika", "Muster")["message"]["contact"]
    assert contact == {
        "phone_number": "+49 170 1234567",
        "first_name": "Erika",
        "last_name": "Muster",
        "user_id": 42,
    }
    assert tg.contact_update("+1", "A")["update_id"] == update["update_id"] + 2
