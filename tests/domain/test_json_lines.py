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


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('{"reason": "bogus", "reason": "other"}', '"reason"'),
        ('{"buyer": {"email": "a@b.co", "email": "c@d.co"}}', '"email"'),
        ('[1, {"x": [{"a": 1, "b": 2, "a": 3}]}]', '"a"'),
        ('{"caf\\u00e9": 1, "café": 2}', '"caf\\u00e9"'),
    ],
)
def test_a_key_given_twice_in_one_object_is_refused_at_any_depth(text: str, key: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        decode(text)
    assert caught.value.message == f"duplicate key {key}"


def test_the_same_key_in_different_objects_is_fine() -> None:
    assert decode('{"a": {"a": 1}, "b": [{"a": 2}, {"a": 3}]}') == {
        "a": {"a": 1},
        "b": [{"a": 2}, {"a": 3}],
    }


def test_a_byte_order_mark_after_the_first_line_is_an_error_in_plain_words() -> None:
    found = decoded_lines(b'{"a": 1}\n\xef\xbb\xbf{"b": 2}\n')
    assert found[0] == (1, {"a": 1})
    number, error = found[1]
    assert number == 2
    assert isinstance(error, InvalidInputError)
    assert error.message == "a byte-order mark (U+FEFF) may only start the first line"


def test_text_that_was_not_utf8_is_refused_by_decode_itself() -> None:
    with pytest.raises(InvalidInputError) as caught:
        decode(b'{"a": "caf\xe9"}'.decode("utf-8", "surrogateescape"))
    assert caught.value.message == "not UTF-8 text"
    assert decode('{"a": "\\udc80"}') == {"a": "\udc80"}  # an escape is JSON's business
