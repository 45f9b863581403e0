"""A deal's sales documents: its quotation/order, invoices and payments."""

from odoo import api, fields, models


class IntegrationDeal(models.Model):
    _inherit = "integration.deal"

    sale_order_ids = fields.One2many("sale.order", "integration_deal_id", string="Orders")
    invoice_ids = fields.One2many(
        "account.move",
        "integration_deal_id",
        string="Invoices",
        domain=[("move_type", "in", ("out_invoice", "out_refund"))],
    )
    payment_ids = fields.One2many("account.payment", "integration_deal_id", string="Payments")
    partner_id = fields.Many2one(
        "res.partner", compute="_compute_partner_id", string="Customer", store=True, index=True
    )

    @api.depends("sale_order_ids.partner_id")
    def _compute_partner_id(self):
        for deal in self:
            deal.partner_id = deal.sale_order_ids[:1].partner_id

    def _cycle_milestones(self):
        marks = super()._cycle_milestones()
        orders = self.sale_order_ids
        if not orders:
            return marks
        marks["order_created"] = min(orders.mapped("create_date"))
        confirmed = orders.filtered(lambda order: order.state == "sale")
        if confirmed:
            marks["order_confirmed"] = min(confirmed.mapped("date_order"))
        invoices = (self.invoice_ids | orders.invoice_ids).filtered(
            lambda move: move.move_type == "out_invoice" and move.state == "posted"
        )
        if invoices:
            marks["first_invoice"] = min(invoices.mapped("create_date"))
            if all(move.payment_state in ("paid", "in_payment") for move in invoices):
                payments = self.payment_ids | invoices._get_reconciled_payments()
                marks["paid"] = max((payments or invoices).mapped("create_date"))
        return marks
