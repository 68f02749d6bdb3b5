//! The worker manager's engine side for JS: [`WorkerManagerCore`] wraps
//! `pool::Manager`. `js/pool.js` (the `WorkerManager` class) drives it.
//!
//! Crossings are batched: tasks cross as one JSON string per submission
//! batch, JS functions stay in JS (the core hands out handles), and the
//! outbox — tasks to start, attempts to abort, results, events — crosses as
//! one object of typed arrays plus JSON for the rare rich parts. The weak
//! threadsafe function only says "take the outbox"; JS then takes it with a
//! sync call.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{
    ThreadsafeFunction, ThreadsafeFunctionCallMode, UnknownReturnValue,
};
use napi_derive::napi;
use serde_json::Value;

use super::backoff::BackoffOptions;
use super::retry::ClassifyOptions;
use super::runtime::{spawn, sync};
use super::value::{json, loose_options, Loose};
use crate::config;
use crate::error::{Error, Result};
use crate::pool::task::RawTask;
use crate::pool::{
    self, AttemptEnd, EventKind, EventMask, Manager, PoolConfig, Strategy, Submitted, TaskSpec,
};
use crate::retry::AttemptError;

/// Options of `new WorkerManager(options)`. Every field is optional; a bad
/// value throws an `Error` with `code: 'ERR_SHARDWRIGHT_CONFIG'` naming it.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct WorkerManagerOptions {
    /// Workers kept even when idle.
    /// @default 1
    #[napi(ts_type = "number")]
    pub min_workers: Option<Loose>,
    /// Tasks running at once, at most.
    /// @default the number of CPUs (os.availableParallelism())
    #[napi(ts_type = "number")]
    pub max_workers: Option<Loose>,
    /// A worker idle this long is retired, down to `minWorkers`.
    /// @default 10000
    #[napi(ts_type = "number")]
    pub idle_timeout_ms: Option<Loose>,
    /// Which idle worker gets the next task.
    /// @default 'least-loaded'
    #[napi(ts_type = "'round-robin' | 'least-loaded' | 'random' | 'priority'")]
    pub strategy: Option<Loose>,
    /// Seed of the `random` strategy and of the retry jitter.
    /// @default undefined (fresh randomness)
    #[napi(ts_type = "number")]
    pub seed: Option<Loose>,
    /// Default per-attempt timeout of a task, in milliseconds.
    /// @default undefined (none)
    #[napi(ts_type = "number")]
    pub timeout_ms: Option<Loose>,
    /// Retries and backoff: `maxRetries` (the default of a task's `retries`),
    /// `initialDelayMs`, `multiplier`, `maxDelayMs`, `jitter`, `jitterFactor`,
    /// `retryable`, `permanent`, `retryUnknown` — as for `retry()`.
    /// @default { maxRetries: 0, initialDelayMs: 1000, multiplier: 2, maxDelayMs: 30000, jitter: 'equal' }
    #[napi(ts_type = "Omit<BackoffOptions, 'seed'> & ClassifyOptions")]
    pub retry: Option<Loose>,
    /// A task id submitted again within this window joins the first task
    /// (and its result) instead of running again. An id whose task has not
    /// ended always joins.
    /// @default 1000
    #[napi(ts_type = "number")]
    pub dedup_window_ms: Option<Loose>,
    /// Stop after this many failed tasks: what has not started is skipped.
    /// @default 0 (never)
    #[napi(ts_type = "number")]
    pub max_failures: Option<Loose>,
    /// No task starts while the machine's available memory is below this
    /// (one may when none runs); 0 turns it off.
    /// @default 256
    #[napi(ts_type = "number")]
    pub min_available_memory_mb: Option<Loose>,
    /// How often memory is sampled.
    /// @default 250
    #[napi(ts_type = "number")]
    pub memory_sample_ms: Option<Loose>,
    /// Default memory limit of a process task's process tree, in MB.
    /// @default undefined (none)
    #[napi(ts_type = "number")]
    pub memory_limit_mb: Option<Loose>,
    /// After SIGTERM to a timed-out or cancelled process group, how long
    /// before SIGKILL.
    /// @default 2000
    #[napi(ts_type = "number")]
    pub kill_grace_ms: Option<Loose>,
    /// Output kept per stream of a process task (its tail).
    /// @default 4194304
    #[napi(ts_type = "number")]
    pub max_output_bytes: Option<Loose>,
}

