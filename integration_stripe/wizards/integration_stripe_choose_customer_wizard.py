"""Choose the customer of a Stripe payment no contact matches, then book it on account."""

from odoo import api, fields, models


class IntegrationStripeChooseCustomerWizard(models.TransientModel):
    _name = "integration.stripe.choose.customer.wizard"
    _inherit = ["integration.event.fix.mixin"]
    _description = "Choose the Customer of a Stripe Payment"

    payer_email = fields.Char(readonly=True, help="The payer's email as Stripe gives it.")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        domain="[('parent_id', '=', False)]",
        help="The payment is booked on this customer's account, to match with an invoice later.",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        event = self.env["integration.event"].browse(values.get("event_id"))
        if event:
            values["payer_email"] = (event.fix_facts or {}).get("email") or False
        return values

    def action_book_on_account(self):
        self.ensure_one()
        partner = self.partner_id.commercial_partner_id
        self.event_id._resubmit_with_choice(
            "on_account_partner_id",
            partner.id,
            f"Choose the customer: book on account of {partner.display_name}",
        )
        return {"type": "ir.actions.act_window_close"}
