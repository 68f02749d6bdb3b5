//! The scheduler driven by hand: the test plays the host, with a clock it
//! moves itself.

use super::*;
use crate::backoff::Jitter;
use crate::pool::options::Strategy;
use rand::{Rng, SeedableRng};

fn config(max_workers: u32) -> PoolConfig {
    PoolConfig {
        min_workers: 1,
        max_workers: Some(max_workers),
        strategy: Strategy::RoundRobin,
        seed: Some(1),
        min_available_memory_mb: 0.0,
        idle_timeout_ms: 1000.0,
        retry: BackoffPolicy {
            initial_delay_ms: 10.0,
            multiplier: 2.0,
            max_delay_ms: 1000.0,
            max_retries: 0,
            jitter: Jitter::None,
            jitter_factor: 1.0,
        },
        ..PoolConfig::defaults()
    }
}

struct Harness {
    s: Scheduler,
    now: Instant,
    started: Vec<Dispatch>,
    /// For each dispatch, how many results had arrived when it started.
    started_after: Vec<usize>,
    ended: Vec<TaskResult>,
    events: Vec<Event>,
    aborted: Vec<(Handle, u32)>,
    /// Host attempts started and not ended: handle → attempt.
    live: std::collections::BTreeMap<Handle, u32>,
}

impl Harness {
    fn new(cfg: PoolConfig) -> Self {
        let now = Instant::now();
        let mut s = Scheduler::new(cfg, now).unwrap();
        s.listen(EventMask::ALL);
        Harness {
            s,
            now,
            started: Vec::new(),
            started_after: Vec::new(),
            ended: Vec::new(),
            events: Vec::new(),
            aborted: Vec::new(),
            live: Default::default(),
        }
    }

    fn collect(&mut self) {
        self.s.pump(self.now);
        let out = self.s.take_outbox();
        self.ended.extend(out.ended);
        self.started_after
            .extend(out.run.iter().map(|_| self.ended.len()));
        for a in &out.abort {
            self.live.remove(&a.0);
        }
        for r in &self.ended {
            self.live.remove(&r.handle);
        }
        for d in &out.run {
            self.live.insert(d.handle, d.attempt);
        }
        self.started.extend(out.run);
        self.events.extend(out.events);
        self.aborted.extend(out.abort);
    }

    fn submit(&mut self, specs: Vec<TaskSpec>) -> Vec<Handle> {
        let r = self
            .s
            .submit(specs.into_iter().map(Ok).collect(), true, self.now)
            .unwrap();
        self.collect();
        r.into_iter()
            .map(|s| match s {
                Submitted::New(h) | Submitted::Joined(h) => h,
                Submitted::Rejected(e) => panic!("rejected: {e}"),
            })
            .collect()
    }

    fn end(&mut self, h: Handle, end: AttemptEnd) -> bool {
        let attempt = self
            .started
            .iter()
            .rev()
            .find(|d| d.handle == h)
            .unwrap()
            .attempt;
        let counted = self.s.finish(h, attempt, end, None, self.now);
        if counted {
            self.live.remove(&h);
        }
        self.collect();
        counted
    }

    fn advance(&mut self, ms: u64) {
        self.now += Duration::from_millis(ms);
        self.s.fire_timers(self.now);
        self.collect();
    }

    fn id(&self, h: Handle) -> String {
        self.s.id(h).unwrap().to_string()
    }

    fn started_ids(&self) -> Vec<String> {
        self.started.iter().map(|d| self.id(d.handle)).collect()
    }

    fn result(&self, id: &str) -> &TaskResult {
        let all: Vec<_> = self.ended.iter().filter(|r| &*r.id == id).collect();
        assert_eq!(all.len(), 1, "{id} ended {} times", all.len());
        all[0]
    }

    fn running(&self) -> Vec<Handle> {
        self.live.keys().copied().collect()
    }
}

fn ext(id: &str) -> TaskSpec {
    TaskSpec::external(id)
}

