"""Group commit at intake: mails arriving while a commit is under way are committed together, each
caller still answered with its own row only once it is committed, a failed commit fails exactly the
mails in it."""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
from sqlalchemy import select

from bot import mailroom
from bot.bootstrap import App
from bot.channels.mailer import FakeMailer
from bot.crm.audit import Actor
from bot.crm.mail import GroupIntake, Received
from bot.crm.models import EmailMessage, EmailStatus
from bot.mailroom import MailRoom
from bot.messages import RawMail
from storage import UnitOfWork
from tests.conftest import NOW
from tests.support.mail import BOT, SETTINGS, mail


class Gate:
    """A unit-of-work factory whose *hold*-th call waits until opened, or whose *fail*-th call fails."""

    def __init__(self, app: App, hold: int | None = None, fail: int | None = None) -> None:
        self.app, self.hold, self.fail = app, hold, fail
        self.calls = 0
        self.opened = threading.Event()
        self.entered = threading.Event()

    def __call__(self) -> UnitOfWork:
        self.calls += 1
        if self.calls == self.hold:
            self.entered.set()
            assert self.opened.wait(10)
        if self.calls == self.fail:
            raise RuntimeError("the database went away")
        return self.app.uow(Actor(None, "email"))


def raw(n: int) -> RawMail:
    data = mail("anna@nordlicht.example", "max@acme.example", f"Mail {n}", message_id=f"<group-{n}@x>")
    return RawMail(data, "smtp", NOW, envelope_from="anna@nordlicht.example", envelope_to=(BOT,))


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def send_while_the_first_commit_waits(
    app: App, gate: Gate, count: int
) -> tuple[GroupIntake, list[Future[Received]]]:
    """The first mail's commit held at *gate*; the others queue behind it; then the gate opens."""
    intake = GroupIntake(gate, app.documents)
    pool = ThreadPoolExecutor(count)
    futures = [pool.submit(intake.receive, raw(0))]
    assert gate.entered.wait(10)
    futures += [pool.submit(intake.receive, raw(n)) for n in range(1, count)]
    wait_until(lambda: intake.waiting == count - 1)
    assert not any(f.done() for f in futures)  # nobody answered before their row is committed
    gate.opened.set()
    pool.shutdown(wait=True)
    return intake, futures


def test_mails_arriving_during_a_commit_share_the_next_one_and_each_gets_its_own_row(app: App) -> None:
    intake, futures = send_while_the_first_commit_waits(app, Gate(app, hold=1), 8)
    assert intake.transactions == 2
    received = [f.result() for f in futures]
    with app.uow() as uow:
        rows = {r.id: r for r in uow.session.scalars(select(EmailMessage))}
    assert len(rows) == 8
    for n, answer in enumerate(received):
        expected = hashlib.sha256(raw(n).data).hexdigest()
        assert answer.sha256 == rows[answer.email_id].raw_sha256 == expected
        assert rows[answer.email_id].status == EmailStatus.RECEIVED
        assert app.documents.read(expected) == raw(n).data


def test_a_failed_commit_fails_exactly_its_mails_and_intake_goes_on(app: App) -> None:
    gate = Gate(app, hold=1, fail=2)  # the first commit waits, the second (the 5 queued) fails
    intake, futures = send_while_the_first_commit_waits(app, gate, 6)
    assert futures[0].result().email_id
    for future in futures[1:]:
        with pytest.raises(RuntimeError, match="went away"):
            future.result()
    later = intake.receive(raw(99))  # not stuck: the next mail leads its own commit
    with app.uow() as uow:
        ids = set(uow.session.scalars(select(EmailMessage.id)))
    assert ids == {futures[0].result().email_id, later.email_id}
    # the refused mails' bytes may stay in the store (content-addressed): the sender sends them again


async def test_filing_steps_back_while_a_mail_is_being_received(
    sqlite_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sender of a mail being received waits for its 250; a queued mail waits for nobody. But a
    flood that never pauses does not stop filing: it goes on after INTAKE_FIRST_SECONDS."""
    room = MailRoom(sqlite_app, FakeMailer(), SETTINGS)
    first, second = room.receive(raw(1)), room.receive(raw(2))
    worker = asyncio.create_task(room.run())  # files both (received, so the start-up scan finds them)
    try:
        await wait_for(lambda: room.handled == 2)

        gate, arriving = await refile_while_receiving(room, first, raw(3))
        await asyncio.sleep(0.3)
        assert room.handled == 2  # not filed while mail 3 is in flight
        gate.opened.set()
        await arriving
        await wait_for(lambda: room.handled == 3)

        monkeypatch.setattr(mailroom, "INTAKE_FIRST_SECONDS", 0.2)
        endless, stuck = await refile_while_receiving(room, second, raw(4))
        await wait_for(lambda: room.handled == 4)
        assert room.intake.in_flight == 1  # filed while mail 4 was still in flight
        endless.opened.set()
        await stuck
    finally:
        worker.cancel()


async def refile_while_receiving(
    room: MailRoom, email_id: int, arriving: RawMail
) -> tuple[Gate, asyncio.Task[Received]]:
    """*arriving* in flight (its commit held at the returned gate) while *email_id* is queued again."""
    gate = Gate(room.app, hold=1)
    room.intake = GroupIntake(gate, room.app.documents)
    task = asyncio.create_task(asyncio.to_thread(room.intake.receive, arriving))
    await asyncio.to_thread(gate.entered.wait, 10)
    with room.app.uow() as uow:  # back to ``received``, to be filed again
        row = uow.session.get(EmailMessage, email_id)
        assert row is not None
        row.status = EmailStatus.RECEIVED
        uow.commit()
    room.queue.put_nowait(email_id)
    return gate, task


async def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)
