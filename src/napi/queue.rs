//! `WorkQueue` for JS: the in-process queue or the Redis queue of queue mode.

use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use tokio_util::sync::CancellationToken;

use super::runtime::{spawn, sync};
use super::value::{json, Loose};
use crate::config;
use crate::error::{Error, Result};
use crate::queue::{
    self, GroupResult, GroupStatus, MachineInfo, PullOptions, RedisOptions, Seeded,
};

#[napi(object)]
pub struct QueueGroup {
    pub id: String,
    /// Expected duration in milliseconds (longest are handed out first).
    pub expected_ms: f64,
    /// The caller's data (e.g. `--test-list` lines), returned unchanged.
    pub payload: String,
}

#[napi(object, object_to_js = false)]
pub struct GroupResultInput {
    #[napi(ts_type = "'passed' | 'failed'")]
    pub status: String,
    pub duration_ms: f64,
    /// The caller's per-test results, stored with the group.
    pub payload: Option<String>,
}

#[napi(object, object_from_js = false)]
pub struct DoneRecord {
    pub group: String,
    pub machine: String,
    #[napi(ts_type = "'passed' | 'failed'")]
    pub status: String,
    pub duration_ms: f64,
    pub finished_at: f64,
    pub payload: String,
}

#[napi(object, object_from_js = false)]
pub struct LeaseInfo {
    pub group: String,
    pub machine: String,
    pub expires_in_ms: f64,
    pub expected_ms: f64,
}

#[napi(object)]
pub struct QueueMachine {
    pub id: String,
    pub slots: u32,
    pub host: String,
    pub last_seen: Option<f64>,
    #[napi(ts_type = "'running' | 'finished'")]
    pub state: Option<String>,
}

#[napi(object, object_from_js = false)]
pub struct QueueStatus {
    pub seeded: bool,
    pub fingerprint: Option<String>,
    pub total: u32,
    pub pending: u32,
    pub leased: Vec<LeaseInfo>,
    pub done: u32,
    pub failed: u32,
    pub remaining_ms: f64,
    pub reclaimed: u32,
    pub machines: Vec<QueueMachine>,
    pub complete: bool,
}

/// Options of `WorkQueue.connect()`.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct ConnectOptions {
    /// PEM text of a CA certificate to trust for `rediss://`.
    /// @default the system's roots
    pub tls_ca: Option<String>,
    /// Lifetime of the run's keys in Redis, in seconds.
    /// @default 86400
    #[napi(ts_type = "number")]
    pub ttl_secs: Option<Loose>,
    /// Reconnection attempts when the server is lost mid-run (backoff from
    /// 250 ms, doubling, capped at 5 s).
    /// @default 8
    #[napi(ts_type = "number")]
    pub reconnect_retries: Option<Loose>,
    /// @default 3000
    #[napi(ts_type = "number")]
    pub connect_timeout_ms: Option<Loose>,
}

/// Options of `pull()`.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct PullInput {
    /// @default 16
    #[napi(ts_type = "number")]
    pub max_groups: Option<Loose>,
    /// A pull takes about remaining work ÷ (all slots × spread).
    /// @default 3
    #[napi(ts_type = "number")]
    pub spread: Option<Loose>,
    /// How long a pulled group stays leased without a heartbeat.
    /// @default 60000
    #[napi(ts_type = "number")]
    pub lease_ms: Option<Loose>,
    /// How many of this machine's slots the pull is for (one Playwright
    /// process with N workers pulls for N).
    /// @default 1
    #[napi(ts_type = "number")]
    pub share: Option<Loose>,
}

/// Options of `seed()`.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct SeedInput {
    /// Seed a run whose groups are all done again (a finished run is an
    /// error otherwise).
    /// @default false
    #[napi(ts_type = "boolean")]
    pub rerun: Option<Loose>,
}

/// A suite queued under the run id.
#[napi(object, object_from_js = false)]
pub struct QueueSuiteInfo {
    pub fingerprint: String,
    pub seeded_at: f64,
    pub total: u32,
}

impl PullInput {
    fn resolve(&self) -> Result<PullOptions> {
        let d = PullOptions::DEFAULT;
        Ok(PullOptions {
            max_groups: config::whole("maxGroups", json(&self.max_groups), 1, 100_000)?
                .map_or(d.max_groups, |n| n as u32),
            spread: config::number_in(
                "spread",
                json(&self.spread),
                1.0..=f64::MAX,
                "a number ≥ 1",
            )?
            .unwrap_or(d.spread),
            lease_ms: config::number_in(
                "leaseMs",
                json(&self.lease_ms),
                100.0..=86_400_000.0,
                "a number of milliseconds from 100 to 86400000",
            )?
            .unwrap_or(d.lease_ms),
            share: config::number_in("share", json(&self.share), 1.0..=100_000.0, "a number ≥ 1")?
                .unwrap_or(d.share),
        })
    }
}

