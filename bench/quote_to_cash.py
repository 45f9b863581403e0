"""Quote-to-cash benchmark (issue 13): N deals through the whole chain on the local
stand-ins, against the same deals' Odoo work done directly through the ORM, in the same run
on the same database.

  chain   won opportunity with an approved CPQ quote (Outbound Message) -> quotation awaiting
          signature -> sent for signature (a person's click; the envelope through the
          outbound queue to the DocuSign stand-in) -> signed (Connect XML) -> order confirmed
          -> invoiced and posted -> Pay with Stripe (the Payment Link through the outbound
          queue) -> `payment_intent.succeeded` -> invoice paid -> the Opportunity's Odoo
          fields final ("paid") in the Salesforce stand-in. Each step's webhook (or click)
          goes when the previous step's outcome is visible; up to --in-flight deals are in
          flight at once (a new one starts when one ends), on a prefork server with one
          cron worker, as in production.
  direct  the same deals' Odoo work in one `odoo shell` (warm, in its own session, no cron
          thread): the quotation with the same lines, the signed contract the CLM addon
          records, confirmed through the gate, invoiced, posted, paid in the Stripe journal
          and reconciled; one commit per step, like the chain.

Deals per minute of both, the median and worst time from a deal's first webhook to the
Salesforce stand-in receiving its final write-back, and the chain's overhead = chain time /
direct time - 1 (goal <= 25 %). The direct time includes rendering the quotation PDF that the
envelope carries (no contract goes out for signature without it); the overhead without it is
printed too. Run with the repo's venv python:

  .local/venv/bin/python bench/quote_to_cash.py [--deals 200] [--in-flight 20]"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg2
import requests

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "setup"))
sys.path.insert(0, str(BENCH))
import bench_results  # noqa: E402
from demo_chain import FIXTURES, ORG_ID, SIGNER, QuoteToCash  # noqa: E402
from demo_salesforce_org import outbound_message  # noqa: E402
from salesforce_orders import CODES, put_deal  # noqa: E402

import dbtools  # noqa: E402
from odoo_client import OdooClient  # noqa: E402
from toolkit import hmac_sha256, signed_message  # noqa: E402

DB = "integration_bench_q2c"
ADDONS = "integration_salesforce,integration_clm,integration_stripe"


class TimedPatches(list):
    """The Salesforce stand-in's record of Collections calls, with when each record came."""

    def __init__(self):
        super().__init__()
        self.paid_at = {}  # opportunity id -> first time its "paid" status arrived
        self.lock = threading.Lock()

    def append(self, records):
        now = time.perf_counter()
        with self.lock:
            for record in records:
                if record.get("Odoo_Status__c") == "paid":
                    self.paid_at.setdefault(record["Id"], now)
        super().append(records)


class Deal:
    def __init__(self, opportunity, prefix, index):
        self.opportunity, self.prefix, self.index = opportunity, prefix, index
        self.stage = "new"
        self.times = {}
        self.order_id = self.order_name = self.invoice_id = self.invoice_name = None

    def mark(self, what):
        self.times[what] = time.perf_counter()


