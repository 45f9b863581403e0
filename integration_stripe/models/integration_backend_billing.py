"""Stripe customers, Billing invoices (with their taxes and discounts, total checked to the
cent) and subscriptions."""

from odoo import Command, models
from odoo.addons.integration_core.exceptions import MappingError, PermanentError

from ..lib import mapping


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    # ------------------------------------------------------------------ customers
    def _stripe_customer(self, event, customer, stripe_event):
        email = (customer.email or "").strip()
        name = (customer.name or customer.description or email or "").strip()
        partner = self._stripe_partner(customer.id, email, customer.metadata)
        partners = self.env["res.partner"].with_context(integration_inbound=True)
        if not partner:
            if self.stripe_customer_matching != "create":
                event._note_result(
                    self.env._(
                        "No Odoo contact matches Stripe customer %s; it is linked when a payment names it.",
                        customer.id,
                    )
                )
                return None
            if not name:
                raise PermanentError(
                    self.env._(
                        "Stripe customer %s has no name nor email; add one in Stripe, then retry.",
                        customer.id,
                    )
                )
            partner = partners.create({"name": name, "email": email or False})
        elif self._inbound_policy("customer") == "apply":
            values = {"email": email} if email else {}
            if customer.name:
                values["name"] = customer.name
            if values:
                self._write_or_create(partner, values)
        self._stripe_bind(partner, customer.id, event)
        return partner

    # ------------------------------------------------------------------ billing
    def _stripe_billing_invoice(self, event, invoice, stripe_event):
        """Stripe Billing invoices become Odoo invoices only when Stripe owns invoices."""
        if not self._check_inbound_policy(event, "invoice", f"Stripe invoice {invoice.id}"):
            event._note_result(
                self.env._("Odoo owns invoices on this backend: Stripe invoice %s is not copied.", invoice.id)
            )
            return None
        move = self._stripe_bound("account.move", invoice.id)
        partner = move.partner_id or self._stripe_billing_partner(event, invoice)
        if event.event_type == "invoice.payment_failed":
            (move or partner).sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=self.env.user.id,
                summary=self.env._("Stripe could not collect invoice %s", invoice.number or invoice.id),
            )
            return move or partner
        currency = self._currency_for(invoice.currency)
        if not move:
            move = (
                self.env["account.move"]
                .with_context(integration_inbound=True)
                .create(
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "currency_id": currency.id,
                        "invoice_date": self._stripe_date(invoice.created),
                        "invoice_date_due": invoice.due_date and invoice.due_date.date(),
                        "ref": invoice.number or invoice.id,
                        "invoice_line_ids": self._stripe_invoice_lines(invoice, currency),
                    }
                )
            )
            odoo_total = self._stripe_minor(move.amount_total, currency)
            if odoo_total != invoice.total:
                raise PermanentError(
                    self.env._(
                        "Stripe invoice %(invoice)s totals %(stripe)s, its copy in Odoo %(odoo)s (lines, "
                        "discounts and taxes as Stripe sent them). Check the Odoo taxes of the same "
                        "rates (tax included or not), then retry.",
                        invoice=invoice.id,
                        stripe=self._stripe_text(invoice.total, currency),
                        odoo=self._stripe_text(odoo_total, currency),
                    )
                )
            self._stripe_bind(move, invoice.id, event)
        if move.state == "draft" and invoice.status in ("open", "paid"):
            move.action_post()
        return move

    def _stripe_invoice_lines(self, invoice, currency):
        """One Odoo line per Stripe line, its discounts as a negative line, both with the Odoo
        sale taxes of the rates Stripe applied (included or not)."""
        commands = []
        for description, amount, discount, taxes in mapping.invoice_lines(invoice):
            tax_ids = self._stripe_taxes(invoice, taxes).ids
            commands.append(
                Command.create(
                    {
                        "name": description,
                        "quantity": 1,
                        "price_unit": self._stripe_amount(amount, currency),
                        "tax_ids": [Command.set(tax_ids)],
                    }
                )
            )
            if discount:
                commands.append(
                    Command.create(
                        {
                            "name": self.env._("Discount: %s", description),
                            "quantity": 1,
                            "price_unit": -self._stripe_amount(discount, currency),
                            "tax_ids": [Command.set(tax_ids)],
                        }
                    )
                )
        return commands

    def _stripe_taxes(self, invoice, taxes):
        """The Odoo sale taxes of the company with the rates of `taxes` (MappingError naming the
        rate to create when one is missing)."""
        found = self.env["account.tax"]
        for tax in taxes:
            if not tax.amount:
                continue
            percent = mapping.tax_percent(tax)
            odoo_tax = self.env["account.tax"].search(
                [
                    ("company_id", "=", self.company_id.id),
                    ("type_tax_use", "=", "sale"),
                    ("amount_type", "=", "percent"),
                    ("amount", "=", percent),
                    ("price_include", "=", tax.is_inclusive),
                ],
                limit=1,
            )
            if not odoo_tax:
                raise MappingError(
                    self.env._(
                        "Stripe invoice %(invoice)s has a %(percent)s%% tax (%(kind)s); create an Odoo "
                        "sale tax of that rate, then retry.",
                        invoice=invoice.id,
                        percent=percent,
                        kind=self.env._("included") if tax.is_inclusive else self.env._("excluded"),
                    )
                )
            found |= odoo_tax
        return found

    def _stripe_billing_partner(self, event, invoice):
        partner = self._stripe_partner(invoice.customer, invoice.customer_email)
        if (
            not partner
            and self.stripe_customer_matching == "create"
            and (invoice.customer_name or invoice.customer_email)
        ):
            partner = self._write_or_create(
                self.env["res.partner"],
                {
                    "name": invoice.customer_name or invoice.customer_email,
                    "email": invoice.customer_email or False,
                },
            )
        if not partner:
            raise MappingError(
                self.env._(
                    "Stripe invoice %(invoice)s is for customer %(customer)s, who is not linked to an "
                    "Odoo contact. Create the contact (with the customer's email) or set the customer "
                    "matching to create, then retry.",
                    invoice=invoice.id,
                    customer=invoice.customer or invoice.customer_email or "?",
                )
            )
        if invoice.customer:
            self._stripe_bind(partner, invoice.customer, event)
        return partner

    def _stripe_subscription(self, event, subscription, stripe_event):
        status = "canceled" if event.event_type.endswith(".deleted") else subscription.status
        partner = self._stripe_bound("res.partner", subscription.customer)
        if not partner:
            raise MappingError(
                self.env._(
                    "Subscription %(sub)s belongs to Stripe customer %(customer)s, who is not linked to an "
                    "Odoo contact yet. Its customer event links it (replay it, or create the contact with "
                    "the customer's email), then retry.",
                    sub=subscription.id,
                    customer=subscription.customer or "?",
                )
            )
        partner.sudo().with_context(integration_inbound=True).write(
            {"stripe_subscription_id": subscription.id, "stripe_subscription_state": status}
        )
        return partner
