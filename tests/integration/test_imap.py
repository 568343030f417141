"""The IMAP channel against a real Dovecot on 127.0.0.1: fetch without \\Seen, file only after accept, IDLE,
dropped connections, UIDVALIDITY, refused logins, TLS, and 8-bit mail byte for byte.

The server is started once per session (tests/support/dovecot.py) and emptied before each test. Without
Dovecot these tests skip, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any

import pytest

from bot.channels.imap import (
    AcceptFailedError,
    ImapAccount,
    ImapChannel,
    ImapCommandError,
    ImapConnectionError,
    ImapError,
    encode_mailbox,
)
from bot.channels.imap_session import parse_fetched_body, parse_search
from bot.messages import RawMail
from tests.conftest import NOW
from tests.support.dovecot import PASSWORD, Dovecot, free_port

FAST_BACKOFF = (0.05, 0.1, 0.2)


# -- fakes and helpers ---------------------------------------------------------------------------------------


class MemoryState:
    """ImapState in a dict, as the database table would keep it."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[int | None, int]] = {}

    def load(self, account: str) -> tuple[int | None, int]:
        return self.rows.get(account, (None, 0))

    def save(self, account: str, uidvalidity: int, last_uid: int) -> None:
        self.rows[account] = (uidvalidity, last_uid)


class Intake:
    """The accept side: records every RawMail it stores; can refuse the first ``fail`` calls."""

    def __init__(self, fail: int = 0, before: Callable[[RawMail], Awaitable[None]] | None = None) -> None:
        self.stored: list[RawMail] = []
        self.refused: list[RawMail] = []
        self.fail = fail
        self.before = before

    async def __call__(self, raw: RawMail) -> None:
        if self.before:
            await self.before(raw)
        if self.fail:
            self.fail -= 1
            self.refused.append(raw)
            raise OSError("database unavailable")
        self.stored.append(raw)

    @property
    def message_ids(self) -> list[str]:
        return [message_id(raw.data) for raw in self.stored]


def message_id(data: bytes) -> str:
    match = re.search(rb"^Message-ID: (\S+)", data, re.MULTILINE | re.IGNORECASE)
    return match.group(1).decode() if match else ""


def mail(n: int, subject: str = "Angebot Q1") -> bytes:
    return (
        f"Message-ID: <{n}@acme.example>\r\n"
        "From: Max Mustermann <max@acme.example>\r\n"
        "To: Anna Berger <anna@firma.example>\r\n"
        "Bcc: crm@firma.example\r\n"
        f"Subject: {subject} ({n})\r\n"
        "Date: Mon, 23 Nov 2026 09:00:00 +0100\r\n"
        "\r\n"
        "Hallo Anna, anbei das Angebot.\r\n"
    ).encode()


def account(server: Dovecot, user: str = "alice", **overrides: Any) -> ImapAccount:
    settings: dict[str, Any] = {
        "name": f"{user}-inbox",
        "host": "127.0.0.1",
        "port": server.port,
        "security": "plain",
        "user": user,
        "password": PASSWORD,
    }
    settings.update(overrides)
    return ImapAccount(**settings)


def channel_for(imap: ImapAccount, intake: Intake, state: MemoryState, timeout: float = 5) -> ImapChannel:
    return ImapChannel(imap, intake, state, clock=lambda: NOW, backoff=FAST_BACKOFF, timeout=timeout)


@asynccontextmanager
async def running(channel: ImapChannel) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(channel.run())
    try:
        yield task
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


async def eventually(
    condition: Callable[[], bool], what: str, task: asyncio.Task[None] | None = None, timeout: float = 5.0
) -> float:
    """Wait until ``condition()`` holds; the seconds it took. Fails if ``task`` (the channel) ended."""
    start = time.monotonic()
    while not condition():
        if task is not None and task.done():
            raise AssertionError(f"the channel stopped while waiting for {what}: {task!r}")
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)
    return time.monotonic() - start


# -- fetching and filing -------------------------------------------------------------------------------------


