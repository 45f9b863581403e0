"""A change from Salesforce to an order that is already confirmed: nothing changes silently.
The difference waits here (a business exception) until a manager applies or dismisses it."""

import json

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..lib import mapping


class IntegrationSalesforceOrderChange(models.Model):
    _name = "integration.salesforce.order.change"
    _description = "Salesforce Change to a Confirmed Order"
    _inherit = ["mail.thread"]
    _order = "id desc"

    backend_id = fields.Many2one("integration.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    order_id = fields.Many2one("sale.order", required=True, ondelete="cascade", index=True)
    kind = fields.Selection([("lines", "Quote changed"), ("lost", "Opportunity lost")], required=True)
    state = fields.Selection(
        [("open", "Open"), ("applied", "Applied"), ("dismissed", "Dismissed")],
        default="open",
        required=True,
        tracking=True,
    )
    difference = fields.Text(readonly=True)
    quote_ref = fields.Char(string="Quote", readonly=True)
    new_lines = fields.Text(readonly=True, help="The order lines as Salesforce has them now (JSON).")
    event_id = fields.Many2one("integration.event", readonly=True, ondelete="set null")

    @api.model
    def _propose(self, backend, order, lines, changes, quote, event):
        """One open proposal per order: a newer change replaces the older one."""
        self.search([("order_id", "=", order.id), ("state", "=", "open")]).write({"state": "dismissed"})
        return self.sudo().create(
            {
                "backend_id": backend.id,
                "order_id": order.id,
                "kind": "lines",
                "difference": "\n".join(change.text for change in changes),
                "quote_ref": (quote and (quote.name or quote.id)) or False,
                "new_lines": json.dumps([mapping.line_to_json(line) for line in lines]),
                "event_id": event.id if event else False,
            }
        )

    @api.model
    def _propose_lost(self, backend, order, reason, event):
        self.search([("order_id", "=", order.id), ("state", "=", "open")]).write({"state": "dismissed"})
        return self.sudo().create(
            {
                "backend_id": backend.id,
                "order_id": order.id,
                "kind": "lost",
                "difference": reason,
                "event_id": event.id if event else False,
            }
        )

    def _check_manager(self):
        if not self.env.user.has_group("integration_core.group_integration_manager"):
            raise UserError(self.env._("Only Integration Managers apply or dismiss Salesforce changes."))

    def action_apply(self):
        """Lines: the order's lines become Salesforce's (the order stays confirmed);
        lost: the order is cancelled."""
        self._check_manager()
        for change in self.filtered(lambda c: c.state == "open"):
            order = change.order_id
            if change.kind == "lost":
                order.with_context(disable_cancel_warning=True)._action_cancel()
                order.message_post(body=self.env._("Cancelled by a manager: %s", change.difference))
            else:
                lines = [mapping.line_from_json(item) for item in json.loads(change.new_lines or "[]")]
                values = change.backend_id._salesforce_line_values(lines)
                by_key = {
                    line.salesforce_line_key: line for line in order.order_line if line.salesforce_line_key
                }
                commands = []
                for line_values in values:
                    existing = by_key.pop(line_values["salesforce_line_key"], None)
                    commands.append(
                        Command.update(existing.id, line_values) if existing else Command.create(line_values)
                    )
                # Lines Salesforce no longer has: quantity 0 (a confirmed line may have been delivered).
                commands += [Command.update(line.id, {"product_uom_qty": 0}) for line in by_key.values()]
                order.with_context(integration_inbound=True).write(
                    {
                        "order_line": commands,
                        "salesforce_lines": json.dumps([mapping.line_to_json(x) for x in lines]),
                    }
                )
                order.message_post(
                    body=self.env._("Salesforce changes applied by a manager:<br/>%s", change.difference)
                )
            change.state = "applied"

    def action_dismiss(self):
        self._check_manager()
        for change in self.filtered(lambda c: c.state == "open"):
            change.order_id.message_post(
                body=self.env._("Salesforce change dismissed by a manager:<br/>%s", change.difference)
            )
            change.state = "dismissed"
