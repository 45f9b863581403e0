"""Quote-to-cash part of `make demo`: two deals through the whole chain, over HTTP, with
local stand-ins for the Salesforce org, DocuSign's envelopes API and Stripe's API.

- Deal 1 goes straight through: won opportunity (Outbound Message) → quotation *Awaiting
  signature* → sent for signature from Odoo → signed (Connect XML) → confirmed → invoiced →
  Stripe Payment Link → paid (`payment_intent.succeeded`) → the opportunity's Odoo fields.
- Deal 2 stops at the contract: sent for signature, never signed.

A stand-in support platform gets the customers' entitlements (a signed-webhook backend with
*Push entitlements*): deal 1's contract in force, its term and products, printed as received.
Each deal's timeline (Integrations > Deals) is printed. `show(admin, base_url)` is called by
setup/demo.py with the server running; `QuoteToCash` drives one chain (the bench uses it)."""

import datetime
import json
import os
import time
from pathlib import Path

import requests
from demo_chain_vendors import DemoContractTool, DemoStripeApi, DemoSupportPlatform
from demo_salesforce_org import DemoSalesforceOrg, outbound_message, won_deal_with_cpq_quote

from toolkit import hmac_sha256, signed_message

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(os.environ.get("INTEGRATION_FIXTURES") or ROOT.parent / "shared" / "fixtures")
ORG_ID = "00DQ0000000EB93MAQ"
SIGNER = "larry.kluger@example.com"  # the signer of the shared Connect fixture
FIXTURE_ENVELOPE = "08740f95-2187-4b01-9a69-452ae3140752"


