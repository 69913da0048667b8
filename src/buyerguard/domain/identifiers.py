"""Buyer identifiers: normalised so that one person matches however a seller typed them, then
keyed-hashed.

Only the HMAC of a normalised identifier is ever stored; the deployment secret that keys it lives
outside the database, so a stolen database reveals no email, phone or platform id.
"""

from __future__ import annotations

import hmac
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import idna
import phonenumbers

from buyerguard.domain.errors import InvalidIdentifierError, NoIdentifierError


class IdentifierKind(StrEnum):
    PLATFORM_BUYER_ID = "platform_buyer_id"
    EMAIL = "email"
    PHONE = "phone"
    SHIPPING_ADDRESS = "shipping_address"
    PAYMENT_FINGERPRINT = "payment_fingerprint"


IDENTIFIER_KINDS: tuple[str, ...] = tuple(kind.value for kind in IdentifierKind)

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PLATFORM_ID = re.compile(r"([a-z0-9][a-z0-9_.-]{0,31}):(\S{1,200})")
_MAX_LENGTH = 500
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # all but tab, CR, LF


def normalise_email(raw: str) -> str:
    """Unicode-normalised (NFKC: a composed and a decomposed "é", or full-width letters, are one
    address), invisible format characters removed, lower-cased and trimmed; dots and +tags are
    kept, as their meaning differs by provider. An international domain name is given the one
    form of its Unicode labels, however it was written ("xn--mnchen-3ya.de" is "münchen.de")."""
    _refuse_control_characters("email", raw)
    if not raw.isascii():
        text = unicodedata.normalize("NFKC", raw)
        raw = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    email = raw.strip().lower()
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise InvalidIdentifierError("email", f"not an email address: {raw!r}")
    local, _, domain = email.partition("@")
    return f"{local}@{_international_domain(domain)}"


def _international_domain(domain: str) -> str:
    """UTS #46 (non-transitional, as IDNA2008) maps the domain; its labels that are not plain
    ASCII, or are A-labels ("xn--"), become U-labels. Unicode rather than ASCII is the one form
    because registries were tagged with domains as typed, and those are rarely A-labels. Plain
    ASCII labels are kept as they are: mail accepts some ("foo_bar") that IDNA refuses."""
    if domain.isascii() and not any(label.startswith("xn--") for label in domain.split(".")):
        return domain
    try:
        mapped = idna.uts46_remap(domain, std3_rules=False, transitional=False)
        return ".".join(
            label if label.isascii() and not label.startswith("xn--") else idna.decode(label)
            for label in mapped.split(".")
        )
    except idna.IDNAError as error:
        raise InvalidIdentifierError(
            "email", f"not a valid international domain name: {error}"
        ) from None


def normalise_phone(raw: str, *, default_region: str | None = None) -> str:
    """Return E.164; a number without a country code needs `default_region` (ISO 3166 alpha-2)."""
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException:
        raise InvalidIdentifierError(
            "phone", "not a phone number; give it with its country code, e.g. +4915112345678"
        ) from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidIdentifierError("phone", "not a possible phone number")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def normalise_platform_id(raw: str) -> str:
    """`namespace:id`, namespace lower-cased (the platform), id kept as the platform gives it."""
    _refuse_control_characters("platform_buyer_id", raw)
    text = raw.strip()
    namespace, sep, rest = text.partition(":")
    candidate = f"{namespace.lower()}{sep}{rest.strip()}"
    if not _PLATFORM_ID.fullmatch(candidate):
        raise InvalidIdentifierError(
            "platform_buyer_id", "expected 'platform:id', e.g. 'aliexpress:cn1234'"
        )
    return candidate


def _refuse_control_characters(kind: str, raw: str) -> None:
    """Kept as typed, a control character would make one identifier two; nobody types one."""
    if _CONTROL.search(raw):
        raise InvalidIdentifierError(kind, "contains a control character")


# Latin letters that Unicode does not decompose into a base letter and an accent.
_LATIN_LETTERS = str.maketrans(
    {"ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d", "þ": "th", "ħ": "h"}
    | {"\u0131": "i"}  # the dotless i
)
# Scripts whose accents are often left out when typing ("Αθήνα" written "ΑΘΗΝΑ"): folded.
_ACCENTED_SCRIPTS = ("LATIN", "GREEK", "CYRILLIC", "ARABIC", "HEBREW")
_MIN_WIDE_CHARACTERS = 4  # an address in Chinese, Japanese or Korean is written without spaces


