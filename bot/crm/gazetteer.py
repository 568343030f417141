"""The gazetteer on the database: a message's n-grams looked up in the indexed key columns.

One statement per lookup (companies and people in one UNION ALL) whatever the size of the CRM, so there
is nothing to build at start-up and nothing goes stale: a company created a second ago is found by the
next message.

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
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    Select,
    String,
    any_,
    bindparam,
    func,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects import postgresql
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
# words, whether there are phrases, whether contacts are looked up) with bound parameters, and reused.
# Companies and people come back from one UNION ALL, one round trip per lookup; a row says which it is.
_COMPANY: Any = literal_column("'thirdparty'")
_CONTACT: Any = literal_column("'contact'")


def _company_select() -> Select[Any]:
    return (
        select(
            ThirdPartyKey.key.label("key"),
            ThirdPartyKey.kind.label("match"),
            _COMPANY.label("kind"),
            ThirdParty.id.label("id"),
            ThirdParty.name.label("name"),
            null().label("last"),
            ThirdParty.id.label("tp_id"),
            ThirdParty.name.label("tp_name"),
        )
        .join(ThirdParty, ThirdParty.id == ThirdPartyKey.thirdparty_id)
        .where(ThirdParty.status == ThirdPartyStatus.ACTIVE)
    )


def _person_select(key: Any, match: str) -> Select[Any]:
    return (
        select(
            key.label("key"),
            literal_column(f"'{match}'").label("match"),
            _CONTACT.label("kind"),
            Contact.id.label("id"),
            Contact.firstname.label("name"),
            Contact.lastname.label("last"),
            Contact.thirdparty_id.label("tp_id"),
            ThirdParty.name.label("tp_name"),
        )
        .outerjoin(ThirdParty, ThirdParty.id == Contact.thirdparty_id)
        .where(
            Contact.is_active.is_(True),
            # private contacts only for their creator (the viewer), as rights.Scope.contact_clause
            or_(Contact.is_private.is_(False), Contact.created_by_id == bindparam("viewer")),
        )
    )


def _word_branches() -> list[tuple[Callable[[], Select[Any]], Any]]:
    """Per one-word key, each its own index seek with a LIMIT: a company's name word, a first, a last name."""
    return [
        (lambda: _company_select().where(ThirdPartyKey.kind == "token"), ThirdPartyKey.key),
        (lambda: _person_select(Contact.firstname_key, "first"), Contact.firstname_key),
        (lambda: _person_select(Contact.lastname_key, "last"), Contact.lastname_key),
    ]


@lru_cache(maxsize=4 * (WORDS_PER_STATEMENT + 1))
def _statement(words: int, phrases: bool, contacts: bool) -> Any:
    """Rows of (key, match, kind, id, name or first name, last name, third party id, third party name).

    One branch per word and lookup, with the words as parameters ``w0``, ``w1`` …: for SQLite, which plans
    such a statement in microseconds and has neither arrays nor LATERAL."""
    # Whole names and aliases are (nearly) unique: one IN for every key. Words of names are not.
    branches: list[Any] = [
        _company_select().where(
            ThirdPartyKey.key.in_(bindparam("keys", expanding=True)), ThirdPartyKey.kind != "token"
        )
    ]
    if contacts and phrases:
        full = _person_select(Contact.fullname_key, "full")
        branches.append(full.where(Contact.fullname_key.in_(bindparam("phrases", expanding=True))))
    lookups = _word_branches() if contacts else _word_branches()[:1]
    for i in range(words):
        for build, column in lookups:
            branches.append(_limited(build().where(column == bindparam(f"w{i}"))))
    return _union(branches)


@lru_cache(maxsize=2)
def _array_statement(contacts: bool) -> Any:
    """The same rows for PostgreSQL, one statement for any number of words (arrays ``keys``, ``phrases``,
    ``words``, each word's seek a LATERAL subquery): planning the per-word UNION took 4 ms there at 8 words,
    and a statement of one shape is prepared once per connection."""

    def array(name: str) -> Any:
        return bindparam(name, type_=postgresql.ARRAY(String))

    def per_word(build: Callable[[], Select[Any]], column: Any) -> Any:
        word = func.unnest(array("words")).table_valued("word").render_derived(name="w")
        seek = build().where(column == word.c.word).limit(MAX_ROWS_PER_KEY + 1).lateral()
        return select(*seek.c).select_from(word).join(seek, true())

    branches: list[Any] = [
        _company_select().where(ThirdPartyKey.key == any_(array("keys")), ThirdPartyKey.kind != "token")
    ]
    if contacts:
        full = _person_select(Contact.fullname_key, "full")
        branches.append(full.where(Contact.fullname_key == any_(array("phrases"))))
    lookups = _word_branches() if contacts else _word_branches()[:1]
    branches += [per_word(build, column) for build, column in lookups]
    return union_all(*branches)


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
        companies: dict[str, list[Entry]] = defaultdict(list)
        people: dict[str, list[Entry]] = defaultdict(list)
        for rows in self._rows(keys, phrases, words):
            for key, match, kind, ident, name, last, tp_id, tp_name in rows:
                if tp_id is not None and self.visible is not None and not self.visible(tp_id):
                    continue
                if kind == "thirdparty":
                    companies[key].append(Entry("thirdparty", ident, cast(MatchKind, match), name))
                else:
                    label = " ".join(p for p in (name, last) if p)
                    entry = Entry("contact", ident, cast(MatchKind, match), label, tp_id, tp_name)
                    people[key].append(entry)
        # companies before people under each key, as the parser has always seen them
        return {k: companies.get(k, []) + people.get(k, []) for k in {**companies, **people}}

    def _rows(self, keys: list[str], phrases: list[str], words: list[str]) -> Iterator[Any]:
        """The result of each statement the lookup takes: one, or one per chunk of words on SQLite."""
        viewer = {"viewer": self.viewer} if self.contacts else {}
        if self.session.get_bind().dialect.name == "postgresql":
            params = {"keys": keys, "phrases": phrases, "words": words, **viewer}
            yield self.session.execute(_array_statement(self.contacts), params)
            return
        for number, chunk in enumerate(_chunks(words)):
            first = number == 0
            with_phrases = self.contacts and first and bool(phrases)
            chunk_params: dict[str, object] = {f"w{i}": w for i, w in enumerate(chunk)}
            chunk_params.update(keys=keys if first else [], **viewer)
            if with_phrases:
                chunk_params["phrases"] = phrases
            yield self.session.execute(_statement(len(chunk), with_phrases, self.contacts), chunk_params)
