//! Seeding the history from reports teams already have: one run per report.

mod junit;
mod playwright;
mod report;

pub use playwright::attempts;
pub use report::{parse_report, read_report, ReportFormat};
