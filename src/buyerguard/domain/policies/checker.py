"""Static checks of one condition: names, reason codes and operand types, each with its column.

The evaluating CEL library has no type checker and no positions for names, so the condition is
parsed again with cel-python's grammar (the same CEL syntax, with positions) and walked here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from celpy.celparser import CELParseError, CELParser
from lark import Token, Tree

from buyerguard.domain.lists import list_name_problem
from buyerguard.domain.policies import grammar as g
from buyerguard.domain.policies import vocabulary as v
from buyerguard.domain.policies.grammar import ConditionError
from buyerguard.domain.policies.patterns import regex_problem
from buyerguard.domain.reasons import REASON_CODES


@dataclass(frozen=True)
class References:
    """What a condition reads, so a decision can be explained with the facts behind it, and the
    condition as evaluated: with the calls of `Function.replaced` renamed."""

    names: frozenset[str] = frozenset()
    reasons: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()
    expression: str = ""


@dataclass(frozen=True)
class _Value:
    type: str
    column: int
    name: str = ""  # the variable it was read from, so literals compared with it can be checked
    literals: tuple[tuple[str, int], ...] | None = None  # string literals with their columns
    source: str = ""  # a literal as written, quotes and escapes included


@dataclass
class _Found:
    names: set[str] = field(default_factory=set)
    reasons: list[str] = field(default_factory=list)
    lists: list[str] = field(default_factory=list)
    renamed: list[tuple[int, int, str]] = field(default_factory=list)  # offset, length, new name


def check_condition(text: str) -> References:
    """Parse and check `text`; raise ConditionError for the first mistake found."""
    try:
        tree = CELParser().parse(text)
    except CELParseError as error:
        raise ConditionError(error.column or 1, "syntax error") from None
    checker = _Checker()
    try:
        value = checker.check(tree)
    except RecursionError:
        raise ConditionError(1, "the condition is nested too deeply") from None
    if value.type != v.BOOL:
        raise ConditionError(1, f"a condition must be true or false (bool), not {value.type}")
    found = checker.found
    return References(
        frozenset(found.names),
        tuple(dict.fromkeys(found.reasons)),
        tuple(dict.fromkeys(found.lists)),
        _renamed(text, found.renamed),
    )


def _renamed(text: str, renamed: list[tuple[int, int, str]]) -> str:
    for offset, length, name in sorted(renamed, reverse=True):
        text = text[:offset] + name + text[offset + length :]
    return text


class _Checker:
    def __init__(self) -> None:
        self.found = _Found()
        self._handlers: dict[str, Callable[[Tree[Token]], _Value]] = {
            "expr": self._ternary,
            "conditionalor": self._logical,
            "conditionaland": self._logical,
            "relation": self._relation,
            "addition": self._arithmetic,
            "multiplication": self._arithmetic,
            "unary": self._unary,
            "member_dot": self._field,
            "member_dot_arg": self._method,
            "ident": self._ident,
            "ident_arg": self._call,
            "literal": self._literal,
            "list_lit": self._list,
        }

    def check(self, node: Tree[Token] | Token) -> _Value:
        node = g.subtree(node)
        if node.data in g.PASS_THROUGH and len(node.children) == 1:
            return self.check(node.children[0])
        if node.data in g.UNSUPPORTED:
            raise ConditionError(g.column(node), f"{g.UNSUPPORTED[node.data]} is not supported")
        return self._handlers[str(node.data)](node)

    def _ternary(self, node: Tree[Token]) -> _Value:
        condition, then, otherwise = (self.check(child) for child in node.children)
        self._require(condition, v.BOOL, "? :")
        if then.type != otherwise.type:
            raise ConditionError(
                otherwise.column,
                f"both branches of ? : must have the same type, not {then.type} and "
                f"{otherwise.type}",
            )
        return _Value(then.type, condition.column)

    def _logical(self, node: Tree[Token]) -> _Value:
        symbol = "||" if node.data == "conditionalor" else "&&"
        left, right = (self.check(child) for child in node.children)
        self._require(left, v.BOOL, symbol)
        self._require(right, v.BOOL, symbol)
        return _Value(v.BOOL, left.column)

    def _require(self, value: _Value, type_: str, operator: str) -> None:
        if value.type != type_:
            raise ConditionError(value.column, f"{operator} needs {type_}, not {value.type}")

    def _relation(self, node: Tree[Token]) -> _Value:
        operator, right_node = (g.subtree(child) for child in node.children)
        left, right = self.check(operator.children[0]), self.check(right_node)
        if operator.data == "relation_in":
            self._membership(left, right)
        else:
            self._comparison(str(operator.data), left, right)
        return _Value(v.BOOL, left.column)

    def _comparison(self, operator: str, left: _Value, right: _Value) -> None:
        symbol = g.ORDERED.get(operator) or g.EQUALITY[operator]
        allowed = {v.INT, v.DOUBLE, v.STRING} | (set() if operator in g.ORDERED else {v.BOOL})
        numeric = left.type in v.NUMERIC and right.type in v.NUMERIC
        if not numeric and (left.type != right.type or left.type not in allowed):
            raise ConditionError(
                right.column, f"cannot compare {left.type} with {right.type} using {symbol}"
            )
        for named, other in ((left, right), (right, left)):
            variable = v.VARIABLES_BY_NAME.get(named.name)
            if operator in g.EQUALITY:
                # Only equality needs a value the name can hold: "M" orders country codes fine.
                self._check_literals(named, other.literals)
            elif variable and variable.values:
                raise ConditionError(
                    named.column, f"{named.name} has no order; compare it with == or !="
                )

    def _membership(self, left: _Value, right: _Value) -> None:
        if not right.type.startswith("list("):
            raise ConditionError(right.column, f"`in` needs a list on its right, not {right.type}")
        element = right.type[len("list(") : -1]
        if left.type != element and not {left.type, element} <= v.NUMERIC:
            raise ConditionError(left.column, f"cannot look for {left.type} in {right.type}")
        self._check_literals(left, right.literals)

    def _check_literals(self, named: _Value, literals: tuple[tuple[str, int], ...] | None) -> None:
        variable = v.VARIABLES_BY_NAME.get(named.name)
        for literal, column in literals or ():
            if variable and not variable.admits(literal):
                raise ConditionError(
                    column,
                    f'{named.name} is never "{literal}": {variable.describe_values()}',
                )

    def _arithmetic(self, node: Tree[Token]) -> _Value:
        operator, right_node = (g.subtree(child) for child in node.children)
        left, right = self.check(operator.children[0]), self.check(right_node)
        symbol = g.ARITHMETIC[str(operator.data)]
        allowed = {"+": {v.INT, v.DOUBLE, v.STRING}, "%": {v.INT}}.get(symbol, v.NUMERIC)
        if left.type not in allowed:
            raise ConditionError(left.column, f"{symbol} does not apply to {left.type}")
        if right.type != left.type:
            hint = " (write 2.0 rather than 2, or use double())" if right.type in v.NUMERIC else ""
            raise ConditionError(
                right.column, f"{symbol} needs two {left.type} values, not {right.type}{hint}"
            )
        return _Value(left.type, left.column)

    def _unary(self, node: Tree[Token]) -> _Value:
        operator, operand_node = (g.subtree(child) for child in node.children)
        operand = self.check(operand_node)
        if operator.data == "unary_not":
            self._require(operand, v.BOOL, "!")
        elif operand.type not in v.NUMERIC:
            raise ConditionError(operand.column, f"- needs int or double, not {operand.type}")
        return _Value(operand.type, g.column(operator))

    def _ident(self, node: Tree[Token]) -> _Value:
        token = g.token(node, 0)
        return self._variable(str(token), token)

    def _variable(self, name: str, token: Token) -> _Value:
        variable = v.VARIABLES_BY_NAME.get(name)
        if variable is None:
            if name in v.FUNCTIONS_BY_NAME:
                raise ConditionError(g.column(token), f'{name} is a function: write {name}("...")')
            known = [n for n in v.VARIABLES_BY_NAME if "." not in n]
            raise ConditionError(g.column(token), f'unknown name "{name}"' + g.suggest(name, known))
        if variable.type not in v.MESSAGES and variable.type != v.BUYER:
            self.found.names.add(name)
        return _Value(variable.type, g.column(token), name)

    def _field(self, node: Tree[Token]) -> _Value:
        base = self.check(node.children[0])
        token = g.token(node, 1)
        if base.type not in v.MESSAGES:
            raise ConditionError(g.column(token), f"{base.type} has no fields")
        path = f"{base.name}.{token}"
        if path not in v.VARIABLES_BY_NAME:
            prefix = base.name + "."
            fields = [
                name.removeprefix(prefix)
                for name in v.VARIABLES_BY_NAME
                if name.startswith(prefix) and "." not in name.removeprefix(prefix)
            ]
            raise ConditionError(
                g.column(token),
                f'{base.name} has no field "{token}"{g.suggest(str(token), fields)} '
                f"(fields: {', '.join(fields)})",
            )
        # Errors about the whole path point at its start, not at the last field.
        return replace(self._variable(path, token), column=base.column)

    def _call(self, node: Tree[Token]) -> _Value:
        token, rest = g.token(node, 0), node.children[1:]
        function = v.FUNCTIONS_BY_NAME.get(str(token))
        if function is None:
            raise ConditionError(g.column(token), self._unknown_function(str(token)))
        arguments = self._arguments(function, token, rest)
        replacement = dict(function.replaced).get(arguments[0].type) if arguments else None
        if replacement is not None:
            # A condition is one line, so its columns are offsets into its text.
            self.found.renamed.append((g.column(token) - 1, len(token), replacement))
        return _Value(function.result, g.column(token))

    def _method(self, node: Tree[Token]) -> _Value:
        receiver_node, token, rest = node.children[0], g.token(node, 1), node.children[2:]
        receiver = self.check(receiver_node)
        method = v.METHODS_BY_NAME.get(str(token))
        if method is None:
            raise ConditionError(g.column(token), self._unknown_function(str(token)))
        if receiver.type != v.STRING:
            raise ConditionError(
                receiver.column, f"{method.name}() is called on a string, not {receiver.type}"
            )
        self._arguments(method, token, rest)
        return _Value(method.result, receiver.column)

    def _unknown_function(self, name: str) -> str:
        if name in v.METHODS_BY_NAME:
            return f'{name}() is called on a string: write text.{name}("...")'
        if name in v.FUNCTIONS_BY_NAME:
            return f"{name}() is not called on a value: write {name}(...)"
        if name in v.VARIABLES_BY_NAME:
            return f"{name} is not a function"
        names = [*v.FUNCTIONS_BY_NAME, *v.METHODS_BY_NAME]
        return f'unknown function "{name}"' + g.suggest(name, names)

    def _arguments(
        self, function: v.Function, token: Token, rest: list[Tree[Token] | Token]
    ) -> list[_Value]:
        arguments = g.subtree(rest[0]).children if rest else []
        if len(arguments) != len(function.parameters):
            count = len(function.parameters)
            raise ConditionError(
                g.column(token),
                f"{function.name}() takes {count} argument{'s' * (count != 1)}, "
                f"not {len(arguments)}",
            )
        values = []
        for parameter, argument in zip(function.parameters, arguments, strict=True):
            value = self.check(argument)
            if parameter in v.QUOTED:
                self._quoted_argument(function, parameter, value)
            elif not v.accepts(parameter, value.type):
                raise ConditionError(
                    value.column, f"{function.name}() takes {parameter}, not {value.type}"
                )
            values.append(value)
        return values

    def _quoted_argument(self, function: v.Function, parameter: str, value: _Value) -> None:
        if value.type != v.STRING or value.literals is None or not value.source:
            raise ConditionError(
                value.column,
                f"{function.name}() takes a {parameter} in quotes, such as "
                f'{function.name}("{g.EXAMPLES[parameter]}")',
            )
        text, column = value.literals[0]
        if parameter == v.REGEX:
            problem = regex_problem(value.source)
            if problem is not None:
                raise ConditionError(column, f"not a valid regular expression: {problem}")
        elif parameter == v.LIST_NAME:
            problem = list_name_problem(text)
            if problem is not None:
                raise ConditionError(column, f'"{text}" cannot name a list: {problem}')
            self.found.lists.append(text)
        elif text not in REASON_CODES:
            raise ConditionError(
                column,
                f'unknown reason "{text}"{g.suggest(text, REASON_CODES)} '
                f"(reasons: {', '.join(REASON_CODES)})",
            )
        else:
            self.found.reasons.append(text)

    def _literal(self, node: Tree[Token]) -> _Value:
        token = g.token(node, 0)
        if token.type in g.REFUSED_LITERALS:
            raise ConditionError(g.column(token), g.REFUSED_LITERALS[token.type])
        type_ = g.LITERAL_TYPES[token.type]
        if type_ != v.STRING:
            return _Value(type_, g.column(token))
        literals = ((g.string_literal(token), g.column(token)),)
        return _Value(type_, g.column(token), literals=literals, source=str(token))

    def _list(self, node: Tree[Token]) -> _Value:
        elements = g.subtree(node.children[0]).children if node.children else []
        items = [self.check(element) for element in elements]
        if not items:
            raise ConditionError(g.column(node), "an empty list matches nothing")
        for item in items[1:]:
            if item.type != items[0].type:
                raise ConditionError(
                    item.column, f"list items must share one type: {items[0].type}, not {item.type}"
                )
        literals = None
        if all(item.literals is not None for item in items):
            literals = tuple(literal for item in items for literal in item.literals or ())
        return _Value(v.list_of(items[0].type), g.column(node), literals=literals)
