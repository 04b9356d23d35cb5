//! Two runs compared: where their histories part, and the expectations and
//! invariants whose verdicts differ.
//!
//! A run's history has two logs: the stored events (the write side's
//! truth) and the messages between components (commands, publishes,
//! deliveries, cache gets, vendor calls). Many differences never reach the
//! store (a cache stampede only changes the read side), so both are
//! walked: the first divergence is the earlier of the two logs' first
//! differences, and the first differing stored event is reported too.
//! Because each event's hash covers every event before it, the first
//! differing hash is exactly the event log's first divergence.
//!
//! Pure over what the runs left behind (their logs, step starts and
//! reports): it never runs anything itself.

use super::jsonl;
use super::sequence::{Arrow, Mark};
use crate::domain::{EventEnvelope, Tick};
use crate::scenario::report::Report;
use serde::Serialize;
use serde_json::Value;

/// One side of a comparison: what a finished run left behind.
pub struct Side<'a> {
    pub events: Vec<&'a EventEnvelope>,
    /// Every message, in the order it happened.
    pub messages: Vec<&'a Arrow>,
    /// Each scripted step's first tick and title, in order.
    pub steps: Vec<(Tick, String)>,
    pub report: &'a Report,
}

impl Side<'_> {
    /// The step (1-based number, title) that tick `t` falls in.
    fn step_at(&self, t: Tick) -> Option<StepRef> {
        let i = self.steps.iter().rposition(|(start, _)| *start <= t)?;
        Some(StepRef { number: i + 1, title: self.steps[i].1.clone() })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepRef {
    pub number: usize,
    pub title: String,
}

/// Which log a divergence was found in.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Log {
    Event,
    Message,
}

/// Where the logs part.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Divergence {
    /// The log it was found in.
    pub log: Log,
    /// The event's seq (null for a message: see `first_event_divergence`).
    pub seq: Option<u64>,
    /// The earlier of the two events' ticks (the moment the runs part).
    pub tick: Tick,
    /// The left run's step at that tick.
    pub step: Option<StepRef>,
    /// The right run's step at that tick (differs only across scenarios).
    pub right_step: Option<StepRef>,
    /// The event at `seq` (as `export --format jsonl` writes it) or the
    /// message on each side; null where that log had already ended.
    pub left: Value,
    pub right: Value,
    /// The fields whose values differ.
    pub fields: Vec<String>,
}

/// An expectation or invariant whose verdict differs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VerdictDiff {
    /// "12. Cache stampede" for an expectation, empty for an invariant.
    pub step: String,
    pub text: String,
    pub left_ok: Option<bool>,
    pub right_ok: Option<bool>,
    pub left_detail: String,
    pub right_detail: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diff {
    pub identical: bool,
    pub left_fingerprint: String,
    pub right_fingerprint: String,
    /// The earliest difference in either log.
    pub first_divergence: Option<Divergence>,
    /// The first stored event that differs (it may come later).
    pub first_event_divergence: Option<Divergence>,
    pub expectations: Vec<VerdictDiff>,
    pub invariants: Vec<VerdictDiff>,
}

pub fn diff(left: &Side, right: &Side) -> Diff {
    let event = first_event_divergence(left, right);
    let message = first_message_divergence(left, right);
    let first = match (&event, message) {
        (Some(e), Some(m)) if m.tick < e.tick => Some(m),
        (Some(e), _) => Some(e.clone()),
        (None, m) => m,
    };
    let expectations = expectation_diffs(left.report, right.report);
    let invariants = invariant_diffs(left.report, right.report);
    Diff {
        // Two scenario files can play the same history and still expect
        // different things of it: that is a difference too.
        identical: first.is_none() && expectations.is_empty() && invariants.is_empty(),
        left_fingerprint: left.report.fingerprint.clone(),
        right_fingerprint: right.report.fingerprint.clone(),
        first_divergence: first,
        first_event_divergence: event,
        expectations,
        invariants,
    }
}

