//! Running one attempt of a process task: a child in its own process group,
//! stdout and stderr captured (and streamed as they arrive), ended by its
//! exit or by a kill of the whole group (timeout, cancel, memory limit,
//! shutdown deadline).
//!
//! On Windows, which has no signals or process groups, `taskkill /T` ends the
//! child's process tree instead. The WebAssembly (WASI) build has no child
//! processes at all: process tasks are refused when submitted
//! (`ERR_SHARDWRIGHT_UNSUPPORTED`, see `task.rs`), and [`run`] never starts one.
#![cfg_attr(target_family = "wasm", allow(dead_code, unused_imports))]

#[cfg(unix)]
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio_util::sync::CancellationToken;

use super::events::Stream;
use super::task::{ExitInfo, ProcessSpec};

/// Why the pool ended an attempt itself.
#[derive(Debug, Clone, PartialEq)]
pub enum KillReason {
    Timeout {
        after_ms: f64,
    },
    Memory {
        rss_mb: f64,
        limit_mb: f64,
    },
    Cancel(String),
    /// Shutdown's deadline passed: no grace.
    Deadline(String),
}

impl KillReason {
    /// Whether the group first gets SIGTERM and the grace period. A process
    /// over its memory limit or past the shutdown deadline gets SIGKILL at once.
    fn graceful(&self) -> bool {
        matches!(self, KillReason::Timeout { .. } | KillReason::Cancel(_))
    }
}

/// Shared between the scheduler (which decides to kill) and the runner
/// (which does it).
#[derive(Debug, Default)]
pub struct AttemptControl {
    token: CancellationToken,
    reason: Mutex<Option<KillReason>>,
    pid: AtomicU32,
}

impl AttemptControl {
    /// Asks the runner to kill the attempt; the first reason wins.
    pub fn kill(&self, reason: KillReason) {
        {
            let mut r = self.reason.lock().unwrap_or_else(|e| e.into_inner());
            if r.is_none() {
                *r = Some(reason);
            }
        }
        self.token.cancel();
    }

    pub fn reason(&self) -> Option<KillReason> {
        self.reason
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The child's pid (and process group id), 0 before it started.
    pub fn pid(&self) -> u32 {
        self.pid.load(Ordering::Acquire)
    }
}

/// How an attempt ended.
#[derive(Debug)]
pub struct ProcessExit {
    /// The child could not be started.
    pub spawn_error: Option<std::io::Error>,
    pub info: ExitInfo,
    pub killed: Option<KillReason>,
}

#[cfg(unix)]
use libc::{SIGKILL, SIGTERM};
// Only compared in `signal_group` off Unix: no signal is sent with them there.
#[cfg(not(unix))]
const SIGTERM: i32 = 15;
#[cfg(not(unix))]
const SIGKILL: i32 = 9;

/// The name of a signal number (`SIGKILL`), or `signal N`.
#[cfg(unix)]
pub fn signal_name(sig: i32) -> String {
    let name = match sig {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        _ => return format!("signal {sig}"),
    };
    name.to_string()
}

/// Sends `sig` to every process of the group `pgid`. A group already gone
/// (ESRCH) is fine.
#[cfg(unix)]
fn signal_group(pgid: u32, sig: i32) {
    if pgid == 0 {
        return;
    }
    // SAFETY: kill(2) with a negative pid signals a process group; it has no
    // memory effects.
    let rc = unsafe { libc::kill(-(pgid as i32), sig) };
    if rc != 0 {
        tracing::trace!(
            pgid,
            sig,
            "signal to the process group: {}",
            std::io::Error::last_os_error()
        );
    }
}

/// Ends the process tree of `pid` on Windows: `taskkill /T` asks politely
/// for SIGTERM (console programs rarely listen, so the grace period ends with
/// the forced `/F`), `/T /F` forces it for SIGKILL. A tree already gone is fine.
#[cfg(windows)]
fn signal_group(pid: u32, sig: i32) {
    if pid == 0 {
        return;
    }
    let mut cmd = std::process::Command::new("taskkill");
    cmd.args(["/PID", &pid.to_string(), "/T"]);
    if sig == SIGKILL {
        cmd.arg("/F");
    }
    let spawned = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    if let Err(e) = spawned {
        tracing::trace!(pid, sig, "taskkill: {e}");
    }
}

/// No processes in the WebAssembly build (see the module docs).
#[cfg(target_family = "wasm")]
fn signal_group(_pid: u32, _sig: i32) {}

/// Keeps the last `max` bytes of a stream.
struct Capture {
    buf: Vec<u8>,
    max: usize,
    truncated: bool,
}

impl Capture {
    fn new(max: usize) -> Self {
        Capture {
            buf: Vec::new(),
            max,
            truncated: false,
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        // Trim in steps, not on every read.
        if self.buf.len() > self.max.saturating_mul(2).max(64 << 10) {
            self.trim();
        }
    }

    fn trim(&mut self) {
        if self.buf.len() > self.max {
            let cut = self.buf.len() - self.max;
            self.buf.drain(..cut);
            self.truncated = true;
        }
    }

    fn finish(mut self) -> (String, bool) {
        self.trim();
        (
            String::from_utf8_lossy(&self.buf).into_owned(),
            self.truncated,
        )
    }
}

/// Turns a byte stream into text chunks without splitting a UTF-8 character
/// between two chunks.
#[derive(Default)]
struct Utf8Chunks {
    pending: Vec<u8>,
}

impl Utf8Chunks {
    fn feed(&mut self, bytes: &[u8]) -> Option<String> {
        self.pending.extend_from_slice(bytes);
        let valid = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            // An incomplete character at the end: keep it for the next read.
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            // Invalid bytes: pass everything on, replaced.
            Err(_) => self.pending.len(),
        };
        if valid == 0 {
            return None;
        }
        let rest = self.pending.split_off(valid);
        let text = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending = rest;
        Some(text)
    }