struct Inner {
    queue: queue::WorkQueue,
    machine: std::sync::Mutex<Option<MachineInfo>>,
    heartbeat: std::sync::Mutex<Option<CancellationToken>>,
}

impl Inner {
    fn stop_heartbeat(&self) {
        if let Some(t) = self
            .heartbeat
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            t.cancel();
        }
    }
}

/// A work queue: in-process (`WorkQueue.local()`) or shared on Redis
/// (`await WorkQueue.connect(url, runId)`). Groups are handed out longest
/// first under leases; a group completes at most once.
#[napi]
pub struct WorkQueue {
    inner: Arc<Inner>,
}

fn machine_of(inner: &Inner) -> Result<MachineInfo> {
    inner
        .machine
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        .ok_or_else(|| Error::Queue {
            target: inner.queue.target(),
            reason: "join() this machine first".into(),
        })
}

fn status_to_js(s: queue::QueueStatus) -> QueueStatus {
    QueueStatus {
        seeded: s.seeded,
        fingerprint: s.fingerprint,
        total: s.total as u32,
        pending: s.pending as u32,
        leased: s
            .leased
            .into_iter()
            .map(|l| LeaseInfo {
                group: l.group,
                machine: l.machine,
                expires_in_ms: l.expires_in_ms,
                expected_ms: l.expected_ms,
            })
            .collect(),
        done: s.done as u32,
        failed: s.failed as u32,
        remaining_ms: s.remaining_ms,
        reclaimed: s.reclaimed as u32,
        machines: s
            .machines
            .into_iter()
            .map(|m| QueueMachine {
                id: m.id,
                slots: m.slots,
                host: m.host,
                last_seen: Some(m.last_seen),
                state: Some(m.state),
            })
            .collect(),
        complete: s.complete,
    }
}

#[napi]
impl WorkQueue {
    /// The in-process queue (one machine).
    #[napi(factory)]
    pub fn local() -> Self {
        Self::wrap(queue::WorkQueue::Local(Box::new(queue::LocalQueue::new())))
    }

    fn wrap(queue: queue::WorkQueue) -> Self {
        WorkQueue {
            inner: Arc::new(Inner {
                queue,
                machine: std::sync::Mutex::new(None),
                heartbeat: std::sync::Mutex::new(None),
            }),
        }
    }

