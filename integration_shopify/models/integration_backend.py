"""The `shopify` backend kind: webhook check and envelope, order/refund/customer/product
handlers, fulfilment push through the outbound queue, reconciliation over GraphQL."""

import json
import logging
import time
import uuid
from datetime import timedelta
from decimal import Decimal

from odoo import Command, fields, models
from odoo.addons.integration_core.exceptions import (
    MappingError,
    PayloadError,
    PermanentError,
    RetryableError,
    SignatureError,
)
from odoo.addons.integration_core.lib.envelope import Envelope
from odoo.addons.integration_core.lib.http_client import TransientHttpError
from odoo.exceptions import UserError
from odoo.tools import float_compare

from ..const import (
    CUSTOMER_POLICIES,
    CUSTOMER_TOPICS,
    DEFAULT_API_VERSION,
    HANDLED_TOPICS,
    IMPORT_PAGE_SIZE,
    INVENTORY_BATCH,
    ORDER_TOPICS,
    ORDER_TRIGGERS,
    OUTBOUND_FULFILLMENT,
    OUTBOUND_INVENTORY,
    PAID_STATUSES,
    PRODUCT_TOPICS,
    RECONCILE_PAGE_SIZE,
    REFUND_TOPICS,
    TAX_POLICIES,
    WEBHOOK_SUBSCRIPTIONS,
)
from ..lib import client as shopify_client
from ..lib.orders import (
    ShopifyPayloadError,
    address_values,
    customer_values,
    parse_order,
    parse_refund,
    parse_time,
    product_variants,
    unwrap,
)
from ..lib.signatures import ShopifySignatureError, verify_shopify_hmac

