//! One causal chain as a sequence diagram: the engine's signals turned into
//! tick-stamped arrows between components (lanes), recorded per
//! correlation, and written as Mermaid `sequenceDiagram` text.
//!
//! The same arrows feed `export --format mermaid`, the Sequence view and
//! its "copy as Mermaid" button, so all three always agree. The recorder
//! only reads [`SimSignal`]s (write-only from the engine's side): recording
//! cannot change a run. Nothing here draws.

use crate::domain::{Tick, VendorId};
use crate::sim::SimClock;
use crate::sim::protocol::ConsumerId;
use crate::sim::protocol::Projection;
use crate::sim::protocol::{Origin, Outcome, VendorOpKind};
use crate::sim::signals::{ApplyOutcome, SimSignal};
use bevy::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write;

/// A lane of the diagram: one component of the platform.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Participant {
    Customer,
    CommandApi,
    Store,
    Outbox,
    RabbitMq,
    Projector(Projection),
    Saga,
    QueryApi,
    Redis,
    Vendor(VendorId),
    Timers,
}

impl Participant {
    /// The Mermaid identifier (letters, digits and `_` only).
    pub fn id(&self) -> String {
        match self {
            Participant::Customer => "Customer".into(),
            Participant::CommandApi => "CommandAPI".into(),
            Participant::Store => "Store".into(),
            Participant::Outbox => "Outbox".into(),
            Participant::RabbitMq => "RabbitMQ".into(),
            Participant::Projector(p) => format!("P_{}", p.name()),
            Participant::Saga => "Saga".into(),
            Participant::QueryApi => "QueryAPI".into(),
            Participant::Redis => "Redis".into(),
            Participant::Timers => "Timers".into(),
            Participant::Vendor(v) => {
                // Letters and digits as they are, anything else as `_` and
                // its code: two vendor ids never share a lane.
                v.as_str().chars().fold("V_".to_string(), |mut id, c| {
                    if c.is_ascii_alphanumeric() {
                        id.push(c);
                    } else {
                        id.push_str(&format!("_{:x}", u32::from(c)));
                    }
                    id
                })
            }
        }
    }

    /// The lane's title.
    pub fn title(&self) -> String {
        match self {
            Participant::Customer => "Customer".into(),
            Participant::CommandApi => "Command API".into(),
            Participant::Store => "Event store".into(),
            Participant::Outbox => "Outbox".into(),
            Participant::RabbitMq => "RabbitMQ".into(),
            Participant::Projector(p) => p.name().into(),
            Participant::Saga => "Saga orchestrator".into(),
            Participant::QueryApi => "Query API".into(),
            Participant::Redis => "Redis".into(),
            Participant::Vendor(v) => format!("Vendor {v}"),
            Participant::Timers => "Timers".into(),
        }
    }

    /// Who sends a command of this origin.
    fn sender(origin: Origin) -> Participant {
        match origin {
            Origin::Customer => Participant::Customer,
            Origin::Saga(_) => Participant::Saga,
            Origin::Timer => Participant::Timers,
        }
    }

    fn of_consumer(c: ConsumerId) -> Participant {
        match c {
            ConsumerId::Projector(p) => Participant::Projector(p),
            ConsumerId::Orchestrator => Participant::Saga,
        }
    }
}

/// How an arrow is drawn: what happened to the message.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Mark {
    /// A request or a message that went through.
    Normal,
    /// An answer (drawn dotted).
    Reply,
    /// Refused, failed or timed out (red; a cross in Mermaid).
    Failed,
    /// A second copy of a message (grey).
    Duplicate,
    /// Held back until the events before it arrive (orange).
    Buffered,
}

/// What clicking an arrow pins.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum ArrowTarget {
    Command(u64),
    Event(u64),
    Saga(u64),
}

/// One message of a chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrow {
    pub tick: Tick,
    pub from: Participant,
    pub to: Participant,
    /// Short text without the tick (the diagram adds it).
    pub label: String,
    pub mark: Mark,
    pub target: Option<ArrowTarget>,
}

fn arrow(tick: Tick, from: Participant, to: Participant, label: String, mark: Mark) -> Arrow {
    Arrow { tick, from, to, label, mark, target: None }
}

/// `a`, clicking which pins `t`.
fn on(a: Arrow, t: ArrowTarget) -> Arrow {
    Arrow { target: Some(t), ..a }
}

