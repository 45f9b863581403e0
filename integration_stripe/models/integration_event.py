"""A Stripe payment that matches no invoice can be booked on the customer's account."""

import json

from odoo import fields, models
from odoo.exceptions import UserError

from ..const import PAYMENT_EVENTS


class IntegrationEvent(models.Model):
    _inherit = "integration.event"

    stripe_can_book_on_account = fields.Boolean(compute="_compute_stripe_can_book_on_account")

    def _compute_stripe_can_book_on_account(self):
        for event in self:
            event.stripe_can_book_on_account = (
                event.kind == "stripe"
                and event.event_type in PAYMENT_EVENTS
                and event.state in ("failed", "dead")
                and event.error_class == "mapping"
            )

    def action_stripe_book_on_account(self):
        """Resubmit a payment without invoice with `odoo_on_account` in its metadata: it is
        booked as a customer payment on account (an outstanding credit to match later)."""
        for event in self:
            if not event.stripe_can_book_on_account:
                raise UserError(self.env._("Only a failed Stripe payment can be booked on account."))
            payload = event._payload_json()
            obj = payload["data"]["object"]
            obj["metadata"] = {**(obj.get("metadata") or {}), "odoo_on_account": "true"}
            event._edit_payload(json.dumps(payload))
        return True
