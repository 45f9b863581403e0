"""A failed payment attempt (`payment_intent.payment_failed`): nothing is booked, the
invoice shows why the attempt failed, and its payment link stays valid for another try."""

from odoo import models


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    def _stripe_payment_failed(self, event, intent, stripe_event):
        reference = intent.metadata.get("odoo_invoice")
        invoice = self.env["account.move"]
        if reference:
            invoice = invoice.search(
                [
                    ("company_id", "=", self.company_id.id),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("name", "=", reference),
                ],
                limit=1,
            )
        if not invoice:
            event._note_result(
                self.env._(
                    "Payment attempt %s failed; it names no posted Odoo invoice: nothing to show.", intent.id
                )
            )
            return None
        if invoice.payment_state not in ("not_paid", "partial"):
            # an older attempt arriving after the payment that succeeded
            event._note_result(
                self.env._("Invoice %s is already paid: the failed attempt changes nothing.", invoice.name)
            )
            return invoice
        error = intent.last_payment_error
        why = (error and error.message) or self.env._("declined")
        code = error and (error.decline_code or error.code)
        text = f"{why} ({code})" if code else why
        amount = self._stripe_text(intent.amount, self._currency_for(intent.currency))
        invoice.sudo().stripe_payment_error = text[:255]
        invoice.sudo().message_post(
            body=self.env._(
                "A Stripe payment of %(amount)s failed: %(why)s. Nothing was booked; the payment link "
                "stays valid for the customer to try again.",
                amount=amount,
                why=text,
            ),
            message_type="notification",
        )
        event._note_result(self.env._("Shown on invoice %s.", invoice.name))
        return invoice
