"""One connection to a SaaS system, and the connector contract each kind implements."""

import json
import logging
import os
import threading
import time
import urllib.request
import uuid
from datetime import UTC, datetime

import requests
from markupsafe import Markup
from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL, mute_logger, ormcache

from ..const import BACKEND_STATES, DEFAULTS, REFUSING_STATES, SETTINGS_PREFIX
from ..exceptions import MappingError, PayloadError, PermanentError, SignatureError
from ..lib.circuit import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from ..lib.http_client import ApiClient
from ..lib.rate_limit import TokenBucket

_logger = logging.getLogger(__name__)

# Rate limiters live in the worker process (they pace this process's calls).
_RATE_LIMITERS = {}
# One HTTP session per backend in each thread: calls reuse the vendor connection (keep-alive),
# which saves a TCP and TLS handshake per message. Thread-local, because a requests.Session
# is not safe to share between threads.
_HTTP_SESSIONS = threading.local()
MAX_HTTP_SESSIONS = 64  # per thread


def _new_http_session():
    """A requests session that reads the environment once. With `trust_env`, requests looks
    up the proxy variables, the CA bundle variables and ~/.netrc on every call (0.35 ms a
    call here); without a proxy or a .netrc set, the CA bundle is all it would find, and it
    is set on the session instead, as requests would use it."""
    session = requests.Session()
    names = [os.environ["NETRC"]] if os.environ.get("NETRC") else ["~/.netrc", "~/_netrc"]
    if urllib.request.getproxies() or any(os.path.exists(os.path.expanduser(name)) for name in names):
        return session
    session.trust_env = False
    session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    return session


# Modules whose backend columns are read with every backend (see `_register_hook`).
ENGINE_MODULES = {None, "base", "mail", "integration_core"}
# The engine columns a delivery needs before it is stored (see `_for_webhook`).
WEBHOOK_FIELDS = (
    "kind",
    "state",
    "company_id",
    "max_body_bytes",
    "request_id_header",
    "webhook_secret",
    "webhook_secret_previous",
    "timestamp_tolerance",
)


# Per process and database: the row the last delivery to each webhook key read of its backend
# (see `_for_webhook_remembered`). Bounded: when full it starts again.
_remembered = {}
REMEMBERED_KEYS = 1000


def _remember(dbname, webhook_uuid, snapshot):
    if len(_remembered) >= REMEMBERED_KEYS:
        _remembered.clear()
    _remembered[dbname, webhook_uuid] = snapshot


