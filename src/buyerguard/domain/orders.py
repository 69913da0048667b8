"""Orders the registry saw between a seller and a buyer: clean ones, screened ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class OrderRecord:
    seller_id: int
    buyer_id: int
    order_ref: str
    completed: bool
    at: datetime


@dataclass(frozen=True)
class KnownOrder:
    buyer_id: int
    completed: bool
