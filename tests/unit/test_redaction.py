"""Secrets never reach the log: the filter `crmbot run` puts on every handler."""

from __future__ import annotations

import logging

import pytest

from bot.runner import RedactSecrets


def test_tokens_in_any_log_line_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    token = "123456:AAH-secret-bot-token"
    redact = RedactSecrets([token, "xoxb-1-2-3", "short"])
    caplog.handler.addFilter(redact)
    log = logging.getLogger("httpx")
    with caplog.at_level(logging.INFO, logger="httpx"):  # whatever level an earlier test left on httpx
        log.info("HTTP Request: POST https://api.telegram.org/bot%s/getMe 200", token)
        log.info("Authorization: Bearer xoxb-1-2-3 and a short word")
    assert token not in caplog.text
    assert "xoxb-1-2-3" not in caplog.text
    assert "bot[redacted]/getMe" in caplog.text
    assert "a short word" in caplog.text  # values under 6 characters are not treated as secrets
