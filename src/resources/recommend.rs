//! How many Playwright workers this machine can run well.
//!
//! Three limits, each computed from what the process may really use (the
//! cgroup's quota and limit, not the host's size): CPUs ÷ CPUs per worker,
//! available memory ÷ memory per worker, and the CPUs left idle by the
//! current load. The smallest wins, clamped to `[minWorkers, maxWorkers]`,
//! and the answer says which one limited it.

/// What the recommendation is computed from (read by [`super::host`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MachineInputs {
    pub host_cpus: usize,
    pub affinity_cpus: Option<usize>,
    pub cgroup_cpu_quota: Option<f64>,
    pub host_total_memory_mb: f64,
    pub host_available_memory_mb: f64,
    pub cgroup_memory_limit_mb: Option<f64>,
    pub cgroup_memory_used_mb: Option<f64>,
    /// 1, 5 and 15 minute load averages of the host.
    pub load_average: [f64; 3],
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerOptions {
    pub min_workers: u32,
    pub max_workers: Option<u32>,
    pub cpus_per_worker: f64,
    pub memory_per_worker_mb: f64,
    pub consider_load: bool,
}

impl WorkerOptions {
    /// Defaults, defined once (the config layer and the README table read them).
    pub const DEFAULT: WorkerOptions = WorkerOptions {
        min_workers: 1,
        max_workers: None,
        cpus_per_worker: 1.0,
        // A Playwright worker with Chromium and a page or two.
        memory_per_worker_mb: 1024.0,
        // Off: the load average lags by minutes, so right after a build
        // step it would cut the workers of the test run that follows.
        consider_load: false,
    };
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Limit {
    Cpu,
    Memory,
    Load,
    MinWorkers,
    MaxWorkers,
}

impl Limit {
    pub fn name(self) -> &'static str {
        match self {
            Limit::Cpu => "cpu",
            Limit::Memory => "memory",
            Limit::Load => "load",
            Limit::MinWorkers => "minWorkers",
            Limit::MaxWorkers => "maxWorkers",
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Recommendation {
    pub workers: u32,
    pub limited_by: Limit,
    /// CPUs the process may use: the least of host, affinity and cgroup quota.
    pub effective_cpus: f64,
    /// Memory the run may still use: host available, or the cgroup's
    /// headroom (limit − used) if smaller.
    pub available_memory_mb: f64,
    pub by_cpu: u32,
    pub by_memory: u32,
    pub by_load: Option<u32>,
    pub options: WorkerOptions,
    pub inputs: MachineInputs,
}

pub fn recommend(inputs: &MachineInputs, options: &WorkerOptions) -> Recommendation {
    let mut effective_cpus = inputs.host_cpus.max(1) as f64;
    if let Some(a) = inputs.affinity_cpus {
        effective_cpus = effective_cpus.min(a as f64);
    }
    if let Some(q) = inputs.cgroup_cpu_quota {
        effective_cpus = effective_cpus.min(q);
    }
    let mut available_memory_mb = inputs.host_available_memory_mb;
    if let Some(limit) = inputs.cgroup_memory_limit_mb {
        let headroom = (limit - inputs.cgroup_memory_used_mb.unwrap_or(0.0)).max(0.0);
        available_memory_mb = available_memory_mb.min(headroom);
    }

    // A small epsilon so 1.5 CPUs ÷ 0.5 gives 3, not 2.9999.
    let floor = |x: f64| (x + 1e-9).floor().max(0.0) as u32;
    let by_cpu = floor(effective_cpus / options.cpus_per_worker).max(1);
    let by_memory = floor(available_memory_mb / options.memory_per_worker_mb);
    let by_load = options.consider_load.then(|| {
        // The host's load, scaled to this process's share of the host, is
        // busy; the rest is idle.
        // Rounded, not floored: the 1-minute load is a noisy average.
        let share = effective_cpus / inputs.host_cpus.max(1) as f64;
        let busy = inputs.load_average[0].min(inputs.host_cpus as f64) * share;
        ((effective_cpus - busy) / options.cpus_per_worker)
            .round()
            .max(1.0) as u32
    });

    let mut workers = by_cpu;
    let mut limited_by = Limit::Cpu;
    if by_memory < workers {
        workers = by_memory;
        limited_by = Limit::Memory;
    }
    if let Some(l) = by_load {
        if l < workers {
            workers = l;
            limited_by = Limit::Load;
        }
    }
    if let Some(max) = options.max_workers {
        if workers > max {
            workers = max;
            limited_by = Limit::MaxWorkers;
        }
    }
    if workers < options.min_workers {
        workers = options.min_workers;
        limited_by = Limit::MinWorkers;
    }
    Recommendation {
        workers,
        limited_by,
        effective_cpus,
        available_memory_mb,
        by_cpu,
        by_memory,
        by_load,
        options: *options,
        inputs: inputs.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> MachineInputs {
        MachineInputs {
            host_cpus: 16,
            affinity_cpus: None,
            cgroup_cpu_quota: None,
            host_total_memory_mb: 65536.0,
            host_available_memory_mb: 60000.0,
            cgroup_memory_limit_mb: None,
            cgroup_memory_used_mb: None,
            load_average: [0.0, 0.0, 0.0],
        }
    }

    #[test]
    fn idle_host_is_cpu_bound() {
        let r = recommend(&host(), &WorkerOptions::DEFAULT);
        assert_eq!((r.workers, r.limited_by), (16, Limit::Cpu));
    }

    #[test]
    fn cgroup_quota_beats_the_host() {
        let m = MachineInputs {
            cgroup_cpu_quota: Some(2.5),
            ..host()
        };
        let r = recommend(&m, &WorkerOptions::DEFAULT);
        assert_eq!(
            (r.workers, r.limited_by, r.effective_cpus),
            (2, Limit::Cpu, 2.5)
        );
        let half = WorkerOptions {
            cpus_per_worker: 0.5,
            ..WorkerOptions::DEFAULT
        };
        assert_eq!(recommend(&m, &half).workers, 5);
    }

    #[test]
    fn cgroup_memory_headroom_beats_host_memory() {
        let m = MachineInputs {
            cgroup_memory_limit_mb: Some(4096.0),
            cgroup_memory_used_mb: Some(1024.0),
            ..host()
        };
        let r = recommend(&m, &WorkerOptions::DEFAULT);
        assert_eq!(
            (r.workers, r.limited_by, r.available_memory_mb),
            (3, Limit::Memory, 3072.0)
        );
    }

    #[test]
    fn load_takes_its_share() {
        let m = MachineInputs {
            load_average: [12.0, 10.0, 8.0],
            ..host()
        };
        // By default the load is not considered (it lags by minutes).
        assert_eq!(recommend(&m, &WorkerOptions::DEFAULT).workers, 16);
        let aware = WorkerOptions {
            consider_load: true,
            ..WorkerOptions::DEFAULT
        };
        let r = recommend(&m, &aware);
        assert_eq!((r.workers, r.limited_by), (4, Limit::Load));
        // An overloaded host still gets one worker.
        let m = MachineInputs {
            load_average: [40.0, 0.0, 0.0],
            ..host()
        };
        assert_eq!(recommend(&m, &aware).by_load, Some(1));
    }

    #[test]
    fn clamped_to_min_and_max() {
        let r = recommend(
            &host(),
            &WorkerOptions {
                max_workers: Some(6),
                ..WorkerOptions::DEFAULT
            },
        );
        assert_eq!((r.workers, r.limited_by), (6, Limit::MaxWorkers));
        let tiny = MachineInputs {
            host_available_memory_mb: 300.0,
            ..host()
        };
        let r = recommend(
            &tiny,
            &WorkerOptions {
                min_workers: 2,
                ..WorkerOptions::DEFAULT
            },
        );
        assert_eq!(
            (r.workers, r.limited_by, r.by_memory),
            (2, Limit::MinWorkers, 0)
        );
    }
}
