from __future__ import annotations

import pytest

from buyerguard.domain.errors import InvalidInputError
from buyerguard.domain.text import check_text, unstorable


@pytest.mark.parametrize("text", ["", "SO-1", "Zürich", "a\u2028b", "\u00a0\u0085\x7f", "😀"])
def test_printable_text_of_any_script_is_storable(text: str) -> None:
    assert unstorable(text) is None
    assert unstorable(text, free_text=True) is None


def test_free_text_may_hold_tabs_and_line_breaks_and_one_line_none() -> None:
    note = "first line\r\n\tsecond line\n"
    assert unstorable(note, free_text=True) is None
    assert unstorable(note) == (10, "the control character U+000D (none is allowed)")


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x0b", "\x0c", "\x1b", "\x1f"])
def test_other_control_characters_are_refused_in_free_text_too(char: str) -> None:
    code = f"U+{ord(char):04X}"
    assert unstorable(f"ab{char}", free_text=True) == (
        2,
        f"the control character {code} (only tab and line breaks are allowed)",
    )


def test_half_a_surrogate_pair_is_refused() -> None:
    assert unstorable("a\ud800") == (1, "U+D800, half of a surrogate pair")
    assert unstorable("\udfff", free_text=True) == (0, "U+DFFF, half of a surrogate pair")


def test_the_error_names_the_field_and_the_character() -> None:
    check_text("note", "fine\n", free_text=True)
    with pytest.raises(InvalidInputError) as caught:
        check_text("order.ref", "SO\x001")
    assert caught.value.message == (
        "order.ref: character 3 is the control character U+0000 (none is allowed)"
    )
