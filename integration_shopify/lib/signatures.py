"""Shopify webhook signatures: `X-Shopify-Hmac-Sha256` is base64(HMAC-SHA256(app secret,
raw body)), checked with the core toolkit (pure Python, no Odoo)."""

from ...integration_core.lib.signatures import SignatureMismatch, hmac_sha256, verify_hmac

HEADER = "X-Shopify-Hmac-Sha256"


def shopify_hmac(secret: str | bytes, body: bytes) -> str:
    return hmac_sha256(secret, body, "base64")


def verify_shopify_hmac(body: bytes, received: str | None, secrets: list[str]) -> None:
    """Accept when any active secret (current, or previous while rotating) signed the body;
    SignatureMismatch otherwise."""
    if not received:
        raise SignatureMismatch(f"{HEADER} header missing")
    verify_hmac(body, received, secrets, encoding="base64")
