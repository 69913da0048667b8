"""A seller's connection to a platform: which adapter, the secrets that prove its webhooks, and the
provider's settings; validated before it is stored, so that verification never meets a bad one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from buyerguard.domain.errors import InvalidInputError, NotFoundError
from buyerguard.domain.integrations import ADAPTERS
from buyerguard.domain.text import check_text

ID_PREFIX = "int_"
MAX_SECRETS = 5
MAX_SECRET_LENGTH = 20_000  # room for a PEM certificate chain
MAX_TOLERANCE_SECONDS = 86_400
SETTINGS_BY_PROVIDER: Mapping[str, tuple[str, ...]] = {
    "paypal": ("webhook_id", "certificate", "tolerance_seconds"),
    "stripe": ("tolerance_seconds",),
    "shopify": (),
    "woocommerce": (),
}
_PEM = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)
_ID = re.compile(rf"{ID_PREFIX}[0-9a-f]{{8,64}}")


class IntegrationNotFoundError(NotFoundError):
    code = "integration_not_found"


@dataclass(frozen=True)
class Connection:
    """`secrets` are credentials: needed in clear to verify, so kept, but never shown or logged."""

    id: str
    seller_id: int
    provider: str
    secrets: tuple[str, ...]
    settings: Mapping[str, str]
    created_at: datetime

    @property
    def webhook_path(self) -> str:
        return webhook_path(self.id)


def webhook_path(connection_id: str) -> str:
    return f"/v1/integrations/{connection_id}/webhook"


def new_connection_id(random_bytes: bytes) -> str:
    """Random rather than sequential, so that webhook URLs cannot be enumerated."""
    return ID_PREFIX + random_bytes.hex()


def is_connection_id(text: str) -> bool:
    return bool(_ID.fullmatch(text))


def validate_connection(provider: str, secrets: Sequence[str], settings: Mapping[str, str]) -> None:
    if provider not in ADAPTERS:
        raise InvalidInputError(f"provider: one of {', '.join(sorted(ADAPTERS))}")
    allowed = SETTINGS_BY_PROVIDER[provider]
    for key in settings:
        if key not in allowed:
            valid = ", ".join(allowed) or "none"
            raise InvalidInputError(f"{key}: not a setting of {provider}; valid: {valid}")
    for key, value in settings.items():
        check_text(key, value, free_text=key == "certificate")
    validate_secrets(provider, secrets, settings)
    tolerance = settings.get("tolerance_seconds")
    if tolerance is not None and not (
        tolerance.isdigit() and 0 < int(tolerance) <= MAX_TOLERANCE_SECONDS
    ):
        raise InvalidInputError(f"tolerance_seconds: 1 to {MAX_TOLERANCE_SECONDS}")
    if provider == "paypal" and not settings.get("webhook_id", "").strip():
        raise InvalidInputError("webhook_id: required for paypal (the id PayPal gave the webhook)")


def validate_secrets(provider: str, secrets: Sequence[str], settings: Mapping[str, str]) -> None:
    """1 to MAX_SECRETS distinct secrets (several while rotating); PayPal's are certificates."""
    if len(secrets) > MAX_SECRETS or len(set(secrets)) != len(secrets):
        raise InvalidInputError(f"secrets: at most {MAX_SECRETS}, without repeats")
    for secret in secrets:
        if not secret.strip() or len(secret) > MAX_SECRET_LENGTH:
            raise InvalidInputError(f"secrets: each 1 to {MAX_SECRET_LENGTH} characters")
        check_text("secrets", secret, free_text=True)  # PayPal's are PEM certificates
    if provider == "paypal":
        pems = [text for text in (settings.get("certificate", ""), *secrets) if _PEM.search(text)]
        if not pems:
            raise InvalidInputError(
                "certificate: paypal needs PayPal's signing certificate (PEM), in `certificate` "
                "or among `secrets`"
            )
    elif not secrets:
        raise InvalidInputError(f"secrets: {provider} needs at least one signing secret")
