"""Salesforce benchmarks, in the same run on the same database:

  ingest  one Outbound Message of 100 notifications vs 100 messages of one notification
          (time until Salesforce has its Ack(s), one client)
  orders  N won opportunities with an approved CPQ quote (3 lines) in a local stand-in for
          the org: Outbound Message -> confirmed sale order (the handler reads the
          opportunity and the quote over REST, as it does in production), against creating
          the same orders directly through the ORM in an `odoo shell`

Overhead = message time / direct time - 1 (goal <= 20 %). Run with the repo's venv python:

  .local/venv/bin/python bench/salesforce_orders.py [--orders 100]"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "setup"))
import bench_results  # noqa: E402
from demo_salesforce_org import DemoSalesforceOrg, outbound_message  # noqa: E402

import dbtools  # noqa: E402
from odoo_client import OdooClient  # noqa: E402

DB = "integration_bench_salesforce"
ORG_ID = "00DQ0000000EB93MAQ"
CODES = ("BENCH-BUNDLE", "BENCH-LAPTOP", "BENCH-SEAT")


def put_deal(org, index, prefix):
    """A won opportunity with its approved primary quote: a bundle, a component, a subscription."""
    opportunity, quote, account = (
        f"006B{prefix}{index:08d}AAA",
        f"a0xB{prefix}{index:08d}AA",
        "001BENCH0000AcctAA",
    )
    lines = [
        {
            "Id": f"a0yB{prefix}{index:07d}1AA",
            "SBQQ__Number__c": 1,
            "SBQQ__Product__r": {"ProductCode": CODES[0]},
            "SBQQ__Quantity__c": 1,
            "SBQQ__NetPrice__c": 1000.0,
            "SBQQ__NetTotal__c": 1000.0,
            "SBQQ__Bundle__c": True,
        },
        {
            "Id": f"a0yB{prefix}{index:07d}2AA",
            "SBQQ__Number__c": 2,
            "SBQQ__Product__r": {"ProductCode": CODES[1]},
            "SBQQ__Quantity__c": 2,
            "SBQQ__NetPrice__c": 0.0,
            "SBQQ__NetTotal__c": 0.0,
            "SBQQ__RequiredBy__c": f"a0yB{prefix}{index:07d}1AA",
        },
        {
            "Id": f"a0yB{prefix}{index:07d}3AA",
            "SBQQ__Number__c": 3,
            "SBQQ__Product__r": {"ProductCode": CODES[2]},
            "SBQQ__Quantity__c": 10,
            "SBQQ__ListPrice__c": 1200.0,
            "SBQQ__Discount__c": 10,
            "SBQQ__NetPrice__c": 1080.0,
            "SBQQ__NetTotal__c": 10800.0,
        },
    ]
    org.put(
        "SBQQ__Quote__c",
        {
            "Id": quote,
            "Name": f"Q-{prefix}{index}",
            "SBQQ__Status__c": "Approved",
            "SBQQ__Primary__c": True,
            "SBQQ__Opportunity2__c": opportunity,
            "SBQQ__NetAmount__c": 11800.0,
            "SBQQ__LineItems__r": {"done": True, "records": lines},
        },
    )
    org.put(
        "Opportunity",
        {
            "Id": opportunity,
            "Name": f"{prefix}-{index}",
            "AccountId": account,
            "StageName": "Closed Won",
            "IsWon": True,
            "IsClosed": True,
            "Amount": 11800.0,
            "SBQQ__PrimaryQuote__c": quote,
            "SystemModstamp": "2026-11-30T10:00:00.000+0000",
        },
    )
    return opportunity


def prepare(admin, org):
    service = {"type": "service", "invoice_policy": "order", "taxes_id": [(5, 0, 0)]}
    for code in CODES:
        admin.call("product.product", "create", {"name": code, "default_code": code, **service})
    org.put(
        "Account",
        {"Id": "001BENCH0000AcctAA", "Name": "Bench Account", "SystemModstamp": "2026-11-01T08:00:00Z"},
    )
    backend_id = admin.call(
        "integration.backend",
        "create",
        {
            "name": "Bench Salesforce",
            "kind": "salesforce",
            "state": "active",
            "salesforce_instance_url": org.url,
            "salesforce_org_id": ORG_ID,
            "salesforce_auth_flow": "client_credentials",
            "salesforce_consumer_key": "k",
            "salesforce_consumer_secret": "s",
            "salesforce_cpq": True,
            "salesforce_api_share": 100,
        },
    )
    [backend] = admin.call("integration.backend", "read", [backend_id], ["webhook_uuid"])
    return f"/integration/webhook/{backend['webhook_uuid']}"


def bench_ingest(url, rounds=5):
    """Seconds until Salesforce has its Ack: one 100-notification message vs 100 messages."""
    session = requests.Session()
    headers = {"Content-Type": "text/xml"}
    one, many = [], []
    for r in range(rounds):
        notes = [(f"04lI{r:03d}{i:08d}", "Contact", {"Id": f"003I{r:03d}{i:08d}"}) for i in range(100)]
        started = time.perf_counter()
        answer = session.post(url, data=outbound_message(ORG_ID, notes), headers=headers, timeout=60)
        assert answer.status_code == 200 and "<Ack>true</Ack>" in answer.text, answer.text
        one.append(time.perf_counter() - started)
        started = time.perf_counter()
        for i in range(100):
            note = [(f"04lS{r:03d}{i:08d}", "Contact", {"Id": f"003S{r:03d}{i:08d}"})]
            answer = session.post(url, data=outbound_message(ORG_ID, note), headers=headers, timeout=60)
            assert answer.status_code == 200, answer.text
        many.append(time.perf_counter() - started)
    return statistics.median(one), statistics.median(many)


def wait_queue_empty(timeout=600):
    deadline = time.perf_counter() + timeout
    sql = "SELECT count(*) FROM integration_event WHERE state IN ('pending', 'processing', 'retry')"
    while int(dbtools.psql(sql, db=DB)) and time.perf_counter() < deadline:
        time.sleep(0.5)


def written_back(org, ids):
    """How many of the opportunities carry Odoo's confirmed status in the stand-in org."""
    return sum(org.records["Opportunity"][i].get("Odoo_Status__c") == "confirmed" for i in ids)


