from odoo import models


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _integration_entitlements(self, company):
        """What this account is entitled to in `company`: `lib.entitlements.Entitlement`s
        (hook: `integration_clm` adds its contracts in force)."""
        return []

    def _integration_entitlements_changed(self, cause=None):
        """These accounts' entitlements changed: queue a fresh snapshot for each backend
        that receives them (`cause`: the document that changed, for the deal timeline)."""
        self.env["integration.backend"]._queue_entitlement_snapshots(self.commercial_partner_id, cause)
