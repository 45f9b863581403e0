"""Webhook route: resolve the backend, check limits, let the connector verify and parse,
store, acknowledge. No business logic here."""

import contextlib
import json
import logging
import time
from collections import namedtuple

import psycopg2
import psycopg2.errors
from odoo import http
from odoo.http import request

from ..const import HEADERS_KEPT, RETRY_AFTER_SECONDS
from ..exceptions import BackendChanged, SignatureError, SourceNotAllowed
from ..lib.delivery import FORM_TYPES, Delivery
from ..lib.masking import mask_headers
from ..lib.prometheus import render as render_prometheus
from ..tools import cron_watchdog

_logger = logging.getLogger(__name__)
# Why a delivery is not taken: the HTTP status, the reason (audit line and answer), and when
# the vendor should try again (seconds, for a 503).
Refusal = namedtuple("Refusal", "status reason retry_after", defaults=(None,))


class IntegrationWebhookController(http.Controller):
    @http.route(
        "/integration/webhook/<string:webhook_uuid>",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def receive(self, webhook_uuid, **_params):
        started = time.monotonic()
        cron_watchdog.ensure_started()  # processing must outlive a database restart
        if not request.db:
            # Odoo serves the request without a database when it cannot open one (it is down,
            # or not selected): the route is server-wide for this answer. Nothing is stored
            # and the vendor retries later.
            _logger.warning("integration webhook: no database available, answered 503")
            return self._answer(503, "database unavailable", retry_after=RETRY_AFTER_SECONDS)
        try:
            return self._receive(webhook_uuid, started)
        except psycopg2.DatabaseError as exc:
            if isinstance(exc, psycopg2.errors.SerializationFailure):
                # A concurrent copy of this delivery committed first: Odoo retries the request,
                # which then finds the stored row and answers "duplicate".
                raise
            # The database is down, gone, or dropped the connection mid-request: nothing was
            # stored, the vendor retries later.
            _logger.warning(
                "integration webhook: database unavailable (%s), answered 503", type(exc).__name__
            )
            return self._answer(503, "database unavailable", retry_after=RETRY_AFTER_SECONDS)

    def _receive(self, webhook_uuid, started, remembered=True):
        env = request.env(user=1)  # superuser: the signature check is the only trust
        backends = env["integration.backend"]
        if remembered:  # no query: the INSERT checks that the row is still the one remembered
            backend, version = backends._for_webhook_remembered(webhook_uuid)
        else:
            backend, version = backends._for_webhook(webhook_uuid), None
        checked = self._check(backend)
        if not isinstance(checked, Refusal):
            with contextlib.suppress(BackendChanged):
                return self._store(env, backend, checked, version)
        elif not version:
            return self._refuse(env, backend, checked, started)
        # Checked against what this process remembered of the backend, which has changed
        # since (or may have: nothing is refused on remembered settings): read it again.
        env.cr.rollback()  # also empties the cache the remembered row was put in
        return self._receive(webhook_uuid, started, remembered=False)

    def _check(self, backend):
        """The delivery, or the Refusal of it: the backend takes deliveries, the body's size and
        type, the connector's signature check."""
        httpreq = request.httprequest
        if not backend:
            return Refusal(404, "unknown webhook key")
        if not backend._accepts_deliveries():
            return Refusal(503, f"backend is {backend.state}", RETRY_AFTER_SECONDS)
        length = httpreq.content_length
        if length is not None and length > backend.max_body_bytes:
            return Refusal(413, f"body of {length} bytes over the limit")
        body = self._read_body(httpreq, backend.max_body_bytes)
        if len(body) > backend.max_body_bytes:
            return Refusal(413, "body over the limit")
        if httpreq.mimetype not in backend._webhook_content_types():
            return Refusal(415, f"content type {httpreq.mimetype!r} not accepted")
        delivery = Delivery(
            headers=httpreq.headers,
            body=body,
            query=httpreq.args.to_dict(),
            remote_addr=httpreq.remote_addr or "",
            content_type=httpreq.mimetype,
            form=httpreq.form.to_dict() if httpreq.mimetype in FORM_TYPES else {},
        )
        try:
            backend._webhook_verify(delivery)
        except SourceNotAllowed as exc:
            return Refusal(403, f"sender refused: {exc}")
        except SignatureError as exc:
            return Refusal(401, f"signature refused: {exc}")
        except psycopg2.Error:
            raise
        except Exception as exc:  # noqa: BLE001 - a body the check cannot even read is not signed
            return Refusal(400, f"signature not checkable: {type(exc).__name__}")
        return delivery

    def _store(self, env, backend, delivery, version):
        """Store the checked delivery's events (or the delivery as unreadable), commit, answer."""
        events = env["integration.event"]
        headers = delivery.headers
        request_id = headers.get(backend.request_id_header) if backend.request_id_header else None
        correlation_id = events._new_correlation_id(request_id)
        kept_headers = mask_headers(dict(list(headers.items())[:HEADERS_KEPT]))
        try:
            envelopes = backend._webhook_parse(delivery)
            for envelope in envelopes:
                envelope.check_storable()
        except psycopg2.Error:
            raise
        except Exception as exc:  # noqa: BLE001 - signed, so kept whatever went wrong reading it
            return self._store_unreadable(env, backend, delivery, exc, kept_headers, correlation_id, version)
        new_count = 0
        for envelope in envelopes:  # the workers are woken by the first new row's commit
            _event_id, is_new = events._ingest(
                backend,
                envelope,
                envelope.payload,
                kept_headers,
                correlation_id,
                trigger=not new_count,
                backend_version=version,
            )
            new_count += is_new
        text, content_type = backend._webhook_response(new_count, len(envelopes) - new_count)
        env.cr.commit()  # stored before acknowledged
        return request.make_response(text, headers=[("Content-Type", content_type)], status=200)

    def _store_unreadable(self, env, backend, delivery, error, kept_headers, correlation_id, version):
        """Signed, but not what the connector can read (deep JSON, UTF-16 text, a date out of
        range, a missing id...): stored as a failed event with the reason, and acknowledged as
        the vendor expects, never a 4xx/5xx the vendor would retry for days (docs/connectors.md)."""
        env.cr.rollback()
        # the type only: an exception's text can quote the payload (customer data)
        _logger.info(
            "integration webhook: backend %s stored an unreadable delivery (%s)",
            backend.id,
            type(error).__name__,
        )
        _event_id, is_new = env["integration.event"]._ingest_unreadable(
            backend, delivery, error, kept_headers, correlation_id, backend_version=version
        )
        env.cr.commit()  # stored before acknowledged
        text, content_type = backend._webhook_response(int(is_new), int(not is_new))
        return request.make_response(text, headers=[("Content-Type", content_type)], status=200)

    @staticmethod
    def _read_body(httpreq, limit):
        """The body, never more than `limit` + 1 bytes of it: a chunked upload (no
        Content-Length) is not read whole before it is refused. Kept on the request, because
        Odoo may run the route again after a serialization failure."""
        if httpreq.content_length is not None:
            return httpreq.get_data()
        raw = httpreq._HTTPRequest__wrapped  # werkzeug's request: Odoo's wrapper hides its stream
        if getattr(raw, "_cached_data", None) is None:
            raw._cached_data = raw.stream.read(limit + 1)
        return raw._cached_data

    @http.route(
        "/integration/health", type="http", auth="none", methods=["GET"], readonly=True, save_session=False
    )
    def health(self):
        """For a supervisor or load balancer: 503 when events or messages are due and nothing
        has moved for a while (processing stalled, e.g. a cron thread that died when the
        database restarted); counts only, nothing about the data."""
        if not request.db:
            return self._answer(503, "database unavailable", retry_after=RETRY_AFTER_SECONDS)
        report = request.env(user=1)["integration.backend"]._health_report()
        status = 503 if report["stalled"] else 200
        return request.make_response(
            json.dumps(report), headers=[("Content-Type", "application/json")], status=status
        )

    @http.route(
        "/integration/metrics", type="http", auth="bearer", methods=["GET"], readonly=True, save_session=False
    )
    def metrics(self):
        """Prometheus text for monitors: `Authorization: Bearer <API key>` of an Integration User."""
        if not request.env.user.has_group("integration_core.group_integration_user"):
            return self._answer(403, "the API key's user is not an Integration User")
        text = render_prometheus(request.env["integration.backend"]._prometheus_metrics())
        return request.make_response(text, headers=[("Content-Type", "text/plain; version=0.0.4")])

    def _refuse(self, env, backend, refusal, started):
        env.cr.rollback()
        env["integration.audit"]._log(
            "refused",
            refusal.reason,
            backend_id=backend.id if backend else False,
            status_code=refusal.status,
            duration_ms=int((time.monotonic() - started) * 1000),
            remote_addr=request.httprequest.remote_addr,
        )
        env.cr.commit()
        return self._answer(refusal.status, refusal.reason, retry_after=refusal.retry_after)

    def _answer(self, status, reason, retry_after=None):
        headers = [("Content-Type", "application/json")]
        if retry_after:
            headers.append(("Retry-After", str(retry_after)))
        return request.make_response(json.dumps({"error": reason}), headers=headers, status=status)
