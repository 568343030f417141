"""Every write is audited in one place: who, when, channel, source message, before/after."""

from __future__ import annotations

import gc

from sqlalchemy import select

from bot.bootstrap import App, open_database
from bot.crm.audit import Actor, entries_for_source
from bot.crm.models import AuditLog, ThirdParty
from storage import Database
from tests.conftest import NOW
from tests.support.factories import company, person, user


def test_create_update_delete_are_recorded_with_actor_and_values(app: App) -> None:
    with app.uow() as uow:
        anna = user(uow.session)
        uow.commit()
    actor = Actor(user_id=anna.id, channel="slack", source_message_id="1712.55")
    with app.uow(actor) as uow:
        tp = company(uow.session, "ACME GmbH", town="Berlin")
        max_ = person(uow.session, "Max", "Mustermann", tp)
        uow.commit()
    with app.uow(Actor(user_id=anna.id, channel="telegram", source_message_id="m2")) as uow:
        tp = uow.session.get(ThirdParty, tp.id)
        assert tp is not None
        tp.town = "Hamburg"
        uow.session.delete(uow.session.get(type(max_), max_.id))
        uow.commit()
    with app.uow() as uow:
        rows = list(
            uow.session.scalars(select(AuditLog).where(AuditLog.user_id == anna.id).order_by(AuditLog.id))
        )
        created = entries_for_source(uow.session, "slack", "1712.55")
    assert [(r.action, r.object_type) for r in rows] == [
        ("create", "thirdparties"),
        ("create", "contacts"),
        ("update", "thirdparties"),
        ("delete", "contacts"),
    ]
    assert [r.object_type for r in created] == ["thirdparties", "contacts"]
    tp_create, contact_create, tp_update, contact_delete = rows
    assert tp_create.after is not None
    assert tp_create.after["name"] == "ACME GmbH"
    assert tp_create.object_id == tp.id
    assert tp_create.thirdparty_id == tp.id
    assert contact_create.thirdparty_id == tp.id
    assert tp_update.before == {"town": "Berlin"}
    assert tp_update.after == {"town": "Hamburg"}
    assert contact_delete.before is not None
    assert contact_delete.before["lastname"] == "Mustermann"
    assert contact_delete.after is None
    assert all(r.at == NOW for r in rows)  # the app's (fixed) clock, not the wall clock


def test_writes_without_an_actor_are_recorded_as_system(app: App) -> None:
    with app.uow() as uow:
        company(uow.session, "Hooli")
        uow.commit()
    with app.uow() as uow:
        row = uow.session.scalars(select(AuditLog)).one()
    assert (row.channel, row.user_id, row.action) == ("system", None, "create")


def test_a_rolled_back_change_leaves_no_audit_entry(app: App) -> None:
    with app.uow() as uow:
        company(uow.session, "Ghost GmbH")
        uow.session.flush()
    with app.uow() as uow:
        assert uow.session.scalars(select(AuditLog)).all() == []


def test_an_update_that_changes_nothing_is_not_recorded(app: App) -> None:
    with app.uow() as uow:
        tp = company(uow.session, "Hooli", town="Palo Alto")
        uow.commit()
    with app.uow() as uow:
        same = uow.session.get(ThirdParty, tp.id)
        assert same is not None
        same.town = "Palo Alto"
        uow.commit()
    with app.uow() as uow:
        assert [r.action for r in uow.session.scalars(select(AuditLog))] == ["create"]


def test_rows_are_time_stamped_with_the_apps_clock(app: App) -> None:
    with app.uow() as uow:
        tp = company(uow.session, "Hooli")
        uow.commit()
    assert (tp.created_at, tp.updated_at) == (NOW, NOW)


def test_a_database_is_audited_even_when_its_session_factory_reuses_a_collected_ones_id(
    sqlite_url: str,
) -> None:
    """SQLAlchemy keys listeners by id(target): a hook listened on per sessionmaker was skipped as
    'already there' when a new sessionmaker got a collected one's id (CI saw unaudited rows)."""
    db = database_with_a_recycled_session_factory_id(sqlite_url)
    with db.uow() as uow:
        company(uow.session, "Hooli")
        uow.commit()
    with db.uow() as uow:
        assert [r.action for r in uow.session.scalars(select(AuditLog))] == ["create"]
    db.dispose()


def database_with_a_recycled_session_factory_id(url: str) -> Database:
    seen: set[int] = set()
    for _ in range(500):
        db = open_database(url)
        if id(db.session_factory) in seen:
            return db
        seen.add(id(db.session_factory))
        db.dispose()
        del db
        gc.collect()
    raise AssertionError("no sessionmaker id came back in 500 tries: the case was not exercised")
