//! Shareable links: the URL query
//! (`?scenario=race&seed=7&speed=4&view=events&tick=400&disable=idempotency&guided=off`)
//! that opens the app in one exact state, parsed and written here as plain
//! data so both directions are tested natively. A bad value never stops the
//! app: it is reported and its default is used.

use super::controls::{SPEEDS, ViewMode};
use crate::domain::Named;
use crate::scenario::bundled;
use crate::sim::Safeguard;

/// The most ticks a link may ask to fast-forward to (about 83 simulated
/// minutes): more would keep a browser tab busy for minutes.
pub const MAX_LINK_TICK: u64 = 100_000;

/// The state a link opens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub scenario: String,
    /// `None`: the scenario file's own seed.
    pub seed: Option<u64>,
    /// Index into [`SPEEDS`].
    pub speed_index: usize,
    pub view: ViewMode,
    /// Fast-forward to this tick and pause there.
    pub tick: Option<u64>,
    /// Safeguards switched off (names of `Safeguard::NAMES`), in that order.
    pub disable: Vec<String>,
    /// Guided mode; `None`: the scenario's default.
    pub guided: Option<bool>,
}

impl Default for Link {
    fn default() -> Self {
        Link {
            scenario: "default".into(),
            seed: None,
            speed_index: 2,
            view: ViewMode::System,
            tick: None,
            disable: vec![],
            guided: None,
        }
    }
}

/// The speed as a link writes it: `0.25` … `16`, or `max`.
pub fn speed_name(index: usize) -> String {
    if index >= SPEEDS.len() - 1 { "max".into() } else { format!("{}", SPEEDS[index]) }
}

fn speed_index(s: &str) -> Option<usize> {
    if s.eq_ignore_ascii_case("max") {
        return Some(SPEEDS.len() - 1);
    }
    let s = s.trim_end_matches(['x', 'X', '×']);
    let v: f32 = s.parse().ok()?;
    SPEEDS[..SPEEDS.len() - 1].iter().position(|x| (*x - v).abs() < 1e-6)
}

/// Decodes `%XX` and `+` in one query component.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses a query string (with or without the leading `?`). Returns the
/// link and one message per value that was refused (its default is kept).
pub fn parse(query: &str) -> (Link, Vec<String>) {
    let mut link = Link::default();
    let mut errors = vec![];
    for pair in query.trim_start_matches('?').split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (key, value) = (decode(key), decode(value));
        match key.as_str() {
            "scenario" => {
                let name = value.trim_end_matches(".ron").trim_start_matches("scenarios/");
                if bundled::names().any(|n| n == name) {
                    link.scenario = name.to_string();
                } else {
                    errors.push(format!(
                        "scenario={value}: no such scenario (try {}); playing default",
                        bundled::names().collect::<Vec<_>>().join(", ")
                    ));
                }
            }
            "seed" => match value.parse::<u64>() {
                Ok(s) => link.seed = Some(s),
                Err(_) => errors.push(format!("seed={value}: expected a whole number ≥ 0; using the scenario's seed")),
            },
            "speed" => match speed_index(&value) {
                Some(i) => link.speed_index = i,
                None => errors.push(format!("speed={value}: expected 0.25, 0.5, 1, 2, 4, 8, 16 or max; using 1")),
            },
            "view" => match ViewMode::from_name_ignore_case(&value) {
                Some(v) => link.view = v,
                None => errors.push(format!("view={value}: expected {}; showing system", ViewMode::names())),
            },
            "tick" => match value.parse::<u64>() {
                Ok(t) if t <= MAX_LINK_TICK => link.tick = Some(t),
                Ok(t) => {
                    errors.push(format!("tick={t}: the most a link may ask for is {MAX_LINK_TICK}; starting at 0"))
                }
                Err(_) => errors.push(format!("tick={value}: expected a whole number ≥ 0; starting at 0")),
            },
            "disable" => {
                for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                    match Safeguard::parse(name) {
                        Ok(s) if !link.disable.contains(&s.name().to_string()) => {
                            link.disable.push(s.name().to_string())
                        }
                        Ok(_) => {}
                        Err(_) => errors.push(format!(
                            "disable={name}: no such safeguard (known: {}); keeping it on",
                            Safeguard::NAMES.join(", ")
                        )),
                    }
                }
                link.disable.sort_by_key(|d| Safeguard::NAMES.iter().position(|n| n == d));
            }
            "guided" => match value.as_str() {
                "on" | "1" | "true" => link.guided = Some(true),
                "off" | "0" | "false" => link.guided = Some(false),
                _ => errors.push(format!("guided={value}: expected on or off; using the scenario's default")),
            },
            _ => errors
                .push(format!("unknown parameter '{key}' (known: scenario, seed, speed, view, tick, disable, guided)")),
        }
    }
    (link, errors)
}

