//! Where every component of the platform sits on the map, what it looks
//! like, what it is (for tooltips), and the wires between them. Pure data:
//! no systems, nothing that reads the sim.

use crate::sim::bus::ConsumerId;
use crate::sim::projectors::Projection;
use bevy::prelude::*;

/// A node of the architecture map.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeId {
    Customer,
    CommandApi,
    Aggregate,
    EventStore,
    Outbox,
    RabbitMq,
    Projector(Projection),
    ReadDb,
    QueryApi,
    Redis,
    Saga,
    Vendor(u8),
    Timers,
}

impl NodeId {
    pub fn all() -> Vec<NodeId> {
        let mut v = vec![
            NodeId::Customer,
            NodeId::CommandApi,
            NodeId::Aggregate,
            NodeId::EventStore,
            NodeId::Outbox,
            NodeId::RabbitMq,
        ];
        v.extend(Projection::ALL.map(NodeId::Projector));
        v.extend([NodeId::ReadDb, NodeId::QueryApi, NodeId::Redis, NodeId::Saga]);
        v.extend((0..3).map(NodeId::Vendor));
        v.push(NodeId::Timers);
        v
    }

    pub fn of_consumer(c: ConsumerId) -> NodeId {
        match c {
            ConsumerId::Projector(p) => NodeId::Projector(p),
            ConsumerId::Orchestrator => NodeId::Saga,
        }
    }

    /// Map position (world units; the map spans about 1700 × 900).
    pub fn pos(self) -> Vec2 {
        match self {
            NodeId::Customer => Vec2::new(-760.0, 90.0),
            NodeId::CommandApi => Vec2::new(-560.0, 280.0),
            NodeId::Aggregate => Vec2::new(-370.0, 280.0),
            NodeId::EventStore => Vec2::new(-180.0, 280.0),
            NodeId::Outbox => Vec2::new(0.0, 280.0),
            NodeId::RabbitMq => Vec2::new(190.0, 280.0),
            NodeId::Projector(p) => {
                let i = Projection::ALL.iter().position(|x| *x == p).unwrap_or(0) as f32;
                Vec2::new(420.0, 420.0 - i * 105.0)
            }
            NodeId::ReadDb => Vec2::new(680.0, 210.0),
            NodeId::QueryApi => Vec2::new(-560.0, -90.0),
            NodeId::Redis => Vec2::new(60.0, -90.0),
            NodeId::Saga => Vec2::new(-280.0, -330.0),
            NodeId::Vendor(i) => Vec2::new(40.0 + f32::from(i) * 230.0, -330.0),
            NodeId::Timers => Vec2::new(-560.0, -330.0),
        }
    }

