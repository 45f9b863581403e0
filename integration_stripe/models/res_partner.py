"""The Stripe subscription state of a customer, shown on the contact."""

from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    stripe_subscription_id = fields.Char(string="Stripe Subscription ID", readonly=True, copy=False)
    stripe_subscription_state = fields.Char(
        string="Subscription State",
        readonly=True,
        copy=False,
        help="Status of the latest Stripe subscription event: active, trialing, past_due, canceled...",
    )
