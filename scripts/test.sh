#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds the admin bundle and the binary,
# then runs every test (SQLite and PostgreSQL, the headless-browser loop, theme-check).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mkdir -p .attune
scripts/setup.sh test
if [ -z "${ATTUNE_TEST_POSTGRES_URL:-}" ] && [ -f .attune/postgres-url ]; then
  export ATTUNE_TEST_POSTGRES_URL=$(cat .attune/postgres-url)
fi
scripts/build-frontend.sh
cargo build -p attune-server --bin attune
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast "$@"
else
  cargo test --workspace --no-fail-fast "$@"
fi
