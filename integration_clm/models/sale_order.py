"""Quotations that need a signed contract: the contract rule of the confirmation gate, the
*Awaiting signature* state, *Send for signature*, and cancelling voids the envelope."""

from odoo import api, fields, models
from odoo.exceptions import UserError


class SaleOrder(models.Model):
    _inherit = "sale.order"

    clm_contract_ids = fields.One2many("integration.contract", "order_id", string="Contracts")
    clm_contract_count = fields.Integer(compute="_compute_clm_contract_count")
    clm_term_start = fields.Date(string="Term Start", copy=False)
    clm_term_end = fields.Date(string="Term End", copy=False)
    # CORE-CANDIDATE: the upstream quote's "contract required" belongs in integration_sale, so
    # that Salesforce can set it without depending on this addon.
    clm_upstream_requires_contract = fields.Boolean(
        string="Upstream Requires Contract", help="Set by the system the quote came from (rule 'upstream')."
    )
    clm_awaiting_signature = fields.Boolean(
        string="Awaiting Signature", compute="_compute_clm_awaiting_signature", store=True, index=True
    )

    clm_signature_badge = fields.Char(compute="_compute_clm_signature_badge", string="Contract")

    @api.depends("clm_awaiting_signature")
    def _compute_clm_signature_badge(self):
        for order in self:
            order.clm_signature_badge = (
                self.env._("Awaiting signature") if order.clm_awaiting_signature else False
            )

    @api.depends("clm_contract_ids")
    def _compute_clm_contract_count(self):
        for order in self:
            order.clm_contract_count = len(order.clm_contract_ids)

    @api.depends(
        "state",
        "amount_untaxed",
        "partner_id.category_id",
        "clm_upstream_requires_contract",
        "clm_contract_ids.state",
        "clm_contract_ids.terms_difference",
    )
    def _compute_clm_awaiting_signature(self):
        for order in self:
            order.clm_awaiting_signature = bool(
                order.state in ("draft", "sent")
                and order._clm_needs_contract()
                and not order._clm_signed_contract()
            )

    def _clm_needs_contract(self):
        """The contract rule of the company's contract backend (field clm_contract_rule)."""
        self.ensure_one()
        backend = self.env["integration.backend"]._clm_backend_for(self.company_id)
        rule = backend.clm_contract_rule if backend else "never"
        if rule == "always":
            return True
        if rule == "amount":
            return self.currency_id.compare_amounts(self.amount_untaxed, backend.clm_amount_threshold) > 0
        if rule == "tag":
            return bool(self.partner_id.commercial_partner_id.category_id & backend.clm_tag_ids) or bool(
                self.partner_id.category_id & backend.clm_tag_ids
            )
        if rule == "upstream":
            return self.clm_upstream_requires_contract
        return False

    def _clm_signed_contract(self):
        """The signed contract whose terms matched this order (amendments excluded)."""
        return self.clm_contract_ids.filtered(
            lambda c: c.state == "signed" and not c.terms_difference and not c.amendment_of_id
        )[:1]

    def _confirmation_blockers(self):
        reasons = super()._confirmation_blockers()
        if not self._clm_needs_contract() or self._clm_signed_contract():
            return reasons
        pending = self.clm_contract_ids.filtered(lambda c: not c.amendment_of_id)[:1]
        if pending.terms_difference:
            reasons.append(
                self.env._(
                    "contract %(name)s is signed but differs from the order:\n%(d)s",
                    name=pending.name,
                    d=pending.terms_difference,
                )
            )
        elif pending and pending.state in ("draft", "sent", "viewed"):
            reasons.append(
                self.env._(
                    "awaiting signature of contract %(name)s (%(state)s).",
                    name=pending.name,
                    state=pending.state,
                )
            )
        else:
            reasons.append(self.env._("a signed contract is required: use Send for Signature."))
        return reasons

    def _clm_is_counterparty(self, email):
        """Is `email` the customer or one of its company's contacts?"""
        email = (email or "").strip().lower()
        commercial = self.partner_id.commercial_partner_id
        people = commercial | commercial.child_ids | self.partner_id
        return email in {(p.email or "").strip().lower() for p in people}

    def _clm_contract_terms(self):
        return {
            "amount_untaxed": self.amount_untaxed,
            "currency_id": self.currency_id.id,
            "term_start": self.clm_term_start,
            "term_end": self.clm_term_end,
        }

    # ------------------------------------------------------------ actions
    def action_clm_send_for_signature(self):
        """A contract for this quotation and its envelope, created through the outbound queue."""
        self.ensure_one()
        backend = self.env["integration.backend"]._clm_backend_for(self.company_id)
        if not backend:
            raise UserError(
                self.env._(
                    "No active contract backend (DocuSign, Dropbox Sign, PandaDoc) for %s.",
                    self.company_id.name,
                )
            )
        if not self.partner_id.email:
            raise UserError(
                self.env._("%s has no email: the signer needs one.", self.partner_id.display_name)
            )
        open_contract = self.clm_contract_ids.filtered(lambda c: c.state in ("draft", "sent", "viewed"))
        if open_contract:
            raise UserError(self.env._("Contract %s is already out for signature.", open_contract[0].name))
        contract = self.env["integration.contract"].create(
            {
                "name": self.env._("%(order)s agreement", order=self.name),
                "backend_id": backend.id,
                "order_id": self.id,
                "partner_id": self.partner_id.id,
                "signer_email": self.partner_id.email,
                "signer_name": self.partner_id.name,
                **self._clm_contract_terms(),
            }
        )
        contract._clm_enqueue_send()
        if self.state == "draft":
            self.state = "sent"
        self.message_post(body=self.env._("Sent for signature through %s.", backend.name))
        return True

    def action_confirm(self):
        orders = super().action_confirm()
        for order in self:
            contract = order._clm_signed_contract()
            if contract and not contract.confirmed_at:
                contract.confirmed_at = fields.Datetime.now()
                contract._clm_plan_billing()
            if contract:
                contract._clm_entitlements_changed()  # the contract is in force from now
        return orders

    def action_clm_override_gate(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Confirm without a signed contract"),
            "res_model": "clm.gate.override",
            "view_mode": "form",
            "target": "new",
            "context": {"default_order_id": self.id},
        }

    def action_clm_open_contracts(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Contracts"),
            "res_model": "integration.contract",
            "view_mode": "list,form",
            "domain": [("order_id", "=", self.id)],
            "context": {"default_order_id": self.id},
        }

    def _action_cancel(self):
        # Cancelling the quotation voids what is still out for signature (unless the vendor
        # itself ended the contract).
        if not self.env.context.get("clm_contract_ended"):
            for order in self:
                order.clm_contract_ids._clm_void(self.env._("Quotation %s cancelled in Odoo.", order.name))
        in_force = self.filtered(lambda o: o.state == "sale").clm_contract_ids.filtered(
            lambda c: c.state == "signed" and c.is_current
        )
        result = super()._action_cancel()
        in_force._clm_entitlements_changed()  # a cancelled order ends what its contract gave
        return result

    # ------------------------------------------------------------ helpers
    def _clm_quotation_pdf(self):
        self.ensure_one()
        pdf, _type = (
            self.env["ir.actions.report"].sudo()._render_qweb_pdf("sale.action_report_saleorder", self.ids)
        )
        return pdf

    def _clm_down_payment(self, percentage, label):
        """A down-payment invoice of `percentage` % (Odoo's own down payments)."""
        self.ensure_one()
        wizard = (
            self.env["sale.advance.payment.inv"]
            .with_context(active_model="sale.order", active_ids=self.ids, active_id=self.id)
            .create({"advance_payment_method": "percentage", "amount": percentage})
        )
        invoices = wizard._create_invoices(self)
        invoices.ref = label
        return invoices[:1]
