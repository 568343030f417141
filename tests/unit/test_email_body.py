"""Bodies on their own: the new part of a reply, forward blocks, machine-mail signs, odd MIME structures."""

from __future__ import annotations

import base64
from datetime import UTC
from textwrap import dedent

import pytest

from bot.parsers.email import auto, body, forward, parse_email, reply
from bot.parsers.email.model import Address


def mail(head: str, text: str = "") -> bytes:
    return (dedent(head).lstrip("\n") + "\n" + dedent(text).lstrip("\n")).encode()


# -- the new part --------------------------------------------------------------------------------------------

NEW_PART = [
    ("Thanks, see you Friday.\n\nCheers,\nBob\n", "Thanks, see you Friday."),
    ("Passt, danke!\n\nLG Anna", "Passt, danke!"),
    ("Passt.\n\nViele Grüße, Anna", "Passt."),
    ("Alles klar.\n\nGruß Anna\nNordlicht Software GmbH", "Alles klar."),
    ("Bis Montag.\n\nMit freundlichem Gruß\n\nAnna Berger", "Bis Montag."),
    ("Sounds good.\n\nSent from my iPhone", "Sounds good."),
    ("Klingt gut.\n\nVon meinem iPhone gesendet", "Klingt gut."),
    ("Ok.\n\nGet Outlook for Android", "Ok."),
    ("Thanks!", "Thanks!"),  # a sign-off alone is the message
    ("See below.\n--\nBob Miller\n+1 212 555 0142", "See below."),
    ("Thanks for the quick reply, we accept.", "Thanks for the quick reply, we accept."),
    (
        "Agreed.\n\nOn Mon, Nov 16, 2026 at 10:42 AM Hank Scorpio <hank@globex.example> wrote:\n> Deal?",
        "Agreed.",
    ),
    ("Einverstanden.\n\nAm 16.11.2026 um 10:42 schrieb Max Mustermann:\n> Passt das?", "Einverstanden."),
    ("Ja.\n\nMax Mustermann schrieb am 16.11.2026 10:42:\n> Passt das?", "Ja."),
    ("Yes.\n\n-----Original Message-----\nFrom: Hank\nSent: Monday\nSubject: x", "Yes."),
    (
        "Ja.\n\nVon: Max Mustermann <max@acme.example>\nGesendet: Montag, 16. November 2026 10:42\nAn: Anna",
        "Ja.",
    ),
    ("Yes.\n\n*From:* Hank <hank@globex.example>\n*Sent:* Monday\n*To:* Bob", "Yes."),
    ("Top.\n\n---------- Forwarded message ---------\nFrom: x <x@y.example>", "Top."),
    ("Here is what Peter wrote:\nwe need more staplers", "Here is what Peter wrote:\nwe need more staplers"),
    ("> quoted only\n> more", ""),
    ("Hi\n\nline one\n\n\n\nline two", "Hi\n\nline one\n\nline two"),
]


@pytest.mark.parametrize(("text", "new"), NEW_PART)
def test_new_part_drops_quotes_and_signatures(text: str, new: str) -> None:
    assert reply.new_part(text) == new


def test_inline_answers_between_quotes_are_kept() -> None:
    text = "Hi,\n\nOn Monday Hank wrote:\n> Price?\n96k.\n> Date?\nDecember 1.\n\n-- \nBob"
    assert reply.new_part(text) == "Hi,\n\n96k.\nDecember 1."


def test_clip_cuts_at_a_word_with_an_ellipsis() -> None:
    text = "word " * 300
    clipped = reply.clip(text.strip())
    assert len(clipped) <= 1000
    assert clipped.endswith("word…")
    assert reply.clip("short") == "short"


def test_format_flowed_joins_soft_line_breaks() -> None:
    assert (
        body.unflow("one \ntwo\n> quoted \n> on\n-- \nsig", delsp=False) == "one two\n> quoted on\n-- \nsig"
    )
    assert body.unflow("Lang \nwort", delsp=True) == "Langwort"


def test_html_becomes_text() -> None:
    defects: list[str] = []
    markup = (
        '<?xml version="1.0" encoding="utf-8"?><html><body><p>Hallo&nbsp;Welt</p><p>zwei</p></body></html>'
    )
    assert body.html_to_text(markup, defects).strip() == "Hallo Welt\n\nzwei"
    assert body.html_to_text("   ", defects) == ""
    assert defects == []


