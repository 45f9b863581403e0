"""Stripe webhook signatures (pure Python, no Odoo).

Header `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...][,v0=...]`; the signed text is
`<t>.<raw body>`, HMAC-SHA256 keyed by the endpoint secret (`whsec_...`), hex. A delivery is
accepted when any `v1` matches any active secret (Stripe sends one `v1` per secret while a
secret is rolled) and `t` is within the tolerance of now."""

import hashlib
import hmac

SIGNATURE_HEADER = "Stripe-Signature"
SCHEME = "v1"


class StripeSignatureError(Exception):
    """Not signed by the holder of an active secret, or too old. The text never holds a secret."""


def compute_signature(secret: str, timestamp: int | str, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The header Stripe would send (for tests and the demo)."""
    return f"t={timestamp},{SCHEME}={compute_signature(secret, timestamp, body)}"


def parse_header(header: str | None) -> tuple[int, list[str]]:
    """(timestamp, [v1 signatures]) of a Stripe-Signature header."""
    if not header:
        raise StripeSignatureError("Stripe-Signature header missing")
    timestamp, signatures = None, []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise StripeSignatureError("timestamp t= is not a unix time") from None
        elif key == SCHEME:
            signatures.append(value.strip().lower())
    if timestamp is None:
        raise StripeSignatureError("timestamp t= missing")
    if not signatures:
        raise StripeSignatureError("no v1 signature")
    return timestamp, signatures


def verify(body: bytes, header: str | None, secrets: list[str], now: float, tolerance: int = 300) -> int:
    """Return the signed timestamp; raise StripeSignatureError otherwise."""
    timestamp, signatures = parse_header(header)
    if tolerance and abs(now - timestamp) > tolerance:
        raise StripeSignatureError(f"timestamp outside the {tolerance} s tolerance")
    for secret in filter(None, secrets):
        expected = compute_signature(secret, timestamp, body).encode()
        for candidate in signatures:
            if hmac.compare_digest(expected, candidate.encode("utf-8", "replace")):
                return timestamp
    raise StripeSignatureError("no v1 signature matches an active secret")