async def test_new_mail_is_fetched_without_seen_and_flagged_seen_only_after_accept(dovecot: Dovecot) -> None:
    dovecot.deliver("alice", mail(1))
    dovecot.deliver("alice", mail(2))
    flags_during_accept: list[list[bool]] = []

    async def look_at_the_mailbox(raw: RawMail) -> None:
        flags_during_accept.append([m.seen for m in dovecot.messages("alice")])

    intake, state = Intake(before=look_at_the_mailbox), MemoryState()
    channel = channel_for(account(dovecot), intake, state)

    assert await channel.check_once() == 2

    # each message was still unseen while it was being stored, and was flagged right after
    assert flags_during_accept == [[False, False], [True, False]]
    stored = dovecot.messages("alice")
    assert [m.seen for m in stored] == [True, True]
    uidvalidity = dovecot.uidvalidity("alice")
    assert intake.message_ids == ["<1@acme.example>", "<2@acme.example>"]
    first = intake.stored[0]
    assert first.received_via == "imap"
    assert first.source == f"imap:alice-inbox:{uidvalidity}:{stored[0].uid}"
    assert first.received_at == NOW
    assert first.envelope_from is None
    assert first.envelope_to == ()
    assert state.rows["alice-inbox"] == (uidvalidity, stored[1].uid)
    status = channel.status
    assert (status.accepted, status.last_uid, status.uidvalidity, status.passes) == (
        2,
        stored[1].uid,
        uidvalidity,
        1,
    )
    assert status.last_error is None
    assert not status.connected  # check_once logs out

    assert await channel.check_once() == 0  # nothing new, nothing fetched twice
    assert len(intake.stored) == 2


async def test_mail_already_read_in_a_mail_client_is_still_fetched(dovecot: Dovecot) -> None:
    dovecot.deliver("alice", mail(1))
    dovecot.doveadm("flags", "add", "-u", "alice", "\\Seen", "mailbox", "INBOX", "all")
    intake = Intake()

    assert await channel_for(account(dovecot), intake, MemoryState()).check_once() == 1

    assert intake.message_ids == ["<1@acme.example>"]


async def test_filed_mail_is_moved_to_the_archive_folder_created_on_first_use(dovecot: Dovecot) -> None:
    archive = "Abgelegt (CRM) für Kunden & Partner"
    dovecot.deliver("alice", mail(1))
    dovecot.deliver("alice", mail(2))
    assert archive not in dovecot.folders("alice")
    intake = Intake()
    channel = channel_for(account(dovecot, move_to=archive), intake, MemoryState())

    assert await channel.check_once() == 2

    assert archive in dovecot.folders("alice")
    assert dovecot.messages("alice") == []
    moved = dovecot.messages("alice", archive)
    assert [m.message_id for m in moved] == ["<1@acme.example>", "<2@acme.example>"]
    assert all(m.seen for m in moved)

    dovecot.deliver("alice", mail(3))  # the folder exists now: used as it is
    assert await channel.check_once() == 1
    assert [m.message_id for m in dovecot.messages("alice", archive)][-1] == "<3@acme.example>"


async def test_a_server_without_idle_move_or_uidplus_is_polled_and_filed_by_copy_and_expunge(
    dovecot: Dovecot,
) -> None:
    dovecot.deliver("legacy", mail(1))
    intake = Intake()
    channel = channel_for(
        account(dovecot, "legacy", move_to="Archive", poll_seconds=0.2), intake, MemoryState()
    )

    async with running(channel) as task:
        await eventually(lambda: len(intake.stored) == 1, "the first mail", task)
        dovecot.deliver("legacy", mail(2))
        await eventually(lambda: len(intake.stored) == 2, "a mail found by polling", task, timeout=3)
        assert not channel.status.idling
        await eventually(lambda: channel.status.passes >= 3, "another poll", task)

    assert intake.message_ids == ["<1@acme.example>", "<2@acme.example>"]
    assert dovecot.messages("legacy") == []
    archived = dovecot.messages("legacy", "Archive")
    assert [(m.message_id, m.seen) for m in archived] == [
        ("<1@acme.example>", True),
        ("<2@acme.example>", True),
    ]


