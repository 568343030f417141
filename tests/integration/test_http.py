"""The HTTP app: /healthz tells a load balancer whether the database answers; /metrics speaks Prometheus."""

from __future__ import annotations

from pathlib import Path

from aiohttp import ClientSession

from bot.bootstrap import App
from bot.channels.http import HttpServer, build_app
from bot.metrics import Metrics
from bot.runner import database_ok
from tests.conftest import make_app
from tests.support.postgres import free_port


async def _get(url: str) -> tuple[int, str]:
    async with ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


async def test_healthz_is_503_when_the_database_is_down_and_200_when_it_answers(
    sqlite_app: App, tmp_path: Path
) -> None:
    down = make_app(f"postgresql+psycopg://crm@127.0.0.1:{free_port()}/crm", tmp_path / "data")
    metrics = Metrics()
    metrics.observe("slack", "log_call", 0.02)
    metrics.failed("telegram", "send")
    for app, expected in ((down, 503), (sqlite_app, 200)):
        server = HttpServer(build_app(lambda app=app: database_ok(app), metrics), "127.0.0.1", 0)
        await server.start()
        try:
            status, body = await _get(f"{server.url}/healthz")
            assert status == expected
            assert ('"database":"down"' in body) is (expected == 503)
            status, text = await _get(f"{server.url}/metrics")
            assert status == 200
            assert 'crmbot_messages_total{channel="slack",intent="log_call"} 1.0' in text
            assert 'crmbot_errors_total{channel="telegram",kind="send"} 1.0' in text
            assert 'crmbot_message_seconds_bucket{channel="slack",le="0.025"} 1.0' in text
            status, _ = await _get(f"{server.url}/slack/events")
            assert status == 404  # no Slack configured: no route
        finally:
            await server.stop()
    down.close()