class IntegrationBackend(models.Model):
    _name = "integration.backend"
    _description = "Integration Backend"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "sequence, name, id"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    kind = fields.Selection(
        [],
        required=True,
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
    max_body_bytes = fields.Integer(
        string="Largest Delivery (bytes)",
        default=DEFAULTS["max_body_bytes"],
        help="Deliveries larger than this are refused (413) before they are read.",
    )
    timestamp_tolerance = fields.Integer(
        string="Signature Tolerance (s)",
        default=300,
        help="Signed deliveries older than this are refused (replay protection).",
    )
    request_id_header = fields.Char(
        default="X-Request-Id", help="Vendor header whose value becomes the correlation id."
    )

    # Outbound: how fast, and when to stop trying.
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
    outbound_count = fields.Integer(compute="_compute_event_counts")
    exception_count = fields.Integer(compute="_compute_event_counts")
    business_exception_ids = fields.One2many("integration.business.exception", "backend_id")
    business_alert_count = fields.Integer(
        compute="_compute_business_alert_count", string="Business Exceptions Over Threshold"
    )

    credential_warnings = fields.Html(
        compute="_compute_credential_warnings",
        sanitize=False,
        help="Each credential the backend's kind needs and lacks, and what does not work without it.",
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
    def _register_hook(self):
        """Each connector's columns are read together, and only when a backend needs one of
        them: every delivery and every commit group reads its backend, and with all connectors
        installed the row has a hundred columns, most of them other kinds' settings (reading
        them all cost three times the narrow read, on every delivery)."""
        super()._register_hook()
        for field in self._fields.values():
            defined_by = field._modules[0] if field._modules else None  # `kind` is extended by all
            if field.prefetch is True and defined_by not in ENGINE_MODULES:
                field.prefetch = f"integration_backend_{defined_by}"

    @api.model
    def _for_webhook(self, webhook_uuid):
        """The backend a webhook URL names, read in one query with what its delivery needs:
        the engine's WEBHOOK_FIELDS and its kind's own columns (a signature check reads
        those). Every delivery asks, so which backend has the key is remembered; the row read
        says whether it still does (a stale answer costs a search, never a wrong backend)."""
        known = self._webhook_key_hint(webhook_uuid)
        if known:
            backend_id, kind = known
            names, columns = self._webhook_columns(kind)
            self.flush_model(["webhook_uuid", "active", *names])  # what this transaction changed
            self.env.cr.execute(
                SQL(
                    "SELECT ctid::text, xmin::text, %s FROM integration_backend"
                    " WHERE id = %s AND webhook_uuid = %s AND active",
                    columns,
                    backend_id,
                    webhook_uuid,
                )
            )
            row = self.env.cr.fetchone()
            if row:
                _remember(
                    self.env.cr.dbname, webhook_uuid, (self.pool.registry_sequence, backend_id, names, row)
                )
                return self._cached_row(backend_id, names, row[2:])
        backend = self.search([("webhook_uuid", "=", webhook_uuid)], limit=1)
        backend.fetch([*WEBHOOK_FIELDS, *self._kind_field_names(backend.kind)] if backend else [])
        return backend

    @api.model
    def _for_webhook_remembered(self, webhook_uuid):
        """(backend, version): the backend as the last delivery to this key read it in this
        process, without a query, and the version of the row it was read from; or
        `_for_webhook` and None when the key is new here. A delivery checked against a
        remembered row is stored only if the row is still that version (`integration.event.
        _ingest`); otherwise the webhook reads the backend again (BackendChanged).

        The version is PostgreSQL's own: every UPDATE writes a new row version at a new
        place (ctid) stamped with its transaction (xmin); the pair names one version."""
        remembered = _remembered.get((self.env.cr.dbname, webhook_uuid))
        if not remembered or remembered[0] != self.pool.registry_sequence:  # modules changed since
            return self._for_webhook(webhook_uuid), None
        _registry, backend_id, names, row = remembered
        return self._cached_row(backend_id, names, row[2:]), row[:2]

    def _cached_row(self, backend_id, names, values):
        # The row into the record's cache as `fetch` puts it there (column values are the
        # cache's format), without the domain, access check and per-field query building
        # that made `fetch` twice as slow on every delivery.
        backend = self.browse(backend_id)
        for name, value in zip(names, values, strict=True):
            self._fields[name]._insert_cache(backend, (value,))
        return backend

    @api.model
    @ormcache("kind")
    def _webhook_columns(self, kind):
        """The stored fields `_for_webhook` reads for a backend of this kind, and their SQL."""
        stored = (*WEBHOOK_FIELDS, *self._kind_field_names(kind))
        names = tuple(name for name in stored if self._fields[name].column_type)
        return names, SQL(", ").join(SQL.identifier(name) for name in names)

    @api.model
    @ormcache("webhook_uuid")
    def _webhook_key_hint(self, webhook_uuid):
        self.env.cr.execute(
            SQL("SELECT id, kind FROM integration_backend WHERE webhook_uuid = %s", webhook_uuid)
        )
        return self.env.cr.fetchone()

    @api.model
    @ormcache("kind")
    def _kind_field_names(self, kind):
        """The columns of the connector(s) that brought `kind` (their prefetch groups)."""
        groups = {
            f"integration_backend_{module}"
            for module in self._fields["kind"]._selection_modules(self).get(kind, ())
        }
        return tuple(name for name, field in self._fields.items() if field.prefetch in groups)

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
        outbound = dict(
            self.env["integration.outbound"]._read_group(
                [("backend_id", "in", self.ids)], ["backend_id"], ["__count"]
            )
        )
        for backend in self:
            backend.exception_count = counts.get((backend.id, True), 0)
            backend.event_count = backend.exception_count + counts.get((backend.id, False), 0)
            backend.outbound_count = outbound.get(backend, 0)

    @api.depends("business_exception_ids.is_over")
    def _compute_business_alert_count(self):
        for backend in self:
            backend.business_alert_count = len(backend.business_exception_ids.filtered("is_over"))

    # ---------------------------------------------------------- system of record
    def _ownership_defaults(self):
        """{domain: (system_of_record, update_from_the_other_side)} (hook); a domain left out
        is owned by the connected system and its updates apply."""
        return {}

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
        self._check_manager()
        self.write({"state": "active"})

    def action_pause(self):
        self._check_manager()
        self.write({"state": "paused"})

    def _check_manager(self):
        """Configuration actions (and any that makes Odoo call a vendor) are for Integration
        Managers: a button hidden from users is still callable over RPC."""
        if not (self.env.su or self.env.user.has_group("integration_core.group_integration_manager")):
            raise AccessError(self.env._("Only Integration Managers can do this on %s.", self.display_name))

    def action_open_events(self):
        return self._events_action(self.env._("Events"), [])

    def action_open_exceptions(self):
        return self._events_action(self.env._("Exceptions"), [("is_exception", "=", True)])

    def action_open_outbound(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Outbound"),
            "res_model": "integration.outbound",
            "view_mode": "list,form",
            "domain": [("backend_id", "=", self.id)],
        }

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

    def _webhook_verify(self, delivery):
        """Raise SignatureError (401) unless the delivery (lib.delivery.Delivery) is signed by
        the vendor, SourceNotAllowed (403) when its sender is not allowed (hook)."""
        raise SignatureError(self.env._("no connector verifies deliveries of kind %s", self.kind))

    def _webhook_parse(self, delivery):
        """The delivery's events: a list of lib.envelope.Envelope, each with the payload text
        to store (hook). Raise PayloadError when the body cannot be read."""
        raise PayloadError(self.env._("no connector reads deliveries of kind %s", self.kind))

    def _source_url(self, event):
        """Link to the event's object in the vendor's own screens, when the vendor has one."""
        return False

    def _missing_credentials(self):
        """[(credential, what does not work without it)] for each credential of this kind that
        is not set (hook; called with sudo, secrets are readable). The form shows a banner."""
        return []

    @api.depends("kind")
    @api.depends_context("uid")
    def _compute_credential_warnings(self):
        for backend in self:
            missing = backend.sudo()._missing_credentials() if backend.kind else []
            backend.credential_warnings = (
                Markup("<ul class='mb-0'>%s</ul>")
                % Markup().join(
                    Markup("<li><strong>%s</strong> %s: %s</li>")
                    % (credential, self.env._("not set"), disables)
                    for credential, disables in missing
                )
                if missing
                else False
            )

    def _webhook_response(self, new_count, duplicate_count):
        """Body and content type of the acknowledgement (some vendors expect a set text)."""
        status = "duplicate" if duplicate_count and not new_count else "accepted"
        return json.dumps({"status": status}), "application/json"

    # ---------------------------------------------- connector contract (processing)
    def _handle_event(self, event):
        """Apply one event to Odoo; return the record it created or updated (or None) (hook).

        Raise the classes of `exceptions.py`; the queue turns them into states."""
        raise PermanentError(self.env._("No connector handles events of backends of kind %s.", self.kind))

    def _deal_opening(self, event):
        """Does this event start a deal when it belongs to none yet (hook; see
        `integration.deal`)? E.g. the opportunity whose quote becomes an Odoo quotation."""
        return False

    def _deal_reference(self, event):
        """The deal correlation id the vendor sent back with this event (hook): what Odoo
        sent in envelope custom fields or payment metadata (`message._deal_reference()`)."""
        return None

    def _deal_search_keys(self, reference):
        """The forms under which this vendor's id `reference` may be stored (hook: e.g. an
        18-character Salesforce id is kept by its 15-character key)."""
        return []

    def _retry_horizon_hours(self):
        """How long an outage of this vendor is waited out before a row goes dead (hook: match
        the vendor's own retry window)."""
        return self.env["integration.queue.mixin"]._engine_settings()["retry_horizon_hours"]

    def _pull_changes(self):
        """Ingest what changed remotely since the last pull as events of source `pull` (hook)."""
        return None

    @api.model
    def _cron_pull_changes(self):
        """Scheduled action "Pull changes": each active backend's connector pulls; one
        backend failing does not stop the others."""
        for backend in self.search([("state", "in", ("active", "degraded"))]):
            try:
                with self.env.cr.savepoint():
                    backend._pull_changes()
            except Exception as exc:
                _logger.exception("integration: pull of backend %s failed", backend.id)
                backend.message_post(body=self.env._("Pulling changes failed: %s", exc))
            self.env["ir.cron"]._commit_progress(1)

    # ---------------------------------------------- shared helpers for handlers
    def _check_inbound_policy(self, event, domain, reference):
        """Whether a delivery may change `domain` here (the system of record decides): True to
        go on; False when the change is ignored (noted on the event); PermanentError when it
        must be reviewed by a person."""
        policy = self._inbound_policy(domain)
        if policy == "apply":
            return True
        labels = dict(self.env["integration.ownership"]._fields["domain"].selection)
        what = labels.get(domain, domain).lower()
        if policy == "ignore":
            event._note_result(self.env._("Ignored: Odoo is the system of record for %s.", what))
            return False
        raise PermanentError(
            self.env._(
                "%(ref)s changed in %(backend)s, but Odoo is the system of record for %(what)s on "
                "this backend. Review the change and make it in Odoo if it is right, then ignore "
                "this event (or change the System of Record tab of the backend and replay).",
                ref=reference,
                backend=self.name,
                what=what,
            )
        )

    def _currency_for(self, code):
        """The Odoo currency of an ISO code; a MappingError that says what to do when it is
        unknown or not active."""
        code = (code or "").strip().upper()
        currency = self.company_id.currency_id  # the usual case, without a search per event
        if currency.name != code:
            currencies = self.env["res.currency"].with_context(active_test=False)
            currency = currencies.search([("name", "=", code)], limit=1)
        if not currency:
            raise MappingError(
                self.env._(
                    "Currency %(code)s from %(backend)s is unknown in Odoo.",
                    code=code or "?",
                    backend=self.name,
                )
            )
        if not currency.active:
            raise MappingError(
                self.env._(
                    "Currency %s is not active in Odoo. Activate it (Accounting > Configuration > "
                    "Currencies), then retry this event.",
                    currency.name,
                )
            )
        return currency

    def _match_partner(self, external_id=None, email=None, vat=None):
        """The contact a vendor's customer is: bound by its external id, else the one with that
        email, else that VAT number (an empty recordset when none matches)."""
        partners = self.env["res.partner"]
        if external_id:
            bound = self.env["integration.external.id"]._record_for(self, "res.partner", external_id)
            if bound:
                return bound
        if email:
            found = partners.search([("email", "=ilike", email.strip())], limit=1)
            if found:
                return found
        if vat:
            return partners.search([("vat", "=", vat.strip())], limit=1)
        return partners

    def _write_or_create(self, record, values):
        """Update `record` (locked first) or, when it is empty, create one of its model, as an
        inbound change: Odoo does not echo it back to the connected system."""
        record = record.with_context(integration_inbound=True)
        if record:
            self._lock_for_update(record)
            record.write(values)
            return record
        if "company_id" in record._fields and "company_id" not in values:
            # A record a company's backend brings in belongs to that company: the other
            # companies' users do not see it (contacts are shared by default in Odoo).
            values = {**values, "company_id": self.company_id.id}
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
        """Send one `integration.outbound` message; return the `requests.Response` (hook).

        Connectors send with their `lib/client.py`, built on `_api_client`."""
        raise PermanentError(self.env._("Backends of kind %s cannot send messages.", self.kind))

    def _api_client(self, base_url, headers=None):
        """An ApiClient whose every call lands in the audit log (masked)."""
        self.ensure_one()
        audit = self.env["integration.audit"]

        buffer = self.env.context.get("integration_call_log")

        def record_call(call):
            line = {
                "method": call.method,  # whether the call may have changed something (commit groups)
                "message": f"{call.method} {call.url} -> {call.status or ''} {call.error}".strip(),
                "backend_id": self.id,
                "company_id": self.company_id.id,
                "status_code": call.status,
                "duration_ms": call.duration_ms,
                "correlation_id": call.correlation_id,
            }
            if buffer is not None:
                buffer.append(line)  # a queue row's savepoint may roll back: written after it
            else:
                audit._log("outbound_call", **line)

        return ApiClient(base_url, headers=headers, on_call=record_call, session=self._http_session())

    def _http_session(self):
        sessions = getattr(_HTTP_SESSIONS, "by_backend", None)
        if sessions is None:
            sessions = _HTTP_SESSIONS.by_backend = {}
        key = (self.env.cr.dbname, self.id)
        if key not in sessions:
            if len(sessions) >= MAX_HTTP_SESSIONS:
                # This thread's sessions only: other threads may be using theirs right now.
                for session in sessions.values():
                    session.close()
                sessions.clear()
            sessions[key] = _new_http_session()
        return sessions[key]

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
            # The vendor answered (it is up, only busy): slow down, and a probe that got a 429
            # closes the circuit rather than leaving it half open.
            self._rate_limiter().pause(error.retry_after or 1.0)
            self._outbound_succeeded()
            return
        breaker = self._circuit()
        opened = breaker.record_failure()
        self._save_circuit(breaker)
        if opened and self.state == "active":
            self.sudo().state = "degraded"
            self._notify_managers(
                self._not_answering_summary(),
                self.env._(
                    "Messages wait in the outbound queue; a probe is sent every %s s.", self.circuit_cooldown
                ),
            )

    def _not_answering_summary(self):
        return self.env._("%s is not answering: sending paused", self.name)

    def _outbound_succeeded(self):
        breaker = self._circuit()
        breaker.record_success()
        self._save_circuit(breaker)
        if self.state == "degraded":
            self.sudo().state = "active"
            self.sudo().message_post(body=self.env._("%s answers again: sending resumed.", self.name))
            self._close_alerts(
                self._not_answering_summary(), self.env._("It answers again: sending resumed.")
            )

    # ------------------------------------------------------------------ alerts
    def _notify_dead_event(self, event):
        """An event or message gave up retrying: each Integration Manager gets an activity."""
        self._notify_managers(self._dead_summary(event), event.error_message)

    def _dead_summary(self, row):
        return self.env._("Integration event dead: %s", row.display_name)

    def _close_alerts(self, summary, why):
        """Mark done the managers' activities of an alert whose cause has ended, saying why in
        the chatter (the activities are found by the summary they were created with)."""
        activities = self.sudo().activity_ids.filtered(lambda activity: activity.summary == summary)
        if activities:
            activities.action_feedback(feedback=why)

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
        """What the dashboard counts and alerts on beyond the queues (hook): a list of
        {code, label, count, threshold, action}, where `action` is {res_model, domain}: the
        records behind the count. Connectors append theirs (stuck orders, unreconciled
        payments...); the core counts drift left open by reconciliation."""
        self.ensure_one()
        drift = self.env["integration.reconciliation.line"].sudo()
        domain = [("backend_id", "=", self.id), ("state", "=", "open")]
        cycles = self.env["integration.deal.cycle"].sudo()
        late = [("backend_id", "=", self.id), ("is_breached", "=", True), ("ended_at", "=", False)]
        return [
            {
                "code": "open_drift",
                "label": self.env._("Reconciliation drift not resolved"),
                "count": drift.search_count(domain),
                "threshold": 0,
                "action": {"res_model": drift._name, "domain": domain},
            },
            {
                # Deals this backend started whose current step is past its objective
                # (a contract unsigned past due, an invoice unpaid...).
                "code": "deal_cycle_over_objective",
                "label": self.env._("Deals stuck past a cycle-time objective"),
                "count": cycles.search_count(late),
                "threshold": 0,
                "action": {"res_model": cycles._name, "domain": late},
            },
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
