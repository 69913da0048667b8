"""The inbox table: exactly once per seller and event id, buyers only as hashes, resumable."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from buyerguard.domain.events import Event
from buyerguard.domain.inbox import IncomingEvent, hash_buyer, without_buyer
from buyerguard.domain.sellers import Role
from buyerguard.services import events
from buyerguard.services.sellers import create_seller
from buyerguard.storage.database import Database, open_database
from buyerguard.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import NOW, SECRET

BUYER = {"email": "Private.Person@Example.org", "phone": "+4915112345678"}


def incoming(seller_id: int, event_id: str, ref: str = "A-1") -> IncomingEvent:
    event = Event(event_id, "order.created", NOW, ref, buyer=BUYER)
    return IncomingEvent(seller_id, without_buyer(event), hash_buyer(event, SECRET), "api")


def seller(database: Database, name: str = "Shop") -> int:
    return create_seller(
        SqlUnitOfWork(database.sessions), name, role=Role.SELLER, now=NOW
    ).seller.id


def test_an_event_id_is_stored_once_per_seller_even_twice_in_one_batch(database: Database):
    shop, other = seller(database), seller(database, "Other")
    uow = SqlUnitOfWork(database.sessions)
    with uow:
        first = uow.events.add_many(
            [incoming(shop, "e1"), incoming(shop, "e1"), incoming(other, "e1")], now=NOW
        )
        again = uow.events.add_many([incoming(shop, "e1"), incoming(shop, "e2")], now=NOW)
        uow.commit()
    assert first == {(shop, "e1"), (other, "e1")}
    assert again == {(shop, "e2")}
    accepted = events.store_incoming(uow, [incoming(shop, "e3"), incoming(shop, "e3")], now=NOW)
    assert accepted.accepted == (True, False)


def test_the_inbox_is_read_oldest_first_and_emptied_by_marking(database: Database):
    shop = seller(database)
    uow = SqlUnitOfWork(database.sessions)
    with uow:
        uow.events.add_many([incoming(shop, f"e{n}", f"A-{n % 2}") for n in range(5)], now=NOW)
        pending = uow.events.pending(3)
        assert [p.order_ref for p in pending] == ["A-0", "A-1", "A-0"]
        assert pending[0].identifiers == hash_buyer(
            Event("x", "order.created", NOW, "A", BUYER), SECRET
        )
        uow.events.mark_processed([p.id for p in pending], now=NOW)
        assert len(uow.events.pending(10)) == 2
        assert uow.events.count_pending() == 2
        history = uow.events.history([(shop, "A-0"), (shop, "A-1")])
        assert sorted(e.event_id for e in history[(shop, "A-0")]) == ["e0", "e2", "e4"]
        uow.commit()


def test_rechecks_are_scheduled_replaced_and_dropped(database: Database):
    shop = seller(database)
    uow = SqlUnitOfWork(database.sessions)
    with uow:
        uow.events.set_rechecks({(shop, "A"): NOW, (shop, "B"): NOW + timedelta(days=1)})
        uow.events.set_rechecks({(shop, "A"): None, (shop, "B"): NOW + timedelta(hours=1)})
        assert uow.events.due_rechecks(now=NOW + timedelta(hours=1), limit=10) == [(shop, "B")]
        assert uow.events.due_rechecks(now=NOW, limit=10) == []
        uow.commit()


def test_an_accepted_event_survives_a_new_connection(database: Database):
    shop = seller(database)
    events.store_incoming(SqlUnitOfWork(database.sessions), [incoming(shop, "kept")], now=NOW)
    reopened = open_database(database.engine.url.render_as_string(hide_password=False))
    try:
        with SqlUnitOfWork(reopened.sessions) as uow:
            assert [e.event.event_id for e in uow.events.list_for_order(shop, "A-1")] == ["kept"]
            assert len(uow.events.pending(5)) == 1
    finally:
        reopened.dispose()


def test_event_buyers_never_reach_the_database_file(database: Database):
    shop = seller(database)
    events.store_incoming(SqlUnitOfWork(database.sessions), [incoming(shop, "private")], now=NOW)
    if database.is_sqlite:
        with database.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
        path = Path(str(database.engine.url.database))
        dump = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    else:
        with database.engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT * FROM events").all()
        dump = "\n".join(str(tuple(r)) for r in rows).encode()
    assert b"private" in dump  # the event id: the dump really holds the row
    for needle in (b"Private.Person", b"private.person", b"4915112345678"):
        assert needle not in dump