_logger = logging.getLogger(__name__)


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    kind = fields.Selection(selection_add=[("shopify", "Shopify")], ondelete={"shopify": "cascade"})
    shopify_shop_domain = fields.Char(string="Shop Domain", help="e.g. my-store.myshopify.com")
    shopify_access_token = fields.Char(
        string="Admin API Access Token", groups="base.group_system", copy=False
    )
    shopify_api_version = fields.Char(string="API Version", default=DEFAULT_API_VERSION)
    shopify_warehouse_id = fields.Many2one(
        "stock.warehouse",
        string="Warehouse",
        check_company=True,
        help="Warehouse that ships Shopify orders and whose stock is pushed to Shopify.",
    )
    shopify_location_id = fields.Char(
        string="Shopify Location ID", help="Numeric id of the Shopify location the warehouse stands for."
    )
    shopify_location_ids = fields.One2many(
        "integration.shopify.location",
        "backend_id",
        string="Other Locations",
        help="More Shopify locations and the warehouse each stands for: orders from a location "
        "ship from its warehouse, and its stock levels are pushed there.",
    )
    shopify_gateway_ids = fields.One2many(
        "integration.shopify.gateway",
        "backend_id",
        string="Journals per Gateway",
        help="Payments and refunds through a gateway are registered in its journal; other "
        "gateways use the payment journal.",
    )
    shopify_team_id = fields.Many2one("crm.team", string="Sales Team", check_company=True)
    shopify_pricelist_ids = fields.Many2many(
        "product.pricelist",
        string="Pricelists per Currency",
        help="An order in a currency takes the pricelist of that currency (the company's "
        "currency needs none).",
    )
    shopify_payment_journal_id = fields.Many2one(
        "account.journal",
        string="Payment Journal",
        check_company=True,
        domain="[('type', 'in', ('bank', 'cash'))]",
        help="Where Shopify payments and refunds are registered (Shopify Payments clearing).",
    )
    shopify_shipping_product_id = fields.Many2one("product.product", string="Shipping Product")
    shopify_discount_product_id = fields.Many2one("product.product", string="Discount Product")
    shopify_tax_product_id = fields.Many2one(
        "product.product",
        string="Tax Product",
        help="With the policy 'Shopify's tax lines', each tax of the order becomes a line of "
        "this product, for exactly the amount Shopify charged.",
    )
    shopify_tax_policy = fields.Selection(TAX_POLICIES, string="Tax Policy", default="shopify")
    shopify_order_trigger = fields.Selection(ORDER_TRIGGERS, string="Orders Created For", default="any")
    shopify_customer_policy = fields.Selection(CUSTOMER_POLICIES, string="Customers", default="customer")
    shopify_guest_partner_id = fields.Many2one("res.partner", string="Contact for All Orders")
    shopify_stuck_minutes = fields.Integer(
        string="Order Stuck After (min)",
        default=30,
        help="An order event without a sale order after this long is a business exception.",
    )

    # ------------------------------------------------------------------ contract
    def _ownership_defaults(self):
        if self.kind == "shopify":
            return {
                "order": ("remote", "apply"),
                "price": ("remote", "apply"),
                "product": ("remote", "apply"),
                "customer": ("remote", "apply"),
                "tax": ("remote", "apply"),
                "payment": ("remote", "apply"),
                "invoice": ("odoo", "ignore"),
                "stock": ("odoo", "ignore"),
            }
        return super()._ownership_defaults()

    def _source_url(self, event):
        if event.backend_id.kind != "shopify" or not self.shopify_shop_domain or not event.entity_key:
            return super()._source_url(event)
        key = event.entity_key
        if key.startswith("customer:"):
            return f"https://{self.shopify_shop_domain}/admin/customers/{key.split(':', 1)[1]}"
        if key.startswith("product:"):
            return f"https://{self.shopify_shop_domain}/admin/products/{key.split(':', 1)[1]}"
        return f"https://{self.shopify_shop_domain}/admin/orders/{key}"

    def _shopify_verify(self, headers, body):
        try:
            verify_shopify_hmac(body, headers.get("X-Shopify-Hmac-Sha256"), self._webhook_secrets())
        except ShopifySignatureError as exc:
            raise SignatureError(str(exc)) from None
        # One app (one secret) can be installed in several shops: a delivery signed for
        # another shop is not for this backend.
        shop = (headers.get("X-Shopify-Shop-Domain") or "").strip().lower()
        expected = (self.shopify_shop_domain or "").strip().lower()
        if expected and shop and shop != expected:
            raise SignatureError(f"delivery from shop {shop}, this backend is for {expected}")

    def _shopify_parse(self, headers, body):
        topic = (headers.get("X-Shopify-Topic") or "").strip()
        webhook_id = (headers.get("X-Shopify-Webhook-Id") or "").strip()
        if not topic or not webhook_id:
            raise PayloadError("X-Shopify-Topic and X-Shopify-Webhook-Id headers are required")
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, ValueError) as exc:
            raise PayloadError(f"body is not JSON: {exc}") from None
        resource = topic.split("/", 1)[0].rstrip("s")
        try:
            if topic not in HANDLED_TOPICS:
                # stored and acknowledged (Shopify drops subscriptions that keep failing);
                # the handler notes that this connector does not act on it
                if not isinstance(payload, dict):
                    raise ShopifyPayloadError("the body is not a JSON object")
                data, resource = {}, ""
            else:
                data = unwrap(payload, resource)
            if not data:
                entity, occurred = "", None
            elif topic in REFUND_TOPICS:
                entity, occurred = data.get("order_id"), data.get("created_at")
            elif topic in CUSTOMER_TOPICS or topic in PRODUCT_TOPICS:
                entity, occurred = f"{resource}:{data['id']}", data.get("updated_at")
            else:
                entity, occurred = data["id"], data.get("updated_at")
            occurred = parse_time(occurred or headers.get("X-Shopify-Triggered-At"))
            envelope = Envelope(
                external_event_id=webhook_id,
                event_type=topic,
                entity_key=str(entity or ""),
                occurred_at=occurred,
            )
        except (ShopifyPayloadError, ValueError) as exc:
            raise PayloadError(str(exc).splitlines()[0]) from None
        return envelope, body.decode()

    def _shopify_handle(self, event):
        topic = event.event_type
        try:
            if topic in ORDER_TOPICS:
                return self._shopify_apply_order(event)
            if topic in REFUND_TOPICS:
                return self._shopify_apply_refund(event)
            if topic in CUSTOMER_TOPICS:
                return self._shopify_apply_customer(event)
            if topic in PRODUCT_TOPICS:
                return self._shopify_apply_product(event)
        except ShopifyPayloadError as exc:
            raise PayloadError(self.env._("The Shopify payload cannot be read: %s", exc)) from None
        event._note_result(self.env._("Ignored: topic %s is not handled by this connector.", topic))
        return None

    def _shopify_check_policy(self, domain, what):
        """None to go on; a note when the change is ignored; raises when it needs review."""
        policy = self._inbound_policy(domain)
        if policy == "review":
            raise PermanentError(
                self.env._(
                    "%(what)s changed in Shopify, but Odoo is the system of record for this data on "
                    "%(backend)s. Review the change in Odoo, then ignore this event (or change the "
                    "System of Record tab and replay).",
                    what=what,
                    backend=self.name,
                )
            )
        if policy == "ignore":
            return self.env._("Ignored: Odoo is the system of record (%s).", domain)
        return None

    # ------------------------------------------------------------------ orders
    def _shopify_currency(self, code):
        if code == self.company_id.currency_id.name:
            return self.company_id.currency_id
        currency = (
            self.env["res.currency"].with_context(active_test=False).search([("name", "=", code)], limit=1)
        )
        if not currency:
            raise MappingError(self.env._("Currency %s is unknown in Odoo.", code))
        if not currency.active:
            raise MappingError(
                self.env._(
                    "Currency %s is not active: activate it in Accounting settings, then replay.", code
                )
            )
        return currency

    def _shopify_pricelist(self, currency, order_name):
        pricelist = self.shopify_pricelist_ids.filtered(lambda p: p.currency_id == currency)[:1]
        if pricelist or currency == self.company_id.currency_id:
            return pricelist
        raise MappingError(
            self.env._(
                "Shopify order %(order)s is in %(currency)s and backend %(backend)s has no pricelist "
                "in %(currency)s. Add one under Shopify > Pricelists per Currency, then replay.",
                order=order_name,
                currency=currency.name,
                backend=self.name,
            )
        )

    def _shopify_products_for(self, order):
        """{line ref: product} for the order's product lines: the variant bound to the
        Shopify variant, else the product with the SKU as internal reference, else as
        barcode (three searches for the whole order, whatever its size)."""
        lines = order.products
        variant_ids = [line.variant_id for line in lines if line.variant_id]
        bound = {}
        if variant_ids:
            bindings = (
                self.env["integration.external.id"]
                .sudo()
                .search(
                    [
                        ("backend_id", "=", self.id),
                        ("model", "=", "product.product"),
                        ("external_id", "in", variant_ids),
                    ]
                )
            )
            bound = {b.external_id: b.res_id for b in bindings}
        products = self.env["product.product"]
        company = [("company_id", "in", (False, self.company_id.id))]
        skus = {line.sku for line in lines if line.sku and line.variant_id not in bound}
        by_code, by_barcode = {}, {}
        if skus:
            for product in products.search([("default_code", "in", list(skus)), *company]):
                by_code.setdefault(product.default_code, products)
                by_code[product.default_code] |= product
            missing = [sku for sku in skus if sku not in by_code]
            if missing:
                for product in products.search([("barcode", "in", missing), *company]):
                    by_barcode.setdefault(product.barcode, products)
                    by_barcode[product.barcode] |= product
        result = {}
        for line in lines:
            if line.variant_id in bound:
                product = products.browse(bound[line.variant_id]).exists()
                if product:
                    result[line.ref] = product
                    continue
            found = by_code.get(line.sku) or by_barcode.get(line.sku) or products
            if len(found) > 1:
                raise MappingError(
                    self.env._(
                        "Several products have SKU %(sku)s (Shopify order %(order)s): keep one, then replay.",
                        sku=line.sku,
                        order=order.name,
                    )
                )
            if not found:
                raise MappingError(
                    self.env._(
                        "Product SKU %(sku)s not found (line '%(title)s' of Shopify order %(order)s). Create "
                        "the product with this SKU as internal reference (or import it from Shopify), then "
                        "replay this event.",
                        sku=line.sku or "(none)",
                        title=line.title,
                        order=order.name,
                    )
                )
            result[line.ref] = found
        return result

    def _shopify_service_product(self, field_name, label):
        product = self[field_name]
        if not product:
            raise MappingError(
                self.env._(
                    "Set the %(label)s product on backend %(backend)s (Shopify tab), then replay.",
                    label=label,
                    backend=self.name,
                )
            )
        return product

    def _shopify_odoo_taxes(self, tax_lines, included, order_name):
        """Odoo sales taxes for Shopify tax lines (policy 'map'): same rate, same
        included/excluded setting; the title decides between several."""
        taxes = self.env["account.tax"]
        for tax_line in tax_lines:
            rate = float(tax_line.rate * 100)
            candidates = taxes.search(
                [
                    ("type_tax_use", "=", "sale"),
                    ("amount_type", "=", "percent"),
                    ("company_id", "=", self.company_id.id),
                ]
            ).filtered(
                lambda t, rate=rate: float_compare(t.amount, rate, 4) == 0 and t.price_include == included
            )
            named = candidates.filtered(lambda t, title=tax_line.title: t.name == title)
            tax = (named or candidates)[:1]
            if not tax:
                raise MappingError(
                    self.env._(
                        "No Odoo sales tax of %(rate)s%% (%(included)s) matches Shopify tax '%(title)s' "
                        "of order %(order)s. Create it, or set the tax policy to Shopify's tax lines, "
                        "then replay.",
                        rate=rate,
                        included=self.env._("included in price") if included else self.env._("excluded"),
                        title=tax_line.title,
                        order=order_name,
                    )
                )
            taxes |= tax
        return taxes

    def _shopify_line_values(self, order, currency):
        """{ref: sale.order.line values} for every line the Odoo order must have."""
        places = currency.decimal_places
        map_taxes = self.shopify_tax_policy == "map"
        values = {}
        default_taxes = (
            self._shopify_odoo_taxes(order.order_taxes, order.taxes_included, order.name)
            if map_taxes and order.order_taxes
            else self.env["account.tax"]
        )

        def taxes_of(line):
            if not map_taxes:
                return self.env["account.tax"]
            if line.taxes:
                return self._shopify_odoo_taxes(line.taxes, order.taxes_included, order.name)
            return default_taxes if line.kind == "product" and line.taxable else self.env["account.tax"]

        def line(ref, product, name, quantity, price, taxes):
            values[ref] = {
                "product_id": product.id,
                "name": name,
                "product_uom_qty": float(quantity),
                "price_unit": float(price),
                "discount": 0.0,
                "tax_ids": [Command.set(taxes.ids)],
                "shopify_line_ref": ref,
            }

        products = self._shopify_products_for(order)
        for item in order.products:
            product = products[item.ref]
            taxes = taxes_of(item)
            line(item.ref, product, item.title or product.display_name, item.quantity, item.unit_price, taxes)
            if item.discount:
                discount = self._shopify_service_product(
                    "shopify_discount_product_id", self.env._("discount")
                )
                name = self.env._("Discount on %s", item.title)
                line(f"discount:{item.ref}", discount, name, 1, -item.discount, taxes)
        for ship in order.shipping:
            product = self._shopify_service_product("shopify_shipping_product_id", self.env._("shipping"))
            line(ship.ref, product, ship.title, 1, ship.unit_price - ship.discount, taxes_of(ship))
        if order.order_discount:
            discount = self._shopify_service_product("shopify_discount_product_id", self.env._("discount"))
            line(
                "discount:order",
                discount,
                self.env._("Order discount"),
                1,
                -order.order_discount,
                default_taxes,
            )
        if not map_taxes and not order.taxes_included:
            # prices that include their taxes already carry them: no tax line on top
            tax_totals = {}
            for item in order.lines:
                for tax in item.taxes:
                    tax_totals[(tax.title, tax.rate)] = (
                        tax_totals.get((tax.title, tax.rate), Decimal(0)) + tax.amount
                    )
            for tax in order.order_taxes:
                tax_totals[(tax.title, tax.rate)] = (
                    tax_totals.get((tax.title, tax.rate), Decimal(0)) + tax.amount
                )
            for (title, rate), amount in tax_totals.items():
                if amount:
                    product = self._shopify_service_product("shopify_tax_product_id", self.env._("tax"))
                    name = f"{title} {(rate * 100).normalize():f}%"
                    line(
                        f"tax:{title}:{rate}",
                        product,
                        name,
                        1,
                        amount.quantize(Decimal(1).scaleb(-places)),
                        self.env["account.tax"],
                    )
        return values

    def _shopify_partner(self, order):
        if self.shopify_customer_policy == "guest":
            if not self.shopify_guest_partner_id:
                raise MappingError(
                    self.env._("Set the contact for all orders on backend %s, then replay.", self.name)
                )
            return self.shopify_guest_partner_id
        binder = self.env["integration.external.id"]
        customer = order.customer or {}
        customer_id = str(customer.get("id") or "")
        partner = binder._record_for(self, "res.partner", customer_id) if customer_id else None
        if partner:
            return partner
        values = customer_values(customer) if customer else {}
        if order.billing_address:
            billing = address_values(order.billing_address)
            values = {**billing, **{k: v for k, v in values.items() if v}}
        values["email"] = values.get("email") or order.email or False
        if not values.get("name"):
            values["name"] = values.get("email") or self.env._(
                "Shopify customer %s", customer_id or order.name
            )
        partner = (
            self.env["res.partner"]
            .with_context(integration_inbound=True)
            .create(self._shopify_partner_create_values(values))
        )
        if customer_id:
            binder._bind(self, partner, customer_id, parse_time(customer.get("updated_at")))
        return partner

    def _shopify_delivery_contact(self, partner, order):
        """A delivery contact under the customer when the order ships elsewhere than the
        customer's address (found again for the next order to the same address)."""
        if not order.shipping_address or self.shopify_customer_policy == "guest":
            return None
        if order.shipping_address == order.billing_address:
            return None  # the usual case, decided without reading the database
        values = self._shopify_partner_create_values(address_values(order.shipping_address))
        current = {
            "street": partner.street or False,
            "zip": partner.zip or False,
            "city": partner.city or False,
            "country_id": partner.country_id.id or False,
        }
        same = all(value == (values.get(field) or False) for field, value in current.items())
        if same:
            return None
        key = [("street", "=", values["street"]), ("zip", "=", values["zip"]), ("name", "=", values["name"])]
        existing = self.env["res.partner"].search(
            [("parent_id", "=", partner.id), ("type", "=", "delivery"), *key], limit=1
        )
        if existing:
            return existing
        return (
            self.env["res.partner"]
            .with_context(integration_inbound=True)
            .create({**values, "parent_id": partner.id, "type": "delivery"})
        )

    def _shopify_partner_create_values(self, values):
        values = dict(values)
        country_code, state_code = values.pop("country_code", False), values.pop("state_code", False)
        company_name = values.pop("company_name", False)
        if company_name:
            values["company_name"] = company_name
        country = country_code and self.env["res.country"].search(
            [("code", "=", country_code.upper())], limit=1
        )
        values["country_id"] = country.id if country else False
        state = (
            country
            and state_code
            and self.env["res.country.state"].search(
                [("country_id", "=", country.id), ("code", "=", state_code)], limit=1
            )
        )
        values["state_id"] = state.id if state else False
        return values

    def _shopify_apply_order(self, event):
        binder = self.env["integration.external.id"]
        payload = event._payload_json()
        raw = unwrap(payload, "order")
        currency = self._shopify_currency((raw.get("currency") or "").upper())
        order = parse_order(raw, currency.decimal_places)
        binding = binder._line(self, "sale.order", order.id)  # one read for the record and its version
        sale = self.env["sale.order"].browse(binding.res_id).exists()
        version = event.order_at or order.updated_at
        if binding.remote_updated_at and version and version < binding.remote_updated_at:
            event._note_result(
                self.env._("Skipped: a newer version of order %s was already applied.", order.name)
            )
            return sale
        note = self._shopify_check_policy("order", self.env._("Order %s", order.name))
        if note:
            event._note_result(note)
            return sale
        if not sale:
            if order.cancelled:
                event._note_result(self.env._("Order %s was cancelled before it reached Odoo.", order.name))
                return None
            if self.shopify_order_trigger == "paid" and order.financial_status not in PAID_STATUSES:
                event._note_result(
                    self.env._(
                        "Waiting: order %(order)s is %(status)s; this backend creates paid orders only.",
                        order=order.name,
                        status=order.financial_status or "unpaid",
                    )
                )
                return None
        if sale and sale.state == "cancel":
            event._note_result(self.env._("Order %s is cancelled in Odoo: nothing to update.", order.name))
            return sale
        if sale and order.cancelled:
            self._shopify_cancel(sale, order)
            binder._bind(self, sale, order.id, order.updated_at)
            return sale
        wanted = self._shopify_line_values(order, currency)
        if sale:
            self._lock_for_update(sale)
            self._shopify_update_lines(sale, wanted)
        else:
            sale = self._shopify_create_sale(order, currency, wanted)
        self._shopify_check_total(sale, order, currency)
        if sale.state in ("draft", "sent"):
            sale.with_context(integration_inbound=True).action_confirm()
        if sale.shopify_financial_status != order.financial_status:
            sale.shopify_financial_status = order.financial_status
        if order.financial_status in PAID_STATUSES:
            self._shopify_invoice_and_pay(sale, event, order.gateway)
        binder._bind(self, sale, order.id, order.updated_at)
        return sale

    def _shopify_create_sale(self, order, currency, wanted):
        partner = self._shopify_partner(order)
        values = {
            "partner_id": partner.id,
            "company_id": self.company_id.id,
            "client_order_ref": order.name,
            "origin": f"Shopify {order.name}",
            "shopify_financial_status": order.financial_status,
            "order_line": [Command.create(line) for line in wanted.values()],
        }
        shipping = self._shopify_delivery_contact(partner, order)
        if shipping:
            values["partner_shipping_id"] = shipping.id
        pricelist = self._shopify_pricelist(currency, order.name)
        if pricelist:
            values["pricelist_id"] = pricelist.id
        warehouse = self._shopify_warehouse(order.location_id)
        if warehouse:
            values["warehouse_id"] = warehouse.id
        if self.shopify_team_id:
            values["team_id"] = self.shopify_team_id.id
        if order.note:
            values["note"] = order.note
        return self.env["sale.order"].with_context(integration_inbound=True).create(values)

    def _shopify_update_lines(self, sale, wanted):
        """Make the order's lines what Shopify says: same line, new quantity or price; new
        lines added; lines gone from Shopify set to zero (confirmed lines are never deleted)."""
        commands = []
        existing = {line.shopify_line_ref: line for line in sale.order_line if line.shopify_line_ref}
        for ref, values in wanted.items():
            line = existing.pop(ref, None)
            if not line:
                commands.append(Command.create(values))
                continue
            changes = {}
            if float_compare(line.product_uom_qty, values["product_uom_qty"], precision_digits=4):
                changes["product_uom_qty"] = values["product_uom_qty"]
            if sale.currency_id.compare_amounts(line.price_unit, values["price_unit"]):
                changes["price_unit"] = values["price_unit"]
            if line.product_id.id != values["product_id"] and not line.qty_delivered:
                changes["product_id"] = values["product_id"]
            if set(line.tax_ids.ids) != set(values["tax_ids"][0][2]):
                changes["tax_ids"] = values["tax_ids"]
            if changes:
                # price_unit is written with any change so that Odoo does not reprice the line
                changes.setdefault("price_unit", values["price_unit"])
                commands.append(Command.update(line.id, changes))
        for line in existing.values():
            if sale.state == "sale":
                if line.product_uom_qty:
                    commands.append(
                        Command.update(line.id, {"product_uom_qty": 0.0, "price_unit": line.price_unit})
                    )
            else:
                commands.append(Command.delete(line.id))
        if commands:
            sale.with_context(integration_inbound=True).write({"order_line": commands})

    def _shopify_check_total(self, sale, order, currency):
        if currency.compare_amounts(sale.amount_total, float(order.total_price)):
            raise PermanentError(
                self.env._(
                    "Shopify order %(order)s: the Odoo total %(odoo)s %(cur)s differs from Shopify's "
                    "total %(shopify)s %(cur)s (Odoo taxes %(odoo_tax)s, Shopify taxes %(shopify_tax)s). "
                    "Check the tax policy and taxes, the products' prices and the discount and shipping "
                    "products of backend %(backend)s, then replay.",
                    order=order.name,
                    odoo=f"{sale.amount_total:.{currency.decimal_places}f}",
                    shopify=order.total_price,
                    odoo_tax=f"{sale.amount_tax:.{currency.decimal_places}f}",
                    shopify_tax=order.total_tax,
                    cur=currency.name,
                    backend=self.name,
                )
            )

    def _shopify_warehouse(self, location_ref):
        mapped = self.shopify_location_ids.filtered(lambda line: line.location_ref == location_ref)[:1]
        return mapped.warehouse_id if location_ref and mapped else self.shopify_warehouse_id

    def _shopify_stock_locations(self):
        """[(Shopify location id, warehouse)] whose stock levels are pushed."""
        pairs = [(self.shopify_location_id, self.shopify_warehouse_id)] if self.shopify_location_id else []
        pairs += [(line.location_ref, line.warehouse_id) for line in self.shopify_location_ids]
        return [(ref, warehouse) for ref, warehouse in pairs if ref and warehouse]

    def _shopify_payment_journal(self, gateway=""):
        mapped = self.shopify_gateway_ids.filtered(lambda line: line.gateway == gateway)[:1]
        if gateway and mapped:
            return mapped.journal_id
        journal = self.shopify_payment_journal_id or self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.company_id.id)], limit=1
        )
        if not journal:
            raise MappingError(self.env._("Set the payment journal on backend %s, then replay.", self.name))
        return journal

    def _shopify_register_payment(self, moves, gateway="", amount=None):
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=moves.ids)
            .create({"journal_id": self._shopify_payment_journal(gateway).id})
        )
        if amount is not None:
            wizard.amount = amount
        return wizard._create_payments()

    def _shopify_invoice_and_pay(self, sale, event, gateway=""):
        """Paid in Shopify: post the customer invoice and register the payment (once)."""
        invoices = sale.invoice_ids.filtered(lambda m: m.move_type == "out_invoice" and m.state != "cancel")
        if not invoices:
            try:
                invoices = sale._create_invoices(final=True)
            except UserError as exc:
                event._note_result(self.env._("Invoice not created yet: %s", exc.args[0]))
                return
        drafts = invoices.filtered(lambda m: m.state == "draft")
        if drafts:
            drafts.action_post()
        unpaid = invoices.filtered(
            lambda m: m.state == "posted" and m.payment_state in ("not_paid", "partial")
        )
        if unpaid:
            self._shopify_register_payment(unpaid, gateway)

    def _shopify_cancel(self, sale, order):
        delivered = sale.picking_ids.filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing"
        )
        if delivered:
            raise PermanentError(
                self.env._(
                    "Shopify order %(order)s was cancelled, but Odoo already delivered it (%(pickings)s). "
                    "Return the goods in Odoo (or refund them in Shopify), then ignore this event.",
                    order=order.name,
                    pickings=", ".join(delivered.mapped("name")),
                )
            )
        sale.with_context(integration_inbound=True, disable_cancel_warning=True)._action_cancel()

    # ------------------------------------------------------------------ refunds
    def _shopify_apply_refund(self, event):
        binder = self.env["integration.external.id"]
        raw = unwrap(event._payload_json(), "refund")
        existing = binder._record_for(self, "account.move", str(raw["id"]))
        if existing:
            event._note_result(self.env._("Refund %s was already credited.", raw["id"]))
            return existing
        sale = binder._record_for(self, "sale.order", str(raw.get("order_id") or ""))
        if not sale:
            raise MappingError(
                self.env._(
                    "Refund %(refund)s is for Shopify order %(order)s, which is not in Odoo. Import the "
                    "order (replay its event), then replay this one.",
                    refund=raw["id"],
                    order=raw.get("order_id"),
                )
            )
        currency = sale.currency_id
        refund = parse_refund(raw, currency.decimal_places)
        invoice = sale.invoice_ids.filtered(lambda m: m.move_type == "out_invoice" and m.state == "posted")[
            :1
        ]
        if not invoice:
            raise PermanentError(
                self.env._(
                    "Refund %(refund)s of order %(order)s: the order has no posted invoice to credit. "
                    "Invoice the order, then replay.",
                    refund=refund.id,
                    order=sale.client_order_ref or sale.name,
                )
            )
        credit_note = self._shopify_credit_note(sale, invoice, refund)
        if currency.compare_amounts(credit_note.amount_total, float(refund.refunded)):
            raise PermanentError(
                self.env._(
                    "Refund %(refund)s of order %(order)s: the credit note totals %(odoo)s %(cur)s but "
                    "Shopify refunded %(shopify)s %(cur)s. Check the refunded lines and taxes, then replay.",
                    refund=refund.id,
                    order=sale.client_order_ref or sale.name,
                    odoo=f"{credit_note.amount_total:.{currency.decimal_places}f}",
                    shopify=refund.refunded,
                    cur=currency.name,
                )
            )
        credit_note.action_post()
        if refund.refunded:
            self._shopify_register_payment(credit_note, refund.gateway)
        returned = self._shopify_return_goods(sale, refund)
        binder._bind(self, credit_note, refund.id, refund.created_at)
        if returned:
            event._note_result(self.env._("Return %s created for the restocked items.", returned.name))
        return credit_note

    def _shopify_credit_note(self, sale, invoice, refund):
        lines_by_ref = {line.shopify_line_ref: line for line in sale.order_line if line.shopify_line_ref}
        map_taxes = self.shopify_tax_policy == "map"
        invoice_lines = []
        tax_total = Decimal(0)
        for item in refund.lines:
            sale_line = lines_by_ref.get(item.line_item_id)
            if not sale_line:
                raise MappingError(
                    self.env._(
                        "Refund %(refund)s refunds line %(line)s, which order %(order)s does not have.",
                        refund=refund.id,
                        line=item.line_item_id,
                        order=sale.name,
                    )
                )
            quantity, price = item.quantity, item.amount / item.quantity if item.quantity else item.amount
            if price * quantity != item.amount:
                quantity, price = Decimal(1), item.amount
            invoice_lines.append(
                Command.create(
                    {
                        "product_id": sale_line.product_id.id,
                        "name": sale_line.name,
                        "quantity": float(quantity),
                        "price_unit": float(price),
                        "tax_ids": [Command.set(sale_line.tax_ids.ids if map_taxes else [])],
                        "sale_line_ids": [Command.link(sale_line.id)],
                    }
                )
            )
            tax_total += item.tax
        if refund.shipping:
            product = self._shopify_service_product("shopify_shipping_product_id", self.env._("shipping"))
            ship_line = sale.order_line.filtered(
                lambda line: (line.shopify_line_ref or "").startswith("shipping:")
            )[:1]
            invoice_lines.append(
                Command.create(
                    {
                        "product_id": product.id,
                        "name": self.env._("Shipping refund"),
                        "quantity": 1,
                        "price_unit": float(refund.shipping),
                        "tax_ids": [Command.set(ship_line.tax_ids.ids if map_taxes else [])],
                    }
                )
            )
            tax_total += refund.shipping_tax
        taxes_on_lines = any((line.shopify_line_ref or "").startswith("tax:") for line in sale.order_line)
        if not map_taxes and tax_total and taxes_on_lines:
            product = self._shopify_service_product("shopify_tax_product_id", self.env._("tax"))
            invoice_lines.append(
                Command.create(
                    {
                        "product_id": product.id,
                        "name": self.env._("Taxes refunded"),
                        "quantity": 1,
                        "price_unit": float(tax_total),
                        "tax_ids": [Command.set([])],
                    }
                )
            )
        if not invoice_lines:
            raise PayloadError(self.env._("Refund %s refunds no line and no shipping.", refund.id))
        return self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": invoice.partner_id.id,
                "currency_id": invoice.currency_id.id,
                "journal_id": invoice.journal_id.id,
                "reversed_entry_id": invoice.id,
                "invoice_origin": sale.name,
                "ref": self.env._("Shopify refund %(refund)s: %(note)s", refund=refund.id, note=refund.note),
                "invoice_line_ids": invoice_lines,
            }
        )

    def _shopify_return_goods(self, sale, refund):
        """Restocked lines that were delivered come back through a return picking."""
        restocked = {}
        lines_by_ref = {line.shopify_line_ref: line for line in sale.order_line if line.shopify_line_ref}
        for item in refund.lines:
            if item.restock and item.line_item_id in lines_by_ref:
                line = lines_by_ref[item.line_item_id]
                restocked[line.product_id] = restocked.get(line.product_id, 0.0) + float(item.quantity)
        delivery = sale.picking_ids.filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing"
        )[:1]
        if not restocked or not delivery:
            return None
        wizard = (
            self.env["stock.return.picking"]
            .with_context(active_id=delivery.id, active_ids=delivery.ids, active_model="stock.picking")
            .create({"picking_id": delivery.id})
        )
        for return_line in wizard.product_return_moves:
            wanted = restocked.get(return_line.product_id, 0.0)
            quantity = min(wanted, return_line.move_id.quantity)
            return_line.quantity = quantity
            restocked[return_line.product_id] = wanted - quantity
        return wizard._create_return()

    # ------------------------------------------------------------------ customers, products
    def _shopify_apply_customer(self, event):
        binder = self.env["integration.external.id"]
        data = unwrap(event._payload_json(), "customer")
        external_id = str(data["id"])
        partner = binder._record_for(self, "res.partner", external_id)
        if binder._is_stale(self, "res.partner", external_id, event.order_at):
            event._note_result(
                self.env._("Skipped: a newer version of customer %s was already applied.", external_id)
            )
            return partner
        note = self._shopify_check_policy("customer", self.env._("Customer %s", external_id))
        if note:
            event._note_result(note)
            return partner
        values = self._shopify_partner_create_values(customer_values(data))
        if not values.get("name"):
            raise PermanentError(
                self.env._(
                    "Customer %s has no name and no email: complete it in Shopify, then replay.", external_id
                )
            )
        partners = self.env["res.partner"].with_context(integration_inbound=True)
        if partner:
            self._lock_for_update(partner)
            partner.with_context(integration_inbound=True).write(values)
        else:
            partner = partners.create(values)
        binder._bind(self, partner, external_id, event.order_at)
        return partner

    def _shopify_apply_product(self, event):
        """One Odoo product per Shopify variant, found by its binding, then SKU, then barcode."""
        binder = self.env["integration.external.id"]
        places = self.company_id.currency_id.decimal_places
        product_id, updated_at, variants = product_variants(event._payload_json(), places)
        note = self._shopify_check_policy("product", self.env._("Product %s", product_id))
        if note:
            event._note_result(note)
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

    # ------------------------------------------------------------------ outbound
    def _shopify_client(self):
        self.ensure_one()
        backend = self.sudo()
        if not backend.shopify_shop_domain or not backend.shopify_access_token:
            raise PermanentError(
                self.env._("Set the shop domain and the access token on backend %s.", self.name)
            )
        api = self._api_client(
            f"https://{backend.shopify_shop_domain}",
            headers={"X-Shopify-Access-Token": backend.shopify_access_token},
        )
        limiter = self._rate_limiter()

        def observe(throttle):
            limiter.observe_cost(
                throttle.get("currentlyAvailable", 1000),
                throttle.get("maximumAvailable", 1000),
                throttle.get("restoreRate", 50),
            )

        return shopify_client.ShopifyGraphQL(
            api, backend.shopify_shop_domain, backend.shopify_api_version or DEFAULT_API_VERSION, observe
        )

    def _shopify_call(self, method, *args, **kwargs):
        """Run a client call; Shopify's throttling becomes a retry after the time it asks."""
        try:
            return method(*args, **kwargs)
        except shopify_client.ShopifyThrottled as exc:
            raise TransientHttpError(str(exc), status=429, retry_after=exc.retry_after) from None
        except shopify_client.ShopifyError as exc:
            raise PermanentError(self.env._("Shopify refused the request: %s", exc)) from None

    def _shopify_send(self, message):
        payload = json.loads(message.payload or "{}")
        client = self._shopify_client()
        if message.operation == OUTBOUND_FULFILLMENT:
            return self._shopify_send_fulfillment(client, message, payload)
        if message.operation == OUTBOUND_INVENTORY:
            variables = {"input": payload}
            self._shopify_call(
                client.mutate, shopify_client.INVENTORY_SET, variables, "inventorySetQuantities",
                correlation_id=message.correlation_id, idempotency_key=message.idempotency_key,
            )  # fmt: skip
            return client.last_response
        raise PermanentError(self.env._("Unknown Shopify operation %s.", message.operation))

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

    # ------------------------------------------------------------------ initial import
    def action_shopify_import_catalog(self):
        """Initial import: every Shopify product and customer (GraphQL, paginated,
        cost-throttled) becomes a `products/update` or `customers/update` event of source
        Pull, applied by the webhook handlers; the action opens those events, whose states
        show the progress."""
        self.ensure_one()
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

    # ------------------------------------------------------------------ setup action
    def action_shopify_register_webhooks(self):
        """Check the token (shop query) and subscribe the topics this connector handles."""
        self.ensure_one()
        client = self._shopify_client()
        try:
            shop = self._shopify_call(client.execute, shopify_client.SHOP_QUERY).get("shop") or {}
            for topic in WEBHOOK_SUBSCRIPTIONS.values():
                try:
                    self._shopify_call(
                        client.mutate,
                        shopify_client.WEBHOOK_CREATE,
                        {"topic": topic, "url": self.webhook_url},
                        "webhookSubscriptionCreate",
                    )
                except PermanentError as exc:
                    if "already been taken" not in exc.message:
                        raise
        except (PermanentError, TransientHttpError, RetryableError) as exc:
            raise UserError(self.env._("Shopify did not accept the setup: %s", exc)) from None
        except Exception as exc:  # noqa: BLE001 - any transport error is shown to the user
            raise UserError(self.env._("Shopify could not be reached: %s", exc)) from None
        self.message_post(
            body=self.env._(
                "Token checked for %(shop)s; webhooks registered: %(topics)s.",
                shop=shop.get("name") or self.shopify_shop_domain,
                topics=", ".join(WEBHOOK_SUBSCRIPTIONS),
            )
        )
        return True

    # ------------------------------------------------------------------ reconciliation
    def _shopify_reconcile(self, run):
        """Orders updated in the run's window (GraphQL, paginated, cost-throttled) against
        the sale orders bound to them; each difference carries the order as `orders/updated`
        would deliver it, so replaying it goes through the webhook handler."""
        client = self._shopify_client()
        binder = self.env["integration.external.id"]
        drifts, checked = [], 0
        nodes = client.orders_updated(run.date_from, run.date_to, RECONCILE_PAGE_SIZE, sleep=time.sleep)
        for node in self._shopify_call(list, nodes):
            checked += 1
            rest = shopify_client.rest_order_from_graphql(node)
            currency = (
                self.env["res.currency"]
                .with_context(active_test=False)
                .search([("name", "=", rest["currency"])], limit=1)
            )
            order = parse_order(rest, currency.decimal_places if currency else 2)
            remote_text = self._shopify_order_text(order.total_price, order.currency, order.financial_status,
                                                   order.cancelled)  # fmt: skip
            common = {
                "reference": f"{order.name} {order.total_price} {order.currency}",
                "external_id": order.id,
                "remote_value": remote_text,
                "payload": json.dumps(rest),
                "event_type": "orders/updated",
                "entity_key": order.id,
            }
            sale = binder._record_for(self, "sale.order", order.id)
            if not sale:
                unpaid = self.shopify_order_trigger == "paid" and order.financial_status not in PAID_STATUSES
                if not order.cancelled and not unpaid:
                    drifts.append({"issue": "missing_odoo", **common})
                continue
            invoiced = bool(
                sale.invoice_ids.filtered(lambda m: m.move_type == "out_invoice" and m.state == "posted")
            )
            differs = (
                (order.cancelled != (sale.state == "cancel"))
                or (
                    not order.cancelled
                    and sale.currency_id.compare_amounts(sale.amount_total, float(order.total_price))
                )
                or (order.financial_status in PAID_STATUSES and not invoiced)
            )
            if differs:
                status = self.env._("invoiced") if invoiced else self.env._("not invoiced")
                odoo_text = self._shopify_order_text(
                    sale.amount_total, sale.currency_id.name, status, sale.state == "cancel"
                )
                drifts.append(
                    {
                        "issue": "differs",
                        "res_model": "sale.order",
                        "res_id": sale.id,
                        "odoo_value": odoo_text,
                        **common,
                    }
                )
        run.checked_count = checked
        return drifts

    def _shopify_order_text(self, total, currency, status, cancelled):
        text = f"{total} {currency}, {status or '-'}"
        return text + (", " + self.env._("cancelled") if cancelled else "")

    # ------------------------------------------------------------------ business exceptions
    def _business_exceptions(self):
        result = super()._business_exceptions()
        if self.kind != "shopify":
            return result
        limit = fields.Datetime.now() - timedelta(minutes=self.shopify_stuck_minutes or 30)
        stuck = [
            ("backend_id", "=", self.id),
            ("event_type", "in", list(ORDER_TOPICS)),
            ("state", "not in", ("done", "ignored")),
            ("received_at", "<", limit),
        ]
        bound = (
            self.env["integration.external.id"]
            .sudo()
            .search([("backend_id", "=", self.id), ("model", "=", "sale.order")])
        )
        not_invoiced = [
            ("id", "in", bound.mapped("res_id")),
            ("state", "=", "sale"),
            ("shopify_financial_status", "in", list(PAID_STATUSES)),
            "|",
            ("invoice_ids", "=", False),
            ("invoice_status", "=", "to invoice"),  # e.g. edited in Shopify after it was invoiced
        ]
        result += [
            {
                "code": "shopify_orders_stuck",
                "label": self.env._(
                    "Shopify orders without a sale order after %s min", self.shopify_stuck_minutes
                ),
                "count": self.env["integration.event"].sudo().search_count(stuck),
                "threshold": 0,
                "action": {"res_model": "integration.event", "domain": stuck},
            },
            {
                "code": "shopify_invoices_missing",
                "label": self.env._("Paid Shopify orders not (fully) invoiced"),
                "count": self.env["sale.order"].sudo().search_count(not_invoiced),
                "threshold": 0,
                "action": {"res_model": "sale.order", "domain": not_invoiced},
            },
        ]
        return result
