//! The pool's options, their defaults (defined once, here) and the rules
//! between them.

use crate::backoff::BackoffPolicy;
use crate::classify::Classifier;
use crate::error::{Error, Result};

/// Which idle worker a task goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// The next idle worker after the one used last, cyclically.
    RoundRobin,
    /// The idle worker with the least busy time so far.
    LeastLoaded,
    /// A random idle worker (seeded by `seed`).
    Random,
    /// The lowest-numbered idle worker: work stays on few workers, so the
    /// others idle out and are scaled down first.
    Priority,
}

impl Strategy {
    pub const NAMES: [&'static str; 4] = ["round-robin", "least-loaded", "random", "priority"];

    pub fn name(self) -> &'static str {
        match self {
            Strategy::RoundRobin => "round-robin",
            Strategy::LeastLoaded => "least-loaded",
            Strategy::Random => "random",
            Strategy::Priority => "priority",
        }
    }

    pub fn from_name(name: &str) -> Option<Strategy> {
        Some(match name {
            "round-robin" => Strategy::RoundRobin,
            "least-loaded" => Strategy::LeastLoaded,
            "random" => Strategy::Random,
            "priority" => Strategy::Priority,
            _ => return None,
        })
    }
}

/// The most workers a pool may have: beyond this it is a mistake, not a pool.
pub const MAX_WORKERS_LIMIT: u32 = 10_000;

#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// Workers kept even when idle.
    pub min_workers: u32,
    /// Workers at most; `None` = the machine's available parallelism.
    pub max_workers: Option<u32>,
    /// A worker idle this long is retired (down to `min_workers`).
    pub idle_timeout_ms: f64,
    pub strategy: Strategy,
    /// Seed of the `random` strategy and of the retry jitter.
    pub seed: Option<u64>,
    /// Default per-attempt timeout of a task; `None` = none.
    pub timeout_ms: Option<f64>,
    /// Backoff between attempts; its `max_retries` is the default of a
    /// task's `retries`.
    pub retry: BackoffPolicy,
    pub classifier: Classifier,
    /// A task id submitted again within this window (from its first
    /// submission) joins the first task instead of running again. An id whose
    /// task has not ended yet always joins.
    pub dedup_window_ms: f64,
    /// Stop (skip what has not started) after this many failed tasks; 0 = never.
    pub max_failures: u32,
    /// No task starts while the machine's available memory is below this
    /// (one still may when none is running, so the pool cannot stall); 0 = off.
    pub min_available_memory_mb: f64,
    /// How often memory is sampled while process tasks run.
    pub memory_sample_ms: f64,
    /// Default memory limit of a process task (its whole process tree).
    pub memory_limit_mb: Option<f64>,
    /// After SIGTERM to a timed-out or cancelled process group, how long to
    /// wait before SIGKILL.
    pub kill_grace_ms: f64,
    /// Captured output kept per stream of a process task (the tail).
    pub max_output_bytes: usize,
}

impl PoolConfig {
    /// The defaults, defined here once (the JS option docs and README quote
    /// them). A function, not a constant: the classifier holds compiled rules.
    pub fn defaults() -> PoolConfig {
        PoolConfig {
            min_workers: 1,
            max_workers: None,
            idle_timeout_ms: 10_000.0,
            strategy: Strategy::LeastLoaded,
            seed: None,
            timeout_ms: None,
            retry: BackoffPolicy {
                max_retries: 0,
                ..BackoffPolicy::DEFAULT
            },
            classifier: Classifier::default(),
            dedup_window_ms: 1000.0,
            max_failures: 0,
            min_available_memory_mb: 256.0,
            memory_sample_ms: 250.0,
            memory_limit_mb: None,
            kill_grace_ms: 2000.0,
            max_output_bytes: 4 << 20,
        }
    }

    /// Checks the rules between fields; field names are the JS option names.
    pub fn validate(self) -> Result<Self> {
        let max = self.max_workers();
        if max == 0 || max > MAX_WORKERS_LIMIT {
            return Err(Error::invalid(
                "maxWorkers",
                max,
                format!("a whole number from 1 to {MAX_WORKERS_LIMIT}"),
            ));
        }
        if self.min_workers > max {
            return Err(Error::invalid(
                "minWorkers",
                self.min_workers,
                format!("at most maxWorkers ({max})"),
            ));
        }
        Ok(self)
    }

    pub fn max_workers(&self) -> u32 {
        self.max_workers.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get() as u32)
                .unwrap_or(1)
        })
    }
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig::defaults()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_above_max_names_min_workers() {
        let e = PoolConfig {
            min_workers: 5,
            max_workers: Some(2),
            ..PoolConfig::defaults()
        }
        .validate()
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid minWorkers: 5 (at most maxWorkers (2))"
        );
        let e = PoolConfig {
            max_workers: Some(0),
            ..PoolConfig::defaults()
        }
        .validate()
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid maxWorkers: 0 (a whole number from 1 to 10000)"
        );
    }

    #[test]
    fn default_max_is_the_machine() {
        assert!(PoolConfig::defaults().max_workers() >= 1);
        assert_eq!(
            Strategy::NAMES.map(|n| Strategy::from_name(n).unwrap().name()),
            Strategy::NAMES
        );
    }
}