/// The arrows of the write path (see [`arrows`]): a command sent and
/// answered, an event appended and published, a message delivered and
/// applied.
fn write_path_arrows(signal: &SimSignal, tick: Tick) -> Vec<Arrow> {
    use Participant as P;
    use SimSignal::*;
    match signal {
        CommandSent { id, name, origin, .. } => {
            let a = arrow(tick, P::sender(*origin), P::CommandApi, format!("command {id} {name}"), Mark::Normal);
            vec![on(a, ArrowTarget::Command(*id))]
        }
        CommandDone { id, origin, outcome, .. } => {
            let mark = if *outcome == Outcome::Ok { Mark::Reply } else { Mark::Failed };
            let a = arrow(tick, P::CommandApi, P::sender(*origin), format!("command {id} {}", outcome.name()), mark);
            vec![on(a, ArrowTarget::Command(*id))]
        }
        EventAppended { seq, kind, version, .. } => {
            let t = ArrowTarget::Event(*seq);
            vec![
                on(
                    arrow(
                        tick,
                        P::CommandApi,
                        P::Store,
                        format!("append {} v{version} (seq {seq})", kind.name()),
                        Mark::Normal,
                    ),
                    t,
                ),
                on(arrow(tick, P::Store, P::Outbox, format!("outbox row seq {seq}"), Mark::Normal), t),
            ]
        }
        OutboxPublished { seq, ok, .. } => {
            let (label, mark) = if *ok {
                (format!("publish seq {seq}"), Mark::Normal)
            } else {
                (format!("publish seq {seq} FAILED"), Mark::Failed)
            };
            vec![on(arrow(tick, P::Outbox, P::RabbitMq, label, mark), ArrowTarget::Event(*seq))]
        }
        MessageSent { seq, kind, version, consumer, duplicate, .. } => {
            let (dup, mark) = if *duplicate { ("DUPLICATE ", Mark::Duplicate) } else { ("", Mark::Normal) };
            let label = format!("{dup}{} v{version} seq {seq}", kind.name());
            vec![on(arrow(tick, P::RabbitMq, P::of_consumer(*consumer), label, mark), ArrowTarget::Event(*seq))]
        }
        Delivered { .. } => vec![],
        ProjectionApplied { seq, projection, outcome, .. } => {
            let (label, mark) = match outcome {
                ApplyOutcome::Applied => (format!("applied seq {seq}"), Mark::Normal),
                ApplyOutcome::DuplicateSkipped => (format!("skipped duplicate seq {seq}"), Mark::Duplicate),
                ApplyOutcome::Buffered => (format!("buffered seq {seq} (ahead of its version)"), Mark::Buffered),
            };
            let p = P::Projector(*projection);
            vec![on(arrow(tick, p.clone(), p, label, mark), ArrowTarget::Event(*seq))]
        }
        // The saga's, the vendors' and the read path's: see `arrows`.
        _ => vec![],
    }
}

/// The arrows one signal draws (none for a message joining a queue: the
/// arrow of its sending already shows it).
pub fn arrows(signal: &SimSignal, tick: Tick) -> Vec<Arrow> {
    use Participant as P;
    use SimSignal::*;
    match signal {
        CommandSent { .. }
        | CommandDone { .. }
        | EventAppended { .. }
        | OutboxPublished { .. }
        | MessageSent { .. }
        | Delivered { .. }
        | ProjectionApplied { .. } => write_path_arrows(signal, tick),
        VendorCalled { vendor, op, .. } => {
            let from = if *op == VendorOpKind::Search { P::Redis } else { P::Saga };
            vec![arrow(tick, from, P::Vendor(vendor.clone()), (*op).to_string(), Mark::Normal)]
        }
        VendorReplied { vendor, ok, late, .. } => {
            let late = if *late { " (late)" } else { "" };
            let (label, mark) = if *ok {
                (format!("reply ok{late}"), Mark::Reply)
            } else {
                (format!("reply FAILED{late}"), Mark::Failed)
            };
            vec![arrow(tick, P::Vendor(vendor.clone()), P::Saga, label, mark)]
        }
        SagaStep { saga, outcome, .. } => {
            let mark = if outcome.is_failure() { Mark::Failed } else { Mark::Normal };
            vec![on(
                arrow(tick, P::Saga, P::Saga, format!("saga {saga} step {outcome}"), mark),
                ArrowTarget::Saga(*saga),
            )]
        }
        SearchReplied { vendor, ok, .. } => {
            let (label, mark) = if *ok { ("offers", Mark::Reply) } else { ("search FAILED", Mark::Failed) };
            vec![arrow(tick, P::Vendor(vendor.clone()), P::Redis, label.into(), mark)]
        }
        CacheGet { hit, .. } => {
            let label = if *hit { "GET hit" } else { "GET miss" };
            vec![arrow(tick, P::QueryApi, P::Redis, label.into(), Mark::Normal)]
        }
        CachePopulated { .. } => vec![arrow(tick, P::Redis, P::Redis, "SET (populated)".into(), Mark::Normal)],
        QueryServed { .. } => vec![arrow(tick, P::QueryApi, P::Customer, "answer".into(), Mark::Reply)],
    }
}

