//! View state shared by the map (`view/`), the overlay (`ui/`) and the
//! session: what is pinned, what the pointer is over, requests to the
//! camera, the map's particle count, the spotlight and guided-mode switches,
//! and where the step's action is on screen. Neither `view` nor `ui`
//! imports the other; both import this. Nothing here touches the sim.

use crate::domain::AggregateId;
use bevy::prelude::*;

/// What the detail pane shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Detail {
    Event(u64),
    /// A command, by id (from the Sequence view).
    Command(u64),
    Aggregate(AggregateId),
    Saga(u64),
    Cache(String),
}

/// The pinned item and the highlighted causal chain (a correlation id):
/// the tables colour its rows, the map its wires and particles.
#[derive(Resource, Debug, Default, Clone, PartialEq)]
pub struct Pinned {
    pub detail: Option<Detail>,
    pub correlation: Option<u64>,
}

impl Pinned {
    /// Pins `detail` and highlights `correlation`; pinning the same thing
    /// again unpins it.
    pub fn toggle(&mut self, detail: Detail, correlation: Option<u64>) {
        if self.detail.as_ref() == Some(&detail) {
            *self = Pinned::default();
        } else {
            *self = Pinned { detail: Some(detail), correlation };
        }
    }
}

/// What the pointer is over, as the tooltip shows it: a title, what the
/// thing is, and (for live things) its state now.
#[derive(Resource, Clone, Debug, Default, PartialEq)]
pub struct Hover {
    pub title: String,
    pub body: String,
    pub state: String,
}

impl Hover {
    pub fn is_empty(&self) -> bool {
        self.title.is_empty() && self.body.is_empty()
    }
}

/// Ask the camera to frame the whole map (the `f` key, startup, resize).
#[derive(Resource, Debug, Default, Clone, Copy)]
pub struct FitRequest(pub bool);

/// How many particles the map has in flight (shown in the toolbar).
#[derive(Resource, Debug, Default, Clone, Copy)]
pub struct MapStats {
    pub particles_alive: usize,
}

/// Whether the spotlight dims the cards that play no part in the current
/// step (on by default; `l` turns it off).
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spotlight(pub bool);

impl Default for Spotlight {
    fn default() -> Self {
        Spotlight(true)
    }
}

/// Guided mode: the run pauses at the end of each scripted step, with
/// *Next step* and *Replay step* on the caption. The session applies it;
/// the overlay shows it.
#[derive(Resource, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Guided {
    pub on: bool,
}

/// Where the current step's action is on screen, as a share of the window's
/// width (0 = left edge, 1 = right edge): the caption sits under it.
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq)]
pub struct ActionAt(pub Option<f32>);
