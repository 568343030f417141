"""Slack end to end at the wire level: signed HTTP requests to the running app (uvicorn + bolt), the bot's
Web API calls recorded by a fake Slack on 127.0.0.1, and the CRM database checked after each step."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import ClientSession
from sqlalchemy import func, select

pytest.importorskip("slack_bolt", reason="slack_bolt is not installed (pip install crmbot[slack])")

from bot.bootstrap import App
from bot.channels.slack import MODAL_ID, SHORTCUT_ID, SlackChannel, SlackSettings
from bot.crm import linking
from bot.crm.models import Activity, ActivityType, ChannelIdentity, ThirdParty
from bot.metrics import Metrics
from tests.conftest import NOW
from tests.support.chat_http import serving
from tests.support.factories import company, person, user
from tests.support.fake_slack import (
    FakeSlack,
    action_body,
    command_body,
    content_type,
    deliver,
    dm_event,
    event_body,
    mention_event,
    payload_of,
    shortcut_body,
    sign,
    view_submission_body,
)

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@dataclass
class Env:
    app: App
    slack: FakeSlack
    url: str
    metrics: Metrics
    channel: SlackChannel

    async def send(self, body: str, **kw: Any) -> tuple[int, str]:
        return await deliver(f"{self.url}/slack/events", body, SECRET, **kw)

    def posts(self) -> list[dict[str, Any]]:
        """The messages the bot posted, each with the ts Slack gave it."""
        calls = [c for c in self.slack.called("chat.postMessage") if c.response and c.response.get("ok")]
        return [{**c.params, "ts": c.response["ts"]} for c in calls if c.response]

    async def next_post(self, count: int) -> dict[str, Any]:
        """Wait until the bot has posted *count* messages; the last one."""
        await self.slack.wait_for(lambda: len(self.posts()) >= count)
        return self.posts()[count - 1]


def seed(app: App) -> None:
    with app.uow() as uow:
        s = uow.session
        user(s, "anna", name="Anna Berger", language="en", emails=["anna@ourco.example"])
        user(s, "bob", name="Bob Miller", language="de", emails=["bob@ourco.example"])
        acme = company(s, "ACME GmbH")
        soylent = company(s, "Soylent GmbH")
        company(s, "Schmidt & Partner <b>Beratung</b>")
        person(s, "Max", "Mustermann", acme)
        person(s, "Max", "Weber", soylent)
        uow.commit()


def count(app: App, model: type, *where: Any) -> int:
    with app.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def running(app: App, slack: FakeSlack, *, app_token: str | None = None) -> AsyncIterator[Env]:
    settings = SlackSettings(
        bot_token="xoxb-test",
        signing_secret=None if app_token else SECRET,
        app_token=app_token,
        api_url=slack.api_url,
    )
    async with serving(
        app,
        lambda gateway: SlackChannel(settings, gateway),
        lambda channel: {"slack": channel.handle_http if channel.serves_http else None},
    ) as (channel, url, metrics):
        yield Env(app, slack, url, metrics, channel)


@pytest.fixture
async def env(sqlite_app: App) -> AsyncIterator[Env]:
    seed(sqlite_app)
    users = {
        "U1": {"email": "anna@ourco.example", "real_name": "Anna Berger"},
        "U2": {"email": "bob@ourco.example", "real_name": "Bob Miller"},
        "U9": {"email": "stranger@elsewhere.example", "real_name": "Eve Stranger"},
    }
    async with FakeSlack(users=users) as slack:
        async for ready in running(sqlite_app, slack):
            yield ready


def button(post: dict[str, Any], label: str) -> dict[str, Any]:
    for block in post["blocks"]:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element["text"]["text"] == label:
                return dict(element)
    raise AssertionError(f"no button {label!r} in {post['blocks']}")


async def press(env: Env, post: dict[str, Any], label: str, *, user: str = "U1") -> tuple[int, str]:
    """Click a button of a message the bot posted, as Slack sends it (block_actions)."""
    element = button(post, label)
    payload = payload_of(
        action_body(element["action_id"], element["value"], user=user, channel=post["channel"])
    )
    payload["container"]["message_ts"] = post["ts"]
    payload["message"] = {"ts": post["ts"], "text": post["text"], "blocks": post["blocks"]}
    if post.get("thread_ts"):
        payload["message"]["thread_ts"] = post["thread_ts"]
    payload["actions"][0]["text"] = element["text"]
    return await env.send(urlencode({"payload": json.dumps(payload)}))


async def test_dm_logs_a_call_and_the_undo_button_takes_it_back(env: Env) -> None:
    status, _ = await env.send(event_body(dm_event("called Max Mustermann at ACME, discussed pricing")))
    assert status == 200
    post = await env.next_post(1)
    assert post["channel"] == "D1"
    assert post["text"].startswith("Call logged: Max Mustermann, ACME GmbH")
    context = next(b for b in post["blocks"] if b["type"] == "context")["elements"][0]["text"]
    assert context.startswith("ACME GmbH · Mon 23 Nov")
    assert context.endswith("discussed pricing")
    assert count(env.app, Activity) == 1
    assert env.slack.called("users.info")[0].params["user"] == "U1"
    # known by the profile email; now linked, so reminders can find the DM
    assert count(env.app, ChannelIdentity, ChannelIdentity.external_id == "U1") == 1
    from bot.crm.models import User

    assert count(env.app, User, User.login == "anna", User.preferred_channel == "slack") == 1

    status, _ = await press(env, post, "Undo")
    assert status == 200
    undone = await env.next_post(2)
    assert undone["text"].startswith("Undone: ")
    assert count(env.app, Activity) == 0
    update = env.slack.called("chat.update")[-1].params
    assert update["ts"] == post["ts"]
    assert all(b["type"] != "actions" for b in update["blocks"])  # the pressed buttons are gone
    assert update["blocks"][-1]["elements"][0]["text"] == "<@U1> chose: Undo"


async def test_ambiguous_name_asks_with_buttons_and_the_choice_logs(env: Env) -> None:
    await env.send(event_body(dm_event("call with Max: prices for Q1")))
    question = await env.next_post(1)
    assert question["text"].startswith("Which Max?")
    assert count(env.app, Activity) == 0
    await press(env, question, "Max Weber (Soylent GmbH)")
    done = await env.next_post(2)
    assert done["text"].startswith("Call logged: Max Weber, Soylent GmbH")
    with env.app.uow() as uow:
        activity = uow.session.scalars(select(Activity)).one()
        assert activity.thirdparty is not None
        assert activity.thirdparty.name == "Soylent GmbH"


async def test_slash_command_answers_through_the_response_url(env: Env) -> None:
    await env.send(event_body(dm_event("called Max Mustermann at ACME about the renewal")))
    await env.next_post(1)
    status, body = await env.send(
        command_body("last contact ACME", response_url=env.slack.response_url("c1"))
    )
    assert status == 200  # acknowledged at once, the answer follows
    assert body == ""
    await env.slack.wait_for(lambda: len(env.slack.responses) == 1)
    name, response = env.slack.responses[0]
    assert name == "c1"
    assert response["response_type"] == "ephemeral"
    assert response["text"].startswith("Last contact with ACME GmbH")
    assert "call by Anna Berger with Max Mustermann" in response["text"]


async def test_mention_in_a_channel_is_answered_in_its_thread(env: Env) -> None:
    event = mention_event("<@UBOT> last contact Soylent", channel="C7", ts="1700000100.000200")
    await env.send(event_body(event, event_id="EvM1"))
    post = await env.next_post(1)
    assert post["channel"] == "C7"
    assert post["thread_ts"] == "1700000100.000200"
    assert post["text"] == "No contact with Soylent GmbH is logged yet."


async def test_plain_channel_messages_without_a_mention_are_ignored(env: Env) -> None:
    event = {**dm_event("called Max at ACME"), "channel": "C7", "channel_type": "channel"}
    status, _ = await env.send(event_body(event, event_id="EvC1"))
    assert status == 200
    await env.send(event_body(dm_event("last contact ACME"), event_id="EvC2"))
    await env.next_post(1)
    assert [p["channel"] for p in env.posts()] == ["D1"]
    assert count(env.app, Activity) == 0


async def test_unknown_user_is_refused_and_nothing_is_written(env: Env) -> None:
    await env.send(event_body(dm_event("called Max Mustermann at ACME", user="U9")))
    post = await env.next_post(1)
    assert post["text"].startswith("Sorry, I don't know you yet.")
    assert "link CODE" in post["text"]
    assert "Verknüpfungscode" in post["text"]
    assert count(env.app, Activity) == 0


async def test_link_code_links_an_account_without_a_matching_email(env: Env) -> None:
    with env.app.uow() as uow:
        bob = uow.session.scalar(select(ChannelIdentity).limit(1))
        assert bob is None
        from bot.crm import users

        code = linking.issue(uow.session, users.require_login(uow.session, "bob"), NOW)
        uow.commit()
    await env.send(event_body(dm_event(f"link {code}", user="U9"), event_id="EvL1"))
    linked = await env.next_post(1)
    assert linked["text"].startswith("Verknüpft: Du bist jetzt Bob Miller im CRM.")
    await env.send(
        event_body(dm_event("Letzter Kontakt ACME", user="U9", ts="1700000002.1"), event_id="EvL2")
    )
    answer = await env.next_post(2)
    assert answer["text"] == "Mit ACME GmbH ist noch kein Kontakt erfasst."
    await env.send(event_body(dm_event(f"link {code}", user="U2", ts="1700000003.1"), event_id="EvL3"))
    used = await env.next_post(3)
    assert (
        used["text"] == "Dieser Verknüpfungscode wurde schon benutzt. Bitte deinen CRM-Admin um einen neuen."
    )


async def test_forged_signature_and_stale_timestamp_are_401_and_nothing_happens(env: Env) -> None:
    body = event_body(dm_event("called Max Mustermann at ACME"))
    url = f"{env.url}/slack/events"
    async with ClientSession() as http:
        forged = {**sign("not-the-secret", body), "Content-Type": "application/json"}
        async with http.post(url, data=body, headers=forged) as response:
            assert response.status == 401
        async with http.post(url, data=body, headers={"Content-Type": "application/json"}) as response:
            assert response.status == 401
    status, _ = await env.send(body, timestamp=int(time.time()) - 301)
    assert status == 401
    status, _ = await env.send(event_body(dm_event("last contact ACME"), event_id="EvOK"))
    assert status == 200
    await env.next_post(1)
    assert len(env.posts()) == 1
    assert count(env.app, Activity) == 0


async def test_a_retried_event_is_handled_once(env: Env) -> None:
    body = event_body(dm_event("called Max Mustermann at ACME"), event_id="EvR1")
    assert (await env.send(body))[0] == 200
    await env.next_post(1)
    url = f"{env.url}/slack/events"
    headers = {**sign(SECRET, body), "Content-Type": content_type(body), "X-Slack-Retry-Num": "1"}
    headers["X-Slack-Retry-Reason"] = "http_timeout"
    async with ClientSession() as http, http.post(url, data=body, headers=headers) as response:
        assert response.status == 200
    # the same message under a new event id (a replay after a restart): the engine's dedup holds
    await env.send(event_body(dm_event("called Max Mustermann at ACME"), event_id="EvR2"))
    await env.send(event_body(dm_event("last contact ACME", ts="1700000009.1"), event_id="EvR3"))
    await env.next_post(2)
    assert count(env.app, Activity) == 1
    assert [p["text"].split(":")[0].splitlines()[0] for p in env.posts()] == [
        "Call logged",
        "Last contact with ACME GmbH",
    ]


async def test_markup_in_names_is_shown_as_text(env: Env) -> None:
    await env.send(event_body(dm_event("last contact Schmidt & Partner")))
    post = await env.next_post(1)
    dumped = json.dumps(post["blocks"])
    assert "<b>" not in dumped
    assert "Schmidt &amp; Partner &lt;b&gt;Beratung&lt;/b&gt;" in dumped
    # the top-level text (notifications) is mrkdwn too
    assert post["text"] == "No contact with Schmidt &amp; Partner &lt;b&gt;Beratung&lt;/b&gt; is logged yet."


async def test_log_to_crm_shortcut_files_the_message_as_a_note(env: Env) -> None:
    body = shortcut_body(SHORTCUT_ID, "ACME wants the offer by Friday, <@U2|bob> please check")
    status, _ = await env.send(body)
    assert status == 200
    post = await env.next_post(1)
    assert post["channel"] == "U1"  # the confirmation goes to the user's DM
    assert post["text"].startswith("Note saved")
    with env.app.uow() as uow:
        note = uow.session.scalars(select(Activity)).one()
        assert note.type_code == ActivityType.NOTE
        assert note.body == "ACME wants the offer by Friday, @bob please check"
        assert note.thirdparty is not None
        assert note.thirdparty.name == "ACME GmbH"


async def test_log_to_crm_asks_in_a_modal_when_the_message_names_nobody(env: Env) -> None:
    status, _ = await env.send(shortcut_body(SHORTCUT_ID, "they want a discount of 5 %"))
    assert status == 200
    await env.slack.wait_for(lambda: bool(env.slack.called("views.open")))
    view = env.slack.called("views.open")[0].params["view"]
    assert view["callback_id"] == MODAL_ID
    assert view["blocks"][2]["element"]["initial_value"] == "they want a discount of 5 %"
    assert count(env.app, Activity) == 0
    submit = view_submission_body(
        MODAL_ID,
        view["private_metadata"],
        {"thirdparty": {"value": "Soylent"}, "note": {"value": "they want a discount of 5 %"}},
    )
    status, _ = await env.send(submit)
    assert status == 200
    post = await env.next_post(1)
    assert post["text"].startswith("Note saved")
    with env.app.uow() as uow:
        note = uow.session.scalars(select(Activity)).one()
        assert note.thirdparty is not None
        assert note.thirdparty.name == "Soylent GmbH"
        assert note.body == "they want a discount of 5 %"


async def test_rate_limited_post_is_retried_after_retry_after(env: Env) -> None:
    env.slack.rate_limit("chat.postMessage", times=1, retry_after=0)
    await env.send(event_body(dm_event("last contact ACME")))
    await env.slack.wait_for(lambda: any(not c.limited for c in env.slack.called("chat.postMessage")))
    attempts = env.slack.called("chat.postMessage")
    assert [c.limited for c in attempts] == [True, False]


async def test_health_and_metrics(env: Env) -> None:
    await env.send(event_body(dm_event("called Max Mustermann at ACME")))
    await env.next_post(1)
    async with ClientSession() as http:
        async with http.get(f"{env.url}/healthz") as response:
            assert response.status == 200
            assert await response.json() == {"status": "ok", "database": "ok", "channels": ["slack"]}
        async with http.get(f"{env.url}/metrics") as response:
            text = await response.text()
    assert 'crmbot_messages_total{channel="slack",intent="log_call"} 1.0' in text
    assert 'crmbot_message_seconds_count{channel="slack"} 1.0' in text


async def test_socket_mode_receives_events_without_a_public_url(sqlite_app: App) -> None:
    seed(sqlite_app)
    async with FakeSlack(users={"U1": {"email": "anna@ourco.example", "real_name": "Anna"}}) as slack:
        async for env in running(sqlite_app, slack, app_token="xapp-1-test"):
            payload = json.loads(event_body(dm_event("called Max Mustermann at ACME"), event_id="EvS1"))
            envelope = await slack.push_envelope("events_api", payload)
            await slack.wait_ack(envelope)
            post = await env.next_post(1)
            assert post["text"].startswith("Call logged: Max Mustermann, ACME GmbH")
            assert count(sqlite_app, ThirdParty) == 3
            assert count(sqlite_app, Activity) == 1


async def test_a_reminder_in_the_slack_dm_is_done_with_its_button(env: Env) -> None:
    from bot.channels.mailer import FakeMailer
    from bot.crm.models import Percent, Reminder, ReminderStatus, User
    from bot.delivery import Delivery
    from bot.scheduler.reminders import ReminderSender

    await env.send(event_body(dm_event("remind me tomorrow at 9 to send the offer to ACME")))
    await env.next_post(1)  # Anna is now linked by her profile email
    with env.app.uow() as uow:
        reminder = uow.session.scalars(select(Reminder)).one()
        owner = uow.session.get(User, reminder.user_id)
        assert owner is not None
        owner.preferred_channel = "slack"
        due = reminder.due_at
        uow.commit()
    delivery = Delivery(env.app, {"slack": env.channel.send}, FakeMailer())
    assert await ReminderSender(env.app, delivery, worker="t").tick(due) == 1
    reminder_post = await env.next_post(2)
    assert reminder_post["channel"] == "U1"  # her DM
    assert reminder_post["text"].startswith("Reminder\nsend the offer to ACME")
    await press(env, reminder_post, "Done")
    done = await env.next_post(3)
    assert done["text"].startswith("Done: send the offer to ACME")
    with env.app.uow(read_only=True) as uow:
        reminder = uow.session.scalars(select(Reminder)).one()
        assert reminder.status == ReminderStatus.SENT
        assert reminder.activity is not None
        assert reminder.activity.percent == Percent.DONE


async def test_a_digest_in_slack_acts_on_one_item_and_leaves_the_message(env: Env) -> None:
    from datetime import timedelta

    from bot.channels.mailer import FakeMailer
    from bot.crm.activities import log_activity
    from bot.crm.models import Percent, User
    from bot.delivery import Delivery
    from bot.scheduler.digest import DigestSender

    await env.send(event_body(dm_event("help")))
    await env.next_post(1)  # Anna is now linked by her profile email
    with env.app.uow() as uow:
        anna = uow.session.scalars(select(User).where(User.login == "anna")).one()
        anna.preferred_channel = "slack"
        acme = uow.session.scalars(select(ThirdParty).where(ThirdParty.name == "ACME GmbH")).one()
        todo = log_activity(
            uow.session,
            type_code=ActivityType.NOTE,
            label="Send the offer",
            start_at=NOW - timedelta(days=1),
            owner=anna,
            thirdparty=acme,
            percent=Percent.TODO,
        )
        uow.commit()
        todo_id = todo.id
    sender = DigestSender(env.app, Delivery(env.app, {"slack": env.channel.send}, FakeMailer()), worker="t")
    assert await sender.tick(NOW) == 2  # 09:00 in Berlin: Anna in Slack, Bob (not linked) by email
    post = await env.next_post(2)
    assert post["channel"] == "U1"
    assert post["text"].startswith("Your day — Mon 23 Nov\nOne thing for today.")
    item = next(b for b in post["blocks"] if b.get("accessory"))
    assert item["text"]["text"] == "1. yesterday 09:00 · Send the offer (ACME GmbH)"
    menu = item["accessory"]
    assert menu["type"] == "overflow"
    assert [o["text"]["text"] for o in menu["options"]] == ["Done", "Tomorrow 09:00", "Next week"]
    payload = payload_of(action_body(menu["action_id"], "", channel="U1"))
    payload["message"] = {"ts": post["ts"], "text": post["text"], "blocks": post["blocks"]}
    payload["actions"][0] = {
        "type": "overflow",
        "action_id": menu["action_id"],
        "block_id": "b1",
        "selected_option": menu["options"][1],
        "action_ts": f"{time.time():.6f}",
    }
    status, _ = await env.send(urlencode({"payload": json.dumps(payload)}))
    assert status == 200
    answer = await env.next_post(3)
    assert answer["text"].startswith("Snoozed: Send the offer — I'll remind you tomorrow 09:00.")
    assert env.slack.called("chat.update") == []  # the digest stays as it was: other items are still open
    with env.app.uow(read_only=True) as uow:
        moved = uow.session.get(Activity, todo_id)
        assert moved is not None
        assert moved.start_at == NOW.replace(hour=8) + timedelta(days=1)
