#!/usr/bin/env bash
# Builds the Leptos admin to wasm and generates its JS glue into public/admin/pkg/.
# ATTUNE_WASM_PROFILE=wasm-release gives the small production bundle (slower to build).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
profile=${ATTUNE_WASM_PROFILE:-dev}
target_dir=${CARGO_TARGET_DIR:-$root/target}
case "$profile" in dev) out=debug ;; *) out=$profile ;; esac
cargo build -p attune-frontend --lib --target wasm32-unknown-unknown --profile "$profile"
rm -rf public/admin/pkg
wasm-bindgen --target web --no-typescript --out-dir public/admin/pkg --out-name attune_frontend \
  "$target_dir/wasm32-unknown-unknown/$out/attune_frontend.wasm"
echo "admin bundle: $(du -sh public/admin/pkg | cut -f1) in public/admin/pkg"
