import pytest

from integration_core.lib.signatures import SignatureMismatch
from integration_shopify.lib.signatures import shopify_hmac, verify_shopify_hmac


def test_shared_vector(signature_vectors):
    vector = signature_vectors["shopify_secret"]
    body = vector["body"].encode()
    assert shopify_hmac(vector["secret"], body) == vector["expected"]
    verify_shopify_hmac(body, vector["expected"], [vector["secret"]])


def test_wrong_secret_tampered_body_or_missing_header_are_refused(signature_vectors):
    vector = signature_vectors["shopify_secret"]
    body = vector["body"].encode()
    with pytest.raises(SignatureMismatch):
        verify_shopify_hmac(body, vector["expected"], ["another secret"])
    with pytest.raises(SignatureMismatch):
        verify_shopify_hmac(body + b"x", vector["expected"], [vector["secret"]])
    with pytest.raises(SignatureMismatch, match="missing"):
        verify_shopify_hmac(body, None, [vector["secret"]])
    with pytest.raises(SignatureMismatch):
        verify_shopify_hmac(body, "é" + vector["expected"], [vector["secret"]])


def test_previous_secret_accepted_while_rotating(signature_vectors):
    vector = signature_vectors["shopify_secret"]
    body = vector["body"].encode()
    verify_shopify_hmac(body, vector["expected"], ["new", vector["secret"]])
    with pytest.raises(SignatureMismatch):
        verify_shopify_hmac(body, vector["expected"], ["new", ""])