class Driver:
    """Drives deals through the chain: each step goes when the previous outcome is visible
    (read in one query per step for all deals in flight)."""

    def __init__(self, admin, chain, db, clickers):
        self.admin, self.chain = admin, chain
        self.db = psycopg2.connect(dbname=db)
        self.db.autocommit = True
        self.session = requests.Session()
        self.partner_ready = set()
        self.calls = {}  # what the driver asked (webhook or click) -> [seconds until answered]
        # The people who click (Send for signature, invoice, Pay with Stripe), each in a
        # session of their own, side by side: the loop does not wait for their clicks.
        self.people = ThreadPoolExecutor(clickers)
        self.person = threading.local()

    def stop(self):
        self.people.shutdown()

    def delegate(self, deal, work, then):
        deal.stage, deal.then = "clicking", then
        deal.pending = self.people.submit(work, deal)

    def timed(self, what, call, *args, **kwargs):
        started = time.perf_counter()
        result = call(*args, **kwargs)
        self.calls.setdefault(what, []).append(time.perf_counter() - started)
        return result

    def click(self, what, model, method, *args, **kwargs):
        if not hasattr(self.person, "client"):
            self.person.client = OdooClient(self.admin.base_url, self.admin.db).login("admin", "admin")
        return self.timed(what, self.person.client.call, model, method, *args, **kwargs)

    def rows(self, sql, params):
        with self.db.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall()

    def start(self, deal):
        stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")
        values = {"Id": deal.opportunity, "AccountId": "001BENCH0000AcctAA", "SystemModstamp": stamp}
        body = outbound_message(ORG_ID, [(f"04lQ{deal.prefix}{deal.index:08d}", "Opportunity", values)])
        deal.mark("webhook")
        answer = self.timed(
            "webhook: Outbound Message",
            self.session.post,
            self.chain.urls["sf"],
            data=body,
            headers={"Content-Type": "text/xml"},
            timeout=60,
        )
        assert answer.status_code == 200 and "<Ack>true</Ack>" in answer.text, answer.text
        deal.stage = "ingested"

    def advance(self, deals):
        """One pass over the deals in flight; returns the deals that ended."""
        for deal in deals:
            if deal.stage == "clicking" and deal.pending.done():
                deal.pending.result()  # a click that failed stops the bench
                deal.stage = deal.then
        by_stage = {}
        for deal in deals:
            by_stage.setdefault(deal.stage, []).append(deal)
        waiting = {d.opportunity: d for d in by_stage.get("ingested", [])}
        if waiting:
            found = self.rows(
                "SELECT salesforce_opportunity_id, id, name, partner_id FROM sale_order"
                " WHERE salesforce_opportunity_id = ANY(%s) AND integration_deal_id IS NOT NULL",
                [list(waiting)],
            )
            for opportunity, order_id, name, partner_id in found:
                deal = waiting[opportunity]
                deal.order_id, deal.order_name = order_id, name
                deal.mark("quotation")
                if partner_id not in self.partner_ready:  # the signer, once per customer
                    self.admin.call("res.partner", "write", [partner_id], {"email": SIGNER})
                    self.partner_ready.add(partner_id)
                self.delegate(deal, self.send_for_signature, then="sending")
        sending = {d.order_id: d for d in by_stage.get("sending", [])}
        if sending:
            found = self.rows(
                "SELECT order_id, external_id FROM integration_contract"
                " WHERE order_id = ANY(%s) AND state = 'sent'",
                [list(sending)],
            )
            for order_id, envelope in found:
                deal = sending[order_id]
                deal.mark("envelope")
                self.timed("webhook: Connect (signed)", self.chain.sign, envelope)
                deal.mark("signed")
                deal.stage = "signing"
        signing = {d.order_id: d for d in by_stage.get("signing", [])}
        if signing:
            found = self.rows(
                "SELECT id FROM sale_order WHERE id = ANY(%s) AND state = 'sale'", [list(signing)]
            )
            for (order_id,) in found:
                deal = signing[order_id]
                deal.mark("confirmed")
                self.delegate(deal, self.invoice, then="linking")
        linking = {d.invoice_id: d for d in by_stage.get("linking", [])}
        if linking:
            found = self.rows(
                "SELECT id, name FROM account_move"
                " WHERE id = ANY(%s) AND stripe_payment_link_url IS NOT NULL",
                [list(linking)],
            )
            for invoice_id, name in found:
                deal = linking[invoice_id]
                deal.invoice_name = name
                deal.mark("link")
                self.pay(deal)
                deal.stage = "paying"
        ended = []
        paid_at = self.chain.org.patches.paid_at
        for deal in by_stage.get("paying", []):
            if deal.opportunity in paid_at:
                deal.times["paid_written_back"] = paid_at[deal.opportunity]
                deal.stage = "done"
                ended.append(deal)
        return ended

    def send_for_signature(self, deal):
        self.click(
            "click: Send for signature", "sale.order", "action_clm_send_for_signature", [deal.order_id]
        )
        deal.mark("sent_for_signature")

    def invoice(self, deal):
        """What a person does from the confirmed order: invoice it, post it, Pay with Stripe."""
        context = {"active_model": "sale.order", "active_ids": [deal.order_id], "active_id": deal.order_id}
        wizard = self.click(
            "click: Create invoice (wizard)",
            "sale.advance.payment.inv",
            "create",
            {"advance_payment_method": "delivered"},
            context=context,
        )
        action = self.click(
            "click: Create invoice", "sale.advance.payment.inv", "create_invoices", [wizard], context=context
        )
        deal.invoice_id = action["res_id"]
        self.click("click: Confirm (post) invoice", "account.move", "action_post", [deal.invoice_id])
        deal.mark("posted")
        self.click("click: Pay with Stripe", "account.move", "action_stripe_payment_link", [deal.invoice_id])
        deal.mark("link_asked")

    def pay(self, deal):
        """The customer pays the link: `payment_intent.succeeded`, as Stripe sends it."""
        stripe = self.chain.stripe
        link = stripe.link_for_invoice(deal.invoice_name)
        intent_id = f"pi_bench_{deal.opportunity}"
        intent = json.loads((FIXTURES / "stripe" / "object_payment_intent.json").read_text())
        amount = stripe.amount_of(link)
        now = int(time.time())
        intent.update(id=intent_id, amount=amount, amount_received=amount, status="succeeded",
                      currency=stripe.currency_of(link), latest_charge=f"ch_bench_{deal.opportunity}",
                      metadata=link["intent_metadata"], created=now)  # fmt: skip
        event = json.loads((FIXTURES / "stripe" / "object_event.json").read_text())
        event.update(id=f"evt_bench_{deal.opportunity}", type="payment_intent.succeeded", created=now,
                     livemode=False, data={"object": intent})  # fmt: skip
        body = json.dumps(event).encode()
        signature = f"t={now},v1={hmac_sha256(self.chain.stripe_secret, signed_message(body, now))}"
        headers = {"Content-Type": "application/json", "Stripe-Signature": signature}
        answer = self.timed(
            "webhook: payment_intent.succeeded",
            self.session.post,
            self.chain.urls["stripe"],
            data=body,
            headers=headers,
            timeout=60,
        )
        answer.raise_for_status()
        deal.mark("paid_webhook")


