#!/usr/bin/env bash
# Every test of the project, from a clean clone: installs what it needs
# (idempotently), builds the debug profile once (every native test, with
# clippy's lints) and the wasm-release profile once (the browser test; it
# builds while the native stages run), then runs the stages: rustfmt's and clippy's verdict, the test binary, every
# shipped scenario through the real CLI, a chaos seed sweep, a swarm sweep,
# the render test under Xvfb, and the browser test in chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

# Rendering under Xvfb needs a virtual X server and Mesa's software Vulkan.
need_apt=()
command -v xvfb-run >/dev/null || need_apt+=(xvfb xauth)
dpkg -s mesa-vulkan-drivers >/dev/null 2>&1 || need_apt+=(mesa-vulkan-drivers libvulkan1 libgl1-mesa-dri \
  libegl1 libegl-mesa0 libgl1 libx11-xcb1 libxkbcommon-x11-0 libxcursor1 libxrandr2 libxi6)
# The browser test: Debian's chromium (never a downloaded browser) and Node.
command -v chromium >/dev/null || need_apt+=(chromium fonts-liberation)
command -v npm >/dev/null || need_apt+=(nodejs npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing ${need_apt[*]}"
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

# Lints: rustfmt and clippy, both shipped with the toolchain (added only
# when missing). Clippy runs as the compiler of our own crate during the one
# debug build (RUSTC_WORKSPACE_WRAPPER, which is how `cargo clippy` runs it
# too), so its lints cost no second build of the dependencies, which a
# separate `cargo clippy` (a check build of every crate) would take minutes
# for. Every warning of that build, clippy's included, fails the lint stage:
# the same as `cargo clippy --all-targets -- -D warnings`.
if command -v rustup >/dev/null; then
  for c in clippy rustfmt; do
    rustup component list --installed | grep -q "^$c" || rustup component add "$c"
  done
fi
RUSTC_WORKSPACE_WRAPPER=$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver)
export RUSTC_WORKSPACE_WRAPPER
build_log=$(mktemp)
cargo build --locked --bins --tests --benches 2>&1 | tee "$build_log"
(cd web/test && npm install --no-audit --no-fund --loglevel=error)
# The wasm build runs while the native stages do: its link-time
# optimisation ends in minutes on one core, which those stages use the
# other for. Its output is shown by the "web build" stage below.
web_log=$(mktemp)
./web/build.sh > "$web_log" 2>&1 &
web_pid=$!

passed=0; failed=0
stage() { # name command...
  local name=$1; shift
  echo "== $name"
  if "$@"; then passed=$((passed+1)); else failed=$((failed+1)); echo "STAGE FAILED: $name"; fi
}

lints() {
  local ok=0
  cargo fmt --all -- --check || { echo "rustfmt: the layout differs (run cargo fmt --all)"; ok=1; }
  if grep -E '^(warning|error)(\[|:)' "$build_log"; then # the native build's, every target
    echo "the build above printed warnings (clippy's or rustc's): CI treats them as errors"; ok=1
  fi
  return $ok
}

scenarios() {
  local ok=0
  for f in scenarios/*.ron; do
    if ./target/debug/cqrs-tickets run --scenario "$f" > /tmp/cqrs-tickets-run.txt 2>&1; then
      echo "ok   $f"
    else
      echo "FAIL $f"; cat /tmp/cqrs-tickets-run.txt; ok=1
    fi
  done
  return $ok
}

stage "lints (rustfmt --check, clippy -D warnings)" lints
stage "unit and integration tests" cargo test --locked
stage "every scenario through the CLI" scenarios
stage "seed sweep with chaos (default scenario)" ./target/debug/cqrs-tickets check --seeds 60 --chaos
stage "swarm sweep (random workloads and faults)" ./target/debug/cqrs-tickets check --swarm --seeds 2000
stage "render test (Xvfb, software rendering)" ./scripts/render-test.sh
web_build() {
  if wait "$web_pid"; then tail -n 3 "$web_log"; else cat "$web_log"; return 1; fi
}
stage "web build (wasm-release, for the browser test)" web_build
stage "browser test (wasm in chromium)" node web/test/browser.mjs
echo "stages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
