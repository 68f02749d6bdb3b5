//! The worker manager: the scheduler behind a lock, driven by tokio — child
//! processes, timers (timeouts, retry delays, idle scale-down) and memory
//! sampling — and talking to its host through an outbox.
//!
//! The host (the JS binding) starts its own tasks: it takes the outbox
//! (tasks to start, attempts to abort, results, events) and reports ends in
//! batches. When something lands in the outbox while the host is not
//! calling in (a process ended, a timer fired), the host is woken once; it
//! then takes everything that piled up, so crossings stay batched.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;

use super::events::{Event, EventKind, EventMask, Progress};
use super::memory::MemorySampler;
use super::options::PoolConfig;
use super::process::{self, KillReason, ProcessExit};
use super::scheduler::{AttemptEnd, Handle, Outbox, Scheduler, Spawn, Submitted};
use super::stats::PoolStats;
use super::task::{ProcessSpec, TaskSpec};
use crate::error::Result;
use crate::retry::AttemptError;

/// The side that runs external tasks and receives results.
pub trait Host: Send + Sync + 'static {
    /// The outbox has something; call [`Manager::take`] soon. Called from any
    /// thread, at most once until the next `take`.
    fn wake(&self);
}

/// What a graceful shutdown did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Every running task ended before the deadline.
    pub drained: bool,
    /// Tasks still running at the deadline, killed.
    pub killed: usize,
    /// Tasks that had not started, cancelled.
    pub cancelled: u64,
}

struct Shared {
    sched: Mutex<Scheduler>,
    host: Arc<dyn Host>,
    wake_pending: AtomicBool,
    timer_notify: Notify,
    /// The deadline the timer loop sleeps toward, as nanoseconds since
    /// `epoch` (`u64::MAX`: none).
    armed: AtomicU64,
    epoch: Instant,
    idle: watch::Sender<bool>,
    runtime: tokio::runtime::Handle,
    output_listened: AtomicBool,
    kill_grace: Duration,
    max_output: usize,
    stop: CancellationToken,
}

#[derive(Clone)]
pub struct Manager {
    shared: Arc<Shared>,
}

/// Milliseconds as a Duration, saturating.
fn ms(v: f64) -> Duration {
    Duration::try_from_secs_f64(v.max(0.0) / 1000.0).unwrap_or(Duration::MAX)
}

impl Manager {
    /// A manager whose tasks, timers and sampling run on `runtime`.
    pub fn new(
        cfg: PoolConfig,
        host: Arc<dyn Host>,
        runtime: tokio::runtime::Handle,
    ) -> Result<Manager> {
        let now = Instant::now();
        let sample_every = ms(cfg.memory_sample_ms.max(10.0));
        let kill_grace = ms(cfg.kill_grace_ms);
        let max_output = cfg.max_output_bytes;
        // The WebAssembly build reads no memory (see `memory.rs`).
        let watch_memory = cfg.min_available_memory_mb > 0.0 && cfg!(not(target_family = "wasm"));
        let mut sched = Scheduler::new(cfg, now)?;
        let mut sampler = MemorySampler::new();
        if watch_memory {
            sched.memory_sample(Some(sampler.available_mb()), &[]);
        }
        let shared = Arc::new(Shared {
            sched: Mutex::new(sched),
            host,
            wake_pending: AtomicBool::new(false),
            timer_notify: Notify::new(),
            armed: AtomicU64::new(u64::MAX),
            epoch: now,
            idle: watch::Sender::new(true),
            runtime: runtime.clone(),
            output_listened: AtomicBool::new(false),
            kill_grace,
            max_output,
            stop: CancellationToken::new(),
        });
        runtime.spawn(timer_loop(shared.clone()));
        runtime.spawn(sampler_loop(
            shared.clone(),
            sampler,
            sample_every,
            watch_memory,
        ));
        Ok(Manager { shared })
    }

    /// Submits tasks; see [`Scheduler::submit`]. `cancels`: batch positions
    /// of tasks cancelled on arrival (their caller's signal was aborted
    /// already), with the reason; they end cancelled before anything starts
    /// (a task joining an earlier one is left to it). The host takes the
    /// outbox afterwards (tasks may have started).
    pub fn submit(
        &self,
        specs: Vec<Result<TaskSpec>>,
        atomic: bool,
        cancels: Vec<(usize, String)>,
    ) -> Result<Vec<Submitted>> {
        self.shared.step(
            |s, now| {
                let submitted = s.submit(specs, atomic, now)?;
                for (i, reason) in &cancels {
                    if let Some(Submitted::New(h)) = submitted.get(*i) {
                        s.cancel(Some(&[*h]), reason, now);
                    }
                }
                Ok(submitted)
            },
            true,
        )
    }

