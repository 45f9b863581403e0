"""How long each step of a deal may take (quote approved → order, contract sent → signed…)."""

from odoo import fields, models

# (step, label, milestone it starts at, milestone it ends at); each addon that knows a
# milestone supplies its time (`integration.deal._cycle_milestones`).
CYCLE_STEPS = [
    ("quote_to_order", "Quote approved → Odoo order", "quote_approved", "order_created"),
    ("sent_to_signed", "Contract sent → signed", "contract_sent", "contract_signed"),
    ("signed_to_confirmed", "Signed → order confirmed", "contract_signed", "order_confirmed"),
    ("confirmed_to_invoiced", "Confirmed → first invoice", "order_confirmed", "first_invoice"),
    ("invoiced_to_paid", "Invoice → paid", "first_invoice", "paid"),
]
CYCLE_STEP_SELECTION = [(code, label) for code, label, _start, _end in CYCLE_STEPS]


class IntegrationCycleObjective(models.Model):
    _name = "integration.cycle.objective"
    _description = "Deal Cycle-Time Objective"
    _order = "sequence, id"

    sequence = fields.Integer(default=10)
    step = fields.Selection(CYCLE_STEP_SELECTION, required=True)
    objective_minutes = fields.Integer(
        string="Objective (minutes)",
        required=True,
        help="A deal whose step takes longer is a business exception; the managers get an "
        "activity on the deal, once.",
    )
    active = fields.Boolean(default=True)

    _step_unique = models.UniqueIndex("(step) WHERE active")
    _positive = models.Constraint(
        "CHECK (objective_minutes > 0)", "An objective is a positive number of minutes."
    )
