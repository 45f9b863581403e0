"""The fault suite (`make faults`): one prefork Odoo server (two HTTP workers and a cron
worker, as in production) on a fresh database, driven over HTTP only, with the figures an
operator asks for printed at the end of the run (and kept in .local/log/faults-figures.json)."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "setup"))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from fault_tools import FIGURES, ServerUnderTest  # noqa: E402

import dbtools  # noqa: E402
from odoo_client import OdooClient  # noqa: E402


@pytest.fixture(scope="session")
def server():
    with ServerUnderTest.serving("faults") as running:
        yield running


@pytest.fixture(scope="session")
def admin(server):
    return OdooClient(server.url, server.db).login("admin", "admin")


@pytest.fixture(scope="session")
def base_url(server):
    return server.url


@pytest.fixture(scope="session", autouse=True)
def fast_engine(admin):
    """Backoff, lease and stall times short enough for a suite that must end in minutes."""
    params = {"backoff_base": 1, "backoff_cap": 4, "lease_seconds": 8, "max_attempts": 50}
    for key, value in params.items():
        admin.call("ir.config_parameter", "set_param", f"integration_core.{key}", str(value))


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    terminalreporter.section("fault suite figures")
    for name, figures in FIGURES.items():
        text = ", ".join(f"{key} {value}" for key, value in figures.items())
        terminalreporter.write_line(f"[faults] {name}: {text}")
    report = dbtools.LOCAL / "log" / "faults-figures.json"
    report.write_text(json.dumps(FIGURES, indent=2))
    terminalreporter.write_line(f"[faults] written to {report}")
