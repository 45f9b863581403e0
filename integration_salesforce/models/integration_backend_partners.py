"""Salesforce accounts and contacts to Odoo partners; the initial import.

Account -> company (billing address on it, shipping address as a delivery address);
Contact -> person under its account's company. A merged account (`MasterRecordId`) hands
its partner's binding to the surviving account."""

from odoo import models
from odoo.addons.integration_core.exceptions import PayloadError
from pydantic import ValidationError

from ..const import ACCOUNT, ACCOUNT_FIELDS, CONTACT, CONTACT_FIELDS
from ..lib.schemas import Account, Contact


def sf_key(record_id):
    """Salesforce ids are bound on their case-sensitive 15-character form."""
    return (record_id or "")[:15]


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    # ---------------------------------------------------------------- reading
    def _salesforce_record(self, sobject, payload, fields_text, extra=""):
        """The record's current values: a pulled record is complete; a notification
        carries only some fields (and may be late), so the record is read over REST now."""
        values = payload["values"]
        if payload.get("complete"):
            return values
        record_id = values.get("Id")
        selected = f"{fields_text}, {extra}" if extra else fields_text
        soql = f"SELECT {selected} FROM {sobject} WHERE Id = '{_soql_id(record_id)}'"
        records = list(self._salesforce_client().query_all(soql))
        if not records:
            raise PayloadError(
                self.env._("%(type)s %(id)s no longer exists in Salesforce.", type=sobject, id=record_id)
            )
        return records[0]

    def _salesforce_fact(self, model, values):
        try:
            return model.model_validate(values)
        except ValidationError as exc:
            raise PayloadError(
                self.env._(
                    "Salesforce %(type)s %(id)s cannot be read: %(error)s",
                    type=model.__name__,
                    id=values.get("Id"),
                    error=str(exc).splitlines()[:3],
                )
            ) from None

    # ---------------------------------------------------------------- accounts
    def _salesforce_account_event(self, event, payload):
        values = self._salesforce_record(ACCOUNT, payload, ACCOUNT_FIELDS)
        account = self._salesforce_fact(Account, values)
        return self._salesforce_apply_account(event, account)

    def _salesforce_apply_account(self, event, account):
        binder = self.env["integration.external.id"]
        key = sf_key(account.id)
        partner = binder._record_for(self, "res.partner", key)
        if account.master_record_id:
            return self._salesforce_merge_account(event, account, partner)
        if event and not self._check_inbound_policy(event, "customer", account.name):
            return partner
        if event and binder._is_stale(self, "res.partner", key, account.version):
            event._note_result(self.env._("Skipped: a newer version of this account was already applied."))
            return partner
        billing = account.billing_address()
        values = {
            "name": account.name,
            "is_company": True,
            "phone": account.phone or False,
            "website": account.website or False,
            **self._salesforce_address_values(billing),
        }
        partner = self._write_or_create(partner or self.env["res.partner"], values)
        shipping = account.shipping_address()
        if not shipping.is_empty() and shipping != billing:
            delivery = partner.child_ids.filtered(lambda child: child.type == "delivery")[:1]
            self._write_or_create(
                delivery or self.env["res.partner"],
                {
                    "type": "delivery",
                    "parent_id": partner.id,
                    "name": account.name,
                    **self._salesforce_address_values(shipping),
                },
            )
        binder._bind(self, partner, key, account.version)
        return partner

    def _salesforce_merge_account(self, event, account, partner):
        """The account was merged into `MasterRecordId`: its Odoo partner becomes the
        survivor's when the survivor has none, else it is archived under it."""
        binder = self.env["integration.external.id"]
        master_key = sf_key(account.master_record_id)
        survivor = binder._record_for(self, "res.partner", master_key)
        if not partner:
            if event:
                event._note_result(self.env._("Merged into %s; no Odoo partner to rebind.", master_key))
            return survivor or None
        line = binder._line(self, "res.partner", sf_key(account.id))
        if not survivor:
            line.sudo().external_id = master_key
            if event:
                event._note_result(self.env._("Merged: the partner now stands for account %s.", master_key))
            return partner
        partner.child_ids.with_context(integration_inbound=True).write({"parent_id": survivor.id})
        partner.with_context(integration_inbound=True).active = False
        line.sudo().unlink()
        if event:
            event._note_result(self.env._("Merged into account %s: this partner is archived.", master_key))
        return survivor

    def _salesforce_address_values(self, address):
        country = self.env["res.country"]
        if address.country_code:
            country = country.search([("code", "=ilike", address.country_code)], limit=1)
        elif address.country:
            country = country.search(
                ["|", ("code", "=ilike", address.country), ("name", "=ilike", address.country)], limit=1
            )
        state = self.env["res.country.state"]
        state_code = address.state_code or address.state
        if country and state_code:
            state = state.search(
                [
                    ("country_id", "=", country.id),
                    "|",
                    ("code", "=ilike", state_code),
                    ("name", "=ilike", state_code),
                ],
                limit=1,
            )
        return {
            "street": address.street or False,
            "city": address.city or False,
            "zip": address.postal_code or False,
            "country_id": country.id or False,
            "state_id": state.id or False,
        }

    def _salesforce_partner_for_account(self, account_id):
        """The company partner of an account, read from Salesforce when not yet in Odoo."""
        if not account_id:
            return self.env["res.partner"]
        partner = self.env["integration.external.id"]._record_for(self, "res.partner", sf_key(account_id))
        if partner:
            return partner
        values = self._salesforce_record(ACCOUNT, {"values": {"Id": account_id}}, ACCOUNT_FIELDS)
        return self._salesforce_apply_account(None, self._salesforce_fact(Account, values))

    # ---------------------------------------------------------------- contacts
    def _salesforce_contact_event(self, event, payload):
        values = self._salesforce_record(CONTACT, payload, CONTACT_FIELDS)
        contact = self._salesforce_fact(Contact, values)
        binder = self.env["integration.external.id"]
        key = sf_key(contact.id)
        partner = binder._record_for(self, "res.partner", key)
        if not self._check_inbound_policy(event, "customer", contact.full_name):
            return partner
        if binder._is_stale(self, "res.partner", key, contact.version):
            event._note_result(self.env._("Skipped: a newer version of this contact was already applied."))
            return partner
        company = self._salesforce_partner_for_account(contact.account_id)
        values = {
            "name": contact.full_name,
            "is_company": False,
            "type": "contact",
            "parent_id": company.id or False,
            "email": contact.email or False,
            "phone": contact.phone or False,
            "function": contact.title or False,
        }
        partner = self._write_or_create(partner or self.env["res.partner"], values)
        binder._bind(self, partner, key, contact.version)
        return partner

    # ---------------------------------------------------------------- import
    def action_salesforce_import_partners(self):
        """Every account, then every contact, as Pull events (processed like pushed ones)."""
        self.ensure_one()
        count = 0
        client = self._salesforce_client()
        for sobject, fields_text in ((ACCOUNT, ACCOUNT_FIELDS), (CONTACT, CONTACT_FIELDS)):
            soql = f"SELECT {fields_text} FROM {sobject} ORDER BY SystemModstamp"
            # Bulk API 2.0 over the threshold: one job instead of a REST call per 2,000 records
            large = client.count(sobject) > (self.salesforce_bulk_threshold or 0)
            for record in client.bulk_query(soql) if large else client.query_all(soql):
                count += self._salesforce_ingest_pulled(sobject, record)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.name,
                "message": self.env._("%s accounts and contacts queued for import.", count),
                "type": "success",
            },
        }

    def _salesforce_ingest_pulled(self, sobject, record):
        """A record read from Salesforce becomes a Pull event; the same version twice is one."""
        record = {key: value for key, value in record.items() if key != "attributes"}
        version = record.get("SystemModstamp") or record.get("LastModifiedDate") or ""
        payload = {"sobject": sobject, "complete": True, "values": record}
        envelope = self._salesforce_envelope(
            sobject, record, f"pull:{sobject}:{record.get('Id')}:{version}", payload
        )
        _event_id, is_new = self.env["integration.event"]._ingest(
            self, envelope, envelope.payload, {}, self.env["integration.event"]._new_correlation_id(), "pull"
        )
        return int(is_new)


def _soql_id(record_id):
    """An id placed in SOQL: letters and digits only (no quote can close the literal)."""
    text = record_id or ""
    if not text.isalnum():
        raise PayloadError(f"{text!r} is not a Salesforce id")
    return text
