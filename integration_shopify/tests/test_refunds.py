"""refunds/create: credit note for the refunded lines and shipping, refund payment, return."""

from odoo.tests import HttpCase, tagged

from .common import ShopifyCaseMixin, balanced, order_fixture, refund_fixture

ORDER_ID = 450789469


def updated_after_refund(refund):
    """The orders/updated Shopify sends after `refund` of the black iPod (shipping 7.50): the
    line's current_quantity is 0 and the current total 210.48 lower (616.44 - 210.48)."""
    updated = order_fixture()
    updated["shipping_lines"][0]["price"] = "7.50"
    balanced(updated)
    updated.update(
        financial_status="partially_refunded",
        updated_at="2016-06-20T13:36:00-04:00",
        refunds=[refund],
        current_total_price="405.96",
    )
    for item in updated["line_items"]:
        item["current_quantity"] = 0 if item["id"] == 703073504 else item["quantity"]
    return updated


@tagged("post_install", "-at_install")
class TestShopifyRefunds(ShopifyCaseMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_shopify()

    def _paid_and_delivered_order(self):
        for product in (self.green, self.red, self.black):
            self._stock(product, 2)
        order = order_fixture()
        order["shipping_lines"][0]["price"] = "7.50"
        order["financial_status"] = "paid"
        event = self._deliver("orders/paid", balanced(order))
        self.assertEqual(event.state, "done", event.error_message)
        sale = self._sale_for(ORDER_ID)
        sale.picking_ids.button_validate()
        self.assertEqual(sale.picking_ids.state, "done")
        return sale

    def _partial_refund(self):
        """Shopify's refund fixture cut to its black iPod line, plus the shipping, restocked."""
        refund = refund_fixture()
        refund["refund_line_items"] = refund["refund_line_items"][:1]  # IPOD2008BLACK, tax 3.98
        refund["order_adjustments"] = [{"kind": "shipping_refund", "amount": "-7.50", "tax_amount": "0.00"}]
        refund["transactions"][0]["amount"] = "210.48"  # 199.00 + 3.98 + 7.50
        return refund

    def test_partial_refund_with_restock(self):
        sale = self._paid_and_delivered_order()
        on_hand_before = self.black.qty_available
        event = self._deliver("refunds/create", self._partial_refund())
        self.assertEqual(event.state, "done", event.error_message)
        credit_note = event.result_ref
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(
            credit_note.reversed_entry_id, sale.invoice_ids.filtered(lambda m: m.move_type == "out_invoice")
        )
        self.assertEqual(credit_note.amount_total, 210.48)
        lines = credit_note.invoice_line_ids
        self.assertEqual(lines.filtered(lambda line: line.product_id == self.black).quantity, 1)
        self.assertEqual(
            lines.filtered(lambda line: line.product_id == self.shipping_product).price_unit, 7.5
        )
        self.assertEqual(lines.filtered(lambda line: line.product_id == self.tax_product).price_unit, 3.98)
        self.assertIn(credit_note.payment_state, ("in_payment", "paid"), "refund payment registered")
        refund_payment = self.env["account.payment"].search(
            [("reconciled_invoice_ids", "in", credit_note.ids)]
        )
        self.assertEqual((refund_payment.payment_type, refund_payment.amount), ("outbound", 210.48))
        returns = sale.picking_ids.filtered(lambda p: p.picking_type_code == "incoming")
        self.assertEqual(len(returns), 1, "a return for the restocked item")
        self.assertEqual(returns.move_ids.product_id, self.black)
        self.assertEqual(returns.move_ids.product_uom_qty, 1)
        checks = {check["code"]: check["count"] for check in self.backend._business_exceptions()}
        self.assertEqual(checks["shopify_invoices_missing"], 0, "a refunded order is not missing an invoice")
        returns.button_validate()
        self.assertEqual(self.black.qty_available, on_hand_before + 1)

        # the same refund delivered again (another webhook id): no second credit note
        again = self._deliver("refunds/create", self._partial_refund())
        self.assertEqual(again.state, "done")
        self.assertEqual(again.result_ref, credit_note)
        self.assertEqual(len(sale.picking_ids.filtered(lambda p: p.picking_type_code == "incoming")), 1)

        # Shopify then sends orders/updated: the refunded line's current_quantity is 0 and the
        # current total is lower; the sale order keeps what was sold (the refund is the credit note)
        updated = updated_after_refund(self._partial_refund())
        event = self._deliver("orders/updated", updated)
        self.assertEqual(event.state, "done", event.error_message)
        self.assertEqual(self._line(sale, "703073504").product_uom_qty, 1)
        self.assertEqual(sale.amount_total, 616.44)
        self.assertEqual(len(sale.invoice_ids.filtered(lambda m: m.move_type == "out_invoice")), 1)

    def test_refunded_and_restocked_order_is_not_to_invoice_again(self):
        """Odoo counts a credit note as less invoiced: the order would go back to *To Invoice*
        with Create Invoice first. A Shopify refund is money given back, not to invoice."""
        sale = self._paid_and_delivered_order()
        self.assertEqual(sale.invoice_status, "invoiced")
        event = self._deliver("refunds/create", self._partial_refund())
        self.assertEqual(event.state, "done", event.error_message)
        self.assertEqual(sale.invoice_status, "invoiced")
        self.assertFalse(any(sale.order_line.mapped("qty_to_invoice")))
        black = sale.order_line.filtered(lambda line: line.product_id == self.black)
        self.assertEqual(black.qty_invoiced, 0.0, "Odoo's own figure stays: invoiced 1, credited 1")

    def test_refund_with_mapped_taxes_credits_the_same_odoo_tax(self):
        tax = self.env["account.tax"].create(
            {"name": "State Tax", "amount": 6.0, "amount_type": "percent", "type_tax_use": "sale"}
        )
        self.backend.shopify_tax_policy = "map"
        for product in (self.green, self.red, self.black):
            self._stock(product, 1)
        order = order_fixture()
        order["tax_lines"][0]["price"] = "35.82"  # 6% of 597.00
        order["financial_status"] = "paid"
        event = self._deliver("orders/paid", balanced(order))
        self.assertEqual(event.state, "done", event.error_message)
        refund = refund_fixture()
        refund["refund_line_items"] = refund["refund_line_items"][:1]
        refund["refund_line_items"][0]["line_item"]["tax_lines"][0]["price"] = "11.94"
        refund["transactions"][0]["amount"] = "210.94"  # 199.00 + 6%
        event = self._deliver("refunds/create", refund)
        self.assertEqual(event.state, "done", event.error_message)
        credit_note = event.result_ref
        self.assertEqual(credit_note.invoice_line_ids.tax_ids, tax)
        self.assertEqual((credit_note.amount_tax, credit_note.amount_total), (11.94, 210.94))
        returns = self._sale_for(ORDER_ID).picking_ids.filtered(lambda p: p.picking_type_code == "incoming")
        self.assertFalse(returns, "restocked but never shipped: nothing to bring back")

    def test_refund_of_prices_including_taxes_adds_no_tax_line(self):
        order = order_fixture()
        order.update(taxes_included=True, total_price="597.00", financial_status="paid")
        self.assertEqual(self._deliver("orders/paid", order).state, "done")
        refund = self._partial_refund()
        refund["order_adjustments"] = []
        refund["transactions"][0]["amount"] = "199.00"  # its 3.98 of tax is inside the price
        event = self._deliver("refunds/create", refund)
        self.assertEqual(event.state, "done", event.error_message)
        self.assertEqual(event.result_ref.amount_total, 199.0)
        self.assertNotIn(self.tax_product, event.result_ref.invoice_line_ids.product_id)

    def test_refund_without_restock_makes_no_return(self):
        self._paid_and_delivered_order()
        refund = self._partial_refund()
        refund["restock"] = False
        event = self._deliver("refunds/create", refund)
        self.assertEqual(event.state, "done", event.error_message)
        sale = self._sale_for(ORDER_ID)
        self.assertFalse(sale.picking_ids.filtered(lambda p: p.picking_type_code == "incoming"))

    def test_refund_that_does_not_add_up_fails_with_both_amounts(self):
        self._paid_and_delivered_order()
        # the fixture refunds two lines (398.00 + 7.96 tax) but its transaction is 209.00
        event = self._deliver("refunds/create", refund_fixture())
        self.assertEqual((event.state, event.error_class), ("failed", "permanent"))
        self.assertIn("405.96", event.error_message)
        self.assertIn("209.00", event.error_message)
        self.assertFalse(self.env["account.move"].search([("move_type", "=", "out_refund")]))

    def test_a_refund_before_its_order_waits_and_is_credited_when_the_order_arrives(self):
        # Issue 19: it failed as a mapping error (final) and held back the order's updates.
        refund = self._partial_refund()
        refund["refund_line_items"][0]["restock_type"] = "no_restock"
        event = self._deliver("refunds/create", refund)
        self.assertEqual((event.state, event.error_class, event.attempts), ("retry", "waiting", 0))
        self.assertIn("450789469", event.error_message)
        self._paid_and_delivered_order()  # the order's event is done: the refund runs at once
        self.assertEqual(event.state, "done", event.error_message)
        self.assertEqual(event.result_ref.move_type, "out_refund")


@tagged("post_install", "-at_install")
class TestShopifyRefundKinds(ShopifyCaseMixin, HttpCase):
    """Issue 15: restock types, discrepancy adjustments, refunds that move no money, currencies."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_shopify()

    def _paid_order(self, black_quantity=1):
        for product in (self.green, self.red, self.black):
            self._stock(product, 3)
        order = order_fixture()
        order["shipping_lines"][0]["price"] = "7.50"
        order["line_items"][2]["quantity"] = black_quantity
        order["financial_status"] = "paid"
        event = self._deliver("orders/paid", balanced(order))
        self.assertEqual(event.state, "done", event.error_message)
        return self._sale_for(ORDER_ID)

    def _open_quantity(self, sale, product):
        moves = sale.picking_ids.filtered(lambda p: p.state not in ("done", "cancel")).move_ids
        return sum(
            moves.filtered(lambda m: m.product_id == product and m.state != "cancel").mapped(
                "product_uom_qty"
            )
        )

    def _refund(self, restock_type=None, amount="210.48"):
        refund = refund_fixture()
        refund["refund_line_items"] = refund["refund_line_items"][:1]  # IPOD2008BLACK, tax 3.98
        if restock_type:
            refund["refund_line_items"][0]["restock_type"] = restock_type
        refund["order_adjustments"] = [{"kind": "shipping_refund", "amount": "-7.50", "tax_amount": "0.00"}]
        refund["transactions"][0]["amount"] = amount
        return refund

    def test_cancel_restock_before_fulfilment_takes_the_item_off_the_delivery(self):
        sale = self._paid_order()
        self.assertEqual(self._open_quantity(sale, self.black), 1)
        event = self._deliver("refunds/create", self._refund("cancel"))
        self.assertEqual(event.state, "done", event.error_message)
        self.assertEqual(event.result_ref.amount_total, 210.48)
        self.assertIn("no longer ships", event.result_note)
        self.assertEqual(self._open_quantity(sale, self.black), 0, "refunded, never shipped: not shipped now")
        self.assertEqual(self._open_quantity(sale, self.green), 1)
        self.assertFalse(sale.picking_ids.filtered(lambda p: p.picking_type_code == "incoming"))
        # the orders/updated that follows does not put it back
        updated = updated_after_refund(self._refund("cancel"))
        self.assertEqual(self._deliver("orders/updated", updated).state, "done")
        self.assertEqual(self._open_quantity(sale, self.black), 0)
        picking = sale.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        picking.button_validate()
        shipped = sale.picking_ids.filtered(lambda p: p.state == "done").move_ids.filtered(
            lambda m: m.state == "done"
        )
        self.assertEqual(shipped.product_id, self.green | self.red)

    def test_legacy_restock_reduces_what_is_left_to_ship(self):
        sale = self._paid_order(black_quantity=2)
        refund = self._refund("legacy_restock")
        refund["transactions"][0]["amount"] = "210.48"
        event = self._deliver("refunds/create", refund)
        self.assertEqual(event.state, "done", event.error_message)
        self.assertEqual(self._open_quantity(sale, self.black), 1, "2 ordered, 1 refunded")
        # no_restock (and the old `restock: false`) leaves the delivery as it is
        again = self._refund("no_restock")
        again.update(id=509562970, refund_line_items=[dict(again["refund_line_items"][0], id=104689540)])
        self.assertEqual(self._deliver("refunds/create", again).state, "done")
        self.assertEqual(self._open_quantity(sale, self.black), 1)

    def test_refund_lower_than_calculated_books_the_discrepancy(self):
        self._paid_order()
        refund = self._refund("no_restock", amount="200.00")
        # Shopify calculated 199.00 + 3.98 + 7.50 = 210.48 and refunded 200.00
        refund["order_adjustments"].append(
            {
                "kind": "refund_discrepancy",
                "reason": "Refund discrepancy",
                "amount": "10.48",
                "tax_amount": "0.00",
            }
        )
        event = self._deliver("refunds/create", refund)
        self.assertEqual(event.state, "done", event.error_message)
        credit_note = event.result_ref
        self.assertEqual(credit_note.amount_total, 200.0)
        discrepancy = credit_note.invoice_line_ids.filtered(lambda line: "discrepancy" in line.name)
        self.assertEqual(discrepancy.price_subtotal, -10.48)
        payment = self.env["account.payment"].search([("reconciled_invoice_ids", "in", credit_note.ids)])
        self.assertEqual((payment.payment_type, payment.amount), ("outbound", 200.0))

    def test_store_credit_refund_without_transaction_is_an_open_credit_note(self):
        self._paid_order()
        refund = self._refund("no_restock")
        refund["transactions"] = []
        event = self._deliver("refunds/create", refund)
        self.assertEqual(event.state, "done", event.error_message)
        credit_note = event.result_ref
        self.assertEqual((credit_note.state, credit_note.amount_total), ("posted", 210.48))
        self.assertEqual(
            credit_note.payment_state, "not_paid", "no money left Shopify: the customer's credit"
        )
        self.assertIn("store credit", event.result_note)
        self.assertFalse(self.env["account.payment"].search([("payment_type", "=", "outbound")]))

    def test_restock_only_refund_moves_stock_and_credits_nothing(self):
        sale = self._paid_order()
        refund = self._refund("cancel")
        refund["order_adjustments"] = [
            {
                "kind": "refund_discrepancy",
                "reason": "Refund discrepancy",
                "amount": "202.98",
                "tax_amount": "0.00",
            }
        ]
        refund["transactions"] = []
        event = self._deliver("refunds/create", refund)
        self.assertEqual(event.state, "done", event.error_message)
        self.assertFalse(self.env["account.move"].search([("move_type", "=", "out_refund")]))
        self.assertIn("moved no money", event.result_note)
        self.assertEqual(self._open_quantity(sale, self.black), 0)
        # the same refund delivered again does not move the stock twice
        again = self._deliver("refunds/create", refund)
        self.assertEqual(again.state, "done", again.error_message)
        self.assertIn("already applied", again.result_note)

    def test_refund_in_another_currency_is_refused_with_both_currencies(self):
        self._paid_order()
        refund = self._refund("no_restock")
        refund["transactions"][0]["currency"] = "EUR"
        event = self._deliver("refunds/create", refund)
        self.assertEqual((event.state, event.error_class), ("failed", "permanent"))
        self.assertIn("EUR", event.error_message)
        self.assertIn("USD", event.error_message)
