//! The workbench subcommands: `diff`, `export` and `merge`. Flags are
//! parsed and output printed here; what they compute lives in
//! `crate::workbench`. Flag names are a contract: add, never rename.

use super::{bad, unknown_safeguard};
use crate::domain::EventEnvelope;
use crate::headless::Harness;
use crate::scenario::Scenario;
use crate::scenario::report::{self, Report, RunOptions};
use crate::scenario::runner::Script;
use crate::sim::signals::SignalsEnabled;
use crate::sim::store::EventStore;
use crate::workbench::sequence::{self, Trace};
use crate::workbench::{diff as wdiff, jsonl, merge as wmerge};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// The run a workbench command looks at.
#[derive(Args, Debug, Clone)]
pub struct RunFlags {
    /// The scenario file to run.
    #[arg(long)]
    scenario: PathBuf,
    /// The seed of the run (default: the scenario's own).
    #[arg(long)]
    seed: Option<u64>,
    /// Turn a safeguard off (repeatable); see `run --disable`.
    #[arg(long, value_name = "SAFEGUARD")]
    disable: Vec<String>,
    /// Lay random faults drawn from the seed over the script.
    #[arg(long)]
    chaos: bool,
    /// Stop at this tick (1 tick = 50 ms simulated).
    #[arg(long)]
    until_tick: Option<u64>,
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The left run (the right one is the same unless a --vs flag changes it).
    #[command(flatten)]
    run: RunFlags,
    /// The right run's seed.
    #[arg(long)]
    vs_seed: Option<u64>,
    /// Turn a safeguard off in the right run only (repeatable).
    #[arg(long, value_name = "SAFEGUARD")]
    vs_disable: Vec<String>,
    /// Lay random faults over the right run only.
    #[arg(long)]
    vs_chaos: bool,
    /// The right run plays this scenario file instead.
    #[arg(long, value_name = "FILE")]
    vs_scenario: Option<PathBuf>,
    /// One JSON object instead of the human comparison.
    #[arg(long)]
    json: bool,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One event envelope per line, with its hashes.
    Jsonl,
    /// A Mermaid sequenceDiagram of the messages.
    Mermaid,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    run: RunFlags,
    /// jsonl (the event log) or mermaid (a sequence diagram).
    #[arg(long)]
    format: Format,
    /// Only this causal chain (a correlation id: the customer request
    /// every event, message and call of the chain descends from).
    #[arg(long, value_name = "ID")]
    correlation: Option<u64>,
    /// With mermaid: at most this many arrows (the diagram says when it
    /// leaves some out). The JSON Lines log is always whole.
    #[arg(long, default_value_t = sequence::MERMAID_LIMIT)]
    limit: usize,
    /// Write here instead of to stdout (- is stdout).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// `check --json` outputs (files, or - for stdin); a file may hold
    /// several reports one after another.
    #[arg(required = true, value_name = "REPORT")]
    reports: Vec<PathBuf>,
    /// The first seed of the whole sweep: with --seeds, a lost first or
    /// last shard is an error too.
    #[arg(long, requires = "seeds")]
    from: Option<u64>,
    /// How many seeds the whole sweep has (see --from; default from 1).
    #[arg(long)]
    seeds: Option<u64>,
}

/// A finished run and what it left behind.
struct Finished {
    report: Report,
    harness: Harness,
    scenario_name: String,
    seed: u64,
}

impl Finished {
    fn events(&self) -> Vec<&EventEnvelope> {
        let store = self.harness.world().resource::<EventStore>();
        (1..=store.head_seq()).filter_map(|seq| store.event(seq)).collect()
    }

    fn side(&self) -> wdiff::Side<'_> {
        let script = self.harness.world().resource::<Script>();
        let steps = script.plan.iter().zip(&script.results).map(|(p, r)| (p.start_tick, r.title.clone())).collect();
        let messages = self.harness.world().get_resource::<Trace>().map_or(vec![], |t| t.all());
        wdiff::Side { events: self.events(), messages, steps, report: &self.report }
    }
}

/// Runs `flags` (recording its messages when `trace`); bad input as Err.
fn finish(flags: &RunFlags, scenario: Option<&PathBuf>, trace: bool) -> Result<Finished, String> {
    if let Some(e) = unknown_safeguard(&flags.disable) {
        return Err(e);
    }
    let path = scenario.unwrap_or(&flags.scenario);
    let sc = Scenario::load(path).map_err(|e| e.to_string())?;
    let opts = RunOptions {
        seed: flags.seed,
        until_tick: flags.until_tick,
        disable: flags.disable.clone(),
        chaos: flags.chaos,
    };
    let (report, harness) = report::run_keeping(&sc, &opts, |h| {
        if trace {
            h.world_mut().insert_resource(SignalsEnabled(true));
            h.world_mut().insert_resource(Trace::unbounded());
            h.app.add_plugins(sequence::plugin);
        }
    })?;
    Ok(Finished { report, harness, scenario_name: sc.name.clone(), seed: flags.seed.unwrap_or(sc.seed) })
}

