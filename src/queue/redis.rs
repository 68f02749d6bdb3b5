//! The work queue on Redis, shared by the CI machines of one run.
//!
//! Every state change is one Lua script, so it is atomic on the server:
//! seeding happens exactly once (the first machine wins), a pull moves groups
//! from the pending list to the lease set in one step, a completion is
//! accepted at most once. Leases carry a deadline taken from Redis's own
//! clock (`TIME`), so machines with skewed clocks agree; a machine's
//! heartbeat pushes its deadlines on, and any pull first returns expired
//! leases (a dead machine's) to the front of the queue. Keys live under
//! `shardwright:{<run id>}:<suite>:` with a TTL, `<suite>` the start of the
//! suite's fingerprint: two suites given the same run id by accident get
//! queues of their own (`shardwright:{<run id>}:suites` lists them).
//!
//! A run whose groups are all done is finished: seeding it again is refused
//! (a reused run id would otherwise "pass" with nothing run) unless the
//! caller asks to run it again. A run whose keys vanished (eviction, a flush,
//! a restart without persistence) fails every call that needs them, instead
//! of looking like an empty queue.
//!
//! Connection trouble is retried with the backoff engine; when the budget is
//! spent the operation fails with an `ERR_SHARDWRIGHT_QUEUE` error naming the
//! server (never its password).
//!
//! The WebAssembly (WASI) build has no sockets: there `RedisQueue` is a type
//! with no values whose `connect` fails with `ERR_SHARDWRIGHT_UNSUPPORTED`
//! (the Lua scripts, options and `redact` stay, unused but for `redact`).
#![cfg_attr(target_family = "wasm", allow(dead_code, unused_imports))]

use std::future::Future;
use std::time::Duration;

#[cfg(not(target_family = "wasm"))]
use redis::aio::MultiplexedConnection;
#[cfg(not(target_family = "wasm"))]
use redis::{AsyncConnectionConfig, Client, RedisError, Script};
use tokio::sync::Mutex;

use super::local::sort_longest_first;
use super::model::*;
use super::redact::{redact, scrub};
use crate::backoff::{seeded, BackoffPolicy, Jitter};
use crate::error::{Error, Result};

/// A suite's keys; `suites` (the run's list of suites) is passed after them.
const KEY_NAMES: [&str; 10] = [
    "meta",
    "pending",
    "leases",
    "owners",
    "groups",
    "durations",
    "done",
    "machines",
    "runs",
    "claims",
];

/// Refreshes the TTL of every key of the run (keys that do not exist yet are
/// skipped by Redis).
const TOUCH: &str = r#"
local function touch(ttl)
  for i = 1, #KEYS do redis.call('EXPIRE', KEYS[i], ttl) end
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
"#;

const SEED: &str = r#"
local reseeded = 0
if redis.call('EXISTS', KEYS[1]) == 1 then
  local total = tonumber(redis.call('HGET', KEYS[1], 'total') or '0')
  local done = redis.call('HLEN', KEYS[7])
  if redis.call('LLEN', KEYS[2]) > 0 or redis.call('ZCARD', KEYS[3]) > 0 or done < total then
    return {0}
  end
  if ARGV[4] ~= '1' then
    return {2, total, done, tonumber(redis.call('HGET', KEYS[1], 'failed') or '0'),
      tonumber(redis.call('HGET', KEYS[1], 'seededAt') or '0')}
  end
  for i = 1, 10 do redis.call('DEL', KEYS[i]) end
  reseeded = 1
end
local groups = cjson.decode(ARGV[1])
local total = 0
for _, g in ipairs(groups) do
  redis.call('RPUSH', KEYS[2], g.id)
  redis.call('HSET', KEYS[5], g.id, cjson.encode(g))
  redis.call('HSET', KEYS[6], g.id, tostring(g.expectedMs))
  total = total + g.expectedMs
end
local now = now_ms()
redis.call('HSET', KEYS[1], 'seededAt', now, 'fingerprint', ARGV[2], 'total', #groups,
  'remainingMs', tostring(total), 'failed', 0, 'reclaimed', 0)