async def test_an_8bit_message_that_is_not_utf8_arrives_byte_identical(dovecot: Dovecot) -> None:
    raw = (
        b"Message-ID: <latin1@kunde.example>\r\n"
        b"From: =?iso-8859-1?q?J=FCrgen_M=FCller?= <j.mueller@kunde.example>\r\n"
        b"Subject: Stra\xdfenbau Angebot \xe4\xf6\xfc\r\n"  # raw 8-bit in a header: broken, but it happens
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n"
        b"\r\n"
        b"Gr\xfc\xdfe aus M\xfcnchen, Preis 1.200 \x80 netto.\r\n"
        b"Not UTF-8 at all: \xff\xfe\xc3\x28 \xa0\r\n"
        b"\tTabs,  trailing spaces   \r\n"
        b".\r\n"
        b"x" * 990 + b"\r\n"
    )
    dovecot.deliver("alice", raw)
    intake = Intake()

    assert await channel_for(account(dovecot), intake, MemoryState()).check_once() == 1

    assert intake.stored[0].data == raw


# -- accept failures -----------------------------------------------------------------------------------------


async def test_when_accept_fails_nothing_is_marked_and_the_mail_is_accepted_once_on_the_next_pass(
    dovecot: Dovecot,
) -> None:
    dovecot.deliver("alice", mail(1))
    dovecot.deliver("alice", mail(2))
    intake, state = Intake(fail=1), MemoryState()
    channel = channel_for(account(dovecot, move_to="Archive"), intake, state)

    with pytest.raises(AcceptFailedError) as failed:
        await channel.check_once()

    first_uid = dovecot.messages("alice")[0].uid
    assert failed.value.uid == first_uid
    assert isinstance(failed.value.__cause__, OSError)
    assert [m.seen for m in dovecot.messages("alice")] == [False, False]  # untouched, still in INBOX
    assert dovecot.messages("alice", "Archive") == []
    assert state.rows["alice-inbox"][1] == 0  # the position did not move
    assert intake.stored == []
    assert channel.status.last_error == f"accept failed for uid {first_uid}: OSError"

    assert await channel.check_once() == 2

    assert intake.message_ids == ["<1@acme.example>", "<2@acme.example>"]  # each accepted once
    assert [message_id(r.data) for r in intake.refused] == ["<1@acme.example>"]
    assert dovecot.messages("alice") == []
    assert all(m.seen for m in dovecot.messages("alice", "Archive"))


async def test_the_running_channel_retries_a_failed_accept_with_backoff(dovecot: Dovecot) -> None:
    dovecot.deliver("alice", mail(1))
    intake = Intake(fail=2)
    channel = channel_for(account(dovecot), intake, MemoryState())

    async with running(channel) as task:
        await eventually(lambda: len(intake.stored) == 1, "the mail to be stored on the third try", task)
        await eventually(lambda: channel.status.idling, "the channel to idle again", task)
        status = channel.status

    assert len(intake.refused) == 2
    assert intake.message_ids == ["<1@acme.example>"]
    assert dovecot.messages("alice")[0].seen
    assert status.failures == 0  # reset by the successful pass
    assert status.last_error is not None
    assert status.last_error.startswith("accept failed for uid")


# -- IDLE and dropped connections ----------------------------------------------------------------------------


async def test_idle_delivers_a_mail_that_arrives_while_idling_within_seconds(dovecot: Dovecot) -> None:
    intake = Intake()
    # poll_seconds is long: only the IDLE push can explain a quick delivery
    channel = channel_for(account(dovecot, poll_seconds=60), intake, MemoryState())

    async with running(channel) as task:
        await eventually(lambda: channel.status.idling, "the channel to idle", task)
        assert channel.status.healthy
        dovecot.deliver("alice", mail(1))
        took = await eventually(lambda: len(intake.stored) == 1, "the pushed mail", task)
        await eventually(lambda: channel.status.idling, "the channel to idle again", task)
        await eventually(lambda: dovecot.messages("alice")[0].seen, "the mail to be flagged", task)

    assert took < 3
    assert intake.message_ids == ["<1@acme.example>"]