loose_options!(WorkerManagerOptions, "a WorkerManager", ["signal"], {
    min_workers => "minWorkers",
    max_workers => "maxWorkers",
    idle_timeout_ms => "idleTimeoutMs",
    strategy => "strategy",
    seed => "seed",
    timeout_ms => "timeoutMs",
    retry => "retry",
    dedup_window_ms => "dedupWindowMs",
    max_failures => "maxFailures",
    min_available_memory_mb => "minAvailableMemoryMb",
    memory_sample_ms => "memorySampleMs",
    memory_limit_mb => "memoryLimitMb",
    kill_grace_ms => "killGraceMs",
    max_output_bytes => "maxOutputBytes",
});

/// The fields of a WorkerManager's `retry` option: the backoff's but `seed`
/// (the manager's `seed` seeds the jitter), and the classifier's.
fn retry_fields() -> Vec<&'static str> {
    let mut known: Vec<&'static str> = BackoffOptions::FIELDS
        .iter()
        .copied()
        .filter(|f| *f != "seed")
        .collect();
    known.extend_from_slice(ClassifyOptions::FIELDS);
    known
}

/// `retry.` before the field an error names.
fn in_retry(e: Error) -> Error {
    match e {
        Error::InvalidValue {
            field,
            value,
            expected,
        } if !field.starts_with("retry") => Error::InvalidValue {
            field: format!("retry.{field}"),
            value,
            expected,
        },
        other => other,
    }
}

fn retry_options(value: Option<&Value>) -> Result<(BackoffOptions, ClassifyOptions)> {
    let map = config::fields("retry", value, &retry_fields(), "a retry", "retry.")?;
    let mut backoff = BackoffOptions::from_map(map);
    backoff.seed = None;
    Ok((backoff, ClassifyOptions::from_map(map)))
}

