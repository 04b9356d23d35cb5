//! The Read DB: the five projections' tables and how one event changes
//! each. Plain data + pure `apply`, deterministic (BTreeMaps only), so a
//! view rebuilt from seq 0 can be compared with the live one by hash.
//!
//! Personal data lives only in `CustomerBookings` and `BookingDetail`.
//! Both erase it on the customer's GDPR tombstone, from the event alone:
//! no view reads anything but the events it is given (a rebuild from the
//! log is the same fold). The GDPR invariant asks each view, per erasure
//! in the log, whether that customer's data from before it is still there:
//! a lookup, not a scan.

use super::small_map::SmallMap;
use crate::domain::{
    AggregateId, CustomerId, Event, EventEnvelope, EventKind, FlightId, Hash, SealedPassenger, Status, VendorId,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound::{Excluded, Unbounded};

/// Seats left per flight. Tolerates out-of-order delivery: per seat it
/// keeps the highest version seen.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AvailableFlights {
    total: BTreeMap<FlightId, u32>,
    taken: BTreeMap<FlightId, u32>,
    seats: BTreeMap<AggregateId, (u32, bool)>,
}

impl AvailableFlights {
    pub fn seats_left(&self, flight: &FlightId) -> u32 {
        let total = self.total.get(flight).copied().unwrap_or(0);
        total.saturating_sub(self.taken.get(flight).copied().unwrap_or(0))
    }

    fn apply(&mut self, env: &EventEnvelope) {
        let occupied = match env.kind() {
            EventKind::GdprTombstone => return,
            EventKind::SeatReleased | EventKind::SeatHoldExpired => false,
            _ => true,
        };
        let entry = self.seats.entry(env.aggregate_id.clone()).or_insert((0, false));
        if env.version <= entry.0 {
            return;
        }
        let flight = env.aggregate_id.flight();
        let taken = self.taken.entry(flight).or_default();
        match (entry.1, occupied) {
            (false, true) => *taken += 1,
            (true, false) => *taken = taken.saturating_sub(1),
            _ => {}
        }
        *entry = (env.version, occupied);
    }
}

/// "My bookings": rows per customer. Tolerates out-of-order delivery: each
/// field keeps the value of the highest version that set it, so any order
/// of the same events gives the same table.
///
/// Erasure is a fold of the log like the rest: a GDPR tombstone on a stream
/// hides the customer's row there and drops its personal data. The row
/// stays as a husk (its versions, no name) so an event of the erased
/// booking that arrives late, in any order, cannot bring it back; only a
/// new hold by the same customer, after the tombstone, makes it hers again.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CustomerBookings {
    /// Per customer, her rows by seat (most customers hold one seat).
    rows: BTreeMap<CustomerId, SmallMap<AggregateId, CustomerBookingRow>>,
    /// The visible rows over all customers, kept as they come and go: the
    /// map and the Queries view show it every frame. Not part of the table
    /// (its hash), being derived from it.
    #[serde(skip)]
    row_count: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CustomerBookingRow {
    pub status: Option<Status>,
    pub status_version: u32,
    /// Her passenger, sealed with her key (the view never reads it).
    passenger: Option<SealedPassenger>,
    pub price_cents: u64,
    hold_version: u32,
    /// The version of her latest tombstone on this stream (0: none).
    erased_version: u32,
}

impl CustomerBookingRow {
    /// Hers to see: not erased, or held again after the erasure.
    fn visible(&self) -> bool {
        self.erased_version == 0 || self.hold_version > self.erased_version
    }
}

impl CustomerBookings {
    fn apply(&mut self, env: &EventEnvelope) {
        let rows = self.rows.entry(env.event.customer().clone()).or_default();
        let fresh = !rows.keys().any(|a| *a == env.aggregate_id);
        let row = rows.get_or_default(&env.aggregate_id);
        // A row just made was not counted yet.
        let was_visible = !fresh && row.visible();
        match &env.event {
            Event::GdprTombstone { .. } => row.erased_version = row.erased_version.max(env.version),
            Event::SeatHeld { passenger, price_cents, .. } if env.version > row.hold_version => {
                row.hold_version = env.version;
                row.passenger = Some(passenger.clone());
                row.price_cents = *price_cents;
            }
            _ => {}
        }
        if env.kind() != EventKind::GdprTombstone && env.version > row.status_version {
            row.status_version = env.version;
            row.status = Some(status_after(env.kind()));
        }
        if row.erased_version > row.hold_version {
            // Erased: whatever order the events came in, her name from
            // before the tombstone is not kept.
            row.passenger = None;
        }
        match (was_visible, row.visible()) {
            (false, true) => self.row_count += 1,
            (true, false) => self.row_count -= 1,
            _ => {}
        }
    }

