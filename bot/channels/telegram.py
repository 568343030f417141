"""Telegram: private chats and groups through python-telegram-bot, by long polling or a webhook.

Commands (``/start CODE``, ``/help``, ``/last``, ``/history``, ``/remind``, ``/undo``) become the words the
engine understands; free text goes to the engine as it is. Replies are HTML with every text escaped
(a company called "Schmidt & Partner <GmbH>" shows as written), buttons are inline keyboards, and a pressed
button's message is edited to say what was chosen before the answer arrives as a new message.

In groups the bot answers only when addressed: a command, an @mention of the bot, or a reply to one of its
messages. Webhook mode: Telegram posts to ``/telegram/webhook`` of the bot's HTTP app with the secret
token set by ``setWebhook``; a missing or wrong secret is a 403. Flood limits (429 retry_after) are
waited out by PTB's AIORateLimiter.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType, MessageEntityType, ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.chat import ChatGateway, buttons, context_line, truncate
from bot.i18n import t
from bot.messages import Choice, InboundMessage, Reply, Sender, item_action_rows, item_actions, item_line

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MESSAGE_LIMIT = 4096
CALLBACK_LIMIT = 64  # bytes of callback_data Telegram accepts
ITEM_MARK = "i:"  # callback data of a button on one item of a list (a digest's Done, Snooze)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

# Command -> the words the engine understands (English and German command names).
COMMANDS: dict[str, str] = {
    "help": "help",
    "hilfe": "help",
    "last": "last contact",
    "letzter": "last contact",
    "history": "history",
    "verlauf": "history",
    "remind": "remind me",
    "erinnern": "remind me",
    "undo": "undo",
}
NEEDS_ARGUMENT = frozenset({"last", "letzter", "history", "verlauf"})


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    token: str = field(repr=False)  # secrets stay out of repr() and so out of any log
    api_url: str = "https://api.telegram.org/bot"
    webhook_url: str | None = None  # public URL of /telegram/webhook; None: long polling
    secret: str = field(default="", repr=False)
    poll_timeout: int = 10  # seconds of each getUpdates long poll


def render_html(reply: Reply) -> str:
    """A reply as Telegram HTML: title bold, lines as a list, the context line in italics. Too long for
    one message: lines are dropped from the end (shown as "…"), the title and context stay."""
    head = [f"<b>{_escape(reply.title)}</b>"] if reply.title else []
    if reply.text:
        head.append(_escape(reply.text))
    lines = [f"• {_escape(line)}" for line in reply.lines]
    for section in reply.sections:
        gap = "\n" if head or lines else ""
        lines.append(f"{gap}<b>{_escape(section.title)}</b>")
        lines.extend(_escape(item_line(item)) for item in section.items)
        if section.more:
            lines.append(f"<i>{_escape(section.more)}</i>")
    context = context_line(reply)
    tail = [f"<i>{_escape(context)}</i>"] if context else []
    kept = len(lines)
    text = "\n".join([*head, *lines, *tail])
    while len(text) > MESSAGE_LIMIT and kept:
        kept -= 1
        text = "\n".join([*head, *lines[:kept], "…", *tail])
    return text if len(text) <= MESSAGE_LIMIT else _escape(truncate(reply.plain(), MESSAGE_LIMIT - 10))


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def command_text(command: str, args: list[str]) -> str | None:
    """ "/last ACME" -> "last contact ACME"; None when the command needs a company and has none."""
    words = COMMANDS.get(command)
    if words is None:
        return None
    if command in NEEDS_ARGUMENT and not args:
        return None
    return " ".join([words, *args])


class _LongValues:
    """Button values longer than Telegram's 64 bytes, kept in memory under a short key (lost on restart,
    then the button answers "expired")."""

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._values: OrderedDict[str, str] = OrderedDict()

    def encode(self, value: str) -> str:
        if len(value.encode()) <= CALLBACK_LIMIT:
            return value
        key = "v:" + hashlib.sha256(value.encode()).hexdigest()[:20]
        self._values[key] = value
        self._values.move_to_end(key)
        if len(self._values) > self.size:
            self._values.popitem(last=False)
        return key

    def decode(self, data: str) -> str | None:
        if data.startswith("v:"):
            return self._values.get(data)
        return data


class TelegramChannel:
    def __init__(self, settings: TelegramSettings, gateway: ChatGateway) -> None:
        self.settings = settings
        self.gateway = gateway
        self.values = _LongValues()
        self._initialized = False
        builder = (
            ApplicationBuilder()
            .token(settings.token)
            .base_url(settings.api_url)
            .base_file_url(_file_url(settings.api_url))
            .rate_limiter(AIORateLimiter(max_retries=3))
            .get_updates_read_timeout(settings.poll_timeout + 10)
        )
        if settings.webhook_url:
            builder = builder.updater(None)
        self.app: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        self._register()

    @property
    def uses_webhook(self) -> bool:
        return bool(self.settings.webhook_url)

    # -- transport ---------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.app.initialize()  # getMe: fails early on a wrong token
        self._initialized = True
        if self.settings.webhook_url:
            await self.app.bot.set_webhook(
                self.settings.webhook_url,
                secret_token=self.settings.secret,
                allowed_updates=Update.ALL_TYPES,
            )
            log.info("telegram: webhook set, receiving updates at /telegram/webhook")
        else:
            assert self.app.updater is not None
            await self.app.updater.start_polling(
                poll_interval=0.0, timeout=self.settings.poll_timeout, allowed_updates=Update.ALL_TYPES
            )
            log.info("telegram: long polling as @%s", self.app.bot.username)
        await self.app.start()

    async def stop(self) -> None:
        if not self._initialized:
            return
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    async def handle_webhook(self, request: Request) -> Response:
        """``POST /telegram/webhook``: only with the secret token set by setWebhook."""
        given = request.headers.get(SECRET_HEADER, "")
        if not given or not hmac.compare_digest(given.encode(), self.settings.secret.encode()):
            log.warning("telegram webhook call without the right secret token from %s", request.client)
            return JSONResponse({"ok": False, "error": "forbidden"}, status_code=403)
        try:
            data = await request.json()
            update = Update.de_json(data, self.app.bot)
        except Exception:
            log.warning("telegram webhook: a body that is not an update was refused")
            return JSONResponse({"ok": False, "error": "not an update"}, status_code=400)
        await self.app.update_queue.put(update)
        return JSONResponse({"ok": True})

    async def send(self, chat_id: str, reply: Reply) -> int | None:
        """A message the bot starts (reminder, digest); returns its message id."""
        sent = await self.app.bot.send_message(
            int(chat_id), render_html(reply), parse_mode=ParseMode.HTML, reply_markup=self._keyboard(reply)
        )
        return int(sent.message_id)

    # -- handlers ----------------------------------------------------------------------------------

    def _register(self) -> None:
        app = self.app
        app.add_handler(CommandHandler("start", self._on_start))
        app.add_handler(CommandHandler(list(COMMANDS), self._on_command))
        app.add_handler(CallbackQueryHandler(self._on_button))
        app.add_handler(MessageHandler(filters.CONTACT, self._on_contact))
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, self._on_text))
        app.add_error_handler(self._on_error)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        self.gateway.metrics.failed(CHANNEL, "handler")
        log.error("telegram: handling an update failed", exc_info=context.error)

    async def _on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        args = context.args or []
        text = f"link {args[0]}" if args else "help"
        await self._answer(message, text)

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not message.text:
            return
        command = message.text.split()[0][1:].split("@")[0].lower()
        text = command_text(command, context.args or [])
        if text is None:
            lang = await self._language(message)
            await self._send(message, Reply(t(lang or "en", "telegram.need_company", command=command)))
            return
        await self._answer(message, text)

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not message.text:
            return
        text: str | None = message.text
        if message.chat.type != ChatType.PRIVATE:
            text = self._addressed(message)
        if text:
            await self._answer(message, text)

    def _addressed(self, message: Message) -> str | None:
        """The text of a group message meant for the bot (mention removed), or None when it is not."""
        username = self.app.bot.username
        text = message.text or ""
        mention = f"@{username}".lower() if username else None
        for entity in message.entities:
            if entity.type == MessageEntityType.MENTION and mention:
                word = text[entity.offset : entity.offset + entity.length]
                if word.lower() == mention:
                    return (text[: entity.offset] + text[entity.offset + entity.length :]).strip(" ,:")
        replied = message.reply_to_message
        if replied is not None and replied.from_user is not None and replied.from_user.id == self.app.bot.id:
            return text
        return None

    async def _on_contact(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A shared contact card: offer to create the contact (nothing is created without the tap)."""
        message = update.effective_message
        if message is None or message.contact is None:
            return
        card = message.contact
        name = " ".join(p for p in (card.first_name, card.last_name) if p).strip()
        lang = await self._language(message)
        if lang is None:  # unknown account: the engine's refusal says how to get access
            await self._answer(message, name)
            return
        command = f"new contact {name}, {card.phone_number}" if card.phone_number else f"new contact {name}"
        offer = Reply(
            t(lang, "telegram.contact_offer", name=name),
            lines=(card.phone_number,) if card.phone_number else (),
            choices=(Choice(t(lang, "telegram.contact_create"), command),),
        )
        await self._send(message, offer)

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or query.data is None:
            return
        value = self.values.decode(query.data)
        message = query.message if isinstance(query.message, Message) else None
        user = query.from_user
        if value is None or message is None:
            lang = await self._language_of(Sender(CHANNEL, str(user.id), user.full_name))
            await query.answer(t(lang or "en", "chat.expired_button"), show_alert=True)
            return
        await query.answer()
        label = _button_label(query) or value
        on_item = value.startswith(ITEM_MARK)
        value = value.removeprefix(ITEM_MARK)
        msg = InboundMessage(
            channel=CHANNEL,
            message_id=f"callback:{query.id}",
            sender=Sender(CHANNEL, str(user.id), user.full_name),
            text=label,
            received_at=self.gateway.now(),
            conversation_id=_conversation(message),
            choice=value,
            raw=update.to_dict(),
        )
        reply = await self.gateway.handle(msg)
        if reply.silent:
            return
        if on_item:  # only that item's row goes; the rest of the list stays pressable
            try:
                await query.edit_message_reply_markup(_without_row(message.reply_markup, query.data))
            except TelegramError as exc:
                log.warning("telegram editMessageReplyMarkup failed: %s", exc)
            await self._send(message, reply)
            return
        note = t(reply.lang, "chat.choice_made", who=user.full_name, label=label)
        try:
            await query.edit_message_text(
                f"{message.text_html}\n\n<i>✓ {_escape(note)}</i>",
                parse_mode=ParseMode.HTML,
            )
        except TelegramError as exc:
            log.warning("telegram editMessageText failed: %s", exc)
        await self._send(message, reply)

    # -- plumbing ----------------------------------------------------------------------------------

    async def _answer(self, message: Message, text: str) -> None:
        reply = await self.gateway.handle(self._inbound(message, text))
        if not reply.silent:
            await self._send(message, reply)

    def _inbound(self, message: Message, text: str) -> InboundMessage:
        user = message.from_user
        external = str(user.id) if user is not None else f"chat:{message.chat.id}"
        return InboundMessage(
            channel=CHANNEL,
            message_id=f"{message.chat.id}:{message.message_id}",
            sender=Sender(CHANNEL, external, user.full_name if user else None),
            text=text,
            received_at=self.gateway.now(),
            conversation_id=_conversation(message),
            raw=message.to_dict(),
        )

    async def _language(self, message: Message) -> str | None:
        user = message.from_user
        if user is None:
            return None
        return await self._language_of(Sender(CHANNEL, str(user.id), user.full_name))

    async def _language_of(self, sender: Sender) -> str | None:
        return await self.gateway.language_of(sender)

    async def _send(self, to: Message, reply: Reply) -> None:
        in_group = to.chat.type != ChatType.PRIVATE
        try:
            await self.app.bot.send_message(
                to.chat.id,
                render_html(reply),
                parse_mode=ParseMode.HTML,
                reply_markup=self._keyboard(reply),
                reply_parameters=ReplyParameters(to.message_id, allow_sending_without_reply=True)
                if in_group
                else None,
            )
        except TelegramError as exc:
            self.gateway.metrics.failed(CHANNEL, "send")
            log.error("telegram sendMessage to chat %s failed: %s", to.chat.id, exc)

    def _button(self, choice: Choice) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            truncate(choice.label, 60), callback_data=self.values.encode(choice.value)
        )

    def _keyboard(self, reply: Reply) -> InlineKeyboardMarkup | None:
        """Answers to a question one per row; the buttons of each numbered item (a digest's Done, Snooze) in
        a row per item; actions (Undo, Older …) side by side in the last row."""
        if not buttons(reply) and not item_actions(reply):
            return None
        rows = [[self._button(c)] for c in reply.choices]
        # An item's buttons carry ITEM_MARK: pressing one leaves the rest of the digest as it is.
        rows.extend(
            [self._button(Choice(a.label, ITEM_MARK + a.value)) for a in row]
            for row in item_action_rows(reply)
        )
        if reply.actions:
            rows.append([self._button(a) for a in reply.actions])
        return InlineKeyboardMarkup(rows)


def _conversation(message: Message) -> str:
    return f"{CHANNEL}:{message.chat.id}"


def _button_label(query: CallbackQuery) -> str | None:
    message = query.message
    markup = message.reply_markup if isinstance(message, Message) else None
    if markup is None:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == query.data:
                return button.text
    return None


def _without_row(markup: InlineKeyboardMarkup | None, data: str) -> InlineKeyboardMarkup | None:
    if markup is None:
        return None
    rows = [row for row in markup.inline_keyboard if all(b.callback_data != data for b in row)]
    return InlineKeyboardMarkup(rows) if rows else None


def _file_url(api_url: str) -> str:
    """https://api.telegram.org/bot -> https://api.telegram.org/file/bot (self-hosted servers alike)."""
    base, sep, tail = api_url.rstrip("/").rpartition("/")
    return f"{base}/file/{tail}" if sep else api_url
