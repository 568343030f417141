"""The gazetteer on the database: a message's n-grams looked up in the indexed key columns.

Two statements per message (companies, people) whatever the size of the CRM, so there is nothing to
build at start-up and nothing goes stale: a company created a second ago is found by the next message.

* Multi-word keys ("acme logistics", "max mustermann") can only be whole names: one ``IN`` lookup each
  on the third-party keys and the contacts' full-name keys.
* Stop words ("with", "mit") are only looked up as whole company names, never as first names or words.
* One-word keys ("max", "müller", "logistics") may be shared by thousands of rows at 100k companies and
  300k contacts. Each is looked up as its own index seek with a ``LIMIT`` (a UNION ALL of them in one
  statement), so a common first name costs the same as a rare one; the parser learns that a word is
  shared by more than :data:`MAX_ROWS_PER_KEY` records from the extra row.

Third parties the user may not see are left out, and so are their contacts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Select, bindparam, literal, or_, select, union_all
from sqlalchemy.orm import Session

from bot.crm.models import Contact, ThirdParty, ThirdPartyKey, ThirdPartyStatus
from bot.crm.rights import Scope
from bot.parsers.gazetteer import Entry, MatchKind
from bot.parsers.vocabulary import STOPWORDS

# A first name shared by thousands of contacts is still only a question to the user, and a question shows
# at most ten choices: fetch that many, plus one to know there are more.
MAX_ROWS_PER_KEY = 10


# SQLite allows at most 500 terms in a compound SELECT: long messages are looked up in chunks of words.
WORDS_PER_STATEMENT = 32


def _limited(stmt: Select[Any]) -> Any:
    """One branch of a UNION ALL with its own LIMIT (wrapped: SQLite allows LIMIT only on subqueries)."""
    return select(stmt.limit(MAX_ROWS_PER_KEY + 1).subquery())


def _union(branches: list[Any]) -> Any:
    return branches[0] if len(branches) == 1 else union_all(*branches)


# Building these statements costs far more than running them, so they are built once per shape (number of
# words) with bound parameters, and reused.
@lru_cache(maxsize=WORDS_PER_STATEMENT + 1)
def _company_statement(words: int) -> Any:
    def base() -> Any:
        return (
            select(ThirdPartyKey.key, ThirdPartyKey.kind, ThirdParty.id, ThirdParty.name)
            .join(ThirdParty, ThirdParty.id == ThirdPartyKey.thirdparty_id)
            .where(ThirdParty.status == ThirdPartyStatus.ACTIVE)
        )

    # Whole names and aliases are (nearly) unique: one IN for every key. Words of names are not.
    branches = [
        base().where(ThirdPartyKey.key.in_(bindparam("keys", expanding=True)), ThirdPartyKey.kind != "token")
    ]
    branches += [
        _limited(base().where(ThirdPartyKey.key == bindparam(f"w{i}"), ThirdPartyKey.kind == "token"))
        for i in range(words)
    ]
    return _union(branches)


@lru_cache(maxsize=2 * (WORDS_PER_STATEMENT + 1))
def _people_statement(words: int, phrases: bool) -> Any:
    def base(key: Any, match: str) -> Any:
        return (
            select(
                key,
                literal(match),
                Contact.id,
                Contact.firstname,
                Contact.lastname,
                Contact.thirdparty_id,
                ThirdParty.name,
            )
            .outerjoin(ThirdParty, ThirdParty.id == Contact.thirdparty_id)
            .where(
                Contact.is_active.is_(True),
                # private contacts only for their creator (the viewer), as rights.Scope.contact_clause
                or_(Contact.is_private.is_(False), Contact.created_by_id == bindparam("viewer")),
            )
        )

    branches = (
        [
            base(Contact.fullname_key, "full").where(
                Contact.fullname_key.in_(bindparam("phrases", expanding=True))
            )
        ]
        if phrases
        else []
    )
    for i in range(words):
        branches.append(
            _limited(base(Contact.firstname_key, "first").where(Contact.firstname_key == bindparam(f"w{i}")))
        )
        branches.append(
            _limited(base(Contact.lastname_key, "last").where(Contact.lastname_key == bindparam(f"w{i}")))
        )
    return _union(branches) if branches else None


def _chunks(words: list[str]) -> list[list[str]]:
    return [words[i : i + WORDS_PER_STATEMENT] for i in range(0, len(words), WORDS_PER_STATEMENT)] or [[]]


class DatabaseGazetteer:
    """*visible* limits third parties (and their contacts) as in the Matcher; *viewer* is the user whose
    private contacts are found (nobody's without one); *contacts* False finds no contacts at all (a user
    without ``contact.read``)."""

    def __init__(
        self,
        session: Session,
        visible: Callable[[int], bool] | None = None,
        *,
        viewer: int | None = None,
        contacts: bool = True,
    ) -> None:
        self.session = session
        self.visible = visible
        self.viewer = viewer
        self.contacts = contacts

    @classmethod
    def for_scope(cls, session: Session, scope: Scope) -> DatabaseGazetteer:
        return cls(session, scope.visible, viewer=scope.user_id, contacts=scope.may("contact.read"))

    def lookup(self, keys: Collection[str]) -> Mapping[str, Sequence[Entry]]:
        keys = [k for k in dict.fromkeys(keys) if k]
        if not keys:
            return {}
        phrases = [k for k in keys if " " in k]
        words = [k for k in keys if " " not in k and len(k) > 1 and k not in STOPWORDS]
        found: dict[str, list[Entry]] = defaultdict(list)
        for number, chunk in enumerate(_chunks(words)):
            params = {f"w{i}": w for i, w in enumerate(chunk)}
            first = number == 0
            for key, kind, ident, name in self.session.execute(
                _company_statement(len(chunk)), {**params, "keys": keys if first else []}
            ):
                if self.visible is None or self.visible(ident):
                    found[key].append(Entry("thirdparty", ident, cast(MatchKind, kind), name))
            people = _people_statement(len(chunk), first and bool(phrases)) if self.contacts else None
            if people is None:
                continue
            people_params: dict[str, object] = {**params, "viewer": self.viewer}
            if first and phrases:
                people_params["phrases"] = phrases
            for key, match, ident, first_name, last, tp_id, tp_name in self.session.execute(
                people, people_params
            ):
                if tp_id is not None and self.visible is not None and not self.visible(tp_id):
                    continue
                label = " ".join(p for p in (first_name, last) if p)
                found[key].append(Entry("contact", ident, cast(MatchKind, match), label, tp_id, tp_name))
        return {k: v for k, v in found.items() if v}
