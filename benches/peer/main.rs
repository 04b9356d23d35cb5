//! Peer benchmark (`cargo bench --bench peer`): ours side by side with the
//! `cqrs-es` crate on the same booking workload, in one run. The goal: ours
//! at least 2× the `cqrs-es` peer on the same workload (events stored per
//! second).
//!
//! Ours: N seats, each held then paid by its own customer, through the whole
//! engine (see [`ours`]); the saga issues the tickets.
//!
//! The peer: it measures command throughput, in events stored per second,
//! of `cqrs_es::CqrsFramework` on its in-memory event store (`MemStore`)
//! with five query processors whose in-memory views mirror our read models
//! (AvailableFlights, CustomerBookings, BookingDetail, VendorLedger,
//! Revenue). The workload is ours: for each of N seats, HoldSeat → Pay →
//! IssueTicket on that seat's own aggregate, one event per command
//! (SeatHeld, PaymentCaptured, TicketIssued), payloads shaped like ours.
//! Only the command loop is timed; building the commands, the views and the
//! checks that follow are not.
//!
//! `MemStore` (cqrs-es 0.5.0) `println!`s one line per load and one per
//! commit: 60 000 lines on stdout for N = 10 000, inside the timed loop.
//! That is the crate's store as shipped, so it is the headline figure; a
//! second figure uses `QuietMemStore`, the same store minus those two
//! `println!`s, so that the comparison is not won on terminal writes. Pipe
//! through `grep '^cqrs-es'` to see only the results.
//!
//! A bench binary (`harness = false`), not a test: nothing here asserts on
//! time. N is 10 000, or 2 000 with `BENCH_QUICK` set. `BENCH_ONLY=ours`
//! runs our side only (for profiling). The async API is driven by
//! `futures_lite::future::block_on`: cqrs-es needs tokio only for
//! `tokio::sync::Mutex` (in `EventSink`), which works without a tokio
//! runtime.
//!
//! The files: the peer's [`domain`] (aggregate, commands, events, errors),
//! its [`views`] (the five query processors) and [`store`]
//! (`QuietMemStore`); the [`workload`] both sides run; the two sides,
//! [`ours`] and [`theirs`]; [`timing`] (`Best`), [`runs`] (the alternating
//! runs) and [`report`] (the lines on stdout). This entry point only reads
//! the environment and calls them in order: it must not measure or format
//! figures itself.

mod domain;
mod ours;
mod report;
mod runs;
mod store;
mod theirs;
mod timing;
mod views;
mod workload;

use runs::RUNS;

fn main() {
    let n = if std::env::var("BENCH_QUICK").is_ok() { 2_000 } else { 10_000 };
    // Profiling our side: the peer's figures are not wanted.
    let only_ours = std::env::var("BENCH_ONLY").is_ok_and(|v| v == "ours");
    let cores = std::thread::available_parallelism().map_or(0, |c| c.get());
    println!(
        "machine: {cores} cores; workload: {n} seats, hold -> pay -> issue; best of {RUNS} runs per side, alternating (slowest in brackets)"
    );
    let (ours_bests, peer_bests) = runs::alternate(n, only_ours);
    let ours = report::print_ours(ours_bests);
    if only_ours {
        return;
    }
    let quiet = report::print_quiet(peer_bests);
    // The shipped MemStore prints a line per load and per commit: once is
    // enough.
    let shipped = theirs::cqrs_es_events_per_s(n);
    report::print_ratios(n, ours, quiet, shipped);
}