def run_messages(url, org, n, prefix, timeout=900):
    """Seconds until the N orders are confirmed, and until their status is back in the org.

    The overhead is taken on the first: the ORM side writes nothing back. The status
    write-back runs on the same cron worker, mostly once the inbound queue is empty."""
    ids = [put_deal(org, i, prefix) for i in range(n)]
    session = requests.Session()
    started = time.perf_counter()
    for i, opportunity in enumerate(ids):
        body = outbound_message(ORG_ID, [(f"04lO{prefix}{i:08d}", "Opportunity", {"Id": opportunity})])
        assert (
            session.post(url, data=body, headers={"Content-Type": "text/xml"}, timeout=30).status_code == 200
        )
    deadline = started + timeout
    # over one kept connection: a `psql` process every 50 ms took a quarter of a core from the
    # server being timed, on the message side only
    confirmed_sql = f"SELECT count(*) FROM sale_order WHERE state = 'sale' AND origin LIKE '{prefix}-%'"
    if not dbtools.wait_for_count(confirmed_sql, n, deadline - time.perf_counter(), db=DB):
        raise RuntimeError(f"only {dbtools.psql(confirmed_sql, db=DB)} of {n} orders confirmed")
    confirmed = time.perf_counter() - started
    while written_back(org, ids) < n:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"only {written_back(org, ids)} of {n} statuses written back")
        time.sleep(0.02)
    return confirmed, time.perf_counter() - started


DIRECT_SCRIPT = """
import time
from odoo import Command
products = {{p.default_code: p for p in env["product.product"].search([("default_code", "like", "BENCH-")])}}
partner = env["res.partner"].create({{"name": "Bench Account (direct)", "is_company": True}})
env.cr.commit()


def order(origin):
    lines = [
        Command.create({{"product_id": products["BENCH-BUNDLE"].id, "product_uom_qty": 1,
                        "price_unit": 1000.0}}),
        Command.create({{"product_id": products["BENCH-LAPTOP"].id, "product_uom_qty": 2,
                        "price_unit": 0.0}}),
        Command.create({{"product_id": products["BENCH-SEAT"].id, "product_uom_qty": 10,
                        "price_unit": 1200.0, "discount": 10}}),
    ]
    sale = env["sale.order"].create({{"partner_id": partner.id, "origin": origin, "order_line": lines}})
    sale.action_confirm()
    assert sale.currency_id.compare_amounts(sale.amount_untaxed, 11800.0) == 0
    env.cr.commit()


# This shell is a new process: warm its caches first, as the server's are by the warm-up round.
for index in range(5):
    order("{prefix}-warm-%s" % index)
started = time.perf_counter()
for index in range({n}):
    order("{prefix}-%s" % index)
print("DIRECT_SECONDS=%f" % (time.perf_counter() - started))
"""


