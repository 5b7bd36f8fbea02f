#!/usr/bin/env bash
# Installs what Attune needs on a fresh machine of this kind (Debian, Rust via rustup, root).
#   scripts/setup.sh demo   wasm target + the pinned wasm-bindgen CLI
#   scripts/setup.sh test   the above + Chromium/ChromeDriver, theme-check, a running PostgreSQL
# Idempotent: anything already present is left alone.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
what=${1:-demo}

say() { printf '==> %s\n' "$*" >&2; }

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing ${missing[*]}"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
"$root/scripts/install-wasm-bindgen.sh"

[ "$what" = test ] || exit 0

apt_install chromium chromium-driver

command -v node >/dev/null || apt_install nodejs npm
oracle_src="$root/../shared/oracles/theme-check"
oracle_dst="$root/.attune/oracles/theme-check"
if [ ! -d "$oracle_dst/node_modules/@shopify/theme-check-node" ]; then
  [ -d "$oracle_src" ] || { echo "theme-check oracle not found at $oracle_src" >&2; exit 1; }
  say "installing theme-check into .attune/oracles"
  mkdir -p "$oracle_dst"
  cp "$oracle_src"/package*.json "$oracle_src"/*.mjs "$oracle_dst"/
  (cd "$oracle_dst" && npm install --no-audit --no-fund --silent)
fi

shopify_src="$root/../shared/oracles/shopify"
shopify_dst="$root/.attune/oracles/shopify"
if [ ! -d "$shopify_dst/node_modules/@shopify/shopify-api" ]; then
  [ -d "$shopify_src" ] || { echo "Shopify oracle not found at $shopify_src" >&2; exit 1; }
  say "installing Shopify's Node library (the oracle) into .attune/oracles"
  mkdir -p "$shopify_dst"
  cp "$shopify_src"/package*.json "$shopify_src"/oracle.mjs "$shopify_dst"/
  (cd "$shopify_dst" && npm install --no-audit --no-fund --silent)
fi
graphql_src="$root/../shared/oracles/graphql"
graphql_dst="$root/.attune/oracles/graphql"
if [ ! -d "$graphql_dst/node_modules/graphql" ]; then
  [ -d "$graphql_src" ] || { echo "GraphQL schema oracle not found at $graphql_src" >&2; exit 1; }
  say "installing the Admin GraphQL schema validator into .attune/oracles"
  mkdir -p "$graphql_dst"
  cp "$graphql_src"/package*.json "$graphql_src"/validate.mjs "$graphql_src"/admin_2026-10.json.gz "$graphql_dst"/
  (cd "$graphql_dst" && npm install --no-audit --no-fund --silent)
fi
# GrowthBook's stats engine (PyPI gbstats), the oracle for the experiment statistics, in its own
# virtual environment.
gbstats_dst="$root/.attune/oracles/gbstats"
if ! "$gbstats_dst/bin/python" -c 'import gbstats' >/dev/null 2>&1; then
  say "installing GrowthBook's stats engine (gbstats) into .attune/oracles"
  command -v python3 >/dev/null || apt_install python3 python3-venv
  python3 -m venv "$gbstats_dst" || { apt_install python3-venv && python3 -m venv "$gbstats_dst"; }
  "$gbstats_dst/bin/pip" install --quiet --disable-pip-version-check gbstats==0.8.0
fi
cp "$root/tests/oracle/gbstats-batch.py" "$gbstats_dst/"

# BigCommerce's Python client and the Standard Webhooks reference library, the oracles for
# BigCommerce's signed payloads and webhook signatures, in their own virtual environment.
bc_dst="$root/.attune/oracles/bigcommerce"
if ! "$bc_dst/bin/python" -c 'import bigcommerce, standardwebhooks, jwt; assert jwt.__version__ == "2.15.1"' >/dev/null 2>&1; then
  say "installing BigCommerce's Python client and standardwebhooks into .attune/oracles"
  python3 -m venv "$bc_dst" || { apt_install python3-venv && python3 -m venv "$bc_dst"; }
  "$bc_dst/bin/pip" install --quiet --disable-pip-version-check bigcommerce==0.23.4 pyjwt==2.15.1 standardwebhooks==1.1.0
fi
cp "$root/tests/oracle/bigcommerce-batch.py" "$bc_dst/"

# Our batch runner sits beside the oracle so it resolves the same node_modules.
cp "$root/tests/oracle/shopify-batch.mjs" "$shopify_dst/"

# PostgreSQL: the machines of this kind run one at 127.0.0.1:5432 with trust auth; on a
# machine without it, install and start one, and tell the tests how to reach it.
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if ! command -v pg_ctlcluster >/dev/null; then
    apt_install postgresql
  fi
  cluster=$(ls /etc/postgresql | sort -V | tail -n1)
  say "starting PostgreSQL $cluster"
  pg_ctlcluster --skip-systemctl-redirect "$cluster" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL did not start" >&2; exit 1; }
fi
if ! psql "${ATTUNE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}" -qAtc 'select 1' >/dev/null 2>&1; then
  # A default Debian install asks for a password over TCP: give the test user one.
  say "setting a password for the postgres test user"
  su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
  echo "postgres://postgres:postgres@127.0.0.1:5432/postgres" > "$root/.attune/postgres-url"
fi
