"""The clock port: the real clock, or a fixed one (``CRMBOT_NOW`` / ``--now``) for tests and demos."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    def __init__(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware instant")
        self.instant = instant.astimezone(UTC)

    def now(self) -> datetime:
        return self.instant

    def set(self, instant: datetime) -> None:
        self.instant = instant.astimezone(UTC)


def clock_for(now: datetime | None) -> Clock:
    return FixedClock(now) if now is not None else SystemClock()


def parse_instant(text: str, default_tz: tzinfo = UTC) -> datetime:
    """Parse an ISO 8601 instant; a value without offset is read in *default_tz*."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=default_tz)
    return value


def zone(name: str | None) -> ZoneInfo:
    """A ZoneInfo for *name*; unknown names raise ValueError with the name in the message."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc
