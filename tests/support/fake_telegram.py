"""An in-process fake of the Telegram Bot API, speaking the real wire format (offline-test-recipes.md §3).

``FakeTelegram`` serves ``/bot{token}/{method}`` on a free 127.0.0.1 port; point
``ApplicationBuilder().base_url(tg.base_url)`` (or ``Bot(token, base_url=tg.base_url)``) at it. Calls are
recorded in ``calls``; ``sent``, ``edits`` and ``answered`` hold the parameters of the successful
sendMessage, editMessageText/ReplyMarkup and answerCallbackQuery calls, and ``messages`` the Message
objects the bot sent.

Updates are built with ``text_update``, ``callback_update`` and ``contact_update`` (update and message ids
increase by themselves) and either queued for getUpdates with ``push`` or POSTed to a webhook with
``deliver``. As on Telegram, queued updates stay until a getUpdates with a higher ``offset`` confirms them.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable
from typing import Any

from aiohttp import ClientSession, web

TOKEN = "123456:TEST-TOKEN"
BOT_USER: dict[str, Any] = {"id": 123456, "is_bot": True, "first_name": "CRM Bot", "username": "crm_test_bot"}
# Form values that stay strings even when they look like JSON ("42", "true"); the rest are decoded.
_TEXT_KEYS = frozenset(
    "text caption data query callback_query_id inline_message_id url secret_token parse_mode first_name "
    "last_name phone_number title description question emoji name".split()
)
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]+)?")

Handler = Callable[[dict[str, Any]], Any]


def _decode(key: str, value: Any) -> Any:
    if not isinstance(value, str) or key in _TEXT_KEYS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _utf16_len(text: str) -> int:
    """Entity offsets and lengths count UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


