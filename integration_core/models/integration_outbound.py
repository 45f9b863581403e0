"""Outbound queue (transactional outbox): what Odoo must tell a connected system.

A business change writes its message in its own transaction, so a rollback sends nothing
and a commit always sends. The cron sends each message with its idempotency key, behind the
backend's rate limiter and circuit breaker; failures retry with backoff like events do."""

import json
import time
import uuid

from odoo import api, fields, models
from odoo.tools import SQL

from ..lib.http_client import HttpError, TransientHttpError, VendorHttpError

SHORT_WAIT = 2.0  # seconds a sender sleeps for the rate limit before it reschedules instead


class IntegrationOutbound(models.Model):
    _name = "integration.outbound"
    _inherit = ["integration.queue.mixin"]
    _description = "Integration Outbound Message"
    _order = "id desc"
    _queue_primary_cron = "integration_core.cron_send_outbound"
    _queue_cron_code = "model._cron_send_outbound()"

    operation = fields.Char(required=True, readonly=True, help="What is sent, e.g. contact.push")
    res_model = fields.Char(string="Document Model", readonly=True)
    res_id = fields.Many2oneReference(model_field="res_model", string="Document ID", readonly=True)
    record_ref = fields.Reference(
        selection="_selection_models", compute="_compute_record_ref", string="Document"
    )
    payload = fields.Text(readonly=True)
    idempotency_key = fields.Char(
        required=True, readonly=True, copy=False, default=lambda self: uuid.uuid4().hex,
        help="Sent with every attempt: the vendor applies the message once however often it is sent.",
    )  # fmt: skip
    response_status = fields.Integer(string="Last HTTP Status", readonly=True, aggregator=False)
    response_body = fields.Text(string="Last Vendor Answer", readonly=True)

    deal_id = fields.Many2one("integration.deal", readonly=True, index="btree_not_null", ondelete="set null")

    _idempotency_key_unique = models.UniqueIndex("(idempotency_key)")

    @api.depends("res_model", "res_id")
    def _compute_record_ref(self):
        for message in self:
            known = message.res_model in self.env and message.res_id
            message.record_ref = f"{message.res_model},{message.res_id}" if known else False

    @api.depends("operation", "idempotency_key")
    def _compute_display_name(self):
        for message in self:
            message.display_name = f"{message.operation} {message.idempotency_key[:8]}"

    # ------------------------------------------------------------------ enqueue
    @api.model
    def _enqueue(self, backend, operation, record, payload, entity_key="", correlation_id=None):
        """Write the message in the caller's transaction; the workers wake after its commit.

        It belongs to the deal of its document (or of the event being processed)."""
        deal = self.env["integration.deal"]._for_record(record.sudo())[:1] if record else None
        deal_id = deal.id if deal else self.env.context.get("integration_deal_id")
        message = self.sudo().create(
            {
                "backend_id": backend.id,
                "operation": operation,
                "res_model": record._name if record else False,
                "res_id": record.id if record else False,
                "payload": json.dumps(payload, sort_keys=True),
                "entity_key": entity_key,
                "correlation_id": correlation_id or uuid.uuid4().hex,
                "deal_id": deal_id or False,
            }
        )
        self._trigger_processing()
        return message

    def _deal_reference(self):
        """The deal's correlation id, for the connector to send along ("" when none)."""
        return self.deal_id.name or ""

    # ------------------------------------------------------------------ sending
    @api.model
    def _cron_send_outbound(self):
        """Scheduled action "Send outbound messages"."""
        self._run_queue()

    def _postponed(self):
        backend = self.backend_id
        waiting = backend._outbound_wait_time()
        if 0 < waiting <= SHORT_WAIT and backend.circuit_state == "closed":
            time.sleep(waiting)  # pacing, not an outage: a short pause beats a reschedule
            waiting = backend._outbound_wait_time()
        if waiting:
            # Circuit open or rate limit reached: wait, without spending an attempt.
            self._postpone(waiting, backend._outbound_wait_reason())
        return bool(waiting)

    def _run_handler(self):
        return self.backend_id._send_outbound(self)

    def _done_values(self, response):
        return {"response_status": response.status_code if response is not None else False,
                "response_body": False}  # fmt: skip

    def _call_audit_values(self):
        return {"deal_id": self.deal_id.id} if self.deal_id else {}  # its calls belong to its deal

    def _after_outcome(self, response, error, duration_ms):
        """Tell the circuit breaker whether the vendor answered, and keep its answer."""
        backend = self.backend_id
        if isinstance(error, TransientHttpError):
            backend._outbound_failed(error)
        elif error is None or isinstance(error, VendorHttpError):
            backend._outbound_succeeded()  # the vendor answered: it is up
        if isinstance(error, HttpError):
            self.write({"response_status": error.status, "response_body": error.body})

    def _postpone(self, seconds, reason):
        due = fields.Datetime.add(fields.Datetime.now(), seconds=max(1, int(seconds)))
        # The claim counted an attempt; waiting for the vendor is not one.
        self.env.cr.execute(
            SQL("UPDATE integration_outbound SET attempts = GREATEST(attempts - 1, 0) WHERE id = %s", self.id)
        )
        self.invalidate_recordset(["attempts"])
        self.write(
            {
                "state": "retry",
                "next_attempt_at": due,
                "lease_until": False,
                "error_class": "retryable",
                "error_message": reason,
            }
        )
        self._trigger_processing(due)

    # ------------------------------------------------------------------ manual actions
    def action_open_cancel_wizard(self):
        self.env["integration.event"]._check_manager()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Cancel Messages"),
            "res_model": "integration.event.ignore.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": self._name, "active_ids": self.ids},
        }

    def _ignore(self, reason):
        """Cancel: the message is not sent (state Ignored), with the reason, audited."""
        self.env["integration.event"]._check_manager()
        todo = self.filtered(lambda m: m.state not in ("done", "processing"))
        note = self.env._("Cancelled by %(user)s: %(reason)s", user=self.env.user.name, reason=reason)
        todo.sudo().write({"state": "ignored", "lease_until": False, "error_message": note})
        for message in todo:
            self.env["integration.audit"]._log(
                "ignored", f"{message.display_name}: {note}", backend_id=message.backend_id.id
            )
        return True

    def action_retry(self):
        self.env["integration.event"]._check_manager()
        todo = self.filtered(lambda m: m.state in ("failed", "dead", "retry"))
        todo.sudo().write(
            {"state": "pending", "attempts": 0, "lease_expiries": 0, "next_attempt_at": fields.Datetime.now()}
        )
        self._trigger_processing()
        return True