    /// The rows a customer sees, by seat.
    pub fn customer_rows(&self, customer: &CustomerId) -> impl Iterator<Item = (&AggregateId, &CustomerBookingRow)> {
        self.rows.get(customer).into_iter().flat_map(|r| r.iter()).filter(|(_, r)| r.visible())
    }

    /// Every visible row: (customer, seat, row).
    pub fn visible_rows(&self) -> impl Iterator<Item = (&CustomerId, &AggregateId, &CustomerBookingRow)> {
        self.rows.iter().flat_map(|(c, rows)| rows.iter().map(move |(a, r)| (c, a, r))).filter(|(_, _, r)| r.visible())
    }

    pub fn row_count(&self) -> usize {
        self.row_count
    }

    fn pii_rows(&self, customer: &CustomerId) -> usize {
        self.rows.get(customer).map_or(0, |r| r.values().filter(|r| r.passenger.is_some()).count())
    }

    /// Whether the row of `customer` on `aggregate` still holds personal
    /// data written before her tombstone at `erased_version`.
    fn holds_erased_pii(&self, customer: &CustomerId, aggregate: &AggregateId, erased_version: u32) -> bool {
        let row = self.rows.get(customer).and_then(|r| r.iter().find(|(a, _)| *a == aggregate).map(|(_, r)| r));
        row.is_some_and(|r| r.passenger.is_some() && r.hold_version < erased_version)
    }
}

/// Full detail per booking, strictly ordered per aggregate (the consumer's
/// buffer guarantees version order). A tombstone redacts the passenger
/// but keeps every event's hash for the audit trail.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BookingDetail {
    pub bookings: BTreeMap<AggregateId, Detail>,
    pii: BTreeMap<CustomerId, u32>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Detail {
    version: u32,
    status: Option<Status>,
    customer: Option<CustomerId>,
    passenger: Option<SealedPassenger>,
    /// The version of the hold that wrote `passenger`.
    passenger_version: u32,
    pub redacted: bool,
    vendor: Option<VendorId>,
    price_cents: u64,
    captured_cents: u64,
    refunded_cents: u64,
    pnr: Option<smol_str::SmolStr>,
    /// (version, type, first 8 bytes of the event hash), in apply order.
    pub history: Vec<(u32, EventKind, [u8; 8])>,
}

impl BookingDetail {
    fn apply(&mut self, env: &EventEnvelope) {
        let d = self.bookings.entry(env.aggregate_id.clone()).or_default();
        d.version = env.version;
        let mut prefix = [0u8; 8];
        prefix.copy_from_slice(&env.hash[..8]);
        d.history.push((env.version, env.kind(), prefix));
        let had_pii = d.passenger.is_some().then(|| d.customer.clone()).flatten();
        match &env.event {
            Event::SeatHeld { customer, passenger, vendor, price_cents, .. } => {
                // A new hold is new personal data, even from a customer
                // erased before: hers to see until she is erased again.
                d.customer = Some(customer.clone());
                d.redacted = false;
                d.passenger = Some(passenger.clone());
                d.passenger_version = env.version;
                d.vendor = Some(vendor.clone());
                d.price_cents = *price_cents;
                d.captured_cents = 0;
                d.refunded_cents = 0;
                d.pnr = None;
            }
            Event::PaymentCaptured { amount_cents, .. } => d.captured_cents += amount_cents,
            Event::RefundCompleted { amount_cents, .. } => d.refunded_cents += amount_cents,
            Event::TicketIssued { pnr, .. } => d.pnr = Some(pnr.clone()),
            Event::GdprTombstone { customer } if d.customer.as_ref() == Some(customer) => {
                d.passenger = None;
                d.redacted = true;
            }
            _ => {}
        }
        if env.kind() != EventKind::GdprTombstone {
            d.status = Some(status_after(env.kind()));
        }
        let has_pii = d.passenger.is_some().then(|| d.customer.clone()).flatten();
        if had_pii != has_pii {
            if let Some(c) = had_pii
                && let Some(n) = self.pii.get_mut(&c)
            {
                *n -= 1;
                if *n == 0 {
                    self.pii.remove(&c);
                }
            }
            if let Some(c) = has_pii {
                *self.pii.entry(c).or_default() += 1;
            }
        }
    }
}

