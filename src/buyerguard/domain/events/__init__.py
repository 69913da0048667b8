"""Order-lifecycle events (`model`) and the rules that turn them into automatic tags (`rules`)."""

from buyerguard.domain.events.model import (
    AUTOMATIC_REASONS,
    CLAIMS,
    EVENT_TYPES,
    EVENT_TYPES_BY_CODE,
    FRAUD_REASONS,
    OUTCOMES,
    Event,
    EventField,
    EventType,
    InvalidEventError,
    UnknownEventTypeError,
    get_event_type,
    is_fraud_reason,
    parse_event,
)
from buyerguard.domain.events.rules import (
    AutoTag,
    EventRules,
    OrderOutcome,
    outcome_for_order,
    return_counts,
    returns_tag_due,
)

__all__ = [
    "AUTOMATIC_REASONS",
    "CLAIMS",
    "EVENT_TYPES",
    "EVENT_TYPES_BY_CODE",
    "FRAUD_REASONS",
    "OUTCOMES",
    "AutoTag",
    "Event",
    "EventField",
    "EventRules",
    "EventType",
    "InvalidEventError",
    "OrderOutcome",
    "UnknownEventTypeError",
    "get_event_type",
    "is_fraud_reason",
    "outcome_for_order",
    "parse_event",
    "return_counts",
    "returns_tag_due",
]
