"""Chat message -> reply, in-process, against a generated database (see benchmarks.generate).

    python -m benchmarks.chat_latency --db sqlite:///bench/crm.sqlite3 [--messages 2000] [--json]
    python -m benchmarks.chat_latency --postgres [--messages 500]    # generated data on a throwaway cluster

Each message is parsed, matched against the CRM, written (logs, follow-ups, reminders) and committed, as
the console channel would do it; the figure is the wall time of Engine.handle per message.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from benchmarks import harness
from bot.bootstrap import build_app
from bot.config import load_settings
from bot.crm.models import Contact, ThirdParty, User
from bot.engine import Engine
from bot.messages import InboundMessage, Sender

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
TEMPLATES_EN = (
    "called {person} at {company}, discussed pricing, follow up Friday",
    "met {person} for lunch yesterday",
    "last contact {company}",
    "history {company}",
    "note {company}: wants a discount for 2027",
    "just got off the phone with {person}",
    "what's open with {company}",
    "meeting with {person} tomorrow at 2pm",
)
TEMPLATES_DE = (
    "Anruf mit {person}: Bestellung besprochen, Wiedervorlage nächsten Montag um 15:30",
    "Habe mit {person} telefoniert",
    "letzter Kontakt {company}",
    "Verlauf {company}",
    "Notiz zu {company}: Budget erst im Q2",
    "Treffen mit {person} gestern",
    "Wer ist Ansprechpartner bei {company}",
    "Wiedervorlage {company} in 2 Wochen",
)


def sample_messages(engine: Engine, count: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    with engine.app.uow(read_only=True) as uow:
        s = uow.session
        max_tp = s.scalar(select(func.max(ThirdParty.id))) or 0
        max_contact = s.scalar(select(func.max(Contact.id))) or 0
        logins = list(s.scalars(select(User.login).order_by(User.id).limit(2)))
        messages = []
        for _ in range(count):
            contact = s.get(Contact, rng.randint(1, max_contact))
            tp = s.get(ThirdParty, rng.randint(1, max_tp))
            if contact is None or tp is None:
                continue
            german = rng.random() < 0.5
            template = rng.choice(TEMPLATES_DE if german else TEMPLATES_EN)
            company = (
                tp.name if rng.random() < 0.5 else tp.name.split()[0] + " " + " ".join(tp.name.split()[1:2])
            )
            person = f"{contact.firstname} {contact.lastname}"
            if contact.thirdparty is not None and "{company}" not in template and rng.random() < 0.5:
                person = (
                    f"{person} bei {contact.thirdparty.name}"
                    if german
                    else f"{person} at {contact.thirdparty.name}"
                )
            messages.append(
                (logins[0 if german else -1], template.format(person=person, company=company.strip()))
            )
    return messages


def run(db: str, count: int, seed: int = 7) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(database_url=db, data_dir=Path(tmp), now=NOW)
        app = build_app(settings)
        started = time.perf_counter()
        engine = Engine(app)
        ready = time.perf_counter() - started
        messages = sample_messages(engine, count + 50, seed)
        timings: list[float] = []
        intents: Counter[str] = Counter()
        clarifications = 0
        for index, (login, text) in enumerate(messages):
            msg = InboundMessage(
                "console",
                f"bench-{seed}-{index}",
                Sender("console", login),
                text,
                NOW + timedelta(seconds=index),
                f"console:{login}",
            )
            t0 = time.perf_counter()
            reply = engine.handle(msg)
            elapsed = time.perf_counter() - t0
            if index < 50:  # warm-up: first queries fill caches
                continue
            timings.append(elapsed * 1000)
            intents[str(reply.data.get("intent"))] += 1
            clarifications += bool(reply.data.get("needs_clarification"))
            if reply.data.get("error"):
                raise RuntimeError(f"message failed: {text!r}: {reply.text}")
        app.close()
    return {
        "database": harness.backend(db),
        "messages": len(timings),
        **{k: v for k, v in harness.latency_summary(timings).items() if k != "n"},
        "engine_ready_s": round(ready, 3),
        "clarifications": clarifications,
        "intents": dict(intents),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    harness.add_database_options(parser, generated=True)
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    with harness.database(args, harness.generated(harness.size_of(args), args.seed)) as url:
        result = run(url, args.messages)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>16}: {value}")


if __name__ == "__main__":
    main()