/// Every arrow recorded in a run, by correlation id, in the order they
/// happened (tick, then the order of the tick's sets).
#[derive(Resource, Clone, Debug, Default)]
pub struct Trace {
    chains: BTreeMap<u64, Vec<(u64, Arrow)>>,
    /// Arrows recorded so far (also the next arrow's global order).
    pub total: u64,
    /// Keep only this many correlations (the newest ids); `None` keeps all.
    pub keep: Option<usize>,
    last_tick: Tick,
}

impl Trace {
    /// A trace that keeps every correlation (headless export).
    pub fn unbounded() -> Self {
        Trace::default()
    }

    /// A trace that keeps the newest `n` correlations (the app).
    pub fn keeping(n: usize) -> Self {
        Trace { keep: Some(n), ..Trace::default() }
    }

    pub fn record(&mut self, correlation: u64, arrow: Arrow) {
        self.chains.entry(correlation).or_default().push((self.total, arrow));
        self.total += 1;
        if let Some(n) = self.keep {
            while self.chains.len() > n {
                self.chains.pop_first();
            }
        }
    }

    /// The arrows of one correlation, in order.
    pub fn chain(&self, correlation: u64) -> impl Iterator<Item = &Arrow> {
        self.chains.get(&correlation).into_iter().flatten().map(|(_, a)| a)
    }

    /// The recorded correlation ids, ascending.
    pub fn correlations(&self) -> impl DoubleEndedIterator<Item = u64> + '_ {
        self.chains.keys().copied()
    }

    /// Every recorded arrow in the order it happened.
    pub fn all(&self) -> Vec<&Arrow> {
        let mut all: Vec<&(u64, Arrow)> = self.chains.values().flatten().collect();
        all.sort_by_key(|(order, _)| *order);
        all.into_iter().map(|(_, a)| a).collect()
    }

    fn clear(&mut self) {
        self.chains.clear();
        self.total = 0;
    }
}

/// Records every signal of the tick, stamped with the tick. Runs at the end
/// of the tick, after every set that signals.
fn record(mut signals: MessageReader<SimSignal>, clock: Res<SimClock>, mut trace: ResMut<Trace>) {
    if clock.tick < trace.last_tick {
        // A reset or a scrub: ids start over with the new run.
        trace.clear();
    }
    trace.last_tick = clock.tick;
    for s in signals.read() {
        for a in arrows(s, clock.tick) {
            trace.record(s.correlation(), a);
        }
    }
}

/// Installs the recorder (the caller inserts the [`Trace`] it wants and
/// turns the signals on).
pub fn plugin(app: &mut App) {
    app.init_resource::<Trace>();
    app.add_systems(FixedUpdate, record.after(crate::sim::protocol::SimSet::Invariants));
}

/// How many arrows a Mermaid export shows at most (export and the
/// Sequence view's copy button alike); the text says when more were left.
pub const MERMAID_LIMIT: usize = 600;

/// The comment line naming what a diagram shows (the same from the CLI
/// and from the app, so their texts are equal).
pub fn title(scenario: &str, seed: u64, correlation: Option<u64>) -> String {
    match correlation {
        Some(c) => format!("cqrs-tickets: scenario {scenario}, seed {seed}, correlation {c}"),
        None => format!("cqrs-tickets: scenario {scenario}, seed {seed}, the whole run"),
    }
}

/// Mermaid `sequenceDiagram` text for `arrows` (at most `limit` of them;
/// the text says when more were left out). `title` goes in a comment.
pub fn mermaid<'a>(title: &str, arrows: impl IntoIterator<Item = &'a Arrow>, limit: usize) -> String {
    let arrows: Vec<&Arrow> = arrows.into_iter().collect();
    let shown = &arrows[..arrows.len().min(limit)];
    let mut lanes: Vec<&Participant> = shown.iter().flat_map(|a| [&a.from, &a.to]).collect();
    lanes.sort();
    lanes.dedup();
    let mut s = String::from("sequenceDiagram\n");
    let _ = writeln!(s, "    %% {}", clean(title));
    if shown.len() < arrows.len() {
        let _ = writeln!(s, "    %% the first {} of {} messages (the limit)", shown.len(), arrows.len());
    }
    for p in lanes {
        let _ = writeln!(s, "    participant {} as {}", p.id(), clean(&p.title()));
    }
    for a in shown {
        let head = match a.mark {
            Mark::Normal | Mark::Buffered => "->>",
            Mark::Reply => "-->>",
            Mark::Failed => "-x",
            Mark::Duplicate => "-)",
        };
        let note = if a.mark == Mark::Failed { " ✘" } else { "" };
        let _ = writeln!(s, "    {}{head}{}: t{} {}{note}", a.from.id(), a.to.id(), a.tick, clean(&a.label));
    }
    if shown.len() < arrows.len() {
        let first = &shown.first().map_or(arrows[0], |a| a);
        let _ =
            writeln!(s, "    Note over {}: {} more messages not shown", first.from.id(), arrows.len() - shown.len());
    }
    s
}