def wait_until(check, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    return None


class QuoteToCash:
    """The stand-ins and the three backends of the chain (four with `support_secret`: a support
    platform receiving the entitlements), and one method per handoff."""

    def __init__(self, admin, base_url, docusign=None, stripe=None, connect_key="q2c-connect-key",
                 stripe_secret="whsec_q2c", support_secret=None):  # fmt: skip
        self.admin, self.base_url = admin, base_url
        self.org, self.tool, self.stripe = DemoSalesforceOrg(), DemoContractTool("acc-q2c"), DemoStripeApi()
        self.support = DemoSupportPlatform(support_secret) if support_secret else None
        if self.support:
            admin.call(
                "integration.backend",
                "create",
                {"name": "Support platform (entitlements)", "kind": "generic_hmac", "state": "active",
                 "webhook_secret": support_secret, "outbound_url": self.support.push_url,
                 "push_entitlements": True},
            )  # fmt: skip
        self.connect_key, self.stripe_secret = connect_key, stripe_secret
        self.sf = admin.call(
            "integration.backend",
            "create",
            {"name": "Salesforce (quote-to-cash org)", "kind": "salesforce", "state": "active",
             "salesforce_instance_url": self.org.url, "salesforce_org_id": ORG_ID,
             "salesforce_auth_flow": "client_credentials", "salesforce_consumer_key": "q2c-key",
             "salesforce_consumer_secret": "q2c-secret", "salesforce_cpq": True},
        )  # fmt: skip
        clm_values = {
            "clm_api_base": self.tool.url,
            "docusign_account_id": "acc-q2c",
            "state": "active",
            "docusign_access_token": "stand-in-token",
            "docusign_token_expires_at": "2099-01-01 00:00:00",
        }
        if docusign:  # the demo's own DocuSign backend (its rule: quotations above 10,000 wait)
            admin.call("integration.backend", "write", [docusign], clm_values)
            self.clm = docusign
        else:
            self.clm = admin.call(
                "integration.backend",
                "create",
                {
                    "name": "DocuSign (quote-to-cash)",
                    "kind": "docusign",
                    "webhook_secret": connect_key,
                    "clm_contract_rule": "always",
                    **clm_values,
                },
            )
        stripe_values = {
            "stripe_api_base": self.stripe.url,
            "stripe_secret_key": "sk_test_q2c",
            "state": "active",
        }
        if stripe:
            admin.call("integration.backend", "write", [stripe], stripe_values)
            self.pay = stripe
        else:
            journal = admin.call(
                "account.journal", "create", {"name": "Stripe (q2c)", "type": "bank", "code": "SQ2C"}
            )
            self.pay = admin.call(
                "integration.backend",
                "create",
                {"name": "Stripe (quote-to-cash)", "kind": "stripe", "webhook_secret": stripe_secret,
                 **stripe_values, "stripe_journal_ids": [(6, 0, [journal])]},
            )  # fmt: skip
        rows = admin.call("integration.backend", "read", [self.sf, self.clm, self.pay], ["webhook_uuid"])
        self.urls = {key: f"{base_url}/integration/webhook/{row['webhook_uuid']}"
                     for key, row in zip(("sf", "clm", "stripe"), rows, strict=True)}  # fmt: skip

    def stop(self):
        for stand_in in (self.org, self.tool, self.stripe, self.support):
            if stand_in:
                stand_in.stop()

    # ------------------------------------------------------------------ handoffs
    def won_opportunity(self, tag):
        """The won opportunity with its approved quote, notified by an Outbound Message."""
        deal = won_deal_with_cpq_quote(self.org, tag=tag)
        service = {"type": "service", "invoice_policy": "order", "taxes_id": [(5, 0, 0)]}
        for code in deal["product_codes"]:
            if not self.admin.call("product.product", "search", [("default_code", "=", code)]):
                self.admin.call("product.product", "create", {"name": code, "default_code": code, **service})
        stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")
        values = {"Id": deal["opportunity"], "AccountId": deal["account"], "SystemModstamp": stamp}
        notification = (f"04l{tag}00000001", "Opportunity", values)
        body = outbound_message(ORG_ID, [notification])
        answer = requests.post(self.urls["sf"], data=body, headers={"Content-Type": "text/xml"}, timeout=30)
        answer.raise_for_status()
        return deal

    def quotation(self, opportunity):
        found = wait_until(
            lambda: self.admin.call(
                "sale.order",
                "search_read",
                [("salesforce_opportunity_id", "=", opportunity), ("integration_deal_id", "!=", False)],
                ["name", "state", "partner_id", "integration_deal_id", "amount_total"],
            )
        )
        return found[0] if found else None

    def send_for_signature(self, order):
        self.admin.call("res.partner", "write", [order["partner_id"][0]], {"email": SIGNER})
        self.admin.call("sale.order", "action_clm_send_for_signature", [order["id"]])
        contracts = wait_until(
            lambda: self.admin.call(
                "integration.contract",
                "search_read",
                [("order_id", "=", order["id"]), ("state", "=", "sent")],
                ["external_id"],
            )
        )
        return contracts[0]["external_id"] if contracts else None

    def sign(self, envelope_id):
        """DocuSign Connect: the envelope completed, with the custom fields Odoo sent."""
        local = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(hours=7)
        xml = (FIXTURES / "docusign" / "connect_envelope_completed.xml").read_text()
        xml = xml.replace(FIXTURE_ENVELOPE, envelope_id).replace(
            "2020-03-28T23:56:54.59", local.isoformat(timespec="milliseconds")
        )
        fields = "".join(
            f"<CustomField><Name>{name}</Name><Value>{value}</Value></CustomField>"
            for name, value in self.tool.envelopes[envelope_id]["custom_fields"].items()
        )
        body = xml.replace(
            "<CustomFields>\n         <CustomField>", f"<CustomFields>{fields}<CustomField>", 1
        ).encode()
        headers = {
            "Content-Type": "text/xml",
            "X-DocuSign-Signature-1": hmac_sha256(self.connect_key, body, "base64"),
        }
        requests.post(self.urls["clm"], data=body, headers=headers, timeout=30).raise_for_status()

    def invoice(self, order):
        """Invoiced by the order's terms and posted, as a person does from the order."""
        confirmed = wait_until(
            lambda: self.admin.call(
                "sale.order", "search_count", [("id", "=", order["id"]), ("state", "=", "sale")]
            )
        )
        if not confirmed:
            return None
        context = {"active_model": "sale.order", "active_ids": [order["id"]], "active_id": order["id"]}
        wizard = self.admin.call(
            "sale.advance.payment.inv", "create", {"advance_payment_method": "delivered"}, context=context
        )
        self.admin.call("sale.advance.payment.inv", "create_invoices", [wizard], context=context)
        [invoice] = self.admin.call(
            "account.move",
            "search_read",
            [("invoice_origin", "=", order["name"]), ("move_type", "=", "out_invoice")],
            ["name"],
        )
        self.admin.call("account.move", "action_post", [invoice["id"]])
        return self.admin.call("account.move", "read", [invoice["id"]], ["name", "amount_total"])[0]

    def pay_invoice(self, invoice, intent_id):
        """Pay with Stripe: the link through the outbound queue, then the customer pays it."""
        self.admin.call("account.move", "action_stripe_payment_link", [invoice["id"]])
        link = wait_until(lambda: self.stripe.link_for_invoice(invoice["name"]))
        if not link:
            return None
        intent = json.loads((FIXTURES / "stripe" / "object_payment_intent.json").read_text())
        amount = self.stripe.amount_of(link)
        intent.update(id=intent_id, amount=amount, amount_received=amount, status="succeeded",
                      currency=self.stripe.currency_of(link), latest_charge=f"ch_{intent_id[3:]}",
                      metadata=link["intent_metadata"], created=int(time.time()))  # fmt: skip
        event = json.loads((FIXTURES / "stripe" / "object_event.json").read_text())
        event.update(id=f"evt_{intent_id[3:]}", type="payment_intent.succeeded", created=int(time.time()),
                     livemode=False, data={"object": intent})  # fmt: skip
        body = json.dumps(event).encode()
        stamp = int(time.time())
        signature = f"t={stamp},v1={hmac_sha256(self.stripe_secret, signed_message(body, stamp))}"
        headers = {"Content-Type": "application/json", "Stripe-Signature": signature}
        requests.post(self.urls["stripe"], data=body, headers=headers, timeout=30).raise_for_status()
        return link

    def entitlements(self, partner_id):
        """The newest snapshot the support platform applied for the customer of `partner_id`."""
        [partner] = self.admin.call("res.partner", "read", [partner_id], ["commercial_partner_id"])
        account = partner["commercial_partner_id"][0]
        return wait_until(lambda: self.support.accounts.get(account), timeout=60)

    def timeline(self, deal_id):
        return self.admin.call(
            "integration.deal.step",
            "search_read",
            [("deal_id", "=", deal_id)],
            ["at", "kind", "backend_id", "name", "state", "duration"],
            order="at, id",
        )


def _timeline_rows(chain, deal_id, title):
    [deal] = chain.admin.call("integration.deal", "read", [deal_id], ["name", "health"])
    rows = [(f"deal {title}", f"correlation id {deal['name']} ({deal['health']})")]
    for step in chain.timeline(deal_id):
        direction = "in " if step["kind"] == "event" else "out"
        what = f"  {step['at'][11:19]} {step['backend_id'][1][:22]:22} {direction}"
        duration = f" {step['duration']:.1f}s" if step["duration"] else ""
        rows.append((f"{what} {step['name'][:40]}", f"{step['state']}{duration}"))
    cycles = chain.admin.call(
        "integration.deal.cycle",
        "search_read",
        [("deal_id", "=", deal_id)],
        ["step", "ended_at", "minutes", "objective_minutes", "is_breached"],
        order="started_at",
    )
    for cycle in cycles:
        state = "done" if cycle["ended_at"] else "running"
        late = " OVER OBJECTIVE" if cycle["is_breached"] else ""
        rows.append(
            (
                f"  cycle time {cycle['step']}",
                f"{state}, {cycle['minutes']:.1f} min (objective {cycle['objective_minutes']} min){late}",
            )
        )
    return rows


def _entitlement_rows(chain, partner_id):
    snapshot = chain.entitlements(partner_id)
    if not snapshot:
        return [("support platform", "no entitlements received (see Integrations > Outbound)")]
    account = snapshot["account"]
    ids = ", ".join(f"{e['system']} {e['id']}" for e in account["external_ids"]) or "none"
    signed = sum(1 for d in chain.support.deliveries if d["body"]["account"]["odoo_id"] == account["odoo_id"])
    rows = [
        (
            f"support platform: {account['name']}",
            f"snapshot v{snapshot['version']} ({signed} signed deliver{'y' if signed == 1 else 'ies'}, "
            f"{chain.support.refused} refused), external ids: {ids}",
        )
    ]
    for item in snapshot["entitlements"]:
        products = ", ".join(f"{p['quantity']} x {p['sku']}" for p in item["products"])
        term = f"{item['start']} to {item['end']} ({item['term_months']} months)"
        rows.append(
            (
                f"  entitled: {item['contract'][:40]} ({item['sale_order']})",
                f"{term}: {products}; {item['deal']}",
            )
        )
    return rows


def show(admin, base_url):
    docusign = admin.call("integration.backend", "search", [("webhook_uuid", "=", "demo-docusign")])
    stripe = admin.call("integration.backend", "search", [("webhook_uuid", "=", "demo-stripe")])
    keys = {"connect_key": "demo-connect-hmac-key"} if docusign else {}
    if stripe:
        keys["stripe_secret"] = "whsec_demo_stripe"
    # The stand-ins live as long as the demo process serves; the chain's records stay to look at.
    chain = QuoteToCash(admin, base_url, docusign=docusign[0] if docusign else None,
                        stripe=stripe[0] if stripe else None, support_secret="demo-support-secret",
                        **keys)  # fmt: skip
    rows = []
    # Deal 1: straight through
    first = chain.won_opportunity("DMO1")
    order = chain.quotation(first["opportunity"])
    # the term of the quote's subscription, as the salesperson sets it before sending
    admin.call(
        "sale.order", "write", [order["id"]], {"clm_term_start": "2027-01-01", "clm_term_end": "2027-12-31"}
    )
    envelope = chain.send_for_signature(order)
    chain.sign(envelope)
    invoice = chain.invoice(order)
    chain.pay_invoice(invoice, "pi_demo_q2c_1")
    wait_until(lambda: chain.org.records["Opportunity"][first["opportunity"]].get("Odoo_Status__c") == "paid")
    # Deal 2: the contract goes out and is never signed
    second = chain.won_opportunity("DMO2")
    stuck = chain.quotation(second["opportunity"])
    chain.send_for_signature(stuck)
    time.sleep(2)  # the status write-backs
    deals = [order["integration_deal_id"][0], stuck["integration_deal_id"][0]]
    admin.call("integration.deal", "action_measure_cycles", deals)
    final = chain.org.records["Opportunity"][first["opportunity"]]
    rows.append(
        (
            "opportunity 1 in Salesforce",
            f"{final.get('Odoo_Order_Number__c')} {final.get('Odoo_Status__c')}, "
            f"paid {final.get('Odoo_Amount_Paid__c')}, invoices {final.get('Odoo_Invoice_Numbers__c')}",
        )
    )
    rows += _entitlement_rows(chain, order["partner_id"][0])
    rows += _timeline_rows(chain, deals[0], "1 (straight through)")
    rows += _timeline_rows(chain, deals[1], "2 (waits for its signature)")
    rows.append(("Integrations > Deals", "search any id: 006DMO10000OppyAAA, the envelope, pi_demo_q2c_1"))
    return rows


if __name__ == "__main__":  # python setup/demo_chain.py <base_url> <db> (admin/admin)
    import sys

    from odoo_client import OdooClient

    client = OdooClient(sys.argv[1], sys.argv[2]).login("admin", "admin")
    for what, result in show(client, sys.argv[1]):
        print(f"{what:70} {result}")
