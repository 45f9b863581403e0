"""fulfillments/create|update made in Shopify or by a 3PL: the Odoo delivery is validated for
the shipped quantities, with the tracking number, once; short stock is a business exception."""

from odoo.tests import HttpCase, tagged

from .common import ShopifyCaseMixin, balanced, order_fixture

ORDER_ID = 450789469


@tagged("post_install", "-at_install")
class TestShopifyFulfillmentInbound(ShopifyCaseMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_shopify()

    def _order(self):
        event = self._deliver("orders/create", balanced(order_fixture()))
        self.assertEqual(event.state, "done", event.error_message)
        return self._sale_for(ORDER_ID)

    def _fulfillment(self):
        """The fixture's fulfilment of the green iPod, as a 3PL reports it: shipped."""
        fulfillment = order_fixture()["fulfillments"][0]
        fulfillment.update(status="success", tracking_company="UPS")
        return fulfillment

    def _outbound(self):
        return self.env["integration.outbound"].search([("backend_id", "=", self.backend.id)])

    def test_3pl_fulfilment_validates_the_shipped_quantities_once(self):
        for product in (self.green, self.red, self.black):
            self._stock(product, 2)
        sale = self._order()
        event = self._deliver("fulfillments/create", self._fulfillment())
        self.assertEqual(event.state, "done", event.error_message)
        done = sale.picking_ids.filtered(lambda p: p.state == "done")
        self.assertEqual(event.result_ref, done)
        self.assertEqual(done.move_ids.filtered("quantity").product_id, self.green)
        self.assertEqual(sum(done.move_ids.mapped("quantity")), 1)
        self.assertEqual((done.shopify_tracking_number, done.shopify_tracking_company), ("1Z2345", "UPS"))
        backorder = sale.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        self.assertEqual(backorder.move_ids.product_id, self.red | self.black, "the rest still ships")
        self.assertFalse(self._outbound().filtered(lambda m: m.operation == "fulfillment.create"),
                         "what Shopify shipped is not sent back to Shopify")  # fmt: skip
        # fulfillments/update of the same fulfilment: nothing ships twice
        update = self._fulfillment() | {
            "tracking_number": "1Z9999",
            "updated_at": "2014-01-23T10:00:00-05:00",
        }
        again = self._deliver("fulfillments/update", update)
        self.assertEqual(again.state, "done", again.error_message)
        self.assertIn("already applied", again.result_note)
        self.assertEqual(len(sale.picking_ids.filtered(lambda p: p.state == "done")), 1)
        self.assertEqual(backorder.state, "assigned")
        self.assertEqual(done.shopify_tracking_number, "1Z9999", "the new tracking number is kept")

    def test_not_enough_stock_is_a_business_exception_then_replayed(self):
        sale = self._order()  # no stock at all
        event = self._deliver("fulfillments/create", self._fulfillment())
        self.assertEqual((event.state, event.error_class), ("failed", "permanent"))
        self.assertIn("not enough stock", event.error_message)
        self.assertIn("iPod green: 1 shipped, 0 in stock", event.error_message)
        self.assertFalse(sale.picking_ids.filtered(lambda p: p.state == "done"))
        checks = {check["code"]: check["count"] for check in self.backend._business_exceptions()}
        self.assertEqual(checks["shopify_fulfillments_not_validated"], 1)
        self._stock(self.green, 1)
        event.action_replay()
        self._process_events()
        self.assertEqual(event.state, "done", event.error_message)
        done = sale.picking_ids.filtered(lambda p: p.state == "done")
        self.assertEqual(done.move_ids.filtered("quantity").product_id, self.green)
        checks = {check["code"]: check["count"] for check in self.backend._business_exceptions()}
        self.assertEqual(checks["shopify_fulfillments_not_validated"], 0)

    def test_pending_fulfilment_ships_nothing(self):
        sale = self._order()
        event = self._deliver(
            "fulfillments/create", order_fixture()["fulfillments"][0] | {"status": "pending"}
        )
        self.assertEqual(event.state, "done", event.error_message)
        self.assertIn("nothing shipped yet", event.result_note)
        self.assertFalse(sale.picking_ids.filtered(lambda p: p.state == "done"))
