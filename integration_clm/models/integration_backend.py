"""The DocuSign, Dropbox Sign and PandaDoc kinds: their fields and the connector hooks.

Every hook opens with `if self.kind not in CLM_KINDS: return super()...`; inside, the vendor
is picked from a table, never from a name built from a string."""

import statistics
import time

from odoo import api, fields, models
from odoo.addons.integration_core.exceptions import PayloadError, SignatureError
from odoo.addons.integration_core.lib.delivery import FORM_TYPES
from odoo.addons.integration_core.lib.envelope import Envelope
from odoo.addons.integration_core.lib.signatures import SignatureMismatch, verify_hmac

from ..const import (
    CLM_KINDS,
    CONTENT_TYPES,
    CONTRACT_RULES,
    DEFAULT_API_BASE,
    DOCUSIGN_AUTH_BASE,
    DROPBOX_SIGN_ANSWER,
    KIND_SELECTION,
)
from ..lib import schemas, signatures
from ..lib.schemas import ContractPayloadError

OUT = {kind: "cascade" for kind, _label in KIND_SELECTION}


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    kind = fields.Selection(selection_add=KIND_SELECTION, ondelete=OUT)

    # The contract rule of the order-confirmation gate (integration_sale).
    clm_contract_rule = fields.Selection(
        CONTRACT_RULES,
        string="Contract Required",
        default="always",
        help="Which quotations of this company wait for a signed contract before they may be confirmed.",
    )
    clm_amount_threshold = fields.Monetary(
        string="Above (untaxed)", currency_field="clm_currency_id", help="Rule 'amount'."
    )
    clm_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    clm_tag_ids = fields.Many2many("res.partner.category", string="Customer Tags", help="Rule 'tag'.")
    clm_unsigned_days = fields.Integer(
        string="Unsigned Alert (days)",
        default=7,
        help="A contract sent this many days ago and unsigned is flagged.",
    )
    clm_signature_tolerance = fields.Integer(
        string="Event Time Tolerance (s)",
        default=3 * 24 * 3600,
        help="Dropbox Sign signs the event time: older deliveries are refused (replays). "
        "Keep it longer than the vendor's retry period.",
    )
    clm_api_base = fields.Char(string="API Base URL", help="Leave empty for the vendor's default.")
    clm_api_key = fields.Char(
        string="API Key", groups="base.group_system", copy=False, help="Dropbox Sign and PandaDoc."
    )
    clm_test_mode = fields.Boolean(string="Vendor Test Mode", default=True)
    docusign_account_id = fields.Char(string="DocuSign Account ID")
    docusign_integration_key = fields.Char(string="Integration Key", groups="base.group_system", copy=False)
    docusign_user_id = fields.Char(string="Impersonated User ID", groups="base.group_system", copy=False)
    docusign_private_key = fields.Text(string="RSA Private Key", groups="base.group_system", copy=False)
    docusign_auth_base = fields.Char(string="DocuSign OAuth Host", default=DOCUSIGN_AUTH_BASE)
    docusign_access_token = fields.Char(groups="base.group_system", copy=False, readonly=True)
    docusign_token_expires_at = fields.Datetime(groups="base.group_system", copy=False, readonly=True)
    clm_contract_ids = fields.One2many("integration.contract", "backend_id", string="Contracts")
    clm_provisional_count = fields.Integer(compute="_compute_clm_figures", string="Awaiting Signature")
    clm_provisional_amount = fields.Monetary(
        compute="_compute_clm_figures", string="Amount Awaiting Signature", currency_field="clm_currency_id"
    )
    clm_confirm_median_hours = fields.Float(
        compute="_compute_clm_figures", string="Signed → Confirmed (median h)"
    )
    clm_confirm_worst_hours = fields.Float(
        compute="_compute_clm_figures", string="Signed → Confirmed (worst h)"
    )

    def write(self, vals):
        result = super().write(vals)
        if {"clm_contract_rule", "clm_amount_threshold", "clm_tag_ids", "state"} & set(vals):
            # the rule changed: which quotations await a signature may have changed too
            quotations = self.env["sale.order"].search(
                [("state", "in", ("draft", "sent")), ("company_id", "in", self.company_id.ids)]
            )
            self.env.add_to_compute(self.env["sale.order"]._fields["clm_awaiting_signature"], quotations)
        return result

    # ------------------------------------------------------------------ the hooks
    def _webhook_content_types(self):
        if self.kind not in CLM_KINDS:
            return super()._webhook_content_types()
        return CONTENT_TYPES[self.kind]

    def _missing_credentials(self):
        if self.kind not in CLM_KINDS:
            return super()._missing_credentials()
        sending = self.env._(
            "quotations cannot be sent for signature, voided or their signed PDF fetched from Odoo"
        )
        missing = []
        if not self.webhook_secret:
            missing.append(
                (
                    self.env._("Webhook secret"),
                    self.env._("every callback of the signature tool is refused (401)"),
                )
            )
        if self.kind == "docusign":
            if not self.docusign_account_id:
                missing.append((self.env._("DocuSign Account ID"), sending))
            if not self.docusign_access_token and not (
                self.docusign_integration_key and self.docusign_private_key
            ):
                missing.append((self.env._("Integration Key and RSA Private Key"), sending))
        elif not self.clm_api_key:
            missing.append((self.env._("API key"), sending))
        return missing

    def _webhook_verify(self, delivery):
        if self.kind not in CLM_KINDS:
            return super()._webhook_verify(delivery)
        verifiers = {
            "docusign": self._clm_verify_docusign,
            "dropbox_sign": self._clm_verify_dropbox_sign,
            "pandadoc": self._clm_verify_pandadoc,
        }
        try:
            verifiers[self.kind](delivery)
        except signatures.ClmSignatureError as exc:
            raise SignatureError(str(exc)) from None
        return None

    def _webhook_parse(self, delivery):
        if self.kind not in CLM_KINDS:
            return super()._webhook_parse(delivery)
        try:
            items = self._clm_split(delivery)
        except ContractPayloadError as exc:
            raise PayloadError(str(exc)) from None
        return [
            Envelope(
                external_event_id=facts.dedup_key[:255],
                event_type=facts.event_type,
                entity_key=f"{facts.provider}:{facts.external_id}"[:255],
                occurred_at=facts.occurred_at,
                payload=text,
                summary=facts.summary()[:255],
            )
            for facts, text in items
        ]

    def _webhook_response(self, new_count, duplicate_count):
        if self.kind != "dropbox_sign":
            return super()._webhook_response(new_count, duplicate_count)
        # Dropbox Sign counts anything else as a failed delivery.
        return DROPBOX_SIGN_ANSWER, "text/plain"

    # ------------------------------------------------------------ verification
    def _clm_keys(self):
        """Active keys: the webhook secret and its predecessor while the vendor rotates."""
        return self._webhook_secrets()

    def _clm_verify_docusign(self, delivery):
        signatures.verify_docusign(
            delivery.body, delivery.headers, self._clm_keys(), verify_hmac, SignatureMismatch
        )

    def _clm_verify_pandadoc(self, delivery):
        signatures.verify_pandadoc(
            delivery.body, delivery.query, self._clm_keys(), verify_hmac, SignatureMismatch
        )

    def _clm_verify_dropbox_sign(self, delivery):
        # The signature is inside the body: an unreadable body is an unsigned one.
        try:
            event = schemas.dropbox_sign_event(self._clm_dropbox_sign_text(delivery))
        except ContractPayloadError as exc:
            raise signatures.ClmSignatureError(f"event_hash unreadable: {exc}") from None
        keys = [self.sudo().clm_api_key, *self._clm_keys()]
        signatures.verify_dropbox_sign(
            event.event_time,
            event.event_type,
            event.event_hash,
            [k for k in keys if k],
            verify_hmac,
            SignatureMismatch,
            now=time.time(),
            tolerance=self.clm_signature_tolerance,
        )

    # ------------------------------------------------------------------ parsing
    def _clm_dropbox_sign_text(self, delivery):
        """The callback's JSON: the `json` form field (Odoo parsed the form before the route),
        or the body itself when it is plain JSON."""
        if delivery.content_type in FORM_TYPES:
            text = delivery.form.get("json")
            if not text:
                raise ContractPayloadError("form without a `json` field")
            return text
        return schemas.dropbox_sign_json(delivery.body, delivery.headers.get("Content-Type", ""))

    def _clm_split(self, delivery):
        """[(ContractFacts, payload text)] of one delivery; PandaDoc sends several."""
        if self.kind == "pandadoc":
            return schemas.split_pandadoc(delivery.body)
        if self.kind == "dropbox_sign":
            text = self._clm_dropbox_sign_text(delivery)
            return [(schemas.parse_dropbox_sign(text).facts(), text)]
        try:
            text = delivery.body.decode("utf-8")
        except UnicodeDecodeError:
            raise ContractPayloadError("body is not UTF-8 text") from None
        return [(schemas.parse_docusign(delivery.body), text)]

    def _clm_facts(self, event):
        """The stored payload of one event, read once into ContractFacts."""
        readers = {
            "docusign": schemas.parse_docusign,
            "dropbox_sign": lambda text: schemas.parse_dropbox_sign(text).facts(),
            "pandadoc": schemas.parse_pandadoc,
        }
        try:
            return readers[self.kind](event.payload or "")
        except ContractPayloadError as exc:
            raise PayloadError(str(exc)) from None

    def _deal_reference(self, event):
        if self.kind not in CLM_KINDS:
            return super()._deal_reference(event)
        try:
            return self._clm_facts(event).custom_fields.get(schemas.DEAL_FIELD) or None
        except PayloadError:
            return None  # the handler says what is wrong with it

    # ------------------------------------------------------------------ helpers
    def _clm_api_base(self):
        return (self.clm_api_base or DEFAULT_API_BASE[self.kind]).rstrip("/")

    def _ownership_defaults(self):
        if self.kind not in CLM_KINDS:
            return super()._ownership_defaults()
        return {"contract": ("remote", "apply")}

    @api.model
    def _clm_backend_for(self, company):
        """The contract backend whose rule applies to a company's quotations."""
        return self.sudo().search(
            [
                ("kind", "in", CLM_KINDS),
                ("company_id", "=", company.id),
                ("state", "in", ("active", "degraded")),
            ],
            limit=1,
        )

    def _compute_clm_figures(self):
        orders = self.env["sale.order"]
        for backend in self:
            if backend.kind not in CLM_KINDS:
                backend.update(
                    {
                        "clm_provisional_count": 0,
                        "clm_provisional_amount": 0.0,
                        "clm_confirm_median_hours": 0.0,
                        "clm_confirm_worst_hours": 0.0,
                    }
                )
                continue
            [(count, amount)] = orders._read_group(
                [("clm_awaiting_signature", "=", True), ("company_id", "=", backend.company_id.id)],
                aggregates=["__count", "amount_untaxed:sum"],
            )
            hours = backend.clm_contract_ids._clm_signed_to_confirmed_hours()
            backend.clm_provisional_count = count
            backend.clm_provisional_amount = amount or 0.0
            backend.clm_confirm_median_hours = statistics.median(hours) if hours else 0.0
            backend.clm_confirm_worst_hours = hours[-1] if hours else 0.0
