"""What every chat adapter (Slack, Telegram) shares: the engine behind a thread, metrics, and small helpers.

The engine is synchronous and does its own transaction; adapters call :meth:`ChatGateway.handle` from the
event loop and send the reply after it returns, so no network I/O ever happens inside a transaction.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

from bot.clock import zone
from bot.i18n import format_when
from bot.messages import Choice, InboundMessage, Reply, Sender
from bot.metrics import Metrics

log = logging.getLogger(__name__)


class ChatGateway:
    """The engine as a chat adapter sees it: ``handle`` and ``language_of`` (both synchronous, run in a
    worker thread), the metrics, and the clock for ``received_at``."""

    def __init__(
        self,
        handle: Callable[[InboundMessage], Reply],
        language_of: Callable[[Sender], str | None],
        metrics: Metrics,
        now: Callable[[], datetime],
    ) -> None:
        self._handle = handle
        self._language_of = language_of
        self.metrics = metrics
        self.now = now

    async def language_of(self, sender: Sender) -> str | None:
        """The language of the user behind a chat account; None when the account is unknown."""
        return await asyncio.to_thread(self._language_of, sender)

    async def handle(self, msg: InboundMessage) -> Reply:
        started = time.perf_counter()
        reply = await asyncio.to_thread(self._handle, msg)
        data = reply.data
        error = data.get("error") or ("refused" if data.get("refused") is True else None)
        elapsed = time.perf_counter() - started
        self.metrics.observe(msg.channel, str(data.get("intent", "unknown")), elapsed, error)
        return reply


def buttons(reply: Reply) -> tuple[Choice, ...]:
    """The reply's buttons in display order: the answers to a question first, then actions (Undo …)."""
    return reply.choices + reply.actions


def context_line(reply: Reply) -> str | None:
    """The small grey line under a record the reply is about: third party, date, then the reply's own
    context (e.g. what was discussed). None for answers that carry no date and no context."""
    details = []
    when = reply.data.get("when")
    if isinstance(when, str) and reply.lang:
        try:
            moment: datetime | None = datetime.fromisoformat(when)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            tz = zone(reply.tz) if reply.tz else moment.tzinfo
            details.append(format_when(moment, tz, reply.lang))
    if reply.context:
        details.append(reply.context)
    if not details:
        return None
    thirdparty = reply.data.get("thirdparty")
    if isinstance(thirdparty, dict) and thirdparty.get("name"):
        details.insert(0, str(thirdparty["name"]))
    return " · ".join(details)


class RecentIds:
    """A bounded set of ids seen lately (Slack event ids, Telegram update ids): a cheap first filter for
    redeliveries. The engine's processed-messages table is the real guarantee, across processes."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._seen: OrderedDict[str, None] = OrderedDict()

    def add(self, key: str) -> bool:
        """Remember *key*; False when it was already there."""
        if key in self._seen:
            self._seen.move_to_end(key)
            return False
        self._seen[key] = None
        if len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return True


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    return text if len(text) <= limit else text[: limit - len(ellipsis)] + ellipsis
