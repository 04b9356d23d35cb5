#!/usr/bin/env bash
# Serves web/dist/ (built by web/build.sh) on http://127.0.0.1:PORT/ (default 8080).
set -euo pipefail
cd "$(dirname "$0")/dist"
exec python3 -m http.server "${1:-8080}" --bind 127.0.0.1
