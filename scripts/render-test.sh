#!/usr/bin/env bash
# Render test under Xvfb with software rendering (Mesa lavapipe): `shot` at
# three ticks of the default script and in every view; the PNGs must not be
# blank, must differ where the state differs, and the burst frame must hold
# more coloured pixels (particles, bursts) than the boot frame.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-./target/debug/cqrs-tickets}
OUT=${OUT:-out/render}
mkdir -p "$OUT"

shot() { # tick view file
  xvfb-run -a -s "-screen 0 1280x720x24" "$BIN" shot --scenario scenarios/default.ron --seed 1 \
    --tick "$1" --view "$2" --out "$OUT/$3" --size 1280x720 > "$OUT/$3.log" 2>&1 \
    || { echo "shot $3 failed:"; cat "$OUT/$3.log"; exit 1; }
  test -s "$OUT/$3" || { echo "no PNG for $3"; cat "$OUT/$3.log"; exit 1; }
}

shot 30 system boot.png
shot 1345 system stampede.png
shot 1790 system burst.png
for v in command events queries vendors; do shot 1790 "$v" "view-$v.png"; done

python3 - "$OUT" <<'PY'
import json, subprocess, sys
out = sys.argv[1]
def st(a, b=None):
    args = ["python3", "scripts/pngstat.py", f"{out}/{a}"] + ([f"{out}/{b}"] if b else [])
    return json.loads(subprocess.check_output(args))
fails = []
boot, stamp, burst = st("boot.png", "burst.png"), st("stampede.png", "burst.png"), st("burst.png")
for name, s in [("boot", boot), ("stampede", stamp), ("burst", burst)]:
    print(name, s)
    if s["std"] < 8: fails.append(f"{name} looks blank (std {s['std']})")
if boot["differing_pixels"] < 2000: fails.append("boot and burst frames barely differ")
if stamp["differing_pixels"] < 2000: fails.append("stampede and burst frames barely differ")
if burst["colored_pixels"] <= boot["colored_pixels"]: fails.append("no more coloured pixels during the burst than at boot")
for v in ["command", "events", "queries", "vendors"]:
    s = st(f"view-{v}.png", "burst.png")
    print(v, s)
    if s["std"] < 8: fails.append(f"{v} view looks blank")
    if s["differing_pixels"] < 20000: fails.append(f"{v} view shows no table over the map")
if fails:
    print("RENDER TEST FAILED:\n  " + "\n  ".join(fails)); sys.exit(1)
print("render test: 7 screenshots ok")
PY
