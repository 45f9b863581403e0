"""Stripe reconciliation: balance transactions of a period compared with what Odoo booked."""

import json
from datetime import UTC

from odoo import models

from ..lib import mapping, money


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
        for txn in self._stripe_client(f"reconciliation-{run.id}").list_balance_transactions(**window):
            checked += 1
            drift = self._stripe_reconcile_transaction(txn, seen)
            if drift:
                drifts.append(drift)
        run.checked_count = checked
        drifts += self._stripe_missing_remote(run, seen)
        return drifts

    def _stripe_reconcile_transaction(self, txn, seen):
        source = txn.get("source")
        if not isinstance(source, dict) or not source.get("id"):
            return None
        kind, obj_kind = txn.get("type"), source.get("object")
        currency = self._stripe_currency(txn.get("currency") or source.get("currency"))
        if obj_kind == "charge" and kind in ("charge", "payment"):
            facts = mapping.payment_facts(source)
            seen.update([facts.key, *facts.extra_keys])
            record = self._stripe_bound("account.payment", facts.key, *facts.extra_keys)
            event_type, remote_minor = "charge.succeeded", facts.amount
            source = {**source, "balance_transaction": {k: v for k, v in txn.items() if k != "source"}}
            fee_missing = bool(txn.get("fee")) and not self._stripe_bound("account.move", txn.get("id"))
        elif obj_kind == "refund":
            facts = mapping.refund_facts(source)
            seen.add(facts.refund_id)
            record = self._stripe_bound("account.payment", facts.refund_id)
            event_type, remote_minor, fee_missing = "refund.created", facts.amount, False
        elif obj_kind == "dispute":
            facts = mapping.dispute_facts(source)
            seen.add(facts.dispute_id)
            record = self._stripe_bound("account.move", facts.dispute_id)
            event_type, remote_minor, fee_missing = "charge.dispute.created", facts.amount, False
        elif obj_kind == "payout":
            facts = mapping.payout_facts(source)
            seen.add(facts.payout_id)
            record = self._stripe_bound("account.move", facts.payout_id)
            event_type, remote_minor, fee_missing = "payout.paid", facts.amount, False
        else:
            return None
        source_currency = self._stripe_currency(source.get("currency") or txn.get("currency"))
        remote_text = self._stripe_text(remote_minor, source_currency)
        common = {
            "reference": f"{source['id']} {remote_text}",
            "external_id": source["id"],
            "remote_value": remote_text
            + (f" + fee {self._stripe_text(txn['fee'], currency)}" if fee_missing else ""),
            "payload": json.dumps(
                {
                    "id": f"evt_reconcile_{txn.get('id')}",
                    "object": "event",
                    "type": event_type,
                    "created": txn.get("created"),
                    "data": {"object": source},
                }
            ),
            "event_type": event_type,
            "entity_key": mapping.entity_key(source),
        }
        if not record:
            return {"issue": "missing_odoo", **common}
        odoo_minor = money.to_minor(self._stripe_record_amount(record), source_currency.decimal_places)
        if odoo_minor != remote_minor or fee_missing:
            odoo_text = self._stripe_text(odoo_minor, source_currency)
            return {
                "issue": "differs",
                "res_model": record._name,
                "res_id": record.id,
                "odoo_value": odoo_text + (self.env._(", fee not booked") if fee_missing else ""),
                **common,
            }
        return None

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
                ]
            )
        )
        drifts = []
        for binding in bindings:
            payment = self.env["account.payment"].browse(binding.res_id).exists()
            if not payment:
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
