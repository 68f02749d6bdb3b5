//! Sharding: test groups in, a plan of which shard runs which group out.

mod balance;
mod coverage;
mod fingerprint;
mod group;
mod options;
mod plan;
mod playwright;
mod predict;
mod table;

pub use coverage::{check as check_coverage, Coverage, FingerprintShards, ShardRecord, TestShards};
pub use fingerprint::{fingerprint, of_strings, ALGORITHM_VERSION};
pub use group::{loads, median, validate as validate_groups, BalancedBy, Group, Loads};
pub use options::{PlanOptions, Strategy, TagMode};
pub use plan::{plan, Plan, ShardPlan};
pub use playwright::split as playwright_split;
pub use predict::wall_time;
pub use table::{format_ms, render as render_table};
