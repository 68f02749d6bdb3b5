//! Flaky-test detection over the history: verdicts (flaky, broken, fixed,
//! failing, stable), scores with evidence, the quarantine list, the report.

mod options;
mod report;
mod verdict;

pub use options::{FlakyOptions, QuarantineRule};
pub use report::{analyze, Report, RunSummary, Summary, TestEntry, KIND, SCHEMA_VERSION};
pub use verdict::{judge, Judge, TestVerdict, Verdict};
