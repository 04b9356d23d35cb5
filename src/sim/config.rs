//! The world a run starts from: vendors, flights, customers, timings and
//! projector rates. Plain serde data (a scenario file's `world:` section);
//! it never changes during a run. Defaults reproduce the default script's
//! world, so a scenario may say only what it changes.

use super::protocol::Projection;
use crate::domain::{CustomerId, FlightId, Passenger, SeatNo, TICK_MS, Tick, VendorId};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorldConfig {
    #[serde(default = "default_vendors")]
    pub vendors: Vec<VendorConfig>,
    #[serde(default = "default_flights")]
    pub flights: Vec<FlightConfig>,
    #[serde(default = "default_customers")]
    pub customers: Vec<CustomerConfig>,
    #[serde(default)]
    pub timing: Timing,
    #[serde(default)]
    pub projectors: ProjectorRates,
}

impl Default for WorldConfig {
    fn default() -> Self {
        WorldConfig {
            vendors: default_vendors(),
            flights: default_flights(),
            customers: default_customers(),
            timing: Timing::default(),
            projectors: ProjectorRates::default(),
        }
    }
}

/// One vendor adapter (a GDS or an airline's NDC API).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorConfig {
    pub id: VendorId,
    /// Airline, e.g. "Iberia".
    pub name: String,
    /// Channel, e.g. "NDC", "Amadeus", "Sabre".
    pub channel: String,
    /// Round-trip latency, uniformly drawn from `[min, max]` by the seeded RNG.
    pub latency_ms: (u32, u32),
}

/// A flight sold by one vendor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlightConfig {
    pub id: FlightId,
    pub vendor: VendorId,
    /// Origin-destination, e.g. "MAD-FRA": the search key.
    pub route: String,
    pub price_cents: u64,
    /// Explicit seat names, e.g. ["14C", "14D"].
    #[serde(default)]
    pub seats: Vec<SeatNo>,
    /// Also generate rows 1..=rows with seats A–F.
    #[serde(default)]
    pub rows: u32,
}

impl FlightConfig {
    /// Every seat of the flight: the explicit ones, then the generated rows.
    pub fn all_seats(&self) -> Vec<SeatNo> {
        let mut seats = self.seats.clone();
        // A set for the "already listed" test: a big plane has thousands
        // of seats, and searching the list for each made start-up quadratic.
        let mut listed: std::collections::HashSet<SeatNo> = seats.iter().cloned().collect();
        for row in 1..=self.rows {
            for letter in ['A', 'B', 'C', 'D', 'E', 'F'] {
                let s = SeatNo::new(format!("{row}{letter}"));
                if listed.insert(s.clone()) {
                    seats.push(s);
                }
            }
        }
        seats
    }
}

/// A named customer with personal data (what GDPR erasure must forget).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerConfig {
    pub id: CustomerId,
    pub name: String,
    pub email: String,
}

impl CustomerConfig {
    pub fn passenger(&self) -> Passenger {
        Passenger { name: self.name.as_str().into(), email: self.email.as_str().into() }
    }
}

/// Delays and TTLs, in simulated milliseconds (rounded up to whole ticks).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Timing {
    /// How long a hold lasts before SeatHoldExpired.
    pub hold_ttl_ms: u64,
    /// How long a saga waits for one vendor step.
    pub saga_step_timeout_ms: u64,
    /// How long a Redis entry lives.
    pub cache_ttl_ms: u64,
    /// Customer → API network hop.
    pub network_ms: u64,
    /// Command API: from load/decide to the append's commit.
    pub db_ms: u64,
    /// Bus transit, drawn from `[min, max]` per message.
    pub bus_transit_ms: (u64, u64),
    /// A populator's read of the Read DB.
    pub read_db_ms: u64,
    /// Outbox rows the pumper publishes per tick at most.
    pub outbox_batch: u32,
    /// Saga orchestrator messages handled per second.
    pub saga_rate_per_s: u32,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            hold_ttl_ms: 10_000,
            saga_step_timeout_ms: 2_500,
            cache_ttl_ms: 5_000,
            network_ms: 50,
            db_ms: 50,
            bus_transit_ms: (50, 150),
            read_db_ms: 100,
            outbox_batch: 64,
            saga_rate_per_s: 400,
        }
    }
}

/// Ticks needed to cover `ms` (at least one).
pub fn ticks(ms: u64) -> Tick {
    ms.div_ceil(TICK_MS).max(1)
}

