"""An in-process fake of Slack's Web API, response URLs and Socket Mode, speaking the real wire formats.

``FakeSlack`` is an aiohttp app on a free 127.0.0.1 port (offline-test-recipes.md §4). Point
``AsyncWebClient(base_url=slack.api_url)`` at it; ``apps.connections.open`` hands out its own WebSocket URL,
so ``AsyncSocketModeHandler`` connects here too. Every Web API call is recorded in ``calls`` (rate-limited
ones with ``limited=True``), ``respond()`` POSTs to ``response_url(...)`` land in ``responses``, and what a
Socket Mode client sends back lands in ``acks``.

The module-level builders make the request bodies Slack sends to an app (events, slash commands, block
actions, message shortcuts, view submissions); ``sign`` adds the v0 signature headers for HTTP mode, and
``payload_of`` turns a body into the ``payload`` of a Socket Mode envelope.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import ClientSession, WSMsgType, web

TEAM_ID = "T1"
APP_ID = "A1"
BOT_USER_ID = "UBOT"
BOT_ID = "B1"
# The default response_url of the builders: a closed local port, so a forgotten response_url fails fast.
UNSET_RESPONSE_URL = "http://127.0.0.1:9/response/unset"

Handler = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class SlackCall:
    method: str
    params: dict[str, Any]
    token: str | None
    limited: bool = False
    response: dict[str, Any] | None = None  # what the fake answered (e.g. the ts of a posted message)


def _decode(value: Any) -> Any:
    """A form value that is a JSON list or object (``blocks``, ``view``) decoded; anything else unchanged."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        if isinstance(decoded, list | dict):
            return decoded
    return value


async def _request_params(request: web.Request) -> dict[str, Any]:
    """Query string plus a JSON or form body, as one dict."""
    params: dict[str, Any] = {key: _decode(value) for key, value in request.query.items()}
    if not request.can_read_body:
        return params
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
    else:
        form = await request.post()
        params.update({key: _decode(value) for key, value in form.items() if isinstance(value, str)})
    return params


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[len("Bearer ") :] if header.startswith("Bearer ") else None


