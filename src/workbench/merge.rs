//! Shards of a sweep combined into one report: `check --json` (or
//! `check --swarm --json`) run over `--from S --seeds N` slices on many
//! machines, then `cqrs-tickets merge` over their outputs.
//!
//! The merged report is the one a single run over the whole range prints,
//! field for field, except the timings (`seconds`, `shrink_seconds`), which
//! become sums of the shards' (machine time, not wall time), and, with
//! `--shrink-to`, which failures carry a shrunk file (each shard shrinks its
//! own first failure of each invariant). Shards must be one kind of sweep
//! and tile the range: a gap, an overlap or a malformed report is an error,
//! so a lost or broken shard cannot pass unnoticed.

use serde_json::{Map, Value, json};

/// One report to merge and where it came from (for error messages).
pub struct Shard {
    pub source: String,
    pub report: Value,
}

/// Fields that must be equal in every shard: they say which sweep it is.
const SAME_SWEEP: [&str; 5] = ["scenario", "scenario_digest", "chaos", "swarm", "disabled"];

/// Combines shard reports (any order) into one; `range` is the
/// `(from, seeds)` they must tile, when known.
pub fn merge(shards: &[Shard], range: Option<(u64, u64)>) -> Result<Value, String> {
    let first = shards.first().ok_or("no reports to merge")?;
    for s in shards {
        check_shard(s)?;
        for k in SAME_SWEEP {
            if s.report.get(k) != first.report.get(k) {
                return Err(format!(
                    "{}: `{k}` is {} where {} has {}: shards must come from one sweep",
                    s.source,
                    s.report.get(k).unwrap_or(&Value::Null),
                    first.source,
                    first.report.get(k).unwrap_or(&Value::Null)
                ));
            }
        }
    }
    let num = |s: &Shard, k: &str| s.report[k].as_u64().unwrap_or(0);
    let mut order: Vec<&Shard> = shards.iter().collect();
    order.sort_by_key(|s| num(s, "from"));
    let from = range.map_or(num(order[0], "from"), |(f, _)| f);
    let mut next = from;
    let mut failures = vec![];
    let (mut seconds, mut shrink_seconds) = (0.0, 0.0);
    for s in &order {
        let (f, n) = (num(s, "from"), num(s, "seeds"));
        let end = f.checked_add(n).ok_or_else(|| format!("{}: `from` + `seeds` overflows", s.source))?;
        if f > next {
            return Err(format!("seeds {next}..={} are missing: the shards do not tile the range", f - 1));
        }
        if f < next {
            return Err(format!("{}: seeds {f}..={} are run twice", s.source, (next - 1).min(end - 1)));
        }
        next = end;
        failures.extend(s.report["failures"].as_array().cloned().unwrap_or_default());
        seconds += s.report["seconds"].as_f64().unwrap_or(0.0);
        shrink_seconds += s.report["shrink_seconds"].as_f64().unwrap_or(0.0);
    }
    if let Some((f, n)) = range {
        let want = f.saturating_add(n);
        if next != want {
            let (what, a, b) =
                if next < want { ("missing", next, want - 1) } else { ("past the range", want, next - 1) };
            return Err(format!("seeds {a}..={b} are {what} (--from {f} --seeds {n})"));
        }
    }
    failures.sort_by_key(|f| f["seed"].as_u64());
    let mut out: Map<String, Value> = first.report.as_object().cloned().unwrap_or_default();
    out.insert("from".into(), json!(from));
    out.insert("seeds".into(), json!(next - from));
    out.insert("violations".into(), json!(failures.len()));
    out.insert("failures".into(), Value::Array(failures));
    out.insert("seconds".into(), json!(seconds));
    if first.report.get("shrink_seconds").is_some() {
        out.insert("shrink_seconds".into(), json!(shrink_seconds));
    }
    Ok(Value::Object(out))
}