/// Events per second each projector applies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProjectorRates {
    pub available_flights: u32,
    pub customer_bookings: u32,
    pub booking_detail: u32,
    pub vendor_ledger: u32,
    pub revenue: u32,
}

impl Default for ProjectorRates {
    fn default() -> Self {
        ProjectorRates {
            available_flights: 60,
            customer_bookings: 12,
            booking_detail: 30,
            vendor_ledger: 40,
            revenue: 40,
        }
    }
}

fn default_vendors() -> Vec<VendorConfig> {
    vec![
        VendorConfig { id: "V1".into(), name: "Iberia".into(), channel: "NDC".into(), latency_ms: (150, 400) },
        VendorConfig { id: "V2".into(), name: "Lufthansa".into(), channel: "Amadeus".into(), latency_ms: (200, 500) },
        VendorConfig { id: "V3".into(), name: "Delta".into(), channel: "Sabre".into(), latency_ms: (200, 450) },
    ]
}

fn default_flights() -> Vec<FlightConfig> {
    let f = |id: &str, vendor: &str, route: &str, price: u64, rows: u32, seats: &[&str]| FlightConfig {
        id: id.into(),
        vendor: vendor.into(),
        route: route.into(),
        price_cents: price,
        seats: seats.iter().map(SeatNo::new).collect(),
        rows,
    };
    vec![
        f("IB3166", "V1", "MAD-FRA", 18_900, 20, &[]),
        f("LH1123", "V2", "MAD-FRA", 21_500, 20, &[]),
        f("DL0412", "V3", "MAD-JFK", 64_000, 20, &[]),
        f("LH0400", "V2", "FRA-JFK", 71_000, 20, &[]),
        // The last seat of a sold-out flight: the concurrent buyer race.
        f("IB0001", "V1", "MAD-BCN", 9_900, 0, &["1A"]),
    ]
}

fn default_customers() -> Vec<CustomerConfig> {
    let c =
        |id: &str, name: &str, email: &str| CustomerConfig { id: id.into(), name: name.into(), email: email.into() };
    vec![
        c("ana", "Ana García", "ana.garcia@example.com"),
        c("bob", "Bob Smith", "bob.smith@example.com"),
        c("chen", "Chen Wei", "chen.wei@example.com"),
        c("dara", "Dara Okafor", "dara.okafor@example.com"),
    ]
}

/// Lookup tables derived from the world (flight → vendor, price, seats).
#[derive(bevy::prelude::Resource, Clone, Debug, Default)]
pub struct Catalog {
    pub flights: std::collections::BTreeMap<FlightId, FlightInfo>,
}

#[derive(Clone, Debug)]
pub struct FlightInfo {
    pub vendor: VendorId,
    pub price_cents: u64,
    /// Asked only "is this a seat of the flight?" (each command on a seat
    /// asks it), never walked: a hash set answers with one probe where a
    /// tree of a flight's 1 200 seats compared a dozen names.
    seats: bevy::platform::collections::HashSet<SeatNo>,
    /// The same seats in plane order (for picking one at random).
    pub seat_list: Vec<SeatNo>,
}

impl Catalog {
    pub fn new(world: &WorldConfig) -> Self {
        Catalog {
            flights: world
                .flights
                .iter()
                .map(|f| {
                    let seat_list = f.all_seats();
                    (
                        f.id.clone(),
                        FlightInfo {
                            vendor: f.vendor.clone(),
                            price_cents: f.price_cents,
                            seats: seat_list.iter().cloned().collect(),
                            seat_list,
                        },
                    )
                })
                .collect(),
        }
    }

    /// The flight, or a reason naming what is unknown.
    pub fn seat(&self, flight: &FlightId, seat: &SeatNo) -> Result<&FlightInfo, String> {
        let info = self.flights.get(flight).ok_or_else(|| format!("unknown flight {flight}"))?;
        if !info.seats.contains(seat) {
            return Err(format!("unknown seat {seat} on flight {flight}"));
        }
        Ok(info)
    }
}

impl ProjectorRates {
    /// The rate (events per second) of projection `p`'s projector.
    pub fn of(&self, p: Projection) -> u32 {
        match p {
            Projection::AvailableFlights => self.available_flights,
            Projection::CustomerBookings => self.customer_bookings,
            Projection::BookingDetail => self.booking_detail,
            Projection::VendorLedger => self.vendor_ledger,
            Projection::Revenue => self.revenue,
        }
    }
}
