"""A signed delivery the connector cannot read: the text stored for it and the reason shown."""

import json

import pytest
from pydantic import BaseModel

from integration_core.lib.delivery import storable_text, unreadable_reason
from integration_core.lib.envelope import Envelope, EnvelopeError, envelope_from_paths


def test_utf8_is_stored_as_it_is():
    body = json.dumps({"id": "evt_1", "name": "Zoë"}, ensure_ascii=False).encode()
    assert storable_text(body) == body.decode()


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"])
def test_json_in_utf16_or_utf32_is_stored_as_its_text(encoding):
    text = json.dumps({"id": "evt_1", "name": "Zoë"}, ensure_ascii=False)
    assert storable_text(text.encode(encoding)) == text


def test_nul_and_bytes_that_are_not_text_become_visible_escapes():
    stored = storable_text(b'{"id": "a\x00b"} \xff\xfe\xc3')
    assert "\x00" not in stored
    assert stored == '{"id": "a\\x00b"} \\xff\\xfe\\xc3'
    stored.encode()  # a text column takes it


def test_empty_and_binary_bodies_are_storable():
    assert storable_text(b"") == ""
    stored = storable_text(bytes(range(256)))
    assert "\x00" not in stored
    stored.encode()


def test_reasons_in_words():
    assert unreadable_reason(RecursionError("maximum recursion depth exceeded")) == (
        "its JSON is nested too deeply to be read"
    )
    assert "out of any usable range" in unreadable_reason(OverflowError("date value out of range"))
    try:
        b"\xff".decode()
    except UnicodeDecodeError as exc:
        assert unreadable_reason(exc) == "it is not UTF-8 text"
    assert unreadable_reason(EnvelopeError("event id (id) missing\n  or not a plain value")) == (
        "event id (id) missing or not a plain value"
    )
    assert unreadable_reason(KeyError()) == "KeyError"
    assert len(unreadable_reason(ValueError("x" * 5000))) == 300


def test_a_pydantic_error_names_the_field_not_the_model():
    class Charge(BaseModel):
        amount: int

    with pytest.raises(ValueError) as info:
        Charge.model_validate({"amount": "many"})
    reason = unreadable_reason(info.value)
    assert reason.startswith("amount: ")
    assert "validation error" not in reason


def test_envelope_errors_name_the_field():
    with pytest.raises(EnvelopeError, match="^external_event_id: "):
        envelope_from_paths({"id": "x" * 300, "type": "t"}, "id", "type", "")


def test_nul_and_lone_surrogates_are_not_storable():
    with pytest.raises(EnvelopeError, match="NUL"):
        Envelope(external_event_id="a\x00", event_type="t").check_storable()
    with pytest.raises(EnvelopeError, match="surrogate"):
        Envelope(external_event_id="a", event_type="t", payload="\ud800").check_storable()
    Envelope(external_event_id="a", event_type="t", payload="Zoë").check_storable()
