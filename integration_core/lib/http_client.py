"""The HTTP client every connector's `lib/client.py` builds on (pure Python, `requests`).

- connect and read timeouts are always set;
- every request carries the correlation id, and POSTs an idempotency key when given;
- each call is reported (method, URL without query, status, milliseconds, masked error
  body) to a callback, which the Odoo layer writes to the audit log;
- failures come back as two classes the engine understands: `TransientHttpError`
  (timeouts, connection errors, 429 and 5xx: try again, honouring Retry-After) and
  `VendorHttpError` (other 4xx: the request itself is wrong)."""

import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit, urlunsplit

import requests

from .masking import mask_text

DEFAULT_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds
ERROR_BODY_LIMIT = 2000


class HttpError(Exception):
    def __init__(self, message, status=None, body="", retry_after=None):
        super().__init__(message)
        self.status = status
        self.body = body  # masked and truncated: safe to show in Exceptions
        self.retry_after = retry_after


class TransientHttpError(HttpError):
    """The vendor is unreachable, overloaded or rate limiting: the same request may work later."""


class VendorHttpError(HttpError):
    """The vendor refused the request (4xx other than 429): retrying it unchanged won't help."""


@dataclass
class CallRecord:
    method: str
    url: str
    status: int | None
    duration_ms: int
    correlation_id: str | None
    error: str = ""


def retry_after_seconds(value, now=None):
    """Seconds from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


def _url_for_log(url):
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))  # queries may hold keys


class ApiClient:
    def __init__(self, base_url, headers=None, timeout=DEFAULT_TIMEOUT, on_call=None, session=None,
                 idempotency_header="Idempotency-Key", correlation_header="X-Correlation-Id"):  # fmt: skip
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})
        self.timeout = timeout
        self.on_call = on_call
        self.session = session or requests.Session()
        self.idempotency_header = idempotency_header
        self.correlation_header = correlation_header

    def request(self, method, path, *, correlation_id=None, idempotency_key=None, **kwargs):
        """Send one request; return the `requests.Response` of a 2xx/3xx answer."""
        url = path if path.startswith("http") else f"{self.base_url}/{path.lstrip('/')}"
        headers = {**self.headers, **kwargs.pop("headers", {})}
        if correlation_id and self.correlation_header:
            headers[self.correlation_header] = correlation_id
        if idempotency_key and self.idempotency_header:
            headers[self.idempotency_header] = idempotency_key
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout  # never without a timeout
        started = time.monotonic()
        try:
            response = self.session.request(method, url, headers=headers, **kwargs)
        except (requests.Timeout, requests.ConnectionError) as exc:
            self._report(method, url, None, started, correlation_id, type(exc).__name__)
            raise TransientHttpError(f"{method} {_url_for_log(url)}: {type(exc).__name__}") from exc
        body = mask_text(response.text[:ERROR_BODY_LIMIT]) if response.status_code >= 400 else ""
        self._report(method, url, response.status_code, started, correlation_id, body)
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientHttpError(
                f"{method} {_url_for_log(url)} answered {response.status_code}",
                status=response.status_code,
                body=body,
                retry_after=retry_after_seconds(response.headers.get("Retry-After")),
            )
        if response.status_code >= 400:
            raise VendorHttpError(
                f"{method} {_url_for_log(url)} answered {response.status_code}",
                status=response.status_code,
                body=body,
            )
        return response

    def _report(self, method, url, status, started, correlation_id, error):
        if self.on_call:
            duration = int((time.monotonic() - started) * 1000)
            self.on_call(CallRecord(method, _url_for_log(url), status, duration, correlation_id, error))
