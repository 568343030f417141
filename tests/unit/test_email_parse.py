"""parse_email over the fixture corpus (tests/fixtures/email, described in its README.md): exact headers,
forwarded originals, summaries, attachments, invites, auto-replies and defects, message by message.

Dates are compared in UTC ("2026-11-16 15:42:07"); addresses as "Name <email>" strings (Address.__str__).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest

from bot.parsers.email import Address, EmailParseError, ParsedEmail, parse_email

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "email"
GRIMES = "Frank Grimes <frank.grimes@globex.example>"


@cache
def parsed(name: str) -> ParsedEmail:
    return parse_email((CORPUS / name).read_bytes())


def utc(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if value else None


def people(addresses: tuple[Address, ...]) -> list[str]:
    return [str(address) for address in addresses]


def test_every_corpus_file_is_in_the_readme_and_in_these_tests() -> None:
    files = sorted(path.name for path in CORPUS.glob("*.eml"))
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    assert [name for name in files if f"`{name}`" not in readme] == []
    assert sorted(HEADERS) == files


# -- headers: sender, recipients, subject, date, Message-ID --------------------------------------------------

HEADERS: dict[str, tuple[str, list[str], list[str], str, str | None, str | None]] = {
    # file: (From, To, Cc, Subject, Date in UTC, Message-ID)
    "sent_plain_en.eml": (
        "Bob Miller <bob@nordlicht.example>",
        ["Hank Scorpio <hank@globex.example>"],
        [],
        "Globex renewal: pricing for 2027",
        "2026-11-16 15:42:07",
        "<a3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d@nordlicht.example>",
    ),
    "sent_plain_de.eml": (
        "Anna Berger <anna@nordlicht.example>",
        ["Mustermann, Max <max.mustermann@acme.example>"],
        ["Erika Musterfrau <erika.musterfrau@acme.example>"],
        "Angebot Q1 2027 – Lizenzerweiterung",
        "2026-11-16 13:05:38",
        "<FR3P281MB1234ABCD5678EF90AB12CD34EF56AB78@FR3P281MB1234.DEUP281.PROD.OUTLOOK.COM>",
    ),
    "forward_gmail_en.eml": (
        "Bob Miller <bob@nordlicht.example>",
        ["crm@nordlicht.example"],
        [],
        "Fwd: Kickoff date",
        "2026-11-17 15:05:33",
        "<CAKx7fGq0Vb2Y1m3nZ8pQw4rT6uS9eH5jL2kD7cA1fB3gE0iN8@mail.gmail.com>",
    ),
    "forward_gmail_de.eml": (
        "Anna Berger <anna@nordlicht.example>",
        ["CRM <crm@nordlicht.example>"],
        [],
        "WG: Preisanfrage Wartungsvertrag",
        "2026-11-18 10:20:09",
        "<CAM9pQx3Rt7Hk2LwYb1Zc5Vn8Jd4Fs6Ge0Ua2Ko9Ti3Ml7Wq1Xy@mail.gmail.com>",
    ),
    "forward_outlook_en.eml": (
        "Bob Miller <bob@nordlicht.example>",
        ["crm@nordlicht.example"],
        [],
        "FW: TPS report integration",
        "2026-11-17 16:47:58",
        "<BN0PR11MB5744F1E2D3C4B5A69788A1B2C3D4E5F6@BN0PR11MB5744.namprd11.prod.outlook.example>",
    ),
    "forward_outlook_de.eml": (
        "Berger, Anna <anna@nordlicht.example>",
        ["crm@nordlicht.example"],
        [],
        "WG: Rahmenvertrag 2027",
        "2026-11-17 14:02:51",
        "<000a01db58c3$4f2e1d90$ed8c58b0$@nordlicht.example>",
    ),
    "forward_apple_en.eml": (
        "Bob Miller <bob@nordlicht.example>",
        ["crm@nordlicht.example"],
        [],
        "Fwd: Hooli pilot – next steps",
        "2026-11-18 21:40:02",
        "<6C1E9A2B-3D4F-4A5B-8C7D-E9F0A1B2C3D4@nordlicht.example>",
    ),
    "forward_apple_de.eml": (
        "Anna Berger <anna@nordlicht.example>",
        ["crm@nordlicht.example"],
        [],
        "Fwd: Rückfrage Baustellen-App",
        "2026-11-18 08:12:40",
        "<2B7D4E1F-8A9C-4B3D-9E6F-0A1B2C3D4E5F@nordlicht.example>",
    ),
    "forward_thunderbird_en.eml": (
        "Bob Miller <bob@nordlicht.example>",
        ["crm@nordlicht.example"],
        [],
        "Fwd: Re: Security audit scope",
        "2026-11-18 17:02:27",
        "<7d1f9c2e-5b3a-4e8d-a6c0-9f2b1e4d7a3c@nordlicht.example>",
    ),
    "forward_thunderbird_de.eml": (
        "Anna Berger <anna@nordlicht.example>",
        ["crm@nordlicht.example"],
        [],
        "Fwd: Lieferung Schulungsunterlagen",
        "2026-11-19 08:31:14",
        "<0b8e2f4a-9c1d-4f3e-8a7b-6d5c4b3a2f1e@nordlicht.example>",
    ),
    "forward_attached_rfc822.eml": (
        "Anna Berger <anna@nordlicht.example>",
        ["crm@nordlicht.example"],
        [],
        "Fwd: Wartungsvertrag 2027: Rückfragen",
        "2026-11-20 08:02:05",
        "<9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d@nordlicht.example>",
    ),
    "reply_thread_en.eml": (
        "Bob Miller <bob@nordlicht.example>",
        ["Hank Scorpio <hank@globex.example>"],
        [],
        "Re: Globex renewal: pricing for 2027",
        "2026-11-18 14:30:18",
        "<CAKx7fGr5Wc8Z2n4oA9qRx6sU8vT1fI7kM4lE9dB3gC5hF2jP0@mail.gmail.com>",
    ),
    "reply_quoted_de.eml": (
        "Anna Berger <anna@nordlicht.example>",
        ["Max Mustermann <max.mustermann@acme.example>"],
        [],
        "Re: Lieferung Schulungsunterlagen",
        "2026-11-19 10:15:00",
        "<CAM9pQx4Su8Il3MxZc2Ad6Wo9Ke5Gt7Hf1Vb3Lp0Uj4Nm8Xr2Yz@mail.gmail.com>",
    ),
    "reply_outlook_de.eml": (
        "Anna Berger <anna@nordlicht.example>",
        ["Erika Musterfrau <erika.musterfrau@acme.example>"],
        [],
        "AW: Rahmenvertrag 2027",
        "2026-11-17 15:20:37",
        "<FR3P281MB2345BCDE6789FA01BC23DE45FA67BC89@FR3P281MB2345.DEUP281.PROD.OUTLOOK.COM>",
    ),
    "reply_inline_en.eml": (
        "Bob Miller <bob@nordlicht.example>",
        ["Peter Gibbons <peter.gibbons@initech.example>"],
        ["Bill Lumbergh <bill.lumbergh@initech.example>"],
        "Re: TPS report integration",
        "2026-11-17 19:10:05",
        "<3c5e7a9b-1d2f-4e6a-8b0c-2d4f6a8c0e1f@nordlicht.example>",
    ),
    "html_only_de.eml": (
        "Anna Berger <anna@nordlicht.example>",
        ["Max Weber <max.weber@soylent.example>"],
        [],
        "Re: Preisanfrage Wartungsvertrag",
        "2026-11-18 13:45:49",
        "<webmail.20261118144549.8c2e@nordlicht.example>",
    ),
    "inline_image_pdf.eml": (
        "Anna Berger <anna@nordlicht.example>",
        ["Max Mustermann <max.mustermann@acme.example>"],
        [],
        "Angebot ACME Q1/2027",
        "2026-11-20 10:30:09",
        "<FR3P281MB3456CDEF7890AB12CD34EF56AB78CD90@FR3P281MB3456.DEUP281.PROD.OUTLOOK.COM>",
    ),
    "rfc2231_filename.eml": (
        "Anna Berger <anna@nordlicht.example>",
        ["info@mueller-bau.example"],
        [],
        "Angebot Baustellen-App für Müller Bau",
        "2026-11-19 15:12:30",
        "<8e6f4a2c-0b9d-4c7e-a5f3-1b8d6e4a2c0f@nordlicht.example>",
    ),
    "encoded_headers.eml": (
        "Anna Berger <anna@nordlicht.example>",
        [
            "Jürgen Köhler <juergen.koehler@koehler-maschinenbau.example>",
            "Köhler, Sabine <sabine.koehler@koehler-maschinenbau.example>",
        ],
        [
            "Schmidt, Helga <helga.schmidt@schmidt-partner.example>",
            "Büro Köhler <buero@koehler-maschinenbau.example>",
        ],
        "Übergabeprotokoll Fräsmaschine – Wartung 2027",
        "2026-11-19 12:40:15",
        "<c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f@nordlicht.example>",
    ),
    "latin1.eml": (
        "Carla Schmidt <carla@nordlicht.example>",
        ["Dr. Helga Schmidt <helga.schmidt@schmidt-partner.example>"],
        [],
        "Rückfrage zu den Unterlagen für den Jahresabschluss",
        "2026-11-16 09:04:58",
        "<000801db5812$7a1b2c30$6e518490$@nordlicht.example>",
    ),
    "cp1252.eml": (
        "Anna Berger <anna@nordlicht.example>",
        ["info@mueller-bau.example"],
        [],
        "Angebot „Baustellen-App“ – 1.250 €",
        "2026-11-16 16:22:44",
        "<000c01db5851$3d4e5f60$b7eb1e20$@nordlicht.example>",
    ),
    "mislabelled_utf8_as_latin1.eml": (
        "Anna Berger <anna@nordlicht.example>",
        ["Jürgen Köhler <juergen.koehler@koehler-maschinenbau.example>"],
        [],
        "Grüße aus Hamburg – Termin Fräsmaschine",
        "2026-11-17 08:50:27",
        "<20261117095027.5f3a@nordlicht.example>",
    ),
    "mislabelled_latin1_as_utf8.eml": (
        "Anna Berger <anna@nordlicht.example>",
        ["Max Mustermann <max.mustermann@acme.example>"],
        [],
        "Rückruf Müller",
        "2026-11-17 11:31:06",
        "<20261117123106.77c1@nordlicht.example>",
    ),
    "invite_outlook.eml": (
        "Anna Berger <anna@nordlicht.example>",
        [
            "Mustermann, Max <max.mustermann@acme.example>",
            "Erika Musterfrau <erika.musterfrau@acme.example>",
        ],
        ["crm@nordlicht.example"],
        "Projektbesprechung Lizenzerweiterung",
        "2026-11-20 09:30:12",
        "<FR3P281MB4567DEF01234BC56DE78FA90BC12DE34@FR3P281MB4567.DEUP281.PROD.OUTLOOK.COM>",
    ),
    "invite_cancel.eml": (
        "Anna Berger <anna@nordlicht.example>",
        [
            "Mustermann, Max <max.mustermann@acme.example>",
            "Erika Musterfrau <erika.musterfrau@acme.example>",
        ],
        ["crm@nordlicht.example"],
        "Abgesagt: Projektbesprechung Lizenzerweiterung",
        "2026-11-23 07:45:00",
        "<FR3P281MB4567EF012345CD67EF89AB01CD23EF45@FR3P281MB4567.DEUP281.PROD.OUTLOOK.COM>",
    ),
    "invite_google.eml": (
        "Bob Miller <bob@nordlicht.example>",
        ["crm@nordlicht.example"],
        [],
        "Invitation: Globex contract review @ Tue Nov 24, 2026 11am - 12pm (EST) (crm@nordlicht.example)",
        "2026-11-19 20:15:12",
        "<calendar-3d9f1a2b-7c4e-4b8a-9e1d-5f6a7b8c9d0e@google.com>",
    ),
    "invite_allday.eml": (
        "Bob Miller <bob@nordlicht.example>",
        ["Hank Scorpio <hank@globex.example>", GRIMES, "crm@nordlicht.example"],
        [],
        "Invitation: Globex on-site workshop",
        "2026-11-19 15:02:47",
        "<e2c4a6b8-0d1f-4e3a-9c5b-7d9f1b3d5f7a@nordlicht.example>",
    ),
    "auto_reply_en.eml": (
        "Bob Miller <bob@nordlicht.example>",
        ["crmbot <crm@nordlicht.example>"],
        [],
        "Automatic reply: Your week ahead: 6 tasks, 3 meetings",
        "2026-11-23 12:00:06",
        "<BN0PR11MB5744OOF2026112312@BN0PR11MB5744.namprd11.prod.outlook.example>",
    ),
    "auto_reply_de.eml": (
        "Max Weber <max.weber@soylent.example>",
        ["Anna Berger <anna@nordlicht.example>"],
        ["crm@nordlicht.example"],
        "Abwesenheitsnotiz: Re: Preisanfrage Wartungsvertrag",
        "2026-11-18 13:45:59",
        "<vacation.20261118144559.3f2a@soylent.example>",
    ),
    "bounce.eml": (
        "Mail Delivery System <mailer-daemon@mx.nordlicht.example>",
        ["crm@nordlicht.example"],
        [],
        "Undelivered Mail Returned to Sender",
        "2026-11-20 08:15:03",
        "<20261120081503.4XkYPd9Sa0z9sX5@mx.nordlicht.example>",
    ),
    "bounce_exchange_de.eml": (
        "Microsoft Outlook <postmaster@acme.example>",
        ["crm@nordlicht.example"],
        [],
        "Unzustellbar: Erinnerung: Rückruf ACME",
        "2026-11-19 09:40:12",
        "<a1b2c3d4-e5f6-4a7b-8c9d-ndr2026acme@acme.example>",
    ),
    "mailing_list.eml": (
        "Milton Waddams <milton.waddams@initech.example>",
        ["Initech Partners <partners@lists.initech.example>"],
        [],
        "[initech-partners] Stapler policy update",
        "2026-11-19 00:12:44",
        "<9b2e7d41-stapler@initech.example>",
    ),
    "internal_only.eml": (
        "Anna Berger <anna@nordlicht.example>",
        ["Bob Miller <bob@nordlicht.example>"],
        ["Carla Schmidt <carla@nordlicht.example>"],
        "Handover: Initech contacts while you are away",
        "2026-11-20 15:30:37",
        "<5d7f9b1d-3f5b-4d7f-a1c3-e5a7c9e1b3d5@nordlicht.example>",
    ),
    "stranger.eml": (
        "Miles Dyson <miles.dyson@cyberdyne.example>",
        ["crm@nordlicht.example"],
        [],
        "Partnership inquiry",
        "2026-11-19 22:04:08",
        "<skynet-20261119-1404@cyberdyne.example>",
    ),
    "freemail_customer.eml": (
        "Anna Berger <anna@nordlicht.example>",
        ["crm@nordlicht.example"],
        [],
        "WG: Anfrage Einzellizenz",
        "2026-11-20 12:10:19",
        "<FR3P281MB5678EF0123456789ABCDEF0123456789@FR3P281MB5678.DEUP281.PROD.OUTLOOK.COM>",
    ),
    "plus_address.eml": (
        "Anna Berger <anna@nordlicht.example>",
        ["crm+acme@nordlicht.example"],
        [],
        "Fwd: Einschätzung Rahmenvertrag",
        "2026-11-20 14:20:02",
        "<1f3b5d7f-9a1c-4e3b-b5d7-f9a1c3e5b7d9@nordlicht.example>",
    ),
    "keyword_acme.eml": (
        "Anna Berger <anna@nordlicht.example>",
        ["crm@nordlicht.example"],
        [],
        "Fwd: Kurze Frage zum Vertrag",
        "2026-11-21 09:05:48",
        "<CAM9pQx5Tv9Jm4NyAd3Be7Xp0Lf6Hu8Ig2Wc4Mq1Vk5On9Ys3Za@mail.gmail.com>",
    ),
    "keyword_kunde_hooli.eml": (
        "Anna Berger <anna@nordlicht.example>",
        ["crm@nordlicht.example"],
        [],
        "WG: Demo access for the Hooli XYZ team",
        "2026-11-20 17:44:27",
        "<FR3P281MB6789F0123456789ABCDEF0123456789A@FR3P281MB6789.DEUP281.PROD.OUTLOOK.COM>",
    ),
    "ref_tag.eml": (
        "Anna Berger <anna@nordlicht.example>",
        ["Lena Vogt <l.vogt@acme-holding.example>"],
        [],
        "[ref:ACME] Rückruf wegen Wartungsvertrag",
        "2026-11-20 10:05:30",
        "<6a8c0e2a-4c6e-4a8c-b0e2-a4c6e8a0c2e4@nordlicht.example>",
    ),
    "no_message_id.eml": (
        "Anna Berger <anna@nordlicht.example>",
        ["max.weber@soylent.example"],
        [],
        "Unterschriebener Auftrag",
        "2026-11-19 09:15:12",
        None,
    ),
    "malformed.eml": (
        "Bob Miller <bob@nordlicht.example>",
        ["Hank Scorpio <hank@globex.example>"],
        [],
        "Quote for Globex",
        "2026-11-19 15:00:00",
        "<malformed-20261119-1000@nordlicht.example>",
    ),
    "garbage_headers.eml": (
        "Anna Berger (Büro) <anna@nordlicht.example>",
        ["Jörg Müller <joerg.mueller@mueller-logistik.example>"],
        [],
        "Grüße und =?utf-8?Q?Lieferung",
        None,
        "<20261119.174509.anna@nordlicht.example>",
    ),
}


@pytest.mark.parametrize(("name", "expected"), HEADERS.items(), ids=list(HEADERS))
def test_headers_are_decoded_exactly(
    name: str, expected: tuple[str, list[str], list[str], str, str | None, str | None]
) -> None:
    sender, to, cc, subject, date, message_id = expected
    mail = parsed(name)
    assert str(mail.sender) == sender
    assert people(mail.to) == to
    assert people(mail.cc) == cc
    assert mail.subject == subject
    assert utc(mail.date) == date
    assert mail.message_id == message_id


def test_dates_keep_the_offset_the_header_gave() -> None:
    date = parsed("forward_thunderbird_de.eml").date
    assert date is not None
    assert date.utcoffset() is not None
    assert date.isoformat() == "2026-11-19T09:31:14+01:00"


@pytest.mark.parametrize(
    ("name", "in_reply_to", "references"),
    [
        (
            "reply_thread_en.eml",
            "<CAHs7Qm1x9Globex2026@mail.globex.example>",
            (
                "<a3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d@nordlicht.example>",
                "<CAHs7Qm1x9Globex2026@mail.globex.example>",
            ),
        ),
        (
            "reply_quoted_de.eml",
            "<5e0c9a1b-77d2-4c1e-9f3a-acme2026@acme.example>",
            ("<5e0c9a1b-77d2-4c1e-9f3a-acme2026@acme.example>",),
        ),
        ("auto_reply_de.eml", "<webmail.20261118144549.8c2e@nordlicht.example>", ()),
        ("garbage_headers.eml", None, ("<a1@nordlicht.example>", "<b2@mueller-logistik.example>")),
        ("sent_plain_en.eml", None, ()),
    ],
)
def test_thread_headers_become_angle_bracket_tokens(
    name: str, in_reply_to: str | None, references: tuple[str, ...]
) -> None:
    mail = parsed(name)
    assert mail.in_reply_to == in_reply_to
    assert mail.references == references


def test_reply_to_with_an_encoded_word_inside_quotes_is_decoded() -> None:
    assert people(parsed("encoded_headers.eml").reply_to) == [
        "Anna Berger (Nordlicht Vertrieb) <anna@nordlicht.example>"
    ]


def test_google_invitation_reply_to_is_the_organiser() -> None:
    assert people(parsed("invite_google.eml").reply_to) == ["Bob Miller <bob@nordlicht.example>"]


# -- forwarded mail: the original sender and recipients ------------------------------------------------------

FORWARDED: dict[str, tuple[str | None, list[str], list[str], str | None, str | None, str | None]] = {
    # file: (original From, To, Cc, Subject, Date in UTC, Message-ID)
    "forward_gmail_en.eml": (
        "Hank Scorpio <hank@globex.example>",
        ["Bob Miller <bob@nordlicht.example>"],
        [GRIMES],
        "Kickoff date",
        "2026-11-17 14:31:00",  # "Tue, Nov 17, 2026 at 9:31 AM" in the forwarder's -0500
        None,
    ),
    "forward_gmail_de.eml": (
        "Max Weber <max.weber@soylent.example>",
        ["Anna Berger <anna@nordlicht.example>"],
        [],
        "Preisanfrage Wartungsvertrag",
        "2026-11-18 10:03:00",  # "Mi., 18. Nov. 2026 um 11:03 Uhr" in +0100
        None,
    ),
    "forward_outlook_en.eml": (
        "Peter Gibbons <peter.gibbons@initech.example>",
        ["Bob Miller <bob@nordlicht.example>"],
        ["Bill Lumbergh <bill.lumbergh@initech.example>", "Milton Waddams <milton.waddams@initech.example>"],
        "TPS report integration",
        "2026-11-17 09:14:00",  # Outlook on the web dates its mail in +0000: the wall time is read as UTC
        None,
    ),
    "forward_outlook_de.eml": (
        "Erika Musterfrau <erika.musterfrau@acme.example>",
        ["Berger, Anna <anna@nordlicht.example>"],
        ["Mustermann, Max <max.mustermann@acme.example>"],
        "Rahmenvertrag 2027",
        "2026-11-17 13:32:00",
        None,
    ),
    "forward_apple_en.eml": (
        "Gavin Belson <gavin.belson@hooli.example>",
        ["Bob Miller <bob@nordlicht.example>"],
        [],
        "Hooli pilot – next steps",
        "2026-11-18 21:05:12",  # "4:05:12 PM EST"
        None,
    ),
    "forward_apple_de.eml": (
        "Thomas Huber <thomas.huber@mueller-bau.example>",
        ["Anna Berger <anna@nordlicht.example>"],
        ["Bauleitung <bauleitung@mueller-bau.example>"],
        "Rückfrage Baustellen-App",
        "2026-11-18 07:47:31",  # "08:47:31 MEZ"
        None,
    ),
    "forward_thunderbird_en.eml": (
        "Pepper Potts <pepper.potts@starkindustries.example>",
        ["Bob Miller <bob@nordlicht.example>"],
        ["Happy Hogan <happy.hogan@starkindustries.example>"],
        "Re: Security audit scope",
        "2026-11-18 16:20:45",
        None,
    ),
    "forward_thunderbird_de.eml": (
        "Max Mustermann <max.mustermann@acme.example>",
        ["Anna Berger <anna@nordlicht.example>"],
        [],
        "Lieferung Schulungsunterlagen",
        "2026-11-19 08:02:11",
        None,
    ),
    "forward_attached_rfc822.eml": (
        "Max Weber <max.weber@soylent.example>",
        ["Anna Berger <anna@nordlicht.example>"],
        ["Einkauf Soylent <einkauf@soylent.example>"],
        "Wartungsvertrag 2027: Rückfragen",
        "2026-11-20 07:15:00",
        "<20261120081500.4711@soylent.example>",
    ),
    "freemail_customer.eml": (
        "Jörg Weiß <joerg.weiss1970@gmail.com>",
        ["Anna Berger <anna@nordlicht.example>"],
        [],
        "Anfrage Einzellizenz",
        "2026-11-20 10:52:00",
        None,
    ),
    "plus_address.eml": (
        "Klaus Vogel <klaus@vogel-beratung.example>",
        ["Anna Berger <anna@nordlicht.example>"],
        [],
        "Einschätzung Rahmenvertrag",
        "2026-11-20 12:58:40",
        None,
    ),
    "keyword_acme.eml": (
        "Erika Musterfrau <erika.musterfrau@web.de>",
        ["Anna Berger <anna@nordlicht.example>"],
        [],
        "Kurze Frage zum Vertrag",
        "2026-11-21 08:41:00",
        None,
    ),
    "keyword_kunde_hooli.eml": (
        "Nelson Bighetti <bighead.hooli@outlook.com>",
        ["Anna Berger <anna@nordlicht.example>"],
        ["Gavin Belson <gavin.belson@hooli.example>"],
        "Demo access for the Hooli XYZ team",
        "2026-11-20 16:02:00",
        None,
    ),
}


@pytest.mark.parametrize(("name", "expected"), FORWARDED.items(), ids=list(FORWARDED))
def test_forwarded_original_is_read_from_each_client_format(
    name: str, expected: tuple[str | None, list[str], list[str], str | None, str | None, str | None]
) -> None:
    sender, to, cc, subject, date, message_id = expected
    forwarded = parsed(name).forwarded
    assert forwarded is not None
    assert str(forwarded.sender) == sender
    assert people(forwarded.to) == to
    assert people(forwarded.cc) == cc
    assert forwarded.subject == subject
    assert utc(forwarded.date) == date
    assert forwarded.message_id == message_id


@pytest.mark.parametrize("name", sorted(set(HEADERS) - set(FORWARDED)))
def test_other_mail_is_not_a_forward(name: str) -> None:
    """Replies quoting an Outlook header block (AW:, Re:), bounces carrying the returned message, invites."""
    assert parsed(name).forwarded is None


# -- the summary: the new part only --------------------------------------------------------------------------

SUMMARIES = {
    "sent_plain_en.eml": (
        "Hi Hank,\n\nthanks for the call this morning. As discussed, here is the pricing for the 2027 "
        "renewal:\n\n"
        "- 250 seats, Enterprise plan: USD 96,000 per year\n- Premium support included\n"
        "- Price locked for 24 months if signed before December 15\n\n"
        "I'll send the contract draft on Thursday. Let me know if the numbers work for your board."
    ),
    "sent_plain_de.eml": (
        "Hallo Herr Mustermann,\n\nvielen Dank für das freundliche Gespräch am Freitag. "
        "Wie besprochen fasse ich\n"
        "unser Angebot für die Erweiterung auf 120 Lizenzen ab dem 1. Januar 2027 zusammen:\n\n"
        "- 120 Lizenzen „Business“ zu je 38,50 € im Monat\n"
        "- Einrichtung und Schulung vor Ort in Berlin (2 Tage)\n"
        "- Laufzeit 24 Monate\n\nIch melde mich Anfang nächster Woche telefonisch bei Ihnen."
    ),
    "reply_thread_en.eml": (
        "Hank,\n\nUnderstood, I'll get the revised contract over by Friday with the\n"
        "24-month price lock written into section 3.\n\nBob"
    ),
    "reply_quoted_de.eml": (
        "Hallo Herr Mustermann,\n\ngerne, der 3. Dezember passt. Ich schicke Ihnen die Agenda bis Montag."
    ),
    "reply_outlook_de.eml": (
        "Sehr geehrte Frau Musterfrau,\n\nvielen Dank, die Seite ist angekommen. "
        "Ich gebe den Vertrag heute noch "
        "an unsere Buchhaltung weiter."
    ),
    "reply_inline_en.eml": (
        "Hi Peter,\n\nanswers inline below.\n\n"
        "The API guide is at https://docs.nordlicht.example/api/v3 (see chapter 4).\n\n"
        "The quote follows tomorrow; pricing depends on the number of TPS forms."
    ),
    "html_only_de.eml": (
        "Sehr geehrter Herr Weber,\n\nwie gewünscht die Konditionen für 45 Arbeitsplätze:\n"
        "Paket                                    Preis pro Jahr\n"
        "Wartung Standard                         1.890,00 €\n"
        "Wartung Premium (Hotline auch samstags)  2.640,00 €"
    ),
    "forward_gmail_en.eml": (
        "FYI, Hank wants to move the kickoff. Please log this for Globex.\n\n"
        "Bob,\n\nCan we push the kickoff to December 7? Half my team is at the volcano\n"
        "lair until the 4th.\n\nHank"
    ),
    "forward_gmail_de.eml": (
        "Hallo Frau Berger,\n\nkönnten Sie uns bis Ende des Monats ein Angebot für die Verlängerung des\n"
        "Wartungsvertrags schicken? Wir planen mit 45 Arbeitsplätzen."
    ),
    "forward_outlook_en.eml": (
        "Please file under Initech.\n\nHi Bob,\n\nwe'd like to connect your API to our TPS report workflow. "
        "Could you send us the documentation and a quote for the integration module?"
    ),
    "forward_outlook_de.eml": (
        "Hallo,\n\nbitte zu ACME ablegen.\n\nSehr geehrte Frau Berger,\n\n"
        "anbei die unterschriebene Seite 4 des Rahmenvertrags. Das Original geht heute per Post an Sie raus."
    ),
    "forward_apple_de.eml": (
        "Kannst du das bitte unter Müller Bau ablegen? Danke!\n\nGuten Morgen Frau Berger,\n\n"
        "die App stürzt beim Hochladen von Fotos auf der Baustelle ab (iPad, iOS 19). "
        "Können Sie uns kurzfristig helfen?"
    ),
    "forward_thunderbird_en.eml": (
        "Logging this for Stark Industries.\n\nBob,\n\n"
        "Happy will be your contact for the audit. Please include the SSO module in scope.\n\nPepper"
    ),
    "forward_attached_rfc822.eml": (
        "Zur Info – Soylent fragt nach dem Wartungsvertrag.\n\nAnna\n\nHallo Frau Berger,\n\n"
        "zwei Rückfragen zum Angebot: Ist die Hotline auch samstags erreichbar, und\n"
        "können wir die Laufzeit auf 12 Monate verkürzen?"
    ),
    "keyword_kunde_hooli.eml": (
        "Kunde: Hooli\n\nBob ist im Urlaub, ich habe den Zugang schon eingerichtet.\n\nHi Anna,\n\n"
        "could you set up demo access for five people on the XYZ team? Gavin approved it."
    ),
    "latin1.eml": (
        "Sehr geehrte Frau Dr. Schmidt,\n\nfür den Jahresabschluss fehlen Ihnen noch die Belege für Oktober. "
        "Ich schicke\nsie Ihnen bis Freitag. Größere Änderungen gegenüber dem Vorjahr gibt es nicht."
    ),
    "cp1252.eml": (
        "Sehr geehrte Damen und Herren,\n\n"
        "unser Angebot „Baustellen-App“ – 25 Tablets, Einrichtung inklusive – "
        "liegt bei 1.250 € pro Monat.\nDie Schulung für Ihre Bauleiter dauert einen halben Tag."
    ),
    "mislabelled_utf8_as_latin1.eml": (
        "Hallo Herr Köhler,\n\npasst Ihnen Donnerstag, 14 Uhr, für die Übergabe der Fräsmaschine?"
    ),
    "mislabelled_latin1_as_utf8.eml": (
        "Hallo Herr Mustermann,\n\n"
        "Herr Müller von der Müller Bau GmbH bittet um Rückruf wegen der gemeinsamen "
        "Schulung."
    ),
    "mailing_list.eml": (
        "Excuse me, I believe the new stapler policy applies to all partners as of\n"
        "December 1. Red staplers remain with their current owners.\n\nMilton"
    ),
    "garbage_headers.eml": "Hallo Herr Müller,\n\ndie Lieferung kommt am Montag.",
}


@pytest.mark.parametrize(("name", "summary"), SUMMARIES.items(), ids=list(SUMMARIES))
def test_summary_is_the_new_part_without_quotes_and_signature(name: str, summary: str) -> None:
    assert parsed(name).summary == summary


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("sent_plain_en.eml", "Bob Miller\nAccount Executive | Nordlicht Software GmbH"),
        ("sent_plain_de.eml", "Mit freundlichen Grüßen\n\nAnna Berger\nVertrieb"),
        ("reply_thread_en.eml", "> The board likes the numbers."),
        ("reply_quoted_de.eml", "Am Do., 19. Nov. 2026 um 09:02 Uhr schrieb Max Mustermann <"),
        ("forward_outlook_de.eml", "-----Ursprüngliche Nachricht-----\nVon: Erika Musterfrau"),
        (
            "html_only_de.eml",
            "Viele Grüße\nAnna Berger\nAm Mi., 18. Nov. 2026 um 11:03 Uhr schrieb Max Weber",
        ),
    ],
)
def test_text_keeps_the_whole_body(name: str, kept: str) -> None:
    assert kept in parsed(name).text


FIRST_LINES = {
    "keyword_acme.eml": "ACME",
    "keyword_kunde_hooli.eml": "Kunde: Hooli",
    "forward_gmail_en.eml": "FYI, Hank wants to move the kickoff. Please log this for Globex.",
    "forward_outlook_en.eml": "Please file under Initech.",
    "forward_apple_en.eml": "",  # a forward without a note has no first line: the original's is not a keyword
    "forward_thunderbird_de.eml": "",
    "plus_address.eml": "",
    "sent_plain_de.eml": "Hallo Herr Mustermann,",
    "html_only_de.eml": "Sehr geehrter Herr Weber,",
}


@pytest.mark.parametrize(("name", "first_line"), FIRST_LINES.items(), ids=list(FIRST_LINES))
def test_first_line_is_the_forwarders_own_first_line(name: str, first_line: str) -> None:
    assert parsed(name).first_line == first_line


def test_summary_of_a_forward_without_a_note_is_the_original_message() -> None:
    assert parsed("forward_apple_en.eml").summary == (
        "Bob,\n\nThe pilot went well. Legal wants a DPA before we sign anything bigger. "
        "Can you get us your standard DPA by Friday?\n\nGavin"
    )


# -- attachments and inline images ---------------------------------------------------------------------------

ATTACHMENTS: dict[str, list[tuple[str, str, int]]] = {
    "inline_image_pdf.eml": [("Angebot_ACME_Q1-2027.pdf", "application/pdf", 193)],
    "rfc2231_filename.eml": [
        ("Angebot Q1 Müller Bau.pdf", "application/pdf", 193),
        (
            "Kalkulation Baustellen-App Übersicht 2027.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            516,
        ),
        ("Leistungsübersicht.pdf", "application/pdf", 193),
    ],
    "forward_outlook_de.eml": [("Rahmenvertrag_Seite4.pdf", "application/pdf", 193)],
    "forward_attached_rfc822.eml": [("Wartungsvertrag 2027_ Rückfragen.eml", "message/rfc822", 584)],
    "no_message_id.eml": [("scan_20261119_101512.pdf", "application/pdf", 193)],
    "malformed.eml": [("quote.pdf", "application/pdf", 24)],
    "forward_gmail_en.eml": [],  # the HTML alternative is no attachment
    "invite_google.eml": [],  # invite.ics is the invite, not a document
    "bounce.eml": [],  # the returned message is machinery
}


@pytest.mark.parametrize(("name", "expected"), ATTACHMENTS.items(), ids=list(ATTACHMENTS))
def test_attachments_have_decoded_names_types_and_sizes(
    name: str, expected: list[tuple[str, str, int]]
) -> None:
    assert [(a.filename, a.mime_type, len(a.data)) for a in parsed(name).attachments] == expected
    assert not any(a.inline for a in parsed(name).attachments)


def test_attachment_bytes_are_the_decoded_file() -> None:
    pdf = parsed("inline_image_pdf.eml").attachments[0].data
    assert pdf.startswith(b"%PDF-1.4\n")
    assert pdf.endswith(b"%%EOF\n")


def test_inline_images_are_returned_only_when_asked_for() -> None:
    raw = (CORPUS / "inline_image_pdf.eml").read_bytes()
    with_images = parse_email(raw, inline_images=True)
    assert [(a.filename, a.inline, a.content_id) for a in with_images.attachments] == [
        ("image001.png", True, "image001.png@01DB58C3.4F2E1D90"),
        ("Angebot_ACME_Q1-2027.pdf", False, None),
    ]
    assert with_images.attachments[0].data.startswith(b"\x89PNG")


def test_attached_message_is_the_whole_original_mail() -> None:
    eml = parsed("forward_attached_rfc822.eml").attachments[0].data
    original = parse_email(eml)
    assert str(original.sender) == "Max Weber <max.weber@soylent.example>"
    assert original.message_id == "<20261120081500.4711@soylent.example>"
    assert original.summary.startswith("Hallo Frau Berger,")


# -- calendar invites ----------------------------------------------------------------------------------------

ACME_MEETING = (
    "040000008200E00074C5B7101A82E00800000000B0C2A9F35C58DB01"
    "000000000000000010000000D1E2F3A4B5C6D7E8F9A0B1C2D3E4F5A6"
)
ACME_ATTENDEES = [
    "Mustermann, Max <max.mustermann@acme.example>",
    "Erika Musterfrau <erika.musterfrau@acme.example>",
    "crm@nordlicht.example",
]

INVITES = {
    # file: (method, uid, sequence, summary, start, end (UTC), all_day, location, organizer, attendees,
    #        status)
    "invite_outlook.eml": (
        "REQUEST",
        ACME_MEETING,
        0,
        "Projektbesprechung Lizenzerweiterung",
        "2026-11-26 13:00:00",  # 14:00 "W. Europe Standard Time"
        "2026-11-26 14:00:00",
        False,
        "ACME GmbH, Friedrichstraße 68, Berlin",
        "Anna Berger <anna@nordlicht.example>",
        ACME_ATTENDEES,
        "CONFIRMED",
    ),
    "invite_cancel.eml": (
        "CANCEL",
        ACME_MEETING,
        1,
        "Abgesagt: Projektbesprechung Lizenzerweiterung",
        "2026-11-26 13:00:00",
        "2026-11-26 14:00:00",
        False,
        "ACME GmbH, Friedrichstraße 68, Berlin",
        "Anna Berger <anna@nordlicht.example>",
        ACME_ATTENDEES,
        "CANCELLED",
    ),
    "invite_google.eml": (
        "REQUEST",
        "7kukuqrfedlm2f9t1i3q6fn3hs@google.com",
        0,
        "Globex contract review",
        "2026-11-24 16:00:00",
        "2026-11-24 17:00:00",
        False,
        "https://meet.google.example/abc-defg-hij",
        "Bob Miller <bob@nordlicht.example>",
        ["hank@globex.example", "Bob Miller <bob@nordlicht.example>", "crm@nordlicht.example"],
        "CONFIRMED",
    ),
    "invite_allday.eml": (
        "REQUEST",
        "b1f5c3e7-2a4d-4c6e-8f0a-1c3e5a7c9e2b",
        0,
        "Globex on-site workshop",
        "2026-12-03 00:00:00",
        "2026-12-05 00:00:00",  # exclusive, as in RFC 5545: 3 and 4 December
        True,
        "Globex HQ, 1 Globex Plaza, Springfield",
        "Bob Miller <bob@nordlicht.example>",
        ["Hank Scorpio <hank@globex.example>", GRIMES, "crm@nordlicht.example"],
        None,
    ),
}


@pytest.mark.parametrize(("name", "expected"), INVITES.items(), ids=list(INVITES))
def test_calendar_parts_become_invites(name: str, expected: tuple[object, ...]) -> None:
    mail = parsed(name)
    assert len(mail.invites) == 1, "one event, even when the calendar comes inline and as invite.ics"
    invite = mail.invites[0]
    actual = (
        invite.method,
        invite.uid,
        invite.sequence,
        invite.summary,
        utc(invite.start),
        utc(invite.end),
        invite.all_day,
        invite.location,
        str(invite.organizer),
        people(invite.attendees),
        invite.status,
    )
    assert actual == expected
    assert mail.attachments == ()


def test_invite_description_is_unescaped_text() -> None:
    assert parsed("invite_outlook.eml").invites[0].description == (
        "Agenda:\n1. Stand Lizenzerweiterung\n2. Schulungsplan Dezember"
    )


# -- machine mail: auto-replies, bounces, lists --------------------------------------------------------------

AUTO = {
    "auto_reply_en.eml": "auto-reply",  # Auto-Submitted: auto-replied
    "auto_reply_de.eml": "auto-reply",  # X-Autoreply: yes and "Abwesenheitsnotiz:"
    "bounce.eml": "bounce",  # multipart/report; report-type=delivery-status from MAILER-DAEMON
    "bounce_exchange_de.eml": "bounce",  # "Unzustellbar:" from postmaster
    "mailing_list.eml": "list",  # Precedence: list with List-Id
}


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_auto_reason_marks_machine_mail_only(name: str) -> None:
    assert parsed(name).auto_reason == AUTO.get(name)


def test_a_bounce_summary_is_the_human_readable_report() -> None:
    assert parsed("bounce_exchange_de.eml").summary == (
        "Ihre Nachricht hat m.schulz@acme.example nicht erreicht.\n\nm.schulz wurde nicht gefunden."
    )


# -- defects: what was wrong but survivable ------------------------------------------------------------------

DEFECTS = {
    "mislabelled_utf8_as_latin1.eml": ("charset: iso-8859-1 is utf-8",),
    "mislabelled_latin1_as_utf8.eml": ("charset: utf-8 is cp1252 in header", "charset: utf-8 is cp1252"),
    "malformed.eml": (
        "mime: boundary repaired",
        "mime: StartBoundaryNotFoundDefect",
        "mime: MultipartInvariantViolationDefect",
        "mime: InvalidBase64CharactersDefect",
    ),
    "garbage_headers.eml": (
        "charset: unknown 'x-unknown-charset' in header",
        "date: unreadable",
        "charset: unknown 'utf8mb4'",
    ),
}


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_defects_are_listed_for_broken_mail_only(name: str) -> None:
    assert parsed(name).defects == DEFECTS.get(name, ())


def test_malformed_mail_still_gives_its_text_and_attachment() -> None:
    mail = parsed("malformed.eml")
    assert mail.text == "Hank, the quote is attached."
    assert mail.attachments[0].data.startswith(b"%PDF-1.4")


# -- not an email at all -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [b"", b"   \r\n\r\n", b"\x89PNG\r\n\x1a\n\x00\x00", b"just a line of text\n", b"\xef\xbb\xbf"],
    ids=["empty", "blank", "png", "text", "bom-only"],
)
def test_input_without_a_header_is_not_an_email(raw: bytes) -> None:
    with pytest.raises(EmailParseError):
        parse_email(raw)


@pytest.mark.parametrize("raw", ["From: a@b.example\n\nhi", None, 42])
def test_input_that_is_not_bytes_is_refused(raw: object) -> None:
    with pytest.raises(EmailParseError, match="expected bytes"):
        parse_email(raw)  # type: ignore[arg-type]


def test_email_parse_error_is_a_value_error() -> None:
    assert issubclass(EmailParseError, ValueError)


def test_bytearray_and_a_leading_bom_are_accepted() -> None:
    raw = (CORPUS / "stranger.eml").read_bytes()
    assert parse_email(bytearray(b"\xef\xbb\xbf" + raw)) == parse_email(raw)  # type: ignore[arg-type]
