"""A quotation whose CPQ quote was rejected or expired in Salesforce is cancelled with the
reason (a confirmed order is left to a person: it is already a commitment)."""

from odoo import fields, models

from ..const import QUOTE_ENDED_STATUSES
from .integration_backend_orders import DRAFT_STATES


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    def _salesforce_quote_ended(self, opportunity, order):
        """Cancel `order` when its primary quote has ended; True when it did."""
        if order.state not in DRAFT_STATES or not opportunity.primary_quote_id:
            return False
        quote = self._salesforce_read_quote(opportunity.primary_quote_id)
        today = fields.Date.context_today(self)
        if quote.status in QUOTE_ENDED_STATUSES:
            reason = self.env._("quote %(quote)s is %(status)s in Salesforce", quote=quote.name or quote.id,
                                status=quote.status)  # fmt: skip
        elif (
            quote.expiration_date
            and quote.expiration_date < today
            and quote.status != (self.salesforce_quote_approved_status or "Approved")
        ):
            reason = self.env._("quote %(quote)s expired on %(date)s", quote=quote.name or quote.id,
                                date=quote.expiration_date)  # fmt: skip
        else:
            return False
        order.with_context(disable_cancel_warning=True, integration_inbound=True)._action_cancel()
        order.message_post(body=self.env._("Quotation cancelled: %s.", reason))
        return True
