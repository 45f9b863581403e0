#!/usr/bin/env bash
# One idempotent bootstrap for every make target:
#   1. a virtual environment in .local/venv with Odoo's and the project's requirements
#   2. Odoo 19.0: an importable `odoo`, else ODOO_SRC (folder or tarball), else the official source
#   3. PostgreSQL: the server named by PG* variables, else a private cluster in .local/pg
#   4. .local/odoo.conf and .local/env.sh, read by setup/odoo (the one wrapper to run Odoo)
# Re-running it is cheap: each step checks a stamp and skips work already done.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"
VENV="$LOCAL/venv"
PY="${PYTHON:-python3}"
mkdir -p "$LOCAL"

say() { printf '[bootstrap] %s\n' "$*"; }
die() { printf '[bootstrap] ERROR: %s\n' "$*" >&2; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
    say "installing Debian packages: $*"
    if [ ! -f "$LOCAL/.apt-updated" ]; then
        as_root apt-get update -qq >/dev/null && touch "$LOCAL/.apt-updated"
    fi
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- system packages --------------------------------------------------------
# Build headers for psycopg2/lxml, libmagic for python-magic, chromium for Odoo's UI tours,
# wkhtmltopdf for the quotation PDF that contract management sends for signature.
need_pkgs=()
command -v pg_config >/dev/null || need_pkgs+=(libpq-dev)
[ -e /usr/include/libxml2/libxml/xmlversion.h ] || need_pkgs+=(libxml2-dev)
[ -e /usr/include/libxslt/xslt.h ] || need_pkgs+=(libxslt1-dev)
ldconfig -p 2>/dev/null | grep -q 'libmagic.so.1' || need_pkgs+=(libmagic1)
command -v chromium >/dev/null || need_pkgs+=(chromium)
command -v wkhtmltopdf >/dev/null || need_pkgs+=(wkhtmltopdf)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ -n "${PGHOST:-}${PGPORT:-}" ] || need_pkgs+=(postgresql)
if [ ${#need_pkgs[@]} -gt 0 ]; then apt_install "${need_pkgs[@]}"; fi

# --- virtual environment ----------------------------------------------------
system_has_odoo=0
if "$PY" -c 'import odoo.release' >/dev/null 2>&1; then system_has_odoo=1; fi
if [ ! -x "$VENV/bin/python" ]; then
    say "creating virtual environment in .local/venv"
    if [ "$system_has_odoo" = 1 ]; then
        "$PY" -m venv --system-site-packages "$VENV"
    else
        "$PY" -m venv "$VENV"
    fi
fi
VPY="$VENV/bin/python"
# setuptools>=70,<81: older ones cannot read zope.interface 8 metadata, newer ones have no
# pkg_resources; either way Odoo's gevent worker crash-loops in multi-worker mode.
if [ ! -f "$LOCAL/.stamp-pip-base" ]; then
    "$VPY" -m pip install -q --upgrade pip 'setuptools>=70,<81' wheel
    touch "$LOCAL/.stamp-pip-base"
fi

# --- Odoo source ------------------------------------------------------------
ODOO_DIR=""
if "$VPY" -c 'import odoo.release' >/dev/null 2>&1 && [ ! -f "$LOCAL/odoo-src.path" ]; then
    ODOO_DIR="$("$VPY" -c 'import odoo, os; print(os.path.dirname(list(odoo.__path__)[0]))')"
    say "using the importable odoo at $ODOO_DIR"
elif [ -f "$LOCAL/odoo-src.path" ] && [ -z "${ODOO_SRC:-}" ]; then
    ODOO_DIR="$(cat "$LOCAL/odoo-src.path")"
elif [ -n "${ODOO_SRC:-}" ]; then
    if [ -d "$ODOO_SRC" ]; then
        ODOO_DIR="$(cd "$ODOO_SRC" && pwd)"
    elif [ -f "$ODOO_SRC" ]; then
        stamp="$(stat -c '%s-%Y' "$ODOO_SRC")"
        if [ "$(cat "$LOCAL/odoo-src/.from" 2>/dev/null)" != "$ODOO_SRC $stamp" ]; then
            say "unpacking $ODOO_SRC into .local/odoo-src"
            rm -rf "$LOCAL/odoo-src" && mkdir -p "$LOCAL/odoo-src"
            tar -xf "$ODOO_SRC" -C "$LOCAL/odoo-src"
            echo "$ODOO_SRC $stamp" > "$LOCAL/odoo-src/.from"
        fi
        ODOO_DIR="$(dirname "$(find "$LOCAL/odoo-src" -maxdepth 3 -name odoo-bin | head -1)")"
    else
        die "ODOO_SRC=$ODOO_SRC is neither a folder nor a tarball"
    fi
elif timeout 20 git ls-remote --exit-code https://github.com/odoo/odoo refs/heads/19.0 >/dev/null 2>&1; then
    say "cloning the official Odoo 19.0 source into .local/odoo-src (shallow)"
    rm -rf "$LOCAL/odoo-src"
    git clone -q --depth 1 --branch 19.0 https://github.com/odoo/odoo "$LOCAL/odoo-src/odoo"
    ODOO_DIR="$LOCAL/odoo-src/odoo"
else
    die "Odoo 19.0 not found: no importable 'odoo', ODOO_SRC is not set and the official source is unreachable. Set ODOO_SRC to an Odoo 19.0 source folder or .tar.xz/.tar.gz (for example ../shared/odoo/odoo-19.0-community-trimmed.tar.xz)."
fi
[ -f "$ODOO_DIR/odoo/release.py" ] || die "no odoo/release.py under $ODOO_DIR: ODOO_SRC must hold Odoo's source"
grep -q "version_info = (19, 0" "$ODOO_DIR/odoo/release.py" || die "$ODOO_DIR is not Odoo 19.0"
echo "$ODOO_DIR" > "$LOCAL/odoo-src.path"

# `odoo` is a namespace package: a .pth file makes it importable in the venv.
site="$("$VPY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "$ODOO_DIR" > "$site/odoo-src.pth"

# --- Python requirements ----------------------------------------------------
# python-ldap is left out: only auth_ldap uses it, it is not installed here, and it needs
# the LDAP/SASL headers to build.
req_sum="$( (cat "$ODOO_DIR/requirements.txt" "$ROOT/setup/requirements.txt") | sha1sum | cut -c1-12)"
if [ "$(cat "$LOCAL/.stamp-pip-reqs" 2>/dev/null)" != "$req_sum" ]; then
    say "installing Odoo's and the project's Python requirements"
    grep -viE '^python-ldap' "$ODOO_DIR/requirements.txt" > "$LOCAL/odoo-requirements.txt"
    "$VPY" -m pip install -q -r "$LOCAL/odoo-requirements.txt" -r "$ROOT/setup/requirements.txt" \
        'setuptools>=70,<81'
    echo "$req_sum" > "$LOCAL/.stamp-pip-reqs"
fi

# --- Salesforce Pub/Sub API stubs -------------------------------------------
# Generated from the project's own .proto into the venv as the package `salesforce_pubsub`
# (never committed); regenerated when the .proto or grpcio-tools changes.
PROTO="$ROOT/integration_salesforce/proto/pubsub_api.proto"
proto_sum="$( (cat "$PROTO"; "$VPY" -m pip show grpcio-tools 2>/dev/null | grep '^Version') | sha1sum | cut -c1-12)"
if [ "$(cat "$LOCAL/.stamp-pubsub-stubs" 2>/dev/null)" != "$proto_sum" ] || [ ! -f "$site/salesforce_pubsub/pubsub_api_pb2_grpc.py" ]; then
    say "generating the Salesforce Pub/Sub API stubs (grpcio-tools)"
    rm -rf "$LOCAL/pubsub-proto" "$site/salesforce_pubsub"
    mkdir -p "$LOCAL/pubsub-proto/salesforce_pubsub" "$site/salesforce_pubsub"
    cp "$PROTO" "$LOCAL/pubsub-proto/salesforce_pubsub/pubsub_api.proto"
    "$VPY" -m grpc_tools.protoc -I "$LOCAL/pubsub-proto" --python_out="$site" --grpc_python_out="$site" \
        "$LOCAL/pubsub-proto/salesforce_pubsub/pubsub_api.proto"
    echo '"""Generated by setup/bootstrap.sh from integration_salesforce/proto/pubsub_api.proto."""' \
        > "$site/salesforce_pubsub/__init__.py"
    echo "$proto_sum" > "$LOCAL/.stamp-pubsub-stubs"
fi

# --- PostgreSQL -------------------------------------------------------------
if [ -n "${PGHOST:-}${PGPORT:-}" ]; then
    say "using the PostgreSQL server from the PG* environment (${PGHOST:-localhost}:${PGPORT:-5432})"
    DB_HOST="${PGHOST:-localhost}"; DB_PORT="${PGPORT:-5432}"
    DB_USER="${PGUSER:-$(id -un)}"; DB_PASSWORD="${PGPASSWORD:-}"
    PG_RUN_AS=""
else
    PGBIN="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")"
    PGDIR="$LOCAL/pg"
    # The server refuses to run as root: run it as the `postgres` system user (made by the
    # Debian package) and let it traverse to the ignored folder.
    PG_RUN_AS=""
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
        PG_RUN_AS="postgres"
        d="$LOCAL"
        while [ "$d" != "/" ]; do
            [ "$(stat -c '%A' "$d" | cut -c10)" = x ] || chmod o+x "$d"
            d="$(dirname "$d")"
        done
    fi
    run_pg() { if [ -n "$PG_RUN_AS" ]; then runuser -u "$PG_RUN_AS" -- "$@"; else "$@"; fi; }
    mkdir -p "$PGDIR"
    [ -z "$PG_RUN_AS" ] || chown "$PG_RUN_AS" "$PGDIR"
    # Unix sockets have a 107-byte path limit: fall back to /tmp for deep checkouts.
    SOCK="$PGDIR/run"
    [ ${#SOCK} -lt 80 ] || SOCK="/tmp/integration-suite-$(echo "$ROOT" | sha1sum | cut -c1-8)"
    mkdir -p "$SOCK"
    [ -z "$PG_RUN_AS" ] || chown "$PG_RUN_AS" "$SOCK"
    if [ ! -f "$PGDIR/data/PG_VERSION" ]; then
        say "creating a private PostgreSQL cluster in .local/pg (superuser role: odoo)"
        run_pg "$PGBIN/initdb" -D "$PGDIR/data" -U odoo -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
    fi
    if ! run_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" status >/dev/null 2>&1; then
        port="$("$VPY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
        say "starting PostgreSQL on 127.0.0.1:$port"
        # A throwaway cluster for tests and the demo: durability settings traded for speed.
        run_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 60 start -o \
            "-p $port -k $SOCK -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
        echo "$port" > "$PGDIR/port"
    fi
    DB_HOST="127.0.0.1"; DB_PORT="$(cat "$PGDIR/port")"; DB_USER="odoo"; DB_PASSWORD=""
fi

# --- Odoo configuration and environment -------------------------------------
mkdir -p "$LOCAL/addons" "$LOCAL/data" "$LOCAL/log"
# The repo root is the addon `integration_suite`, whatever the checkout folder is called.
ln -sfn "$ROOT" "$LOCAL/addons/integration_suite"
cat > "$LOCAL/odoo.conf" <<EOF
[options]
addons_path = $ODOO_DIR/odoo/addons,$ODOO_DIR/addons,$ROOT,$LOCAL/addons
data_dir = $LOCAL/data
db_host = $DB_HOST
db_port = $DB_PORT
db_user = $DB_USER
${DB_PASSWORD:+db_password = $DB_PASSWORD}
admin_passwd = admin
; integration_core is server-wide so that its webhook answers 503 (retry later) instead of
; 404 when the database cannot be opened.
server_wide_modules = base,rpc,web,integration_core
http_interface = 127.0.0.1
limit_time_cpu = 600
limit_time_real = 1200
max_cron_threads = 1
EOF
cat > "$LOCAL/env.sh" <<EOF
export INTEGRATION_ROOT="$ROOT"
export ODOO_DIR="$ODOO_DIR"
export ODOO_RC="$LOCAL/odoo.conf"
export VENV="$VENV"
export PGHOST="$DB_HOST" PGPORT="$DB_PORT" PGUSER="$DB_USER" PGDATABASE=postgres
export PGPASSWORD="$DB_PASSWORD"
EOF
"$VPY" -c 'import odoo.release as r; assert r.version_info[:2] == (19, 0), r.version' \
    || die "odoo in the venv is not 19.0"
say "ready: Odoo $("$VPY" -c 'import odoo.release as r; print(r.version)') from $ODOO_DIR, PostgreSQL $DB_HOST:$DB_PORT as $DB_USER"
