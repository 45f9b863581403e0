from odoo import fields, models

from ..const import OUTBOUND_FULFILLMENT


class StockPicking(models.Model):
    _inherit = "stock.picking"

    shopify_tracking_company = fields.Char(string="Carrier (Shopify)", copy=False)
    shopify_tracking_number = fields.Char(copy=False)
    shopify_fulfillment_id = fields.Char(copy=False, readonly=True)

    def _action_done(self):
        result = super()._action_done()
        self._shopify_queue_fulfillments()
        return result

    def _shopify_queue_fulfillments(self):
        """A delivery of a Shopify order is done: tell Shopify through the outbound queue
        (written in this transaction, sent after the commit)."""
        binder = self.env["integration.external.id"].sudo()
        outbound = self.env["integration.outbound"]
        # a delivery Shopify (or its 3PL) shipped carries its fulfilment already: not sent back
        for picking in self.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.sale_id and not p.shopify_fulfillment_id
        ):
            bindings = binder.search(
                [
                    ("model", "=", "sale.order"),
                    ("res_id", "=", picking.sale_id.id),
                    ("backend_id.kind", "=", "shopify"),
                ]
            )
            for binding in bindings:
                lines = {}
                for move in picking.move_ids.filtered(lambda m: m.state == "done" and m.sale_line_id):
                    ref = move.sale_line_id.shopify_line_ref or ""
                    if ref.isdigit() and move.quantity:
                        lines[ref] = lines.get(ref, 0) + int(
                            move.product_uom._compute_quantity(
                                move.quantity, move.sale_line_id.product_uom_id
                            )
                        )
                if not lines:
                    continue
                payload = {
                    "order_id": binding.external_id,
                    "lines": lines,
                    "tracking_company": picking.shopify_tracking_company or None,
                    "tracking_number": picking.shopify_tracking_number or None,
                }
                outbound._enqueue(
                    binding.backend_id, OUTBOUND_FULFILLMENT, picking, payload, entity_key=binding.external_id
                )
