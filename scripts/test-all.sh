#!/usr/bin/env bash
# Every test of the project, from a clean clone: installs what it needs
# (idempotently), builds the debug profile once, runs the test binary, then
# runs every shipped scenario headless through the real CLI.
set -euo pipefail
cd "$(dirname "$0")/.."

# Rendering under Xvfb needs a virtual X server and Mesa's software Vulkan.
need_apt=()
command -v xvfb-run >/dev/null || need_apt+=(xvfb xauth)
dpkg -s mesa-vulkan-drivers >/dev/null 2>&1 || need_apt+=(mesa-vulkan-drivers libvulkan1 libgl1-mesa-dri \
  libegl1 libegl-mesa0 libgl1 libx11-xcb1 libxkbcommon-x11-0 libxcursor1 libxrandr2 libxi6)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing ${need_apt[*]}"
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

cargo build --locked --bins --tests

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
stage "render test (Xvfb, software rendering)" ./scripts/render-test.sh
echo "stages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
