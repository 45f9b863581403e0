import json
from urllib.parse import parse_qs

import jwt
import pytest
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from integration_core.lib.http_client import ApiClient, TransientHttpError, VendorHttpError
from integration_salesforce.lib import auth, client, limits

INSTANCE = "https://acme.my.salesforce.com"
DATA = f"{INSTANCE}/services/data/v62.0"
LIMIT_INFO = {"Sforce-Limit-Info": "api-usage=18/15000"}


@pytest.fixture(scope="module")
def key_pair():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


class Tokens:
    """A token provider as the Odoo layer gives one: cached, renewed when asked."""

    def __init__(self):
        self.calls = []
        self.current = "token-1"

    def __call__(self, force_refresh):
        self.calls.append(force_refresh)
        if force_refresh:
            self.current = f"token-{len(self.calls)}"
        return self.current


def make_client(tokens=None, usage=None):
    return client.SalesforceClient(
        INSTANCE, "v62.0", tokens or Tokens(), on_usage=usage.append if usage is not None else None
    )


def test_jwt_assertion_claims(key_pair):
    private_pem, public_pem = key_pair
    assertion = auth.jwt_assertion(
        "3MVG9key", "integration@acme.com", "https://login.salesforce.com/", private_pem, now=1_700_000_000
    )
    claims = jwt.decode(
        assertion,
        public_pem,
        algorithms=["RS256"],
        audience="https://login.salesforce.com",
        options={"verify_exp": False},
    )
    assert claims["iss"] == "3MVG9key"
    assert claims["sub"] == "integration@acme.com"
    assert claims["exp"] - 1_700_000_000 == 180


def test_jwt_with_a_bad_key_says_so():
    with pytest.raises(auth.AuthError, match="private key"):
        auth.jwt_assertion("k", "u", "https://login.salesforce.com", "not a pem")


@responses.activate
def test_token_by_jwt(key_pair):
    responses.post(
        "https://test.salesforce.com/services/oauth2/token",
        json={"access_token": "00Dxx!tok", "instance_url": INSTANCE, "token_type": "Bearer"},
    )
    token = auth.token_by_jwt(
        ApiClient("https://test.salesforce.com"),
        "key",
        "user@acme.com",
        key_pair[0],
        "https://test.salesforce.com",
    )
    assert (token.access_token, token.instance_url) == ("00Dxx!tok", INSTANCE)
    form = parse_qs(responses.calls[0].request.body)
    assert form["grant_type"] == [auth.JWT_GRANT]
    assert jwt.decode(
        form["assertion"][0], key_pair[1], algorithms=["RS256"], audience="https://test.salesforce.com"
    )


@responses.activate
def test_token_refusal_is_an_auth_error_with_salesforce_words(key_pair):
    responses.post(
        "https://login.salesforce.com/services/oauth2/token",
        status=400,
        json={"error": "invalid_grant", "error_description": "user hasn't approved this consumer"},
    )
    with pytest.raises(auth.AuthError, match="invalid_grant: user hasn't approved"):
        auth.token_by_jwt(
            ApiClient("https://login.salesforce.com"), "k", "u", key_pair[0], "https://login.salesforce.com"
        )


@responses.activate
def test_client_credentials_on_my_domain():
    responses.post(
        f"{INSTANCE}/services/oauth2/token", json={"access_token": "cc-token", "instance_url": INSTANCE}
    )
    token = auth.token_by_client_credentials(ApiClient(INSTANCE), "key", "secret")
    assert token.access_token == "cc-token"
    assert parse_qs(responses.calls[0].request.body) == {
        "grant_type": ["client_credentials"],
        "client_id": ["key"],
        "client_secret": ["secret"],
    }


@responses.activate
def test_expired_session_refreshes_once_and_retries():
    expired = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    responses.get(f"{DATA}/limits", status=401, json=expired)
    responses.get(f"{DATA}/limits", json={"DailyApiRequests": {"Max": 15000, "Remaining": 14000}})
    tokens = Tokens()
    body = make_client(tokens).limits()
    assert body["DailyApiRequests"]["Remaining"] == 14000
    assert tokens.calls == [False, True]
    assert responses.calls[0].request.headers["Authorization"] == "Bearer token-1"
    assert responses.calls[1].request.headers["Authorization"] == "Bearer token-2"


