"""The scheduled pull (what Outbound Messages never brought), the nightly reconciliation of
won opportunities against Odoo orders, and the connector's business exceptions."""

import json
from datetime import timedelta

from odoo import fields, models
from odoo.exceptions import UserError

from ..const import ACCOUNT, ACCOUNT_FIELDS, CONTACT, CONTACT_FIELDS, OPPORTUNITY, QUOTE, QUOTE_FIELDS
from .integration_backend_partners import sf_key


def soql_time(value):
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    # ---------------------------------------------------------------- pull
    def _salesforce_pull_queries(self, since):
        where = f"WHERE SystemModstamp > {soql_time(since)} ORDER BY SystemModstamp"
        queries = [
            (ACCOUNT, f"SELECT {ACCOUNT_FIELDS} FROM Account {where}"),
            (CONTACT, f"SELECT {CONTACT_FIELDS} FROM Contact {where}"),
        ]
        extra = self._salesforce_opportunity_extra()
        opportunity_fields = self._salesforce_opportunity_fields() + (f", {extra}" if extra else "")
        queries.append((OPPORTUNITY, f"SELECT {opportunity_fields} FROM Opportunity {where}"))
        if self.salesforce_cpq:
            queries.append(
                (
                    QUOTE,
                    f"SELECT {QUOTE_FIELDS} FROM SBQQ__Quote__c WHERE SBQQ__Primary__c = true "
                    f"AND SystemModstamp > {soql_time(since)} ORDER BY SystemModstamp",
                )
            )
        return queries

    def _pull_changes(self):
        """Every Account, Contact, Opportunity (and primary quote) changed since the last run
        minus the overlap becomes a Pull event; the same version twice is stored once."""
        if self.kind != "salesforce":
            return super()._pull_changes()
        started = fields.Datetime.now()
        since = (self.salesforce_last_pull_at or started - timedelta(days=1)) - timedelta(
            minutes=self.salesforce_pull_overlap_minutes or 0
        )
        self._salesforce_check_quota()
        client = self._salesforce_client()
        count = 0
        for sobject, soql in self._salesforce_pull_queries(since):
            # queryAll for accounts and contacts: a merge deletes the loser (MasterRecordId set)
            for record in client.query_all(soql, include_deleted=sobject in (ACCOUNT, CONTACT)):
                count += self._salesforce_ingest_pulled(sobject, record)
        self.sudo().salesforce_last_pull_at = started
        return count

    # ---------------------------------------------------------------- reconciliation
    def _reconcile_supported(self):
        if self.kind != "salesforce":
            return super()._reconcile_supported()
        return bool(self.salesforce_instance_url)

    def _reconcile_period(self, run):
        """Won opportunities changed in the window vs Odoo orders: missing in Odoo, amount
        differs, status not written back."""
        if self.kind != "salesforce":
            return super()._reconcile_period(run)
        status_field = self.salesforce_field_status
        extra = self._salesforce_opportunity_extra()
        fields_text = self._salesforce_opportunity_fields() + (f", {status_field}" if status_field else "")
        fields_text += f", {extra}" if extra else ""
        soql = (
            f"SELECT {fields_text} FROM Opportunity WHERE IsWon = true AND SystemModstamp >= "
            f"{soql_time(run.date_from)} AND SystemModstamp < {soql_time(run.date_to)}"
        )
        binder = self.env["integration.external.id"]
        drifts = []
        checked = 0
        for record in self._salesforce_client().query_all(soql):
            checked += 1
            record = {key: value for key, value in record.items() if key != "attributes"}
            reference = f"{record.get('Name') or ''} ({record['Id']})"
            order = binder._record_for(self, "sale.order", sf_key(record["Id"]))
            common = {
                "reference": reference,
                "external_id": sf_key(record["Id"]),
                "payload": json.dumps({"sobject": OPPORTUNITY, "complete": True, "values": record}),
                "event_type": OPPORTUNITY,
                "entity_key": f"deal:{sf_key(record['Id'])}",
            }
            if not order:
                drifts.append({"issue": "missing_odoo", "remote_value": str(record.get("Amount")), **common})
                continue
            common.update(res_model="sale.order", res_id=order.id)
            amount = record.get("Amount")
            if amount is not None and order.currency_id.compare_amounts(order.amount_untaxed, float(amount)):
                drifts.append(
                    {
                        "issue": "differs",
                        "remote_value": f"Amount {amount}",
                        "odoo_value": f"untaxed {order.amount_untaxed}",
                        **common,
                    }
                )
                continue
            expected = order._salesforce_status()["status"]
            if status_field and record.get(status_field) != expected:
                drifts.append(
                    {
                        "issue": "differs",
                        "remote_value": f"{status_field} = {record.get(status_field)}",
                        "odoo_value": f"status {expected} (not written back)",
                        **common,
                    }
                )
        run.checked_count = checked
        return drifts

    def _reconcile_push(self, line):
        if self.kind != "salesforce":
            return super()._reconcile_push(line)
        order = self.env["sale.order"].browse(line.res_id).exists()
        if not order:
            raise UserError(
                self.env._("The order of %s is not in Odoo: replay it from Salesforce.", line.reference)
            )
        self._salesforce_enqueue_status(order)

    # ---------------------------------------------------------------- business exceptions
    def _business_exceptions(self):
        result = super()._business_exceptions()
        if self.kind != "salesforce":
            return result
        events = self.env["integration.event"].sudo()
        cutoff = fields.Datetime.now() - timedelta(minutes=self.salesforce_stuck_minutes or 30)
        stuck = [
            ("backend_id", "=", self.id),
            ("event_type", "in", [OPPORTUNITY, QUOTE]),
            ("state", "in", ["failed", "dead", "retry", "pending"]),
            ("received_at", "<", cutoff),
        ]
        outbound = self.env["integration.outbound"].sudo()
        failing = [
            ("backend_id", "=", self.id),
            ("operation", "=", "opportunity.status"),
            ("state", "in", ["failed", "dead", "retry"]),
        ]
        changes = self.env["integration.salesforce.order.change"].sudo()
        open_changes = [("backend_id", "=", self.id), ("state", "=", "open")]
        usage = self._salesforce_usage()
        over = usage.over_share(self.salesforce_api_share or 100)
        return result + [
            {
                "code": "salesforce_deal_without_order",
                "label": self.env._(
                    "Won deals without an Odoo order after %s min", self.salesforce_stuck_minutes
                ),
                "count": events.search_count(stuck),
                "threshold": 0,
                "action": {"res_model": events._name, "domain": stuck},
            },
            {
                "code": "salesforce_writeback_failing",
                "label": self.env._("Orders whose status write-back to Salesforce is failing"),
                "count": outbound.search_count(failing),
                "threshold": 0,
                "action": {"res_model": outbound._name, "domain": failing},
            },
            {
                "code": "salesforce_order_changes",
                "label": self.env._("Salesforce changes to confirmed orders waiting for a manager"),
                "count": changes.search_count(open_changes),
                "threshold": 0,
                "action": {"res_model": changes._name, "domain": open_changes},
            },
            {
                "code": "salesforce_api_usage",
                "label": self.env._(
                    "Salesforce API usage above %(share)s %% (%(used)s / %(max)s)",
                    share=self.salesforce_api_share,
                    used=usage.used,
                    max=usage.max,
                ),
                "count": int(over),
                "threshold": 0,
                "action": {"res_model": self._name, "domain": [("id", "=", self.id)]},
            },
        ]
