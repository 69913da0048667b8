"""Rules that can never fire are warned of, with their position; the policy stays valid."""

import json
import re
from dataclasses import asdict
from pathlib import Path

import pytest

from buyerguard.domain.policies import (
    DEFAULT_POLICY_SOURCE,
    PolicyWarning,
    compile_policy,
    policy_warnings,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "policies.md"


def warned(source: str) -> list[tuple[int, int, str]]:
    return [(w.line, w.column, w.code) for w in policy_warnings(compile_policy(source))]


@pytest.mark.parametrize(
    ("source", "warnings"),
    [
        # After a rule that always matches, every rule is unreachable, a lone action too.
        (
            "decline if true\nreview if risk > 0.5\nship",
            [(2, 1, "unreachable_rule"), (3, 1, "unreachable_rule")],
        ),
        ("review if 1 == 1\nship", [(2, 1, "unreachable_rule")]),
        ('review if size("abc") == 3 && !false\nship', [(2, 1, "unreachable_rule")]),
        ('ship if risk >= 0.0\ndecline if level == "high"', [(2, 1, "unreachable_rule")]),
        ("ship if 1.0 >= logistics_risk\nreview", [(2, 1, "unreachable_rule")]),
        ("ship if (risk <= 1)\nreview", [(2, 1, "unreachable_rule")]),
        ("ship if risk != -1\nreview", [(2, 1, "unreachable_rule")]),
        ("  decline if true\n\n    # why\n    review", [(4, 5, "unreachable_rule")]),
        # Its own condition never holds: false for every order, or failing on every order.
        ("decline if false\nship", [(1, 12, "never_matches")]),
        ("decline if 1 == 2", [(1, 12, "never_matches")]),
        ("decline if risk > 1.0", [(1, 12, "never_matches")]),
        ("decline if 1 < logistics_risk", [(1, 12, "never_matches")]),
        ("decline if risk == 2.0", [(1, 12, "never_matches")]),
        ("decline if risk < 0", [(1, 12, "never_matches")]),
        ("review if 1 / 0 == 0", [(1, 11, "never_matches")]),
        # An earlier rule tests the same condition, however it is spaced or commented.
        ("decline if risk > 0.5\nreview if risk>0.5", [(2, 11, "duplicate_condition")]),
        (
            'decline if mine("extortion")  # mine\nreview if  mine( "extortion" )  # again',
            [(2, 12, "duplicate_condition")],
        ),
        # One warning a rule: the first cause.
        (
            "decline if true\ndecline if false\ndecline if true",
            [(2, 1, "unreachable_rule"), (3, 1, "unreachable_rule")],
        ),
        ("review if false\nreview if false", [(1, 11, "never_matches"), (2, 11, "never_matches")]),
    ],
)
def test_rules_that_can_never_fire_are_warned_of(
    source: str, warnings: list[tuple[int, int, str]]
) -> None:
    assert warned(source) == warnings


@pytest.mark.parametrize(
    "source",
    [
        DEFAULT_POLICY_SOURCE,
        "",
        "ship",
        "review if risk > 0.5\nship",
        # Within the bounds, or not the obvious form: these depend on the order.
        "review if risk == 0.0\nship",
        "review if risk != 0.5\nship",
        "review if risk > 0.0\nship",
        "review if risk >= 1.0\nship",
        'review if risk >= 0.0 && level == "medium"\nship',
        "review if distinct_reporters >= 0\nship",
        # True for every order, but not reasoned about (docs/policies.md says so).
        "review if risk < 0.5 || risk >= 0.5\nship",
        "review if order.amount >= 0.0\nship",
        # Spaces inside a string make another condition.
        'review if order.ship_to.region == "a b"\nreview if order.ship_to.region == "a  b"',
        # The same condition with another operator order is another condition.
        "review if risk > 0.5 && order.amount > 9.0\nreview if order.amount > 9.0 && risk > 0.5",
        # A rule that reads the buyer's record or lists is never assumed constant.
        'decline if in_list("blocked")\nreview if sellers("extortion") >= 0\nship',
    ],
)
def test_rules_that_may_fire_are_not_warned_of(source: str) -> None:
    assert warned(source) == []


def test_warnings_say_which_rule_stands_in_the_way() -> None:
    source = "review if risk>0.5\nreview if risk > 0.5\ndecline if false\nship if true\nship"
    assert policy_warnings(compile_policy(source)) == (
        PolicyWarning(
            2,
            11,
            "duplicate_condition",
            "line 2 can never fire: the rule on line 1 has the same condition",
        ),
        PolicyWarning(3, 12, "never_matches", "line 3 can never fire: its condition is never true"),
        PolicyWarning(
            5, 1, "unreachable_rule", "line 5 can never fire: the rule on line 4 always matches"
        ),
    )


def test_the_documented_warnings_are_the_real_ones() -> None:
    section = DOCS.read_text().split("\n## Warnings\n")[1].split("\n## ")[0]
    for code in ("unreachable_rule", "never_matches", "duplicate_condition"):
        assert f"| `{code}` |" in section, code
    [source] = re.findall(r"```policy\n(.*?)```", section, flags=re.DOTALL)
    [shown] = re.findall(r"```json\n(.*?)```", section, flags=re.DOTALL)
    real = [asdict(w) for w in policy_warnings(compile_policy(source))]
    assert json.loads(shown) == {"warnings": real}


def test_only_the_warnings_example_of_the_docs_has_warnings() -> None:
    blocks = re.findall(r"```policy\n(.*?)```", DOCS.read_text(), flags=re.DOTALL)
    warned_blocks = [block for block in blocks if policy_warnings(compile_policy(block))]
    assert len(blocks) >= 4
    assert len(warned_blocks) == 1
    assert "ship if risk >= 0.0" in warned_blocks[0]
