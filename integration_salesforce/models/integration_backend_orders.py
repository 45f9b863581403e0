"""Won opportunities and approved CPQ quotes to one sale order each; amendments change the
contract's order by the delta; renewals give a new order linked to the renewed one.

Order of precedence: an older version never undoes a newer one (checked on the version of
the delivery), Odoo's own write-back coming back is an echo (never re-applied), a change
to a confirmed order waits for a manager (`integration.salesforce.order.change`)."""

import json

from odoo import Command, fields, models
from odoo.addons.integration_core.exceptions import MappingError, PermanentError, WaitingFor

from ..const import (
    OPPORTUNITY,
    OPPORTUNITY_FIELDS,
    OPPORTUNITY_LINE_QUERY,
    QUOTE,
    QUOTE_FIELDS,
    QUOTE_LINE_QUERY,
)
from ..lib import mapping
from ..lib.schemas import Contract, Opportunity, Quote
from .integration_backend_partners import _soql_id, sf_key

DRAFT_STATES = ("draft", "sent")


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    # ---------------------------------------------------------------- reading
    def _salesforce_opportunity_fields(self):
        fields_text = OPPORTUNITY_FIELDS
        if self.salesforce_multicurrency:
            fields_text += ", CurrencyIsoCode"
        if self.salesforce_cpq:
            fields_text += ", SBQQ__PrimaryQuote__c, SBQQ__RenewedContract__c, SBQQ__AmendedContract__c"
        return fields_text

    def _salesforce_opportunity_extra(self):
        return "" if self.salesforce_cpq else OPPORTUNITY_LINE_QUERY

    def _salesforce_odoo_owned_fields(self):
        """The Opportunity fields Odoo writes: a change to only these is Odoo's own echo."""
        return [
            name
            for name in (
                self.salesforce_field_order_number,
                self.salesforce_field_status,
                self.salesforce_field_invoices,
                self.salesforce_field_amount_paid,
                self.salesforce_field_deal,
            )
            if name
        ]

    def _salesforce_read_quote(self, quote_id):
        fields_text = QUOTE_FIELDS + (", CurrencyIsoCode" if self.salesforce_multicurrency else "")
        values = self._salesforce_record(QUOTE, {"values": {"Id": quote_id}}, fields_text, QUOTE_LINE_QUERY)
        return self._salesforce_fact(Quote, values)

    def _salesforce_read_opportunity(self, opportunity_id):
        payload = {"values": {"Id": opportunity_id}}
        return self._salesforce_record(
            OPPORTUNITY, payload, self._salesforce_opportunity_fields(), self._salesforce_opportunity_extra()
        )

    def _salesforce_contract_order(self, contract_id, what):
        """The Odoo order a CPQ contract came from (contract -> its opportunity -> order)."""
        soql = (
            "SELECT Id, SBQQ__Opportunity__c, SBQQ__Quote__c, ContractNumber, SystemModstamp FROM Contract "
            f"WHERE Id = '{_soql_id(contract_id)}'"
        )
        records = list(self._salesforce_client().query_all(soql))
        contract = self._salesforce_fact(Contract, records[0]) if records else None
        order = self.env["sale.order"]
        if contract and contract.opportunity_id:
            order = self.env["integration.external.id"]._record_for(
                self, "sale.order", sf_key(contract.opportunity_id)
            )
            if not order:
                # the original deal's own event may still be on its way: wait for it
                raise WaitingFor(
                    self.env._(
                        "Waiting for the order of opportunity %(opp)s (contract %(contract)s) first: "
                        "this %(what)s changes it.",
                        opp=contract.opportunity_id,
                        contract=contract_id,
                        what=what,
                    ),
                    entity_key=f"deal:{sf_key(contract.opportunity_id)}",
                )
        if not order:
            raise MappingError(
                self.env._(
                    "The %(what)s refers to contract %(contract)s, whose order is not in Odoo. Bring the "
                    "contract's original opportunity in first (Replay it from Exceptions), then Retry.",
                    what=what,
                    contract=contract_id,
                )
            )
        return order

    # ---------------------------------------------------------------- events
    def _salesforce_opportunity_event(self, event, payload):
        values = self._salesforce_record(
            OPPORTUNITY, payload, self._salesforce_opportunity_fields(), self._salesforce_opportunity_extra()
        )
        return self._salesforce_apply_opportunity(event, values)

    def _salesforce_quote_event(self, event, payload):
        """A quote changed (approved, re-approved, made primary): its opportunity decides."""
        values = payload["values"]
        opportunity_id = values.get("SBQQ__Opportunity2__c")
        if not payload.get("complete") or not opportunity_id:
            fields_text = QUOTE_FIELDS
            values = self._salesforce_record(QUOTE, {"values": {"Id": values.get("Id")}}, fields_text)
            opportunity_id = values.get("SBQQ__Opportunity2__c")
        if not self.salesforce_cpq:
            event._note_result(self.env._("CPQ is off on this backend: quote changes are not applied."))
            return None
        if not opportunity_id:
            event._note_result(self.env._("The quote has no opportunity: nothing to do."))
            return None
        return self._salesforce_apply_opportunity(event, self._salesforce_read_opportunity(opportunity_id))

    def _salesforce_apply_opportunity(self, event, values):
        opportunity = self._salesforce_fact(Opportunity, values)
        binder = self.env["integration.external.id"]
        key = sf_key(opportunity.id)
        order = binder._record_for(self, "sale.order", key)
        if order and event.occurred_at and binder._is_stale(self, "sale.order", key, event.occurred_at):
            event._note_result(
                self.env._(
                    "Skipped: this change (%(when)s) is older than the version already applied; "
                    "the opportunity is now at stage %(stage)s.",
                    when=event.occurred_at,
                    stage=opportunity.stage_name,
                )
            )
            return order
        owned = self._salesforce_odoo_owned_fields()
        # Only an opportunity change can be Odoo's echo: a quote notification is a quote change
        # (its opportunity may well carry the integration user's last write-back).
        from_opportunity = event.event_type == OPPORTUNITY
        echo = mapping.is_echo(
            values, self.salesforce_integration_user_id, order.salesforce_content_hash, owned
        )
        if order and from_opportunity and echo:
            event._note_result(self.env._("Echo of Odoo's own status write-back: nothing to apply."))
            return order
        content_hash = mapping.content_hash(values, owned)
        if opportunity.is_lost:
            return self._salesforce_lost(event, opportunity, order, content_hash)
        rule_stage = self.salesforce_commit_stage if self.salesforce_commit_rule == "stage" else None
        if not mapping.deal_is_committed(opportunity, rule_stage):
            event._note_result(
                self.env._("Not committed yet (stage %s): no order.", opportunity.stage_name or "-")
            )
            return order or None
        if order and self.salesforce_cpq and self._salesforce_quote_ended(opportunity, order):
            return order
        quote = None
        if self.salesforce_cpq:
            quote = self._salesforce_primary_quote(opportunity)
            if quote.is_amendment:
                return self._salesforce_apply_amendment(event, opportunity, quote)
        try:
            lines = (
                mapping.quote_order_lines(quote) if quote else mapping.opportunity_order_lines(opportunity)
            )
        except mapping.QuoteMappingError as exc:
            raise PermanentError(
                self.env._("%s. Correct the quote in Salesforce (or the event's payload), then Retry.", exc)
            ) from None
        currency_code = (quote and quote.currency_code) or opportunity.currency_code
        currency = self._currency_for(currency_code) if currency_code else self.company_id.currency_id
        partner = self._salesforce_partner_for_account(opportunity.account_id)
        if not partner:
            raise MappingError(
                self.env._(
                    "Opportunity %s has no account: set the account in Salesforce, then Retry.",
                    opportunity.name,
                )
            )
        line_values = self._salesforce_line_values(lines)
        if not order:
            order = self._salesforce_create_order(
                opportunity, quote, partner, currency, line_values, lines, content_hash
            )
            self._salesforce_check_untaxed(order, lines, quote, opportunity)
            self._salesforce_bind_deal(order, opportunity, content_hash)
            if self.salesforce_order_action == "confirm":
                order._integration_confirm()
            return order
        changes = mapping.line_changes(order._salesforce_snapshot(), lines)
        self._salesforce_bind_deal(order, opportunity, content_hash)
        if not changes:
            event._note_result(self.env._("No change to the order's lines."))
            return order
        if order.state in DRAFT_STATES:
            self._salesforce_replace_lines(order, line_values, lines, quote)
            self._salesforce_check_untaxed(order, lines, quote, opportunity)
            order.message_post(body=self._salesforce_changes_text(changes, quote))
            return order
        self.env["integration.salesforce.order.change"]._propose(self, order, lines, changes, quote, event)
        event._note_result(self.env._("The confirmed order differs from Salesforce: waiting for a manager."))
        return order

    def _salesforce_bind_deal(self, order, opportunity, content_hash):
        """The order stands for the opportunity at this version; the hash of its
        Salesforce-owned content tells Odoo's own write-back (echo) from a real change."""
        self.env["integration.external.id"]._bind(self, order, sf_key(opportunity.id), opportunity.version)
        if order.salesforce_content_hash != content_hash:
            order.with_context(integration_inbound=True).salesforce_content_hash = content_hash

    def _salesforce_primary_quote(self, opportunity):
        if not opportunity.primary_quote_id:
            raise PermanentError(
                self.env._(
                    "Opportunity %s is won but has no primary CPQ quote. Mark its quote as primary in "
                    "Salesforce (the notification brings the order), or Retry afterwards.",
                    opportunity.name,
                )
            )
        quote = self._salesforce_read_quote(opportunity.primary_quote_id)
        if quote.status != (self.salesforce_quote_approved_status or "Approved"):
            raise PermanentError(
                self.env._(
                    "Quote %(quote)s of opportunity %(opp)s is %(status)s, not approved. Approve it in "
                    "Salesforce (its notification updates the order), or Retry afterwards.",
                    quote=quote.name or quote.id,
                    opp=opportunity.name,
                    status=quote.status or "without status",
                )
            )
        return quote

    def _salesforce_lost(self, event, opportunity, order, content_hash):
        if not order:
            event._note_result(self.env._("Lost in Salesforce; there is no order to cancel."))
            return None
        reason = self.env._("Opportunity lost in Salesforce (stage %s).", opportunity.stage_name or "-")
        if order.state in DRAFT_STATES:
            order.with_context(disable_cancel_warning=True, integration_inbound=True)._action_cancel()
            order.message_post(body=self.env._("Quotation cancelled: %s", reason))
        elif order.state == "sale":
            self.env["integration.salesforce.order.change"]._propose_lost(self, order, reason, event)
            event._note_result(self.env._("Lost after confirmation: waiting for a manager."))
        self._salesforce_bind_deal(order, opportunity, content_hash)
        return order

    # ---------------------------------------------------------------- amendments
    def _salesforce_apply_amendment(self, event, opportunity, quote):
        if not quote.master_contract_id:
            raise PermanentError(
                self.env._("Amendment quote %s has no master contract.", quote.name or quote.id)
            )
        order = self._salesforce_contract_order(quote.master_contract_id, self.env._("amendment quote"))
        try:
            delta = mapping.amendment_delta(quote)
        except mapping.QuoteMappingError as exc:
            raise PermanentError(
                self.env._("%s. Correct the amendment in Salesforce, then Retry.", exc)
            ) from None
        applied = set(order.order_line.mapped("salesforce_line_key"))
        new_lines = [line for line in delta if line.key not in applied]
        if not new_lines:
            event._note_result(self.env._("Amendment %s is already on the order.", quote.name or quote.id))
            return order
        values = self._salesforce_line_values(new_lines)
        start = max(order.order_line.mapped("sequence") or [0])
        for offset, line_values in enumerate(values, start=1):
            line_values["sequence"] = start + offset
        order.with_context(integration_inbound=True).write(
            {"order_line": [Command.create(v) for v in values]}
        )
        text = "<br/>".join(
            f"{line.quantity:+} x {line.name.strip()} = {line.subtotal}" for line in new_lines
        )
        order.message_post(
            body=self.env._(
                "Amendment %(quote)s applied:<br/>%(lines)s", quote=quote.name or quote.id, lines=text
            )
        )
        return order

    # ---------------------------------------------------------------- order lines
    def _salesforce_products(self, codes):
        """{product code: product} of the codes Odoo knows: by internal reference (one search
        for all the lines), else through the external-ID map."""
        codes = {code for code in codes if code}
        found = {}
        if codes:
            domain = [("default_code", "in", list(codes)), ("company_id", "in", [self.company_id.id, False])]
            for product in self.env["product.product"].search_fetch(domain, ["default_code"]):
                found.setdefault(product.default_code, product)  # the first in Odoo's order, as limit=1
        binder = self.env["integration.external.id"]
        for code in codes - found.keys():
            product = binder._record_for(self, "product.product", code)
            if product:
                found[code] = product
        return found

    def _salesforce_line_values(self, lines):
        products = self._salesforce_products(line.product_code for line in lines)
        result = []
        for line in lines:
            product = products.get(line.product_code)
            if not product:
                raise MappingError(
                    self.env._(
                        "Product code %(code)s (%(label)s) is not in Odoo: create the product with this "
                        "internal reference or map it under Integrations > External IDs, then Retry.",
                        code=line.product_code or "(empty)",
                        label=line.name.strip(),
                    )
                )
            result.append(
                {
                    "product_id": product.id,
                    "name": line.name,
                    "product_uom_qty": float(line.quantity),
                    "price_unit": float(line.price_unit),
                    "discount": float(line.discount),
                    "sequence": line.sequence,
                    "salesforce_line_key": line.key,
                    "salesforce_parent_key": line.parent_key or False,
                    "salesforce_subscription_term": float(line.subscription_term or 0),
                    "salesforce_start_date": line.start_date or False,
                    "salesforce_end_date": line.end_date or False,
                }
            )
        return result

    def _salesforce_pricelist(self, currency):
        if currency == self.company_id.currency_id:
            return self.env["product.pricelist"]
        pricelist = self.env["product.pricelist"].search(
            [("currency_id", "=", currency.id), ("company_id", "in", [self.company_id.id, False])], limit=1
        )
        if not pricelist:
            raise MappingError(
                self.env._(
                    "The deal is in %(currency)s and there is no pricelist in %(currency)s: create one "
                    "(Sales > Configuration > Pricelists), then Retry.",
                    currency=currency.name,
                )
            )
        return pricelist

    def _salesforce_create_order(
        self, opportunity, quote, partner, currency, line_values, lines, content_hash=False
    ):
        values = {
            "partner_id": partner.id,
            "company_id": self.company_id.id,
            "origin": opportunity.name,
            "client_order_ref": (quote and quote.name) or opportunity.name,
            "team_id": self.salesforce_team_id.id or False,
            "salesforce_backend_id": self.id,
            "salesforce_opportunity_id": opportunity.id,
            "salesforce_quote_id": quote.id if quote else False,
            "salesforce_lines": json.dumps([mapping.line_to_json(line) for line in lines]),
            "salesforce_content_hash": content_hash,  # in the create: no write right after it
            "order_line": [Command.create(v) for v in line_values],
        }
        pricelist = self._salesforce_pricelist(currency)
        if pricelist:
            values["pricelist_id"] = pricelist.id
        if self.salesforce_cpq and opportunity.renewed_contract_id:
            values["salesforce_renewed_order_id"] = self._salesforce_contract_order(
                opportunity.renewed_contract_id, self.env._("renewal opportunity")
            ).id
        if quote and quote.start_date:
            values["commitment_date"] = fields.Datetime.to_datetime(quote.start_date)
        return self.env["sale.order"].with_context(integration_inbound=True).create(values)

    def _salesforce_replace_lines(self, order, line_values, lines, quote):
        commands = [Command.delete(line.id) for line in order.order_line]
        commands += [Command.create(values) for values in line_values]
        order.with_context(integration_inbound=True).write(
            {
                "order_line": commands,
                "salesforce_quote_id": quote.id if quote else order.salesforce_quote_id,
                "salesforce_lines": json.dumps([mapping.line_to_json(line) for line in lines]),
            }
        )

    def _salesforce_check_untaxed(self, order, lines, quote, opportunity):
        """The untaxed total must be the approved net amount to the cent: a difference is a
        failure a person sees, never a rounding."""
        expected = float(sum((line.subtotal for line in lines), mapping.Decimal(0)))
        if order.currency_id.compare_amounts(order.amount_untaxed, expected):
            raise PermanentError(
                self.env._(
                    "Order %(order)s: untaxed total %(odoo)s differs from Salesforce's net amount %(sf)s "
                    "(%(what)s). Check the products' units and the pricelist, then Retry.",
                    order=order.name,
                    odoo=order.amount_untaxed,
                    sf=expected,
                    what=(quote and quote.name) or opportunity.name,
                )
            )

    def _salesforce_changes_text(self, changes, quote):
        head = self.env._(
            "Updated from Salesforce (%s):", (quote and (quote.name or quote.id)) or "opportunity"
        )
        return head + "<br/>" + "<br/>".join(change.text for change in changes)
