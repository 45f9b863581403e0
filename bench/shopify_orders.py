"""Shopify orders benchmark: orders/s from a signed `orders/create` webhook to a confirmed
sale order, against creating the same sale orders directly through the ORM, in the same
run on the same database.

  webhook  N signed deliveries over HTTP to the real route (one client), processed by one
           cron worker: the clock stops when the N sale orders are confirmed
  direct   the same N orders created with the ORM in an `odoo shell` (same lines, prices,
           taxes, warehouse; one transaction per order, like the engine) and confirmed

Overhead = webhook time / direct time - 1 (goal <= 10 %, issue 17). Run with the repo's venv python:

  .local/venv/bin/python bench/shopify_orders.py [--orders 200]"""

import argparse
import copy
import json
import os
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

import requests

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "setup"))
import bench_results  # noqa: E402

import dbtools  # noqa: E402
from odoo_client import OdooClient  # noqa: E402
from toolkit import hmac_sha256  # noqa: E402

DB = "integration_bench_shopify"
SECRET = "bench-shopify-secret"
FIXTURE = BENCH.parent.parent / "shared" / "fixtures" / "shopify" / "python" / "order.json"
FIRST_ORDER_ID = 9_000_000


def orders(n, start):
    """n variations of the fixture order (distinct ids and names), totals that add up."""
    base = json.loads(FIXTURE.read_text())["order"]
    result = []
    for index in range(start, start + n):
        order = copy.deepcopy(base)
        order["id"] = FIRST_ORDER_ID + index
        order["name"] = f"#B{index}"
        lines = sum((Decimal(i["price"]) * i["quantity"] for i in order["line_items"]), Decimal(0))
        taxes = sum((Decimal(t["price"]) for t in order["tax_lines"]), Decimal(0))
        order["total_price"] = f"{lines + taxes:.2f}"
        result.append(order)
    return result


def renamed(batch, old, new):
    batch = copy.deepcopy(batch)
    for order in batch:
        order["name"] = order["name"].replace(old, new)
    return batch


def signed(order):
    body = json.dumps(order).encode()
    signature = hmac_sha256(SECRET, body, "base64")
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": signature,
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
    }
    return body, headers


def prepare(admin):
    """Products of the fixture's SKUs with stock, the service products, a Shopify backend."""
    location = admin.call("stock.warehouse", "search_read", [], ["lot_stock_id"], limit=1)[0]["lot_stock_id"][
        0
    ]
    goods = {"type": "consu", "is_storable": True, "invoice_policy": "order", "list_price": 199.0}
    quants = []
    for sku in ("IPOD2008GREEN", "IPOD2008RED", "IPOD2008BLACK"):
        product = admin.call("product.product", "create", {"name": sku, "default_code": sku, **goods})
        quants.append(admin.call("stock.quant", "create", {"product_id": product, "location_id": location,
                                                           "inventory_quantity": 100_000}))  # fmt: skip
    admin.call("stock.quant", "action_apply_inventory", quants)
    service = {"type": "service", "invoice_policy": "order", "taxes_id": [(5, 0, 0)]}
    products = {name: admin.call("product.product", "create", {"name": name, **service})
                for name in ("Shipping", "Discount", "Tax")}  # fmt: skip
    backend_id = admin.call(
        "integration.backend",
        "create",
        {
            "name": "Bench Shopify",
            "kind": "shopify",
            "state": "active",
            "webhook_secret": SECRET,
            "shopify_shipping_product_id": products["Shipping"],
            "shopify_discount_product_id": products["Discount"],
            "shopify_tax_product_id": products["Tax"],
        },
    )
    [backend] = admin.call("integration.backend", "read", [backend_id], ["webhook_uuid"])
    return backend_id, backend["webhook_uuid"]


def confirmed_sql(prefix):
    return f"SELECT count(*) FROM sale_order WHERE state = 'sale' AND client_order_ref LIKE '{prefix}%'"


def run_webhook(url, batch, prefix, timeout=900):
    session = requests.Session()
    started = time.perf_counter()
    for order in batch:
        body, headers = signed(order)
        response = session.post(url, data=body, headers=headers, timeout=30)
        assert response.status_code == 200, response.text
    posted = time.perf_counter()
    if not dbtools.wait_for_count(
        confirmed_sql(prefix), len(batch), started + timeout - time.perf_counter(), db=DB
    ):
        confirmed = dbtools.psql(confirmed_sql(prefix), db=DB)
        raise RuntimeError(f"only {confirmed} of {len(batch)} orders confirmed")
    return time.perf_counter() - started, posted - started


