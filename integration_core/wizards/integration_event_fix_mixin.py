"""What every fix of a failed event shows: the event and its message in words (the edit
wizard and the connectors' business actions: create or map a product, match an invoice...)."""

from odoo import fields, models


class IntegrationEventFixMixin(models.AbstractModel):
    _name = "integration.event.fix.mixin"
    _description = "Fix of a Failed Event"

    event_id = fields.Many2one("integration.event", required=True)
    error_message = fields.Text(related="event_id.error_message")
    company_id = fields.Many2one(related="event_id.company_id")
