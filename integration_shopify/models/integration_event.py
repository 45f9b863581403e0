"""A Shopify order with an unknown product or tax: the business actions that fix it (Create
or map the product, Map the tax), each offered only when it can succeed."""

from odoo import api, fields, models
from odoo.exceptions import UserError

UNKNOWN_PRODUCT = "shopify_unknown_product"
UNKNOWN_TAX = "shopify_unknown_tax"


class IntegrationEvent(models.Model):
    _inherit = "integration.event"

    shopify_can_fix_product = fields.Boolean(compute="_compute_shopify_fixes")
    shopify_can_map_tax = fields.Boolean(compute="_compute_shopify_fixes")

    @api.depends("state", "fix_code", "fix_facts")
    def _compute_shopify_fixes(self):
        for event in self:
            failed = event.state in ("failed", "dead")
            facts = event.fix_facts or {}
            # a line with neither SKU nor variant cannot be found again by any product
            event.shopify_can_fix_product = (
                failed
                and event.fix_code == UNKNOWN_PRODUCT
                and bool(facts.get("sku") or facts.get("variant_id"))
            )
            event.shopify_can_map_tax = failed and event.fix_code == UNKNOWN_TAX

    def _shopify_open_picker(self, allowed, model, name):
        self.ensure_one()
        if not allowed:
            raise UserError(self.env._("This action cannot fix this event (any more): reload the page."))
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "form",
            "target": "new",
            "context": {"default_event_id": self.id},
        }

    def action_shopify_open_product_wizard(self):
        return self._shopify_open_picker(
            self.shopify_can_fix_product,
            "integration.shopify.product.wizard",
            self.env._("Create or map the product"),
        )

    def action_shopify_open_tax_wizard(self):
        return self._shopify_open_picker(
            self.shopify_can_map_tax, "integration.shopify.tax.wizard", self.env._("Map the tax")
        )