def run_direct(n, prefix):
    shell = [
        sys.executable,
        f"{os.environ['ODOO_DIR']}/odoo-bin",
        "shell",
        "-c",
        os.environ["ODOO_RC"],
        "-d",
        DB,
        "--no-http",
        "--max-cron-threads=0",  # no cron thread of its own working beside the loop
        "--logfile",
        str(dbtools.LOCAL / "log" / "bench-sf-shell.log"),
    ]
    script = DIRECT_SCRIPT.format(n=n, prefix=prefix)
    # Its own session, as the server has (setsid): with the kernel's autogroup scheduling each
    # session gets its share of a busy machine, so both sides get one share each.
    output = subprocess.run(
        shell, input=script.encode(), check=True, capture_output=True, start_new_session=True
    ).stdout.decode()
    return float(output.split("DIRECT_SECONDS=")[1].split()[0])


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    dbtools.load_env()
    (dbtools.LOCAL / "log").mkdir(exist_ok=True)
    dbtools.fresh_db(DB)
    log = dbtools.LOCAL / "log" / "bench-salesforce-odoo.log"
    subprocess.run(
        [*dbtools.ODOO, "-d", DB, "-i", "integration_salesforce", "--stop-after-init", "--logfile", str(log)],
        check=True,
    )
    server = dbtools.OdooServer(
        DB, log, "--workers", "2", "--max-cron-threads", "1", odoo=["setsid", *dbtools.ODOO]
    )
    org = DemoSalesforceOrg()
    try:
        admin = OdooClient(server.url, DB).login("admin", "admin")
        url = server.url + prepare(admin, org)
        one_message, hundred_messages = bench_ingest(url)
        wait_queue_empty()  # the ingest bench's events must not weigh on the order rounds
        run_messages(url, org, 10, "W")  # warm-up
        run_direct(10, "V")
        chunk = max(1, args.orders // args.rounds)
        message_s = direct_s = writeback_s = 0.0
        for r in range(args.rounds):
            confirmed_s, back_s = run_messages(url, org, chunk, f"R{r}")
            message_s += confirmed_s
            writeback_s += back_s
            direct_s += run_direct(chunk, f"D{r}")
            print(
                f"[bench] round {r + 1}: messages {message_s:.1f} s (written back {writeback_s:.1f} s), "
                f"direct {direct_s:.1f} s",
                flush=True,
            )
        orders = chunk * args.rounds
    finally:
        org.stop()
        server.stop()
    result = {
        "ingest_one_message_of_100_s": one_message,
        "ingest_100_messages_of_1_s": hundred_messages,
        "orders": orders,
        "message_seconds": message_s,
        "message_seconds_with_writeback": writeback_s,
        "direct_seconds": direct_s,
        "message_orders_per_s": orders / message_s,
        "direct_orders_per_s": orders / direct_s,
        "overhead": message_s / direct_s - 1,
    }
    print(
        f"\nsalesforce ingest: 1 message of 100 notifications {one_message * 1000:.0f} ms, "
        f"100 messages of 1 {hundred_messages * 1000:.0f} ms (median of 5)"
    )
    print(
        f"salesforce orders ({orders}, 3 lines, CPQ quote read over REST): "
        f"{result['message_orders_per_s']:.1f} orders/s vs ORM {result['direct_orders_per_s']:.1f} orders/s, "
        f"overhead {result['overhead'] * 100:.1f} % (goal <= 20 %); statuses back in Salesforce after "
        f"{writeback_s:.1f} s ({writeback_s / message_s - 1:+.1%} over the confirmations)"
    )
    bench_results.save("salesforce", result)


if __name__ == "__main__":
    main()