class TelegramError(Exception):
    """Raised by a method handler to answer ``{"ok": false, ...}`` with this HTTP status."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


class FakeTelegram:
    """The Bot API for one bot at ``base_url``, with a getUpdates queue."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.bot: dict[str, Any] = dict(BOT_USER)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.limited: list[tuple[str, dict[str, Any]]] = []
        self.sent: list[dict[str, Any]] = []
        self.edits: list[dict[str, Any]] = []
        self.answered: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] | None = None
        self.updates: list[dict[str, Any]] = []  # queued, not yet confirmed by a getUpdates offset
        self.messages: dict[tuple[Any, int], dict[str, Any]] = {}  # (chat_id, message_id) -> sent Message
        self.port = 0
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._limits: dict[str, list[int]] = {}
        self._stopping = False
        self._handlers: dict[str, Handler] = {
            "getMe": lambda params: self.bot,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
        }
        self._runner: web.AppRunner | None = None
        self.app = web.Application()
        self.app.router.add_route("*", "/bot{token}/{method}", self._api)

    # -- lifecycle ---------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._stopping = False
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """End pending long polls first: the runner would otherwise wait for their handlers."""
        self._stopping = True
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- configuration and inspection --------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    def called(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    def on(self, method: str, handler: Handler) -> None:
        """Serve *method* with ``handler(params) -> result``; it may raise ``TelegramError``."""
        self._handlers[method] = handler

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next *times* calls of *method* answer 429 with ``parameters.retry_after``."""
        self._limits[method] = [times, retry_after]

    def last_message(self, chat_id: int | None = None) -> dict[str, Any]:
        """The last Message the bot sent (to *chat_id*)."""
        found = [m for (chat, _), m in self.messages.items() if chat_id is None or chat == chat_id]
        if not found:
            raise AssertionError(f"the bot sent no message{'' if chat_id is None else f' to {chat_id}'}")
        return found[-1]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            if loop.time() >= deadline:
                methods = [name for name, _ in self.calls]
                texts = [params.get("text") for params in self.sent]
                raise AssertionError(
                    f"condition not met within {timeout} s; Telegram calls: {methods}, sent texts: {texts}"
                )
            await asyncio.sleep(0.01)

    # -- updates -----------------------------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue *update* for getUpdates."""
        self.updates.append(update)
        return update

    async def deliver(self, update: dict[str, Any], url: str, *, secret_token: str | None = None) -> int:
        """POST *update* to a webhook as Telegram does (secret header from setWebhook unless given)."""
        secret = secret_token if secret_token is not None else (self.webhook or {}).get("secret_token")
        headers = {"X-Telegram-Bot-Api-Secret-Token": str(secret)} if secret else {}
        async with ClientSession() as session, session.post(url, json=update, headers=headers) as response:
            return response.status

    def _chat(self, chat_id: Any, chat_type: str | None = None, first_name: str = "Max") -> dict[str, Any]:
        if chat_type is None:
            chat_type = "private" if not isinstance(chat_id, int) or chat_id > 0 else "group"
            if str(chat_id).startswith("-100"):
                chat_type = "supergroup"
        if chat_type == "private":
            return {"id": chat_id, "type": "private", "first_name": first_name}
        return {"id": chat_id, "type": chat_type, "title": "Test group"}

    def _user(self, user_id: int, first_name: str = "Max") -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": first_name}

    def _incoming(
        self, chat_id: int, user_id: int, chat_type: str, first_name: str, **fields: Any
    ) -> dict[str, Any]:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id, chat_type, first_name),
            "from": self._user(user_id, first_name),
            **fields,
        }
        return {"update_id": next(self._update_ids), "message": message}

    def text_update(
        self,
        text: str,
        *,
        chat_id: int = 42,
        user_id: int = 42,
        chat_type: str = "private",
        first_name: str = "Max",
        reply_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A text message, with a ``bot_command`` entity for a leading command and ``mention`` entities for
        the bot's @username."""
        entities: list[dict[str, Any]] = []
        command = _COMMAND.match(text)
        if command:
            entities.append({"type": "bot_command", "offset": 0, "length": _utf16_len(command.group())})
        for mention in re.finditer(rf"@{re.escape(self.bot['username'])}\b", text, re.IGNORECASE):
            if command and mention.start() < command.end():
                continue  # "/start@crm_test_bot" is one bot_command
            entities.append(
                {
                    "type": "mention",
                    "offset": _utf16_len(text[: mention.start()]),
                    "length": _utf16_len(mention[0]),
                }
            )
        fields: dict[str, Any] = {"text": text}
        if entities:
            fields["entities"] = entities
        if reply_to is not None:
            fields["reply_to_message"] = reply_to
        return self._incoming(chat_id, user_id, chat_type, first_name, **fields)

    def contact_update(
        self,
        phone: str,
        first_name: str,
        last_name: str | None = None,
        *,
        chat_id: int = 42,
        user_id: int = 42,
    ) -> dict[str, Any]:
        """The user shares their own contact (as with a ``request_contact`` button)."""
        contact: dict[str, Any] = {"phone_number": phone, "first_name": first_name, "user_id": user_id}
        if last_name is not None:
            contact["last_name"] = last_name
        return self._incoming(chat_id, user_id, "private", first_name, contact=contact)

    def callback_update(
        self, data: str, *, message_id: int, chat_id: int = 42, user_id: int = 42, text: str | None = None
    ) -> dict[str, Any]:
        """A button press on the bot's message *message_id*: the sent message (keyboard included) if the bot
        sent it here, else a bot message with *text*."""
        message = dict(
            self.messages.get((chat_id, message_id))
            or {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": self._chat(chat_id),
                "from": self.bot,
            }
        )
        if text is not None or "text" not in message:
            message["text"] = text or ""
        query = {
            "id": str(4_000_000_000 + next(self._callback_ids)),
            "from": self._user(user_id),
            "chat_instance": f"-{chat_id}0001",
            "data": data,
            "message": message,
        }
        return {"update_id": next(self._update_ids), "callback_query": query}

    # -- HTTP --------------------------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                params.update(body if isinstance(body, dict) else {})
            else:
                for key, value in (await request.post()).items():
                    if isinstance(value, web.FileField):
                        params[key] = {"filename": value.filename, "content": value.file.read()}
                    else:
                        params[key] = value
        return {key: _decode(key, value) for key, value in params.items()}

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await self._params(request)
        self.calls.append((method, params))
        limit = self._limits.get(method)
        if limit and limit[0] > 0:
            limit[0] -= 1
            self.limited.append((method, params))
            return _error(429, f"Too Many Requests: retry after {limit[1]}", retry_after=limit[1])
        if method == "getUpdates":
            return await self._get_updates(params)
        handler = self._handlers.get(method)
        if handler is None:
            return _error(404, "Not Found")
        try:
            result = handler(params)
        except TelegramError as error:
            return _error(error.status, error.description)
        return web.json_response({"ok": True, "result": result})

    async def _get_updates(self, params: dict[str, Any]) -> web.Response:
        """Long poll: wait up to min(timeout, 1) s for an update at or after ``offset``."""
        if self.webhook is not None:
            return _error(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        if offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]  # confirmed ones go
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(float(params.get("timeout") or 0), 1.0)
        while not self.updates and loop.time() < deadline and not self._stopping:
            await asyncio.sleep(0.01)
        pending = sorted(self.updates, key=lambda u: u["update_id"])
        if offset < 0:
            pending = pending[offset:]
        return web.json_response({"ok": True, "result": pending[:limit]})

    # -- the built-in methods ----------------------------------------------------------------------------

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        if not params.get("url"):
            self.webhook = None  # an empty url removes the webhook
            return True
        self.webhook = params
        return True

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        if "chat_id" not in params:
            raise TelegramError(400, "Bad Request: chat_id is empty")
        if not str(params.get("text") or "").strip():
            raise TelegramError(400, "Bad Request: message text is empty")
        chat_id = params["chat_id"]
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self.bot,
            "text": params["text"],
        }
        for key in ("entities", "reply_markup"):
            if key in params:
                message[key] = params[key]
        self.sent.append(params)
        self.messages[(chat_id, message["message_id"])] = message
        return message

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        if "inline_message_id" in params:
            self.edits.append(params)
            return True
        key = (params.get("chat_id"), params.get("message_id"))
        old = self.messages.get(key)  # type: ignore[arg-type]
        unchanged = old is not None and all(old.get(f) == params.get(f) for f in ("text", "reply_markup"))
        if unchanged:
            raise TelegramError(
                400,
                "Bad Request: message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message",
            )
        message = dict(
            old
            or {
                "message_id": params.get("message_id"),
                "date": int(time.time()),
                "chat": self._chat(params.get("chat_id")),
                "from": self.bot,
            }
        )
        message["text"] = params.get("text", "")
        message["edit_date"] = int(time.time())
        message.pop("reply_markup", None)  # editing without reply_markup removes the keyboard
        for field in ("entities", "reply_markup"):
            if field in params:
                message[field] = params[field]
        self.edits.append(params)
        if old is not None:
            self.messages[key] = message  # type: ignore[index]
        return message

    def _edit_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        """Only the keyboard changes (none given: it is removed); the text stays."""
        key = (params.get("chat_id"), params.get("message_id"))
        old = self.messages.get(key)  # type: ignore[arg-type]
        if old is None:
            raise TelegramError(400, "Bad Request: message to edit not found")
        message = dict(old)
        message.pop("reply_markup", None)
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        self.edits.append(params)
        self.messages[key] = message  # type: ignore[index]
        return message

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        if not params.get("callback_query_id"):
            raise TelegramError(
                400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        self.answered.append(params)
        return True


def _error(status: int, description: str, *, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)