    /// Connects to Redis (`redis://[:password@]host:port/db` or `rediss://`)
    /// for the run `runId`. Rejects with `ERR_SHARDWRIGHT_QUEUE` naming the
    /// server (never the password) when it cannot be reached.
    #[napi(ts_return_type = "Promise<WorkQueue>")]
    pub fn connect<'env>(
        env: &'env Env,
        url: String,
        run_id: String,
        options: Option<ConnectOptions>,
    ) -> napi::Result<PromiseRaw<'env, WorkQueue>, &'static str> {
        let redis_options = sync(|| {
            let o = options.unwrap_or_default();
            let mut r = RedisOptions {
                tls_ca: o.tls_ca.map(String::into_bytes),
                ..RedisOptions::default()
            };
            if let Some(t) = config::whole("ttlSecs", json(&o.ttl_secs), 60, 30 * 24 * 3600)? {
                r.ttl_secs = t;
            }
            if let Some(n) = config::whole("reconnectRetries", json(&o.reconnect_retries), 0, 100)?
            {
                r.reconnect.max_retries = n as u32;
            }
            if let Some(ms) =
                config::whole("connectTimeoutMs", json(&o.connect_timeout_ms), 1, 600_000)?
            {
                r.connect_timeout = Duration::from_millis(ms);
            }
            Ok(r)
        })?;
        spawn(env, async move {
            let q = queue::RedisQueue::connect(&url, &run_id, redis_options).await?;
            Ok(WorkQueue::wrap(queue::WorkQueue::Redis(Box::new(q))))
        })
    }

    /// `in-process`, or the Redis URL without its password.
    #[napi(getter)]
    pub fn target(&self) -> String {
        self.inner.queue.target()
    }

    /// Seeds the queue with the plan's groups, longest first — exactly once
    /// per run: resolves `true` for the machine that seeded, `false` for the
    /// others. Rejects with `ERR_SHARDWRIGHT_QUEUE` when the run already
    /// finished (every group done), unless `rerun`.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn seed<'env>(
        &self,
        env: &'env Env,
        groups: Vec<QueueGroup>,
        fingerprint: Option<String>,
        options: Option<SeedInput>,
    ) -> napi::Result<PromiseRaw<'env, bool>, &'static str> {
        let inner = self.inner.clone();
        let groups: Vec<queue::QueueGroup> = groups
            .into_iter()
            .map(|g| queue::QueueGroup {
                id: g.id,
                expected_ms: g.expected_ms,
                payload: g.payload,
            })
            .collect();
        let rerun = sync(|| {
            if let Some(g) = groups
                .iter()
                .find(|g| !g.expected_ms.is_finite() || g.expected_ms < 0.0)
            {
                return Err(Error::invalid(
                    format!("groups[{}].expectedMs", g.id),
                    crate::error::Num(g.expected_ms),
                    "a finite number ≥ 0",
                ));
            }
            let o = options.unwrap_or_default();
            Ok(config::boolean("rerun", json(&o.rerun))?.unwrap_or(false))
        })?;
        spawn(env, async move {
            match inner.queue.seed(groups, fingerprint, rerun).await? {
                Seeded::Seeded | Seeded::Reseeded => Ok(true),
                Seeded::Joined => Ok(false),
                Seeded::Finished {
                    total,
                    done,
                    failed,
                    seeded_at,
                } => {
                    let ago = (crate::history::time::now_ms() as f64 - seeded_at).max(0.0);
                    Err(Error::Queue {
                        target: inner.queue.target(),
                        reason: format!(
                            "this run already finished: {done}/{total} groups done ({failed} failed), seeded {} min ago",
                            (ago / 60_000.0).round()
                        ),
                    })
                }
            }
        })
    }

    /// The suites queued under this run id (usually one; a second one is a
    /// machine that lists a different suite).
    #[napi(ts_return_type = "Promise<QueueSuiteInfo[]>")]
    pub fn suites<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<PromiseRaw<'env, Vec<QueueSuiteInfo>>, &'static str> {
        let inner = self.inner.clone();
        spawn(env, async move {
            Ok(inner
                .queue
                .suites()
                .await?
                .into_iter()
                .map(|s| QueueSuiteInfo {
                    fingerprint: s.fingerprint,
                    seeded_at: s.seeded_at,
                    total: s.total as u32,
                })
                .collect::<Vec<_>>())
        })
    }

    /// Gives this machine's leases of `groups` back to the front of the
    /// queue (a machine that stops pulling); resolves how many went back.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn release<'env>(
        &self,
        env: &'env Env,
        groups: Vec<String>,
    ) -> napi::Result<PromiseRaw<'env, u32>, &'static str> {
        let inner = self.inner.clone();
        spawn(env, async move {
            let machine = machine_of(&inner)?;
            Ok(inner.queue.release(&machine.id, &groups).await? as u32)
        })
    }

    /// Registers this machine (its id and local slots) and renews its leases
    /// every `heartbeatMs` in the background until `leave()`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn join<'env>(
        &self,
        env: &'env Env,
        machine: QueueMachine,
        lease_ms: f64,
        heartbeat_ms: f64,
    ) -> napi::Result<PromiseRaw<'env, ()>, &'static str> {
        let info = MachineInfo {
            id: machine.id,
            slots: machine.slots.max(1),
            host: machine.host,
            last_seen: 0.0,
            state: "running".into(),
        };
        let inner = self.inner.clone();
        spawn(env, async move {
            inner.queue.join(&info).await?;
            *inner.machine.lock().unwrap_or_else(|p| p.into_inner()) = Some(info.clone());
            let token = CancellationToken::new();
            if let Some(old) = inner
                .heartbeat
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .replace(token.clone())
            {
                old.cancel();
            }
            // The heartbeat holds only a weak reference: a dropped queue ends it.
            let weak = Arc::downgrade(&inner);
            let every = Duration::from_secs_f64(heartbeat_ms.max(50.0) / 1000.0);
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = token.cancelled() => break,
                        _ = tokio::time::sleep(every) => {}
                    }
                    let Some(inner) = weak.upgrade() else { break };
                    if let Err(e) = inner.queue.heartbeat(&info.id, lease_ms).await {
                        tracing::warn!("heartbeat failed: {e}");
                    }
                }
            });
            Ok(())
        })
    }

    /// Marks this machine finished and stops its heartbeat.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn leave<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>, &'static str> {
        let inner = self.inner.clone();
        spawn(env, async move {
            inner.stop_heartbeat();
            let machine = machine_of(&inner)?;
            inner.queue.leave(&machine).await
        })
    }

    /// Stops the heartbeat without telling the queue (the machine "dies": its
    /// leases expire and return to the queue).
    #[napi]
    pub fn stop_heartbeat(&self) {
        self.inner.stop_heartbeat();
    }

    /// Leases the next groups (longest first; fewer as the work runs out).
    /// Resolves `[]` when nothing is pending right now.
    #[napi(ts_return_type = "Promise<QueueGroup[]>")]
    pub fn pull<'env>(
        &self,
        env: &'env Env,
        options: Option<PullInput>,
    ) -> napi::Result<PromiseRaw<'env, Vec<QueueGroup>>, &'static str> {
        let opts = sync(|| options.unwrap_or_default().resolve())?;
        let inner = self.inner.clone();
        spawn(env, async move {
            let machine = machine_of(&inner)?;
            let groups = inner.queue.pull(&machine.id, &opts).await?;
            Ok(groups
                .into_iter()
                .map(|g| QueueGroup {
                    id: g.id,
                    expected_ms: g.expected_ms,
                    payload: g.payload,
                })
                .collect::<Vec<_>>())
        })
    }

    /// Completes a group; resolves `false` if it was already completed (by
    /// another machine after this one's lease expired).
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn complete<'env>(
        &self,
        env: &'env Env,
        group: String,
        result: GroupResultInput,
    ) -> napi::Result<PromiseRaw<'env, bool>, &'static str> {
        let status = sync(|| match result.status.as_str() {
            "passed" => Ok(GroupStatus::Passed),
            "failed" => Ok(GroupStatus::Failed),
            other => Err(Error::invalid(
                "status",
                format!("{other:?}"),
                "\"passed\" or \"failed\"",
            )),
        })?;
        let r = GroupResult {
            status,
            duration_ms: result.duration_ms,
            payload: result.payload.unwrap_or_default(),
        };
        let inner = self.inner.clone();
        spawn(env, async move {
            let machine = machine_of(&inner)?;
            inner.queue.complete(&machine.id, &group, &r).await
        })
    }

    #[napi(ts_return_type = "Promise<QueueStatus>")]
    pub fn status<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<PromiseRaw<'env, QueueStatus>, &'static str> {
        let inner = self.inner.clone();
        spawn(
            env,
            async move { Ok(status_to_js(inner.queue.status().await?)) },
        )
    }

    /// Every completed group with its result, by group id.
    #[napi(ts_return_type = "Promise<DoneRecord[]>")]
    pub fn results<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<PromiseRaw<'env, Vec<DoneRecord>>, &'static str> {
        let inner = self.inner.clone();
        spawn(env, async move {
            Ok(inner
                .queue
                .results()
                .await?
                .into_iter()
                .map(|d| DoneRecord {
                    group: d.group,
                    machine: d.machine,
                    status: match d.status {
                        GroupStatus::Passed => "passed".into(),
                        GroupStatus::Failed => "failed".into(),
                    },
                    duration_ms: d.duration_ms,
                    finished_at: d.finished_at,
                    payload: d.payload,
                })
                .collect::<Vec<_>>())
        })
    }

    /// Stores a machine's run record (JSON) with the run.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn push_run<'env>(
        &self,
        env: &'env Env,
        json: String,
    ) -> napi::Result<PromiseRaw<'env, ()>, &'static str> {
        let inner = self.inner.clone();
        spawn(env, async move { inner.queue.push_run(&json).await })
    }

    #[napi(ts_return_type = "Promise<string[]>")]
    pub fn runs<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<PromiseRaw<'env, Vec<String>>, &'static str> {
        let inner = self.inner.clone();
        spawn(env, async move { inner.queue.runs().await })
    }

    /// Resolves `true` for exactly one caller per name in the run (e.g. the
    /// machine that merges the history).
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn claim<'env>(
        &self,
        env: &'env Env,
        name: String,
    ) -> napi::Result<PromiseRaw<'env, bool>, &'static str> {
        let inner = self.inner.clone();
        spawn(env, async move {
            let machine = machine_of(&inner)?;
            inner.queue.claim(&name, &machine.id).await
        })
    }
}

impl Drop for WorkQueue {
    fn drop(&mut self) {
        self.inner.stop_heartbeat();
    }
}

/// The URL with its password masked, for printing: the userinfo's
/// password, query parameter values, fragments; a URL that does not parse
/// shows as `(unparsable URL)`.
#[napi]
pub fn redact_queue_url(url: String) -> String {
    queue::redact(&url)
}

/// `text` with every credential of the Redis URL `url` (in any of the forms
/// `redactQueueUrl` masks, typed or percent-decoded) replaced by `***`.
#[napi(js_name = "__scrubQueueSecrets")]
pub fn scrub_queue_secrets(text: String, url: String) -> String {
    queue::scrub(&text, &url)
}
