"""SQLite writers of one process queue in the process (storage.engine._WriterQueue), not in SQLite's
busy handler: with busy_timeout at 0 every second writer below would fail with "database is locked" at
once if they did not."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from storage.engine import make_engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'w.sqlite3'}")

    def no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    event.listen(eng, "connect", no_busy_wait)  # after make_engine's own pragmas
    with eng.connect() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.commit()
    yield eng
    eng.dispose()


def rows(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return [x for (x,) in conn.execute(text("SELECT x FROM t ORDER BY x"))]


def second_writer(engine: Engine, value: int, order: list[str], started: threading.Event) -> threading.Thread:
    def write() -> None:
        started.set()
        with Session(engine) as session:
            session.execute(text("INSERT INTO t VALUES (:x)"), {"x": value})
            order.append(f"second wrote {value}")
            session.commit()

    thread = threading.Thread(target=write)
    thread.start()
    started.wait()
    return thread


@pytest.mark.parametrize("ending", ["commit", "rollback", "close"])
def test_a_second_writer_waits_for_the_first_to_end_however_it_ends(engine: Engine, ending: str) -> None:
    order: list[str] = []

    def driver_ends_late(_conn: Any) -> None:
        time.sleep(0.2)  # the engine's events fire before the driver's COMMIT/ROLLBACK: make that last

    event.listen(engine, "commit", driver_ends_late)
    event.listen(engine, "rollback", driver_ends_late)
    first = Session(engine)
    first.execute(text("INSERT INTO t VALUES (1)"))
    thread = second_writer(engine, 2, order, threading.Event())
    thread.join(0.3)
    assert thread.is_alive()  # waiting, not failed
    assert order == []
    order.append(f"first {ending}")
    getattr(first, ending)()
    first.close()
    thread.join(10)
    assert order == [f"first {ending}", "second wrote 2"]
    assert rows(engine) == ([1, 2] if ending == "commit" else [2])


def test_an_invalidated_connection_lets_the_next_writer_in(engine: Engine) -> None:
    first = Session(engine)
    first.execute(text("INSERT INTO t VALUES (1)"))
    first.connection().invalidate()  # as when the driver reports the connection broken
    first.close()
    with Session(engine) as session:
        session.execute(text("INSERT INTO t VALUES (2)"))
        session.commit()
    assert rows(engine) == [2]


def test_readers_do_not_queue_behind_a_writer(engine: Engine) -> None:
    writer = Session(engine)
    writer.execute(text("INSERT INTO t VALUES (1)"))
    with engine.connect().execution_options(sqlite_read_only=True) as reader:
        assert reader.execute(text("SELECT count(*) FROM t")).scalar() == 0
    writer.commit()
    writer.close()


def test_a_writer_nested_in_the_same_thread_fails_as_sqlite_says_instead_of_hanging(engine: Engine) -> None:
    outer = Session(engine)
    outer.execute(text("INSERT INTO t VALUES (1)"))
    with Session(engine) as inner, pytest.raises(OperationalError, match="locked"):
        inner.execute(text("INSERT INTO t VALUES (2)"))
    outer.commit()
    outer.close()
    with Session(engine) as after:  # the queue is free again
        after.execute(text("INSERT INTO t VALUES (3)"))
        after.commit()
    assert rows(engine) == [1, 3]