def normalise_address(raw: str) -> str:
    """Canonical form: case folded, accents folded in the scripts where they are often left out
    ("Köln" is "koln", "Αθήνα" is "αθηνα"), letters of every other script kept with their marks,
    digits of every script as ASCII, punctuation and repeated spaces removed.

    At least two words, or four characters of a script written without spaces, are required:
    fewer cannot tell one address from another.
    """
    text = unicodedata.normalize("NFKD", raw.casefold().translate(_LATIN_LETTERS))
    kept: list[str] = []
    folds_marks = True
    for ch in text:
        category = unicodedata.category(ch)
        if category[0] == "M":
            if not folds_marks:  # a vowel sign or a voicing mark is part of its letter
                kept.append(ch)
            continue
        folds_marks = ch.isascii() or unicodedata.name(ch, "").startswith(_ACCENTED_SCRIPTS)
        if category == "Nd":  # Arabic-Indic or full-width digits are the same number
            ch = str(unicodedata.decimal(ch))
        kept.append(ch if category[0] in "LN" else " ")
    words = unicodedata.normalize("NFC", "".join(kept)).split()
    wide = sum(1 for word in words for ch in word if _is_wide(ch))
    if len(words) < 2 and wide < _MIN_WIDE_CHARACTERS:
        raise InvalidIdentifierError("shipping_address", "too short to identify an address")
    if not wide:
        return " ".join(words)
    # Spaces are optional between words of scripts written without them.
    joined = words[0]
    for word in words[1:]:
        joined += word if _is_wide(joined[-1]) or _is_wide(word[0]) else f" {word}"
    return joined


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


def normalise_fingerprint(raw: str) -> str:
    _refuse_control_characters("payment_fingerprint", raw)
    text = raw.strip()
    if not text or any(ch.isspace() for ch in text):
        raise InvalidIdentifierError("payment_fingerprint", "must be a non-empty token")
    return text


_NORMALISERS = {
    IdentifierKind.PLATFORM_BUYER_ID: normalise_platform_id,
    IdentifierKind.EMAIL: normalise_email,
    IdentifierKind.PHONE: normalise_phone,
    IdentifierKind.SHIPPING_ADDRESS: normalise_address,
    IdentifierKind.PAYMENT_FINGERPRINT: normalise_fingerprint,
}


@dataclass(frozen=True)
class Identifier:
    kind: IdentifierKind
    value: str  # normalised; never stored


@dataclass(frozen=True)
class HashedIdentifier:
    kind: IdentifierKind
    digest: str  # hex HMAC-SHA256 of "kind:value" under the deployment secret


def parse_identifiers(raw: Mapping[str, object]) -> tuple[Identifier, ...]:
    """Validate and normalise a `{"email": ..., "phone": ...}` mapping; at least one is required."""
    unknown = sorted(set(raw) - set(IDENTIFIER_KINDS))
    if unknown:
        raise InvalidIdentifierError(
            unknown[0], f"unknown identifier; valid ones: {', '.join(IDENTIFIER_KINDS)}"
        )
    found: list[Identifier] = []
    for kind in IdentifierKind:
        value = raw.get(kind.value)
        if value is None or value == "":
            continue
        if not isinstance(value, str) or len(value) > _MAX_LENGTH:
            raise InvalidIdentifierError(
                kind.value, f"must be a string of at most {_MAX_LENGTH} characters"
            )
        found.append(Identifier(kind, _NORMALISERS[kind](value)))
    if not found:
        raise NoIdentifierError(
            f"a buyer needs at least one identifier: {', '.join(IDENTIFIER_KINDS)}"
        )
    return tuple(found)


def hash_identifier(identifier: Identifier, secret: bytes) -> HashedIdentifier:
    message = f"{identifier.kind.value}:{identifier.value}".encode()
    # The one-shot form runs in C: a bulk import hashes two or three identifiers per line.
    digest = hmac.digest(secret, message, "sha256").hex()
    return HashedIdentifier(identifier.kind, digest)


def hash_identifiers(raw: Mapping[str, object], secret: bytes) -> tuple[HashedIdentifier, ...]:
    return tuple(hash_identifier(identifier, secret) for identifier in parse_identifiers(raw))


# Every identifier is hashed as "kind:value" (a kind, then a colon); the label has no colon, so its
# HMAC is no identifier's, and being an HMAC it says nothing of the secret.
_SECRET_CHECK_LABEL = b"buyerguard secret check"


def secret_check(secret: bytes) -> str:
    """A value that tells whether `secret` is the key a registry's identifiers were hashed with:
    the same key gives the same value, any other a different one."""
    return hmac.digest(secret, _SECRET_CHECK_LABEL, "sha256").hex()
