"""parse_email never falls over: CPython's own email test data, and mutated, truncated and random bytes.

Every input gets a clear status: a ParsedEmail (whatever was wrong listed in ``defects``) or EmailParseError
when it is not an email at all. Nothing else may escape.
"""

from __future__ import annotations

import sysconfig
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.parsers.email import EmailParseError, ParsedEmail, parse_email

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "email"
CORPUS_FILES = sorted(CORPUS.glob("*.eml"))
CORPUS_BYTES = [path.read_bytes() for path in CORPUS_FILES]
CPYTHON_DATA = Path(sysconfig.get_paths()["stdlib"]) / "test" / "test_email" / "data"
CPYTHON_FILES = sorted(CPYTHON_DATA.glob("*")) if CPYTHON_DATA.is_dir() else []


def assert_sound(mail: ParsedEmail) -> None:
    """What every result promises, however broken the input."""
    assert isinstance(mail.text, str)
    assert isinstance(mail.summary, str)
    assert isinstance(mail.subject, str)
    assert isinstance(mail.first_line, str)
    assert len(mail.summary) <= 1000
    assert "\n" not in mail.first_line
    dates: list[datetime | None] = [mail.date, mail.forwarded.date if mail.forwarded else None]
    dates += [when for invite in mail.invites for when in (invite.start, invite.end)]
    assert all(d is None or d.utcoffset() is not None for d in dates), "aware datetimes only"
    for address in (*mail.to, *mail.cc, *mail.reply_to, *([mail.sender] if mail.sender else [])):
        assert address.email == address.email.lower()
        assert "@" in address.email
    for part in mail.attachments:
        assert isinstance(part.data, bytes)
        assert part.filename
    assert all(isinstance(defect, str) for defect in mail.defects)


def status(raw: bytes) -> str:
    try:
        mail = parse_email(raw)
    except EmailParseError:
        return "not an email"
    assert_sound(mail)
    return "parsed"


# -- CPython's email test data -------------------------------------------------------------------------------


@pytest.mark.skipif(not CPYTHON_FILES, reason=f"CPython's email test data is not installed ({CPYTHON_DATA})")
@pytest.mark.parametrize("path", CPYTHON_FILES, ids=[path.name for path in CPYTHON_FILES])
def test_cpython_email_test_data_gets_a_clear_status(path: Path) -> None:
    result = status(path.read_bytes())
    if not path.name.startswith("msg_"):  # images and sounds that the stdlib tests attach
        assert result == "not an email"


@pytest.mark.skipif(not CPYTHON_FILES, reason=f"CPython's email test data is not installed ({CPYTHON_DATA})")
def test_nearly_all_cpython_test_messages_are_emails() -> None:
    messages = [path for path in CPYTHON_FILES if path.name.startswith("msg_")]
    parsed = [path.name for path in messages if status(path.read_bytes()) == "parsed"]
    assert len(parsed) >= len(messages) - 2, "msg_19.txt is a digest fragment without headers"


# -- the corpus with other line ends -------------------------------------------------------------------------


@pytest.mark.parametrize("path", CORPUS_FILES, ids=[path.name for path in CORPUS_FILES])
def test_line_ends_do_not_change_the_result(path: Path) -> None:
    raw = path.read_bytes().replace(b"\r\n", b"\n")
    lf, crlf = parse_email(raw), parse_email(raw.replace(b"\n", b"\r\n"))
    assert (crlf.subject, crlf.sender, crlf.to, crlf.date) == (lf.subject, lf.sender, lf.to, lf.date)
    assert (crlf.summary, crlf.first_line, crlf.forwarded) == (lf.summary, lf.first_line, lf.forwarded)
    assert [a.data for a in crlf.attachments] == [a.data for a in lf.attachments]
    assert crlf.invites == lf.invites


# -- fuzzing -------------------------------------------------------------------------------------------------


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A corpus message, cut, spliced, overwritten or salted with random bytes, up to three times."""
    raw = bytearray(draw(st.sampled_from(CORPUS_BYTES)))
    for _ in range(draw(st.integers(1, 3))):
        if not raw:
            break
        at = draw(st.integers(0, len(raw) - 1))
        op = draw(st.sampled_from(["truncate", "delete", "insert", "overwrite", "duplicate", "newline"]))
        if op == "truncate":
            del raw[at:]
        elif op == "delete":
            del raw[at : at + draw(st.integers(1, 200))]
        elif op == "insert":
            raw[at:at] = draw(st.binary(min_size=1, max_size=40))
        elif op == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=20))
            raw[at : at + len(chunk)] = chunk
        elif op == "duplicate":
            raw[at:at] = raw[at : at + draw(st.integers(1, 400))]
        else:
            raw[at:at] = draw(st.sampled_from([b"\n", b"\r\n\r\n", b"\n--", b"=?utf-8?B?", b"\n\tx", b":"]))
    return bytes(raw)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_mail_never_raises_anything_but_email_parse_error(raw: bytes) -> None:
    status(raw)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise_anything_but_email_parse_error(raw: bytes) -> None:
    status(raw)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                b"From: =?utf-8?B?QsO2cmdl?= <a@b.example>\n",
                b'To: "x, y" <c@d.example>, ,, <>, @, e@\n',
                b"Subject: =?x?Q?=FF?= =?utf-8?B?=?=\n",
                b"Date: Mon, 99 Foo 2026 25:61:61 +9999\n",
                b'Content-Type: multipart/mixed; boundary="b"\n',
                b"Content-Type: text/calendar; method=REQUEST\n",
                b"Content-Type: message/rfc822\n",
                b"Content-Transfer-Encoding: base64\n",
                b"Content-Disposition: attachment; filename*0*=x''%FF; filename*1=y\n",
                b"\n",
                b"--b\n",
                b"--b--\n",
                b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;TZID=Nowhere:2026\nEND:VEVENT\n",
                b"---------- Forwarded message ---------\nFrom: x\nDate: 31.02.2026\n",
                b"> quoted\nOn Mon wrote:\n-- \n",
                b"\xff\xfe\x00garbage\x80\n",
            ]
        ),
        min_size=1,
        max_size=25,
    )
)
def test_mail_built_from_hostile_pieces_gets_a_clear_status(pieces: list[bytes]) -> None:
    status(b"".join(pieces))
