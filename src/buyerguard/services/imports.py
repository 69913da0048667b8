"""Bulk import of tags and completed orders from JSON Lines, all or nothing."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from buyerguard.domain.errors import BuyerGuardError, InvalidImportError
from buyerguard.domain.imports import ImportRecord, parse_line
from buyerguard.domain.sellers import Role, Seller, validate_seller_name
from buyerguard.domain.tags import NewTag, TagSource
from buyerguard.domain.trust import NEW_SELLER_TRUST
from buyerguard.services.alerts import TagChange, alert_buyer_changes, risk_levels
from buyerguard.services.buyers import resolve_buyers
from buyerguard.services.orders import PendingOrder, store_completed_orders
from buyerguard.services.tags import PendingTag, store_tags
from buyerguard.services.unit_of_work import UnitOfWork

CHUNK_LINES = 20_000


@dataclass
class ImportResult:
    tags: int = 0
    completed_orders: int = 0
    duplicates: int = 0


def import_lines(
    uow: UnitOfWork,
    lines: Iterable[str],
    *,
    importer: Seller,
    secret: bytes,
    now: datetime,
) -> ImportResult:
    """Import every line or none: any bad line rolls the whole import back, and the error lists the
    line numbers of all bad lines of the chunk it was found in (and those before it)."""
    result = ImportResult()
    errors: list[tuple[int, str]] = []
    with uow:
        sellers: dict[str, int] = {}
        for chunk in _chunks(enumerate(lines, start=1)):
            records = _parse(chunk, importer, errors, secret=secret, now=now)
            if errors:
                continue
            _store(uow, records, importer, sellers, result, now=now)
        if errors:
            raise InvalidImportError(errors)
        uow.commit()
    return result


def _chunks(numbered: Iterator[tuple[int, str]]) -> Iterator[list[tuple[int, str]]]:
    while chunk := list(islice(numbered, CHUNK_LINES)):
        yield chunk


def _parse(
    chunk: list[tuple[int, str]],
    importer: Seller,
    errors: list[tuple[int, str]],
    *,
    secret: bytes,
    now: datetime,
) -> list[ImportRecord]:
    records = []
    for number, text in chunk:
        if not text.strip():
            continue
        try:
            record = parse_line(text, line=number, secret=secret, now=now)
            if (
                record.seller is not None
                and not importer.is_admin
                and record.seller != importer.name
            ):
                errors.append((number, "seller: only an admin key may name another seller"))
                continue
            records.append(record)
        except BuyerGuardError as error:
            errors.append((number, error.message))
    return records


def _seller_ids(
    uow: UnitOfWork,
    records: list[ImportRecord],
    importer: Seller,
    cache: dict[str, int],
    now: datetime,
) -> list[int]:
    ids = []
    for record in records:
        name = record.seller
        if name is None or name == importer.name:
            ids.append(importer.id)
            continue
        if name not in cache:
            found = uow.sellers.find_by_name(validate_seller_name(name))
            cache[name] = (
                found.id
                if found
                else uow.sellers.add(name, role=Role.SELLER, trust=NEW_SELLER_TRUST, now=now).id
            )
        ids.append(cache[name])
    return ids


def _store(
    uow: UnitOfWork,
    records: list[ImportRecord],
    importer: Seller,
    sellers: dict[str, int],
    result: ImportResult,
    *,
    now: datetime,
) -> None:
    seller_ids = _seller_ids(uow, records, importer, sellers, now)
    buyer_ids = resolve_buyers(uow, [r.buyer for r in records], now=now)
    orders = [
        PendingOrder(s, b, r.order_ref or "", r.at)
        for r, s, b in zip(records, seller_ids, buyer_ids, strict=True)
        if r.type == "completed_order"
    ]
    tags = [
        PendingTag(b, NewTag(s, r.reason or "", r.note, r.order_ref, TagSource.IMPORT, r.at))
        for r, s, b in zip(records, seller_ids, buyer_ids, strict=True)
        if r.type == "tag"
    ]
    stored_orders = store_completed_orders(uow, orders, now=now)
    subscribers, before = risk_levels(uow, {t.buyer_id for t in tags}, now=now)
    stored_tags = store_tags(uow, tags, now=now, returning=False)
    changes = [
        TagChange(t.buyer_id, t.tag.seller_id, t.tag.reason)
        for t, stored in zip(tags, stored_tags, strict=True)
        if stored is not None
    ]
    alert_buyer_changes(uow, changes, subscribers=subscribers, before=before, now=now)
    result.completed_orders += sum(stored_orders)
    result.tags += sum(1 for t in stored_tags if t is not None)
    result.duplicates += stored_orders.count(False) + stored_tags.count(None)
