"""agenda.read_all for the sales team

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 18:40:00

The right ``agenda.read_all`` is enforced from this version on: without it a user sees only their own
and attended events in a customer's history. Until now every user saw everyone's, so whoever already
held ``thirdparty.read_all`` (a user or a group) gets ``agenda.read_all`` too, and nobody loses what they
saw. Restricted users (own third parties only) keep seeing only their own events from now on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    right = op.get_context().dialect.identifier_preparer.quote("right")  # a reserved word in SQL
    for table, owner in (("user_rights", "user_id"), ("group_rights", "group_id")):
        op.execute(
            sa.text(
                f"INSERT INTO {table} ({owner}, {right}) "
                f"SELECT r.{owner}, 'agenda.read_all' FROM {table} r "
                f"WHERE r.{right} = 'thirdparty.read_all' AND NOT EXISTS ("
                f"SELECT 1 FROM {table} o WHERE o.{owner} = r.{owner} AND o.{right} = 'agenda.read_all')"
            )
        )


def downgrade() -> None:
    """Nothing to take back: the rows are ordinary grants."""
