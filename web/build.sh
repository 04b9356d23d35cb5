#!/usr/bin/env bash
# Builds the browser version into web/dist/ (index.html, the JS glue, the
# .wasm, the assets; the scenarios are compiled in) with the wasm-release
# profile. Installs the wasm32 target and the wasm-bindgen-cli matching
# Cargo.lock only when they are missing. Usage: web/build.sh
# (CARGO_TARGET_DIR, if set, is where cargo builds, as for any cargo command.)
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
# The CLI must be exactly the wasm-bindgen version the crate links.
want=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  echo "== installing wasm-bindgen-cli $want (found '${have:-none}')"
  # Not --locked: its lockfile names a crate version the registry lacks.
  cargo install wasm-bindgen-cli --version "$want"
fi

cargo build --locked --profile wasm-release --target wasm32-unknown-unknown --bin cqrs-tickets
rm -rf web/dist
mkdir -p web/dist
wasm-bindgen --target web --no-typescript --out-dir web/dist \
  "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm-release/cqrs-tickets.wasm"
cp web/index.html web/dist/
cp -r assets web/dist/assets
wasm=web/dist/cqrs-tickets_bg.wasm
echo "web/dist ready: $(du -h "$wasm" | cut -f1) wasm, $(gzip -9c "$wasm" | wc -c | awk '{printf "%.1f MB", $1/1048576}') gzipped"
