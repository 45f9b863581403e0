from odoo import fields, models


class IntegrationEventIgnoreWizard(models.TransientModel):
    _name = "integration.event.ignore.wizard"
    _description = "Ignore Integration Events"

    reason = fields.Char(required=True, help="Why these events need no processing (kept in the audit log).")

    def action_confirm(self):
        events = self.env["integration.event"].browse(self.env.context.get("active_ids", []))
        events._ignore(self.reason)
        return {"type": "ir.actions.act_window_close"}
