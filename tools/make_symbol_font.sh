#!/usr/bin/env bash
# Regenerates assets/fonts/symbols.ttf: the arrows and the few symbols the
# overlay and the scenario texts use that egui's built-in fonts lack, cut
# out of DejaVu Sans (Debian's fonts-dejavu-core; Bitstream Vera licence,
# see assets/fonts/LICENSE-DejaVu.txt). Needs `pip install fonttools`.
set -euo pipefail
cd "$(dirname "$0")/.."
pyftsubset /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf \
  --unicodes="U+2190-21FF,U+2212,U+2264-2265,U+00B7,U+00D7,U+2013-2014,U+2026,U+25B6,U+25CB,U+2714,U+2718" \
  --output-file=assets/fonts/symbols.ttf --no-hinting --desubroutinize
ls -l assets/fonts/symbols.ttf
