"""Map a Shopify tax no Odoo sales tax matches: create the tax with Shopify's rate, or map it
to an existing sales tax (bound, so later orders use it too); the event runs again."""

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lib.mapping import tax_mapping_key


class IntegrationShopifyTaxWizard(models.TransientModel):
    _name = "integration.shopify.tax.wizard"
    _inherit = ["integration.event.fix.mixin"]
    _description = "Map a Shopify Tax"

    title = fields.Char(string="Shopify Tax")
    rate = fields.Float(string="Rate (%)", digits=(16, 4))
    included = fields.Boolean(string="Included in Price")
    mode = fields.Selection(
        [("create", "Create the sales tax"), ("map", "Use an existing sales tax")],
        default="create",
        required=True,
    )
    tax_id = fields.Many2one(
        "account.tax",
        string="Sales Tax",
        domain="[('type_tax_use', '=', 'sale'), ('company_id', '=', company_id)]",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        event = self.env["integration.event"].browse(values.get("event_id"))
        if event:
            facts = event.fix_facts or {}
            values.update(
                title=facts.get("title") or False,
                rate=float(facts.get("rate") or 0),
                included=bool(facts.get("included")),
            )
        return values

    def action_apply(self):
        self.ensure_one()
        event = self.event_id
        if not event.shopify_can_map_tax:
            raise UserError(self.env._("This event no longer needs a tax: reload the page."))
        if self.mode == "map":
            if not self.tax_id:
                raise UserError(self.env._("Choose the Odoo sales tax for %s.", self.title))
            tax = self.tax_id
            verb = "mapped to"
        else:
            tax = self.env["account.tax"].create(
                {
                    "name": self.title or self.env._("Tax %s%%", self.rate),
                    "type_tax_use": "sale",
                    "amount_type": "percent",
                    "amount": self.rate,
                    "price_include_override": "tax_included" if self.included else "tax_excluded",
                    "company_id": event.company_id.id,
                }
            )
            verb = "created as"
        key = tax_mapping_key(self.title, self.rate, self.included)
        self.env["integration.external.id"].sudo()._bind(event.backend_id, tax, key)
        event._resubmit_with_choice(
            "tax",
            {"key": key, "tax_id": tax.id},
            f"Map the tax: Shopify tax {self.title} {verb} {tax.display_name}",
        )
        return {"type": "ir.actions.act_window_close"}
