"""Session factory and the unit of work: one per inbound message, CLI command or scheduled job."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or is locked: the caller should keep the input and retry later."""


class UnitOfWork:
    """A transaction that rolls back unless :meth:`commit` is called (on leaving the ``with`` block).

    ``expire_on_commit`` is off so that what a handler loaded can still be read after the commit, when
    the reply is rendered outside the transaction.
    """

    session: Session

    def __init__(
        self,
        session_factory: Callable[[], Session],
        *,
        read_only: bool = False,
        info: dict[str, Any] | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._read_only = read_only
        self._info = info or {}
        self._committed = False

    def __enter__(self) -> Self:
        self.session = self._session_factory()
        self.session.info.update(self._info)
        if self._read_only:
            self.session.connection(execution_options={"sqlite_read_only": True})
        self._committed = False
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed; unlike rollback() it does not expire what was
        # loaded, so a read-only unit of work's results stay readable after the block.
        self.session.close()
        if isinstance(exc, OperationalError | DBAPIError) and exc.connection_invalidated:
            raise DatabaseUnavailable(str(exc.orig)) from exc

    def flush(self) -> None:
        self.session.flush()

    def commit(self) -> None:
        self.session.commit()
        self._committed = True

    def rollback(self) -> None:
        self.session.rollback()


class Database:
    """The engine and its session factory; hands out units of work."""

    def __init__(
        self, engine: Engine, *, session_class: type[Session] = Session, info: dict[str, Any] | None = None
    ) -> None:
        """*session_class* carries the hooks every session needs (the audit log); *info* is copied into
        every session's ``info``."""
        self.engine = engine
        self.session_factory = sessionmaker(
            bind=engine, class_=session_class, expire_on_commit=False, autoflush=True, info=info or {}
        )

    def uow(self, *, read_only: bool = False, info: dict[str, Any] | None = None) -> UnitOfWork:
        """A new unit of work; *info* lands on the session (e.g. who is acting, for the audit log)."""
        return UnitOfWork(self.session_factory, read_only=read_only, info=info)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()
