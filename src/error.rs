//! The engine's one error type.
//!
//! Every variant carries the context a user needs to fix the problem (the
//! field and the value, the file and the action), and maps to an
//! [`ErrorKind`] whose [`ErrorKind::code`] is the stable `code` that JS
//! callers switch on. Messages are lowercase and say what failed.

use std::path::PathBuf;

/// What class of failure an [`Error`] is. The JS `code` is derived from it, so
/// the set only grows; a kind is never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A bad option, environment variable or CLI argument.
    Config,
    /// A file or process could not be read, written or started.
    Io,
    /// A history or report file exists but cannot be used as it is.
    History,
    /// Sharding inputs that cannot produce a plan.
    Plan,
    /// A task of the worker manager failed or could not be scheduled.
    Task,
    /// The Redis work queue failed.
    Queue,
    /// The caller cancelled the operation.
    Aborted,
    /// A bug in shardwright (a panic caught at the boundary).
    Internal,
    /// A feature this build of shardwright does not have: the WebAssembly
    /// (WASI) build has no child processes, sockets or process readings.
    Unsupported,
    /// A callback or listener of the caller's threw or rejected.
    Callback,
    /// Tests that no Playwright `--test-list` line can select exactly.
    TestList,
}

/// What a kind means to a user: the cause and the fix, for docs/errors.md
/// (generated from these by `docs/update-errors.js`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindDoc {
    /// One line: what went wrong.
    pub summary: &'static str,
    /// The causes, as a user meets them.
    pub cause: &'static str,
    /// What to do.
    pub fix: &'static str,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 11] = [
        ErrorKind::Config,
        ErrorKind::Io,
        ErrorKind::History,
        ErrorKind::Plan,
        ErrorKind::Task,
        ErrorKind::Queue,
        ErrorKind::Aborted,
        ErrorKind::Internal,
        ErrorKind::Unsupported,
        ErrorKind::Callback,
        ErrorKind::TestList,
    ];

    /// The kind's name in the JS table of codes (`config`, `io`, …).
    pub const fn name(self) -> &'static str {
        match self {
            ErrorKind::Config => "config",
            ErrorKind::Io => "io",
            ErrorKind::History => "history",
            ErrorKind::Plan => "plan",
            ErrorKind::Task => "task",
            ErrorKind::Queue => "queue",
            ErrorKind::Aborted => "aborted",
            ErrorKind::Internal => "internal",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Callback => "callback",
            ErrorKind::TestList => "testList",
        }
    }

    /// The kind's cause and fix, for the documentation.
    pub const fn doc(self) -> KindDoc {
        match self {
            ErrorKind::Config => KindDoc {
                summary: "a bad option, environment variable or CLI argument",
                cause: "A value of the wrong type or out of range (`NaN`, a negative count, hex where a decimal number is expected), an unknown or misspelt option, a CLI flag given twice, a pattern that does not compile. The message names the field as you wrote it (`maxRetries`, `retry.maxRetries`, `SHARDWRIGHT_MAX_RETRIES`, `--shards`), the value, and what is expected; for an unknown field, the closest valid one.",
                fix: "Change the value to what the parenthesis of the message asks for, or the field name to the one it suggests. `npx shardwright config` prints every setting with its source.",
            },
            ErrorKind::Io => KindDoc {
                summary: "a file or process could not be read, written or started",
                cause: "The operation, the path and the system's reason are in the message: no permission, a full disk (`ENOSPC`), a missing directory, a path that is not a regular file (a directory, a FIFO, a device such as `/dev/zero`), a file over the size limit shardwright reads, a history lock another process held for over a minute, a command that does not exist.",
                fix: "Fix the path or its permissions, free disk space, or point the option at a regular file. Nothing was half-written: files are written to a temporary file and renamed, and the temporary file is removed on failure.",
            },
            ErrorKind::History => KindDoc {
                summary: "a history file or report exists but cannot be used",
                cause: "The file is truncated, not JSON, of another format or version, or holds a value no writer of shardwright writes (`maxRuns: 0`); or a report given to `import` is not a Playwright JSON report or JUnit XML, or holds an impossible value (a test's `time=\"NaN\"`). The message names the file, the place in it and the problem. Nothing was changed.",
                fix: "Fix or remove the file; or start afresh with `reset: true` (`--reset`, `SHARDWRIGHT_RESET_HISTORY=1`), which keeps the bad file as `<file>.bad-<hash>` and says so on stderr.",
            },
            ErrorKind::Plan => KindDoc {
                summary: "sharding inputs no plan can come from",
                cause: "A group without an id or tests, a test in two groups, a duration that is negative or not a number, weights that do not match the shard count.",
                fix: "Correct the group or option the message names.",
            },
            ErrorKind::Task => KindDoc {
                summary: "a task failed or could not be scheduled",
                cause: "A WorkerManager task (or the function given to `retry()`) failed with a value that is not an Error — `throw null`, a Proxy, a null-prototype object: the error's `cause` is that value — or a task depends on an unknown task or on itself through a cycle.",
                fix: "Throw Error objects from tasks; fix the dependency the message names.",
            },
            ErrorKind::Queue => KindDoc {
                summary: "the work queue of `shardwright run` failed",
                cause: "Redis could not be reached or answered with an error, the run id is not on the server, or a lease was lost.",
                fix: "Check the Redis URL (the password is never printed), the network, and that every machine uses the same run id.",
            },
            ErrorKind::Aborted => KindDoc {
                summary: "the caller cancelled the operation",
                cause: "An AbortSignal you passed was aborted (its reason is the error's `cause`), or the worker manager was shut down.",
                fix: "Nothing to fix: handle it as a cancellation.",
            },
            ErrorKind::Internal => KindDoc {
                summary: "a bug in shardwright",
                cause: "A panic in the engine, caught at the boundary so that the process lives on.",
                fix: "Please report it with the message (and the output of `SHARDWRIGHT_LOG=debug`).",
            },
            ErrorKind::Unsupported => KindDoc {
                summary: "a feature this build of shardwright does not have",
                cause: "The WebAssembly (WASI) build, installed where no native binary exists for the platform, has no child processes, sockets or process readings: process tasks of the WorkerManager, queue mode on Redis and `resourceSnapshot()` are not available in it.",
                fix: "Use a platform with a prebuilt binary (see the README's Install section), or build the native addon from source with Rust.",
            },
            ErrorKind::Callback => KindDoc {
                summary: "a callback or listener of yours threw or rejected",
                cause: "A WorkerManager listener (`taskEnd`, …), `retry()`'s `onRetry`, a `flakyReport()` callback or a flaky-events listener threw, or returned a promise that rejected. The error's `cause` is what it threw. shardwright went on: a WorkerManager emits it as an `error` event (a process warning when nothing listens to `error`), `retry()` as a process warning, `flakyReport()` rejects with it once every callback has run.",
                fix: "Handle errors inside the callback.",
            },
            ErrorKind::TestList => KindDoc {
                summary: "tests that no Playwright `--test-list` line can select exactly",
                cause: "`shardwright failed` writes one `--test-list` line per test to rerun. Playwright splits each line on `›`, trims every part, skips lines starting with `#` and selects every test whose title path starts with the line's: a title holding `›` or a line break, starting or ending with a space, or empty; a file that looks like a `:line` location; or a test titled like the describe block of another test that is not to be rerun cannot be written so that exactly that test runs. The message names every such test and why.",
                fix: "Rename the test or describe block the message names (or rerun with `--grep`). shardwright never leaves a test out of the list silently.",
            },
        }
    }

    /// The stable code exposed to JS as `error.code`.
    pub const fn code(self) -> &'static str {
        match self {
            ErrorKind::Config => "ERR_SHARDWRIGHT_CONFIG",
            ErrorKind::Io => "ERR_SHARDWRIGHT_IO",
            ErrorKind::History => "ERR_SHARDWRIGHT_HISTORY",
            ErrorKind::Plan => "ERR_SHARDWRIGHT_PLAN",
            ErrorKind::Task => "ERR_SHARDWRIGHT_TASK",
            ErrorKind::Queue => "ERR_SHARDWRIGHT_QUEUE",
            ErrorKind::Aborted => "ERR_SHARDWRIGHT_ABORTED",
            ErrorKind::Internal => "ERR_SHARDWRIGHT_INTERNAL",
            ErrorKind::Unsupported => "ERR_SHARDWRIGHT_UNSUPPORTED",
            ErrorKind::Callback => "ERR_SHARDWRIGHT_CALLBACK",
            ErrorKind::TestList => "ERR_SHARDWRIGHT_TESTLIST",
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value that does not satisfy its field's rule. `field` is the name the
    /// user wrote: an option (`maxRetries`), an environment variable
    /// (`SHARDWRIGHT_MAX_RETRIES`) or a CLI flag (`--shards`).
    #[error("invalid {field}: {value} ({expected})")]
    InvalidValue {
        field: String,
        value: String,
        expected: String,
    },

    #[error("failed to {action} `{}`: {}", path.display(), io_reason(source))]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A path that must be a regular file and is something else (a
    /// directory, a FIFO, a device): never opened for reading, so a FIFO
    /// cannot block and `/dev/zero` cannot be read for ever.
    #[error("failed to {action} `{}`: it is {what}, not a regular file", path.display())]
    NotAFile {
        action: &'static str,
        path: PathBuf,
        what: &'static str,
    },

    /// A file larger than shardwright reads.
    #[error("failed to {action} `{}`: it is larger than {} ({}), the most shardwright reads", path.display(), bytes_text(*limit), limit_hint)]
    TooLarge {
        action: &'static str,
        path: PathBuf,
        limit: u64,
        limit_hint: &'static str,
    },

    /// A history or report file that exists but cannot be used.
    #[error("history file `{}` is unusable: {problem}{}", path.display(), backup_note(backup))]
    History {
        path: PathBuf,
        problem: String,
        backup: Option<PathBuf>,
    },

    /// A report given to `import` that cannot be read as a run.
    #[error("report `{}` cannot be imported: {problem}", path.display())]
    Report { path: PathBuf, problem: String },

    #[error("failed to plan shards: {0}")]
    Plan(String),

    /// Tests that no `--test-list` line selects exactly (the message names
    /// each and why).
    #[error("{0}")]
    TestList(String),

    #[error("task `{id}` failed: {reason}")]
    Task { id: String, reason: String },

    /// A task the worker manager cannot schedule: an unknown dependency, a
    /// dependency cycle.
    #[error("task `{id}` cannot be scheduled: {reason}")]
    TaskGraph { id: String, reason: String },

    #[error("queue `{target}`: {reason}")]
    Queue { target: String, reason: String },

    #[error("{0} was aborted")]
    Aborted(String),

    #[error("internal error (a bug in shardwright, please report it): {0}")]
    Internal(String),

    /// `feature` (what the user called) is missing from this build.
    #[error("{feature} is not available on {platform}: {reason}")]
    Unsupported {
        feature: String,
        platform: &'static str,
        reason: &'static str,
    },
}