class FakeSlack:
    """Slack's Web API at ``api_url``, response URLs and a Socket Mode WebSocket, on 127.0.0.1."""

    def __init__(self, users: dict[str, dict[str, Any]] | None = None) -> None:
        self.users: dict[str, dict[str, Any]] = dict(users or {})
        self.calls: list[SlackCall] = []
        self.responses: list[tuple[str, dict[str, Any]]] = []
        self.acks: list[dict[str, Any]] = []
        self.port = 0
        self._handlers: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "users.info": self._users_info,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "conversations.open": self._conversations_open,
            "views.open": self._views_open,
            "apps.connections.open": self._apps_connections_open,
        }
        self._limits: dict[str, list[int]] = {}  # method -> [calls still limited, retry_after]
        self._ts = itertools.count(100, 100)
        self._envelopes = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self._runner: web.AppRunner | None = None
        self.app = web.Application()
        self.app.router.add_route("*", "/api/{method}", self._api)
        self.app.router.add_post("/response/{name}", self._response)
        self.app.router.add_get("/ws", self._socket)

    # -- lifecycle ---------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Close open sockets first: the runner would otherwise wait for their handlers."""
        for ws in list(self._sockets):
            await ws.close()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> FakeSlack:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- configuration and inspection --------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"http://127.0.0.1:{self.port}/response/{name}"

    def called(self, method: str) -> list[SlackCall]:
        return [call for call in self.calls if call.method == method]

    def on(self, method: str, handler: Handler) -> None:
        """Serve *method* with ``handler(params) -> response body`` (added or replacing a built-in one)."""
        self._handlers[method] = handler

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next *times* calls of *method* answer HTTP 429 with ``Retry-After: retry_after``."""
        self._limits[method] = [times, retry_after]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            if loop.time() >= deadline:
                methods = [call.method + (" (429)" if call.limited else "") for call in self.calls]
                raise AssertionError(
                    f"condition not met within {timeout} s; Slack calls: {methods}, "
                    f"responses: {len(self.responses)}, acks: {self.acks}"
                )
            await asyncio.sleep(0.01)

    # -- Socket Mode -------------------------------------------------------------------------------------

    async def push_envelope(
        self, kind: str, payload: dict[str, Any], *, accepts_response_payload: bool = False
    ) -> str:
        """Send an ``events_api``, ``slash_commands`` or ``interactive`` envelope to the connected client."""
        await self.wait_for(lambda: bool(self._sockets), timeout=5.0)
        envelope_id = f"env-{next(self._envelopes)}"
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": kind,
            "accepts_response_payload": accepts_response_payload,
            "payload": payload,
        }
        if kind == "events_api":
            envelope.update(retry_attempt=0, retry_reason="")
        await self._sockets[-1].send_json(envelope)
        return envelope_id

    async def wait_ack(self, envelope_id: str, timeout: float = 5) -> dict[str, Any]:
        """The client's acknowledgement of *envelope_id* (with ``payload`` if it answered with one)."""
        await self.wait_for(lambda: any(ack.get("envelope_id") == envelope_id for ack in self.acks), timeout)
        return next(ack for ack in self.acks if ack.get("envelope_id") == envelope_id)

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()  # autoping answers the SDK's "sdk-ping-pong:<t>" pings
        await ws.prepare(request)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self._sockets) + 1,
                "debug_info": {"host": "fake-slack", "build_number": 1, "approximate_connection_time": 3600},
                "connection_info": {"app_id": APP_ID},
            }
        )
        self._sockets.append(ws)
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    try:
                        self.acks.append(json.loads(message.data))
                    except ValueError:
                        self.acks.append({"raw": message.data})
        finally:
            self._sockets.remove(ws)
        return ws

    # -- HTTP handlers -----------------------------------------------------------------------------------

    async def _response(self, request: web.Request) -> web.Response:
        body = await request.text()
        try:
            data = json.loads(body)
        except ValueError:
            data = {"raw": body}
        self.responses.append((request.match_info["name"], data))
        return web.json_response({"ok": True})

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _request_params(request)
        token = _bearer(request) or params.pop("token", None)
        call = SlackCall(method, params, token)
        self.calls.append(call)
        limit = self._limits.get(method)
        if limit and limit[0] > 0:
            limit[0] -= 1
            call.limited = True
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(limit[1])}
            )
        if token is None:
            return web.json_response({"ok": False, "error": "not_authed"})
        if (method == "apps.connections.open") != token.startswith("xapp-"):
            return web.json_response({"ok": False, "error": "not_allowed_token_type"})
        handler = self._handlers.get(method)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        call.response = handler(params)
        return web.json_response(call.response)

    # -- the built-in methods ----------------------------------------------------------------------------

    def _next_ts(self) -> str:
        n = next(self._ts)
        return f"{1700000000 + n // 1_000_000}.{n % 1_000_000:06d}"

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://test.slack.com/",
            "team": "Test",
            "team_id": TEAM_ID,
            "user": "crmbot",
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = params.get("user")
        if user_id not in self.users:
            return {"ok": False, "error": "user_not_found"}
        info = self.users[user_id]
        email = info.get("email")
        real_name = info.get("real_name") or ""
        name = email.split("@")[0] if email else (real_name.lower().replace(" ", ".") or user_id.lower())
        return {
            "ok": True,
            "user": {
                "id": user_id,
                "team_id": TEAM_ID,
                "name": name,
                "real_name": real_name,
                "tz": info.get("tz", "Europe/Berlin"),
                "is_bot": False,
                "deleted": False,
                "profile": {
                    "email": email,
                    "real_name": real_name,
                    "display_name": info.get("display_name", name),
                },
            },
        }

    def _message(self, params: dict[str, Any], ts: str) -> dict[str, Any]:
        message = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "text": params.get("text", ""),
            "ts": ts,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if key in params:
                message[key] = params[key]
        return message

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not any(params.get(key) for key in ("text", "blocks", "attachments")):
            return {"ok": False, "error": "no_text"}
        ts = self._next_ts()
        return {"ok": True, "channel": params["channel"], "ts": ts, "message": self._message(params, ts)}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("ts"):
            return {"ok": False, "error": "message_not_found"}
        ts = params["ts"]
        return {
            "ok": True,
            "channel": params["channel"],
            "ts": ts,
            "text": params.get("text", ""),
            "message": self._message(params, ts),
        }

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        users = params.get("users")
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        if isinstance(users, list):
            users = ",".join(users)
        return {"ok": True, "channel": {"id": "D" + users.split(",")[0].strip()}}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        view = params.get("view")
        if not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        return {
            "ok": True,
            "view": {
                "id": "V1",
                "team_id": TEAM_ID,
                "app_id": APP_ID,
                "bot_id": BOT_ID,
                "hash": "1700000000.abcdef",
                "state": {"values": {}},
                "private_metadata": "",
                "callback_id": "",
                **view,
            },
        }

    def _apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/ws"}


# -- what Slack sends to the app ---------------------------------------------------------------------------


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """The ``X-Slack-Request-Timestamp`` and v0 ``X-Slack-Signature`` headers for *body*."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def content_type(body: str) -> str:
    return "application/json" if body.lstrip().startswith("{") else "application/x-www-form-urlencoded"


async def deliver(url: str, body: str, secret: str, *, timestamp: int | None = None) -> tuple[int, str]:
    """POST *body* signed to an app's HTTP endpoint (as Slack does); the status and response text."""
    headers = {**sign(secret, body, timestamp), "Content-Type": content_type(body)}
    async with ClientSession() as session, session.post(url, data=body.encode(), headers=headers) as response:
        return response.status, await response.text()


