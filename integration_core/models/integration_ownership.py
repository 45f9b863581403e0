"""System of record per backend and business domain, and what an update from the other side does.

Connectors ask `backend._inbound_policy(domain)` before they write a domain from a vendor
delivery: apply it, ignore it (the event is done with a note), or stop it for review (a
failed event with a business message)."""

from odoo import api, fields, models

DOMAINS = [
    ("customer", "Customers"),
    ("product", "Products"),
    ("price", "Prices"),
    ("tax", "Taxes"),
    ("order", "Orders"),
    ("invoice", "Invoices"),
    ("payment", "Payments"),
    ("contract", "Contracts"),
]
SYSTEMS = [("odoo", "Odoo"), ("remote", "Connected system")]
OTHER_SIDE_UPDATES = [
    ("apply", "Apply"),
    ("ignore", "Ignore (logged)"),
    ("review", "Stop for review"),
]


class IntegrationOwnership(models.Model):
    _name = "integration.ownership"
    _description = "Integration System of Record"
    _order = "backend_id, sequence, id"

    backend_id = fields.Many2one("integration.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    domain = fields.Selection(DOMAINS, required=True)
    system_of_record = fields.Selection(SYSTEMS, required=True, default="remote")
    other_side_update = fields.Selection(
        OTHER_SIDE_UPDATES,
        string="Update from the Other Side",
        required=True,
        default="review",
        help="What a change coming from the system that does not own this data does.",
    )

    _backend_domain_unique = models.UniqueIndex("(backend_id, domain)")

    @api.model
    def _default_lines(self, backend):
        """One line per domain the connector handles (the keys of `_ownership_defaults`), with
        its defaults; every domain when the connector names none."""
        defaults = backend._ownership_defaults()
        handled = [(domain, label) for domain, label in DOMAINS if domain in defaults] or DOMAINS
        return [
            {
                "backend_id": backend.id,
                "sequence": index,
                "domain": domain,
                "system_of_record": defaults.get(domain, ("remote", "apply"))[0],
                "other_side_update": defaults.get(domain, ("remote", "apply"))[1],
            }
            for index, (domain, _label) in enumerate(handled)
        ]
