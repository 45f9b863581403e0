from odoo import api, fields, models

from ..lib.jsontext import pretty


class IntegrationEventEditWizard(models.TransientModel):
    _name = "integration.event.edit.wizard"
    _inherit = ["integration.event.fix.mixin"]
    _description = "Edit and Resubmit an Integration Event"

    payload = fields.Text(required=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        event = self.env["integration.event"].browse(self.env.context.get("active_ids", [])[:1])
        if event:
            values.update(event_id=event.id, payload=pretty(event.payload))
        return values

    def action_resubmit(self):
        self.event_id._edit_payload(self.payload)
        return {"type": "ir.actions.act_window_close"}
