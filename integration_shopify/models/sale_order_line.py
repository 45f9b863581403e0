from odoo import api, fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    shopify_line_ref = fields.Char(
        string="Shopify Line",
        copy=False,
        index="btree_not_null",
        help="Which line of the Shopify order this line mirrors (line item id, shipping:…, "
        "discount:…, tax:…): edits in Shopify update this line instead of adding one.",
    )

    # A Shopify order is invoiced once; its refunds are credit notes of money given back. Odoo
    # counts a credit note as "invoiced less", which would put a refunded (and restocked) order
    # back in *To Invoice* with Create Invoice as the primary button: for Shopify lines the
    # quantity credited is not to be invoiced again.
    def _shopify_qty_credited(self):
        return sum(
            inv_line.product_uom_id._compute_quantity(inv_line.quantity, self.product_uom_id)
            for inv_line in self.invoice_lines
            if inv_line.move_id.move_type == "out_refund" and inv_line.parent_state == "posted"
        )

    @api.depends("invoice_lines.parent_state", "invoice_lines.quantity")
    def _compute_qty_to_invoice(self):
        result = super()._compute_qty_to_invoice()
        for line in self.filtered(
            lambda ln: ln.shopify_line_ref and ln.state == "sale" and ln.qty_to_invoice > 0
        ):
            line.qty_to_invoice = max(0.0, line.qty_to_invoice - line._shopify_qty_credited())
        return result

    @api.depends("invoice_lines.parent_state")
    def _compute_invoice_status(self):
        result = super()._compute_invoice_status()
        for line in self.filtered(
            lambda ln: ln.shopify_line_ref and ln.invoice_status == "no" and ln.state == "sale"
        ):
            credited = line._shopify_qty_credited()
            if credited and line.qty_invoiced + credited >= line.product_uom_qty:
                line.invoice_status = "invoiced"
        return result
