"""One connection to a SaaS system, and the connector contract each kind implements."""

import json
import threading
import time
import uuid
from datetime import UTC, datetime

import requests
from odoo import api, fields, models
from odoo.tools import SQL, mute_logger

from ..const import BACKEND_STATES, DEFAULTS, REFUSING_STATES, SETTINGS_PREFIX
from ..exceptions import PayloadError, PermanentError, SignatureError
from ..lib.circuit import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from ..lib.envelope import EnvelopeError, envelope_from_paths, get_path, load_json
from ..lib.http_client import ApiClient
from ..lib.rate_limit import TokenBucket
from ..lib.signatures import ENCODINGS, SignatureMismatch, hmac_sha256, verify_hmac

# Rate limiters live in the worker process (they pace this process's calls).
_RATE_LIMITERS = {}
# One HTTP session per backend and thread: calls reuse the vendor connection (keep-alive),
# which saves a TCP and TLS handshake per message.
_HTTP_SESSIONS = {}
MAX_HTTP_SESSIONS = 256


class IntegrationBackend(models.Model):
    _name = "integration.backend"
    _description = "Integration Backend"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "sequence, name, id"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    kind = fields.Selection(
        [("generic_hmac", "Signed webhook (HMAC-SHA256)")],
        required=True,
        default="generic_hmac",
        tracking=True,
        help="Which SaaS system this backend talks to. Each installed connector adds its kind.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    state = fields.Selection(
        BACKEND_STATES,
        default="draft",
        required=True,
        tracking=True,
        help="Draft and Paused backends refuse deliveries with 503 so the vendor retries later; "
        "nothing is lost.",
    )
    environment = fields.Selection(
        [("sandbox", "Sandbox"), ("production", "Production")], default="sandbox", required=True
    )
    webhook_uuid = fields.Char(
        string="Webhook Key",
        required=True,
        copy=False,
        readonly=True,
        default=lambda self: str(uuid.uuid4()),
        help="Random part of the webhook URL: it identifies the backend, it is not a secret.",
    )
    webhook_url = fields.Char(compute="_compute_webhook_url", string="Webhook URL")
    webhook_secret = fields.Char(
        groups="base.group_system", copy=False, help="Key the vendor signs deliveries with."
    )
    webhook_secret_previous = fields.Char(
        string="Previous Webhook Secret",
        groups="base.group_system",
        copy=False,
        help="Still accepted while the vendor rolls over to the new secret; clear it afterwards.",
    )
    max_body_bytes = fields.Integer(string="Max Delivery Size (bytes)", default=DEFAULTS["max_body_bytes"])
    # Settings of the generic "Signed webhook" kind; connectors ignore them.
    signature_header = fields.Char(default="X-Signature")
    signature_encoding = fields.Selection([(e, e) for e in ENCODINGS], default="hex", required=True)
    timestamp_header = fields.Char(
        help="When set, the signed text is '<timestamp>.<body>' and old deliveries are refused."
    )
    timestamp_tolerance = fields.Integer(string="Timestamp Tolerance (s)", default=300)
    request_id_header = fields.Char(
        default="X-Request-Id", help="Vendor header whose value becomes the correlation id."
    )
    event_id_path = fields.Char(string="Event ID Path", default="id", required=True)
    event_type_path = fields.Char(default="type", required=True)
    entity_key_path = fields.Char(
        default="data.id", help="Deliveries about the same entity are processed in order."
    )
    occurred_at_path = fields.Char(default="created")
    data_path = fields.Char(default="data", help="Where the contact lies in the payload.")

    # Outbound: where the generic kind pushes, how fast, and when to stop trying.
    outbound_url = fields.Char(
        string="Push URL", help="Generic kind: Odoo-owned contact changes are POSTed here, signed."
    )
    rate_limit = fields.Float(string="Calls per Second", default=10.0)
    rate_burst = fields.Integer(string="Burst", default=10)
    circuit_threshold = fields.Integer(
        string="Failures Before Pausing", default=5, help="Consecutive transport or 5xx failures."
    )
    circuit_cooldown = fields.Integer(string="Pause (s)", default=60, help="Then one probe call is sent.")
    circuit_state = fields.Selection(
        [(CLOSED, "Sending"), (OPEN, "Paused: not answering"), (HALF_OPEN, "Probing")],
        default=CLOSED,
        required=True,
        readonly=True,
        copy=False,
    )
    circuit_failures = fields.Integer(readonly=True, copy=False)
    circuit_opened_at = fields.Datetime(readonly=True, copy=False)
    ownership_ids = fields.One2many("integration.ownership", "backend_id", string="System of Record")
    event_ids = fields.One2many("integration.event", "backend_id")
    event_count = fields.Integer(compute="_compute_event_counts")
    exception_count = fields.Integer(compute="_compute_event_counts")
    business_exception_ids = fields.One2many("integration.business.exception", "backend_id")
    business_alert_count = fields.Integer(
        compute="_compute_business_alert_count", string="Business Exceptions Over Threshold"
    )

    _webhook_uuid_unique = models.UniqueIndex("(webhook_uuid)")

    @api.model_create_multi
    def create(self, vals_list):
        backends = super().create(vals_list)
        ownership = self.env["integration.ownership"].sudo()
        for backend in backends.filtered(lambda b: not b.ownership_ids):
            ownership.create(ownership._default_lines(backend))
        return backends

    @api.depends("webhook_uuid")
    def _compute_webhook_url(self):
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for backend in self:
            backend.webhook_url = f"{base_url}/integration/webhook/{backend.webhook_uuid}"

    def _compute_event_counts(self):
        counts = {
            (backend.id, exception): count
            for backend, exception, count in self.env["integration.event"]._read_group(
                [("backend_id", "in", self.ids)], ["backend_id", "is_exception"], ["__count"]
            )
        }
        for backend in self:
            backend.exception_count = counts.get((backend.id, True), 0)
            backend.event_count = backend.exception_count + counts.get((backend.id, False), 0)

    @api.depends("business_exception_ids.is_over")
    def _compute_business_alert_count(self):
        for backend in self:
            backend.business_alert_count = len(backend.business_exception_ids.filtered("is_over"))

    # ---------------------------------------------------------- system of record
    def _ownership_defaults(self):
        """{domain: (system_of_record, update_from_the_other_side)}; connectors override.

        The generic kind only brings contacts in: the connected system owns customers."""
        return {"customer": ("remote", "apply")}

    def _inbound_policy(self, domain):
        """What a delivery from the connected system may do to `domain`: 'apply', 'ignore'
        or 'review'. The connected system's own data always applies."""
        self.ensure_one()
        line = self.sudo().ownership_ids.filtered(lambda owned: owned.domain == domain)[:1]
        if not line or line.system_of_record == "remote":
            return "apply"
        return line.other_side_update

    # ------------------------------------------------------------------ actions
    def action_activate(self):
        self.write({"state": "active"})

    def action_pause(self):
        self.write({"state": "paused"})

    def action_open_events(self):
        return self._events_action(self.env._("Events"), [])

    def action_open_exceptions(self):
        return self._events_action(self.env._("Exceptions"), [("is_exception", "=", True)])

    def _events_action(self, name, domain):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": "integration.event",
            "view_mode": "list,form,graph,pivot",
            "domain": [("backend_id", "=", self.id), *domain],
            "context": {"default_backend_id": self.id},
        }

    # ------------------------------------------------- connector contract (webhooks)
    def _accepts_deliveries(self):
        return self.state not in REFUSING_STATES

    def _webhook_content_types(self):
        """Media types a delivery may have; anything else is refused with 415."""
        return ("application/json",)

    def _webhook_secrets(self):
        self.ensure_one()
        backend = self.sudo()
        return [s for s in (backend.webhook_secret, backend.webhook_secret_previous) if s]

    def _webhook_verify(self, headers, body):
        """Raise SignatureError unless the delivery is signed by the vendor.

        `headers` is a case-insensitive mapping, `body` the raw bytes."""
        self.ensure_one()
        return getattr(self, f"_{self.kind}_verify")(headers, body)

    def _webhook_parse(self, headers, body):
        """The delivery's envelope (lib.envelope.Envelope) and the payload text to store.

        Raise PayloadError when the body cannot be read."""
        self.ensure_one()
        return getattr(self, f"_{self.kind}_parse")(headers, body)

    def _source_url(self, event):
        """Link to the event's object in the vendor's own screens, when the vendor has one."""
        return False

    def _webhook_response(self, event_id, duplicate):
        """Body and content type of the acknowledgement (some vendors expect a set text)."""
        return json.dumps({"status": "duplicate" if duplicate else "accepted"}), "application/json"

    # ---------------------------------------------- connector contract (processing)
    def _handle_event(self, event):
        """Apply one event to Odoo. Return the record it created or updated (or None).

        Connectors implement `_<kind>_handle`; raise the classes of `exceptions.py`."""
        self.ensure_one()
        handler = getattr(self, f"_{self.kind}_handle", None)
        if handler is None:
            raise PermanentError(self.env._("No handler is installed for backends of kind %s.", self.kind))
        return handler(event)

    # ---------------------------------------------- the generic "Signed webhook" kind
    def _generic_hmac_verify(self, headers, body):
        timestamp = headers.get(self.timestamp_header) if self.timestamp_header else None
        if self.timestamp_header and not timestamp:
            raise SignatureError(f"timestamp header {self.timestamp_header} missing")
        try:
            verify_hmac(
                body,
                headers.get(self.signature_header or "X-Signature"),
                self._webhook_secrets(),
                encoding=self.signature_encoding,
                timestamp=timestamp,
                now=time.time(),
                tolerance=self.timestamp_tolerance if self.timestamp_header else None,
            )
        except SignatureMismatch as exc:
            raise SignatureError(str(exc)) from None

    def _generic_hmac_parse(self, headers, body):
        try:
            envelope = envelope_from_paths(
                load_json(body),
                self.event_id_path,
                self.event_type_path,
                self.entity_key_path or "",
                self.occurred_at_path or "",
            )
        except EnvelopeError as exc:
            raise PayloadError(str(exc)) from None
        return envelope, body.decode()

    def _generic_hmac_handle(self, event):
        """Contacts: `<data>` with id, name, email, phone becomes a partner; `*.deleted`
        archives it. Useful on its own for any SaaS that signs its webhooks."""
        payload = event._payload_json()
        data = get_path(payload, self.data_path or "data")
        if not isinstance(data, dict) or not data.get("id"):
            raise PayloadError(
                self.env._(
                    "The delivery has no contact at '%s' (an object with an 'id').",
                    self.data_path or "data",
                )
            )
        binder = self.env["integration.external.id"]
        external_id = str(data["id"])
        policy = self._inbound_policy("customer")
        if policy == "ignore":
            event._note_result(self.env._("Ignored: Odoo is the system of record for customers."))
            return None
        if policy == "review":
            raise PermanentError(
                self.env._(
                    "Contact %(ref)s changed in the connected system, but Odoo is the system of "
                    "record for customers on this backend. Review the change, update the contact "
                    "in Odoo if it is right, then ignore this event (or change the System of "
                    "Record tab of the backend and replay).",
                    ref=external_id,
                )
            )
        partner = binder._record_for(self, "res.partner", external_id)
        if binder._is_stale(self, "res.partner", external_id, event.order_at):
            event._note_result(self.env._("Skipped: a newer version was already applied."))
            return partner
        if event.event_type.endswith(".deleted"):
            if partner:
                partner.with_context(integration_inbound=True).active = False
                binder._bind(self, partner, external_id, event.order_at)
            return partner
        name = (data.get("name") or "").strip()
        if not name:
            raise PermanentError(
                self.env._(
                    "Contact %(ref)s has no name. Add the name in the source system or edit the "
                    "payload here, then replay the event.",
                    ref=external_id,
                )
            )
        values = {"name": name, "email": data.get("email"), "phone": data.get("phone")}
        partner = self._write_or_create(partner or self.env["res.partner"], values)
        binder._bind(self, partner, external_id, event.order_at)
        return partner

    def _write_or_create(self, record, values):
        """Update `record` (locked first) or, when it is empty, create one of its model, as an
        inbound change: Odoo does not echo it back to the connected system."""
        record = record.with_context(integration_inbound=True)
        if record:
            self._lock_for_update(record)
            record.write(values)
            return record
        return record.create(values)

    def _lock_for_update(self, records):
        """Lock the rows a handler is about to change, without waiting: when a person or
        another worker holds them, the engine retries the event later (LockNotAvailable)."""
        query = SQL(
            "SELECT id FROM %s WHERE id IN %s FOR UPDATE NOWAIT",
            SQL.identifier(records._table),
            tuple(records.ids),
        )
        with mute_logger("odoo.sql_db"):  # a busy row is expected, not an error to log
            self.env.cr.execute(query)

    # ------------------------------------------------------------------ outbound
    def _send_outbound(self, message):
        """Send one `integration.outbound` message; return the `requests.Response`.

        Connectors implement `_<kind>_send` with their `lib/client.py`."""
        self.ensure_one()
        sender = getattr(self, f"_{self.kind}_send", None)
        if sender is None:
            raise PermanentError(self.env._("Backends of kind %s cannot send messages.", self.kind))
        return sender(message)

    def _api_client(self, base_url, headers=None):
        """An ApiClient whose every call lands in the audit log (masked)."""
        self.ensure_one()
        audit = self.env["integration.audit"]

        def record_call(call):
            audit._log(
                "outbound_call",
                f"{call.method} {call.url} -> {call.status or ''} {call.error}".strip(),
                backend_id=self.id,
                company_id=self.company_id.id,
                status_code=call.status,
                duration_ms=call.duration_ms,
                correlation_id=call.correlation_id,
            )

        return ApiClient(base_url, headers=headers, on_call=record_call, session=self._http_session())

    def _http_session(self):
        key = (self.env.cr.dbname, self.id, threading.get_ident())
        if key not in _HTTP_SESSIONS:
            if len(_HTTP_SESSIONS) >= MAX_HTTP_SESSIONS:
                for session in _HTTP_SESSIONS.values():
                    session.close()
                _HTTP_SESSIONS.clear()
            _HTTP_SESSIONS[key] = requests.Session()
        return _HTTP_SESSIONS[key]

    def _generic_hmac_send(self, message):
        if not self.outbound_url:
            raise PermanentError(self.env._("Set a Push URL on backend %s to send contacts.", self.name))
        body = (message.payload or "{}").encode()
        secret = self._webhook_secrets()[:1]
        headers = {"Content-Type": "application/json"}
        if secret:
            headers[self.signature_header or "X-Signature"] = hmac_sha256(
                secret[0], body, self.signature_encoding
            )
        return self._api_client(self.outbound_url).request(
            "POST",
            self.outbound_url,
            data=body,
            headers=headers,
            idempotency_key=message.idempotency_key,
            correlation_id=message.correlation_id,
        )

    def _circuit(self):
        opened_at = self.circuit_opened_at.replace(tzinfo=UTC).timestamp() if self.circuit_opened_at else None
        return CircuitBreaker(
            threshold=self.circuit_threshold,
            cooldown=self.circuit_cooldown,
            clock=lambda: fields.Datetime.now().replace(tzinfo=UTC).timestamp(),
            state=self.circuit_state,
            failures=self.circuit_failures,
            opened_at=opened_at,
        )

    def _save_circuit(self, breaker):
        opened = bool(breaker.opened_at) and datetime.fromtimestamp(breaker.opened_at, UTC).replace(
            tzinfo=None
        )
        values = {
            "circuit_state": breaker.state,
            "circuit_failures": breaker.failures,
            "circuit_opened_at": opened,
        }
        if any(self[name] != value for name, value in values.items()):
            self.sudo().write(values)

    def _rate_limiter(self):
        key = (self.env.cr.dbname, self.id, self.rate_limit, self.rate_burst)
        if key not in _RATE_LIMITERS:
            _RATE_LIMITERS[key] = TokenBucket(
                max(self.rate_limit, 0.01), max(self.rate_burst, 1), clock=time.time
            )
        return _RATE_LIMITERS[key]

    def _outbound_wait_time(self):
        """Seconds before this backend may be called again (0: now, a rate token is taken)."""
        self.ensure_one()
        breaker = self._circuit()
        allowed = breaker.allow_call()
        self._save_circuit(breaker)
        if not allowed:
            return max(1.0, breaker.cooldown - (breaker.clock() - breaker.opened_at))
        return self._rate_limiter().wait_time()

    def _outbound_wait_reason(self):
        if self.circuit_state == OPEN:
            return self.env._(
                "Sending paused: %s is not answering. A probe is sent after the pause.", self.name
            )
        return self.env._("Waiting for the rate limit of %s.", self.name)

    def _outbound_failed(self, error):
        """A transport error, 5xx or 429. 429 slows the sender down; the others count
        towards pausing the backend."""
        if error.status == 429:
            self._rate_limiter().pause(error.retry_after or 1.0)
            return
        breaker = self._circuit()
        opened = breaker.record_failure()
        self._save_circuit(breaker)
        if opened and self.state == "active":
            self.sudo().state = "degraded"
            self._notify_managers(
                self.env._("%s is not answering: sending paused", self.name),
                self.env._(
                    "Messages wait in the outbound queue; a probe is sent every %s s.", self.circuit_cooldown
                ),
            )

    def _outbound_succeeded(self):
        breaker = self._circuit()
        breaker.record_success()
        self._save_circuit(breaker)
        if self.state == "degraded":
            self.sudo().state = "active"
            self.sudo().message_post(body=self.env._("%s answers again: sending resumed.", self.name))

    # ------------------------------------------------------------------ alerts
    def _notify_dead_event(self, event):
        """An event or message gave up retrying: each Integration Manager gets an activity."""
        self._notify_managers(
            self.env._("Integration event dead: %s", event.display_name), event.error_message
        )

    def _notify_managers(self, summary, note):
        """An activity for each Integration Manager; an email too when Settings ask for it."""
        managers = self.env.ref("integration_core.group_integration_manager").sudo().user_ids
        managers = managers.filtered(lambda u: not u.share)
        for user in managers:
            self.sudo().activity_schedule(
                "mail.mail_activity_data_todo", user_id=user.id, summary=summary, note=note
            )
        if managers and self.env["ir.config_parameter"].sudo().get_param(SETTINGS_PREFIX + "alert_email"):
            self.sudo().message_post(
                subject=summary,
                body=note or summary,
                partner_ids=managers.partner_id.ids,
                message_type="notification",
                subtype_xmlid="mail.mt_comment",
            )

    # ------------------------------------------------------ business exceptions
    def _business_exceptions(self):
        """What the dashboard counts and alerts on beyond the queues: a list of
        {code, label, count, threshold, action}. Connectors append theirs (stuck orders,
        unreconciled payments...); the core counts drift left open by reconciliation."""
        self.ensure_one()
        drift = self.env["integration.reconciliation.line"].sudo()
        domain = [("backend_id", "=", self.id), ("state", "=", "open")]
        return [
            {
                "code": "open_drift",
                "label": self.env._("Reconciliation drift not resolved"),
                "count": drift.search_count(domain),
                "threshold": 0,
                "action": {"res_model": drift._name, "domain": domain},
            }
        ]

    def action_open_business_exceptions(self):
        self.ensure_one()
        self.env["integration.business.exception"]._refresh(self)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Business exceptions"),
            "res_model": "integration.business.exception",
            "view_mode": "list",
            "domain": [("backend_id", "=", self.id)],
        }

    @api.model
    def _action_open_dashboard(self):
        """The dashboard menu: business exceptions are counted afresh, then the cards open."""
        self.env["integration.business.exception"]._refresh()
        return self.env["ir.actions.act_window"]._for_xml_id("integration_core.integration_dashboard_action")
