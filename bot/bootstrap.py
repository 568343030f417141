"""The composition root: settings -> clock, database, document store, services; later the channels."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import event

from bot.clock import Clock, clock_for
from bot.config import Settings
from bot.crm import audit
from bot.crm.audit import Actor
from bot.crm.matching import FUZZY_KEY, FuzzyNames, Matcher, note_name_changes, refresh_names
from storage import Database, DocumentStore, UnitOfWork, make_engine


class AppSession(audit.AuditedSession):
    """The app's sessions: audited, and they refresh the fuzzy name index of the app whose
    ``FuzzyNames`` is in their info after a commit that changed names."""


event.listen(AppSession, "after_flush", note_name_changes)
event.listen(AppSession, "after_commit", refresh_names)


def open_database(url: str, fuzzy: FuzzyNames | None = None) -> Database:
    """Engine and session factory with the hooks every session needs (audit log, name-index refresh)."""
    return Database(
        make_engine(url), session_class=AppSession, info={FUZZY_KEY: fuzzy} if fuzzy is not None else None
    )


@dataclass
class App:
    settings: Settings
    clock: Clock
    db: Database
    documents: DocumentStore
    fuzzy: FuzzyNames = field(default_factory=FuzzyNames)

    def uow(self, actor: Actor | None = None, *, read_only: bool = False) -> UnitOfWork:
        """A unit of work whose writes are audited as *actor* (the system when None), on this app's clock."""
        actor = actor or Actor(user_id=None, channel="system")
        actor = Actor(actor.user_id, actor.channel, actor.source_message_id, now=self.clock.now)
        return self.db.uow(read_only=read_only, info={audit.SESSION_KEY: actor})

    def matcher(self, uow: UnitOfWork) -> Matcher:
        return Matcher(uow.session, self.fuzzy)

    def migrate(self) -> None:
        from storage import migrate  # Alembic is only needed here: keep it off the start-up path

        migrate.upgrade(self.db.engine)

    def close(self) -> None:
        self.db.dispose()


def build_app(settings: Settings) -> App:
    fuzzy = FuzzyNames()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = open_database(settings.effective_database_url, fuzzy)
    return App(
        settings=settings,
        clock=clock_for(settings.now),
        db=db,
        documents=DocumentStore(settings.documents_dir),
        fuzzy=fuzzy,
    )