fn first_event_divergence(left: &Side, right: &Side) -> Option<Divergence> {
    let n = left.events.len().max(right.events.len());
    let i = (0..n).find(|&i| left.events.get(i).map(|e| e.hash) != right.events.get(i).map(|e| e.hash))?;
    let (l, r) = (left.events.get(i), right.events.get(i));
    let tick = match (l, r) {
        (Some(l), Some(r)) => l.tick.min(r.tick),
        (Some(e), None) | (None, Some(e)) => e.tick,
        (None, None) => 0,
    };
    let as_line = |e: Option<&&EventEnvelope>| e.map_or(Value::Null, |e| jsonl::line(e));
    let (left_line, right_line) = (as_line(l), as_line(r));
    Some(Divergence {
        log: Log::Event,
        seq: Some(i as u64 + 1),
        tick,
        step: left.step_at(tick),
        right_step: right.step_at(tick),
        fields: differing_fields(&left_line, &right_line, &["hash", "prev_hash"]),
        left: left_line,
        right: right_line,
    })
}

fn first_message_divergence(left: &Side, right: &Side) -> Option<Divergence> {
    let n = left.messages.len().max(right.messages.len());
    let i = (0..n).find(|&i| left.messages.get(i) != right.messages.get(i))?;
    let (l, r) = (left.messages.get(i), right.messages.get(i));
    let tick = [l, r].into_iter().flatten().map(|a| a.tick).min().unwrap_or(0);
    let (left_msg, right_msg) = (l.map_or(Value::Null, |a| message(a)), r.map_or(Value::Null, |a| message(a)));
    Some(Divergence {
        log: Log::Message,
        seq: None,
        tick,
        step: left.step_at(tick),
        right_step: right.step_at(tick),
        fields: differing_fields(&left_msg, &right_msg, &[]),
        left: left_msg,
        right: right_msg,
    })
}

/// A message as JSON: tick, lanes, text and what happened to it.
fn message(a: &Arrow) -> Value {
    let mark = match a.mark {
        Mark::Normal => "sent",
        Mark::Reply => "reply",
        Mark::Failed => "failed",
        Mark::Duplicate => "duplicate",
        Mark::Buffered => "buffered",
    };
    serde_json::json!({ "tick": a.tick, "from": a.from.title(), "to": a.to.title(), "text": a.label, "mark": mark })
}

