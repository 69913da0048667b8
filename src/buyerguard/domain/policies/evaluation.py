"""Deciding an order: the first rule whose condition holds fires; the decision can be explained."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cel

from buyerguard.domain.policies.facts import Facts
from buyerguard.domain.policies.rules import Action, Policy, Rule
from buyerguard.domain.policies.vocabulary import BUYER_TOKEN, RUNTIME_FUNCTIONS
from buyerguard.domain.reasons import REASONS, REASONS_BY_CODE
from buyerguard.domain.reputation import MEDIUM_RISK, shown

_ON_LIST = [BUYER_TOKEN]
_OFF_LIST: list[str] = []

Explanation = list[tuple[str, str, dict[str, Any]]]


@dataclass(frozen=True)
class Verdict:
    """The action, the rule that fired (None: no rule did, so the order ships) and runtime errors.

    An error means a rule could not be evaluated on these facts; it counted as not matching.
    """

    action: Action
    rule: Rule | None
    errors: tuple[str, ...] = ()


def evaluate(policy: Policy, facts: Facts) -> Verdict:
    """Try the rules in order and return the first that matches; ship if none does."""
    context = cel.Context(_variables(facts), _functions(facts))
    errors: list[str] = []
    for rule, program in zip(policy.rules, policy.programs, strict=True):
        if program is None:
            return Verdict(rule.action, rule, tuple(errors))
        try:
            result = program.execute(context)
        except Exception as error:  # whatever a rule does wrong, it must not stop a screening
            errors.append(f"line {rule.line}: {_first_sentence(error)}")
            continue
        if result is True:
            return Verdict(rule.action, rule, tuple(errors))
        if result is not False:
            errors.append(f"line {rule.line}: the condition gave {result!r}, not true or false")
    return Verdict(Action.SHIP, None, tuple(errors))


def _first_sentence(error: Exception) -> str:
    # The library's messages go on with generic advice about CEL types after the first sentence.
    return str(error).split(". ")[0].split("\n")[0] or type(error).__name__


def _variables(facts: Facts) -> dict[str, Any]:
    order = facts.order
    return {
        "risk": float(facts.risk),
        "level": facts.level,
        "logistics_risk": float(facts.logistics_risk),
        "distinct_reporters": facts.distinct_reporters,
        "clean_sellers": facts.clean_sellers,
        "days_since_last_tag": facts.days_since_last_tag,
        "order_backed": facts.order_backed,
        "buyer": BUYER_TOKEN,
        "order": {
            # float() because CEL does not mix int and double in arithmetic.
            "amount": float(order.amount),
            "currency": order.currency,
            "payment_method": order.payment_method,
            "ship_to": {
                "country": order.country,
                "region": order.region,
                "postal_code": order.postal_code,
            },
        },
    }


def _functions(facts: Facts) -> dict[str, Callable[[str], Any]]:
    sellers, mine, lists = facts.sellers, facts.mine, facts.lists
    return {
        **RUNTIME_FUNCTIONS,
        "sellers": lambda code: int(sellers.get(code, 0)),
        "mine": lambda code: code in mine,
        "list": lambda name: _ON_LIST if name in lists else _OFF_LIST,
        "in_list": lambda name: name in lists,
    }


def explain(rule: Rule | None, facts: Facts) -> Explanation:
    """Reason codes, messages and evidence behind a decision, for the seller to read.

    Codes are reason codes of the taxonomy, names of the policy vocabulary (such as "risk" or
    "order.payment_method"), "list", or "no_rule_matched" and "unconditional_rule".
    """
    if rule is None:
        return [("no_rule_matched", "No rule matched, so the order ships", {})]
    if rule.condition is None:
        return [("unconditional_rule", f"Line {rule.line} applies to every order", {})]
    entries: Explanation = []
    reasons = list(rule.reasons)
    # Logistics reports alone can make the level "medium"; then they are what the rule read.
    level_from_logistics = "level" in rule.names and _logistics_made_level(facts)
    if rule.names & {"risk", "level"}:
        entries.append(_risk_entry(facts, level_from_logistics))
        # The misconduct the community reported is what makes the risk; show it with the risk.
        reasons += [r.code for r in REASONS if r.misconduct and _reported(r.code, facts)]
    if level_from_logistics or "logistics_risk" in rule.names:
        reasons += [r.code for r in REASONS if not r.misconduct and _reported(r.code, facts)]
    entries += [_reason_entry(code, facts) for code in dict.fromkeys(reasons)]
    entries += [
        ("list", f'The buyer is on your list "{name}"', {"list": name})
        for name in rule.lists
        if name in facts.lists
    ]
    variables = _variables(facts)
    entries += [
        (name, f"{name} is {_shown(_value(variables, name))}", {name: _value(variables, name)})
        for name in sorted(rule.names - {"risk", "level"})
    ]
    return entries


def _logistics_made_level(facts: Facts) -> bool:
    return facts.level == "medium" and facts.risk < MEDIUM_RISK


def _risk_entry(facts: Facts, level_from_logistics: bool) -> tuple[str, str, dict[str, Any]]:
    risk = f"{shown(facts.risk, 2):.2f}"
    if not level_from_logistics:
        return "risk", f"Risk is {facts.level} ({risk})", {"risk": facts.risk, "level": facts.level}
    logistics = f"{shown(facts.logistics_risk, 2):.2f}"
    return (
        "risk",
        f"Risk is {facts.level} from logistics reports ({logistics}); misconduct risk is {risk}",
        {"risk": facts.risk, "level": facts.level, "logistics_risk": facts.logistics_risk},
    )


def _reported(code: str, facts: Facts) -> bool:
    return facts.sellers.get(code, 0) > 0 or code in facts.mine


def _reason_entry(code: str, facts: Facts) -> tuple[str, str, dict[str, Any]]:
    count = facts.sellers.get(code, 0)
    mine = code in facts.mine
    message = f"{REASONS_BY_CODE[code].label}: {count} other seller{'s' * (count != 1)}"
    if mine:
        message += "; you tagged this buyer for it too"
    return code, message, {"sellers": count, "mine": mine}


def _shown(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, float) else repr(value)


def _value(variables: dict[str, Any], path: str) -> Any:
    value: Any = variables
    for part in path.split("."):
        value = value[part]
    return value