impl WorkerManagerOptions {
    pub fn resolve(&self) -> Result<PoolConfig> {
        let d = PoolConfig::defaults();
        let workers = |field, v: &Option<Loose>| {
            config::whole(field, json(v), 0, pool::options::MAX_WORKERS_LIMIT as u64)
        };
        // Durations: from 0 to the longest timer (about 24.8 days).
        let non_negative = |field, v: &Option<Loose>, default: f64| -> Result<f64> {
            Ok(config::number_in(
                field,
                json(v),
                0.0..=crate::backoff::MAX_DELAY_LIMIT_MS,
                &format!(
                    "a number of milliseconds from 0 to {}",
                    crate::backoff::MAX_DELAY_LIMIT_MS
                ),
            )?
            .unwrap_or(default))
        };
        let max_workers = match workers("maxWorkers", &self.max_workers)? {
            Some(0) => {
                return Err(Error::invalid(
                    "maxWorkers",
                    0,
                    "a whole number from 1 to 10000",
                ))
            }
            other => other.map(|n| n as u32),
        };
        let (backoff, classify) = retry_options(json(&self.retry))?;
        // The pool's own default is no retries; the rest of the policy is the
        // backoff engine's.
        let (mut policy, _) = backoff.resolve().map_err(in_retry)?;
        if backoff.max_retries.is_none() {
            policy.max_retries = d.retry.max_retries;
        }
        let memory_limit_mb = match config::number("memoryLimitMb", json(&self.memory_limit_mb))? {
            Some(mb) if mb <= 0.0 => {
                return Err(Error::invalid(
                    "memoryLimitMb",
                    mb,
                    "a number of megabytes > 0",
                ))
            }
            other => other,
        };
        PoolConfig {
            min_workers: workers("minWorkers", &self.min_workers)?
                .map_or(d.min_workers, |n| n as u32),
            max_workers,
            idle_timeout_ms: non_negative(
                "idleTimeoutMs",
                &self.idle_timeout_ms,
                d.idle_timeout_ms,
            )?,
            strategy: config::choice("strategy", json(&self.strategy), &Strategy::NAMES)?
                .and_then(Strategy::from_name)
                .unwrap_or(d.strategy),
            seed: config::whole("seed", json(&self.seed), 0, (1 << 53) - 1)?,
            timeout_ms: pool::task::positive_ms("timeoutMs", json(&self.timeout_ms))?,
            retry: policy,
            classifier: classify.resolve().map_err(in_retry)?,
            dedup_window_ms: non_negative(
                "dedupWindowMs",
                &self.dedup_window_ms,
                d.dedup_window_ms,
            )?,
            max_failures: config::whole(
                "maxFailures",
                json(&self.max_failures),
                0,
                u32::MAX as u64,
            )?
            .map_or(d.max_failures, |n| n as u32),
            min_available_memory_mb: config::non_negative(
                "minAvailableMemoryMb",
                json(&self.min_available_memory_mb),
            )?
            .unwrap_or(d.min_available_memory_mb),
            memory_sample_ms: match config::number("memorySampleMs", json(&self.memory_sample_ms))?
            {
                None => d.memory_sample_ms,
                Some(v) if (10.0..=60_000.0).contains(&v) => v,
                Some(v) => {
                    return Err(Error::invalid(
                        "memorySampleMs",
                        v,
                        "a number of milliseconds from 10 to 60000",
                    ))
                }
            },
            memory_limit_mb,
            kill_grace_ms: non_negative("killGraceMs", &self.kill_grace_ms, d.kill_grace_ms)?,
            max_output_bytes: config::whole(
                "maxOutputBytes",
                json(&self.max_output_bytes),
                0,
                1 << 30,
            )?
            .map_or(d.max_output_bytes, |n| n as usize),
        }
        .validate()
    }
}

type WakeFn = ThreadsafeFunction<(), UnknownReturnValue, (), Status, false, true>;

/// Wakes JS through the weak threadsafe function: "take the outbox".
struct JsHost(WakeFn);

impl pool::Host for JsHost {
    fn wake(&self) {
        self.0.call((), ThreadsafeFunctionCallMode::NonBlocking);
    }
}

/// Numbers of a batch written into the caller's buffer, in this order after
/// a 4-number header `[nRun, nAbort, nPlain, more]`: `nRun` triples `handle,
/// attempt, worker` (JS tasks to start), `nAbort` pairs `handle, attempt`
/// (attempts to abort: timed out, cancelled), `nPlain` results of JS tasks
/// that passed at their first attempt as `handle, durationMs, queueWaitMs,
/// worker, startedAt`. `more` = 1 when the buffer was too small: take again.
///
/// JS owns the buffer and reuses it, so a crossing allocates nothing on the
/// V8 heap for the numbers (Rust-owned typed arrays cost an external backing
/// store and a finaliser each, which dominated small batches).
const HEADER: usize = 4;

/// Rich results and events, as one JSON text: `{"results": [...], "events": [...]}`.
#[derive(serde::Serialize)]
struct Rich<'a> {
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    results: &'a [pool::TaskResult],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    events: &'a [pool::Event],
}