DIRECT_SCRIPT = """
import json, time
from odoo import Command
orders = json.loads(open({path!r}).read())
backend = env["integration.backend"].search([("kind", "=", "shopify")], limit=1)
warehouse = backend.shopify_warehouse_id or env["stock.warehouse"].search([], limit=1)
codes = [("default_code", "like", "IPOD2008")]
products = {{p.default_code: p for p in env["product.product"].search(codes)}}
# the customer's address as the webhook's contact has it (it decides the fiscal position)
us = env.ref("base.us")
kentucky = env["res.country.state"].search([("country_id", "=", us.id), ("code", "=", "KY")], limit=1)
partner = env["res.partner"].create({{"name": "Bob Norman (direct)", "email": "bob.norman@hostmail.com",
                                     "street": "Chestnut Street 92", "city": "Louisville", "zip": "40202",
                                     "country_id": us.id, "state_id": kentucky.id}})
env.cr.commit()


def line(product, name, quantity, price):
    values = {{"product_id": product.id, "name": name, "product_uom_qty": quantity}}
    values["price_unit"] = float(price)
    return Command.create(dict(values, tax_ids=[Command.set([])]))


def make(order, ref):
    lines = [line(products[i["sku"]], i["name"], i["quantity"], i["price"]) for i in order["line_items"]]
    shipping, tax = backend.shopify_shipping_product_id, backend.shopify_tax_product_id
    lines += [line(shipping, s["title"], 1, s["price"]) for s in order["shipping_lines"]]
    lines += [line(tax, t["title"], 1, t["price"]) for t in order["tax_lines"]]
    sale = env["sale.order"].create({{"partner_id": partner.id, "client_order_ref": ref,
                                     "warehouse_id": warehouse.id, "order_line": lines}})
    sale.action_confirm()
    assert abs(sale.amount_total - float(order["total_price"])) < 0.005
    env.cr.commit()


# This shell is a new process: warm its caches first, as the server's are by the warm-up round.
for order in orders[:5]:
    make(order, order["name"] + " (warm-up)")
started = time.perf_counter()
for order in orders:
    make(order, order["name"])
print("DIRECT_SECONDS=%f" % (time.perf_counter() - started))
"""


def run_direct(batch):
    path = dbtools.LOCAL / "log" / "bench-shopify-orders.json"
    path.write_text(json.dumps(batch))
    shell = [sys.executable, f"{os.environ['ODOO_DIR']}/odoo-bin", "shell", "-c", os.environ["ODOO_RC"],
             "-d", DB, "--no-http", "--max-cron-threads=0",  # no cron thread working beside the loop
             "--logfile", str(dbtools.LOCAL / "log" / "bench-shell.log")]  # fmt: skip
    # Its own session, as the server has (setsid): with the kernel's autogroup scheduling each
    # session gets its share of a busy machine, so both sides get one share each.
    script = DIRECT_SCRIPT.format(path=str(path)).encode()
    output = subprocess.run(
        shell, input=script, check=True, capture_output=True, start_new_session=True
    ).stdout.decode()
    return float(output.split("DIRECT_SECONDS=")[1].split()[0])


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    dbtools.load_env()
    (dbtools.LOCAL / "log").mkdir(exist_ok=True)
    print(f"[bench] database {DB}: integration_shopify", flush=True)
    dbtools.fresh_db(DB)
    log = dbtools.LOCAL / "log" / "bench-shopify-odoo.log"
    install = [
        *dbtools.ODOO,
        "-d",
        DB,
        "-i",
        "integration_shopify",
        "--stop-after-init",
        "--logfile",
        str(log),
    ]
    subprocess.run(install, check=True)
    # Prefork, as in production: HTTP workers and one cron worker in their own processes
    # (in its own session: the prefork master signals its whole process group when it stops).
    server = dbtools.OdooServer(
        DB, log, "--workers", "2", "--max-cron-threads", "1", odoo=["setsid", *dbtools.ODOO]
    )
    try:
        admin = OdooClient(server.url, DB).login("admin", "admin")
        _backend_id, webhook_uuid = prepare(admin)
        url = f"{server.url}/integration/webhook/{webhook_uuid}"
        run_webhook(url, renamed(orders(args.warmup, 0), "#B", "#W"), "#W")
        # Interleaved rounds, so that load from elsewhere on the machine hits both alike.
        webhook_s = posting_s = direct_s = 0.0
        chunk = max(1, args.orders // args.rounds)
        run_direct(renamed(orders(args.warmup, 0), "#W", "#V"))  # warm the shell's caches alike
        for round_index in range(args.rounds):
            prefix = f"#R{round_index}-"
            batch = renamed(orders(chunk, args.warmup + round_index * chunk), "#B", prefix)
            elapsed, posting = run_webhook(url, batch, prefix)
            webhook_s, posting_s = webhook_s + elapsed, posting_s + posting
            direct_s += run_direct(renamed(batch, prefix, "#D"))
            print(
                f"[bench] round {round_index + 1}: webhook {elapsed:.1f} s, direct total {direct_s:.1f} s",
                flush=True,
            )
        args.orders = chunk * args.rounds
    finally:
        server.stop()
    result = {
        "orders": args.orders,
        "webhook_seconds": webhook_s,
        "webhook_posting_seconds": posting_s,
        "webhook_orders_per_s": args.orders / webhook_s,
        "direct_seconds": direct_s,
        "direct_orders_per_s": args.orders / direct_s,
        "overhead": webhook_s / direct_s - 1,
    }
    print(f"\nshopify orders ({args.orders} orders of 3 lines, one client, one cron worker)")
    print(f"  webhook -> confirmed sale order  {result['webhook_orders_per_s']:.1f} orders/s "
          f"({webhook_s:.1f} s, of which {posting_s:.1f} s posting)")  # fmt: skip
    print(
        f"  direct ORM create + confirm      {result['direct_orders_per_s']:.1f} orders/s ({direct_s:.1f} s)"
    )
    print(f"  overhead                         {result['overhead'] * 100:.1f} % (goal <= 10 %)")
    bench_results.save("shopify-orders", result)


if __name__ == "__main__":
    main()
