//! Playwright's model, in one place: the stable test key, the walker of its
//! JSON report (`--list` output, a run's results), the suite the reporter
//! sees, the grouping rules of `createTestGroups`, how long a group is
//! expected to take, one shard's share of a suite — and for `shardwright
//! run`: the queue of groups and its order, where a command's config is,
//! its web servers and reporters, and the events a batch streams. JS hands
//! Playwright's objects over once and gets a plan back.

pub mod config;
mod estimate;
mod groups;
mod live;
pub mod planfile;
mod queue_plan;
pub mod report;
pub mod rerun;
mod select;
pub mod stream;
mod suite;
pub mod testid;
pub mod webserver;
pub mod wrapper;

pub use estimate::{apply_history, fold, Applied, Known};
pub use groups::{test_list_line, test_list_lines, unlistable, Grouping};
pub use live::LiveSuite;
pub use planfile::{suite_fingerprint, PlanFile};
pub use queue_plan::{quarantined_tests, remove_quarantined, QueueGroup, QueuePlan};
pub use report::{GroupBy, Report, ReportResult, ReportTest};
pub use select::{history_fingerprint, select, SelectOptions, Selection, Source};
pub use suite::{Project, Suite, SuiteTest, Unit};
pub use testid::{normalize_file, repeat_key, TestId, SEPARATOR};
