"""Reconciliation of the generic kind: contacts listed by a paginated "List URL" in the run's
window, compared with the partners bound to them."""

import json

from odoo import models
from odoo.exceptions import UserError

from .integration_backend import KIND


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    def _reconcile_supported(self):
        if self.kind != KIND:
            return super()._reconcile_supported()
        return bool(self.reconcile_url)

    def _reconcile_period(self, run):
        if self.kind != KIND:
            return super()._reconcile_period(run)
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
                "payload": json.dumps(self._generic_contact_event_payload(contact)),
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

    def _generic_contact_event_payload(self, contact):
        """A payload the generic handler reads: the contact at the backend's data path."""
        payload = contact
        for part in reversed((self.data_path or "data").split(".")):
            payload = {part: payload}
        return payload

    def _reconcile_push(self, line):
        if self.kind != KIND:
            return super()._reconcile_push(line)
        partner = self.env["res.partner"].browse(line.res_id).exists()
        if not partner:
            raise UserError(self.env._("The contact of %s no longer exists in Odoo.", line.reference))
        if not self.outbound_url:
            raise UserError(self.env._("Set a Push URL on backend %s to push contacts.", self.name))
        self._generic_queue_contact_push(partner, line.external_id)


def _contact_text(name, email):
    return f"{(name or '').strip()} <{(email or '').strip()}>"
