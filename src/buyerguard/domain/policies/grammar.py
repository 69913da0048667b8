"""The CEL grammar as the condition checker walks it: what its nodes mean, and reading them.

cel-python's Lark grammar gives every node a position; these are the names of its levels and
tokens that the checker (domain.policies.checker) handles, and the helpers that read a node.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from lark import Token, Tree

from buyerguard.domain.policies import vocabulary as v


class ConditionError(Exception):
    """A mistake in a condition; `column` is 1-based within the condition text."""

    def __init__(self, column: int, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


# Grammar levels that, with a single child, only pass their child through.
PASS_THROUGH = frozenset(
    {"expr", "conditionalor", "conditionaland", "relation", "addition", "multiplication"}
    | {"unary", "member", "primary", "paren_expr"}
)
UNSUPPORTED = {
    "member_index": "indexing with [...]",
    "member_object": "message construction",
    "dot_ident": "names with a leading dot",
    "dot_ident_arg": "functions with a leading dot",
    "map_lit": "map literals",
}
ORDERED = {"relation_lt": "<", "relation_le": "<=", "relation_gt": ">", "relation_ge": ">="}
EQUALITY = {"relation_eq": "==", "relation_ne": "!="}
ARITHMETIC = {
    "addition_add": "+",
    "addition_sub": "-",
    "multiplication_mul": "*",
    "multiplication_div": "/",
    "multiplication_mod": "%",
}
LITERAL_TYPES = {
    "INT_LIT": v.INT,
    "FLOAT_LIT": v.DOUBLE,
    "STRING_LIT": v.STRING,
    "MLSTRING_LIT": v.STRING,
    "BOOL_LIT": v.BOOL,
}
REFUSED_LITERALS = {
    "UINT_LIT": "unsigned integers are not used in policies; drop the u",
    "BYTES_LIT": "bytes are not used in policies",
    "NULL_LIT": "null is not used in policies: every name always has a value",
}


def column(node: Tree[Token] | Token) -> int:
    if isinstance(node, Token):
        return node.column or 1
    return int(getattr(node.meta, "column", 1))


def subtree(node: Tree[Token] | Token) -> Tree[Token]:
    if isinstance(node, Token):  # the grammar only puts tokens at leaves; guards the type
        raise ConditionError(column(node), f"unexpected {node.value!r}")
    return node


def token(node: Tree[Token], index: int) -> Token:
    child = node.children[index]
    if not isinstance(child, Token):  # the grammar puts a token here; guards the type
        raise ConditionError(column(child), "unexpected expression")
    return child


def suggest(word: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1)
    return f'; did you mean "{close[0]}"?' if close else ""


EXAMPLES = {v.REASON_CODE: "extortion", v.LIST_NAME: "vip", v.REGEX: "^75"}


def string_literal(token: Token) -> str:
    # Reason codes and list names never need escapes, so a literal with one simply won't match.
    text = str(token).lstrip("rR")
    quote = text[:3] if text[:3] in ('"""', "'''") else text[0]
    return text[len(quote) : -len(quote)]
