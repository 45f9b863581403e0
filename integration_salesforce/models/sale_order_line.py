from odoo import fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    salesforce_line_key = fields.Char(
        string="Salesforce Line",
        index="btree_not_null",
        copy=False,
        help="Quote line or opportunity product id.",
    )
    salesforce_parent_key = fields.Char(string="Salesforce Bundle Line", copy=False)
    salesforce_subscription_term = fields.Float(string="Subscription Term (months)", copy=False)
    salesforce_start_date = fields.Date(string="Subscription Start", copy=False)
    salesforce_end_date = fields.Date(string="Subscription End", copy=False)
