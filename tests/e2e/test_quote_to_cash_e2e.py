"""Quote to cash end to end, over HTTP only, for one deal: a won Salesforce opportunity with
an approved CPQ quote (Outbound Message) → one quotation *Awaiting signature* → sent for
signature from Odoo (a stand-in of DocuSign's envelopes API) → the signed envelope (Connect
XML) confirms it → invoiced and posted → a Stripe Payment Link (a stand-in of Stripe's API)
→ `payment_intent.succeeded` pays the invoice → the Opportunity's Odoo fields are final in a
stand-in of the Salesforce org, through an outage of its API (503) during the write-back; and
a stand-in support platform holds the customer's entitlements (the signed snapshot pushed
when the contract came into force).

At each step the same delivery comes twice and one older delivery arrives after a newer one.
The deal correlation id is carried everywhere, and every step is on the deal's timeline."""

import datetime
import json
import time
from pathlib import Path

import requests
from demo_chain_vendors import DemoContractTool, DemoStripeApi, DemoSupportPlatform
from demo_salesforce_org import DemoSalesforceOrg, outbound_message, won_deal_with_cpq_quote

from toolkit import hmac_sha256, signed_message

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT.parent / "shared" / "fixtures"
ORG_ID = "00DQ0000000EB93MAQ"
CONNECT_KEY = "e2e-chain-connect-key"
STRIPE_SECRET = "whsec_e2e_chain"
SUPPORT_SECRET = "e2e-chain-support-secret"
ACCOUNT_ID = "acc-e2e-chain"
SIGNER = "larry.kluger@example.com"  # the signer of the shared Connect fixture
FIXTURE_ENVELOPE = "08740f95-2187-4b01-9a69-452ae3140752"


