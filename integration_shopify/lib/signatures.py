"""Shopify webhook signatures (pure Python, no Odoo).

`X-Shopify-Hmac-Sha256` is base64(HMAC-SHA256(app secret, raw body))."""

import base64
import hashlib
import hmac


class ShopifySignatureError(Exception):
    """The delivery is not signed by the app's secret."""


def shopify_hmac(secret: str | bytes, body: bytes) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()


def verify_shopify_hmac(body: bytes, received: str | None, secrets: list[str]) -> None:
    """Accept when any active secret (current, or previous while rotating) signed the body."""
    if not received:
        raise ShopifySignatureError("X-Shopify-Hmac-Sha256 header missing")
    candidate = received.strip().encode("utf-8", "replace")
    for secret in secrets:
        if secret and hmac.compare_digest(shopify_hmac(secret, body).encode(), candidate):
            return
    raise ShopifySignatureError("signature does not match")
