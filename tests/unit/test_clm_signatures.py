import time

import pytest

from integration_clm.lib.signatures import (
    ClmSignatureError,
    docusign_signatures,
    verify_docusign,
    verify_dropbox_sign,
    verify_pandadoc,
)
from integration_core.lib.signatures import SignatureMismatch, hmac_sha256, verify_hmac

BODY = b'{"event":"envelope-completed"}'


def _docusign(headers, keys):
    verify_docusign(BODY, headers, keys, verify_hmac, SignatureMismatch)


def test_docusign_headers_in_number_order():
    headers = {"X-DocuSign-Signature-2": "b", "x-docusign-signature-1": "a", "X-Other": "c"}
    assert docusign_signatures(headers) == ["a", "b"]


def test_docusign_good_signature():
    _docusign({"X-DocuSign-Signature-1": hmac_sha256("key-1", BODY, "base64")}, ["key-1"])


def test_docusign_bad_signature():
    with pytest.raises(ClmSignatureError, match="no X-DocuSign-Signature-N matches"):
        _docusign({"X-DocuSign-Signature-1": hmac_sha256("other", BODY, "base64")}, ["key-1"])


def test_docusign_rotated_key_second_header_matches():
    headers = {
        "X-DocuSign-Signature-1": hmac_sha256("new-key", BODY, "base64"),
        "X-DocuSign-Signature-2": hmac_sha256("old-key", BODY, "base64"),
    }
    _docusign(headers, ["old-key"])  # Odoo still holds the old key only
    _docusign(headers, ["new-key", "old-key"])


def test_docusign_missing_header():
    with pytest.raises(ClmSignatureError, match="missing"):
        _docusign({}, ["key-1"])


def test_docusign_body_changed_after_signing():
    headers = {"X-DocuSign-Signature-1": hmac_sha256("key-1", BODY, "base64")}
    with pytest.raises(ClmSignatureError):
        verify_docusign(BODY + b" ", headers, ["key-1"], verify_hmac, SignatureMismatch)


def _dropbox(event_time, event_hash, keys, now=None, tolerance=None, event_type="signature_request_sent"):
    verify_dropbox_sign(
        event_time,
        event_type,
        event_hash,
        keys,
        verify_hmac,
        SignatureMismatch,
        now or time.time(),
        tolerance,
    )


def test_dropbox_sign_event_hash_is_hmac_of_time_and_type():
    event_hash = hmac_sha256("api-key", b"1348177752signature_request_sent", "hex")
    _dropbox("1348177752", event_hash, ["api-key"], now=1348177752, tolerance=300)


def test_dropbox_sign_bad_hash():
    with pytest.raises(ClmSignatureError, match="does not match"):
        _dropbox("1348177752", "00" * 32, ["api-key"], now=1348177752)


def test_dropbox_sign_hash_of_another_type_is_refused():
    event_hash = hmac_sha256("api-key", b"1348177752signature_request_viewed", "hex")
    with pytest.raises(ClmSignatureError):
        _dropbox("1348177752", event_hash, ["api-key"], now=1348177752)


def test_dropbox_sign_rotated_key():
    event_hash = hmac_sha256("previous-key", b"1348177752signature_request_sent", "hex")
    _dropbox("1348177752", event_hash, ["current-key", "previous-key"], now=1348177752)


def test_dropbox_sign_stale_event_time():
    event_hash = hmac_sha256("api-key", b"1348177752signature_request_sent", "hex")
    with pytest.raises(ClmSignatureError, match="tolerance"):
        _dropbox("1348177752", event_hash, ["api-key"], now=1348177752 + 3601, tolerance=3600)


def test_dropbox_sign_fixture_hash_is_hex_sha256(fixtures_dir):
    # The documentation example's key is not published: its hash must at least be refused
    # for a key that did not make it, and have the scheme's shape.
    import json

    event = json.loads(
        (fixtures_dir / "dropbox_sign/EventCallbackAccountSignatureRequestSent.json").read_text()
    )
    event = event["event"]
    assert len(event["event_hash"]) == 64
    with pytest.raises(ClmSignatureError):
        _dropbox(event["event_time"], event["event_hash"], ["not-the-key"], now=int(event["event_time"]))


def test_pandadoc_good_bad_rotated_missing():
    good = hmac_sha256("shared", BODY, "hex")
    verify_pandadoc(BODY, {"signature": good}, ["shared"], verify_hmac, SignatureMismatch)
    verify_pandadoc(BODY, {"signature": good}, ["newer", "shared"], verify_hmac, SignatureMismatch)
    with pytest.raises(ClmSignatureError, match="does not match"):
        verify_pandadoc(BODY, {"signature": good}, ["newer"], verify_hmac, SignatureMismatch)
    with pytest.raises(ClmSignatureError, match="missing"):
        verify_pandadoc(BODY, {}, ["shared"], verify_hmac, SignatureMismatch)
