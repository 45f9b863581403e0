from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _salesforce_orders(self):
        return self.line_ids.sale_line_ids.order_id.filtered("salesforce_backend_id")

    def _post(self, soft=True):
        posted = super()._post(soft)
        posted.filtered(lambda move: move.is_sale_document())._salesforce_orders()._salesforce_queue_status()
        return posted

    def _invoice_paid_hook(self):
        result = super()._invoice_paid_hook()
        self._salesforce_orders()._salesforce_queue_status()
        return result
