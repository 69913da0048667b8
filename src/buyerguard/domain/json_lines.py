"""JSON Lines as every bulk route reads them: a JSON value a line, and only a line feed ends a line.

`str.splitlines` also ends a line at U+2028, U+2029, U+0085, form feed and a lone carriage return,
and JSON allows the first three raw inside a string: a valid line would be cut in two and every
later line misnumbered.
"""

from __future__ import annotations

import json
import re

from buyerguard.domain.errors import InvalidInputError

# What "surrogateescape" decodes an invalid UTF-8 byte to; valid UTF-8 never decodes to these.
_UNDECODED = re.compile("[\udc80-\udcff]")


def lines(text: str) -> list[str]:
    """The lines of `text`, split at line feeds; a carriage return before one is dropped, and a
    byte-order mark before the first (editors on Windows write one)."""
    found = text.removeprefix("\ufeff").split("\n")
    if found[-1] == "":
        found.pop()
    return [line.removesuffix("\r") for line in found]


def decode(line: str) -> object:
    """One line's JSON value; errors carry no line number (the caller adds it). Text decoded with
    "surrogateescape" may hold bytes that are not UTF-8: they are refused here."""
    if not line.isascii():
        if _UNDECODED.search(line):
            raise InvalidInputError("not UTF-8 text")
        if line.startswith("\ufeff"):
            raise InvalidInputError("a byte-order mark (U+FEFF) may only start the first line")
    try:
        return _DECODER.decode(line)
    except json.JSONDecodeError as error:
        raise InvalidInputError(f"not valid JSON ({error.msg})") from None
    except RecursionError:
        raise InvalidInputError("not valid JSON (nested too deeply)") from None
    except ValueError:  # an integer of more digits than Python converts from text
        raise InvalidInputError("not valid JSON (a number too long)") from None


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """An object whose keys all differ: with a key given twice, parsers disagree on which value
    counts (most keep the last), so a second one is refused rather than chosen."""
    found = dict(pairs)
    if len(found) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise InvalidInputError(f"duplicate key {json.dumps(key)}")
            seen.add(key)
    return found


# One decoder for every JSON value read, request bodies as lines: made once, not per call.
_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys)


def decoded_lines(raw: bytes) -> list[tuple[int, object]]:
    """Each non-blank line's number and JSON value, or the InvalidInputError that line is: a line
    that is not UTF-8 or not JSON spoils only itself."""
    found: list[tuple[int, object]] = []
    for number, line in enumerate(lines(raw.decode("utf-8", "surrogateescape")), start=1):
        if not line.strip():
            continue
        try:
            found.append((number, decode(line)))
        except InvalidInputError as error:
            found.append((number, error))
    return found
