"""Business exceptions: counts of business documents that got stuck somewhere in the chain
(orders with no sale order, payments not reconciled, drift left open...), checked on a
schedule. Crossing a threshold alerts the managers once, until it clears."""

import json

from odoo import api, fields, models


class IntegrationBusinessException(models.Model):
    _name = "integration.business.exception"
    _description = "Integration Business Exception"
    _order = "is_over desc, backend_id, sequence, id"

    backend_id = fields.Many2one("integration.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    code = fields.Char(required=True, readonly=True)
    name = fields.Char(string="Exception", required=True, readonly=True)
    count = fields.Integer(readonly=True)
    threshold = fields.Integer(readonly=True, help="Managers are alerted when the count passes it.")
    is_over = fields.Boolean(string="Over Threshold", readonly=True)
    res_model = fields.Char(readonly=True)
    domain = fields.Text(readonly=True, help="The records behind the count (JSON domain).")
    checked_at = fields.Datetime(readonly=True)

    _code_unique = models.UniqueIndex("(backend_id, code)")

    @api.model
    def _refresh(self, backends=None):
        """Count every backend's business exceptions and alert on new threshold crossings."""
        # A handful of backends per database; each connector counts its own exceptions.
        backends = backends or self.env["integration.backend"].search([("state", "!=", "draft")])  # pylint: disable=no-search-all
        now = fields.Datetime.now()
        for backend in backends:
            known = {row.code: row for row in self.sudo().search([("backend_id", "=", backend.id)])}
            for sequence, check in enumerate(backend._business_exceptions()):
                action = check["action"]
                values = {
                    "sequence": sequence,
                    "name": check["label"],
                    "count": check["count"],
                    "threshold": check["threshold"],
                    "is_over": check["count"] > check["threshold"],
                    "res_model": action["res_model"],
                    "domain": json.dumps(action.get("domain") or [], default=str),
                    "checked_at": now,
                }
                row = known.pop(check["code"], None)
                if row is None:
                    row = self.sudo().create({"backend_id": backend.id, "code": check["code"], **values})
                    crossed = values["is_over"]
                else:
                    crossed = values["is_over"] and not row.is_over
                    if row.is_over and not values["is_over"]:
                        why = self.env._(
                            "Back to %(count)s (alert above %(threshold)s).",
                            count=values["count"],
                            threshold=values["threshold"],
                        )
                        backend._close_alerts(row._alert_summary(), why)
                    row.write(values)
                if crossed:
                    backend._notify_managers(
                        row._alert_summary(),
                        self.env._(
                            "%(count)s now (alert above %(threshold)s). Integrations > Business "
                            "Exceptions opens the records behind it.",
                            count=row.count,
                            threshold=row.threshold,
                        ),
                    )
            for row in known.values():  # the connector no longer reports it
                row.unlink()

    def _alert_summary(self):
        return self.env._("%(backend)s: %(exception)s", backend=self.backend_id.name, exception=self.name)

    @api.model
    def _cron_check(self):
        self._refresh()

    def action_refresh(self):
        self._refresh(self.backend_id)
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    def action_open(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.name,
            "res_model": self.res_model,
            "view_mode": "list,form",
            "domain": json.loads(self.domain or "[]"),
        }