/// Writes as much of `pending` as fits into `out`; returns the JSON of the
/// rich parts, which go only once every plain result has (a `taskEnd` event
/// must not reach JS before its result).
fn fill(pending: &mut pool::Outbox, out: &mut [f64]) -> Result<Option<String>> {
    if out.len() < HEADER + 5 {
        return Err(Error::Internal("the batch buffer is too small".into()));
    }
    let mut room = out.len() - HEADER;
    let mut at = HEADER;
    let runs = pending.run.len().min(room / 3);
    for d in pending.run.drain(..runs) {
        out[at..at + 3].copy_from_slice(&[d.handle as f64, d.attempt as f64, d.worker as f64]);
        at += 3;
    }
    room -= runs * 3;
    let aborts = pending.abort.len().min(room / 2);
    for (h, a) in pending.abort.drain(..aborts) {
        out[at..at + 2].copy_from_slice(&[h as f64, a as f64]);
        at += 2;
    }
    room -= aborts * 2;
    let mut plain = 0;
    let mut rich = Vec::new();
    let mut kept = Vec::new();
    for r in pending.ended.drain(..) {
        if !r.is_plain() {
            rich.push(r);
        } else if room >= 5 {
            out[at..at + 5].copy_from_slice(&[
                r.handle as f64,
                r.duration_ms,
                r.queue_wait_ms,
                r.worker.map_or(-1.0, f64::from),
                r.started_at.unwrap_or(0.0),
            ]);
            at += 5;
            room -= 5;
            plain += 1;
        } else {
            kept.push(r);
        }
    }
    let all_plain_sent = kept.is_empty();
    let json = if all_plain_sent && (!rich.is_empty() || !pending.events.is_empty()) {
        let text = to_json(&Rich {
            results: &rich,
            events: &pending.events,
        })?;
        pending.events.clear();
        Some(text)
    } else {
        // Held back with the plain results still to come.
        kept.extend(rich);
        None
    };
    pending.ended = kept;
    let more = !pending.run.is_empty()
        || !pending.abort.is_empty()
        || !pending.ended.is_empty()
        || !pending.events.is_empty();
    out[..HEADER].copy_from_slice(&[
        runs as f64,
        aborts as f64,
        plain as f64,
        if more { 1.0 } else { 0.0 },
    ]);
    Ok(json)
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|e| Error::Internal(format!("failed to serialise a batch: {e}")))
}

/// What `submit` did with each task.
#[napi(object)]
pub struct SubmitReply {
    /// Per task: its handle (a task submitted twice shares one), or
    /// 0xFFFFFFFF when rejected.
    pub handles: Uint32Array,
    /// Rejections (not all-or-nothing submissions only).
    pub errors: Vec<SubmitError>,
}

#[napi(object)]
pub struct SubmitError {
    pub index: u32,
    pub code: String,
    pub message: String,
}

#[napi(object)]
pub struct ShutdownReport {
    /// Every running task ended before the deadline.
    pub drained: bool,
    /// Tasks still running at the deadline, killed.
    pub killed: u32,
    /// Tasks that had not started, cancelled.
    pub cancelled: u32,
}

/// The worker manager's engine. Use `WorkerManager` from `shardwright`,
/// which drives it.
#[napi]
pub struct WorkerManagerCore {
    manager: Manager,
    /// What did not fit in the caller's buffer at the last take.
    pending: std::sync::Mutex<pool::Outbox>,
}

pub const REJECTED: u32 = u32::MAX;

