# The two commands of the README: `make demo` and `make test`. Every target bootstraps first.
PY := .local/venv/bin/python

.PHONY: bootstrap demo test lint unit odoo-tests e2e bench clean

bootstrap:
	@bash setup/bootstrap.sh

demo: bootstrap
	@$(PY) setup/demo.py

test: bootstrap
	@$(PY) setup/run_tests.py lint unit odoo e2e

lint: bootstrap
	@$(PY) setup/run_tests.py lint

unit: bootstrap
	@$(PY) setup/run_tests.py unit

odoo-tests: bootstrap
	@$(PY) setup/run_tests.py odoo

e2e: bootstrap
	@$(PY) setup/run_tests.py e2e

bench: bootstrap
	@$(PY) bench/run.py

# Stops the private PostgreSQL cluster and removes everything the bootstrap made.
clean:
	@bash setup/clean.sh