/// The top-level (and payload) fields whose values differ, `ignore` aside.
fn differing_fields(l: &Value, r: &Value, ignore: &[&str]) -> Vec<String> {
    let (Some(lo), Some(ro)) = (l.as_object(), r.as_object()) else { return vec![] };
    let mut keys: Vec<&String> = lo.keys().chain(ro.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out = vec![];
    for k in keys.into_iter().filter(|k| !ignore.contains(&k.as_str())) {
        match (lo.get(k), ro.get(k)) {
            (Some(a), Some(b)) if a.is_object() && b.is_object() => {
                out.extend(differing_fields(a, b, &[]).into_iter().map(|f| format!("{k}.{f}")))
            }
            (a, b) if a != b => out.push(k.clone()),
            _ => {}
        }
    }
    out
}

/// One expectation of a report: (numbered step, step title, text, ok, detail).
type Flat = (String, String, String, bool, String);

/// Expectations matched by step title and text, not by step number, so two
/// scenarios compare, and so do two runs where chaos inserted steps.
fn expectation_diffs(left: &Report, right: &Report) -> Vec<VerdictDiff> {
    let flat = |r: &Report| -> Vec<Flat> {
        r.steps
            .iter()
            .enumerate()
            .flat_map(|(i, s)| {
                let numbered = format!("{}. {}", i + 1, s.title);
                s.expectations
                    .iter()
                    .map(move |e| (numbered.clone(), s.title.clone(), e.text.clone(), e.ok, e.detail.clone()))
            })
            .collect()
    };
    let (l, r) = (flat(left), flat(right));
    let find = |side: &[Flat], title: &str, text: &str| side.iter().find(|o| o.1 == title && o.2 == text).cloned();
    let mut out = vec![];
    for (step, title, text, ok, detail) in &l {
        let other = find(&r, title, text);
        if other.as_ref().map(|o| o.3) != Some(*ok) {
            out.push(VerdictDiff {
                step: step.clone(),
                text: text.clone(),
                left_ok: Some(*ok),
                right_ok: other.as_ref().map(|o| o.3),
                left_detail: detail.clone(),
                right_detail: other.map_or(String::new(), |o| o.4),
            });
        }
    }
    for (step, title, text, ok, detail) in &r {
        if find(&l, title, text).is_none() {
            out.push(VerdictDiff {
                step: step.clone(),
                text: text.clone(),
                left_ok: None,
                right_ok: Some(*ok),
                left_detail: String::new(),
                right_detail: detail.clone(),
            });
        }
    }
    out
}

fn invariant_diffs(left: &Report, right: &Report) -> Vec<VerdictDiff> {
    left.invariants
        .iter()
        .filter_map(|l| {
            let r = right.invariants.iter().find(|r| r.name == l.name)?;
            (l.ok != r.ok).then(|| VerdictDiff {
                step: String::new(),
                text: l.name.clone(),
                left_ok: Some(l.ok),
                right_ok: Some(r.ok),
                left_detail: l.detail.clone(),
                right_detail: r.detail.clone(),
            })
        })
        .collect()
}

impl Diff {
    /// The human-readable comparison.
    pub fn human(&self, left_name: &str, right_name: &str) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(s, "left:  {left_name}\n       fingerprint {}", self.left_fingerprint);
        let _ = writeln!(s, "right: {right_name}\n       fingerprint {}", self.right_fingerprint);
        match &self.first_divergence {
            None => {
                let _ = writeln!(s, "\nthe same events and the same messages");
            }
            Some(d) => {
                write_divergence(&mut s, "first divergence", d);
                if let Some(e) = self.first_event_divergence.as_ref().filter(|e| *e != d) {
                    write_divergence(&mut s, "first stored event that differs", e);
                } else if self.first_event_divergence.is_none() {
                    let _ = writeln!(s, "\nthe stored events are identical: only the messages differ");
                }
            }
        }
        let verdict = |ok: Option<bool>| match ok {
            Some(true) => "✔",
            Some(false) => "✘",
            None => "—",
        };
        if !self.expectations.is_empty() {
            let _ = writeln!(s, "\nexpectations that differ (left / right):");
            for e in &self.expectations {
                let _ = writeln!(s, "  {} {} {}: {}", verdict(e.left_ok), verdict(e.right_ok), e.step, e.text);
                for (side, detail) in [("left", &e.left_detail), ("right", &e.right_detail)] {
                    if !detail.is_empty() {
                        let _ = writeln!(s, "        {side}: {detail}");
                    }
                }
            }
        }
        if !self.invariants.is_empty() {
            let _ = writeln!(s, "\ninvariants that differ (left / right):");
            for i in &self.invariants {
                let _ = writeln!(s, "  {} {} {}", verdict(i.left_ok), verdict(i.right_ok), i.text);
                let failing = if i.left_ok == Some(false) { &i.left_detail } else { &i.right_detail };
                let _ = writeln!(s, "        {failing}");
            }
        }
        if self.identical {
            let _ = writeln!(s, "\nthe runs are identical");
        }
        s
    }
}

fn write_divergence(s: &mut String, what: &str, d: &Divergence) {
    use std::fmt::Write;
    let name = |st: &Option<StepRef>| {
        st.as_ref().map_or("before the first step".into(), |st| format!("step {}. {}", st.number, st.title))
    };
    let mut step = name(&d.step);
    if d.right_step != d.step {
        step = format!("left: {step}, right: {}", name(&d.right_step));
    }
    let at = match d.seq {
        Some(seq) => format!("event seq {seq}"),
        None => "a message".into(),
    };
    let _ = writeln!(s, "\n{what}: {at} at tick {} ({step})", d.tick);
    let _ = writeln!(s, "  left:  {}", one_line(&d.left));
    let _ = writeln!(s, "  right: {}", one_line(&d.right));
    if !d.fields.is_empty() {
        let _ = writeln!(s, "  differs in: {}", d.fields.join(", "));
    }
}

/// An exported event or a message as one short line.
fn one_line(v: &Value) -> String {
    if v.is_null() {
        return "(its log had already ended)".into();
    }
    if v.get("seq").is_none() {
        return format!(
            "t{} {} → {}: {} ({})",
            v["tick"],
            v["from"].as_str().unwrap_or("?"),
            v["to"].as_str().unwrap_or("?"),
            v["text"].as_str().unwrap_or("?"),
            v["mark"].as_str().unwrap_or("?")
        );
    }
    format!(
        "seq {} t{} {} v{} {} causation {} correlation {} {}",
        v["seq"],
        v["tick"],
        v["aggregate_id"].as_str().unwrap_or("?"),
        v["version"],
        v["type"].as_str().unwrap_or("?"),
        v["causation_id"],
        v["correlation_id"],
        v["payload"]
    )
}
