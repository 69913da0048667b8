"""Real provider bodies from the shared payloads directory, and test signers for them.

The bodies are read as bytes and signed exactly as stored, so a test proves the adapters accept
what the providers really send. The directory is `../shared/payloads` beside the repository, or
`BUYERGUARD_PAYLOADS_DIR`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

REPOSITORY = Path(__file__).resolve().parents[3]
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
SECRET = "test-secret-1"
ROTATED_SECRET = "test-secret-2"


def payloads_dir() -> Path:
    directory = Path(
        os.environ.get("BUYERGUARD_PAYLOADS_DIR") or REPOSITORY.parent / "shared" / "payloads"
    )
    if not directory.is_dir():
        raise FileNotFoundError(
            f"provider payloads not found at {directory}; set BUYERGUARD_PAYLOADS_DIR"
        )
    return directory


def raw(name: str) -> bytes:
    return (payloads_dir() / name).read_bytes()


def payload(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(raw(name))
    return loaded


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def base64_hmac(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def stripe_header(body: bytes, *, secret: str = SECRET, at: datetime = NOW) -> str:
    timestamp = int(at.timestamp())
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


@functools.cache
def paypal_key(label: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def paypal_certificate(label: str, *, valid_until: datetime = NOW + timedelta(days=365)) -> str:
    """A self-signed stand-in for PayPal's signing certificate, as PEM."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{label}.paypal.test")])
    key = paypal_key(label)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=30))
        .not_valid_after(valid_until)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


PAYPAL_WEBHOOK_ID = "1JE4291016473214C"


def paypal_headers(
    body: bytes,
    *,
    label: str = "current",
    webhook_id: str = PAYPAL_WEBHOOK_ID,
    sent_at: datetime = NOW,
) -> dict[str, str]:
    """Headers as PayPal sends them, signed with the key behind `paypal_certificate(label)`."""
    transmission_id = "69cd13f0-d67a-11e5-baa3-778b53f4ae55"
    transmission_time = sent_at.isoformat().replace("+00:00", "Z")
    message = f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body)}"
    signature = paypal_key(label).sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return {
        "paypal-transmission-id": transmission_id,
        "paypal-transmission-time": transmission_time,
        "paypal-transmission-sig": base64.b64encode(signature).decode(),
        "paypal-auth-algo": "SHA256withRSA",
        "paypal-cert-url": "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42",
    }
