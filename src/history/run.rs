//! A run as callers hand it in: the reporter (one call with the whole run, as
//! JSON), and the importers. Everything is checked here, with the field path
//! in the error (`attempts[12].durationMs`), before the history changes.

use std::sync::OnceLock;

use serde::Deserialize;

use super::model::{ErrorInfo, NewAttempt, RunMeta, ShardInfo, Status, MAX_ERROR_CHARS};
use super::time;
use crate::classify::{strip_ansi, Classifier};
use crate::error::{Error, Result};
use crate::playwright::testid::{normalize_file, TestId};

/// A timestamp: milliseconds since the epoch, or RFC 3339 text (what
/// `JSON.stringify(new Date())` gives).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum TimeInput {
    Ms(f64),
    Text(String),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShardInput {
    pub index: u32,
    pub total: u32,
    pub fingerprint: Option<String>,
    pub predicted_ms: Option<f64>,
    pub actual_ms: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ErrorInput {
    Text(String),
    Object { message: Option<String> },
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptInput {
    #[serde(default)]
    pub project: Option<String>,
    pub file: String,
    pub title_path: Vec<String>,
    pub line: Option<u32>,
    pub tags: Option<Vec<String>>,
    pub duration_ms: f64,
    pub status: String,
    pub retry: Option<u32>,
    pub expected_status: Option<String>,
    pub error: Option<ErrorInput>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunInput {
    pub id: Option<String>,
    pub started_at: Option<TimeInput>,
    pub ended_at: Option<TimeInput>,
    /// Absent: detected (`GITHUB_SHA`, `CI_COMMIT_SHA`, `git rev-parse
    /// HEAD`); `null`: no commit.
    #[serde(default, deserialize_with = "present")]
    pub commit: Option<Option<String>>,
    pub shard: Option<ShardInput>,
    pub source: Option<String>,
    pub attempts: Vec<AttemptInput>,
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
fn present<'de, D, T>(d: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

impl RunInput {
    /// Parses a run given as JSON text; a type error names the field.
    pub fn from_json(text: &str) -> Result<RunInput> {
        // The fast parser first; the path-tracking one (slower) only to name
        // the field of an error.
        serde_json::from_str(text).or_else(|_| {
            let de = &mut serde_json::Deserializer::from_str(text);
            serde_path_to_error::deserialize(de).map_err(|e| {
                let (field, value, expected) = serde_problem("run", &e);
                Error::invalid(field, value, expected)
            })
        })
    }
}

/// A serde error as (field path, value, expectation): `invalid type: string
/// "5", expected f64` at `attempts[0].durationMs` becomes (`run.attempts[0]
/// .durationMs`, `string "5"`, `f64`).
pub fn serde_problem(
    root: &str,
    e: &serde_path_to_error::Error<serde_json::Error>,
) -> (String, String, String) {
    let path = e.path().to_string();
    let mut field = if path == "." {
        root.to_string()
    } else {
        format!("{root}.{path}")
    };
    let message = e.inner().to_string();
    let message = match message.rfind(" at line ") {
        Some(i) => &message[..i],
        None => &message[..],
    };
    for prefix in ["invalid type: ", "invalid value: ", "invalid length "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            if let Some((value, expected)) = rest.split_once(", expected ") {
                return (field, value.to_string(), expected.to_string());
            }
        }
    }
    if let Some(name) = message
        .strip_prefix("missing field `")
        .and_then(|r| r.strip_suffix('`'))
    {
        field.push('.');
        field.push_str(name);
        return (field, "missing".into(), "a required field".into());
    }
    (field, "(unreadable)".into(), message.to_string())
}

fn time_ms(field: &str, value: &TimeInput) -> Result<i64> {
    match value {
        TimeInput::Ms(ms) if ms.is_finite() && ms.abs() < 8.64e15 => Ok(*ms as i64),
        TimeInput::Ms(ms) => Err(Error::invalid(field, ms, "milliseconds since the epoch")),
        TimeInput::Text(text) => time::parse_iso(text).ok_or_else(|| {
            Error::invalid(
                field,
                format!("{text:?}"),
                "an ISO 8601 time or milliseconds since the epoch",
            )
        }),
    }
}

/// The commit being tested: `GITHUB_SHA`, `CI_COMMIT_SHA`, then `git
/// rev-parse HEAD` in the current directory; looked up once per process.
pub fn detect_commit() -> Option<String> {
    static COMMIT: OnceLock<Option<String>> = OnceLock::new();
    COMMIT
        .get_or_init(|| {
            for var in ["GITHUB_SHA", "CI_COMMIT_SHA"] {
                if let Ok(sha) = std::env::var(var) {
                    if !sha.trim().is_empty() {
                        return Some(sha.trim().to_string());
                    }
                }
            }
            let out = std::process::Command::new("git")
                .args(["rev-parse", "HEAD"])
                .stderr(std::process::Stdio::null())
                .output()
                .ok()?;
            let sha = String::from_utf8(out.stdout).ok()?.trim().to_string();
            (out.status.success() && !sha.is_empty()).then_some(sha)
        })
        .clone()
}

/// A fresh run id: the start time and 8 random hex digits, so ids sort by time
/// and two shards starting in the same millisecond still differ.
pub fn new_run_id(started_at: i64) -> String {
    let stamp: String = time::format_iso(started_at)
        .chars()
        .filter(|c| c.is_ascii_digit())
        .collect();
    format!(
        "{}-{:08x}",
        &stamp[..14.min(stamp.len())],
        rand::random::<u32>()
    )
}

/// The most characters a title (each part of a test's title path), a file
/// or a project name keeps; longer ones are cut with a marker
/// ([`cut_text`]), so that a test titled with 100 MB of data does not put
/// 100 MB into every history file after it.
pub const MAX_TITLE_CHARS: usize = 2000;

/// The most characters a tag keeps.
pub const MAX_TAG_CHARS: usize = 200;

/// `text` cut to `max` characters, the cut marked: `…[+N characters]`.
pub fn cut_text(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => std::borrow::Cow::Borrowed(text),
        Some((at, _)) => {
            let rest = text[at..].chars().count();
            std::borrow::Cow::Owned(format!("{}…[+{rest} characters]", &text[..at]))
        }
    }
}

fn cut_owned(text: String, max: usize) -> String {
    match cut_text(&text, max) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(cut) => cut,
    }
}

/// An error message as stored: ANSI colours removed, cut to
/// [`MAX_ERROR_CHARS`] with a marker, classified.
pub fn error_info(message: &str, classifier: &Classifier) -> Option<ErrorInfo> {
    // Only the part that is kept is cleaned: a 100 MB message costs no more
    // than its first characters.
    let head = match message.char_indices().nth(MAX_ERROR_CHARS * 4) {
        Some((at, _)) => &message[..at],
        None => message,
    };
    let text = strip_ansi(head);
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let message = match text.char_indices().nth(MAX_ERROR_CHARS) {
        Some((cut, _)) => {
            let rest = message.chars().count().saturating_sub(MAX_ERROR_CHARS);
            format!("{}…[+{rest} characters]", &text[..cut])
        }
        None => text.to_string(),
    };
    let c = classifier.classify(&message);
    Some(ErrorInfo::new(message, c.class, c.rule))
}

impl RunInput {
    /// Validates every field and returns the run's metadata and attempts.
    pub fn resolve(self, classifier: &Classifier) -> Result<(RunMeta, Vec<NewAttempt>)> {
        let started_at = match &self.started_at {
            Some(t) => time_ms("run.startedAt", t)?,
            None => time::now_ms(),
        };
        let ended_at = self
            .ended_at
            .as_ref()
            .map(|t| time_ms("run.endedAt", t))
            .transpose()?;
        let id = match self.id {
            Some(id) if id.trim().is_empty() || id.len() > 200 => {
                return Err(Error::invalid(
                    "run.id",
                    format!("{id:?}"),
                    "a non-empty string of at most 200 characters",
                ))
            }
            Some(id) => id,
            None => new_run_id(started_at),
        };
        let commit = match self.commit {
            None => detect_commit(),
            Some(c) => c.map(|c| c.trim().to_string()).filter(|c| !c.is_empty()),
        };
        let shard = match self.shard {
            None => None,
            Some(s) => {
                if s.total == 0 || s.index == 0 || s.index > s.total {
                    return Err(Error::invalid(
                        "run.shard",
                        format!("{}/{}", s.index, s.total),
                        "index from 1 to total, total ≥ 1",
                    ));
                }
                for (field, v) in [
                    ("run.shard.predictedMs", s.predicted_ms),
                    ("run.shard.actualMs", s.actual_ms),
                ] {
                    if let Some(v) = v {
                        if !v.is_finite() || v < 0.0 {
                            return Err(Error::invalid(field, v, "a number ≥ 0"));
                        }
                    }
                }
                Some(ShardInfo {
                    index: s.index,
                    total: s.total,
                    fingerprint: s.fingerprint,
                    predicted_ms: s.predicted_ms,
                    actual_ms: s.actual_ms,
                })
            }
        };
        let mut attempts = Vec::with_capacity(self.attempts.len());
        // A run's failures mostly share a few messages: each is cleaned,
        // classified and given its signature once.
        let mut errors: rustc_hash::FxHashMap<String, Option<ErrorInfo>> = Default::default();
        for (i, a) in self.attempts.into_iter().enumerate() {
            attempts.push(resolve_attempt(i, a, classifier, &mut errors)?);
        }
        Ok((
            RunMeta {
                id,
                started_at,
                ended_at,
                commit,
                shard,
                source: self.source,
            },
            attempts,
        ))
    }
}

/// Messages up to this long are remembered for the run's other attempts.
const CACHED_MESSAGE_BYTES: usize = 16 * 1024;

fn resolve_attempt(
    i: usize,
    a: AttemptInput,
    classifier: &Classifier,
    errors: &mut rustc_hash::FxHashMap<String, Option<ErrorInfo>>,
) -> Result<NewAttempt> {
    let field = |name: &str| format!("attempts[{i}].{name}");
    if a.file.trim().is_empty() {
        return Err(Error::invalid(
            field("file"),
            "\"\"",
            "the test file relative to the project's testDir",
        ));
    }
    if a.title_path.is_empty() {
        return Err(Error::invalid(
            field("titlePath"),
            "[]",
            "the titles below the file, the test's own title last",
        ));
    }
    let status = Status::parse(&a.status).ok_or_else(|| {
        Error::invalid(
            field("status"),
            format!("{:?}", a.status),
            format!("one of {}", Status::NAMES),
        )
    })?;
    let expected_failure = match a.expected_status.as_deref() {
        None | Some("passed") | Some("skipped") => false,
        Some("failed") => true,
        Some(other) => {
            return Err(Error::invalid(
                field("expectedStatus"),
                format!("{other:?}"),
                "passed, failed or skipped",
            ))
        }
    };
    if !a.duration_ms.is_finite() || a.duration_ms < 0.0 || a.duration_ms > f64::from(u32::MAX) {
        return Err(Error::invalid(
            field("durationMs"),
            a.duration_ms,
            "milliseconds from 0 to 4294967295",
        ));
    }
    let message = match a.error {
        None => None,
        Some(ErrorInput::Text(t)) => Some(t),
        Some(ErrorInput::Object { message }) => message,
    };
    // Files are nearly always normalised already: keep the string then.
    let file = if a.file.contains('\\') || a.file.starts_with("./") || a.file.contains(':') {
        normalize_file(&a.file)
    } else {
        a.file
    };
    Ok(NewAttempt {
        id: TestId {
            project: cut_owned(a.project.unwrap_or_default(), MAX_TITLE_CHARS),
            file: cut_owned(file, MAX_TITLE_CHARS),
            title_path: a
                .title_path
                .into_iter()
                .map(|t| cut_owned(t, MAX_TITLE_CHARS))
                .collect(),
        },
        line: a.line,
        tags: a
            .tags
            .unwrap_or_default()
            .into_iter()
            .map(|t| cut_owned(t, MAX_TAG_CHARS))
            .collect(),
        status,
        expected_failure,
        retry: a.retry.unwrap_or(0),
        duration_ms: a.duration_ms.round() as u32,
        error: message.and_then(|m| {
            if m.len() > CACHED_MESSAGE_BYTES {
                return error_info(&m, classifier);
            }
            if let Some(info) = errors.get(&m) {
                return info.clone();
            }
            let info = error_info(&m, classifier);
            errors.insert(m, info.clone());
            info
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(json: &str) -> Result<(RunMeta, Vec<NewAttempt>)> {
        RunInput::from_json(json)?.resolve(&Classifier::default())
    }

    #[test]
    fn a_full_run() {
        let (meta, attempts) = resolve(
            r#"{"id":"r1","startedAt":"2026-01-02T03:04:05.000Z","endedAt":1767323100000,"commit":"abc",
                "shard":{"index":2,"total":3,"predictedMs":100},
                "attempts":[{"project":"chromium","file":"./a.spec.ts","titlePath":["d","t"],"line":4,"tags":["@smoke"],
                  "durationMs":12.6,"status":"failed","retry":0,
                  "error":{"message":"\u001b[31mError: page.goto: net::ERR_CONNECTION_REFUSED\u001b[39m"}},
                 {"project":"chromium","file":"a.spec.ts","titlePath":["d","t"],"durationMs":3,"status":"passed","retry":1}]}"#,
        )
        .unwrap();
        assert_eq!(meta.id, "r1");
        assert_eq!(meta.started_at, 1_767_323_045_000);
        assert_eq!(meta.ended_at, Some(1_767_323_100_000));
        assert_eq!(meta.commit.as_deref(), Some("abc"));
        assert_eq!(
            meta.shard.as_ref().map(|s| (s.index, s.total)),
            Some((2, 3))
        );
        assert_eq!(attempts.len(), 2);
        assert_eq!(attempts[0].id.key(), "chromium › a.spec.ts › d › t");
        assert_eq!(attempts[0].duration_ms, 13);
        let e = attempts[0].error.as_ref().unwrap();
        assert_eq!(e.message, "Error: page.goto: net::ERR_CONNECTION_REFUSED");
        assert_eq!((e.class.name(), e.rule.as_str()), ("retryable", "network"));
        assert_eq!(attempts[1].retry, 1);
    }

    #[test]
    fn null_commit_means_none_and_ids_are_generated() {
        let (meta, _) = resolve(r#"{"commit":null,"startedAt":0,"attempts":[]}"#).unwrap();
        assert_eq!(meta.commit, None);
        assert!(meta.id.starts_with("19700101000000-"), "{}", meta.id);
    }

    #[test]
    fn bad_fields_are_named() {
        let cases = [
            (
                r#"{"attempts":[{"file":"a","titlePath":["t"],"durationMs":"5","status":"passed"}]}"#,
                "invalid run.attempts[0].durationMs: string \"5\" (f64)",
            ),
            (
                r#"{"attempts":[{"file":"a","titlePath":["t"],"durationMs":-1,"status":"passed"}]}"#,
                "invalid attempts[0].durationMs: -1",
            ),
            (
                r#"{"attempts":[{"file":"a","titlePath":["t"],"durationMs":1,"status":"ok"}]}"#,
                "invalid attempts[0].status: \"ok\"",
            ),
            (
                r#"{"attempts":[{"file":"","titlePath":["t"],"durationMs":1,"status":"passed"}]}"#,
                "invalid attempts[0].file",
            ),
            (
                r#"{"attempts":[{"file":"a","titlePath":[],"durationMs":1,"status":"passed"}]}"#,
                "invalid attempts[0].titlePath",
            ),
            (
                r#"{"shard":{"index":3,"total":2},"attempts":[]}"#,
                "invalid run.shard: 3/2",
            ),
            (
                r#"{"startedAt":"soon","attempts":[]}"#,
                "invalid run.startedAt: \"soon\"",
            ),
            (r#"{"id":"","attempts":[]}"#, "invalid run.id"),
            (r#"{}"#, "invalid run.attempts: missing (a required field)"),
            (r#""5""#, "invalid run: string \"5\" (struct RunInput)"),
        ];
        for (json, want) in cases {
            let e = resolve(json).unwrap_err();
            assert_eq!(e.code(), "ERR_SHARDWRIGHT_CONFIG");
            assert!(e.to_string().starts_with(want), "{json}: {e}");
        }
    }

    #[test]
    fn long_errors_are_cut_with_a_marker() {
        let long = "x".repeat(5000);
        let e = error_info(&long, &Classifier::default()).unwrap();
        assert_eq!(
            e.message,
            format!("{}…[+4000 characters]", "x".repeat(MAX_ERROR_CHARS))
        );
        assert!(error_info(" \n", &Classifier::default()).is_none());
        // A 100 MB message costs its first characters only.
        let huge = format!("ECONNRESET {}", "y".repeat(100 << 20));
        let e = error_info(&huge, &Classifier::default()).unwrap();
        assert!(
            e.message.ends_with(&format!(
                "…[+{} characters]",
                (100 << 20) + 11 - MAX_ERROR_CHARS
            )),
            "{}",
            &e.message[900..]
        );
        assert_eq!(e.rule, "network");
    }

    #[test]
    fn long_titles_are_cut_with_a_marker() {
        let title = "t".repeat(MAX_TITLE_CHARS + 5);
        let run = format!(
            r#"{{"attempts":[{{"file":"a.spec.ts","titlePath":["{title}"],"durationMs":1,"status":"passed","tags":["@{}"]}}]}}"#,
            "g".repeat(300)
        );
        let (_, attempts) = resolve(&run).unwrap();
        assert_eq!(
            attempts[0].id.title_path[0],
            format!("{}…[+5 characters]", "t".repeat(MAX_TITLE_CHARS))
        );
        assert!(attempts[0].tags[0].ends_with("…[+101 characters]"));
        assert_eq!(cut_text("short", 10), "short");
    }

    use proptest::prelude::*;

    proptest! {
        /// Any JSON text as a run: a run or an error naming the field, never
        /// a panic.
        #[test]
        fn any_run_text_resolves_or_names_the_field(text in "\\PC{0,200}") {
            if let Err(e) = resolve(&text) {
                prop_assert!(e.to_string().starts_with("invalid "), "{}", e);
            }
        }

        /// Generated attempts with any strings and numbers: accepted ones
        /// keep every title within the cap, durations within u32.
        #[test]
        fn generated_attempts(
            titles in proptest::collection::vec("\\PC{0,40}", 1..4),
            long in 0usize..3000,
            ms in prop_oneof![any::<f64>(), 0.0f64..1e7],
            status in prop_oneof![Just("passed"), Just("failed"), Just("skipped"), Just("bogus")],
        ) {
            let mut titles = titles;
            titles.push("x".repeat(long));
            let run = serde_json::json!({
                "id": "r", "commit": null,
                "attempts": [{"file": "a.spec.ts", "titlePath": titles, "durationMs": if ms.is_finite() { serde_json::json!(ms) } else { serde_json::json!(0) }, "status": status}],
            });
            match resolve(&run.to_string()) {
                Ok((_, attempts)) => {
                    for t in &attempts[0].id.title_path {
                        prop_assert!(t.chars().count() <= MAX_TITLE_CHARS + 40);
                    }
                }
                Err(e) => prop_assert!(e.to_string().starts_with("invalid attempts[0]."), "{}", e),
            }
        }

        /// A cut keeps the start of the text and says how much went.
        #[test]
        fn cut_keeps_the_start(text in "\\PC{0,60}", max in 0usize..50) {
            let cut = cut_text(&text, max);
            let n = text.chars().count();
            if n <= max {
                prop_assert_eq!(cut.as_ref(), text.as_str());
            } else {
                let kept: String = text.chars().take(max).collect();
                prop_assert_eq!(cut.into_owned(), format!("{kept}…[+{} characters]", n - max));
            }
        }
    }
}