async def test_keepalives_while_idling_neither_end_the_idle_nor_start_a_pass(dovecot: Dovecot) -> None:
    intake = Intake()
    channel = channel_for(account(dovecot, poll_seconds=60), intake, MemoryState())

    async with running(channel) as task:
        await eventually(lambda: channel.status.idling, "the channel to idle", task)
        await asyncio.sleep(1.5)  # the test server sends "* OK Still here" every second
        assert channel.status.passes == 1
        assert channel.status.idling
        assert channel.status.last_error is None
        dovecot.deliver("alice", mail(1))
        await eventually(lambda: len(intake.stored) == 1, "the mail", task)


async def test_idle_is_renewed_every_poll_interval_with_a_pass_each_time(dovecot: Dovecot) -> None:
    intake = Intake()
    channel = channel_for(account(dovecot, poll_seconds=0.2), intake, MemoryState())

    async with running(channel) as task:
        await eventually(lambda: channel.status.passes >= 4, "IDLE to be renewed a few times", task)
        assert channel.status.failures == 0
        assert channel.status.last_error is None


async def test_a_kicked_connection_is_reopened_and_the_mail_still_arrives(dovecot: Dovecot) -> None:
    intake = Intake()
    channel = channel_for(account(dovecot), intake, MemoryState())

    async with running(channel) as task:
        await eventually(lambda: channel.status.idling, "the channel to idle", task)
        dovecot.kick("alice")
        dovecot.deliver("alice", mail(1))
        await eventually(lambda: len(intake.stored) == 1, "the mail after reconnecting", task)
        await eventually(lambda: channel.status.idling, "the channel to idle again", task)
        status = channel.status

    assert status.last_error is not None
    assert "closed the connection" in status.last_error or "connection lost" in status.last_error
    assert status.failures == 0
    assert intake.message_ids == ["<1@acme.example>"]
    assert dovecot.messages("alice")[0].seen


async def test_a_connection_lost_while_storing_loses_nothing_and_marks_nothing_early(
    dovecot: Dovecot,
) -> None:
    dovecot.deliver("alice", mail(1))
    dovecot.deliver("alice", mail(2))
    seen_while_storing: list[tuple[str, bool]] = []
    kicked = False
    channel: ImapChannel

    async def drop_the_connection_once(raw: RawMail) -> None:
        nonlocal kicked
        seen = {m.message_id: m.seen for m in dovecot.messages("alice")}
        seen_while_storing.append((message_id(raw.data), seen[message_id(raw.data)]))
        if not kicked:
            kicked = True
            dovecot.kick("alice")  # the server goes away while intake is still storing the first mail
            await eventually(lambda: not channel.status.connected, "the channel to notice")

    intake = Intake(before=drop_the_connection_once)
    state = MemoryState()
    channel = channel_for(account(dovecot), intake, state)

    last_uid = dovecot.messages("alice")[-1].uid
    async with running(channel) as task:
        await eventually(
            lambda: state.rows.get("alice-inbox", (0, 0))[1] == last_uid, "both mails handled", task
        )

    # stored, but flagging failed with the connection: fetched again (intake de-duplicates by Message-ID)
    assert intake.message_ids == ["<1@acme.example>", "<1@acme.example>", "<2@acme.example>"]
    assert all(not seen for _, seen in seen_while_storing)  # never flagged before it was stored
    assert all(m.seen for m in dovecot.messages("alice"))


async def test_a_server_restart_costs_nothing_mail_delivered_meanwhile_arrives(dovecot: Dovecot) -> None:
    dovecot.deliver("alice", mail(1))
    intake = Intake()
    # A connection made while the old server shuts down may never be greeted: give up on it quickly.
    channel = channel_for(account(dovecot), intake, MemoryState(), timeout=0.5)

    async with running(channel) as task:
        await eventually(lambda: channel.status.idling and len(intake.stored) == 1, "the first mail", task)
        await asyncio.to_thread(dovecot.stop)  # the loop keeps running: the channel sees the drop and retries
        dovecot.deliver("alice", mail(2))  # the MTA keeps delivering into the maildir
        await eventually(lambda: channel.status.failures >= 2, "failed reconnects", task)
        assert not channel.status.connected
        assert channel.status.retry_in in FAST_BACKOFF
        await asyncio.to_thread(dovecot.start)
        await eventually(lambda: len(intake.stored) == 2, "the mail delivered during the restart", task)
        await eventually(lambda: channel.status.healthy, "the channel to be healthy", task)

    assert intake.message_ids == ["<1@acme.example>", "<2@acme.example>"]
    assert all(m.seen for m in dovecot.messages("alice"))


