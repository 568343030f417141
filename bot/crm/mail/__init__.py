"""Email archiving: durable intake, routing to third parties and contacts, filing, notices."""

from bot.crm.mail.archive import MailProcessor, Notice, Outcome
from bot.crm.mail.intake import GroupIntake, Received, pending_ids
from bot.crm.mail.participants import MailSettings

__all__ = [
    "GroupIntake",
    "MailProcessor",
    "MailSettings",
    "Notice",
    "Outcome",
    "Received",
    "pending_ids",
]
