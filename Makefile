# The two commands of the README: `make demo` and `make test`. Every target bootstraps first.
PY := .local/venv/bin/python

.PHONY: bootstrap demo test lint unit odoo-tests e2e faults bench clean

bootstrap:
	@bash setup/bootstrap.sh

demo: bootstrap
	@$(PY) setup/demo.py

test: bootstrap
	@$(PY) setup/run_tests.py lint unit odoo e2e faults

lint: bootstrap
	@$(PY) setup/run_tests.py lint

unit: bootstrap
	@$(PY) setup/run_tests.py unit

odoo-tests: bootstrap
	@$(PY) setup/run_tests.py odoo

e2e: bootstrap
	@$(PY) setup/run_tests.py e2e

# The fault suite (tests/faults): fuzzing every kind, kill -9 of the cron worker, a vendor
# outage, out-of-order deliveries; its figures are printed at the end and kept in .local/log.
faults: bootstrap
	@$(PY) setup/run_tests.py faults

bench: bootstrap
	@$(PY) bench/run.py

# Stops the private PostgreSQL cluster and removes everything the bootstrap made.
clean:
	@bash setup/clean.sh
