"""Sellers and their API keys as stored: of a key, only its hash and first characters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from buyerguard.domain.errors import SellerNotFoundError
from buyerguard.domain.sellers import ApiKey, KeyOwner, Role, Seller, seller_name_key
from buyerguard.storage import imports
from buyerguard.storage import statements as sql
from buyerguard.storage import tables as t
from buyerguard.storage.repositories import batched


def _seller(row: t.SellerRow | Row[*tuple[Any, ...]]) -> Seller:
    return Seller(row.id, row.name, Role(row.role), row.created_at, row.trust)


def _api_key(row: t.ApiKeyRow) -> ApiKey:
    return ApiKey(
        row.id, row.seller_id, row.prefix, row.created_at, row.revoked_at, row.last_used_at
    )


class SqlSellerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, name: str, *, role: Role, trust: float, now: datetime) -> Seller:
        row = t.SellerRow(
            name=name, name_key=seller_name_key(name), role=role.value, trust=trust, created_at=now
        )
        self.session.add(row)
        self.session.flush()
        return _seller(row)

    def get(self, seller_id: int) -> Seller:
        row = self.session.get(t.SellerRow, seller_id)
        if row is None:
            raise SellerNotFoundError(f"no seller {seller_id}")
        return _seller(row)

    def find_by_name(self, name: str) -> Seller | None:
        """The seller of this name, or of one differing in case only ("demo shop")."""
        found = self.ids_by_name([name])
        return None if not found else self.get(found[name])

    def ids_by_name(self, names: Iterable[str]) -> dict[str, int]:
        """The ids of the sellers of these names, as `find_by_name` finds them."""
        return imports.seller_ids(self.session, names)

    def add_many(
        self, names: Sequence[str], *, role: Role, trust: float, now: datetime
    ) -> list[int]:
        return imports.add_sellers(self.session, names, role=role, trust=trust, now=now)

    def find_by_key_hash(self, key_hash: str) -> KeyOwner | None:
        """The owner of the active key with this hash."""
        row = sql.SELLER_BY_KEY.first(self.session, {"key_hash": key_hash})
        return None if row is None else KeyOwner(_seller(row), row.key_id, row.last_used_at)

    def record_key_use(self, key_id: int, *, now: datetime) -> None:
        key = t.ApiKeyRow
        self.session.execute(update(key).where(key.id == key_id).values(last_used_at=now))

    def add_api_key(self, seller_id: int, key_hash: str, *, prefix: str, now: datetime) -> ApiKey:
        row = t.ApiKeyRow(seller_id=seller_id, key_hash=key_hash, prefix=prefix, created_at=now)
        self.session.add(row)
        self.session.flush()
        return _api_key(row)

    def list_keys_for(self, seller_id: int) -> list[ApiKey]:
        """Newest first."""
        query = select(t.ApiKeyRow).where(t.ApiKeyRow.seller_id == seller_id)
        return [_api_key(r) for r in self.session.scalars(query.order_by(t.ApiKeyRow.id.desc()))]

    def revoke_keys(self, seller_id: int, key_ids: Sequence[int], *, now: datetime) -> None:
        key = t.ApiKeyRow
        for chunk in batched(key_ids):
            self.session.execute(
                update(key)
                .where(key.seller_id == seller_id, key.id.in_(chunk), key.revoked_at.is_(None))
                .values(revoked_at=now)
            )

    def active_key_counts(self, seller_ids: Iterable[int]) -> dict[int, int]:
        key = t.ApiKeyRow
        found: dict[int, int] = {}
        for chunk in batched(seller_ids):
            rows = self.session.execute(
                select(key.seller_id, func.count())
                .where(key.seller_id.in_(chunk), key.revoked_at.is_(None))
                .group_by(key.seller_id)
            )
            found.update((seller_id, count) for seller_id, count in rows)
        return found

    def names_for(self, seller_ids: Iterable[int]) -> dict[int, str]:
        return seller_names(self.session, seller_ids)

    def trust_for(self, seller_ids: Iterable[int]) -> dict[int, float]:
        found: dict[int, float] = {}
        for chunk in batched(seller_ids):
            rows = self.session.execute(
                select(t.SellerRow.id, t.SellerRow.trust).where(t.SellerRow.id.in_(chunk))
            )
            found.update({row.id: row.trust for row in rows})
        return found

    def set_trust(self, trust: Mapping[int, float], *, now: datetime) -> None:
        if trust:
            self.session.execute(
                update(t.SellerRow),
                [{"id": s, "trust": v, "trust_updated_at": now} for s, v in trust.items()],
            )

    def list_all(self, *, after_id: int | None = None, limit: int | None = None) -> list[Seller]:
        """Oldest first; a page of `limit` after the seller `after_id` when given."""
        query = select(t.SellerRow)
        if after_id is not None:
            query = query.where(t.SellerRow.id > after_id)
        rows = self.session.scalars(query.order_by(t.SellerRow.id).limit(limit))
        return [_seller(r) for r in rows]


def seller_names(session: Session, seller_ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(seller_ids))
    rows = session.execute(
        select(t.SellerRow.id, t.SellerRow.name).where(t.SellerRow.id.in_(wanted))
    )
    return {row.id: row.name for row in rows}
