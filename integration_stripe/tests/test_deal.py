"""The deal correlation id on the payment side: the Payment Link of an invoice of a deal
carries it in its metadata (on the link and on the payment intent it makes), and the
payment Stripe reports back joins the deal by it."""

from datetime import UTC
from urllib.parse import parse_qs

from odoo.tests import HttpCase, tagged

from .common import API, StripeCaseMixin, event, payment_intent


@tagged("post_install", "-at_install")
class TestStripeDeal(StripeCaseMixin, HttpCase):
    def setUp(self):
        super().setUp()
        # The deal a CRM connector opened (connectors never import each other).
        self.deal = self.env["integration.deal"].create({"title": "Jenny Rosen - support plan"})

    def test_the_link_carries_the_deal_and_the_payment_joins_it(self):
        invoice = self._invoice(49.00)
        invoice.with_context(integration_deal_id=self.deal.id).action_stripe_payment_link()
        [message] = self.env["integration.outbound"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(message.deal_id, self.deal)
        self.stripe.post(f"{API}/prices", json={"id": "price_1", "object": "price"})
        link = {"id": "plink_1", "object": "payment_link", "url": "https://buy.stripe.com/test_1"}
        self.stripe.post(f"{API}/payment_links", json=link)
        self._send_outbound()
        self.assertEqual(message.state, "done", message.error_message)
        [link_call] = [c.request for c in self.stripe.calls if c.request.url.endswith("/payment_links")]
        body = parse_qs(link_call.body)
        self.assertEqual(body["metadata[odoo_deal]"], [self.deal.name])
        self.assertEqual(body["payment_intent_data[metadata][odoo_deal]"], [self.deal.name])
        self.assertEqual(body["metadata[odoo_invoice]"], [invoice.name])

        intent = payment_intent(
            "pi_deal_1",
            amount=4900,
            latest_charge="ch_deal_1",
            metadata={"odoo_invoice": invoice.name, "odoo_deal": self.deal.name},
        )
        # Paid a minute after the link was sent: Stripe's `created` has whole seconds, and the
        # link's time is this test transaction's start, which can be in the same second.
        sent_at = int(message.create_date.replace(tzinfo=UTC).timestamp())
        paid = self._deliver(event(intent, "payment_intent.succeeded", "evt_deal_paid", created=sent_at + 60))
        self.assertEqual(paid.state, "done", paid.error_message)
        self.assertEqual(paid.deal_id, self.deal)
        self.assertEqual(invoice.payment_state in ("paid", "in_payment"), True, invoice.payment_state)
        self.assertEqual(self.deal.step_ids.mapped("kind"), ["outbound", "event"])
        self.assertEqual(self.env["integration.deal"].search([("external_ref", "=", "pi_deal_1")]), self.deal)

    def test_a_payment_without_deal_metadata_joins_no_deal(self):
        invoice = self._invoice(10.00)
        intent = payment_intent("pi_plain_1", amount=1000, latest_charge="ch_plain_1",
                                metadata={"odoo_invoice": invoice.name})  # fmt: skip
        paid = self._deliver(event(intent, "payment_intent.succeeded", "evt_plain_paid"))
        self.assertEqual(paid.state, "done", paid.error_message)
        self.assertFalse(paid.deal_id)