redis.call('HSET', KEYS[11], ARGV[5], cjson.encode({ fingerprint = ARGV[2], seededAt = now, total = #groups }))
touch(ARGV[3])
if reseeded == 1 then return {3} end
return {1}
"#;

/// Every call that needs the run's keys fails this way when they are gone.
const LOST_MARK: &str = "SHARDWRIGHT_LOST";
const LOST: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('SHARDWRIGHT_LOST') end
"#;

const REAP: &str = r#"
local function reap(now)
  local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
  for _, g in ipairs(expired) do
    redis.call('ZREM', KEYS[3], g)
    redis.call('HDEL', KEYS[4], g)
    if redis.call('HEXISTS', KEYS[7], g) == 0 then
      redis.call('LPUSH', KEYS[2], g)
      redis.call('HINCRBY', KEYS[1], 'reclaimed', 1)
    end
  end
  return #expired
end
"#;

const PULL: &str = r#"
local now = now_ms()
reap(now)
local slots = 0
for _, m in ipairs(redis.call('HVALS', KEYS[8])) do
  local info = cjson.decode(m)
  if info.state == 'running' then slots = slots + info.slots end
end
if slots < 1 then slots = 1 end
local remaining = tonumber(redis.call('HGET', KEYS[1], 'remainingMs') or '0')
local share = math.min(math.max(1, tonumber(ARGV[6])), slots)
local target = remaining * share / (slots * math.max(1, tonumber(ARGV[3])))
local out = {}
local sum = 0
while #out < tonumber(ARGV[2]) do
  local g = redis.call('LPOP', KEYS[2])
  if not g then break end
  if redis.call('HEXISTS', KEYS[7], g) == 0 then
    redis.call('ZADD', KEYS[3], now + tonumber(ARGV[4]), g)
    redis.call('HSET', KEYS[4], g, ARGV[1])
    table.insert(out, redis.call('HGET', KEYS[5], g))
    sum = sum + tonumber(redis.call('HGET', KEYS[6], g))
    if sum >= target then break end
  end
end
touch(ARGV[5])
return out
"#;

const HEARTBEAT: &str = r#"
local now = now_ms()
local info = redis.call('HGET', KEYS[8], ARGV[1])
if info then
  local m = cjson.decode(info)
  m.lastSeen = now
  redis.call('HSET', KEYS[8], ARGV[1], cjson.encode(m))
end
local owners = redis.call('HGETALL', KEYS[4])
local n = 0
for i = 1, #owners, 2 do
  if owners[i + 1] == ARGV[1] and redis.call('ZSCORE', KEYS[3], owners[i]) then
    redis.call('ZADD', KEYS[3], 'XX', now + tonumber(ARGV[2]), owners[i])
    n = n + 1
  end
end
touch(ARGV[3])
return n
"#;

const COMPLETE: &str = r#"
local g = ARGV[2]
if redis.call('HEXISTS', KEYS[5], g) == 0 then return -1 end
if redis.call('HEXISTS', KEYS[7], g) == 1 then return 0 end
local r = cjson.decode(ARGV[3])
local record = { group = g, machine = ARGV[1], status = r.status, durationMs = r.durationMs,
  finishedAt = now_ms(), payload = r.payload or '' }
redis.call('HSET', KEYS[7], g, cjson.encode(record))
redis.call('ZREM', KEYS[3], g)
redis.call('HDEL', KEYS[4], g)
redis.call('LREM', KEYS[2], 0, g)
redis.call('HINCRBYFLOAT', KEYS[1], 'remainingMs', -tonumber(redis.call('HGET', KEYS[6], g)))
if r.status == 'failed' then redis.call('HINCRBY', KEYS[1], 'failed', 1) end
touch(ARGV[4])
return 1
"#;

const RELEASE: &str = r#"
local n = 0
local groups = cjson.decode(ARGV[2])
for i = #groups, 1, -1 do
  local g = groups[i]
  if redis.call('HGET', KEYS[4], g) == ARGV[1] and redis.call('HEXISTS', KEYS[7], g) == 0 then
    redis.call('ZREM', KEYS[3], g)
    redis.call('HDEL', KEYS[4], g)
    redis.call('LPUSH', KEYS[2], g)
    n = n + 1
  end
end
touch(ARGV[3])
return n
"#;

const CLAIM: &str = r#"
local won = redis.call('HSETNX', KEYS[10], ARGV[1], ARGV[2])
touch(ARGV[3])
return won
"#;

const JOIN: &str = r#"
local m = cjson.decode(ARGV[2])
m.lastSeen = now_ms()
redis.call('HSET', KEYS[8], ARGV[1], cjson.encode(m))
touch(ARGV[3])
return 1
"#;

const STATUS: &str = r#"
local now = now_ms()
reap(now)
local meta = redis.call('HGETALL', KEYS[1])
local m = {}
for i = 1, #meta, 2 do m[meta[i]] = meta[i + 1] end
local leased = {}
local leases = redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES')
for i = 1, #leases, 2 do
  table.insert(leased, { group = leases[i], machine = redis.call('HGET', KEYS[4], leases[i]) or '',
    expiresInMs = tonumber(leases[i + 1]) - now,
    expectedMs = tonumber(redis.call('HGET', KEYS[6], leases[i]) or '0') })
end
local machines = {}
for _, v in ipairs(redis.call('HVALS', KEYS[8])) do table.insert(machines, cjson.decode(v)) end
return cjson.encode({
  seeded = m.seededAt ~= nil, fingerprint = m.fingerprint or '', total = tonumber(m.total or '0'),
  pending = redis.call('LLEN', KEYS[2]), leased = leased, done = redis.call('HLEN', KEYS[7]),
  failed = tonumber(m.failed or '0'), remainingMs = tonumber(m.remainingMs or '0'),
  reclaimed = tonumber(m.reclaimed or '0'), machines = machines, now = now })
"#;

#[cfg(not(target_family = "wasm"))]
struct Scripts {
    seed: Script,
    pull: Script,
    heartbeat: Script,
    complete: Script,
    release: Script,
    claim: Script,
    join: Script,
    status: Script,
}

#[cfg(not(target_family = "wasm"))]
impl Scripts {
    fn new() -> Self {
        let with = |body: &str| Script::new(&format!("{TOUCH}{REAP}{body}"));
        // Calls that need the run: they fail when its keys are gone.
        let live = |body: &str| Script::new(&format!("{TOUCH}{REAP}{LOST}{body}"));
        Scripts {
            seed: with(SEED),
            pull: live(PULL),
            heartbeat: live(HEARTBEAT),
            complete: live(COMPLETE),
            release: live(RELEASE),
            claim: live(CLAIM),
            join: live(JOIN),
            status: with(STATUS),
        }
    }
}

/// How a seed went.
#[derive(Debug, Clone, PartialEq)]
pub enum Seeded {
    /// This caller seeded the run.
    Seeded,
    /// It was seeded already and is under way: join it.
    Joined,
    /// Finished before (every group done), and seeded again on request.
    Reseeded,
    /// Finished before: nothing to run.
    Finished {
        total: u64,
        done: u64,
        failed: u64,
        seeded_at: f64,
    },
}

/// A suite queued under the run id.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SuiteInfo {
    pub fingerprint: String,
    pub seeded_at: f64,
    pub total: u64,
}

/// The key part of a suite: the start of its fingerprint.
pub fn suite_id(fingerprint: Option<&str>) -> String {
    match fingerprint.filter(|f| !f.is_empty()) {
        Some(f) => f
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(16)
            .collect(),
        None => "any".into(),
    }
}

/// Connection settings.
#[derive(Debug, Clone)]
pub struct RedisOptions {
    /// PEM of a CA to trust for `rediss://` (instead of the system's roots).
    pub tls_ca: Option<Vec<u8>>,
    /// Key lifetime, refreshed by every write.
    pub ttl_secs: u64,
    /// Reconnection backoff when the server is lost mid-run.
    pub reconnect: BackoffPolicy,
    pub connect_timeout: Duration,
    pub response_timeout: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        RedisOptions {
            tls_ca: None,
            ttl_secs: 24 * 3600,
            // ~25 s of attempts: a Redis restart or failover survives,
            // a server that is gone fails the run in bounded time.
            reconnect: BackoffPolicy {
                initial_delay_ms: 250.0,
                multiplier: 2.0,
                max_delay_ms: 5000.0,
                max_retries: 8,
                jitter: Jitter::Equal,
                jitter_factor: 1.0,
            },
            connect_timeout: Duration::from_secs(3),
            response_timeout: Duration::from_secs(10),
        }
    }
}

#[cfg(not(target_family = "wasm"))]
pub struct RedisQueue {
    client: Client,
    conn: Mutex<Option<MultiplexedConnection>>,
    /// The URL without its password, for messages and logs.
    target: String,
    /// `shardwright:{<run id>}`
    prefix: String,
    run_id: String,
    /// The keys of the suite in use (set by `seed`, or by `select_suite`):
    /// [`KEY_NAMES`], then the run's `suites`.
    keys: std::sync::RwLock<Option<Vec<String>>>,
    scripts: Scripts,
    options: RedisOptions,
}

fn queue_error(target: &str, reason: impl Into<String>) -> Error {
    Error::Queue {
        target: target.to_string(),
        reason: reason.into(),
    }
}

#[cfg(not(target_family = "wasm"))]
fn is_connection_trouble(e: &RedisError) -> bool {
    e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() || e.is_timeout()
}

/// The reason of a call that found the run's keys gone.
pub const LOST_REASON: &str = "the run's keys are gone from Redis (evicted under memory pressure, flushed, or the server restarted without persistence)";

#[cfg(not(target_family = "wasm"))]
impl RedisQueue {
    /// Connects to `url` (`redis://` or `rediss://`, password allowed) for run
    /// `run_id`. Fails at once, naming the server, when it cannot be reached.
    pub async fn connect(url: &str, run_id: &str, options: RedisOptions) -> Result<RedisQueue> {
        if run_id.is_empty() || run_id.len() > 200 || run_id.contains(['{', '}']) {
            return Err(Error::invalid(
                "--run-id",
                format!("{run_id:?}"),
                "1 to 200 characters without braces",
            ));
        }
        install_crypto_provider();
        let target = redact(url);
        let client = match &options.tls_ca {
            Some(ca) => Client::build_with_tls(
                url,
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(ca.clone()),
                },
            ),
            None => Client::open(url),
        }
        .map_err(|e| {
            // The library's words, without any part of the URL it may quote.
            queue_error(
                &target,
                format!(
                    "invalid URL: {} (a password holding / ? # or @ must be percent-encoded)",
                    scrub(&e.to_string(), url)
                ),
            )
        })?;
        let queue = RedisQueue {
            client,
            conn: Mutex::new(None),
            target,
            prefix: format!("shardwright:{{{run_id}}}"),
            run_id: run_id.to_string(),
            keys: std::sync::RwLock::new(None),
            scripts: Scripts::new(),
            options,
        };
        queue.connection().await?;
        Ok(queue)
    }

    pub fn target(&self) -> &str {
        &self.target
    }

    fn use_suite(&self, suite: &str) {
        let mut keys: Vec<String> = KEY_NAMES
            .iter()
            .map(|k| format!("{}:{suite}:{k}", self.prefix))
            .collect();
        keys.push(format!("{}:suites", self.prefix));
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = Some(keys);
    }

    fn current_keys(&self) -> Option<Vec<String>> {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The keys in use, choosing the latest seeded suite of the run when
    /// none is chosen yet (`status`, `merge` know only the run id). `None`:
    /// no suite was seeded under this run id.
    async fn keys(&self) -> Result<Option<Vec<String>>> {
        if let Some(k) = self.current_keys() {
            return Ok(Some(k));
        }
        let suites = self.suites().await?;
        let Some(latest) = suites
            .iter()
            .max_by(|a, b| a.seeded_at.total_cmp(&b.seeded_at))
        else {
            return Ok(None);
        };
        self.use_suite(&suite_id(Some(&latest.fingerprint)));
        Ok(self.current_keys())
    }

    async fn required_keys(&self) -> Result<Vec<String>> {
        self.keys().await?.ok_or_else(|| {
            queue_error(
                &self.target,
                format!("run {:?} has no queue yet: seed it first", self.run_id),
            )
        })
    }

    /// The suites seeded under this run id (usually one).
    pub async fn suites(&self) -> Result<Vec<SuiteInfo>> {
        let key = format!("{}:suites", self.prefix);
        let raw: Vec<String> = self
            .with_retry("read the run's suites", |mut c| {
                let key = key.clone();
                async move { redis::cmd("HVALS").arg(key).query_async(&mut c).await }
            })
            .await?;
        let mut suites: Vec<SuiteInfo> = raw
            .iter()
            .filter_map(|s| serde_json::from_str(s).ok())
            .collect();
        suites.sort_by(|a, b| a.seeded_at.total_cmp(&b.seeded_at));
        Ok(suites)
    }

    async fn connection(&self) -> Result<MultiplexedConnection> {
        let mut cached = self.conn.lock().await;
        if let Some(conn) = cached.as_ref() {
            return Ok(conn.clone());
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.options.connect_timeout))
            .set_response_timeout(Some(self.options.response_timeout));
        let conn = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|e| {
                queue_error(&self.target, format!("failed to connect: {}", describe(&e)))
            })?;
        *cached = Some(conn.clone());
        Ok(conn)
    }

    /// Runs `op`, reconnecting with backoff while the connection is the
    /// trouble; other errors (a script error, lost keys) fail at once.
    async fn with_retry<T, F, Fut>(&self, what: &str, op: F) -> Result<T>
    where
        F: Fn(MultiplexedConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let mut delays = self.options.reconnect.delays(seeded(None));
        let mut attempt = 0;
        loop {
            let result = match self.connection().await {
                Ok(conn) => op(conn).await.map_err(|e| {
                    let retry = is_connection_trouble(&e);
                    let reason = if e.to_string().contains(LOST_MARK) {
                        format!("failed to {what}: {LOST_REASON}")
                    } else {
                        format!("failed to {what}: {}", describe(&e))
                    };
                    (queue_error(&self.target, reason), retry)
                }),
                Err(e) => Err((e, true)),
            };
            match result {
                Ok(v) => return Ok(v),
                Err((e, retryable)) => {
                    if !retryable || attempt >= self.options.reconnect.max_retries {
                        return Err(e);
                    }
                    *self.conn.lock().await = None;
                    attempt += 1;
                    let delay = delays.next().unwrap_or(self.options.reconnect.max_delay_ms);
                    tracing::warn!(target = %self.target, attempt, delay_ms = delay, "lost the queue server, reconnecting: {e}");
                    tokio::time::sleep(Duration::from_secs_f64(delay / 1000.0)).await;
                }
            }
        }
    }

    fn ttl(&self) -> u64 {
        self.options.ttl_secs
    }

    /// Seeds the suite's queue of the run, or joins it; a finished run is
    /// seeded again only with `rerun`.
    pub async fn seed(
        &self,
        mut groups: Vec<QueueGroup>,
        fingerprint: Option<String>,
        rerun: bool,
    ) -> Result<Seeded> {
        sort_longest_first(&mut groups);
        let json = serde_json::to_string(&groups)
            .map_err(|e| Error::Internal(format!("failed to encode groups: {e}")))?;
        let suite = suite_id(fingerprint.as_deref());
        let fp = fingerprint.unwrap_or_default();
        self.use_suite(&suite);
        let keys = self.required_keys().await?;
        let out: Vec<f64> = self
            .with_retry("seed the queue", |mut c| {
                let mut inv = self.scripts.seed.prepare_invoke();
                inv.key(&keys)
                    .arg(&json)
                    .arg(&fp)
                    .arg(self.ttl())
                    .arg(if rerun { "1" } else { "0" })
                    .arg(&suite);
                async move { inv.invoke_async(&mut c).await }
            })
            .await?;
        let n = |i: usize| out.get(i).copied().unwrap_or(0.0);
        Ok(match n(0) as i64 {
            1 => Seeded::Seeded,
            3 => Seeded::Reseeded,
            2 => Seeded::Finished {
                total: n(1) as u64,
                done: n(2) as u64,
                failed: n(3) as u64,
                seeded_at: n(4),
            },
            _ => Seeded::Joined,
        })
    }

    pub async fn join(&self, machine: &MachineInfo) -> Result<()> {
        let keys = self.required_keys().await?;
        let json = serde_json::to_string(machine).map_err(|e| Error::Internal(e.to_string()))?;
        let _: i64 = self
            .with_retry("register this machine", |mut c| {
                let mut inv = self.scripts.join.prepare_invoke();
                inv.key(&keys).arg(&machine.id).arg(&json).arg(self.ttl());
                async move { inv.invoke_async(&mut c).await }
            })
            .await?;
        Ok(())
    }

    pub async fn leave(&self, machine: &MachineInfo) -> Result<()> {
        let finished = MachineInfo {
            state: "finished".into(),
            ..machine.clone()
        };
        self.join(&finished).await
    }

    pub async fn pull(&self, machine: &str, options: &PullOptions) -> Result<Vec<QueueGroup>> {
        let keys = self.required_keys().await?;
        let raw: Vec<String> = self
            .with_retry("pull work", |mut c| {
                let mut inv = self.scripts.pull.prepare_invoke();
                inv.key(&keys)
                    .arg(machine)
                    .arg(options.max_groups.max(1))
                    .arg(options.spread)
                    .arg(options.lease_ms.round() as i64)
                    .arg(self.ttl())
                    .arg(options.share);
                async move { inv.invoke_async(&mut c).await }
            })
            .await?;
        raw.iter()
            .map(|s| {
                serde_json::from_str(s).map_err(|e| {
                    queue_error(&self.target, format!("unreadable group in the queue: {e}"))
                })
            })
            .collect()
    }

    pub async fn heartbeat(&self, machine: &str, lease_ms: f64) -> Result<u64> {
        let keys = self.required_keys().await?;
        let n: i64 = self
            .with_retry("renew leases", |mut c| {
                let mut inv = self.scripts.heartbeat.prepare_invoke();
                inv.key(&keys)
                    .arg(machine)
                    .arg(lease_ms.round() as i64)
                    .arg(self.ttl());
                async move { inv.invoke_async(&mut c).await }
            })
            .await?;
        Ok(n.max(0) as u64)
    }

    pub async fn complete(&self, machine: &str, group: &str, result: &GroupResult) -> Result<bool> {
        let keys = self.required_keys().await?;
        let json = serde_json::to_string(result).map_err(|e| Error::Internal(e.to_string()))?;
        let n: i64 = self
            .with_retry("complete a group", |mut c| {
                let mut inv = self.scripts.complete.prepare_invoke();
                inv.key(&keys)
                    .arg(machine)
                    .arg(group)
                    .arg(&json)
                    .arg(self.ttl());
                async move { inv.invoke_async(&mut c).await }
            })
            .await?;
        match n {
            -1 => Err(queue_error(
                &self.target,
                format!("unknown group {group:?} (not in this run's queue)"),
            )),
            n => Ok(n == 1),
        }
    }

    /// Gives this machine's leases of `groups` back to the front of the queue.
    pub async fn release(&self, machine: &str, groups: &[String]) -> Result<u64> {
        let keys = self.required_keys().await?;
        let json = serde_json::to_string(groups).map_err(|e| Error::Internal(e.to_string()))?;
        let n: i64 = self
            .with_retry("give groups back", |mut c| {
                let mut inv = self.scripts.release.prepare_invoke();
                inv.key(&keys).arg(machine).arg(&json).arg(self.ttl());
                async move { inv.invoke_async(&mut c).await }
            })
            .await?;
        Ok(n.max(0) as u64)
    }

    pub async fn status(&self) -> Result<QueueStatus> {
        let Some(keys) = self.keys().await? else {
            return Ok(QueueStatus::unseeded());
        };
        let json: String = self
            .with_retry("read the status", |mut c| {
                let mut inv = self.scripts.status.prepare_invoke();
                inv.key(&keys);
                async move { inv.invoke_async(&mut c).await }
            })
            .await?;
        parse_status(&json)
            .map_err(|e| queue_error(&self.target, format!("unreadable status: {e}")))
    }

    pub async fn results(&self) -> Result<Vec<DoneRecord>> {
        let Some(keys) = self.keys().await? else {
            return Ok(Vec::new());
        };
        let key = keys[6].clone();
        let raw: Vec<String> = self
            .with_retry("read the results", |mut c| {
                let key = key.clone();
                async move { redis::cmd("HVALS").arg(key).query_async(&mut c).await }
            })
            .await?;
        let mut done: Vec<DoneRecord> = raw
            .iter()
            .map(|s| {
                serde_json::from_str(s)
                    .map_err(|e| queue_error(&self.target, format!("unreadable result: {e}")))
            })
            .collect::<Result<_>>()?;
        done.sort_by(|a, b| a.group.cmp(&b.group));
        Ok(done)
    }

    /// Stores a machine's run record (its history run, as JSON).
    pub async fn push_run(&self, json: &str) -> Result<()> {
        let keys = self.required_keys().await?;
        let key = keys[8].clone();
        let ttl = self.ttl();
        let _: () = self
            .with_retry("store the run", |mut c| {
                let key = key.clone();
                async move {
                    redis::pipe()
                        .rpush(&key, json)
                        .ignore()
                        .expire(&key, ttl as i64)
                        .ignore()
                        .query_async(&mut c)
                        .await
                }
            })
            .await?;
        Ok(())
    }

    pub async fn runs(&self) -> Result<Vec<String>> {
        let Some(keys) = self.keys().await? else {
            return Ok(Vec::new());
        };
        let key = keys[8].clone();
        self.with_retry("read the runs", |mut c| {
            let key = key.clone();
            async move {
                redis::cmd("LRANGE")
                    .arg(key)
                    .arg(0)
                    .arg(-1)
                    .query_async(&mut c)
                    .await
            }
        })
        .await
    }

    /// `true` for exactly one caller per `name` (e.g. "merge": the machine
    /// that merges the run's history).
    pub async fn claim(&self, name: &str, machine: &str) -> Result<bool> {
        let keys = self.required_keys().await?;
        let won: i64 = self
            .with_retry("claim a task", |mut c| {
                let mut inv = self.scripts.claim.prepare_invoke();
                inv.key(&keys).arg(name).arg(machine).arg(self.ttl());
                async move { inv.invoke_async(&mut c).await }
            })
            .await?;
        Ok(won == 1)
    }
}

