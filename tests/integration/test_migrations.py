"""Migrations produce exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect, text

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


def test_upgrading_to_0005_keeps_the_team_history_for_those_who_saw_everything(tmp_path: Path) -> None:
    """agenda.read_all is enforced from 0005: whoever held thirdparty.read_all (a user or a group) gets it,
    a restricted user does not."""
    engine = create_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    migrate.upgrade(engine, "0004")
    with engine.begin() as conn:
        for ident, login in ((1, "anna"), (2, "carla")):
            conn.execute(
                text(
                    "INSERT INTO users (id, login, name, timezone, language, is_admin, is_active, "
                    "preferred_channel, digest_enabled, digest_time, digest_days, reminder_lead_minutes, "
                    "created_at, updated_at) VALUES (:i, :l, :l, 'UTC', 'en', false, true, 'email', true, "
                    "'08:00', '12345', 15, '2026-01-01', '2026-01-01')"
                ),
                {"i": ident, "l": login},
            )
        conn.execute(text("INSERT INTO user_rights (user_id, \"right\") VALUES (1, 'thirdparty.read_all')"))
        conn.execute(text("INSERT INTO user_rights (user_id, \"right\") VALUES (2, 'thirdparty.write')"))
        conn.execute(
            text(
                "INSERT INTO groups (id, name, created_at, updated_at) VALUES (1, 'Sales', "
                "'2026-01-01', '2026-01-01')"
            )
        )
        conn.execute(text("INSERT INTO group_rights (group_id, \"right\") VALUES (1, 'thirdparty.read_all')"))
    migrate.upgrade(engine)
    with engine.connect() as conn:
        users = set(conn.execute(text('SELECT user_id, "right" FROM user_rights')))
        groups = set(conn.execute(text('SELECT group_id, "right" FROM group_rights')))
    assert users == {(1, "thirdparty.read_all"), (1, "agenda.read_all"), (2, "thirdparty.write")}
    assert groups == {(1, "thirdparty.read_all"), (1, "agenda.read_all")}
    migrate.upgrade(engine)  # idempotent
    engine.dispose()