def run_chain(driver, org, n, prefix, in_flight, timeout=1800):
    """N deals through the chain, up to `in_flight` at once; (seconds, [Deal])."""
    deals = [Deal(put_deal(org, index, prefix), prefix, index) for index in range(n)]
    todo, flying, done = list(deals), [], []
    started = time.perf_counter()
    deadline = started + timeout
    while todo or flying:
        while todo and len(flying) < in_flight:
            deal = todo.pop(0)
            driver.start(deal)
            flying.append(deal)
        ended = driver.advance(flying)
        if ended:
            done += ended
            flying = [d for d in flying if d.stage != "done"]
        elif time.perf_counter() > deadline:
            stuck = {d.opportunity: d.stage for d in flying}
            raise RuntimeError(f"{len(done)} of {n} deals paid; stuck: {stuck}")
        else:
            time.sleep(0.05)
    elapsed = max(d.times["paid_written_back"] for d in deals) - started
    return elapsed, deals


DIRECT_SCRIPT = """
import collections, json, time
from odoo import Command, fields
products = {{p.default_code: p for p in env["product.product"].search([("default_code", "like", "BENCH-")])}}
backend = env["integration.backend"]._clm_backend_for(env.company)
journal = env["account.journal"].search([("code", "=", "SQ2C")], limit=1)
partner = env["res.partner"].create({{"name": "Bench Account (direct)", "is_company": True,
                                     "email": {signer!r}}})
env.cr.commit()
steps = collections.Counter()
clock = [0.0]


def lap(step):
    now = time.perf_counter()
    steps[step] += now - clock[0]
    clock[0] = now


def deal(origin):
    clock[0] = time.perf_counter()
    lines = [
        Command.create({{"product_id": products["BENCH-BUNDLE"].id, "product_uom_qty": 1,
                        "price_unit": 1000.0}}),
        Command.create({{"product_id": products["BENCH-LAPTOP"].id, "product_uom_qty": 2,
                        "price_unit": 0.0}}),
        Command.create({{"product_id": products["BENCH-SEAT"].id, "product_uom_qty": 10,
                        "price_unit": 1200.0, "discount": 10}}),
    ]
    sale = env["sale.order"].create({{"partner_id": partner.id, "origin": origin, "order_line": lines}})
    assert sale.clm_awaiting_signature
    env.cr.commit()
    lap("quotation")
    # the contract as the CLM addon records it, sent, then signed: the gate lets it through
    now = fields.Datetime.now()
    contract = env["integration.contract"].create({{
        "name": "%s agreement" % sale.name, "backend_id": backend.id, "order_id": sale.id,
        "partner_id": partner.id, "signer_email": partner.email, "signer_name": partner.name,
        "external_id": "direct-%s" % origin, "state": "sent", "sent_at": now,
        **sale._clm_contract_terms(),
    }})
    sale.state = "sent"
    env.cr.commit()
    lap("contract sent")
    contract.write({{"state": "signed", "status_at": now, "signed_date": now,
                    "signer_email": partner.email}})
    assert contract._clm_execute() and sale.state == "sale"
    env.cr.commit()
    lap("signed, confirmed")
    invoice = sale._create_invoices()
    invoice.action_post()
    env.cr.commit()
    lap("invoiced, posted")
    register = env["account.payment.register"].with_context(
        active_model="account.move", active_ids=invoice.ids).create({{"journal_id": journal.id}})
    register._create_payments()
    assert invoice.payment_state in ("paid", "in_payment"), invoice.payment_state
    assert invoice.currency_id.compare_amounts(invoice.amount_total, 11800.0) == 0
    env.cr.commit()
    lap("paid, reconciled")


# This shell is a new process: warm its caches first, as the server's are by the warm-up round.
for index in range(5):
    deal("{prefix}-warm-%s" % index)
steps.clear()
{profile_start}
started = time.perf_counter()
for index in range({n}):
    deal("{prefix}-%s" % index)
print("DIRECT_SECONDS=%f" % (time.perf_counter() - started))
{profile_end}
print("DIRECT_STEPS=" + json.dumps(steps))
# The quotation PDF the envelope carries (Odoo's work: the chain renders it to send the
# contract), timed apart: wkhtmltopdf would dominate the profile of the steps above.
report = env["ir.actions.report"].sudo()
renders = []
for sale in env["sale.order"].search([("origin", "like", "{prefix}-%")], limit=5):
    lap_start = time.perf_counter()
    report._render_qweb_pdf("sale.action_report_saleorder", sale.ids)
    renders.append(time.perf_counter() - lap_start)
print("DIRECT_PDF_SECONDS=%f" % sorted(renders)[len(renders) // 2])
"""

