from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _action_done(self, cancel_backorder=False):
        moves = super()._action_done(cancel_backorder=cancel_backorder)
        moves._shopify_queue_inventory()
        return moves

    def _shopify_queue_inventory(self):
        """Odoo owns stock: after stock moved, the new levels of the Shopify variants go to
        their Shopify location, one batched message per backend (sent after the commit)."""
        products = self.filtered(lambda m: m.state == "done").product_id.filtered("shopify_inventory_item_id")
        if not products:
            return
        backends = (
            self.env["integration.backend"]
            .sudo()
            .search(
                [
                    ("kind", "=", "shopify"),
                    ("state", "in", ("active", "degraded")),
                    ("shopify_location_id", "!=", False),
                    ("shopify_warehouse_id", "!=", False),
                ]
            )
        )
        for backend in backends:
            backend._shopify_queue_inventory(products)
