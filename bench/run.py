"""`make bench`: the core's benchmarks. Each prints ratios measured in the same run on the
same machine, so a noisy 2-core box compares like with like.

  ingest      N signed deliveries to the webhook route vs the same N to a trivial route
  processing  no-op events/s with 1 and 2 cron workers vs OCA queue_job no-op jobs/s
  scale       claim time with 10k vs 1M pending events; worker memory over 100k events
  outbound    messages/s sent by the outbound queue to a local HTTP sink vs a plain
              requests loop to the same sink; then with a rate limit, the rate it holds
  shopify     orders/s from signed Shopify webhooks to confirmed sale orders vs the same
              orders created through the ORM (bench/shopify_orders.py, its own database)
  salesforce  a 100-notification Outbound Message vs 100 single ones; won opportunities
              with CPQ quotes to confirmed orders vs the ORM (bench/salesforce_orders.py)
  salesforce_cdc  account changes/s from a local Pub/Sub API server into stored events vs
              the same changes as Outbound Messages (bench/salesforce_cdc.py)
  quote_to_cash  deals/min through the whole chain (Salesforce -> contract -> order ->
              invoice -> Stripe -> write-back) on local stand-ins vs the same deals' Odoo work
              through the ORM (bench/quote_to_cash.py)

Not part of `make test` (CI): they take minutes and assert nothing."""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import requests

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "setup"))
import bench_results  # noqa: E402
from demo_crm import DemoCrm  # noqa: E402

import dbtools  # noqa: E402
from odoo_client import OdooClient  # noqa: E402

DB = "integration_bench"
LOCAL = dbtools.LOCAL
QUEUE_JOB = LOCAL / "bench" / "addons"
BENCH_LIBS = LOCAL / "bench" / "libs"
SECRET = "bench-secret"
sys.path.insert(0, str(BENCH))
from events_sql import insert_events_sql, insert_outbound_sql  # noqa: E402
from signing import signed_delivery  # noqa: E402


def psql(sql):
    return dbtools.psql(sql, db=DB)


def install_queue_job():
    """OCA queue_job 19.0 from PyPI, into the bench's own folders only."""
    if (QUEUE_JOB / "queue_job" / "__manifest__.py").exists():
        return
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps"]
    subprocess.run([*pip, "--target", str(BENCH_LIBS), "openupgradelib", "cssselect"], check=True)
    wheel_dir = LOCAL / "bench" / "wheel"
    subprocess.run([*pip, "--target", str(wheel_dir), "odoo-addon-queue-job>=19.0,<19.1"], check=True)
    QUEUE_JOB.mkdir(parents=True, exist_ok=True)
    (wheel_dir / "odoo" / "addons" / "queue_job").rename(QUEUE_JOB / "queue_job")


def addons_path():
    lines = Path(os.environ["ODOO_RC"]).read_text().splitlines()
    base = next(line.split("=", 1)[1].strip() for line in lines if line.startswith("addons_path"))
    return f"{base},{BENCH / 'addons'},{QUEUE_JOB}"


def odoo_cmd(*args):
    return [*dbtools.ODOO, f"--addons-path={addons_path()}", *args]


def bench_env(**extra):
    return dict(os.environ, PYTHONPATH=str(BENCH_LIBS), BENCH_ADDONS_PATH=addons_path(), **extra)


def prepare_database():
    print(f"[bench] database {DB}: suite + bench addons + queue_job", flush=True)
    dbtools.fresh_db(DB)
    modules = "integration_suite,integration_bench,integration_bench_queue_job"
    log = LOCAL / "log" / "bench-install.log"
    subprocess.run(odoo_cmd("-d", DB, "-i", modules, "--stop-after-init", "--logfile", str(log)),
                   check=True, env=bench_env())  # fmt: skip


def start_server(*args, env=None):
    log = LOCAL / "log" / "bench-odoo.log"
    return dbtools.OdooServer(DB, log, *args, odoo=odoo_cmd(), env=env or bench_env())


