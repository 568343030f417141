"""IMAP end to end: a mail in the bot's mailbox on a real Dovecot is read, stored, filed and marked —
with the reading position in the database, so a restarted bot does not read it again."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.bootstrap import App
from bot.channels.imap import ImapAccount, ImapChannel
from bot.crm.models import Activity, EmailMessage, ImapState
from bot.mailroom import DatabaseImapState
from tests.support.dovecot import PASSWORD, Dovecot
from tests.support.factories import company, person, user
from tests.support.mail import Room, mail


def _account(server: Dovecot) -> ImapAccount:
    return ImapAccount(
        name="crm-inbox",
        host="127.0.0.1",
        port=server.port,
        security="plain",
        user="alice",
        password=PASSWORD,
        move_to="Archiv",
    )


def test_mail_in_the_mailbox_is_filed_marked_and_not_read_twice(sqlite_app: App, dovecot: Dovecot) -> None:
    app = sqlite_app
    with app.uow() as uow:
        user(uow.session, "anna", emails=["anna@nordlicht.example"])
        acme = company(uow.session, "ACME GmbH")
        person(uow.session, "Max", "Mustermann", acme, email="max.mustermann@acme.example")
        uow.commit()
    dovecot.deliver(
        "alice",
        mail(
            "anna@nordlicht.example",
            "max.mustermann@acme.example",
            "Angebot per IMAP",
            message_id="<imap-1@x>",
        ),
    )
    (delivered,) = dovecot.messages("alice")  # UIDs go on across tests: the server keeps UIDNEXT
    room = Room(app)
    state = DatabaseImapState(app)

    async def one_pass() -> int:
        return await ImapChannel(_account(dovecot), room.room.accept, state, clock=app.clock.now).check_once()

    assert asyncio.run(one_pass()) == 1
    (outcome,) = room.room.process_pending()
    assert outcome.status == "archived"
    assert outcome.thirdparty is not None
    assert outcome.thirdparty[1] == "ACME GmbH"
    (moved,) = dovecot.messages("alice", "Archiv")
    assert moved.seen
    assert dovecot.messages("alice") == []
    with app.uow() as uow:
        row = uow.session.scalars(select(EmailMessage)).one()
        position = uow.session.scalars(select(ImapState)).one()
        event = uow.session.scalars(select(Activity).where(Activity.email_message_id == "<imap-1@x>")).one()
    assert row.received_via == "imap"
    assert row.source is not None
    assert row.source.startswith("imap:crm-inbox:")
    assert (position.account, position.last_uid) == ("crm-inbox", delivered.uid)
    assert event.label == "Angebot per IMAP"
    # a restarted bot (new channel, same database) finds nothing new
    assert asyncio.run(one_pass()) == 0
