//! The manager with real child processes and a test host.

use super::*;
use crate::backoff::{BackoffPolicy, Jitter};
use crate::pool::task::{Outcome, TaskResult};
use std::collections::HashMap;

struct TestHost(Notify);

impl Host for TestHost {
    fn wake(&self) {
        self.0.notify_one();
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn config(max: u32) -> PoolConfig {
    PoolConfig {
        max_workers: Some(max),
        min_available_memory_mb: 0.0,
        kill_grace_ms: 200.0,
        retry: BackoffPolicy {
            initial_delay_ms: 10.0,
            max_retries: 0,
            jitter: Jitter::None,
            ..BackoffPolicy::DEFAULT
        },
        ..PoolConfig::defaults()
    }
}

fn manager(cfg: PoolConfig) -> (Manager, Arc<TestHost>) {
    let host = Arc::new(TestHost(Notify::new()));
    let m = Manager::new(cfg, host.clone(), tokio::runtime::Handle::current()).unwrap();
    m.listen(EventMask::ALL);
    (m, host)
}

/// Collects results and events until every task has ended.
async fn drain(m: &Manager, host: &TestHost) -> (Vec<TaskResult>, Vec<Event>) {
    let (mut results, mut events) = (Vec::new(), Vec::new());
    loop {
        let out = m.take();
        assert!(out.run.is_empty(), "no host tasks in these tests");
        results.extend(out.ended);
        events.extend(out.events);
        if m.is_idle() {
            let out = m.take();
            results.extend(out.ended);
            events.extend(out.events);
            return (results, events);
        }
        if tokio::time::timeout(Duration::from_secs(60), host.0.notified())
            .await
            .is_err()
        {
            // What was still running, and what the kernel says of it.
            let running: Vec<String> = m
                .shared
                .lock()
                .running_processes()
                .iter()
                .map(|p| {
                    let stat = std::fs::read_to_string(format!("/proc/{}/stat", p.pid));
                    format!("pid {} ({:?})", p.pid, stat.map(|s| s.trim().to_string()))
                })
                .collect();
            panic!(
                "not woken within a minute: {:?}, running {running:?}",
                m.progress()
            );
        }
    }
}

fn node(id: &str, script: &str) -> TaskSpec {
    TaskSpec::process(id, "node", &["-e", script])
}

fn by_id(results: &[TaskResult]) -> HashMap<String, &TaskResult> {
    let map: HashMap<String, &TaskResult> = results.iter().map(|r| (r.id.to_string(), r)).collect();
    assert_eq!(map.len(), results.len(), "a task ended twice");
    map
}

#[test]
fn processes_report_output_exit_codes_and_signals() {
    rt().block_on(async {
        let (m, host) = manager(config(2));
        m.submit(
            vec![
                Ok(node("ok", "console.log('hi', process.env.SHARDWRIGHT_TASK_ID); console.error('warn')")),
                Ok(node("exit3", "console.error('it broke'); process.exit(3)")),
                Ok(node("segv", "process.kill(process.pid, 'SIGSEGV')")),
                Ok(TaskSpec::process("missing", "/no/such/program", &[])),
            ],
            true,
            vec![],
        )
        .unwrap();
        let (results, events) = drain(&m, &host).await;
        let r = by_id(&results);
        assert_eq!(r["ok"].outcome, Outcome::Passed);
        let exit = r["ok"].exit.as_ref().unwrap();
        assert_eq!((exit.exit_code, exit.stdout.as_str(), exit.stderr.as_str()), (Some(0), "hi ok\n", "warn\n"));
        assert_eq!(r["exit3"].outcome, Outcome::Failed);
        assert_eq!(r["exit3"].error.as_ref().unwrap().message, "`node` exited with code 3\nit broke");
        assert_eq!(r["exit3"].error.as_ref().unwrap().code.as_deref(), Some("EXIT_3"));
        assert_eq!(r["segv"].exit.as_ref().unwrap().signal.as_deref(), Some("SIGSEGV"));
        assert_eq!(r["segv"].error.as_ref().unwrap().message, "`node` was killed by signal SIGSEGV");
        assert_eq!(r["missing"].error.as_ref().unwrap().code.as_deref(), Some("ENOENT"));
        // Output arrived as events too, between the task's start and end.
        let pos = |f: &dyn Fn(&Event) -> bool| events.iter().position(f).unwrap();
        let ok = r["ok"].handle;
        let start = pos(&|e| matches!(e, Event::TaskStart { handle, .. } if *handle == ok));
        let out = pos(&|e| matches!(e, Event::Output { handle, chunk, .. } if *handle == ok && chunk == "hi ok\n"));
        let end = pos(&|e| matches!(e, Event::TaskEnd { handle } if *handle == ok));
        assert!(start < out && out < end, "{start} {out} {end}");
    });
}

#[test]
fn a_child_sigkilled_mid_task_is_reported_and_retried() {
    rt().block_on(async {
        let (m, host) = manager(config(1));
        // First attempt: prints its pid and waits to be killed; second passes.
        let script = "if (process.env.SHARDWRIGHT_ATTEMPT === '1') { console.log(process.pid); setTimeout(() => {}, 30000) } else console.log('second')";
        m.submit(vec![Ok(node("victim", script).retries(2))], true, vec![]).unwrap();
        let mut killed = false;
        let mut results = Vec::new();
        let mut events = Vec::new();
        while !m.is_idle() || !killed {
            let out = m.take();
            for e in &out.events {
                if let Event::Output { chunk, attempt: 1, .. } = e {
                    let pid: i32 = chunk.trim().parse().unwrap();
                    // SAFETY: kills the child this test started.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                    killed = true;
                }
            }
            results.extend(out.ended);
            events.extend(out.events);
            if !m.is_idle() {
                tokio::time::timeout(Duration::from_secs(30), host.0.notified()).await.unwrap();
            }
        }
        results.extend(m.take().ended);
        let r = &results[0];
        assert_eq!((r.outcome, r.attempts), (Outcome::Passed, 2));
        assert_eq!(r.history[0].signal.as_deref(), Some("SIGKILL"));
        assert_eq!(r.history[0].rule.as_deref(), Some("worker-crash"));
        assert_eq!(r.exit.as_ref().unwrap().stdout, "second\n");
        assert!(events.iter().any(|e| matches!(e, Event::Retry { attempt: 1, .. })));
    });
}

#[test]
fn a_timeout_kills_the_process_group() {
    rt().block_on(async {
        let (m, host) = manager(config(1));
        let t0 = Instant::now();
        m.submit(
            vec![Ok(TaskSpec::process(
                "sleepy",
                "/bin/sh",
                &["-c", "sleep 30 & sleep 30; wait"],
            )
            .timeout_ms(300.0))],
            true,
            vec![],
        )
        .unwrap();
        let (results, _) = drain(&m, &host).await;
        assert_eq!(results[0].outcome, Outcome::TimedOut);
        assert_eq!(
            results[0].error.as_ref().unwrap().message,
            "task timed out after 300 ms"
        );
        assert!(t0.elapsed() >= Duration::from_millis(300));
        assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
    });
}

#[test]
fn a_process_over_its_memory_limit_is_killed_and_not_retried() {
    rt().block_on(async {
        let (m, host) = manager(PoolConfig {
            memory_sample_ms: 50.0,
            ..config(2)
        });
        // Grows by 20 MB every 20 ms up to 1.5 GB: well over the 150 MB limit.
        let hog = "const keep = []; setInterval(() => { if (keep.length < 75) keep.push(Buffer.alloc(20 << 20, 1)) }, 20)";
        m.submit(
            vec![
                Ok(node("hog", hog).memory_limit_mb(150.0).retries(3).timeout_ms(30_000.0)),
                Ok(node("small", "setTimeout(() => {}, 300)").memory_limit_mb(150.0)),
            ],
            true,
            vec![],
        )
        .unwrap();
        let (results, _) = drain(&m, &host).await;
        let r = by_id(&results);
        assert_eq!(r["hog"].outcome, Outcome::MemoryKilled);
        assert_eq!(r["hog"].attempts, 1);
        assert_eq!(r["hog"].exit.as_ref().unwrap().signal.as_deref(), Some("SIGKILL"));
        let reason = r["hog"].reason.as_deref().unwrap();
        assert!(reason.ends_with("over the memory limit of 150 MB"), "{reason}");
        assert_eq!(r["small"].outcome, Outcome::Passed);
    });
}

/// Waits until every file exists (a child says it is ready), up to a minute.
async fn ready(files: &[&std::path::Path]) {
    let started = Instant::now();
    while !files.iter().all(|f| f.exists()) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not ready in a minute: {files:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[test]
fn graceful_shutdown_waits_then_kills() {
    // Nothing left to the machine's load: both children say when they run
    // (a file each, "stuck" once its SIGTERM handler is on), and "quick" ends
    // when the test tells it to, well within the deadline. What is measured
    // is the manager: it waits the whole deadline for "stuck", lets "quick"
    // end as passed, cancels "queued", and kills "stuck" with SIGKILL.
    let dir = crate::test_dir::TestDir::new("shutdown");
    let (quick_ready, go, stuck_ready) = (dir.join("quick"), dir.join("go"), dir.join("stuck"));
    rt().block_on(async {
        let (m, host) = manager(config(2));
        let quick = format!(
            "const fs = require('fs'); fs.writeFileSync({:?}, ''); \
             setInterval(() => {{ if (fs.existsSync({:?})) {{ console.log('done'); process.exit(0); }} }}, 10)",
            quick_ready.to_string_lossy(),
            go.to_string_lossy()
        );
        let stuck = format!(
            "process.on('SIGTERM', () => {{}}); require('fs').writeFileSync({:?}, ''); setTimeout(() => {{}}, 600000)",
            stuck_ready.to_string_lossy()
        );
        m.submit(
            vec![
                Ok(node("quick", &quick)),
                Ok(node("stuck", &stuck)),
                Ok(node("queued", "")),
            ],
            true,
            vec![],
        )
        .unwrap();
        ready(&[&quick_ready, &stuck_ready]).await;
        let deadline = Duration::from_millis(2000);
        let t0 = Instant::now();
        let tell_quick = async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            std::fs::write(&go, "").unwrap();
        };
        let (report, ()) = tokio::join!(m.shutdown(deadline), tell_quick);
        let waited = t0.elapsed();
        assert_eq!(
            report,
            ShutdownReport {
                drained: false,
                killed: 1,
                cancelled: 1
            }
        );
        assert!(
            waited >= deadline && waited < Duration::from_secs(30),
            "{waited:?}"
        );
        let (results, _) = drain(&m, &host).await;
        let r = by_id(&results);
        assert_eq!(r["quick"].outcome, Outcome::Passed);
        assert_eq!(r["queued"].outcome, Outcome::Cancelled);
        assert_eq!(r["stuck"].outcome, Outcome::Cancelled);
        assert_eq!(
            r["stuck"].reason.as_deref(),
            Some("the shutdown deadline passed")
        );
        assert_eq!(
            r["stuck"].exit.as_ref().unwrap().signal.as_deref(),
            Some("SIGKILL")
        );
        assert!(m.submit(vec![Ok(node("late", ""))], true, vec![]).is_err());
    });
}

#[test]
fn many_short_processes_each_end_once() {
    rt().block_on(async {
        let (m, host) = manager(config(4));
        let specs = (0..300)
            .map(|i| Ok(TaskSpec::process(format!("p{i}"), "/bin/true", &[])))
            .collect();
        m.submit(specs, true, vec![]).unwrap();
        let (results, _) = drain(&m, &host).await;
        assert_eq!(results.len(), 300);
        assert_eq!(by_id(&results).len(), 300);
        assert!(results.iter().all(|r| r.outcome == Outcome::Passed));
        let stats = m.stats();
        assert_eq!(stats.workers.iter().map(|w| w.tasks).sum::<u64>(), 300);
        assert_eq!(stats.queue_wait_ms.count, 300);
    });
}