/// The system's reason, with the errno name users search for in place of
/// the number: "No space left on device (ENOSPC)".
fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    #[cfg(unix)]
    if let Some(n) = e.raw_os_error() {
        let name = match n {
            libc::ENOSPC => "ENOSPC",
            libc::EACCES => "EACCES",
            libc::EPERM => "EPERM",
            libc::EROFS => "EROFS",
            libc::EFBIG => "EFBIG",
            libc::EDQUOT => "EDQUOT",
            libc::EMFILE => "EMFILE",
            libc::ENFILE => "ENFILE",
            libc::EIO => "EIO",
            libc::ENOENT => "ENOENT",
            libc::ENOTDIR => "ENOTDIR",
            libc::EISDIR => "EISDIR",
            libc::ELOOP => "ELOOP",
            libc::ENAMETOOLONG => "ENAMETOOLONG",
            _ => return text,
        };
        if let Some(stripped) = text.strip_suffix(&format!(" (os error {n})")) {
            return format!("{stripped} ({name})");
        }
    }
    text
}

fn bytes_text(n: u64) -> String {
    const GIB: u64 = 1 << 30;
    const MIB: u64 = 1 << 20;
    if n >= GIB && n % GIB == 0 {
        format!("{} GiB", n / GIB)
    } else if n >= MIB && n % MIB == 0 {
        format!("{} MiB", n / MIB)
    } else {
        format!("{n} bytes")
    }
}

