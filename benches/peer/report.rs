//! What the bench prints on stdout after the runs, in a fixed order: our
//! side's figures (the whole engine, our views alone, the hash chain
//! alone), then the quiet peer's (seat by seat and in our order), then the
//! shipped store's and the ratios between the two sides.
//!
//! It only turns measurements into lines: it must not run or time anything
//! (the bests come from `runs`, the shipped store's one run from `main`).

use crate::runs::{OursBests, PeerBests};

/// Our side's best figures, which the peer's lines are compared against.
#[derive(Clone, Copy)]
pub struct OursFigures {
    /// Events stored per second, whole engine.
    pub rate: f64,
    /// Tickets issued per second, whole engine.
    pub bookings: f64,
    /// Events stored in the fastest run.
    pub events: u64,
    /// Our five views alone.
    pub views_secs: f64,
    /// The hash chain alone, sealing and verifying.
    pub chain_secs: f64,
    /// The hash chain alone, sealing only.
    pub seal_secs: f64,
}

/// Prints our side's lines; returns the figures the peer's lines use.
pub fn print_ours(bests: OursBests) -> OursFigures {
    let ((events, issued, ticks, (done_secs, done_tick)), secs, worst) = bests.runs.get();
    let ours_rate = events as f64 / secs;
    let ours_bookings = issued as f64 / secs;
    println!(
        "ours: {events} events ({issued} tickets issued) in {secs:.3} s [{worst:.3} s] over {ticks} ticks = {ours_rate:.0} events/s, {ours_bookings:.0} bookings/s"
    );
    println!(
        "ours, in that run: the last saga finished at tick {done_tick}, {done_secs:.3} s in; after it, until quiescence: the holds' expiry timers firing and their ExpireHold commands rejected, and idle ticks (counted: the engine owes that work)"
    );
    let ours_events = events;
    let ((), views_secs, views_worst) = bests.views.get();
    println!(
        "views alone: our five views (View::apply, each over the same {events} events in seq order; no bus, no ECS): {views_secs:.4} s [{views_worst:.4} s] = {:.0} events/s",
        events as f64 / views_secs
    );
    let ((), chain_secs, chain_worst) = bests.chain.get();
    // The fastest sealing of all runs, as every other figure is a best.
    let ((), seal_secs, _) = bests.seal.get();
    println!(
        "hash chain alone: the same {events} events each hashed as the append seals it and again as the invariant verifies it (SHA-256 of the canonical bytes, twice; nothing else): {chain_secs:.4} s [{chain_worst:.4} s] = {:.0} events/s; sealing alone {seal_secs:.4} s",
        events as f64 / chain_secs
    );
    OursFigures { rate: ours_rate, bookings: ours_bookings, events: ours_events, views_secs, chain_secs, seal_secs }
}

/// The quiet peer's best figures, which the ratios use.
#[derive(Clone, Copy)]
pub struct QuietFigures {
    /// Events per second, seat by seat.
    pub rate: f64,
    /// Seconds of that best run, seat by seat.
    pub secs: f64,
    /// Tickets issued per second, seat by seat.
    pub bookings: f64,
    /// Events per second in our order.
    pub phased: f64,
    /// Seconds of that best run, in our order.
    pub phased_secs: f64,
    /// The peer's views alone: seconds of the fastest run.
    pub views_secs: f64,
    /// The peer's views alone: seconds of the slowest run.
    pub views_worst: f64,
}

/// Prints the quiet peer's lines; returns the figures the ratios use.
pub fn print_quiet(bests: PeerBests) -> QuietFigures {
    let (events, secs, worst) = bests.quiet.get();
    let quiet_secs = secs;
    let quiet = events as f64 / secs;
    let quiet_bookings = (events / 3) as f64 / secs;
    println!(
        "cqrs-es (MemStore without its println!s), seat by seat: {events} events in {secs:.3} s [{worst:.3} s] = {quiet:.0} events/s, {quiet_bookings:.0} bookings/s"
    );
    let (events, secs, worst) = bests.phased.get();
    let phased_secs = secs;
    let phased = events as f64 / secs;
    println!(
        "cqrs-es (MemStore without its println!s), in our order (every hold, every pay, every issue): {events} events in {secs:.3} s [{worst:.3} s] = {phased:.0} events/s"
    );
    let ((), peer_views_secs, peer_views_worst) = bests.views.get();
    QuietFigures {
        rate: quiet,
        secs: quiet_secs,
        bookings: quiet_bookings,
        phased,
        phased_secs,
        views_secs: peer_views_secs,
        views_worst: peer_views_worst,
    }
}

/// Prints the shipped store's line (`shipped`: events stored, seconds of
/// its one run) and the ratios between ours and the peer (`n`: seats per
/// run).
pub fn print_ratios(n: usize, ours: OursFigures, peer: QuietFigures, shipped: (u64, f64)) {
    let OursFigures {
        rate: ours_rate,
        bookings: ours_bookings,
        events: ours_events,
        views_secs,
        chain_secs,
        seal_secs,
    } = ours;
    let QuietFigures {
        rate: quiet,
        secs: quiet_secs,
        bookings: quiet_bookings,
        phased,
        phased_secs,
        views_secs: peer_views_secs,
        views_worst: peer_views_worst,
    } = peer;
    let (events, secs) = shipped;
    let shipped = events as f64 / secs;
    println!("cqrs-es: {events} events in {secs:.3} s = {shipped:.0} events/s (one run)");
    println!(
        "ratio ours / cqrs-es: {:.2}x events/s against the shipped MemStore, {:.2}x against the quiet one; {:.2}x bookings/s against the quiet one; {:.2}x events/s against the quiet one in our order",
        ours_rate / shipped,
        ours_rate / quiet,
        ours_bookings / quiet_bookings,
        ours_rate / phased
    );
    // Both sides stored the same number of events (asserted), so the ratio
    // of times is the inverse ratio of events/s.
    assert_eq!(ours_events, 3 * n as u64, "our side stored three events per seat");
    println!(
        "views alone / cqrs-es: our five views alone take {:.2}x the time of the quiet peer's whole loop seat by seat, {:.2}x in our order; ours >= 2x the peer needs our whole engine within 0.50x",
        views_secs / quiet_secs,
        views_secs / phased_secs
    );
    println!(
        "the peer's views alone (its five views' update, each over the same {events} events seat by seat; no store, no framework): {peer_views_secs:.4} s [{peer_views_worst:.4} s] = {:.2}x the time of its whole loop; ours alone take {:.2}x the time of its views alone",
        peer_views_secs / quiet_secs,
        views_secs / peer_views_secs
    );
    println!(
        "the peer's views and our hash chain alone / cqrs-es: {:.2}x the time of the quiet peer's whole loop seat by seat ({:.2}x with the sealing alone, no verification)",
        (peer_views_secs + chain_secs) / quiet_secs,
        (peer_views_secs + seal_secs) / quiet_secs
    );
    println!(
        "views and hash chain alone / cqrs-es: {:.2}x the time of the quiet peer's whole loop seat by seat (the chain {:.2}x), {:.2}x in our order",
        (views_secs + chain_secs) / quiet_secs,
        chain_secs / quiet_secs,
        (views_secs + chain_secs) / phased_secs
    );
}
