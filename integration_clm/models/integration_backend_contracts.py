"""Contract events: the lifecycle applied to `integration.contract`, and what each outcome
does to its order (confirm and plan billing, cancel, amend)."""

from odoo import fields, models
from odoo.addons.integration_core.exceptions import MappingError

from ..const import CLM_KINDS
from ..lib import lifecycle


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    def _handle_event(self, event):
        if self.kind not in CLM_KINDS:
            return super()._handle_event(event)
        facts = self._clm_facts(event)
        handler = self._clm_event_handlers().get(facts.event_type, self._clm_contract_changed)
        return handler(event, facts)

    def _clm_event_handlers(self):
        """Event type -> method. Every other type carries a contract status."""
        return {
            "callback_test": self._clm_callback_test,
        }

    def _clm_callback_test(self, event, facts):
        event._note_result(self.env._("Dropbox Sign callback test: answered and stored."))
        return None

    # ------------------------------------------------------------ one status
    def _clm_contract_changed(self, event, facts):
        contract = self.env["integration.contract"].search(
            [("backend_id", "=", self.id), ("external_id", "=", facts.external_id)], limit=1
        )
        if not self._check_inbound_policy(event, "contract", facts.external_id):
            return contract or None
        order, amended = self._clm_order_for(contract, facts)
        if not contract:
            contract = self.env["integration.contract"]._clm_create_from_facts(self, facts, order, amended)
        elif not contract.order_id and order:
            contract.order_id = order
        if facts.status == lifecycle.SIGNED and not contract.order_id:
            raise MappingError(
                self.env._(
                    "Contract %(ref)s is signed but matches no quotation: it carries no %(field)s "
                    "custom field, no Salesforce id known here, and Odoo did not create it. Open the "
                    "contract, choose its order, then Retry this event.",
                    ref=facts.external_id,
                    field="odoo_order",
                )
            )
        before = contract.state
        after = lifecycle.advance(before, facts.status)
        if not lifecycle.is_stale(before, facts.status):
            contract._clm_take_facts(facts)  # a stale event's terms never overwrite newer ones
        if after != before:
            contract._clm_move_to(after, facts, event)
        elif facts.status and facts.status != before:
            event._note_result(
                self.env._(
                    "Stale status %(status)s ignored: the contract is already %(state)s.",
                    status=facts.status,
                    state=before,
                )
            )
        if facts.pdf_ready:
            contract._clm_request_signed_pdf()
        return contract

    def _clm_order_for(self, contract, facts):
        """(order, amended contract) of an event, in the order of the issue's rules:
        the contract Odoo created, the amended contract, `odoo_order`, a Salesforce id."""
        orders = self.env["sale.order"].with_company(self.company_id)
        amended = self.env["integration.contract"]
        if facts.amends:
            amended = self.env["integration.contract"].search(
                [("backend_id", "=", self.id), ("external_id", "=", facts.amends)], limit=1
            ) or self.env["integration.contract"].search(
                [("backend_id", "=", self.id), ("name", "=", facts.amends)], limit=1
            )
        if contract.order_id:
            return contract.order_id, amended or contract.amendment_of_id
        if amended:
            return amended.order_id, amended
        if facts.order_ref:
            order = orders.search(
                [("name", "=", facts.order_ref), ("company_id", "=", self.company_id.id)], limit=1
            )
            if order:
                return order, amended
        if facts.salesforce_ref:
            binding = (
                self.env["integration.external.id"]
                .sudo()
                .search(
                    [
                        ("model", "=", "sale.order"),
                        ("external_id", "=", facts.salesforce_ref),
                        ("company_id", "=", self.company_id.id),
                    ],
                    limit=1,
                )
            )
            if binding:
                return orders.browse(binding.res_id).exists(), amended
        return orders, amended

    # ------------------------------------------------------------ business exceptions
    def _business_exceptions(self):
        res = super()._business_exceptions()
        if self.kind not in CLM_KINDS:
            return res
        contracts = self.env["integration.contract"]
        stale_sent = fields.Datetime.subtract(fields.Datetime.now(), days=self.clm_unsigned_days or 7)
        checks = [
            (
                "clm_unsigned",
                self.env._("Contracts sent and unsigned after %s days", self.clm_unsigned_days),
                [("state", "in", ("sent", "viewed")), ("sent_at", "<", stale_sent)],
            ),
            (
                "clm_signed_not_confirmed",
                self.env._("Signed contracts whose order is not confirmed"),
                [
                    ("state", "=", "signed"),
                    ("order_state", "in", ("draft", "sent")),
                    ("is_current", "=", True),
                ],
            ),
            (
                "clm_terms_differ",
                self.env._("Signed contracts whose terms differ from the order"),
                [("terms_difference", "!=", False)],
            ),
            (
                "clm_renewal_missing",
                self.env._("Renewals due without a quotation"),
                [("renewal_due", "=", True), ("renewal_order_id", "=", False)],
            ),
        ]
        for code, label, domain in checks:
            domain = [("backend_id", "=", self.id), *domain]
            res.append(
                {
                    "code": code,
                    "label": label,
                    "count": contracts.search_count(domain),
                    "threshold": 0,
                    "action": {
                        "type": "ir.actions.act_window",
                        "name": label,
                        "res_model": "integration.contract",
                        "view_mode": "list,form",
                        "domain": domain,
                    },
                }
            )
        return res