PROFILE_START = "import cProfile\nprofiler = cProfile.Profile()\nprofiler.enable()"
PROFILE_END = "profiler.disable()\nprofiler.dump_stats({path!r})"


# --shell-worker: the server runs no cron worker; an `odoo shell` does its work instead (the
# processing and sending crons' bodies in a loop), timing each row by what it is, and with
# --profile-queues under cProfile too (Odoo's cron worker is a forked process that cannot be
# profiled from outside). Its latencies are a poll's, not a wake-up's: for the profile only.
QUEUE_SCRIPT = """
import collections, cProfile, json, os, time
from odoo.addons.integration_core.models.integration_queue_mixin import IntegrationQueueMixin

rows = collections.defaultdict(list)
process = IntegrationQueueMixin._process


def timed(row, settings):
    started = time.perf_counter()
    try:
        return process(row, settings)
    finally:
        step = row.event_type if row._name == "integration.event" else row.operation
        rows["%s %s" % (row.backend_id.kind, step)].append(time.perf_counter() - started)


IntegrationQueueMixin._process = timed
profiler = cProfile.Profile() if {profile!r} else None
events, outbound = env["integration.event"], env["integration.outbound"]
busy = 0.0
while not os.path.exists({stop!r}):
    started = time.perf_counter()
    before = sum(len(times) for times in rows.values())
    if profiler:
        profiler.enable()
    events._cron_process_events()
    outbound._cron_send_outbound()
    if profiler:
        profiler.disable()
    if sum(len(times) for times in rows.values()) > before:  # idle polls are not the chain's
        busy += time.perf_counter() - started
    time.sleep(0.05)
if profiler:
    profiler.dump_stats({profile!r})
with open({stats!r}, "w") as out:
    json.dump({{"busy_seconds": busy, "rows": rows}}, out)
"""


def shell_command(logname):
    return [sys.executable, f"{os.environ['ODOO_DIR']}/odoo-bin", "shell", "-c", os.environ["ODOO_RC"],
            "-d", DB, "--no-http", "--max-cron-threads=0",  # no cron thread working beside the loop
            "--logfile", str(dbtools.LOCAL / "log" / logname)]  # fmt: skip


def start_queue_worker(profile):
    stop, stats = (
        dbtools.LOCAL / "log" / "bench-q2c-worker.stop",
        dbtools.LOCAL / "log" / "bench-q2c-worker.json",
    )
    stop.unlink(missing_ok=True)
    worker = subprocess.Popen(
        shell_command("bench-q2c-worker.log"), stdin=subprocess.PIPE, start_new_session=True
    )
    worker.stdin.write(QUEUE_SCRIPT.format(stop=str(stop), stats=str(stats), profile=profile).encode())
    worker.stdin.close()
    return worker, stop, stats


