//! What a task is (its spec, read and checked from JSON) and how it ended
//! (its outcome and result).
//!
//! A task is either *external* — run by the host, which for the Node addon is
//! a JS async function called on the JS thread — or a child *process* the pool
//! starts itself.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;

use crate::config;
use crate::error::{Error, Result};
use crate::retry::AttemptError;

/// Task priority. The queue serves `critical` first; within a level, tasks
/// start in the order they were submitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Priority {
    Critical,
    High,
    #[default]
    Normal,
    Low,
}

impl Priority {
    pub const NAMES: [&'static str; 4] = ["critical", "high", "normal", "low"];

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    pub fn from_name(name: &str) -> Option<Priority> {
        match name {
            "critical" => Some(Priority::Critical),
            "high" => Some(Priority::High),
            "normal" => Some(Priority::Normal),
            "low" => Some(Priority::Low),
            _ => None,
        }
    }
}

/// A child process: what to start, where, with which environment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProcessSpec {
    pub command: String,
    pub args: Vec<String>,
    /// Added to (and overriding) the pool's own environment.
    pub env: Vec<(String, String)>,
    pub cwd: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TaskKind {
    /// Run by the host (a JS function); the pool tells the host when to start
    /// it and the host reports how it ended.
    External,
    Process(Arc<ProcessSpec>),
}

/// One task as submitted. `None` fields take the pool's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSpec {
    /// Defaults to `task-<n>`, `n` being the task's submission number.
    pub id: Option<String>,
    pub priority: Priority,
    /// Ids of tasks that must pass before this one starts.
    pub depends_on: Vec<String>,
    /// Tasks of one serial group never run at the same time.
    pub group: Option<String>,
    pub timeout_ms: Option<f64>,
    pub retries: Option<u32>,
    /// Process tasks: the largest resident memory of the process tree.
    pub memory_limit_mb: Option<f64>,
    pub kind: TaskKind,
}

impl TaskSpec {
    pub fn external(id: impl Into<String>) -> Self {
        TaskSpec {
            id: Some(id.into()),
            priority: Priority::Normal,
            depends_on: Vec::new(),
            group: None,
            timeout_ms: None,
            retries: None,
            memory_limit_mb: None,
            kind: TaskKind::External,
        }
    }

    pub fn process(id: impl Into<String>, command: &str, args: &[&str]) -> Self {
        TaskSpec {
            kind: TaskKind::Process(Arc::new(ProcessSpec {
                command: command.into(),
                args: args.iter().map(|a| a.to_string()).collect(),
                ..ProcessSpec::default()
            })),
            ..TaskSpec::external(id)
        }
    }

    pub fn priority(mut self, p: Priority) -> Self {
        self.priority = p;
        self
    }

    pub fn after(mut self, ids: &[&str]) -> Self {
        self.depends_on = ids.iter().map(|s| s.to_string()).collect();
        self
    }

    pub fn group(mut self, g: &str) -> Self {
        self.group = Some(g.into());
        self
    }

    pub fn timeout_ms(mut self, ms: f64) -> Self {
        self.timeout_ms = Some(ms);
        self
    }

    pub fn retries(mut self, n: u32) -> Self {
        self.retries = Some(n);
        self
    }

    pub fn memory_limit_mb(mut self, mb: f64) -> Self {
        self.memory_limit_mb = Some(mb);
        self
    }

