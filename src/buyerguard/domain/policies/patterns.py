"""Regular expressions in conditions, checked by the engine that will run them."""

from __future__ import annotations

import re

import cel

_ENGINE_ERROR = re.compile(r"^error: (.+?)\.? Check function arguments", re.MULTILINE)


def regex_problem(literal: str) -> str | None:
    """Why the evaluator refuses the pattern written as `literal`, or None if it compiles."""
    try:
        # The evaluator's own regex engine decides, so what is saved is what runs.
        cel.compile(f'"".matches({literal})').execute()
    except RuntimeError as error:
        text = str(error)
        if "size limit" in text:
            return "it is too large"
        found = _ENGINE_ERROR.search(text)
        return found[1] if found else "the pattern is refused"
    return None
