"""Create or map the product of a Shopify order line whose SKU Odoo does not know: the
variant is bound to the product (later orders find it too) and the event runs again."""

from odoo import api, fields, models
from odoo.exceptions import UserError


class IntegrationShopifyProductWizard(models.TransientModel):
    _name = "integration.shopify.product.wizard"
    _inherit = ["integration.event.fix.mixin"]
    _description = "Create or Map the Product of a Shopify Order Line"

    sku = fields.Char(string="SKU")
    variant_id = fields.Char(string="Shopify Variant")
    line_title = fields.Char(string="Order line")
    mode = fields.Selection(
        [("create", "Create a product"), ("map", "Use an existing product")],
        default="create",
        required=True,
    )
    name = fields.Char(string="Product Name")
    list_price = fields.Float(string="Sales Price", digits="Product Price")
    product_id = fields.Many2one("product.product", check_company=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        event = self.env["integration.event"].browse(values.get("event_id"))
        if event:
            facts = event.fix_facts or {}
            values.update(
                sku=facts.get("sku") or False,
                variant_id=facts.get("variant_id") or False,
                line_title=facts.get("title") or False,
                name=facts.get("title") or facts.get("sku") or False,
                list_price=float(facts.get("price") or 0),
            )
        return values

    def action_apply(self):
        self.ensure_one()
        if not self.event_id.shopify_can_fix_product:
            raise UserError(self.env._("This event no longer needs a product: reload the page."))
        if self.mode == "map":
            if not self.product_id:
                raise UserError(self.env._("Choose the product this order line is."))
            if not self.variant_id and self.product_id.default_code != self.sku:
                # without a Shopify variant, an order line finds its product by SKU only
                raise UserError(
                    self.env._(
                        "This order line has no Shopify variant: Odoo finds its product by SKU. "
                        "Create the product, or give %(product)s the internal reference %(sku)s.",
                        product=self.product_id.display_name,
                        sku=self.sku,
                    )
                )
            product = self.product_id
            verb = "mapped to"
        else:
            if not self.name:
                raise UserError(self.env._("Give the new product a name."))
            product = self.env["product.product"].create(
                {
                    "name": self.name,
                    "default_code": self.sku or False,
                    "list_price": self.list_price,
                    "type": "consu",
                    "is_storable": True,
                    "invoice_policy": "order",
                    "company_id": False,
                }
            )
            verb = "created as"
        if self.variant_id:
            self.env["integration.external.id"].sudo()._bind(
                self.event_id.backend_id, product, self.variant_id
            )
        self.event_id._resubmit_with_choice(
            "product",
            {"sku": self.sku, "variant_id": self.variant_id, "product_id": product.id},
            f"Create or map the product: SKU {self.sku or '-'} ({self.line_title}) {verb} "
            f"{product.display_name}",
        )
        return {"type": "ir.actions.act_window_close"}
