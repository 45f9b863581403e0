import pytest

from integration_core.lib.signatures import SignatureMismatch, hmac_sha256, signed_message, verify_hmac


def test_shopify_vector_base64(signature_vectors):
    vector = signature_vectors["shopify_secret"]
    body = vector["body"].encode()
    assert hmac_sha256(vector["secret"], body, "base64") == vector["expected"]
    verify_hmac(body, vector["expected"], [vector["secret"]], encoding="base64")


def test_stripe_vector_is_a_timestamped_hex_signature(signature_vectors, fixtures_dir):
    """Stripe signs '<t>.<body>': the generic kind with a timestamp header does the same."""
    vector = signature_vectors["stripe_A_webhook_secret"]
    body = (fixtures_dir / vector["body_file"]).read_bytes()
    assert len(body) == vector["body_bytes"]
    t = str(vector["timestamp"])
    assert hmac_sha256(vector["secret"], signed_message(body, t)) == vector["expected_v1"]
    verify_hmac(body, vector["expected_v1"], [vector["secret"]], timestamp=t, now=int(t) + 10, tolerance=300)


def test_previous_secret_accepted_during_rotation():
    body = b'{"id": 1}'
    signature = hmac_sha256("old", body)
    verify_hmac(body, signature, ["new", "old"])
    with pytest.raises(SignatureMismatch):
        verify_hmac(body, signature, ["new"])


@pytest.mark.parametrize(
    ("received", "kwargs", "reason"),
    [
        (None, {}, "missing"),
        ("", {}, "missing"),
        ("00" * 32, {}, "does not match"),
        ("é" * 64, {}, "does not match"),
        ("sig", {"timestamp": "100", "now": 1000, "tolerance": 300}, "tolerance"),
        ("sig", {"timestamp": "soon", "now": 1000, "tolerance": 300}, "unix time"),
    ],
)
def test_refusals_say_why(received, kwargs, reason):
    with pytest.raises(SignatureMismatch, match=reason):
        verify_hmac(b"body", received, ["secret"], **kwargs)


def test_body_tampering_is_detected():
    signature = hmac_sha256("secret", b'{"amount": 100}')
    with pytest.raises(SignatureMismatch):
        verify_hmac(b'{"amount": 900}', signature, ["secret"])


def test_empty_secrets_never_match():
    with pytest.raises(SignatureMismatch):
        verify_hmac(b"x", hmac_sha256("", b"x"), ["", None])