#[cfg(not(target_family = "wasm"))]
fn describe(e: &RedisError) -> String {
    // RedisError's Display can include the command; keep the kind and detail.
    let text = e.to_string();
    text.lines().next().unwrap_or("unknown error").to_string()
}

fn parse_status(json: &str) -> std::result::Result<QueueStatus, serde_json::Error> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Lease {
        group: String,
        machine: String,
        expires_in_ms: f64,
        expected_ms: f64,
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Raw {
        seeded: bool,
        fingerprint: String,
        total: f64,
        pending: f64,
        // cjson encodes an empty array as an object.
        #[serde(default, deserialize_with = "list_or_empty")]
        leased: Vec<Lease>,
        done: f64,
        failed: f64,
        remaining_ms: f64,
        reclaimed: f64,
        #[serde(default, deserialize_with = "list_or_empty")]
        machines: Vec<MachineInfo>,
    }
    fn list_or_empty<'de, D, T>(d: D) -> std::result::Result<Vec<T>, D::Error>
    where
        D: serde::Deserializer<'de>,
        T: serde::de::DeserializeOwned,
    {
        let v = serde_json::Value::deserialize(d)?;
        match v {
            serde_json::Value::Array(_) => {
                serde_json::from_value(v).map_err(serde::de::Error::custom)
            }
            _ => Ok(Vec::new()),
        }
    }
    use serde::Deserialize;
    let r: Raw = serde_json::from_str(json)?;
    let mut leased: Vec<LeaseInfo> = r
        .leased
        .into_iter()
        .map(|l| LeaseInfo {
            group: l.group,
            machine: l.machine,
            expires_in_ms: l.expires_in_ms.max(0.0),
            expected_ms: l.expected_ms,
        })
        .collect();
    leased.sort_by(|a, b| a.group.cmp(&b.group));
    let mut machines = r.machines;
    machines.sort_by(|a, b| a.id.cmp(&b.id));
    let pending = r.pending as u64;
    Ok(QueueStatus {
        seeded: r.seeded,
        fingerprint: (!r.fingerprint.is_empty()).then_some(r.fingerprint),
        total: r.total as u64,
        pending,
        complete: r.seeded && pending == 0 && leased.is_empty(),
        leased,
        done: r.done as u64,
        failed: r.failed as u64,
        remaining_ms: r.remaining_ms.max(0.0),
        reclaimed: r.reclaimed as u64,
        machines,
    })
}

