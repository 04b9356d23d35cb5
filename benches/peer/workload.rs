//! The peer's workload, the one our side runs too: N seats on flights of
//! 200 rows (A–F), each held, paid and issued by its own customer, as the
//! peer's commands in either order (`Order`), with its constants (seats per
//! flight, price, hold TTL, vendors).
//!
//! It only builds commands: it must not execute them, and nothing here is
//! timed (building the commands is outside every clock).

use crate::domain::{Id, Passenger, SeatCommand};

pub const SEATS_PER_FLIGHT: usize = 200 * 6; // 200 rows, seats A–F, as the engine bench's flights
pub const PRICE_CENTS: u64 = 10_000;
const HOLD_TTL_TICKS: u64 = 6_000;
const VENDORS: [&str; 3] = ["V1", "V2", "V3"];

pub fn flight_id(f: usize) -> Id {
    Id::from(format!("BX{f:04}"))
}

pub fn n_flights(n_seats: usize) -> usize {
    n_seats.div_ceil(SEATS_PER_FLIGHT)
}

/// The order the peer runs the commands in.
#[derive(Clone, Copy, PartialEq)]
pub enum Order {
    /// Each seat's hold, pay and issue back to back: the seat's stream is
    /// still in cache for its next command.
    SeatBySeat,
    /// Every hold, then every pay, then every issue: the order our engine
    /// runs them in (the bench holds every seat, then pays every seat, and
    /// the sagas issue), so that 10 000 bookings are in flight at once.
    Phased,
}

/// (aggregate id, command) in execution order (see [`Order`]).
pub fn workload(n_seats: usize, order: Order) -> Vec<(String, SeatCommand)> {
    let mut commands = Vec::with_capacity(3 * n_seats);
    for i in 0..n_seats {
        let f = i / SEATS_PER_FLIGHT;
        let k = i % SEATS_PER_FLIGHT;
        let flight = flight_id(f);
        let seat = Id::from(format!("{}{}", k / 6 + 1, ['A', 'B', 'C', 'D', 'E', 'F'][k % 6]));
        let aggregate_id = format!("{flight}/{seat}"); // as our AggregateId::seat
        let customer = Id::from(format!("burst-{i}"));
        commands.push((
            aggregate_id.clone(),
            SeatCommand::HoldSeat {
                customer: customer.clone(),
                passenger: Passenger {
                    name: smol_str::format_smolstr!("Passenger {i}"),
                    email: smol_str::format_smolstr!("burst-{i}@example.com"),
                },
                vendor: Id::from(VENDORS[f % VENDORS.len()]),
                flight,
                seat,
                price_cents: PRICE_CENTS,
                now: 0,
                hold_ttl_ticks: HOLD_TTL_TICKS,
            },
        ));
        commands.push((aggregate_id.clone(), SeatCommand::Pay { customer, now: 1 }));
        commands.push((aggregate_id, SeatCommand::IssueTicket { pnr: format!("P{i:05X}") }));
    }
    if order == Order::Phased {
        // A stable sort by position in the seat's triple: holds, pays, issues,
        // each in seat order.
        let mut keyed: Vec<_> = commands.into_iter().enumerate().map(|(i, c)| (i % 3, c)).collect();
        keyed.sort_by_key(|(phase, _)| *phase);
        commands = keyed.into_iter().map(|(_, c)| c).collect();
    }
    commands
}
