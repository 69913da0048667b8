"""Rules that can never fire, reported as warnings beside a policy that is still valid and saved.

A seller who saves `decline if true` above other rules believes those rules are in force; they are
not, and nothing fails to say so. See "Warnings" in docs/policies.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from buyerguard.domain.policies.rules import Policy, Rule

UNREACHABLE_RULE = "unreachable_rule"
NEVER_MATCHES = "never_matches"
DUPLICATE_CONDITION = "duplicate_condition"


@dataclass(frozen=True)
class PolicyWarning:
    """Why the rule on `line` can never fire; `column` (1-based) points at the rule, or at its
    condition when the condition is the cause."""

    line: int
    column: int
    code: str
    message: str


def policy_warnings(policy: Policy) -> tuple[PolicyWarning, ...]:
    """One warning for each rule that can never fire, in the order of the rules.

    A rule after one that always matches is unreachable; otherwise a rule whose condition never
    holds, or repeats an earlier rule's condition (spacing aside), never fires either.
    """
    warnings: list[PolicyWarning] = []
    always: Rule | None = None
    seen: dict[str, Rule] = {}  # each condition, spacing aside, with the first rule testing it
    for rule in policy.rules:
        found = _warning(rule, always, seen)
        if found is not None:
            warnings.append(found)
        if rule.normalised is not None:
            seen.setdefault(rule.normalised, rule)
        if always is None and rule.applies_to_every_order:
            always = rule
    return tuple(warnings)


def _warning(rule: Rule, always: Rule | None, earlier: dict[str, Rule]) -> PolicyWarning | None:
    cannot = f"line {rule.line} can never fire"
    if always is not None:
        return PolicyWarning(
            rule.line,
            rule.column,
            UNREACHABLE_RULE,
            f"{cannot}: the rule on line {always.line} always matches",
        )
    if rule.constant is False:
        return PolicyWarning(
            rule.line,
            rule.condition_column,
            NEVER_MATCHES,
            f"{cannot}: its condition is never true",
        )
    same = None if rule.normalised is None else earlier.get(rule.normalised)
    if same is not None:
        return PolicyWarning(
            rule.line,
            rule.condition_column,
            DUPLICATE_CONDITION,
            f"{cannot}: the rule on line {same.line} has the same condition",
        )
    return None
