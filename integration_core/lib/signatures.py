"""HMAC signature checks for signed webhooks (pure Python, no Odoo)."""

import base64
import hashlib
import hmac

ENCODINGS = ("hex", "base64")


class SignatureMismatch(Exception):
    """The request is not signed by the holder of the secret, or is too old."""


def hmac_sha256(secret: str | bytes, message: bytes, encoding: str = "hex") -> str:
    """Digest of `message` keyed by `secret`, as the vendor sends it (hex or base64)."""
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, message, hashlib.sha256).digest()
    if encoding == "hex":
        return digest.hex()
    if encoding == "base64":
        return base64.b64encode(digest).decode()
    raise ValueError(f"unknown signature encoding {encoding!r}")


def signed_message(body: bytes, timestamp: str | None = None) -> bytes:
    """What the generic kind signs: `<timestamp>.<body>` when a timestamp header is used."""
    return f"{timestamp}.".encode() + body if timestamp else body


def verify_hmac(
    body: bytes,
    received: str | None,
    secrets: list[str],
    encoding: str = "hex",
    timestamp: str | None = None,
    now: float | None = None,
    tolerance: int | None = None,
) -> None:
    """Accept when any active secret (current or previous during a rotation) signed the body.

    Raises SignatureMismatch with a reason fit for the audit log (never the secret)."""
    if not received:
        raise SignatureMismatch("signature header missing")
    if timestamp is not None and tolerance:
        try:
            age = abs((now or 0) - int(timestamp))
        except ValueError:
            raise SignatureMismatch("timestamp is not a unix time") from None
        if age > tolerance:
            raise SignatureMismatch(f"timestamp outside the {tolerance} s tolerance")
    message = signed_message(body, timestamp)
    # Compared as bytes: compare_digest refuses non-ASCII text, which a forged header may hold.
    candidate = received.strip()
    candidate = (candidate.lower() if encoding == "hex" else candidate).encode("utf-8", "replace")
    for secret in secrets:
        if not secret:
            continue
        expected = hmac_sha256(secret, message, encoding).encode()
        if hmac.compare_digest(expected, candidate):
            return
    raise SignatureMismatch("signature does not match")
