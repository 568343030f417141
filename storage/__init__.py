"""Persistence for bot.crm: engine and session factory, unit of work, migrations, document store."""

from storage.documents import DocumentNotFound, DocumentStore, StoredFile
from storage.engine import DatabaseURLError, describe, make_engine, normalize_url
from storage.uow import Database, DatabaseUnavailable, UnitOfWork

__all__ = [
    "Database",
    "DatabaseURLError",
    "DatabaseUnavailable",
    "DocumentNotFound",
    "DocumentStore",
    "StoredFile",
    "UnitOfWork",
    "describe",
    "make_engine",
    "normalize_url",
]