    /// Icon file under `assets/icons/`: the shape says what kind of thing it is.
    pub fn icon(self) -> &'static str {
        match self {
            NodeId::Customer => "icons/customer.png",
            NodeId::CommandApi | NodeId::QueryApi => "icons/api.png",
            NodeId::Aggregate => "icons/aggregate.png",
            NodeId::EventStore | NodeId::ReadDb => "icons/database.png",
            NodeId::Outbox => "icons/outbox.png",
            NodeId::RabbitMq => "icons/exchange.png",
            NodeId::Projector(_) => "icons/projector.png",
            NodeId::Redis => "icons/cache.png",
            NodeId::Saga => "icons/saga.png",
            NodeId::Vendor(_) => "icons/vendor.png",
            NodeId::Timers => "icons/timer.png",
        }
    }

    /// Hue by role (write side warm, read side cool, sagas/vendors violet).
    pub fn color(self) -> Color {
        match self {
            NodeId::Customer => Color::srgb(0.95, 0.95, 0.95),
            NodeId::CommandApi | NodeId::Aggregate => Color::srgb(0.98, 0.62, 0.28),
            NodeId::EventStore | NodeId::Outbox => Color::srgb(0.95, 0.45, 0.35),
            NodeId::RabbitMq => Color::srgb(0.98, 0.82, 0.30),
            NodeId::Projector(_) => Color::srgb(0.45, 0.80, 0.55),
            NodeId::ReadDb | NodeId::QueryApi | NodeId::Redis => Color::srgb(0.40, 0.70, 0.98),
            NodeId::Saga | NodeId::Vendor(_) => Color::srgb(0.78, 0.58, 0.98),
            NodeId::Timers => Color::srgb(0.75, 0.75, 0.75),
        }
    }

    pub fn label(self) -> String {
        match self {
            NodeId::Customer => "Customers".into(),
            NodeId::CommandApi => "Command API (Rails)".into(),
            NodeId::Aggregate => "Booking aggregates".into(),
            NodeId::EventStore => "Event store (PostgreSQL)".into(),
            NodeId::Outbox => "Outbox + pumper".into(),
            NodeId::RabbitMq => "RabbitMQ topic exchange".into(),
            NodeId::Projector(p) => p.name().into(),
            NodeId::ReadDb => "Read DB (PostgreSQL)".into(),
            NodeId::QueryApi => "Query API (Rails)".into(),
            NodeId::Redis => "Redis".into(),
            NodeId::Saga => "Saga orchestrator".into(),
            NodeId::Vendor(i) => {
                ["V1 Iberia - NDC", "V2 Lufthansa - Amadeus", "V3 Delta - Sabre"][usize::from(i.min(2))].into()
            }
            NodeId::Timers => "Timers".into(),
        }
    }

    /// What it is, for someone who never built CQRS.
    pub fn explain(self) -> &'static str {
        match self {
            NodeId::Customer => {
                "People buying tickets. They send commands (hold, pay) to the write side and queries (search, my bookings) to the read side."
            }
            NodeId::CommandApi => {
                "Validates a command, loads the seat's history and folds it into the current state, decides, then appends new events with the version it read. If someone appended first, the insert fails: `conflict`."
            }
            NodeId::Aggregate => {
                "One event stream per seat (e.g. IB3166/14C). Its state is nothing but the fold of its events; its version is the number of events."
            }
            NodeId::EventStore => {
                "Append-only log. (aggregate_id, version) is unique, every row gets a global seq, and each row's hash covers the previous one: the log is tamper-evident."
            }
            NodeId::Outbox => {
                "Rows written in the same transaction as the events. A pumper publishes them to the bus; a failed publish leaves the row to retry, so no event is ever 'written but not sent'."
            }
            NodeId::RabbitMq => {
                "A topic exchange with one durable queue per consumer. Delivery is at-least-once: duplicates and reordering happen, and each consumer must cope."
            }
            NodeId::Projector(Projection::AvailableFlights) => {
                "Seats left per flight. Keeps the highest version seen per seat, so it tolerates out-of-order delivery."
            }
            NodeId::Projector(Projection::CustomerBookings) => {
                "'My bookings' rows per customer. Tolerates reordering; the Replay knob drops it and rebuilds it from seq 0; a GDPR tombstone drops the customer's rows."
            }
            NodeId::Projector(Projection::BookingDetail) => {
                "Full detail per booking, strictly in version order: an event that arrives ahead of its predecessor waits in a buffer. A tombstone redacts the name and e-mail, keeping every event hash."
            }
            NodeId::Projector(Projection::VendorLedger) => "Holds, issues and releases per vendor.",
            NodeId::Projector(Projection::Revenue) => "Money captured and refunded per flight.",
            NodeId::ReadDb => {
                "The projections' tables: denormalised, eventually consistent copies of what the event store says."
            }
            NodeId::QueryApi => {
                "Serves searches and 'my bookings' from Redis first, the Read DB second. Never touches the event store."
            }
            NodeId::Redis => {
                "Cache with TTLs. Single-flight: concurrent misses on one key share one populator. Write-through: the command side writes a just-booked customer's booking here, so they read their own write."
            }
            NodeId::Saga => {
                "Runs long bookings as state machines: each step has an explicit, idempotent compensation; a failure runs the compensations backwards. Vendor steps time out after 2.5 s; late replies are undone."
            }
            NodeId::Vendor(_) => {
                "A GDS/airline adapter with its own seat inventory, latency, and injectable slowness and failures."
            }
            NodeId::Timers => "Hold expiries (SeatHoldExpired), saga step timeouts and cache TTLs.",
        }
    }
}

/// A wire: what flows along it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Wire {
    pub from: NodeId,
    pub to: NodeId,
    pub what: &'static str,
}

/// Every wire of the map.
pub fn wires() -> Vec<Wire> {
    let w = |from, to, what| Wire { from, to, what };
    let mut v = vec![
        w(NodeId::Customer, NodeId::CommandApi, "commands (HoldSeat, Pay, BookItinerary, GDPRDelete)"),
        w(NodeId::CommandApi, NodeId::Aggregate, "load by fold, decide"),
        w(NodeId::Aggregate, NodeId::EventStore, "append with the expected version"),
        w(NodeId::EventStore, NodeId::Outbox, "outbox rows, same transaction"),
        w(NodeId::Outbox, NodeId::RabbitMq, "publish (retried until it succeeds)"),
        w(NodeId::RabbitMq, NodeId::Saga, "the orchestrator's queue"),
        w(NodeId::Saga, NodeId::CommandApi, "saga step commands"),
        w(NodeId::Customer, NodeId::QueryApi, "queries (search, my bookings)"),
        w(NodeId::QueryApi, NodeId::Redis, "cache get"),
        w(NodeId::Redis, NodeId::ReadDb, "populator reads"),
        w(NodeId::CommandApi, NodeId::Redis, "write-through (read your own writes)"),
        w(NodeId::Timers, NodeId::CommandApi, "hold expiry commands"),
    ];
    for p in Projection::ALL {
        v.push(w(NodeId::RabbitMq, NodeId::Projector(p), "a projector's own queue"));
        v.push(w(NodeId::Projector(p), NodeId::ReadDb, "projection writes"));
    }
    for i in 0..3 {
        v.push(w(NodeId::Saga, NodeId::Vendor(i), "vendor calls and replies"));
        v.push(w(NodeId::Redis, NodeId::Vendor(i), "search fan-out"));
    }
    v
}

/// The center of the map and the size that fits it all.
pub fn bounds() -> (Vec2, Vec2) {
    let (mut lo, mut hi) = (Vec2::splat(f32::MAX), Vec2::splat(f32::MIN));
    for n in NodeId::all() {
        lo = lo.min(n.pos());
        hi = hi.max(n.pos());
    }
    let margin = Vec2::new(160.0, 140.0);
    ((lo + hi) / 2.0, hi - lo + margin * 2.0)
}