#[napi]
impl WorkerManagerCore {
    /// `wake` is called (with no arguments) when the outbox has something
    /// and JS is not already calling in.
    #[napi(
        constructor,
        ts_args_type = "options: WorkerManagerOptions | undefined | null, wake: () => void"
    )]
    pub fn new(options: Option<Loose>, wake: WakeFn) -> napi::Result<Self, &'static str> {
        sync(|| {
            let cfg = WorkerManagerOptions::from_loose(options.as_ref())?.resolve()?;
            let runtime =
                napi::bindgen_prelude::within_runtime_if_available(tokio::runtime::Handle::current);
            let manager = Manager::new(cfg, Arc::new(JsHost(wake)), runtime)?;
            Ok(WorkerManagerCore {
                manager,
                pending: Default::default(),
            })
        })
    }

    /// Submits tasks given as a JSON array. `flags[i]`: bit 0 when JS holds a
    /// function for task `i`, bit 1 when the task is cancelled on arrival (its
    /// AbortSignal was aborted already): it ends cancelled, never started,
    /// with the next of `reasons`. `atomic`: all or nothing, the first
    /// problem thrown (field names prefixed `tasks[i].`).
    #[napi]
    pub fn submit(
        &self,
        tasks: String,
        flags: Uint8Array,
        atomic: bool,
        reasons: Option<Vec<String>>,
    ) -> napi::Result<SubmitReply, &'static str> {
        sync(|| {
            let flag = |i: usize| flags.get(i).is_some_and(|f| *f & 1 != 0);
            let mut reasons = reasons.unwrap_or_default().into_iter();
            let cancels: Vec<(usize, String)> = flags
                .iter()
                .enumerate()
                .filter(|(_, f)| **f & 2 != 0)
                .map(|(i, _)| (i, reasons.next().unwrap_or_else(|| "aborted".into())))
                .collect();
            // Precise errors (unknown fields, `tasks[i].` prefixes) come from
            // reading the batch again as plain JSON values, on the error path.
            let slow = || -> Result<Vec<Result<TaskSpec>>> {
                let values: Vec<Value> = serde_json::from_str(&tasks).map_err(|e| {
                    Error::invalid(
                        "tasks",
                        "(unreadable JSON)",
                        format!("an array of task objects: {e}"),
                    )
                })?;
                Ok(values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let prefix = if atomic {
                            format!("tasks[{i}].")
                        } else {
                            String::new()
                        };
                        TaskSpec::from_json(v, &prefix, flag(i))
                    })
                    .collect())
            };
            let specs = match serde_json::from_str::<Vec<RawTask>>(&tasks) {
                Ok(raws) => {
                    let specs: Vec<Result<TaskSpec>> = raws
                        .iter()
                        .enumerate()
                        .map(|(i, r)| TaskSpec::from_raw(r, flag(i)))
                        .collect();
                    if atomic && specs.iter().any(|s| s.is_err()) {
                        slow()?
                    } else {
                        specs
                    }
                }
                Err(_) => slow()?,
            };
            let submitted = self.manager.submit(specs, atomic, cancels)?;
            let mut handles = Vec::with_capacity(submitted.len());
            let mut errors = Vec::new();
            for (i, s) in submitted.into_iter().enumerate() {
                match s {
                    Submitted::New(h) | Submitted::Joined(h) => handles.push(h),
                    Submitted::Rejected(e) => {
                        handles.push(REJECTED);
                        errors.push(SubmitError {
                            index: i as u32,
                            code: e.code().to_string(),
                            message: e.to_string(),
                        });
                    }
                }
            }
            Ok(SubmitReply {
                handles: Uint32Array::new(handles),
                errors,
            })
        })
    }

    /// Everything for JS since the last take: numbers into `out` (see
    /// [`HEADER`]), rich results and events returned as JSON.
    #[napi]
    pub fn take(&self, mut out: Float64ArraySlice) -> napi::Result<Option<String>, &'static str> {
        sync(|| {
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            pending.append(self.manager.take());
            // SAFETY: JS calls this synchronously on its own thread and does
            // not touch the buffer until the call returns.
            let more = fill(&mut pending, unsafe { out.as_mut() });
            #[cfg(target_family = "wasm")]
            wasm::copy_back(&out)?;
            more
        })
    }

    /// Ends of JS attempts — `handle, attempt, ok` triples; `errors` (JSON)
    /// holds `{ name, message, code }` for each `ok = 0`, in order — then
    /// takes like [`take`](Self::take).
    #[napi]
    pub fn complete(
        &self,
        done: Uint32ArraySlice,
        errors: Option<String>,
        out: Float64ArraySlice,
    ) -> napi::Result<Option<String>, &'static str> {
        let ended = sync(|| {
            let errors: Vec<AttemptError> = match errors {
                Some(text) => serde_json::from_str(&text)
                    .map_err(|e| Error::Internal(format!("unreadable attempt errors: {e}")))?,
                None => Vec::new(),
            };
            let mut errors = errors.into_iter();
            let ends: Vec<_> = done
                .chunks_exact(3)
                .map(|c| {
                    let end = if c[2] == 1 {
                        AttemptEnd::Passed
                    } else {
                        AttemptEnd::Failed(
                            errors
                                .next()
                                .unwrap_or_else(|| AttemptError::new("the task failed")),
                        )
                    };
                    (c[0], c[1], end)
                })
                .collect();
            self.manager.complete(ends);
            Ok(())
        });
        ended?;
        self.take(out)
    }

    /// The event kinds JS listens to; the others are not collected.
    #[napi]
    pub fn listen(&self, kinds: Vec<String>) {
        self.manager.listen(EventMask::of(
            kinds.iter().filter_map(|k| EventKind::from_name(k)),
        ));
    }

    /// Cancels the given tasks (all when `handles` is null).
    #[napi]
    pub fn cancel(&self, handles: Option<Uint32ArraySlice>, reason: String) {
        self.manager.cancel(handles.map(|h| h.to_vec()), &reason);
    }

    #[napi(ts_return_type = "Record<string, any>")]
    pub fn stats(&self) -> napi::Result<Value, &'static str> {
        sync(|| {
            serde_json::to_value(self.manager.stats())
                .map_err(|e| Error::Internal(format!("failed to serialise stats: {e}")))
        })
    }

    #[napi(ts_return_type = "Record<string, any>")]
    pub fn progress(&self) -> napi::Result<Value, &'static str> {
        sync(|| {
            serde_json::to_value(self.manager.progress())
                .map_err(|e| Error::Internal(format!("failed to serialise progress: {e}")))
        })
    }

    /// Resolves when every submitted task has ended. While pending, it keeps
    /// Node's event loop alive (processes may be running).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn when_idle<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<PromiseRaw<'env, ()>, &'static str> {
        let manager = self.manager.clone();
        spawn(env, async move {
            manager.idle().await;
            Ok(())
        })
    }

    /// Graceful shutdown: refuses new tasks, cancels the ones not started,
    /// waits up to `deadlineMs` for the running ones, then kills them.
    #[napi(ts_return_type = "Promise<ShutdownReport>")]
    pub fn shutdown<'env>(
        &self,
        env: &'env Env,
        deadline_ms: f64,
    ) -> napi::Result<PromiseRaw<'env, ShutdownReport>, &'static str> {
        let manager = self.manager.clone();
        spawn(env, async move {
            let deadline = std::time::Duration::try_from_secs_f64(deadline_ms.max(0.0) / 1000.0)
                .unwrap_or(std::time::Duration::MAX);
            let r = manager.shutdown(deadline).await;
            Ok(ShutdownReport {
                drained: r.drained,
                killed: r.killed as u32,
                cancelled: r.cancelled as u32,
            })
        })
    }
}

