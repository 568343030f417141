"""Email parsing: raw RFC 5322 bytes to a ParsedEmail (headers, body text and summary, forwarded original,
attachments, calendar invites, auto-reply and bounce detection). Pure: no clock, database or network."""

from __future__ import annotations

from bot.parsers.email.model import Address, CalendarInvite, Forwarded, ParsedEmail, Part
from bot.parsers.email.parse import EmailParseError, parse_email

__all__ = ["Address", "CalendarInvite", "EmailParseError", "Forwarded", "ParsedEmail", "Part", "parse_email"]