def test_html_falls_back_to_stripping_tags_when_the_converter_gives_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(markup: str, config: object) -> str:
        raise ValueError("lxml says no")

    monkeypatch.setattr(body, "_inscriptis", lambda: (broken, None))
    defects: list[str] = []
    markup = "<style>p {}</style><p>Hallo&nbsp;Welt</p><p>zwei<br>drei</p>"
    assert body.html_to_text(markup, defects) == "Hallo Welt\nzwei\ndrei\n"
    assert defects == ["html: ValueError"]


# -- forward blocks ------------------------------------------------------------------------------------------

OUTLOOK_BLOCK = (
    "Bitte ablegen.\n\nVon: Max <max@acme.example>\nGesendet: Montag, 16. November 2026 10:00\nAn: Anna\n"
)


@pytest.mark.parametrize(
    ("subject", "is_forward"),
    [
        ("WG: Angebot", True),
        ("FW: offer", True),
        ("Fwd: offer", True),
        ("AW: WG: Angebot", True),
        ("[EXT] FW: offer", True),
        ("AW: Angebot", False),
        ("Re: offer", False),
        ("Angebot", False),
    ],
)
def test_an_outlook_block_is_a_forward_only_when_the_subject_says_so(subject: str, is_forward: bool) -> None:
    split = forward.find(OUTLOOK_BLOCK, subject, UTC)
    assert (split is not None) == is_forward
    if split is not None:
        assert split.forwarded.sender == Address("max@acme.example", "Max")
        assert split.note == "Bitte ablegen.\n"


def test_a_reply_quoting_a_forward_is_a_reply() -> None:
    text = (
        "Done.\n\nOn Monday Bob wrote:\n> ---------- Forwarded message ---------\n> From: x <x@y.example>\n"
    )
    assert forward.find(text, "Re: Fwd: x", UTC) is None


def test_a_forward_marker_without_a_readable_block_is_still_a_forward() -> None:
    split = forward.find("See below\n\n-------- Forwarded Message --------\n\nHello there", "Fwd: x", UTC)
    assert split is not None
    assert split.forwarded.sender is None
    assert split.body.strip() == "Hello there"


def test_wrapped_recipient_lines_in_a_forward_block_are_joined() -> None:
    text = (
        "-------- Forwarded Message --------\nFrom: Max <max@acme.example>\n"
        "To: Anna <anna@nordlicht.example>,\n Bob <bob@nordlicht.example>\nSubject: Hi\n\nBody"
    )
    split = forward.find(text, "Fwd: Hi", UTC)
    assert split is not None
    assert [a.email for a in split.forwarded.to] == ["anna@nordlicht.example", "bob@nordlicht.example"]


@pytest.mark.parametrize(
    ("value", "emails"),
    [
        (
            "Mustermann, Max <max@acme.example>; Weber, Max <max.weber@soylent.example>",
            [("max@acme.example", "Mustermann, Max"), ("max.weber@soylent.example", "Weber, Max")],
        ),
        ("Erika Musterfrau [mailto:erika@acme.example]", [("erika@acme.example", "Erika Musterfrau")]),
        ("*Hank Scorpio* <hank@globex.example>", [("hank@globex.example", "Hank Scorpio")]),
        ("a@b.example; c@d.example", [("a@b.example", None), ("c@d.example", None)]),
        ("Anna Berger", []),  # Exchange shows internal people by name only
    ],
)
def test_addresses_in_forward_blocks(value: str, emails: list[tuple[str, str | None]]) -> None:
    assert [(a.email, a.name) for a in forward.parse_addresses(value)] == emails


# -- machine mail --------------------------------------------------------------------------------------------

PERSON = Address("max@acme.example", "Max")


