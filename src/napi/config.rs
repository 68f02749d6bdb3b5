//! Configuration and machine resources for JS: `resolveConfig`,
//! `recommendWorkers`, `explainWorkers`, `resourceSnapshot`, `configDocs`.

use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::{Map, Value};

use super::runtime::{spawn, sync};
use super::value::Loose;
use crate::config::{self, Config, Workers};
use crate::error::{Error, Result};
use crate::resources::{self, Recommendation};

/// The options object of `withShardwright()` / the reporter, as JSON.
fn options_map(options: Option<Loose>) -> Result<Map<String, Value>> {
    match options.map(|l| l.0) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map),
        Some(other) => Err(Error::invalid("options", config::show(&other), "an object")),
    }
}

fn resolve(options: Option<Loose>) -> Result<Config> {
    Config::from_env(&options_map(options)?)
}

#[napi(object, object_from_js = false)]
pub struct ConfigEntry {
    pub key: String,
    /// The environment variable that overrides it.
    pub env: String,
    #[napi(ts_type = "string | number | boolean | null")]
    pub value: Value,
    #[napi(ts_type = "string | number | boolean | null")]
    pub default: Value,
    /// `default`, `option`, or `env <VARIABLE>`.
    pub source: String,
    pub doc: String,
}

#[napi(object, object_from_js = false)]
pub struct EffectiveConfig {
    /// Every setting's effective value, by option name.
    #[napi(ts_type = "Record<string, string | number | boolean | null>")]
    pub values: Value,
    pub entries: Vec<ConfigEntry>,
    /// The CI provider (`github-actions`, `gitlab`, …, or `ci`), or null.
    pub ci: Option<String>,
    /// Playwright's `retries` to use: `maxRetries` on CI or when set, else 0.
    pub playwright_retries: u32,
    /// `SHARDWRIGHT_*` variables that are not settings (likely typos).
    pub unknown_env: Vec<String>,
}

fn effective(c: &Config) -> EffectiveConfig {
    let entries = c.entries();
    let values = entries
        .iter()
        .map(|e| (e.key.to_string(), e.value.clone()))
        .collect::<Map<_, _>>();
    EffectiveConfig {
        values: Value::Object(values),
        entries: entries
            .into_iter()
            .map(|e| ConfigEntry {
                key: e.key.into(),
                env: e.env.into(),
                value: e.value,
                default: e.default,
                source: e.source,
                doc: e.doc.into(),
            })
            .collect(),
        ci: c.ci.map(str::to_string),
        playwright_retries: c.playwright_retries(),
        unknown_env: c.unknown_env.clone(),
    }
}

/// The effective configuration: defaults < `options` < `SHARDWRIGHT_*`
/// environment variables, validated, with the source of each value.
#[napi(ts_args_type = "options?: Record<string, unknown>")]
pub fn resolve_config(options: Option<Loose>) -> napi::Result<EffectiveConfig, &'static str> {
    sync(|| Ok(effective(&resolve(options)?)))
}

/// The settings with their defaults and docs (the README's table).
#[napi]
pub fn config_docs() -> napi::Result<Vec<ConfigEntry>, &'static str> {
    sync(|| Ok(effective(&Config::default()).entries))
}

#[napi(object, object_from_js = false)]
pub struct MachineInputs {
    pub host_cpus: u32,
    pub affinity_cpus: Option<u32>,
    /// CPUs allowed by the cgroup's quota (quota ÷ period), if limited.
    pub cgroup_cpu_quota: Option<f64>,
    pub host_total_memory_mb: f64,
    pub host_available_memory_mb: f64,
    pub cgroup_memory_limit_mb: Option<f64>,
    pub cgroup_memory_used_mb: Option<f64>,
    pub load_average: Vec<f64>,
}

#[napi(object, object_from_js = false)]
pub struct WorkerExplanation {
    pub workers: u32,
    /// What set the count: `cpu`, `memory`, `load`, `minWorkers`,
    /// `maxWorkers`, or `workers` (a fixed count was configured).
    #[napi(ts_type = "'cpu' | 'memory' | 'load' | 'minWorkers' | 'maxWorkers' | 'workers'")]
    pub limited_by: String,
    /// CPUs the process may use: the least of host, affinity and cgroup quota.
    pub effective_cpus: f64,
    /// Memory still available to the run (host, or the cgroup's headroom).
    pub available_memory_mb: f64,
    pub by_cpu: u32,
    pub by_memory: u32,
    pub by_load: Option<u32>,
    pub min_workers: u32,
    pub max_workers: Option<u32>,
    pub cpus_per_worker: f64,
    pub memory_per_worker_mb: f64,
    pub inputs: MachineInputs,
}

