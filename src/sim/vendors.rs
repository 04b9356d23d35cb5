//! The vendor adapters, one per vendor of the world (the default world:
//! V1 Iberia/NDC, V2 Lufthansa/Amadeus, V3 Delta/Sabre): seat inventory per flight, seeded latency, injectable
//! slowness and failures. Each call is an entity: the vendor acts on it
//! halfway through its latency and the reply lands at the end, so a slow
//! vendor can act *after* the caller gave up (the late reply the saga must
//! compensate). Holds and releases are keyed by the holder (the saga), so
//! a release is idempotent and never frees someone else's seat. A saga's
//! request also carries an idempotency key (saga, token): a vendor that
//! already acted on that key answers a copy of the request (sent again by
//! an orchestrator back from a crash) with the result it gave, without
//! acting twice, as a payment or booking API with idempotency keys does.

use super::config::{WorldConfig, ticks};
use super::knobs::Knobs;
use super::runtime::{DueQueue, IdGen, SimClock, SimEntity};
use super::runtime::{ResetOrder, add_reset};
use super::signals::{Signals, SimSignal};
use super::{
    protocol::{SimSet, VendorOpKind},
    runtime::SimRng,
};
use crate::domain::{FlightId, SeatNo, Tick, VendorId};
use bevy::prelude::*;
use rand::Rng;
use serde::Serialize;
use std::collections::BTreeMap;

/// The words of a vendor's refusal of a hold: the seat is held or sold
/// there (every seat is sold through this platform, so it is our own).
pub const NOT_AVAILABLE: &str = "not available";

/// What a caller asks a vendor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VendorOp {
    Hold { flight: FlightId, seat: SeatNo, holder: u64 },
    Release { flight: FlightId, seat: SeatNo, holder: u64 },
    Issue { flight: FlightId, seat: SeatNo, holder: u64 },
    Void { flight: FlightId, seat: SeatNo, holder: u64 },
    Search { route: String },
}

impl VendorOp {
    fn kind(&self) -> VendorOpKind {
        match self {
            VendorOp::Hold { .. } => VendorOpKind::Hold,
            VendorOp::Release { .. } => VendorOpKind::Release,
            VendorOp::Issue { .. } => VendorOpKind::Issue,
            VendorOp::Void { .. } => VendorOpKind::Void,
            VendorOp::Search { .. } => VendorOpKind::Search,
        }
    }
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }
}

/// Who is waiting for the reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    /// A saga step; `token` tells a current reply from a late one.
    Saga { saga: u64, token: u64 },
    /// A cache populator fanning out a search.
    Populator { id: u64 },
}

/// A flight a vendor offers on a route.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Offer {
    pub flight: FlightId,
    vendor: VendorId,
    seats_left: u32,
    price_cents: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    Done,
    Pnr(smol_str::SmolStr),
    Offers(Vec<Offer>),
}

/// One request to a vendor, in flight.
#[derive(Component, Clone, Debug)]
struct VendorCall {
    id: u64,
    vendor: VendorId,
    op: VendorOp,
    caller: Caller,
    correlation: u64,
    reply_tick: Tick,
    result: Option<Result<Reply, String>>,
}

/// A vendor's answer, for the orchestrator or a populator to pick up.
#[derive(Clone, Debug)]
pub struct VendorReply {
    pub vendor: VendorId,
    pub op: VendorOp,
    pub caller: Caller,
    pub correlation: u64,
    pub result: Result<Reply, String>,
}

/// Replies delivered this tick.
#[derive(Resource, Debug, Default)]
pub struct VendorReplies(pub Vec<VendorReply>);

/// One flight's seats at the vendor.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Inventory {
    pub route: String,
    pub total: u32,
    price_cents: u64,
    /// Seat → holder (saga id).
    pub held: BTreeMap<SeatNo, u64>,
    pub sold: BTreeMap<SeatNo, u64>,
}

impl Inventory {
    /// Seats neither held nor sold. Negative would be an oversell.
    pub fn available(&self) -> i64 {
        self.total as i64 - self.held.len() as i64 - self.sold.len() as i64
    }
}

