//! The command line: `play` (the window), `run` (one scenario headless),
//! `check` (seed sweeps). Exit codes: 0 all good, 1 an expectation or
//! invariant failed, 2 bad input. Subcommand and flag names are a contract
//! for users' scripts: add, never rename.

mod workbench;

use crate::domain::Named;
use crate::scenario::Scenario;
use crate::scenario::report::{self, Report, RunOptions};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "cqrs-tickets",
    version,
    about = "A deterministic simulator of a CQRS + event-sourcing plane-ticket platform"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Open the window and play a scenario (the default).
    Play(PlayArgs),
    /// Play a scenario to a tick in a window, save a PNG of that frame, exit.
    Shot(ShotArgs),
    /// Run a scenario headless to completion and print a report.
    Run(RunArgs),
    /// Run many seeds of a scenario and report every violation.
    Check(CheckArgs),
    /// Run a scenario twice, differing in one thing (seed, safeguards,
    /// chaos or scenario), and print where the two event logs first part.
    /// Exit 0 when the logs are identical, 1 when they differ.
    Diff(workbench::DiffArgs),
    /// Run a scenario and write its event log (JSON Lines, hashes
    /// included) or its messages as a Mermaid sequence diagram.
    Export(workbench::ExportArgs),
    /// Combine `check --json` reports of shards of one sweep (each run with
    /// its own --from and --seeds) into the report of the whole range.
    Merge(workbench::MergeArgs),
}

