import hashlib
import hmac


def sign(secret, body):
    """X-Signature of the generic signed-webhook kind: hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
