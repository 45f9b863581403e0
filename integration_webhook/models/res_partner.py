from odoo import models

# The contact fields the signed-webhook kind pushes back.
PUSHED_FIELDS = {"name", "email", "phone"}


class ResPartner(models.Model):
    _inherit = "res.partner"

    def write(self, vals):
        result = super().write(vals)
        # Changes made in Odoo to contacts Odoo owns go out; changes that came in do not echo.
        if PUSHED_FIELDS & set(vals) and not self.env.context.get("integration_inbound"):
            self.env["integration.backend"]._generic_push_partners(self)
        return result