#[test]
fn priorities_then_fifo_within_a_level() {
    let mut h = Harness::new(PoolConfig {
        min_workers: 1,
        ..config(1)
    });
    let blocker = h.submit(vec![ext("blocker")])[0];
    h.submit(vec![
        ext("low").priority(Priority::Low),
        ext("n1"),
        ext("crit").priority(Priority::Critical),
        ext("high").priority(Priority::High),
        ext("n2"),
        ext("crit2").priority(Priority::Critical),
    ]);
    assert_eq!(h.started_ids(), ["blocker"]);
    h.end(blocker, AttemptEnd::Passed);
    while let Some(&h1) = h.running().first() {
        h.end(h1, AttemptEnd::Passed);
    }
    assert_eq!(
        h.started_ids(),
        ["blocker", "crit", "crit2", "high", "n1", "n2", "low"]
    );
    assert!(h.ended.iter().all(|r| r.outcome == Outcome::Passed));
    assert_eq!(h.s.progress().passed, 7);
    assert!(h.s.is_idle());
}

#[test]
fn dependencies_run_in_order_and_failures_skip_dependents_with_the_reason() {
    let mut h = Harness::new(config(4));
    // a → b → c, a → d, e independent; x fails → y, z (transitively) skipped.
    h.submit(vec![
        ext("c").after(&["b"]),
        ext("b").after(&["a"]),
        ext("d").after(&["a"]),
        ext("a"),
        ext("e"),
        ext("x"),
        ext("y").after(&["x"]),
        ext("z").after(&["y", "e"]),
    ]);
    assert_eq!(h.started_ids(), ["a", "e", "x"]);
    let handle = |h: &Harness, id: &str| {
        h.started
            .iter()
            .find(|d| h.id(d.handle) == id)
            .unwrap()
            .handle
    };
    h.end(
        handle(&h, "x"),
        AttemptEnd::Failed(AttemptError::new("boom")),
    );
    assert_eq!(h.result("y").outcome, Outcome::Skipped);
    assert_eq!(
        h.result("y").reason.as_deref(),
        Some("dependency `x` failed")
    );
    assert_eq!(
        h.result("z").reason.as_deref(),
        Some("dependency `y` was skipped")
    );
    assert_eq!(h.result("z").attempts, 0);
    h.end(handle(&h, "a"), AttemptEnd::Passed);
    assert_eq!(h.started_ids(), ["a", "e", "x", "b", "d"]);
    h.end(handle(&h, "b"), AttemptEnd::Passed);
    assert_eq!(h.started_ids().last().unwrap(), "c");
    for id in ["c", "d", "e"] {
        h.end(handle(&h, id), AttemptEnd::Passed);
    }
    let p = h.s.progress();
    assert_eq!(
        (p.total, p.passed, p.failed, p.skipped, p.pending, p.running),
        (8, 5, 1, 2, 0, 0)
    );
    // A later task that depends on a failed one is skipped at once.
    h.submit(vec![ext("late").after(&["x"])]);
    assert_eq!(
        h.result("late").reason.as_deref(),
        Some("dependency `x` failed")
    );
}

#[test]
fn dag_errors_reject_the_whole_batch_before_anything_runs() {
    let mut h = Harness::new(config(2));
    let e =
        h.s.submit(
            vec![Ok(ext("a")), Ok(ext("b").after(&["ghost"]))],
            true,
            h.now,
        )
        .unwrap_err();
    assert_eq!(e.code(), "ERR_SHARDWRIGHT_TASK");
    assert_eq!(
        e.to_string(),
        "task `b` cannot be scheduled: it depends on unknown task `ghost`"
    );
    let e =
        h.s.submit(
            vec![
                Ok(ext("p").after(&["r"])),
                Ok(ext("q").after(&["p"])),
                Ok(ext("r").after(&["q"])),
            ],
            true,
            h.now,
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "task `p` cannot be scheduled: dependency cycle p → r → q → p"
    );
    h.collect();
    assert!(h.started.is_empty());
    assert_eq!(h.s.progress().total, 0);
    // Not atomic (one submit() at a time): only the bad ones are rejected.
    let r =
        h.s.submit(
            vec![Ok(ext("ok")), Ok(ext("bad").after(&["nope"]))],
            false,
            h.now,
        )
        .unwrap();
    assert!(matches!(r[0], Submitted::New(_)));
    assert!(
        matches!(&r[1], Submitted::Rejected(e) if e.to_string().contains("unknown task `nope`"))
    );
}

