"""Canonical external IDs: the only bridge between a vendor's ids and Odoo records.

Handlers find and bind Odoo records only through the binder methods below, so replaying an
event finds the record made the first time instead of creating a second one."""

from odoo import api, fields, models


class IntegrationExternalId(models.Model):
    _name = "integration.external.id"
    _description = "Integration External ID"
    _order = "id desc"
    _rec_name = "external_id"

    backend_id = fields.Many2one("integration.backend", required=True, ondelete="cascade", index=True)
    # precompute: the company goes in the INSERT, not in an UPDATE right after it
    company_id = fields.Many2one(related="backend_id.company_id", store=True, precompute=True)
    model = fields.Char(required=True, help="Technical name of the Odoo model, e.g. res.partner")
    res_id = fields.Many2oneReference(model_field="model", required=True, string="Record ID")
    external_id = fields.Char(required=True, string="External ID")
    remote_updated_at = fields.Datetime(
        help="Time of the newest vendor version applied; older deliveries are skipped."
    )
    record_ref = fields.Reference(
        selection="_selection_record_models", compute="_compute_record_ref", string="Odoo Record"
    )

    _external_unique = models.UniqueIndex("(backend_id, model, external_id)")
    _record_unique = models.UniqueIndex("(backend_id, model, res_id)")

    @api.model
    def _selection_record_models(self):
        return [(m.model, m.name) for m in self.env["ir.model"].sudo().search([])]

    @api.depends("model", "res_id")
    def _compute_record_ref(self):
        for line in self:
            known = line.model in self.env and line.res_id
            line.record_ref = f"{line.model},{line.res_id}" if known else False

    # ------------------------------------------------------------------ binder API
    @api.model
    def _record_for(self, backend, model, external_id):
        """The Odoo record bound to `external_id` (an empty recordset when none).

        Archived records are found too: a deleted-then-restored entity keeps its record."""
        line = self._line(backend, model, external_id)
        return self.env[model].with_context(active_test=False).browse(line.res_id).exists()

    @api.model
    def _external_for(self, backend, record):
        """The vendor id bound to `record` on `backend`, or None."""
        record.ensure_one()
        line = self.sudo().search(
            [("backend_id", "=", backend.id), ("model", "=", record._name), ("res_id", "=", record.id)],
            limit=1,
        )
        return line.external_id or None

    @api.model
    def _bind(self, backend, record, external_id, remote_updated_at=None):
        """Bind `record` to `external_id`, or move the binding's version forward."""
        record.ensure_one()
        line = self._line(backend, record._name, external_id)
        values = {"res_id": record.id}
        if remote_updated_at:
            values["remote_updated_at"] = remote_updated_at
        if line:
            line.write(values)
        else:
            line = self.sudo().create(
                {"backend_id": backend.id, "model": record._name, "external_id": external_id, **values}
            )
        return line

    @api.model
    def _is_stale(self, backend, model, external_id, remote_updated_at):
        """True when a version newer than `remote_updated_at` was already applied."""
        line = self._line(backend, model, external_id)
        return bool(
            line.remote_updated_at and remote_updated_at and remote_updated_at < line.remote_updated_at
        )

    def _line(self, backend, model, external_id):
        return self.sudo().search_fetch(
            [("backend_id", "=", backend.id), ("model", "=", model), ("external_id", "=", external_id)],
            ["res_id", "remote_updated_at"],  # what every caller reads next: in the same query
            limit=1,
        )
