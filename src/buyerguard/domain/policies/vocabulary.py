"""The names a policy condition may use: one table read by the checker, the facts and the docs."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from buyerguard.domain.errors import InvalidInputError

BOOL = "bool"
INT = "int"
DOUBLE = "double"
STRING = "string"
NUMERIC = frozenset({INT, DOUBLE})

# Groups of fields: a value of these types is only useful through one of its fields.
ORDER = "order"
ADDRESS = "address"
MESSAGES = frozenset({ORDER, ADDRESS})

# `buyer` exists only for the documented form `buyer in list("vip")`; `list(name)` returns a list
# that holds BUYER_TOKEN when the buyer is on the seller's list of that name.
BUYER = "buyer"
BUYER_TOKEN = "buyer"

# Argument kinds that must be written as a quoted literal, so they can be checked when the policy is
# saved rather than silently never matching at screening time.
REASON_CODE = "reason code"
LIST_NAME = "list name"
REGEX = "regular expression"
QUOTED = (REASON_CODE, LIST_NAME, REGEX)


def list_of(element: str) -> str:
    return f"list({element})"


@dataclass(frozen=True)
class Variable:
    """A name (or a dotted field path) a condition can read.

    `values` lists every value a string can hold and `pattern` the shape it always has: a literal
    compared with the name must fit, since a misspelt or lower-case code would silently never match.
    `bounds` are the least and greatest values a number takes, enforced on the facts, so that a
    comparison with a number outside them is known to have one result for every order.
    """

    name: str
    type: str
    meaning: str
    values: tuple[str, ...] = ()
    pattern: str = ""
    bounds: tuple[float, float] | None = None

    def admits(self, literal: str) -> bool:
        if self.values:
            return literal in self.values
        return not self.pattern or re.fullmatch(self.pattern, literal) is not None

    def describe_values(self) -> str:
        if self.values:
            return "it is one of " + ", ".join(f'"{value}"' for value in self.values)
        return f"it always matches {self.pattern}"


VARIABLES: tuple[Variable, ...] = (
    Variable(
        "risk", DOUBLE, "misconduct risk of the buyer, 0 (none) to 1 (certain)", bounds=(0.0, 1.0)
    ),
    Variable(
        "level",
        STRING,
        "risk band; only misconduct makes it high, logistics alone can make it medium",
        values=("low", "medium", "high"),
    ),
    Variable(
        "logistics_risk",
        DOUBLE,
        "shipping risk from logistics reasons (remote area, refused COD), 0 to 1",
        bounds=(0.0, 1.0),
    ),
    Variable("distinct_reporters", INT, "sellers who tagged the buyer for any reason"),
    Variable(
        "clean_sellers", INT, "sellers who completed an order with the buyer without a problem"
    ),
    Variable(
        "days_since_last_tag",
        INT,
        "days since the buyer's latest tag; 100000 when the buyer was never tagged",
    ),
    Variable("order_backed", INT, "tags backed by an order the registry saw"),
    Variable(ORDER, ORDER, "the order being screened (use one of its fields)"),
    Variable("order.amount", DOUBLE, "order total, in `order.currency`"),
    Variable("order.currency", STRING, "ISO 4217 currency code, upper case", pattern="[A-Z]{3}"),
    Variable(
        "order.payment_method",
        STRING,
        "how the buyer pays: in advance or cash on delivery",
        values=("prepaid", "cod"),
    ),
    Variable("order.ship_to", ADDRESS, "the delivery address (use one of its fields)"),
    Variable(
        "order.ship_to.country",
        STRING,
        "ISO 3166-1 alpha-2 country code, upper case",
        pattern="[A-Z]{2}",
    ),
    Variable("order.ship_to.region", STRING, 'state, province or region; "" when unknown'),
    Variable("order.ship_to.postal_code", STRING, 'postal code; "" when unknown'),
    Variable(BUYER, BUYER, 'the buyer, only in `buyer in list("name")`'),
)

VARIABLES_BY_NAME: dict[str, Variable] = {variable.name: variable for variable in VARIABLES}


@dataclass(frozen=True)
class Function:
    """A function a condition can call.

    Each parameter is a type, several types joined by `|`, `list` for any list, or one of QUOTED
    (a quoted literal). A method is called on a string: `s.name(arg)`.

    `replaced` pairs an argument type with a function of RUNTIME_FUNCTIONS: a call on an argument of
    that type is evaluated by that function, where the evaluating library's own is wrong or missing.
    """

    name: str
    parameters: tuple[str, ...]
    result: str
    meaning: str
    method: bool = False
    replaced: tuple[tuple[str, str], ...] = ()

    @property
    def signature(self) -> str:
        arguments = ", ".join(self.parameters)
        if self.method:
            return f"string.{self.name}({arguments}) -> {self.result}"
        return f"{self.name}({arguments}) -> {self.result}"


FUNCTIONS: tuple[Function, ...] = (
    Function(
        "sellers",
        (REASON_CODE,),
        INT,
        "community sellers who tagged the buyer for this reason, counted once each",
    ),
    Function("mine", (REASON_CODE,), BOOL, "whether you tagged the buyer for this reason"),
    Function(
        "list",
        (LIST_NAME,),
        list_of(BUYER),
        'your named list, only in `buyer in list("name")`',
    ),
    Function("in_list", (LIST_NAME,), BOOL, "whether the buyer is on your named list"),
    Function(
        "size",
        (f"{STRING}|list",),
        INT,
        "length of a string (in characters) or a list",
        replaced=((STRING, "characters"),),
    ),
    Function("int", (f"{INT}|{DOUBLE}|{STRING}",), INT, "conversion to int (truncates)"),
    Function("double", (f"{INT}|{DOUBLE}|{STRING}",), DOUBLE, "conversion to double"),
    Function(
        "string",
        (f"{INT}|{DOUBLE}|{STRING}|{BOOL}",),
        STRING,
        "conversion to string",
        replaced=((BOOL, "bool_to_string"),),
    ),
    Function("startsWith", (STRING,), BOOL, "whether the string starts with the argument", True),
    Function("endsWith", (STRING,), BOOL, "whether the string ends with the argument", True),
    Function("contains", (STRING,), BOOL, "whether the string contains the argument", True),
    Function("matches", (REGEX,), BOOL, "whether a regular expression matches in the string", True),
)

FUNCTIONS_BY_NAME: dict[str, Function] = {f.name: f for f in FUNCTIONS if not f.method}
METHODS_BY_NAME: dict[str, Function] = {f.name: f for f in FUNCTIONS if f.method}


def _bool_to_string(value: bool) -> str:
    return "true" if value else "false"


# The evaluating library counts a string's size in UTF-8 bytes, where CEL counts code points, and
# has no string() of a bool. A condition cannot name these: only `Function.replaced` calls them.
RUNTIME_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "characters": len,
    "bool_to_string": _bool_to_string,
}


def accepts(parameter: str, type_: str) -> bool:
    """Whether an argument of `type_` fits a parameter written as in `Function.parameters`."""
    return any(
        type_ == option or (option == "list" and type_.startswith("list("))
        for option in parameter.split("|")
    )


def require_admitted(name: str, value: str) -> None:
    """Refuse a fact that no condition could describe, e.g. a lower-case country code."""
    variable = VARIABLES_BY_NAME[name]
    if not variable.admits(value):
        raise InvalidInputError(f"invalid {name} {value!r}: {variable.describe_values()}")