#[test]
fn serial_groups_never_overlap() {
    let mut h = Harness::new(config(4));
    h.submit(vec![
        ext("g1").group("db"),
        ext("g2").group("db"),
        ext("free"),
        ext("g3").group("db").priority(Priority::High),
        ext("other").group("fs"),
    ]);
    // g3 is high priority: it starts first; g1 and g2 wait for the group.
    assert_eq!(h.started_ids(), ["g3", "free", "other"]);
    let mut order = Vec::new();
    loop {
        let running = h.running();
        let in_db: Vec<String> = running
            .iter()
            .map(|&r| h.id(r))
            .filter(|i| i.starts_with('g'))
            .collect();
        assert!(in_db.len() <= 1, "overlap in group db: {in_db:?}");
        let Some(&first) = running.first() else { break };
        order.push(h.id(first));
        h.end(first, AttemptEnd::Passed);
    }
    let db: Vec<&String> = order.iter().filter(|i| i.starts_with('g')).collect();
    assert_eq!(db, ["g3", "g1", "g2"]);
    assert_eq!(h.s.progress().passed, 5);
}

#[test]
fn a_host_task_past_its_timeout_times_out_and_its_late_end_is_ignored() {
    let mut h = Harness::new(config(1));
    let t = h.submit(vec![ext("slow").timeout_ms(50.0), ext("next")])[0];
    h.advance(49);
    assert!(h.ended.is_empty());
    h.advance(1);
    let r = h.result("slow");
    assert_eq!(r.outcome, Outcome::TimedOut);
    assert_eq!(
        r.error.as_ref().unwrap().message,
        "task timed out after 50 ms"
    );
    assert_eq!(h.aborted, [(t, 1)]);
    // The worker went on to the next task at once.
    assert_eq!(h.started_ids(), ["slow", "next"]);
    assert!(
        !h.s.finish(t, 1, AttemptEnd::Passed, None, h.now),
        "late end ignored"
    );
    assert_eq!(h.ended.len(), 1);
}

#[test]
fn retries_follow_the_backoff_and_classification() {
    let mut h = Harness::new(config(2));
    let flaky = h.submit(vec![ext("flaky").retries(3), ext("assert").retries(3)]);
    h.end(
        flaky[0],
        AttemptEnd::Failed(AttemptError::new("read ECONNRESET")),
    );
    h.end(
        flaky[1],
        AttemptEnd::Failed(AttemptError::new("expect(received).toBe(expected)")),
    );
    // The assertion is permanent: no retry.
    assert_eq!(h.result("assert").outcome, Outcome::Failed);
    assert_eq!(h.result("assert").attempts, 1);
    assert_eq!(
        h.result("assert").history[0].rule.as_deref(),
        Some("assertion")
    );
    // The network error waits 10 ms, then 20 ms (no jitter).
    h.advance(9);
    assert_eq!(h.started.iter().filter(|d| d.handle == flaky[0]).count(), 1);
    h.advance(1);
    assert_eq!(
        h.started.last().unwrap(),
        &Dispatch {
            handle: flaky[0],
            attempt: 2,
            worker: h.started.last().unwrap().worker
        }
    );
    h.end(flaky[0], AttemptEnd::TimedOut);
    h.advance(20);
    h.end(flaky[0], AttemptEnd::Passed);
    let r = h.result("flaky");
    assert_eq!((r.outcome, r.attempts), (Outcome::Passed, 3));
    let rules: Vec<_> = r
        .history
        .iter()
        .map(|a| (a.outcome, a.rule.clone(), a.delay_ms))
        .collect();
    assert_eq!(
        rules,
        [
            (Outcome::Failed, Some("network".into()), Some(10.0)),
            (Outcome::TimedOut, Some("timeout".into()), Some(20.0)),
            (Outcome::Passed, None, None)
        ]
    );
    let retries: Vec<(u32, f64)> = h
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Retry {
                attempt, delay_ms, ..
            } => Some((*attempt, *delay_ms)),
            _ => None,
        })
        .collect();
    assert_eq!(retries, [(1, 10.0), (2, 20.0)]);
    assert_eq!(h.s.stats(h.now).retries, 2);
}

#[test]
fn retries_run_out() {
    let mut h = Harness::new(config(1));
    let t = h.submit(vec![ext("t").retries(1)])[0];
    h.end(t, AttemptEnd::Failed(AttemptError::new("socket hang up")));
    h.advance(10);
    h.end(
        t,
        AttemptEnd::Failed(AttemptError::new("socket hang up #2")),
    );
    let r = h.result("t");
    assert_eq!((r.outcome, r.attempts), (Outcome::Failed, 2));
    assert_eq!(r.error.as_ref().unwrap().message, "socket hang up #2");
}

