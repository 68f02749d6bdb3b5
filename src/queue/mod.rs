//! The work queue behind `shardwright run`: in-process by default, on Redis in
//! queue mode so CI machines pull work dynamically.

mod local;
mod model;
mod redis;
mod work;

pub use self::redis::{
    redact, suite_id, RedisOptions, RedisQueue, Seeded, SuiteInfo, LOST_REASON, UNPARSABLE,
};
pub use local::{sort_longest_first, LocalQueue};
pub use model::*;
pub use work::WorkQueue;
