"""The adapter registry: one entry per provider, documented, refusing what it cannot read."""

from __future__ import annotations

import re

import pytest

from buyerguard.domain.errors import AuthenticationError, InvalidInputError
from buyerguard.domain.events import EVENT_TYPES_BY_CODE, UnknownEventTypeError
from buyerguard.domain.integrations import ADAPTERS, PayloadError, SignatureError

from .samples import NOW, REPOSITORY

DOCS = REPOSITORY / "docs" / "integrations.md"


def test_one_adapter_per_provider():
    assert sorted(ADAPTERS) == ["paypal", "shopify", "stripe", "woocommerce"]
    for name, adapter in ADAPTERS.items():
        assert adapter.name == name
        assert adapter.topics


def test_errors_are_the_domain_errors_the_edges_translate():
    assert issubclass(SignatureError, AuthenticationError)
    assert SignatureError.code == "bad_signature"
    assert issubclass(PayloadError, InvalidInputError)
    assert PayloadError.code == "invalid_payload"


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_every_topic_is_documented(name):
    text = DOCS.read_text()

    assert [topic for topic in ADAPTERS[name].topics if f"`{topic}`" not in text] == []


def test_the_docs_name_only_real_event_types():
    """An event type renamed in code must not live on in the integration docs."""
    quoted = set(re.findall(r"`([a-z_]+\.[a-z_]+)`", DOCS.read_text()))
    families = {code.split(".")[0] for code in EVENT_TYPES_BY_CODE}
    topics = {topic for adapter in ADAPTERS.values() for topic in adapter.topics}

    named = {word for word in quoted if word.split(".")[0] in families} - topics
    assert named
    assert named - set(EVENT_TYPES_BY_CODE) == set()


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_every_adapter_refuses_an_unknown_topic(name):
    with pytest.raises(UnknownEventTypeError) as caught:
        ADAPTERS[name].to_events({}, topic="no.such/topic")

    assert caught.value.code == "unknown_event_type"


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_every_adapter_refuses_an_unsigned_request(name):
    with pytest.raises(SignatureError):
        ADAPTERS[name].verify({}, b"{}", ["secret"], now=NOW, settings={"webhook_id": "WH"})


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_every_adapter_refuses_an_empty_body(name):
    adapter = ADAPTERS[name]

    with pytest.raises(PayloadError):
        adapter.to_events({}, topic=adapter.topics[0])