@pytest.mark.parametrize(
    ("fields", "subject", "sender", "report", "reason"),
    [
        ({}, "Angebot", PERSON, None, None),
        ({"auto-submitted": "no"}, "Angebot", PERSON, None, None),
        ({"auto-submitted": "auto-generated"}, "Your invoice", PERSON, None, "auto-reply"),
        ({"x-autorespond": "vacation"}, "Hi", PERSON, None, "auto-reply"),
        ({"precedence": "auto_reply"}, "Hi", PERSON, None, "auto-reply"),
        ({"precedence": "bulk"}, "Newsletter", PERSON, None, "bulk"),
        ({"precedence": "junk"}, "Win!", PERSON, None, "bulk"),
        ({"precedence": "bulk", "list-unsubscribe": "<mailto:u@x>"}, "News", PERSON, None, "bulk"),
        ({"precedence": "list", "list-id": "<x.example>"}, "Topic", PERSON, None, "list"),
        (
            {"list-id": "<sales.acme.example>"},
            "Angebot",
            PERSON,
            None,
            None,
        ),  # a group address is a person's mail
        ({"x-auto-response-suppress": "All"}, "Angebot", PERSON, None, None),  # Outlook sets it on anything
        ({"x-auto-response-suppress": "All"}, "Re: Angebot (out of office)", PERSON, None, "auto-reply"),
        ({}, "Out of Office: Angebot", PERSON, None, "auto-reply"),
        ({}, "Automatische Antwort: Angebot", PERSON, None, "auto-reply"),
        ({}, "Fwd: Automatic reply: Angebot", PERSON, None, None),  # a person forwarding one
        ({}, "Delivery Status Notification (Failure)", PERSON, None, "bounce"),
        ({}, "Mail delivery failed: returning message to sender", PERSON, None, "bounce"),
        ({"x-failed-recipients": "x@y.example"}, "Hi", PERSON, None, "bounce"),
        ({}, "Hi", Address("postmaster@acme.example"), None, "bounce"),
        ({}, "Report", PERSON, "delivery-status", "bounce"),
        ({}, "Gelesen: Angebot", PERSON, "disposition-notification", "read-receipt"),
    ],
)
def test_machine_mail_has_a_reason(
    fields: dict[str, str], subject: str, sender: Address, report: str | None, reason: str | None
) -> None:
    assert auto.reason(fields, subject, sender, report) == reason


# -- odd MIME structures through parse_email -----------------------------------------------------------------


def test_attached_text_file_is_an_attachment_and_not_the_body() -> None:
    raw = mail(
        """
        From: a@nordlicht.example
        Content-Type: multipart/mixed; boundary=b

        --b
        Content-Type: text/plain

        Body.
        --b
        Content-Type: text/plain; name=notes.txt
        Content-Disposition: inline; filename=notes.txt

        Notes.
        --b--
        """
    )
    parsed = parse_email(raw)
    assert parsed.text == "Body."
    assert [(a.filename, a.data) for a in parsed.attachments] == [("notes.txt", b"Notes.")]


def test_an_inline_photo_without_content_id_is_an_attachment() -> None:
    """Apple Mail attaches photos inline with a file name but no Content-ID."""
    png = base64.b64encode(b"\x89PNG fake").decode()
    raw = mail(
        f"""
        From: a@nordlicht.example
        Content-Type: multipart/mixed; boundary=b

        --b
        Content-Type: text/plain

        Photo of the site.
        --b
        Content-Type: image/png; name=IMG_0042.png
        Content-Disposition: inline; filename=IMG_0042.png
        Content-Transfer-Encoding: base64

        {png}
        --b--
        """
    )
    assert [(a.filename, a.inline) for a in parse_email(raw).attachments] == [("IMG_0042.png", False)]


def test_unnamed_attachments_get_a_name_from_their_type() -> None:
    raw = mail(
        """
        From: a@nordlicht.example
        Content-Type: multipart/mixed; boundary=b

        --b
        Content-Type: text/plain

        x
        --b
        Content-Type: application/pdf

        %PDF
        --b--
        """
    )
    assert [a.filename for a in parse_email(raw).attachments] == ["attachment-1.pdf"]


def test_signed_mail_keeps_its_text_and_drops_the_signature_part() -> None:
    raw = mail(
        """
        From: a@nordlicht.example
        Content-Type: multipart/signed; protocol="application/pkcs7-signature"; boundary=s

        --s
        Content-Type: text/plain

        Signed text.
        --s
        Content-Type: application/pkcs7-signature; name=smime.p7s

        MIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0BBwEAAKCAMIIF
        --s--
        """
    )
    parsed = parse_email(raw)
    assert (parsed.text, parsed.attachments) == ("Signed text.", ())


