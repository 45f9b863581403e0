"""What Odoo sends to Shopify: fulfilments of done deliveries and stock levels."""

import json

from odoo import models
from odoo.addons.integration_core.exceptions import (
    PermanentError,
)

from ..const import (
    INVENTORY_BATCH,
    OUTBOUND_FULFILLMENT,
    OUTBOUND_INVENTORY,
)
from ..lib import client as shopify_client


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    def _send_outbound(self, message):
        if self.kind != "shopify":
            return super()._send_outbound(message)
        senders = {
            OUTBOUND_FULFILLMENT: self._shopify_send_fulfillment,
            OUTBOUND_INVENTORY: self._shopify_send_inventory,
        }
        sender = senders.get(message.operation)
        if sender is None:
            raise PermanentError(self.env._("Unknown Shopify operation %s.", message.operation))
        return sender(self._shopify_client(), message, json.loads(message.payload or "{}"))

    def _shopify_send_inventory(self, client, message, payload):
        self._shopify_call(
            client.mutate, shopify_client.INVENTORY_SET, {"input": payload}, "inventorySetQuantities",
            correlation_id=message.correlation_id, idempotency_key=message.idempotency_key,
        )  # fmt: skip
        return client.last_response

    def _shopify_send_fulfillment(self, client, message, payload):
        """Ask which fulfillment-order lines are still open, then fulfil exactly those: a
        retry after a lost answer finds nothing open and creates no second fulfilment."""
        data = self._shopify_call(
            client.execute,
            shopify_client.FULFILLMENT_ORDERS,
            {"id": shopify_client.gid("Order", payload["order_id"])},
            correlation_id=message.correlation_id,
        )
        fulfillment = shopify_client.fulfillment_input(
            data.get("order"),
            {str(k): int(v) for k, v in payload["lines"].items()},
            payload.get("tracking_company") or "",
            payload.get("tracking_number") or "",
        )
        picking = self.env["stock.picking"].browse(message.res_id).exists()
        if fulfillment is None:
            if picking and not picking.shopify_fulfillment_id:
                picking.shopify_fulfillment_id = "already fulfilled"
            return client.last_response
        result = self._shopify_call(
            client.mutate,
            shopify_client.FULFILLMENT_CREATE,
            {"fulfillment": fulfillment},
            "fulfillmentCreate",
            correlation_id=message.correlation_id,
            idempotency_key=message.idempotency_key,
        )
        if picking:
            picking.shopify_fulfillment_id = ((result.get("fulfillment") or {}).get("id")) or ""
        return client.last_response

    def _shopify_queue_inventory(self, products):
        """Queue inventorySetQuantities for `products` bound on this backend: the free
        quantity in the backend's warehouse, in batches of INVENTORY_BATCH."""
        binder = self.env["integration.external.id"].sudo()
        bound = binder.search(
            [("backend_id", "=", self.id), ("model", "=", "product.product"), ("res_id", "in", products.ids)]
        )
        bound_products = products.filtered(lambda p: p.id in bound.mapped("res_id"))
        owner = self.ownership_ids.filtered(lambda line: line.domain == "stock")[:1]
        if owner and owner.system_of_record != "odoo":
            return  # Shopify owns stock on this backend: nothing to push
        quantities = []
        for location_ref, warehouse in self._shopify_stock_locations():
            location = shopify_client.gid("Location", location_ref)
            for product in bound_products.with_context(warehouse_id=warehouse.id):
                quantities.append(
                    {
                        "inventoryItemId": shopify_client.gid(
                            "InventoryItem", product.shopify_inventory_item_id
                        ),
                        "locationId": location,
                        "quantity": int(max(product.free_qty, 0)),
                    }
                )
        outbound = self.env["integration.outbound"]
        for start in range(0, len(quantities), INVENTORY_BATCH):
            payload = {
                "name": "available",
                "reason": "correction",
                "ignoreCompareQuantity": True,
                "quantities": quantities[start : start + INVENTORY_BATCH],
            }
            outbound._enqueue(self, OUTBOUND_INVENTORY, None, payload, entity_key=f"inventory:{self.id}")
