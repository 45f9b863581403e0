"""Account entitlements pushed to support platforms: one snapshot builder, one queue rule.

An addon that knows what a customer is entitled to (`integration_clm`: its contracts in
force) extends `res.partner._integration_entitlements` and calls
`res.partner._integration_entitlements_changed` when that changes; a kind that receives
entitlements answers `_pushes_entitlements` and sends the `entitlements.push` messages."""

import json

from odoo import api, fields, models

from ..lib.entitlements import Account, same_entitlements, snapshot

OP_ENTITLEMENTS = "entitlements.push"
VERSION_SEQUENCE = "integration.entitlements.version"
UNSENT_STATES = ("pending", "retry", "failed", "dead")


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    def _pushes_entitlements(self):
        """Does this backend receive the accounts' entitlements (hook)?"""
        return False

    @api.model
    def _queue_entitlement_snapshots(self, accounts, cause=None):
        """A fresh snapshot of each account for every active backend that receives them."""
        backends = self.sudo().search([("state", "in", ("active", "degraded"))])
        for backend in backends.filtered(lambda b: b._pushes_entitlements()):
            for account in accounts:
                backend._queue_entitlements(account, cause)

    def _entitlement_snapshot(self, account, version):
        """The one builder of the document an `entitlements.push` message carries."""
        self.ensure_one()
        entitlements = account.sudo()._integration_entitlements(self.company_id)
        return snapshot(self._entitlement_account(account), entitlements, version, fields.Datetime.now())

    def _entitlement_account(self, account):
        bindings = (
            self.env["integration.external.id"]
            .sudo()
            .search([("model", "=", "res.partner"), ("res_id", "=", account.id)], order="id")
        )
        return Account(
            odoo_id=account.id,
            name=account.name or "",
            vat=account.vat or "",
            email=account.email or "",
            external_ids=tuple((b.backend_id.kind, b.external_id) for b in bindings),
        )

    def _queue_entitlements(self, account, cause=None):
        """Queue the account's snapshot unless it says what the last one queued says.

        The message belongs to `cause` (the contract that changed, and so its deal). Unsent
        older snapshots of the account are cancelled: the new one says everything."""
        self.ensure_one()
        outbound = self.env["integration.outbound"].sudo()
        entity_key = f"account:{account.id}"
        mine = [
            ("backend_id", "=", self.id),
            ("operation", "=", OP_ENTITLEMENTS),
            ("entity_key", "=", entity_key),
        ]
        last = outbound.search([*mine, ("state", "!=", "ignored")], order="id desc", limit=1)
        document = self._entitlement_snapshot(account, 0)
        if last and same_entitlements(json.loads(last.payload or "{}"), document):
            return last  # nothing changed (a repeated activation, a replayed event)
        if not last and not document["entitlements"]:
            return outbound  # never entitled, nothing to take back
        document["version"] = int(self.env["ir.sequence"].sudo().next_by_code(VERSION_SEQUENCE))
        stale = outbound.search([*mine, ("state", "in", UNSENT_STATES)])
        note = self.env._("Superseded by entitlements version %s (a full snapshot).", document["version"])
        stale.write({"state": "ignored", "lease_until": False, "error_message": note})
        for message in stale:
            self.env["integration.audit"]._log(
                "ignored", f"{message.display_name}: {note}", backend_id=self.id
            )
        return outbound._enqueue(self, OP_ENTITLEMENTS, cause or account, document, entity_key=entity_key)
