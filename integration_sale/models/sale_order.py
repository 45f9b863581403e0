"""The order-confirmation gate: one place that decides whether a quotation may be confirmed,
whoever asks (a person, Shopify, Salesforce). Addons add their rules to
`_confirmation_blockers` (contract management: a signed contract is required); connectors
confirm through `_integration_confirm` so that a blocked quotation waits instead of failing."""

from odoo import models
from odoo.exceptions import UserError


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "integration.deal.mixin"]

    def _confirmation_blockers(self):
        """Why this quotation may not be confirmed now: a list of sentences (empty: it may).

        Extend it and append your reasons; never confirm or raise here."""
        self.ensure_one()
        return []

    def _integration_confirm(self):
        """Confirm the quotations the gate lets through; return True when all were confirmed.

        The others stay quotations (their blockers tell why), nothing is raised."""
        allowed = self.filtered(
            lambda order: order.state in ("draft", "sent") and not order._confirmation_blockers()
        )
        if allowed:
            allowed.action_confirm()
        return allowed == self

    def action_confirm(self):
        if not self.env.context.get("integration_gate_overridden"):
            reasons = [
                f"{order.name}: {reason}"
                for order in self.filtered(lambda o: o.state in ("draft", "sent"))
                for reason in order._confirmation_blockers()
            ]
            if reasons:
                raise UserError(self.env._("This quotation cannot be confirmed yet:\n%s", "\n".join(reasons)))
        return super().action_confirm()

    def _prepare_invoice(self):
        """An invoice of the order belongs to the order's deal."""
        values = super()._prepare_invoice()
        if self.integration_deal_id:
            values["integration_deal_id"] = self.integration_deal_id.id
        return values
