"""Deterministic bulk data for benchmarks: third parties, contacts, activities and users.

    python -m benchmarks.generate --thirdparties 100000 --contacts 300000 --activities 5000000 \
        --users 10000 --db sqlite:///bench/crm.sqlite3

Rows go straight to the driver (``benchmarks/bulk.py``: COPY on PostgreSQL, ``executemany`` with the
journal and fsync off on SQLite; the activity indexes are built once after the load): no ORM objects, no
audit rows, the stored values exactly those SQLAlchemy would store. Matching keys are computed with the
same functions the models use. EN and DE names; a few large customers hold many contacts and activities,
the rest is a long tail (Zipf-like). The same arguments always produce the same data. The full size above
took 4.5 min on SQLite (activities 175 s, their indexes 66 s; 0.65 GB peak RSS) and 5.3 min on PostgreSQL
(activities 262 s, indexes 21 s) on a busy 2-core VM.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from typing import Any, cast

from sqlalchemy import Engine, Table, select, text

from benchmarks.bulk import bulk_load, deferred_indexes
from bot.crm.models import (
    Activity,
    ActivityAttendee,
    Contact,
    SalesRep,
    ThirdParty,
    ThirdPartyDomain,
    ThirdPartyKey,
    User,
    UserEmail,
    UserRight,
)
from bot.normalize import fold, name_key, name_tokens
from storage import make_engine, migrate

BATCH = 5000
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

DE_STEMS = (
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Bauer Richter Klein "
    "Wolf "
    "Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Schmitt Werner Krause Meier "
    "Lehmann Köhler Herrmann König Walter Mayer Huber Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung Hahn "
    "Nordlicht Alpen Rhein Elbe Donau Spree Main Isar Harz Eifel Taunus Sonnen Stern Berg Wald Feld Stahl"
).split()
EN_STEMS = (
    "Acme Globex Initech Hooli Umbrella Wayne Stark Wonka Tyrell Soylent Cyberdyne Vandelay Sterling Pied "
    "Aperture Gringotts Oscorp Massive Dynamic Prestige Virtucon Nakatomi Monarch Oceanic Dunder Paper "
    "Summit Harbor Pioneer Atlas Beacon Crescent Evergreen Falcon Granite Horizon Ironwood Juniper Keystone "
    "Lighthouse Meridian Northwind Orchard Pinnacle Quartz Redwood Silverline Trident Unity Vanguard Willow"
).split()
DE_TRADES = (
    "Bau Logistik Maschinenbau Elektro Haustechnik Immobilien Steuerberatung Software Systeme Metallbau "
    "Druck Medien Consulting Transporte Automation Verpackung Holzbau Sanitär Gastronomie Autohaus"
).split()
EN_TRADES = (
    "Logistics Systems Software Industries Consulting Analytics Labs Robotics Foods Energy Capital Media "
    "Networks Solutions Manufacturing Supplies Partners Holdings Ventures Studios"
).split()
DE_FORMS = ("GmbH", "AG", "KG", "GmbH & Co. KG", "e.K.", "UG (haftungsbeschränkt)", "")
EN_FORMS = ("Inc.", "Ltd", "LLC", "Corp.", "Corporation", "plc", "")
DE_FIRST = (
    "Max Anna Jürgen Erika Thomas Stefan Andreas Michael Sabine Petra Claudia Monika Klaus Uwe Frank Jörg "
    "Katrin Birgit Lukas Leon Felix Jonas Lena Lea Hannah Sophie Marie Paul Ben Finn Emma Mia Tim Jan "
    "Matthias Markus Christian Daniel Tobias Florian Sebastian Alexander Martin Peter Wolfgang Dieter Horst "
    "Ursula Renate Karin Heike Gabriele Susanne Nicole Julia Laura Sarah Katharina Anja Silke Tanja Ines "
    "Björn Sören Götz Till Ole Malte Hendrik Lars Nils Kai Maik Sven Dirk Ralf Bernd Rainer Volker Holger"
).split()
EN_FIRST = (
    "John Mary James Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara Richard Susan "
    "Joseph Jessica Thomas Sarah Charles Karen Hank Pepper Peter Bill Gavin Tony Bruce Diana Clark Lois "
    "Christopher Nancy Daniel Lisa Matthew Betty Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly "
    "Paul Emily Andrew Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa George Deborah Timothy "
    "Stephanie Ronald Rebecca Edward Sharon Jason Laura Jeffrey Cynthia Ryan Kathleen Jacob Amy Gary Angela"
).split()
DE_LAST = DE_STEMS[:48]
# Surnames beyond the common ones: syllable combinations give the long tail real CRMs have.
_DE_SYLLABLES = (
    "Ber Bran Dor Eck Feld Gar Ham Heim Kamp Kirch Lind Mark Nie Ost Reit Rot Sand Stein Thal Wer".split()
)
_DE_ENDINGS = "mann er ner ke ling berg mayer bach hof stedt rich hardt wig mund horst".split()
_EN_SYLLABLES = (
    "Ash Black Brad Carl Dal Elling Fair Gold Hart Kings Lang Mor Nor Pem Ren Stan Thorn Wes".split()
)
_EN_ENDINGS = "ton ford ley well wood field by worth son ham more ridge ster wick".split()
EN_LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Taylor Moore Jackson Martin Lee Thompson White Harris Clark Lewis Robinson Walker "
    "Young Allen King Wright Scott Torres Hill Green Adams Baker Nelson Carter Mitchell Roberts Turner"
).split()
TYPES = ("AC_TEL", "AC_RDV", "AC_EMAIL", "AC_EMAIL_IN", "AC_OTH")
LABELS = {
    "AC_TEL": ("Call", "Anruf"),
    "AC_RDV": ("Meeting", "Termin"),
    "AC_EMAIL": ("Email sent", "E-Mail gesendet"),
    "AC_EMAIL_IN": ("Email received", "E-Mail erhalten"),
    "AC_OTH": ("Note", "Notiz"),
}


@dataclass(frozen=True)
class Sizes:
    thirdparties: int
    contacts: int
    activities: int
    users: int


def _zipf_weights(n: int, s: float = 1.1) -> list[float]:
    return [1 / (i + 1) ** s for i in range(n)]


def _chunks(rows: Iterator[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _company_name(rng: random.Random, index: int) -> tuple[str, bool]:
    german = rng.random() < 0.55
    stems, trades, forms = (DE_STEMS, DE_TRADES, DE_FORMS) if german else (EN_STEMS, EN_TRADES, EN_FORMS)
    parts = [rng.choice(stems)]
    if rng.random() < 0.7:
        parts.append(rng.choice(trades))
    if rng.random() < 0.5:
        parts.append(f"{rng.choice(stems)[:1]}{index % 997}")  # keeps most names distinct at 100k
    form = rng.choice(forms)
    return " ".join(parts + ([form] if form else [])), german


def generate(engine: Engine, sizes: Sizes, seed: int = 42, progress: bool = True) -> dict[str, float]:
    """Fill an empty, migrated database; returns seconds per table."""
    rng = random.Random(seed)
    timings: dict[str, float] = {}

    def run(table: Any, rows: Iterator[dict[str, Any]], label: str) -> None:
        started = time.perf_counter()
        done = 0
        for count in bulk_load(engine, table.__table__, _chunks(rows)):
            done += count
            if progress:
                print(f"\r{label}: {done:,}", end="", file=sys.stderr, flush=True)
        timings[label] = time.perf_counter() - started
        if progress:
            print(f"\r{label}: {done:,} in {timings[label]:.1f}s", file=sys.stderr)

    def users() -> Iterator[dict[str, Any]]:
        for i in range(sizes.users):
            german = i % 2 == 0
            yield {
                "id": i + 1,
                "login": f"user{i + 1}",
                "name": f"User {i + 1}",
                "timezone": "Europe/Berlin" if german else "America/New_York",
                "language": "de" if german else "en",
                "digest_time": dtime(8, 0),
                "digest_enabled": True,
                "preferred_channel": "email",
                "reminder_lead_minutes": 15,
                "is_admin": i == 0,
                "is_active": True,
                "created_at": NOW,
                "updated_at": NOW,
            }

    run(User, users(), "users")
    run(
        UserEmail,
        (
            {
                "user_id": i + 1,
                "email": f"user{i + 1}@ourco.example",
                "email_lower": f"user{i + 1}@ourco.example",
                "position": 0,
            }
            for i in range(sizes.users)
        ),
        "user_emails",
    )
    run(
        UserRight,
        (
            {"user_id": i + 1, "right": r}
            for i in range(sizes.users)
            for r in ("thirdparty.read_all", "thirdparty.write", "contact.read")
        ),
        "user_rights",
    )

    companies: list[tuple[str, bool]] = [_company_name(rng, i) for i in range(sizes.thirdparties)]

    def thirdparties() -> Iterator[dict[str, Any]]:
        for i, (name, german) in enumerate(companies):
            domain = f"{fold(name).split()[0]}{i}.example"
            yield {
                "id": i + 1,
                "name": name,
                "status": 1,
                "customer_type": rng.choice((1, 1, 2, 3, 0)),
                "is_supplier": rng.random() < 0.1,
                "is_individual": False,
                "country_code": "DE" if german else "US",
                "email": f"info@{domain}",
                "email_lower": f"info@{domain}",
                "website": f"https://www.{domain}",
                "prospect_status": 0,
                "custom_fields": {},
                "created_at": NOW,
                "updated_at": NOW,
                "town": rng.choice(("Berlin", "Hamburg", "München", "Köln", "New York", "Chicago", "Boston")),
            }

    run(ThirdParty, thirdparties(), "thirdparties")

    def keys() -> Iterator[dict[str, Any]]:
        for i, (name, _) in enumerate(companies):
            key = name_key(name)
            yield {"thirdparty_id": i + 1, "kind": "name", "key": key}
            for token in name_tokens([("name", key)]):
                yield {"thirdparty_id": i + 1, "kind": "token", "key": token}

    run(ThirdPartyKey, keys(), "thirdparty_keys")
    run(
        ThirdPartyDomain,
        (
            {"thirdparty_id": i + 1, "domain": f"{fold(n).split()[0]}{i}.example"}
            for i, (n, _) in enumerate(companies)
        ),
        "thirdparty_domains",
    )
    run(
        SalesRep,
        ({"thirdparty_id": i + 1, "user_id": rng.randint(1, sizes.users)} for i in range(sizes.thirdparties)),
        "sales_reps",
    )

    weights = _zipf_weights(sizes.thirdparties)
    owners = rng.choices(range(1, sizes.thirdparties + 1), weights=weights, k=sizes.contacts)
    # every company gets at least one contact before the long tail is drawn
    owners[: sizes.thirdparties] = range(1, min(sizes.thirdparties, sizes.contacts) + 1)

    def contacts() -> Iterator[dict[str, Any]]:
        for i, tp in enumerate(owners):
            german = companies[tp - 1][1]
            first = rng.choice(DE_FIRST if german else EN_FIRST)
            if rng.random() < 0.4:
                last = rng.choice(DE_LAST if german else EN_LAST)
            else:
                syllables, endings = (_DE_SYLLABLES, _DE_ENDINGS) if german else (_EN_SYLLABLES, _EN_ENDINGS)
                last = rng.choice(syllables) + rng.choice(syllables).lower() + rng.choice(endings)
            email = f"{fold(first)}.{fold(last)}{i}@example.org".replace(" ", "")
            yield {
                "id": i + 1,
                "thirdparty_id": tp,
                "firstname": first,
                "lastname": last,
                "email": email,
                "email_lower": email,
                "is_private": False,
                "is_active": True,
                "no_marketing": False,
                "custom_fields": {},
                "firstname_key": fold(first),
                "lastname_key": fold(last),
                "fullname_key": f"{fold(first)} {fold(last)}",
                "created_at": NOW,
                "updated_at": NOW,
            }

    run(Contact, contacts(), "contacts")
    contact_of: dict[int, list[int]] = {}
    for cid, tp in enumerate(owners, start=1):
        contact_of.setdefault(tp, []).append(cid)

    activity_owners = rng.choices(range(1, sizes.thirdparties + 1), weights=weights, k=sizes.activities)
    span = 3 * 365 * 86400

    def activities() -> Iterator[dict[str, Any]]:
        for i, tp in enumerate(activity_owners):
            type_code = TYPES[i % len(TYPES)]
            start = NOW - timedelta(seconds=rng.randrange(span))
            people = contact_of.get(tp, [])
            german = companies[tp - 1][1]
            owner = rng.randint(1, sizes.users)
            yield {
                "id": i + 1,
                "type_code": type_code,
                "label": LABELS[type_code][1 if german else 0],
                "start_at": start,
                "all_day": False,
                "percent": -1 if type_code.startswith("AC_EMAIL") else 100,
                "priority": 0,
                "owner_id": owner,
                "author_id": owner,
                "thirdparty_id": tp,
                "contact_id": rng.choice(people) if people else None,
                "created_at": NOW,
                "updated_at": NOW,
            }

    def agenda() -> Iterator[dict[str, Any]]:
        """Per user what a working day holds: a meeting today, to-dos due today, overdue and ahead (for the
        digest and the reminders)."""
        next_id = sizes.activities + 1
        for user_id in range(1, sizes.users + 1):
            german = user_id % 2 == 1
            for type_code, offset, label in (
                ("AC_RDV", timedelta(hours=6), ("Meeting", "Termin")),
                ("AC_OTH", timedelta(hours=2), ("Follow-up", "Wiedervorlage")),
                ("AC_OTH", -timedelta(days=3), ("Send the offer", "Angebot schicken")),
                ("AC_OTH", timedelta(days=4), ("Call back", "Rückruf")),
            ):
                yield {
                    "id": next_id,
                    "type_code": type_code,
                    "label": label[1 if german else 0],
                    "start_at": NOW + offset + timedelta(minutes=rng.randrange(120)),
                    "all_day": False,
                    "percent": 0,
                    "priority": 0,
                    "owner_id": user_id,
                    "author_id": user_id,
                    "thirdparty_id": rng.randint(1, sizes.thirdparties),
                    "contact_id": None,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                next_id += 1

    # the activity indexes are built once after the load (see bulk.deferred_indexes)
    started = time.perf_counter()
    with deferred_indexes(engine, [cast(Table, Activity.__table__), cast(Table, ActivityAttendee.__table__)]):
        run(Activity, activities(), "activities")
        run(Activity, agenda(), "agenda")
        run(
            ActivityAttendee,
            (
                {
                    "activity_id": i + 1,
                    "contact_id": None,
                    "user_id": 1 + i % sizes.users,
                    "answer_status": 0,
                    "mandatory": True,
                }
                for i in range(min(sizes.activities, 200_000))
            ),
            "activity_attendees",
        )
    timings["activity_indexes"] = (
        time.perf_counter()
        - started
        - sum(timings[k] for k in ("activities", "agenda", "activity_attendees"))
    )
    if progress:
        print(f"activity indexes built in {timings['activity_indexes']:.1f}s", file=sys.stderr)
    started = time.perf_counter()
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in ("users", "thirdparties", "contacts", "activities"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
        # VACUUM as well: the bulk-loaded pages get their hint bits and visibility map now, rather than
        # from autovacuum and the first readers while the benchmarks run, as a production database has.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE)"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    timings["analyze"] = time.perf_counter() - started
    return timings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--thirdparties", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=300_000)
    parser.add_argument("--activities", type=int, default=500_000)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--db", required=True, help="database URL (an empty database; it is migrated first)")
    args = parser.parse_args(argv)
    engine = make_engine(args.db)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        if conn.execute(select(ThirdParty.id).limit(1)).first() is not None:
            parser.error("the database is not empty")
    sizes = Sizes(args.thirdparties, args.contacts, args.activities, args.users)
    timings = generate(engine, sizes, args.seed)
    print(f"generated {sizes} in {sum(timings.values()):.1f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
