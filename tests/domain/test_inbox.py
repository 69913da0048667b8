"""Reading event bodies and history files; buyers kept only as hashes."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from buyerguard.domain.errors import InvalidImportError, InvalidInputError
from buyerguard.domain.events import InvalidEventError, UnknownEventTypeError
from buyerguard.domain.identifiers import IdentifierKind
from buyerguard.domain.inbox import (
    CSV_COLUMNS,
    MAX_EVENTS_PER_REQUEST,
    hash_buyer,
    hash_buyer_leniently,
    import_id,
    parse_event_body,
    parse_history,
    refuse_future,
)

SECRET = b"inbox-test-secret"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def body(n: int = 1, **overrides: object) -> dict[str, object]:
    return {
        "event_id": f"e{n}",
        "type": "order.created",
        "occurred_at": "2026-01-01T10:00:00+01:00",
        "order_ref": "A-1",
        "buyer": {"email": "Buyer@Example.com"},
    } | overrides


def test_one_object_an_array_and_json_lines_are_read_alike():
    one = parse_event_body(json.dumps(body()))
    array = parse_event_body(json.dumps([body(1), body(2)]))
    lines = parse_event_body("\n".join(json.dumps(body(n)) for n in (1, 2)) + "\n")

    assert [e.event_id for e in one] == ["e1"]
    assert [e.event_id for e in array] == [e.event_id for e in lines] == ["e1", "e2"]
    assert one[0].occurred_at.isoformat() == "2026-01-01T09:00:00+00:00"


def test_a_pretty_printed_object_is_one_event_not_json_lines():
    assert len(parse_event_body(json.dumps(body(), indent=2))) == 1


def test_errors_name_the_field_and_in_a_batch_the_event():
    with pytest.raises(UnknownEventTypeError):
        parse_event_body(json.dumps(body(type="order.lost")))
    with pytest.raises(InvalidEventError, match=r"^data\.outcome: is required"):
        parse_event_body(json.dumps(body(type="dispute.resolved", data={"claim": "quality"})))
    with pytest.raises(InvalidEventError, match=r"^events\[1\]\.order_ref: is required"):
        parse_event_body(
            json.dumps([body(1), {k: v for k, v in body(2).items() if k != "order_ref"}])
        )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected a JSON object"),
        ("[]", "holds no event"),
        ("{nope", "not valid JSON"),
        ('{"a": 1}\n{nope', r"events\[1\]: not valid JSON"),
        ("[1]", r"events\[0\]: must be an object"),
    ],
)
def test_bodies_that_are_not_events(text, message):
    with pytest.raises(InvalidInputError, match=message):
        parse_event_body(text)


def test_a_flood_in_one_request_is_bounded():
    with pytest.raises(InvalidInputError, match="at most"):
        parse_event_body(json.dumps([body(n) for n in range(MAX_EVENTS_PER_REQUEST + 1)]))


def test_a_buyer_is_hashed_and_a_bad_identifier_is_named():
    (event,) = parse_event_body(json.dumps(body()))
    (hashed,) = hash_buyer(event, SECRET)
    assert hashed.kind is IdentifierKind.EMAIL
    assert "example" not in hashed.digest
    (bad,) = parse_event_body(json.dumps(body(buyer={"phone": "555-1234"})))
    with pytest.raises(InvalidEventError) as caught:
        hash_buyer(bad, SECRET)
    assert caught.value.field == "buyer.phone"


def test_platforms_bad_identifiers_are_left_out_not_refused():
    (event,) = parse_event_body(
        json.dumps(body(buyer={"phone": "555-625-1199", "email": "bob@example.com"}))
    )
    assert [h.kind for h in hash_buyer_leniently(event, SECRET)] == [IdentifierKind.EMAIL]


def test_history_as_json_lines_gets_stable_ids_and_hashed_buyers():
    line = {k: v for k, v in body().items() if k != "event_id"}
    (first,) = parse_history([json.dumps(line)], csv_format=False, secret=SECRET, now=NOW)
    (again,) = parse_history([json.dumps(line)], csv_format=False, secret=SECRET, now=NOW)
    event, identifiers = first
    assert event.event_id == again[0].event_id == import_id(line)
    assert event.buyer == {}
    assert len(identifiers) == 1


def test_history_as_csv():
    lines = [
        "type,occurred_at,order_ref,email,phone,amount,currency,reason,claim,outcome\n",
        "order.delivered,2025-01-02T10:00:00Z,A-7,b@example.com,+4915112345678,12.5,EUR,,,\n",
        "dispute.resolved,2025-01-09T10:00:00Z,A-7,,,,,,quality,seller_won\n",
    ]
    parsed = parse_history(lines, csv_format=True, secret=SECRET, now=NOW)
    (delivered, ids), (resolved, none) = parsed
    assert (delivered.type, delivered.amount, delivered.currency) == (
        "order.delivered",
        12.5,
        "EUR",
    )
    assert len(ids) == 2
    assert dict(resolved.data) == {"claim": "quality", "outcome": "seller_won"}
    assert none == ()


def test_a_bad_history_reports_every_bad_line_and_keeps_nothing():
    lines = [
        json.dumps(body(1)),
        "{nope",
        json.dumps(body(3, type="order.lost")),
        json.dumps(body(4, buyer={"email": "not-an-email"})),
    ]
    with pytest.raises(InvalidImportError) as caught:
        parse_history(lines, csv_format=False, secret=SECRET, now=NOW)
    assert [line for line, _ in caught.value.errors] == [2, 3, 4]


def test_a_csv_with_unknown_columns_is_refused_naming_them():
    with pytest.raises(InvalidImportError, match="colour"):
        parse_history(
            ["type,colour\n", "order.created,red\n"], csv_format=True, secret=SECRET, now=NOW
        )
    assert "order_ref" in CSV_COLUMNS


@pytest.mark.parametrize("text", ["", "\n\n", "\ufeff"])
def test_an_empty_csv_is_refused_as_empty(text):
    with pytest.raises(InvalidImportError) as caught:
        parse_history(io.StringIO(text, newline=""), csv_format=True, secret=SECRET, now=NOW)
    [(line, message)] = caught.value.errors
    assert (line, message.split(";")[0]) == (1, "the file is empty")
    assert "type" in message


CSV_HEADER = "type,occurred_at,order_ref,email,shipping_address\n"
AT = "2025-01-02T10:00:00Z"


def csv_history(text: str):
    """As the CLI and the API read a file: line endings kept, and only \n, \r, \r\n end a line."""
    return parse_history(io.StringIO(text, newline=""), csv_format=True, secret=SECRET, now=NOW)


def csv_errors(text: str) -> list[tuple[int, str]]:
    with pytest.raises(InvalidImportError) as caught:
        csv_history(text)
    return caught.value.errors


def test_a_quoted_csv_cell_keeps_its_line_breaks():
    (one_line,) = csv_history(
        CSV_HEADER + f'order.created,{AT},A-1,,"969 Market St, Springfield"\n'
    )
    ((event, identifiers),) = csv_history(
        CSV_HEADER + f'order.created,{AT},A-1,,"969 Market St\r\nSpringfield"\r\n'
    )
    assert event.order_ref == "A-1"
    assert identifiers == one_line[1]
    # Kept, then refused where a field is one line: an order reference.
    ((line, message),) = csv_errors(CSV_HEADER + f'order.created,{AT},"A-1\n0",,\n')
    assert (line, message.split(":")[0]) == (2, "order_ref")


def test_csv_rows_are_numbered_by_the_file_line_they_start_on():
    errors = csv_errors(
        CSV_HEADER
        + f'order.created,{AT},A-1,"b@exa\nmple.com",\n'
        + f"order.lost,{AT},A-2,,\n"
        + f"order.created,{AT},A-3,,\n"
    )
    assert [line for line, _ in errors] == [2, 4]
    assert errors[0][1].startswith("buyer.email: ")
    assert "order.lost" in errors[1][1]


def test_malformed_csv_rows_are_refused_naming_their_line():
    errors = csv_errors(
        CSV_HEADER
        + f"order.created,{AT},A-1,b@example.com,\n"
        + f'order.created,{AT},"A-2"x,b@example.com,\n'
        + f"order.created,{AT},A-3,b@example.com,,extra\n"
        + f"order.created,{AT},A-4,b@example.com,,,\n"
        + f'order.created,{AT},"A-5,b@example.com,\n'
    )
    assert errors == [
        (3, 'text follows a closing quote (a quote inside a quoted cell is written "")'),
        (4, "6 cells, but the header names 5 columns"),
        (6, "a quoted cell is not closed"),
    ]


def test_a_csv_cell_over_the_field_limit_is_refused_naming_its_line():
    too_long = "x" * (csv.field_size_limit() + 1)
    errors = csv_errors(CSV_HEADER + f"order.created,{AT},A-1,b@example.com,{too_long}\n")
    assert errors == [(2, f"a cell is longer than {csv.field_size_limit()} characters")]


def test_a_csv_header_may_begin_with_a_byte_order_mark():
    ((event, _),) = csv_history("\ufeff" + CSV_HEADER + f"order.created,{AT},A-1,b@example.com,\n")
    assert (event.type, event.order_ref) == ("order.created", "A-1")


def test_events_from_the_future_are_refused_beyond_a_days_skew():
    ahead = parse_event_body(json.dumps(body(occurred_at=(NOW + timedelta(hours=20)).isoformat())))
    refuse_future(ahead, now=NOW)
    too_far = body(2, occurred_at=(NOW + timedelta(days=2)).isoformat())
    with pytest.raises(InvalidEventError, match=r"^events\[1\]\.occurred_at: is in the future"):
        refuse_future(parse_event_body(json.dumps([body(1), too_far])), now=NOW)
    with pytest.raises(InvalidImportError, match="line 1: occurred_at: is in the future"):
        parse_history([json.dumps(too_far)], csv_format=False, secret=SECRET, now=NOW)


def test_a_csv_column_given_twice_is_refused():
    errors = csv_errors(
        "type,occurred_at,order_ref,email,email\n" + f"order.created,{AT},A-1,a@x.io,b@x.io\n"
    )
    assert errors == [(1, "column(s) given twice: email")]
