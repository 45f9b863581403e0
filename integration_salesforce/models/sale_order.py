"""Sale orders that come from Salesforce: what they came from, and the status Odoo writes
back to the opportunity when they are confirmed, invoiced, paid or cancelled."""

import json

from odoo import fields, models

from ..lib import mapping


class SaleOrder(models.Model):
    _inherit = "sale.order"

    salesforce_backend_id = fields.Many2one("integration.backend", copy=False, index="btree_not_null")
    salesforce_opportunity_id = fields.Char(copy=False, readonly=True)
    salesforce_quote_id = fields.Char(copy=False, readonly=True)
    salesforce_lines = fields.Text(
        copy=False, readonly=True, help="The Salesforce lines last applied (JSON)."
    )
    salesforce_renewed_order_id = fields.Many2one(
        "sale.order", string="Renews Order", copy=False, readonly=True, index="btree_not_null"
    )
    salesforce_content_hash = fields.Char(
        copy=False, readonly=True, help="Hash of the opportunity's Salesforce-owned fields last applied."
    )
    salesforce_change_ids = fields.One2many("integration.salesforce.order.change", "order_id")

    def _salesforce_snapshot(self):
        self.ensure_one()
        return [mapping.line_from_json(item) for item in json.loads(self.salesforce_lines or "[]")]

    def _salesforce_status(self):
        """What Odoo tells the opportunity: the furthest step the order reached."""
        self.ensure_one()
        invoices = self.invoice_ids.filtered(lambda move: move.state == "posted")
        paid = sum(invoices.mapped(lambda move: move.amount_total - move.amount_residual))
        if self.state == "cancel":
            status = "cancelled"
        elif invoices and all(move.payment_state in ("paid", "in_payment") for move in invoices):
            status = "paid"
        elif invoices:
            status = "invoiced"
        elif self.state == "sale":
            status = "confirmed"
        else:
            status = "quotation"
        return {
            "status": status,
            "order_number": self.name,
            "invoices": ", ".join(invoices.mapped("name")),
            "amount_paid": round(paid, self.currency_id.decimal_places),
        }

    def _salesforce_queue_status(self):
        for order in self.filtered("salesforce_backend_id"):
            order.salesforce_backend_id._salesforce_enqueue_status(order)

    def action_confirm(self):
        result = super().action_confirm()
        self._salesforce_queue_status()
        return result

    def _action_cancel(self):
        result = super()._action_cancel()
        self._salesforce_queue_status()
        return result