def wait_until(check, what, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def connect_xml(envelope_id, status, custom_fields, sent_at, done_at):
    """The shared Connect XML fixture for `envelope_id` in `status`, with Odoo's custom fields
    (times in the account's local time: the fixture's TimeZoneOffset is -7)."""
    xml = (FIXTURES / "docusign" / "connect_envelope_completed.xml").read_text()
    xml = xml.replace(FIXTURE_ENVELOPE, envelope_id).replace("2020-03-28T23:56:54.59", done_at)
    xml = xml.replace(
        "<Status>Completed</Status>\n      <Created>", f"<Status>{status}</Status>\n      <Created>"
    )
    xml = xml.replace("<Sent>2020-03-28T23:56:54.59</Sent>", f"<Sent>{sent_at}</Sent>")
    fields = "".join(
        f"<CustomField><Name>{name}</Name><Value>{value}</Value></CustomField>"
        for name, value in custom_fields.items()
    )
    return xml.replace(
        "<CustomFields>\n         <CustomField>", f"<CustomFields>{fields}<CustomField>", 1
    ).encode()


def post_connect(base_url, uuid, body):
    headers = {"Content-Type": "text/xml", "X-DocuSign-Signature-1": hmac_sha256(CONNECT_KEY, body, "base64")}
    return requests.post(f"{base_url}/integration/webhook/{uuid}", data=body, headers=headers, timeout=30)


def post_stripe(base_url, uuid, payload):
    body = json.dumps(payload).encode()
    stamp = int(time.time())
    signature = f"t={stamp},v1={hmac_sha256(STRIPE_SECRET, signed_message(body, stamp))}"
    headers = {"Content-Type": "application/json", "Stripe-Signature": signature}
    return requests.post(f"{base_url}/integration/webhook/{uuid}", data=body, headers=headers, timeout=30)


def stripe_event(obj, event_type, event_id, created):
    envelope = json.loads((FIXTURES / "stripe" / "object_event.json").read_text())
    envelope.update(id=event_id, type=event_type, created=created, livemode=False, data={"object": obj})
    return envelope


def post_soap(base_url, uuid, notifications):
    body = outbound_message(ORG_ID, notifications)
    return requests.post(
        f"{base_url}/integration/webhook/{uuid}",
        data=body,
        headers={"Content-Type": "text/xml; charset=utf-8"},
        timeout=30,
    )


def backends(admin, org, tool, stripe, support):
    sf = admin.call(
        "integration.backend",
        "create",
        {
            "name": "Chain Salesforce",
            "kind": "salesforce",
            "state": "active",
            "salesforce_instance_url": org.url,
            "salesforce_org_id": ORG_ID,
            "salesforce_auth_flow": "client_credentials",
            "salesforce_consumer_key": "key",
            "salesforce_consumer_secret": "secret",
            "salesforce_cpq": True,
        },
    )
    clm = admin.call(
        "integration.backend",
        "create",
        {
            "name": "Chain DocuSign",
            "kind": "docusign",
            "state": "active",
            "webhook_secret": CONNECT_KEY,
            "clm_contract_rule": "always",
            "clm_api_base": tool.url,
            "docusign_account_id": ACCOUNT_ID,
            "docusign_access_token": "stand-in-token",
            "docusign_token_expires_at": "2099-01-01 00:00:00",
        },
    )
    journal = admin.call(
        "account.journal", "create", {"name": "Stripe chain", "type": "bank", "code": "STCH"}
    )
    pay = admin.call(
        "integration.backend",
        "create",
        {
            "name": "Chain Stripe",
            "kind": "stripe",
            "state": "active",
            "webhook_secret": STRIPE_SECRET,
            "stripe_secret_key": "sk_test_chain",
            "stripe_api_base": stripe.url,
            "stripe_journal_ids": [(6, 0, [journal])],
        },
    )
    help_desk = admin.call(
        "integration.backend",
        "create",
        {
            "name": "Chain support platform",
            "kind": "generic_hmac",
            "state": "active",
            "webhook_secret": SUPPORT_SECRET,
            "outbound_url": support.push_url,
            "push_entitlements": True,
        },
    )
    read = admin.call("integration.backend", "read", [sf, clm, pay], ["webhook_uuid"])
    uuids = dict(
        zip(("sf_uuid", "clm_uuid", "stripe_uuid"), [row["webhook_uuid"] for row in read], strict=True)
    )
    return {"sf": sf, "clm": clm, "stripe": pay, "support": help_desk, "journal": journal, **uuids}


def events_of(admin, backend_id):
    """The webhook events of a backend (the Salesforce scheduled pull may add its own)."""
    return admin.call(
        "integration.event",
        "search_read",
        [("backend_id", "=", backend_id), ("source", "=", "webhook")],
        ["state", "deal_id", "event_type", "external_event_id", "error_message"],
    )


def test_one_deal_from_opportunity_to_paid_invoice(admin, base_url):
    org, tool, stripe = DemoSalesforceOrg(), DemoContractTool(ACCOUNT_ID), DemoStripeApi()
    support = DemoSupportPlatform(SUPPORT_SECRET)
    ids = {}
    try:
        deal = won_deal_with_cpq_quote(org, tag="Q2C1")
        service = {"type": "service", "invoice_policy": "order", "taxes_id": [(5, 0, 0)]}
        for code in deal["product_codes"]:
            admin.call("product.product", "create", {"name": code, "default_code": code, **service})
        ids = backends(admin, org, tool, stripe, support)
        opp = deal["opportunity"]

        # 1. Salesforce: the won opportunity, twice, then an older notification of it
        utc = datetime.datetime.now(datetime.UTC)
        approved, before = (utc - datetime.timedelta(minutes=m) for m in (1, 60))
        newer = ("04lQ2C1000001AAA", "Opportunity", {"Id": opp, "AccountId": deal["account"],
                 "SystemModstamp": approved.isoformat(timespec="milliseconds")})  # fmt: skip
        older = ("04lQ2C1000000AAA", "Opportunity", {"Id": opp, "AccountId": deal["account"],
                 "SystemModstamp": before.isoformat(timespec="milliseconds")})  # fmt: skip
        for notification in (newer, newer, older):
            answer = post_soap(base_url, ids["sf_uuid"], [notification])
            assert answer.status_code == 200 and "<Ack>true</Ack>" in answer.text, answer.text
        admin.wait_for("sale.order", [("salesforce_opportunity_id", "=", opp)])
        [order] = admin.call("sale.order", "search_read", [("salesforce_opportunity_id", "=", opp)], ["id"])
        wait_until(
            lambda: len(events_of(admin, ids["sf"])) == 2
            and all(e["state"] == "done" for e in events_of(admin, ids["sf"])),
            "the two Salesforce events",
        )
        [order] = admin.call(
            "sale.order",
            "read",
            [order["id"]],
            [
                "name",
                "state",
                "clm_awaiting_signature",
                "integration_deal_id",
                "amount_untaxed",
                "partner_id",
            ],
        )
        assert order["state"] in ("draft", "sent") and order["clm_awaiting_signature"] is True
        assert order["amount_untaxed"] == deal["net_amount"]
        deal_id = order["integration_deal_id"][0]
        [chain] = admin.call("integration.deal", "read", [deal_id], ["name", "origin_key"])
        correlation = chain["name"]
        sf_events = events_of(admin, ids["sf"])
        assert {e["deal_id"][0] for e in sf_events} == {deal_id}, sf_events

        # 2. sent for signature from Odoo (the term as the quote's subscription): the envelope
        # carries the order and the deal
        admin.call("res.partner", "write", [order["partner_id"][0]], {"email": SIGNER})
        admin.call(
            "sale.order",
            "write",
            [order["id"]],
            {"clm_term_start": "2027-01-01", "clm_term_end": "2027-12-31"},
        )
        admin.call("sale.order", "action_clm_send_for_signature", [order["id"]])
        admin.wait_for("integration.contract", [("order_id", "=", order["id"]), ("state", "=", "sent")])
        [contract] = admin.call(
            "integration.contract",
            "search_read",
            [("order_id", "=", order["id"])],
            ["external_id", "integration_deal_id"],
        )
        envelope_id = contract["external_id"]
        sent_fields = tool.envelopes[envelope_id]["custom_fields"]
        assert sent_fields["odoo_order"] == order["name"]
        assert sent_fields["odoo_deal"] == correlation
        assert contract["integration_deal_id"][0] == deal_id

        # 3. Connect: completed, the same again, then the older "sent" status
        local = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(hours=7)
        sent_at = (local - datetime.timedelta(seconds=30)).isoformat(timespec="milliseconds")
        done_at = local.isoformat(timespec="milliseconds")
        completed = connect_xml(envelope_id, "Completed", sent_fields, sent_at, done_at)
        sent = connect_xml(envelope_id, "Sent", sent_fields, sent_at, done_at)
        for body in (completed, completed, sent):
            assert post_connect(base_url, ids["clm_uuid"], body).status_code == 200
        admin.wait_for("sale.order", [("id", "=", order["id"]), ("state", "=", "sale")])
        confirmed = wait_until(
            lambda: [r for call in org.patches for r in call if r["Id"] == opp], "the confirmed status"
        )
        assert (confirmed[0]["Odoo_Status__c"], confirmed[0]["Odoo_Deal_Id__c"]) == ("confirmed", correlation)
        wait_until(
            lambda: len(events_of(admin, ids["clm"])) == 2
            and all(e["state"] == "done" for e in events_of(admin, ids["clm"])),
            "the two Connect events",
        )
        assert {e["deal_id"][0] for e in events_of(admin, ids["clm"])} == {deal_id}
        [contract] = admin.call("integration.contract", "read", [contract["id"]], ["state", "signed_pdf_id"])
        assert contract["state"] == "signed", contract  # the older "sent" did not undo the signature
        wait_until(
            lambda: admin.call("integration.contract", "read", [contract["id"]], ["signed_pdf_id"])[0][
                "signed_pdf_id"
            ],
            "the signed PDF",
        )

        # 4. invoiced by its terms (the order's invoicing policy) and posted, Salesforce down
        org.outage = True
        wizard = admin.call(
            "sale.advance.payment.inv",
            "create",
            {"advance_payment_method": "delivered"},
            context={"active_model": "sale.order", "active_ids": [order["id"]], "active_id": order["id"]},
        )
        admin.call(
            "sale.advance.payment.inv",
            "create_invoices",
            [wizard],
            context={"active_model": "sale.order", "active_ids": [order["id"]], "active_id": order["id"]},
        )
        [invoice] = admin.call(
            "account.move",
            "search_read",
            [("invoice_origin", "=", order["name"]), ("move_type", "=", "out_invoice")],
            ["id"],
        )
        admin.call("account.move", "action_post", [invoice["id"]])
        [invoice] = admin.call(
            "account.move", "read", [invoice["id"]], ["name", "amount_total", "integration_deal_id"]
        )
        assert invoice["integration_deal_id"][0] == deal_id
        assert invoice["amount_total"] == deal["net_amount"]
        wait_until(lambda: org.refused, "the write-back to meet the outage")
        waiting = admin.call(
            "integration.outbound",
            "search_read",
            [("backend_id", "=", ids["sf"]), ("state", "=", "retry")],
            ["response_status", "deal_id"],
        )
        assert waiting and waiting[0]["response_status"] == 503, waiting
        [card] = admin.call("integration.backend", "read", [ids["sf"]], ["outbound_backlog"])
        assert card["outbound_backlog"] >= 1, "the dashboard shows the write-back waiting"

        # 5. Pay with Stripe: the link carries the invoice and the deal
        admin.call("account.move", "action_stripe_payment_link", [invoice["id"]])
        link = wait_until(lambda: stripe.link_for_invoice(invoice["name"]), "the payment link")
        assert link["metadata"]["odoo_deal"] == correlation
        assert link["intent_metadata"] == {"odoo_invoice": invoice["name"], "odoo_deal": correlation}
        assert stripe.amount_of(link) == round(deal["net_amount"] * 100)
        admin.wait_for(
            "account.move", [("id", "=", invoice["id"]), ("stripe_payment_link_url", "=", link["url"])]
        )

        # the customer pays: payment_intent.succeeded twice, then the older charge.succeeded
        now = int(time.time())
        intent = json.loads((FIXTURES / "stripe" / "object_payment_intent.json").read_text())
        intent.update(
            id="pi_q2c_chain_1",
            amount=stripe.amount_of(link),
            amount_received=stripe.amount_of(link),
            currency=stripe.currency_of(link),
            status="succeeded",
            latest_charge="ch_q2c_chain_1",
            metadata=link["intent_metadata"],
            created=now,
        )
        charge = json.loads((FIXTURES / "stripe" / "object_charge.json").read_text())
        charge.update(
            id="ch_q2c_chain_1",
            amount=intent["amount"],
            amount_captured=intent["amount"],
            captured=True,
            status="succeeded",
            currency=intent["currency"],
            payment_intent=intent["id"],
            balance_transaction=None,
            metadata=link["intent_metadata"],
            created=now - 5,
        )
        paid = stripe_event(intent, "payment_intent.succeeded", "evt_q2c_pi", now)
        charged = stripe_event(charge, "charge.succeeded", "evt_q2c_ch", now - 5)
        for payload in (paid, paid, charged):
            answer = post_stripe(base_url, ids["stripe_uuid"], payload)
            assert answer.status_code == 200, answer.text
        admin.wait_for(
            "account.move", [("id", "=", invoice["id"]), ("payment_state", "in", ["paid", "in_payment"])]
        )
        wait_until(
            lambda: len(events_of(admin, ids["stripe"])) == 2
            and all(e["state"] == "done" for e in events_of(admin, ids["stripe"])),
            "the two Stripe events",
        )
        assert {e["deal_id"][0] for e in events_of(admin, ids["stripe"])} == {deal_id}

        # 6. Salesforce answers again: the Opportunity's Odoo fields end final
        org.outage = False
        final = wait_until(
            lambda: org.records["Opportunity"][opp].get("Odoo_Status__c") == "paid"
            and org.records["Opportunity"][opp],
            "the final status in Salesforce",
            timeout=240,
        )
        assert final["Odoo_Order_Number__c"] == order["name"]
        assert final["Odoo_Invoice_Numbers__c"] == invoice["name"]
        assert final["Odoo_Amount_Paid__c"] == deal["net_amount"]
        assert final["Odoo_Deal_Id__c"] == correlation

        # one order, one invoice, one payment; nothing lost, nothing left waiting
        assert admin.call("sale.order", "search_count", [("salesforce_opportunity_id", "=", opp)]) == 1
        assert admin.call("account.move", "search_count", [("invoice_origin", "=", order["name"])]) == 1
        assert admin.call("account.payment", "search_count", [("journal_id", "=", ids["journal"])]) == 1
        assert len(tool.envelopes) == 1 and len(stripe.links) == 1
        wait_until(
            lambda: not admin.call(
                "integration.outbound",
                "search_count",
                [("deal_id", "=", deal_id), ("state", "!=", "done")],
            ),
            "every message of the deal sent",
        )

        # every step is on the deal's timeline, in time order, under one correlation id
        steps = admin.call(
            "integration.deal.step",
            "search_read",
            [("deal_id", "=", deal_id)],
            ["kind", "backend_id", "step_type", "state", "at", "correlation_id", "document_ref"],
            order="at, id",
        )
        events = admin.call("integration.event", "search_count", [("deal_id", "=", deal_id)])
        messages = admin.call("integration.outbound", "search_count", [("deal_id", "=", deal_id)])
        assert len(steps) == events + messages and events >= 6
        assert {s["state"] for s in steps} == {"done"}
        assert {s["correlation_id"] for s in steps} == {correlation}
        assert (steps[0]["kind"], steps[0]["backend_id"][0]) == (
            "event",
            ids["sf"],
        ), "the opportunity opens it"
        operations = {s["step_type"] for s in steps if s["kind"] == "outbound"}
        expected = {
            "opportunity.status",
            "clm.send_for_signature",
            "clm.fetch_signed_pdf",
            "payment_link.create",
            "entitlements.push",
        }
        assert expected <= operations, operations
        kinds = {(s["backend_id"][0], s["kind"]) for s in steps}
        for backend in (ids["sf"], ids["clm"], ids["stripe"]):
            assert (backend, "event") in kinds and (backend, "outbound") in kinds, (backend, kinds)

        # 7. the support platform holds what the customer is entitled to: one snapshot (the
        # duplicate and the older Connect deliveries pushed nothing more), signed, on the deal
        assert support.refused == 0
        [delivery] = support.deliveries
        assert delivery["applied"]
        assert delivery["headers"]["X-Signature"] == hmac_sha256(SUPPORT_SECRET, delivery["raw"])
        assert delivery["headers"]["X-Integration-Deal"] == correlation
        [partner] = admin.call(
            "res.partner", "read", [order["partner_id"][0]], ["commercial_partner_id", "name", "email"]
        )
        account = partner["commercial_partner_id"][0]
        snapshot = support.accounts[account]
        assert snapshot["type"] == "entitlements.snapshot" and snapshot["version"] > 0
        assert snapshot["account"]["odoo_id"] == account
        salesforce_ids = [e["id"] for e in snapshot["account"]["external_ids"] if e["system"] == "salesforce"]
        assert salesforce_ids and deal["account"].startswith(salesforce_ids[0]), snapshot["account"]
        [entitlement] = snapshot["entitlements"]
        [signed] = admin.call("integration.contract", "read", [contract["id"]], ["name", "version"])
        lines = admin.call(
            "sale.order.line",
            "search_read",
            [("order_id", "=", order["id"]), ("display_type", "=", False), ("product_uom_qty", ">", 0)],
            ["product_id", "product_uom_qty"],
        )
        codes = {
            row["id"]: row["default_code"]
            for row in admin.call(
                "product.product", "read", [line["product_id"][0] for line in lines], ["default_code"]
            )
        }
        ordered = {}
        for line in lines:
            code = codes[line["product_id"][0]]
            ordered[code] = ordered.get(code, 0) + line["product_uom_qty"]
        assert {p["sku"]: float(p["quantity"]) for p in entitlement["products"]} == ordered
        assert ordered and set(ordered) <= set(deal["product_codes"]), ordered
        assert (entitlement["contract"], entitlement["contract_version"]) == (
            signed["name"],
            signed["version"],
        )
        assert (entitlement["envelope_id"], entitlement["state"]) == (envelope_id, "active")
        assert (entitlement["start"], entitlement["end"], entitlement["term_months"]) == (
            "2027-01-01",
            "2027-12-31",
            12,
        )
        assert (entitlement["sale_order"], entitlement["deal"]) == (order["name"], correlation)
        assert "amount" not in delivery["raw"].decode(), "no commercial terms to the support platform"

        # the audit trail carries the deal too: processing attempts and the messages' outside calls
        audit = admin.call("integration.audit", "search_read", [("deal_id", "=", deal_id)], ["action"])
        assert {"processed", "outbound_call"} <= {line["action"] for line in audit}, audit

        # each step of the deal is measured to its end against its objective
        admin.call("integration.deal", "action_measure_cycles", [deal_id])
        cycles = admin.call(
            "integration.deal.cycle",
            "search_read",
            [("deal_id", "=", deal_id)],
            ["step", "ended_at", "minutes"],
        )
        steps_measured = {c["step"] for c in cycles}
        assert steps_measured == {"quote_to_order", "sent_to_signed", "signed_to_confirmed",
                                  "confirmed_to_invoiced", "invoiced_to_paid"}  # fmt: skip
        assert all(c["ended_at"] and c["minutes"] >= 0 for c in cycles), cycles
        assert admin.call("integration.deal", "read", [deal_id], ["cycles_complete"])[0]["cycles_complete"]

        # and the deal is found from any of its ids
        for reference in (
            opp,
            opp[:15],
            envelope_id,
            "pi_q2c_chain_1",
            order["name"],
            invoice["name"],
            correlation,
        ):
            found = admin.call("integration.deal", "search", [("external_ref", "=", reference)])
            assert found == [deal_id], reference
    finally:
        for key in ("sf", "clm", "stripe", "support"):
            if key in ids:  # the e2e database is shared: the contract rule must not hold others' orders
                admin.call("integration.backend", "write", [ids[key]], {"state": "paused"})
        org.stop()
        tool.stop()
        stripe.stop()
        support.stop()
