"""Third parties (Dolibarr llx_societe): companies and individuals we sell to or buy from."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from bot.crm.models.base import Base, ExternalRefMixin, IdMixin, TimestampMixin
from bot.normalize import name_key, name_tokens, split_aliases


class CustomerType(IntEnum):
    """Dolibarr ``client``: 0 none, 1 customer, 2 prospect, 3 both."""

    NONE = 0
    CUSTOMER = 1
    PROSPECT = 2
    BOTH = 3


class ProspectStatus(IntEnum):
    """Dolibarr ``fk_stcomm``."""

    DO_NOT_CONTACT = -1
    NEVER_CONTACTED = 0
    TO_CONTACT = 1
    IN_PROGRESS = 2
    CONTACTED = 3


class ProspectLevel(StrEnum):
    """Dolibarr ``fk_prospectlevel`` codes."""

    NONE = "PL_NONE"
    LOW = "PL_LOW"
    MEDIUM = "PL_MEDIUM"
    HIGH = "PL_HIGH"


class ThirdPartyStatus(IntEnum):
    """Dolibarr ``status``: 1 active (open), 0 closed."""

    CLOSED = 0
    ACTIVE = 1


class ThirdParty(IdMixin, TimestampMixin, ExternalRefMixin, Base):
    __tablename__ = "thirdparties"
    __table_args__ = (
        CheckConstraint("customer_type BETWEEN 0 AND 3", name="customer_type"),
        CheckConstraint("prospect_status BETWEEN -1 AND 3", name="prospect_status"),
        CheckConstraint("status IN (0, 1)", name="status"),
        CheckConstraint(
            "prospect_level IS NULL OR prospect_level IN ('PL_NONE', 'PL_LOW', 'PL_MEDIUM', 'PL_HIGH')",
            name="prospect_level",
        ),
    )

    name: Mapped[str] = mapped_column(String(255))
    alias: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[int] = mapped_column(Integer, default=ThirdPartyStatus.ACTIVE)
    customer_type: Mapped[int] = mapped_column(Integer, default=CustomerType.NONE)
    is_supplier: Mapped[bool] = mapped_column(Boolean, default=False)
    is_individual: Mapped[bool] = mapped_column(Boolean, default=False)
    customer_code: Mapped[str | None] = mapped_column(String(64), unique=True)
    supplier_code: Mapped[str | None] = mapped_column(String(64), unique=True)

    address: Mapped[str | None] = mapped_column(Text)
    zip: Mapped[str | None] = mapped_column(String(25))
    town: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(100))
    country_code: Mapped[str | None] = mapped_column(String(2))
    phone: Mapped[str | None] = mapped_column(String(40))
    phone_mobile: Mapped[str | None] = mapped_column(String(40))
    fax: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(320))
    email_lower: Mapped[str | None] = mapped_column(String(320), index=True)
    website: Mapped[str | None] = mapped_column(String(255))

    vat_number: Mapped[str | None] = mapped_column(String(40), index=True)
    prof_id1: Mapped[str | None] = mapped_column(String(64))
    prof_id2: Mapped[str | None] = mapped_column(String(64))
    prof_id3: Mapped[str | None] = mapped_column(String(64))
    prof_id4: Mapped[str | None] = mapped_column(String(64))
    prof_id5: Mapped[str | None] = mapped_column(String(64))
    prof_id6: Mapped[str | None] = mapped_column(String(64))
    capital: Mapped[str | None] = mapped_column(String(32))

    prospect_status: Mapped[int] = mapped_column(Integer, default=ProspectStatus.NEVER_CONTACTED)
    prospect_level: Mapped[str | None] = mapped_column(String(12))
    lead_source: Mapped[str | None] = mapped_column(String(64))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("thirdparties.id", ondelete="SET NULL"), index=True
    )
    default_language: Mapped[str | None] = mapped_column(String(8))
    payment_terms: Mapped[str | None] = mapped_column(String(32))
    payment_mode: Mapped[str | None] = mapped_column(String(32))
    note_public: Mapped[str | None] = mapped_column(Text)
    note_private: Mapped[str | None] = mapped_column(Text)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    converted_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)

    keys: Mapped[list[ThirdPartyKey]] = relationship(
        back_populates="thirdparty", cascade="all, delete-orphan"
    )
    domains: Mapped[list[ThirdPartyDomain]] = relationship(
        back_populates="thirdparty", cascade="all, delete-orphan"
    )
    sales_reps: Mapped[list[SalesRep]] = relationship(cascade="all, delete-orphan")

    @validates("name", "alias")
    def _refresh_keys(self, field: str, value: str | None) -> str | None:
        name = value if field == "name" else self.name
        alias = value if field == "alias" else self.alias
        wanted: list[tuple[str, str]] = []
        if name:
            wanted.append(("name", name_key(name)))
        for one in split_aliases(alias):
            key = name_key(one)
            if key and ("name", key) not in wanted and ("alias", key) not in wanted:
                wanted.append(("alias", key))
        for token in name_tokens(wanted):
            wanted.append(("token", token))
        current = {(k.kind, k.key): k for k in self.keys}
        self.keys = [current.get(pair) or ThirdPartyKey(kind=pair[0], key=pair[1]) for pair in wanted]
        return value

    @validates("email")
    def _lower_email(self, _field: str, value: str | None) -> str | None:
        value = value.strip() if value else None
        self.email_lower = value.lower() if value else None
        return value

    @property
    def email_domains(self) -> list[str]:
        return [d.domain for d in self.domains]

    @email_domains.setter
    def email_domains(self, domains: list[str]) -> None:
        current = {d.domain: d for d in self.domains}
        wanted = list(dict.fromkeys(d.strip().lower().lstrip("@") for d in domains if d and d.strip()))
        self.domains = [current.get(d) or ThirdPartyDomain(domain=d) for d in wanted]

    @property
    def is_customer(self) -> bool:
        return self.customer_type in (CustomerType.CUSTOMER, CustomerType.BOTH)

    @property
    def is_prospect(self) -> bool:
        return self.customer_type in (CustomerType.PROSPECT, CustomerType.BOTH)

    def __repr__(self) -> str:
        return f"<ThirdParty {self.id} {self.name!r}>"


class ThirdPartyKey(IdMixin, Base):
    """Normalised names, aliases and name tokens of a third party: the indexed lookup for name matching.

    ``name`` and ``alias`` rows hold whole keys ("muller bau"); ``token`` rows hold the words of multi-word
    keys ("muller", "bau"), so "Müller" finds every Müller company by index, without scanning names.
    """

    __tablename__ = "thirdparty_keys"
    __table_args__ = (UniqueConstraint("thirdparty_id", "kind", "key"),)

    thirdparty_id: Mapped[int] = mapped_column(ForeignKey("thirdparties.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # name | alias | token
    key: Mapped[str] = mapped_column(String(255), index=True)

    thirdparty: Mapped[ThirdParty] = relationship(back_populates="keys")


class ThirdPartyDomain(IdMixin, Base):
    """Email domains that belong to a third party (ours, for routing mail); never free-mail domains."""

    __tablename__ = "thirdparty_domains"
    __table_args__ = (UniqueConstraint("thirdparty_id", "domain"),)

    thirdparty_id: Mapped[int] = mapped_column(ForeignKey("thirdparties.id", ondelete="CASCADE"), index=True)
    domain: Mapped[str] = mapped_column(String(255), index=True)

    thirdparty: Mapped[ThirdParty] = relationship(back_populates="domains")


class SalesRep(IdMixin, Base):
    """A user assigned to a third party (llx_societe_commerciaux); drives "see only my third parties"."""

    __tablename__ = "sales_reps"
    __table_args__ = (UniqueConstraint("thirdparty_id", "user_id"),)

    thirdparty_id: Mapped[int] = mapped_column(ForeignKey("thirdparties.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


Index("ix_thirdparties_customer_status", ThirdParty.customer_type, ThirdParty.status)