def run_direct(n, prefix, profile=None):
    shell = shell_command("bench-q2c-shell.log")
    script = DIRECT_SCRIPT.format(
        n=n,
        prefix=prefix,
        signer=SIGNER,
        profile_start=PROFILE_START if profile else "",
        profile_end=PROFILE_END.format(path=str(profile)) if profile else "",
    )
    # Its own session, as the server has (setsid): with the kernel's autogroup scheduling each
    # session gets its share of a busy machine, so both sides get one share each.
    output = subprocess.run(
        shell, input=script.encode(), check=True, capture_output=True, start_new_session=True
    ).stdout.decode()
    steps = json.loads(output.split("DIRECT_STEPS=")[1].splitlines()[0])
    steps["quotation PDF for the envelope"] = float(output.split("DIRECT_PDF_SECONDS=")[1].split()[0]) * n
    return float(output.split("DIRECT_SECONDS=")[1].split()[0]), steps


def prepare(admin, base_url):
    service = {"type": "service", "invoice_policy": "order", "taxes_id": [(5, 0, 0)]}
    for code in CODES:
        admin.call("product.product", "create", {"name": code, "default_code": code, **service})
    chain = QuoteToCash(admin, base_url)
    chain.org.patches = TimedPatches()
    chain.org.put(
        "Account",
        {"Id": "001BENCH0000AcctAA", "Name": "Bench Account", "SystemModstamp": "2026-11-01T08:00:00Z"},
    )
    admin.call("integration.backend", "write", [chain.sf], {"salesforce_api_share": 100})
    return chain


STEPS = (  # (name, from mark, to mark) of a deal's timeline, as the driver saw it
    ("Outbound Message -> quotation visible", "webhook", "quotation"),
    ("Send for signature (click)", "quotation", "sent_for_signature"),
    ("envelope sent -> contract visible", "sent_for_signature", "envelope"),
    ("Connect (signed) -> order confirmed", "signed", "confirmed"),
    ("invoice + post (clicks)", "confirmed", "posted"),
    ("Pay with Stripe (click)", "posted", "link_asked"),
    ("Payment Link sent -> visible", "link_asked", "link"),
    ("payment_intent.succeeded -> 'paid' in Salesforce", "paid_webhook", "paid_written_back"),
)