/// A shard must be a whole `check --json` report.
fn check_shard(s: &Shard) -> Result<(), String> {
    let r = &s.report;
    let bad = |what: String| Err(format!("{}: {what} (is it `check --json` output?)", s.source));
    if !r.is_object() {
        return bad("not a JSON object".into());
    }
    for k in ["from", "seeds", "violations"] {
        if r.get(k).and_then(Value::as_u64).is_none() {
            return bad(format!("`{k}` is missing or not a whole number"));
        }
    }
    let Some(failures) = r.get("failures").and_then(Value::as_array) else {
        return bad("`failures` is missing or not a list".into());
    };
    if let Some(f) = failures.iter().find(|f| f.get("seed").and_then(Value::as_u64).is_none()) {
        return bad(format!("a failure without a seed: {f}"));
    }
    if r["violations"].as_u64() != Some(failures.len() as u64) {
        return bad(format!("`violations` is {} but {} failures are listed", r["violations"], failures.len()));
    }
    if r.get("seconds").is_some_and(|v| !v.is_number()) {
        return bad(format!("`seconds` is {}", r["seconds"]));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(from: u64, seeds: u64, failing: &[u64]) -> Shard {
        Shard {
            source: format!("shard-{from}.json"),
            report: json!({
                "scenario": "default", "seeds": seeds, "from": from, "chaos": true, "seconds": 1.5,
                "violations": failing.len(),
                "failures": failing.iter().map(|s| json!({"seed": s, "class": "safety"})).collect::<Vec<_>>(),
            }),
        }
    }

    #[test]
    fn given_shards_in_any_order_when_merged_then_one_report_over_the_range() {
        let m = merge(&[shard(11, 10, &[15]), shard(1, 10, &[2, 9])], None).unwrap();
        assert_eq!(m["from"], 1);
        assert_eq!(m["seeds"], 20);
        assert_eq!(m["violations"], 3);
        let seeds: Vec<u64> = m["failures"].as_array().unwrap().iter().map(|f| f["seed"].as_u64().unwrap()).collect();
        assert_eq!(seeds, [2, 9, 15]);
        assert_eq!(m["seconds"], 3.0);
        assert_eq!(m["scenario"], "default");
        assert!(merge(&[shard(11, 10, &[15]), shard(1, 10, &[2, 9])], Some((1, 20))).is_ok());
    }

    #[test]
    fn given_a_gap_an_overlap_or_mixed_sweeps_then_an_error_names_it() {
        let e = merge(&[shard(1, 10, &[]), shard(12, 10, &[])], None).unwrap_err();
        assert!(e.contains("seeds 11..=11 are missing"), "{e}");
        let e = merge(&[shard(1, 10, &[]), shard(6, 10, &[])], None).unwrap_err();
        assert!(e.contains("shard-6.json: seeds 6..=10 are run twice"), "{e}");
        let e = merge(&[shard(1, 10, &[]), shard(3, 3, &[])], None).unwrap_err();
        assert!(e.contains("seeds 3..=5 are run twice"), "{e}");
        let mut other = shard(11, 10, &[]);
        other.report["disabled"] = json!(["idempotency"]);
        assert!(merge(&[shard(1, 10, &[]), other], None).unwrap_err().contains("`disabled`"));
        let e = merge(&[shard(1, 10, &[])], Some((1, 20))).unwrap_err();
        assert!(e.contains("seeds 11..=20 are missing"), "a lost last shard is found: {e}");
        assert!(merge(&[], None).is_err());
    }

    #[test]
    fn given_a_malformed_report_then_an_error_names_its_source() {
        let broken = |edit: &dyn Fn(&mut Value)| {
            let mut s = shard(1, 10, &[3]);
            edit(&mut s.report);
            merge(&[s], None).unwrap_err()
        };
        assert!(broken(&|r| r["failures"] = json!("x")).contains("shard-1.json: `failures`"));
        assert!(broken(&|r| r["violations"] = json!(0)).contains("but 1 failures are listed"));
        assert!(broken(&|r| r["failures"] = json!([{"seed": "x"}])).contains("without a seed"));
        assert!(broken(&|r| r["seconds"] = json!("abc")).contains("`seconds`"));
        assert!(broken(&|r| r["from"] = json!(-1)).contains("`from`"));
        let huge = broken(&|r| r["from"] = json!(u64::MAX));
        assert!(huge.contains("overflows"), "{huge}");
    }
}
