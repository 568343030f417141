"""Commercial documents: quotes, orders, invoices, payments and contracts (Dolibarr propal, commande,
facture, paiement, paiement_facture, contrat). Status values are Dolibarr's, so data round-trips."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import IntEnum

from sqlalchemy import Boolean, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from bot.crm.models.base import Base, ExternalRefMixin, IdMixin, TimestampMixin
from bot.crm.models.thirdparty import ThirdParty

Money = Numeric(24, 8)


class QuoteStatus(IntEnum):
    DRAFT = 0
    OPEN = 1  # validated, sent, waiting for the customer
    SIGNED = 2
    NOT_SIGNED = 3
    BILLED = 4


class OrderStatus(IntEnum):
    CANCELED = -1
    DRAFT = 0
    VALIDATED = 1
    SHIPPING = 2
    DELIVERED = 3


class InvoiceStatus(IntEnum):
    DRAFT = 0
    UNPAID = 1  # validated
    PAID = 2
    ABANDONED = 3


class InvoiceType(IntEnum):
    STANDARD = 0
    REPLACEMENT = 1
    CREDIT_NOTE = 2
    DEPOSIT = 3


class ContractStatus(IntEnum):
    DRAFT = 0
    VALIDATED = 1
    CLOSED = 2


class CommercialDocument(IdMixin, TimestampMixin, ExternalRefMixin):
    """Fields every commercial document shares: reference, third party, amounts, owner, notes."""

    ref: Mapped[str] = mapped_column(String(30))
    ref_client: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[int] = mapped_column(Integer, default=0)
    date: Mapped[date]
    total_ht: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    total_vat: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    total_ttc: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    note_public: Mapped[str | None] = mapped_column(Text)
    note_private: Mapped[str | None] = mapped_column(Text)
    validated_at: Mapped[datetime | None]

    @declared_attr
    def thirdparty_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("thirdparties.id", ondelete="RESTRICT"), index=True)

    @declared_attr
    def contact_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)

    @declared_attr
    def owner_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)

    @declared_attr
    def project_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("projects.id", ondelete="SET NULL"), index=True)

    @declared_attr
    def thirdparty(cls) -> Mapped[ThirdParty]:
        return relationship(ThirdParty)


class Quote(CommercialDocument, Base):
    __tablename__ = "quotes"
    __table_args__ = (UniqueConstraint("ref"),)

    valid_until: Mapped[date | None]
    signed_at: Mapped[datetime | None]


class Order(CommercialDocument, Base):
    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("ref"),)

    delivery_date: Mapped[date | None]
    billed: Mapped[bool] = mapped_column(Boolean, default=False)
    quote_id: Mapped[int | None] = mapped_column(ForeignKey("quotes.id", ondelete="SET NULL"), index=True)


class Invoice(CommercialDocument, Base):
    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("ref"),)

    type: Mapped[int] = mapped_column(Integer, default=InvoiceType.STANDARD)
    due_date: Mapped[date | None]
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    close_code: Mapped[str | None] = mapped_column(String(16))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)

    allocations: Mapped[list[PaymentAllocation]] = relationship(back_populates="invoice")


class Payment(IdMixin, TimestampMixin, ExternalRefMixin, Base):
    __tablename__ = "payments"

    ref: Mapped[str] = mapped_column(String(30), unique=True)
    date: Mapped[date]
    amount: Mapped[Decimal] = mapped_column(Money)
    payment_mode: Mapped[str | None] = mapped_column(String(32))
    number: Mapped[str | None] = mapped_column(String(50))  # cheque or transfer number
    note: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)

    allocations: Mapped[list[PaymentAllocation]] = relationship(
        back_populates="payment", cascade="all, delete-orphan"
    )


class PaymentAllocation(IdMixin, Base):
    """The part of a payment that settles one invoice (llx_paiement_facture)."""

    __tablename__ = "payment_allocations"
    __table_args__ = (UniqueConstraint("payment_id", "invoice_id"),)

    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)

    payment: Mapped[Payment] = relationship(back_populates="allocations")
    invoice: Mapped[Invoice] = relationship(back_populates="allocations")


class Contract(CommercialDocument, Base):
    __tablename__ = "contracts"
    __table_args__ = (UniqueConstraint("ref"),)

    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
