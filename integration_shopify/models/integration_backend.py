"""The `shopify` backend kind: settings, webhook check and envelope, the dispatch of each
topic, the GraphQL client and setup actions. The handlers live beside it by concern: orders,
refunds, catalog (customers, products, initial import), fulfillment (what Odoo sends) and
reconciliation (`integration_backend_<concern>.py`)."""

import json
from datetime import timedelta

from odoo import fields, models
from odoo.addons.integration_core.exceptions import (
    PayloadError,
    PermanentError,
    RetryableError,
    SignatureError,
)
from odoo.addons.integration_core.lib.envelope import Envelope
from odoo.addons.integration_core.lib.http_client import TransientHttpError
from odoo.exceptions import UserError

from ..const import (
    CUSTOMER_POLICIES,
    CUSTOMER_TOPICS,
    DEFAULT_API_VERSION,
    HANDLED_TOPICS,
    ORDER_TOPICS,
    ORDER_TRIGGERS,
    PAID_STATUSES,
    PRODUCT_TOPICS,
    REFUND_TOPICS,
    TAX_POLICIES,
    WEBHOOK_SUBSCRIPTIONS,
)
from ..lib import client as shopify_client
from ..lib.orders import (
    ShopifyPayloadError,
    parse_time,
    unwrap,
)
from ..lib.signatures import ShopifySignatureError, verify_shopify_hmac


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

    def _reconcile_supported(self):
        if self.kind != "shopify":
            return super()._reconcile_supported()
        return True

    def _source_url(self, event):
        if event.backend_id.kind != "shopify" or not self.shopify_shop_domain or not event.entity_key:
            return super()._source_url(event)
        key = event.entity_key
        if key.startswith("customer:"):
            return f"https://{self.shopify_shop_domain}/admin/customers/{key.split(':', 1)[1]}"
        if key.startswith("product:"):
            return f"https://{self.shopify_shop_domain}/admin/products/{key.split(':', 1)[1]}"
        return f"https://{self.shopify_shop_domain}/admin/orders/{key}"

    def _webhook_verify(self, delivery):
        if self.kind != "shopify":
            return super()._webhook_verify(delivery)
        headers, body = delivery.headers, delivery.body
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

    def _webhook_parse(self, delivery):
        if self.kind != "shopify":
            return super()._webhook_parse(delivery)
        headers, body = delivery.headers, delivery.body
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
                payload=body.decode(),
            )
        except (ShopifyPayloadError, ValueError) as exc:
            raise PayloadError(str(exc).splitlines()[0]) from None
        return [envelope]

    def _handle_event(self, event):
        if self.kind != "shopify":
            return super()._handle_event(event)
        handler = self._shopify_topic_handlers().get(event.event_type)
        if handler is None:
            event._note_result(
                self.env._("Ignored: topic %s is not handled by this connector.", event.event_type)
            )
            return None
        try:
            return handler(event)
        except ShopifyPayloadError as exc:
            raise PayloadError(self.env._("The Shopify payload cannot be read: %s", exc)) from None

    def _shopify_topic_handlers(self):
        """Webhook topic -> the method that applies it."""
        handlers = {}
        for topics, handler in (
            (ORDER_TOPICS, self._shopify_apply_order),
            (REFUND_TOPICS, self._shopify_apply_refund),
            (CUSTOMER_TOPICS, self._shopify_apply_customer),
            (PRODUCT_TOPICS, self._shopify_apply_product),
        ):
            handlers.update(dict.fromkeys(topics, handler))
        return handlers

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
            # Edited in Shopify after it was invoiced. A refund's credit note also puts the order
            # back to "to invoice" in Odoo: refunded orders are not missing an invoice.
            "&",
            ("invoice_status", "=", "to invoice"),
            ("invoice_ids", "not any", [("move_type", "=", "out_refund")]),
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
