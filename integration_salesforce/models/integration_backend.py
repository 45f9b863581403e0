"""The `salesforce` backend kind: settings, the Outbound Message check and envelopes, the
dispatch of each sObject to its handler, the REST client with its cached token and API
usage. Handlers live beside it by concern: partners (accounts, contacts, import), orders
(opportunities, CPQ quotes, amendments, renewals), write-back (status to Salesforce) and
reconciliation (`integration_backend_<concern>.py`)."""

import functools
import ipaddress
import json
import time
from datetime import timedelta

from odoo import api, fields, models
from odoo.addons.integration_core.exceptions import (
    PayloadError,
    PermanentError,
    SignatureError,
    SourceNotAllowed,
    VendorUnavailable,
)
from odoo.addons.integration_core.lib.envelope import Envelope
from odoo.addons.integration_core.lib.timeparse import TimeError, to_utc
from odoo.exceptions import UserError, ValidationError

from ..const import (
    ACCOUNT,
    AUTH_FLOWS,
    COMMIT_RULES,
    CONTACT,
    DEFAULT_API_VERSION,
    LOGIN_URLS,
    OPPORTUNITY,
    ORDER_ACTIONS,
    QUOTE,
)
from ..lib import auth, soap
from ..lib.client import RequestLimitExceeded, SalesforceClient
from ..lib.limits import ApiUsage, usage_from_limits
from .integration_backend_partners import sf_key