#[cfg(not(target_family = "wasm"))]
/// rustls needs a process-wide crypto provider for `rediss://`; ring is the
/// one compiled in. Installing twice is harmless (the first one stays).
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The WebAssembly build's queue on Redis: no values exist, because
/// `connect` always fails with `ERR_SHARDWRIGHT_UNSUPPORTED`.
#[cfg(target_family = "wasm")]
pub enum RedisQueue {}

#[cfg(target_family = "wasm")]
impl RedisQueue {
    pub async fn connect(_url: &str, _run_id: &str, _options: RedisOptions) -> Result<RedisQueue> {
        Err(Error::unsupported(
            "queue mode on Redis (`WorkQueue.connect`, `shardwright run --queue`, `--queue` of status and merge)",
        ))
    }

    pub fn target(&self) -> &str {
        match *self {}
    }

    pub async fn suites(&self) -> Result<Vec<SuiteInfo>> {
        match *self {}
    }

    pub async fn seed(&self, _: Vec<QueueGroup>, _: Option<String>, _: bool) -> Result<Seeded> {
        match *self {}
    }

    pub async fn release(&self, _: &str, _: &[String]) -> Result<u64> {
        match *self {}
    }

    pub async fn join(&self, _: &MachineInfo) -> Result<()> {
        match *self {}
    }

