from odoo import fields, models


class IntegrationAudit(models.Model):
    _inherit = "integration.audit"

    action = fields.Selection(
        selection_add=[("clm_gate_override", "Confirmation gate overridden")],
        ondelete={"clm_gate_override": "cascade"},
    )
