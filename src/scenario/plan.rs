//! Lowering a script: step times to ticks, actions to the engine's
//! requests, expectations to timed checks.
//!
//! Planning is pure (the same scenario always gives the same plan) and
//! checks nothing: a scenario reaching here has been validated. Playing a
//! plan is `runner`'s job.

use super::{Action, Check, Scenario};
use crate::domain::{CustomerId, FlightId, SeatNo, TICK_MS, Tick};
use crate::sim::SimRequest;
use crate::sim::command_intake::{CustomerCommand, SeatRef};
use crate::sim::query_api::CustomerQuery;

impl Scenario {
    /// The run's time plan: per step its start tick, timed requests and checks.
    pub fn plan(&self) -> Vec<PlannedStep> {
        let mut out = vec![];
        let mut prev_ms = 0u64;
        for (i, step) in self.steps.iter().enumerate() {
            let start_ms = match (step.at_ms, step.after_ms) {
                (Some(at), _) => at,
                (None, Some(after)) => prev_ms + after,
                (None, None) => prev_ms,
            };
            prev_ms = start_ms;
            let start = ms_to_tick(start_ms);
            let mut offset_ms = 0;
            let mut requests = vec![];
            for a in &step.actions {
                if let Action::Wait(ms) = a {
                    offset_ms += ms;
                    continue;
                }
                if let Some(r) = a.request() {
                    requests.push((ms_to_tick(start_ms + offset_ms), r));
                }
            }
            let checks = step.expect.iter().map(|e| (ms_to_tick(start_ms + e.at_ms), e.check.clone())).collect();
            out.push(PlannedStep { index: i, start_tick: start, requests, checks });
        }
        out
    }
}

/// Ticks are 1-based: the first tick is tick 1 (time 0–50 ms).
pub fn ms_to_tick(ms: u64) -> Tick {
    ms / TICK_MS + 1
}

/// A step with absolute ticks.
#[derive(Clone, Debug)]
pub struct PlannedStep {
    pub index: usize,
    pub start_tick: Tick,
    pub requests: Vec<(Tick, SimRequest)>,
    pub checks: Vec<(Tick, Check)>,
}

impl Action {
    /// The engine request this action sends (`Wait` sends none).
    pub fn request(&self) -> Option<SimRequest> {
        let cmd = |label: &Option<String>, command| Some(SimRequest::Command { label: label.clone(), command });
        let q = |label: &Option<String>, query| Some(SimRequest::Query { label: label.clone(), query });
        match self {
            Action::Search { route, label } => q(label, CustomerQuery::Search { route: route.clone() }),
            Action::SeatsLeft { flight, label } => q(label, CustomerQuery::SeatsLeft { flight: FlightId::new(flight) }),
            Action::MyBookings { customer, label } => {
                q(label, CustomerQuery::MyBookings { customer: CustomerId::new(customer) })
            }
            Action::Hold { customer, flight, seat, label, expected_version } => cmd(
                label,
                CustomerCommand::HoldSeat {
                    customer: CustomerId::new(customer),
                    flight: FlightId::new(flight),
                    seat: SeatNo::new(seat),
                    expected_version: *expected_version,
                },
            ),
            Action::Authorize { customer, flight, seat, label } => cmd(
                label,
                CustomerCommand::AuthorizePayment {
                    customer: customer.as_str().into(),
                    flight: flight.as_str().into(),
                    seat: seat.as_str().into(),
                },
            ),
            Action::Pay { customer, flight, seat, label } => cmd(
                label,
                CustomerCommand::Pay {
                    customer: customer.as_str().into(),
                    flight: flight.as_str().into(),
                    seat: seat.as_str().into(),
                },
            ),
            Action::Itinerary { customer, legs, label } => cmd(
                label,
                CustomerCommand::BookItinerary {
                    customer: customer.as_str().into(),
                    legs: legs
                        .iter()
                        .map(|(f, s)| SeatRef { flight: f.as_str().into(), seat: s.as_str().into() })
                        .collect(),
                },
            ),
            Action::GdprDelete { customer, label } => {
                cmd(label, CustomerCommand::GdprDelete { customer: customer.as_str().into() })
            }
            Action::Knob(k) => Some(SimRequest::Knob(k.clone())),
            Action::Stampede { query, gets } => Some(SimRequest::Stampede { query: query.clone(), gets: *gets }),
            Action::Replay(p) => Some(SimRequest::Replay(*p)),
            Action::Wait(_) => None,
        }
    }
}
