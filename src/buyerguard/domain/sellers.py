"""Sellers are the tenants: they report and screen, reach the API with keys, and earn trust."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from buyerguard.domain.errors import InvalidInputError

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._@&'-]{0,99}")
KEY_PREFIX = "bg_"


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


def validate_seller_name(name: str) -> str:
    cleaned = name.strip()
    if not _NAME.fullmatch(cleaned):
        raise InvalidInputError(
            "seller name: 1 to 100 letters, digits, spaces or . _ @ & ' -, "
            "starting with a letter or digit"
        )
    return cleaned


def new_api_key(random_bytes: bytes) -> str:
    """A key shown once to its owner; the caller supplies the randomness, keeping this pure."""
    return KEY_PREFIX + random_bytes.hex()


def hash_api_key(key: str) -> str:
    """Keys are long and random, so a fast unsalted hash already makes a stolen table useless."""
    return hashlib.sha256(key.encode()).hexdigest()
