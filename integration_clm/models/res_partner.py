from odoo import models


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _integration_entitlements(self, company):
        """Each contract in force is an entitlement (the support platforms' snapshot)."""
        found = super()._integration_entitlements(company)
        contracts = self.env["integration.contract"].sudo()._clm_in_force(self, company)
        return found + [contract._clm_entitlement() for contract in contracts]
