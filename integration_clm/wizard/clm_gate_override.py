"""A sales manager confirms a quotation without its signed contract, saying why (audited)."""

from odoo import fields, models
from odoo.exceptions import AccessError


class ClmGateOverride(models.TransientModel):
    _name = "clm.gate.override"
    _description = "Confirm Without a Signed Contract"

    order_id = fields.Many2one("sale.order", required=True)
    blockers = fields.Text(compute="_compute_blockers", string="Why It Waits")
    reason = fields.Text(required=True, help="Kept in the audit log and the order's chatter.")

    def _compute_blockers(self):
        for wizard in self:
            wizard.blockers = "\n".join(wizard.order_id._confirmation_blockers())

    def action_confirm(self):
        self.ensure_one()
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise AccessError(self.env._("Only a sales manager may confirm without a signed contract."))
        order = self.order_id
        blockers = order._confirmation_blockers()
        backend = self.env["integration.backend"]._clm_backend_for(order.company_id)
        self.env["integration.audit"].sudo()._log(
            "clm_gate_override",
            self.env._(
                "%(user)s confirmed %(order)s without a signed contract. Reason: %(reason)s. Blockers: %(b)s",
                user=self.env.user.name,
                order=order.name,
                reason=self.reason,
                b="; ".join(blockers),
            ),
            backend_id=backend.id or None,
            company_id=order.company_id.id,
        )
        order.message_post(
            body=self.env._(
                "Confirmed without a signed contract by %(user)s: %(reason)s",
                user=self.env.user.name,
                reason=self.reason,
            )
        )
        order.with_context(integration_gate_overridden=True).action_confirm()
        return {"type": "ir.actions.act_window_close"}