impl Drop for WorkerManagerCore {
    fn drop(&mut self) {
        // Garbage-collected: stop the timer and sampling loops. Running
        // processes are killed when their runner is dropped with the runtime,
        // or end on their own.
        self.manager.dispose();
    }
}

/// The WebAssembly build: under emnapi a typed array from JS is read
/// through a copy in wasm memory, so what `take` wrote must be copied back.
#[cfg(target_family = "wasm")]
mod wasm {
    use napi::bindgen_prelude::*;

    extern "C" {
        // emnapi's own call (linked in by napi-build on wasm).
        fn emnapi_sync_memory(
            env: napi::sys::napi_env,
            js_to_wasm: bool,
            arraybuffer_or_view: *mut napi::sys::napi_value,
            byte_offset: usize,
            length: usize,
        ) -> napi::sys::napi_status;
    }

    pub(super) fn copy_back(out: &Float64ArraySlice) -> crate::error::Result<()> {
        let bytes = out.len() * std::mem::size_of::<f64>();
        if bytes == 0 {
            return Ok(());
        }
        let view = out.value();
        let mut value = view.value;
        // SAFETY: `view.env` and `value` are the live arguments of this call.
        let status = unsafe { emnapi_sync_memory(view.env, false, &mut value, 0, bytes) };
        if status == napi::sys::Status::napi_ok {
            Ok(())
        } else {
            Err(crate::error::Error::Internal(format!(
                "emnapi_sync_memory failed with status {status}"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn options(v: Value) -> WorkerManagerOptions {
        WorkerManagerOptions::from_loose(Some(&Loose(v))).unwrap()
    }

    fn resolved(v: Value) -> Result<PoolConfig> {
        WorkerManagerOptions::from_loose(Some(&Loose(v)))?.resolve()
    }

    #[test]
    fn resolves_defaults_and_values() {
        let c = options(json!({})).resolve().unwrap();
        assert_eq!(
            (
                c.min_workers,
                c.strategy,
                c.retry.max_retries,
                c.dedup_window_ms
            ),
            (1, Strategy::LeastLoaded, 0, 1000.0)
        );
        let c = options(json!({"maxWorkers": 3, "strategy": "random", "seed": 5, "retry": {"maxRetries": 2, "initialDelayMs": 5, "jitter": "none"}}))
            .resolve()
            .unwrap();
        assert_eq!(
            (
                c.max_workers,
                c.strategy,
                c.seed,
                c.retry.max_retries,
                c.retry.initial_delay_ms
            ),
            (Some(3), Strategy::Random, Some(5), 2, 5.0)
        );
    }

    #[test]
    fn every_bad_option_names_its_field() {
        for (v, message) in [
            (json!({"maxWorkers": 0}), "invalid maxWorkers: 0 (a whole number from 1 to 10000)"),
            (json!({"minWorkers": 1.5}), "invalid minWorkers: 1.5 (a whole number from 0 to 10000)"),
            (json!({"minWorkers": 4, "maxWorkers": 2}), "invalid minWorkers: 4 (at most maxWorkers (2))"),
            (json!({"strategy": "fastest"}), "invalid strategy: \"fastest\" (one of round-robin, least-loaded, random, priority)"),
            (json!({"timeoutMs": -5}), "invalid timeoutMs: -5 (a number of milliseconds > 0 and ≤ 2147483647)"),
            (json!({"idleTimeoutMs": "soon"}), "invalid idleTimeoutMs: \"soon\" (a number)"),
            (json!({"retry": 3}), "invalid retry: 3 (an object)"),
            (json!({"retry": {"maxRetries": -1}}), "invalid retry.maxRetries: -1 (a whole number from 0 to 1000)"),
            (json!({"retry": {"maxRetries": "NaN"}}), "invalid retry.maxRetries: NaN (a finite number)"),
            (json!({"retry": {"retries": 1}}), "invalid retry.retries: 1 (not a retry option; did you mean maxRetries?)"),
            (json!({"maxWorker": 2}), "invalid maxWorker: 2 (not a WorkerManager option; did you mean maxWorkers?)"),
            (json!({"timeoutMs": "NaN"}), "invalid timeoutMs: NaN (a finite number)"),
            (json!({"maxFailures": -1}), "invalid maxFailures: -1 (a whole number from 0 to 4294967295)"),
            (json!({"minAvailableMemoryMb": -1}), "invalid minAvailableMemoryMb: -1 (a number ≥ 0)"),
            (json!({"killGraceMs": 1e300}), "invalid killGraceMs: 1e300 (a number of milliseconds from 0 to 2147483647)"),
            (json!({"idleTimeoutMs": "Infinity"}), "invalid idleTimeoutMs: Infinity (a finite number)"),
            (json!({"memorySampleMs": 1}), "invalid memorySampleMs: 1 (a number of milliseconds from 10 to 60000)"),
            (json!({"memoryLimitMb": 0}), "invalid memoryLimitMb: 0 (a number of megabytes > 0)"),
            (json!({"seed": -1}), "invalid seed: -1 (a whole number from 0 to 9007199254740991)"),
        ] {
            let e = resolved(v).unwrap_err();
            assert_eq!(e.code(), "ERR_SHARDWRIGHT_CONFIG");
            assert_eq!(e.to_string(), message);
        }
    }
}
