"""Repositories of screening: policy versions, sellers' lists, and the decision log."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from buyerguard.domain.errors import NotFoundError
from buyerguard.domain.lists import ListEntry, combine_entries
from buyerguard.domain.policies import Action
from buyerguard.domain.reasons import REASONS
from buyerguard.domain.screening import (
    OUTCOME_BAD,
    OUTCOME_GOOD,
    DecisionReason,
    LoggedScreening,
    Order,
    facts_from_json,
)
from buyerguard.domain.tags import TagStatus
from buyerguard.storage import statements as sql
from buyerguard.storage import tables as t
from buyerguard.storage.prepared import Prepared

MISCONDUCT = [r.code for r in REASONS if r.misconduct]
# A tag its seller (or a later event) retracted, or moderation removed, is no outcome; one that
# expired since still tells how the order went.
OUTCOME_TAGS = [TagStatus.ACTIVE.value, TagStatus.EXPIRED.value]
SCREENINGS = cast(Table, t.ScreeningRow.__table__)
INSERT_SCREENING = Prepared(
    insert(SCREENINGS).returning(SCREENINGS.c.id),
    column_keys=[c.key for c in SCREENINGS.columns if c.key != "id"],
)


class ScreeningNotFoundError(NotFoundError):
    code = "screening_not_found"


class ListEntryNotFoundError(NotFoundError):
    code = "list_entry_not_found"


class SqlPolicyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def latest(self, seller_id: int) -> tuple[int, str] | None:
        row = sql.LATEST_POLICY.first(self.session, {"seller": seller_id})
        return None if row is None else (row.version, row.source)

    def add(self, seller_id: int, source: str, *, now: datetime) -> int:
        current = self.latest(seller_id)
        version = 1 if current is None else current[0] + 1
        self.session.add(
            t.PolicyRow(seller_id=seller_id, version=version, source=source, created_at=now)
        )
        self.session.flush()
        return version


def _entry(row: t.ListEntryRow | Row[*tuple[Any, ...]]) -> ListEntry:
    return ListEntry(row.id, row.buyer_id, row.list_name, row.note, row.expires_at, row.created_at)


LIST_ENTRIES = cast(Table, t.ListEntryRow.__table__)
_ENTRIES_OF_TWO = select(LIST_ENTRIES).where(
    LIST_ENTRIES.c.buyer_id.in_([bindparam("keep"), bindparam("other")])
)


def merge_list_entries(session: Session, keep: int, other: int) -> None:
    """Give `keep` the entries of `other`, a record of the same buyer being folded into it; where
    a seller has both on one list, the two entries become one (domain.lists.combine_entries)."""
    e = t.ListEntryRow
    rows = session.execute(_ENTRIES_OF_TWO, {"keep": keep, "other": other}).all()
    kept = {(r.seller_id, r.list_name): r for r in rows if r.buyer_id == keep}
    for row in rows:
        if row.buyer_id != other or (mine := kept.get((row.seller_id, row.list_name))) is None:
            continue
        # Deleted first: the unique (seller, list, buyer) key must never see both on `keep`.
        session.execute(delete(e).where(e.id == row.id))
        one = combine_entries(_entry(mine), _entry(row))
        session.execute(
            update(e)
            .where(e.id == one.id)
            .values(note=one.note, expires_at=one.expires_at, created_at=one.created_at)
        )
    if any(r.buyer_id == other for r in rows):
        session.execute(update(e).where(e.buyer_id == other).values(buyer_id=keep))


class SqlListRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def names_for(self, seller_id: int, buyer_id: int, *, now: datetime) -> frozenset[str]:
        params = {"buyer": buyer_id, "seller": seller_id, "now": now}
        return frozenset(sql.LIST_NAMES.scalars(self.session, params))

    def put(self, seller_id: int, entry: ListEntry) -> int:
        """Add the entry, or replace the note and expiry of the one already there."""
        e = t.ListEntryRow
        row = self.session.scalar(
            select(e).where(
                e.seller_id == seller_id,
                e.list_name == entry.list_name,
                e.buyer_id == entry.buyer_id,
            )
        )
        if row is None:
            row = t.ListEntryRow(
                seller_id=seller_id, buyer_id=entry.buyer_id, list_name=entry.list_name
            )
            self.session.add(row)
        row.note, row.expires_at, row.created_at = entry.note, entry.expires_at, entry.created_at
        self.session.flush()
        return row.id

    def entries(self, seller_id: int, list_name: str) -> list[ListEntry]:
        e = t.ListEntryRow
        rows = self.session.scalars(
            select(e).where(e.seller_id == seller_id, e.list_name == list_name).order_by(e.id)
        )
        return [_entry(r) for r in rows]

    def remove(self, seller_id: int, list_name: str, entry_id: int) -> None:
        e = t.ListEntryRow
        result = self.session.execute(
            delete(e).where(e.id == entry_id, e.seller_id == seller_id, e.list_name == list_name)
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]  # DML results carry rowcount
            raise ListEntryNotFoundError(f"no entry {entry_id} on your list {list_name!r}")

    def sellers_watching(self, buyer_id: int, *, now: datetime) -> set[int]:
        e = t.ListEntryRow
        return set(
            self.session.scalars(
                select(e.seller_id).where(
                    e.buyer_id == buyer_id,
                    e.list_name == "watch",
                    or_(e.expires_at.is_(None), e.expires_at > now),
                )
            )
        )


def _screening(row: t.ScreeningRow, outcome: str | None = None) -> LoggedScreening:
    order = Order.as_logged(
        row.order_ref,
        row.amount,
        row.currency,
        row.payment_method,
        row.country,
        row.region,
        row.postal_code,
    )
    return LoggedScreening(
        id=row.id,
        buyer_id=row.buyer_id,
        order=order,
        action=Action.parse(row.action),
        rule_line=row.rule_line,
        rule_source=row.rule_source,
        policy_version=row.policy_version,
        risk_score=row.risk_score,
        risk_level=row.risk_level,
        facts=facts_from_json(json.loads(row.facts), order),
        reasons=tuple(DecisionReason(**r) for r in json.loads(row.reasons)),
        created_at=row.created_at,
        outcome=outcome,
        errors=tuple(json.loads(row.errors)) if row.errors else (),
    )


class SqlScreeningRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, seller_id: int, screening: LoggedScreening, facts_json: str) -> int:
        o = screening.order
        values = {
            "seller_id": seller_id,
            "buyer_id": screening.buyer_id,
            "order_ref": o.ref,
            "amount": o.amount,
            "currency": o.currency,
            "payment_method": o.payment_method,
            "country": o.country,
            "region": o.region,
            "postal_code": o.postal_code,
            "action": screening.action.code,
            "rule_line": screening.rule_line,
            "rule_source": screening.rule_source,
            "policy_version": screening.policy_version,
            "risk_score": screening.risk_score,
            "risk_level": screening.risk_level,
            "facts": facts_json,
            "reasons": json.dumps([r.__dict__ for r in screening.reasons], default=str),
            "errors": json.dumps(screening.errors) if screening.errors else None,
            "created_at": screening.created_at,
        }
        (row,) = INSERT_SCREENING.rows(self.session, values)
        return int(row.id)

    def get(self, seller_id: int, screening_id: int) -> LoggedScreening:
        row = self.session.get(t.ScreeningRow, screening_id)
        if row is None or row.seller_id != seller_id:
            raise ScreeningNotFoundError(f"no screening {screening_id} among yours")
        return _screening(row)

    def list_for_seller(
        self,
        seller_id: int,
        *,
        action: str | None,
        since: datetime | None,
        until: datetime | None,
        after_id: int | None,
        limit: int,
    ) -> list[LoggedScreening]:
        s = t.ScreeningRow
        query = select(s).where(s.seller_id == seller_id)
        if action is not None:
            query = query.where(s.action == action)
        if since is not None:
            query = query.where(s.created_at >= since)
        if until is not None:
            query = query.where(s.created_at < until)
        if after_id is not None:
            query = query.where(s.id < after_id)
        rows = self.session.scalars(query.order_by(s.id.desc()).limit(limit))
        return [_screening(r) for r in rows]

    def count_for_seller(self, seller_id: int, *, since: datetime | None) -> int:
        s = t.ScreeningRow
        query = select(func.count()).select_from(s).where(s.seller_id == seller_id)
        if since is not None:
            query = query.where(s.created_at >= since)
        return int(self.session.scalar(query) or 0)

    def with_outcomes(
        self, seller_id: int, *, since: datetime | None, limit: int
    ) -> list[LoggedScreening]:
        """The seller's screenings, newest first, each with the outcome known since (or None)."""
        s, tag, order = t.ScreeningRow, t.TagRow, t.OrderRow
        bad = exists().where(
            tag.seller_id == s.seller_id,
            tag.buyer_id == s.buyer_id,
            tag.reason.in_(MISCONDUCT),
            tag.status.in_(OUTCOME_TAGS),
            or_(tag.order_ref == s.order_ref, tag.created_at >= s.created_at),
        )
        good = exists().where(
            and_(
                order.seller_id == s.seller_id,
                order.order_ref == s.order_ref,
                order.completed.is_(True),
            )
        )
        query = select(s, bad.label("bad"), good.label("good")).where(s.seller_id == seller_id)
        if since is not None:
            query = query.where(s.created_at >= since)
        rows = self.session.execute(query.order_by(s.id.desc()).limit(limit))
        return [
            _screening(r[0], OUTCOME_BAD if r.bad else OUTCOME_GOOD if r.good else None)
            for r in rows
        ]

    def purge(self, *, before: datetime) -> int:
        result = self.session.execute(
            delete(t.ScreeningRow).where(t.ScreeningRow.created_at < before)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]  # DML results carry rowcount
