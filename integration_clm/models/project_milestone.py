"""Reaching a milestone of a contract's billing plan wakes the invoicing scheduled action,
so the milestone is invoiced soon, once (sale_project delivers it, the action invoices it)."""

from odoo import models


class ProjectMilestone(models.Model):
    _inherit = "project.milestone"

    def write(self, vals):
        result = super().write(vals)
        if vals.get("is_reached"):
            planned = (
                self.env["integration.contract.billing.line"]
                .sudo()
                .search_count([("milestone_id", "in", self.ids)])
            )
            if planned:
                self.env.ref("integration_clm.cron_invoice_due")._trigger()
        return result