USAGE_WRITE_EVERY = 60  # seconds: API usage is saved at most once a minute per backend
_USAGE_WRITTEN = {}


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    kind = fields.Selection(selection_add=[("salesforce", "Salesforce")], ondelete={"salesforce": "cascade"})
    salesforce_instance_url = fields.Char(
        string="My Domain URL", help="e.g. https://acme.my.salesforce.com: the REST API is called here."
    )
    salesforce_login_url = fields.Selection(
        LOGIN_URLS, string="Login URL", default="https://login.salesforce.com", help="Audience of the JWT."
    )
    salesforce_api_version = fields.Char(string="API Version", default=DEFAULT_API_VERSION)
    salesforce_org_id = fields.Char(
        string="Organization ID",
        help="15 or 18 characters. Outbound Messages from any other org are refused.",
    )
    salesforce_auth_flow = fields.Selection(AUTH_FLOWS, string="OAuth Flow", default="jwt")
    salesforce_consumer_key = fields.Char(string="Consumer Key", groups="base.group_system", copy=False)
    salesforce_consumer_secret = fields.Char(string="Consumer Secret", groups="base.group_system", copy=False)
    salesforce_username = fields.Char(
        string="Integration Username", help="JWT flow: the user the app acts as."
    )
    salesforce_private_key = fields.Text(
        string="Private Key (PEM)",
        groups="base.group_system",
        copy=False,
        help="JWT flow: signs the assertion.",
    )
    salesforce_access_token = fields.Char(groups="base.group_system", copy=False, readonly=True)
    salesforce_allowed_ips = fields.Char(
        string="Allowed Source IPs",
        help="Comma-separated CIDR ranges Outbound Messages may come from; empty: any.",
    )
    salesforce_integration_user_id = fields.Char(
        string="Integration User ID",
        help="Salesforce id of the user Odoo writes as: its changes to Odoo-owned fields are echoes.",
    )
    salesforce_commit_rule = fields.Selection(COMMIT_RULES, string="A Deal Commits When", default="is_won")
    salesforce_commit_stage = fields.Char(string="Committing Stage", help="StageName, e.g. Contract Signed")
    salesforce_order_action = fields.Selection(
        ORDER_ACTIONS, string="A Committed Deal Gives", default="confirm", required=True
    )
    salesforce_cpq = fields.Boolean(string="Salesforce CPQ", help="Orders come from the primary CPQ quote.")
    salesforce_quote_approved_status = fields.Char(string="Approved Quote Status", default="Approved")
    salesforce_multicurrency = fields.Boolean(
        string="Multi-Currency Org", help="Read CurrencyIsoCode; otherwise the company currency is used."
    )
    salesforce_field_order_number = fields.Char(string="Order Number Field", default="Odoo_Order_Number__c")
    salesforce_field_status = fields.Char(string="Status Field", default="Odoo_Status__c")
    salesforce_field_invoices = fields.Char(string="Invoice Numbers Field", default="Odoo_Invoice_Numbers__c")
    salesforce_field_amount_paid = fields.Char(string="Amount Paid Field", default="Odoo_Amount_Paid__c")
    salesforce_field_deal = fields.Char(
        string="Deal Correlation ID Field",
        default="Odoo_Deal_Id__c",
        help="Opportunity field that receives the deal's correlation id (Integrations > Deals).",
    )
    salesforce_api_share = fields.Integer(
        string="Share of Daily API Limit (%)", default=50, help="Calls stop at this share of the org's limit."
    )
    salesforce_api_used = fields.Integer(string="API Requests Used", readonly=True, copy=False)
    salesforce_api_max = fields.Integer(string="Daily API Requests", readonly=True, copy=False)
    salesforce_paused_until = fields.Datetime(
        string="API Paused Until",
        readonly=True,
        copy=False,
        help="Set when Salesforce's daily limit is spent.",
    )
    salesforce_last_pull_at = fields.Datetime(string="Last Pull", readonly=True, copy=False)
    salesforce_pull_overlap_minutes = fields.Integer(string="Pull Overlap (min)", default=10)
    salesforce_bulk_threshold = fields.Integer(
        string="Bulk API Above (records)",
        default=10000,
        help="Initial import: Bulk API 2.0 above this count.",
    )
    salesforce_stuck_minutes = fields.Integer(
        string="Won Deal Without Order After (min)", default=30, help="Business exception threshold."
    )
    salesforce_team_id = fields.Many2one("crm.team", string="Sales Team")

    # ------------------------------------------------------------------ webhooks
    def _webhook_content_types(self):
        if self.kind != "salesforce":
            return super()._webhook_content_types()
        return ("text/xml", "application/soap+xml")

    def _webhook_verify(self, delivery):
        """Outbound Messages are not signed: the source IP (when ranges are set) and the
        OrganizationId are what identify Salesforce."""
        if self.kind != "salesforce":
            return super()._webhook_verify(delivery)
        if self.salesforce_allowed_ips and not self._salesforce_ip_allowed(delivery.remote_addr):
            raise SourceNotAllowed(f"{delivery.remote_addr} is not in the allowed source ranges")
        try:
            message = _outbound_message(delivery.body)
        except soap.SoapMessageError as exc:
            # Unsigned: without an OrganizationId to check nothing says Salesforce sent it, so
            # it is refused (401), not stored as an unreadable delivery.
            raise SignatureError(f"no OrganizationId can be read to check the sender: {exc}") from None
        if not soap.same_org(self.salesforce_org_id or "", message.organization_id):
            raise SignatureError(f"OrganizationId {message.organization_id} is not this backend's org")

    def _salesforce_ip_allowed(self, remote_addr):
        try:
            address = ipaddress.ip_address(remote_addr or "")
        except ValueError:
            return False
        for text in (self.salesforce_allowed_ips or "").split(","):
            if text.strip() and address in ipaddress.ip_network(text.strip(), strict=False):
                return True
        return False

    @api.constrains("salesforce_allowed_ips", "salesforce_org_id")
    def _check_salesforce_settings(self):
        for backend in self.filtered(lambda b: b.kind == "salesforce"):
            for text in (backend.salesforce_allowed_ips or "").split(","):
                try:
                    if text.strip():
                        ipaddress.ip_network(text.strip(), strict=False)
                except ValueError:
                    raise ValidationError(self.env._("%s is not an IP range (CIDR).", text.strip())) from None
            if backend.salesforce_org_id and len(backend.salesforce_org_id.strip()) not in (15, 18):
                raise ValidationError(self.env._("A Salesforce Organization ID has 15 or 18 characters."))

    def _webhook_parse(self, delivery):
        """One envelope per Notification: its Id is the dedup key; the entity is the deal
        (opportunity) for opportunities and quotes, so they apply in order."""
        if self.kind != "salesforce":
            return super()._webhook_parse(delivery)
        try:
            message = _outbound_message(delivery.body)
        except soap.SoapMessageError as exc:
            raise PayloadError(str(exc)) from None
        envelopes = []
        for notification in message.notifications:
            payload = {
                "sobject": notification.sobject_type,
                "notification_id": notification.notification_id,
                "organization_id": message.organization_id,
                "action_id": message.action_id,
                "values": notification.values,
            }
            envelopes.append(
                self._salesforce_envelope(
                    notification.sobject_type, notification.values, notification.notification_id, payload
                )
            )
        return envelopes

    def _salesforce_envelope(self, sobject, values, event_id, payload):
        try:
            version = to_utc(values.get("SystemModstamp") or values.get("LastModifiedDate"))
            return Envelope(
                external_event_id=event_id,
                event_type=sobject,
                entity_key=_entity_key(sobject, values),
                occurred_at=version,
                payload=json.dumps(payload, sort_keys=True),
                summary=_summary(sobject, values),
            )
        except (TimeError, ValueError) as exc:
            raise PayloadError(f"{sobject} {values.get('Id')}: {str(exc).splitlines()[0]}") from None

    def _webhook_response(self, new_count, duplicate_count):
        if self.kind != "salesforce":
            return super()._webhook_response(new_count, duplicate_count)
        return soap.ACK, "text/xml; charset=utf-8"

    def _source_url(self, event):
        if self.kind != "salesforce":
            return super()._source_url(event)
        record_id = (event._payload_json() or {}).get("values", {}).get("Id")
        if not (record_id and self.salesforce_instance_url):
            return False
        return f"{self.salesforce_instance_url.rstrip('/')}/{record_id}"

    # ---------------------------------------------------------------- processing
    def _handle_event(self, event):
        if self.kind != "salesforce":
            return super()._handle_event(event)
        handler = self._salesforce_event_handlers().get(event.event_type)
        if handler is None:
            event._note_result(self.env._("Nothing to do for %s notifications.", event.event_type))
            return None
        payload = event._payload_json()
        if not isinstance(payload, dict) or not isinstance(payload.get("values"), dict):
            raise PayloadError(self.env._("The event has no Salesforce record (values)."))
        self._salesforce_check_quota()
        try:
            return handler(event, payload)
        except RequestLimitExceeded as exc:
            raise self._salesforce_limit_error(exc) from None
        except auth.AuthError as exc:
            raise PermanentError(
                self.env._("%s. Fix the OAuth settings of the backend, then Retry.", exc)
            ) from None

    def _deal_opening(self, event):
        """An opportunity (or its CPQ quote) starts the deal of the quotation it becomes."""
        if self.kind != "salesforce":
            return super()._deal_opening(event)
        return event.event_type in (OPPORTUNITY, QUOTE)

    def _deal_search_keys(self, reference):
        if self.kind != "salesforce":
            return super()._deal_search_keys(reference)
        # Ids are kept by their 15-character key; people paste the 18-character one.
        return [sf_key(reference)] if len(reference) == 18 and reference.isalnum() else []

    def _salesforce_event_handlers(self):
        return {
            ACCOUNT: self._salesforce_account_event,
            CONTACT: self._salesforce_contact_event,
            OPPORTUNITY: self._salesforce_opportunity_event,
            QUOTE: self._salesforce_quote_event,
        }

    def _missing_credentials(self):
        if self.kind != "salesforce":
            return super()._missing_credentials()
        calls = self.env._("Odoo cannot read opportunities and quotes, pull changes or write the status back")
        missing = []
        if not self.salesforce_org_id:
            missing.append(
                (self.env._("Organization ID"), self.env._("every Outbound Message is refused (401)"))
            )
        if not self.salesforce_instance_url:
            missing.append((self.env._("My Domain URL"), calls))
        if not (self.salesforce_consumer_key or "").strip():
            missing.append((self.env._("Consumer Key"), calls))
        if self.salesforce_auth_flow == "client_credentials" and not self.salesforce_consumer_secret:
            missing.append((self.env._("Consumer Secret"), calls))
        if self.salesforce_auth_flow == "jwt":
            if not self.salesforce_username:
                missing.append((self.env._("Integration username"), calls))
            if not self.salesforce_private_key:
                missing.append((self.env._("Private key (JWT)"), calls))
        return missing

    def _retry_horizon_hours(self):
        """Salesforce retries an Outbound Message for 24 h: an outage is waited out as long."""
        if self.kind != "salesforce":
            return super()._retry_horizon_hours()
        return 24

    def _ownership_defaults(self):
        if self.kind != "salesforce":
            return super()._ownership_defaults()
        return {
            "customer": ("remote", "apply"),
            "price": ("remote", "apply"),
            "order": ("odoo", "review"),
            "invoice": ("odoo", "ignore"),
            "payment": ("odoo", "ignore"),
        }

    # ------------------------------------------------------------------ REST client
    def _salesforce_client(self):
        self.ensure_one()
        if not self.salesforce_instance_url:
            raise PermanentError(self.env._("Set the My Domain URL of backend %s.", self.name))
        return SalesforceClient(
            self.salesforce_instance_url,
            self.salesforce_api_version,
            self._salesforce_token,
            on_usage=self._salesforce_record_usage,
            on_call=self._api_client(self.salesforce_instance_url).on_call,
            session=self._http_session(),
            client_name=self.salesforce_call_client,
        )

    def _salesforce_token(self, force_refresh=False):
        """The cached access token; a new one when there is none or the last was refused."""
        backend = self.sudo()
        if backend.salesforce_access_token and not force_refresh:
            return backend.salesforce_access_token
        if backend.salesforce_auth_flow == "client_credentials":
            token = auth.token_by_client_credentials(
                self._api_client(backend.salesforce_instance_url),  # My Domain only for this flow
                backend.salesforce_consumer_key or "",
                backend.salesforce_consumer_secret or "",
            )
        else:
            if not (
                backend.salesforce_consumer_key
                and backend.salesforce_username
                and backend.salesforce_private_key
            ):
                raise auth.AuthError("the JWT flow needs the consumer key, the username and the private key")
            login = backend.salesforce_login_url or "https://login.salesforce.com"
            token = auth.token_by_jwt(
                self._api_client(login),
                backend.salesforce_consumer_key,
                backend.salesforce_username,
                backend.salesforce_private_key,
                login,
            )
        backend.salesforce_access_token = token.access_token
        return token.access_token

    def _salesforce_record_usage(self, usage: ApiUsage):
        key = (self.env.cr.dbname, self.id)
        last = _USAGE_WRITTEN.get(key)
        crossing = usage.over_share(self.salesforce_api_share or 100) != bool(
            self.salesforce_api_max
            and ApiUsage(self.salesforce_api_used, self.salesforce_api_max).over_share(
                self.salesforce_api_share or 100
            )
        )
        if last and time.monotonic() - last < USAGE_WRITE_EVERY and not crossing:
            return
        _USAGE_WRITTEN[key] = time.monotonic()
        if (self.salesforce_api_used, self.salesforce_api_max) != (usage.used, usage.max):
            self.sudo().write({"salesforce_api_used": usage.used, "salesforce_api_max": usage.max})

    def _salesforce_usage(self):
        return ApiUsage(self.salesforce_api_used or 0, self.salesforce_api_max or 0)

    def _salesforce_check_quota(self):
        """Stop before calling Salesforce when the daily limit was spent or the connector's
        share of it is used: the work waits (retry later), it is not lost."""
        now = fields.Datetime.now()
        if self.salesforce_paused_until and self.salesforce_paused_until > now:
            wait = (self.salesforce_paused_until - now).total_seconds()
            raise VendorUnavailable(
                self.env._(
                    "Salesforce's daily API limit is spent: paused until %s (UTC).",
                    self.salesforce_paused_until,
                ),
                retry_after=wait,
            )
        usage = self._salesforce_usage()
        if usage.over_share(self.salesforce_api_share or 100):
            raise VendorUnavailable(
                self.env._(
                    "%(used)s of %(max)s daily API requests used: over this connector's share "
                    "(%(share)s %%).",
                    used=usage.used,
                    max=usage.max,
                    share=self.salesforce_api_share,
                ),
                retry_after=3600,
            )

    def _salesforce_limit_error(self, exc):
        """The error a handler or sender raises on REQUEST_LIMIT_EXCEEDED: retry later, and
        pause the backend. The pause is written after the savepoint (see `_after_outcome` of
        the two queues), which rolls back everything the handler wrote."""
        error = VendorUnavailable(exc.args[0], retry_after=exc.retry_after)
        error.salesforce_pause_seconds = exc.retry_after
        return error

    def _salesforce_pause(self, seconds):
        self.sudo().salesforce_paused_until = fields.Datetime.now() + timedelta(seconds=seconds or 3600)

    # ------------------------------------------------------------------ actions
    def action_salesforce_check_connection(self):
        """Token, then /limits: shows the daily API requests used and left."""
        self.ensure_one()
        try:
            client = self._salesforce_client()
            self._salesforce_token(force_refresh=True)
            usage = usage_from_limits(client.limits())
        except (auth.AuthError, PermanentError) as exc:
            raise UserError(str(exc)) from None
        except Exception as exc:  # noqa: BLE001  any vendor failure is shown to the person
            raise UserError(self.env._("Salesforce did not answer: %s", exc)) from None
        if usage:
            self.sudo().write({"salesforce_api_used": usage.used, "salesforce_api_max": usage.max})
        message = self.env._(
            "Connected. Daily API requests: %(used)s used, %(left)s left.",
            used=usage.used if usage else "?",
            left=(usage.max - usage.used) if usage else "?",
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": self.name, "message": message, "type": "success", "sticky": False},
        }

    def action_salesforce_resume(self):
        self.sudo().salesforce_paused_until = False


def _summary(sobject, values):
    """What the event is about, for lists: 'Opportunity United Oil - 120 seats (006Q...)'."""
    label = {"SBQQ__Quote__c": "Quote"}.get(sobject, sobject)
    name = values.get("Name") or " ".join(filter(None, (values.get("FirstName"), values.get("LastName"))))
    return f"{label} {name} ({values.get('Id')})"[:255] if name else f"{label} {values.get('Id')}"[:255]


@functools.lru_cache(maxsize=4)
def _outbound_message(body: bytes):
    """The delivery parsed once: the OrganizationId check and the envelopes read the same
    parse of the same body (the route calls both, in this order, in one request)."""
    return soap.parse_outbound_message(body)


def _entity_key(sobject, values):
    if sobject == OPPORTUNITY:
        return f"deal:{(values.get('Id') or '')[:15]}"
    if sobject == QUOTE and values.get("SBQQ__Opportunity2__c"):
        return f"deal:{values['SBQQ__Opportunity2__c'][:15]}"
    return f"{sobject}:{(values.get('Id') or '')[:15]}"