def payload_of(body: str) -> dict[str, Any]:
    """The Socket Mode ``payload`` for an HTTP body: the event JSON, the ``payload=`` JSON or the form."""
    if content_type(body) == "application/json":
        return dict(json.loads(body))
    form = dict(parse_qsl(body, keep_blank_values=True))
    return dict(json.loads(form["payload"])) if "payload" in form else form


def _team() -> dict[str, str]:
    return {"id": TEAM_ID, "domain": "test"}


def _user(user: str) -> dict[str, str]:
    return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID}


def _channel(channel: str) -> dict[str, str]:
    return {"id": channel, "name": "directmessage" if channel.startswith("D") else "general"}


def _trigger_id() -> str:
    return f"{int(time.time())}.1.trigger"


def event_body(event: dict[str, Any], *, event_id: str = "Ev1", team_id: str = TEAM_ID) -> str:
    """An ``event_callback`` body around *event*."""
    return json.dumps(
        {
            "token": "verification-token",
            "team_id": team_id,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(float(event.get("event_ts") or event.get("ts") or time.time())),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team_id,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
    )


def dm_event(
    text: str, user: str = "U1", channel: str = "D1", ts: str = "1700000001.000100"
) -> dict[str, Any]:
    """A direct message to the bot."""
    return {
        "type": "message",
        "channel_type": "im",
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel": channel,
    }


def mention_event(
    text: str, user: str = "U1", channel: str = "C1", ts: str = "1700000001.000100"
) -> dict[str, Any]:
    """An ``app_mention`` in a channel; the text starts with ``<@UBOT> ``."""
    mention = f"<@{BOT_USER_ID}>"
    return {
        "type": "app_mention",
        "user": user,
        "text": text if text.startswith(mention) else f"{mention} {text}",
        "ts": ts,
        "event_ts": ts,
        "channel": channel,
    }


def command_body(
    text: str,
    user: str = "U1",
    channel: str = "C1",
    response_url: str = UNSET_RESPONSE_URL,
    *,
    command: str = "/crm",
) -> str:
    """A slash command, form-urlencoded."""
    return urlencode(
        {
            "token": "verification-token",
            "team_id": TEAM_ID,
            "team_domain": "test",
            "channel_id": channel,
            "channel_name": _channel(channel)["name"],
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": _trigger_id(),
        }
    )


def _payload_body(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def action_body(
    action_id: str,
    value: str,
    *,
    user: str = "U1",
    channel: str = "D1",
    message_ts: str = "1700000000.000100",
    response_url: str | None = None,
    block_id: str = "actions",
    message_text: str = "",
) -> str:
    """A button click (``block_actions``) on a bot message, form-urlencoded ``payload=<json>``."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user),
        "api_app_id": APP_ID,
        "token": "verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": _trigger_id(),
        "team": _team(),
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": _channel(channel),
        "message": {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "ts": message_ts,
            "text": message_text,
        },
        "state": {"values": {}},
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "type": "button",
                "text": {"type": "plain_text", "text": value},
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    if response_url is not None:
        payload["response_url"] = response_url
    return _payload_body(payload)


def shortcut_body(
    callback_id: str,
    message_text: str,
    *,
    user: str = "U1",
    channel: str = "C1",
    message_ts: str = "1700000001.000100",
    response_url: str = UNSET_RESPONSE_URL,
    author: str | None = None,
) -> str:
    """A message shortcut (``message_action``) on a message by *author* (default: *user*)."""
    return _payload_body(
        {
            "type": "message_action",
            "token": "verification-token",
            "action_ts": f"{time.time():.6f}",
            "team": _team(),
            "user": _user(user),
            "channel": _channel(channel),
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": _trigger_id(),
            "response_url": response_url,
            "message_ts": message_ts,
            "message": {"type": "message", "user": author or user, "ts": message_ts, "text": message_text},
        }
    )


def view_submission_body(
    callback_id: str, private_metadata: str, values: dict[str, dict[str, Any]], user: str = "U1"
) -> str:
    """A modal submitted; ``values`` is ``{block_id: {action_id: state}}``, a plain string state meaning a
    ``plain_text_input`` with that value."""
    state = {
        block_id: {
            action_id: {"type": "plain_text_input", "value": v} if isinstance(v, str) else v
            for action_id, v in actions.items()
        }
        for block_id, actions in values.items()
    }
    return _payload_body(
        {
            "type": "view_submission",
            "team": _team(),
            "user": _user(user),
            "api_app_id": APP_ID,
            "token": "verification-token",
            "trigger_id": _trigger_id(),
            "view": {
                "id": "V1",
                "team_id": TEAM_ID,
                "type": "modal",
                "callback_id": callback_id,
                "private_metadata": private_metadata,
                "state": {"values": state},
                "hash": "1700000000.abcdef",
                "title": {"type": "plain_text", "text": "CRM"},
                "blocks": [],
                "app_id": APP_ID,
                "bot_id": BOT_ID,
            },
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
    )
