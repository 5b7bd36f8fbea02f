#!/usr/bin/env bash
# Installs the wasm-bindgen CLI at exactly the version Cargo.lock resolves for the
# `wasm-bindgen` crate (the two must match or the generated JS glue is rejected).
# `cargo install --locked` of 0.2.130 fails because its lockfile pins a webpki-roots
# release the registry no longer serves; we then rebuild from the same source with
# that single dependency moved to a served release.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=${WASM_BINDGEN_VERSION:-$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' "$root/Cargo.lock")}
[ -n "$version" ] || { echo "cannot read the wasm-bindgen version from Cargo.lock" >&2; exit 1; }
if command -v wasm-bindgen >/dev/null && [ "$(wasm-bindgen --version | awk '{print $2}')" = "$version" ]; then
  exit 0
fi
echo "installing wasm-bindgen-cli $version"
if cargo install wasm-bindgen-cli --version "$version" --locked; then exit 0; fi
echo "locked install failed; rebuilding from the cached source with webpki-roots moved to a served release"
crate=$(ls "$HOME"/.cargo/registry/cache/*/wasm-bindgen-cli-"$version".crate 2>/dev/null | head -n1 || true)
if [ -z "$crate" ]; then
  (cd /tmp && cargo info "wasm-bindgen-cli@$version" >/dev/null)
  crate=$(ls "$HOME"/.cargo/registry/cache/*/wasm-bindgen-cli-"$version".crate | head -n1)
fi
work=$(mktemp -d)
tar -xzf "$crate" -C "$work"
cd "$work/wasm-bindgen-cli-$version"
cargo update -p webpki-roots --precise 1.0.10
cargo install --path . --locked
rm -rf "$work"