/// A vendor adapter and its inventory.
#[derive(Component, Clone, Debug)]
pub struct Vendor {
    pub id: VendorId,
    pub name: String,
    pub channel: String,
    pub inventory: BTreeMap<FlightId, Inventory>,
    pub calls: u64,
    pub failures: u64,
    /// Holds that found the seat taken by another holder.
    refused_holds: u64,
    /// Results by idempotency key, kept for [`IDEMPOTENCY_WINDOW_MS`].
    keys: IdempotencyKeys,
}

/// How long a vendor remembers a request's key and result (a payment
/// API keeps them for a day; ten minutes is far longer than any restart
/// the chaos draws, and bounds what a long run keeps).
pub const IDEMPOTENCY_WINDOW_MS: u64 = 600_000;

/// A vendor's memory of the saga requests it acted on: key (saga, token)
/// → result, and the keys in the order they came, to forget old ones.
#[derive(Clone, Debug, Default)]
struct IdempotencyKeys {
    results: bevy::platform::collections::HashMap<(u64, u64), Result<Reply, String>>,
    order: std::collections::VecDeque<(Tick, (u64, u64))>,
}

impl IdempotencyKeys {
    /// The result already given for `key`, if the vendor still remembers it.
    fn get(&self, key: (u64, u64)) -> Option<&Result<Reply, String>> {
        self.results.get(&key)
    }

    /// Remembers `key`'s result, forgetting keys older than the window.
    fn put(&mut self, now: Tick, key: (u64, u64), result: &Result<Reply, String>) {
        let window = ticks(IDEMPOTENCY_WINDOW_MS);
        while let Some(&(at, old)) = self.order.front() {
            if at + window > now {
                break;
            }
            self.order.pop_front();
            self.results.remove(&old);
        }
        self.results.insert(key, result.clone());
        self.order.push_back((now, key));
    }
}

#[derive(Resource, Debug, Default)]
pub struct Vendors {
    pub by_id: BTreeMap<VendorId, Entity>,
    latency_ms: BTreeMap<VendorId, (u32, u32)>,
    pub calls_total: u64,
    pub pending: usize,
    /// Calls in flight, each at its apply tick and its reply tick.
    due: DueQueue,
}

pub(super) fn plugin(app: &mut App) {
    add_reset(app, ResetOrder::Vendors, reset);
    app.add_systems(FixedUpdate, process.in_set(SimSet::Vendors));
}

fn reset(world: &mut World, cfg: &WorldConfig) {
    let mut vendors = Vendors::default();
    for v in &cfg.vendors {
        let inventory = cfg
            .flights
            .iter()
            .filter(|f| f.vendor == v.id)
            .map(|f| {
                (
                    f.id.clone(),
                    Inventory {
                        route: f.route.clone(),
                        total: f.all_seats().len() as u32,
                        price_cents: f.price_cents,
                        ..Default::default()
                    },
                )
            })
            .collect();
        let e = world
            .spawn((
                SimEntity,
                Vendor {
                    id: v.id.clone(),
                    name: v.name.clone(),
                    channel: v.channel.clone(),
                    inventory,
                    calls: 0,
                    failures: 0,
                    refused_holds: 0,
                    keys: IdempotencyKeys::default(),
                },
            ))
            .id();
        vendors.by_id.insert(v.id.clone(), e);
        vendors.latency_ms.insert(v.id.clone(), v.latency_ms);
    }
    world.insert_resource(vendors);
    world.insert_resource(VendorReplies::default());
}

/// A request to a vendor: which one, what to do, for whom, when.
pub struct VendorRequest<'a> {
    pub vendor: &'a VendorId,
    pub op: VendorOp,
    pub caller: Caller,
    pub correlation: u64,
    pub now: Tick,
}

