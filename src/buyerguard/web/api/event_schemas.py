"""Request and response bodies of the events, integrations and subscriptions endpoints."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from buyerguard.domain.alerts import ALERT_KINDS, Delivery, Subscription
from buyerguard.domain.events import AUTOMATIC_REASONS, EventRules
from buyerguard.domain.inbox import StoredEvent
from buyerguard.domain.integrations.connections import Connection
from buyerguard.services.events import Accepted
from buyerguard.services.integrations import WebhookResult


class EventStatus(BaseModel):
    event_id: str
    status: str = Field(description="`accepted` or `duplicate`")


class EventsAccepted(BaseModel):
    status: str = Field(description="`accepted` if any event was new, else `duplicate`")
    accepted: int
    duplicates: int
    events: list[EventStatus]

    @classmethod
    def of(cls, result: Accepted) -> EventsAccepted:
        return cls(
            status="accepted" if result.new else "duplicate",
            accepted=result.new,
            duplicates=result.duplicates,
            events=[
                EventStatus(event_id=event_id, status="accepted" if new else "duplicate")
                for event_id, new in zip(result.event_ids, result.accepted, strict=True)
            ],
        )


class ImportAccepted(BaseModel):
    accepted: int
    duplicates: int


class StoredEventOut(BaseModel):
    event_id: str
    type: str
    occurred_at: datetime
    order_ref: str
    amount: float | None
    currency: str | None
    data: dict[str, str]
    identifier_kinds: list[str] = Field(description="The buyer's identifiers are kept hashed.")
    source: str = Field(description="`api`, `import`, or the integration's id")
    received_at: datetime
    processed_at: datetime | None

    @classmethod
    def of(cls, stored: StoredEvent) -> StoredEventOut:
        event = stored.event
        return cls(
            event_id=event.event_id,
            type=event.type,
            occurred_at=event.occurred_at,
            order_ref=event.order_ref,
            amount=event.amount,
            currency=event.currency,
            data=dict(event.data),
            identifier_kinds=[h.kind.value for h in stored.identifiers],
            source=stored.source,
            received_at=stored.received_at,
            processed_at=stored.processed_at,
        )


class StoredEventList(BaseModel):
    events: list[StoredEventOut]


class EventRulesBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    returns_share_threshold: Annotated[float, Field(ge=0, lt=1)] = 0.5
    min_orders_for_returns: Annotated[int, Field(ge=1, le=10_000)] = 3
    clean_after_days: Annotated[float, Field(ge=0, le=3650)] = 30
    enabled: list[str] = Field(
        default_factory=lambda: sorted(AUTOMATIC_REASONS),
        description=f"Any of {', '.join(sorted(AUTOMATIC_REASONS))}.",
    )

    def to_rules(self) -> EventRules:
        return EventRules(
            returns_share_threshold=self.returns_share_threshold,
            min_orders_for_returns=self.min_orders_for_returns,
            clean_after=timedelta(days=self.clean_after_days),
            enabled=frozenset(self.enabled),
        )

    @classmethod
    def of(cls, rules: EventRules) -> EventRulesBody:
        return cls(
            returns_share_threshold=rules.returns_share_threshold,
            min_orders_for_returns=rules.min_orders_for_returns,
            clean_after_days=rules.clean_after / timedelta(days=1),
            enabled=sorted(rules.enabled),
        )


class IntegrationUpdate(BaseModel):
    """The secrets and settings of a connection; replacing them rotates a secret."""

    model_config = ConfigDict(extra="forbid", strict=True)

    secrets: list[str] = Field(
        default_factory=list,
        description="Signing secrets (several while rotating); for PayPal, PEM certificates.",
    )
    webhook_id: str | None = Field(None, description="PayPal: the webhook's id.")
    certificate: str | None = Field(None, description="PayPal: its signing certificate, PEM.")
    tolerance_seconds: int | None = Field(
        None, description="Stripe (default 300), PayPal (default none): accepted clock distance."
    )

    def settings(self) -> dict[str, str]:
        tolerance = self.tolerance_seconds
        found = {
            "webhook_id": self.webhook_id,
            "certificate": self.certificate,
            "tolerance_seconds": None if tolerance is None else str(tolerance),
        }
        return {key: value for key, value in found.items() if value is not None}


class IntegrationIn(IntegrationUpdate):
    provider: str = Field(examples=["stripe"], description="paypal, stripe, shopify, woocommerce")


class IntegrationOut(BaseModel):
    id: str
    provider: str
    webhook_path: str
    secrets: int = Field(description="How many secrets are configured; they are never shown.")
    settings: dict[str, str] = Field(description="Provider settings, certificates left out.")
    created_at: datetime

    @classmethod
    def of(cls, connection: Connection) -> IntegrationOut:
        return cls(
            id=connection.id,
            provider=connection.provider,
            webhook_path=connection.webhook_path,
            secrets=len(connection.secrets),
            settings={k: v for k, v in connection.settings.items() if k != "certificate"},
            created_at=connection.created_at,
        )


class WebhookOut(BaseModel):
    status: str = Field(description="`accepted`, `duplicate` or `ignored`")
    topic: str
    events: int
    duplicates: int

    @classmethod
    def of(cls, result: WebhookResult) -> WebhookOut:
        return cls(
            status=result.status,
            topic=result.topic,
            events=result.events,
            duplicates=result.duplicates,
        )


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    url: str = Field(examples=["https://shop.example.com/hooks/buyerguard"])
    events: list[str] = Field(examples=[list(ALERT_KINDS)])
    secret: str | None = Field(
        None, description="Yours to sign with, 16 to 200 characters; left out, one is generated."
    )


class SubscriptionOut(BaseModel):
    id: int
    url: str
    events: list[str]
    created_at: datetime

    @classmethod
    def of(cls, subscription: Subscription) -> SubscriptionOut:
        return cls(
            id=subscription.id,
            url=subscription.url,
            events=list(subscription.kinds),
            created_at=subscription.created_at,
        )


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(description="Shown once: checks the `Buyerguard-Signature` header.")


class DeliveryOut(BaseModel):
    id: int
    event: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryOut:
        return cls(
            id=delivery.id,
            event=delivery.kind,
            status=delivery.status.value,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            last_status=delivery.last_status,
            last_error=delivery.last_error,
            created_at=delivery.created_at,
            delivered_at=delivery.delivered_at,
        )


class DeliveryPage(BaseModel):
    deliveries: list[DeliveryOut]
    next_after: int | None
