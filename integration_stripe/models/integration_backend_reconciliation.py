"""Stripe reconciliation: balance transactions of a period compared with what Odoo booked."""

import json
from datetime import UTC

from odoo import models

from ..const import BALANCE_TRANSACTION_EVENT, OTHER_TYPE_ACCOUNTS
from ..lib import mapping, schemas

# Source object kind -> (event type whose replay books it, model of the Odoo record).
SOURCE_EVENTS = {
    "charge": ("charge.succeeded", "account.payment"),
    "refund": ("refund.created", "account.payment"),
    "dispute": ("charge.dispute.funds_withdrawn", "account.move"),
    "payout": ("payout.paid", "account.move"),
}


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    # ------------------------------------------------------------------ reconciliation
    def _reconcile_period(self, run):
        """Balance transactions created in the run's window (paginated) against what Odoo
        booked through external IDs. A line's payload is the event that books it on replay."""
        if self.kind != "stripe":
            return super()._reconcile_period(run)
        window = {
            "created[gte]": int(run.date_from.replace(tzinfo=UTC).timestamp()),
            "created[lte]": int(run.date_to.replace(tzinfo=UTC).timestamp()),
        }
        drifts, seen, checked = [], set(), 0
        for data in self._stripe_client(f"reconciliation-{run.id}").list_balance_transactions(**window):
            checked += 1
            txn = schemas.parse(schemas.BalanceTransaction, data, "balance transaction")
            drift = self._stripe_reconcile_transaction(txn, seen)
            if drift:
                drifts.append(drift)
        run.checked_count = checked
        drifts += self._stripe_missing_remote(run, seen)
        return drifts

    def _stripe_reconcile_transaction(self, txn, seen):
        if txn.type in OTHER_TYPE_ACCOUNTS and txn.source_kind != "dispute":
            return self._stripe_reconcile_other(txn)
        if txn.source_kind not in SOURCE_EVENTS or not txn.source_id:
            return None
        event_type, model = SOURCE_EVENTS[txn.source_kind]
        source = schemas.parse(schemas.OBJECT_MODELS[txn.source_kind], txn.source, txn.source_kind)
        currency = self._currency_for(txn.currency)
        source_currency = self._currency_for(source.currency or txn.currency)
        if isinstance(source, schemas.Charge):
            payment = mapping.payment_of(source)
            keys = [payment.key, *payment.extra_keys]
            # The replayed charge carries its balance transaction: its fee is booked too.
            raw_source = {
                **txn.source,
                "balance_transaction": txn.model_dump(exclude={"source"}, mode="json"),
            }
            record = self._stripe_booked(*keys)
            fee_missing = bool(txn.fee) and not self._stripe_bound("account.move", txn.id)
            remote_minor, odoo_minor = payment.amount or source.amount, None
            if record:
                odoo_minor = self._stripe_minor(self._stripe_record_amount(record), source_currency)
            text_currency = source_currency
        else:
            # Refunds, disputes, payouts: what Odoo moved the balance by against the net.
            keys, raw_source, fee_missing = [source.id], txn.source, False
            record = (
                self._stripe_booked(source.id)
                if model == "account.payment"
                else self._stripe_bound(model, txn.id, source.id)
            )
            remote_minor, odoo_minor = txn.net, self._stripe_booked_net(txn)
            text_currency = currency
        seen.update(keys)
        remote_text = self._stripe_text(remote_minor, text_currency)
        common = {
            "reference": f"{source.id} {self._stripe_text(source.amount, source_currency)}",
            "external_id": source.id,
            "remote_value": remote_text
            + (f" + fee {self._stripe_text(txn.fee, currency)}" if fee_missing else ""),
            "payload": self._stripe_replay_payload(txn, event_type, raw_source),
            "event_type": event_type,
            "entity_key": mapping.entity_key(source),
        }
        if not record or odoo_minor is None:
            return {"issue": "missing_odoo", **common}
        if odoo_minor != remote_minor or fee_missing:
            odoo_text = self._stripe_text(odoo_minor, text_currency)
            return {
                "issue": "differs",
                "res_model": record._name,
                "res_id": record.id,
                "odoo_value": odoo_text + (self.env._(", fee not booked") if fee_missing else ""),
                **common,
            }
        return None

    def _stripe_reconcile_other(self, txn):
        """A fee, reserve, transfer, top-up or adjustment: booked by its own entry or missing."""
        if self._stripe_bound("account.move", txn.id):
            return None
        currency = self._currency_for(txn.currency)
        remote_text = self._stripe_text(txn.net, currency)
        return {
            "issue": "missing_odoo",
            "reference": f"{txn.id} {txn.type} {remote_text}",
            "external_id": txn.id,
            "remote_value": remote_text,
            "payload": self._stripe_replay_payload(
                txn, BALANCE_TRANSACTION_EVENT, txn.model_dump(mode="json")
            ),
            "event_type": BALANCE_TRANSACTION_EVENT,
            "entity_key": txn.id,
        }

    def _stripe_replay_payload(self, txn, event_type, obj):
        created = int(txn.created.replace(tzinfo=UTC).timestamp()) if txn.created else None
        if isinstance(obj, dict) and "object" not in obj and event_type == BALANCE_TRANSACTION_EVENT:
            obj = {**obj, "object": "balance_transaction"}
        return json.dumps(
            {
                "id": f"evt_reconcile_{txn.id}",
                "object": "event",
                "type": event_type,
                "created": created,
                "data": {"object": obj},
            }
        )

    def _stripe_record_amount(self, record):
        if record._name == "account.payment":
            return record.amount
        return sum(record.line_ids.filtered(lambda line: line.amount_currency > 0).mapped("amount_currency"))

    def _stripe_missing_remote(self, run, seen):
        """Stripe payments and refunds Odoo booked in the window that Stripe does not list."""
        bindings = (
            self.env["integration.external.id"]
            .sudo()
            .search(
                [
                    ("backend_id", "=", self.id),
                    ("model", "=", "account.payment"),
                    ("remote_updated_at", ">=", run.date_from),
                    ("remote_updated_at", "<=", run.date_to),
                    ("external_id", "not in", list(seen)),
                    ("external_id", "not like", ":"),
                ]
            )
        )
        drifts = []
        for binding in bindings:
            payment = self.env["account.payment"].browse(binding.res_id).exists()
            if not payment or payment.state == "canceled":
                continue
            drifts.append(
                {
                    "issue": "missing_remote",
                    "reference": f"{binding.external_id} {payment.amount} {payment.currency_id.name}",
                    "external_id": binding.external_id,
                    "res_model": payment._name,
                    "res_id": payment.id,
                    "odoo_value": f"{payment.name} {payment.amount} {payment.currency_id.name}",
                }
            )
        return drifts
