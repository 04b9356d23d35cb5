//! Shards of a sweep combined into one report: `check --json` (or
//! `check --swarm --json`) run over `--from S --seeds N` slices on many
//! machines, then `cqrs-tickets merge` over their outputs.
//!
//! The merged report is the one a single run over the whole range prints,
//! field for field, except the timings (`seconds`, `shrink_seconds`), which
//! become sums of the shards' (machine time, not wall time). Shards must
//! be one kind of sweep and tile the range: a gap or an overlap is an
//! error, so a lost shard cannot pass unnoticed.

use serde_json::{Map, Value, json};

/// Combines shard reports (any order) into one.
pub fn merge(shards: &[Value]) -> Result<Value, String> {
    let first = shards.first().ok_or("no reports to merge")?;
    let same = ["scenario", "chaos", "swarm"];
    for (i, s) in shards.iter().enumerate() {
        for k in ["from", "seeds", "violations", "failures"] {
            if s.get(k).is_none() {
                return Err(format!("report {}: no `{k}` field (is it `check --json` output?)", i + 1));
            }
        }
        for k in same {
            if s.get(k) != first.get(k) {
                return Err(format!(
                    "report {}: `{k}` is {} where report 1 has {}: shards must come from one sweep",
                    i + 1,
                    s.get(k).unwrap_or(&Value::Null),
                    first.get(k).unwrap_or(&Value::Null)
                ));
            }
        }
    }
    let num = |v: &Value, k: &str| v[k].as_u64().ok_or_else(|| format!("`{k}` is not a whole number: {}", v[k]));
    let mut order: Vec<&Value> = shards.iter().collect();
    order.sort_by_key(|s| s["from"].as_u64());
    let from = num(order[0], "from")?;
    let mut next = from;
    let mut failures = vec![];
    let (mut seconds, mut shrink_seconds) = (0.0, 0.0);
    for s in &order {
        let (f, n) = (num(s, "from")?, num(s, "seeds")?);
        if f != next {
            let what = if f > next { "missing" } else { "run twice" };
            let (a, b) = if f > next { (next, f - 1) } else { (f, next - 1) };
            return Err(format!("seeds {a}..={b} are {what}: the shards do not tile the range"));
        }
        next = f + n;
        failures.extend(s["failures"].as_array().cloned().unwrap_or_default());
        seconds += s["seconds"].as_f64().unwrap_or(0.0);
        shrink_seconds += s["shrink_seconds"].as_f64().unwrap_or(0.0);
    }
    failures.sort_by_key(|f| f["seed"].as_u64());
    let mut out: Map<String, Value> = first.as_object().cloned().unwrap_or_default();
    out.insert("from".into(), json!(from));
    out.insert("seeds".into(), json!(next - from));
    out.insert("violations".into(), json!(failures.len()));
    out.insert("failures".into(), Value::Array(failures));
    out.insert("seconds".into(), json!(seconds));
    if first.get("shrink_seconds").is_some() {
        out.insert("shrink_seconds".into(), json!(shrink_seconds));
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(from: u64, seeds: u64, failing: &[u64]) -> Value {
        json!({
            "scenario": "default", "seeds": seeds, "from": from, "chaos": true, "seconds": 1.5,
            "violations": failing.len(),
            "failures": failing.iter().map(|s| json!({"seed": s, "class": "safety"})).collect::<Vec<_>>(),
        })
    }

    #[test]
    fn given_shards_in_any_order_when_merged_then_one_report_over_the_range() {
        let m = merge(&[shard(11, 10, &[15]), shard(1, 10, &[2, 9])]).unwrap();
        assert_eq!(m["from"], 1);
        assert_eq!(m["seeds"], 20);
        assert_eq!(m["violations"], 3);
        assert_eq!(
            m["failures"].as_array().unwrap().iter().map(|f| f["seed"].as_u64().unwrap()).collect::<Vec<_>>(),
            [2, 9, 15]
        );
        assert_eq!(m["seconds"], 3.0);
        assert_eq!(m["scenario"], "default");
    }

    #[test]
    fn given_a_gap_an_overlap_or_mixed_sweeps_then_an_error_names_it() {
        assert!(merge(&[shard(1, 10, &[]), shard(12, 10, &[])]).unwrap_err().contains("seeds 11..=11 are missing"));
        assert!(merge(&[shard(1, 10, &[]), shard(6, 10, &[])]).unwrap_err().contains("seeds 6..=10 are run twice"));
        let mut other = shard(11, 10, &[]);
        other["chaos"] = json!(false);
        assert!(merge(&[shard(1, 10, &[]), other]).unwrap_err().contains("`chaos`"));
        assert!(merge(&[json!({"x": 1})]).unwrap_err().contains("no `from`"));
        assert!(merge(&[]).is_err());
    }
}