fn backup_note(backup: &Option<PathBuf>) -> String {
    match backup {
        Some(path) => format!(" (the file was kept as `{}`)", path.display()),
        None => String::new(),
    }
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidValue { .. } => ErrorKind::Config,
            Error::Io { .. } | Error::NotAFile { .. } | Error::TooLarge { .. } => ErrorKind::Io,
            Error::History { .. } | Error::Report { .. } => ErrorKind::History,
            Error::Plan(_) => ErrorKind::Plan,
            Error::TestList(_) => ErrorKind::TestList,
            Error::Task { .. } | Error::TaskGraph { .. } => ErrorKind::Task,
            Error::Queue { .. } => ErrorKind::Queue,
            Error::Aborted(_) => ErrorKind::Aborted,
            Error::Internal(_) => ErrorKind::Internal,
            Error::Unsupported { .. } => ErrorKind::Unsupported,
        }
    }

    pub fn code(&self) -> &'static str {
        self.kind().code()
    }

    /// A bad value for `field`. `value` is shown as the user wrote it, quoted
    /// when it is text so that an empty string or a stray space is visible.
    pub fn invalid(
        field: impl Into<String>,
        value: impl std::fmt::Display,
        expected: impl Into<String>,
    ) -> Self {
        Error::InvalidValue {
            field: field.into(),
            value: value.to_string(),
            expected: expected.into(),
        }
    }

    /// `feature` (what the user called, e.g. "queue mode on Redis
    /// (`WorkQueue.connect`)") cannot work in this build. Only the WebAssembly
    /// build, which has no child processes, sockets or /proc, raises it.
    #[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
    pub fn unsupported(feature: impl Into<String>) -> Self {
        Error::Unsupported {
            feature: feature.into(),
            platform: "the WebAssembly build of shardwright (wasm32-wasip1-threads, \
                       loaded because no prebuilt binary fits this machine)",
            reason: "WASI gives it no child processes, network sockets or process \
                     readings; install shardwright where a prebuilt binary exists \
                     (README › Install) or build it from source with Rust",
        }
    }

    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A number as a user would write it in an error: `1e99` rather than a 1
