//! The engine's runtime: what a run starts from ([`SimSetup`]), simulated
//! time, the seeded RNG, ids, the marker of engine-owned entities and the
//! pools and due-queues the parts keep their work in, the customers, and
//! the reset registry every part adds its own reset to.
//!
//! It knows no part of the engine: parts register here, never the reverse.
//! Nothing here reads the wall clock or an unseeded RNG.

use super::config::WorldConfig;
use crate::domain::{CustomerId, Passenger, Tick};
use bevy::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// What a run starts from. Replacing it and calling [`reset`] starts over.
#[derive(Resource, Clone, Debug, Default)]
pub struct SimSetup {
    pub world: WorldConfig,
    pub seed: u64,
}

/// Simulated time: `tick * 50 ms`. Incremented once per `FixedUpdate`.
#[derive(Resource, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimClock {
    pub tick: Tick,
}

impl SimClock {}

/// Pause / single-step control, set by the UI. Headless runs never pause.
#[derive(Resource, Clone, Copy, Debug, Default)]
pub struct SimControl {
    pub paused: bool,
    /// Ticks still to run while paused (the `s` key adds 1, shift+s 10).
    pub steps_left: u32,
}

/// Run condition of every [`SimSet`].
pub fn sim_running(control: Option<Res<SimControl>>) -> bool {
    control.is_none_or(|c| !c.paused || c.steps_left > 0)
}

/// Monotonic ids for commands, queries, sagas, vendor calls, messages.
#[derive(Resource, Debug, Default)]
pub struct IdGen {
    next: u64,
}

impl IdGen {
    /// The next id (ids start at 1 and never repeat within a run).
    pub fn next_id(&mut self) -> u64 {
        self.next += 1;
        self.next
    }
}

/// Marks every entity the engine owns, so reset can despawn them all.
#[derive(Component, Clone, Copy, Debug, Default)]
pub struct SimEntity;

/// Puts `value` on an entity from `free` (entities whose `C` is done with)
/// or, when the pool is empty, on a new one. Things made and dropped for
/// every event (bus messages, timers, outbox rows) are pooled this way:
/// spawning and despawning an entity each time cost more than their work.
/// A pooled entity keeps its stale `C`, so its owner must reach its
/// entities only through its own index, never by a query over all `C`;
/// the pool is bounded by the most of them ever live at once.
pub fn reuse_or_spawn<C: Component<Mutability = bevy::ecs::component::Mutable>>(
    free: &mut Vec<Entity>,
    pooled: &mut Query<&mut C>,
    commands: &mut Commands,
    value: C,
) -> Entity {
    // An id that is gone (a reset despawned it) is dropped, not reused.
    while let Some(e) = free.pop() {
        if let Ok(mut c) = pooled.get_mut(e) {
            *c = value;
            return e;
        }
    }
    commands.spawn((SimEntity, value)).id()
}

/// Live work by the tick it is due (a command's arrival or commit, a
/// vendor call's apply or reply): a system takes what is due without
/// looking at the rest, however much is in flight.
#[derive(Clone, Debug, Default)]
pub struct DueQueue {
    at: BTreeMap<Tick, Vec<(u64, Entity)>>,
}

impl DueQueue {
    /// `e` (work number `id`) is due at `tick`.
    pub fn push(&mut self, tick: Tick, id: u64, e: Entity) {
        self.at.entry(tick).or_default().push((id, e));
    }

    /// Everything due by `now`, in id order (the order the systems work
    /// in), each id once (an entry pushed at two due ticks that have both
    /// come appears once). The caller checks that the work is still there.
    pub fn take_due(&mut self, now: Tick) -> Vec<(u64, Entity)> {
        let mut due: Vec<(u64, Entity)> = vec![];
        while let Some(entry) = self.at.first_entry() {
            if *entry.key() > now {
                break;
            }
            let list = entry.remove();
            if due.is_empty() {
                due = list;
            } else {
                due.extend(list);
            }
        }
        due.sort_unstable();
        due.dedup_by_key(|(id, _)| *id);
        due
    }
}

/// Named customers from the world plus synthetic ones (burst, stampede).
///
/// A synthetic customer's personal data follows from its number, so it is
/// made when asked for instead of kept: a burst makes a customer per
/// command, and keeping them all came to ~90 bytes per stored event.
#[derive(Resource, Debug, Default, Clone)]
pub struct Customers {
    named: BTreeMap<CustomerId, Passenger>,
    /// Synthetic customers made so far: `burst-1 ..= burst-{synthetic}`.
    synthetic: u64,
}

/// The id prefix of synthetic customers.
const SYNTHETIC_PREFIX: &str = "burst-";

impl Customers {
    /// The world's named customers.
    pub fn new(named: BTreeMap<CustomerId, Passenger>) -> Self {
        Customers { named, synthetic: 0 }
    }

    /// A new synthetic customer with made-up personal data.
    pub fn synthetic(&mut self) -> CustomerId {
        self.synthetic += 1;
        CustomerId::new(format!("{SYNTHETIC_PREFIX}{}", self.synthetic))
    }

    /// The number of `id` if it is a synthetic customer made so far (which
    /// takes the id over from a named customer of the same id).
    fn synthetic_no(&self, id: &CustomerId) -> Option<u64> {
        let digits = id.as_str().strip_prefix(SYNTHETIC_PREFIX)?;
        // Only the form `synthetic` writes: never "burst-01" or "burst-+1".
        if digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse::<u64>().ok().filter(|n| (1..=self.synthetic).contains(n))
    }

