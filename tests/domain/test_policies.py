import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from buyerguard.domain.errors import InvalidInputError
from buyerguard.domain.policies import (
    DEFAULT_POLICY_SOURCE,
    MAX_CONDITION_LENGTH,
    MAX_RULES,
    NEVER_TAGGED_DAYS,
    Action,
    Facts,
    OrderFacts,
    Policy,
    PolicyError,
    Rule,
    compile_policy,
    default_policy,
    evaluate,
    explain,
)
from buyerguard.domain.policies.vocabulary import (
    BOOL,
    DOUBLE,
    FUNCTIONS,
    INT,
    LIST_NAME,
    MESSAGES,
    REASON_CODE,
    REGEX,
    STRING,
    VARIABLES,
)
from buyerguard.domain.reasons import REASON_CODES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "policies.md"


def make_order(**overrides: Any) -> OrderFacts:
    values: dict[str, Any] = {
        "amount": 120.0,
        "currency": "EUR",
        "payment_method": "prepaid",
        "country": "FR",
    }
    return OrderFacts(**(values | overrides))


def make_facts(**overrides: Any) -> Facts:
    """A clean buyer: nobody tagged them and four sellers completed orders with them."""
    values: dict[str, Any] = {
        "risk": 0.02,
        "level": "low",
        "logistics_risk": 0.0,
        "sellers": {},
        "mine": frozenset(),
        "distinct_reporters": 0,
        "clean_sellers": 4,
        "order_backed": 0,
        "days_since_last_tag": NEVER_TAGGED_DAYS,
        "order": make_order(),
        "lists": frozenset(),
    }
    return Facts(**(values | overrides))


# The buyer of the design brief: 24 sellers, 13 of them for extortion.
CASE_STUDY = make_facts(
    risk=0.87,
    level="high",
    sellers={"extortion": 13, "frequent_returns": 8, "other": 1},
    mine=frozenset({"frequent_returns"}),
    distinct_reporters=24,
    clean_sellers=3,
    order_backed=5,
    days_since_last_tag=12,
)
COD_REFUSER = make_facts(
    risk=0.05,
    logistics_risk=0.2,
    sellers={"cod_refusal": 2},
    distinct_reporters=2,
    days_since_last_tag=30,
    order=make_order(payment_method="cod", country="MA", currency="MAD"),
)


def decide(source: str, facts: Facts) -> Action:
    return evaluate(compile_policy(source), facts).action


# Actions


def test_actions_are_ordered_by_strictness() -> None:
    assert max(Action.REVIEW, Action.DECLINE, Action.SHIP) is Action.DECLINE
    assert sorted(Action) == [
        Action.SHIP,
        Action.REQUIRE_PREPAYMENT,
        Action.REVIEW,
        Action.DECLINE,
    ]


@pytest.mark.parametrize(
    ("code", "action"),
    [
        ("ship", Action.SHIP),
        ("review", Action.REVIEW),
        ("require_prepayment", Action.REQUIRE_PREPAYMENT),
        ("decline", Action.DECLINE),
    ],
)
def test_action_codes_round_trip(code: str, action: Action) -> None:
    assert Action.parse(code) is action
    assert action.code == code


@pytest.mark.parametrize("text", ["deny", "DECLINE", "", "prepay"])
def test_unknown_action_codes_are_refused(text: str) -> None:
    with pytest.raises(InvalidInputError, match="unknown action"):
        Action.parse(text)


# Compiling


def test_rules_keep_their_line_action_and_condition() -> None:
    policy = compile_policy(
        "# comment\n\n  decline if risk > 0.9   # trailing comment\n"
        "review if level == 'medium'\nship\n"
    )
    assert policy.rules == (
        Rule(3, Action.DECLINE, "risk > 0.9", frozenset({"risk"})),
        Rule(4, Action.REVIEW, "level == 'medium'", frozenset({"level"})),
        Rule(5, Action.SHIP, None),
    )


