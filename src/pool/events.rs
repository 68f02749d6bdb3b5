//! What the pool tells its host as it runs. Events are collected only for
//! the kinds the host listens to, so a pool nobody watches pays nothing.

use std::sync::Arc;

use crate::retry::AttemptError;

/// The event kinds, by their JS names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    TaskStart,
    TaskEnd,
    Retry,
    Progress,
    WorkerScaled,
    Output,
    MemoryPressure,
    Stopped,
}

impl EventKind {
    pub const ALL: [EventKind; 8] = [
        EventKind::TaskStart,
        EventKind::TaskEnd,
        EventKind::Retry,
        EventKind::Progress,
        EventKind::WorkerScaled,
        EventKind::Output,
        EventKind::MemoryPressure,
        EventKind::Stopped,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EventKind::TaskStart => "taskStart",
            EventKind::TaskEnd => "taskEnd",
            EventKind::Retry => "retry",
            EventKind::Progress => "progress",
            EventKind::WorkerScaled => "workerScaled",
            EventKind::Output => "output",
            EventKind::MemoryPressure => "memoryPressure",
            EventKind::Stopped => "stopped",
        }
    }

    pub fn from_name(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.name() == name)
    }

    fn bit(self) -> u32 {
        1 << self as u32
    }
}

/// The set of kinds the host listens to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventMask(u32);

impl EventMask {
    pub const ALL: EventMask = EventMask(u32::MAX);

    pub fn of(kinds: impl IntoIterator<Item = EventKind>) -> Self {
        EventMask(kinds.into_iter().fold(0, |m, k| m | k.bit()))
    }

    pub fn has(self, kind: EventKind) -> bool {
        self.0 & kind.bit() != 0
    }
}

/// Task counts. `failed` includes timed-out and memory-killed tasks.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    pub total: u64,
    /// Not started yet: waiting for dependencies, a worker, or a retry.
    pub pending: u64,
    pub running: u64,
    pub passed: u64,
    pub failed: u64,
    pub timed_out: u64,
    pub memory_killed: u64,
    pub skipped: u64,
    pub cancelled: u64,
    /// Ended tasks over all tasks, 0–100 (100 when there are none).
    pub percent: f64,
}

impl Progress {
    pub fn ended(&self) -> u64 {
        self.passed + self.failed + self.skipped + self.cancelled
    }

    pub fn with_percent(mut self) -> Self {
        self.percent = if self.total == 0 {
            100.0
        } else {
            (self.ended() as f64 * 10_000.0 / self.total as f64).round() / 100.0
        };
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Stdout,
    Stderr,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Event {
    #[serde(rename_all = "camelCase")]
    TaskStart {
        handle: u32,
        #[serde(serialize_with = "super::task::arc_str")]
        id: Arc<str>,
        attempt: u32,
        worker: u32,
    },
    /// The host pairs it with the task's result (ended in the same batch).
    #[serde(rename_all = "camelCase")]
    TaskEnd {
        handle: u32,
    },
    #[serde(rename_all = "camelCase")]
    Retry {
        handle: u32,
        #[serde(serialize_with = "super::task::arc_str")]
        id: Arc<str>,
        /// The attempt that failed.
        attempt: u32,
        delay_ms: f64,
        error: AttemptError,
        rule: String,
    },
    Progress(Progress),
    #[serde(rename_all = "camelCase")]
    WorkerScaled {
        from: u32,
        to: u32,
        /// `queue` (tasks waiting) or `idle` (idle timeout).
        reason: &'static str,
    },
    #[serde(rename_all = "camelCase")]
    Output {
        handle: u32,
        #[serde(serialize_with = "super::task::arc_str")]
        id: Arc<str>,
        attempt: u32,
        stream: Stream,
        chunk: String,
    },
    /// Available memory fell below `minAvailableMemoryMb` (paused) or rose
    /// back above it.
    #[serde(rename_all = "camelCase")]
    MemoryPressure {
        available_mb: f64,
        threshold_mb: f64,
        paused: bool,
    },
    /// The pool stopped starting tasks (`maxFailures` reached).
    #[serde(rename_all = "camelCase")]
    Stopped {
        reason: String,
    },
}

impl Event {
    pub fn kind(&self) -> EventKind {
        match self {
            Event::TaskStart { .. } => EventKind::TaskStart,
            Event::TaskEnd { .. } => EventKind::TaskEnd,
            Event::Retry { .. } => EventKind::Retry,
            Event::Progress(_) => EventKind::Progress,
            Event::WorkerScaled { .. } => EventKind::WorkerScaled,
            Event::Output { .. } => EventKind::Output,
            Event::MemoryPressure { .. } => EventKind::MemoryPressure,
            Event::Stopped { .. } => EventKind::Stopped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_serialise_with_their_js_names() {
        let e = Event::WorkerScaled {
            from: 1,
            to: 3,
            reason: "queue",
        };
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({"type": "workerScaled", "from": 1, "to": 3, "reason": "queue"})
        );
        let p = Event::Progress(
            Progress {
                total: 3,
                passed: 1,
                failed: 1,
                ..Progress::default()
            }
            .with_percent(),
        );
        assert_eq!(serde_json::to_value(&p).unwrap()["percent"], json!(66.67));
        for k in EventKind::ALL {
            assert_eq!(EventKind::from_name(k.name()), Some(k));
        }
        let m = EventMask::of([EventKind::Retry, EventKind::Output]);
        assert!(m.has(EventKind::Output) && !m.has(EventKind::TaskStart));
    }
}
