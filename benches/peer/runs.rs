//! The run plan: `RUNS` runs per side, the two sides alternating run for
//! run, each measurement kept as a `Best` (fastest, and slowest for the
//! spread). One line per run on stderr, as progress.
//!
//! It only schedules the runs and collects their seconds: it must not print
//! results on stdout (that is `report`'s) nor measure anything itself
//! (that is `ours`' and `theirs`').

use crate::ours::{OursRun, ours};
use crate::theirs::cqrs_es_quiet_events_per_s;
use crate::timing::Best;
use crate::workload::Order;

/// Runs per side. The two sides alternate, run for run, so that a slow
/// spell of the machine (they last seconds here) slows both, not one.
pub const RUNS: usize = 5;

/// Our side's bests: the whole engine, keeping (events, tickets issued,
/// ticks, (wall seconds, tick) when the last saga finished); our views
/// alone; the hash chain alone, sealing and verifying; sealing only.
pub struct OursBests {
    pub runs: Best<(u64, usize, u64, (f64, u64))>,
    pub views: Best<()>,
    pub chain: Best<()>,
    pub seal: Best<()>,
}

/// The peer's bests (left empty when only our side runs): the quiet store
/// seat by seat and in our order, keeping the events stored; the peer's
/// views alone.
pub struct PeerBests {
    pub quiet: Best<u64>,
    pub phased: Best<u64>,
    pub views: Best<()>,
}

/// Both sides' bests over `RUNS` alternating runs of `n` seats; with
/// `only_ours`, the peer does not run.
pub fn alternate(n: usize, only_ours: bool) -> (OursBests, PeerBests) {
    let mut ours_runs = Best::new();
    let mut views_runs = Best::new();
    let mut chain_runs = Best::new();
    let mut seal_runs = Best::new();
    let mut quiet_runs = Best::new();
    let mut phased_runs = Best::new();
    let mut peer_views_runs = Best::new();
    for run in 1..=RUNS {
        let OursRun { events, issued, secs, ticks, sagas_done, views_secs, chain_secs } = ours(n);
        ours_runs.add((events, issued, ticks, sagas_done), secs);
        views_runs.add((), views_secs);
        chain_runs.add((), chain_secs.0);
        seal_runs.add((), chain_secs.1);
        if only_ours {
            eprintln!("    run {run}: ours {secs:.3} s");
            continue;
        }
        let (quiet_events, quiet_secs, peer_views_secs) = cqrs_es_quiet_events_per_s(n, Order::SeatBySeat);
        quiet_runs.add(quiet_events, quiet_secs);
        peer_views_runs.add((), peer_views_secs.expect("measured seat by seat"));
        let (phased_events, phased_secs, _) = cqrs_es_quiet_events_per_s(n, Order::Phased);
        phased_runs.add(phased_events, phased_secs);
        eprintln!(
            "    run {run}: ours {secs:.3} s, cqrs-es (quiet) {quiet_secs:.3} s seat by seat, {phased_secs:.3} s in our order"
        );
    }
    (
        OursBests { runs: ours_runs, views: views_runs, chain: chain_runs, seal: seal_runs },
        PeerBests { quiet: quiet_runs, phased: phased_runs, views: peer_views_runs },
    )
}