# -- position, UIDVALIDITY -----------------------------------------------------------------------------------


async def test_the_position_is_kept_a_new_channel_with_the_same_state_fetches_only_new_mail(
    dovecot: Dovecot,
) -> None:
    dovecot.deliver("alice", mail(1))
    dovecot.deliver("alice", mail(2))
    state = MemoryState()
    first = Intake()
    assert await channel_for(account(dovecot), first, state).check_once() == 2

    dovecot.deliver("alice", mail(3))
    second = Intake()
    restarted = channel_for(account(dovecot), second, state)  # e.g. after a restart of the bot

    assert await restarted.check_once() == 1
    assert second.message_ids == ["<3@acme.example>"]
    assert await restarted.check_once() == 0


async def test_a_new_uidvalidity_resets_the_position_and_the_folder_is_read_again(dovecot: Dovecot) -> None:
    dovecot.deliver("alice", mail(1))
    dovecot.deliver("alice", mail(2))
    intake, state = Intake(), MemoryState()
    channel = channel_for(account(dovecot), intake, state)
    assert await channel.check_once() == 2
    old = dovecot.uidvalidity("alice")

    dovecot.set_uidvalidity("alice", old + 1000)  # a restored or rebuilt mailbox: old UIDs mean nothing

    assert await channel.check_once() == 2
    assert intake.message_ids[2:] == ["<1@acme.example>", "<2@acme.example>"]  # intake de-duplicates these
    assert all(
        raw.source and raw.source.startswith(f"imap:alice-inbox:{old + 1000}:") for raw in intake.stored[2:]
    )
    assert state.rows["alice-inbox"] == (old + 1000, dovecot.messages("alice")[-1].uid)
    assert channel.status.uidvalidity == old + 1000
    assert await channel.check_once() == 0


async def test_a_stored_position_from_another_uidvalidity_is_not_trusted(dovecot: Dovecot) -> None:
    dovecot.deliver("alice", mail(1))
    state = MemoryState()
    state.save("alice-inbox", 12345, 99)  # far beyond every UID in this folder
    intake = Intake()

    assert await channel_for(account(dovecot), intake, state).check_once() == 1

    assert state.rows["alice-inbox"] == (dovecot.uidvalidity("alice"), dovecot.messages("alice")[0].uid)


# -- refusals and TLS ----------------------------------------------------------------------------------------


