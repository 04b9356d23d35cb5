//! Scenario files: a world and a script of steps, in RON.
//!
//! A step has a time, a title, a plain-language caption, actions and
//! expectations. Loading parses (RON errors carry line and column; a value
//! outside a closed set, such as an outcome or a booking status, is one of
//! them) and then validates every name against the world, so a bad file is
//! refused with a message naming the file, the step and the field, before
//! anything runs.
//!
//! This file is the entry: loading (read, parse, validate) and the paths
//! the rest of the crate uses (`crate::scenario::Scenario`, …). Each
//! concern has its own file and must stay there: `schema` (the types a file
//! is read into), `describe` (a check in words), `validate` (references and
//! limits), `plan` (lowering to ticks and engine requests); `runner` plays a
//! plan, `report` runs one headless, `chaos` and `swarm` generate scripts.

pub mod bundled;
pub mod chaos;
mod describe;
mod plan;
pub mod report;
pub mod runner;
mod schema;
pub mod swarm;
mod validate;

pub use plan::{PlannedStep, ms_to_tick};
pub use schema::{Action, Check, Expect, Scenario, SeatState, Step};
pub use validate::limits;

use std::fmt;

/// A refused scenario: where and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: String,
    /// `line:col` for syntax errors (a misspelt outcome, status, state or
    /// event type among them), `step N 'title', field` for the rest.
    pub place: String,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.place, self.message)
    }
}

impl std::error::Error for ScenarioError {}

impl Scenario {
    /// Parses and validates scenario text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        if text.len() > limits::FILE_BYTES {
            return Err(ScenarioError {
                file: file.into(),
                place: "1:1".into(),
                message: format!("file is {} bytes; the limit is {}", text.len(), limits::FILE_BYTES),
            });
        }
        let options = ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
        let scenario: Scenario = options.from_str(text).map_err(|e| ScenarioError {
            file: file.into(),
            place: format!("{}:{}", e.position.line, e.position.col),
            message: e.code.to_string(),
        })?;
        scenario.validate().map_err(|(place, message)| ScenarioError { file: file.into(), place, message })?;
        Ok(scenario)
    }

    /// Reads and parses a file.
    pub fn load(path: &std::path::Path) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            file: file.clone(),
            place: "0:0".into(),
            message: format!("cannot read the file: {e}"),
        })?;
        Scenario::parse(&text, &file)
    }
}
