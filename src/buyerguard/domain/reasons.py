"""The reason taxonomy: one table whose codes never change once released."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from buyerguard.domain.errors import UnknownReasonError


class ReasonKind(StrEnum):
    RETURNS = "returns"
    CONDUCT = "conduct"
    PAYMENT = "payment"
    LOGISTICS = "logistics"
    OTHER = "other"


@dataclass(frozen=True)
class Reason:
    """One entry of the taxonomy.

    `half_life` is how fast a tag's weight decays; `expires_after` is when it stops counting at all.
    `misconduct` is False for logistics reasons: they describe a shipping risk, not bad conduct.
    """

    code: str
    label: str
    kind: ReasonKind
    verifiable_by: str
    half_life: timedelta
    expires_after: timedelta

    @property
    def misconduct(self) -> bool:
        return self.kind is not ReasonKind.LOGISTICS


def _days(n: int) -> timedelta:
    return timedelta(days=n)


REASONS: tuple[Reason, ...] = (
    Reason(
        "frequent_returns",
        "Frequent returns or refund requests without valid cause",
        ReasonKind.RETURNS,
        "refund/return events",
        _days(365),
        _days(3 * 365),
    ),
    Reason(
        "malicious_feedback",
        "Malicious negative feedback (unreasonable demands, competitor sabotage)",
        ReasonKind.CONDUCT,
        "subjective",
        _days(365),
        _days(2 * 365),
    ),
    Reason(
        "card_fraud",
        "Suspected credit card fraud",
        ReasonKind.PAYMENT,
        "chargeback with a fraud reason",
        _days(2 * 365),
        _days(5 * 365),
    ),
    Reason(
        "extortion",
        "Malicious threats or extortion",
        ReasonKind.CONDUCT,
        "subjective",
        _days(2 * 365),
        _days(5 * 365),
    ),
    Reason(
        "unpaid_order",
        "Placed orders but did not complete payment",
        ReasonKind.PAYMENT,
        "order events (payment timeout)",
        _days(180),
        _days(2 * 365),
    ),
    Reason(
        "non_payment",
        "Refused to pay after delivery (chargeback, PayPal dispute)",
        ReasonKind.PAYMENT,
        "chargeback / dispute events",
        _days(2 * 365),
        _days(5 * 365),
    ),
    Reason(
        "unmerited_dispute",
        "Quality dispute without merit, to get goods for free",
        ReasonKind.RETURNS,
        "dispute resolved in the seller's favour",
        _days(365),
        _days(3 * 365),
    ),
    Reason(
        "remote_area",
        "Lives where shipping is problematic",
        ReasonKind.LOGISTICS,
        "context, not misconduct",
        _days(365),
        _days(3 * 365),
    ),
    Reason(
        "cod_refusal",
        "Refused cash-on-delivery parcel or customs duties",
        ReasonKind.LOGISTICS,
        "courier return / refusal events",
        _days(365),
        _days(3 * 365),
    ),
    Reason(
        "other",
        "Other behaviour that suggests untrustworthiness or logistic trouble",
        ReasonKind.OTHER,
        "subjective",
        _days(180),
        _days(2 * 365),
    ),
)

REASONS_BY_CODE: dict[str, Reason] = {reason.code: reason for reason in REASONS}
REASON_CODES: tuple[str, ...] = tuple(REASONS_BY_CODE)


def get_reason(code: str) -> Reason:
    """Return the reason with this code, or raise an error that lists the valid codes."""
    try:
        return REASONS_BY_CODE[code]
    except KeyError:
        raise UnknownReasonError(
            f"unknown reason {code!r}; valid reasons: {', '.join(REASON_CODES)}"
        ) from None
