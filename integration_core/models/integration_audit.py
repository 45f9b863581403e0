"""Audit log: refusals at the webhook, processing attempts and manual actions.

Nothing secret is written here: texts go through lib.masking first."""

from odoo import api, fields, models
from odoo.tools import SQL

from ..lib.masking import mask_text

AUDIT_ACTIONS = [
    ("refused", "Delivery refused"),
    ("processed", "Processing attempt"),
    ("requeued", "Requeued"),
    ("ignored", "Ignored"),
    ("payload_edited", "Payload edited"),
    ("resolved", "Resubmitted with a choice"),
    ("outbound_call", "Outside call"),
    ("reconciliation", "Reconciliation"),
]


class IntegrationAudit(models.Model):
    _name = "integration.audit"
    _description = "Integration Audit Line"
    _order = "id desc"

    backend_id = fields.Many2one("integration.backend", ondelete="cascade", index=True)
    company_id = fields.Many2one("res.company", index=True)
    event_id = fields.Many2one("integration.event", ondelete="cascade", index="btree_not_null")
    action = fields.Selection(AUDIT_ACTIONS, required=True)
    message = fields.Char()
    status_code = fields.Integer(string="HTTP Status", aggregator=False)
    duration_ms = fields.Integer(string="Duration (ms)", aggregator="avg")
    correlation_id = fields.Char(index="btree_not_null")
    deal_id = fields.Many2one("integration.deal", index="btree_not_null", ondelete="set null")
    remote_addr = fields.Char(string="From")

    @api.model
    def _log_calls(self, calls, **values):
        """Write the outside calls a queue row made (buffered while its savepoint ran)."""
        for call in calls:
            self._log("outbound_call", **{**call, **values})

    @api.model
    def _log(self, action, message, **values):
        """Append one audit line (plain INSERT: this runs for every delivery refused and every
        processing attempt, and an audit line has nothing for the ORM to compute).

        Inside a queue's commit group (context `integration_audit_lines`, a list) the line is
        kept and written with the group's other lines in one statement (`_write_lines`)."""
        backend_id = values.get("backend_id") or None
        company_id = values.get("company_id")
        if company_id is None and backend_id:
            company_id = self.env["integration.backend"].sudo().browse(backend_id).company_id.id
        now = fields.Datetime.now()
        line = (
            backend_id,
            company_id or None,
            values.get("event_id") or None,
            action,
            mask_text(message or "")[:500],
            values.get("status_code") or None,
            values.get("duration_ms") or 0,
            values.get("correlation_id") or None,
            values.get("deal_id") or None,
            values.get("remote_addr") or None,
            self.env.uid,
            self.env.uid,
            now,
            now,
        )
        kept = self.env.context.get("integration_audit_lines")
        if kept is not None:
            kept.append(line)
        else:
            self._write_lines([line])

    @api.model
    def _write_lines(self, lines):
        if not lines:
            return
        rows = SQL(", ").join(
            SQL("(%s)", SQL(", ").join(SQL("%s", value) for value in line)) for line in lines
        )
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO integration_audit (
                    backend_id, company_id, event_id, action, message, status_code, duration_ms,
                    correlation_id, deal_id, remote_addr, create_uid, write_uid, create_date, write_date)
                VALUES %s
                """,
                rows,
            )
        )
        self.invalidate_model()
        self.env["integration.event"].invalidate_model(["audit_ids"])

    @api.model
    def _log_event(self, event, action, message, duration_ms=0):
        return self._log(
            action,
            message,
            backend_id=event.backend_id.id,
            company_id=event.company_id.id,
            event_id=event.id,
            correlation_id=event.correlation_id,
            deal_id=event.deal_id.id,
            duration_ms=duration_ms,
        )
