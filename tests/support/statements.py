"""Counting the SQL statements a piece of code runs: each is a round trip on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from bot.bootstrap import App


@contextmanager
def counted_statements(app: App) -> Iterator[list[str]]:
    """The SQL of every statement *app*'s engine runs inside the block, in order."""
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(app.db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(app.db.engine, "before_cursor_execute", record)
