//! How wide a line of map text is, from the map fonts' own advance widths
//! (see `font_metrics.rs`), and cutting a line to a width with an ellipsis.
//! Pure functions: the layout measures its labels with them, and the map
//! fits live counters into their card with them. Knows nothing of Bevy.

use super::font_metrics::{BOLD, REGULAR};

/// Line height as a multiple of the font size (Bevy's text default).
pub const LINE_HEIGHT: f32 = 1.2;

/// The smallest font the map draws, in pixels at the fit zoom on a
/// 1280×720 window.
pub const MIN_PX: f32 = 12.0;

/// Advance of `c` in em; a character the font lacks counts as a wide one,
/// so a measured line is never narrower than drawn.
fn advance(c: char, bold: bool) -> f32 {
    let table: &[(char, f32)] = if bold { &BOLD } else { &REGULAR };
    match table.binary_search_by(|(k, _)| k.cmp(&c)) {
        Ok(i) => table[i].1,
        Err(_) => 1.0,
    }
}

/// Width of `text` in pixels at `px` (kerning ignored: it only narrows).
pub fn width(text: &str, px: f32, bold: bool) -> f32 {
    text.chars().map(|c| advance(c, bold)).sum::<f32>() * px
}

/// `text`, or as much of it as fits in `max_w` followed by `…`.
pub fn fit(text: &str, px: f32, bold: bool, max_w: f32) -> String {
    if width(text, px, bold) <= max_w {
        return text.to_string();
    }
    let budget = max_w - width("…", px, bold);
    if budget < 0.0 {
        // Not even the ellipsis fits.
        return String::new();
    }
    let mut out = String::new();
    let mut w = 0.0;
    for c in text.chars() {
        let a = advance(c, bold) * px;
        if w + a > budget {
            break;
        }
        w += a;
        out.push(c);
    }
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_follow_the_font() {
        // DejaVu Sans Condensed: 'i' is narrow, 'M' wide; bold is wider.
        assert!(width("iiii", 12.0, false) < width("MMMM", 12.0, false));
        assert!(width("Command API", 14.0, false) < width("Command API", 14.0, true));
        assert_eq!(width("", 14.0, true), 0.0);
        let w = width("Redis", 14.0, true);
        assert!((30.0..50.0).contains(&w), "{w}");
        assert!((width("ab", 24.0, false) - 2.0 * width("ab", 12.0, false)).abs() < 1e-3);
    }

    #[test]
    fn fitting_cuts_with_an_ellipsis_and_never_exceeds_the_width() {
        assert_eq!(fit("Iberia", 12.0, false, 200.0), "Iberia");
        for max in [10.0, 30.0, 60.0, 90.0] {
            let f = fit("Aerolíneas Argentinas — Sabre", 12.0, true, max);
            assert!(f.ends_with('…') || (f.is_empty() && max < width("…", 12.0, true)), "{f} in {max}");
            assert!(width(&f, 12.0, true) <= max + 1e-3, "{f} in {max}");
        }
        // A character the fonts lack still measures (as a wide one).
        assert!(width("\u{1F600}", 12.0, false) >= 12.0);
    }
}
