//! The HTML run report's data: what the page shows (the shard timeline of
//! the latest sharded run, the slowest groups, the tests that need attention
//! with a per-run strip of outcomes, trends over the history, incidents, the
//! quarantine), computed from the history, the flaky report and the shard
//! records, as one JSON blob safe to embed in a `<script>` element. The page
//! itself (HTML, CSS, its script) is `js/report/`.

mod embed;
mod model;
mod timeline;

pub use embed::script_safe;
pub use model::{build, Page, PageOptions, KIND, VERSION};
pub use timeline::{RecordGroup, ShardRecord, Timeline};
