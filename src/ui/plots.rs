//! The Queries view's plots (egui_plot): lag per projector, queue depths,
//! event-store size and commands/s over the last minute of simulated time.
//! A UI-side system samples the sim once per tick into a bounded history;
//! it only reads the sim, and it forgets everything when the clock goes
//! back (reset, scrub), so the plots always describe the run on screen.

use crate::domain::TICK_MS;
use crate::sim::command_intake::CommandLog;
use crate::sim::consumer::{Consumer, ConsumerQueue};
use crate::sim::protocol::SimSet;
use crate::sim::runtime::SimClock;
use crate::sim::store::EventStore;
use bevy::prelude::*;
use bevy_egui::egui;
use egui_plot::{Legend, Line, Plot, PlotPoints};
use std::collections::{BTreeMap, VecDeque};

/// Samples kept: one per tick, one simulated minute.
pub const MAX_SAMPLES: usize = 1_200;

/// The sim at the end of one tick, as the plots need it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sample {
    pub tick: u64,
    /// Per consumer (by name): events published but not yet handled.
    pub lag_events: BTreeMap<&'static str, u64>,
    /// Per consumer: messages waiting in its queue.
    pub queue_depth: BTreeMap<&'static str, u64>,
    pub store_events: u64,
    /// Commands answered or in flight since tick 0 (for commands/s).
    pub commands_total: u64,
}

#[derive(Resource, Debug, Default)]
pub struct Metrics {
    pub samples: VecDeque<Sample>,
}

impl Metrics {
    /// Adds the sample of a tick; a tick not after the last one means the
    /// run went back (reset or scrub): start over.
    pub fn push(&mut self, s: Sample) {
        if self.samples.back().is_some_and(|b| b.tick >= s.tick) {
            self.samples.clear();
        }
        if self.samples.len() == MAX_SAMPLES {
            self.samples.pop_front();
        }
        self.samples.push_back(s);
    }

    /// Commands per simulated second at each sample, over a one-second window.
    pub fn commands_per_s(&self) -> Vec<[f64; 2]> {
        let per_s = (1000 / TICK_MS) as usize;
        self.samples
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, s)| {
                let j = i.saturating_sub(per_s);
                let old = &self.samples[j];
                let dt_s = (s.tick - old.tick).max(1) as f64 * TICK_MS as f64 / 1000.0;
                [s.tick as f64, (s.commands_total - old.commands_total) as f64 / dt_s]
            })
            .collect()
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Metrics>();
    app.add_systems(FixedUpdate, sample.after(SimSet::Invariants));
}

fn sample(
    clock: Option<Res<SimClock>>,
    store: Option<Res<EventStore>>,
    log: Option<Res<CommandLog>>,
    consumers: Query<(&Consumer, &ConsumerQueue)>,
    mut metrics: ResMut<Metrics>,
) {
    let (Some(clock), Some(store)) = (clock, store) else { return };
    if metrics.samples.back().is_some_and(|b| b.tick == clock.tick) {
        return; // paused: the tick did not run
    }
    let head = store.head_seq();
    let mut s = Sample {
        tick: clock.tick,
        store_events: head,
        commands_total: log.map_or(0, |l| l.counts.values().sum()),
        ..default()
    };
    for (c, q) in &consumers {
        s.lag_events.insert(c.id.name(), c.lag(head));
        s.queue_depth.insert(c.id.name(), q.queue.len() as u64);
    }
    metrics.push(s);
}

fn series(
    metrics: &Metrics,
    pick: impl Fn(&Sample) -> &BTreeMap<&'static str, u64>,
) -> BTreeMap<&'static str, Vec<[f64; 2]>> {
    let mut out: BTreeMap<&'static str, Vec<[f64; 2]>> = BTreeMap::new();
    for s in &metrics.samples {
        for (k, v) in pick(s) {
            out.entry(*k).or_default().push([s.tick as f64, *v as f64]);
        }
    }
    out
}

fn plot(ui: &mut egui::Ui, id: &str, title: &str, lines: BTreeMap<&'static str, Vec<[f64; 2]>>) {
    ui.label(egui::RichText::new(title).strong());
    Plot::new(id)
        .height(120.0)
        .legend(
            Legend::default()
                .position(egui_plot::Corner::LeftTop)
                .text_style(egui::TextStyle::Small)
                .background_alpha(0.5),
        )
        .allow_scroll(false)
        .allow_drag(false)
        .x_axis_label("tick")
        .show(ui, |p| {
            for (name, points) in lines {
                p.line(Line::new(name, PlotPoints::from(points)));
            }
        });
}

/// The four plots, two by two.
pub fn show(ui: &mut egui::Ui, metrics: &Metrics) {
    ui.columns(2, |cols| {
        plot(&mut cols[0], "lag", "lag per consumer (events)", series(metrics, |s| &s.lag_events));
        plot(&mut cols[1], "queues", "queue depth per consumer (messages)", series(metrics, |s| &s.queue_depth));
        let mut store = BTreeMap::new();
        store.insert("events", metrics.samples.iter().map(|s| [s.tick as f64, s.store_events as f64]).collect());
        plot(&mut cols[0], "store", "event store size (events)", store);
        let mut cps = BTreeMap::new();
        cps.insert("commands/s", metrics.commands_per_s());
        plot(&mut cols[1], "cps", "commands per simulated second", cps);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_is_bounded_and_restarts_when_the_clock_goes_back() {
        let mut m = Metrics::default();
        for t in 1..=(MAX_SAMPLES as u64 + 50) {
            m.push(Sample { tick: t, commands_total: t * 2, ..default() });
        }
        assert_eq!(m.samples.len(), MAX_SAMPLES);
        // 2 commands per tick = 40 per simulated second.
        assert!(m.commands_per_s().iter().skip(30).all(|p| (p[1] - 40.0).abs() < 1e-9));
        m.push(Sample { tick: 3, ..default() });
        assert_eq!(m.samples.len(), 1);
    }
}
