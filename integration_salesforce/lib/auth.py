"""OAuth 2.0 for the Salesforce REST API: JWT bearer or client credentials (pure Python).

No username-password flow: Salesforce is retiring it. The token endpoint is called through
core's ApiClient (timeouts, audit); the caller caches the token and asks for a new one once
when a call answers 401 INVALID_SESSION_ID."""

import json
import time
import uuid
from dataclasses import dataclass

import jwt

from ._core import VendorHttpError

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_PATH = "/services/oauth2/token"
ASSERTION_LIFETIME = 180  # seconds: Salesforce accepts at most 3 minutes


class AuthError(Exception):
    """Salesforce refused to give a token: the configuration must be fixed by a person."""


@dataclass(frozen=True)
class Token:
    access_token: str
    instance_url: str
    issued_at: float


def jwt_assertion(consumer_key, username, audience, private_key_pem, now=None):
    """The RS256 assertion of the JWT bearer flow: iss = consumer key, sub = username,
    aud = the login URL (https://login.salesforce.com or https://test.salesforce.com)."""
    issued = int(now if now is not None else time.time())
    claims = {
        "iss": consumer_key,
        "sub": username,
        "aud": audience.rstrip("/"),
        "exp": issued + ASSERTION_LIFETIME,
        "jti": uuid.uuid4().hex,
    }
    try:
        return jwt.encode(claims, private_key_pem, algorithm="RS256")
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        raise AuthError(f"the private key cannot sign the JWT assertion: {exc}") from None


def _token_from(response):
    data = response.json()
    if not data.get("access_token"):
        raise AuthError("the token endpoint answered without an access_token")
    return Token(data["access_token"], data.get("instance_url", ""), time.time())


def _refusal(exc):
    try:
        data = json.loads(exc.body or "{}")
        return f"{data.get('error', 'refused')}: {data.get('error_description', '')}".strip(": ")
    except ValueError:
        return exc.body or str(exc)


def token_by_jwt(api, consumer_key, username, private_key_pem, audience):
    """`api` is an ApiClient on the login URL (or My Domain)."""
    assertion = jwt_assertion(consumer_key, username, audience, private_key_pem)
    try:
        response = api.request("POST", TOKEN_PATH, data={"grant_type": JWT_GRANT, "assertion": assertion})
    except VendorHttpError as exc:
        raise AuthError(f"Salesforce refused the JWT bearer token: {_refusal(exc)}") from None
    return _token_from(response)


def token_by_client_credentials(api, consumer_key, consumer_secret):
    """`api` is an ApiClient on the My Domain host: this flow is not served on login hosts."""
    data = {"grant_type": "client_credentials", "client_id": consumer_key, "client_secret": consumer_secret}
    try:
        response = api.request("POST", TOKEN_PATH, data=data)
    except VendorHttpError as exc:
        raise AuthError(f"Salesforce refused the client credentials: {_refusal(exc)}") from None
    return _token_from(response)
