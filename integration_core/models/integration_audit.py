"""Audit log: refusals at the webhook, processing attempts and manual actions.

Nothing secret is written here: texts go through lib.masking first."""

from odoo import api, fields, models

from ..lib.masking import mask_text

AUDIT_ACTIONS = [
    ("refused", "Delivery refused"),
    ("processed", "Processing attempt"),
    ("requeued", "Requeued"),
    ("ignored", "Ignored"),
    ("payload_edited", "Payload edited"),
    ("purged", "Payload purged"),
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
    status_code = fields.Integer(string="HTTP Status")
    duration_ms = fields.Integer(string="Duration (ms)")
    correlation_id = fields.Char(index="btree_not_null")
    remote_addr = fields.Char(string="From")

    @api.model
    def _log(self, action, message, **values):
        values.setdefault(
            "company_id",
            values.get("backend_id")
            and self.env["integration.backend"].sudo().browse(values["backend_id"]).company_id.id,
        )
        return self.sudo().create({"action": action, "message": mask_text(message or "")[:500], **values})

    @api.model
    def _log_event(self, event, action, message, duration_ms=0):
        return self._log(
            action,
            message,
            backend_id=event.backend_id.id,
            event_id=event.id,
            correlation_id=event.correlation_id,
            duration_ms=duration_ms,
        )
