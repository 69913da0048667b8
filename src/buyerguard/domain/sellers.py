"""Sellers are the tenants: they report and screen, reach the API with keys, and earn trust."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from buyerguard.domain.errors import InvalidInputError
from buyerguard.domain.text import check_text

MAX_NAME = 100
_NAME_PUNCTUATION = frozenset(" ._@&'-")
KEY_PREFIX = "bg_"
# What identifies a key in lists without revealing it: "bg_" and 8 of its 48 random hex digits.
SHOWN_KEY_LENGTH = len(KEY_PREFIX) + 8
# A key's last use is stored to this precision: a busy key costs a write this often at most.
KEY_USE_PRECISION = timedelta(minutes=5)


class Role(StrEnum):
    SELLER = "seller"
    ADMIN = "admin"


@dataclass(frozen=True)
class Seller:
    id: int
    name: str
    role: Role
    created_at: datetime
    trust: float

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


@dataclass(frozen=True)
class ApiKey:
    """A seller's key as the registry knows it: never the key itself, which only its owner has."""

    id: int
    seller_id: int
    prefix: str | None  # its first characters; None for a key issued before they were kept
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None  # to KEY_USE_PRECISION; None if never used since 0013

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class KeyOwner:
    """The seller an active key belongs to, with the key's id and last use."""

    seller: Seller
    key_id: int
    last_used_at: datetime | None

    def use_to_record(self, now: datetime) -> bool:
        """Whether a use at `now` changes the stored last use by KEY_USE_PRECISION or more."""
        return self.last_used_at is None or now - self.last_used_at >= KEY_USE_PRECISION


def validate_seller_name(name: str) -> str:
    """The name as stored: trimmed and NFC-normalised, so that "Café" typed either way is one
    name. Letters and digits of any script, with their combining marks (Devanagari needs them)."""
    cleaned = unicodedata.normalize("NFC", name.strip())
    check_text("seller name", cleaned)
    if not (0 < len(cleaned) <= MAX_NAME and cleaned[0].isalnum() and all(map(_allowed, cleaned))):
        raise InvalidInputError(
            f"seller name: 1 to {MAX_NAME} letters, digits, spaces or . _ @ & ' -, "
            "starting with a letter or digit"
        )
    return cleaned


def _allowed(char: str) -> bool:
    return char.isalnum() or char in _NAME_PUNCTUATION or unicodedata.category(char)[0] == "M"


def seller_name_key(name: str) -> str:
    """What two names that are one seller's share: "Demo Shop" and "demo shop" are one."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name.strip()).casefold())


def new_api_key(random_bytes: bytes) -> str:
    """A key shown once to its owner; the caller supplies the randomness, keeping this pure."""
    return KEY_PREFIX + random_bytes.hex()


def shown_part(key: str) -> str:
    return key[:SHOWN_KEY_LENGTH]


def hash_api_key(key: str) -> str:
    """Keys are long and random, so a fast unsalted hash already makes a stolen table useless."""
    return hashlib.sha256(key.encode()).hexdigest()