    pub async fn leave(&self, _: &MachineInfo) -> Result<()> {
        match *self {}
    }

    pub async fn pull(&self, _: &str, _: &PullOptions) -> Result<Vec<QueueGroup>> {
        match *self {}
    }

    pub async fn heartbeat(&self, _: &str, _: f64) -> Result<u64> {
        match *self {}
    }

    pub async fn complete(&self, _: &str, _: &str, _: &GroupResult) -> Result<bool> {
        match *self {}
    }

    pub async fn status(&self) -> Result<QueueStatus> {
        match *self {}
    }

    pub async fn results(&self) -> Result<Vec<DoneRecord>> {
        match *self {}
    }

    pub async fn push_run(&self, _: &str) -> Result<()> {
        match *self {}
    }

    pub async fn runs(&self) -> Result<Vec<String>> {
        match *self {}
    }

    pub async fn claim(&self, _: &str, _: &str) -> Result<bool> {
        match *self {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites_are_keyed_by_their_fingerprint() {
        assert_eq!(suite_id(Some("0123456789abcdef0123")), "0123456789abcdef");
        assert_eq!(suite_id(None), "any");
        assert_eq!(suite_id(Some("")), "any");
    }

    #[test]
    fn status_parses_cjson_empty_tables() {
        let s = parse_status(r#"{"seeded":true,"fingerprint":"","total":3,"pending":0,"leased":{},"done":3,"failed":1,"remainingMs":0,"reclaimed":0,"machines":{},"now":1}"#).unwrap();
        assert!(s.complete);
        assert_eq!(s.failed, 1);
        assert_eq!(s.fingerprint, None);
    }
}