    /// Reads one task from JSON. `prefix` goes before each field name in
    /// errors (`tasks[3].` for the fourth task of a batch, empty for a single
    /// submission). `has_fn` says the host holds a function for this task
    /// (functions do not cross as JSON).
    pub fn from_json(value: &Value, prefix: &str, has_fn: bool) -> Result<TaskSpec> {
        let Value::Object(map) = value else {
            let name = prefix.strip_suffix('.').unwrap_or("task");
            return Err(Error::invalid(
                if name.is_empty() { "task" } else { name },
                config::show(value),
                "an object with `fn` or `command`",
            ));
        };
        for key in map.keys() {
            if !KNOWN_FIELDS.contains(&key.as_str()) {
                return Err(with_field_prefix(
                    Error::invalid(
                        key.as_str(),
                        config::show(&map[key]),
                        format!("not a task field (known: {})", KNOWN_FIELDS.join(", ")),
                    ),
                    prefix,
                ));
            }
        }
        // Field names get their prefix only on error: reading stays free of
        // allocations for the names.
        Self::read(&|name| map.get(name), has_fn).map_err(|e| with_field_prefix(e, prefix))
    }

    /// The fast path for a batch: a task deserialised straight into
    /// [`RawTask`] (no map per task). Errors name fields without a prefix.
    pub fn from_raw(raw: &RawTask, has_fn: bool) -> Result<TaskSpec> {
        Self::read(&|name| raw.get(name), has_fn)
    }

    fn read<'v>(get: &dyn Fn(&str) -> Option<&'v Value>, has_fn: bool) -> Result<TaskSpec> {
        let field = |name: &str| name.to_string();
        let id = match get("id") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(other) => {
                return Err(Error::invalid(
                    field("id"),
                    config::show(other),
                    "a non-empty string",
                ))
            }
        };
        let priority = config::choice("priority", get("priority"), &Priority::NAMES)?
            .and_then(Priority::from_name)
            .unwrap_or_default();
        let depends_on = string_list("dependsOn", get("dependsOn"))?;
        let group = match get("group") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(other) => {
                return Err(Error::invalid(
                    field("group"),
                    config::show(other),
                    "a non-empty string",
                ))
            }
        };
        let timeout_ms = positive_ms("timeoutMs", get("timeoutMs"))?;
        let retries = config::whole(
            "retries",
            get("retries"),
            0,
            crate::backoff::MAX_RETRIES_LIMIT as u64,
        )?
        .map(|n| n as u32);
        let memory_limit_mb = match config::number("memoryLimitMb", get("memoryLimitMb"))? {
            Some(mb) if mb <= 0.0 => {
                return Err(Error::invalid(
                    field("memoryLimitMb"),
                    mb,
                    "a number of megabytes > 0",
                ))
            }
            other => other,
        };
        let kind = kind(get, has_fn)?;
        if memory_limit_mb.is_some() && kind == TaskKind::External {
            return Err(Error::invalid(
                field("memoryLimitMb"),
                memory_limit_mb.unwrap_or_default(),
                "only for process tasks (`command`): a JS function's memory is the host's",
            ));
        }
        Ok(TaskSpec {
            id,
            priority,
            depends_on,
            group,
            timeout_ms,
            retries,
            memory_limit_mb,
            kind,
        })
    }
}

/// The fields a task object may have. `meta` is the caller's own data: the
/// engine ignores it.
const KNOWN_FIELDS: [&str; 13] = [
    "id",
    "fn",
    "command",
    "args",
    "env",
    "cwd",
    "priority",
    "dependsOn",
    "group",
    "timeoutMs",
    "retries",
    "memoryLimitMb",
    "meta",
];

/// A task object with only known fields, deserialised without building a
/// map. Anything else (an unknown field, a task that is not an object) fails
/// here and is read again by [`TaskSpec::from_json`] for a precise error.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTask {
    id: Option<Value>,
    #[serde(rename = "fn")]
    func: Option<Value>,
    command: Option<Value>,
    args: Option<Value>,
    env: Option<Value>,
    cwd: Option<Value>,
    priority: Option<Value>,
    #[serde(rename = "dependsOn")]
    depends_on: Option<Value>,
    group: Option<Value>,
    #[serde(rename = "timeoutMs")]
    timeout_ms: Option<Value>,
    retries: Option<Value>,
    #[serde(rename = "memoryLimitMb")]
    memory_limit_mb: Option<Value>,
    #[allow(dead_code)]
    meta: Option<serde::de::IgnoredAny>,
}