/// Holds, issues and releases per vendor (order-free counters).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct VendorLedger {
    vendors: BTreeMap<VendorId, LedgerRow>,
    flight_vendor: BTreeMap<FlightId, VendorId>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
struct LedgerRow {
    holds: u64,
    issues: u64,
    issue_failures: u64,
    voids: u64,
    releases: u64,
    expiries: u64,
}

impl VendorLedger {
    fn apply(&mut self, env: &EventEnvelope) {
        let Some(vendor) = self.flight_vendor.get(&env.aggregate_id.flight()).cloned() else { return };
        let row = self.vendors.entry(vendor).or_default();
        match env.kind() {
            EventKind::SeatHeld => row.holds += 1,
            EventKind::TicketIssued => row.issues += 1,
            EventKind::TicketIssueFailed => row.issue_failures += 1,
            EventKind::TicketVoided => row.voids += 1,
            EventKind::SeatReleased => row.releases += 1,
            EventKind::SeatHoldExpired => row.expiries += 1,
            _ => {}
        }
    }
}

/// Money per flight: captured, refunded, and revenue of issued tickets.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Revenue {
    flights: BTreeMap<FlightId, RevenueRow>,
    flight_vendor: BTreeMap<FlightId, VendorId>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
struct RevenueRow {
    vendor: Option<VendorId>,
    captured_cents: u64,
    refunded_cents: u64,
}

impl RevenueRow {
    fn net_cents(&self) -> i64 {
        self.captured_cents as i64 - self.refunded_cents as i64
    }
}

impl Revenue {
    fn apply(&mut self, env: &EventEnvelope) {
        let flight = env.aggregate_id.flight();
        let vendor = self.flight_vendor.get(&flight).cloned();
        let row = self.flights.entry(flight).or_default();
        row.vendor = vendor;
        match &env.event {
            Event::PaymentCaptured { amount_cents, .. } => row.captured_cents += amount_cents,
            Event::RefundCompleted { amount_cents, .. } => row.refunded_cents += amount_cents,
            _ => {}
        }
    }

    /// Captured − refunded over all flights.
    pub fn net_cents(&self) -> i64 {
        self.flights.values().map(RevenueRow::net_cents).sum()
    }
}

/// The booking status an event leads to.
fn status_after(kind: EventKind) -> Status {
    match kind {
        EventKind::SeatHeld => Status::Held,
        EventKind::PaymentAuthorized => Status::Authorized,
        EventKind::PaymentCaptured => Status::Paid,
        EventKind::TicketIssued => Status::Issued,
        EventKind::TicketIssueFailed => Status::IssueFailed,
        EventKind::TicketVoided => Status::Voided,
        EventKind::RefundInitiated => Status::Refunding,
        EventKind::RefundCompleted => Status::Refunded,
        EventKind::SeatReleased => Status::Released,
        EventKind::SeatHoldExpired => Status::Expired,
        EventKind::GdprTombstone => Status::Held,
    }
}

/// A [`View::hash`] under way: where it got to, and the SHA-256 so far.
#[derive(Debug)]
pub struct HashInProgress {
    sha: Sha256,
    /// The part of [`View::parts`] under way, its rows already hashed, and
    /// the key of the last one (the next call resumes after it, instead of
    /// walking the table from its first row).
    part: usize,
    done: usize,
    after: Option<Cursor>,
    /// Rows hashed so far, over all parts.
    rows: usize,
    buf: Vec<u8>,
    /// The hash, once the last row is in.
    finished: Option<Hash>,
}

/// A table's key (the last one hashed), whatever the table's key type.
type Cursor = Box<dyn std::any::Any + Send + Sync>;

impl HashInProgress {
    pub fn rows_done(&self) -> usize {
        self.rows
    }
}

