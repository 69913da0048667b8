"""Sellers and their API keys: create, authenticate, show; issue, list and revoke keys."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from buyerguard.domain.errors import ApiKeyNotFoundError, AuthenticationError, ConflictError
from buyerguard.domain.sellers import (
    KEY_PREFIX,
    ApiKey,
    Role,
    Seller,
    hash_api_key,
    new_api_key,
    shown_part,
    validate_seller_name,
)
from buyerguard.domain.trust import NEW_SELLER_TRUST
from buyerguard.services.unit_of_work import UnitOfWork

log = logging.getLogger("buyerguard.web")


class SellerExistsError(ConflictError):
    code = "seller_exists"


@dataclass(frozen=True)
class NewSeller:
    seller: Seller
    api_key: str  # shown once; only its hash is kept


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    api_key: str  # shown once; only its hash is kept
    revoked: list[int]  # the ids of the keys revoked with its issue


@dataclass(frozen=True)
class ListedSeller:
    seller: Seller
    active_keys: int


def create_seller(uow: UnitOfWork, name: str, *, role: Role, now: datetime) -> NewSeller:
    cleaned = validate_seller_name(name)
    with uow:
        existing = uow.sellers.find_by_name(cleaned)
        if existing is not None:  # or one whose name differs in case only
            raise SellerExistsError(f"a seller named {existing.name!r} exists already")
        seller = uow.sellers.add(cleaned, role=role, trust=NEW_SELLER_TRUST, now=now)
        key = add_api_key(uow, seller.id, now=now)
        uow.commit()
    return NewSeller(seller, key)


def add_api_key(uow: UnitOfWork, seller_id: int, *, now: datetime) -> str:
    """A new key of the seller, in the caller's open transaction; only its hash is kept."""
    return _add_key(uow, seller_id, now=now)[1]


def _add_key(uow: UnitOfWork, seller_id: int, *, now: datetime) -> tuple[ApiKey, str]:
    key = new_api_key(secrets.token_bytes(24))
    stored = uow.sellers.add_api_key(seller_id, hash_api_key(key), prefix=shown_part(key), now=now)
    return stored, key


def issue_api_key(
    uow: UnitOfWork, seller_id: int, *, revoke_others: bool = False, now: datetime
) -> IssuedKey:
    """Another key of the seller, beside its others or, with `revoke_others`, instead of them."""
    with uow:
        uow.sellers.get(seller_id)
        others = [k.id for k in uow.sellers.list_keys_for(seller_id) if k.active]
        stored, key = _add_key(uow, seller_id, now=now)
        revoked = others if revoke_others else []
        uow.sellers.revoke_keys(seller_id, revoked, now=now)
        uow.commit()
    return IssuedKey(stored, key, revoked)


def list_api_keys(uow: UnitOfWork, seller_id: int) -> list[ApiKey]:
    """The seller's keys, revoked ones too, newest first."""
    with uow:
        uow.sellers.get(seller_id)
        return uow.sellers.list_keys_for(seller_id)


def revoke_api_keys(
    uow: UnitOfWork,
    seller_id: int,
    *,
    key_ids: Collection[int] | None = None,
    keep_newest: bool = False,
    now: datetime,
) -> list[int]:
    """Revoke the seller's keys of `key_ids`, or all its active keys (but the newest, with
    `keep_newest`); return the ids of those that were active. A key of another seller, or none,
    is not found, and then nothing is revoked."""
    with uow:
        uow.sellers.get(seller_id)
        keys = uow.sellers.list_keys_for(seller_id)
        active = [k.id for k in keys if k.active]
        if key_ids is not None:
            unknown = sorted(set(key_ids) - {k.id for k in keys})
            if unknown:
                raise ApiKeyNotFoundError(f"no API key {unknown[0]} of seller {seller_id}")
            revoked = [k for k in active if k in key_ids]
        else:
            revoked = active[1:] if keep_newest else active
        uow.sellers.revoke_keys(seller_id, revoked, now=now)
        uow.commit()
    return revoked


def authenticate(uow: UnitOfWork, api_key: str, *, now: datetime) -> Seller:
    """The seller owning this key; any bad or unknown key gets the same answer. The key's last use
    is recorded when it moved by KEY_USE_PRECISION."""
    if not api_key.startswith(KEY_PREFIX):
        raise AuthenticationError("invalid API key")
    with uow:
        owner = uow.sellers.find_by_key_hash(hash_api_key(api_key))
    if owner is None:
        raise AuthenticationError("invalid API key")
    if owner.use_to_record(now):
        _record_key_use(uow, owner.key_id, now=now)
    return owner.seller


def _record_key_use(uow: UnitOfWork, key_id: int, *, now: datetime) -> None:
    """Record a key's use in a transaction of its own. A failure (a lock timeout, a read-only
    database) is logged, not raised: the request the key opens matters more than the record."""
    try:
        with uow:
            uow.sellers.record_key_use(key_id, now=now)
            uow.commit()
    except Exception:
        log.exception("could not record the use of API key %s", key_id)


def get_seller(uow: UnitOfWork, seller_id: int) -> Seller:
    with uow:
        return uow.sellers.get(seller_id)


def list_sellers(uow: UnitOfWork, *, after_id: int | None, limit: int) -> list[ListedSeller]:
    """Oldest first, a page at a time (keyset pagination on the id), with their active keys."""
    with uow:
        found = uow.sellers.list_all(after_id=after_id, limit=limit)
        counts = uow.sellers.active_key_counts(s.id for s in found)
    return [ListedSeller(s, counts.get(s.id, 0)) for s in found]