def test_a_hash_inside_a_string_is_not_a_comment() -> None:
    policy = compile_policy('review if order.ship_to.postal_code == "#12" # why')
    assert policy.rules[0].condition == 'order.ship_to.postal_code == "#12"'


@pytest.mark.parametrize(
    ("source", "condition"),
    [
        (
            r'review if order.ship_to.postal_code.endsWith(r"\")  # ends in a backslash',
            r'order.ship_to.postal_code.endsWith(r"\")',
        ),
        (r"review if order.ship_to.region == R'\' # note", r"order.ship_to.region == R'\'"),
        (r'review if order.ship_to.region == "\"#" # note', r'order.ship_to.region == "\"#"'),
        (r'review if order.ship_to.region == "\\" # note', r'order.ship_to.region == "\\"'),
    ],
)
def test_a_comment_follows_any_string(source: str, condition: str) -> None:
    assert compile_policy(source).rules[0].condition == condition


@pytest.mark.parametrize(
    "source",
    ["# note\u2028more\nship", "# a\x85b\u2029c\nship"],
)
def test_only_a_line_feed_ends_a_comment(source: str) -> None:
    assert [(r.line, r.action) for r in compile_policy(source).rules] == [(2, Action.SHIP)]


def test_a_control_character_is_refused_where_it_stands() -> None:
    with pytest.raises(PolicyError) as caught:
        compile_policy("ship if risk < 0.5\n# page one\fpage two\nship")
    assert (caught.value.line, caught.value.column) == (2, 11)


def test_only_a_line_feed_ends_a_rule() -> None:
    policy = compile_policy('review if order.ship_to.region == "a\u2028b"\r\nship\r\n')
    assert [(r.line, r.action) for r in policy.rules] == [(1, Action.REVIEW), (2, Action.SHIP)]
    facts = make_facts(order=make_order(region="a\u2028b"))
    assert evaluate(policy, facts).action is Action.REVIEW
    for source in ("review if risk > 0.5\rship", "review if risk > 0.5\x85ship"):
        with pytest.raises(PolicyError) as caught:
            compile_policy(source)
        assert caught.value.line == 1


def test_a_rule_records_what_its_condition_reads() -> None:
    (rule,) = compile_policy(
        'decline if sellers("extortion") >= 2 || mine("card_fraud") || mine("extortion")'
        ' || buyer in list("blocked") || order.ship_to.country == "DZ"'
    ).rules
    assert rule.reasons == ("extortion", "card_fraud")
    assert rule.lists == ("blocked",)
    assert rule.names == frozenset({"order.ship_to.country"})


@pytest.mark.parametrize(
    ("source", "normalised"),
    [
        ("decline if risk>0.5&&level=='high'", "risk > 0.5 && level == 'high'"),
        ('decline if  mine( "extortion" )  # note', 'mine ( "extortion" )'),
        ('decline if order.ship_to.region == "a  b"', 'order . ship_to . region == "a  b"'),
    ],
)
def test_a_rule_spaces_its_condition_one_way(source: str, normalised: str) -> None:
    (rule,) = compile_policy(source).rules
    assert rule.normalised == normalised


@pytest.mark.parametrize(
    ("condition", "names", "constant"),
    [
        ("true", frozenset(), True),
        ("1 / 0 == 0", frozenset(), False),
        ("risk >= 0.0", frozenset({"risk"}), True),
        ("0.5 < risk", frozenset({"risk"}), None),
        ("risk > 0x1", frozenset({"risk"}), False),
        ("risk > 1e-400", frozenset({"risk"}), None),  # 1e-400 is 0.0, and risk can be 0
        (None, frozenset(), None),
    ],
)
def test_a_rule_knows_when_its_condition_has_one_value(
    condition: str | None, names: frozenset[str], constant: bool | None
) -> None:
    rule = Rule(1, Action.REVIEW, condition, names)
    assert rule.constant is constant
    assert rule.applies_to_every_order is (condition is None or constant is True)