impl Link {
    /// The query string (`?…`) that [`parse`] turns back into this link.
    pub fn to_query(&self) -> String {
        let mut q = format!("?scenario={}", self.scenario);
        if let Some(s) = self.seed {
            q += &format!("&seed={s}");
        }
        q += &format!("&speed={}", speed_name(self.speed_index));
        q += &format!("&view={}", self.view.name().to_ascii_lowercase());
        // A tick past what a link may ask for is left out (it would be refused).
        if let Some(t) = self.tick.filter(|t| *t <= MAX_LINK_TICK) {
            q += &format!("&tick={t}");
        }
        if !self.disable.is_empty() {
            q += &format!("&disable={}", self.disable.join(","));
        }
        if let Some(g) = self.guided {
            q += &format!("&guided={}", if g { "on" } else { "off" });
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_link_parses() {
        let (l, e) = parse("?scenario=race&seed=7&tick=400&view=events&speed=4");
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(
            l,
            Link {
                scenario: "race".into(),
                seed: Some(7),
                speed_index: 4,
                view: ViewMode::Events,
                tick: Some(400),
                ..Link::default()
            }
        );
        let (l, e) = parse("?scenario=default&seed=1&disable=write-through,idempotency&tick=1500&guided=off");
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(l.disable, ["idempotency", "write-through"], "in the safeguards' own order");
        assert_eq!(l.guided, Some(false));
    }

    #[test]
    fn links_round_trip() {
        for q in [
            "?scenario=default&seed=3&speed=1&view=system&tick=600",
            "?scenario=gdpr&speed=max&view=vendors",
            "?scenario=default&seed=1&speed=1&view=system&tick=1500&disable=idempotency,single-flight&guided=on",
        ] {
            let (l, e) = parse(q);
            assert!(e.is_empty(), "{e:?}");
            assert_eq!(l.to_query(), q);
            assert_eq!(parse(&l.to_query()).0, l);
        }
    }

    #[test]
    fn bad_values_are_reported_and_defaulted() {
        let (l, e) = parse(
            "scenario=nope&seed=-1&speed=3&view=map&tick=x&colour=red&tick=999999999&disable=seatbelts&guided=maybe",
        );
        assert_eq!(l, Link::default());
        assert_eq!(e.len(), 9, "{e:?}");
        assert!(e.iter().any(|m| m.starts_with("disable=seatbelts: no such safeguard")), "{e:?}");
        assert!(e[0].starts_with("scenario=nope"), "{}", e[0]);
        assert!(e.iter().any(|m| m.contains("unknown parameter 'colour'")));
    }

    #[test]
    fn percent_encoding_and_odd_input_never_panic() {
        assert_eq!(parse("scenario=r%61ce").0.scenario, "race");
        for q in ["%", "%%", "a=%f", "=&&=", "?", "tick=%E2%82", "seed=%ZZ", "é=ü"] {
            let _ = parse(q);
        }
    }
}
