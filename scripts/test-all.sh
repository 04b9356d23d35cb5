#!/usr/bin/env bash
# Every test of the project, from a clean clone: installs what it needs
# (idempotently), builds the debug profile once, runs the test binary, then
# runs every shipped scenario headless through the real CLI.
set -euo pipefail
cd "$(dirname "$0")/.."

# Nothing outside Rust is needed yet; rendering and browser tests will add
# their apt/npm packages here (guarded, so reruns cost nothing).

cargo build --locked --bins --tests
cargo test --locked

echo "== scenarios through the CLI"
status=0
for f in scenarios/*.ron; do
  if ./target/debug/cqrs-tickets run --scenario "$f" > /tmp/cqrs-tickets-run.txt 2>&1; then
    echo "ok   $f"
  else
    echo "FAIL $f"; cat /tmp/cqrs-tickets-run.txt; status=1
  fi
done
echo "== seed sweep with chaos (default scenario)"
./target/debug/cqrs-tickets check --seeds 60 --chaos || status=1
exit $status
