"""Sellers' own lists: allow and block entries with a note and an expiry, and named lists."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from buyerguard.domain.identifiers import hash_identifiers
from buyerguard.domain.lists import ListEntry, validate_entry, validate_list_name
from buyerguard.services.buyers import resolve_buyers
from buyerguard.services.unit_of_work import UnitOfWork


def put_entry(
    uow: UnitOfWork,
    list_name: str,
    buyer: Mapping[str, object],
    *,
    seller_id: int,
    note: str,
    expires_at: datetime | None,
    secret: bytes,
    now: datetime,
) -> int:
    """Put a buyer on one of the seller's lists (again: the note and expiry are replaced)."""
    name = validate_list_name(list_name)
    validate_entry(note, expires_at, now=now)
    identifiers = hash_identifiers(buyer, secret)
    with uow:
        (buyer_id,) = resolve_buyers(uow, [identifiers], sellers=[seller_id], now=now)
        entry_id = uow.lists.put(seller_id, ListEntry(0, buyer_id, name, note, expires_at, now))
        uow.commit()
    return entry_id


def list_entries(uow: UnitOfWork, list_name: str, *, seller_id: int) -> list[ListEntry]:
    with uow:
        return uow.lists.entries(seller_id, validate_list_name(list_name))


def remove_entry(uow: UnitOfWork, list_name: str, entry_id: int, *, seller_id: int) -> None:
    with uow:
        uow.lists.remove(seller_id, validate_list_name(list_name), entry_id)
        uow.commit()
