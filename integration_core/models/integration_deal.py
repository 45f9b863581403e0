"""A deal: one customer agreement followed across backends (quote → contract → order →
invoice → payment), by one correlation id.

The deal is opened by the first event of it that a connector says starts a deal
(`integration.backend._deal_opening`), e.g. the Salesforce opportunity that becomes a
quotation. Every later event and outbound message joins it in one place, the engine
(`integration.event._join_deal`, `integration.outbound._enqueue`), through:

- the document it is about (`integration.deal.mixin`: sale orders, invoices, contracts…);
- the vendor entity it is about (an event of an entity that already belongs to a deal);
- the deal correlation id the vendor sends back (`integration.backend._deal_reference`:
  envelope custom fields, Stripe metadata), which connectors put in what they send with
  `integration.outbound._deal_reference()`.
"""

import uuid
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .integration_cycle_objective import CYCLE_STEPS


class IntegrationDeal(models.Model):
    _name = "integration.deal"
    _description = "Integration Deal"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"

    name = fields.Char(
        string="Correlation ID",
        required=True,
        readonly=True,
        copy=False,
        default=lambda self: self._new_reference(),
        help="Carried by every event, outbound message, document and audit line of the deal, "
        "and sent to the connected systems (envelope custom fields, Stripe metadata, "
        "Salesforce write-backs, the support-platform push).",
    )
    title = fields.Char(string="Deal", readonly=True, help="What the first event of the deal was about.")
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    origin_backend_id = fields.Many2one("integration.backend", string="Started In", readonly=True)
    origin_event_id = fields.Many2one("integration.event", string="First Event", readonly=True)
    origin_key = fields.Char(string="Origin Document Key", readonly=True, index=True)
    event_ids = fields.One2many("integration.event", "deal_id", string="Events")
    outbound_ids = fields.One2many("integration.outbound", "deal_id", string="Outbound Messages")
    step_ids = fields.One2many("integration.deal.step", "deal_id", string="Timeline")
    event_count = fields.Integer(compute="_compute_figures")
    outbound_count = fields.Integer(compute="_compute_figures")
    problem_count = fields.Integer(
        compute="_compute_figures", help="Events failed or given up, messages not sent yet or refused."
    )
    health = fields.Selection(
        [("ok", "On track"), ("waiting", "Waiting"), ("problem", "Needs attention")],
        compute="_compute_figures",
    )
    first_at = fields.Datetime(compute="_compute_figures", string="Started")
    last_at = fields.Datetime(compute="_compute_figures", string="Last Step")
    external_ref = fields.Char(
        string="Any ID",
        compute="_compute_external_ref",
        search="_search_external_ref",
        help="Find a deal by any id of it: the correlation id, a Salesforce, DocuSign, Stripe… id.",
    )

    cycle_ids = fields.One2many("integration.deal.cycle", "deal_id", string="Cycle Times")
    cycles_complete = fields.Boolean(
        readonly=True, index=True, help="Every step of the deal is measured to its end (paid)."
    )
    breach_count = fields.Integer(compute="_compute_breach_count", string="Steps Over Objective")

    _name_unique = models.UniqueIndex("(name)")

    @api.depends("cycle_ids.is_breached")
    def _compute_breach_count(self):
        for deal in self:
            deal.breach_count = len(deal.cycle_ids.filtered("is_breached"))

    @api.model
    def _new_reference(self):
        return f"deal-{uuid.uuid4().hex[:16]}"

    @api.depends("step_ids.state", "step_ids.at")
    def _compute_figures(self):
        for deal in self:
            steps = deal.step_ids
            events = steps.filtered(lambda s: s.kind == "event")
            problems = steps.filtered(lambda s: s.state in ("failed", "dead"))
            waiting = steps.filtered(lambda s: s.state in ("pending", "processing", "retry"))
            deal.event_count = len(events)
            deal.outbound_count = len(steps) - len(events)
            deal.problem_count = len(problems)
            deal.health = "problem" if problems else "waiting" if waiting else "ok"
            times = [s.at for s in steps if s.at]
            deal.first_at = min(times) if times else False
            deal.last_at = max(times) if times else False

    def _compute_external_ref(self):
        self.external_ref = False

    def _search_external_ref(self, operator, value):
        if operator not in ("=", "ilike") or not isinstance(value, str) or not value.strip():
            return NotImplemented
        reference = value.strip()
        # A handful of backends per database; each says how its ids may be stored.
        backends = self.env["integration.backend"].sudo().search([])  # pylint: disable=no-search-all
        keys = {reference, *(key for backend in backends for key in backend._deal_search_keys(reference))}
        ids = set()
        for key in keys:
            ids.update(self._ids_for_reference(key))
        return [("id", "in", list(ids))]

    @api.model
    def _ids_for_reference(self, ref):
        """Deals of any id: the correlation id, a vendor event id, a document key (entity),
        an external id bound to a document of the deal, or a document's name."""
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT id FROM integration_deal WHERE name = %(ref)s OR origin_key = %(ref)s
                UNION
                SELECT deal_id FROM integration_event
                 WHERE deal_id IS NOT NULL
                   AND (external_event_id = %(ref)s OR entity_key = %(ref)s OR entity_key LIKE %(tail)s)
                UNION
                SELECT deal_id FROM integration_outbound
                 WHERE deal_id IS NOT NULL AND (entity_key = %(ref)s OR entity_key LIKE %(tail)s)
                UNION
                SELECT e.deal_id FROM integration_external_id x
                  JOIN integration_event e
                    ON e.result_model = x.model AND e.result_res_id = x.res_id AND e.deal_id IS NOT NULL
                 WHERE x.external_id = %(ref)s OR x.external_id LIKE %(tail)s
                """,
                ref=ref,
                tail=f"%:{ref}",
            )
        )
        ids = {row[0] for row in cr.fetchall()}
        # Documents of the deal found by their own name or their bound external ids.
        binder = self.env["integration.external.id"].sudo()
        for mapping in binder.search([("external_id", "=", ref)], limit=20):
            if mapping.model in self.env:
                ids.update(self._for_record(self.env[mapping.model].browse(mapping.res_id).exists()).ids)
        for model in self._document_models():
            records = self.env[model].sudo().search([("name", "=", ref)], limit=20)
            ids.update(self._for_record(records).ids)
        return list(ids)

    @api.model
    def _document_models(self):
        """Models of the documents a deal carries (those with `integration.deal.mixin`)."""
        return [
            name
            for name, model in self.env.registry.items()
            if not model._abstract and not model._transient and "integration_deal_id" in model._fields
        ]

    # ------------------------------------------------------------------ joining
    @api.model
    def _for_record(self, records):
        """The deals of documents (empty when they carry none)."""
        deals = self.browse()
        for record in records:
            if hasattr(record, "_integration_deal"):
                deals |= record._integration_deal()
        return deals

    @api.model
    def _for_event(self, event):
        """The deal an event belongs to, without opening one."""
        if event.deal_id:
            return event.deal_id
        with_deals = self.env.context.get("integration_deal_backends")  # see event._process_group
        if event.entity_key and (with_deals is None or event.backend_id.id in with_deals):
            self.env.cr.execute(
                SQL(
                    """
                    SELECT deal_id FROM integration_event
                     WHERE backend_id = %s AND entity_key = %s AND deal_id IS NOT NULL AND id != %s
                     ORDER BY id LIMIT 1
                    """,
                    event.backend_id.id,
                    event.entity_key,
                    event.id,
                )
            )
            row = self.env.cr.fetchone()
            if row:
                return self.browse(row[0])
        reference = event.backend_id._deal_reference(event)
        if reference:
            return self.search([("name", "=", reference)], limit=1)
        return self.browse()

    @api.model
    def _open(self, event):
        """A new deal, started by `event`. Without a "created" note and without the cron's
        user as a follower: one deal per won opportunity, and its timeline says how it began."""
        deals = self.sudo()
        quiet = deals.with_context(mail_create_nolog=True, mail_create_nosubscribe=True)
        deal = quiet.create(
            {
                "title": event.summary or event.display_name,
                "company_id": event.company_id.id,
                "origin_backend_id": event.backend_id.id,
                "origin_event_id": event.id,
                "origin_key": event.entity_key or False,
            }
        )
        return deals.browse(deal.id)  # the context stays with the create

    def _tag_document(self, record):
        """The document joins the deal (when it carries none), with what was queued about it."""
        self.ensure_one()
        if "integration_deal_id" in record._fields and not record.integration_deal_id:
            record.sudo().integration_deal_id = self
        self.env.cr.execute(
            SQL(
                """
                UPDATE integration_outbound SET deal_id = %s
                 WHERE res_model = %s AND res_id = %s AND deal_id IS NULL
                """,
                self.id,
                record._name,
                record.id,
            )
        )
        self.env["integration.outbound"].invalidate_model(["deal_id"])

    # ------------------------------------------------------------------ cycle times
    def _cycle_milestones(self):
        """{milestone: UTC time} reached by the deal (see CYCLE_STEPS); addons that know a
        milestone (orders, contracts, invoices) add theirs."""
        self.ensure_one()
        origin = self.origin_event_id
        return {"quote_approved": origin.occurred_at or origin.received_at} if origin else {}

    def _measure_cycles(self):
        """Measure each step of these deals against its objective; alert each breach once."""
        now = fields.Datetime.now()
        objectives = {
            line.step: line.objective_minutes
            for line in self.env["integration.cycle.objective"].sudo().search([])
        }
        cycles = self.env["integration.deal.cycle"].sudo()
        for deal in self.sudo():
            marks = deal._cycle_milestones()
            known = {cycle.step: cycle for cycle in deal.cycle_ids}
            for step, _label, start, end in CYCLE_STEPS:
                started = marks.get(start)
                if not started:
                    continue
                ended = marks.get(end) or False
                if ended and ended < started:
                    ended = started  # vendor clocks: a step never takes less than nothing
                minutes = round(((ended or now) - started).total_seconds() / 60, 2)
                objective = objectives.get(step, 0)
                values = {
                    "started_at": started,
                    "ended_at": ended,
                    "minutes": minutes,
                    "objective_minutes": objective,
                    "is_breached": bool(objective) and minutes > objective,
                }
                cycle = known.get(step)
                if cycle:
                    cycle.write(values)
                else:
                    cycle = cycles.create({"deal_id": deal.id, "step": step, **values})
                if cycle.is_breached and not cycle.alerted_at:
                    deal._alert_breach(cycle)
            deal.cycles_complete = bool(marks.get("paid"))

    def _alert_breach(self, cycle):
        """An activity on the deal for each Integration Manager, once per breached step: the
        deal's timeline is one click away."""
        summary = self.env._(
            "%(deal)s: %(step)s over its objective",
            deal=self.title or self.name,
            step=dict(cycle._fields["step"]._description_selection(self.env))[cycle.step],
        )
        note = self.env._(
            "%(minutes)s minutes so far (objective %(objective)s). Open the deal's timeline to see "
            "where it waits.",
            minutes=int(cycle.minutes),
            objective=cycle.objective_minutes,
        )
        managers = self.env.ref("integration_core.group_integration_manager").sudo().user_ids
        for user in managers.filtered(lambda u: not u.share):
            self.activity_schedule(
                "mail.mail_activity_data_todo", user_id=user.id, summary=summary, note=note
            )
        cycle.alerted_at = fields.Datetime.now()

    @api.model
    def _cron_measure_cycles(self):
        """Scheduled action "Measure deal cycle times": the deals not paid yet (recent first)."""
        since = fields.Datetime.now() - timedelta(days=180)
        deals = self.search([("cycles_complete", "=", False), ("create_date", ">=", since)], limit=2000)
        for index in range(0, len(deals), 200):
            deals[index : index + 200]._measure_cycles()
            self.env["ir.cron"]._commit_progress(len(deals[index : index + 200]))

    def action_measure_cycles(self):
        self._measure_cycles()
        return True

    # ------------------------------------------------------------------ actions
    def action_open_timeline(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Timeline of %s", self.title or self.name),
            "res_model": "integration.deal.step",
            "view_mode": "list,form",
            "domain": [("deal_id", "=", self.id)],
            "context": {"search_default_group_by_deal": 0},
        }

    def action_open_events(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Events"),
            "res_model": "integration.event",
            "view_mode": "list,form",
            "domain": [("deal_id", "=", self.id)],
        }

    def action_open_outbound(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Outbound Messages"),
            "res_model": "integration.outbound",
            "view_mode": "list,form",
            "domain": [("deal_id", "=", self.id)],
        }

    @api.model
    def _action_for(self, deals):
        """Open one deal's form, or the list of several."""
        action = {
            "type": "ir.actions.act_window",
            "name": self.env._("Deal"),
            "res_model": self._name,
        }
        if len(deals) == 1:
            return {**action, "view_mode": "form", "res_id": deals.id}
        return {**action, "view_mode": "list,form", "domain": [("id", "in", deals.ids)]}