#[test]
fn cancel_ends_pending_and_running_host_tasks_once() {
    let mut h = Harness::new(config(1));
    let hs = h.submit(vec![ext("run"), ext("wait"), ext("dep").after(&["wait"])]);
    h.s.cancel(None, "aborted by the caller", h.now);
    h.collect();
    for id in ["run", "wait"] {
        assert_eq!(h.result(id).outcome, Outcome::Cancelled);
        assert_eq!(
            h.result(id).reason.as_deref(),
            Some("aborted by the caller")
        );
    }
    // Its dependency was cancelled: skipped, saying so.
    assert_eq!(h.result("dep").outcome, Outcome::Skipped);
    assert_eq!(
        h.result("dep").reason.as_deref(),
        Some("dependency `wait` was cancelled")
    );
    assert_eq!(h.aborted, [(hs[0], 1)]);
    assert!(!h.s.finish(hs[0], 1, AttemptEnd::Passed, None, h.now));
    assert_eq!(h.ended.len(), 3);
    assert!(h.s.is_idle());
}

#[test]
fn max_failures_stops_and_skips_what_has_not_started() {
    let mut h = Harness::new(PoolConfig {
        max_failures: 2,
        ..config(2)
    });
    let hs = h.submit((0..6).map(|i| ext(&format!("t{i}"))).collect());
    h.end(hs[0], AttemptEnd::Failed(AttemptError::new("x")));
    assert!(h.ended.iter().all(|r| r.outcome == Outcome::Failed));
    h.end(hs[1], AttemptEnd::Failed(AttemptError::new("x")));
    // t2 started when t0 failed; it keeps running. t3..t5 are skipped.
    let skipped: Vec<_> = h
        .ended
        .iter()
        .filter(|r| r.outcome == Outcome::Skipped)
        .map(|r| r.id.to_string())
        .collect();
    assert_eq!(skipped, ["t3", "t4", "t5"]);
    assert_eq!(
        h.result("t4").reason.as_deref(),
        Some("stopped after 2 failed tasks (maxFailures)")
    );
    assert!(h.events.iter().any(|e| matches!(e, Event::Stopped { .. })));
    let running = h.running();
    assert_eq!(running.iter().map(|&r| h.id(r)).collect::<Vec<_>>(), ["t2"]);
    h.end(running[0], AttemptEnd::Passed);
    // New work after the stop is skipped at once.
    h.submit(vec![ext("after")]);
    assert_eq!(h.result("after").outcome, Outcome::Skipped);
    assert!(h.s.is_idle());
    assert_eq!(h.ended.len(), 7);
}

#[test]
fn a_duplicate_id_within_the_window_joins_the_first() {
    let mut h = Harness::new(PoolConfig {
        dedup_window_ms: 100.0,
        ..config(1)
    });
    let a = h.submit(vec![ext("a"), ext("a")]);
    assert_eq!(a[0], a[1]);
    h.end(a[0], AttemptEnd::Passed);
    h.advance(50);
    assert_eq!(
        h.submit(vec![ext("a")]),
        [a[0]],
        "finished, within the window"
    );
    h.advance(50);
    let again = h.submit(vec![ext("a")]);
    assert_ne!(again[0], a[0], "past the window: runs again");
    assert_eq!(h.started.len(), 2);
}

#[test]
fn low_memory_holds_new_starts_while_something_runs() {
    let mut h = Harness::new(PoolConfig {
        min_available_memory_mb: 500.0,
        ..config(4)
    });
    h.s.memory_sample(Some(100.0), &[]);
    h.submit(vec![ext("a"), ext("b"), ext("c")]);
    // Nothing was running: one task may start, no more.
    assert_eq!(h.started_ids(), ["a"]);
    assert!(h
        .events
        .iter()
        .any(|e| matches!(e, Event::MemoryPressure { paused: true, .. })));
    h.s.memory_sample(Some(1000.0), &[]);
    h.collect();
    assert_eq!(h.started_ids(), ["a", "b", "c"]);
}