#[derive(Args, Debug, Default)]
pub struct PlayArgs {
    /// The scenario file to play (default: scenarios/default.ron).
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// The seed of the run (default: the scenario's own).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Start with a safeguard off (repeatable); see `run --disable`.
    #[arg(long, value_name = "SAFEGUARD")]
    pub disable: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ShotArgs {
    /// The scenario file to play.
    #[arg(long)]
    pub scenario: PathBuf,
    /// The seed of the run (default: the scenario's own).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The tick to take the picture at (1 tick = 50 ms simulated).
    #[arg(long)]
    pub tick: u64,
    /// system, command, events, queries, vendors or sequence.
    #[arg(long, default_value = "system")]
    pub view: String,
    /// Where to write the PNG.
    #[arg(long)]
    pub out: PathBuf,
    /// Window size, e.g. 1280x720.
    #[arg(long, default_value = "1280x720")]
    pub size: String,
    /// Play with a safeguard off (repeatable); see `run --disable`.
    #[arg(long, value_name = "SAFEGUARD")]
    pub disable: Vec<String>,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The scenario file to run.
    #[arg(long)]
    pub scenario: PathBuf,
    /// The seed of the run (default: the scenario's own).
    #[arg(long)]
    pub seed: Option<u64>,
    /// One JSON object instead of the human report.
    #[arg(long)]
    pub json: bool,
    /// Stop at this tick (1 tick = 50 ms simulated).
    #[arg(long)]
    pub until_tick: Option<u64>,
    /// Turn a safeguard off to see what breaks (repeatable):
    /// optimistic-concurrency, idempotency, ordering-buffer,
    /// single-flight, write-through, compensation.
    #[arg(long, value_name = "SAFEGUARD")]
    pub disable: Vec<String>,
    /// Lay random faults drawn from the seed over the script.
    #[arg(long)]
    pub chaos: bool,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// How many seeds to run.
    #[arg(long)]
    pub seeds: u64,
    /// The first seed.
    #[arg(long, default_value_t = 1)]
    pub from: u64,
    /// Defaults to scenarios/default.ron.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// One JSON object instead of the human report.
    #[arg(long)]
    pub json: bool,
    /// Turn a safeguard off in every run (repeatable).
    #[arg(long, value_name = "SAFEGUARD")]
    pub disable: Vec<String>,
    /// Swarm testing: each seed generates its own small world, a random
    /// workload aimed at timing edges and a random subset of faults
    /// (instead of playing a scenario file).
    #[arg(long)]
    pub swarm: bool,
    /// With --swarm: shrink each failing seed to a small scenario file
    /// in this folder (it fails the same invariant with `run`).
    #[arg(long, value_name = "DIR")]
    pub shrink_to: Option<PathBuf>,
    /// Each seed also draws random faults and their timings.
    #[arg(long)]
    pub chaos: bool,
    /// Stop at the first failing seed.
    #[arg(long)]
    pub fail_fast: bool,
    /// Seeds run at once, each on its own thread (default: one per
    /// core). The report is the same for any number.
    #[arg(long)]
    pub jobs: Option<usize>,
}

/// Bad input: message on stderr, exit 2.
pub(crate) fn bad(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command.unwrap_or(Command::Play(PlayArgs::default())) {
        Command::Play(args) => play(args),
        Command::Shot(args) => shot(args),
        Command::Run(args) => run(args),
        Command::Check(args) => check_command(args),
        Command::Diff(args) => workbench::diff(args),
        Command::Export(args) => workbench::export(args),
        Command::Merge(args) => workbench::merge(args),
    }
}

/// `play`: the window.
fn play(PlayArgs { scenario, seed, disable }: PlayArgs) -> ExitCode {
    if let Some(e) = unknown_safeguard(&disable) {
        return bad(e);
    }
    // No file named: the checkout's scenarios/default.ron, or the
    // copy compiled in when run from elsewhere.
    let (sc, name, source) = match scenario {
        None => match crate::scenario::bundled::load("default") {
            Ok((sc, path)) => (sc, "default".to_string(), path),
            Err(e) => return bad(e),
        },
        Some(path) => match Scenario::load(&path) {
            Ok(sc) => {
                let name = path.file_stem().map_or("scenario".into(), |s| s.to_string_lossy().into_owned());
                (sc, name, Some(path))
            }
            Err(e) => return bad(e),
        },
    };
    let seed = seed.unwrap_or(sc.seed);
    let launch = crate::session::Launch {
        source,
        disabled: sc.disable.iter().chain(&disable).cloned().collect(),
        ..crate::session::Launch::new(sc, name, seed)
    };
    exit_code(crate::session::run(launch))
}

/// `shot`: the window played to a tick, and a PNG of it.
fn shot(ShotArgs { scenario, seed, tick, view, out, size, disable }: ShotArgs) -> ExitCode {
    if let Some(e) = unknown_safeguard(&disable) {
        return bad(e);
    }
    let sc = match Scenario::load(&scenario) {
        Ok(s) => s,
        Err(e) => return bad(e),
    };
    let Some(view) = crate::ui::controls::ViewMode::from_name_ignore_case(&view) else {
        return bad(format!("--view {view}: expected {}", crate::ui::controls::ViewMode::names()));
    };
    let Some(size) = parse_size(&size) else {
        return bad(format!("--size {size}: expected WIDTHxHEIGHT, e.g. 1280x720"));
    };
    let seed = seed.unwrap_or(sc.seed);
    let name = scenario.file_stem().map_or("scenario".into(), |s| s.to_string_lossy().into_owned());
    let launch = crate::session::Launch {
        size: Some(size),
        view,
        disabled: sc.disable.iter().chain(&disable).cloned().collect(),
        guided: Some(false),
        // Slow motion: the last ticks' particles are still in
        // flight when the frame is taken.
        speed_index: 0,
        shot: Some(crate::session::ShotOptions { tick, out, view }),
        ..crate::session::Launch::new(sc, name, seed)
    };
    exit_code(crate::session::run(launch))
}

/// `run`: one scenario headless, and its report.
fn run(RunArgs { scenario, seed, json, until_tick, disable, chaos }: RunArgs) -> ExitCode {
    let sc = match Scenario::load(&scenario) {
        Ok(s) => s,
        Err(e) => return bad(e),
    };
    let opts = RunOptions { seed, until_tick, disable, chaos };
    match report::run(&sc, &opts) {
        Ok(r) => print_report(&r, json),
        Err(e) => bad(e),
    }
}

/// `check`: a sweep of seeds over a scenario, or of swarm seeds.
fn check_command(args: CheckArgs) -> ExitCode {
    let CheckArgs { seeds, from, scenario, json, disable, chaos, fail_fast, jobs, swarm, shrink_to } = args;
    if jobs == Some(0) {
        return bad("--jobs 0: expected at least 1");
    }
    if let Some(e) = unknown_safeguard(&disable) {
        return bad(e);
    }
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let sweep = Sweep { seeds, from, json, chaos, fail_fast, jobs };
    if swarm {
        if chaos || scenario.is_some() {
            return bad("--swarm generates each seed's workload and faults: drop --chaos and --scenario");
        }
        return check_swarm(sweep, &disable, shrink_to.as_deref());
    }
    if shrink_to.is_some() {
        return bad("--shrink-to works with --swarm");
    }
    let path = scenario.unwrap_or_else(|| PathBuf::from("scenarios/default.ron"));
    let sc = match Scenario::load(&path) {
        Ok(s) => s,
        Err(e) => return bad(e),
    };
    check(&sc, &path, sweep, &disable)
}

/// The error for the first name in `names` that is not a safeguard.
pub(crate) fn unknown_safeguard(names: &[String]) -> Option<String> {
    let mut m = crate::sim::Mechanisms::default();
    names.iter().find_map(|d| m.disable(d).err().map(|e| format!("--disable {d}: {e}")))
}

fn parse_size(s: &str) -> Option<(u32, u32)> {
    let (w, h) = s.split_once(['x', 'X'])?;
    let (w, h) = (w.trim().parse().ok()?, h.trim().parse().ok()?);
    ((64..=8192).contains(&w) && (64..=8192).contains(&h)).then_some((w, h))
}

fn exit_code(exit: bevy::app::AppExit) -> ExitCode {
    match exit {
        bevy::app::AppExit::Success => ExitCode::SUCCESS,
        bevy::app::AppExit::Error(_) => ExitCode::from(1),
    }
}

fn print_report(r: &Report, json: bool) -> ExitCode {
    if json {
        println!("{}", serde_json::to_string(r).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")));
    } else {
        print!("{}", r.human());
    }
    if r.ok { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

struct Sweep {
    seeds: u64,
    from: u64,
    json: bool,
    chaos: bool,
    fail_fast: bool,
    /// Threads running seeds at once (at least 1).
    jobs: usize,
}

/// How one seed's run ended.
enum SeedOutcome {
    Passed,
    /// (class, what failed).
    Failed(&'static str, String),
    /// The scenario cannot run (the same for every seed).
    BadInput(String),
}

fn run_seed(sc: &Scenario, opts: &RunOptions) -> SeedOutcome {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| report::run(sc, opts)));
    match outcome {
        Ok(Ok(r)) if r.ok => SeedOutcome::Passed,
        Ok(Ok(r)) => {
            let inv: Vec<String> =
                r.invariants.iter().filter(|i| !i.ok).map(|i| format!("{}: {}", i.name, i.detail)).collect();
            let steps: Vec<String> = if opts.chaos {
                vec![]
            } else {
                r.steps
                    .iter()
                    .flat_map(|s| {
                        s.expectations
                            .iter()
                            .filter(|e| !e.ok)
                            .map(move |e| format!("{}: {} — {}", s.title, e.text, e.detail))
                    })
                    .collect()
            };
            let class = if r.invariants.iter().any(|i| !i.ok && i.name != crate::sim::invariants::LIVENESS) {
                "safety"
            } else if !r.drained {
                "liveness"
            } else {
                "expectation"
            };
            SeedOutcome::Failed(class, inv.into_iter().chain(steps).collect::<Vec<_>>().join("; "))
        }
        Ok(Err(e)) => SeedOutcome::BadInput(e.to_string()),
        Err(_) => SeedOutcome::Failed("crash", "the run panicked".to_string()),
    }
}

/// Runs seeds `from..from + seeds` on up to `jobs` threads; the seeds that
/// did not pass, in seed order (a sweep of 10^6 seeds keeps only those).
/// Seeds are handed out in order and every seed handed out finishes, so
/// when a run asks to stop (a failure under `fail_fast`, or bad input)
/// every lower seed has run: the report reads exactly as one thread's
/// would. Seeds past the stop that were already running finish too, and
/// are dropped by the report as one thread would never have run them.
fn run_seeds(sweep: &Sweep, run_one: &(dyn Fn(u64) -> SeedOutcome + Sync)) -> Vec<(u64, SeedOutcome)> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    // A run is a whole app: the main thread's stack size, not a spawned
    // thread's smaller default.
    const STACK_BYTES: usize = 8 << 20;
    let end = sweep.from.saturating_add(sweep.seeds);
    let next = AtomicU64::new(sweep.from);
    let stop = AtomicBool::new(false);
    let not_passed = Mutex::new(Vec::new());
    let progress = Progress::new(sweep.seeds);
    let work = || {
        while !stop.load(Ordering::SeqCst) {
            let Ok(seed) = next.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < end).then_some(n + 1)) else {
                break;
            };
            let outcome = run_one(seed);
            progress.seed_done();
            let halt = match outcome {
                SeedOutcome::Passed => continue,
                SeedOutcome::Failed(..) => sweep.fail_fast,
                SeedOutcome::BadInput(_) => true,
            };
            if halt {
                stop.store(true, Ordering::SeqCst);
            }
            not_passed.lock().unwrap_or_else(|e| e.into_inner()).push((seed, outcome));
        }
    };
    let jobs = u64::try_from(sweep.jobs).unwrap_or(u64::MAX).clamp(1, sweep.seeds.max(1));
    std::thread::scope(|scope| {
        let mut started = 0;
        for i in 0..jobs {
            let thread = std::thread::Builder::new().name(format!("check-{i}")).stack_size(STACK_BYTES);
            // More threads than the system will give: go on with those
            // already running.
            if thread.spawn_scoped(scope, work).is_err() {
                break;
            }
            started += 1;
        }
        if started == 0 {
            work();
        }
    });
    progress.finish();
    let mut not_passed = not_passed.into_inner().unwrap_or_else(|e| e.into_inner());
    not_passed.sort_by_key(|(seed, _)| *seed);
    not_passed
}

