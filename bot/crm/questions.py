"""Open questions per user and conversation ("which Max?"), kept in the database so an answer may come
from another process, after a restart, or as a button press minutes later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Delete, Select, bindparam, delete, select
from sqlalchemy.orm import Session

from bot.crm.models import PendingQuestion, User
from bot.normalize import fold

QUESTION_TTL = timedelta(hours=12)
PICK_PREFIX = "pick:"
# ``answer(open_question=...)`` when the caller did not read the open question along with the sender.
NOT_LOADED: Any = object()


@dataclass(frozen=True, slots=True)
class Answer:
    question: PendingQuestion
    value: Any


# Every message asks whether it answers an open question: the statements are built once.
@cache
def _open() -> Select[PendingQuestion]:
    return select(PendingQuestion).where(
        PendingQuestion.user_id == bindparam("user_id"),
        PendingQuestion.conversation_id == bindparam("conversation_id"),
    )


@cache
def _drop_open() -> Delete:
    return delete(PendingQuestion).where(
        PendingQuestion.user_id == bindparam("user_id"),
        PendingQuestion.conversation_id == bindparam("conversation_id"),
    )


def ask(
    session: Session,
    *,
    user_id: int,
    conversation_id: str,
    channel: str,
    message_id: str,
    now: datetime,
    slot: str,
    intent: dict[str, Any],
    options: list[dict[str, Any]],
) -> PendingQuestion:
    """Store the question (replacing an older one in the same conversation)."""
    session.execute(_drop_open(), {"user_id": user_id, "conversation_id": conversation_id})
    question = PendingQuestion(
        user_id=user_id,
        conversation_id=conversation_id,
        channel=channel,
        source_message_id=message_id,
        created_at=now,
        expires_at=now + QUESTION_TTL,
        slot=slot,
        intent=intent,
        options=options,
    )
    session.add(question)
    session.flush()
    return question


def pick_value(question_id: int, index: int) -> str:
    """What an option's button sends back."""
    return f"{PICK_PREFIX}{question_id}:{index}"


def is_pick(value: str | None) -> bool:
    return bool(value) and str(value).startswith(PICK_PREFIX)


def open_question_clause() -> Any:
    """The join condition of a user's open question in the conversation ``:conversation_id``, for a
    statement that reads it along with the sender (one round trip per message instead of two)."""
    return (PendingQuestion.user_id == User.id) & (
        PendingQuestion.conversation_id == bindparam("conversation_id")
    )


def answer(
    session: Session,
    *,
    user_id: int,
    conversation_id: str,
    text: str,
    choice: str | None,
    now: datetime,
    open_question: PendingQuestion | None = NOT_LOADED,
) -> Answer | None:
    """The option this message picks, if it answers the open question; the question is closed either way.

    A button press names its question; typed text answers by number ("2") or by the option's label.
    Anything else drops the question: the message is then handled on its own. *open_question*: the
    conversation's open question (or None) when the caller read it already.
    """
    if is_pick(choice):
        question_id, _, index = str(choice)[len(PICK_PREFIX) :].partition(":")
        question = session.get(PendingQuestion, int(question_id)) if question_id.isdecimal() else None
        if question is None or question.user_id != user_id or question.expires_at < now:
            return None
        session.delete(question)
        options = question.options
        return (
            Answer(question, options[int(index)]["value"])
            if index.isdecimal() and int(index) < len(options)
            else None
        )
    question = (
        session.scalar(_open(), {"user_id": user_id, "conversation_id": conversation_id})
        if open_question is NOT_LOADED
        else open_question
    )
    if question is None:
        return None
    session.delete(question)
    if question.expires_at < now:
        return None
    typed = text.strip().rstrip(".)")
    options = question.options
    if typed.isdecimal() and 1 <= int(typed) <= len(options):
        return Answer(question, options[int(typed) - 1]["value"])
    picked = _by_words(typed, [str(option["label"]) for option in options])
    return Answer(question, options[picked]["value"]) if picked is not None else None


# Words that carry nothing in an answer like "the Tyrell one" / "die vom Gasthaus Zur Linde".
_FILLER = frozenset("the one a an that this of from at die der das den dem vom von bei beim mit aus".split())


def _by_words(typed: str, labels: list[str]) -> int | None:
    """The option whose label the answer names: the whole label, its start ("max muster"), or its
    distinctive words ("Mary Garcia", "the Tyrell one", "die vom Gasthaus Zur Linde"); else None."""
    wanted = fold(typed)
    folded = [fold(label) for label in labels]
    for index, label in enumerate(folded):
        if wanted and (wanted == label or (len(wanted) >= 3 and label.startswith(wanted))):
            return index
    words = [w for w in wanted.split() if w not in _FILLER and len(w) >= 3]
    if not words:
        return None
    scores = [sum(1 for w in words if w in label.split()) for label in folded]
    best = max(scores)
    if best == 0 or scores.count(best) > 1 or best * 2 < len(words):
        return None
    return scores.index(best)
