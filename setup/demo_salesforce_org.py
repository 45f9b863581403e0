"""A stand-in for a Salesforce org, on 127.0.0.1, for `make demo` and the e2e tier: OAuth
client credentials, SOQL by object and id, sObject Collections updates (recorded), /limits.
Every answer carries `Sforce-Limit-Info`, as Salesforce's do."""

import copy
import datetime
import http.server
import json
import re
import threading
from urllib.parse import parse_qs, urlsplit


class DemoSalesforceOrg:
    def __init__(self):
        self.records = {
            name: {} for name in ("Opportunity", "SBQQ__Quote__c", "Account", "Contact", "Contract")
        }
        self.patches = []  # the records of each Collections call
        self.calls = 0
        self.outage = False  # while True, writes answer 503 (Salesforce down for maintenance)
        self.refused = 0  # writes answered 503
        org = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: with Nagle on, a kept-alive connection
            # waits for the client's delayed ACK (~40 ms a call on loopback), which no real
            # org adds; the REST calls then cost what they cost.
            disable_nagle_algorithm = True

            def do_POST(self):
                self._body()
                if self.path == "/services/oauth2/token":
                    return self._answer(200, {"access_token": "demo-token", "instance_url": org.url})
                return self._answer(404, [{"errorCode": "NOT_FOUND", "message": self.path}])

            def do_GET(self):
                if "/query" in self.path:
                    return self._answer(200, org.query(self.path))
                if self.path.endswith("/limits"):
                    return self._answer(
                        200, {"DailyApiRequests": {"Max": 15000, "Remaining": 15000 - org.calls}}
                    )
                return self._answer(404, [{"errorCode": "NOT_FOUND", "message": self.path}])

            def do_PATCH(self):
                body = json.loads(self._body() or b"{}")
                if org.outage:
                    org.refused += 1
                    return self._answer(
                        503, [{"errorCode": "SERVER_UNAVAILABLE", "message": "down for maintenance"}],
                        retry_after="1",
                    )  # fmt: skip
                org.patches.append(body.get("records", []))
                for record in body.get("records", []):
                    stored = org.records["Opportunity"].get(record["Id"])
                    if stored is not None:
                        stored.update({k: v for k, v in record.items() if k not in ("attributes", "Id")})
                results = [{"id": r["Id"], "success": True, "errors": []} for r in body.get("records", [])]
                return self._answer(200, results)

            def _body(self):
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _answer(self, status, body, retry_after=None):
                org.calls += 1
                data = json.dumps(body).encode()
                self.send_response(status)
                if retry_after:
                    self.send_header("Retry-After", retry_after)
                self.send_header("Content-Type", "application/json")
                self.send_header("Sforce-Limit-Info", f"api-usage={org.calls}/15000")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def put(self, sobject, record):
        self.records[sobject][record["Id"]] = {"attributes": {"type": sobject}, **record}

    def query(self, path):
        soql = parse_qs(urlsplit(path).query)["q"][0]
        sobject = re.search(r"\bFROM (\w+)(?: WHERE| ORDER|$)", soql).group(1)
        found = list(self.records[sobject].values())
        wanted = re.search(r"WHERE Id = '(\w+)'", soql)
        if wanted:
            found = [r for r in found if r["Id"][:15] == wanted.group(1)[:15]]
        since = re.search(r"SystemModstamp > (\S+)", soql)  # the scheduled pull's window
        if since:
            found = [r for r in found if _time(r.get("SystemModstamp")) > _time(since.group(1))]
        return {"totalSize": len(found), "done": True, "records": copy.deepcopy(found)}

    def stop(self):
        self.server.shutdown()