async def test_a_refused_login_shows_in_status_and_is_retried_with_backoff(
    dovecot: Dovecot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.channels")
    dovecot.deliver("alice", mail(1))
    intake = Intake()
    channel = channel_for(account(dovecot, password="n3w-Passw0rd!"), intake, MemoryState())

    async with running(channel) as task:
        await eventually(lambda: channel.status.failures >= 4, "four refused logins", task)
        status = channel.status
        assert not status.connected
        assert status.last_error is not None
        assert status.last_error.startswith("login refused by 127.0.0.1")
        assert "AUTHENTICATIONFAILED" in status.last_error
        assert status.retry_in == FAST_BACKOFF[-1]  # the sequence ran out: it stays at the last delay
        assert intake.stored == []

        dovecot.set_password("alice", "n3w-Passw0rd!")  # the admin fixes the mailbox: the channel recovers
        await eventually(lambda: len(intake.stored) == 1, "the mail after the password change", task)
        await eventually(lambda: channel.status.healthy, "the channel to be healthy", task)

    assert "n3w-Passw0rd!" not in caplog.text
    assert "login refused" in caplog.text
    assert "n3w-Passw0rd!" not in repr(channel.account)


async def test_a_missing_folder_is_a_clear_error(dovecot: Dovecot) -> None:
    channel = channel_for(account(dovecot, folder="Kunden"), Intake(), MemoryState())

    with pytest.raises(ImapCommandError, match="SELECT refused"):
        await channel.check_once()

    assert channel.status.last_error is not None
    assert channel.status.last_error.startswith("SELECT refused")


async def test_an_unreachable_server_is_a_connection_error() -> None:
    imap = ImapAccount("nowhere", "127.0.0.1", free_port(), "plain", "alice", PASSWORD)
    channel = ImapChannel(imap, Intake(), MemoryState(), timeout=2)

    with pytest.raises(ImapConnectionError, match="connection failed"):
        await channel.check_once()


@pytest.mark.parametrize("security", ["starttls", "ssl"])
async def test_tls_connections_with_a_trusted_certificate(dovecot: Dovecot, security: str) -> None:
    if dovecot.tls_port is None:
        pytest.skip("openssl is not installed: the test server has no certificate")
    port = dovecot.tls_port if security == "ssl" else dovecot.port
    dovecot.deliver("alice", mail(1))
    intake = Intake()
    imap = account(dovecot, port=port, security=security, ssl_context=dovecot.client_ssl_context())

    assert await channel_for(imap, intake, MemoryState()).check_once() == 1

    assert intake.message_ids == ["<1@acme.example>"]


@pytest.mark.parametrize("security", ["starttls", "ssl"])
async def test_an_untrusted_certificate_is_refused(dovecot: Dovecot, security: str) -> None:
    if dovecot.tls_port is None:
        pytest.skip("openssl is not installed: the test server has no certificate")
    port = dovecot.tls_port if security == "ssl" else dovecot.port
    channel = channel_for(account(dovecot, port=port, security=security), Intake(), MemoryState())

    with pytest.raises(ImapConnectionError, match="TLS failed"):
        await channel.check_once()  # the system CAs do not know the test server's certificate


# -- without a server ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "wire"),
    [
        ("INBOX", '"INBOX"'),
        ("Abgelegt", '"Abgelegt"'),
        ("Geschäftlich", '"Gesch&AOQ-ftlich"'),
        ("R&D", '"R&-D"'),
        ("日本語", '"&ZeVnLIqe-"'),
        ('Say "hi"\\', '"Say \\"hi\\"\\\\"'),
    ],
)
def test_folder_names_are_quoted_in_modified_utf7(name: str, wire: str) -> None:
    assert encode_mailbox(name) == wire


def test_a_fetched_body_is_found_by_uid_among_unsolicited_fetch_responses() -> None:
    body = bytearray(b"Subject: x\r\n\r\nhi\r\n")
    lines = [
        b"3 FETCH (FLAGS (\\Seen) UID 3)",  # another client read message 3 meanwhile
        b"4 FETCH (BODY[] {19}",  # some servers put the UID after the literal
        body,
        b" UID 7)",
        b"Fetch completed",
    ]
    assert parse_fetched_body(lines, 7) == bytes(body)
    assert parse_fetched_body([b"Fetch completed"], 7) is None  # expunged: nothing to fetch
    assert parse_fetched_body([b'4 FETCH (UID 7 BODY[] "")', b"Fetch completed"], 7) == b""
    with pytest.raises(ImapError, match="without a message body"):
        parse_fetched_body([b"4 FETCH (UID 7 FLAGS ())", b"Fetch completed"], 7)


def test_search_results_are_sorted_uids_without_the_completion_line() -> None:
    assert parse_search([b"9 3 12", b"Search completed (0.001 + 0.000 secs)."]) == [3, 9, 12]
    assert parse_search([b"", b"Search completed (0.001 + 0.000 secs)."]) == []


def test_an_account_with_an_unknown_security_mode_or_a_circular_move_is_refused() -> None:
    with pytest.raises(ValueError, match="security"):
        ImapAccount("x", "imap.example", 993, "tls", "u", "p")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="move_to"):
        ImapAccount("x", "imap.example", 993, "ssl", "u", "p", move_to="INBOX")
