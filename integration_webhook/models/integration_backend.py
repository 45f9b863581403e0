"""The generic kind "Signed webhook (HMAC-SHA256)": contacts from any SaaS that signs its
deliveries, and Odoo-owned contact changes pushed back, signed.

The worked example of docs/connectors.md: its fields, then the connector hooks, each opening
with `if self.kind != KIND: return super()...`."""

import time

from odoo import api, fields, models
from odoo.addons.integration_core.exceptions import PayloadError, PermanentError, SignatureError
from odoo.addons.integration_core.lib.envelope import EnvelopeError, envelope_from_paths, get_path, load_json
from odoo.addons.integration_core.lib.signatures import ENCODINGS, SignatureMismatch, hmac_sha256, verify_hmac
from odoo.addons.integration_core.models.integration_backend_entitlements import OP_ENTITLEMENTS

KIND = "generic_hmac"


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    kind = fields.Selection(
        selection_add=[(KIND, "Signed webhook (HMAC-SHA256)")], ondelete={KIND: "cascade"}
    )
    signature_header = fields.Char(default="X-Signature")
    signature_encoding = fields.Selection([(e, e) for e in ENCODINGS], default="hex", required=True)
    timestamp_header = fields.Char(
        help="When set, the signed text is '<timestamp>.<body>' and old deliveries are refused."
    )
    event_id_path = fields.Char(string="Event ID Path", default="id", required=True)
    event_type_path = fields.Char(default="type", required=True)
    entity_key_path = fields.Char(
        default="data.id", help="Deliveries about the same entity are processed in order."
    )
    occurred_at_path = fields.Char(default="created")
    data_path = fields.Char(default="data", help="Where the contact lies in the payload.")
    outbound_url = fields.Char(
        string="Push URL",
        help="Odoo-owned contact changes (and, with Push entitlements, the customers' entitlements) "
        "are POSTed here, signed.",
    )
    push_entitlements = fields.Boolean(
        help="A support platform: each customer's account and entitlements (contracts in force, "
        "their term and products) are POSTed to the Push URL, signed, as a full snapshot whenever "
        "they change.",
    )
    reconcile_url = fields.Char(
        string="List URL",
        help="GET returns the contacts changed in a window "
        "(?updated_since=…&updated_until=…) as {'data': [...], 'next': url or null}.",
    )

    # ------------------------------------------------------------------ hooks
    def _ownership_defaults(self):
        if self.kind != KIND:
            return super()._ownership_defaults()
        return {"customer": ("remote", "apply")}  # the connected system owns the contacts it sends

    def _pushes_entitlements(self):
        if self.kind != KIND:
            return super()._pushes_entitlements()
        return self.push_entitlements

    def _missing_credentials(self):
        if self.kind != KIND:
            return super()._missing_credentials()
        missing = []
        if not self.webhook_secret:
            missing.append((self.env._("Webhook secret"), self.env._("every delivery is refused (401)")))
        if self.push_entitlements and not self.outbound_url:
            missing.append(
                (
                    self.env._("Push URL"),
                    self.env._("the customers' entitlements cannot reach the support platform"),
                )
            )
        return missing

    def _webhook_verify(self, delivery):
        if self.kind != KIND:
            return super()._webhook_verify(delivery)
        return self._generic_verify_signature(delivery)

    def _webhook_parse(self, delivery):
        if self.kind != KIND:
            return super()._webhook_parse(delivery)
        return self._generic_read_envelopes(delivery)

    def _handle_event(self, event):
        if self.kind != KIND:
            return super()._handle_event(event)
        # Every event type of this kind is about one contact; `*.deleted` archives it.
        return self._generic_contact_sync(event)

    def _send_outbound(self, message):
        if self.kind != KIND:
            return super()._send_outbound(message)
        senders = {
            "contact.push": self._generic_contact_push,
            OP_ENTITLEMENTS: self._generic_entitlements_push,
        }
        sender = senders.get(message.operation)
        if sender is None:
            raise PermanentError(
                self.env._("Signed-webhook backends do not send %s messages.", message.operation)
            )
        return sender(message)

    # ------------------------------------------------------------------ deliveries
    def _generic_verify_signature(self, delivery):
        """HMAC of the raw body (or of `<timestamp>.<body>`), any active secret."""
        headers = delivery.headers
        timestamp = headers.get(self.timestamp_header) if self.timestamp_header else None
        if self.timestamp_header and not timestamp:
            raise SignatureError(f"timestamp header {self.timestamp_header} missing")
        try:
            verify_hmac(
                delivery.body,
                headers.get(self.signature_header or "X-Signature"),
                self._webhook_secrets(),
                encoding=self.signature_encoding,
                timestamp=timestamp,
                now=time.time(),
                tolerance=self.timestamp_tolerance if self.timestamp_header else None,
            )
        except SignatureMismatch as exc:
            raise SignatureError(str(exc)) from None

    def _generic_read_envelopes(self, delivery):
        """One event per delivery, read at the JSON paths configured on the backend."""
        try:
            payload = load_json(delivery.body)
            envelope = envelope_from_paths(
                payload,
                self.event_id_path,
                self.event_type_path,
                self.entity_key_path or "",
                self.occurred_at_path or "",
            )
        except EnvelopeError as exc:
            raise PayloadError(str(exc)) from None
        contact = get_path(payload, self.data_path or "data")
        summary = ""
        if isinstance(contact, dict) and contact.get("id"):
            summary = " ".join(
                filter(None, ["Contact", str(contact.get("name") or ""), f"({contact['id']})"])
            )
        return [envelope.model_copy(update={"payload": delivery.body.decode(), "summary": summary[:255]})]

    # ------------------------------------------------------------------ contacts in
    def _generic_contact_sync(self, event):
        """`<data>` with id, name, email, phone becomes a partner; `*.deleted` archives it."""
        data = get_path(event._payload_json(), self.data_path or "data")
        if not isinstance(data, dict) or not data.get("id"):
            raise PayloadError(
                self.env._(
                    "The delivery has no contact at '%s' (an object with an 'id').",
                    self.data_path or "data",
                )
            )
        external_id = str(data["id"])
        if not self._check_inbound_policy(event, "customer", self.env._("Contact %s", external_id)):
            return None
        binder = self.env["integration.external.id"]
        partner = binder._record_for(self, "res.partner", external_id)
        if binder._is_stale(self, "res.partner", external_id, event.order_at):
            event._note_result(self.env._("Skipped: a newer version was already applied."))
            return partner
        if event.event_type.endswith(".deleted"):
            if partner:
                partner.with_context(integration_inbound=True).active = False
                binder._bind(self, partner, external_id, event.order_at)
            return partner
        name = (data.get("name") or "").strip()
        if not name:
            raise PermanentError(
                self.env._(
                    "Contact %(ref)s has no name. Add the name in the source system or edit the "
                    "payload here, then retry the event.",
                    ref=external_id,
                )
            )
        values = {"name": name, "email": data.get("email"), "phone": data.get("phone")}
        partner = self._write_or_create(partner or self.env["res.partner"], values)
        binder._bind(self, partner, external_id, event.order_at)
        return partner

    # ------------------------------------------------------------------ contacts out
    def _generic_contact_payload(self, partner, external_id):
        return {
            "id": external_id,
            "name": partner.name,
            "email": partner.email or None,
            "phone": partner.phone or None,
        }

    def _generic_queue_contact_push(self, partner, external_id):
        self.env["integration.outbound"]._enqueue(
            self,
            "contact.push",
            partner,
            self._generic_contact_payload(partner, external_id),
            entity_key=external_id,
        )

    @api.model
    def _generic_push_partners(self, partners):
        """Queue `contact.push` for partners bound on signed-webhook backends that push
        contacts and where Odoo is the system of record for customers."""
        bindings = (
            self.env["integration.external.id"]
            .sudo()
            .search(
                [
                    ("model", "=", "res.partner"),
                    ("res_id", "in", partners.ids),
                    ("backend_id.kind", "=", KIND),
                    ("backend_id.outbound_url", "!=", False),
                ]
            )
        )
        for binding in bindings:
            backend = binding.backend_id
            owner = backend.ownership_ids.filtered(lambda line: line.domain == "customer")[:1]
            if owner.system_of_record == "odoo":
                backend._generic_queue_contact_push(partners.browse(binding.res_id), binding.external_id)

    def _generic_contact_push(self, message):
        if not self.outbound_url:
            raise PermanentError(self.env._("Set a Push URL on backend %s to send contacts.", self.name))
        return self._generic_signed_post(message)

    # ------------------------------------------------------------------ entitlements out
    def _generic_entitlements_push(self, message):
        """The account's entitlement snapshot, as queued (res.partner._integration_entitlements_changed)."""
        if not self.outbound_url:
            raise PermanentError(
                self.env._(
                    "Backend %s has no Push URL: the customer's entitlements cannot reach the support "
                    "platform. Set the Push URL on the backend, then Retry this message.",
                    self.name,
                )
            )
        if not self._webhook_secrets():
            raise PermanentError(
                self.env._(
                    "Backend %s has no webhook secret: the entitlements would go out unsigned and the "
                    "support platform could not trust them. Set the secret, then Retry this message.",
                    self.name,
                )
            )
        return self._generic_signed_post(message)

    def _generic_signed_post(self, message):
        """POST the message's payload to the Push URL with the HMAC-SHA256 of the body (the
        backend's first secret, its signature header and encoding) and the deal's id."""
        body = (message.payload or "{}").encode()
        secret = self._webhook_secrets()[:1]
        headers = {"Content-Type": "application/json"}
        if message._deal_reference():  # the receiver files it under the deal (Integrations > Deals)
            headers["X-Integration-Deal"] = message._deal_reference()
        if secret:
            headers[self.signature_header or "X-Signature"] = hmac_sha256(
                secret[0], body, self.signature_encoding
            )
        return self._api_client(self.outbound_url).request(
            "POST",
            self.outbound_url,
            data=body,
            headers=headers,
            idempotency_key=message.idempotency_key,
            correlation_id=message.correlation_id,
        )
