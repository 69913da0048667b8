"""Webhook signature checks shared by the adapters: headers, secrets and constant-time comparison.

Every check accepts several secrets at once so that a connection can rotate its secret without a
window in which the provider's webhooks are refused: any configured secret may match.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping, Sequence

from buyerguard.domain.errors import AuthenticationError


class SignatureError(AuthenticationError):
    """A webhook whose origin could not be proven; nothing of its body may be trusted."""

    code = "bad_signature"


def required_header(headers: Mapping[str, str], name: str) -> str:
    """The value of a lower-case header name; the caller lower-cases the request's header names."""
    value = headers.get(name, "").strip()
    if not value:
        raise SignatureError(f"missing {name} header")
    return value


def secret_keys(secrets: Sequence[str]) -> list[bytes]:
    keys = [secret.encode() for secret in secrets if secret]
    if not keys:
        raise SignatureError("no signing secret is configured for this connection")
    return keys


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def matches_any(expected: Sequence[bytes], given: Sequence[bytes]) -> bool:
    """Compare every pair in constant time, without stopping early.

    Stopping at the first match would tell a timing observer which of the secrets matched.
    """
    results = [hmac.compare_digest(e, g) for e in expected for g in given]
    return any(results)


def verify_base64_hmac(
    headers: Mapping[str, str], body: bytes, secrets: Sequence[str], *, header: str
) -> None:
    """The Shopify and WooCommerce scheme: base64 of HMAC-SHA256 over the raw body."""
    value = required_header(headers, header)
    try:
        given = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(f"{header} is not base64") from None
    expected = [hmac_sha256(key, body) for key in secret_keys(secrets)]
    if not matches_any(expected, [given]):
        raise SignatureError(f"{header} does not match the body")
