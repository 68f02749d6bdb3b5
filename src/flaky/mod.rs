//! Flaky-test detection over the history: verdicts (flaky, broken, fixed,
//! failing, stable), scores with evidence, the quarantine list, the report.

pub mod incident;
mod options;
mod report;
pub mod retry_decision;
mod verdict;

pub use incident::{Detected, IncidentOptions};
pub use options::{FlakyOptions, QuarantineRule};
pub use report::{
    analyze, analyze_bounded, write_json_pretty, Report, RunRef, RunSummary, Summary, TestEntry,
    KIND, SCHEMA_VERSION,
};
pub use verdict::{judge, Judge, QuarantineState, TestVerdict, Verdict, SCORE_PRIOR_RUNS};
