"""Prepared statements give what Core gives: the same rows, the same converted values, in the
caller's transaction, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from buyerguard.domain.errors import ConflictError
from buyerguard.storage import statements as sql
from buyerguard.storage import tables as t
from buyerguard.storage.database import Database
from buyerguard.storage.prepared import Prepared
from buyerguard.storage.unit_of_work import SqlUnitOfWork

NOW = datetime(2026, 11, 30, 12, 30, 15, 123456, tzinfo=UTC)
SELLERS = select(t.SellerRow.id, t.SellerRow.name, t.SellerRow.created_at, t.SellerRow.trust)


def _seller(session: Session, name: str, trust: float) -> int:
    row = t.SellerRow(name=name, role="seller", trust=trust, created_at=NOW)
    session.add(row)
    session.flush()
    return row.id


def test_rows_match_core_with_converted_types(database: Database) -> None:
    statement = SELLERS.where(t.SellerRow.trust > bindparam("floor")).order_by("id")
    prepared = Prepared(statement)
    with database.sessions() as session:
        _seller(session, "alpha", 0.25)
        _seller(session, "beta", 0.75)
        rows = prepared.rows(session, {"floor": 0.5})
        core = session.execute(statement, {"floor": 0.5}).all()
    assert [tuple(r) for r in rows] == [tuple(r) for r in core]
    (row,) = rows
    assert (row.name, row.trust) == ("beta", 0.75)
    assert row.created_at == NOW
    assert row.created_at.tzinfo is UTC


def test_literals_in_the_statement_are_bound(database: Database) -> None:
    prepared = Prepared(SELLERS.where(t.SellerRow.name == "gamma"))
    with database.sessions() as session:
        _seller(session, "gamma", 0.5)
        _seller(session, "delta", 0.5)
        assert [r.name for r in prepared.rows(session, {})] == ["gamma"]


def test_datetime_parameters_compare_as_the_orm_stores_them(database: Database) -> None:
    prepared = Prepared(
        select(t.SellerRow.name).where(
            t.SellerRow.created_at >= bindparam("since", type_=t.UtcDateTime())
        )
    )
    with database.sessions() as session:
        _seller(session, "epsilon", 0.5)
        assert prepared.scalars(session, {"since": NOW}) == ["epsilon"]
        assert prepared.scalars(session, {"since": NOW.replace(microsecond=123457)}) == []


def test_insert_returns_its_id_and_runs_in_the_callers_transaction(database: Database) -> None:
    with database.sessions() as session:
        seller = _seller(session, "zeta", 0.5)
        buyer = t.BuyerRow(created_at=NOW)
        session.add(buyer)
        session.flush()
        values = {
            "seller_id": seller,
            "buyer_id": buyer.id,
            "order_ref": "A-1",
            "completed": False,
            "created_at": NOW,
            "completed_at": None,
        }
        sql.INSERT_ONE_ORDER.run(session, values)
        found = sql.ONE_ORDER.first(session, {"seller": seller, "ref": "A-1"})
        assert found is not None
        assert (found.buyer_id, found.completed) == (buyer.id, False)
        session.rollback()
        assert session.scalars(select(t.OrderRow.id)).all() == []


def test_few_digests_find_each_buyer(database: Database) -> None:
    with database.sessions() as session:
        buyer = t.BuyerRow(created_at=NOW)
        session.add(buyer)
        session.flush()
        for digest in ("d-one", "d-two"):
            session.add(
                t.BuyerIdentifierRow(digest=digest, kind="email", buyer_id=buyer.id, created_at=NOW)
            )
        session.flush()
        params = {"d0": "d-two", "d1": "unknown", "d2": "d-one"}
        found = dict(sql.find_few_buyers(3).rows(session, params))
    assert found == {"d-one": buyer.id, "d-two": buyer.id}


def test_a_unique_key_taken_is_a_conflict_to_retry(database: Database) -> None:
    """The driver's own IntegrityError is raised as SQLAlchemy's, which the unit of work turns into
    a conflict (409), as for statements run through Core."""
    with database.sessions() as session:
        seller = _seller(session, "eta", 0.5)
        buyer = t.BuyerRow(created_at=NOW)
        session.add(buyer)
        session.commit()
        buyer_id = buyer.id
    values = {
        "seller_id": seller,
        "buyer_id": buyer_id,
        "order_ref": "A-1",
        "completed": False,
        "created_at": NOW,
        "completed_at": None,
    }
    uow = SqlUnitOfWork(database.sessions)

    def insert_twice() -> None:
        with uow:
            sql.INSERT_ONE_ORDER.run(uow.session, values)
            sql.INSERT_ONE_ORDER.run(uow.session, values)

    with pytest.raises(ConflictError):
        insert_twice()
