"""Pay with Stripe: a Payment Link through the outbound queue, safe to retry."""

from datetime import timedelta
from urllib.parse import parse_qs

from freezegun import freeze_time
from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, TransactionCase, tagged

from .common import API, StripeCaseMixin


@tagged("post_install", "-at_install")
class TestStripePaymentLink(StripeCaseMixin, TransactionCase):
    def _messages(self):
        return self.env["integration.outbound"].search([("backend_id", "=", self.backend.id)])

    def test_link_created_once_after_a_500(self):
        invoice = self._invoice(49.00)
        invoice.action_stripe_payment_link()
        invoice.action_stripe_payment_link()  # a second click queues nothing more
        [message] = self._messages()
        self.assertEqual(message.operation, "payment_link.create")
        self.assertTrue(invoice.stripe_link_pending)
        self.stripe.post(f"{API}/prices", json={"id": "price_1", "object": "price"})
        self.stripe.post(f"{API}/payment_links", status=500, json={"error": {"type": "api_error"}})
        self.stripe.post(f"{API}/prices", json={"id": "price_1", "object": "price"})
        link = {"id": "plink_1", "object": "payment_link", "url": "https://buy.stripe.com/test_1"}
        self.stripe.post(f"{API}/payment_links", json=link)

        self._send_outbound()
        self.assertEqual((message.state, message.response_status), ("retry", 500))
        self.assertFalse(invoice.stripe_payment_link_url)
        with freeze_time(fields.Datetime.now() + timedelta(hours=1)):
            self._send_outbound()
        self.assertEqual(message.state, "done", message.error_message)
        self.assertEqual(invoice.stripe_payment_link_url, "https://buy.stripe.com/test_1")
        self.assertFalse(invoice.stripe_link_pending)

        link_calls = [c.request for c in self.stripe.calls if c.request.url.endswith("/payment_links")]
        self.assertEqual(len(link_calls), 2)
        keys = {request.headers["Idempotency-Key"] for request in link_calls}
        self.assertEqual(keys, {f"{message.idempotency_key}-link"}, "one key: Stripe creates one link")
        body = parse_qs(link_calls[-1].body)
        self.assertEqual(body["metadata[odoo_invoice]"], [invoice.name])
        self.assertEqual(body["payment_intent_data[metadata][odoo_invoice]"], [invoice.name])
        self.assertEqual(body["line_items[0][price]"], ["price_1"])
        price_body = parse_qs(
            next(c.request.body for c in self.stripe.calls if c.request.url.endswith("/prices"))
        )
        self.assertEqual((price_body["unit_amount"], price_body["currency"]), (["4900"], ["usd"]))
        self.assertEqual(link_calls[-1].headers["Authorization"], "Bearer sk_test_123")

        invoice.action_stripe_payment_link()
        self.assertEqual(len(self._messages()), 1, "an invoice with a link gets no second one")

    def test_only_posted_unpaid_customer_invoices(self):
        draft = self.env["account.move"].create({"move_type": "out_invoice", "partner_id": self.partner.id})
        with self.assertRaises(UserError):
            draft.action_stripe_payment_link()
        self.assertFalse(self._messages())


@tagged("post_install", "-at_install")
class TestStripeLinkShown(StripeCaseMixin, HttpCase):
    def test_link_on_the_invoice_pdf_and_the_portal_page(self):
        invoice = self._invoice(49.00)
        invoice.write(
            {"stripe_payment_link_id": "plink_1", "stripe_payment_link_url": "https://buy.stripe.com/test_1"}
        )
        html = (
            self.env["ir.actions.report"]._render_qweb_html("account.report_invoice", invoice.ids)[0].decode()
        )
        self.assertIn("Pay online with Stripe", html)
        self.assertIn("https://buy.stripe.com/test_1", html)
        page = self.url_open(invoice.get_portal_url())
        self.assertEqual(page.status_code, 200)
        self.assertIn('href="https://buy.stripe.com/test_1"', page.text)
        invoice.stripe_payment_link_url = False
        self.assertNotIn("buy.stripe.com", self.url_open(invoice.get_portal_url()).text)
