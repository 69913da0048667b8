"""Events posted together share one transaction, and each request gets its own answer."""

from __future__ import annotations

import json

import pytest

from buyerguard.domain.errors import BuyerGuardError
from buyerguard.services import events
from buyerguard.services.events import Accepted, EventsRequest
from buyerguard.services.unit_of_work import CommitFailedError

from .events_helpers import NOW, SECRET, new_seller


def body(*event_ids: str, email: str = "buyer@example.com") -> str:
    return json.dumps(
        [
            {
                "event_id": event_id,
                "type": "order.created",
                "occurred_at": NOW.isoformat(),
                "order_ref": f"O-{event_id}",
                "buyer": {"email": email},
            }
            for event_id in event_ids
        ]
    )


def test_requests_together_get_their_own_statuses_and_a_bad_one_fails_alone(uow) -> None:
    shop, other = new_seller(uow, "Shop"), new_seller(uow, "Other")
    results = events.accept_together(
        uow,
        [
            EventsRequest(shop, body("e1", "e2"), NOW),
            EventsRequest(shop, body("e3", email="not an email"), NOW),
            EventsRequest(shop, body("e2", "e4"), NOW),  # e2: posted just before, in this batch
            EventsRequest(other, body("e1"), NOW),  # the same id from another seller is new
            EventsRequest(shop, "{not json", NOW),
        ],
        secret=SECRET,
    )
    first, bad_email, again, others, bad_json = results
    assert isinstance(first, Accepted)
    assert first.accepted == (True, True)
    assert isinstance(bad_email, BuyerGuardError)
    assert "email" in bad_email.message
    assert isinstance(again, Accepted)
    assert again.accepted == (False, True)
    assert isinstance(others, Accepted)
    assert others.accepted == (True,)
    assert isinstance(bad_json, BuyerGuardError)
    assert events.list_order_events(uow, "O-e3", seller_id=shop) == []
    assert len(events.list_order_events(uow, "O-e4", seller_id=shop)) == 1


def test_an_empty_body_is_refused(uow) -> None:
    shop = new_seller(uow, "Shop")
    (result,) = events.accept_together(uow, [EventsRequest(shop, "[]", NOW)], secret=SECRET)
    assert isinstance(result, BuyerGuardError)


def test_a_failed_commit_is_reported_as_such(uow, monkeypatch: pytest.MonkeyPatch) -> None:
    shop = new_seller(uow, "Shop")

    def lost(*_: object) -> None:
        raise ConnectionError("connection lost during COMMIT")

    monkeypatch.setattr(type(uow), "commit", lost)
    with pytest.raises(CommitFailedError, match="connection lost"):
        events.accept_together(uow, [EventsRequest(shop, body("e9"), NOW)], secret=SECRET)
