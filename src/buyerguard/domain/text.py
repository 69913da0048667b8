"""Text the registry keeps: what a stored field may hold, the same whichever database keeps it.

PostgreSQL cannot store NUL in text, and no database can store half of a UTF-16 surrogate pair (JSON
can write one, `"\\ud800"`). The other C0 control characters go with NUL: no honest name, reference
or note holds one, and they garble what shows them. A field of one line (a reference, a region, a
URL) holds none; free text (a note, a policy, a certificate) may hold tab, line feed and carriage
return.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from buyerguard.domain.errors import InvalidInputError

MAX_NOTE_LENGTH = 2000  # characters of a note: a seller's on a tag or list entry, an operator's

_ONE_LINE = re.compile("[\x00-\x1f\ud800-\udfff]")
_FREE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


class Unstorable(NamedTuple):
    offset: int  # of the character, from 0
    what: str

    @property
    def message(self) -> str:
        return f"character {self.offset + 1} is {self.what}"


def unstorable(text: str, *, free_text: bool = False) -> Unstorable | None:
    """The first character `text` may not hold, or None."""
    found = (_FREE_TEXT if free_text else _ONE_LINE).search(text)
    if found is None:
        return None
    code = f"U+{ord(found[0]):04X}"
    if found[0] >= "\ud800":
        return Unstorable(found.start(), f"{code}, half of a surrogate pair")
    allowed = "only tab and line breaks are" if free_text else "none is"
    return Unstorable(found.start(), f"the control character {code} ({allowed} allowed)")


def check_text(field: str, text: str, *, free_text: bool = False) -> None:
    """Raise InvalidInputError naming `field` if `text` holds a character it may not (see
    `unstorable`)."""
    found = unstorable(text, free_text=free_text)
    if found is not None:
        raise InvalidInputError(f"{field}: {found.message}")


def validate_note(note: str) -> None:
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidInputError(f"note: at most {MAX_NOTE_LENGTH} characters")
    check_text("note", note, free_text=True)