    fn flush(&mut self) -> Option<String> {
        (!self.pending.is_empty())
            .then(|| String::from_utf8_lossy(&std::mem::take(&mut self.pending)).into_owned())
    }
}

/// Reads a stream to its end (or until `deadline` resolves), capturing it and
/// passing text chunks to `on_chunk`.
async fn read_stream<R: AsyncRead + Unpin>(
    mut reader: R,
    stream: Stream,
    max: usize,
    deadline: impl std::future::Future<Output = ()>,
    on_chunk: &(dyn Fn(Stream, String) + Send + Sync),
) -> (String, bool) {
    let mut capture = Capture::new(max);
    let mut chunks = Utf8Chunks::default();
    let mut buf = vec![0u8; 16 << 10];
    tokio::pin!(deadline);
    loop {
        let n = tokio::select! {
            biased;
            r = reader.read(&mut buf) => match r {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            },
            _ = &mut deadline => break,
        };
        capture.push(&buf[..n]);
        if let Some(text) = chunks.feed(&buf[..n]) {
            on_chunk(stream, text);
        }
    }
    if let Some(text) = chunks.flush() {
        on_chunk(stream, text);
    }
    capture.finish()
}

/// How long the pipes may stay open after the group was killed: a process
/// that left the group (setsid) and kept them cannot hold the task forever.
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(500);

/// Runs one attempt of `spec` to its end.
pub async fn run(
    spec: &ProcessSpec,
    extra_env: &[(&str, String)],
    control: &AttemptControl,
    kill_grace: Duration,
    max_output: usize,
    on_chunk: &(dyn Fn(Stream, String) + Send + Sync),
) -> ProcessExit {
    #[cfg(target_family = "wasm")]
    {
        let _ = (spec, extra_env, control, kill_grace, max_output, on_chunk);
        return ProcessExit {
            spawn_error: Some(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "the WebAssembly build of shardwright cannot start processes",
            )),
            info: ExitInfo::default(),
            killed: None,
        };
    }
    #[cfg(not(target_family = "wasm"))]
    run_native(spec, extra_env, control, kill_grace, max_output, on_chunk).await
}

