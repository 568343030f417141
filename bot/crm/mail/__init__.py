"""Email archiving: durable intake, routing to third parties and contacts, filing, notices."""

from bot.crm.mail.archive import MailProcessor, Notice, Outcome
from bot.crm.mail.intake import Received, pending_ids, receive
from bot.crm.mail.participants import MailSettings

__all__ = ["MailProcessor", "MailSettings", "Notice", "Outcome", "Received", "pending_ids", "receive"]