    /// Ends of host attempts: `(handle, attempt, end)`. The host takes the
    /// outbox afterwards.
    pub fn complete(&self, ends: impl IntoIterator<Item = (Handle, u32, AttemptEnd)>) {
        self.shared.step(
            |s, now| {
                for (h, attempt, end) in ends {
                    s.finish(h, attempt, end, None, now);
                }
            },
            true,
        )
    }

    /// Everything for the host since the last take.
    pub fn take(&self) -> Outbox {
        // Cleared before taking, so a wake for what lands after is not lost.
        self.shared.wake_pending.store(false, Ordering::SeqCst);
        self.shared.lock().take_outbox()
    }

    pub fn listen(&self, mask: EventMask) {
        self.shared
            .output_listened
            .store(mask.has(EventKind::Output), Ordering::Relaxed);
        self.shared.lock().listen(mask);
    }

    /// Cancels the given tasks, or all of them.
    pub fn cancel(&self, handles: Option<Vec<Handle>>, reason: &str) {
        self.shared
            .step(|s, now| s.cancel(handles.as_deref(), reason, now), false)
    }

    pub fn stats(&self) -> PoolStats {
        self.shared.lock().stats(Instant::now())
    }

    pub fn progress(&self) -> Progress {
        self.shared.lock().progress()
    }

    pub fn is_idle(&self) -> bool {
        self.shared.lock().is_idle()
    }

    /// Resolves when every submitted task has ended.
    pub async fn idle(&self) {
        let mut rx = self.shared.idle.subscribe();
        let _ = rx.wait_for(|idle| *idle).await;
    }

    /// Refuses new tasks and cancels those not started; waits up to
    /// `deadline` for the running ones, then kills them.
    pub async fn shutdown(&self, deadline: Duration) -> ShutdownReport {
        let before = self.progress().cancelled;
        self.shared.step(|s, now| s.shutdown(now), false);
        let cancelled = self.progress().cancelled - before;
        let drained = tokio::time::timeout(deadline, self.idle()).await.is_ok();
        let killed = if drained {
            0
        } else {
            self.shared.step(
                |s, now| s.kill_running("the shutdown deadline passed", now),
                false,
            )
        };
        self.idle().await;
        self.dispose();
        ShutdownReport {
            drained,
            killed,
            cancelled,
        }
    }

    /// Stops the timer and sampling loops (the manager is done).
    pub fn dispose(&self) {
        self.shared.stop.cancel();
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Scheduler> {
        // A panic while holding the lock is a bug already reported; the
        // state itself stays usable.
        self.sched.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the scheduler, starts what can start, spawns processes,
    /// re-arms the timer loop, updates the idle flag, and wakes the host
    /// (unless the host is the caller and takes the outbox itself).
    fn step<R>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut Scheduler, Instant) -> R,
        from_host: bool,
    ) -> R {
        let now = Instant::now();
        let (r, spawns, has_outbox, next, idle) = {
            let mut s = self.lock();
            let r = f(&mut s, now);
            s.pump(now);
            (
                r,
                s.take_spawns(),
                s.has_outbox(),
                s.next_deadline(),
                s.is_idle(),
            )
        };
        for spawn in spawns {
            self.spawn_attempt(spawn);
        }
        if let Some(next) = next {
            let at = next.saturating_duration_since(self.epoch).as_nanos() as u64;
            if at < self.armed.load(Ordering::SeqCst) {
                self.timer_notify.notify_one();
            }
        }
        self.idle
            .send_if_modified(|v| std::mem::replace(v, idle) != idle);
        if has_outbox && !from_host && !self.wake_pending.swap(true, Ordering::SeqCst) {
            self.host.wake();
        }
        r
    }

    fn spawn_attempt(self: &Arc<Self>, spawn: Spawn) {
        let shared = self.clone();
        self.runtime.spawn(async move {
            let extra_env = [
                ("SHARDWRIGHT_TASK_ID", spawn.id.to_string()),
                ("SHARDWRIGHT_WORKER_INDEX", spawn.worker.to_string()),
                ("SHARDWRIGHT_ATTEMPT", spawn.attempt.to_string()),
            ];
            let on_chunk = |stream, chunk: String| {
                if shared.output_listened.load(Ordering::Relaxed) {
                    let event = Event::Output {
                        handle: spawn.handle,
                        id: spawn.id.clone(),
                        attempt: spawn.attempt,
                        stream,
                        chunk,
                    };
                    shared.step(|s, _| s.push_event(event), false);
                }
            };
            let exit = process::run(
                &spawn.spec,
                &extra_env,
                &spawn.control,
                shared.kill_grace,
                shared.max_output,
                &on_chunk,
            )
            .await;
            let end = attempt_end(&spawn.spec, &exit);
            shared.step(
                |s, now| s.finish(spawn.handle, spawn.attempt, end, Some(exit.info), now),
                false,
            );
        });
    }
}

