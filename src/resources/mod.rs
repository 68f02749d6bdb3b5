//! What this machine can give a test run: cgroup-aware CPU and memory,
//! worker-count recommendations, resource snapshots.

mod cgroup;
mod host;
mod recommend;

pub use cgroup::{affinity_cpus, read as read_cgroup, CgroupLimits};
pub use host::{machine_inputs, snapshot, ProcessUsage, Snapshot};
pub use recommend::{recommend, Limit, MachineInputs, Recommendation, WorkerOptions};
