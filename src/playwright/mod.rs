//! Playwright's model, in one place: the stable test key, the walker of its
//! JSON report (`--list` output, a run's results), the suite the reporter
//! sees, the grouping rules of `createTestGroups`, how long a group is
//! expected to take, and one shard's share of a suite. JS hands Playwright's
//! objects over once and gets a plan back.

mod estimate;
mod groups;
mod live;
pub mod planfile;
pub mod report;
mod select;
mod suite;
pub mod testid;

pub use estimate::{apply_history, fold, Applied, Known};
pub use groups::{test_list_line, test_list_lines, unlistable, Grouping};
pub use live::LiveSuite;
pub use planfile::{suite_fingerprint, PlanFile};
pub use report::{GroupBy, Report, ReportResult, ReportTest};
pub use select::{history_fingerprint, select, SelectOptions, Selection, Source};
pub use suite::{Project, Suite, SuiteTest, Unit};
pub use testid::{normalize_file, repeat_key, TestId, SEPARATOR};
