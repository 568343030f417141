"""What to tell a user about their mail, in their language (rendered from a Notice)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.crm.mail.archive import Notice
from bot.i18n import t


@dataclass(frozen=True, slots=True)
class NoticeText:
    subject: str
    text: str


def render(notice: Notice, lang: str, bot_address: str) -> NoticeText:
    p = notice.params
    if notice.kind == "unresolved":
        subject = str(p.get("subject") or "…")
        lines = [t(lang, "mail.unresolved", subject=subject)]
        names = [c["name"] for c in p.get("candidates") or []]
        if names:
            lines.append(t(lang, "mail.unresolved.candidates", names=", ".join(names)))
        local, _, domain = bot_address.partition("@")
        lines.append(t(lang, "mail.unresolved.how", example=f"{local}+acme@{domain}"))
        return NoticeText(t(lang, "mail.subject.unresolved", subject=subject), "\n\n".join(lines))
    if notice.kind == "held":
        sender = str(p.get("sender") or "?")
        return NoticeText(
            t(lang, "mail.subject.held", sender=sender),
            t(lang, "mail.held", sender=sender, id=notice.email_id),
        )
    if notice.kind == "receipt":
        contacts = p.get("contacts") or []
        people = t(lang, "mail.receipt.people", names=", ".join(contacts)) if contacts else ""
        why = t(lang, f"mail.why.{p.get('rule', 'contact_email')}", detail=p.get("detail", ""))
        text = t(lang, "mail.receipt", thirdparty=p.get("thirdparty", "?"), people=people, why=why)
        text += "\n\n" + t(lang, "mail.receipt.how")
        return NoticeText(t(lang, "mail.subject.receipt", subject=p.get("thirdparty", "")), text)
    if notice.kind == "new_people":
        people = ", ".join(f"{x.get('name') or ''} <{x['email']}>".strip() for x in p.get("people") or [])
        tp = str(p.get("thirdparty", "?"))
        return NoticeText(
            t(lang, "mail.subject.new_people", thirdparty=tp),
            t(lang, "mail.new_people", thirdparty=tp, people=people),
        )
    if notice.kind == "filed_by_reply":
        text = t(
            lang, "mail.filed_by_reply", subject=p.get("subject", "…"), thirdparty=p.get("thirdparty", "?")
        )
        return NoticeText(
            t(lang, "mail.subject.receipt", subject=p.get("subject", "")),
            text + "\n\n" + t(lang, "mail.receipt.how"),
        )
    if notice.kind == "unfiled":
        subject = str(p.get("subject") or "…")
        return NoticeText(
            t(lang, "mail.subject.unfiled", subject=subject), t(lang, "mail.unfiled", subject=subject)
        )
    if notice.kind == "reply_action":  # already in the user's language
        return NoticeText(str(p.get("subject", "")), str(p.get("text", "")))
    if notice.kind == "reply_unknown":
        return NoticeText(
            t(lang, "mail.subject.unresolved", subject=p.get("name", "")),
            t(lang, "mail.reply_unknown", name=p.get("name", "")),
        )
    raise ValueError(f"unknown notice kind {notice.kind!r}")
