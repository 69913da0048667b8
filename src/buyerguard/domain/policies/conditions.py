"""What is known of a condition before any order: its text spaced one way, and its value when it has
the same one for every order (`true`, `1 == 2`, `risk >= 0.0`), found without a theorem prover."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable

import cel
from celpy.celparser import CELParser
from lark.exceptions import LarkError

from buyerguard.domain.policies.vocabulary import RUNTIME_FUNCTIONS, VARIABLES_BY_NAME

_ORDERINGS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
# The flipped operator, for a number written before the name: `0.0 <= risk` is `risk >= 0.0`.
_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_OPERATOR = "|".join(re.escape(symbol) for symbol in sorted(_FLIPPED, key=len, reverse=True))
# In normalised text, where one space separates tokens: a name and a number, in either order,
# inside any number of parentheses.
_NAME_FIRST = re.compile(rf"(?:\( )*([a-z_]+) ({_OPERATOR}) (\S+)(?: \))*")
_NUMBER_FIRST = re.compile(rf"(?:\( )*(\S+) ({_OPERATOR}) ([a-z_]+)(?: \))*")


def normalised(condition: str) -> str:
    """`condition` with one space between its tokens, so that spacing never tells two equal
    conditions apart (`risk>0.5` is `risk > 0.5`), while spaces inside a string still do."""
    CELParser()  # builds the shared grammar on first use
    lark = CELParser.CEL_PARSER
    if lark is None:  # CELParser() always builds it; guards the type
        return condition
    try:
        return " ".join(token.value for token in lark.lex(condition))
    except LarkError:  # a checked condition always lexes; if not, only its exact text repeats it
        return condition


def constant_value(normalised_text: str, *, expression: str, reads_facts: bool) -> bool | None:
    """The value a condition has for every order, or None when it may depend on the order.

    One that reads no fact is evaluated once (`expression`, the condition as run); one that fails
    to evaluate fails on every order, so it never holds. One that reads a fact is known only in an
    obvious form: a name with bounds compared with a number (`normalised_text`).
    """
    if not reads_facts:
        try:
            result = cel.compile(expression).execute(cel.Context({}, RUNTIME_FUNCTIONS))
        except Exception:  # whatever the evaluator raises, the rule would not match
            return False
        return result if isinstance(result, bool) else None
    return _bounded_comparison(normalised_text)


def _bounded_comparison(text: str) -> bool | None:
    found = _NAME_FIRST.fullmatch(text)
    if found is not None:
        name, symbol, number = found.groups()
    else:
        found = _NUMBER_FIRST.fullmatch(text)
        if found is None:
            return None
        number, symbol, name = found[1], _FLIPPED[found[2]], found[3]
    variable = VARIABLES_BY_NAME.get(name)
    value = _number(number)
    if variable is None or variable.bounds is None or value is None:
        return None
    low, high = variable.bounds
    if symbol in ("==", "!="):
        return None if low <= value <= high else symbol == "!="
    # An ordering is monotonic in the name's value: the same result at both bounds holds between.
    compare = _ORDERINGS[symbol]
    at_low, at_high = compare(low, value), compare(high, value)
    return at_low if at_low == at_high else None


# CEL's int (decimal or hexadecimal) and double literals, a sign included as the lexer reads it.
_DECIMAL = re.compile(r"-?[0-9]+")
_HEXADECIMAL = re.compile(r"-?0[xX][0-9a-fA-F]+")
_DOUBLE = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _number(text: str) -> float | None:
    # An int stays an int: Python compares it with the bounds exactly, however large.
    if _DECIMAL.fullmatch(text):
        return int(text)
    if _HEXADECIMAL.fullmatch(text):
        return int(text, 16)
    if _DOUBLE.fullmatch(text):
        return float(text)
    return None
