"""Alembic environment: the models' metadata, one connection handed in by storage.migrate."""

from __future__ import annotations

from typing import Any

from alembic import context

from storage.engine import make_engine
from storage.migrate import context_options

config = context.config


def _run(connection: Any) -> None:
    context.configure(connection=connection, **context_options(connection.dialect.name))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


run_migrations_online()
