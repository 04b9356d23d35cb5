#!/usr/bin/env bash
# Every test of the project, from a clean clone: installs what it needs
# (idempotently), builds the debug profile once (every native test) and the
# wasm-release profile once (the browser test), then runs the stages: the
# test binary, every shipped scenario through the real CLI, a chaos seed
# sweep, the render test under Xvfb, and the browser test in chromium.
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

cargo build --locked --bins --tests
./web/build.sh
(cd web/test && npm install --no-audit --no-fund --loglevel=error)

passed=0; failed=0
stage() { # name command...
  local name=$1; shift
  echo "== $name"
  if "$@"; then passed=$((passed+1)); else failed=$((failed+1)); echo "STAGE FAILED: $name"; fi
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

stage "unit and integration tests" cargo test --locked
stage "every scenario through the CLI" scenarios
stage "seed sweep with chaos (default scenario)" ./target/debug/cqrs-tickets check --seeds 60 --chaos
stage "swarm sweep (random workloads and faults)" ./target/debug/cqrs-tickets check --swarm --seeds 2000
stage "render test (Xvfb, software rendering)" ./scripts/render-test.sh
stage "browser test (wasm in chromium)" node web/test/browser.mjs
echo "stages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
