"""Stripe webhook signatures (pure Python, no Odoo).

Header `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...][,v0=...]`; the signed text is
`<t>.<raw body>`, HMAC-SHA256 keyed by the endpoint secret (`whsec_...`), hex (computed
with the core toolkit). A delivery is accepted when any `v1` matches any active secret
(Stripe sends one `v1` per secret while a secret is rolled) and `t` is not older than the
tolerance. Stripe only specifies refusing old timestamps: one from the future is accepted up
to a small clock-skew allowance."""

import hmac

from ...integration_core.lib.signatures import hmac_sha256, signed_message

SIGNATURE_HEADER = "Stripe-Signature"
SCHEME = "v1"
CLOCK_SKEW = 60  # seconds a timestamp may be ahead of our clock


class StripeSignatureError(Exception):
    """Not signed by the holder of an active secret, or too old. The text never holds a secret."""


def compute_signature(secret: str, timestamp: int | str, body: bytes) -> str:
    return hmac_sha256(secret, signed_message(body, str(timestamp)))


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


def verify(
    body: bytes,
    header: str | None,
    secrets: list[str],
    now: float,
    tolerance: int = 300,
    clock_skew: int = CLOCK_SKEW,
) -> int:
    """Return the signed timestamp; raise StripeSignatureError otherwise."""
    timestamp, signatures = parse_header(header)
    if tolerance and now - timestamp > tolerance:
        raise StripeSignatureError(f"timestamp older than the {tolerance} s tolerance")
    if timestamp - now > clock_skew:
        raise StripeSignatureError(f"timestamp more than {clock_skew} s in the future")
    for secret in filter(None, secrets):
        expected = compute_signature(secret, timestamp, body).encode()
        for candidate in signatures:
            if hmac.compare_digest(expected, candidate.encode("utf-8", "replace")):
                return timestamp
    raise StripeSignatureError("no v1 signature matches an active secret")
