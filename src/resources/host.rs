//! Readings of this machine: CPUs, memory, load, cgroup limits, and a
//! snapshot of the process tree for reporters and dashboards.
//!
//! The WebAssembly (WASI) build has no sysinfo: it reads CPUs and cgroup
//! limits from the files it can see, no memory or load (0, as when sysinfo
//! fails), and its `resourceSnapshot` is refused (`ERR_SHARDWRIGHT_UNSUPPORTED`).

use std::path::Path;
use std::time::Duration;

#[cfg(not(target_family = "wasm"))]
use sysinfo::{
    CpuRefreshKind, MemoryRefreshKind, Pid, ProcessRefreshKind, ProcessesToUpdate, RefreshKind,
    System,
};

use super::cgroup::{self, CgroupLimits};
use super::recommend::MachineInputs;

const MB: f64 = 1024.0 * 1024.0;

/// Reads what [`super::recommend`] needs.
pub fn machine_inputs() -> MachineInputs {
    inputs_from(
        &cgroup::read(Path::new("/")),
        cgroup::affinity_cpus(Path::new("/")),
    )
}

#[cfg(target_family = "wasm")]
fn inputs_from(limits: &CgroupLimits, affinity_cpus: Option<usize>) -> MachineInputs {
    MachineInputs {
        host_cpus: host_cpus(),
        affinity_cpus,
        cgroup_cpu_quota: limits.cpu_quota,
        host_total_memory_mb: 0.0,
        host_available_memory_mb: 0.0,
        cgroup_memory_limit_mb: limits.memory_limit.map(|b| b as f64 / MB),
        cgroup_memory_used_mb: limits.memory_used.map(|b| b as f64 / MB),
        load_average: [0.0; 3],
    }
}

#[cfg(not(target_family = "wasm"))]
fn inputs_from(limits: &CgroupLimits, affinity_cpus: Option<usize>) -> MachineInputs {
    let (total, available) = match System::new_with_specifics(
        RefreshKind::nothing().with_memory(MemoryRefreshKind::nothing().with_ram()),
    ) {
        Ok(s) => (
            s.total_memory() as f64 / MB,
            s.available_memory() as f64 / MB,
        ),
        Err(e) => {
            tracing::warn!("failed to read memory: {e}");
            (0.0, 0.0)
        }
    };
    let load = System::load_average()
        .map(|l| [l.one, l.five, l.fifteen])
        .unwrap_or([0.0; 3]);
    MachineInputs {
        host_cpus: host_cpus(),
        affinity_cpus,
        cgroup_cpu_quota: limits.cpu_quota,
        host_total_memory_mb: total,
        host_available_memory_mb: available,
        cgroup_memory_limit_mb: limits.memory_limit.map(|b| b as f64 / MB),
        cgroup_memory_used_mb: limits.memory_used.map(|b| b as f64 / MB),
        load_average: load,
    }
}

fn host_cpus() -> usize {
    // Logical CPUs of the host, before affinity and quotas (those are applied
    // separately so `explainWorkers()` can show each).
    std::fs::read_to_string("/proc/cpuinfo")
        .map(|t| t.lines().filter(|l| l.starts_with("processor")).count())
        .ok()
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessUsage {
    pub pid: u32,
    pub parent_pid: Option<u32>,
    pub name: String,
    pub rss_mb: f64,
    pub cpu_percent: f64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// Milliseconds since the Unix epoch.
    pub taken_at: f64,
    /// Host CPU use over the sampling interval, 0–100.
    pub cpu_percent: f64,
    pub cpus: usize,
    pub total_memory_mb: f64,
    pub available_memory_mb: f64,
    pub used_memory_mb: f64,
    pub load_average: [f64; 3],
    pub cgroup: CgroupLimits,
    /// This process and its descendants (Playwright workers, browsers…).
    pub processes: Vec<ProcessUsage>,
    /// Sum of `processes[].rssMb`.
    pub tree_rss_mb: f64,
}

/// Samples CPU twice, `interval` apart (CPU use is a rate), and reads memory,
/// load and the process tree of `root_pid`.
#[cfg(not(target_family = "wasm"))]
pub async fn snapshot(root_pid: u32, interval: Duration) -> Snapshot {
    let kinds = RefreshKind::nothing()
        .with_cpu(CpuRefreshKind::everything())
        .with_memory(MemoryRefreshKind::everything());
    let Ok(mut sys) = System::new_with_specifics(kinds) else {
        tracing::warn!("failed to read system information");
        return empty_snapshot();
    };
    let refresh = |sys: &mut System| {
        sys.refresh_cpu_usage();
        sys.refresh_memory();
        sys.refresh_processes_specifics(
            ProcessesToUpdate::All,
            true,
            ProcessRefreshKind::nothing().with_memory().with_cpu(),
        );
    };
    refresh(&mut sys);
    tokio::time::sleep(interval.max(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL)).await;
    refresh(&mut sys);

    let mut tree = vec![Pid::from_u32(root_pid)];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        let mut children: Vec<Pid> = sys
            .processes()
            .iter()
            .filter(|(_, p)| p.parent() == Some(parent) && p.thread_kind().is_none())
            .map(|(pid, _)| *pid)
            .collect();
        children.sort();
        tree.extend(children);
        i += 1;
    }
    let processes: Vec<ProcessUsage> = tree
        .iter()
        .filter_map(|pid| sys.process(*pid))
        .map(|p| ProcessUsage {
            pid: p.pid().as_u32(),
            parent_pid: p.parent().map(|pp| pp.as_u32()),
            name: p.name().to_string_lossy().into_owned(),
            rss_mb: p.memory() as f64 / MB,
            cpu_percent: p.cpu_usage() as f64,
        })
        .collect();
    let load = System::load_average()
        .map(|l| [l.one, l.five, l.fifteen])
        .unwrap_or([0.0; 3]);
    Snapshot {
        taken_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0),
        cpu_percent: sys.global_cpu_usage() as f64,
        cpus: sys.cpus().len(),
        total_memory_mb: sys.total_memory() as f64 / MB,
        available_memory_mb: sys.available_memory() as f64 / MB,
        used_memory_mb: sys.used_memory() as f64 / MB,
        load_average: load,
        cgroup: cgroup::read(Path::new("/")),
        tree_rss_mb: processes.iter().map(|p| p.rss_mb).sum(),
        processes,
    }
}

/// Never called: `resourceSnapshot` is refused before (see the module docs).
#[cfg(target_family = "wasm")]
pub async fn snapshot(_root_pid: u32, _interval: Duration) -> Snapshot {
    empty_snapshot()
}

fn empty_snapshot() -> Snapshot {
    Snapshot {
        taken_at: 0.0,
        cpu_percent: 0.0,
        cpus: 0,
        total_memory_mb: 0.0,
        available_memory_mb: 0.0,
        used_memory_mb: 0.0,
        load_average: [0.0; 3],
        cgroup: CgroupLimits::default(),
        processes: Vec::new(),
        tree_rss_mb: 0.0,
    }
}