#[cfg(not(target_family = "wasm"))]
async fn run_native(
    spec: &ProcessSpec,
    extra_env: &[(&str, String)],
    control: &AttemptControl,
    kill_grace: Duration,
    max_output: usize,
    on_chunk: &(dyn Fn(Stream, String) + Send + Sync),
) -> ProcessExit {
    let mut cmd = tokio::process::Command::new(&spec.command);
    cmd.args(&spec.args)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .envs(extra_env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // Its own group, so a kill reaches its children (browsers, workers).
    #[cfg(unix)]
    cmd.process_group(0);
    if let Some(cwd) = &spec.cwd {
        cmd.current_dir(cwd);
    }
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            return ProcessExit {
                spawn_error: Some(e),
                info: ExitInfo::default(),
                killed: None,
            }
        }
    };
    let pid = child.id().unwrap_or(0);
    control.pid.store(pid, Ordering::Release);
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let exited = CancellationToken::new();
    let drain_deadline = || {
        let exited = exited.clone();
        async move {
            exited.cancelled().await;
            tokio::time::sleep(DRAIN_AFTER_EXIT).await;
        }
    };

    let wait = async {
        let finished = tokio::select! {
            biased;
            status = child.wait() => Some(status),
            _ = control.token.cancelled() => None,
        };
        let status = match finished {
            Some(status) => status,
            None => {
                let graceful = control.reason().is_none_or(|r| r.graceful());
                if graceful && !kill_grace.is_zero() {
                    signal_group(pid, SIGTERM);
                    match tokio::time::timeout(kill_grace, child.wait()).await {
                        Ok(status) => status,
                        Err(_) => {
                            signal_group(pid, SIGKILL);
                            child.wait().await
                        }
                    }
                } else {
                    signal_group(pid, SIGKILL);
                    child.wait().await
                }
            }
        };
        // What is left of the group (grandchildren) ends with the task.
        signal_group(pid, SIGKILL);
        exited.cancel();
        status
    };
    let read = |r: Option<_>, stream| {
        let deadline = drain_deadline();
        async move {
            match r {
                Some(r) => read_stream(r, stream, max_output, deadline, on_chunk).await,
                None => (String::new(), false),
            }
        }
    };
    let (status, (out, out_cut), (err, err_cut)) = tokio::join!(
        wait,
        read(
            stdout.map(|s| Box::new(s) as Box<dyn AsyncRead + Unpin + Send>),
            Stream::Stdout
        ),
        read(
            stderr.map(|s| Box::new(s) as Box<dyn AsyncRead + Unpin + Send>),
            Stream::Stderr
        ),
    );
    let (exit_code, signal) = match &status {
        #[cfg(unix)]
        Ok(s) => (s.code(), s.signal().map(signal_name)),
        #[cfg(not(unix))]
        Ok(s) => (s.code(), None),
        Err(_) => (None, None),
    };
    ProcessExit {
        spawn_error: status.err(),
        info: ExitInfo {
            exit_code,
            signal,
            stdout: out,
            stderr: err,
            output_truncated: out_cut || err_cut,
        },
        killed: control.reason(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn sh(script: &str) -> ProcessSpec {
        ProcessSpec {
            command: "/bin/sh".into(),
            args: vec!["-c".into(), script.into()],
            ..ProcessSpec::default()
        }
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn captures_output_exit_code_env_and_cwd() {
        rt().block_on(async {
            let chunks = Mutex::new(Vec::new());
            let spec = ProcessSpec {
                env: vec![("GREETING".into(), "héllo".into())],
                cwd: Some("/tmp".into()),
                ..sh("echo $GREETING $SHARDWRIGHT_TASK_ID; pwd; echo oops >&2; exit 3")
            };
            let exit = run(
                &spec,
                &[("SHARDWRIGHT_TASK_ID", "t1".into())],
                &AttemptControl::default(),
                Duration::from_millis(100),
                1 << 20,
                &|s, c| chunks.lock().unwrap().push((s, c)),
            )
            .await;
            assert!(exit.spawn_error.is_none());
            assert_eq!(exit.info.exit_code, Some(3));
            assert_eq!(exit.info.signal, None);
            assert_eq!(exit.info.stdout, "héllo t1\n/tmp\n");
            assert_eq!(exit.info.stderr, "oops\n");
            let chunks = chunks.into_inner().unwrap();
            let out: String = chunks
                .iter()
                .filter(|(s, _)| *s == Stream::Stdout)
                .map(|(_, c)| c.as_str())
                .collect();
            assert_eq!(out, "héllo t1\n/tmp\n");
        });
    }

    #[test]
    fn a_kill_reaches_the_whole_group() {
        rt().block_on(async {
            // The shell starts a grandchild that would outlive a kill of the
            // shell alone; it writes its pid so the test can check it is gone.
            let dir = crate::test_dir::TestDir::new("pool");
            let pidfile = dir.join("grandchild.pid");
            let spec = sh(&format!("sleep 30 & echo $! > {}; wait", pidfile.display()));
            let control = Arc::new(AttemptControl::default());
            let c2 = control.clone();
            let pf = pidfile.clone();
            tokio::spawn(async move {
                while !pf.exists() || std::fs::read_to_string(&pf).unwrap().trim().is_empty() {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                c2.kill(KillReason::Timeout { after_ms: 1.0 });
            });
            let t0 = std::time::Instant::now();
            let exit = run(
                &spec,
                &[],
                &control,
                Duration::from_millis(200),
                1024,
                &|_, _| {},
            )
            .await;
            assert_eq!(exit.killed, Some(KillReason::Timeout { after_ms: 1.0 }));
            // SIGTERM reached the shell (the group's leader).
            assert_eq!(exit.info.signal.as_deref(), Some("SIGTERM"));
            assert!(t0.elapsed() < Duration::from_secs(10));
            let grandchild: i32 = std::fs::read_to_string(&pidfile)
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            // Gone, or a zombie waiting for a reaper (containers whose init
            // does not reap): either way it no longer runs. A signal is
            // delivered when its target next runs: on a busy machine (or
            // under qemu-user) the SIGKILLed grandchild may still show as
            // running for a moment, so it gets up to 5 s to end.
            let state_of = || {
                std::fs::read_to_string(format!("/proc/{grandchild}/stat"))
                    .ok()
                    .and_then(|s| s.rsplit(')').next().map(|r| r.trim().chars().next()))
                    .flatten()
            };
            let mut state = state_of();
            let waited = std::time::Instant::now();
            while !matches!(state, None | Some('Z')) && waited.elapsed() < Duration::from_secs(5) {
                tokio::time::sleep(Duration::from_millis(20)).await;
                state = state_of();
            }
            assert!(
                matches!(state, None | Some('Z')),
                "grandchild {grandchild} survived: {state:?}"
            );
        });
    }

    #[test]
    fn memory_kills_skip_the_grace_period() {
        rt().block_on(async {
            // Ignores SIGTERM: only SIGKILL ends it.
            let spec = sh("trap '' TERM; sleep 30");
            let control = Arc::new(AttemptControl::default());
            let c2 = control.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                c2.kill(KillReason::Memory {
                    rss_mb: 10.0,
                    limit_mb: 5.0,
                });
            });
            let t0 = std::time::Instant::now();
            let exit = run(
                &spec,
                &[],
                &control,
                Duration::from_secs(20),
                1024,
                &|_, _| {},
            )
            .await;
            assert_eq!(exit.info.signal.as_deref(), Some("SIGKILL"));
            assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
        });
    }

    #[test]
    fn a_missing_program_is_a_spawn_error() {
        rt().block_on(async {
            let spec = ProcessSpec {
                command: "/nonexistent/prog".into(),
                ..ProcessSpec::default()
            };
            let exit = run(
                &spec,
                &[],
                &AttemptControl::default(),
                Duration::ZERO,
                1024,
                &|_, _| {},
            )
            .await;
            assert_eq!(
                exit.spawn_error.unwrap().kind(),
                std::io::ErrorKind::NotFound
            );
        });
    }

    #[test]
    fn output_keeps_the_tail_and_chunks_keep_characters_whole() {
        let mut c = Capture::new(4);
        c.push(b"abcdefgh");
        assert_eq!(c.finish(), ("efgh".to_string(), true));
        let mut u = Utf8Chunks::default();
        let bytes = "é".as_bytes();
        assert_eq!(u.feed(&[b'a', bytes[0]]), Some("a".into()));
        assert_eq!(u.feed(&bytes[1..]), Some("é".into()));
        assert_eq!(u.flush(), None);
        assert_eq!(signal_name(9), "SIGKILL");
        assert_eq!(signal_name(64), "signal 64");
    }
}