fn explanation(c: &Config, r: Recommendation) -> WorkerExplanation {
    let (workers, limited_by) = match c.workers {
        Workers::Fixed(n) => (n, "workers"),
        Workers::Auto => (r.workers, r.limited_by.name()),
    };
    let i = r.inputs;
    WorkerExplanation {
        workers,
        limited_by: limited_by.to_string(),
        effective_cpus: r.effective_cpus,
        available_memory_mb: r.available_memory_mb,
        by_cpu: r.by_cpu,
        by_memory: r.by_memory,
        by_load: r.by_load,
        min_workers: r.options.min_workers,
        max_workers: r.options.max_workers,
        cpus_per_worker: r.options.cpus_per_worker,
        memory_per_worker_mb: r.options.memory_per_worker_mb,
        inputs: MachineInputs {
            host_cpus: i.host_cpus as u32,
            affinity_cpus: i.affinity_cpus.map(|n| n as u32),
            cgroup_cpu_quota: i.cgroup_cpu_quota,
            host_total_memory_mb: i.host_total_memory_mb,
            host_available_memory_mb: i.host_available_memory_mb,
            cgroup_memory_limit_mb: i.cgroup_memory_limit_mb,
            cgroup_memory_used_mb: i.cgroup_memory_used_mb,
            load_average: i.load_average.to_vec(),
        },
    }
}

fn explain(options: Option<Loose>) -> Result<WorkerExplanation> {
    let c = resolve(options)?;
    let r = resources::recommend(&resources::machine_inputs(), &c.worker_options);
    tracing::debug!(
        workers = r.workers,
        limited_by = r.limited_by.name(),
        "recommended workers"
    );
    Ok(explanation(&c, r))
}

/// How many Playwright workers this machine runs well: the least of CPUs,
/// available memory and idle CPUs under the current load (cgroup-aware),
/// within `minWorkers`..`maxWorkers`.
#[napi(ts_args_type = "options?: Record<string, unknown>")]
pub fn recommend_workers(options: Option<Loose>) -> napi::Result<u32, &'static str> {
    sync(|| Ok(explain(options)?.workers))
}

/// The worker count with every input and the one that limited it.
#[napi(ts_args_type = "options?: Record<string, unknown>")]
pub fn explain_workers(options: Option<Loose>) -> napi::Result<WorkerExplanation, &'static str> {
    sync(|| explain(options))
}

#[napi(object, object_from_js = false)]
pub struct ProcessUsage {
    pub pid: u32,
    pub parent_pid: Option<u32>,
    pub name: String,
    pub rss_mb: f64,
    pub cpu_percent: f64,
}

#[napi(object, object_from_js = false)]
pub struct ResourceSnapshot {
    /// Milliseconds since the Unix epoch.
    pub taken_at: f64,
    /// Host CPU use over the sampling interval, 0–100.
    pub cpu_percent: f64,
    pub cpus: u32,
    pub total_memory_mb: f64,
    pub available_memory_mb: f64,
    pub used_memory_mb: f64,
    pub load_average: Vec<f64>,
    pub cgroup_cpu_quota: Option<f64>,
    pub cgroup_memory_limit_mb: Option<f64>,
    pub cgroup_memory_used_mb: Option<f64>,
    /// This process and its descendants (Playwright workers, browsers…).
    pub processes: Vec<ProcessUsage>,
    pub tree_rss_mb: f64,
}

/// The longest `intervalMs` of `resourceSnapshot()`: a minute.
const MAX_SNAPSHOT_INTERVAL_MS: f64 = 60_000.0;

/// CPU, memory, load, cgroup limits and the RSS of this process tree. CPU
/// use is a rate, so it samples twice, `intervalMs` apart (at least 200 ms,
/// at most a minute).
#[napi(
    ts_args_type = "options?: { intervalMs?: number }",
    ts_return_type = "Promise<ResourceSnapshot>"
)]
pub fn resource_snapshot(
    env: &Env,
    options: Option<Loose>,
) -> napi::Result<PromiseRaw<'_, ResourceSnapshot>, &'static str> {
    let interval = sync(|| {
        if cfg!(target_family = "wasm") {
            return Err(Error::unsupported(
                "resource snapshots (`resourceSnapshot`)",
            ));
        }
        let map = config::fields(
            "options",
            options.as_ref().map(|l| &l.0),
            &["intervalMs"],
            "a resourceSnapshot()",
            "",
        )?;
        let ms = config::number_in(
            "intervalMs",
            map.and_then(|m| m.get("intervalMs")),
            0.0..=MAX_SNAPSHOT_INTERVAL_MS,
            "a number of milliseconds from 0 to 60000",
        )?;
        Ok(ms.unwrap_or(250.0))
    })?;
    let pid = std::process::id();
    spawn(env, async move {
        let s = resources::snapshot(pid, Duration::from_secs_f64(interval / 1000.0)).await;
        const MB: f64 = 1024.0 * 1024.0;
        Ok(ResourceSnapshot {
            taken_at: s.taken_at,
            cpu_percent: s.cpu_percent,
            cpus: s.cpus as u32,
            total_memory_mb: s.total_memory_mb,
            available_memory_mb: s.available_memory_mb,
            used_memory_mb: s.used_memory_mb,
            load_average: s.load_average.to_vec(),
            cgroup_cpu_quota: s.cgroup.cpu_quota,
            cgroup_memory_limit_mb: s.cgroup.memory_limit.map(|b| b as f64 / MB),
            cgroup_memory_used_mb: s.cgroup.memory_used.map(|b| b as f64 / MB),
            processes: s
                .processes
                .into_iter()
                .map(|p| ProcessUsage {
                    pid: p.pid,
                    parent_pid: p.parent_pid,
                    name: p.name,
                    rss_mb: p.rss_mb,
                    cpu_percent: p.cpu_percent,
                })
                .collect(),
            tree_rss_mb: s.tree_rss_mb,
        })
    })
}
