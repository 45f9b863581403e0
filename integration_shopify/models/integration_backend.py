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
from odoo.addons.integration_core.lib.signatures import SignatureMismatch
from odoo.exceptions import UserError

from ..const import (
    CUSTOMER_POLICIES,
    CUSTOMER_TOPICS,
    DEFAULT_API_VERSION,
    FULFILLMENT_TOPICS,
    INVOICE_CURRENCIES,
    ORDER_TOPICS,
    ORDER_TRIGGERS,
    PAID_STATUSES,
    PAYOUT_PULL_DAYS,
    PRODUCT_TOPICS,
    REFUND_TOPICS,
    TAX_POLICIES,
    TOPIC_RESOURCES,
    TRANSACTION_TOPICS,
    WEBHOOK_SUBSCRIPTIONS,
)
from ..lib import client as shopify_client
from ..lib import schemas, signatures
from ..lib.mapping import summary_of
from ..lib.orders import parse_time
from ..lib.schemas import ShopifyPayloadError
from ..lib.signatures import verify_shopify_hmac


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
    shopify_duty_product_id = fields.Many2one("product.product", string="Duties Product")
    shopify_tip_product_id = fields.Many2one("product.product", string="Tip Product")
    shopify_gift_card_account_id = fields.Many2one(
        "account.account",
        string="Gift Card Liability Account",
        check_company=True,
        help="Payments by Shopify gift card settle the invoice against this account (the gift "
        "card was a liability since it was sold), not a bank journal.",
    )
    shopify_payouts = fields.Boolean(
        string="Shopify Payments Payouts",
        help="Read Shopify Payments payouts and their balance transactions: fees booked, each payout "
        "checked against what its transactions add up to (reconciliation and the pull cron).",
    )
    shopify_fee_account_id = fields.Many2one(
        "account.account", string="Shopify Payments Fee Account", check_company=True
    )
    shopify_payout_account_id = fields.Many2one(
        "account.account",
        string="Payout Transfer Account",
        check_company=True,
        help="Payouts leave Shopify Payments to this account (the company's internal transfer "
        "account when empty), where the bank statement line of the payout is matched.",
    )
    shopify_payout_ids = fields.One2many("integration.shopify.payout", "backend_id", string="Shopify Payouts")
    shopify_pay_by_transaction = fields.Boolean(
        string="Payments from Transactions",
        help="Book one payment per order_transactions/create webhook (split payments, gift cards, "
        "captures). When off, a paid order without its transactions is paid through its gateway "
        "in one payment.",
    )
    shopify_invoice_currency = fields.Selection(
        INVOICE_CURRENCIES,
        string="Invoice Currency",
        default="presentment",
        help="An order paid in another currency than the shop's: invoice it in the currency the "
        "customer paid (checked against Shopify's shop-currency amounts), or in the shop's.",
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

    def _pull_changes(self):
        if self.kind != "shopify":
            return super()._pull_changes()
        if self.shopify_payouts:
            now = fields.Datetime.now()
            self._shopify_pull_payouts(now - timedelta(days=PAYOUT_PULL_DAYS), now)
        return None

    def _source_url(self, event):
        if event.backend_id.kind != "shopify" or not self.shopify_shop_domain or not event.entity_key:
            return super()._source_url(event)
        key = event.entity_key
        if key.startswith("customer:"):
            return f"https://{self.shopify_shop_domain}/admin/customers/{key.split(':', 1)[1]}"
        if key.startswith("product:"):
            return f"https://{self.shopify_shop_domain}/admin/products/{key.split(':', 1)[1]}"
        return f"https://{self.shopify_shop_domain}/admin/orders/{key}"

    def _missing_credentials(self):
        if self.kind != "shopify":
            return super()._missing_credentials()
        missing = []
        if not self.webhook_secret:
            missing.append(
                (
                    self.env._("App client secret (webhook signing)"),
                    self.env._("every Shopify delivery is refused (401)"),
                )
            )
        if not self.shopify_shop_domain:
            missing.append(
                (
                    self.env._("Shop domain"),
                    self.env._("Odoo cannot call Shopify, and 'Open in Shopify' links are missing"),
                )
            )
        if not self.shopify_access_token:
            missing.append(
                (
                    self.env._("Admin API access token"),
                    self.env._(
                        "fulfilments and stock levels are not sent to Shopify (they wait in Outbound), "
                        "webhook registration, the initial import and reconciliation do not run"
                    ),
                )
            )
        return missing

    def _webhook_verify(self, delivery):
        if self.kind != "shopify":
            return super()._webhook_verify(delivery)
        headers, body = delivery.headers, delivery.body
        try:
            verify_shopify_hmac(body, headers.get(signatures.HEADER), self._webhook_secrets())
        except SignatureMismatch as exc:
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
        # Shopify's dedup key: one event delivered to several subscriptions (or re-sent) keeps
        # its X-Shopify-Event-Id; each delivery has its own webhook id.
        event_id = (headers.get("X-Shopify-Event-Id") or "").strip() or webhook_id
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, ValueError) as exc:
            raise PayloadError(f"body is not JSON: {exc}") from None
        resource = TOPIC_RESOURCES.get(topic)
        try:
            if resource is None:
                # stored and acknowledged (Shopify drops subscriptions that keep failing);
                # the handler notes that this connector does not act on it
                if not isinstance(payload, dict):
                    raise ShopifyPayloadError("the body is not a JSON object")
                entity, occurred, summary = "", None, ""
            else:
                typed = schemas.parse(resource, payload)
                entity, occurred = self._shopify_entity(resource, typed)
                summary = summary_of(resource, typed)
            occurred = parse_time(occurred or headers.get("X-Shopify-Triggered-At"))
        except ShopifyPayloadError as exc:
            raise PayloadError(str(exc).splitlines()[0]) from None
        envelope = Envelope(
            external_event_id=event_id,
            event_type=topic,
            entity_key=entity,
            occurred_at=occurred,
            payload=body.decode(),
            summary=summary,
        )
        return [envelope]

    def _shopify_entity(self, resource, data):
        """(entity key, version time) of a typed payload: the events of one order run in order."""
        if resource == "refund":
            return data.order_id or "", data.created_at
        if resource == "fulfillment":
            return data.order_id, data.updated_at or data.created_at
        if resource == "transaction":
            # not the order's key: a transaction that waits for its invoice must not hold up
            # the order's own events behind it
            return f"transaction:{data.order_id or ''}", data.processed_at or data.created_at
        if resource in ("customer", "product"):
            return f"{resource}:{data.id}", data.updated_at
        return data.id, data.updated_at

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
            # parsed once into the typed payload the handler reads
            data = schemas.parse(TOPIC_RESOURCES[event.event_type], event._payload_json())
            return handler(event, data)
        except ShopifyPayloadError as exc:
            raise PayloadError(self.env._("The Shopify payload cannot be read: %s", exc)) from None

    def _shopify_topic_handlers(self):
        """Webhook topic -> the method that applies it (its payload typed per TOPIC_RESOURCES)."""
        handlers = {}
        for topics, handler in (
            (ORDER_TOPICS, self._shopify_apply_order),
            (REFUND_TOPICS, self._shopify_apply_refund),
            (CUSTOMER_TOPICS, self._shopify_apply_customer),
            (PRODUCT_TOPICS, self._shopify_apply_product),
            (FULFILLMENT_TOPICS, self._shopify_apply_fulfillment),
            (TRANSACTION_TOPICS, self._shopify_apply_transaction),
        ):
            handlers.update(dict.fromkeys(topics, handler))
        return handlers

    # ------------------------------------------------------------------ outbound
    def _shopify_client(self):
        self.ensure_one()
        backend = self.sudo()
        missing = [
            label
            for label, value in (
                (self.env._("the shop domain"), backend.shopify_shop_domain),
                (self.env._("the Admin API access token"), backend.shopify_access_token),
            )
            if not value
        ]
        if missing:
            raise PermanentError(
                self.env._(
                    "Set %(missing)s on backend %(backend)s (Shopify tab), then retry.",
                    missing=self.env._(" and ").join(missing),
                    backend=self.name,
                )
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
        self._check_manager()  # it calls Shopify
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
        unshipped = [
            ("backend_id", "=", self.id),
            ("event_type", "in", list(FULFILLMENT_TOPICS)),
            ("state", "in", ("failed", "dead")),
        ]
        result += [
            {
                "code": "shopify_fulfillments_not_validated",
                "label": self.env._("Shipped in Shopify (or by a 3PL), not validated in Odoo"),
                "count": self.env["integration.event"].sudo().search_count(unshipped),
                "threshold": 0,
                "action": {"res_model": "integration.event", "domain": unshipped},
            },
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