    /// How many synthetic customers were made so far.
    pub fn synthetic_made(&self) -> u64 {
        self.synthetic
    }

    pub fn contains(&self, id: &CustomerId) -> bool {
        self.synthetic_no(id).is_some() || self.named.contains_key(id)
    }

    /// The customer's personal data (None for a customer nobody made).
    pub fn passenger(&self, id: &CustomerId) -> Option<Passenger> {
        match self.synthetic_no(id) {
            Some(n) => Some(Passenger {
                name: smol_str::format_smolstr!("Traveller {n}"),
                email: smol_str::format_smolstr!("traveller{n}@example.net"),
            }),
            None => self.named.get(id).cloned(),
        }
    }
}

/// A fresh seeded RNG: the only source of randomness in a run.
#[derive(Resource)]
pub struct SimRng(pub ChaCha8Rng);

impl SimRng {
    pub(super) fn new(seed: u64) -> Self {
        SimRng(ChaCha8Rng::seed_from_u64(seed))
    }
}

/// When a part's reset runs, relative to the others. Parts that spawn
/// entities at reset do it in this order, so a run's entities are made in
/// the same order whichever way the plugins were added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ResetOrder {
    Input,
    Store,
    Commands,
    Timers,
    Bus,
    Projectors,
    Orchestrator,
    Vendors,
    Sagas,
    Queries,
    Invariants,
}

/// A part's reset: rebuild its resources and entities for `WorldConfig`.
type ResetFn = fn(&mut World, &WorldConfig);

/// Every part's reset, registered by its plugin ([`add_reset`]).
#[derive(Resource, Default)]
struct Resets(Vec<(ResetOrder, ResetFn)>);

/// Registers a part's reset: [`reset`] runs it, in [`ResetOrder`].
pub fn add_reset(app: &mut App, order: ResetOrder, reset: ResetFn) {
    app.world_mut().get_resource_or_init::<Resets>().0.push((order, reset));
}

/// Starts the run over from [`SimSetup`]: despawns every sim entity, then
/// the runtime and every registered part rebuild their state. Knob-free,
/// tick 0, empty store. The `Mechanisms` switches survive (they are a
/// test/teaching setting).
pub fn reset(world: &mut World) {
    let setup = world.get_resource::<SimSetup>().cloned().unwrap_or_default();
    let doomed: Vec<Entity> = world.query_filtered::<Entity, With<SimEntity>>().iter(world).collect();
    for e in doomed {
        world.despawn(e);
    }
    world.insert_resource(SimClock::default());
    world.insert_resource(SimRng::new(setup.seed));
    world.insert_resource(IdGen::default());
    world
        .insert_resource(Customers::new(setup.world.customers.iter().map(|c| (c.id.clone(), c.passenger())).collect()));
    if let Some(mut c) = world.get_resource_mut::<SimControl>() {
        c.steps_left = 0;
    }
    let mut resets = world.get_resource::<Resets>().map(|r| r.0.clone()).unwrap_or_default();
    resets.sort_by_key(|(order, _)| *order);
    for (_, reset) in resets {
        reset(world, &setup.world);
    }
}

#[cfg(test)]
mod tests {
    use super::{Customers, DueQueue};
    use crate::domain::{CustomerId, Passenger};
    use bevy::prelude::Entity;

    fn e(i: u32) -> Entity {
        Entity::from_raw_u32(i).expect("a valid index")
    }

    #[test]
    fn due_work_comes_out_by_id_each_once_and_nothing_early() {
        let mut q = DueQueue::default();
        q.push(5, 30, e(3));
        q.push(4, 20, e(2));
        q.push(5, 10, e(1));
        // Work 20 is due at 4 and again at 7 (a vendor call's apply and reply).
        q.push(7, 20, e(2));
        assert_eq!(q.take_due(3), vec![], "nothing is due before its tick");
        // Ticks 4 and 5 both due: by id, not by tick.
        assert_eq!(q.take_due(5), vec![(10, e(1)), (20, e(2)), (30, e(3))]);
        assert_eq!(q.take_due(6), vec![], "taken once");
        q.push(8, 20, e(2));
        assert_eq!(q.take_due(9), vec![(20, e(2))], "two due ticks of one work: once");
    }

    #[test]
    fn synthetic_customers_exist_once_made_and_only_in_the_form_made() {
        let named = Passenger { name: "Ana".into(), email: "ana@example.org".into() };
        let mut c = Customers::new([("ana".into(), named.clone()), ("burst-2".into(), named.clone())].into());
        let id = |s: &str| CustomerId::from(s);
        assert!(!c.contains(&id("burst-1")), "not made yet");
        assert_eq!(c.passenger(&id("burst-2")), Some(named.clone()), "a named customer until a burst makes it");
        assert_eq!(c.synthetic(), id("burst-1"));
        assert_eq!(c.synthetic(), id("burst-2"));
        let made = c.passenger(&id("burst-2")).expect("made");
        assert_eq!((made.name.as_str(), made.email.as_str()), ("Traveller 2", "traveller2@example.net"));
        for never in ["burst-3", "burst-02", "burst-+2", "burst-", "burst-2 ", "Burst-2"] {
            assert!(!c.contains(&id(never)) && c.passenger(&id(never)).is_none(), "{never}");
        }
        assert_eq!(c.passenger(&id("ana")), Some(named));
        assert!(c.contains(&id("burst-1")));
    }
}
