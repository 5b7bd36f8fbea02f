#!/usr/bin/env bash
# HTTP load benchmarks on this machine, with wrk sharing the cores with the server:
#   scripts/bench-http.sh                      # SQLite (a fresh file)
#   scripts/bench-http.sh postgres://postgres@127.0.0.1:5432/attune_bench   # PostgreSQL
# 1. A product-page widget (frequently bought together) on the demo shop, anonymous shopper:
#    wrk -t2 -c64 -d30s --latency.
# 2. Durable event ingestion: batches of 20 events over HTTP (scripts/bench/events.lua),
#    wrk -t2 -c64 -d30s; events/s = requests/s x 20, counted again in the database afterwards.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y wrk >/dev/null; }
cargo build --release -p attune-server --bin attune
work=$(mktemp -d)
url=${1:-sqlite://$work/bench.db?mode=rwc}
if [[ "$url" == postgres* ]]; then
  base=${url%/*}; name=${url##*/}
  psql "$base/postgres" -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ATTUNE__DATABASE__URL="$url" ATTUNE__SERVER__PORT=$port RUST_LOG=warn \
  target/release/attune demo >"$work/server.log" 2>&1 &
server=$!
# errexit applies inside traps too: every step may fail (the server is usually gone by then).
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work" || true' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
token=$(curl -sf -X POST "http://127.0.0.1:$port/api/admin/demo/session" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
widget=$(curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/admin/widgets" \
  | python3 -c 'import json,sys; print([w["id"] for w in json.load(sys.stdin)["widgets"] if w["placement"]=="product_page"][0])')
product=$(curl -sf "http://127.0.0.1:$port/storefront/recommendations?widget=$widget" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["products"][0]["id"])')
pdp="http://127.0.0.1:$port/storefront/recommendations?widget=$widget&product=$product"
curl -sf "$pdp" >/dev/null
echo "== product-page widget: $pdp"
wrk -t2 -c64 -d30s --latency "$pdp"
echo "== events: batches of 20"
wrk -t2 -c64 -d30s --latency -s scripts/bench/events.lua "http://127.0.0.1:$port" -- attune-demo.myshopify.com "$product"
echo "server RSS: $(ps -o rss= -p $server) KiB"
kill -TERM $server; wait $server 2>/dev/null || true
# Every acknowledged event must be in the database.
if [[ "$url" == postgres* ]]; then
  stored=$(psql "$url" -tAc "SELECT count(*) FROM storefront_events")
else
  stored=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from storefront_events').fetchone()[0])" "$work/bench.db")
fi
echo "events stored: $stored"
