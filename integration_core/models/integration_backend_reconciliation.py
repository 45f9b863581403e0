"""Reconciliation on the backend: the window settings, the connector contract and the
generic kind's comparison of contacts."""

import json

from odoo import api, fields, models
from odoo.exceptions import UserError


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    reconcile_url = fields.Char(
        string="List URL",
        help="Generic kind: GET returns the contacts changed in a window "
        "(?updated_since=…&updated_until=…) as {'data': [...], 'next': url or null}.",
    )
    reconcile_overlap_hours = fields.Integer(
        string="Overlap (hours)",
        default=2,
        help="Each run starts this long before the previous one ended, so nothing changed "
        "during a run is missed.",
    )
    reconcile_first_days = fields.Integer(
        string="First Run Covers (days)", default=2, help="How far back the first run looks."
    )
    can_reconcile = fields.Boolean(compute="_compute_can_reconcile")
    reconciliation_ids = fields.One2many("integration.reconciliation.run", "backend_id")
    open_drift_count = fields.Integer(compute="_compute_open_drift_count", string="Open Drift")

    @api.depends("kind", "reconcile_url")
    def _compute_can_reconcile(self):
        for backend in self:
            backend.can_reconcile = backend._reconcile_supported()

    def _compute_open_drift_count(self):
        counts = dict(
            self.env["integration.reconciliation.line"]._read_group(
                [("backend_id", "in", self.ids), ("state", "=", "open")], ["backend_id"], ["__count"]
            )
        )
        for backend in self:
            backend.open_drift_count = counts.get(backend, 0)

    # ------------------------------------------------------------------ actions
    def action_reconcile_now(self):
        self.ensure_one()
        if not self.can_reconcile:
            raise UserError(self.env._("The connector of %s cannot compare a period yet.", self.name))
        run = self.env["integration.reconciliation.run"]._start(self)
        return {
            "type": "ir.actions.act_window",
            "res_model": run._name,
            "res_id": run.id,
            "view_mode": "form",
        }

    def action_open_reconciliations(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reconciliation"),
            "res_model": "integration.reconciliation.run",
            "view_mode": "list,form",
            "domain": [("backend_id", "=", self.id)],
        }

    def action_open_drift(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Open drift"),
            "res_model": "integration.reconciliation.line",
            "view_mode": "list,form",
            "domain": [("backend_id", "=", self.id), ("state", "=", "open")],
        }

    # ------------------------------------------------------------------ contract
    def _reconcile_supported(self):
        if self.kind == "generic_hmac":
            return bool(self.reconcile_url)
        return hasattr(self, f"_{self.kind}_reconcile")

    def _reconcile_period(self, run):
        """Drift between the connected system and Odoo for `run`'s window: a list of dicts
        with the line fields (issue, reference, external_id, res_model, res_id, remote_value,
        odoo_value, payload, event_type, entity_key). Connectors implement `_<kind>_reconcile`
        and set `run.checked_count`."""
        self.ensure_one()
        return getattr(self, f"_{self.kind}_reconcile")(run)

    def _reconcile_replay(self, line):
        """Ingest the line's remote version as an event: the connector's handler applies it."""
        event_id, _new = self.env["integration.event"]._ingest(
            self,
            line._replay_envelope(),
            line.payload,
            {},
            f"reconciliation-{line.run_id.id}",
            "reconciliation",
        )
        line.event_id = event_id

    def _reconcile_push(self, line):
        pusher = getattr(self, f"_{self.kind}_reconcile_push", None)
        if pusher is None:
            raise UserError(self.env._("The connector of %s cannot push this record.", self.name))
        pusher(line)

    # ------------------------------------------------- the generic kind: contacts
    def _generic_hmac_reconcile(self, run):
        remote = {}
        client = self._api_client(self.reconcile_url)
        url = self.reconcile_url
        params = {
            "updated_since": run.date_from.isoformat() + "Z",
            "updated_until": run.date_to.isoformat() + "Z",
        }
        while url:
            page = client.request("GET", url, params=params).json()
            for contact in page.get("data") or []:
                if isinstance(contact, dict) and contact.get("id"):
                    remote[str(contact["id"])] = contact
            url, params = page.get("next"), None  # the next link carries the window
        run.checked_count = len(remote)
        binder = self.env["integration.external.id"]
        drifts = []
        for external_id, contact in remote.items():
            partner = binder._record_for(self, "res.partner", external_id)
            remote_text = _contact_text(contact.get("name"), contact.get("email"))
            common = {
                "reference": f"{external_id} {contact.get('name') or ''}".strip(),
                "external_id": external_id,
                "remote_value": remote_text,
                "payload": json.dumps(self._generic_contact_payload(contact)),
                "event_type": "contact.updated",
                "entity_key": external_id,
            }
            if not partner:
                drifts.append({"issue": "missing_odoo", **common})
            elif _contact_text(partner.name, partner.email) != remote_text:
                drifts.append(
                    {
                        "issue": "differs",
                        "res_model": "res.partner",
                        "res_id": partner.id,
                        "odoo_value": _contact_text(partner.name, partner.email),
                        **common,
                    }
                )
        # Contacts Odoo changed in the window that the connected system does not list.
        bindings = binder.sudo().search(
            [
                ("backend_id", "=", self.id),
                ("model", "=", "res.partner"),
                ("external_id", "not in", list(remote)),
            ]
        )
        changed = self.env["res.partner"].browse(bindings.mapped("res_id")).exists()
        changed = changed.filtered(lambda p: p.write_date >= run.date_from)
        for binding in bindings.filtered(lambda b: b.res_id in changed.ids):
            partner = changed.browse(binding.res_id)
            drifts.append(
                {
                    "issue": "missing_remote",
                    "reference": f"{binding.external_id} {partner.name}",
                    "external_id": binding.external_id,
                    "res_model": "res.partner",
                    "res_id": partner.id,
                    "odoo_value": _contact_text(partner.name, partner.email),
                }
            )
        return drifts

    def _generic_contact_payload(self, contact):
        """A payload the generic handler reads: the contact at the backend's data path."""
        payload = contact
        for part in reversed((self.data_path or "data").split(".")):
            payload = {part: payload}
        return payload

    def _generic_hmac_reconcile_push(self, line):
        partner = self.env["res.partner"].browse(line.res_id).exists()
        if not partner:
            raise UserError(self.env._("The contact of %s no longer exists in Odoo.", line.reference))
        if not self.outbound_url:
            raise UserError(self.env._("Set a Push URL on backend %s to push contacts.", self.name))
        payload = {"id": line.external_id, "name": partner.name, "email": partner.email or None,
                   "phone": partner.phone or None}  # fmt: skip
        self.env["integration.outbound"]._enqueue(
            self, "contact.push", partner, payload, entity_key=line.external_id
        )


def _contact_text(name, email):
    return f"{(name or '').strip()} <{(email or '').strip()}>"
