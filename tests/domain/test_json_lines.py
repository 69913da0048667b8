from __future__ import annotations

import pytest

from buyerguard.domain.errors import InvalidInputError
from buyerguard.domain.json_lines import decode, decoded_lines, lines


def test_only_a_line_feed_ends_a_line() -> None:
    text = '{"a": "x\u2028y\u2029z\u0085"}\r\n\x0c\n\rlast\n'
    assert lines(text) == ['{"a": "x\u2028y\u2029z\u0085"}', "\x0c", "\rlast"]
    assert lines("") == []
    assert lines("one") == ["one"]
    assert lines("one\n\n") == ["one", ""]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[,", "not valid JSON (Expecting value)"),
        ("[" * 100_000 + "]" * 100_000, "not valid JSON (nested too deeply)"),
        ("9" * 5000, "not valid JSON (a number too long)"),
    ],
)
def test_decoding_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        decode(text)
    assert caught.value.message == message


def test_each_line_is_decoded_or_is_its_own_error() -> None:
    raw = b'{"a": 1}\r\n\n  \n"caf\xe9"\n"caf\xc3\xa9"\n[,'
    found = decoded_lines(raw)
    assert [number for number, _ in found] == [1, 4, 5, 6]
    assert found[0][1] == {"a": 1}
    assert found[2][1] == "café"
    errors = [value.message for _, value in found if isinstance(value, InvalidInputError)]
    assert errors == ["not UTF-8 text", "not valid JSON (Expecting value)"]


def test_a_byte_order_mark_before_the_first_line_is_dropped() -> None:
    assert lines('\ufeff{"a": 1}\r\n{"b": 2}\n') == ['{"a": 1}', '{"b": 2}']