/// followed by 99 zeros, `NaN`, `-5`, `0.5`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Num(pub f64);

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0;
        if n.is_finite() && n != 0.0 && (n.abs() >= 1e15 || n.abs() < 1e-6) {
            write!(f, "{n:e}")
        } else {
            write!(f, "{n}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        assert_eq!(
            Error::invalid("maxRetries", -1, "a whole number ≥ 0").code(),
            "ERR_SHARDWRIGHT_CONFIG"
        );
        assert_eq!(
            Error::Aborted("retry".into()).code(),
            "ERR_SHARDWRIGHT_ABORTED"
        );
        assert_eq!(
            Error::unsupported("x").code(),
            "ERR_SHARDWRIGHT_UNSUPPORTED"
        );
    }

    #[test]
    fn unsupported_names_the_feature_and_the_platform() {
        let e = Error::unsupported("queue mode on Redis (`WorkQueue.connect`)");
        let text = e.to_string();
        assert!(
            text.starts_with("queue mode on Redis (`WorkQueue.connect`) is not available on the WebAssembly build of shardwright (wasm32-wasip1-threads,"),
            "{text}"
        );
        assert!(
            text.contains("no child processes, network sockets"),
            "{text}"
        );
    }

    #[test]
    fn messages_name_field_value_and_path() {
        let e = Error::invalid("maxRetries", -1, "a whole number ≥ 0");
        assert_eq!(e.to_string(), "invalid maxRetries: -1 (a whole number ≥ 0)");
        let e = Error::io(
            "read",
            "/x/h.json",
            std::io::Error::from(std::io::ErrorKind::NotFound),
        );
        assert_eq!(
            e.to_string(),
            "failed to read `/x/h.json`: entity not found"
        );
        let e = Error::History {
            path: "h.json".into(),
            problem: "truncated JSON at byte 12".into(),
            backup: Some("h.json.bad".into()),
        };
        assert!(e.to_string().contains("kept as `h.json.bad`"), "{e}");
    }
}