enum Part<'a> {
    Text(&'static str),
    Rows(&'a dyn Rows),
}

/// A table (a map: a JSON object; a set: a JSON array) written a few rows
/// at a time, byte for byte as `serde_json` writes it whole.
trait Rows {
    fn len(&self) -> usize;
    /// The `n` rows after the key in `after` (from the first row when
    /// None), moving `after` to the last one written; the opening bracket
    /// before the table's first row.
    fn write(&self, after: &mut Option<Cursor>, n: usize, out: &mut Vec<u8>);
    fn close(&self) -> u8;
}

/// One map entry, serialised as a one-entry map: `serde_json` then writes
/// its key exactly as in the whole map (quoted even when not a string).
struct Entry<'a, K, V>(&'a K, &'a V);

impl<K: Serialize, V: Serialize> Serialize for Entry<'_, K, V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry(self.0, self.1)?;
        m.end()
    }
}

/// The key in `after`, if it is one of this table's.
fn cursor<K: 'static>(after: &Option<Cursor>) -> Option<&K> {
    after.as_ref().and_then(|a| a.downcast_ref::<K>())
}

impl<K, V> Rows for BTreeMap<K, V>
where
    K: Serialize + Ord + Clone + Send + Sync + 'static,
    V: Serialize,
{
    fn len(&self) -> usize {
        BTreeMap::len(self)
    }
    fn write(&self, after: &mut Option<Cursor>, n: usize, out: &mut Vec<u8>) {
        let rows: Box<dyn Iterator<Item = (&K, &V)>> = match cursor::<K>(after) {
            Some(k) => Box::new(self.range((Excluded(k), Unbounded))),
            None => {
                out.push(b'{');
                Box::new(self.iter())
            }
        };
        let mut last = None;
        for (k, v) in rows.take(n) {
            if last.is_some() || after.is_some() {
                out.push(b',');
            }
            // `{"key":value}` without its braces.
            let start = out.len();
            serde_json::to_writer(&mut *out, &Entry(k, v)).expect("a view serialises");
            out.remove(start);
            out.pop();
            last = Some(k);
        }
        if let Some(k) = last {
            *after = Some(Box::new(k.clone()));
        }
    }
    fn close(&self) -> u8 {
        b'}'
    }
}

impl<K> Rows for BTreeSet<K>
where
    K: Serialize + Ord + Clone + Send + Sync + 'static,
{
    fn len(&self) -> usize {
        BTreeSet::len(self)
    }
    fn write(&self, after: &mut Option<Cursor>, n: usize, out: &mut Vec<u8>) {
        let rows: Box<dyn Iterator<Item = &K>> = match cursor::<K>(after) {
            Some(k) => Box::new(self.range((Excluded(k), Unbounded))),
            None => {
                out.push(b'[');
                Box::new(self.iter())
            }
        };
        let mut last = None;
        for k in rows.take(n) {
            if last.is_some() || after.is_some() {
                out.push(b',');
            }
            serde_json::to_writer(&mut *out, k).expect("a view serialises");
            last = Some(k);
        }
        if let Some(k) = last {
            *after = Some(Box::new(k.clone()));
        }
    }
    fn close(&self) -> u8 {
        b']'
    }
}

/// One projection's table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum View {
    AvailableFlights(AvailableFlights),
    CustomerBookings(CustomerBookings),
    BookingDetail(BookingDetail),
    VendorLedger(VendorLedger),
    Revenue(Revenue),
}

impl View {
    pub fn apply(&mut self, env: &EventEnvelope) {
        match self {
            View::AvailableFlights(v) => v.apply(env),
            View::CustomerBookings(v) => v.apply(env),
            View::BookingDetail(v) => v.apply(env),
            View::VendorLedger(v) => v.apply(env),
            View::Revenue(v) => v.apply(env),
        }
    }

    /// An empty copy (same static setup: seat totals, vendor map).
    pub fn emptied(&self) -> View {
        match self {
            View::AvailableFlights(v) => {
                View::AvailableFlights(AvailableFlights { total: v.total.clone(), ..Default::default() })
            }
            View::CustomerBookings(_) => View::CustomerBookings(CustomerBookings::default()),
            View::BookingDetail(_) => View::BookingDetail(BookingDetail::default()),
            View::VendorLedger(v) => {
                View::VendorLedger(VendorLedger { flight_vendor: v.flight_vendor.clone(), ..Default::default() })
            }
            View::Revenue(v) => View::Revenue(Revenue { flight_vendor: v.flight_vendor.clone(), ..Default::default() }),
        }
    }

