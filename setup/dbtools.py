"""Databases for the test tiers and the demo: a template with the suite's Odoo dependencies
installed once (reused with `createdb -T`), throwaway copies, a server on a free port."""

import ast
import hashlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local"
ODOO = [str(ROOT / "setup" / "odoo")]
# The suite's addons: what the umbrella addon (the repository root) installs.
SUITE_ADDONS = ast.literal_eval((ROOT / "__manifest__.py").read_text())["depends"]


def load_env():
    """Environment written by setup/bootstrap.sh (PG* variables, paths)."""
    env_file = LOCAL / "env.sh"
    if not env_file.exists():
        sys.exit("run `make bootstrap` (setup/bootstrap.sh) first")
    for line in env_file.read_text().splitlines():
        if line.startswith("export "):
            for pair in _split_exports(line[len("export ") :]):
                key, _, value = pair.partition("=")
                os.environ[key] = value.strip('"')
    return os.environ


def _split_exports(text):
    parts, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == " " and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    return [p for p in parts + [current] if p]


def odoo_dependencies():
    """The Odoo apps the suite's addons depend on (everything not in this repository)."""
    deps = set()
    for addon in SUITE_ADDONS:
        manifest = ast.literal_eval((ROOT / addon / "__manifest__.py").read_text())
        deps.update(d for d in manifest["depends"] if not d.startswith("integration_"))
    return sorted(deps)


def psql(sql, db="postgres"):
    return subprocess.run(
        ["psql", "-X", "-q", "-t", "-A", "-d", db, "-c", sql], check=True, capture_output=True, text=True
    ).stdout.strip()


def wait_for_count(sql, target, timeout, db):
    """True once the count `sql` selects reaches `target`, polled on one connection (a `psql`
    process and the database backend forked for it, 20 times a second, would cost the server
    being measured a tenth of a core); False after `timeout` seconds. Polled every 20 ms: the
    benches time runs of a few seconds."""
    import psycopg2  # in the venv: the benches and tests run there, the bootstrap does not

    deadline = time.monotonic() + timeout
    connection = psycopg2.connect(dbname=db)
    connection.autocommit = True
    try:
        with connection.cursor() as cr:
            while True:
                cr.execute(sql)
                if cr.fetchone()[0] >= target:
                    return True
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.02)
    finally:
        connection.close()


def db_exists(name):
    return psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"


def drop_db(name):
    subprocess.run(["dropdb", "--if-exists", "--force", name], check=True, capture_output=True)


def template_db(demo=False):
    """Name of a database with the suite's Odoo dependencies installed; built on first use."""
    deps = odoo_dependencies()
    key = hashlib.sha1(f"{deps}{os.environ.get('ODOO_DIR')}{demo}".encode()).hexdigest()[:8]
    name = f"integration_tpl_{'demo_' if demo else ''}{key}"
    if db_exists(name):
        return name
    print(f"[db] building template {name} with {', '.join(deps)} (once)", flush=True)
    building = name + "_building"
    drop_db(building)
    log = LOCAL / "log" / f"{building}.log"
    cmd = ODOO + ["-d", building, "-i", ",".join(deps), "--stop-after-init", "--logfile", str(log)]
    if demo:
        cmd.append("--with-demo")
    started = time.monotonic()
    # Odoo's docutils prints warnings about its own modules' descriptions on stderr while it
    # installs them ("Unexpected indentation"): they go to the log, not to the console.
    with log.open("a") as stderr:
        result = subprocess.run(cmd, stderr=stderr)
    if result.returncode != 0 or not db_exists(building):
        raise RuntimeError(f"installing Odoo dependencies failed, see {log}")
    psql(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    print(f"[db] template {name} built in {time.monotonic() - started:.0f} s", flush=True)
    return name


def fresh_db(name, demo=False):
    drop_db(name)
    subprocess.run(["createdb", "-T", template_db(demo), name], check=True)
    return name


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OdooServer:
    """An Odoo server serving one database on a local port, ready once /web/login answers.

    `odoo` is the command to run (setup/odoo by default); extra arguments follow it."""

    def __init__(self, db, log, *args, port=None, odoo=None, env=None, timeout=120):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        cmd = [*(odoo or ODOO), "-d", db, "--db-filter", f"^{db}$", "--http-port", str(self.port),
               "--gevent-port", str(free_port()), "--logfile", str(log), *args]  # fmt: skip
        self.process = subprocess.Popen(cmd, env=env)
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"Odoo did not start on port {self.port}, see {log}")
            time.sleep(0.3)

    def _answers(self):
        try:
            return requests.get(f"{self.url}/web/login", timeout=5).status_code == 200
        except (requests.ConnectionError, requests.Timeout):  # a busy machine: not ready yet
            return False

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