/// Sends a request to a vendor; returns the call id.
pub fn call(
    commands: &mut Commands,
    vendors: &mut Vendors,
    ids: &mut IdGen,
    rng: &mut SimRng,
    knobs: &Knobs,
    signals: &mut Signals,
    request: VendorRequest,
) -> u64 {
    let VendorRequest { vendor, op, caller, correlation, now } = request;
    let id = ids.next_id();
    // A vendor the world has no adapter for refuses the connection: the
    // caller hears "unknown vendor" on the next tick (see `process`), with
    // no made-up latency and no draw from the run's RNG.
    let total = match vendors.latency_ms.get(vendor) {
        Some(&(lo, hi)) => {
            let latency = u64::from(rng.0.random_range(lo..=hi.max(lo)));
            ticks(latency + knobs.slow_vendor_ms.get(vendor).copied().unwrap_or(0))
        }
        None => 1,
    };
    vendors.calls_total += 1;
    vendors.pending += 1;
    let (apply_tick, reply_tick) = (now + (total / 2).max(1), now + total);
    signals.send(SimSignal::VendorCalled {
        vendor: vendor.clone(),
        op: op.kind(),
        apply_ms: (apply_tick - now) * crate::domain::TICK_MS,
        reply_ms: reply_tick.saturating_sub(apply_tick) * crate::domain::TICK_MS,
        correlation,
    });
    let e = commands
        .spawn((
            SimEntity,
            VendorCall { id, vendor: vendor.clone(), op, caller, correlation, reply_tick, result: None },
        ))
        .id();
    vendors.due.push(apply_tick, id, e);
    vendors.due.push(reply_tick, id, e);
    id
}

fn process(
    mut commands: Commands,
    mut calls: Query<(Entity, &mut VendorCall)>,
    mut vendor_q: Query<&mut Vendor>,
    mut vendors: ResMut<Vendors>,
    mut replies: ResMut<VendorReplies>,
    knobs: Res<Knobs>,
    clock: Res<SimClock>,
) {
    let now = clock.tick;
    replies.0.clear();
    for (id, e) in vendors.due.take_due(now) {
        // A call is despawned at its reply, its last due tick (the apply
        // tick is never later), so a due call always has its entity.
        let Ok((_, mut c)) = calls.get_mut(e) else {
            debug_assert!(false, "vendor call {id} due without its entity");
            continue;
        };
        if c.result.is_none() {
            // A vendor without an adapter answers like a refused connection
            // (and its reply still goes out below, at its reply tick).
            let result = match vendors.by_id.get(&c.vendor).and_then(|v| vendor_q.get_mut(*v).ok()) {
                Some(mut v) => act_once(&mut v, &c, &knobs, now),
                None => Err(format!("unknown vendor {}", c.vendor)),
            };
            c.result = Some(result);
        }
        if c.reply_tick <= now {
            replies.0.push(VendorReply {
                vendor: c.vendor.clone(),
                op: c.op.clone(),
                caller: c.caller,
                correlation: c.correlation,
                result: c.result.clone().unwrap_or_else(|| Err("no result".into())),
            });
            vendors.pending = vendors.pending.saturating_sub(1);
            commands.entity(e).despawn();
        }
    }
}

/// The vendor's side of one call: a saga's request whose key the vendor
/// remembers gets the result it had (nothing is done again); any other
/// is acted on, and a saga's result remembered under its key.
fn act_once(v: &mut Vendor, c: &VendorCall, knobs: &Knobs, now: Tick) -> Result<Reply, String> {
    let key = match c.caller {
        Caller::Saga { saga, token } if token != 0 => Some((saga, token)),
        _ => None,
    };
    if let Some(done) = key.and_then(|k| v.keys.get(k)) {
        return done.clone();
    }
    let result = act(v, &c.op, knobs, c.id);
    v.calls += 1;
    if result.is_err() {
        v.failures += 1;
    }
    if let Some(k) = key {
        v.keys.put(now, k, &result);
    }
    result
}