def renice_cron_workers(server):
    """Odoo's prefork cron workers run at nice 10 and queue_job's jobs in HTTP workers at 0: on
    a shared machine that alone made the engine three times slower in one run. Both queues get
    the HTTP workers' priority here (root may raise it; otherwise the run says so)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == server.process.pid and int(fields[16]) > 0:  # ppid, nice
            children.append(int(stat.parent.name))
    for pid in children:
        try:
            os.setpriority(os.PRIO_PROCESS, pid, 0)
        except OSError as exc:
            print(
                f"[bench] cron worker {pid} stays at nice 10 ({exc}): the engine is handicapped", flush=True
            )
    return children


def make_backend(admin, kind, state="active"):
    name = f"Bench {kind} {uuid.uuid4().hex[:6]}"
    values = {"name": name, "kind": kind, "state": state, "webhook_secret": SECRET}
    backend_id = admin.call("integration.backend", "create", values)
    [backend] = admin.call("integration.backend", "read", [backend_id], ["webhook_uuid"])
    return backend_id, backend["webhook_uuid"]


# ---------------------------------------------------------------------------------- ingest
def bench_ingest(n):
    server = start_server("--max-cron-threads", "0")  # ingest alone: no processing competes
    try:
        admin = OdooClient(server.url, DB).login("admin", "admin")
        _backend_id, webhook_uuid = make_backend(admin, "generic_hmac")
        webhook = f"{server.url}/integration/webhook/{webhook_uuid}"
        ping = f"{server.url}/integration_bench/ping"
        session = requests.Session()
        for index in range(50):  # warm up both routes
            session.post(ping, data=b"{}", headers={"Content-Type": "application/json"})
            body, headers = signed_delivery(SECRET, f"warm_{index}")
            session.post(webhook, data=body, headers=headers)

        latencies = {"webhook": [], "trivial": []}
        for index in range(n):  # interleaved, so that noise hits both alike
            body, headers = signed_delivery(SECRET, f"seq_{index}")
            for name, url in (("webhook", webhook), ("trivial", ping)):
                started = time.perf_counter()
                response = session.post(url, data=body, headers=headers)
                latencies[name].append(time.perf_counter() - started)
                assert response.status_code == 200, response.text

        def burst(url, prefix, count):
            def send(index):
                body, headers = signed_delivery(SECRET, f"{prefix}_{index}")
                return requests.post(url, data=body, headers=headers, timeout=30).status_code

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=8) as pool:
                statuses = list(pool.map(send, range(count)))
            assert set(statuses) == {200}, set(statuses)
            return time.perf_counter() - started

        # 8 clients: in four alternating rounds per route, so that noise hits both alike
        spent = {"webhook": 0.0, "trivial": 0.0}
        for round_ in range(4):
            spent["webhook"] += burst(webhook, f"burst{round_}", n // 4)
            spent["trivial"] += burst(ping, f"burst{round_}", n // 4)
        throughput = {name: (n // 4) * 4 / seconds for name, seconds in spent.items()}
        stored = int(psql("SELECT count(*) FROM integration_event WHERE external_event_id LIKE 'seq_%'"))
        assert stored == n, stored
    finally:
        server.stop()
    median = {name: statistics.median(values) * 1000 for name, values in latencies.items()}
    p95 = {name: statistics.quantiles(values, n=20)[18] * 1000 for name, values in latencies.items()}
    return {
        "deliveries": n,
        "median_ms": median,
        "p95_ms": p95,
        "median_ratio": median["webhook"] / median["trivial"],
        "per_second_8_clients": throughput,
        "throughput_ratio": throughput["webhook"] / throughput["trivial"],
    }


# ------------------------------------------------------------------------------ processing
def insert_events(backend_id, n, prefix):
    psql(insert_events_sql(backend_id, f"{prefix}_", 1, n))


def wait_count(sql, target, timeout):
    return dbtools.wait_for_count(sql, target, timeout, db=DB)


def cpu_seconds(server):
    """CPU seconds used so far by the Odoo server (master and workers) and by this cluster's
    PostgreSQL processes: what the run spent, whoever else shares the machine."""
    pg_master = int((LOCAL / "pg" / "data" / "postmaster.pid").read_text().split()[0])
    used = {}
    for side, pid in (("odoo", server.process.pid), ("postgresql", pg_master)):
        root = psutil.Process(pid)
        used[side] = 0.0
        for process in (root, *root.children(recursive=True)):
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            used[side] += times.user + times.system
    return used


def run_engine(admin, server, n, workers):
    backend_id, _uuid = make_backend(admin, "bench_noop")
    prefix = f"w{workers}_{uuid.uuid4().hex[:6]}"
    settings = admin.call("res.config.settings", "create", {"integration_parallel_workers": workers})
    admin.call("res.config.settings", "execute", [settings])
    insert_events(backend_id, n, prefix)
    cpu_before = cpu_seconds(server)
    started = time.perf_counter()
    psql("""INSERT INTO ir_cron_trigger (cron_id, call_at, create_uid, write_uid, create_date, write_date)
            SELECT c.id, now() at time zone 'utc', 1, 1, now() at time zone 'utc', now() at time zone 'utc'
              FROM ir_cron c JOIN ir_act_server a ON a.id = c.ir_actions_server_id
             WHERE c.active AND a.code = 'model._cron_process_events()'""")  # fmt: skip
    dbtools.psql(f"SELECT pg_notify('cron_trigger', '{DB}')")  # the cron workers listen on `postgres`
    done_sql = f"SELECT count(*) FROM integration_event WHERE backend_id = {backend_id} AND state = 'done'"
    finished = wait_count(done_sql, n, timeout=600)
    elapsed = time.perf_counter() - started
    if not finished:
        raise RuntimeError(f"engine: only {psql(done_sql)} of {n} events done after {elapsed:.0f} s")
    cpu_after = cpu_seconds(server)
    cpu_ms = {side: (cpu_after[side] - cpu_before[side]) * 1000 / n for side in cpu_after}
    return n / elapsed, cpu_ms


def run_queue_job(n):
    """Enqueue n no-op jobs in one transaction (with_delay), then time the runner."""
    script = (
        "partner = env['res.partner'].browse(1)\n"
        f"for _i in range({n}):\n    partner.with_delay()._bench_noop_job()\n"
        "env.cr.commit()\n"
    )
    before = int(psql("SELECT count(*) FROM queue_job WHERE state = 'done'"))
    started = time.perf_counter()
    shell = [sys.executable, f"{os.environ['ODOO_DIR']}/odoo-bin", "shell", "-c", os.environ["ODOO_RC"],
             f"--addons-path={addons_path()}", "-d", DB, "--no-http",
             "--logfile", str(LOCAL / "log" / "bench-shell.log")]  # fmt: skip
    subprocess.run(shell, input=script.encode(), check=True, env=bench_env(), stdout=subprocess.DEVNULL)
    enqueued = time.perf_counter()
    finished = wait_count("SELECT count(*) FROM queue_job WHERE state = 'done'", before + n, timeout=900)
    elapsed = time.perf_counter() - enqueued
    if not finished:
        raise RuntimeError(f"queue_job: jobs not done after {elapsed:.0f} s")
    return n / elapsed, enqueued - started


# queue_job's runner sends each job to an HTTP worker: its documentation has the channel
# capacity at most the number of HTTP workers. (capacity, HTTP workers) per configuration.
# Issue 17 found root:4 with 2 workers its best on this machine kind; both are measured.
QUEUE_JOB_CONFIGS = {"root:1, 2 HTTP workers": (1, 2), "root:2, 2 HTTP workers": (2, 2),
                     "root:4, 2 HTTP workers": (4, 2), "root:4, 4 HTTP workers": (4, 4)}  # fmt: skip


def bench_processing(n):
    # The ingest bench leaves its deliveries waiting (no cron ran): set them aside, or the
    # workers would spend this bench creating partners from them.
    psql("UPDATE integration_event SET state = 'ignored' WHERE state IN ('pending', 'retry')")
    loaded = ("--load", "base,rpc,web,integration_core,queue_job")
    engine, cpu_ms = {}, {}
    for workers in (1, 2):
        # Prefork mode, as queue_job's runner needs; no job is queued while the engine runs.
        server = start_server("--workers", "2", "--max-cron-threads", str(workers), *loaded)
        try:
            reniced = renice_cron_workers(server)
            print(f"[bench] {len(reniced)} cron worker(s) at the HTTP workers' priority", flush=True)
            admin = OdooClient(server.url, DB).login("admin", "admin")
            engine[workers], cpu_ms[workers] = run_engine(admin, server, n, workers)
        finally:
            server.stop()
        print(f"[bench] engine, {workers} cron worker(s): {engine[workers]:.0f} events/s", flush=True)
    queue_job = {}
    for name, (capacity, http_workers) in QUEUE_JOB_CONFIGS.items():
        env = bench_env(ODOO_QUEUE_JOB_CHANNELS=f"root:{capacity}")
        server = start_server("--workers", str(http_workers), "--max-cron-threads", "0", *loaded, env=env)
        try:
            queue_job[name] = run_queue_job(n)[0]
        finally:
            server.stop()
        print(f"[bench] queue_job, {name}: {queue_job[name]:.0f} jobs/s", flush=True)
    best = max(queue_job, key=queue_job.get)
    return {
        "engine_events_per_s": engine,
        "queue_job_jobs_per_s": queue_job,
        "queue_job_best": best,
        "ratio_vs_best": {workers: rate / queue_job[best] for workers, rate in engine.items()},
        "scaling_2_vs_1": engine[2] / engine[1],
        "engine_cpu_ms_per_event": cpu_ms,
        # The 2 cores' ceiling at the CPU the 1-worker run spent per event (Odoo + PostgreSQL).
        "two_core_ceiling_per_s": 2000 / sum(cpu_ms[1].values()),
    }


# ----------------------------------------------------------------------------------- scale
def bench_scale(small, large, memory_events, runs):
    proc = subprocess.run(
        [sys.executable, str(BENCH / "scale_worker.py"), DB, *map(str, (small, large, memory_events, runs))],
        env=bench_env(), capture_output=True, text=True,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -------------------------------------------------------------------------------- outbound
def send_outbound(admin, sink, n, rate_limit, burst):
    backend_id, _uuid = make_backend(admin, "generic_hmac")
    admin.call("integration.backend", "write", [backend_id],
               {"outbound_url": sink.url, "rate_limit": rate_limit, "rate_burst": burst})  # fmt: skip
    prefix = f"o_{uuid.uuid4().hex[:6]}_"
    first = len(sink.accepted_keys)
    psql(insert_outbound_sql(backend_id, prefix, n))
    started = time.perf_counter()
    psql("""INSERT INTO ir_cron_trigger (cron_id, call_at, create_uid, write_uid, create_date, write_date)
            SELECT c.id, now() at time zone 'utc', 1, 1, now() at time zone 'utc', now() at time zone 'utc'
              FROM ir_cron c JOIN ir_act_server a ON a.id = c.ir_actions_server_id
             WHERE c.active AND a.code = 'model._cron_send_outbound()'""")  # fmt: skip
    dbtools.psql(f"SELECT pg_notify('cron_trigger', '{DB}')")
    done_sql = f"SELECT count(*) FROM integration_outbound WHERE backend_id = {backend_id} AND state = 'done'"
    if not wait_count(done_sql, n, timeout=900):
        raise RuntimeError(f"outbound: only {psql(done_sql)} of {n} messages sent")
    elapsed = time.perf_counter() - started
    keys = sink.accepted_keys[first:]
    return {"per_s": n / elapsed, "requests": len(keys), "distinct_keys": len(set(keys))}


def bench_outbound(n, limited_n, limit):
    sink = DemoCrm()  # a local vendor that takes every POST and records its idempotency key
    server = start_server("--max-cron-threads", "1")
    try:
        admin = OdooClient(server.url, DB).login("admin", "admin")
        session = requests.Session()
        body = json.dumps({"id": "raw", "name": "Bench contact", "email": None})
        started = time.perf_counter()
        for index in range(n):  # the floor: one client posting as fast as it can
            headers = {"Content-Type": "application/json", "Idempotency-Key": f"raw{index}"}
            session.post(sink.url, data=body, headers=headers, timeout=10).raise_for_status()
        raw = n / (time.perf_counter() - started)
        free = send_outbound(admin, sink, n, rate_limit=100_000, burst=100_000)
        limited = send_outbound(admin, sink, limited_n, rate_limit=limit, burst=10)
    finally:
        server.stop()
        sink.stop()
    return {"messages": n, "raw_requests_per_s": raw, "unlimited": free, "ratio": free["per_s"] / raw,
            "limited_messages": limited_n, "limit_per_s": limit, "limited": limited}  # fmt: skip


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "benches",
        nargs="*",
        default=[
            "ingest",
            "processing",
            "scale",
            "outbound",
            "shopify",
            "salesforce",
            "salesforce_cdc",
            "quote_to_cash",
        ],
    )
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--memory-events", type=int, default=100_000)
    parser.add_argument("--claim-runs", type=int, default=3, help="the claim goal holds in each run")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--limited-messages", type=int, default=500)
    parser.add_argument("--limit", type=float, default=50.0, help="calls/s of the rate-limited run")
    args = parser.parse_args()
    dbtools.load_env()
    install_queue_job()
    prepare_database()
    results = {}
    if "ingest" in args.benches:
        results["ingest"] = bench_ingest(args.deliveries)
        print_ingest(results["ingest"])
    if "processing" in args.benches:
        results["processing"] = bench_processing(args.events)
        print_processing(results["processing"])
    if "scale" in args.benches:
        results["scale"] = bench_scale(args.small, args.large, args.memory_events, args.claim_runs)
        print_scale(results["scale"])
    if "outbound" in args.benches:
        results["outbound"] = bench_outbound(args.messages, args.limited_messages, args.limit)
        print_outbound(results["outbound"])
    if "shopify" in args.benches:
        subprocess.run([sys.executable, str(BENCH / "shopify_orders.py")], check=True)
    if "salesforce" in args.benches:
        subprocess.run([sys.executable, str(BENCH / "salesforce_orders.py")], check=True)
    if "salesforce_cdc" in args.benches:
        subprocess.run([sys.executable, str(BENCH / "salesforce_cdc.py")], check=True)
    if "quote_to_cash" in args.benches:
        subprocess.run([sys.executable, str(BENCH / "quote_to_cash.py")], check=True)
    bench_results.save("bench", results)


def print_ingest(r):
    print(f"\ningest ({r['deliveries']} deliveries, one client)")
    print(f"  median latency   webhook {r['median_ms']['webhook']:.2f} ms, trivial route "
          f"{r['median_ms']['trivial']:.2f} ms -> ratio {r['median_ratio']:.2f} (goal <= 1.2)")  # fmt: skip
    print(
        f"  p95 latency      webhook {r['p95_ms']['webhook']:.2f} ms, trivial {r['p95_ms']['trivial']:.2f} ms"
    )
    t = r["per_second_8_clients"]
    print(f"  8 clients        webhook {t['webhook']:.0f} deliveries/s, trivial {t['trivial']:.0f} req/s "
          f"-> ratio {r['throughput_ratio']:.2f} (goal >= 0.9)")  # fmt: skip


def print_processing(r):
    print("\nprocessing (no-op events vs queue_job no-op jobs, same database, prefork server)")
    for name, rate in r["queue_job_jobs_per_s"].items():
        print(f"  queue_job        {rate:.0f} jobs/s with {name}")
    best = r["queue_job_jobs_per_s"][r["queue_job_best"]]
    for workers, rate in r["engine_events_per_s"].items():
        print(f"  engine, {workers} worker {rate:.0f} events/s -> {r['ratio_vs_best'][workers]:.2f}x "
              f"queue_job's best ({best:.0f} jobs/s; goal >= 5)")  # fmt: skip
    print(f"  2 vs 1 worker    {r['scaling_2_vs_1']:.2f}x (goal >= 1.9)")
    for workers, used in r["engine_cpu_ms_per_event"].items():
        print(f"  CPU per event    {workers} worker(s): Odoo {used['odoo']:.2f} ms, PostgreSQL "
              f"{used['postgresql']:.2f} ms")  # fmt: skip
    ceiling = r["two_core_ceiling_per_s"]
    print(f"  2-core ceiling   {ceiling:.0f} events/s at the 1-worker run's CPU per event "
          f"(2 workers reached {r['engine_events_per_s'][2] / ceiling:.0%} of it)")  # fmt: skip


def print_scale(r):
    print("\nscale")
    for run, (small_ms, large_ms) in enumerate(
        zip(r["claim_ms_small_runs"], r["claim_ms_large_runs"], strict=True), 1
    ):
        print(f"  claim of 50      run {run}: {small_ms:.2f} ms with {r['small']} pending, {large_ms:.2f} ms "
              f"with {r['large']} pending -> ratio {large_ms / small_ms:.2f} (goal <= 1.2)")  # fmt: skip
    print(f"  worker memory    {r['memory_events']} events: RSS {r['rss_mb_start']:.0f} MB at start, "
          f"{r['rss_mb_first_tenth']:.0f} MB after 10%, {r['rss_mb_end']:.0f} MB at the end "
          f"({r['memory_events_per_s']:.0f} events/s)")  # fmt: skip


def print_outbound(r):
    free, limited = r["unlimited"], r["limited"]
    print(f"\noutbound ({r['messages']} messages to a local HTTP sink, one cron worker)")
    print(f"  no rate limit    {free['per_s']:.0f} messages/s vs a plain requests loop "
          f"{r['raw_requests_per_s']:.0f} req/s -> ratio {r['ratio']:.2f}; "
          f"{free['requests']} requests, {free['distinct_keys']} idempotency keys")  # fmt: skip
    print(f"  limit {r['limit_per_s']:.0f}/s      {limited['per_s']:.1f} messages/s over "
          f"{r['limited_messages']} messages -> {limited['per_s'] / r['limit_per_s']:.2f} of the limit; "
          f"{limited['requests']} requests, {limited['distinct_keys']} idempotency keys")  # fmt: skip


if __name__ == "__main__":
    main()