def test_an_empty_policy_ships_everything() -> None:
    policy = compile_policy("# nothing yet\n\n")
    assert policy.rules == ()
    assert evaluate(policy, CASE_STUDY).action is Action.SHIP


@pytest.mark.parametrize(
    ("source", "line", "column", "message"),
    [
        ("decline if riks > 0.5", 1, 12, 'unknown name "riks"; did you mean "risk"'),
        ('decline if seller("extortion") > 0', 1, 12, 'unknown function "seller"'),
        ("decline if has(order.amount)", 1, 12, 'unknown function "has"'),
        ("ship\n\n# x\ndecline if sellers('extortoin') > 2", 4, 20, 'unknown reason "extortoin"'),
        ('review if mine("fraud")', 1, 16, 'unknown reason "fraud"'),
        ("ship if risk < 0.1\ndeny if risk > 0.5", 2, 1, 'unknown action "deny"'),
        ("  Decline if risk > 0.5", 1, 3, 'did you mean "decline"'),
        ("decline if risk >", 1, 18, "syntax error"),
        ("decline if (risk > 0.5", 1, 23, "syntax error"),
        ("decline if risk => 0.5", 1, 17, "syntax error"),
        ('decline if risk > "high"', 1, 19, "cannot compare double with string"),
        ("decline if sellers(3) > 1", 1, 20, "sellers() takes a reason code in quotes"),
        ("decline if order.amount && true", 1, 12, "&& needs bool, not double"),
        ("decline if risk", 1, 12, "must be true or false (bool), not double"),
        ("decline if order.amount * 2 > 100", 1, 27, "* needs two double values, not int"),
        ("decline if !risk", 1, 13, "! needs bool"),
        (
            "decline if order.ship_to.region.startsWith(1)",
            1,
            44,
            "startsWith() takes string, not int",
        ),
        ('decline if risk.startsWith("a")', 1, 12, "called on a string, not double"),
        ('decline if "DZ" in order.ship_to.country', 1, 20, "`in` needs a list"),
        ("decline if risk > 0.5 ? true : 1", 1, 32, "same type"),
        ('decline if sellers("extortion", 2) > 1', 1, 12, "sellers() takes 1 argument, not 2"),
        ("decline if in_list() ", 1, 12, "in_list() takes 1 argument, not 0"),
        (
            "decline if order.amout > 1.0",
            1,
            18,
            'order has no field "amout"; did you mean "amount"',
        ),
        ('decline if order.ship_to.city == "X"', 1, 26, 'has no field "city"'),
        ("decline if risk.value > 1.0", 1, 17, "double has no fields"),
        ('review if level == "hgih"', 1, 20, 'level is never "hgih"'),
        ('review if order.payment_method != "COD"', 1, 35, 'is never "COD"'),
        ('review if order.ship_to.country in ["MA", "dz"]', 1, 43, 'is never "dz"'),
        ('review if level >= "medium"', 1, 11, "level has no order"),
        ("review if sellers == 1", 1, 11, "sellers is a function"),
        ("review if risk(1)", 1, 11, "risk is not a function"),
        ('review if contains("x")', 1, 11, "called on a string"),
        ("review if order.currency.size() == 3", 1, 26, "size() is not called on a value"),
        ("review if risk > 1u", 1, 18, "unsigned integers"),
        ("review if order.amount == null", 1, 27, "null is not used"),
        ("review if [1, 2][0] == 1", 1, 11, "indexing"),
        ('review if in_list("")', 1, 19, '"" cannot name a list: 1 to 32 lower-case'),
        ('review if buyer in list("VIP")', 1, 25, '"VIP" cannot name a list: 1 to 32 lower-case'),
        ('review if in_list("vip list")', 1, 19, '"vip list" cannot name a list'),
        ("review if in_list('" + "a" * 33 + "')", 1, 19, "cannot name a list: 1 to 32"),
        ('review if order.currency.matches("(")', 1, 34, "not a valid regular expression"),
        ('review if order.currency.matches("\\\\QEUR\\\\E")', 1, 34, "unrecognized escape"),
        ("review if order.currency.matches(r'(?<=E)UR')", 1, 34, "look-around"),
        ('review if order.currency.matches("a{2000}{2000}")', 1, 34, "too large"),
        ('review if order.currency.matches("E" + "UR")', 1, 34, "regular expression in quotes"),
        ("review if order.currency.matches(order.currency)", 1, 34, "regular expression in quotes"),
        ("review if risk in []", 1, 19, "empty list"),
        ('review if buyer == "x"', 1, 20, "cannot compare buyer with string"),
        ("review risk > 0.5", 1, 8, 'expected "if" after the action, not "risk"'),
        ("review if   ", 1, 10, 'expected a condition after "if"'),
        ("review\ndecline if risk > 0.9", 2, 1, "never reached: line 1 applies to every order"),
    ],
)
def test_compile_errors_say_where(source: str, line: int, column: int, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        compile_policy(source)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert message in caught.value.detail
    assert str(caught.value).startswith(f"line {line}, column {column}: ")


def test_a_policy_error_is_invalid_input_with_its_own_code() -> None:
    with pytest.raises(InvalidInputError) as caught:
        compile_policy("decline if nope")
    assert caught.value.code == "invalid_policy"
    assert caught.value.message == str(caught.value)


@pytest.mark.parametrize(
    "source",
    [
        "decline if " + "(" * 120 + "true" + ")" * 120,
        "decline if " + "!" * 500 + "true",
        "decline if " + "-" * 500 + "1 > 0",
    ],
    ids=["parentheses", "negations", "minuses"],
)
def test_deep_nesting_is_refused_not_crashed_on(source: str) -> None:
    with pytest.raises(PolicyError) as caught:
        compile_policy(source)
    assert caught.value.line == 1


def test_a_long_flat_condition_is_fine() -> None:
    policy = compile_policy("decline if " + "risk > 0.5 && " * 70 + "true")
    assert evaluate(policy, CASE_STUDY).action is Action.DECLINE


def test_condition_length_and_rule_count_are_bounded() -> None:
    long_condition = "risk > 0.5" + " || risk > 0.5" * (MAX_CONDITION_LENGTH // 14)
    with pytest.raises(PolicyError, match="at most"):
        compile_policy(f"decline if {long_condition}")
    with pytest.raises(PolicyError, match=f"at most {MAX_RULES} rules") as caught:
        compile_policy("review if risk > 0.5\n" * (MAX_RULES + 1))
    assert caught.value.line == MAX_RULES + 1
    assert len(compile_policy("review if risk > 0.5\n" * MAX_RULES).rules) == MAX_RULES


# Evaluating

FIRST_MATCH = """\
decline if buyer in list("blocked")
ship if in_list("vip")
decline if sellers("card_fraud") >= 2
review if order.amount > 1000
require_prepayment if order.payment_method == "cod" && days_since_last_tag < 90
"""


@pytest.mark.parametrize(
    ("facts", "action", "line"),
    [
        (make_facts(), Action.SHIP, None),
        (make_facts(lists=frozenset({"blocked", "vip"})), Action.DECLINE, 1),
        (make_facts(lists=frozenset({"vip"}), sellers={"card_fraud": 5}), Action.SHIP, 2),
        (make_facts(sellers={"card_fraud": 2}, order=make_order(amount=5000)), Action.DECLINE, 3),
        (make_facts(sellers={"card_fraud": 1}, order=make_order(amount=5000)), Action.REVIEW, 4),
        (
            make_facts(days_since_last_tag=10, order=make_order(payment_method="cod", amount=5000)),
            Action.REVIEW,
            4,
        ),
        (
            make_facts(days_since_last_tag=10, order=make_order(payment_method="cod")),
            Action.REQUIRE_PREPAYMENT,
            5,
        ),
        (make_facts(order=make_order(payment_method="cod")), Action.SHIP, None),
    ],
)
def test_the_first_matching_rule_decides(facts: Facts, action: Action, line: int | None) -> None:
    verdict = evaluate(compile_policy(FIRST_MATCH), facts)
    assert verdict.action is action
    assert (verdict.rule.line if verdict.rule else None) == line
    assert verdict.errors == ()


def test_a_lenient_rule_before_a_strict_one_wins() -> None:
    facts = make_facts(risk=0.95, level="high")
    assert decide("ship if risk > 0.5\ndecline if risk > 0.9", facts) is Action.SHIP
    assert decide("decline if risk > 0.9\nship if risk > 0.5", facts) is Action.DECLINE


@pytest.mark.parametrize(
    ("condition", "facts"),
    [
        ("risk == 0.87", CASE_STUDY),
        ('level == "high"', CASE_STUDY),
        ("logistics_risk == 0.2", COD_REFUSER),
        ('sellers("extortion") == 13 && sellers("card_fraud") == 0', CASE_STUDY),
        ('mine("frequent_returns") && !mine("extortion")', CASE_STUDY),
        ("distinct_reporters == 24 && clean_sellers == 3 && order_backed == 5", CASE_STUDY),
        ("days_since_last_tag == 12", CASE_STUDY),
        (f"days_since_last_tag == {NEVER_TAGGED_DAYS}", make_facts()),
        ('order.amount == 120.0 && order.currency == "EUR"', make_facts()),
        ('order.payment_method == "cod" && order.ship_to.country == "MA"', COD_REFUSER),
        (
            'order.ship_to.region == "Normandie" && order.ship_to.postal_code.startsWith("14")',
            make_facts(order=make_order(region="Normandie", postal_code="14000")),
        ),
        ('order.ship_to.region == "" && size(order.ship_to.postal_code) == 0', make_facts()),
        (
            'buyer in list("vip") && !(buyer in list("blocked"))',
            make_facts(lists=frozenset({"vip"})),
        ),
        ('in_list("vip") && !in_list("blocked")', make_facts(lists=frozenset({"vip"}))),
        ('order.ship_to.country in ["DZ", "MA", "TN"]', COD_REFUSER),
        (
            'order.ship_to.country < "M" && order.currency >= "EU" && "MA" > order.ship_to.country',
            make_facts(),
        ),
        ('order.amount * 2.0 > 200 && sellers("extortion") + 1 >= 14', CASE_STUDY),
        ("risk > 0.8 ? order_backed > 1 : false", CASE_STUDY),
        ('string(distinct_reporters) == "24" && int(risk * 100.0) == 87', CASE_STUDY),
    ],
)
def test_conditions_read_the_facts(condition: str, facts: Facts) -> None:
    assert evaluate(compile_policy(f"decline if {condition}"), facts).action is Action.DECLINE
    negated = evaluate(compile_policy(f"decline if !({condition})"), facts)
    assert negated.action is Action.SHIP
    assert negated.errors == ()


@pytest.mark.parametrize(
    "variable",
    [v for v in VARIABLES if v.type not in MESSAGES and v.name != "buyer"],
    ids=lambda v: v.name,
)
def test_every_documented_name_has_a_value_at_screening(variable: Any) -> None:
    verdict = evaluate(compile_policy(f"review if {variable.name} == {variable.name}"), CASE_STUDY)
    assert verdict.errors == ()
    assert verdict.action is Action.REVIEW


# A true condition per overload the vocabulary declares: a call the checker lets through but the
# evaluating library cannot evaluate would be saved and then fail on every order.
OVERLOADS = {
    ("sellers", REASON_CODE): 'sellers("extortion") == 13',
    ("mine", REASON_CODE): 'mine("frequent_returns")',
    ("list", LIST_NAME): 'buyer in list("vip")',
    ("in_list", LIST_NAME): 'in_list("vip")',
    ("size", STRING): "size(order.ship_to.region) == 7",
    ("size", "list"): 'size(["DZ", "MA"]) == 2 && size(list("vip")) == 1',
    ("int", INT): "int(distinct_reporters) == 24",
    ("int", DOUBLE): "int(2.7) == 2 && int(-2.7) == -2",
    ("int", STRING): 'int("-12") == -12',
    ("double", INT): "double(distinct_reporters) == 24.0",
    ("double", DOUBLE): "double(risk) == 0.87",
    ("double", STRING): 'double("2.5") == 2.5',
    ("string", INT): 'string(distinct_reporters) == "24"',
    ("string", DOUBLE): 'string(2.5) == "2.5"',
    ("string", STRING): 'string(order.ship_to.region) == "München"',
    ("string", BOOL): 'string(risk > 0.5) == "true" && string(false) == "false"',
    ("startsWith", STRING): 'order.ship_to.region.startsWith("Mü")',
    ("endsWith", STRING): 'order.ship_to.region.endsWith("chen")',
    ("contains", STRING): 'order.ship_to.region.contains("ünc")',
    ("matches", REGEX): 'order.ship_to.region.matches("^M.nchen$") && order.currency.matches("U")',
}
DECLARED = [
    (function.name, option)
    for function in FUNCTIONS
    for parameter in function.parameters
    for option in parameter.split("|")
]


def test_every_declared_overload_has_a_sample() -> None:
    assert sorted(OVERLOADS) == sorted(DECLARED)


@pytest.mark.parametrize("overload", DECLARED, ids="{0[0]}({0[1]})".format)
def test_every_declared_overload_evaluates(overload: tuple[str, str]) -> None:
    condition = OVERLOADS[overload]
    assert f"{overload[0]}(" in condition
    facts = replace(
        CASE_STUDY,
        lists=frozenset({"vip"}),
        order=make_order(region="München"),
    )
    policy = compile_policy(f"review if {condition}")
    assert policy.rules[0].condition == condition  # shown as written, whatever is evaluated
    verdict = evaluate(policy, facts)
    assert (verdict.action, verdict.errors) == (Action.REVIEW, ())
    negated = evaluate(compile_policy(f"review if !({condition})"), facts)
    assert (negated.action, negated.errors) == (Action.SHIP, ())


def test_a_rule_that_fails_at_runtime_counts_as_not_matching() -> None:
    policy = compile_policy(
        "decline if distinct_reporters / clean_sellers > 2\n"
        "review if int(order.ship_to.region) > 0\n"
        "require_prepayment if risk > 0.5\n"
    )
    verdict = evaluate(policy, replace(CASE_STUDY, clean_sellers=0))
    assert verdict.action is Action.REQUIRE_PREPAYMENT
    assert verdict.rule == policy.rules[2]
    assert len(verdict.errors) == 2
    assert verdict.errors[0].startswith("line 1: ")
    assert verdict.errors[1].startswith("line 2: ")


def test_unchecked_rules_cannot_crash_evaluation() -> None:
    policy = Policy(
        "handmade",
        (
            Rule(1, Action.DECLINE, "undefined_name > 1"),
            Rule(2, Action.DECLINE, "risk"),
            Rule(3, Action.REVIEW, "true"),
        ),
    )
    verdict = evaluate(policy, CASE_STUDY)
    assert verdict.action is Action.REVIEW
    assert [error[:7] for error in verdict.errors] == ["line 1:", "line 2:"]
    assert "not true or false" in verdict.errors[1]


# The default policy


@pytest.mark.parametrize(
    ("facts", "action"),
    [
        (CASE_STUDY, Action.DECLINE),
        (COD_REFUSER, Action.REQUIRE_PREPAYMENT),
        pytest.param(
            replace(COD_REFUSER, order=make_order()), Action.SHIP, id="cod-refuser-prepaid"
        ),
        (make_facts(), Action.SHIP),
        (make_facts(risk=0.4, level="medium"), Action.REVIEW),
        pytest.param(
            make_facts(mine=frozenset({"cod_refusal"}), order=make_order(payment_method="cod")),
            Action.REQUIRE_PREPAYMENT,
            id="own-cod-refusal-tag",
        ),
        pytest.param(
            make_facts(
                level="medium",
                logistics_risk=0.9,
                sellers={"remote_area": 9, "cod_refusal": 7},
                order=make_order(payment_method="cod"),
            ),
            Action.REQUIRE_PREPAYMENT,
            id="logistics-never-declines",
        ),
        pytest.param(
            make_facts(level="medium", logistics_risk=0.6, sellers={"remote_area": 4}),
            Action.SHIP,
            id="logistics-on-prepaid-ships",
        ),
        pytest.param(
            replace(COD_REFUSER, level="medium", order=make_order()),
            Action.SHIP,
            id="medium-cod-refuser-prepaid",
        ),
        pytest.param(
            make_facts(
                level="medium",
                logistics_risk=0.21,
                sellers={"remote_area": 1},
                order=make_order(payment_method="cod"),
            ),
            Action.REQUIRE_PREPAYMENT,
            id="one-remote-area-report-on-cod",
        ),
        pytest.param(
            make_facts(risk=0.15, level="medium", sellers={"unpaid_order": 1}),
            Action.REVIEW,
            id="some-misconduct-is-reviewed",
        ),
        pytest.param(
            make_facts(risk=0.05, level="medium", logistics_risk=0.3, sellers={"unpaid_order": 1}),
            Action.SHIP,
            id="little-misconduct-with-logistics-ships",
        ),
        pytest.param(
            make_facts(
                level="medium",
                logistics_risk=0.6,
                sellers={"remote_area": 4},
                order=make_order(payment_method="cod"),
            ),
            Action.REQUIRE_PREPAYMENT,
            id="remote-area-on-cod",
        ),
        pytest.param(
            replace(CASE_STUDY, order=make_order(payment_method="cod")),
            Action.DECLINE,
            id="misconduct-beats-logistics",
        ),
    ],
)
def test_default_policy(facts: Facts, action: Action) -> None:
    assert evaluate(default_policy(), facts).action is action


def test_default_policy_is_the_documented_source() -> None:
    assert default_policy().source == DEFAULT_POLICY_SOURCE
    assert [rule.action for rule in default_policy().rules] == [
        Action.DECLINE,
        Action.REQUIRE_PREPAYMENT,
        Action.REVIEW,
        Action.SHIP,
    ]


# Explaining


def test_a_decline_is_explained_by_the_risk_and_the_reasons_behind_it() -> None:
    verdict = evaluate(default_policy(), CASE_STUDY)
    entries = explain(verdict.rule, CASE_STUDY)
    assert [code for code, _, _ in entries] == ["risk", "frequent_returns", "extortion", "other"]
    assert entries[0][2] == {"risk": 0.87, "level": "high"}
    extortion = {code: (message, evidence) for code, message, evidence in entries}["extortion"]
    assert extortion == (
        "Malicious threats or extortion: 13 other sellers",
        {"sellers": 13, "mine": False},
    )


def test_a_prepayment_is_explained_by_the_logistics_facts() -> None:
    verdict = evaluate(default_policy(), COD_REFUSER)
    entries = explain(verdict.rule, COD_REFUSER)
    assert [(code, evidence) for code, _, evidence in entries] == [
        ("cod_refusal", {"sellers": 2, "mine": False}),
        ("logistics_risk", {"logistics_risk": 0.2}),
        ("order.payment_method", {"order.payment_method": "cod"}),
    ]


LOGISTICS_ONLY = make_facts(
    risk=0.0026,
    level="medium",
    logistics_risk=0.2735,
    sellers={"cod_refusal": 8},
    distinct_reporters=8,
)


def test_a_level_made_by_logistics_is_explained_by_the_logistics_reports() -> None:
    (rule,) = compile_policy('review if level == "medium"').rules
    assert explain(rule, LOGISTICS_ONLY) == [
        (
            "risk",
            "Risk is medium from logistics reports (0.27); misconduct risk is 0.00",
            {"risk": 0.0026, "level": "medium", "logistics_risk": 0.2735},
        ),
        (
            "cod_refusal",
            "Refused cash-on-delivery parcel or customs duties: 8 other sellers",
            {"sellers": 8, "mine": False},
        ),
    ]
    misconduct = replace(LOGISTICS_ONLY, risk=0.15, sellers={"cod_refusal": 8, "extortion": 1})
    assert [code for code, _, _ in explain(rule, misconduct)] == ["risk", "extortion"]


def test_logistics_risk_is_explained_by_the_reports_behind_it() -> None:
    facts = make_facts(
        level="medium",
        logistics_risk=0.24,
        sellers={"remote_area": 2},
        order=make_order(payment_method="cod"),
    )
    verdict = evaluate(default_policy(), facts)
    assert verdict.action is Action.REQUIRE_PREPAYMENT
    codes = [code for code, _, _ in explain(verdict.rule, facts)]
    assert codes == ["cod_refusal", "remote_area", "logistics_risk", "order.payment_method"]


def test_a_risk_just_under_a_threshold_is_not_shown_rounded_up_to_it() -> None:
    (rule,) = compile_policy("review if risk > 0.0").rules
    assert explain(rule, make_facts(risk=0.0999))[0][1] == "Risk is low (0.09)"


def test_lists_and_fallbacks_are_explained() -> None:
    facts = make_facts(lists=frozenset({"blocked"}))
    verdict = evaluate(compile_policy(FIRST_MATCH), facts)
    assert explain(verdict.rule, facts) == [
        ("list", 'The buyer is on your list "blocked"', {"list": "blocked"})
    ]
    assert explain(None, facts)[0][0] == "no_rule_matched"
    assert explain(Rule(7, Action.REVIEW, None), facts)[0][0] == "unconditional_rule"


# Facts


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: make_facts(level="severe"), "level"),
        (lambda: make_facts(risk=1.5), "risk"),
        (lambda: make_facts(logistics_risk=-0.1), "logistics_risk"),
        (lambda: make_order(country="fr"), "order.ship_to.country"),
        (lambda: make_order(currency="euro"), "order.currency"),
        (lambda: make_order(payment_method="card"), "order.payment_method"),
    ],
)
def test_facts_no_condition_could_describe_are_refused(build: Any, message: str) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        build()


# Documentation


def test_every_name_function_and_reason_is_documented() -> None:
    text = DOCS.read_text()
    for name in [v.name for v in VARIABLES] + list(REASON_CODES):
        assert f"| `{name}` |" in text, name
    for function in FUNCTIONS:
        assert f"{function.name}(" in text, function.name


def test_documented_errors_are_the_real_ones() -> None:
    rows = re.findall(r"^\| `(.+)` \| (line \d+, column \d+: .+) \|$", DOCS.read_text(), re.M)
    assert len(rows) >= 10
    for source, error in rows:
        with pytest.raises(PolicyError) as caught:
            compile_policy(source)
        assert str(caught.value).startswith(error), source


def test_documented_policies_compile_and_the_default_is_shown_verbatim() -> None:
    text = DOCS.read_text()
    blocks = re.findall(r"```policy\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) >= 3
    for block in blocks:
        compile_policy(block)
    assert DEFAULT_POLICY_SOURCE in blocks
