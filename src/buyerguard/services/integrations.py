"""Platform integrations: a seller connects a provider, and the provider's webhooks become events.

A webhook is proven against the connection's secrets on its raw bytes before anything is parsed or
stored; one that fails is refused whole.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from secrets import token_bytes

from buyerguard.domain.inbox import (
    IncomingEvent,
    hash_buyer_leniently,
    refuse_future,
    without_buyer,
)
from buyerguard.domain.integrations import ADAPTERS, Adapter, PayloadError
from buyerguard.domain.integrations.connections import (
    Connection,
    IntegrationNotFoundError,
    is_connection_id,
    new_connection_id,
    validate_connection,
)
from buyerguard.services.events import store_incoming
from buyerguard.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class WebhookResult:
    """`status`: "accepted" (something new), "duplicate" (all seen before) or "ignored" (a
    verified webhook of a topic buyerguard does not read, or a body proving no event)."""

    status: str
    topic: str
    events: int
    duplicates: int


def connect(
    uow: UnitOfWork,
    *,
    seller_id: int,
    provider: str,
    secrets: Sequence[str],
    settings: Mapping[str, str],
    now: datetime,
) -> Connection:
    validate_connection(provider, secrets, settings)
    connection = Connection(
        id=new_connection_id(token_bytes(12)),
        seller_id=seller_id,
        provider=provider,
        secrets=tuple(secrets),
        settings=dict(settings),
        created_at=now,
    )
    with uow:
        uow.integrations.add(connection)
        uow.commit()
    return connection


def list_connections(uow: UnitOfWork, *, seller_id: int) -> list[Connection]:
    with uow:
        return uow.integrations.list_for_seller(seller_id)


def update_connection(
    uow: UnitOfWork,
    connection_id: str,
    *,
    seller_id: int,
    secrets: Sequence[str],
    settings: Mapping[str, str],
) -> Connection:
    """Replace the secrets and settings, for instance to rotate: list the new secret beside the
    old one, switch the provider over, then list the new one alone."""
    with uow:
        current = uow.integrations.get_for_seller(_checked(connection_id), seller_id)
        validate_connection(current.provider, secrets, settings)
        uow.integrations.replace(connection_id, secrets=secrets, settings=settings)
        updated = uow.integrations.get(connection_id)
        uow.commit()
    return updated


def disconnect(uow: UnitOfWork, connection_id: str, *, seller_id: int) -> None:
    """Its webhooks are refused from now on; the events it brought stay."""
    with uow:
        uow.integrations.get_for_seller(_checked(connection_id), seller_id)
        uow.integrations.delete(connection_id)
        uow.commit()


def receive_webhook(
    uow: UnitOfWork,
    connection_id: str,
    *,
    headers: Mapping[str, str],
    body: bytes,
    secret: bytes,
    now: datetime,
    topic: str | None = None,
) -> WebhookResult:
    """Verify, read and queue one webhook. `headers` have lower-case names.

    `topic` serves only when the request does not name its own (a bare Stripe object replayed
    by hand); a request that does name one is read by it. Identifiers a platform sends malformed
    (a phone without its country code) are left out rather than refused: the facts still count,
    on the buyer the other identifiers name.
    """
    with uow:
        connection = uow.integrations.get(_checked(connection_id))
    adapter = ADAPTERS[connection.provider]
    adapter.verify(headers, body, connection.secrets, now=now, settings=connection.settings)
    payload = _json_object(body)
    named = _topic(adapter, headers, payload, fallback=topic)
    if named not in adapter.topics:
        return WebhookResult("ignored", named, 0, 0)
    events = adapter.to_events(payload, topic=named)
    if not events:
        return WebhookResult("ignored", named, 0, 0)
    refuse_future(events, now=now)
    incoming = [
        IncomingEvent(
            connection.seller_id,
            without_buyer(event),
            hash_buyer_leniently(event, secret),
            connection.id,
        )
        for event in events
    ]
    accepted = store_incoming(uow, incoming, now=now)
    status = "accepted" if accepted.new else "duplicate"
    return WebhookResult(status, named, accepted.new, accepted.duplicates)


def _topic(
    adapter: Adapter,
    headers: Mapping[str, str],
    payload: Mapping[str, object],
    *,
    fallback: str | None,
) -> str:
    try:
        return adapter.topic_from_headers(headers, payload)
    except PayloadError:
        if fallback is None:
            raise
        return fallback


def _checked(connection_id: str) -> str:
    if not is_connection_id(connection_id):
        raise IntegrationNotFoundError(f"no integration {connection_id[:80]}")
    return connection_id


def _json_object(body: bytes) -> Mapping[str, object]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise PayloadError("body", "is not JSON") from None
    except ValueError:  # Python refuses to read an integer of over 4,300 digits
        raise PayloadError("body", "holds a number with too many digits") from None
    except RecursionError:
        raise PayloadError("body", "is nested too deeply") from None
    if not isinstance(payload, dict):
        raise PayloadError("body", "must be a JSON object")
    return payload
