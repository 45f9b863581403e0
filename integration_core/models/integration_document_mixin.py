"""What a document made by integrations (an order, an invoice, a payment) shows: a smart
button to the vendor events that made or changed it, and the vendor references it is bound
to (Shopify order, Stripe charge). Connectors add it to their documents' models."""

from odoo import api, fields, models


class IntegrationDocumentMixin(models.AbstractModel):
    _name = "integration.document.mixin"
    _description = "Document Synchronised by Integrations"

    integration_event_count = fields.Integer(
        string="Vendor Events",
        compute="_compute_integration_event_count",
        groups="integration_core.group_integration_user",
    )

    @api.depends_context("uid")
    def _compute_integration_event_count(self):
        rows = (
            self.env["integration.event"]
            .sudo()
            ._read_group(
                [("result_model", "=", self._name), ("result_res_id", "in", self.ids)],
                ["result_res_id"],
                ["__count"],
            )
        )
        counts = dict(rows)
        for record in self:
            record.integration_event_count = counts.get(record.id, 0)

    def action_open_integration_events(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Vendor events of %s", self.display_name),
            "res_model": "integration.event",
            "view_mode": "list,form",
            "domain": [("result_model", "=", self._name), ("result_res_id", "=", self.id)],
            "context": {"create": False},
        }
