"""The screening policy language: `ACTION if CONDITION` rules over a buyer's record and the order.

A policy is compiled once (names, reason codes and types checked, with positions) and evaluated for
each order: the first rule whose condition holds decides. Rules that can never fire are warned of.
See docs/policies.md.
"""

from buyerguard.domain.policies.evaluation import Verdict, evaluate, explain
from buyerguard.domain.policies.facts import NEVER_TAGGED_DAYS, Facts, OrderFacts
from buyerguard.domain.policies.reachability import PolicyWarning, policy_warnings
from buyerguard.domain.policies.rules import (
    DEFAULT_POLICY_SOURCE,
    MAX_CONDITION_LENGTH,
    MAX_RULES,
    Action,
    Policy,
    PolicyError,
    Rule,
    compile_policy,
    default_policy,
)

__all__ = [
    "DEFAULT_POLICY_SOURCE",
    "MAX_CONDITION_LENGTH",
    "MAX_RULES",
    "NEVER_TAGGED_DAYS",
    "Action",
    "Facts",
    "OrderFacts",
    "Policy",
    "PolicyError",
    "PolicyWarning",
    "Rule",
    "Verdict",
    "compile_policy",
    "default_policy",
    "evaluate",
    "explain",
    "policy_warnings",
]
