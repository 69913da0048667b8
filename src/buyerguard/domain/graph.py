"""The registry as one graph of sellers and buyers, for the computations that need all of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class GraphData:
    """The whole active graph, as parallel columns; sellers sorted by id."""

    seller_ids: list[int]
    seller_created: list[datetime]
    tag_seller: list[int]
    tag_buyer: list[int]
    tag_reason: list[str]
    tag_order_backed: list[bool]
    clean_seller: list[int]
    clean_buyer: list[int]
