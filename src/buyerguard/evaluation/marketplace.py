"""One shape for every evaluated dataset: who tagged whom, who vouched for whom, and the truth."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Marketplace:
    """Raw events as sellers would submit them, before storage deduplicates anything.

    Times are unix seconds. `tag_reason` indexes `buyerguard.domain.reasons.REASONS`. `buyer_bad`
    is the ground truth (misconduct, not logistics); only buyers with `buyer_labelled` are scored.
    `seller_kind` names each seller's behaviour when it is known (the simulator), else "unknown".
    `mean_rating` is each buyer's average rating where ratings carry a value (Bitcoin Alpha).
    """

    name: str
    now: int
    n_sellers: int
    n_buyers: int
    tag_seller: IntArray
    tag_buyer: IntArray
    tag_reason: IntArray
    tag_order_backed: BoolArray
    tag_time: IntArray
    clean_seller: IntArray
    clean_buyer: IntArray
    clean_time: IntArray
    seller_age_days: FloatArray
    seller_kind: tuple[str, ...]
    buyer_bad: BoolArray
    buyer_labelled: BoolArray
    buyer_kind: tuple[str, ...]
    mean_rating: FloatArray | None = None

    @property
    def now_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now, tz=UTC)
