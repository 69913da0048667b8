from __future__ import annotations

import json
from datetime import UTC, datetime

from buyerguard.domain.imports import RecordParser
from buyerguard.domain.tags import expiry_for
from buyerguard.services.imports.parsing import parse_chunk, parsed_chunks

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def parser() -> RecordParser:
    return RecordParser(importer="Shop", may_name_sellers=False, secret=b"s" * 32, now=NOW)


def line(**fields: object) -> str:
    return json.dumps(
        {"type": "tag", "buyer": {"email": "b@example.com"}, "reason": "other", **fields}
    )


def test_what_the_standard_library_reads_is_read_and_its_errors_are_kept() -> None:
    numbered = [
        (1, line(note=float("nan"))),  # NaN: beyond strict JSON
        (2, '{"type": "tag", "buyer": 123456789012345678901234567890}'),  # beyond 64 bits
        (3, "   "),
        (4, "{oops"),
        (5, line(note="\ud800")),  # a lone surrogate
        (6, line(ordre_ref="A-1")),
    ]
    records, errors, times = parse_chunk(parser(), numbered)
    assert [r.line for r in records] == []
    assert times == {}  # not asked to format them
    assert errors == [
        (1, "note: expected a string"),
        (2, "buyer: expected an object of identifiers"),
        (4, "not valid JSON (Expecting property name enclosed in double quotes)"),
        (5, "note: character 1 is U+D800, half of a surrogate pair"),
        (6, "unknown field(s): ordre_ref"),
    ]


def test_chunks_parsed_by_the_worker_come_back_in_order() -> None:
    chunks = [[(n * 10 + i, line(order_ref=f"R{n}-{i}")) for i in range(3)] for n in range(5)]
    chunks[3][1] = (31, "[]")
    parsed = list(parsed_chunks(iter(chunks), parser()))
    assert [[r.order_ref for r in p.records] for p in parsed][:2] == [
        ["R0-0", "R0-1", "R0-2"],
        ["R1-0", "R1-1", "R1-2"],
    ]
    assert [len(p.records) for p in parsed] == [3, 3, 3, 2, 3]
    assert parsed[3].errors == [(31, "expected a JSON object")]


def test_one_chunk_is_parsed_here() -> None:
    (parsed,) = parsed_chunks(iter([[(1, line())]]), parser())
    assert len(parsed.records) == 1
    assert list(parsed_chunks(iter([]), parser())) == []


def test_the_worker_formats_the_tags_times_as_storage_writes_them() -> None:
    at = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    chunks = [
        [(1, line(at="2026-11-01T08:30:00Z")), (2, line())],  # no time: the import's
        [(3, line(type="completed_order", order_ref="R-1", at="2026-10-01T00:00:00Z"))],
    ]
    first, second = parsed_chunks(iter(chunks), parser(), time_format=str)
    expected = (at, expiry_for("other", at), NOW, expiry_for("other", NOW))
    assert first.times == {time: str(time) for time in expected}
    assert second.times == {}  # orders are not written in bulk
