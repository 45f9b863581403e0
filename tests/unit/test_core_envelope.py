import json
from datetime import datetime

import pytest

from integration_core.lib.envelope import EnvelopeError, envelope_from_paths, get_path, load_json, to_datetime


def test_stripe_event_fixture(fixtures_dir):
    payload = load_json((fixtures_dir / "stripe" / "event_customer_updated.json").read_bytes())
    envelope = envelope_from_paths(payload, "id", "type", "data.object.id", "created")
    assert envelope.external_event_id == payload["id"]
    assert envelope.event_type == "customer.updated"
    assert envelope.entity_key == payload["data"]["object"]["id"]
    assert envelope.occurred_at == datetime.utcfromtimestamp(payload["created"])


def test_shopify_order_fixture_with_iso_time(fixtures_dir):
    payload = json.loads((fixtures_dir / "shopify" / "python" / "order.json").read_text())["order"]
    envelope = envelope_from_paths(payload, "id", "financial_status", "id", "updated_at")
    assert envelope.external_event_id == str(payload["id"])
    assert envelope.occurred_at.tzinfo is None, "stored as naive UTC"


def test_paths_reach_into_lists():
    assert get_path({"lines": [{"sku": "A"}]}, "lines.0.sku") == "A"
    assert get_path({"lines": []}, "lines.3.sku") is None
    assert get_path({"a": 1}, "a.b") is None


@pytest.mark.parametrize(
    "body",
    [
        b"{nope",
        b"\xff\xfe\x00",
        b"[]",
        b'"text"',
        b'{"type": "x"}',
        b'{"id": {"nested": 1}, "type": "x"}',
        b'{"id": "", "type": "x"}',
        b'{"id": "1", "type": "x", "created": "yesterday"}',
    ],
)
def test_unreadable_envelopes_raise_envelope_error(body):
    with pytest.raises(EnvelopeError):
        envelope_from_paths(load_json(body), "id", "type", "data.id", "created")


def test_times_are_utc():
    assert to_datetime("2024-01-01T10:00:00+02:00") == datetime(2024, 1, 1, 8, 0)
    assert to_datetime("2024-01-01T08:00:00Z") == datetime(2024, 1, 1, 8, 0)
    assert to_datetime(0) == datetime(1970, 1, 1)
    assert to_datetime(None) is None
