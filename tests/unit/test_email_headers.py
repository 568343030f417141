"""Header values and charsets on their own: encoded words, address lists, dates, Message-IDs, bytes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.parsers.email import charset, headers, loose_date
from bot.parsers.email.model import Address

BERLIN_WINTER = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("=?utf-8?Q?Gr=C3=BC=C3=9Fe_aus_M=C3=BCnchen?=", "Grüße aus München"),
        ("=?UTF-8?B?R3LDvMOfZQ==?=", "Grüße"),
        ("=?utf-8?b?R3LDvMOfZQ?=", "Grüße"),  # lower-case b, padding missing
        ("=?iso-8859-1?q?M=FCller?= GmbH", "Müller GmbH"),
        ("=?utf-8?Q?a?= =?utf-8?Q?b?=", "ab"),  # whitespace between encoded words is dropped
        ("=?utf-8?Q?a?= und =?utf-8?Q?b?=", "a und b"),
        ("=?UTF-8?B?w5w=?=\n =?UTF-8?B?YmVyZ2FiZQ==?=", "Übergabe"),
        ("=?UTF-8?B?w6?= =?UTF-8?B?pA==?=", "ä"),  # a character split across two words
        ("=?utf-8*de?Q?Gr=C3=BC=C3=9Fe?=", "Grüße"),  # RFC 2231 language tag
        ("=?iso-8859-1?Q?Gr=C3=BC=C3=9Fe?=", "Grüße"),  # mislabelled: the bytes are UTF-8
        ("=?utf-8?Q?R=FCckruf?=", "Rückruf"),  # mislabelled: the bytes are Latin-1
        ("=?utf-8?Q?Lieferung", "=?utf-8?Q?Lieferung"),  # never closed: kept as it is
        ("Re: =?utf-8?Q?Angebot_f=C3=BCr_Q1?=", "Re: Angebot für Q1"),
        ("=?windows-1252?Q?=84Angebot=93_=96_5_=80?=", "„Angebot“ – 5 €"),
        ("GrÃ¼ÃŸe aus MÃ¼nchen", "Grüße aus München"),  # UTF-8 encoded twice
        ("plain ASCII", "plain ASCII"),
    ],
)
def test_header_text_is_decoded(raw: str, decoded: str) -> None:
    assert headers.text(raw) == decoded


def test_raw_eight_bit_header_bytes_are_read_as_utf8_or_cp1252() -> None:
    utf8 = "Jürgen Köhler".encode().decode("ascii", "surrogateescape")
    latin1 = "Jürgen Köhler".encode("latin-1").decode("ascii", "surrogateescape")
    assert headers.text(utf8) == headers.text(latin1) == "Jürgen Köhler"


def test_folded_headers_are_unfolded() -> None:
    assert headers.text("Angebot f\r\n\tür\n Sie") == "Angebot f ür Sie"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            '"Mustermann, Max" <Max.Mustermann@ACME.example>',
            [("max.mustermann@acme.example", "Mustermann, Max")],
        ),
        ("a@b.example, C <c@d.example>", [("a@b.example", None), ("c@d.example", "C")]),
        ('"=?utf-8?Q?M=C3=BCller=2C_J=C3=B6rg?=" <j@m.example>', [("j@m.example", "Müller, Jörg")]),
        ("=?utf-8?Q?J=C3=BCrgen?= <j@k.example>", [("j@k.example", "Jürgen")]),
        ('"a@b.example" <a@b.example>', [("a@b.example", None)]),  # a name that is the address is no name
        ("undisclosed-recipients:;", []),
        ("Team: a@b.example, c@d.example;", [("a@b.example", None), ("c@d.example", None)]),
        ("Bob (Sales) <bob@x.example>", [("bob@x.example", "Bob (Sales)")]),
        ("not an address, <>, @, x@", []),
        ("a@b.example, A <A@B.example>", [("a@b.example", None)]),  # the same address once
        ("<mailto:x@y.example>", [("x@y.example", None)]),
        ("", []),
    ],
)
def test_address_lists_give_bare_lower_case_addresses_and_names(
    raw: str, expected: list[tuple[str, str | None]]
) -> None:
    assert [(a.email, a.name) for a in headers.addresses(raw)] == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "Mon, 16 Nov 2026 10:42:07 -0500",
            datetime(2026, 11, 16, 10, 42, 7, tzinfo=timezone(timedelta(hours=-5))),
        ),
        ("16 Nov 2026 10:42:07 GMT", datetime(2026, 11, 16, 10, 42, 7, tzinfo=UTC)),
        ("Mon, 16 Nov 2026 10:42:07", datetime(2026, 11, 16, 10, 42, 7, tzinfo=UTC)),  # no zone: UTC
        ("Mon, 16 Nov 2026 10:42:07 -0000", datetime(2026, 11, 16, 10, 42, 7, tzinfo=UTC)),
        ("Fri, 20 Nov 2026 08:15:03 +0000 (UTC)", datetime(2026, 11, 20, 8, 15, 3, tzinfo=UTC)),
        ("Donnerstag, 19. November 2026", None),
        ("Mon, 99 Foo 2026 25:61:61 +9999", None),
        ("", None),
    ],
)
def test_dates_are_aware(raw: str, expected: datetime | None) -> None:
    parsed = headers.date(raw)
    assert parsed == expected
    if parsed is not None:
        assert parsed.utcoffset() == expected.utcoffset()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<abc@host.example>", ("<abc@host.example>",)),
        ("  <abc@host.example> (comment)", ("<abc@host.example>",)),
        ("abc@host.example", ("<abc@host.example>",)),
        ("<a@x.example>\n <b@y.example> <a@x.example>", ("<a@x.example>", "<b@y.example>")),
        ("<a@x.example> (Anna's mail of Monday) <b@y.example>", ("<a@x.example>", "<b@y.example>")),
        ("no id here", ()),
    ],
)
def test_message_ids_are_angle_bracket_tokens(raw: str, expected: tuple[str, ...]) -> None:
    assert headers.message_ids(raw) == expected


def test_make_address_refuses_what_is_not_an_address() -> None:
    assert headers.make_address("Max Mustermann", "Max") is None
    assert headers.make_address("a b@c.example", None) is None
    assert headers.make_address("MAILTO:Hank@Globex.example", "Hank") == Address(
        "hank@globex.example", "Hank"
    )


# -- bytes to text -------------------------------------------------------------------------------------------

GRUESSE = "Grüße von Müller – 5 €"


@pytest.mark.parametrize(
    ("data", "label", "text", "defects"),
    [
        (GRUESSE.encode(), "utf-8", GRUESSE, []),
        (GRUESSE.encode("cp1252"), "windows-1252", GRUESSE, []),
        (GRUESSE.encode("cp1252"), "iso-8859-1", GRUESSE, []),  # WHATWG: "iso-8859-1" means windows-1252
        (GRUESSE.encode(), "iso-8859-1", GRUESSE, ["charset: iso-8859-1 is utf-8"]),
        (GRUESSE.encode("cp1252"), "utf-8", GRUESSE, ["charset: utf-8 is cp1252"]),
        (GRUESSE.encode(), None, GRUESSE, []),
        (GRUESSE.encode("cp1252"), None, GRUESSE, []),
        (GRUESSE.encode(), "x-foo", GRUESSE, ["charset: unknown 'x-foo'"]),
        (GRUESSE.encode(), "unknown-8bit", GRUESSE, []),
        (GRUESSE.encode(), '"UTF-8"', GRUESSE, []),
        ("Grüße".encode("iso-8859-15"), "iso-8859-15", "Grüße", []),
        ("Привет".encode("koi8-r"), "koi8-r", "Привет", []),
        ("日本語".encode("shift_jis"), "shift_jis", "日本語", []),
        ("日本語".encode("iso-2022-jp"), "iso-2022-jp", "日本語", []),
        (b"\x81\x8d\x8f", "windows-1252", "\x81\x8d\x8f", []),  # undefined in 1252: Latin-1
        (
            "Grüße".encode().replace(b"\xc3\xbc", b"\xc3\xbc") + b"\n" + "Müller".encode("latin-1"),
            "utf-8",
            "Grüße\nMüller",
            ["charset: mixed utf-8 and cp1252"],
        ),
    ],
)
def test_bytes_are_decoded_best_effort(data: bytes, label: str | None, text: str, defects: list[str]) -> None:
    assert charset.decode(data, label) == (text, defects)


def test_double_encoded_utf8_is_repaired_only_when_exact() -> None:
    assert charset.repair("GrÃ¼ÃŸe") == "Grüße"
    assert charset.repair("São Paulo ÃÃÃ") == "São Paulo ÃÃÃ"


# -- dates in forwarded header blocks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Thu, 19 Nov 2026 09:02:11 +0100", "2026-11-19 09:02:11 +0100"),  # Thunderbird
        ("Tue, Nov 17, 2026 at 9:31 AM", "2026-11-17 09:31:00 +0100"),  # Gmail EN
        ("Mi., 18. Nov. 2026 um 11:03 Uhr", "2026-11-18 11:03:00 +0100"),  # Gmail DE
        ("Tuesday, November 17, 2026 9:14 PM", "2026-11-17 21:14:00 +0100"),  # Outlook EN
        ("Tuesday, 17 November 2026 12:30", "2026-11-17 12:30:00 +0100"),  # Outlook EN (UK)
        ("Dienstag, 17. November 2026 14:32", "2026-11-17 14:32:00 +0100"),  # Outlook DE
        ("November 18, 2026 at 4:05:12 PM EST", "2026-11-18 16:05:12 -0500"),  # Apple EN
        ("18. November 2026 um 08:47:31 MEZ", "2026-11-18 08:47:31 +0100"),  # Apple DE
        ("18. März 2026 um 08:47:31 MESZ", "2026-03-18 08:47:31 +0200"),
        ("16.11.2026 10:00", "2026-11-16 10:00:00 +0100"),
        ("11/16/2026 12:15 AM", "2026-11-16 00:15:00 +0100"),
        ("2026-11-16 10:00 (UTC+02:00)", "2026-11-16 10:00:00 +0200"),
        ("16 November 2026 at 10:00:00 GMT-5", "2026-11-16 10:00:00 -0500"),
        ("31.02.2026 10:00", None),
        ("sometime next week", None),
        ("", None),
    ],
)
def test_forwarded_dates_in_client_formats(raw: str, expected: str | None) -> None:
    parsed = loose_date.parse(raw, BERLIN_WINTER)
    assert (parsed.strftime("%Y-%m-%d %H:%M:%S %z") if parsed else None) == expected
