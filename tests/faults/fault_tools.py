"""What the fault tests share: the prefork server under test, its processes and memory, the
log it writes, signing for every backend kind, and the figures the suite prints."""

import base64
import hashlib
import hmac
import os
import re
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

import dbtools  # on the path through conftest.py

FIGURES = {}  # test name -> {figure: value}, printed at the end of the run
# What must never reach the server log: card numbers and customers' e-mail addresses.
CARD_NUMBER = re.compile(rb"(?<!\w)\d{13,19}(?!\w)")  # not a run of digits inside a hex digest
EMAIL = re.compile(rb"[\w.+-]+@example\.(?:com|org)")


def _luhn(digits):
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def record(name, **figures):
    FIGURES.setdefault(name, {}).update(figures)


class ServerUnderTest:
    """A prefork Odoo (two HTTP workers, one cron worker) on a fresh database."""

    ARGS = ("--workers", "2", "--max-cron-threads", "1", "--limit-time-real", "300")

    def __init__(self, server, db, log):
        self.server, self.db, self.log = server, db, log
        self.url = server.url
        self.restarts = 0

    @contextmanager
    def supervised(self, restart_after=5):
        """What the README's supervisor does (deploy/systemd: Restart=always, RestartSec=5):
        start the server again, on the same port, whenever its master exits."""
        stopping = threading.Event()

        def watch():
            while not stopping.wait(0.5):
                if self.server.process.poll() is None:
                    continue
                if stopping.wait(restart_after):
                    return
                try:
                    self.server = dbtools.OdooServer(
                        self.db, self.log, *self.ARGS, port=self.server.port, timeout=240
                    )
                    self.restarts += 1
                except RuntimeError:
                    continue  # not up yet (the database still down): try again

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            yield self
        finally:
            stopping.set()
            watcher.join()

    @classmethod
    @contextmanager
    def serving(cls, name):
        dbtools.load_env()
        db = f"integration_{name}_{os.getpid()}"
        log = dbtools.LOCAL / "log" / f"{name}-odoo.log"
        log.unlink(missing_ok=True)
        dbtools.fresh_db(db)
        install = subprocess.run(
            dbtools.ODOO + ["-d", db, "-i", "integration_suite", "--stop-after-init", "--logfile", str(log)]
        )
        if install.returncode != 0:
            pytest.fail(f"installing integration_suite failed, see {log}")
        try:
            server = dbtools.OdooServer(db, log, *cls.ARGS, timeout=240)
        except RuntimeError as exc:
            pytest.fail(str(exc))
        running = cls(server, db, log)
        try:
            yield running
        finally:
            running.server.stop()  # the one a supervised restart started, when there was one
            dbtools.drop_db(db)

    @property
    def master_pid(self):
        return self.server.process.pid

    def worker_pids(self):
        """The master's children: its HTTP workers and its cron worker."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.master_pid:
                children.append(int(stat.parent.name))
        return children

    def rss_mb(self):
        """Resident memory of the master and its workers together, in MB."""
        total_kb = 0
        for pid in [self.master_pid, *self.worker_pids()]:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            total_kb += int(
                next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))
            )
        return round(total_kb / 1024)

    def cron_worker_pid(self):
        """The cron worker: Odoo starts it with os.nice(10) (and names no process without
        setproctitle), so it is the child that runs nicer than the master."""
        master_nice = _nice(self.master_pid)
        for pid in self.worker_pids():
            nice = _nice(pid)
            if nice is not None and master_nice is not None and nice > master_nice:
                return pid
        return None

    def log_size(self):
        return self.log.stat().st_size if self.log.exists() else 0

    def log_since(self, offset):
        with self.log.open("rb") as handle:
            handle.seek(offset)
            return handle.read()


def _nice(pid):
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])
    except (OSError, IndexError, ValueError):
        return None


def secrets_in(text, secrets=()):
    """Card numbers (Luhn-valid), customers' e-mail addresses and the given strings found in
    `text` (bytes)."""
    found = [m.group() for m in CARD_NUMBER.finditer(text) if _luhn(m.group().decode())]
    found += EMAIL.findall(text)
    found += [s for s in secrets if s in text]
    return found


def wait_until(check, timeout, interval=0.5, what="the condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


# ------------------------------------------------------------------ signing, per vendor
def hmac_hex(secret, message):
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def hmac_b64(secret, message):
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def stripe_signature(secret, body, timestamp=None):
    timestamp = int(timestamp or time.time())
    return f"t={timestamp},v1={hmac_hex(secret, f'{timestamp}.'.encode() + body)}"