impl RawTask {
    fn get(&self, name: &str) -> Option<&Value> {
        match name {
            "id" => self.id.as_ref(),
            "fn" => self.func.as_ref(),
            "command" => self.command.as_ref(),
            "args" => self.args.as_ref(),
            "env" => self.env.as_ref(),
            "cwd" => self.cwd.as_ref(),
            "priority" => self.priority.as_ref(),
            "dependsOn" => self.depends_on.as_ref(),
            "group" => self.group.as_ref(),
            "timeoutMs" => self.timeout_ms.as_ref(),
            "retries" => self.retries.as_ref(),
            "memoryLimitMb" => self.memory_limit_mb.as_ref(),
            _ => None,
        }
    }
}

fn kind<'v>(get: &dyn Fn(&str) -> Option<&'v Value>, has_fn: bool) -> Result<TaskKind> {
    let field = |name: &str| name.to_string();
    // A function never crosses as JSON; anything else under `fn` is a mistake.
    if let Some(v) = get("fn").filter(|v| !v.is_null()) {
        return Err(Error::invalid(field("fn"), config::show(v), "a function"));
    }
    let command = match get("command") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(other) => {
            return Err(Error::invalid(
                field("command"),
                config::show(other),
                "a non-empty string (the program to run)",
            ))
        }
    };
    let Some(command) = command else {
        for name in ["args", "env", "cwd"] {
            if let Some(v) = get(name).filter(|v| !v.is_null()) {
                return Err(Error::invalid(
                    field(name),
                    config::show(v),
                    "only with `command`",
                ));
            }
        }
        if has_fn {
            return Ok(TaskKind::External);
        }
        return Err(Error::invalid(
            field("fn"),
            "undefined",
            "a function, or `command` for a process task",
        ));
    };
    if has_fn {
        return Err(Error::invalid(
            field("command"),
            format!("{command:?}"),
            "either `fn` or `command`, not both",
        ));
    }
    let args = string_list("args", get("args"))?;
    let env = match get("env") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(vars)) => vars
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                Value::Number(n) => Ok((k.clone(), n.to_string())),
                Value::Bool(b) => Ok((k.clone(), b.to_string())),
                other => Err(Error::invalid(
                    format!("env.{k}"),
                    config::show(other),
                    "a string",
                )),
            })
            .collect::<Result<_>>()?,
        Some(other) => {
            return Err(Error::invalid(
                field("env"),
                config::show(other),
                "an object of strings",
            ))
        }
    };
    let cwd = config::string("cwd", get("cwd"))?.map(PathBuf::from);
    if cfg!(target_family = "wasm") {
        return Err(Error::unsupported(format!(
            "process tasks of the worker manager (`command: {command:?}`)"
        )));
    }
    Ok(TaskKind::Process(Arc::new(ProcessSpec {
        command,
        args,
        env,
        cwd,
    })))
}

fn string_list(field: &str, value: Option<&Value>) -> Result<Vec<String>> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(Error::invalid(
                    format!("{field}[{i}]"),
                    config::show(other),
                    "a string",
                )),
            })
            .collect(),
        Some(other) => Err(Error::invalid(
            field,
            config::show(other),
            "an array of strings",
        )),
    }
}

/// Puts `prefix` before the field name of a bad-value error (`tasks[3].`).
pub fn with_field_prefix(e: Error, prefix: &str) -> Error {
    match e {
        Error::InvalidValue {
            field,
            value,
            expected,
        } if !prefix.is_empty() => Error::InvalidValue {
            field: format!("{prefix}{field}"),
            value,
            expected,
        },
        other => other,
    }
}

/// Serialises an `Arc<str>` id (serde's `rc` feature is not enabled).
pub fn arc_str<S: serde::Serializer>(id: &Arc<str>, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(id)
}

