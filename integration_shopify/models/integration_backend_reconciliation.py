"""Shopify reconciliation: orders updated in a window compared with Odoo."""

import json
import time

from odoo import models

from ..const import (
    PAID_STATUSES,
    RECONCILE_PAGE_SIZE,
)
from ..lib import client as shopify_client
from ..lib.orders import (
    parse_order,
)


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    # ------------------------------------------------------------------ reconciliation
    def _reconcile_period(self, run):
        """Orders updated in the run's window (GraphQL, paginated, cost-throttled) against
        the sale orders bound to them; each difference carries the order as `orders/updated`
        would deliver it, so replaying it goes through the webhook handler."""
        if self.kind != "shopify":
            return super()._reconcile_period(run)
        client = self._shopify_client()
        binder = self.env["integration.external.id"]
        drifts, checked = [], 0
        nodes = client.orders_updated(run.date_from, run.date_to, RECONCILE_PAGE_SIZE, sleep=time.sleep)
        for node in self._shopify_call(list, nodes):
            checked += 1
            rest = shopify_client.rest_order_from_graphql(node)
            currency = (
                self.env["res.currency"]
                .with_context(active_test=False)
                .search([("name", "=", rest["currency"])], limit=1)
            )
            order = parse_order(rest, currency.decimal_places if currency else 2)
            remote_text = self._shopify_order_text(order.total_price, order.currency, order.financial_status,
                                                   order.cancelled)  # fmt: skip
            common = {
                "reference": f"{order.name} {order.total_price} {order.currency}",
                "external_id": order.id,
                "remote_value": remote_text,
                "payload": json.dumps(rest),
                "event_type": "orders/updated",
                "entity_key": order.id,
            }
            sale = binder._record_for(self, "sale.order", order.id)
            if not sale:
                unpaid = self.shopify_order_trigger == "paid" and order.financial_status not in PAID_STATUSES
                if not order.cancelled and not unpaid:
                    drifts.append({"issue": "missing_odoo", **common})
                continue
            invoiced = bool(
                sale.invoice_ids.filtered(lambda m: m.move_type == "out_invoice" and m.state == "posted")
            )
            differs = (
                (order.cancelled != (sale.state == "cancel"))
                or (
                    not order.cancelled
                    and sale.currency_id.compare_amounts(sale.amount_total, float(order.total_price))
                )
                or (order.financial_status in PAID_STATUSES and not invoiced)
            )
            if differs:
                status = self.env._("invoiced") if invoiced else self.env._("not invoiced")
                odoo_text = self._shopify_order_text(
                    sale.amount_total, sale.currency_id.name, status, sale.state == "cancel"
                )
                drifts.append(
                    {
                        "issue": "differs",
                        "res_model": "sale.order",
                        "res_id": sale.id,
                        "odoo_value": odoo_text,
                        **common,
                    }
                )
        run.checked_count = checked
        return drifts

    def _shopify_order_text(self, total, currency, status, cancelled):
        text = f"{total} {currency}, {status or '-'}"
        return text + (", " + self.env._("cancelled") if cancelled else "")