/// Message text Mermaid reads literally: a raw `#` starts a comment and `;`
/// ends a statement there, so both are written as entities (shown as the
/// characters themselves).
fn clean(text: &str) -> String {
    text.chars().fold(String::with_capacity(text.len()), |mut s, c| {
        match c {
            '#' => s.push_str("#35;"),
            ';' => s.push_str("#59;"),
            '\n' => s.push(' '),
            c => s.push(c),
        }
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EventKind;
    use crate::sim::protocol::Origin;

    fn sent(seq: u64, duplicate: bool) -> SimSignal {
        SimSignal::MessageSent {
            seq,
            kind: EventKind::SeatHeld,
            version: 1,
            consumer: ConsumerId::Orchestrator,
            duplicate,
            transit_ms: 50,
            correlation: 7,
        }
    }

    #[test]
    fn given_signals_when_recorded_then_each_chain_keeps_its_own_arrows_in_order() {
        let mut t = Trace::unbounded();
        for (tick, s) in [
            (1, SimSignal::CommandSent { id: 3, name: "HoldSeat", origin: Origin::Customer, correlation: 7 }),
            (1, SimSignal::CommandSent { id: 4, name: "Pay", origin: Origin::Customer, correlation: 8 }),
            (2, SimSignal::EventAppended { seq: 1, kind: EventKind::SeatHeld, version: 1, correlation: 7 }),
            (3, sent(1, true)),
        ] {
            for a in arrows(&s, tick) {
                t.record(s.correlation(), a);
            }
        }
        let chain: Vec<&Arrow> = t.chain(7).collect();
        assert_eq!(chain.len(), 4, "command, append, outbox row, message");
        assert_eq!(chain[0].target, Some(ArrowTarget::Command(3)));
        assert_eq!(chain[3].mark, Mark::Duplicate);
        assert_eq!(t.chain(8).count(), 1, "chains do not mix");
        assert_eq!(t.all().len(), 5);
        assert_eq!(t.all()[1].label, "command 4 Pay", "the whole run keeps the order things happened in");
    }

    #[test]
    fn given_a_bounded_trace_then_the_oldest_correlations_go_first() {
        let mut t = Trace::keeping(2);
        for c in 0..5 {
            t.record(c, arrow(1, Participant::Customer, Participant::Redis, "x".into(), Mark::Normal));
        }
        assert_eq!(t.correlations().collect::<Vec<_>>(), vec![3, 4]);
    }

    #[test]
    fn given_arrows_when_written_as_mermaid_then_one_line_per_arrow_with_marks() {
        let a = arrows(&SimSignal::OutboxPublished { seq: 5, ok: false, correlation: 1 }, 9);
        let b = arrows(&sent(5, true), 10);
        let text = mermaid("test #1; x", a.iter().chain(&b), 100);
        assert!(text.starts_with("sequenceDiagram\n"));
        assert!(text.contains("    %% test #35;1#59; x\n"), "{text}");
        assert!(text.contains("    participant RabbitMQ as RabbitMQ\n"));
        assert!(text.contains("Outbox-xRabbitMQ: t9 publish seq 5 FAILED ✘\n"), "{text}");
        assert!(text.contains("RabbitMQ-)Saga: t10 DUPLICATE SeatHeld v1 seq 5\n"), "{text}");
        assert_eq!(text.lines().filter(|l| l.contains(": t")).count(), 2);
    }

    #[test]
    fn given_vendor_ids_with_odd_characters_then_each_keeps_its_own_lane() {
        let a = Participant::Vendor("V#1;".into());
        let b = Participant::Vendor("V;1#".into());
        assert_ne!(a.id(), b.id());
        assert!(a.id().chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{}", a.id());
        let text = mermaid("t", &[arrow(1, a, b, "x".into(), Mark::Normal)], 10);
        assert!(text.contains("as Vendor V#35;1#59;\n"), "{text}");
    }

    #[test]
    fn given_more_arrows_than_the_limit_then_the_text_says_so() {
        let many: Vec<Arrow> =
            (0..10).map(|i| arrow(i, Participant::Customer, Participant::QueryApi, "q".into(), Mark::Normal)).collect();
        let text = mermaid("run", &many, 4);
        assert_eq!(text.lines().filter(|l| l.contains("->>")).count(), 4);
        assert!(text.contains("the first 4 of 10 messages"));
        assert!(text.contains("6 more messages not shown"));
    }
}
