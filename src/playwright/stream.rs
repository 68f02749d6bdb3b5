//! What a batch of `shardwright run` reports while it runs: one JSON line
//! per event, appended by js/run/batch-reporter.js (a Playwright reporter in
//! the batch's process) — every attempt of a test as it ends, Playwright's
//! errors outside tests (a web server or globalSetup that failed, a worker
//! that crashed) and the end of the run. Read as the lines arrive, so a
//! group completes in the queue as soon as its tests are done, and what ran
//! is known even when the process is killed before it ends.
//!
//! A test is *final* when no attempt of it can follow: it passed, was
//! skipped on purpose or failed its last retry. A test skipped because a
//! test before it in a serial group failed is not: the group may run again.

use serde::Deserialize;
use serde_json::{json, Value};

use super::testid::{repeat_key, TestId};

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Line {
    t: String,
    title_path: Vec<String>,
    repeat: u32,
    line: u32,
    tags: Vec<String>,
    expected_status: Option<String>,
    retries: u32,
    outcome: Option<String>,
    status: String,
    duration: f64,
    retry: u32,
    start_time: Option<String>,
    errors: Vec<String>,
    attachments: Vec<(String, String)>,
    message: Option<String>,
}

/// One attempt that ended.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamTest {
    pub key: String,
    /// The test's outcome so far: `passed`, `flaky`, `failed`, `skipped`.
    pub status: &'static str,
    pub is_final: bool,
    /// The attempt as `History#addRun` takes it, with its key and attachments.
    pub attempt: Value,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamEvents {
    /// Keys of tests that began (an attempt started).
    pub began: Vec<String>,
    pub tests: Vec<StreamTest>,
    /// Errors Playwright reported outside any test (`onError`).
    pub errors: Vec<String>,
    /// The run's end status, when this chunk holds the end.
    pub end: Option<String>,
    /// Lines that could not be read (a line cut by a crash).
    pub unreadable: u32,
    /// The batch's own plan of the suite, when it planned it (a machine
    /// alone runs its suite in one pass): as the reporter wrote it.
    pub suite: Option<Value>,
}

fn status_of(outcome: Option<&str>) -> &'static str {
    match outcome {
        Some("unexpected") => "failed",
        Some("flaky") => "flaky",
        Some("skipped") => "skipped",
        _ => "passed",
    }
}

/// The test's id: `titlePath()` is `['', project, file, ...describes, title]`.
fn id_of(l: &Line) -> Option<TestId> {
    if l.title_path.len() < 4 {
        return None;
    }
    Some(TestId::new(
        l.title_path[1].clone(),
        &l.title_path[2],
        l.title_path[3..].to_vec(),
    ))
}

fn test_event(l: Line) -> Option<StreamTest> {
    let id = id_of(&l)?;
    let (project, file, titles) = (id.project.clone(), id.file.clone(), id.title_path.clone());
    let outcome = l.outcome.as_deref();
    let expected = l.expected_status.as_deref().unwrap_or("passed");
    let retry_follows = outcome == Some("unexpected") && l.retry < l.retries;
    let serial_skip = l.status == "skipped" && expected != "skipped";
    let error = l.errors.iter().find(|e| !e.is_empty()).cloned();
    let key = repeat_key(id.key(), l.repeat);
    let attempt = json!({
        "key": key,
        "project": project, "file": file, "titlePath": titles, "line": l.line, "tags": l.tags,
        "durationMs": if l.duration.is_finite() && l.duration >= 0.0 { l.duration } else { 0.0 },
        "status": l.status, "retry": l.retry, "expectedStatus": expected, "error": error,
        "startTime": l.start_time,
        "attachments": l.attachments.iter().map(|(n, p)| json!({ "name": n, "path": p })).collect::<Vec<_>>(),
    });
    Some(StreamTest {
        key,
        status: status_of(outcome),
        is_final: !retry_follows && !serial_skip,
        attempt,
    })
}

/// Reads complete lines (a chunk of the file; the caller keeps a partial
/// last line for the next read).
pub fn read(text: &str) -> StreamEvents {
    let mut out = StreamEvents::default();
    for raw in text.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(line) = serde_json::from_str::<Line>(raw) else {
            out.unreadable += 1;
            continue;
        };
        match line.t.as_str() {
            "suite" => out.suite = serde_json::from_str(raw).ok(),
            "test" => match test_event(line) {
                Some(t) => out.tests.push(t),
                None => out.unreadable += 1,
            },
            "begin" => match id_of(&line) {
                Some(id) => out.began.push(repeat_key(id.key(), line.repeat)),
                None => out.unreadable += 1,
            },
            "error" => out.errors.push(line.message.unwrap_or_default()),
            "end" => out.end = Some(line.status),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(v: Value) -> String {
        format!("{v}\n")
    }

    #[test]
    fn attempts_are_keyed_and_judged_final() {
        let tp = json!(["", "chromium", "tests/a.spec.ts", "cart", "adds"]);
        let text = [
            line(json!({ "t": "begin", "titlePath": tp, "repeat": 0 })),
            line(json!({ "t": "test", "titlePath": tp, "repeat": 0, "line": 4, "tags": ["@x"], "expectedStatus": "passed",
                "retries": 1, "outcome": "unexpected", "status": "failed", "duration": 12.5, "retry": 0,
                "errors": ["Error: expect(locator).toHaveText"], "attachments": [["trace", "/o/trace.zip"]] })),
            line(json!({ "t": "test", "titlePath": tp, "repeat": 0, "expectedStatus": "passed", "retries": 1,
                "outcome": "flaky", "status": "passed", "duration": 3, "retry": 1 })),
            line(json!({ "t": "test", "titlePath": ["", "", "b.spec.ts", "t"], "repeat": 2, "expectedStatus": "passed",
                "retries": 0, "outcome": "skipped", "status": "skipped", "retry": 0 })),
            line(json!({ "t": "error", "message": "Error: http://localhost:9000 is already used" })),
            "{\"t\":\"test\",\"titlePa".to_string(),
            "\n".to_string(),
            line(json!({ "t": "end", "status": "failed" })),
        ]
        .concat();
        let e = read(&text);
        assert_eq!(e.began, ["chromium › tests/a.spec.ts › cart › adds"]);
        assert_eq!(e.tests.len(), 3);
        assert_eq!(e.tests[0].key, "chromium › tests/a.spec.ts › cart › adds");
        assert_eq!(
            (e.tests[0].status, e.tests[0].is_final),
            ("failed", false),
            "a retry follows"
        );
        assert_eq!(
            e.tests[0].attempt["error"],
            "Error: expect(locator).toHaveText"
        );
        assert_eq!(e.tests[0].attempt["attachments"][0]["path"], "/o/trace.zip");
        assert_eq!(e.tests[0].attempt["titlePath"], json!(["cart", "adds"]));
        assert_eq!(e.tests[0].attempt["key"], e.tests[0].key.as_str());
        assert_eq!((e.tests[1].status, e.tests[1].is_final), ("flaky", true));
        assert_eq!(e.tests[2].key, "b.spec.ts › t (repeat 2)");
        assert!(
            !e.tests[2].is_final,
            "skipped after a serial failure: may run again"
        );
        assert_eq!(e.errors, ["Error: http://localhost:9000 is already used"]);
        assert_eq!(e.end.as_deref(), Some("failed"));
        assert_eq!(e.unreadable, 1);
    }
}
