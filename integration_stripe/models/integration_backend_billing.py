"""Stripe customers, Billing invoices and subscriptions."""

from odoo import Command, models
from odoo.addons.integration_core.exceptions import (
    MappingError,
    PermanentError,
)

from ..lib import mapping


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    # ------------------------------------------------------------------ customers
    def _stripe_customer(self, event, obj):
        customer_id = obj.get("id")
        partner = self._stripe_bound("res.partner", customer_id)
        email = (obj.get("email") or "").strip()
        name = (obj.get("name") or obj.get("description") or email or "").strip()
        partners = self.env["res.partner"].with_context(integration_inbound=True)
        if not partner:
            if self.stripe_customer_matching == "metadata":
                partner_id = str((obj.get("metadata") or {}).get("odoo_partner_id") or "")
                partner = partners.browse(int(partner_id)).exists() if partner_id.isdigit() else partners
            elif email:
                partner = partners.search([("email", "=ilike", email)], limit=1)
        if not partner:
            if self.stripe_customer_matching != "create":
                event._note_result(
                    self.env._(
                        "No Odoo contact matches Stripe customer %s; it is linked when a payment names it.",
                        customer_id,
                    )
                )
                return None
            if not name:
                raise PermanentError(
                    self.env._(
                        "Stripe customer %s has no name nor email; add one in Stripe, then replay.",
                        customer_id,
                    )
                )
            partner = partners.create({"name": name, "email": email or False})
        elif self._inbound_policy("customer") == "apply":
            values = {"email": email} if email else {}
            if obj.get("name"):
                values["name"] = obj["name"]
            if values:
                self._lock_for_update(partner)
                partner.write(values)
        self._stripe_bind(partner, customer_id, event)
        return partner

    # ------------------------------------------------------------------ billing
    def _stripe_billing_invoice(self, event, obj):
        """Stripe Billing invoices become Odoo invoices only when Stripe owns invoices."""
        facts = mapping.invoice_facts(obj)
        policy = self._inbound_policy("invoice")
        if policy == "ignore":
            event._note_result(
                self.env._(
                    "Odoo owns invoices on this backend: Stripe invoice %s is not copied.", facts.invoice_id
                )
            )
            return None
        if policy == "review":
            raise PermanentError(
                self.env._(
                    "Stripe invoice %s changed, but Odoo owns invoices on this backend. Make the change "
                    "in Odoo if it is right, then ignore this event.",
                    facts.invoice_id,
                )
            )
        move = self._stripe_bound("account.move", facts.invoice_id)
        partner = move.partner_id or self._stripe_billing_partner(event, facts)
        if event.event_type == "invoice.payment_failed":
            (move or partner).sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=self.env.user.id,
                summary=self.env._("Stripe could not collect invoice %s", facts.number or facts.invoice_id),
            )
            return move or partner
        currency = self._stripe_currency(facts.currency)
        if not move:
            move = (
                self.env["account.move"]
                .with_context(integration_inbound=True)
                .create(
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "currency_id": currency.id,
                        "invoice_date": self._stripe_date(facts.created),
                        "invoice_date_due": facts.due_date and facts.due_date.date(),
                        "ref": facts.number or facts.invoice_id,
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "name": description,
                                    "quantity": 1,
                                    "price_unit": self._stripe_amount(amount, currency),
                                    "tax_ids": [],
                                }
                            )
                            for description, amount in facts.lines
                        ],
                    }
                )
            )
            self._stripe_bind(move, facts.invoice_id, event)
        if move.state == "draft" and facts.status in ("open", "paid"):
            move.action_post()
        return move

    def _stripe_billing_partner(self, event, facts):
        partner = self._stripe_bound("res.partner", facts.customer)
        if not partner and facts.email:
            partner = self.env["res.partner"].search([("email", "=ilike", facts.email)], limit=1)
        if not partner and self.stripe_customer_matching == "create" and (facts.name or facts.email):
            partner = (
                self.env["res.partner"]
                .with_context(integration_inbound=True)
                .create({"name": facts.name or facts.email, "email": facts.email or False})
            )
        if not partner:
            raise MappingError(
                self.env._(
                    "Stripe invoice %(invoice)s is for customer %(customer)s, who is not linked to an "
                    "Odoo contact. Create the contact (with the customer's email) or set the customer "
                    "matching to create, then retry.",
                    invoice=facts.invoice_id,
                    customer=facts.customer or facts.email or "?",
                )
            )
        if facts.customer:
            self._stripe_bind(partner, facts.customer, event)
        return partner

    def _stripe_subscription(self, event, obj):
        subscription_id, customer_id, status = mapping.subscription_state(obj, event.event_type)
        partner = self._stripe_bound("res.partner", customer_id)
        if not partner:
            raise MappingError(
                self.env._(
                    "Subscription %(sub)s belongs to Stripe customer %(customer)s, who is not linked to an "
                    "Odoo contact yet. Its customer event links it (replay it, or create the contact with "
                    "the customer's email), then retry.",
                    sub=subscription_id,
                    customer=customer_id or "?",
                )
            )
        partner.sudo().with_context(integration_inbound=True).write(
            {"stripe_subscription_id": subscription_id, "stripe_subscription_state": status}
        )
        return partner
