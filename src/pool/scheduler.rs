//! The scheduler: every task's state, and the decisions — which task starts
//! on which worker, what a failed attempt leads to, which dependents are
//! skipped, when timers fire. It does no I/O: the manager (or a test) feeds it
//! submissions, attempt ends, timer ticks and memory samples, and carries out
//! what it asks for (processes to spawn, host tasks to start or abort).
//!
//! A task moves Waiting (dependencies) → Ready → [Parked (serial group)] →
//! Running → Done, or back from Running to RetryWait → Ready for a retry.
//! It reaches Done exactly once; its result is put in the outbox then.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand_chacha::ChaCha8Rng;

use super::dag::{self, DepRef};
use super::events::{Event, EventKind, EventMask, Progress};
use super::groups::SerialGroups;
use super::options::PoolConfig;
use super::process::{AttemptControl, KillReason};
use super::queue::ReadyQueue;
use super::stats::{PoolStats, WaitSamples};
use super::task::{
    AttemptInfo, ExitInfo, Outcome, Priority, ProcessSpec, TaskKind, TaskResult, TaskSpec,
};
use super::workers::{Scaled, Workers};
use crate::backoff::{seeded, BackoffPolicy};
use crate::error::{Error, Result};
use crate::retry::{AttemptError, Decision, Retrier};

pub type Handle = u32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Ready,
    Parked,
    Running,
    RetryWait,
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    Timeout(Handle, u32),
    Retry(Handle),
    ScaleDown,
}

#[derive(Debug)]
struct Task {
    id: Arc<str>,
    priority: Priority,
    group: Option<u32>,
    timeout: Option<Duration>,
    max_retries: u32,
    memory_limit_mb: Option<f64>,
    kind: TaskKind,
    state: State,
    outcome: Option<Outcome>,
    deps_left: u32,
    dependents: Vec<Handle>,
    submitted_at: Instant,
    ready_at: Option<Instant>,
    first_start: Option<(Instant, f64)>,
    attempt: u32,
    attempt_start: Option<(Instant, f64)>,
    retry_at: Option<Instant>,
    worker: Option<u32>,
    history: Vec<AttemptInfo>,
    retrier: Option<Box<Retrier<ChaCha8Rng>>>,
    control: Option<Arc<AttemptControl>>,
    // Boxed: most tasks never fail or run a process, and 100k tasks in a
    // compact Vec copy and fault in much less memory.
    last_error: Option<Box<AttemptError>>,
    last_exit: Option<Box<ExitInfo>>,
}

/// How an attempt ended, as the runner or the host saw it.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptEnd {
    Passed,
    Failed(AttemptError),
    TimedOut,
    MemoryKilled { rss_mb: f64, limit_mb: f64 },
    Cancelled(String),
}

/// A host task to start now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dispatch {
    pub handle: Handle,
    pub attempt: u32,
    pub worker: u32,
}

/// A process attempt for the manager to run.
#[derive(Debug, Clone)]
pub struct Spawn {
    pub handle: Handle,
    pub id: Arc<str>,
    pub attempt: u32,
    pub worker: u32,
    pub spec: Arc<ProcessSpec>,
    pub control: Arc<AttemptControl>,
}

/// What the host is told, in one batch.
#[derive(Debug, Default)]
pub struct Outbox {
    /// Host tasks to start.
    pub run: Vec<Dispatch>,
    /// Host attempts that no longer count (timed out, cancelled): the host
    /// should abort them; their late ends are ignored.
    pub abort: Vec<(Handle, u32)>,
    /// Tasks that ended, each exactly once.
    pub ended: Vec<TaskResult>,
    pub events: Vec<Event>,
}

impl Outbox {
    /// Adds `later` after what is here.
    pub fn append(&mut self, mut later: Outbox) {
        self.run.append(&mut later.run);
        self.abort.append(&mut later.abort);
        self.ended.append(&mut later.ended);
        self.events.append(&mut later.events);
    }

    pub fn is_empty(&self) -> bool {
        self.run.is_empty()
            && self.abort.is_empty()
            && self.ended.is_empty()
            && self.events.is_empty()
    }
}

/// What became of one submitted task.
#[derive(Debug)]
pub enum Submitted {
    /// A new task.
    New(Handle),
    /// The id was submitted before (still running, or within the dedup
    /// window): this submission shares that task and its result.
    Joined(Handle),
    Rejected(Error),
}

