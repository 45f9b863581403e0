"""Odoo's status back to the opportunity (order number, status, invoices, amount paid)
through the outbound queue, batched with sObject Collections: up to 200 opportunities a
call, one result per record, so one bad record fails alone."""

import json

from odoo import fields, models
from odoo.addons.integration_core.exceptions import PermanentError
from odoo.tools import SQL

from ..const import WRITEBACK_OPERATION
from ..lib.client import COLLECTION_LIMIT, RequestLimitExceeded
from .integration_backend_partners import sf_key

# message id -> [(companion id, SaveResult)] of the call it just made (see integration_outbound.py)
COMPANION_RESULTS = {}


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    def _salesforce_enqueue_status(self, order):
        """Queue the order's status for its opportunity, in the caller's transaction."""
        self.ensure_one()
        if not order.salesforce_opportunity_id or self.state not in ("active", "degraded"):
            return
        status = order._salesforce_status()
        record = {"Id": order.salesforce_opportunity_id}
        for field_name, key in (
            (self.salesforce_field_order_number, "order_number"),
            (self.salesforce_field_status, "status"),
            (self.salesforce_field_invoices, "invoices"),
            (self.salesforce_field_amount_paid, "amount_paid"),
        ):
            if field_name:
                record[field_name] = status[key]
        self.env["integration.outbound"]._enqueue(
            self,
            WRITEBACK_OPERATION,
            order,
            record,
            entity_key=f"deal:{sf_key(order.salesforce_opportunity_id)}",
        )

    def _send_outbound(self, message):
        if self.kind != "salesforce":
            return super()._send_outbound(message)
        if message.operation != WRITEBACK_OPERATION:
            raise PermanentError(self.env._("Salesforce backends do not send %s.", message.operation))
        self._salesforce_check_quota()
        companions = self._salesforce_due_companions(message)
        # One record per opportunity: the newest status wins, the older messages go with it.
        latest = {}
        for item in (message | companions).sorted("id"):
            latest[self._salesforce_message_record(item)["Id"]] = item
        records = [self._salesforce_message_record(item) for item in latest.values()]
        client = self._salesforce_client()
        try:
            response_results = client.update_records("Opportunity", records)
        except RequestLimitExceeded as exc:
            raise self._salesforce_limit_error(exc) from None
        by_opportunity = dict(zip(latest, response_results, strict=True))
        # Recorded after the savepoint: the call went out whatever this message's own result.
        COMPANION_RESULTS[(self.env.cr.dbname, message.id)] = [
            (companion.id, by_opportunity[self._salesforce_message_record(companion)["Id"]])
            for companion in companions
        ]
        own = by_opportunity[self._salesforce_message_record(message)["Id"]]
        if not own.success:
            raise PermanentError(self._salesforce_refusal(own))
        return client.last_response

    def _salesforce_record_companions(self, message):
        """Write the outcome of the messages that went along with `message`'s call."""
        for companion_id, result in COMPANION_RESULTS.pop((self.env.cr.dbname, message.id), []):
            companion = message.browse(companion_id)
            if result.success:
                companion.write(
                    {
                        "state": "done",
                        "done_at": fields.Datetime.now(),
                        "lease_until": False,
                        "response_status": 200,
                        "error_class": False,
                        "error_message": False,
                    }
                )
            else:
                companion._fail("permanent", self._salesforce_refusal(result))

    def _salesforce_refusal(self, result):
        return self.env._(
            "Salesforce refused the status of this opportunity: %s. Fix the field or its validation "
            "rule in Salesforce (or the field names on the backend), then Retry.",
            result.error_text or "no reason given",
        )

    def _salesforce_message_record(self, message):
        record = json.loads(message.payload or "{}")
        if self.salesforce_field_deal and message.deal_id:
            # At send time: the first status of a deal is queued before the deal is opened.
            record[self.salesforce_field_deal] = message._deal_reference()
        return record

    # CORE-CANDIDATE: batch sending. The outbound engine sends one message per call; sObject
    # Collections take 200. This takes the backend's other due status messages along, locked
    # with SKIP LOCKED (no other worker claims them meanwhile), and records their outcome
    # like the engine; when the call fails they stay as they were and go with a later one.
    # The rows of the worker's own claimed batch (same lease) go along too; when their turn
    # comes they are already done and are skipped (`integration.outbound._postponed`).
    def _salesforce_due_companions(self, message):
        self.env.cr.execute(
            SQL(
                """
                SELECT id FROM integration_outbound
                 WHERE backend_id = %s AND operation = %s AND id != %s
                   AND ((state IN ('pending', 'retry') AND next_attempt_at <= %s)
                        OR (state = 'processing' AND lease_until = %s))
                 ORDER BY id
                 LIMIT %s
                 FOR UPDATE SKIP LOCKED
                """,
                self.id,
                WRITEBACK_OPERATION,
                message.id,
                fields.Datetime.now(),
                message.lease_until,
                COLLECTION_LIMIT - 1,
            )
        )
        return self.env["integration.outbound"].browse([row[0] for row in self.env.cr.fetchall()])
