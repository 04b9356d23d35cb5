//! `Best<T>`: the fastest of several runs of one measurement, with the
//! slowest kept for the spread.
//!
//! A plain accumulator: it must not run, time or print anything itself.

/// The fastest of several runs (and the slowest, for the spread): the
/// other core of this machine moves single runs by up to 2x.
pub struct Best<T> {
    best: Option<(T, f64)>,
    worst: f64,
}

impl<T> Best<T> {
    pub fn new() -> Self {
        Best { best: None, worst: 0.0 }
    }
    pub fn add(&mut self, out: T, secs: f64) {
        self.worst = self.worst.max(secs);
        if self.best.as_ref().is_none_or(|(_, b)| secs < *b) {
            self.best = Some((out, secs));
        }
    }
    /// (output of the fastest run, its seconds, the slowest run's seconds).
    pub fn get(self) -> (T, f64, f64) {
        let (out, secs) = self.best.expect("at least one run");
        (out, secs, self.worst)
    }
}
