"""What Odoo sends to the e-signature vendors, through the outbound queue: the envelope /
signature request / document for a quotation, PandaDoc's separate send, voids, and the
signed PDF once the vendor says it is ready."""

import base64
import json

from odoo import fields, models
from odoo.addons.integration_core.exceptions import PermanentError, RetryableError
from odoo.addons.integration_core.lib.http_client import VendorHttpError

from ..const import CLM_KINDS, OP_FETCH_PDF, OP_PANDADOC_SEND, OP_SEND, OP_VOID
from ..lib import client


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    def _send_outbound(self, message):
        if self.kind not in CLM_KINDS:
            return super()._send_outbound(message)
        operations = {
            OP_SEND: self._clm_send_for_signature,
            OP_PANDADOC_SEND: self._clm_pandadoc_send,
            OP_VOID: self._clm_send_void,
            OP_FETCH_PDF: self._clm_fetch_signed_pdf,
        }
        operation = operations.get(message.operation)
        if operation is None:
            raise PermanentError(
                self.env._("%(kind)s backends cannot send %(op)s.", kind=self.kind, op=message.operation)
            )
        payload = json.loads(message.payload or "{}")
        contract = self.env["integration.contract"].browse(payload.get("contract_id")).exists()
        if not contract:
            raise PermanentError(self.env._("The contract of this message no longer exists."))
        return operation(message, contract, payload)

    # ------------------------------------------------------------ clients
    def _clm_client(self):
        headers_for = {
            "docusign": self._clm_docusign_headers,
            "dropbox_sign": lambda: client.dropbox_sign_auth(self.sudo().clm_api_key or ""),
            "pandadoc": lambda: client.pandadoc_auth(self.sudo().clm_api_key or ""),
        }
        return self._api_client(self._clm_api_base(), headers=headers_for[self.kind]())

    def _clm_docusign_headers(self):
        """Bearer token of DocuSign's JWT grant, kept until a minute before it expires."""
        backend = self.sudo()
        now = fields.Datetime.now()
        if (
            backend.docusign_access_token
            and backend.docusign_token_expires_at
            and (backend.docusign_token_expires_at > fields.Datetime.add(now, minutes=1))
        ):
            return {"Authorization": f"Bearer {backend.docusign_access_token}"}
        if not (
            backend.docusign_integration_key and backend.docusign_user_id and backend.docusign_private_key
        ):
            raise PermanentError(
                self.env._("Set the DocuSign integration key, user id and RSA private key on %s.", self.name)
            )
        assertion = client.docusign_jwt_assertion(
            backend.docusign_integration_key,
            backend.docusign_user_id,
            backend.docusign_private_key,
            backend.docusign_auth_base or client.DOCUSIGN_AUTH_BASE,
        )
        grant = client.docusign_token_request(assertion)
        answer = grant.send(self._api_client(backend.docusign_auth_base or client.DOCUSIGN_AUTH_BASE)).json()
        backend.write(
            {
                "docusign_access_token": answer["access_token"],
                "docusign_token_expires_at": fields.Datetime.add(
                    now, seconds=int(answer.get("expires_in", 3600))
                ),
            }
        )
        return {"Authorization": f"Bearer {answer['access_token']}"}

    def _clm_send(self, message, request):
        return request.send(
            self._clm_client(), idempotency_key=message.idempotency_key, correlation_id=message.correlation_id
        )

    # ------------------------------------------------------------ operations
    def _clm_send_for_signature(self, message, contract, payload):
        order = contract.order_id
        if order.state == "cancel" or contract.state != "draft":
            # cancelled (or already sent) while the message waited: nothing to send
            raise PermanentError(
                self.env._("Not sent: %(order)s is %(state)s.", order=order.name, state=order.state)
            )
        terms = client.SignatureRequestTerms(
            order_ref=order.name,
            title=contract.name,
            signer_email=contract.signer_email or order.partner_id.email or "",
            signer_name=contract.signer_name or order.partner_id.name or "",
            pdf=order._clm_quotation_pdf(),
            amount=contract._clm_amount_to_cent(),
            currency=contract.currency_id.name or "",
            term_start=(contract.term_start and contract.term_start.isoformat()) or "",
            term_end=(contract.term_end and contract.term_end.isoformat()) or "",
            amends=contract.amendment_of_id.external_id or "",
            deal_ref=message._deal_reference(),
            lines_json=contract.amended_lines or "",
            test_mode=self.clm_test_mode,
        )
        builders = {
            "docusign": lambda: client.docusign_envelope_request(self.docusign_account_id or "", terms),
            "dropbox_sign": lambda: client.dropbox_sign_send_request(terms),
            "pandadoc": lambda: client.pandadoc_create_request(terms),
        }
        response = self._clm_send(message, builders[self.kind]())
        external_id, vendor_status = client.created_id(self.kind, response.json())
        if not external_id:
            raise PermanentError(self.env._("%s answered without the id of what it created.", self.name))
        values = {"external_id": external_id}
        if self.kind != "pandadoc":
            values.update(state="sent", sent_at=fields.Datetime.now())
        contract.write(values)
        if self.kind == "pandadoc":
            # PandaDoc creates a draft first; sending it is a second call, once it is ready.
            self.env["integration.outbound"]._enqueue(
                self,
                OP_PANDADOC_SEND,
                contract,
                {"contract_id": contract.id, "status": vendor_status},
                entity_key=f"contract:{contract.id}",
                correlation_id=message.correlation_id,
            )
        return response

    def _clm_pandadoc_send(self, message, contract, payload):
        try:
            response = self._clm_send(message, client.pandadoc_send_request(contract.external_id))
        except VendorHttpError as exc:
            if exc.status in (400, 409):  # still document.uploaded: try again in a few seconds
                raise RetryableError(
                    self.env._("PandaDoc document is not a draft yet."), retry_after=5
                ) from exc
            raise
        contract.write({"state": "sent", "sent_at": fields.Datetime.now()})
        return response

    def _clm_send_void(self, message, contract, payload):
        reason = payload.get("reason") or self.env._("Cancelled in Odoo")
        builders = {
            "docusign": lambda: client.docusign_void_request(
                self.docusign_account_id or "", contract.external_id, reason
            ),
            "dropbox_sign": lambda: client.dropbox_sign_cancel_request(contract.external_id),
            "pandadoc": lambda: client.pandadoc_void_request(contract.external_id, reason),
        }
        response = self._clm_send(message, builders[self.kind]())
        if contract.state not in ("signed", "declined", "expired"):
            contract.write({"state": "voided", "end_reason": reason})
        return response

    def _clm_fetch_signed_pdf(self, message, contract, payload):
        builders = {
            "docusign": lambda: client.docusign_pdf_request(
                self.docusign_account_id or "", contract.external_id
            ),
            "dropbox_sign": lambda: client.dropbox_sign_pdf_request(contract.external_id),
            "pandadoc": lambda: client.pandadoc_pdf_request(contract.external_id),
        }
        response = builders[self.kind]().send(self._clm_client(), correlation_id=message.correlation_id)
        if not response.content.startswith(b"%PDF"):
            raise RetryableError(self.env._("%s did not answer a PDF yet.", self.name), retry_after=60)
        target = contract.order_id or contract
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"{contract.name} (signed).pdf",
                "datas": base64.b64encode(response.content),
                "res_model": target._name,
                "res_id": target.id,
                "mimetype": "application/pdf",
            }
        )
        contract.signed_pdf_id = attachment
        return response
