"""Prometheus metrics of one running bot (served at ``/metrics``).

One registry per :class:`Metrics`, so tests and several apps in one process never share counters.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

# Chat latency as users feel it: most answers well under 100 ms, a slow database in seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages = Counter(
            "crmbot_messages",
            "Chat messages handled, by channel and intent.",
            ("channel", "intent"),
            registry=self.registry,
        )
        self.errors = Counter(
            "crmbot_errors",
            "Messages that ended in an error reply or could not be delivered, by channel and kind.",
            ("channel", "kind"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "crmbot_message_seconds",
            "Time from receiving a chat message to having its reply, by channel.",
            ("channel",),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def observe(self, channel: str, intent: str, seconds: float, error: str | None = None) -> None:
        self.messages.labels(channel=channel, intent=intent).inc()
        self.latency.labels(channel=channel).observe(seconds)
        if error:
            self.errors.labels(channel=channel, kind=error).inc()

    def failed(self, channel: str, kind: str) -> None:
        self.errors.labels(channel=channel, kind=kind).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
