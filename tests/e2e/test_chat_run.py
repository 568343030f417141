"""`crmbot run` as an admin starts it: Slack and Telegram configured only through CRMBOT_* variables, the
APIs replaced by fakes on 127.0.0.1, the demo data loaded; then a clean stop on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import ClientError, ClientSession

pytest.importorskip("slack_bolt", reason="slack_bolt is not installed (pip install crmbot[slack])")
pytest.importorskip("telegram", reason="python-telegram-bot is not installed (pip install crmbot[telegram])")

from tests.support.fake_slack import FakeSlack, deliver, dm_event, event_body
from tests.support.fake_telegram import FakeTelegram
from tests.support.postgres import free_port

SECRET = "e2e-signing-secret"


async def _healthy(url: str, proc: asyncio.subprocess.Process, log: Path) -> None:
    async with ClientSession() as http:
        for _ in range(600):
            if proc.returncode is not None:
                raise AssertionError(f"crmbot run exited: {log.read_text()[-3000:]}")
            try:
                async with http.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return
            except ClientError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"crmbot run did not become healthy: {log.read_text()[-3000:]}")


async def test_crmbot_run_serves_slack_and_telegram_from_environment_settings(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRMBOT_")}
    env["CRMBOT_DATA_DIR"] = str(tmp_path / "data")
    env["CRMBOT_SMTP_LISTEN"] = "off"
    subprocess.run([sys.executable, "-m", "bot", "demo"], env=env, check=True, capture_output=True)
    linked = subprocess.run(
        [sys.executable, "-m", "bot", "user", "link-code", "anna"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    code = linked.stdout.split()[-1]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "run.log"
    users = {"U7": {"email": "bob@nordlicht.example", "real_name": "Bob"}}
    async with FakeSlack(users=users) as slack, FakeTelegram() as tg:
        env.update(
            {
                "CRMBOT_HTTP_LISTEN": f"127.0.0.1:{port}",
                "CRMBOT_SLACK_BOT_TOKEN": "xoxb-e2e",
                "CRMBOT_SLACK_SIGNING_SECRET": SECRET,
                "CRMBOT_SLACK_API_URL": slack.api_url,
                "CRMBOT_TELEGRAM_TOKEN": tg.token,
                "CRMBOT_TELEGRAM_API_URL": tg.base_url,
            }
        )
        with log.open("wb") as out:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=env, stdout=out, stderr=out
            )
        try:
            await _healthy(url, proc, log)
            # Slack: Bob is known by his profile email
            status, _ = await deliver(
                f"{url}/slack/events", event_body(dm_event("last contact ACME", user="U7")), SECRET
            )
            assert status == 200

            # Reminders and digests the scheduler sends meanwhile may come in between: find the answers
            def posted() -> list[str]:
                return [str(c.params.get("text", "")) for c in slack.called("chat.postMessage")]

            await slack.wait_for(
                lambda: any(t.startswith("Last contact with ACME GmbH") for t in posted()), 15
            )
            # Telegram: Anna links her account with the code from `crmbot user link-code`
            tg.push(tg.text_update(f"/start {code}", chat_id=500, user_id=500))
            linked_text = "Verknüpft: Du bist jetzt Anna Berger im CRM."
            await tg.wait_for(lambda: any(m["text"].startswith(linked_text) for m in tg.sent), timeout=15)
            tg.push(tg.text_update("/verlauf ACME", chat_id=500, user_id=500))
            history = "<b>Verlauf ACME GmbH</b>"
            await tg.wait_for(lambda: any(m["text"].startswith(history) for m in tg.sent), timeout=15)
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(proc.wait(), 20)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
    assert proc.returncode == 0, log.read_text()[-3000:]
    text = log.read_text()
    assert "xoxb-e2e" not in text
    assert tg.token not in text  # secrets never in the log
