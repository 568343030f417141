"""Migrations produce exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect

from bot.bootstrap import App
from bot.crm.models import Base
from storage import migrate


def test_migrations_match_the_models_exactly(app: App) -> None:
    # The fixture database was built by running the migrations (on PostgreSQL: into the template).
    assert migrate.current_revision(app.db.engine) == migrate.head_revision()
    assert migrate.schema_differences(app.db.engine) == []
    tables = set(inspect(app.db.engine).get_table_names()) - {"alembic_version"}
    assert tables == set(Base.metadata.tables)


def test_hot_queries_are_indexed(app: App) -> None:
    insp = inspect(app.db.engine)

    def indexed(table: str) -> set[tuple[str, ...]]:
        found = {tuple(ix["column_names"]) for ix in insp.get_indexes(table)}
        found |= {tuple(uq["column_names"]) for uq in insp.get_unique_constraints(table)}
        return found

    activities = indexed("activities")
    assert ("thirdparty_id", "start_at") in activities
    assert ("contact_id", "start_at") in activities
    assert ("owner_id", "percent", "start_at") in activities
    assert ("email_message_id",) in activities
    assert ("message_id",) in indexed("email_messages")
    assert ("key",) in indexed("thirdparty_keys")
    assert ("email_lower",) in indexed("contacts")
    assert ("domain",) in indexed("thirdparty_domains")


def test_every_foreign_key_is_the_leading_column_of_an_index(app: App) -> None:
    insp = inspect(app.db.engine)
    missing = []
    for table in Base.metadata.tables:
        leading = {ix["column_names"][0] for ix in insp.get_indexes(table)}
        leading |= {uq["column_names"][0] for uq in insp.get_unique_constraints(table)}
        leading |= set(insp.get_pk_constraint(table)["constrained_columns"][:1])
        for fk in insp.get_foreign_keys(table):
            column = fk["constrained_columns"][0]
            if column not in leading:
                missing.append(f"{table}.{column}")
    assert missing == []


def test_upgrade_is_idempotent(app: App) -> None:
    migrate.upgrade(app.db.engine)
    assert migrate.is_up_to_date(app.db.engine)
