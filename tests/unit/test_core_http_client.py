import pytest
import requests
import responses
from freezegun import freeze_time

from integration_core.lib.http_client import (
    ApiClient,
    TransientHttpError,
    VendorHttpError,
    retry_after_seconds,
)

BASE = "https://api.vendor.example/v1"


@pytest.fixture
def calls():
    return []


@pytest.fixture
def client(calls):
    return ApiClient(BASE, headers={"Authorization": "Bearer sk_test_123456789"}, on_call=calls.append)


@responses.activate
def test_headers_timeouts_and_call_record(client, calls):
    responses.post(f"{BASE}/payment_links", json={"id": "plink_1"})
    response = client.request(
        "POST",
        "payment_links?expand=x",
        correlation_id="corr-1",
        idempotency_key="idem-1",
        json={"amount": 1},
    )
    assert response.json() == {"id": "plink_1"}
    sent = responses.calls[0].request
    assert sent.headers["X-Correlation-Id"] == "corr-1"
    assert sent.headers["Idempotency-Key"] == "idem-1"
    assert sent.req_kwargs["timeout"] == (5.0, 30.0), "a timeout is always set"
    [record] = calls
    assert (record.method, record.url, record.status) == ("POST", f"{BASE}/payment_links", 200)
    assert "expand" not in record.url, "query strings (which may hold keys) are not reported"


@responses.activate
def test_429_is_transient_with_retry_after(client):
    responses.get(f"{BASE}/orders", status=429, headers={"Retry-After": "7"}, json={"error": "slow down"})
    with pytest.raises(TransientHttpError) as caught:
        client.request("GET", "orders")
    assert (caught.value.status, caught.value.retry_after) == (429, 7.0)


@responses.activate
def test_5xx_and_timeouts_are_transient(client, calls):
    responses.get(f"{BASE}/a", status=503)
    responses.get(f"{BASE}/b", body=requests.ConnectTimeout("connect timed out"))
    for path in ("a", "b"):
        with pytest.raises(TransientHttpError):
            client.request("GET", path)
    assert [c.status for c in calls] == [503, None]
    assert calls[1].error == "ConnectTimeout"


@responses.activate
def test_4xx_is_a_vendor_refusal_with_a_masked_body(client):
    message = "No such charge for jane@example.com, key sk_live_abcdefgh"
    responses.post(f"{BASE}/refunds", status=400, json={"error": {"message": message}})
    with pytest.raises(VendorHttpError) as caught:
        client.request("POST", "refunds")
    assert caught.value.status == 400
    assert "No such charge" in caught.value.body
    assert "jane@example.com" not in caught.value.body and "abcdefgh" not in caught.value.body


@freeze_time("2026-11-27 10:00:00")
def test_retry_after_as_http_date():
    assert retry_after_seconds("Fri, 27 Nov 2026 10:00:30 GMT") == 30.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None
