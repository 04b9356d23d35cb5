#!/usr/bin/env bash
# Regenerates the map's fonts and their metrics: DejaVu Sans Condensed,
# regular and bold (Debian's fonts-dejavu-core; Bitstream Vera licence, see
# assets/fonts/LICENSE-DejaVu.txt), cut down to Latin, punctuation, arrows
# and the few symbols the map draws, then the advance width of every glyph
# the layout measures (src/view/font_metrics.rs), so the pure layout code
# knows how wide a label is without loading a font.
# Needs `pip install fonttools`.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=/usr/share/fonts/truetype/dejavu
UNI="U+0020-007E,U+00A0-017F,U+2010-2027,U+2030-203A,U+2190-21FF,U+2212,U+2264-2265,U+00D7,U+2713-2718,U+25A0-25FF,U+2B95"
for w in "" "-Bold"; do
  out=assets/fonts/map-sans${w,,}.ttf
  pyftsubset "$SRC/DejaVuSansCondensed$w.ttf" --unicodes="$UNI" --output-file="$out" \
    --no-hinting --desubroutinize --layout-features='kern'
  ls -l "$out"
done
python3 tools/font_metrics.py assets/fonts/map-sans.ttf assets/fonts/map-sans-bold.ttf > src/view/font_metrics.rs
echo "src/view/font_metrics.rs written"
