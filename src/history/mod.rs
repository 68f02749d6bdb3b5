//! The test history: every attempt of every test over the last runs, kept in
//! a versioned, compact, crash-safe file.

pub mod estimate;
pub mod format;
pub mod import;
mod index;
pub mod infra;
pub mod merge;
pub mod model;
pub mod run;
pub mod store;
pub mod time;

pub use estimate::{Estimate, EstimateSource};
pub use infra::Incident;
pub use merge::MergeSummary;
pub use model::{AddSummary, Attempt, History, Limits, RunMeta, RunOutcome, Status, TestRecord};
pub use run::RunInput;
pub use store::{load, save, LoadOptions, DEFAULT_PATH};