/// The vendor's side of one request.
fn act(v: &mut Vendor, op: &VendorOp, knobs: &Knobs, call_id: u64) -> Result<Reply, String> {
    let vendor_id = v.id.clone();
    let (flight, seat, holder) = match op {
        VendorOp::Search { route } => {
            return Ok(Reply::Offers(
                v.inventory
                    .iter()
                    .filter(|(_, i)| &i.route == route)
                    .map(|(f, i)| Offer {
                        flight: f.clone(),
                        vendor: vendor_id.clone(),
                        seats_left: i.available().max(0) as u32,
                        price_cents: i.price_cents,
                    })
                    .collect(),
            ));
        }
        VendorOp::Hold { flight, seat, holder }
        | VendorOp::Release { flight, seat, holder }
        | VendorOp::Issue { flight, seat, holder }
        | VendorOp::Void { flight, seat, holder } => (flight, seat, *holder),
    };
    let injected = match op {
        VendorOp::Hold { .. } => knobs.fail_hold.contains(&vendor_id),
        VendorOp::Issue { .. } => knobs.fail_issue.contains(&vendor_id),
        _ => false,
    };
    if injected {
        return Err(format!("{vendor_id} 503 on {} (injected)", op.name()));
    }
    let Some(i) = v.inventory.get_mut(flight) else {
        return Err(format!("{vendor_id} does not sell {flight}"));
    };
    match op {
        VendorOp::Hold { .. } => match (i.held.get(seat), i.sold.get(seat)) {
            (Some(h), _) if *h == holder => Ok(Reply::Done),
            (None, None) => {
                i.held.insert(seat.clone(), holder);
                Ok(Reply::Done)
            }
            _ => {
                v.refused_holds += 1;
                Err(format!("{vendor_id}: seat {flight}/{seat} {NOT_AVAILABLE}"))
            }
        },
        // Idempotent: releasing what this holder does not hold does nothing.
        VendorOp::Release { .. } => {
            if i.held.get(seat) == Some(&holder) {
                i.held.remove(seat);
            }
            Ok(Reply::Done)
        }
        VendorOp::Issue { .. } => {
            if i.sold.get(seat) == Some(&holder) {
                return Ok(Reply::Pnr(pnr(&vendor_id, call_id)));
            }
            if i.held.get(seat) != Some(&holder) {
                return Err(format!("{vendor_id}: no hold on {flight}/{seat} to ticket"));
            }
            i.held.remove(seat);
            i.sold.insert(seat.clone(), holder);
            Ok(Reply::Pnr(pnr(&vendor_id, call_id)))
        }
        VendorOp::Void { .. } => {
            if i.sold.get(seat) == Some(&holder) {
                i.sold.remove(seat);
            }
            Ok(Reply::Done)
        }
        VendorOp::Search { .. } => Err("a search names no seat".into()),
    }
}

