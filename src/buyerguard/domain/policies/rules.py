"""A seller's policy as written (`ACTION if CONDITION` per line), compiled once for reuse."""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass, field
from enum import IntEnum

import cel

from buyerguard.domain.errors import InvalidInputError
from buyerguard.domain.policies import conditions
from buyerguard.domain.policies.checker import check_condition
from buyerguard.domain.policies.grammar import ConditionError
from buyerguard.domain.reputation import MEDIUM_RISK
from buyerguard.domain.text import unstorable

# Bounds on what a seller can make every screening pay for: each rule costs about a microsecond.
MAX_RULES = 200
MAX_CONDITION_LENGTH = 1000
# Room for MAX_RULES rules of the longest condition, each with a comment as long again.
MAX_SOURCE_LENGTH = 400_000


class Action(IntEnum):
    """What to do with an order, ordered by strictness so the strictest of several is `max()`."""

    SHIP = 0
    REQUIRE_PREPAYMENT = 1
    REVIEW = 2
    DECLINE = 3

    @property
    def code(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Action:
        """Return the action whose code is `text` (e.g. "require_prepayment")."""
        for action in cls:
            if action.code == text:
                return action
        raise InvalidInputError(f"unknown action {text!r}{_expected_action(text)}")


def _expected_action(text: str) -> str:
    codes = [action.code for action in Action]
    close = difflib.get_close_matches(text, codes, n=1)
    hint = f'; did you mean "{close[0]}"?' if close else ""
    return f"{hint} (actions: {', '.join(codes)})"


class PolicyError(InvalidInputError):
    """A policy that cannot be saved; `line` and `column` are 1-based positions in its source."""

    code = "invalid_policy"

    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(f"line {line}, column {column}: {message}")
        self.line = line
        self.column = column
        self.detail = message

    def details(self) -> dict[str, object]:
        return {"line": self.line, "column": self.column}


@dataclass(frozen=True)
class Rule:
    """One line of a policy; `condition` None means the rule applies to every order.

    `names`, `reasons` and `lists` are what the condition reads, so a decision can be explained.
    `expression` is the condition as evaluated when the checker rewrote it (None: as written).
    `column` and `condition_column`: where the rule and its condition start in the line (1-based).
    """

    line: int
    action: Action
    condition: str | None
    names: frozenset[str] = frozenset()
    reasons: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()
    expression: str | None = field(default=None, compare=False)
    column: int = field(default=1, compare=False)
    condition_column: int = field(default=1, compare=False)

    @functools.cached_property
    def normalised(self) -> str | None:
        """The condition with one space between its tokens: two rules with the same one test the
        same thing, however each is spaced."""
        return None if self.condition is None else conditions.normalised(self.condition)

    @functools.cached_property
    def constant(self) -> bool | None:
        """The value the condition has for every order (`true`, `1 == 2`, `risk >= 0.0`), or None
        when it depends on the order or there is no condition."""
        condition, text = self.condition, self.normalised
        if condition is None or text is None:
            return None
        return conditions.constant_value(
            text,
            expression=self.expression or condition,
            reads_facts=bool(self.names or self.reasons or self.lists),
        )

    @property
    def applies_to_every_order(self) -> bool:
        return self.condition is None or self.constant is True


@dataclass(frozen=True)
class Policy:
    """Rules in the order they are tried. Build one with `compile_policy`, which checks them."""

    source: str
    rules: tuple[Rule, ...]
    programs: tuple[cel.Program | None, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Compiled here so that any Policy, however built, has one program per rule.
        programs = tuple(
            None if rule.condition is None else cel.compile(rule.expression or rule.condition)
            for rule in self.rules
        )
        object.__setattr__(self, "programs", programs)


def compile_policy(source: str) -> Policy:
    """Check every rule of `source` and compile it; raise PolicyError at the first mistake."""
    _check_source(source)
    rules: list[Rule] = []
    # Only a line feed ends a rule: str.splitlines() also breaks at form feeds and U+2028, which
    # may sit in a comment or a string.
    for number, line in enumerate(source.split("\n"), start=1):
        text = line.removesuffix("\r")
        rule = _rule(number, _without_comment(text))
        if rule is None:
            continue
        if rules and rules[-1].condition is None:
            raise PolicyError(
                number,
                _indent(text) + 1,
                f"this rule is never reached: line {rules[-1].line} applies to every order",
            )
        rules.append(rule)
    if len(rules) > MAX_RULES:
        raise PolicyError(rules[MAX_RULES].line, 1, f"a policy has at most {MAX_RULES} rules")
    return Policy(source, tuple(rules))


def _check_source(source: str) -> None:
    """A policy is stored as written: of a bounded size, and with no character text may not
    hold."""
    if len(source) > MAX_SOURCE_LENGTH:
        line, column = _position(source, MAX_SOURCE_LENGTH)
        raise PolicyError(line, column, f"a policy has at most {MAX_SOURCE_LENGTH:,} characters")
    found = unstorable(source, free_text=True)
    if found is not None:
        line, column = _position(source, found.offset)
        raise PolicyError(line, column, found.what)


def _position(source: str, offset: int) -> tuple[int, int]:
    """The line and column of `source[offset]`, lines counted as `compile_policy` counts them."""
    line_start = source.rfind("\n", 0, offset) + 1
    return source.count("\n", 0, offset) + 1, offset - line_start + 1


_ACTION = re.compile(r"\s*(\S+)\s*")
_IF = re.compile(r"if\b\s*")


def _rule(number: int, text: str) -> Rule | None:
    match = _ACTION.match(text)
    if match is None:
        return None
    try:
        action = Action.parse(match[1])
    except InvalidInputError:
        message = f'unknown action "{match[1]}"{_expected_action(match[1])}'
        raise PolicyError(number, match.start(1) + 1, message) from None
    rest = text[match.end() :].rstrip()
    if not rest:
        return Rule(number, action, None, column=match.start(1) + 1)
    keyword = _IF.match(rest)
    if keyword is None:
        found = rest.split()[0]
        raise PolicyError(number, match.end() + 1, f'expected "if" after the action, not "{found}"')
    start = match.end() + keyword.end()  # 0-based index of the condition in the line
    condition = text[start:].rstrip()
    return _conditional_rule(number, action, condition, start, column=match.start(1) + 1)


def _conditional_rule(
    number: int, action: Action, condition: str, start: int, *, column: int
) -> Rule:
    if not condition:
        raise PolicyError(number, start + 1, 'expected a condition after "if"')
    if len(condition) > MAX_CONDITION_LENGTH:
        raise PolicyError(
            number, start + 1, f"a condition has at most {MAX_CONDITION_LENGTH} characters"
        )
    try:
        # The evaluating library's parser is the authority on syntax and words its errors best.
        cel.compile(condition)
    except ValueError as error:
        column, message = _syntax_error(str(error))
        raise PolicyError(number, start + column, message) from None
    try:
        references = check_condition(condition)
    except ConditionError as error:
        raise PolicyError(number, start + error.column, error.message) from None
    return Rule(
        number,
        action,
        condition,
        references.names,
        references.reasons,
        references.lists,
        references.expression,
        column=column,
        condition_column=start + 1,
    )


_SYNTAX_ERROR = re.compile(r"<input>:\d+:(\d+): (?:Syntax error: )?([^\n]*)")
_INNER_MESSAGE = re.compile(r'msg: "([^"]*)"')


def _syntax_error(text: str) -> tuple[int, str]:
    """Column and message of the first error the CEL parser reports, without its token lists."""
    match = _SYNTAX_ERROR.search(text)
    if match is None:
        return 1, "syntax error"
    message = match[2].split(" expecting {")[0].strip()
    inner = _INNER_MESSAGE.search(message)  # parser limits come wrapped in a debug dump
    return int(match[1]), f"syntax error: {inner[1] if inner else message}"


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip())


# The prefix of a raw string (bytes may be raw too), not the end of a name such as `ur`.
_RAW_PREFIX = re.compile(r"(?<![A-Za-z0-9_])[bB]?[rR]\Z")


def _without_comment(text: str) -> str:
    """Cut a trailing `# comment`, leaving a `#` inside a quoted string alone."""
    quote, raw = "", False
    index = 0
    while index < len(text):
        if quote and not raw and text[index] == "\\":
            index += 2
        elif quote and text.startswith(quote, index):
            index, quote = index + len(quote), ""
        elif not quote and text[index] in "\"'":
            quote = (
                text[index : index + 3]
                if text[index : index + 3] in ('"""', "'''")
                else text[index]
            )
            # In a raw string a backslash escapes nothing: r"\" is one backslash, closed.
            raw = _RAW_PREFIX.search(text, 0, index) is not None
            index += len(quote)
        elif not quote and text[index] == "#":
            return text[:index]
        else:
            index += 1
    return text


# Logistics reasons can make a buyer "medium" too, but only misconduct is for a person to review:
# a shipping risk is answered by prepayment, and a prepaid order ships.
DEFAULT_POLICY_SOURCE = (
    "# The policy of a seller who has not written one.\n"
    "# Strong evidence of misconduct (risk counts misconduct only): refuse the order.\n"
    'decline if level == "high"\n'
    "# Refused cash-on-delivery parcels or a shipping risk: pay first. Logistics never declines.\n"
    'require_prepayment if order.payment_method == "cod" && (sellers("cod_refusal") >= 1'
    f' || mine("cod_refusal") || logistics_risk >= {MEDIUM_RISK})\n'
    "# Some evidence of misconduct, not conclusive: a person looks at the order.\n"
    f"review if risk >= {MEDIUM_RISK}\n"
    "ship\n"
)


@functools.cache
def default_policy() -> Policy:
    """DEFAULT_POLICY_SOURCE compiled, once per process."""
    return compile_policy(DEFAULT_POLICY_SOURCE)
