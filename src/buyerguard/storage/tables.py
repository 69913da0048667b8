"""The rows as stored. Every table that grows with buyers is keyed by `buyer_id` first."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints let migrations alter them on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both engines (SQLite keeps no zone, so it is put back on read)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware UTC time")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class SellerRow(Base):
    __tablename__ = "sellers"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # seller_name_key(name): unique, so that "demo shop" cannot join "Demo Shop". Casefolding may
    # triple a character's length. Null only for a seller whose name differed from an older one's
    # in case alone before keys existed (migration 0009): it is found by its exact name. A unique
    # index, not a constraint: SQLite adds one without copying the table its tags refer to.
    name_key: Mapped[str | None] = mapped_column(String(300), unique=True, index=True)
    role: Mapped[str] = mapped_column(String(16))
    trust: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    trust_updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The key's first characters, to tell keys apart in lists (null for keys older than 0010).
    prefix: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # KEY_USE_PRECISION


class SecretCheckRow(Base):
    """One row: the check value of the identifier secret (domain.identifiers.secret_check), so a
    process given another secret is refused rather than finding nobody."""

    __tablename__ = "secret_check"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[str] = mapped_column(String(64))


class BuyerRow(Base):
    __tablename__ = "buyers"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    merged_into: Mapped[int | None] = mapped_column(Id)


class BuyerIdentifierRow(Base):
    """Only the keyed hash of an identifier is kept; the secret lives outside the database."""

    __tablename__ = "buyer_identifiers"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BuyerLinkRow(Base):
    """A seller's word that two buyers, each known to other sellers, are one person: the registry
    merges them once enough sellers have said so (domain.links)."""

    __tablename__ = "buyer_links"
    __table_args__ = (Index("ix_buyer_links_other", "other_id"),)

    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id"), primary_key=True)  # the older
    other_id: Mapped[int] = mapped_column(ForeignKey("buyers.id"), primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BuyerLinkApartRow(Base):
    """An operator's ruling that two buyer records are not one person: no seller's word merges
    them (domain.links). Follows its records into later merges, as claims do."""

    __tablename__ = "buyer_links_apart"
    __table_args__ = (Index("ix_buyer_links_apart_other", "other_id"),)

    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id"), primary_key=True)  # the older
    other_id: Mapped[int] = mapped_column(ForeignKey("buyers.id"), primary_key=True)
    note: Mapped[str | None] = mapped_column(Text)  # the operator's, never shown to sellers
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BuyerMergeRow(Base):
    """One record folded into another, kept so an operator can undo it (storage.merges)."""

    __tablename__ = "buyer_merges"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id"), index=True)  # the one kept
    merged_id: Mapped[int] = mapped_column(ForeignKey("buyers.id"), index=True)
    # The seller whose word made the merge; null for an operator's approval.
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id"))
    merged_at: Mapped[datetime] = mapped_column(UtcDateTime())
    undone_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class BuyerMergeMoveRow(Base):
    """What a merge changed: a row it moved or changed (`key`: its id, or an identifier's digest),
    or a list entry as it was (`data`, JSON)."""

    __tablename__ = "buyer_merge_moves"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    merge_id: Mapped[int] = mapped_column(ForeignKey("buyer_merges.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(64))
    data: Mapped[str | None] = mapped_column(Text)


class TagRow(Base):
    __tablename__ = "tags"
    __table_args__ = (
        Index("ix_tags_buyer_seller", "buyer_id", "seller_id"),
        Index("ix_tags_seller_id", "seller_id", "id"),
        # Partial, so `status = 'active'` never lures the planner away from the buyer index.
        Index(
            "ix_tags_active_expires",
            "expires_at",
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        # One active tag per seller, buyer and reason, enforced by the database itself.
        Index(
            "uq_tags_active",
            "seller_id",
            "buyer_id",
            "reason",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id"))
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text)
    order_ref: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    order_backed: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Retracted by the event rules (its facts stopped calling for it), not by its seller: the rules
    # may make such a tag again, while a seller's retraction stands until a new fact.
    withdrawn_by_rules: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # A manual or imported tag the events confirmed: the order whose events back it, and when the
    # fact happened. Kept when the seller retracts the tag, so the retraction stands for the fact.
    confirmed_order_ref: Mapped[str | None] = mapped_column(String(200))
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class OrderRow(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("seller_id", "order_ref"),
        Index("ix_orders_buyer_seller", "buyer_id", "seller_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id"))
    order_ref: Mapped[str] = mapped_column(String(200))
    completed: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class BuyerStatsRow(Base):
    """Per-buyer aggregates kept on write, so a lookup never reads other buyers' tags."""

    __tablename__ = "buyer_stats"

    buyer_id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=False)
    distinct_reporters: Mapped[int] = mapped_column(Integer)
    clean_sellers: Mapped[int] = mapped_column(Integer)
    clean_weight: Mapped[float] = mapped_column(Float)
    first_reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # When the first tag counted here expires: a read past it recomputes the buyer's aggregates
    # from its own tags, so an expired tag stops counting before the expire-old-tags job runs.
    next_expiry_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class BuyerReasonStatsRow(Base):
    __tablename__ = "buyer_reason_stats"

    buyer_id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=False)
    reason: Mapped[str] = mapped_column(String(32), primary_key=True)
    sellers: Mapped[int] = mapped_column(Integer)
    order_backed: Mapped[int] = mapped_column(Integer)
    anchored_weight: Mapped[float] = mapped_column(Float)
    first_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PolicyRow(Base):
    """Every save is a new version; the newest is in force and old ones explain old decisions."""

    __tablename__ = "policies"
    __table_args__ = (UniqueConstraint("seller_id", "version"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ListEntryRow(Base):
    __tablename__ = "list_entries"
    __table_args__ = (
        UniqueConstraint("seller_id", "list_name", "buyer_id"),
        Index("ix_list_entries_buyer_seller", "buyer_id", "seller_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id"))
    list_name: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ScreeningRow(Base):
    """The decision log: each decision with the inputs that explain it later."""

    __tablename__ = "screenings"
    __table_args__ = (
        Index("ix_screenings_seller_id", "seller_id", "id"),
        Index("ix_screenings_created_at", "created_at"),
        Index("ix_screenings_buyer_seller", "buyer_id", "seller_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id"))
    order_ref: Mapped[str] = mapped_column(String(200))
    amount: Mapped[float] = mapped_column(Float)
    currency: Mapped[str] = mapped_column(String(3))
    payment_method: Mapped[str] = mapped_column(String(16))
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str] = mapped_column(String(100))
    postal_code: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    rule_line: Mapped[int | None] = mapped_column(Integer)
    rule_source: Mapped[str | None] = mapped_column(Text)
    policy_version: Mapped[int] = mapped_column(Integer)
    risk_score: Mapped[float] = mapped_column(Float)
    risk_level: Mapped[str] = mapped_column(String(16))
    facts: Mapped[str] = mapped_column(Text)  # JSON of the policy facts, for backtests and audits
    reasons: Mapped[str] = mapped_column(Text)  # JSON list of {code, message, evidence}
    errors: Mapped[str | None] = mapped_column(Text)  # JSON list of rule errors; NULL when none
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