def step_medians(deals):
    return {
        name: statistics.median(d.times[end] - d.times[start] for d in deals) * 1000
        for name, start, end in STEPS
    }


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deals", type=int, default=200)
    parser.add_argument("--in-flight", type=int, default=20, help="deals in flight at once")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clickers", type=int, default=2, help="people clicking side by side")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--profile-direct", help="write a cProfile of the last ORM round here")
    parser.add_argument(
        "--shell-worker", action="store_true", help="an odoo shell does the cron's work, timing each row"
    )
    parser.add_argument("--profile-queues", help="with --shell-worker: write a cProfile of its work here")
    args = parser.parse_args()
    dbtools.load_env()
    (dbtools.LOCAL / "log").mkdir(exist_ok=True)
    print(f"[bench] database {DB}: {ADDONS}", flush=True)
    dbtools.fresh_db(DB)
    log = dbtools.LOCAL / "log" / "bench-q2c-odoo.log"
    subprocess.run(
        [*dbtools.ODOO, "-d", DB, "-i", ADDONS, "--stop-after-init", "--logfile", str(log)], check=True
    )
    args.shell_worker = args.shell_worker or bool(args.profile_queues)
    crons = "0" if args.shell_worker else "1"
    server = dbtools.OdooServer(
        DB, log, "--workers", "2", "--max-cron-threads", crons, odoo=["setsid", *dbtools.ODOO]
    )
    chain = worker = None
    if args.shell_worker:
        worker, stop, stats = start_queue_worker(args.profile_queues)
    try:
        admin = OdooClient(server.url, DB).login("admin", "admin")
        chain = prepare(admin, server.url)
        driver = Driver(admin, chain, DB, args.clickers)
        run_chain(driver, chain.org, args.warmup, "W", args.in_flight)
        run_direct(args.warmup, "V")
        chunk = max(1, args.deals // args.rounds)
        chain_s = direct_s = 0.0
        deals, direct_steps = [], {}
        for r in range(args.rounds):
            elapsed, batch = run_chain(driver, chain.org, chunk, f"R{r}", args.in_flight)
            chain_s, deals = chain_s + elapsed, deals + batch
            profile = args.profile_direct if r == args.rounds - 1 else None
            seconds, steps = run_direct(chunk, f"D{r}", profile=profile)
            direct_s += seconds
            for step, spent in steps.items():
                direct_steps[step] = direct_steps.get(step, 0.0) + spent
            print(f"[bench] round {r + 1}: chain {chain_s:.1f} s, direct {direct_s:.1f} s", flush=True)
        n = chunk * args.rounds
        driver.stop()
        calls = {what: statistics.median(times) * 1000 for what, times in driver.calls.items()}
    finally:
        cron_rows = None
        if worker:
            stop.touch()
            worker.wait(timeout=120)
            cron_rows = json.loads(stats.read_text())
        if chain:
            chain.stop()
        server.stop()
    latencies = sorted(d.times["paid_written_back"] - d.times["webhook"] for d in deals)
    pdf_s = direct_steps["quotation PDF for the envelope"]
    result = {
        "deals": n,
        "in_flight": args.in_flight,
        "chain_seconds": chain_s,
        "direct_seconds": direct_s + pdf_s,
        "chain_deals_per_minute": n / chain_s * 60,
        "direct_deals_per_minute": n / (direct_s + pdf_s) * 60,
        # The same Odoo work includes the quotation PDF the envelope carries: no contract goes
        # out for signature without its document.
        "overhead": chain_s / (direct_s + pdf_s) - 1,
        "overhead_without_pdf": chain_s / direct_s - 1,
        "pdf_ms_per_deal": pdf_s / n * 1000,
        "latency_median_s": statistics.median(latencies),
        "latency_worst_s": latencies[-1],
        "step_median_ms": step_medians(deals),
        "call_median_ms": calls,
        "direct_step_ms_per_deal": {step: spent / n * 1000 for step, spent in direct_steps.items()},
    }
    if cron_rows:
        # every deal of the run, warm-up included, went through the shell worker
        started = len(cron_rows["rows"].get("salesforce Opportunity", [])) or 1
        result["cron_ms_per_deal"] = {
            step: sum(times) / started * 1000 for step, times in sorted(cron_rows["rows"].items())
        }
        result["cron_busy_ms_per_deal"] = cron_rows["busy_seconds"] / started * 1000
    print(f"\nquote to cash ({n} deals, 3 lines each, up to {args.in_flight} in flight, one cron worker)")
    print(f"  chain           {result['chain_deals_per_minute']:.1f} deals/min ({chain_s:.1f} s)")
    pdf_ms = result["pdf_ms_per_deal"]
    print(f"  direct ORM      {result['direct_deals_per_minute']:.1f} deals/min ({direct_s + pdf_s:.1f} s, "
          f"of which the quotation PDF for the envelope {pdf_ms:.0f} ms a deal)")  # fmt: skip
    print(f"  overhead        {result['overhead'] * 100:.1f} % (goal <= 25 %)")
    print(f"  overhead against the ORM without the PDF: {result['overhead_without_pdf'] * 100:.1f} %")
    print(f"  first webhook -> final write-back in Salesforce: median {result['latency_median_s']:.2f} s, "
          f"worst {result['latency_worst_s']:.2f} s")  # fmt: skip
    print("  median per step, as the driver saw it:")
    for name, ms in result["step_median_ms"].items():
        print(f"    {name:50} {ms:8.0f} ms")
    print("  median answer time of the driver's webhooks and clicks:")
    for name, ms in calls.items():
        print(f"    {name:50} {ms:8.0f} ms")
    print("  direct ORM, ms per deal:")
    for name, ms in result["direct_step_ms_per_deal"].items():
        print(f"    {name:50} {ms:8.0f} ms")
    if cron_rows:
        print("  cron work (shell worker), ms per deal:")
        for name, ms in result["cron_ms_per_deal"].items():
            print(f"    {name:50} {ms:8.0f} ms")
        print(f"    {'all busy polls (rows, claims, commits)':50} {result['cron_busy_ms_per_deal']:8.0f} ms")
    bench_results.save("quote-to-cash", result)


if __name__ == "__main__":
    main()
