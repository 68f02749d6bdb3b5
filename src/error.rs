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
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 9] = [
        ErrorKind::Config,
        ErrorKind::Io,
        ErrorKind::History,
        ErrorKind::Plan,
        ErrorKind::Task,
        ErrorKind::Queue,
        ErrorKind::Aborted,
        ErrorKind::Internal,
        ErrorKind::Unsupported,
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

    #[error("failed to {action} `{}`: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
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
            Error::Io { .. } => ErrorKind::Io,
            Error::History { .. } | Error::Report { .. } => ErrorKind::History,
            Error::Plan(_) => ErrorKind::Plan,
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
