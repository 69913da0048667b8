"""A key's last use is recorded as it opens requests, to KEY_USE_PRECISION, and never in the way."""

from __future__ import annotations

from datetime import timedelta

import pytest

from buyerguard.domain.sellers import KEY_USE_PRECISION, Role
from buyerguard.services import sellers
from buyerguard.storage.unit_of_work import SqlUnitOfWork

from .events_helpers import NOW


def last_used(uow: SqlUnitOfWork, seller_id: int) -> list[object]:
    return [k.last_used_at for k in sellers.list_api_keys(uow, seller_id)]


def test_a_use_is_recorded_once_per_precision(uow: SqlUnitOfWork) -> None:
    created = sellers.create_seller(uow, "Shop", role=Role.SELLER, now=NOW)
    seller_id = created.seller.id
    assert last_used(uow, seller_id) == [None]

    assert sellers.authenticate(uow, created.api_key, now=NOW).id == seller_id
    assert last_used(uow, seller_id) == [NOW]
    soon = NOW + KEY_USE_PRECISION - timedelta(seconds=1)
    sellers.authenticate(uow, created.api_key, now=soon)
    assert last_used(uow, seller_id) == [NOW]  # no write for a use this close
    later = NOW + KEY_USE_PRECISION
    sellers.authenticate(uow, created.api_key, now=later)
    assert last_used(uow, seller_id) == [later]


def test_a_failure_to_record_the_use_still_lets_the_key_in(
    uow: SqlUnitOfWork, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    created = sellers.create_seller(uow, "Shop", role=Role.SELLER, now=NOW)

    def locked(self: object, key_id: int, *, now: object) -> None:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(type(uow.sellers), "record_key_use", locked)
    assert sellers.authenticate(uow, created.api_key, now=NOW).id == created.seller.id
    assert "could not record the use of API key" in caplog.text
    monkeypatch.undo()
    assert last_used(uow, created.seller.id) == [None]
