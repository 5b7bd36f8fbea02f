#!/usr/bin/env bash
# One command for a fresh machine: install what is missing, build, load the demo shop and
# serve the admin (/admin) and a demo storefront (/demo). Ctrl-C stops it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh demo
scripts/build-frontend.sh
exec cargo run -p attune-server --bin attune -- demo "$@"
