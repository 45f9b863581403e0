"""orders/* deliveries become exactly one correct sale order: lines, taxes, totals to the
cent, stock reserved, invoiced and paid, cancelled, edited."""

from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import ShopifyCaseMixin, balanced, money_set, order_fixture, presentment_order, refund_fixture

ORDER_ID = 450789469


@tagged("post_install", "-at_install")
class TestShopifyOrders(ShopifyCaseMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_shopify()

    def _paid(self, order):
        order["financial_status"] = "paid"
        order["updated_at"] = "2008-01-10T11:05:00-05:00"
        return order

    def test_order_becomes_one_confirmed_sale_order_reserving_stock(self):
        for product in (self.green, self.red, self.black):
            self._stock(product, 3)
        order = balanced(order_fixture())
        order["shipping_lines"][0]["price"] = "7.50"
        balanced(order)
        event = self._deliver("orders/create", order)
        self.assertEqual(event.state, "done", event.error_message)
        sale = self._sale_for(ORDER_ID)
        self.assertEqual(event.result_ref, sale)
        self.assertEqual(sale.state, "sale")
        self.assertEqual(sale.client_order_ref, "#1001")
        self.assertEqual(sale.currency_id.name, "USD")
        self.assertEqual(sale.warehouse_id, self.warehouse)
        self.assertEqual(sale.partner_id.email, "bob.norman@hostmail.com")
        self.assertEqual(sale.partner_id.city, "Louisville")
        self.assertEqual(sale.partner_shipping_id, sale.partner_id, "ships to the customer's own address")
        self.assertFalse(sale.partner_id.child_ids)
        one = {"product_uom_qty": 1, "price_unit": 199.0}
        self.assertRecordValues(
            sale.order_line.sorted("id"),
            [
                {"shopify_line_ref": "466157049", "product_id": self.green.id, **one},
                {"shopify_line_ref": "518995019", "product_id": self.red.id, **one},
                # SKU IPOD2008BLACK is this product's barcode
                {"shopify_line_ref": "703073504", "product_id": self.black.id, **one},
                {"shopify_line_ref": "shipping:0", "product_id": self.shipping_product.id, **one,
                 "price_unit": 7.5},
                {"shopify_line_ref": "tax:State Tax:0.06", "product_id": self.tax_product.id, **one,
                 "price_unit": 11.94},
            ],
        )  # fmt: skip
        self.assertEqual(sale.amount_total, 616.44)  # 597 + 7.50 + 11.94, Shopify's total_price
        picking = sale.picking_ids
        self.assertEqual(picking.state, "assigned", "stock is reserved")
        self.assertEqual(picking.location_id, self.warehouse.lot_stock_id)
        self.assertEqual(picking.picking_type_id.warehouse_id, self.warehouse)

    def test_order_shipped_elsewhere_gets_a_delivery_contact(self):
        order = balanced(order_fixture())
        order["shipping_address"].update(address1="1 Market Street", zip="94105", city="San Francisco",
                                         province_code="CA", name="Alice Norman")  # fmt: skip
        self._deliver("orders/create", order)
        sale = self._sale_for(ORDER_ID)
        self.assertEqual(sale.partner_id.street, "Chestnut Street 92")
        shipping = sale.partner_shipping_id
        self.assertEqual((shipping.parent_id, shipping.type), (sale.partner_id, "delivery"))
        self.assertEqual(
            (shipping.name, shipping.city, shipping.state_id.code), ("Alice Norman", "San Francisco", "CA")
        )
        self.assertEqual(sale.picking_ids.partner_id, shipping)

    def test_line_and_order_discounts(self):
        order = order_fixture()
        order["line_items"][0]["discount_allocations"] = [{"amount": "20.00"}]
        order["total_discounts"] = "30.00"  # 20.00 on the green line, 10.00 (TENOFF) on the order
        event = self._deliver("orders/create", balanced(order))
        self.assertEqual(event.state, "done", event.error_message)
        sale = self._sale_for(ORDER_ID)
        self.assertEqual(self._line(sale, "discount:466157049").price_unit, -20.0)
        self.assertEqual(self._line(sale, "discount:order").price_unit, -10.0)
        self.assertEqual(sale.amount_total, 578.94)  # 597 - 30 + 11.94

    def test_prices_including_taxes_get_no_tax_line_on_top(self):
        order = order_fixture()
        order["taxes_included"] = True
        order["total_price"] = "597.00"  # the 11.94 of State Tax is inside the prices
        event = self._deliver("orders/create", order)
        self.assertEqual(event.state, "done", event.error_message)
        sale = self._sale_for(ORDER_ID)
        self.assertFalse(sale.order_line.filtered(lambda line: line.shopify_line_ref.startswith("tax:")))
        self.assertEqual(sale.amount_total, 597.0)

    def test_fixture_totals_that_do_not_add_up_fail_with_both_totals(self):
        # the fixture's total_price (409.94) is not its lines (597.00) plus tax (11.94)
        event = self._deliver("orders/create", order_fixture())
        self.assertEqual((event.state, event.error_class), ("failed", "permanent"))
        self.assertIn("608.94", event.error_message)
        self.assertIn("409.94", event.error_message)
        self.assertFalse(self._sale_for(ORDER_ID), "nothing half-made stays")
        self.assertFalse(self.env["sale.order"].search([("client_order_ref", "=", "#1001")]))

    def test_mapped_tax_policy_and_tax_mismatch(self):
        tax = self.env["account.tax"].create(
            {"name": "State Tax", "amount": 6.0, "amount_type": "percent", "type_tax_use": "sale"}
        )
        self.backend.shopify_tax_policy = "map"
        order = order_fixture()
        order["tax_lines"][0]["price"] = "35.82"  # 6% of 597.00
        event = self._deliver("orders/create", balanced(order))
        self.assertEqual(event.state, "done", event.error_message)
        sale = self._sale_for(ORDER_ID)
        self.assertEqual(sale.order_line.filtered("product_id.is_storable").tax_ids, tax)
        self.assertEqual((sale.amount_tax, sale.amount_total), (35.82, 632.82))

        other = order_fixture()
        other["id"] = 450789470
        other["name"] = "#1002"
        other["tax_lines"] = [{"price": "47.76", "rate": 0.08, "title": "City Tax"}]
        missing = self._deliver("orders/create", balanced(other))
        self.assertEqual((missing.state, missing.error_class), ("failed", "mapping"))
        self.assertIn("City Tax", missing.error_message)

        # Shopify charged 11.94 where Odoo computes 6% = 35.82: a mismatch, never rounded away
        wrong = order_fixture()
        wrong["id"], wrong["name"] = 450789471, "#1003"
        mismatch = self._deliver("orders/create", balanced(wrong))
        self.assertEqual((mismatch.state, mismatch.error_class), ("failed", "permanent"))
        self.assertIn("632.82", mismatch.error_message)
        self.assertIn("608.94", mismatch.error_message)

    def test_unknown_sku_fails_then_product_created_and_replayed(self):
        order = order_fixture()
        order["line_items"][1]["sku"] = "IPOD2008SILVER"
        event = self._deliver("orders/create", balanced(order))
        self.assertEqual((event.state, event.error_class), ("failed", "mapping"))
        self.assertIn(
            "product SKU IPOD2008SILVER not found", event.error_message.replace("Product", "product")
        )
        silver = self.env["product.product"].create(
            {"name": "iPod silver", "default_code": "IPOD2008SILVER", "type": "consu", "is_storable": True}
        )
        event.action_replay()
        self._process_events()
        self.assertEqual(event.state, "done", event.error_message)
        sale = self._sale_for(ORDER_ID)
        self.assertEqual(self._line(sale, "518995019").product_id, silver)
        self.assertEqual(self.env["sale.order"].search_count([("client_order_ref", "=", "#1001")]), 1)

    def test_multi_currency_order(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.env["res.currency.rate"].create({"currency_id": eur.id, "rate": 0.9, "name": "2008-01-01"})
        order = order_fixture()
        order["currency"] = "EUR"
        event = self._deliver("orders/create", balanced(order))
        self.assertEqual((event.state, event.error_class), ("failed", "mapping"))
        self.assertIn("no pricelist in EUR", event.error_message)
        pricelist = self.env["product.pricelist"].create({"name": "Shopify EUR", "currency_id": eur.id})
        self.backend.shopify_pricelist_ids = [Command.link(pricelist.id)]
        event.action_replay()
        self._process_events()
        self.assertEqual(event.state, "done", event.error_message)
        sale = self._sale_for(ORDER_ID)
        self.assertEqual((sale.currency_id, sale.pricelist_id), (eur, pricelist))
        self.assertEqual(sale.amount_total, 608.94, "Shopify's EUR prices, not converted list prices")
        paid = self._deliver("orders/paid", self._paid(balanced(order)))
        self.assertEqual(paid.state, "done", paid.error_message)
        self.assertEqual(sale.invoice_ids.currency_id, eur)
        self.assertIn(sale.invoice_ids.payment_state, ("in_payment", "paid"))

    def test_paid_order_is_invoiced_and_paid_once(self):
        journal = self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.env.company.id)], limit=1
        )
        self.backend.shopify_payment_journal_id = journal
        order = balanced(order_fixture())
        self._deliver("orders/create", order)
        sale = self._sale_for(ORDER_ID)
        self.assertFalse(sale.invoice_ids, "authorized, not paid yet")
        paid = self._paid(balanced(order_fixture()))
        event = self._deliver("orders/paid", paid)
        self.assertEqual(event.state, "done", event.error_message)
        invoice = sale.invoice_ids
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.amount_total, 608.94)
        self.assertIn(invoice.payment_state, ("in_payment", "paid"))
        payment = self.env["account.payment"].search([("memo", "=", invoice.name)])
        self.assertEqual((payment.amount, payment.journal_id), (608.94, journal))
        # orders/updated with the same paid state, e.g. Shopify re-sending: nothing twice
        again = self._deliver("orders/updated", paid)
        self.assertEqual(again.state, "done", again.error_message)
        self.assertEqual(len(sale.invoice_ids), 1)
        self.assertEqual(len(self.env["account.payment"].search([("memo", "=", invoice.name)])), 1)
        checks = {check["code"]: check["count"] for check in self.backend._business_exceptions()}
        self.assertEqual(checks["shopify_invoices_missing"], 0)
        # edited in Shopify after it was invoiced: the difference is a business exception
        edited = self._paid(balanced(order_fixture()))
        edited["updated_at"] = "2008-01-11T09:00:00-05:00"
        edited["line_items"][0]["quantity"] = 2
        self.assertEqual(self._deliver("orders/updated", balanced(edited)).state, "done")
        checks = {check["code"]: check["count"] for check in self.backend._business_exceptions()}
        self.assertEqual(checks["shopify_invoices_missing"], 1)

    def test_location_and_gateway_choose_warehouse_and_journal(self):
        second = self.env["stock.warehouse"].create({"name": "East coast", "code": "EAST"})
        cash = self.env["account.journal"].create({"name": "Authorize.net", "type": "bank", "code": "ANET"})
        self.backend.write(
            {
                "shopify_location_ids": [
                    Command.create({"location_ref": "905684977", "warehouse_id": second.id})
                ],
                "shopify_gateway_ids": [Command.create({"gateway": "authorize_net", "journal_id": cash.id})],
            }
        )
        order = self._paid(balanced(order_fixture()))
        order["location_id"] = 905684977
        event = self._deliver("orders/paid", order)
        self.assertEqual(event.state, "done", event.error_message)
        sale = self._sale_for(ORDER_ID)
        self.assertEqual(sale.warehouse_id, second)
        self.assertEqual(sale.picking_ids.picking_type_id.warehouse_id, second)
        invoice = sale.invoice_ids
        payment = self.env["account.payment"].search([("reconciled_invoice_ids", "in", invoice.ids)])
        self.assertEqual(payment.journal_id, cash, "the order's gateway (authorize_net) has its journal")

    def test_paid_only_trigger_waits_for_payment(self):
        self.backend.shopify_order_trigger = "paid"
        event = self._deliver("orders/create", balanced(order_fixture()))
        self.assertEqual(event.state, "done")
        self.assertIn("paid orders only", event.result_note)
        self.assertFalse(self._sale_for(ORDER_ID))
        self._deliver("orders/paid", self._paid(balanced(order_fixture())))
        self.assertEqual(self._sale_for(ORDER_ID).state, "sale")

    def test_cancelled_order_is_cancelled(self):
        self._deliver("orders/create", balanced(order_fixture()))
        sale = self._sale_for(ORDER_ID)
        cancelled = balanced(order_fixture())
        cancelled.update(cancelled_at="2008-01-10T12:00:00-05:00", updated_at="2008-01-10T12:00:00-05:00",
                         cancel_reason="customer")  # fmt: skip
        event = self._deliver("orders/cancelled", cancelled)
        self.assertEqual(event.state, "done", event.error_message)
        self.assertEqual(sale.state, "cancel")
        self.assertEqual(sale.picking_ids.state, "cancel")

    def test_cancel_after_delivery_fails_with_a_reason(self):
        for product in (self.green, self.red, self.black):
            self._stock(product, 1)
        self._deliver("orders/create", balanced(order_fixture()))
        sale = self._sale_for(ORDER_ID)
        sale.picking_ids.button_validate()
        self.assertEqual(sale.picking_ids.state, "done")
        cancelled = balanced(order_fixture())
        cancelled.update(cancelled_at="2008-01-10T12:00:00-05:00", updated_at="2008-01-10T12:00:00-05:00")
        event = self._deliver("orders/cancelled", cancelled)
        self.assertEqual((event.state, event.error_class), ("failed", "permanent"))
        self.assertIn("already delivered", event.error_message)
        self.assertEqual(sale.state, "sale")

    def test_edit_after_confirmation_updates_the_same_order(self):
        for product in (self.green, self.red, self.black):
            self._stock(product, 5)
        self._deliver("orders/create", balanced(order_fixture()))
        sale = self._sale_for(ORDER_ID)
        self.assertEqual(sale.state, "sale")
        edited = order_fixture()
        edited["updated_at"] = "2008-01-11T09:00:00-05:00"
        edited["line_items"][0]["quantity"] = 3  # green: 1 -> 3
        edited["line_items"][1]["current_quantity"] = 0  # red removed
        added = dict(edited["line_items"][2], id=703073599, sku="IPOD2008GREEN", price="189.00", quantity=1)
        edited["line_items"].append(added)  # a new line
        event = self._deliver("orders/updated", balanced(edited))
        self.assertEqual(event.state, "done", event.error_message)
        self.assertEqual(self._sale_for(ORDER_ID), sale)
        self.assertEqual(self.env["sale.order"].search_count([("client_order_ref", "=", "#1001")]), 1)
        self.assertEqual(self._line(sale, "466157049").product_uom_qty, 3)
        self.assertEqual(self._line(sale, "518995019").product_uom_qty, 0)
        self.assertEqual(self._line(sale, "703073599").price_unit, 189.0)
        self.assertEqual(sale.amount_total, float(edited["total_price"]))
        moves = sale.picking_ids.filtered(lambda p: p.state not in ("done", "cancel")).move_ids
        self.assertEqual(
            sum(moves.filtered(lambda m: m.product_id == self.green).mapped("product_uom_qty")), 4
        )
        self.assertFalse(sum(moves.filtered(lambda m: m.product_id == self.red).mapped("product_uom_qty")))


