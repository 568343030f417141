"""Engine factory: SQLite (embedded, the default) and PostgreSQL via psycopg 3."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

SQLITE_BUSY_TIMEOUT_MS = 10_000


class DatabaseURLError(ValueError):
    """The database URL names a backend crmbot does not support."""


def normalize_url(url: str | URL) -> URL:
    """Accept the spellings admins paste (``postgres://``, ``postgresql://``) and pick psycopg 3."""
    parsed = make_url(url) if isinstance(url, str) else url
    backend = parsed.get_backend_name()
    if backend in ("postgres", "postgresql"):
        if parsed.drivername in ("postgres", "postgresql", "postgresql+psycopg2"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        return parsed
    if backend == "sqlite":
        return parsed
    raise DatabaseURLError(
        f"unsupported database URL scheme {parsed.drivername!r}: use sqlite:/// or postgresql://"
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" hook below decide when a transaction starts (pysqlite's own rules are odd).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


class _WriterQueue:
    """The writers of one process queue here before ``BEGIN IMMEDIATE``.

    Every unit of work may write, so it takes SQLite's write lock up front (two writers then queue
    instead of one failing with SQLITE_BUSY when it upgrades a read lock). Between processes they queue
    on busy_timeout, whose waiter sleeps 1, 2, 5 … 100 ms between tries: a short transaction (an SMTP
    intake row) could sleep for seconds behind a busy mail worker that takes the lock again each time
    before the sleeper wakes. Inside a process they wait here instead and go on the moment the writer
    before them has committed or rolled back.

    The queue is left only after the driver's COMMIT or ROLLBACK has returned (``wrap`` puts that into
    the engine's dialect): the engine's commit and rollback events fire before it, and a writer let in
    there met SQLite's lock still held and went to SQLite's busy handler after all.

    A thread that nests a second unit of work in its first, or a wait longer than busy_timeout, goes on
    to SQLite as before, which then times out and reports the lock: never a deadlock here.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: int | None = None

    def wrap(self, engine: Engine) -> None:
        """Hook the queue into *engine*: its own dialect instance, its begin and invalidate events."""
        dialect = engine.dialect
        commit, rollback = dialect.do_commit, dialect.do_rollback

        def do_commit(connection: Any) -> None:
            try:
                commit(connection)
            finally:
                self._release_after_driver(connection)

        def do_rollback(connection: Any) -> None:
            try:
                rollback(connection)
            finally:
                self._release_after_driver(connection)

        # create_engine builds one dialect per engine, so this changes nothing outside crmbot's engine.
        setattr(dialect, "do_commit", do_commit)  # noqa: B010 - mypy refuses assigning to a method
        setattr(dialect, "do_rollback", do_rollback)  # noqa: B010
        event.listen(engine, "begin", self.begin)
        event.listen(engine, "invalidate", self.invalidated)

    def begin(self, conn: Any) -> None:
        if conn.get_execution_options().get("sqlite_read_only"):
            conn.exec_driver_sql("BEGIN")
            return
        me = threading.get_ident()
        if self._owner != me and self._lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            self._owner = me
            conn.info[_HOLDS_WRITER_LOCK] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self._release(conn.info)
            raise

    def invalidated(self, _dbapi_connection: Any, record: Any, _exception: Any) -> None:
        # An invalidated connection gets no ROLLBACK from the engine.
        self._release(record.info)

    def _release_after_driver(self, connection: Any) -> None:
        try:
            info = connection.info
        except NotImplementedError:  # the dialect's first-connect checks: a bare connection, never queued
            return
        self._release(info)

    def _release(self, info: dict[Any, Any]) -> None:
        if info.pop(_HOLDS_WRITER_LOCK, False):
            self._owner = None
            self._lock.release()


_HOLDS_WRITER_LOCK = "crmbot.sqlite_writer"


def make_engine(url: str | URL, *, echo: bool = False) -> Engine:
    """Build the engine for *url* with the settings crmbot relies on."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        kwargs: dict[str, Any] = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
        if not database or database == ":memory:":
            kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
        else:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"]["check_same_thread"] = False
        engine = create_engine(parsed, echo=echo, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        _WriterQueue().wrap(engine)
        return engine
    return create_engine(parsed, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


def describe(engine: Engine) -> str:
    """The URL without its password, for logs and messages."""
    return engine.url.render_as_string(hide_password=True)