/// A duration in milliseconds > 0, at most what a JS timer holds.
pub fn positive_ms(field: &str, value: Option<&Value>) -> Result<Option<f64>> {
    match config::number(field, value)? {
        Some(ms) if ms <= 0.0 || ms > crate::backoff::MAX_DELAY_LIMIT_MS => Err(Error::invalid(
            field,
            ms,
            format!(
                "a number of milliseconds > 0 and ≤ {}",
                crate::backoff::MAX_DELAY_LIMIT_MS
            ),
        )),
        other => Ok(other),
    }
}

/// How a task ended. Every task ends exactly once with one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Passed,
    /// The last attempt failed (an error, a non-zero exit, a signal).
    Failed,
    /// The last attempt ran past its timeout.
    TimedOut,
    /// Killed for going over its memory limit (never retried).
    MemoryKilled,
    /// Cancelled (abort, shutdown) before or while it ran.
    Cancelled,
    /// Never started: a dependency did not pass, or the pool stopped after
    /// too many failures. The result's `reason` says which.
    Skipped,
}

impl Outcome {
    pub const ALL: [Outcome; 6] = [
        Outcome::Passed,
        Outcome::Failed,
        Outcome::TimedOut,
        Outcome::MemoryKilled,
        Outcome::Cancelled,
        Outcome::Skipped,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::TimedOut => "timed-out",
            Outcome::MemoryKilled => "memory-killed",
            Outcome::Cancelled => "cancelled",
            Outcome::Skipped => "skipped",
        }
    }

    /// Counts toward `maxFailures` and as `failed` in progress.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Outcome::Failed | Outcome::TimedOut | Outcome::MemoryKilled
        )
    }
}

/// How a process attempt exited.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExitInfo {
    pub exit_code: Option<i32>,
    /// `SIGKILL`, `SIGTERM`, … when a signal ended it.
    pub signal: Option<String>,
    pub stdout: String,
    pub stderr: String,
    /// Output beyond `maxOutputBytes` per stream was dropped (the tail is kept).
    pub output_truncated: bool,
}

/// One attempt of a task.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptInfo {
    pub attempt: u32,
    pub worker: u32,
    /// Milliseconds since the Unix epoch.
    pub started_at: f64,
    pub duration_ms: f64,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<AttemptError>,
    /// The classification rule that decided on a retry (`network`, `timeout`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    /// The wait before the next attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<f64>,
}

/// A task's final result.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskResult {
    pub handle: u32,
    #[serde(serialize_with = "arc_str")]
    pub id: Arc<str>,
    pub outcome: Outcome,
    /// Attempts started (0 when it never ran).
    pub attempts: u32,
    /// From the first attempt's start to the end (0 when it never ran).
    pub duration_ms: f64,
    /// From ready (dependencies passed) to the first attempt's start.
    pub queue_wait_ms: f64,
    /// The worker of the last attempt.
    pub worker: Option<u32>,
    /// Milliseconds since the Unix epoch when the first attempt started.
    pub started_at: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<AttemptError>,
    /// Why a task was skipped, cancelled or killed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Process tasks: the last attempt's exit and output.
    #[serde(skip_serializing_if = "Option::is_none", flatten)]
    pub exit: Option<ExitInfo>,
    pub history: Vec<AttemptInfo>,
}

