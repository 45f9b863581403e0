"""Salesforce REST client (pure Python) on core's ApiClient.

- every call carries the cached access token; a 401 INVALID_SESSION_ID asks the token
  provider for a new token once, then the call is sent again;
- every response's `Sforce-Limit-Info` is reported (errors included), so the backend can
  show usage and stop at its share of the daily limit;
- 403 REQUEST_LIMIT_EXCEEDED becomes `RequestLimitExceeded` (a transient error with a long
  Retry-After), so the caller pauses instead of retrying in a storm;
- SOQL follows `nextRecordsUrl` until `done`; sObject Collections updates go 200 records a
  call and give one result per record."""

import csv
import io
import json
import time
from urllib.parse import quote

import requests

from ._core import ApiClient, TransientHttpError, VendorHttpError
from .limits import parse_limit_info
from .schemas import ApiError, QueryPage, SaveResult

DEFAULT_API_VERSION = "v62.0"
COLLECTION_LIMIT = 200  # records per sObject Collections call
LIMIT_PAUSE_SECONDS = 3600  # the daily quota is a rolling 24 h window: look again in an hour


class BulkJobFailed(Exception):
    """A Bulk API 2.0 query job ended Failed or Aborted."""


class RequestLimitExceeded(TransientHttpError):
    """The org's rolling 24 h API quota is spent: pause, do not retry at once."""


def api_errors(body) -> list[ApiError]:
    try:
        data = json.loads(body or "[]")
    except ValueError:
        return []
    if isinstance(data, dict):
        data = [data]
    return [ApiError.model_validate(item) for item in data if isinstance(item, dict)]


def _has_code(exc, code):
    return any(error.error_code == code for error in api_errors(exc.body))


class SalesforceClient:
    def __init__(
        self,
        instance_url,
        api_version,
        token_provider,
        *,
        on_usage=None,
        on_call=None,
        session=None,
        timeout=None,
        client_name=None,
    ):
        """`token_provider(force_refresh: bool) -> str` returns the access token (cached by the
        caller); `on_usage(ApiUsage)` receives every response's `Sforce-Limit-Info`."""
        self.api_version = api_version or DEFAULT_API_VERSION
        self.token_provider = token_provider
        self.on_usage = on_usage
        self.last_response = None
        # Salesforce records it in a change's changeOrigin: how CDC knows Odoo's own echo.
        self.call_options = {"Sforce-Call-Options": f"client={client_name}"} if client_name else {}
        session = session or requests.Session()  # may be shared: hooks go on each request
        kwargs = {"timeout": timeout} if timeout else {}
        self.api = ApiClient(
            instance_url, on_call=on_call, session=session, idempotency_header=None, **kwargs
        )

    def _read_limit_info(self, response, *args, **kwargs):
        usage = parse_limit_info(response.headers.get("Sforce-Limit-Info"))
        if usage and self.on_usage:
            self.on_usage(usage)

    @property
    def data_path(self):
        return f"/services/data/{self.api_version}"

    def request(self, method, path, **kwargs):
        """One REST call; `path` relative to /services/data/vNN.0 unless it starts with /services."""
        if not path.startswith("/services"):
            path = f"{self.data_path}/{path.lstrip('/')}"
        refreshed = False
        while True:
            token = self.token_provider(refreshed)
            headers = {**self.call_options, **kwargs.pop("headers", {}), "Authorization": f"Bearer {token}"}
            try:
                self.last_response = self.api.request(
                    method, path, headers=headers, hooks={"response": [self._read_limit_info]}, **kwargs
                )
                return self.last_response
            except VendorHttpError as exc:
                if exc.status == 401 and not refreshed and _has_code(exc, "INVALID_SESSION_ID"):
                    refreshed = True  # the cached token expired or was revoked: one new token
                    kwargs["headers"] = {k: v for k, v in headers.items() if k != "Authorization"}
                    continue
                if exc.status == 403 and _has_code(exc, "REQUEST_LIMIT_EXCEEDED"):
                    raise RequestLimitExceeded(
                        "Salesforce's daily API request limit is used up (REQUEST_LIMIT_EXCEEDED)",
                        status=403,
                        body=exc.body,
                        retry_after=LIMIT_PAUSE_SECONDS,
                    ) from None
                raise

    def query_pages(self, soql, include_deleted=False):
        """The pages of a SOQL query, following nextRecordsUrl until done. `include_deleted`
        uses queryAll: deleted and merged records too (IsDeleted, MasterRecordId)."""
        resource = "queryAll" if include_deleted else "query"
        page = QueryPage.model_validate(self.request("GET", f"{resource}?q={quote(soql)}").json())
        yield page
        while not page.done and page.next_records_url:
            page = QueryPage.model_validate(self.request("GET", page.next_records_url).json())
            yield page

    def query_all(self, soql, include_deleted=False):
        """Every record of a SOQL query (an iterator: pages are read as they are needed)."""
        for page in self.query_pages(soql, include_deleted):
            yield from page.records

    def count(self, sobject):
        """How many records of `sobject` there are (SOQL COUNT())."""
        return self.request("GET", f"query?q={quote(f'SELECT COUNT() FROM {sobject}')}").json()["totalSize"]

    def bulk_query(self, soql, poll_seconds=2.0, max_wait=3600, sleep=time.sleep):
        """Every record of a SOQL query through Bulk API 2.0 (for large initial imports): a
        query job, polled until JobComplete, its CSV results read page by page
        (`Sforce-Locator`). Empty CSV values are None."""
        job = self.request(
            "POST", "jobs/query", json={"operation": "query", "query": soql, "contentType": "CSV"}
        ).json()
        waited = 0.0
        while True:
            status = self.request("GET", f"jobs/query/{job['id']}").json()
            if status["state"] == "JobComplete":
                break
            if status["state"] in ("Failed", "Aborted") or waited >= max_wait:
                raise BulkJobFailed(
                    f"bulk query {job['id']} {status['state']}: {status.get('errorMessage') or ''}"
                )
            sleep(poll_seconds)
            waited += poll_seconds
        locator = None
        while True:
            params = {"maxRecords": 50000, **({"locator": locator} if locator else {})}
            response = self.request(
                "GET", f"jobs/query/{job['id']}/results", params=params, headers={"Accept": "text/csv"}
            )
            for row in csv.DictReader(io.StringIO(response.text)):
                yield {key: (value if value != "" else None) for key, value in row.items()}
            locator = response.headers.get("Sforce-Locator")
            if not locator or locator == "null":
                return

    def get_record(self, sobject, record_id, fields=None):
        params = {"fields": ",".join(fields)} if fields else None
        return self.request("GET", f"sobjects/{sobject}/{record_id}", params=params).json()

    def update_records(self, sobject, records, all_or_none=False):
        """Update records with sObject Collections (`PATCH /composite/sobjects`), 200 a call.

        `records` are dicts with `Id` and the fields to write; the result is one `SaveResult`
        per record, in order: one bad record fails alone."""
        results = []
        for start in range(0, len(records), COLLECTION_LIMIT):
            chunk = [
                {"attributes": {"type": sobject}, **record}
                for record in records[start : start + COLLECTION_LIMIT]
            ]
            response = self.request(
                "PATCH", "composite/sobjects", json={"allOrNone": all_or_none, "records": chunk}
            )
            results.extend(SaveResult.model_validate(item) for item in response.json())
        return results

    def limits(self):
        return self.request("GET", "limits").json()
