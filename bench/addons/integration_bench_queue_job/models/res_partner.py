from odoo import models


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _bench_noop_job(self):
        return True
