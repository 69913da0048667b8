from __future__ import annotations

import pytest

from buyerguard.domain.errors import InvalidInputError
from buyerguard.domain.sellers import seller_name_key, validate_seller_name


@pytest.mark.parametrize(
    "name",
    ["Café Müller", "Ünïcødé 店", "हिन्दी दुकान", "Ελληνικά", "O'Brien & Sons", "shop.de", "٣ نجوم"],
)
def test_letters_and_digits_of_any_script_make_a_name(name: str) -> None:
    assert validate_seller_name(f"  {name} ") == name


def test_a_name_is_stored_composed_whichever_way_it_was_typed() -> None:
    assert validate_seller_name("Cafe\u0301") == "Caf\u00e9"
    assert validate_seller_name("x" * 99 + "e\u0301") == "x" * 99 + "\u00e9"  # 100 once composed


@pytest.mark.parametrize("name", ["", "   ", "-Shop", "Shop!", "Shop/2", "a" * 101, "\u0301Shop"])
def test_other_names_are_refused_saying_what_a_name_may_hold(name: str) -> None:
    with pytest.raises(InvalidInputError, match="seller name: 1 to 100 letters, digits"):
        validate_seller_name(name)


def test_a_control_character_is_refused_as_in_every_stored_text() -> None:
    with pytest.raises(InvalidInputError, match="seller name: character 5 is the control char"):
        validate_seller_name("Shop\x07")


@pytest.mark.parametrize(
    ("one", "other"),
    [("Demo Shop", "demo shop"), ("Café Müller", "CAFÉ MÜLLER"), ("Straße", "STRASSE")],
)
def test_names_differing_in_case_only_share_a_key(one: str, other: str) -> None:
    assert seller_name_key(one) == seller_name_key(other)
    assert seller_name_key("Demo Shop") != seller_name_key("Demo Shop 2")