fn describe(path: &std::path::Path, flags: &RunFlags, seed: u64) -> String {
    let mut s = format!("{} --seed {seed}", path.display());
    for d in &flags.disable {
        s += &format!(" --disable {d}");
    }
    if flags.chaos {
        s += " --chaos";
    }
    if let Some(t) = flags.until_tick {
        s += &format!(" --until-tick {t}");
    }
    s
}

pub fn diff(args: DiffArgs) -> ExitCode {
    if let Some(e) = unknown_safeguard(&args.vs_disable) {
        return bad(e.replace("--disable", "--vs-disable"));
    }
    let left = match finish(&args.run, None, true) {
        Ok(f) => f,
        Err(e) => return bad(e),
    };
    let mut right_flags = args.run.clone();
    right_flags.seed = Some(args.vs_seed.unwrap_or(left.seed));
    right_flags.disable.extend(args.vs_disable.iter().filter(|d| !args.run.disable.contains(d)).cloned());
    right_flags.chaos |= args.vs_chaos;
    let right = match finish(&right_flags, args.vs_scenario.as_ref(), true) {
        Ok(f) => f,
        Err(e) => return bad(e),
    };
    let d = wdiff::diff(&left.side(), &right.side());
    let left_name = describe(&args.run.scenario, &args.run, left.seed);
    let right_path = args.vs_scenario.as_ref().unwrap_or(&args.run.scenario);
    let right_name = describe(right_path, &right_flags, right.seed);
    if args.json {
        let mut v = serde_json::to_value(&d).unwrap_or_default();
        v["left_run"] = left_name.into();
        v["right_run"] = right_name.into();
        println!("{v}");
    } else {
        print!("{}", d.human(&left_name, &right_name));
    }
    if d.identical { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

pub fn export(args: ExportArgs) -> ExitCode {
    let run = match finish(&args.run, None, args.format == Format::Mermaid) {
        Ok(f) => f,
        Err(e) => return bad(e),
    };
    let text = match args.format {
        Format::Jsonl => {
            let lines: Vec<String> = run
                .events()
                .into_iter()
                .filter(|e| args.correlation.is_none_or(|c| e.correlation_id == c))
                .map(|e| jsonl::line(e).to_string() + "\n")
                .collect();
            if lines.is_empty() && args.correlation.is_some() {
                return bad(format!(
                    "--correlation {}: no event of that chain in this run",
                    args.correlation.unwrap_or(0)
                ));
            }
            lines.concat()
        }
        Format::Mermaid => {
            let trace = run.harness.world().resource::<Trace>();
            let title = sequence::title(&run.scenario_name, run.seed, args.correlation);
            match args.correlation {
                Some(c) => {
                    if trace.chain(c).next().is_none() {
                        return bad(format!("--correlation {c}: no message of that chain in this run"));
                    }
                    sequence::mermaid(&title, trace.chain(c), args.limit)
                }
                None => sequence::mermaid(&title, trace.all(), args.limit),
            }
        }
    };
    let written = match args.out.as_ref().filter(|p| p.as_os_str() != "-") {
        Some(path) => std::fs::write(path, &text).map_err(|e| format!("--out {}: {e}", path.display())),
        None => std::io::stdout().lock().write_all(text.as_bytes()).map_err(|e| format!("stdout: {e}")),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => bad(e),
    }
}

pub fn merge(args: MergeArgs) -> ExitCode {
    let mut shards = vec![];
    for path in &args.reports {
        let before = shards.len();
        let text = if path.as_os_str() == "-" {
            std::io::read_to_string(std::io::stdin()).map_err(|e| format!("stdin: {e}"))
        } else {
            std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
        };
        let text = match text {
            Ok(t) => t,
            Err(e) => return bad(e),
        };
        for (i, v) in serde_json::Deserializer::from_str(&text).into_iter::<serde_json::Value>().enumerate() {
            let source = format!("{} (report {})", path.display(), i + 1);
            match v {
                Ok(report) => shards.push(wmerge::Shard { source, report }),
                Err(e) => return bad(format!("{source}: {e}")),
            }
        }
        if shards.len() == before {
            // An empty file is a shard that died before its report.
            return bad(format!("{}: no report in it", path.display()));
        }
    }
    let range = args.seeds.map(|n| (args.from.unwrap_or(1), n));
    match wmerge::merge(&shards, range) {
        Ok(v) => {
            println!("{v}");
            if v["violations"].as_u64() == Some(0) { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
        Err(e) => bad(e),
    }
}