/// A record locator: deterministic from the vendor and the call.
fn pnr(vendor: &VendorId, call_id: u64) -> smol_str::SmolStr {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut n = call_id.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ vendor.as_str().len() as u64;
    let mut s = [0u8; 6];
    for b in &mut s {
        *b = ALPHABET[(n % 32) as usize];
        n /= 32;
    }
    s.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy::ecs::system::RunSystemOnce;

    /// A world with the engine's messages and resources but no vendor.
    fn world_without_vendors() -> World {
        let mut world = World::new();
        world.init_resource::<Messages<SimSignal>>();
        world.insert_resource(Vendors::default());
        world.insert_resource(VendorReplies::default());
        world.insert_resource(IdGen::default());
        world.insert_resource(SimRng::new(7));
        world.insert_resource(Knobs::default());
        world.insert_resource(SimClock::default());
        world
    }

    fn send_to_v9(
        mut commands: Commands,
        mut vendors: ResMut<Vendors>,
        mut ids: ResMut<IdGen>,
        mut rng: ResMut<SimRng>,
        knobs: Res<Knobs>,
        mut signals: Signals,
    ) {
        let v9 = VendorId::from("V9");
        let op = VendorOp::Search { route: "MAD-FRA".into() };
        let request =
            VendorRequest { vendor: &v9, op, caller: Caller::Saga { saga: 1, token: 0 }, correlation: 1, now: 0 };
        call(&mut commands, &mut vendors, &mut ids, &mut rng, &knobs, &mut signals, request);
    }

    #[test]
    fn a_vendor_the_world_lacks_refuses_at_once_without_a_made_up_latency() {
        let mut world = world_without_vendors();
        let rng_before = world.resource::<SimRng>().0.clone();
        world.run_system_once(send_to_v9).expect("the call is sent");
        assert_eq!(world.resource::<SimRng>().0, rng_before, "no latency was drawn for a vendor without an adapter");
        world.resource_mut::<SimClock>().tick = 1;
        world.run_system_once(process).expect("the call is answered");
        let replies = &world.resource::<VendorReplies>().0;
        assert_eq!(replies.len(), 1, "answered on the next tick");
        let reason = replies[0].result.clone().expect_err("refused");
        assert!(reason.contains("unknown vendor V9"), "{reason}");
    }

    fn iberia() -> Vendor {
        let inventory =
            [(FlightId::from("IB3166"), Inventory { route: "MAD-FRA".into(), total: 10, ..Default::default() })];
        Vendor {
            id: "V1".into(),
            name: "Iberia".into(),
            channel: "NDC".into(),
            inventory: inventory.into_iter().collect(),
            calls: 0,
            failures: 0,
            refused_holds: 0,
            keys: IdempotencyKeys::default(),
        }
    }

    fn saga_call(id: u64, op: VendorOp, token: u64) -> VendorCall {
        VendorCall {
            id,
            vendor: "V1".into(),
            op,
            caller: Caller::Saga { saga: 7, token },
            correlation: 1,
            reply_tick: 0,
            result: None,
        }
    }

    #[test]
    fn a_copy_of_a_request_gets_the_first_result_and_is_not_acted_on_again() {
        let (flight, seat) = (FlightId::from("IB3166"), SeatNo::from("14C"));
        let hold = VendorOp::Hold { flight: flight.clone(), seat: seat.clone(), holder: 7 };
        let release = VendorOp::Release { flight: flight.clone(), seat: seat.clone(), holder: 7 };
        let issue = VendorOp::Issue { flight: flight.clone(), seat: seat.clone(), holder: 7 };
        let (mut v, knobs) = (iberia(), Knobs::default());
        assert_eq!(act_once(&mut v, &saga_call(1, hold.clone(), 10), &knobs, 0), Ok(Reply::Done));
        assert_eq!(act_once(&mut v, &saga_call(2, release, 11), &knobs, 1), Ok(Reply::Done));
        // The hold sent again under its key after the saga released the
        // seat: answered as before, and the seat stays free.
        assert_eq!(act_once(&mut v, &saga_call(3, hold.clone(), 10), &knobs, 2), Ok(Reply::Done));
        assert!(v.inventory[&flight].held.is_empty(), "the copy held the seat again");
        assert_eq!(v.calls, 2, "two requests acted on, the copy answered from memory");
        // An issue sent twice under one key returns one PNR.
        act_once(&mut v, &saga_call(4, hold, 12), &knobs, 3).unwrap();
        let first = act_once(&mut v, &saga_call(5, issue.clone(), 13), &knobs, 4);
        assert_eq!(act_once(&mut v, &saga_call(6, issue.clone(), 13), &knobs, 5), first);
        // A fire-and-forget call (token 0) has no key: each is acted on.
        let calls = v.calls;
        act_once(&mut v, &saga_call(7, issue.clone(), 0), &knobs, 6).unwrap();
        act_once(&mut v, &saga_call(8, issue, 0), &knobs, 7).unwrap();
        assert_eq!(v.calls, calls + 2);
    }

    #[test]
    fn a_vendor_forgets_a_key_after_its_window() {
        let (flight, seat) = (FlightId::from("IB3166"), SeatNo::from("14C"));
        let hold = VendorOp::Hold { flight: flight.clone(), seat: seat.clone(), holder: 7 };
        let release = VendorOp::Release { flight: flight.clone(), seat, holder: 7 };
        let (mut v, knobs) = (iberia(), Knobs::default());
        act_once(&mut v, &saga_call(1, hold.clone(), 10), &knobs, 0).unwrap();
        act_once(&mut v, &saga_call(2, release, 11), &knobs, 1).unwrap();
        let later = ticks(IDEMPOTENCY_WINDOW_MS) + 1;
        // The next request prunes what is older than the window.
        act_once(&mut v, &saga_call(3, VendorOp::Search { route: "MAD-FRA".into() }, 12), &knobs, later).unwrap();
        act_once(&mut v, &saga_call(4, hold, 10), &knobs, later).unwrap();
        assert_eq!(v.inventory[&flight].held.len(), 1, "a key past the window is a new request");
        assert_eq!(v.keys.results.len(), 2, "old keys were forgotten");
    }
}