@responses.activate
def test_refresh_happens_only_once():
    expired = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    responses.get(f"{DATA}/limits", status=401, json=expired)
    responses.get(f"{DATA}/limits", status=401, json=expired)
    tokens = Tokens()
    with pytest.raises(VendorHttpError) as info:
        make_client(tokens).limits()
    assert info.value.status == 401
    assert tokens.calls == [False, True]
    assert len(responses.calls) == 2


@responses.activate
def test_other_401_is_not_refreshed():
    responses.get(f"{DATA}/limits", status=401, json=[{"message": "no", "errorCode": "INSUFFICIENT_ACCESS"}])
    tokens = Tokens()
    with pytest.raises(VendorHttpError):
        make_client(tokens).limits()
    assert tokens.calls == [False]


@responses.activate
def test_request_limit_exceeded_is_a_pause_not_a_retry_storm():
    responses.get(
        f"{DATA}/limits",
        status=403,
        json=[{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
        headers={"Sforce-Limit-Info": "api-usage=15001/15000"},
    )
    usage = []
    with pytest.raises(client.RequestLimitExceeded) as info:
        make_client(usage=usage).limits()
    assert isinstance(info.value, TransientHttpError)
    assert info.value.retry_after == client.LIMIT_PAUSE_SECONDS
    assert usage == [limits.ApiUsage(15001, 15000)]  # read on the error response too
    assert len(responses.calls) == 1


@responses.activate
def test_other_403_is_a_refusal():
    responses.get(f"{DATA}/limits", status=403, json=[{"message": "x", "errorCode": "INSUFFICIENT_ACCESS"}])
    with pytest.raises(VendorHttpError) as info:
        make_client().limits()
    assert not isinstance(info.value, client.RequestLimitExceeded)


@pytest.mark.parametrize("status", [429, 503])
@responses.activate
def test_overload_honours_retry_after(status):
    responses.get(f"{DATA}/limits", status=status, headers={"Retry-After": "120"}, body="busy")
    with pytest.raises(TransientHttpError) as info:
        make_client().limits()
    assert info.value.retry_after == 120


@responses.activate
def test_soql_follows_next_records_url(fixtures_dir):
    result = json.loads((fixtures_dir / "salesforce" / "query_invoices_with_account.json").read_text())
    first = {
        **result,
        "done": False,
        "records": result["records"][:2],
        "nextRecordsUrl": "/services/data/v62.0/query/01gD0000002HU6KIAW-2000",
    }
    second = {
        **result,
        "done": False,
        "records": result["records"][2:3],
        "nextRecordsUrl": "/services/data/v62.0/query/01gD0000002HU6KIAW-4000",
    }
    last = {**result, "done": True, "records": result["records"][3:]}
    responses.get(f"{DATA}/query", json=first, headers=LIMIT_INFO)
    responses.get(f"{DATA}/query/01gD0000002HU6KIAW-2000", json=second, headers=LIMIT_INFO)
    responses.get(f"{DATA}/query/01gD0000002HU6KIAW-4000", json=last, headers=LIMIT_INFO)
    usage = []
    records = list(make_client(usage=usage).query_all("SELECT Id, Name FROM Invoice__c"))
    assert [r["Name"] for r in records] == ["INV-0001", "INV-0005", "INV-0002", "INV-0008"]
    assert (
        "q=SELECT+Id" in responses.calls[0].request.url or "q=SELECT%20Id" in responses.calls[0].request.url
    )
    assert len(usage) == 3


@responses.activate
def test_collections_update_200_per_call_with_per_record_results():
    def answer(request):
        records = json.loads(request.body)["records"]
        assert json.loads(request.body)["allOrNone"] is False
        results = []
        for record in records:
            assert record["attributes"] == {"type": "Opportunity"}
            if record["Id"] == "006000000000013":
                error = {
                    "statusCode": "ENTITY_IS_LOCKED",
                    "errorCode": "ENTITY_IS_LOCKED",
                    "message": "locked",
                }
                results.append({"id": None, "success": False, "errors": [error]})
            else:
                results.append({"id": record["Id"], "success": True, "errors": []})
        return 200, {}, json.dumps(results)

    responses.add_callback(responses.PATCH, f"{DATA}/composite/sobjects", callback=answer)
    records = [{"Id": f"006{i:012d}", "Odoo_Status__c": "sale"} for i in range(450)]
    results = make_client().update_records("Opportunity", records)
    assert [len(json.loads(c.request.body)["records"]) for c in responses.calls] == [200, 200, 50]
    assert len(results) == 450
    failed = [r for r in results if not r.success]
    assert len(failed) == 1 and failed[0].error_text == "ENTITY_IS_LOCKED: locked"


def test_limit_info_parsing():
    assert limits.parse_limit_info("api-usage=18/15000") == limits.ApiUsage(18, 15000)
    assert limits.parse_limit_info(
        "per-app-api-usage=2/250(appName=x), api-usage=25/5000"
    ) == limits.ApiUsage(25, 5000)
    assert limits.parse_limit_info(None) is None
    assert limits.parse_limit_info("garbage") is None
    usage = limits.ApiUsage(7500, 15000)
    assert usage.percent == 50
    assert usage.over_share(50) and not usage.over_share(51)
    assert limits.usage_from_limits(
        {"DailyApiRequests": {"Max": 15000, "Remaining": 14982}}
    ) == limits.ApiUsage(18, 15000)


@responses.activate
def test_bulk_query_polls_the_job_then_reads_the_csv_pages():
    responses.post(f"{DATA}/jobs/query", json={"id": "750R0000000zlh9IAA", "state": "UploadComplete"})
    responses.get(
        f"{DATA}/jobs/query/750R0000000zlh9IAA", json={"id": "750R0000000zlh9IAA", "state": "InProgress"}
    )
    responses.get(
        f"{DATA}/jobs/query/750R0000000zlh9IAA", json={"id": "750R0000000zlh9IAA", "state": "JobComplete"}
    )
    results = f"{DATA}/jobs/query/750R0000000zlh9IAA/results"
    responses.get(
        results,
        body='"Id","Name","Phone"\n"001A","United Oil & Gas Corp.",""\n',
        headers={"Sforce-Locator": "MTAwMDA"},
        match=[responses.matchers.query_param_matcher({"maxRecords": "50000"})],
    )
    responses.get(
        results,
        body='"Id","Name","Phone"\n"001B","Edge Communications","(512) 757-6000"\n',
        headers={"Sforce-Locator": "null"},
        match=[responses.matchers.query_param_matcher({"maxRecords": "50000", "locator": "MTAwMDA"})],
    )
    waits = []
    records = list(make_client().bulk_query("SELECT Id, Name, Phone FROM Account", sleep=waits.append))
    assert records == [
        {"Id": "001A", "Name": "United Oil & Gas Corp.", "Phone": None},
        {"Id": "001B", "Name": "Edge Communications", "Phone": "(512) 757-6000"},
    ]
    assert waits == [2.0]  # polled once more after InProgress
    assert json.loads(responses.calls[0].request.body) == {
        "operation": "query",
        "query": "SELECT Id, Name, Phone FROM Account",
        "contentType": "CSV",
    }


@responses.activate
def test_failed_bulk_job_says_why():
    responses.post(f"{DATA}/jobs/query", json={"id": "750X"})
    responses.get(f"{DATA}/jobs/query/750X", json={"state": "Failed", "errorMessage": "INVALID_FIELD: Foo"})
    with pytest.raises(client.BulkJobFailed, match="INVALID_FIELD: Foo"):
        list(make_client().bulk_query("SELECT Foo FROM Account", sleep=lambda s: None))


@responses.activate
def test_calls_carry_the_client_name_that_change_data_capture_reads_back():
    responses.get(f"{DATA}/limits", json={})
    client.SalesforceClient(INSTANCE, "v62.0", Tokens(), client_name="OdooIntegration").limits()
    make_client().limits()
    assert responses.calls[0].request.headers["Sforce-Call-Options"] == "client=OdooIntegration"
    assert "Sforce-Call-Options" not in responses.calls[1].request.headers
