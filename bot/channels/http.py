"""The bot's one HTTP app (starlette, served by uvicorn inside ``crmbot run``).

Routes: ``/healthz`` (200 when ``database_ok()`` says so, 503 when not; it runs in a worker thread),
``/metrics`` (Prometheus text format), ``/slack/events`` (when Slack runs in HTTP mode) and
``/telegram/webhook`` (when Telegram runs with a webhook). Later features add their routes through
``extra_routes``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.metrics import Metrics

log = logging.getLogger(__name__)

Endpoint = Callable[[Request], Awaitable[Response]]


def build_app(
    database_ok: Callable[[], bool],
    metrics: Metrics,
    *,
    slack: Endpoint | None = None,
    telegram: Endpoint | None = None,
    channels: Sequence[str] = (),
    extra_routes: Sequence[BaseRoute] = (),
) -> Starlette:
    async def healthz(request: Request) -> Response:
        ok = await asyncio.to_thread(database_ok)
        body = {
            "status": "ok" if ok else "degraded",
            "database": "ok" if ok else "down",
            "channels": list(channels),
        }
        return JSONResponse(body, status_code=200 if ok else 503)

    async def metrics_endpoint(request: Request) -> Response:
        return Response(metrics.render(), media_type=metrics.content_type)

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
    ]
    if slack is not None:
        routes.append(Route("/slack/events", slack, methods=["POST"]))
    if telegram is not None:
        routes.append(Route("/telegram/webhook", telegram, methods=["POST"]))
    routes.extend(extra_routes)
    return Starlette(routes=routes)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: ``crmbot run`` owns Ctrl-C and stops every service."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class HttpServer:
    def __init__(self, asgi: Any, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._server = _Server(
            uvicorn.Config(asgi, host=host, port=port, log_level="warning", lifespan="off", access_log=False)
        )
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise OSError(f"cannot listen on {self.host}:{self.port} for HTTP: {exc.strerror}") from exc
        self.port = sock.getsockname()[1]
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError("the HTTP server stopped while starting")
            await asyncio.sleep(0.01)
        log.info("HTTP on http://%s:%s (healthz, metrics)", self.host, self.port)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def stop(self) -> None:
        if self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
