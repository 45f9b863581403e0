"""Fulfilments both ways: what Odoo sends to Shopify (fulfilments of done deliveries, stock
levels) and what Shopify or a 3PL shipped (the Odoo delivery validated)."""

import json

from odoo import models
from odoo.addons.integration_core.exceptions import (
    MappingError,
    PermanentError,
)

from ..const import (
    INVENTORY_BATCH,
    OUTBOUND_FULFILLMENT,
    OUTBOUND_INVENTORY,
)
from ..lib import client as shopify_client
from ..lib.orders import parse_time


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

    # ------------------------------------------------------------------ fulfilled in Shopify
    def _shopify_apply_fulfillment(self, event, fulfillment):
        """fulfillments/create|update (a schemas.Fulfillment) made in Shopify or by a 3PL: the
        matching quantities of the open Odoo delivery are validated, with the tracking
        number, once; not enough stock is a failure a person fixes, then replays."""
        binder = self.env["integration.external.id"]
        done = binder._record_for(self, "stock.picking", fulfillment.id)
        if done:
            if fulfillment.tracking_number and done.shopify_tracking_number != fulfillment.tracking_number:
                done.write(self._shopify_tracking_values(fulfillment))
            event._note_result(
                self.env._(
                    "Fulfillment %(fulfillment)s was already applied to %(picking)s.",
                    fulfillment=fulfillment.id,
                    picking=done.name,
                )
            )
            return done
        sale = binder._record_for(self, "sale.order", fulfillment.order_id)
        if not sale:
            raise MappingError(
                self.env._(
                    "Fulfillment %(fulfillment)s is for Shopify order %(order)s, which is not in Odoo. "
                    "Import the order (replay its event), then retry this one.",
                    fulfillment=fulfillment.id,
                    order=fulfillment.order_id,
                )
            )
        pickings = sale.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")
        own = pickings.filtered(
            lambda p: p.shopify_fulfillment_id
            in (fulfillment.id, shopify_client.gid("Fulfillment", fulfillment.id))
        )
        if own:
            event._note_result(
                self.env._(
                    "Fulfillment %(fulfillment)s was made by Odoo (%(picking)s).",
                    fulfillment=fulfillment.id,
                    picking=own.name,
                )
            )
            return own
        if fulfillment.status != "success":
            event._note_result(
                self.env._(
                    "Fulfillment %(fulfillment)s is %(status)s in Shopify: nothing shipped yet.",
                    fulfillment=fulfillment.id,
                    status=fulfillment.status or "-",
                )
            )
            return None
        picking = self._shopify_validate_shipped(sale, pickings, fulfillment)
        binder._bind(
            self, picking, fulfillment.id, parse_time(fulfillment.updated_at or fulfillment.created_at)
        )
        return picking

    def _shopify_tracking_values(self, fulfillment):
        values = {"shopify_fulfillment_id": fulfillment.id}
        if fulfillment.tracking_number:
            values["shopify_tracking_number"] = fulfillment.tracking_number
        if fulfillment.tracking_company:
            values["shopify_tracking_company"] = fulfillment.tracking_company
        return values

    def _shopify_validate_shipped(self, sale, pickings, fulfillment):
        order_ref = sale.client_order_ref or sale.name
        lines = {line.shopify_line_ref: line for line in sale.order_line if line.shopify_line_ref}
        shipped = {}
        for item in fulfillment.line_items:
            line = lines.get(item.id)
            if not line:
                raise MappingError(
                    self.env._(
                        "Fulfillment %(fulfillment)s ships line %(line)s, which order %(order)s does "
                        "not have.",
                        fulfillment=fulfillment.id,
                        line=item.id,
                        order=order_ref,
                    )
                )
            shipped[line] = shipped.get(line, 0) + item.quantity
        picking = pickings.filtered(lambda p: p.state not in ("done", "cancel"))[:1]
        if not picking:
            raise PermanentError(
                self.env._(
                    "Fulfillment %(fulfillment)s of order %(order)s: Odoo has no open delivery left to "
                    "validate (already shipped or cancelled). Check the order's deliveries, then ignore "
                    "this event.",
                    fulfillment=fulfillment.id,
                    order=order_ref,
                )
            )
        picking.action_assign()
        short = []
        for move in picking.move_ids.filtered(lambda m: m.state not in ("done", "cancel")):
            wanted = move.sale_line_id.product_uom_id._compute_quantity(
                shipped.pop(move.sale_line_id, 0), move.product_uom
            )
            wanted = min(wanted, move.product_uom_qty)
            if move.product_id.is_storable and move.quantity < wanted:
                short.append(
                    f"{move.product_id.display_name}: {wanted:g} shipped, {move.quantity:g} in stock"
                )
            move.quantity = wanted
            move.picked = bool(wanted)
        if short:
            raise PermanentError(
                self.env._(
                    "Shopify shipped order %(order)s (fulfillment %(fulfillment)s) but Odoo has not enough "
                    "stock in %(location)s to validate delivery %(picking)s: %(short)s. Receive or correct "
                    "the stock in Odoo, then retry this event.",
                    order=order_ref,
                    fulfillment=fulfillment.id,
                    location=picking.location_id.display_name,
                    picking=picking.name,
                    short="; ".join(short),
                )
            )
        # set before it is done: Odoo does not send this fulfilment back to Shopify
        picking.write(self._shopify_tracking_values(fulfillment))
        picking.with_context(skip_backorder=True, picking_ids_not_to_backorder=[]).button_validate()
        return picking
