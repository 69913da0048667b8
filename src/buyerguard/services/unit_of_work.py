"""The unit of work and the repositories the use cases need, as Protocols storage satisfies."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from buyerguard.domain.identifiers import HashedIdentifier
from buyerguard.domain.profiles import BuyerStats, TagFacts
from buyerguard.domain.sellers import Role, Seller
from buyerguard.domain.tags import Tag, TagSource, TagStatus


@dataclass(frozen=True)
class TagRow:
    """A tag to insert; the storage assigns its id."""

    seller_id: int
    buyer_id: int
    reason: str
    note: str
    order_ref: str | None
    source: TagSource
    status: TagStatus
    order_backed: bool
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class OrderRow:
    seller_id: int
    buyer_id: int
    order_ref: str
    completed: bool
    at: datetime


@dataclass(frozen=True)
class ExistingOrder:
    buyer_id: int
    completed: bool


class SellerRepository(Protocol):
    def add(self, name: str, *, role: Role, trust: float, now: datetime) -> Seller: ...
    def get(self, seller_id: int) -> Seller: ...
    def find_by_name(self, name: str) -> Seller | None: ...
    def find_by_key_hash(self, key_hash: str) -> Seller | None: ...
    def add_api_key(self, seller_id: int, key_hash: str, *, now: datetime) -> None: ...
    def trust_for(self, seller_ids: Iterable[int]) -> dict[int, float]: ...
    def set_trust(self, trust: Mapping[int, float], *, now: datetime) -> None: ...
    def list_all(self) -> list[Seller]: ...


class BuyerRepository(Protocol):
    def find_buyers(self, digests: Iterable[str]) -> dict[str, int]: ...
    def create(self, count: int, *, now: datetime) -> list[int]: ...
    def link(self, links: Sequence[tuple[int, HashedIdentifier]], *, now: datetime) -> None: ...
    def merge(self, keep: int, others: Sequence[int]) -> None: ...


class TagRepository(Protocol):
    def add_many(self, rows: Sequence[TagRow]) -> list[int]: ...
    def get_for_seller(self, tag_id: int, seller_id: int) -> Tag: ...
    def active_keys(self, keys: Iterable[tuple[int, int, str]]) -> set[tuple[int, int, str]]: ...
    def set_status(self, tag_id: int, status: TagStatus, *, now: datetime) -> None: ...
    def list_for_seller(self, seller_id: int, *, after_id: int | None, limit: int) -> list[Tag]: ...
    def list_for_buyer_by_seller(self, buyer_id: int, seller_id: int) -> list[Tag]: ...
    def active_facts_for_buyers(self, buyer_ids: Iterable[int]) -> dict[int, list[TagFacts]]: ...
    def back_with_orders(self, orders: Sequence[tuple[int, int, str]]) -> set[int]: ...
    def expire(self, *, now: datetime) -> set[int]: ...


class OrderRepository(Protocol):
    def existing(self, keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], ExistingOrder]: ...
    def add_many(self, rows: Sequence[OrderRow]) -> None: ...
    def complete(self, seller_id: int, order_ref: str, *, at: datetime) -> None: ...
    def clean_sellers_for_buyers(self, buyer_ids: Iterable[int]) -> dict[int, set[int]]: ...


class StatsRepository(Protocol):
    def get(self, buyer_id: int) -> BuyerStats | None: ...
    def replace(self, stats: Mapping[int, BuyerStats]) -> None: ...


class UnitOfWork(Protocol):
    sellers: SellerRepository
    buyers: BuyerRepository
    tags: TagRepository
    orders: OrderRepository
    stats: StatsRepository

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