/// A sweep's progress on stderr: drawn only when stderr is a terminal and
/// the sweep has run for [`Progress::AFTER`], so piped output and quick
/// sweeps are unchanged. Wall-clock time here is for the bar only.
struct Progress {
    bar: indicatif::ProgressBar,
    start: std::time::Instant,
    terminal: bool,
    shown: std::sync::atomic::AtomicBool,
}

impl Progress {
    const AFTER: std::time::Duration = std::time::Duration::from_secs(2);

    fn new(seeds: u64) -> Self {
        use std::io::IsTerminal;
        let bar = indicatif::ProgressBar::hidden();
        bar.set_length(seeds);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:32} {pos}/{len} seeds · {elapsed} elapsed, about {eta} left")
        {
            bar.set_style(style);
        }
        let terminal = std::io::stderr().is_terminal();
        Progress { bar, start: std::time::Instant::now(), terminal, shown: false.into() }
    }

    fn seed_done(&self) {
        use std::sync::atomic::Ordering;
        self.bar.inc(1);
        if self.terminal && self.start.elapsed() >= Self::AFTER && !self.shown.swap(true, Ordering::SeqCst) {
            self.bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

fn check(sc: &Scenario, path: &std::path::Path, sweep: Sweep, disable: &[String]) -> ExitCode {
    // Wall-clock time here only reports the sweep's speed; runs never see it.
    let start = std::time::Instant::now();
    let opts = |seed| RunOptions { seed: Some(seed), until_tick: None, disable: disable.to_vec(), chaos: sweep.chaos };
    let outcomes = run_seeds(&sweep, &|seed| run_seed(sc, &opts(seed)));
    let Sweep { seeds, from, json, chaos, fail_fast, .. } = sweep;
    let mut failures = vec![];
    // Every seed ran unless a failure stopped the sweep (below).
    let mut ran = from.saturating_add(seeds) - from;
    for (seed, outcome) in outcomes {
        let why = match outcome {
            SeedOutcome::Passed => continue,
            SeedOutcome::Failed(class, detail) => (class, detail),
            SeedOutcome::BadInput(e) => return bad(e),
        };
        let mut repro = format!("cqrs-tickets run --scenario {} --seed {seed}", path.display());
        for d in disable {
            repro += &format!(" --disable {d}");
        }
        if chaos {
            repro += " --chaos";
        }
        failures.push((seed, why.0, why.1, repro));
        if fail_fast {
            ran = seed - from + 1;
            break;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    if json {
        let v = serde_json::json!({
            "scenario": sc.name,
            "scenario_digest": digest(path),
            "disabled": sorted(disable),
            "seeds": ran,
            "from": from,
            "chaos": chaos,
            "seconds": secs,
            "violations": failures.len(),
            "failures": failures.iter().map(|(s, c, d, r)| serde_json::json!({"seed": s, "class": c, "detail": d, "reproduce": r})).collect::<Vec<_>>(),
        });
        println!("{v}");
    } else {
        for (seed, class, detail, repro) in &failures {
            println!("seed {seed}: {class}: {detail}\n  reproduce: {repro}");
        }
        println!("{} seeds run ({:.1} seeds/s), {} violation(s)", ran, ran as f64 / secs.max(1e-9), failures.len());
    }
    if failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

/// The safeguards a sweep ran without, in name order (the report's field).
fn sorted(disable: &[String]) -> Vec<String> {
    let mut d = disable.to_vec();
    d.sort();
    d.dedup();
    d
}

/// The first 16 hex digits of the SHA-256 of the scenario file: shards of
/// one sweep must have played the same file (names can repeat).
fn digest(path: &std::path::Path) -> String {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(path).unwrap_or_default();
    let digest: [u8; 32] = Sha256::digest(&bytes).into();
    crate::domain::hex(&digest)[..16].to_string()
}

/// `check --swarm`: each seed generates and runs its own scenario; failing
/// seeds are shrunk into `shrink_to` when given.
fn check_swarm(sweep: Sweep, disable: &[String], shrink_to: Option<&std::path::Path>) -> ExitCode {
    use crate::scenario::swarm;
    if let Some(dir) = shrink_to
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        return bad(format!("--shrink-to {}: {e}", dir.display()));
    }
    // Wall-clock time here only reports the sweep's speed; runs never see it.
    let start = std::time::Instant::now();
    let outcomes = run_seeds(&sweep, &|seed| run_seed(&swarm::generate(seed), &swarm_options(seed, disable)));
    let Sweep { seeds, from, json, fail_fast, .. } = sweep;
    let mut ran = from.saturating_add(seeds) - from;
    let mut failures = vec![];
    let mut shrinker = Shrinker { dir: shrink_to, disable, shrunk_for: Default::default() };
    let shrink_start = std::time::Instant::now();
    for (seed, outcome) in outcomes {
        let (class, detail) = match outcome {
            SeedOutcome::Passed => continue,
            SeedOutcome::Failed(class, detail) => (class, detail),
            SeedOutcome::BadInput(e) => return bad(e),
        };
        let mut repro = format!("cqrs-tickets check --swarm --from {seed} --seeds 1");
        for d in disable {
            repro += &format!(" --disable {d}");
        }
        let mut shrunk = serde_json::Value::Null;
        match shrinker.shrink(seed) {
            Ok(Some((file_repro, what))) => (repro, shrunk) = (file_repro, what),
            Ok(None) => {}
            Err(e) => return bad(e),
        }
        failures.push(SwarmFailure { seed, class, detail, repro, shrunk });
        if fail_fast {
            ran = seed - from + 1;
            break;
        }
    }
    let totals = SwarmTotals {
        ran,
        from,
        secs: shrink_start.duration_since(start).as_secs_f64(),
        shrink_secs: shrink_start.elapsed().as_secs_f64(),
    };
    print_swarm_report(&failures, &totals, disable, json);
    if failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

/// A swarm seed's run: its own scenario, no chaos on top.
fn swarm_options(seed: u64, disable: &[String]) -> RunOptions {
    RunOptions { seed: Some(seed), until_tick: None, disable: disable.to_vec(), chaos: false }
}

/// Shrinks failing swarm seeds into scenario files in `dir`: one file per
/// broken invariant, as a sweep with a safeguard off fails thousands of
/// seeds the same way.
struct Shrinker<'a> {
    dir: Option<&'a std::path::Path>,
    disable: &'a [String],
    /// The invariants shrunk so far.
    shrunk_for: std::collections::BTreeSet<String>,
}

impl Shrinker<'_> {
    /// The file's `run` command line and the report's `shrunk` object for
    /// failing `seed`, or `None` (no folder given, or its invariant already
    /// has a file); `Err` when the file cannot be written.
    fn shrink(&mut self, seed: u64) -> Result<Option<(String, serde_json::Value)>, String> {
        use crate::scenario::swarm;
        let Some(dir) = self.dir else { return Ok(None) };
        let sc = swarm::generate(seed);
        let opts = swarm_options(seed, self.disable);
        let first = report::run(&sc, &opts).ok().and_then(|r| swarm::broken(&r).into_iter().next());
        let Some(invariant) = first.filter(|i| self.shrunk_for.insert(i.clone())) else { return Ok(None) };
        let (mut small, runs) = swarm::shrink(&sc, &opts, &invariant);
        small.disable = self.disable.to_vec();
        let file = dir.join(format!("swarm-{seed}.ron"));
        let text = format!(
            "// Shrunk by `check --swarm` from seed {seed} in {runs} runs: it breaks\n// \"{invariant}\".\n{}\n",
            swarm::to_ron(&small)
        );
        if let Err(e) = std::fs::write(&file, text) {
            return Err(format!("cannot write {}: {e}", file.display()));
        }
        let repro = format!("cqrs-tickets run --scenario {}", file.display());
        let shrunk = serde_json::json!({"file": file.display().to_string(), "invariant": invariant, "actions": swarm::action_count(&small), "runs": runs});
        Ok(Some((repro, shrunk)))
    }
}

/// How a swarm sweep went: seeds run from `from`, seconds running them and
/// seconds shrinking.
struct SwarmTotals {
    ran: u64,
    from: u64,
    secs: f64,
    shrink_secs: f64,
}

/// A failing swarm seed as the report shows it.
struct SwarmFailure {
    seed: u64,
    class: &'static str,
    detail: String,
    /// The command line that fails the same way.
    repro: String,
    /// The shrunk file's report (`null` when none was written).
    shrunk: serde_json::Value,
}

/// The swarm sweep's report, as one JSON object or as lines for people.
fn print_swarm_report(failures: &[SwarmFailure], totals: &SwarmTotals, disable: &[String], json: bool) {
    let SwarmTotals { ran, from, secs, shrink_secs } = *totals;
    if json {
        let v = serde_json::json!({
            "scenario": "swarm",
            "swarm": true,
            "disabled": sorted(disable),
            "seeds": ran,
            "from": from,
            "chaos": false,
            "seconds": secs,
            "shrink_seconds": shrink_secs,
            "violations": failures.len(),
            "failures": failures.iter().map(|f| serde_json::json!({"seed": f.seed, "class": f.class, "detail": f.detail, "reproduce": f.repro, "shrunk": f.shrunk})).collect::<Vec<_>>(),
        });
        println!("{v}");
    } else {
        for SwarmFailure { seed, class, detail, repro, shrunk } in failures {
            println!("seed {seed}: {class}: {detail}\n  reproduce: {repro}");
            if let Some(n) = shrunk.get("actions") {
                println!("  shrunk to {n} action(s) in {} runs", shrunk["runs"]);
            }
        }
        println!(
            "{} swarm seeds run ({:.1} seeds/s), {} violation(s)",
            ran,
            ran as f64 / secs.max(1e-9),
            failures.len()
        );
    }
}