def test_a_base64_encoded_attached_message_is_read() -> None:
    inner = b"From: Max <max@acme.example>\nSubject: Innen\nMessage-ID: <in@acme.example>\n\nHallo.\n"
    raw = mail(
        f"""
        From: anna@nordlicht.example
        Subject: Fwd: Innen
        Content-Type: multipart/mixed; boundary=b

        --b
        Content-Type: text/plain

        Siehe Anhang.
        --b
        Content-Type: message/rfc822
        Content-Transfer-Encoding: base64

        {base64.b64encode(inner).decode()}
        --b--
        """
    )
    parsed = parse_email(raw)
    assert parsed.forwarded is not None
    assert (parsed.forwarded.sender, parsed.forwarded.message_id) == (
        Address("max@acme.example", "Max"),
        "<in@acme.example>",
    )
    assert parsed.summary == "Siehe Anhang.\n\nHallo."
    assert [a.filename for a in parsed.attachments] == ["Innen.eml"]


def test_a_read_receipt_is_machine_mail() -> None:
    raw = mail(
        """
        From: Erika Musterfrau <erika.musterfrau@acme.example>
        Subject: Gelesen: Angebot
        Content-Type: multipart/report; report-type=disposition-notification; boundary=r

        --r
        Content-Type: text/plain

        Ihre Nachricht wurde gelesen.
        --r
        Content-Type: message/disposition-notification

        Final-Recipient: rfc822;erika.musterfrau@acme.example
        Disposition: manual-action/MDN-sent-manually; displayed
        --r--
        """
    )
    parsed = parse_email(raw)
    assert (parsed.auto_reason, parsed.attachments, parsed.text) == (
        "read-receipt",
        (),
        "Ihre Nachricht wurde gelesen.",
    )


@pytest.mark.parametrize(
    ("calendar", "defect"),
    [
        ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:garbage\nUID:1\nEND:VEVENT\n", "calendar: unreadable"),
        ("this is not a calendar", "calendar: no event"),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:1\nDTSTART:20261126T140000\nEND:VEVENT\nEND:VCALENDAR\n",
            "calendar: floating DTSTART read as UTC",
        ),
    ],
)
def test_broken_calendars_are_defects(calendar: str, defect: str) -> None:
    raw = mail("From: a@nordlicht.example\nContent-Type: text/calendar; method=REQUEST\n", calendar)
    assert defect in parse_email(raw).defects


def test_a_calendar_with_a_custom_zone_uses_its_vtimezone() -> None:
    calendar = """
        BEGIN:VCALENDAR
        METHOD:REQUEST
        BEGIN:VTIMEZONE
        TZID:Customized Time Zone
        BEGIN:STANDARD
        DTSTART:16010101T000000
        TZOFFSETFROM:+0300
        TZOFFSETTO:+0300
        END:STANDARD
        END:VTIMEZONE
        BEGIN:VEVENT
        UID:custom-1
        SUMMARY:Call
        DTSTART;TZID="Customized Time Zone":20261126T140000
        DURATION:PT30M
        ORGANIZER;CN=Anna Berger:mailto:anna@nordlicht.example
        ATTENDEE;CN=Max:mailto:max@acme.example
        END:VEVENT
        END:VCALENDAR
        """
    raw = mail("From: a@nordlicht.example\nContent-Type: text/calendar; method=REQUEST\n", calendar)
    invite = parse_email(raw).invites[0]
    assert invite.start is not None
    assert invite.end is not None
    assert (invite.start.isoformat(), invite.end.isoformat()) == (
        "2026-11-26T11:00:00+00:00",  # 14:00 at +03:00
        "2026-11-26T11:30:00+00:00",  # DURATION:PT30M
    )
    assert invite.attendees == (Address("max@acme.example", "Max"),)


def test_a_multipart_without_parts_is_read_as_text() -> None:
    raw = mail("From: a@nordlicht.example\nContent-Type: multipart/mixed\n", "Just text, no boundary.\n")
    parsed = parse_email(raw)
    assert parsed.text == "Just text, no boundary."
    assert "mime: multipart read as text" in parsed.defects


def test_deeply_nested_messages_do_not_exhaust_the_stack() -> None:
    raw = b"From: a@nordlicht.example\nContent-Type: message/rfc822\n\n" * 3000
    assert "mime: nesting too deep" in parse_email(raw).defects