def transaction(ident, kind, gateway, amount, currency="USD", status="success", parent=None):
    return {"id": ident, "kind": kind, "gateway": gateway, "amount": amount, "currency": currency,
            "status": status, "parent_id": parent}  # fmt: skip


@tagged("post_install", "-at_install")
class TestShopifyOrderBooks(ShopifyCaseMixin, HttpCase):
    """Issue 15: payments per transaction, gift cards, presentment currency, duties and tips,
    shipping discounts, the total-mismatch message."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_shopify()
        env = cls.env
        cls.card_journal = env["account.journal"].create(
            {"name": "Shopify Payments", "type": "bank", "code": "SHPY"}
        )
        cls.gift_journal = env["account.journal"].create(
            {"name": "Shopify gift cards", "type": "bank", "code": "SHGC"}
        )
        cls.gift_account = env["account.account"].create(
            {
                "name": "Gift cards sold",
                "code": "215900",
                "account_type": "liability_current",
                "reconcile": True,
            }
        )
        cls.backend.write(
            {
                "shopify_gift_card_account_id": cls.gift_account.id,
                "shopify_gateway_ids": [
                    Command.create({"gateway": "shopify_payments", "journal_id": cls.card_journal.id}),
                    Command.create({"gateway": "gift_card", "journal_id": cls.gift_journal.id}),
                ],
            }
        )

    def _payments(self, invoice):
        return self.env["account.payment"].search([("memo", "=", invoice.name)]) | self.env[
            "account.payment"
        ].search([("reconciled_invoice_ids", "in", invoice.ids)])

    def test_gift_card_and_card_are_two_payments_authorisation_waits_for_capture(self):
        order = balanced(order_fixture())
        order.update(financial_status="paid", updated_at="2008-01-10T11:05:00-05:00")
        order["transactions"] = [
            transaction(1, "sale", "gift_card", "100.00"),
            transaction(2, "authorization", "shopify_payments", "508.94"),
            transaction(3, "sale", "bogus", "5.00", status="failure"),
        ]
        event = self._deliver("orders/paid", order)
        self.assertEqual(event.state, "done", event.error_message)
        invoice = self._sale_for(ORDER_ID).invoice_ids
        self.assertEqual(invoice.amount_total, 608.94)
        [gift] = self._payments(invoice)
        self.assertEqual((gift.amount, gift.journal_id), (100.0, self.gift_journal))
        self.assertEqual(gift.outstanding_account_id, self.gift_account, "against the gift-card liability")
        self.assertEqual(invoice.amount_residual, 508.94, "the authorisation is not booked")
        # captured later: orders/updated lists the capture; the gift card is not booked again
        order = dict(order, updated_at="2008-01-10T12:00:00-05:00")
        capture = transaction(4, "capture", "shopify_payments", "508.94", parent=2)
        order["transactions"] = [*order["transactions"], capture]
        event = self._deliver("orders/updated", order)
        self.assertEqual(event.state, "done", event.error_message)
        payments = self._payments(invoice)
        self.assertEqual(len(payments), 2)
        card = payments - gift
        self.assertEqual((card.amount, card.journal_id), (508.94, self.card_journal))
        self.assertIn(invoice.payment_state, ("in_payment", "paid"))
        self.assertEqual(invoice.amount_residual, 0.0)

    def test_transaction_webhooks_book_one_payment_each(self):
        self.backend.shopify_pay_by_transaction = True
        gift = dict(transaction(41, "sale", "gift_card", "100.00"), order_id=ORDER_ID)
        early = self._deliver("order_transactions/create", gift)
        self.assertEqual(early.state, "retry", "the order is not in Odoo yet: it waits")
        order = balanced(order_fixture())
        order.update(financial_status="paid")
        self.assertEqual(self._deliver("orders/paid", order).state, "done")
        invoice = self._sale_for(ORDER_ID).invoice_ids
        self.assertEqual((invoice.state, invoice.amount_residual), ("posted", 608.94), "no payment guessed")
        # its retry (replayed here instead of waiting for the backoff) finds the invoice
        early.action_replay()
        self._process_events()
        self.assertEqual(early.state, "done", early.error_message)
        card = dict(transaction(42, "sale", "shopify_payments", "508.94"), order_id=ORDER_ID)
        self.assertEqual(self._deliver("order_transactions/create", card).state, "done")
        payments = self._payments(invoice)
        self.assertEqual(sorted(payments.mapped("amount")), [100.0, 508.94])
        self.assertEqual(
            payments.filtered(lambda p: p.amount == 100.0).outstanding_account_id, self.gift_account
        )
        self.assertEqual(invoice.amount_residual, 0.0)
        again = self._deliver("order_transactions/create", card)
        self.assertIn("already booked", again.result_note)
        authorised = dict(transaction(43, "authorization", "shopify_payments", "1.00"), order_id=ORDER_ID)
        self.assertIn("books no payment", self._deliver("order_transactions/create", authorised).result_note)
        self.assertEqual(len(self._payments(invoice)), 2)

    def test_refund_back_to_gift_card_and_card_is_two_refund_payments(self):
        order = balanced(order_fixture())
        order.update(financial_status="paid")
        order["transactions"] = [
            transaction(51, "sale", "gift_card", "100.00"),
            transaction(52, "sale", "shopify_payments", "508.94"),
        ]
        self.assertEqual(self._deliver("orders/paid", order).state, "done")
        refund = refund_fixture()
        refund["refund_line_items"] = refund["refund_line_items"][:1]  # 199.00 + 3.98 tax
        [money] = refund["transactions"]
        refund["transactions"] = [
            dict(money, id=61, amount="100.00", gateway="gift_card"),
            dict(money, id=62, amount="102.98", gateway="shopify_payments"),
        ]
        event = self._deliver("refunds/create", refund)
        self.assertEqual(event.state, "done", event.error_message)
        credit_note = event.result_ref
        self.assertEqual((credit_note.amount_total, credit_note.amount_residual), (202.98, 0.0))
        payments = self.env["account.payment"].search([("reconciled_invoice_ids", "in", credit_note.ids)])
        self.assertEqual(sorted(payments.mapped("amount")), [100.0, 102.98])
        self.assertEqual(set(payments.mapped("payment_type")), {"outbound"})
        back_on_card = payments.filtered(lambda p: p.amount == 100.0)
        self.assertEqual(
            back_on_card.outstanding_account_id, self.gift_account, "the gift card liability again"
        )
        self.assertEqual(payments.filtered(lambda p: p.amount == 102.98).journal_id, self.card_journal)

    def test_customer_matched_by_email_unless_it_is_another_shopify_customer(self):
        existing = self.env["res.partner"].create(
            {"name": "Bob (from the shop)", "email": "Bob.Norman@hostmail.com"}
        )
        self.assertEqual(self._deliver("orders/create", balanced(order_fixture())).state, "done")
        self.assertEqual(self._sale_for(ORDER_ID).partner_id, existing, "the same email: the same contact")
        bound = self.env["integration.external.id"]._record_for(self.backend, "res.partner", "207119551")
        self.assertEqual(bound, existing)
        other = balanced(order_fixture())
        other.update(id=450789480, name="#1080")
        other["customer"] = dict(other["customer"], id=207119999)  # another Shopify customer, same email
        self.assertEqual(self._deliver("orders/create", other).state, "done")
        self.assertNotEqual(self._sale_for(450789480).partner_id, existing)

    def test_two_card_transactions_are_two_payments(self):
        order = balanced(order_fixture())
        order.update(financial_status="paid")
        order["transactions"] = [
            transaction(11, "sale", "shopify_payments", "300.00"),
            transaction(12, "sale", "shopify_payments", "308.94"),
        ]
        self.assertEqual(self._deliver("orders/paid", order).state, "done")
        invoice = self._sale_for(ORDER_ID).invoice_ids
        self.assertEqual(sorted(self._payments(invoice).mapped("amount")), [300.0, 308.94])
        self.assertEqual(invoice.amount_residual, 0.0)

    def test_gift_card_without_liability_account_says_what_to_set(self):
        self.backend.shopify_gift_card_account_id = False
        order = balanced(order_fixture())
        order.update(financial_status="paid", transactions=[transaction(1, "sale", "gift_card", "608.94")])
        event = self._deliver("orders/paid", order)
        self.assertEqual((event.state, event.error_class), ("failed", "mapping"))
        self.assertIn("gift card liability account", event.error_message)

    def _eur(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.env["res.currency.rate"].create({"currency_id": eur.id, "rate": 0.9, "name": "2008-01-01"})
        pricelist = self.env["product.pricelist"].create({"name": "Shopify EUR", "currency_id": eur.id})
        self.backend.shopify_pricelist_ids = [Command.link(pricelist.id)]
        return eur

    def test_presentment_currency_invoice_checked_against_shop_money(self):
        eur = self._eur()
        self.assertEqual(self.env.company.currency_id.name, "USD")
        order = presentment_order()
        order["transactions"] = [
            transaction(21, "sale", "gift_card", "100.00", "EUR"),
            transaction(22, "sale", "shopify_payments", "389.60", "EUR"),
        ]
        event = self._deliver("orders/paid", order)
        self.assertEqual(event.state, "done", event.error_message)
        sale = self._sale_for(ORDER_ID)
        self.assertEqual((sale.currency_id, sale.amount_total), (eur, 489.60))
        invoice = sale.invoice_ids
        self.assertEqual((invoice.currency_id, invoice.amount_total), (eur, 489.60))
        self.assertEqual(invoice.amount_total_signed, 612.00, "Shopify's shop_money, not Odoo's 0.9 rate")
        self.assertEqual(sorted(self._payments(invoice).mapped("amount")), [100.0, 389.60])
        self.assertEqual(invoice.amount_residual, 0.0)

    def test_presentment_shop_money_that_does_not_match_fails_with_both(self):
        self._eur()
        order = presentment_order()
        order["total_price_set"] = money_set("612.01", "489.60")
        event = self._deliver("orders/paid", order)
        self.assertEqual((event.state, event.error_class), ("failed", "permanent"))
        self.assertIn("612.00", event.error_message)
        self.assertIn("612.01", event.error_message)

    def test_shop_currency_is_a_backend_choice(self):
        self._eur()
        self.backend.shopify_invoice_currency = "shop"
        event = self._deliver("orders/paid", presentment_order())
        self.assertEqual(event.state, "done", event.error_message)
        invoice = self._sale_for(ORDER_ID).invoice_ids
        self.assertEqual((invoice.currency_id.name, invoice.amount_total), ("USD", 612.00))

    def test_duties_and_tips_are_lines(self):
        service = {"type": "service", "invoice_policy": "order", "taxes_id": [Command.clear()]}
        duty = self.env["product.product"].create({"name": "Duties", **service})
        tip = self.env["product.product"].create({"name": "Tip", **service})
        self.backend.write({"shopify_duty_product_id": duty.id, "shopify_tip_product_id": tip.id})
        order = balanced(order_fixture())
        order["line_items"][0]["duties"] = [{"id": 9001, "price_set": money_set("12.35", "12.35")}]
        order["total_tip_received"] = "5.00"
        order["total_price"] = "626.29"  # 608.94 + 12.35 + 5.00
        event = self._deliver("orders/create", order)
        self.assertEqual(event.state, "done", event.error_message)
        sale = self._sale_for(ORDER_ID)
        self.assertEqual(self._line(sale, "duty:9001").price_unit, 12.35)
        self.assertEqual(self._line(sale, "tip").price_unit, 5.0)
        self.assertEqual(sale.amount_total, 626.29)

    def test_shipping_discount_is_counted_once(self):
        order = order_fixture()
        order["shipping_lines"][0].update(price="10.00", discount_allocations=[{"amount": "10.00"}])
        order["total_discounts"] = "10.00"  # Shopify's total counts the shipping discount too
        order = balanced(order)  # 597.00 - 10.00 + 10.00 + 11.94
        event = self._deliver("orders/create", order)
        self.assertEqual(event.state, "done", event.error_message)
        sale = self._sale_for(ORDER_ID)
        self.assertEqual(self._line(sale, "shipping:0").price_unit, 0.0)
        self.assertFalse(self._line(sale, "discount:order"), "no second discount for the same 10.00")
        self.assertEqual(sale.amount_total, 608.94)

    def test_total_mismatch_names_the_tax_policy_and_what_each_side_counted(self):
        event = self._deliver("orders/create", order_fixture())
        self.assertEqual((event.state, event.error_class), ("failed", "permanent"))
        self.assertIn("Tax policy 'Shopify's tax lines (fixed amounts)'", event.error_message)
        self.assertIn("Odoo counted 11.94 of taxes and 597.00 before taxes", event.error_message)
        self.assertIn("Shopify counted 11.94 of taxes and 398.00 before taxes", event.error_message)
