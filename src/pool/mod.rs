//! The worker manager: runs JS functions (through the host) and child
//! processes in parallel on one machine, with priorities, dependencies,
//! serial groups, timeouts, retries, memory limits and statistics.

pub mod dag;
pub mod events;
pub mod groups;
pub mod manager;
pub mod memory;
pub mod options;
pub mod process;
pub mod queue;
pub mod scheduler;
pub mod stats;
pub mod task;
pub mod workers;

pub use events::{Event, EventKind, EventMask, Progress, Stream};
pub use manager::{Host, Manager, ShutdownReport};
pub use options::{PoolConfig, Strategy};
pub use scheduler::{AttemptEnd, Dispatch, Handle, Outbox, Scheduler, Submitted};
pub use stats::PoolStats;
pub use task::{
    AttemptInfo, ExitInfo, Outcome, Priority, ProcessSpec, TaskKind, TaskResult, TaskSpec,
};