def _time(text):
    if not text:
        return datetime.datetime.min.replace(tzinfo=datetime.UTC)
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def won_deal_with_cpq_quote(org, tag="DEMO"):
    """A won opportunity whose approved primary quote holds a bundle and a subscription.

    `tag` (four characters) makes the ids and product codes of another deal."""
    account, opportunity, quote = f"001{tag}0000AcctAAA", f"006{tag}0000OppyAAA", f"a0x{tag}0000QuotAA"
    code = "SF" if tag == "DEMO" else tag
    org.put(
        "Account",
        {
            "Id": account,
            "Name": "United Oil & Gas Corp.",
            "BillingCity": "San Francisco",
            "BillingCountry": "US",
            "SystemModstamp": "2026-11-01T08:00:00.000+0000",
        },
    )
    lines = [
        _line(f"a0y{tag}00000L1AAA", 1, f"{code}-BUNDLE", 1, 1000.00, SBQQ__Bundle__c=True),
        _line(f"a0y{tag}00000L2AAA", 2, f"{code}-LAPTOP", 2, 0.00, SBQQ__RequiredBy__c=f"a0y{tag}00000L1AAA"),
        _line(
            f"a0y{tag}00000L3AAA",
            3,
            f"{code}-LIC-SEAT",
            10,
            10800.00,
            SBQQ__ListPrice__c=1200.00,
            SBQQ__Discount__c=10,
            SBQQ__SubscriptionPricing__c="Fixed Price",
            SBQQ__SubscriptionTerm__c=12,
            SBQQ__StartDate__c="2027-01-01",
            SBQQ__EndDate__c="2027-12-31",
        ),
    ]
    org.put(
        "SBQQ__Quote__c",
        {
            "Id": quote,
            "Name": "Q-00042",
            "SBQQ__Primary__c": True,
            "SBQQ__Status__c": "Approved",
            "SBQQ__Type__c": "Quote",
            "SBQQ__Opportunity2__c": opportunity,
            "SBQQ__NetAmount__c": 11800.00,
            "SystemModstamp": "2026-11-30T10:00:00.000+0000",
            "SBQQ__LineItems__r": {"totalSize": len(lines), "done": True, "records": lines},
        },
    )
    org.put(
        "Opportunity",
        {
            "Id": opportunity,
            "Name": "United Oil - platform",
            "AccountId": account,
            "StageName": "Closed Won",
            "IsWon": True,
            "IsClosed": True,
            "Amount": 11800.00,
            "SBQQ__PrimaryQuote__c": quote,
            "SystemModstamp": "2026-11-30T10:00:00.000+0000",
            "LastModifiedById": "005DEMO0000HumanAA",
        },
    )
    return {
        "account": account,
        "opportunity": opportunity,
        "quote": quote,
        "net_amount": 11800.00,
        "product_codes": [f"{code}-BUNDLE", f"{code}-LAPTOP", f"{code}-LIC-SEAT"],
    }


def _line(line_id, number, code, qty, net_total, **extra):
    return {
        "Id": line_id,
        "SBQQ__Number__c": number,
        "SBQQ__Product__r": {"ProductCode": code, "Name": code},
        "SBQQ__Quantity__c": qty,
        "SBQQ__NetPrice__c": round(net_total / qty, 2),
        "SBQQ__NetTotal__c": net_total,
        **extra,
    }


def outbound_message(org_id, notifications):
    """A SOAP Outbound Message as Salesforce sends it: (notification id, type, {field: value})."""
    items = "".join(
        f'<Notification><Id>{nid}</Id><sObject xsi:type="sf:{kind}" '
        'xmlns:sf="urn:sobject.enterprise.soap.sforce.com">'
        + "".join(f"<sf:{k}>{v}</sf:{k}>" for k, v in values.items())
        + "</sObject></Notification>"
        for nid, kind, values in notifications
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
        '<notifications xmlns="http://soap.sforce.com/2005/09/outbound">'
        f"<OrganizationId>{org_id}</OrganizationId><ActionId>04kDEMO0000ActnAAA</ActionId>"
        '<SessionId xsi:nil="true"/><EnterpriseUrl>https://example.invalid/c</EnterpriseUrl>'
        "<PartnerUrl>https://example.invalid/u</PartnerUrl>"
        f"{items}</notifications></soapenv:Body></soapenv:Envelope>"
    ).encode()
