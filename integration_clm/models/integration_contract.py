"""A contract sent for signature (or found at a vendor) and what it means for its order.

One record per envelope / signature request / document. An amendment is a new version that
supersedes the one it amends and changes the same order; a renewal is the next term's
contract on a new quotation."""

from datetime import timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from odoo import api, fields, models
from odoo.exceptions import UserError

from ..const import BILLING_METHODS, CONTRACT_STATES, OP_FETCH_PDF, OP_SEND, OP_VOID
from ..lib import lifecycle
from ..lib.schemas import ContractPayloadError, parse_amended_lines


class IntegrationContract(models.Model):
    _name = "integration.contract"
    _description = "Contract"
    _inherit = ["mail.thread", "mail.activity.mixin", "integration.deal.mixin"]
    _order = "id desc"

    name = fields.Char(required=True, tracking=True)
    backend_id = fields.Many2one("integration.backend", required=True, ondelete="restrict", index=True)
    provider = fields.Selection(related="backend_id.kind", store=True, string="Provider")
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    external_id = fields.Char(
        string="Envelope / Document ID",
        copy=False,
        index=True,
        tracking=True,
        help="The vendor's id: DocuSign envelope, Dropbox Sign signature request, PandaDoc document.",
    )
    version = fields.Integer(default=1, readonly=True)
    amendment_of_id = fields.Many2one("integration.contract", index=True, readonly=True)
    amendment_ids = fields.One2many("integration.contract", "amendment_of_id", string="Amendments")
    superseded_by_id = fields.Many2one("integration.contract", readonly=True, copy=False)
    is_current = fields.Boolean(compute="_compute_is_current", store=True, string="Current Version")
    renews_id = fields.Many2one("integration.contract", readonly=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Counterparty", tracking=True)
    signer_email = fields.Char()
    signer_name = fields.Char()
    order_id = fields.Many2one("sale.order", index=True, tracking=True)
    order_state = fields.Selection(related="order_id.state", string="Order Status")
    user_id = fields.Many2one(related="order_id.user_id", string="Salesperson")
    state = fields.Selection(CONTRACT_STATES, default="draft", required=True, tracking=True, readonly=True)
    status_at = fields.Datetime(
        string="Last Status At", readonly=True, help="Vendor time of the last status."
    )
    sent_at = fields.Datetime(readonly=True)
    signed_date = fields.Datetime(readonly=True, tracking=True)
    confirmed_at = fields.Datetime(string="Order Confirmed At", readonly=True)
    end_reason = fields.Char(string="Declined / Voided Because", readonly=True)
    # Terms the order is checked against when the contract is signed.
    amount_untaxed = fields.Monetary(string="Contract Amount (untaxed)", currency_field="currency_id")
    currency_id = fields.Many2one("res.currency")
    term_start = fields.Date()
    term_end = fields.Date(tracking=True)
    terms_difference = fields.Text(
        readonly=True, copy=False, help="What differs between the signed contract and its order (both sides)."
    )
    auto_renew = fields.Boolean()
    notice_days = fields.Integer(
        default=30, help="The renewal quotation is made this many days before the end."
    )
    renewal_term_months = fields.Integer(default=12)
    renewal_due = fields.Boolean(compute="_compute_renewal_due", search="_search_renewal_due")
    renewal_order_id = fields.Many2one("sale.order", string="Renewal Quotation", readonly=True, copy=False)
    billing_method = fields.Selection(BILLING_METHODS, default="order", required=True)
    billing_line_ids = fields.One2many(
        "integration.contract.billing.line", "contract_id", string="Billing Plan"
    )
    signed_pdf_id = fields.Many2one("ir.attachment", string="Signed PDF", readonly=True, copy=False)
    amended_lines = fields.Text(
        readonly=True, copy=False, help="An amendment's order lines as signed (JSON)."
    )

    # The deal of its order (integration.deal.mixin).
    integration_deal_id = fields.Many2one(compute="_compute_integration_deal_id", store=True, readonly=True)

    _backend_external_unique = models.UniqueIndex("(backend_id, external_id) WHERE external_id IS NOT NULL")

    @api.depends("superseded_by_id")
    def _compute_is_current(self):
        for contract in self:
            contract.is_current = not contract.superseded_by_id

    @api.depends("order_id.integration_deal_id")
    def _compute_integration_deal_id(self):
        for contract in self:
            contract.integration_deal_id = (
                contract.order_id.integration_deal_id or contract.integration_deal_id
            )

    def _renewal_start(self):
        return self.term_end - timedelta(days=self.notice_days or 0)

    @api.depends("auto_renew", "term_end", "notice_days", "state", "is_current")
    def _compute_renewal_due(self):
        today = fields.Date.context_today(self)
        for contract in self:
            contract.renewal_due = bool(
                contract.auto_renew
                and contract.state == "signed"
                and contract.is_current
                and contract.term_end
                and contract._renewal_start() <= today
            )

    def _search_renewal_due(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            return NotImplemented
        candidates = self.search(
            [
                ("auto_renew", "=", True),
                ("state", "=", "signed"),
                ("is_current", "=", True),
                ("term_end", "!=", False),
            ]
        ).filtered("renewal_due")
        wanted = value if operator == "=" else not value
        return [("id", "in" if wanted else "not in", candidates.ids)]

    # ------------------------------------------------------------ from events
    @api.model
    def _clm_create_from_facts(self, backend, facts, order, amended):
        values = {
            "name": facts.title or (order.name if order else facts.external_id),
            "backend_id": backend.id,
            "external_id": facts.external_id,
            "order_id": order.id if order else False,
            "partner_id": (
                order.partner_id if order else backend._match_partner(email=facts.signer_email)
            ).id,
        }
        if amended:
            values.update(amendment_of_id=amended.id, version=amended.version + 1)
            values.update(amended._clm_terms_to_copy())
        elif order:
            values.update(order._clm_contract_terms())
        return self.create(values)

    def _clm_terms_to_copy(self):
        return {
            "amount_untaxed": self.amount_untaxed,
            "currency_id": self.currency_id.id,
            "term_start": self.term_start,
            "term_end": self.term_end,
            "partner_id": self.partner_id.id,
            "auto_renew": self.auto_renew,
            "notice_days": self.notice_days,
            "renewal_term_months": self.renewal_term_months,
            "billing_method": self.billing_method,
        }

    def _clm_take_facts(self, facts):
        """Keep what the vendor says about the terms and the signer (the signed document wins)."""
        values = {}
        if facts.signer_email:
            values.update(signer_email=facts.signer_email, signer_name=facts.signer_name)
        if facts.amount is not None:
            values["amount_untaxed"] = float(facts.amount)
        if facts.currency:
            currency = self.backend_id._currency_for(facts.currency)
            values["currency_id"] = currency.id
        if facts.term_start:
            values["term_start"] = facts.term_start
        if facts.term_end:
            values["term_end"] = facts.term_end
        if facts.custom_fields.get("odoo_lines"):
            values["amended_lines"] = facts.custom_fields["odoo_lines"]
        if facts.reason:
            values["end_reason"] = facts.reason
        if values:
            self.write(values)

    def _clm_move_to(self, state, facts, event):
        values = {"state": state, "status_at": facts.occurred_at or fields.Datetime.now()}
        if state == lifecycle.SENT or (state in (lifecycle.VIEWED, lifecycle.SIGNED) and not self.sent_at):
            values["sent_at"] = values["status_at"]
        if state == lifecycle.SIGNED:
            values["signed_date"] = values["status_at"]
        self.write(values)
        if state == lifecycle.SIGNED:
            if self.amendment_of_id:
                self._clm_apply_amendment(event)
            else:
                self._clm_execute(event)
        elif state in lifecycle.CANCELLING:
            self._clm_cancel_order()

    # ------------------------------------------------------------ signed
    def _clm_execute(self, event=None):
        """Check the signed terms against the order; confirm it and plan its billing on a match."""
        self.ensure_one()
        order = self.order_id
        differences = self._clm_differences()
        if differences:
            text = "\n".join(differences)
            self.terms_difference = text
            order.message_post(
                body=self.env._(
                    "Signed contract %(name)s differs from this order; it stays provisional:\n%(d)s",
                    name=self.name,
                    d=text,
                )
            )
            if event:
                event._note_result(self.env._("Signed, but the terms differ from the order: %s", text))
            return False
        self.terms_difference = False
        if order.state in ("draft", "sent"):
            # sale.order.action_confirm records the confirmation and plans the billing
            order._integration_confirm()
        return order.state == "sale"

    def _clm_differences(self):
        """Sentences naming each term that differs, with both sides."""
        order = self.order_id
        found = []
        currency = self.currency_id or order.currency_id
        if self.currency_id and self.currency_id != order.currency_id:
            found.append(
                self.env._(
                    "Currency: order %(o)s, contract %(c)s", o=order.currency_id.name, c=self.currency_id.name
                )
            )
        elif self.amount_untaxed and currency.compare_amounts(self.amount_untaxed, order.amount_untaxed):
            found.append(
                self.env._(
                    "Untaxed amount: order %(o)s, contract %(c)s",
                    o=f"{order.amount_untaxed:.{currency.decimal_places}f} {currency.name}",
                    c=f"{self.amount_untaxed:.{currency.decimal_places}f} {currency.name}",
                )
            )
        for label, mine, theirs in (
            (self.env._("Term start"), self.term_start, order.clm_term_start),
            (self.env._("Term end"), self.term_end, order.clm_term_end),
        ):
            if mine and theirs and mine != theirs:
                found.append(self.env._("%(l)s: order %(o)s, contract %(c)s", l=label, o=theirs, c=mine))
        if self.signer_email and not order._clm_is_counterparty(self.signer_email):
            found.append(
                self.env._(
                    "Counterparty: order %(o)s, contract signed by %(c)s",
                    o=order.partner_id.display_name,
                    c=self.signer_email,
                )
            )
        return found

    def action_check_terms_again(self):
        """After the order (or the contract's terms) was corrected."""
        for contract in self.filtered(lambda c: c.state == "signed" and c.order_id):
            contract._clm_execute()

    def _clm_plan_billing(self):
        """Milestone billing: the order's milestone lines get the contract's milestones
        (sale_project invoices each reached one); schedule lines wait for their date."""
        self.ensure_one()
        if self.billing_method != "milestones":
            return
        milestone_lines = self.order_id.order_line.filtered(
            lambda sol: sol.product_id.service_policy == "delivered_milestones"
        )
        for line in milestone_lines:
            project = line.project_id or self.order_id.project_id
            if not project:
                continue
            default = project.milestone_ids.filtered(
                lambda m, sol=line: m.sale_line_id == sol and not m.is_reached
            )
            plan = self.billing_line_ids.filtered(lambda b: not b.milestone_id)
            if not plan:
                continue
            default.unlink()
            for step in plan:
                step.milestone_id = self.env["project.milestone"].create(
                    {
                        "name": step.name,
                        "project_id": project.id,
                        "sale_line_id": line.id,
                        "quantity_percentage": step.percentage / 100.0,
                        "deadline": step.due_date,
                    }
                )

    # ------------------------------------------------------------ amendment
    def _clm_apply_amendment(self, event=None):
        """A signed amendment changes the same order, line by line, with a before → after trail."""
        self.ensure_one()
        previous = self.amendment_of_id
        order = self.order_id
        try:
            lines = parse_amended_lines(self.amended_lines or "")
        except ContractPayloadError as exc:
            self.terms_difference = str(exc)
            return False
        problems, changes, plan = [], [], []
        for amended in lines:
            line = order.order_line.filtered(
                lambda sol, ref=amended.product: sol.product_id.default_code == ref
            )[:1]
            if not line:
                problems.append(self.env._("Product %s is not on the order.", amended.product))
                continue
            done = max(line.qty_delivered, line.qty_invoiced)
            if float(amended.quantity) < done:
                problems.append(
                    self.env._(
                        "%(p)s: the amendment sets %(new)s, but %(done)s were already delivered or invoiced.",
                        p=line.product_id.display_name,
                        new=amended.quantity,
                        done=done,
                    )
                )
                continue
            plan.append((line, amended))
        if problems:
            self.terms_difference = "\n".join(problems)
            if event:
                event._note_result(self.terms_difference)
            return False
        for line, amended in plan:
            values = {"product_uom_qty": float(amended.quantity)}
            before = f"{line.product_uom_qty:g} x {line.price_unit:.2f}"
            if amended.price_unit is not None:
                values["price_unit"] = float(amended.price_unit)
            line.with_context(integration_inbound=True).write(values)
            changes.append(
                f"{line.product_id.display_name}: {before} → {line.product_uom_qty:g} x {line.price_unit:.2f}"
            )
        if self.term_end and self.term_end != previous.term_end:
            changes.append(self.env._("End date: %(b)s → %(a)s", b=previous.term_end, a=self.term_end))
            order.clm_term_end = self.term_end
        previous.superseded_by_id = self
        self.terms_difference = False
        order.message_post(
            body=self.env._(
                "Amendment %(name)s (version %(v)s of %(of)s) signed:\n%(changes)s",
                name=self.name,
                v=self.version,
                of=previous.name,
                changes="\n".join(changes) or self.env._("no line changed"),
            )
        )
        return True

    # ------------------------------------------------------------ ended
    def _clm_cancel_order(self):
        self.ensure_one()
        order = self.order_id
        if not order or order.state not in ("draft", "sent") or self.amendment_of_id:
            return
        reason = self.end_reason or dict(CONTRACT_STATES)[self.state]
        order.with_context(clm_contract_ended=True)._action_cancel()
        order.message_post(
            body=self.env._(
                "Cancelled: contract %(name)s was %(state)s (%(reason)s).",
                name=self.name,
                state=self.state,
                reason=reason,
            )
        )
        order.activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=(order.user_id or self.env.user).id,
            summary=self.env._("Contract %s", dict(CONTRACT_STATES)[self.state]),
            note=self.env._("%(order)s was cancelled: %(reason)s", order=order.name, reason=reason),
        )

    # ------------------------------------------------------------ outbound
    def _clm_request_signed_pdf(self):
        """Fetch the signed PDF through the outbound queue (retried), once."""
        for contract in self.filtered(lambda c: not c.signed_pdf_id and c.external_id):
            pending = (
                self.env["integration.outbound"]
                .sudo()
                .search_count(
                    [
                        ("operation", "=", OP_FETCH_PDF),
                        ("res_model", "=", self._name),
                        ("res_id", "=", contract.id),
                        ("state", "not in", ("failed", "dead")),
                    ]
                )
            )
            if not pending:
                self.env["integration.outbound"]._enqueue(
                    contract.backend_id,
                    OP_FETCH_PDF,
                    contract,
                    {"contract_id": contract.id},
                    entity_key=f"contract:{contract.id}",
                )

    def _clm_enqueue_send(self):
        for contract in self:
            self.env["integration.outbound"]._enqueue(
                contract.backend_id,
                OP_SEND,
                contract,
                {"contract_id": contract.id},
                entity_key=f"contract:{contract.id}",
            )

    def _clm_void(self, reason):
        for contract in self.filtered(lambda c: c.external_id and c.state not in lifecycle.ENDED):
            self.env["integration.outbound"]._enqueue(
                contract.backend_id,
                OP_VOID,
                contract,
                {"contract_id": contract.id, "reason": reason},
                entity_key=f"contract:{contract.id}",
            )

    def _clm_amount_to_cent(self):
        """The contract amount as the text a vendor field carries: a Decimal to the currency's cent."""
        if not self.currency_id:
            return None
        return Decimal(f"{self.amount_untaxed:.{self.currency_id.decimal_places}f}")

    def _clm_signed_to_confirmed_hours(self):
        return sorted(
            (c.confirmed_at - c.signed_date).total_seconds() / 3600.0
            for c in self
            if c.confirmed_at and c.signed_date and c.confirmed_at >= c.signed_date
        )

    # ------------------------------------------------------------ renewal
    @api.model
    def _cron_create_renewals(self):
        """Renewal quotations for the contracts whose notice period has started."""
        for contract in self.search([("renewal_due", "=", True), ("renewal_order_id", "=", False)]):
            contract._clm_create_renewal()
            self.env["ir.cron"]._commit_progress(1)

    def _clm_create_renewal(self):
        self.ensure_one()
        start = self.term_end + timedelta(days=1)
        end = start + relativedelta(months=self.renewal_term_months or 12) - timedelta(days=1)
        order = self.order_id.copy(
            {"clm_term_start": start, "clm_term_end": end, "origin": self.order_id.name}
        )
        renewal = self.create(
            {
                **self._clm_terms_to_copy(),
                "name": self.env._("%(name)s (renewal %(start)s)", name=self.name, start=start),
                "backend_id": self.backend_id.id,
                "order_id": order.id,
                "renews_id": self.id,
                "term_start": start,
                "term_end": end,
                "amount_untaxed": order.amount_untaxed,
                "currency_id": order.currency_id.id,
            }
        )
        shift = relativedelta(months=self.renewal_term_months or 12)
        renewal.billing_line_ids = [
            fields.Command.create(
                {
                    "name": b.name,
                    "percentage": b.percentage,
                    "kind": b.kind,
                    "due_date": b.due_date and b.due_date + shift,
                }
            )
            for b in self.billing_line_ids
        ]
        self.renewal_order_id = order
        order.message_post(body=self.env._("Renewal of contract %s: send it for signature.", self.name))
        return order

    # ------------------------------------------------------------ billing by schedule
    @api.model
    def _cron_invoice_due(self):
        """Invoice what the agreements say is due: reached milestones and schedule dates.

        Running it twice invoices nothing twice: milestone lines only invoice what is delivered
        and not invoiced yet, and a schedule line keeps the invoice it made."""
        contracts = self.search(
            [("state", "=", "signed"), ("order_state", "=", "sale"), ("is_current", "=", True)]
        )
        for contract in contracts:
            contract._clm_invoice_due()
            self.env["ir.cron"]._commit_progress(1)

    def action_invoice_due(self):
        """Invoice now what the agreement says is due (the scheduled action does it hourly)."""
        for contract in self.filtered(lambda c: c.state == "signed" and c.order_state == "sale"):
            contract._clm_invoice_due()
        return True

    def _clm_invoice_due(self):
        self.ensure_one()
        invoices = self.env["account.move"]
        if self.billing_method == "milestones":
            order = self.order_id
            if order.invoice_status == "to invoice":
                invoices = order._create_invoices()
                for step in self.billing_line_ids.filtered(
                    lambda b: b.milestone_id.is_reached and not b.invoice_id
                ):
                    step.invoice_id = invoices[:1]
        elif self.billing_method == "schedule":
            today = fields.Date.context_today(self)
            for step in self.billing_line_ids.filtered(
                lambda b: not b.invoice_id and b.due_date and b.due_date <= today
            ):
                step.invoice_id = self.order_id._clm_down_payment(step.percentage, step.name)
                invoices |= step.invoice_id
        return invoices

    def action_open_order(self):
        self.ensure_one()
        if not self.order_id:
            raise UserError(self.env._("This contract has no order yet: choose it first."))
        return {
            "type": "ir.actions.act_window",
            "res_model": "sale.order",
            "res_id": self.order_id.id,
            "view_mode": "form",
        }