    /// Row count of the table.
    pub fn rows(&self) -> usize {
        match self {
            View::AvailableFlights(v) => v.total.len(),
            View::CustomerBookings(v) => v.row_count(),
            View::BookingDetail(v) => v.bookings.len(),
            View::VendorLedger(v) => v.vendors.len(),
            View::Revenue(v) => v.flights.len(),
        }
    }

    /// Whether the table still holds personal data of `customer` on
    /// `aggregate` written before her tombstone there at `erased_version`
    /// (what the erasure covered; a later hold of hers is hers to see).
    pub fn holds_erased_pii(&self, customer: &CustomerId, aggregate: &AggregateId, erased_version: u32) -> bool {
        match self {
            View::CustomerBookings(v) => v.holds_erased_pii(customer, aggregate, erased_version),
            View::BookingDetail(v) => v.bookings.get(aggregate).is_some_and(|d| {
                d.customer.as_ref() == Some(customer) && d.passenger.is_some() && d.passenger_version < erased_version
            }),
            _ => false,
        }
    }

    /// Rows holding `customer`'s personal data now.
    pub fn pii_rows(&self, customer: &CustomerId) -> usize {
        match self {
            View::CustomerBookings(v) => v.pii_rows(customer),
            View::BookingDetail(v) => v.pii.get(customer).copied().unwrap_or(0) as usize,
            _ => 0,
        }
    }

    /// SHA-256 of the table's canonical JSON (BTreeMaps: sorted keys).
    pub fn hash(&self) -> Hash {
        let mut h = self.start_hash();
        self.continue_hash(&mut h, usize::MAX).expect("no row limit: one call hashes every row")
    }

    /// Starts working out [`View::hash`] a bounded number of rows at a time
    /// (see [`View::continue_hash`]).
    pub fn start_hash(&self) -> HashInProgress {
        HashInProgress { sha: Sha256::new(), part: 0, done: 0, after: None, rows: 0, buf: vec![], finished: None }
    }

    /// Hashes up to `rows` more rows; the hash once the last is in. Every
    /// call must see the view unchanged since [`View::start_hash`] (start
    /// again otherwise). A UI frame cannot afford a large view's whole
    /// canonical JSON, and nothing else needs it all at once.
    pub fn continue_hash(&self, h: &mut HashInProgress, rows: usize) -> Option<Hash> {
        if h.finished.is_some() {
            return h.finished;
        }
        let parts = self.parts();
        let mut left = rows;
        while let Some(part) = parts.get(h.part) {
            h.buf.clear();
            match part {
                Part::Text(t) => h.buf.extend_from_slice(t.as_bytes()),
                Part::Rows(r) => {
                    if left == 0 && h.done < r.len() {
                        // Out of rows for this call: nothing of this part
                        // written yet (its opening bracket comes with row 0).
                        return None;
                    }
                    let n = left.min(r.len() - h.done);
                    r.write(&mut h.after, n, &mut h.buf);
                    h.done += n;
                    h.rows += n;
                    left -= n;
                    if h.done < r.len() {
                        h.sha.update(&h.buf);
                        return None;
                    }
                    h.buf.push(r.close());
                }
            }
            h.sha.update(&h.buf);
            h.part += 1;
            h.done = 0;
            h.after = None;
        }
        h.finished = Some(std::mem::take(&mut h.sha).finalize().into());
        h.finished
    }

