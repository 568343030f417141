"""What a handler gets: the session of its unit of work, the acting user, their language, zone and now."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.crm.matching import Matcher
from bot.crm.models import User
from bot.crm.rights import Scope
from bot.i18n import format_when, t
from bot.messages import InboundMessage

if TYPE_CHECKING:
    from bot.crm.mail.archive import MailProcessor


@dataclass
class HandlerContext:
    session: Session
    user: User
    lang: str
    tz: ZoneInfo
    now: datetime
    matcher: Matcher
    message: InboundMessage
    scope: Scope  # what the user may see and do (bot.crm.rights)
    # files mail from chat (a digest's unfiled mail); made on first use, so a message that files nothing
    # never loads the mail pipeline
    mail_processor: Callable[[], MailProcessor] | None = None
    mail_from: str | None = None  # the bot's own address: Sender of the mail it sends for the user

    @property
    def mail(self) -> MailProcessor | None:
        return self.mail_processor() if self.mail_processor is not None else None

    def t(self, key: str, **params: object) -> str:
        return t(self.lang, key, **params)

    def when(self, moment: datetime, *, all_day: bool = False, relative: bool = False) -> str:
        return format_when(moment, self.tz, self.lang, now=self.now, all_day=all_day, relative=relative)
