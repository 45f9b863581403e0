"""Shopify customers and products through external IDs, and the initial import."""

import json
import time
import uuid

from odoo import models
from odoo.addons.integration_core.exceptions import (
    PermanentError,
)
from odoo.addons.integration_core.lib.envelope import Envelope
from odoo.addons.integration_core.lib.http_client import TransientHttpError
from odoo.exceptions import UserError

from ..const import (
    IMPORT_PAGE_SIZE,
)
from ..lib import client as shopify_client
from ..lib.orders import (
    customer_values,
    parse_time,
    product_variants,
)


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    # ------------------------------------------------------------------ customers, products
    def _shopify_apply_customer(self, event, customer):
        """customers/create|update (a schemas.Customer): the contact bound to it, else the one
        with its email, created when none."""
        binder = self.env["integration.external.id"]
        external_id = customer.id
        partner = self._shopify_customer_partner(external_id, customer.email)
        if binder._is_stale(self, "res.partner", external_id, event.order_at):
            event._note_result(
                self.env._("Skipped: a newer version of customer %s was already applied.", external_id)
            )
            return partner
        if not self._check_inbound_policy(event, "customer", self.env._("Customer %s", external_id)):
            return partner
        values = self._shopify_partner_create_values(customer_values(customer))
        if not values.get("name"):
            raise PermanentError(
                self.env._(
                    "Customer %s has no name and no email: complete it in Shopify, then retry.", external_id
                )
            )
        partner = self._write_or_create(partner or self.env["res.partner"], values)
        binder._bind(self, partner, external_id, event.order_at)
        return partner

    def _shopify_apply_product(self, event, shopify_product):
        """One Odoo product per Shopify variant, found by its binding, then SKU, then barcode."""
        binder = self.env["integration.external.id"]
        places = self.company_id.currency_id.decimal_places
        product_id, updated_at, variants = product_variants(shopify_product, places)
        if not self._check_inbound_policy(event, "product", self.env._("Product %s", product_id)):
            return None
        prices_apply = self._inbound_policy("price") == "apply"
        products = self.env["product.product"]
        result = products
        for variant_id, values in variants:
            product = binder._record_for(self, "product.product", variant_id)
            if binder._is_stale(self, "product.product", variant_id, updated_at):
                result |= product
                continue
            if not product and values["sku"]:
                product = products.search([("default_code", "=", values["sku"])], limit=1)
            if not product and values["barcode"]:
                product = products.search([("barcode", "=", values["barcode"])], limit=1)
            product_values = {
                "shopify_inventory_item_id": values["inventory_item_id"] or False,
                "name": values["name"],
                "default_code": values["sku"] or False,
                "barcode": values["barcode"] or False,
                "weight": values["weight_grams"] / 1000.0,
            }
            if prices_apply or not product:
                product_values["list_price"] = float(values["price"])
            if product:
                product.with_context(integration_inbound=True).write(product_values)
            else:
                product = products.with_context(integration_inbound=True).create(
                    {**product_values, "type": "consu", "is_storable": True, "invoice_policy": "order"}
                )
            binder._bind(self, product, variant_id, updated_at)
            result |= product
        return result[:1] if len(result) == 1 else None

    # ------------------------------------------------------------------ initial import
    def action_shopify_import_catalog(self):
        """Initial import: every Shopify product and customer (GraphQL, paginated,
        cost-throttled) becomes a `products/update` or `customers/update` event of source
        Pull, applied by the webhook handlers; the action opens those events, whose states
        show the progress."""
        self.ensure_one()
        self._check_manager()  # it calls Shopify
        client = self._shopify_client()
        events = self.env["integration.event"]
        correlation = f"shopify-import-{uuid.uuid4().hex[:12]}"
        counts = {}
        sources = (
            ("products/update", "product", shopify_client.PRODUCTS, "products",
             shopify_client.rest_product_from_graphql),
            ("customers/update", "customer", shopify_client.CUSTOMERS, "customers",
             shopify_client.rest_customer_from_graphql),
        )  # fmt: skip
        try:
            for topic, resource, query, field, to_rest in sources:
                nodes = client.paginate(query, field, page_size=IMPORT_PAGE_SIZE, sleep=time.sleep)
                for node in self._shopify_call(list, nodes):
                    data = to_rest(node)
                    envelope = Envelope(
                        external_event_id=f"import:{resource}:{data['id']}:{data.get('updated_at') or ''}",
                        event_type=topic,
                        entity_key=f"{resource}:{data['id']}",
                        occurred_at=parse_time(data.get("updated_at")),
                    )
                    events._ingest(self, envelope, json.dumps(data), {}, correlation, source="pull")
                    counts[resource] = counts.get(resource, 0) + 1
        except (PermanentError, TransientHttpError) as exc:
            raise UserError(self.env._("The import from Shopify stopped: %s", exc)) from None
        self.message_post(
            body=self.env._(
                "Import from Shopify queued: %(products)s products, %(customers)s customers.",
                products=counts.get("product", 0),
                customers=counts.get("customer", 0),
            )
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Import from Shopify"),
            "res_model": "integration.event",
            "view_mode": "list,form",
            "domain": [("backend_id", "=", self.id), ("correlation_id", "=", correlation)],
        }
