#!/usr/bin/env bash
# Stop the private PostgreSQL cluster (if this checkout started one) and remove .local/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="$ROOT/.local/pg/data"
if [ -f "$data/PG_VERSION" ]; then
    pgbin="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -1)")"
    owner="$(stat -c '%U' "$data")"
    if [ "$(id -u)" = 0 ] && [ "$owner" != root ]; then
        runuser -u "$owner" -- "$pgbin/pg_ctl" -D "$data" stop -m fast >/dev/null 2>&1 || true
    else
        "$pgbin/pg_ctl" -D "$data" stop -m fast >/dev/null 2>&1 || true
    fi
fi
rm -rf "$ROOT/.local"
echo "removed .local/ (venv, Odoo source, PostgreSQL cluster, logs)"
