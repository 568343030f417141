"""The bot's HTTP app with one chat channel, running on a free 127.0.0.1 port for a test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from bot.bootstrap import App
from bot.channels.chat import ChatGateway
from bot.channels.http import HttpServer, build_app
from bot.engine import Engine
from bot.metrics import Metrics
from bot.runner import chat_gateway, database_ok


@asynccontextmanager
async def serving(
    app: App, make_channel: Callable[[ChatGateway], Any], routes: Callable[[Any], dict[str, Any]]
) -> AsyncIterator[tuple[Any, str, Metrics]]:
    """Build the channel on a fresh engine, serve *routes(channel)* (build_app keywords), start both;
    yields (channel, base URL, metrics) and stops both afterwards."""
    metrics = Metrics()
    channel = make_channel(chat_gateway(app, Engine(app), metrics))
    names = [name for name in ("slack", "telegram") if name in type(channel).__name__.lower()]
    http = HttpServer(
        build_app(lambda: database_ok(app), metrics, channels=names, **routes(channel)), "127.0.0.1", 0
    )
    await http.start()
    start: Callable[[], Awaitable[None]] = channel.start
    await start()
    try:
        yield channel, http.url, metrics
    finally:
        await channel.stop()
        await http.stop()
