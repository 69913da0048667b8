"""What a policy can know about one order and its buyer at screening time, as plain values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from buyerguard.domain.errors import InvalidInputError
from buyerguard.domain.policies.vocabulary import VARIABLES, require_admitted

# What `days_since_last_tag` holds for a buyer nobody tagged: larger than any real age, so a
# condition such as `days_since_last_tag < 90` is simply false.
NEVER_TAGGED_DAYS = 100_000


@dataclass(frozen=True)
class OrderFacts:
    """The order being screened; `region` and `postal_code` are "" when unknown."""

    amount: float
    currency: str
    payment_method: str
    country: str
    region: str = ""
    postal_code: str = ""

    def __post_init__(self) -> None:
        require_admitted("order.currency", self.currency)
        require_admitted("order.payment_method", self.payment_method)
        require_admitted("order.ship_to.country", self.country)


@dataclass(frozen=True)
class Facts:
    """The buyer's record as the screening seller sees it, and the order.

    `sellers` maps reason codes to the distinct other sellers who tagged the buyer for it (a missing
    code counts 0); `mine` holds the reasons the screening seller itself tagged the buyer for;
    `lists` names the screening seller's lists the buyer is on.
    """

    risk: float
    level: str
    logistics_risk: float
    sellers: Mapping[str, int]
    mine: frozenset[str]
    distinct_reporters: int
    clean_sellers: int
    order_backed: int
    days_since_last_tag: int
    order: OrderFacts
    lists: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        require_admitted("level", self.level)
        for variable in VARIABLES:
            if variable.bounds is not None:
                low, high = variable.bounds
                if not low <= getattr(self, variable.name) <= high:
                    raise InvalidInputError(f"{variable.name} must be between {low:g} and {high:g}")
