"""Demo data that tells the case study: a buyer flagged by 23 sellers, and the range around it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from buyerguard.domain.sellers import Role
from buyerguard.domain.trust import NEW_SELLER_TRUST
from buyerguard.services import imports, sellers
from buyerguard.services.sellers import SellerExistsError
from buyerguard.services.unit_of_work import UnitOfWork

DEMO_SELLER = "Demo Shop"
DEMO_OPERATOR = "Demo Operator"
CASE_STUDY_BUYER = {
    "platform_buyer_id": "aliexpress:cn1234",
    "email": "case.study@example.com",
    "phone": "+14155550123",
}
COD_REFUSER = {"phone": "+8801712345678", "shipping_address": "House 12, Road 5, Dhanmondi, Dhaka"}
CHARGEBACK_BUYER = {"email": "chargeback.buyer@example.com"}
CLEAN_BUYER = {"email": "happy.customer@example.com", "platform_buyer_id": "ebay:happy-1"}
# Two records, each reported by its own seller, that a third seller says are one person: a claim
# for the operator to review (`buyerguard link-claims list`), since one seller's word merges no
# records other sellers know.
CLAIMED_RECORDS = ({"email": "jordan.reseller@example.com"}, {"phone": "+447700900123"})
CLAIMER = "Community Seller 10"
ESTABLISHED_TRUST = 0.85
ESTABLISHED_FOR = timedelta(days=730)


@dataclass(frozen=True)
class DemoResult:
    api_key: str
    loaded: bool  # False when the demo data was there already (a fresh key was issued)


def _line(kind: str, seller: str, buyer: dict[str, str], at: datetime, **extra: str) -> str:
    record = {"type": kind, "seller": seller, "buyer": buyer, "at": at.isoformat(), **extra}
    return json.dumps(record)


def _story(now: datetime) -> list[str]:
    """Community sellers: 13 report extortion, 8 frequent returns, 1 other; 3 completed fine."""
    lines: list[str] = []
    day = timedelta(days=1)
    for i in range(22):
        name = f"Community Seller {i + 1:02d}"
        reason = "extortion" if i < 13 else "frequent_returns" if i < 21 else "other"
        ref = f"CS-{i + 1:04d}"
        at = now - (5 + 7 * i) * day
        if i % 3 == 0:
            lines.append(
                _line("completed_order", name, CASE_STUDY_BUYER, at - 30 * day, order_ref=ref)
            )
        lines.append(_line("tag", name, CASE_STUDY_BUYER, at, reason=reason, order_ref=ref))
        lines.append(
            _line("completed_order", name, CLEAN_BUYER, at - 60 * day, order_ref=f"HC-{i}")
        )
        if i < 4:
            lines.append(_line("tag", name, COD_REFUSER, at, reason="cod_refusal"))
        if 4 <= i < 7:
            lines.append(_line("tag", name, CHARGEBACK_BUYER, at, reason="non_payment"))
        if i in (7, 8):
            reason = "unmerited_dispute" if i == 7 else "frequent_returns"
            lines.append(_line("tag", name, CLAIMED_RECORDS[i - 7], at, reason=reason))
    for i in range(3):
        name = f"Happy Seller {i + 1}"
        lines.append(
            _line("completed_order", name, CASE_STUDY_BUYER, now - 200 * day, order_ref=f"HS-{i}")
        )
    lines.append(
        _line(
            "tag",
            DEMO_SELLER,
            CASE_STUDY_BUYER,
            now - 3 * day,
            reason="frequent_returns",
            note="Returned 4 of 5 orders as 'not as described'; photos showed no defect.",
        )
    )
    return lines


def load_demo(uow: UnitOfWork, *, secret: bytes, now: datetime) -> DemoResult:
    """Load the demo once, all of it or nothing; afterwards only issue a fresh key for the demo
    seller. It brings its own sellers: a database where one of their names is taken is refused."""
    story = _story(now)
    community = sorted({json.loads(line)["seller"] for line in story} - {DEMO_SELLER})
    with uow:
        existing = uow.sellers.find_by_name(DEMO_SELLER)
        if existing is not None:
            key = sellers.add_api_key(uow, existing.id, now=now)
            uow.commit()
            return DemoResult(key, loaded=False)
        taken = sorted(uow.sellers.ids_by_name([DEMO_OPERATOR, *community]))
        if taken:
            shown = ", ".join(repr(name) for name in taken[:3])
            more = f" and {len(taken) - 3} more" if len(taken) > 3 else ""
            verb = "exists" if len(taken) == 1 else "exist"
            raise SellerExistsError(
                f"the demo brings its own sellers, and {shown}{more} {verb} already: "
                "load it into an empty database"
            )
        key = _add_story(uow, story, community, secret=secret, now=now)
        uow.commit()
    return DemoResult(key, loaded=True)


def _add_story(
    uow: UnitOfWork, story: list[str], community: list[str], *, secret: bytes, now: datetime
) -> str:
    """The demo's sellers and lines, in the caller's transaction; the demo seller's key."""
    admin = uow.sellers.add(DEMO_OPERATOR, role=Role.ADMIN, trust=NEW_SELLER_TRUST, now=now)
    shop = uow.sellers.add(DEMO_SELLER, role=Role.SELLER, trust=NEW_SELLER_TRUST, now=now)
    key = sellers.add_api_key(uow, shop.id, now=now)
    # The community of the story is established: two years on the registry, trusted, as the
    # trust job rates sellers whose reports others confirm.
    since = now - ESTABLISHED_FOR
    for name in community:
        uow.sellers.add(name, role=Role.SELLER, trust=ESTABLISHED_TRUST, now=since)
    uow.sellers.set_trust({shop.id: ESTABLISHED_TRUST}, now=now)
    imports.store_lines(uow, story, importer=admin, secret=secret, now=now)
    # Apart from the story: records made by the import that gives them together merge freely.
    both = {**CLAIMED_RECORDS[0], **CLAIMED_RECORDS[1]}
    claim = _line("tag", CLAIMER, both, now - timedelta(days=2), reason="other")
    imports.store_lines(uow, [claim], importer=admin, secret=secret, now=now)
    return key
