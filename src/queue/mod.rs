//! The work queue behind `shardwright run`: in-process by default, on Redis in
//! queue mode so CI machines pull work dynamically.

mod local;
mod model;
mod redact;
mod redis;
mod work;

pub use self::redact::{redact, scrub};
pub use self::redis::{suite_id, RedisOptions, RedisQueue, Seeded, SuiteInfo, LOST_REASON};
pub use local::{sort_longest_first, LocalQueue};
pub use model::*;
pub use work::WorkQueue;
