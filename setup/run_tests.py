"""`make test`: lint, then the four test tiers, then one summary.

  unit  pytest tests/unit        pure Python, no Odoo import
  odoo  Odoo's own test runner   fresh database, suite installed with --test-enable
  e2e   pytest tests/e2e         a real Odoo server driven over HTTP
  faults pytest tests/faults     the fault suite: a prefork server under fuzzing, kill -9,
                                 a vendor outage and out-of-order deliveries (at most 10 min)

A tier that cannot run counts as failed, never as skipped. The last line is
`N passed, N failed` over all tiers; the exit status is non-zero when anything failed."""

import argparse
import os
import re
import subprocess
import sys
import time

import dbtools

ROOT = dbtools.ROOT
PY = sys.executable
PYTEST_COUNTS = re.compile(r"(\d+) (passed|failed|error|errors|skipped)")
ODOO_RESULT = re.compile(r"odoo\.tests\.result: (\d+) failed, (\d+) error\(s\) of (\d+) tests")
# A log line at ERROR/CRITICAL level, or a test's FAIL header, fails the tier.
FAULTS_TIMEOUT = 600  # seconds: the fault suite is bounded in time
ODOO_BAD_LINE = re.compile(r"^\S+ \S+ \d+ (ERROR|CRITICAL) |\bFAIL: ")


class Tier:
    def __init__(self, name):
        self.name, self.passed, self.failed, self.seconds, self.note = name, 0, 0, 0.0, ""

    @property
    def ok(self):
        return self.failed == 0 and (self.passed > 0 or self.name == "lint")


def run_pytest(tier, path, extra=(), timeout=None):
    started = time.monotonic()
    cmd = [PY, "-m", "pytest", path, "-q", "-p", "no:cacheprovider", "-p", "no:odoo", *extra]
    try:
        proc = subprocess.run(cmd, cwd=ROOT, timeout=timeout)
    except subprocess.TimeoutExpired:
        tier.seconds = time.monotonic() - started
        tier.failed, tier.note = 1, f"stopped after {timeout} s (the tier's time limit)"
        return tier
    tier.seconds = time.monotonic() - started
    output_counts = _pytest_counts(path, extra)
    tier.passed, tier.failed = output_counts
    if proc.returncode not in (0, 1) or tier.passed + tier.failed == 0:
        tier.failed = max(tier.failed, 1)
        tier.note = f"pytest exited {proc.returncode} (no test ran or collection failed)"
    return tier


def _pytest_counts(path, extra):
    """Counts from the JUnit report pytest wrote (exact, unlike parsing the console)."""
    report = dbtools.LOCAL / "log" / f"junit-{os.path.basename(path.rstrip('/'))}.xml"
    if not report.exists():
        return 0, 0
    text = report.read_text()
    match = re.search(r'<testsuite [^>]*errors="(\d+)" failures="(\d+)" skipped="(\d+)" tests="(\d+)"', text)
    if not match:
        return 0, 0
    errors, failures, skipped, tests = map(int, match.groups())
    bad = errors + failures + skipped  # a skipped test did not run: it counts as failed here
    return tests - bad, bad


def junit(path):
    report = dbtools.LOCAL / "log" / f"junit-{os.path.basename(path.rstrip('/'))}.xml"
    report.unlink(missing_ok=True)
    return [f"--junitxml={report}"]


def run_lint(tier):
    started = time.monotonic()
    env = dict(os.environ, PATH=f"{os.path.dirname(PY)}:{os.environ['PATH']}")
    proc = subprocess.run(["pre-commit", "run", "--all-files", "--show-diff-on-failure"], cwd=ROOT, env=env)
    tier.seconds = time.monotonic() - started
    tier.passed, tier.failed = (1, 0) if proc.returncode == 0 else (0, 1)
    tier.note = "ruff check, ruff format --check, pylint-odoo (one check)"
    return tier


def run_odoo(tier):
    started = time.monotonic()
    db = f"integration_test_{os.getpid()}"
    log = dbtools.LOCAL / "log" / "odoo-tests.log"
    log.unlink(missing_ok=True)  # Odoo appends to its logfile
    try:
        dbtools.fresh_db(db)
    except Exception as exc:  # noqa: BLE001 - reported as a failed tier
        tier.failed, tier.note = 1, f"could not prepare the database: {exc}"
        tier.seconds = time.monotonic() - started
        return tier
    tags = ",".join(f"/{addon}" for addon in [*dbtools.SUITE_ADDONS, "integration_suite"])
    cmd = dbtools.ODOO + [
        "-d", db, "-i", "integration_suite", "--test-enable", "--test-tags", tags,
        "--stop-after-init", "--log-level=test", "--http-port", str(dbtools.free_port()),
        "--max-cron-threads=0", "--logfile", str(log),
    ]  # fmt: skip
    proc = subprocess.run(cmd)
    tier.seconds = time.monotonic() - started
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    bad = [line for line in lines if ODOO_BAD_LINE.search(line)]
    results = [ODOO_RESULT.search(line) for line in lines]
    results = [m for m in results if m]
    if not results:
        tier.failed, tier.note = (
            1,
            f"Odoo's test runner reported no result (exit {proc.returncode}), see {log}",
        )
    else:
        failed = sum(int(m.group(1)) + int(m.group(2)) for m in results)
        total = sum(int(m.group(3)) for m in results)
        tier.passed, tier.failed = total - failed, failed
        if bad and not failed:
            tier.failed, tier.note = 1, f"{len(bad)} ERROR line(s) in {log}, first: {bad[0][:200]}"
        elif proc.returncode != 0 and not failed:
            tier.failed, tier.note = 1, f"Odoo exited {proc.returncode}, see {log}"
    for line in bad[:20]:
        print("  " + line[:300])
    if tier.ok:
        dbtools.drop_db(db)
    else:
        tier.note = (tier.note + f"; database {db} kept for inspection").lstrip("; ")
    return tier


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("tiers", nargs="*", default=["lint", "unit", "odoo", "e2e", "faults"])
    args = parser.parse_args()
    dbtools.load_env()
    (dbtools.LOCAL / "log").mkdir(exist_ok=True)
    tiers = []
    for name in args.tiers:
        print(f"\n=== {name} " + "=" * 60, flush=True)
        tier = Tier(name)
        if name == "lint":
            run_lint(tier)
        elif name == "unit":
            run_pytest(tier, "tests/unit", junit("tests/unit"))
        elif name == "odoo":
            run_odoo(tier)
        elif name == "e2e":
            run_pytest(tier, "tests/e2e", junit("tests/e2e"))
        elif name == "faults":
            run_pytest(tier, "tests/faults", [*junit("tests/faults"), "-rA"], timeout=FAULTS_TIMEOUT)
        else:
            parser.error(f"unknown tier {name}")
        tiers.append(tier)

    print("\n=== summary " + "=" * 56)
    for tier in tiers:
        status = "ok" if tier.ok else "FAILED"
        counts = f"{tier.passed:4} passed {tier.failed:3} failed {tier.seconds:7.1f} s"
        print(f"{tier.name:6} {status:7} {counts}  {tier.note}")
    passed, failed = sum(t.passed for t in tiers), sum(t.failed for t in tiers)
    print(f"{passed} passed, {failed} failed")
    return 0 if all(t.ok for t in tiers) else 1


if __name__ == "__main__":
    sys.exit(main())
