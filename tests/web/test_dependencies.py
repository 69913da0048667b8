"""Authentication: a good key is remembered for `auth_cache_seconds`, a bad one never is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from buyerguard.config import Settings
from buyerguard.domain.sellers import Role, Seller
from buyerguard.storage import tables as t
from buyerguard.storage.database import Database
from buyerguard.web.app import create_app
from buyerguard.web.dependencies import KeyCache

SELLER = Seller(7, "Shop", Role.SELLER, datetime(2026, 11, 1, tzinfo=UTC), 0.5)


def _revoke_every_key(database: Database) -> None:
    with database.sessions() as session:
        session.execute(update(t.ApiKeyRow).values(revoked_at=datetime.now(UTC)))
        session.commit()


@pytest.mark.parametrize(("seconds", "after_revoking"), [(60.0, 200), (0.0, 401)])
def test_a_revoked_key_works_only_while_remembered(
    settings: Settings,
    database: Database,
    new_seller: Callable[..., dict[str, str]],
    seconds: float,
    after_revoking: int,
) -> None:
    headers = new_seller()
    app = create_app(settings.model_copy(update={"auth_cache_seconds": seconds}), database=database)
    with TestClient(app) as client:
        assert client.get("/v1/tags", headers=headers).status_code == 200
        _revoke_every_key(database)
        assert client.get("/v1/tags", headers=headers).status_code == after_revoking


def test_a_bad_key_is_asked_again_every_time(
    client: TestClient, new_seller: Callable[..., dict[str, str]]
) -> None:
    headers = new_seller()
    bad = {"Authorization": headers["Authorization"] + "x"}
    assert client.get("/v1/tags", headers=bad).status_code == 401
    assert client.get("/v1/tags", headers=bad).status_code == 401
    assert client.get("/v1/tags", headers=headers).status_code == 200


def test_cache_forgets_after_its_time(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr("buyerguard.web.dependencies.time.monotonic", lambda: clock[0])
    cache = KeyCache(10.0)
    cache.put("key", SELLER, generation=cache.generation)
    assert cache.get("key") == SELLER
    clock[0] += 10.0
    assert cache.get("key") is None


def test_cache_starts_over_rather_than_grow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(KeyCache, "MAX_KEYS", 3)
    cache = KeyCache(10.0)
    for key in ("a", "b", "c", "d"):
        cache.put(key, SELLER, generation=cache.generation)
    assert [cache.get(k) for k in ("a", "b", "c", "d")] == [None, None, None, SELLER]


def test_zero_seconds_remembers_nothing() -> None:
    cache = KeyCache(0.0)
    cache.put("key", SELLER, generation=cache.generation)
    assert cache.get("key") is None


def test_forgetting_a_seller_drops_its_keys_only() -> None:
    other = Seller(8, "Other", Role.SELLER, SELLER.created_at, 0.5)
    cache = KeyCache(10.0)
    for key, seller in (("a", SELLER), ("b", SELLER), ("c", other)):
        cache.put(key, seller, generation=cache.generation)
    cache.forget(SELLER.id)
    assert [cache.get(k) for k in ("a", "b", "c")] == [None, None, other]


def test_a_lookup_begun_before_a_revocation_is_not_remembered() -> None:
    """The database answered before the key was revoked: remembering it would honour a revoked
    key for another `seconds`."""
    cache = KeyCache(10.0)
    before = cache.generation
    cache.forget(SELLER.id)
    cache.put("key", SELLER, generation=before)
    assert cache.get("key") is None
    cache.put("key", SELLER, generation=cache.generation)
    assert cache.get("key") == SELLER