impl TaskResult {
    /// A result that is nothing but a single passing attempt of an external
    /// task: the host can rebuild it from a few numbers.
    pub fn is_plain(&self) -> bool {
        self.outcome == Outcome::Passed
            && self.attempts == 1
            && self.error.is_none()
            && self.reason.is_none()
            && self.exit.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_a_js_task_with_defaults() {
        let t = TaskSpec::from_json(&json!({}), "", true).unwrap();
        assert_eq!(t.kind, TaskKind::External);
        assert_eq!(t.priority, Priority::Normal);
        assert_eq!(t.id, None);
        let t = TaskSpec::from_json(
            &json!({"id": "a", "priority": "HIGH", "dependsOn": ["b"], "group": "db", "timeoutMs": 50, "retries": 2, "meta": {"x": 1}}),
            "",
            true,
        )
        .unwrap();
        assert_eq!(
            (
                t.id.as_deref(),
                t.priority,
                t.depends_on.clone(),
                t.group.as_deref(),
                t.timeout_ms,
                t.retries
            ),
            (
                Some("a"),
                Priority::High,
                vec!["b".to_string()],
                Some("db"),
                Some(50.0),
                Some(2)
            )
        );
    }

    #[test]
    fn reads_a_process_task() {
        let t = TaskSpec::from_json(
            &json!({"command": "node", "args": ["-e", "1"], "env": {"A": "1", "N": 2}, "cwd": "/tmp", "memoryLimitMb": 64}),
            "",
            false,
        )
        .unwrap();
        let TaskKind::Process(p) = &t.kind else {
            panic!("not a process")
        };
        assert_eq!(p.command, "node");
        assert_eq!(p.args, ["-e", "1"]);
        assert_eq!(p.env, [("A".into(), "1".into()), ("N".into(), "2".into())]);
        assert_eq!(p.cwd, Some(PathBuf::from("/tmp")));
        assert_eq!(t.memory_limit_mb, Some(64.0));
    }

    #[test]
    fn bad_fields_are_named_with_their_prefix() {
        let cases = [
            (json!({"priority": "urgent"}), true, "invalid tasks[2].priority: \"urgent\" (one of critical, high, normal, low)"),
            (json!({"id": 7}), true, "invalid tasks[2].id: 7 (a non-empty string)"),
            (json!({"dependsOn": "a"}), true, "invalid tasks[2].dependsOn: \"a\" (an array of strings)"),
            (json!({"dependsOn": ["a", 3]}), true, "invalid tasks[2].dependsOn[1]: 3 (a string)"),
            (json!({"timeoutMs": 0}), true, "invalid tasks[2].timeoutMs: 0 (a number of milliseconds > 0 and ≤ 2147483647)"),
            (json!({"retries": -1}), true, "invalid tasks[2].retries: -1 (a whole number from 0 to 1000)"),
            (json!({}), false, "invalid tasks[2].fn: undefined (a function, or `command` for a process task)"),
            (json!({"command": "ls"}), true, "invalid tasks[2].command: \"ls\" (either `fn` or `command`, not both)"),
            (json!({"args": ["x"]}), true, "invalid tasks[2].args: [\"x\"] (only with `command`)"),
            (json!({"fn": "x"}), false, "invalid tasks[2].fn: \"x\" (a function)"),
            (json!({"command": "ls", "env": {"A": []}}), false, "invalid tasks[2].env.A: [] (a string)"),
            (json!({"memoryLimitMb": 5}), true, "invalid tasks[2].memoryLimitMb: 5 (only for process tasks (`command`): a JS function's memory is the host's)"),
        ];
        for (value, has_fn, message) in cases {
            let e = TaskSpec::from_json(&value, "tasks[2].", has_fn).unwrap_err();
            assert_eq!(e.code(), "ERR_SHARDWRIGHT_CONFIG");
            assert_eq!(e.to_string(), message);
        }
        let e = TaskSpec::from_json(&json!({"dependencies": ["a"]}), "", true).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid dependencies: [\"a\"] (not a task field"),
            "{e}"
        );
        let e = TaskSpec::from_json(&json!(5), "", true).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid task: 5 (an object with `fn` or `command`)"
        );
    }

    #[test]
    fn outcome_names() {
        assert_eq!(
            Outcome::ALL.map(Outcome::name),
            [
                "passed",
                "failed",
                "timed-out",
                "memory-killed",
                "cancelled",
                "skipped"
            ]
        );
        assert_eq!(
            serde_json::to_value(Outcome::MemoryKilled).unwrap(),
            json!("memory-killed")
        );
    }
}