    /// The canonical JSON (`serde_json`'s, of the derived `Serialize`) cut
    /// into fixed text and rows of tables.
    fn parts(&self) -> Vec<Part<'_>> {
        use Part::{Rows, Text};
        match self {
            View::AvailableFlights(v) => vec![
                Text(r#"{"AvailableFlights":{"total":"#),
                Rows(&v.total),
                Text(r#","taken":"#),
                Rows(&v.taken),
                Text(r#","seats":"#),
                Rows(&v.seats),
                Text("}}"),
            ],
            View::CustomerBookings(v) => vec![Text(r#"{"CustomerBookings":{"rows":"#), Rows(&v.rows), Text("}}")],
            View::BookingDetail(v) => vec![
                Text(r#"{"BookingDetail":{"bookings":"#),
                Rows(&v.bookings),
                Text(r#","pii":"#),
                Rows(&v.pii),
                Text("}}"),
            ],
            View::VendorLedger(v) => vec![
                Text(r#"{"VendorLedger":{"vendors":"#),
                Rows(&v.vendors),
                Text(r#","flight_vendor":"#),
                Rows(&v.flight_vendor),
                Text("}}"),
            ],
            View::Revenue(v) => vec![
                Text(r#"{"Revenue":{"flights":"#),
                Rows(&v.flights),
                Text(r#","flight_vendor":"#),
                Rows(&v.flight_vendor),
                Text("}}"),
            ],
        }
    }

    pub fn new_available(totals: BTreeMap<FlightId, u32>) -> View {
        View::AvailableFlights(AvailableFlights { total: totals, ..Default::default() })
    }
    pub fn new_ledger(flight_vendor: BTreeMap<FlightId, VendorId>) -> View {
        View::VendorLedger(VendorLedger { flight_vendor, ..Default::default() })
    }
    pub fn new_revenue(flight_vendor: BTreeMap<FlightId, VendorId>) -> View {
        View::Revenue(Revenue { flight_vendor, ..Default::default() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{SealArgs, ZERO_HASH};

    /// Version `version` of stream IB3166/14D, by or about Ana.
    fn env(version: u32, event: Event) -> EventEnvelope {
        let aggregate_id = AggregateId::new("IB3166/14D");
        let (tick, causation_id, correlation_id) = (version as u64, 1, 1);
        SealArgs {
            seq: version as u64,
            aggregate_id,
            version,
            tick,
            causation_id,
            correlation_id,
            event,
            prev_hash: ZERO_HASH,
        }
        .seal()
    }

    fn ana_holds(version: u32) -> EventEnvelope {
        let passenger = crate::domain::Passenger { name: "Ana García".into(), email: "ana.garcia@example.com".into() }
            .seal(&crate::domain::Key([1; 32]), 0, version as u64);
        let (vendor, flight, seat) = ("V1".into(), "IB3166".into(), "14D".into());
        let event = Event::SeatHeld {
            customer: "ana".into(),
            passenger,
            vendor,
            flight,
            seat,
            price_cents: 1,
            expires_tick: 9,
        };
        env(version, event)
    }

    /// Every order of `events`, each applied to a fresh CustomerBookings.
    fn every_order(events: &[EventEnvelope]) -> Vec<CustomerBookings> {
        fn orders(rest: Vec<usize>) -> Vec<Vec<usize>> {
            if rest.is_empty() {
                return vec![vec![]];
            }
            let mut all = vec![];
            for i in 0..rest.len() {
                let mut others = rest.clone();
                let first = others.remove(i);
                for mut tail in orders(others) {
                    tail.insert(0, first);
                    all.push(tail);
                }
            }
            all
        }
        let orders = orders((0..events.len()).collect());
        orders
            .into_iter()
            .map(|order| {
                let mut v = CustomerBookings::default();
                order.iter().for_each(|i| v.apply(&events[*i]));
                v
            })
            .collect()
    }

    #[test]
    fn given_an_erased_booking_in_any_order_then_it_stays_erased() {
        let ana = CustomerId::new("ana");
        let erased = [
            ana_holds(1),
            env(2, Event::GdprTombstone { customer: ana.clone() }),
            env(3, Event::SeatHoldExpired { customer: ana.clone() }),
        ];
        for v in every_order(&erased) {
            assert_eq!(v.customer_rows(&ana).count(), 0, "{v:?}");
            assert_eq!(v.row_count(), 0);
            assert_eq!(v.pii_rows(&ana), 0, "her name from before the tombstone is gone in every order");
        }
    }

    #[test]
    fn given_a_new_hold_after_the_erasure_in_any_order_then_it_is_hers_again() {
        let ana = CustomerId::new("ana");
        let events = [
            ana_holds(1),
            env(2, Event::GdprTombstone { customer: ana.clone() }),
            env(3, Event::SeatHoldExpired { customer: ana.clone() }),
            ana_holds(4),
        ];
        let all = every_order(&events);
        assert_eq!(all.len(), 24);
        for v in &all {
            assert_eq!(v, &all[0], "the same table in every order");
            let rows: Vec<_> = v.customer_rows(&ana).collect();
            assert_eq!(rows.len(), 1);
            assert_eq!((rows[0].1.hold_version, rows[0].1.status), (4, Some(Status::Held)));
            assert_eq!(v.row_count(), 1);
            assert!(!v.holds_erased_pii(&ana, &AggregateId::new("IB3166/14D"), 2), "only her new name is kept");
        }
    }
}
