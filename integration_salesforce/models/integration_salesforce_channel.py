"""A Pub/Sub API channel the backend follows (`/data/AccountChangeEvent`,
`/data/ChangeEvents`, a platform event `/event/Order_Event__e`) and where it stands in it.

The replay id is written in the same transaction as the events it covers: after a crash
or an outage the next run resumes just after the last event that was stored, none twice
and none missed (within Salesforce's 72-hour retention)."""

from odoo import api, fields, models
from odoo.exceptions import ValidationError

START_FROM = [
    ("latest", "New events only (from now)"),
    ("earliest", "Everything retained (up to 72 hours back)"),
]


class IntegrationSalesforceChannel(models.Model):
    _name = "integration.salesforce.channel"
    _description = "Salesforce Change Data Capture Channel"
    _order = "backend_id, sequence, id"
    _check_company_auto = True

    backend_id = fields.Many2one(
        "integration.backend",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
        domain=[("kind", "=", "salesforce")],
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    topic = fields.Char(
        string="Channel",
        required=True,
        help="e.g. /data/AccountChangeEvent, /data/OpportunityChangeEvent, /data/ChangeEvents.",
    )
    start_from = fields.Selection(
        START_FROM,
        default="latest",
        required=True,
        help="Where a channel without a stored position starts.",
    )
    replay_id = fields.Char(
        string="Last Replay ID",
        readonly=True,
        copy=False,
        help="Position of the last event stored (hexadecimal); the next run resumes after it.",
    )
    last_event_at = fields.Datetime(
        string="Last Event Time",
        readonly=True,
        copy=False,
        help="Commit time in Salesforce of the last event.",
    )
    last_received_at = fields.Datetime(string="Last Received", readonly=True, copy=False)
    last_run_at = fields.Datetime(string="Last Run", readonly=True, copy=False)
    lag_seconds = fields.Integer(
        string="Lag (s)",
        readonly=True,
        copy=False,
        help="How far Odoo is behind the channel: 0 when the last run read everything there was; "
        "else the age of the last event stored.",
    )
    caught_up = fields.Boolean(readonly=True, copy=False)
    event_count = fields.Integer(string="Events Received", readonly=True, copy=False)
    last_error = fields.Char(readonly=True, copy=False)
    replay_lost_at = fields.Datetime(
        string="Position Lost At",
        readonly=True,
        copy=False,
        help="The stored replay id was older than Salesforce's retention: the channel restarted from the "
        "earliest retained event and the window was re-read.",
    )
    replay_lost_note = fields.Char(readonly=True, copy=False)

    _topic_unique = models.UniqueIndex("(backend_id, topic)")

    @api.constrains("topic")
    def _check_topic(self):
        for channel in self:
            if not (channel.topic or "").startswith(("/data/", "/event/")):
                raise ValidationError(
                    self.env._(
                        "%s is not a Pub/Sub channel: it starts with /data/ (change events) or /event/ "
                        "(platform events).",
                        channel.topic,
                    )
                )

    @api.depends("topic", "backend_id")
    def _compute_display_name(self):
        for channel in self:
            channel.display_name = f"{channel.backend_id.name or ''} {channel.topic or ''}".strip()

    def action_acknowledge_replay_lost(self):
        """A manager has looked at the re-read window: the business exception closes."""
        self.write({"replay_lost_at": False, "replay_lost_note": False})

    def action_reset_position(self):
        """Forget the stored position: the next run starts as set in `Start From`."""
        self.write({"replay_id": False, "caught_up": False})
