"""Slack: direct messages, mentions (answered in the thread), ``/crm``, buttons, and the "Log to CRM" message
shortcut, through slack-bolt's AsyncApp.

Transport: HTTP (Events API, interactivity and slash commands all at ``/slack/events`` of the bot's HTTP app,
with request signatures checked by bolt: a bad signature or a timestamp older than five minutes is a 401),
or Socket Mode when an app-level token is configured (no public URL needed). Bolt acknowledges events
before the listener runs; commands, buttons and shortcuts call ``ack()`` first, so Slack always gets its
answer within three seconds and the work happens after.

Identity: the Slack user's profile email (``users.info``, needs the ``users:read.email`` scope) names the
CRM user; otherwise the user links the account once with ``link CODE``. Redeliveries (``X-Slack-Retry-Num``,
a replayed event id) are dropped here, and the engine's processed-messages table makes every message count
once even across processes. Rate limits (HTTP 429) are retried after Retry-After by slack-sdk's handler.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import Request
from starlette.responses import Response

from bot.channels import slack_blocks
from bot.channels.chat import ChatGateway, RecentIds
from bot.i18n import t
from bot.messages import InboundMessage, Reply, Sender

log = logging.getLogger(__name__)

CHANNEL = "slack"
SHORTCUT_ID = "log_to_crm"
MODAL_ID = "log_to_crm_modal"
PROFILE_TTL = 600.0  # seconds a users.info answer is trusted


@dataclass(frozen=True, slots=True)
class SlackSettings:
    bot_token: str = field(repr=False)  # secrets stay out of repr() and so out of any log
    signing_secret: str | None = field(default=None, repr=False)
    app_token: str | None = field(default=None, repr=False)  # xapp-…: Socket Mode
    api_url: str = "https://slack.com/api/"


@dataclass(frozen=True, slots=True)
class Profile:
    email: str | None
    name: str | None
    locale_de: bool
    fetched: float


class _DropRetries(AsyncMiddleware):
    """Acknowledge a retried or replayed event without handling it again."""

    def __init__(self, seen: RecentIds) -> None:
        self.seen = seen

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        event_id = req.body.get("event_id") if isinstance(req.body, dict) else None
        if event_id and not self.seen.add(str(event_id)):
            retry = (req.headers.get("x-slack-retry-num") or ["0"])[0]
            log.info("slack event %s delivered again (retry %s): acknowledged, not handled", event_id, retry)
            return await req.context.ack()
        return await next()


class SlackChannel:
    def __init__(self, settings: SlackSettings, gateway: ChatGateway) -> None:
        if not settings.signing_secret and not settings.app_token:
            raise ValueError(
                "Slack needs CRMBOT_SLACK_SIGNING_SECRET (HTTP events) or CRMBOT_SLACK_APP_TOKEN "
                "(Socket Mode)"
            )
        self.settings = settings
        self.gateway = gateway
        self.client = AsyncWebClient(
            token=settings.bot_token,
            base_url=settings.api_url,
            retry_handlers=[
                AsyncConnectionErrorRetryHandler(),
                AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            ],
        )
        self.app = AsyncApp(
            client=self.client,
            signing_secret=settings.signing_secret or "",
            process_before_response=False,
        )
        self.app.use(_DropRetries(RecentIds()))
        self._profiles: dict[str, Profile] = {}
        self._socket: Any = None
        self._http: Any = None
        self._register()

    # -- transport ---------------------------------------------------------------------------------

    @property
    def serves_http(self) -> bool:
        return bool(self.settings.signing_secret)

    async def handle_http(self, request: Request) -> Response:
        """``POST /slack/events``: bolt verifies the signature and dispatches."""
        if self._http is None:
            from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler

            self._http = AsyncSlackRequestHandler(self.app)
        response: Response = await self._http.handle(request)
        return response

    async def start(self) -> None:
        if self.settings.app_token:
            from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

            self._socket = AsyncSocketModeHandler(self.app, app_token=self.settings.app_token)
            await self._socket.connect_async()
            log.info("slack: connected in Socket Mode")
        else:
            log.info("slack: receiving events at /slack/events")

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None

    async def send(self, user_id: str, reply: Reply) -> str | None:
        """A message the bot starts (reminder, digest) as a DM; returns its ts."""
        result = await self.client.chat_postMessage(
            channel=user_id, text=slack_blocks.fallback(reply), blocks=slack_blocks.blocks(reply)
        )
        return str(result.get("ts")) if result.get("ok") else None

    # -- identity ----------------------------------------------------------------------------------

    async def profile(self, user_id: str) -> Profile:
        cached = self._profiles.get(user_id)
        if cached is not None and time.monotonic() - cached.fetched < PROFILE_TTL:
            return cached
        email = name = None
        locale_de = False
        try:
            info = await self.client.users_info(user=user_id, include_locale=True)
            user = info.get("user") or {}
            prof = user.get("profile") or {}
            email = prof.get("email") or None
            name = user.get("real_name") or prof.get("real_name") or user.get("name")
            locale_de = str(user.get("locale", "")).startswith("de")
        except SlackApiError as exc:
            log.warning("slack users.info for %s failed: %s", user_id, exc.response.get("error"))
        profile = Profile(email, name, locale_de, time.monotonic())
        self._profiles[user_id] = profile
        return profile

    async def _message(
        self,
        *,
        user_id: str,
        message_id: str,
        text: str,
        conversation: str,
        choice: str | None = None,
        intent: str | None = None,
        target: str | None = None,
        raw: Any = None,
    ) -> InboundMessage:
        prof = await self.profile(user_id)
        return InboundMessage(
            channel=CHANNEL,
            message_id=message_id,
            sender=Sender(CHANNEL, user_id, prof.name, prof.email),
            text=text,
            received_at=self.gateway.now(),
            conversation_id=conversation,
            choice=choice,
            intent=intent,
            target=target,
            raw=raw,
        )

    # -- listeners ---------------------------------------------------------------------------------

    def _register(self) -> None:
        app = self.app
        app.event("message")(self._on_direct_message)
        app.event("app_mention")(self._on_mention)
        app.command("/crm")(self._on_command)
        app.action({"type": "block_actions", "action_id": _ACTION_ID})(self._on_button)
        app.action({"type": "block_actions", "action_id": _ITEM_ACTION_ID})(self._on_item_button)
        app.shortcut(SHORTCUT_ID)(self._on_shortcut)
        app.view(MODAL_ID)(self._on_modal)

    async def _on_direct_message(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        if event.get("channel_type") != "im" or event.get("subtype"):
            return  # channel messages (only mentions are for the bot), edits, joins
        await self._on_event(event, context, thread=event.get("thread_ts"))

    async def _on_mention(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        await self._on_event(event, context, thread=event.get("thread_ts") or event["ts"])

    async def _on_event(
        self, event: dict[str, Any], context: AsyncBoltContext, *, thread: str | None
    ) -> None:
        """A DM (answered where it was written) or a mention (answered in its thread)."""
        if event.get("bot_id") or "user" not in event:
            return
        channel = event["channel"]
        await self._answer(
            user_id=event["user"],
            message_id=f"{channel}:{event['ts']}",
            text=slack_blocks.plain_text(event.get("text", ""), context.bot_user_id),
            channel=channel,
            thread=thread,
            conversation=_conversation(channel, thread),
            raw=event,
        )

    async def _answer(self, *, channel: str, thread: str | None, **message: Any) -> None:
        msg = await self._message(**message)
        reply = await self.gateway.handle(msg)
        if reply.silent:
            return
        await self._post(channel, reply, thread=thread)

    async def _post(self, channel: str, reply: Reply, *, thread: str | None = None) -> None:
        try:
            await self.client.chat_postMessage(
                channel=channel,
                text=slack_blocks.fallback(reply),
                blocks=slack_blocks.blocks(reply),
                thread_ts=thread,
            )
        except SlackApiError as exc:
            self.gateway.metrics.failed(CHANNEL, "send")
            log.error("slack chat.postMessage to %s failed: %s", channel, exc.response.get("error"))

    async def _on_command(
        self, ack: Callable[..., Awaitable[None]], command: dict[str, Any], respond: Any
    ) -> None:
        await ack()
        channel = command.get("channel_id", "")
        msg = await self._message(
            user_id=command["user_id"],
            message_id=f"command:{command.get('trigger_id') or command.get('response_url')}",
            text=command.get("text", ""),
            conversation=_conversation(channel, None),
            raw=command,
        )
        reply = await self.gateway.handle(msg)
        if not reply.silent:
            await respond(
                text=slack_blocks.fallback(reply),
                blocks=slack_blocks.blocks(reply),
                response_type="ephemeral",
            )

    async def _on_button(
        self, ack: Callable[..., Awaitable[None]], body: dict[str, Any], respond: Any
    ) -> None:
        await ack()
        action = body["actions"][0]
        user_id = body["user"]["id"]
        label = (action.get("text") or {}).get("text") or ""
        container = body.get("container") or {}
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id", "")
        thread = message.get("thread_ts")
        msg = await self._message(
            user_id=user_id,
            message_id=f"action:{action.get('action_ts') or body.get('trigger_id')}:{user_id}",
            text=label,
            choice=action.get("value"),
            conversation=_conversation(channel, thread),
            raw=body,
        )
        reply = await self.gateway.handle(msg)
        if reply.silent:
            return
        note = t(reply.lang, "chat.choice_made", who=f"<@{user_id}>", label=slack_blocks.escape(label))
        if container.get("is_ephemeral") or not message:
            await respond(
                text=slack_blocks.fallback(reply),
                blocks=slack_blocks.blocks(reply, note=note),
                replace_original=True,
                response_type="ephemeral",
            )
            return
        try:
            await self.client.chat_update(
                channel=channel,
                ts=message["ts"],
                text=message.get("text") or slack_blocks.escape(label),
                blocks=slack_blocks.without_actions(message.get("blocks") or [], note),
            )
        except SlackApiError as exc:
            log.warning("slack chat.update failed: %s", exc.response.get("error"))
        await self._post(channel, reply, thread=thread)

    async def _on_item_button(self, ack: Callable[..., Awaitable[None]], body: dict[str, Any]) -> None:
        """A button or overflow choice on one item of a digest: the digest stays as it is (the other items
        are still to do); the answer comes as a new message."""
        await ack()
        action = body["actions"][0]
        option = action.get("selected_option") or {}
        value = option.get("value") or action.get("value")
        label = ((option or action).get("text") or {}).get("text") or ""
        user_id = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", "")
        thread = (body.get("message") or {}).get("thread_ts")
        msg = await self._message(
            user_id=user_id,
            message_id=f"action:{action.get('action_ts') or body.get('trigger_id')}:{user_id}",
            text=label,
            choice=value,
            conversation=_conversation(channel, thread),
            raw=body,
        )
        reply = await self.gateway.handle(msg)
        if not reply.silent:
            await self._post(channel, reply, thread=thread)

    async def _on_shortcut(
        self, ack: Callable[..., Awaitable[None]], shortcut: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """ "Log to CRM" on any message: file it as a note; when it names nobody, ask in a modal."""
        await ack()
        user_id = shortcut["user"]["id"]
        message = shortcut.get("message") or {}
        channel = (shortcut.get("channel") or {}).get("id", "")
        text = slack_blocks.plain_text(message.get("text", ""))
        msg = await self._message(
            user_id=user_id,
            message_id=f"shortcut:{channel}:{message.get('ts')}:{user_id}:{shortcut.get('action_ts', '')}",
            text=text,
            intent="log_note",
            conversation=_conversation(user_id, None),
            raw=shortcut,
        )
        reply = await self.gateway.handle(msg)
        if reply.silent:
            return
        if reply.data.get("refused") == "who" and shortcut.get("trigger_id"):
            lang = reply.lang or ("de" if (await self.profile(user_id)).locale_de else "en")
            metadata = json.dumps({"channel": channel, "ts": message.get("ts")})
            view = slack_blocks.log_modal(
                _modal_texts(lang), note=text, metadata=metadata, callback_id=MODAL_ID
            )
            try:
                await client.views_open(trigger_id=shortcut["trigger_id"], view=view)
                return
            except SlackApiError as exc:
                log.warning("slack views.open failed: %s", exc.response.get("error"))
        await self._post(user_id, reply)

    async def _on_modal(
        self, ack: Callable[..., Awaitable[None]], body: dict[str, Any], view: dict[str, Any]
    ) -> None:
        await ack()
        user_id = body["user"]["id"]
        values = view.get("state", {}).get("values", {})
        target = ((values.get("thirdparty") or {}).get("value") or {}).get("value") or ""
        note = ((values.get("note") or {}).get("value") or {}).get("value") or ""
        msg = await self._message(
            user_id=user_id,
            message_id=f"modal:{view.get('id')}:{view.get('hash', '')}",
            text=note,
            intent="log_note",
            target=target.strip() or None,
            conversation=_conversation(user_id, None),
            raw=body,
        )
        reply = await self.gateway.handle(msg)
        if not reply.silent:
            await self._post(user_id, reply)


_ACTION_ID = re.compile(rf"^{slack_blocks.ACTION_PREFIX}\d+$")
_ITEM_ACTION_ID = re.compile(rf"^{slack_blocks.ITEM_ACTION_PREFIX}\d+$")


def _conversation(channel: str, thread: str | None) -> str:
    """Where a question waits for its answer: the DM or channel, or the thread."""
    return f"{CHANNEL}:{channel}:{thread}" if thread else f"{CHANNEL}:{channel}"


def _modal_texts(lang: str) -> dict[str, str]:
    keys = ("title", "submit", "cancel", "thirdparty", "note", "which")
    texts = {key: t(lang, f"slack.log_{key}") for key in keys}
    texts["hint"] = t(lang, "slack.log_thirdparty_hint")
    return texts
