"""The calendar feed route of the HTTP app: ``GET``/``HEAD /ics/{token}.ics``.

The route knows HTTP only: the runner gives it *render*, a blocking callable (run in a worker thread) that
returns the feed's bytes for a token, None for a token that is unknown or was replaced (404, the same
answer for both), or raises :class:`FeedUnavailable` when the database is down (503). Responses carry an
ETag (a hash of the body), so a calendar app that polls with ``If-None-Match`` gets ``304 Not Modified``.
The token is a secret: it is never logged here (uvicorn's access log is off).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.i18n import LANGUAGES, t

log = logging.getLogger(__name__)

PATH = "/ics/{token}.ics"
MEDIA_TYPE = "text/calendar; charset=utf-8"
CACHE_CONTROL = "private, max-age=300"

Render = Callable[[str], bytes | None]


class FeedUnavailable(RuntimeError):
    """The feed cannot be rendered now (the database is down): the client should try again later."""


def calendar_route(render: Render) -> Route:
    """The route for ``build_app(extra_routes=...)``."""

    async def calendar(request: Request) -> Response:
        token = str(request.path_params["token"])
        try:
            body = await asyncio.to_thread(render, token)
        except FeedUnavailable:
            log.warning("calendar feed: the database is not reachable")
            return _text("calendar.feed_unavailable", 503, {"Retry-After": "60"})
        except Exception:
            log.exception("calendar feed: rendering failed")
            return _text("calendar.feed_unavailable", 500)
        if body is None:
            return _text("calendar.feed_unknown", 404)
        etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
        headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
        if _matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        headers["Content-Disposition"] = 'inline; filename="crmbot.ics"'
        return Response(body, media_type=MEDIA_TYPE, headers=headers)

    return Route(PATH, calendar, methods=["GET", "HEAD"])


def _text(key: str, status: int, headers: dict[str, str] | None = None) -> Response:
    """A short plain-text answer in every language (whose feed it would be is not known)."""
    body = "\n".join(t(lang, key) for lang in LANGUAGES) + "\n"
    return PlainTextResponse(
        body, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})}
    )


def _matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 If-None-Match: "*" or any listed tag, compared weakly (a W/ prefix does not matter)."""
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags
