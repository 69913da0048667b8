"""Sellers and their API keys: create, authenticate, show."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from buyerguard.domain.errors import AuthenticationError, ConflictError
from buyerguard.domain.sellers import (
    KEY_PREFIX,
    Role,
    Seller,
    hash_api_key,
    new_api_key,
    validate_seller_name,
)
from buyerguard.domain.trust import NEW_SELLER_TRUST
from buyerguard.services.unit_of_work import UnitOfWork


class SellerExistsError(ConflictError):
    code = "seller_exists"


@dataclass(frozen=True)
class NewSeller:
    seller: Seller
    api_key: str  # shown once; only its hash is kept


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
    key = new_api_key(secrets.token_bytes(24))
    uow.sellers.add_api_key(seller_id, hash_api_key(key), now=now)
    return key


def authenticate(uow: UnitOfWork, api_key: str) -> Seller:
    """The seller owning this key; any bad or unknown key gets the same answer."""
    if not api_key.startswith(KEY_PREFIX):
        raise AuthenticationError("invalid API key")
    with uow:
        seller = uow.sellers.find_by_key_hash(hash_api_key(api_key))
    if seller is None:
        raise AuthenticationError("invalid API key")
    return seller


def get_seller(uow: UnitOfWork, seller_id: int) -> Seller:
    with uow:
        return uow.sellers.get(seller_id)


def list_sellers(uow: UnitOfWork, *, after_id: int | None, limit: int) -> list[Seller]:
    """Oldest first, a page at a time (keyset pagination on the id)."""
    with uow:
        return uow.sellers.list_all(after_id=after_id, limit=limit)
