from odoo import api, fields, models


class IntegrationOwnership(models.Model):
    _inherit = "integration.ownership"

    domain = fields.Selection(selection_add=[("stock", "Stock")], ondelete={"stock": "cascade"})

    @api.model
    def _default_lines(self, backend):
        lines = super()._default_lines(backend)
        if backend.kind == "shopify":
            system, update = backend._ownership_defaults().get("stock", ("odoo", "ignore"))
            lines.append(
                {
                    "backend_id": backend.id,
                    "sequence": len(lines),
                    "domain": "stock",
                    "system_of_record": system,
                    "other_side_update": update,
                }
            )
        return lines
