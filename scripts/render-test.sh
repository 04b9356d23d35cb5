#!/usr/bin/env bash
# Render test under Xvfb with software rendering (Mesa lavapipe): `shot`s of
# the default script at the steps the README shows (boot, the hold, the race,
# the stampede, the burst), one with a safeguard switched off, a five-vendor
# world, every table view, the Sequence view, and one at 1920x1080. The PNGs must not be blank,
# must differ where the state differs, the burst frame must hold more
# coloured pixels (entities, particles) than the boot frame, and a broken
# safeguard must show (red) where the same tick with every safeguard on
# does not.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-./target/debug/cqrs-tickets}
OUT=${OUT:-out/render}
mkdir -p "$OUT"

shot() { # file scenario tick view size [extra args]
  local file=$1 sc=$2 tick=$3 view=$4 size=$5; shift 5
  xvfb-run -a -s "-screen 0 ${size}x24" "$BIN" shot --scenario "scenarios/$sc.ron" --seed 1 \
    --tick "$tick" --view "$view" --out "$OUT/$file" --size "$size" "$@" > "$OUT/$file.log" 2>&1 \
    || { echo "shot $file failed:"; cat "$OUT/$file.log"; exit 1; }
  test -s "$OUT/$file" || { echo "no PNG for $file"; cat "$OUT/$file.log"; exit 1; }
}

shot boot.png default 30 system 1280x720
shot hold.png default 95 system 1280x720
shot race.png default 206 system 1280x720
shot stampede.png default 1342 system 1280x720
shot burst.png default 1790 system 1280x720
shot safe-1500.png default 1500 system 1280x720
shot idempotency-off.png default 1500 system 1280x720 --disable idempotency
shot five-vendors.png five_vendors 110 system 1280x720
shot burst-1080p.png default 1790 system 1920x1080
for v in command events queries vendors; do shot "view-$v.png" default 1790 "$v" 1280x720; done
shot view-sequence.png default 297 sequence 1280x720

python3 - "$OUT" <<'PY'
import json, subprocess, sys
out = sys.argv[1]
def st(a, b=None):
    args = ["python3", "scripts/pngstat.py", f"{out}/{a}"] + ([f"{out}/{b}"] if b else [])
    return json.loads(subprocess.check_output(args))
fails = []
for name in ["boot", "hold", "race", "stampede", "burst", "five-vendors", "burst-1080p"]:
    s = st(f"{name}.png")
    print(name, s)
    if s["std"] < 8: fails.append(f"{name} looks blank (std {s['std']})")
boot, burst = st("boot.png", "burst.png"), st("burst.png")
if boot["differing_pixels"] < 2000: fails.append("boot and burst frames barely differ")
if st("stampede.png", "burst.png")["differing_pixels"] < 2000: fails.append("stampede and burst frames barely differ")
if st("hold.png", "race.png")["differing_pixels"] < 2000: fails.append("hold and race frames barely differ")
if burst["colored_pixels"] <= boot["colored_pixels"]: fails.append("no more coloured pixels during the burst than at boot")
off, on = st("idempotency-off.png", "safe-1500.png"), st("safe-1500.png")
print("idempotency off", off, "\nevery safeguard on", on)
if off["differing_pixels"] < 2000: fails.append("switching idempotency off changes nothing on the map")
if off["red_pixels"] < on["red_pixels"] + 300: fails.append("the broken rule does not show red on the map")
if st("five-vendors.png", "hold.png")["differing_pixels"] < 2000: fails.append("the five-vendor map looks like the default one")
for v in ["command", "events", "queries", "vendors", "sequence"]:
    s = st(f"view-{v}.png", "burst.png")
    print(v, s)
    if s["std"] < 8: fails.append(f"{v} view looks blank")
    if s["differing_pixels"] < 20000: fails.append(f"{v} view shows no table over the map")
if fails:
    print("RENDER TEST FAILED:\n  " + "\n  ".join(fails)); sys.exit(1)
print("render test: 15 screenshots ok")
PY
