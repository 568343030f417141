"""Replies as Slack Block Kit, and Slack's markup back to plain text.

Every text the bot shows is escaped for mrkdwn (``&``, ``<``, ``>``), the blocks and the top-level
``text`` alike, so a company called "<b>Tools & Co" renders as written and cannot ping ``<!channel>``.
(Slack has no escape for ``*bold*`` or ``_italic_``: such a name keeps its characters and may render
emphasised.) Button labels are plain_text, shown as they are. Limits from Slack's reference: section
text 3,000 characters, button text 75, button value 2,000, 50 blocks, 25 elements per actions block.
"""

from __future__ import annotations

import html
import re
from typing import Any

from bot.channels.chat import buttons, context_line, truncate
from bot.messages import Reply, ReplySection, item_line

ACTION_PREFIX = "crm:"
SECTION_LIMIT = 3000
MAX_BLOCKS = 50


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fallback(reply: Reply) -> str:
    """The message's top-level ``text`` (notifications, screen readers): mrkdwn too, so escaped as well."""
    return escape(reply.plain())


_LINK = re.compile(r"<([^<>|]+)\|([^<>]*)>")
_BARE = re.compile(r"<(?:mailto:|tel:)?([^<>|]+)>")
_USER = re.compile(r"<@([A-Z0-9]+)(?:\|([^<>]*))?>")
_SPECIAL = re.compile(r"<!([a-z]+)(?:\|([^<>]*))?>")
_CHANNEL = re.compile(r"<#([A-Z0-9]+)(?:\|([^<>]*))?>")


def plain_text(text: str, bot_user_id: str | None = None) -> str:
    """Slack's message markup as the words a person typed: links and mailto to their text, the bot's own
    mention removed, other mentions kept as @name, entities decoded."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^<>]*)?>\s*", "", text)
    text = _USER.sub(lambda m: "@" + (m.group(2) or m.group(1)), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _SPECIAL.sub(lambda m: "@" + (m.group(2) or m.group(1)), text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1).removeprefix("mailto:").removeprefix("tel:"), text)
    text = _BARE.sub(lambda m: m.group(1), text)
    return html.unescape(text).strip()


def _sections(text: str) -> list[dict[str, Any]]:
    """One or more mrkdwn sections (Slack cuts a section at 3,000 characters)."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > SECTION_LIMIT and current:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current:
        chunks.append(current)
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": truncate(chunk, SECTION_LIMIT)}}
        for chunk in chunks
    ]


def blocks(reply: Reply, *, with_buttons: bool = True, note: str | None = None) -> list[dict[str, Any]]:
    """Block Kit for a reply: title and text, the lines as a list, the context line, then the buttons.
    *note* (already mrkdwn) is added as a last context line, e.g. "<@U1> chose: Undo"."""
    out: list[dict[str, Any]] = []
    head = []
    if reply.title:
        head.append(f"*{escape(reply.title)}*")
    if reply.text:
        head.append(escape(reply.text))
    if head:
        out.extend(_sections("\n".join(head)))
    if reply.lines:
        out.extend(_sections("\n".join(f"• {escape(line)}" for line in reply.lines)))
    for section in reply.sections:
        out.extend(_section_blocks(section))
    context = context_line(reply)
    if context:
        element = {"type": "mrkdwn", "text": truncate(escape(context), 3000)}
        out.append({"type": "context", "elements": [element]})
    choices = buttons(reply) if with_buttons else ()
    if choices:
        out.append(
            {
                "type": "actions",
                "block_id": "crm_actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": f"{ACTION_PREFIX}{index}",
                        "text": {"type": "plain_text", "text": truncate(choice.label, 75), "emoji": False},
                        "value": choice.value[:2000],
                    }
                    for index, choice in enumerate(choices[:25])
                ],
            }
        )
    if note:
        out.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    return out[:MAX_BLOCKS]


ITEM_ACTION_PREFIX = "crm:item:"


def _section_blocks(section: ReplySection) -> list[dict[str, Any]]:
    """A titled list; an item with buttons gets its own block with them as an accessory (one button, or
    an overflow menu for two to five), the others are listed together."""
    out: list[dict[str, Any]] = []
    plain = [f"*{escape(section.title)}*"]
    for item in section.items:
        if not item.actions:
            plain.append(escape(item_line(item)))
            continue
        if plain:
            out.extend(_sections("\n".join(plain)))
            plain = []
        block: dict[str, Any] = {
            "type": "section",
            "text": {"type": "mrkdwn", "text": truncate(escape(item_line(item)), SECTION_LIMIT)},
        }
        action_id = f"{ITEM_ACTION_PREFIX}{item.number or 0}"
        if len(item.actions) == 1:
            action = item.actions[0]
            block["accessory"] = {
                "type": "button",
                "action_id": action_id,
                "text": {"type": "plain_text", "text": truncate(action.label, 75), "emoji": False},
                "value": action.value[:2000],
            }
        else:
            block["accessory"] = {
                "type": "overflow",
                "action_id": action_id,
                "options": [
                    {"text": {"type": "plain_text", "text": truncate(a.label, 75)}, "value": a.value[:150]}
                    for a in item.actions[:5]
                ],
            }
        out.append(block)
    if section.more:
        plain.append(f"_{escape(section.more)}_")
    if plain:
        out.extend(_sections("\n".join(plain)))
    return out


def without_actions(original: list[dict[str, Any]], note: str) -> list[dict[str, Any]]:
    """A posted message's blocks with its buttons taken off and *note* (mrkdwn) added: what a question or
    receipt looks like after someone pressed one of its buttons."""
    kept = [b for b in original if b.get("type") != "actions"]
    kept.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    return kept[:MAX_BLOCKS]


def log_modal(
    lang_text: dict[str, str], *, note: str, metadata: str, callback_id: str, thirdparty: str = ""
) -> dict[str, Any]:
    """The "Log to CRM" modal: which third party, and the note (prefilled with the message)."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": metadata,
        "title": {"type": "plain_text", "text": truncate(lang_text["title"], 24)},
        "submit": {"type": "plain_text", "text": truncate(lang_text["submit"], 24)},
        "close": {"type": "plain_text", "text": truncate(lang_text["cancel"], 24)},
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": escape(lang_text["which"])},
            },
            {
                "type": "input",
                "block_id": "thirdparty",
                "label": {"type": "plain_text", "text": lang_text["thirdparty"]},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "initial_value": thirdparty,
                    "placeholder": {"type": "plain_text", "text": lang_text["hint"]},
                },
            },
            {
                "type": "input",
                "block_id": "note",
                "label": {"type": "plain_text", "text": lang_text["note"]},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "initial_value": truncate(note, 3000),
                    "max_length": 3000,
                },
            },
        ],
    }
