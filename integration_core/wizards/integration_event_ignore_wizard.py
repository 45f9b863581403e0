from odoo import fields, models


class IntegrationEventIgnoreWizard(models.TransientModel):
    _name = "integration.event.ignore.wizard"
    _description = "Ignore Integration Events"

    reason = fields.Char(required=True, help="Why these events need no processing (kept in the audit log).")

    def action_confirm(self):
        # Events are ignored, outbound messages cancelled: both keep the reason.
        model = self.env.context.get("active_model")
        model = model if model in ("integration.event", "integration.outbound") else "integration.event"
        self.env[model].browse(self.env.context.get("active_ids", []))._ignore(self.reason)
        return {"type": "ir.actions.act_window_close"}