/// How a process attempt ended, for the scheduler.
fn attempt_end(spec: &ProcessSpec, exit: &ProcessExit) -> AttemptEnd {
    match &exit.killed {
        Some(KillReason::Timeout { .. }) => return AttemptEnd::TimedOut,
        Some(KillReason::Memory { rss_mb, limit_mb }) => {
            return AttemptEnd::MemoryKilled {
                rss_mb: *rss_mb,
                limit_mb: *limit_mb,
            }
        }
        Some(KillReason::Cancel(r)) | Some(KillReason::Deadline(r)) => {
            return AttemptEnd::Cancelled(r.clone())
        }
        None => {}
    }
    if let Some(e) = &exit.spawn_error {
        return AttemptEnd::Failed(AttemptError {
            name: Some("SpawnError".into()),
            message: format!("failed to start `{}`: {e}", spec.command),
            code: match e.kind() {
                std::io::ErrorKind::NotFound => Some("ENOENT".into()),
                std::io::ErrorKind::PermissionDenied => Some("EACCES".into()),
                _ => None,
            },
        });
    }
    let what = match (&exit.info.exit_code, &exit.info.signal) {
        (Some(0), _) => return AttemptEnd::Passed,
        (Some(code), _) => format!("exited with code {code}"),
        (None, Some(signal)) => format!("was killed by signal {signal}"),
        (None, None) => "ended without an exit code".to_string(),
    };
    // The end of stderr goes into the message: it is what the classifier
    // matches (a Playwright assertion is permanent, a crash retryable).
    let stderr = exit.info.stderr.trim_end();
    let tail = match stderr.char_indices().rev().nth(1999) {
        Some((i, _)) => &stderr[i..],
        None => stderr,
    };
    AttemptEnd::Failed(AttemptError {
        name: None,
        message: if tail.is_empty() {
            format!("`{}` {what}", spec.command)
        } else {
            format!("`{}` {what}\n{tail}", spec.command)
        },
        code: exit.info.exit_code.map(|c| format!("EXIT_{c}")),
    })
}

async fn timer_loop(shared: Arc<Shared>) {
    loop {
        // Read and published under the lock: a `step` that adds an earlier
        // deadline after this read compares it with this value and wakes
        // the loop; published after the lock, a step in between would have
        // compared with the previous (already fired) deadline and the new
        // one would wait until this one.
        let deadline = {
            let s = shared.lock();
            let deadline = s.next_deadline();
            let armed = deadline
                .map(|d| d.saturating_duration_since(shared.epoch).as_nanos() as u64)
                .unwrap_or(u64::MAX);
            shared.armed.store(armed, Ordering::SeqCst);
            deadline
        };
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = shared.stop.cancelled() => return,
            _ = shared.timer_notify.notified() => continue,
            _ = sleep => {}
        }
        shared.step(|s, now| s.fire_timers(now), false);
    }
}

async fn sampler_loop(
    shared: Arc<Shared>,
    sampler: MemorySampler,
    every: Duration,
    watch_memory: bool,
) {
    let sampler = Arc::new(Mutex::new(sampler));
    loop {
        tokio::select! {
            _ = shared.stop.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        let (busy, procs) = {
            let s = shared.lock();
            (!s.is_idle(), s.running_processes())
        };
        let limited: Vec<_> = procs
            .into_iter()
            .filter(|p| p.memory_limit_mb.is_some())
            .collect();
        if !busy || (!watch_memory && limited.is_empty()) {
            continue;
        }
        let sampler = sampler.clone();
        let pids: Vec<u32> = limited.iter().map(|p| p.pid).collect();
        let reading = tokio::task::spawn_blocking(move || {
            let mut m = sampler.lock().unwrap_or_else(|e| e.into_inner());
            let available = watch_memory.then(|| m.available_mb());
            (available, m.tree_rss_mb(&pids))
        })
        .await;
        let Ok((available, rss)) = reading else {
            continue;
        };
        let trees: Vec<(Handle, u32, f64)> = limited
            .iter()
            .zip(rss)
            .map(|(p, mb)| (p.handle, p.attempt, mb))
            .collect();
        shared.step(|s, _| s.memory_sample(available, &trees), false);
    }
}

#[cfg(test)]
#[path = "manager_tests.rs"]
mod tests;