/// A process attempt running now, for memory sampling.
#[derive(Debug, Clone)]
pub struct RunningProcess {
    pub handle: Handle,
    pub attempt: u32,
    pub pid: u32,
    pub memory_limit_mb: Option<f64>,
}

fn epoch_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Milliseconds as a Duration, saturating (options are bounded; this keeps a
/// bug from becoming a panic).
fn from_ms(ms: f64) -> Duration {
    Duration::try_from_secs_f64(ms.max(0.0) / 1000.0).unwrap_or(Duration::MAX)
}

pub struct Scheduler {
    cfg: PoolConfig,
    started: Instant,
    tasks: Vec<Task>,
    ids: HashMap<Arc<str>, Handle>,
    ready: ReadyQueue,
    groups: SerialGroups,
    workers: Workers,
    timers: BTreeSet<(Instant, Timer)>,
    scale_timer: Option<Instant>,
    progress: Progress,
    progress_sent: Progress,
    failures: u32,
    retries: u64,
    /// Set when `maxFailures` is reached: nothing new starts.
    stopped: Option<String>,
    /// Set by shutdown: submissions are refused.
    closed: bool,
    memory_paused: bool,
    available_mb: Option<f64>,
    listening: EventMask,
    outbox: Outbox,
    spawns: Vec<Spawn>,
    waits: WaitSamples,
}

impl Scheduler {
    pub fn new(cfg: PoolConfig, now: Instant) -> Result<Self> {
        let cfg = cfg.validate()?;
        let workers = Workers::new(
            cfg.min_workers,
            cfg.max_workers(),
            from_ms(cfg.idle_timeout_ms),
            cfg.strategy,
            seeded(cfg.seed),
            now,
        );
        Ok(Scheduler {
            cfg,
            started: now,
            tasks: Vec::new(),
            ids: HashMap::new(),
            ready: ReadyQueue::default(),
            groups: SerialGroups::default(),
            workers,
            timers: BTreeSet::new(),
            scale_timer: None,
            progress: Progress::default(),
            progress_sent: Progress::default(),
            failures: 0,
            retries: 0,
            stopped: None,
            closed: false,
            memory_paused: false,
            available_mb: None,
            listening: EventMask::default(),
            outbox: Outbox::default(),
            spawns: Vec::new(),
            waits: WaitSamples::default(),
        })
    }

    pub fn config(&self) -> &PoolConfig {
        &self.cfg
    }

    pub fn listen(&mut self, mask: EventMask) {
        self.listening = mask;
    }

    pub fn listening(&self, kind: EventKind) -> bool {
        self.listening.has(kind)
    }

    fn emit(&mut self, event: Event) {
        if self.listening.has(event.kind()) {
            self.outbox.events.push(event);
        }
    }

    /// Adds an event from outside the scheduler (process output).
    pub fn push_event(&mut self, event: Event) {
        self.emit(event);
    }

    fn scaled(&mut self, scaled: Option<Scaled>, reason: &'static str) {
        if let Some(Scaled { from, to }) = scaled {
            tracing::debug!(from, to, reason, "workers scaled");
            self.emit(Event::WorkerScaled { from, to, reason });
        }
    }

    // ----- submission -------------------------------------------------

    /// Submits a batch. `atomic`: all or nothing — the first problem is
    /// returned and no task of the batch is added. Otherwise each task is
    /// accepted or rejected on its own.
    pub fn submit(
        &mut self,
        specs: Vec<Result<TaskSpec>>,
        atomic: bool,
        now: Instant,
    ) -> Result<Vec<Submitted>> {
        if self.closed {
            let closed =
                || Error::Aborted("submitting to a worker manager that is shut down".into());
            if atomic {
                return Err(closed());
            }
            return Ok(specs
                .iter()
                .map(|_| Submitted::Rejected(closed()))
                .collect());
        }
        let window = from_ms(self.cfg.dedup_window_ms);
        let mut out: Vec<Option<Submitted>> = Vec::with_capacity(specs.len());
        // Tasks to add: (batch position, spec).
        let mut fresh: Vec<(usize, TaskSpec)> = Vec::new();
        let mut first_in_batch: HashMap<String, usize> = HashMap::new();
        // Duplicates within the batch, resolved once their first is.
        let mut joins: Vec<(usize, usize)> = Vec::new();
        for (i, spec) in specs.into_iter().enumerate() {
            let spec = match spec {
                Ok(spec) => spec,
                Err(e) if atomic => return Err(e),
                Err(e) => {
                    out.push(Some(Submitted::Rejected(e)));
                    continue;
                }
            };
            if let Some(id) = &spec.id {
                if let Some(&first) = first_in_batch.get(id) {
                    joins.push((i, first));
                    out.push(None);
                    continue;
                }
                if let Some(&h) = self.ids.get(id.as_str()) {
                    let t = &self.tasks[h as usize];
                    if t.state != State::Done || now.duration_since(t.submitted_at) < window {
                        tracing::debug!(id = %id, "duplicate submission joins the first");
                        out.push(Some(Submitted::Joined(h)));
                        continue;
                    }
                }
                first_in_batch.insert(id.clone(), i);
            }
            out.push(None);
            fresh.push((i, spec));
        }

        // Unnamed tasks pass as "": nothing can depend on them.
        let refs: Vec<(&str, &[String])> = fresh
            .iter()
            .map(|(_, s)| (s.id.as_deref().unwrap_or(""), s.depends_on.as_slice()))
            .collect();
        let ids = &self.ids;
        let resolved = dag::resolve(&refs, |id| ids.get(id).copied());
        if atomic {
            if let Some(pos) = resolved
                .iter()
                .position(|r| matches!(r, Err(rej) if rej.primary))
            {
                let Some(Err(rej)) = resolved.into_iter().nth(pos) else {
                    unreachable!("position found an error")
                };
                return Err(rej.error);
            }
        }

        // Add the accepted tasks, then wire and release them.
        let mut handle_of: Vec<Option<Handle>> = vec![None; fresh.len()];
        let mut added: Vec<(Handle, Vec<DepRef>)> = Vec::with_capacity(fresh.len());
        self.tasks.reserve(fresh.len());
        for (k, ((pos, spec), r)) in fresh.into_iter().zip(resolved).enumerate() {
            match r {
                Err(rej) => out[pos] = Some(Submitted::Rejected(rej.error)),
                Ok(deps) => {
                    let h = self.add(spec, now);
                    handle_of[k] = Some(h);
                    out[pos] = Some(Submitted::New(h));
                    added.push((h, deps));
                }
            }
        }
        let mut blocked: Vec<Option<String>> = vec![None; added.len()];
        for (n, (h, deps)) in added.iter().enumerate() {
            for d in deps {
                let dh = match *d {
                    DepRef::Batch(k) => {
                        handle_of[k].expect("accepted tasks depend on accepted tasks")
                    }
                    DepRef::Known(dh) => dh,
                };
                let dep = &mut self.tasks[dh as usize];
                match dep.outcome {
                    Some(Outcome::Passed) => {}
                    Some(other) => {
                        blocked[n].get_or_insert_with(|| dependency_reason(&dep.id, other));
                    }
                    None => {
                        dep.dependents.push(*h);
                        self.tasks[*h as usize].deps_left += 1;
                    }
                }
            }
        }
        for ((h, _), blocked) in added.iter().zip(blocked) {
            let t = &self.tasks[*h as usize];
            if t.state != State::Waiting {
                continue; // already skipped through a dependency of this batch
            }
            if let Some(reason) = blocked.or_else(|| self.stopped.clone()) {
                self.finish_task(*h, Outcome::Skipped, Some(reason), now);
            } else if t.deps_left == 0 {
                self.make_ready(*h, now);
            }
        }
        for (i, first) in joins {
            out[i] = Some(match &out[first] {
                Some(Submitted::New(h)) | Some(Submitted::Joined(h)) => Submitted::Joined(*h),
                Some(Submitted::Rejected(e)) => Submitted::Rejected(Error::Task {
                    id: "(duplicate)".into(),
                    reason: e.to_string(),
                }),
                None => unreachable!("a first submission is resolved"),
            });
        }
        Ok(out
            .into_iter()
            .map(|s| s.expect("every submission resolved"))
            .collect())
    }

    fn add(&mut self, spec: TaskSpec, now: Instant) -> Handle {
        let h = self.tasks.len() as Handle;
        let id: Arc<str> = match spec.id {
            Some(id) => id.into(),
            None => format!("task-{h}").into(),
        };
        let group = spec.group.as_deref().map(|g| self.groups.intern(g));
        let memory_limit_mb = match spec.kind {
            TaskKind::Process(_) => spec.memory_limit_mb.or(self.cfg.memory_limit_mb),
            TaskKind::External => None,
        };
        self.ids.insert(id.clone(), h);
        self.tasks.push(Task {
            id,
            priority: spec.priority,
            group,
            timeout: spec.timeout_ms.or(self.cfg.timeout_ms).map(from_ms),
            max_retries: spec.retries.unwrap_or(self.cfg.retry.max_retries),
            memory_limit_mb,
            kind: spec.kind,
            state: State::Waiting,
            outcome: None,
            deps_left: 0,
            dependents: Vec::new(),
            submitted_at: now,
            ready_at: None,
            first_start: None,
            attempt: 0,
            attempt_start: None,
            retry_at: None,
            worker: None,
            history: Vec::new(),
            retrier: None,
            control: None,
            last_error: None,
            last_exit: None,
        });
        self.progress.total += 1;
        self.progress.pending += 1;
        h
    }

    fn make_ready(&mut self, h: Handle, now: Instant) {
        let t = &mut self.tasks[h as usize];
        t.state = State::Ready;
        t.ready_at.get_or_insert(now);
        self.ready.push(t.priority, h);
    }

    // ----- dispatch ---------------------------------------------------

    /// Starts what can start: ready tasks on idle workers, growing the pool
    /// for the queue; paused while memory is low (unless nothing runs).
    pub fn pump(&mut self, now: Instant) {
        if !self.ready.is_empty() {
            let scaled = self.workers.scale_for_queue(self.ready.len(), now);
            self.scaled(scaled, "queue");
        }
        while !self.ready.is_empty() {
            if self.memory_paused && self.progress.running > 0 {
                break;
            }
            if self.workers.idle() == 0 {
                break;
            }
            let h = self.ready.pop().expect("checked non-empty");
            let t = &mut self.tasks[h as usize];
            if let Some(g) = t.group {
                if self.groups.is_busy(g) {
                    t.state = State::Parked;
                    self.groups.park(g, t.priority, h);
                    continue;
                }
            }
            let worker = self.workers.take(now).expect("an idle worker");
            self.start(h, worker, now);
        }
        self.arm_scale_down(now);
        self.emit_progress();
    }

    fn start(&mut self, h: Handle, worker: u32, now: Instant) {
        let epoch = epoch_ms();
        let t = &mut self.tasks[h as usize];
        t.attempt += 1;
        t.state = State::Running;
        t.worker = Some(worker);
        t.attempt_start = Some((now, epoch));
        if t.first_start.is_none() {
            t.first_start = Some((now, epoch));
            let wait = t
                .ready_at
                .map(|r| now.duration_since(r))
                .unwrap_or_default();
            self.waits.push(ms(wait));
        }
        if let Some(g) = t.group {
            self.groups.acquire(g);
        }
        if let Some(timeout) = t.timeout {
            self.timers
                .insert((now + timeout, Timer::Timeout(h, t.attempt)));
        }
        let attempt = t.attempt;
        match &t.kind {
            TaskKind::External => self.outbox.run.push(Dispatch {
                handle: h,
                attempt,
                worker,
            }),
            TaskKind::Process(spec) => {
                let control = Arc::new(AttemptControl::default());
                t.control = Some(control.clone());
                self.spawns.push(Spawn {
                    handle: h,
                    id: t.id.clone(),
                    attempt,
                    worker,
                    spec: spec.clone(),
                    control,
                });
            }
        }
        self.progress.pending -= 1;
        self.progress.running += 1;
        if self.listening.has(EventKind::TaskStart) {
            let id = self.tasks[h as usize].id.clone();
            self.emit(Event::TaskStart {
                handle: h,
                id,
                attempt,
                worker,
            });
        }
    }

    // ----- attempt ends -----------------------------------------------

    /// An attempt ended. Ends of attempts that no longer count (timed out or
    /// cancelled already, a stale attempt number) are ignored: returns false.
    pub fn finish(
        &mut self,
        h: Handle,
        attempt: u32,
        end: AttemptEnd,
        exit: Option<ExitInfo>,
        now: Instant,
    ) -> bool {
        let Some(t) = self.tasks.get_mut(h as usize) else {
            return false;
        };
        if t.state != State::Running || t.attempt != attempt {
            return false;
        }
        let (start, started_at) = t.attempt_start.take().unwrap_or((now, epoch_ms()));
        let worker = t.worker.unwrap_or(0);
        if let Some(timeout) = t.timeout {
            self.timers
                .remove(&(start + timeout, Timer::Timeout(h, attempt)));
        }
        t.control = None;
        let attempt_outcome = match &end {
            AttemptEnd::Passed => Outcome::Passed,
            AttemptEnd::Failed(_) => Outcome::Failed,
            AttemptEnd::TimedOut => Outcome::TimedOut,
            AttemptEnd::MemoryKilled { .. } => Outcome::MemoryKilled,
            AttemptEnd::Cancelled(_) => Outcome::Cancelled,
        };
        let timeout_ms = t.timeout.map(ms).unwrap_or(0.0);
        let error = match &end {
            AttemptEnd::Failed(e) => Some(e.clone()),
            AttemptEnd::TimedOut => Some(AttemptError {
                name: Some("TimeoutError".into()),
                message: format!("task timed out after {timeout_ms} ms"),
                code: None,
            }),
            _ => None,
        };
        {
            t.history.push(AttemptInfo {
                attempt,
                worker,
                started_at,
                duration_ms: ms(now.duration_since(start)),
                outcome: attempt_outcome,
                error: error.clone(),
                rule: None,
                exit_code: exit.as_ref().and_then(|e| e.exit_code),
                signal: exit.as_ref().and_then(|e| e.signal.clone()),
                delay_ms: None,
            });
        }
        t.last_error = error.clone().map(Box::new);
        if let Some(exit) = exit {
            t.last_exit = Some(Box::new(exit));
        }
        self.workers.release(worker, now);
        if let Some(g) = t.group {
            if let Some((_, next)) = self.groups.release(g) {
                self.make_ready(next, now);
            }
        }
        let t = &mut self.tasks[h as usize];
        t.state = State::Done; // provisional; a retry moves it to RetryWait
        self.progress.running -= 1;
        self.progress.pending += 1; // counted back out when it ends

        match end {
            AttemptEnd::Passed => self.finish_task(h, Outcome::Passed, None, now),
            AttemptEnd::MemoryKilled { rss_mb, limit_mb } => self.finish_task(
                h,
                Outcome::MemoryKilled,
                Some(format!(
                    "killed: its processes used {rss_mb:.0} MB, over the memory limit of {limit_mb} MB"
                )),
                now,
            ),
            AttemptEnd::Cancelled(reason) => self.finish_task(h, Outcome::Cancelled, Some(reason), now),
            AttemptEnd::Failed(_) | AttemptEnd::TimedOut => {
                let error = error.expect("failures carry an error");
                self.after_failure(h, attempt_outcome, error, now)
            }
        }
        true
    }

    /// A failed or timed-out attempt: retry it (after the backoff delay) or
    /// end the task.
    fn after_failure(&mut self, h: Handle, outcome: Outcome, error: AttemptError, now: Instant) {
        let seed = self
            .cfg
            .seed
            .map(|s| s ^ (h as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let policy = BackoffPolicy {
            max_retries: self.tasks[h as usize].max_retries,
            ..self.cfg.retry
        };
        let stopped = self.stopped.is_some() || self.closed;
        let t = &mut self.tasks[h as usize];
        if t.max_retries == 0 || stopped {
            self.finish_task(h, outcome, None, now);
            return;
        }
        // The retry engine decides: classification, retries left, delay. It
        // replays this task's attempts (the pool timed them itself).
        let classifier = &self.cfg.classifier;
        let retrier = t.retrier.get_or_insert_with(|| {
            Box::new(Retrier::new(policy, classifier.clone(), seeded(seed)))
        });
        retrier.begin();
        let decision = retrier.failed(error.clone());
        let last = t.history.last_mut();
        match decision {
            Decision::Retry(event) => {
                if let Some(last) = last {
                    last.rule = Some(event.classification.rule.clone());
                    last.delay_ms = Some(event.delay_ms);
                }
                let at = now + from_ms(event.delay_ms);
                t.state = State::RetryWait;
                t.retry_at = Some(at);
                self.timers.insert((at, Timer::Retry(h)));
                self.retries += 1;
                tracing::debug!(id = %t.id, attempt = t.attempt, delay_ms = event.delay_ms, "retrying");
                if self.listening.has(EventKind::Retry) {
                    let id = t.id.clone();
                    let attempt = t.attempt;
                    self.emit(Event::Retry {
                        handle: h,
                        id,
                        attempt,
                        delay_ms: event.delay_ms,
                        error,
                        rule: event.classification.rule,
                    });
                }
            }
            Decision::Stop(_) => {
                let rule = retrier
                    .report(crate::retry::RetryOutcome::Exhausted)
                    .attempts
                    .last()
                    .and_then(|a| a.classification.as_ref().map(|c| c.rule.clone()));
                if let Some(last) = last {
                    last.rule = rule;
                }
                self.finish_task(h, outcome, None, now)
            }
        }
    }

    /// Ends a task (exactly once) and settles its dependents: ready when all
    /// their dependencies passed, skipped when one did not.
    fn finish_task(&mut self, h: Handle, outcome: Outcome, reason: Option<String>, now: Instant) {
        let mut work = vec![(h, outcome, reason)];
        while let Some((h, outcome, reason)) = work.pop() {
            let t = &mut self.tasks[h as usize];
            match t.state {
                State::Running => unreachable!("a running task ends through finish()"),
                State::Ready => {
                    self.ready.remove(t.priority, h);
                }
                State::Parked => {
                    if let Some(g) = t.group {
                        self.groups.unpark(g, t.priority, h);
                    }
                }
                State::RetryWait => {
                    if let Some(at) = t.retry_at.take() {
                        self.timers.remove(&(at, Timer::Retry(h)));
                    }
                }
                State::Waiting | State::Done => {}
            }
            if t.outcome.is_some() {
                continue;
            }
            let t = &mut self.tasks[h as usize];
            t.state = State::Done;
            t.outcome = Some(outcome);
            self.progress.pending -= 1;
            match outcome {
                Outcome::Passed => self.progress.passed += 1,
                Outcome::Failed => self.progress.failed += 1,
                Outcome::TimedOut => {
                    self.progress.failed += 1;
                    self.progress.timed_out += 1
                }
                Outcome::MemoryKilled => {
                    self.progress.failed += 1;
                    self.progress.memory_killed += 1
                }
                Outcome::Skipped => self.progress.skipped += 1,
                Outcome::Cancelled => self.progress.cancelled += 1,
            }
            let (duration_ms, started_at) = match t.first_start {
                Some((start, epoch)) => (ms(now.duration_since(start)), Some(epoch)),
                None => (0.0, None),
            };
            let queue_wait_ms = match (t.ready_at, t.first_start) {
                (Some(r), Some((s, _))) => ms(s.duration_since(r)),
                _ => 0.0,
            };
            let result = TaskResult {
                handle: h,
                id: t.id.clone(),
                outcome,
                attempts: t.attempt,
                duration_ms,
                queue_wait_ms,
                worker: t.worker,
                started_at,
                error: if outcome == Outcome::Passed {
                    None
                } else {
                    t.last_error.take().map(|e| *e)
                },
                reason: reason.clone(),
                exit: t.last_exit.take().map(|e| *e),
                history: std::mem::take(&mut t.history),
            };
            t.retrier = None;
            let dependents = std::mem::take(&mut t.dependents);
            let id = t.id.clone();
            self.outbox.ended.push(result);
            self.emit(Event::TaskEnd { handle: h });
            for d in dependents {
                let dt = &mut self.tasks[d as usize];
                if dt.outcome.is_some() {
                    continue;
                }
                if outcome == Outcome::Passed {
                    dt.deps_left -= 1;
                    if dt.deps_left == 0 && dt.state == State::Waiting {
                        self.make_ready(d, now);
                    }
                } else {
                    work.push((d, Outcome::Skipped, Some(dependency_reason(&id, outcome))));
                }
            }
            if outcome.is_failure() {
                self.failures += 1;
                let max = self.cfg.max_failures;
                if max > 0 && self.failures >= max && self.stopped.is_none() {
                    let why = format!(
                        "stopped after {max} failed task{} (maxFailures)",
                        if max == 1 { "" } else { "s" }
                    );
                    tracing::debug!("{why}");
                    self.stopped = Some(why.clone());
                    self.emit(Event::Stopped {
                        reason: why.clone(),
                    });
                    // Reversed: the stack ends them in submission order.
                    for p in self.not_started().into_iter().rev() {
                        work.push((p, Outcome::Skipped, Some(why.clone())));
                    }
                }
            }
        }
    }

    /// Tasks that have not ended and are not running, in handle order.
    fn not_started(&self) -> Vec<Handle> {
        self.tasks
            .iter()
            .enumerate()
            .filter(|(_, t)| t.outcome.is_none() && t.state != State::Running)
            .map(|(h, _)| h as Handle)
            .collect()
    }

    // ----- timers -----------------------------------------------------

    pub fn next_deadline(&self) -> Option<Instant> {
        self.timers.first().map(|(at, _)| *at)
    }

    fn arm_scale_down(&mut self, now: Instant) {
        if self.scale_timer.is_some() {
            return;
        }
        if let Some(at) = self.workers.next_scale_down() {
            let at = at.max(now);
            self.scale_timer = Some(at);
            self.timers.insert((at, Timer::ScaleDown));
        }
    }

    /// Fires every timer due at `now`.
    pub fn fire_timers(&mut self, now: Instant) {
        while let Some(&(at, timer)) = self.timers.first() {
            if at > now {
                break;
            }
            self.timers.pop_first();
            match timer {
                Timer::Retry(h) => {
                    let t = &mut self.tasks[h as usize];
                    if t.state == State::RetryWait {
                        t.retry_at = None;
                        self.make_ready(h, now);
                    }
                }
                Timer::Timeout(h, attempt) => self.time_out(h, attempt, now),
                Timer::ScaleDown => {
                    self.scale_timer = None;
                    let (scaled, _) = self.workers.scale_down(now);
                    self.scaled(scaled, "idle");
                }
            }
        }
        self.arm_scale_down(now);
    }

    fn time_out(&mut self, h: Handle, attempt: u32, now: Instant) {
        let t = &self.tasks[h as usize];
        if t.state != State::Running || t.attempt != attempt {
            return;
        }
        let after_ms = t.timeout.map(ms).unwrap_or(0.0);
        match &t.kind {
            // A process is killed; its runner reports the end once it is gone.
            TaskKind::Process(_) => {
                if let Some(c) = &t.control {
                    c.kill(KillReason::Timeout { after_ms });
                }
            }
            // A host task cannot be killed: its attempt stops counting and
            // the host is asked to abort it.
            TaskKind::External => {
                self.outbox.abort.push((h, attempt));
                self.finish(h, attempt, AttemptEnd::TimedOut, None, now);
            }
        }
    }

    // ----- cancellation, shutdown, memory -------------------------------

    /// Cancels the given tasks (all when `None`) that have not ended: the
    /// ones not started end at once, running host tasks too (and are
    /// aborted), running processes are killed and end when they are gone.
    pub fn cancel(&mut self, handles: Option<&[Handle]>, reason: &str, now: Instant) {
        let targets: Vec<Handle> = match handles {
            Some(hs) => hs.to_vec(),
            None => (0..self.tasks.len() as Handle).collect(),
        };
        for h in targets {
            let Some(t) = self.tasks.get(h as usize) else {
                continue;
            };
            if t.outcome.is_some() {
                continue;
            }
            if t.state == State::Running {
                self.cancel_running(h, KillReason::Cancel(reason.to_string()), now);
            } else {
                self.finish_task(h, Outcome::Cancelled, Some(reason.to_string()), now);
            }
        }
    }

    fn cancel_running(&mut self, h: Handle, why: KillReason, now: Instant) {
        let t = &self.tasks[h as usize];
        let attempt = t.attempt;
        match &t.kind {
            TaskKind::Process(_) => {
                if let Some(c) = &t.control {
                    c.kill(why);
                }
            }
            TaskKind::External => {
                let reason = match why {
                    KillReason::Cancel(r) | KillReason::Deadline(r) => r,
                    other => format!("{other:?}"),
                };
                self.outbox.abort.push((h, attempt));
                self.finish(h, attempt, AttemptEnd::Cancelled(reason), None, now);
            }
        }
    }

    /// Graceful shutdown, first step: refuse submissions and cancel what has
    /// not started; running tasks go on.
    pub fn shutdown(&mut self, now: Instant) {
        self.closed = true;
        for h in self.not_started() {
            self.finish_task(
                h,
                Outcome::Cancelled,
                Some("the worker manager shut down".into()),
                now,
            );
        }
    }

    /// Graceful shutdown, past the deadline: kill whatever still runs.
    pub fn kill_running(&mut self, reason: &str, now: Instant) -> usize {
        let running: Vec<Handle> = self
            .tasks
            .iter()
            .enumerate()
            .filter(|(_, t)| t.state == State::Running)
            .map(|(h, _)| h as Handle)
            .collect();
        for &h in &running {
            self.cancel_running(h, KillReason::Deadline(reason.to_string()), now);
        }
        running.len()
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Process attempts running now (with a known pid), for sampling.
    pub fn running_processes(&self) -> Vec<RunningProcess> {
        self.tasks
            .iter()
            .enumerate()
            .filter(|(_, t)| t.state == State::Running)
            .filter_map(|(h, t)| {
                let pid = t.control.as_ref()?.pid();
                (pid != 0).then_some(RunningProcess {
                    handle: h as Handle,
                    attempt: t.attempt,
                    pid,
                    memory_limit_mb: t.memory_limit_mb,
                })
            })
            .collect()
    }

    /// A memory sample: the machine's available memory, and the resident
    /// memory of each running process tree (`(handle, attempt, mb)`).
    pub fn memory_sample(&mut self, available_mb: Option<f64>, trees: &[(Handle, u32, f64)]) {
        for &(h, attempt, rss_mb) in trees {
            let Some(t) = self.tasks.get(h as usize) else {
                continue;
            };
            if t.state != State::Running || t.attempt != attempt {
                continue;
            }
            if let (Some(limit_mb), Some(c)) = (t.memory_limit_mb, &t.control) {
                if rss_mb > limit_mb {
                    tracing::debug!(id = %t.id, rss_mb, limit_mb, "over its memory limit");
                    c.kill(KillReason::Memory { rss_mb, limit_mb });
                }
            }
        }
        let threshold = self.cfg.min_available_memory_mb;
        if let Some(available) = available_mb {
            self.available_mb = Some(available);
            let paused = threshold > 0.0 && available < threshold;
            if paused != self.memory_paused {
                self.memory_paused = paused;
                tracing::debug!(available, threshold, paused, "memory pressure");
                self.emit(Event::MemoryPressure {
                    available_mb: available,
                    threshold_mb: threshold,
                    paused,
                });
            }
        }
    }

    // ----- reading ----------------------------------------------------

    pub fn take_outbox(&mut self) -> Outbox {
        std::mem::take(&mut self.outbox)
    }

    pub fn has_outbox(&self) -> bool {
        !self.outbox.is_empty()
    }

    pub fn take_spawns(&mut self) -> Vec<Spawn> {
        std::mem::take(&mut self.spawns)
    }

    fn emit_progress(&mut self) {
        if self.progress != self.progress_sent && self.listening.has(EventKind::Progress) {
            self.progress_sent = self.progress;
            self.emit(Event::Progress(self.progress.with_percent()));
        }
    }

    pub fn progress(&self) -> Progress {
        self.progress.with_percent()
    }

    /// Every task submitted has ended.
    pub fn is_idle(&self) -> bool {
        self.progress.pending == 0 && self.progress.running == 0
    }

    pub fn id(&self, h: Handle) -> Option<&Arc<str>> {
        self.tasks.get(h as usize).map(|t| &t.id)
    }

    pub fn stats(&self, now: Instant) -> PoolStats {
        let workers = self.workers.stats(now);
        let (busy, active) = workers
            .iter()
            .fold((0.0, 0.0), |(b, a), w| (b + w.busy_ms, a + w.active_ms));
        PoolStats {
            elapsed_ms: ms(now.duration_since(self.started)),
            active_workers: self.workers.active(),
            busy_workers: self.workers.busy(),
            workers,
            utilisation: if active > 0.0 { busy / active } else { 0.0 },
            queue_wait_ms: self.waits.percentiles(),
            progress: self.progress(),
            retries: self.retries,
        }
    }
}

fn dependency_reason(id: &str, outcome: Outcome) -> String {
    let what = match outcome {
        Outcome::Passed => "passed",
        Outcome::Failed => "failed",
        Outcome::TimedOut => "timed out",
        Outcome::MemoryKilled => "was killed over its memory limit",
        Outcome::Cancelled => "was cancelled",
        Outcome::Skipped => "was skipped",
    };
    format!("dependency `{id}` {what}")
}

#[cfg(test)]
#[path = "scheduler_tests.rs"]
mod tests;