#[test]
fn workers_scale_up_for_the_queue_and_down_when_idle() {
    let mut h = Harness::new(config(3));
    let hs = h.submit((0..5).map(|i| ext(&format!("t{i}"))).collect());
    assert_eq!(h.started.len(), 3);
    let scaled: Vec<_> = h
        .events
        .iter()
        .filter_map(|e| match e {
            Event::WorkerScaled { from, to, reason } => Some((*from, *to, *reason)),
            _ => None,
        })
        .collect();
    assert_eq!(scaled, [(1, 3, "queue")]);
    for &t in &hs {
        if h.running().contains(&t) {
            h.end(t, AttemptEnd::Passed);
        }
    }
    for &t in &hs {
        if h.running().contains(&t) {
            h.end(t, AttemptEnd::Passed);
        }
    }
    assert!(h.s.is_idle());
    h.advance(999);
    assert_eq!(h.s.stats(h.now).active_workers, 3);
    h.advance(1);
    assert_eq!(h.s.stats(h.now).active_workers, 1);
    assert!(matches!(
        h.events.last(),
        Some(Event::WorkerScaled {
            from: 3,
            to: 1,
            reason: "idle"
        })
    ));
    // Round-robin spread the five tasks over the three workers.
    let workers: Vec<u32> = h.started.iter().map(|d| d.worker).collect();
    assert_eq!(workers, [0, 1, 2, 0, 1]);
    let stats = h.s.stats(h.now);
    assert_eq!(
        stats.workers.iter().map(|w| w.tasks).collect::<Vec<_>>(),
        [2, 2, 1]
    );
    assert_eq!(stats.queue_wait_ms.count, 5);
}

#[test]
fn shutdown_cancels_what_waits_and_refuses_new_work() {
    let mut h = Harness::new(config(1));
    let hs = h.submit(vec![ext("running"), ext("queued")]);
    h.s.shutdown(h.now);
    h.collect();
    assert_eq!(h.result("queued").outcome, Outcome::Cancelled);
    assert_eq!(h.running(), [hs[0]]);
    let e = h.s.submit(vec![Ok(ext("new"))], true, h.now).unwrap_err();
    assert_eq!(e.code(), "ERR_SHARDWRIGHT_ABORTED");
    assert_eq!(h.s.kill_running("the shutdown deadline passed", h.now), 1);
    h.collect();
    assert_eq!(
        h.result("running").reason.as_deref(),
        Some("the shutdown deadline passed")
    );
    assert!(h.s.is_idle());
}

#[test]
fn every_task_of_a_random_dag_ends_exactly_once() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    let mut h = Harness::new(PoolConfig {
        max_failures: 0,
        ..config(8)
    });
    let n = 3000;
    let specs: Vec<TaskSpec> = (0..n)
        .map(|i| {
            let deps: Vec<String> = (0..rng.random_range(0..3usize))
                .filter(|_| i > 0)
                .map(|_| format!("t{}", rng.random_range(0..i)))
                .collect();
            let refs: Vec<&str> = deps.iter().map(|s| s.as_str()).collect();
            ext(&format!("t{i}"))
                .after(&refs)
                .priority(Priority::from_name(Priority::NAMES[i % 4]).unwrap())
                .retries(if i % 7 == 0 { 1 } else { 0 })
                .group(&format!("g{}", i % 50))
        })
        .collect();
    let deps: HashMap<String, Vec<String>> = specs
        .iter()
        .map(|s| (s.id.clone().unwrap(), s.depends_on.clone()))
        .collect();
    h.submit(specs);
    let mut steps = 0;
    while !h.s.is_idle() {
        steps += 1;
        assert!(
            steps < 100_000,
            "stuck: {:?} running {:?}",
            h.s.progress(),
            h.running()
        );
        let running = h.running();
        if running.is_empty() {
            h.advance(10); // retries waiting
            continue;
        }
        for r in running {
            let end = if rng.random_bool(0.05) {
                AttemptEnd::Failed(AttemptError::new("ECONNRESET"))
            } else {
                AttemptEnd::Passed
            };
            h.end(r, end);
        }
    }
    assert_eq!(h.ended.len(), n);
    let mut seen = vec![false; n];
    for r in &h.ended {
        assert!(!seen[r.handle as usize], "{} ended twice", r.id);
        seen[r.handle as usize] = true;
    }
    // Every task started only after each of its dependencies had passed.
    let position: HashMap<String, usize> = h
        .ended
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.to_string(), i))
        .collect();
    for (d, &seen_results) in h.started.iter().zip(&h.started_after) {
        for dep in &deps[&h.id(d.handle)] {
            assert!(
                position[dep] < seen_results,
                "{} started before {dep} ended",
                h.id(d.handle)
            );
            assert_eq!(h.ended[position[dep]].outcome, Outcome::Passed);
        }
    }
    let p = h.s.progress();
    assert_eq!(p.passed + p.failed + p.skipped, n as u64);
    assert!(p.failed > 0 && p.skipped > 0, "{p:?}");
}
