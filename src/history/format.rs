//! The history file, version 2: JSON, one test per line (readable diffs when a
//! team commits it), per-test arrays instead of one object per attempt.
//! Version 1 files (no signatures, no incidents) are still read; they are
//! written back as version 2.
//!
//! ```text
//! {"format":"shardwright-history","version":1,"revision":"…","savedAt":…,"maxRuns":20,"maxAgeDays":60,
//! "runs":[
//! {"id":"20260102030405-1a2b3c4d","startedAt":1767323045000,"commit":"abc…","shard":{"index":1,"total":4}},
//! …],
//! "errors":[
//! ["Error: page.goto: net::ERR_CONNECTION_REFUSED …","retryable","network","ERR_CONNECTION_REFUSED"],
//! …],
//! "incidents":[
//! {"run":"20260102030405-1a2b3c4d","signature":"ERR_CONNECTION_REFUSED","tests":481,"files":27,"ran":481,"confirmed":true,"streak":1},
//! …],
//! "projects":["chromium"],
//! "files":["cart.spec.ts"],
//! "tests":[
//! {"p":0,"f":0,"t":["cart lists the items"],"l":3,"r":[0,1,0],"s":"fpp","d":[812,790,701],"e":[1,0,0]},
//! …]}
//! ```
//!
//! Per test: `p`/`f` index `projects`/`files`, `t` is the title path, `l` the
//! line, `g` the tags. Per attempt (parallel arrays, oldest first): `r` the
//! run (index into `runs`, delta-coded: the first is absolute, each next one
//! is the difference to the previous), `s` one status letter (`p`assed,
//! `f`ailed, `t`imedOut, `s`kipped, `i`nterrupted; upper case when the test
//! was expected to fail), `d` the duration in ms, `e` the error (0 = none, else
//! 1 + index into `errors`; omitted when no attempt failed with a message),
//! `n` the retry index (omitted when it is the attempt's position within its
//! run, as it nearly always is).
//!
//! Errors are `[message, class, rule, signature]` (version 1 had no
//! signature: it is computed on load). `incidents` are the infrastructure
//! incidents as last detected: a failed attempt whose run, project (or the
//! whole run) and error signature match one is classified `infrastructure`;
//! other failed attempts are their error's class (`retryable`/`permanent`).

use rustc_hash::FxHashMap as HashMap;
use std::io::Write;

use serde::{Deserialize, Serialize};

use super::infra::Incident;
use super::model::{Attempt, ErrorInfo, History, Limits, RunMeta, ShardInfo, Status, TestRecord};
use crate::classify::ErrorClass;
use crate::playwright::testid::TestId;

pub const FORMAT: &str = "shardwright-history";
/// The version written.
pub const VERSION: u32 = 2;
/// The versions read.
pub const READS: [u32; 2] = [1, 2];

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ShardLine {
    index: u32,
    total: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fingerprint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    predicted_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    actual_ms: Option<f64>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RunLine {
    id: String,
    started_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ended_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    shard: Option<ShardLine>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source: Option<String>,
}

#[derive(Deserialize)]
struct TestLine {
    p: u32,
    f: u32,
    t: Vec<String>,
    #[serde(default)]
    l: Option<u32>,
    #[serde(default)]
    g: Option<Vec<String>>,
    r: Vec<u32>,
    s: String,
    d: Vec<u32>,
    #[serde(default)]
    n: Option<Vec<u32>>,
    #[serde(default)]
    e: Option<Vec<u32>>,
}

#[derive(Serialize)]
struct TestLineOut<'a> {
    p: u32,
    f: u32,
    t: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    l: Option<u32>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    g: &'a [String],
    r: Vec<u32>,
    s: &'a str,
    d: Vec<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    n: Option<Vec<u32>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    e: Option<Vec<u32>>,
}

/// `[message, class, rule]` (version 1) or `[message, class, rule,
/// signature]` (version 2).
struct ErrorLine {
    message: String,
    class: String,
    rule: String,
    signature: Option<String>,
}

impl<'de> Deserialize<'de> for ErrorLine {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = ErrorLine;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("[message, class, rule] or [message, class, rule, signature]")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<ErrorLine, A::Error> {
                use serde::de::Error as _;
                let mut next = |i: usize| -> Result<String, A::Error> {
                    seq.next_element::<String>()?
                        .ok_or_else(|| A::Error::invalid_length(i, &self))
                };
                let message = next(0)?;
                let class = next(1)?;
                let rule = next(2)?;
                let signature = seq.next_element::<String>()?;
                if seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                    return Err(A::Error::invalid_length(5, &self));
                }
                Ok(ErrorLine {
                    message,
                    class,
                    rule,
                    signature,
                })
            }
        }
        d.deserialize_seq(Visit)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IncidentLine {
    run: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    project: Option<String>,
    signature: String,
    tests: u32,
    files: u32,
    ran: u32,
    confirmed: bool,
    streak: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileV1 {
    format: String,
    version: u32,
    #[serde(default)]
    revision: Option<String>,
    #[serde(default)]
    max_runs: Option<u32>,
    #[serde(default)]
    max_age_days: Option<u32>,
    runs: Vec<RunLine>,
    errors: Vec<ErrorLine>,
    #[serde(default)]
    incidents: Vec<IncidentLine>,
    projects: Vec<String>,
    files: Vec<String>,
    tests: Vec<TestLine>,
}

/// Only the fields that say what the file is, for a precise error when the
/// whole file does not parse.
#[derive(Deserialize)]
struct Header {
    format: Option<serde_json::Value>,
    version: Option<serde_json::Value>,
}

/// A decoded file: the history, the file's own limits and its revision.
#[derive(Debug)]
pub struct Decoded {
    pub history: History,
    pub file_limits: (Option<u32>, Option<u32>),
    pub revision: Option<String>,
}

/// Why a file cannot be used, in words for the error message.
pub type Problem = String;

/// Decodes a history file's bytes.
pub fn decode(bytes: &[u8]) -> Result<Decoded, Problem> {
    // A byte order mark (some editors add one) is not part of the JSON.
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("the file is empty".into());
    }
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(format!(
            "not a text file (invalid UTF-8 at byte {}): binary data or a different encoding",
            e.valid_up_to()
        ));
    }
    let file: FileV1 = match serde_json::from_slice(bytes) {
        Ok(file) => file,
        Err(e) => return Err(explain(bytes, e)),
    };
    if file.format != FORMAT {
        return Err(format!(
            "not a shardwright history (`format` is {:?}, expected {FORMAT:?})",
            file.format
        ));
    }
    if !READS.contains(&file.version) {
        return Err(wrong_version(&file.version.to_string()));
    }
    build(file)
}

fn wrong_version(found: &str) -> String {
    format!("unsupported version {found} (this shardwright reads versions 1 and {VERSION}; was it written by another release?)")
}

/// The best description of a parse failure: what the file is not, then where
/// it breaks.
fn explain(bytes: &[u8], e: serde_json::Error) -> Problem {
    use serde_json::error::Category;
    let at = format!("line {} column {}", e.line(), e.column());
    match e.classify() {
        Category::Eof => format!("the file is truncated (the JSON ends early at {at})"),
        Category::Syntax | Category::Io if e.to_string().contains("recursion limit") => {
            format!("the JSON is nested too deeply (over 128 levels) at {at}")
        }
        Category::Syntax | Category::Io => {
            let msg = e.to_string();
            let msg = msg
                .rsplit_once(" at line ")
                .map_or(msg.as_str(), |(m, _)| m)
                .to_string();
            format!("not valid JSON at {at}: {msg}")
        }
        Category::Data => {
            // The whole file is JSON: say whether it is a history at all and
            // which version before pointing at a field.
            if let Ok(header) = serde_json::from_slice::<Header>(bytes) {
                match &header.format {
                    Some(serde_json::Value::String(f)) if f == FORMAT => {}
                    Some(other) => {
                        return format!(
                            "not a shardwright history (`format` is {other}, expected {FORMAT:?})"
                        )
                    }
                    None => return "not a shardwright history (no `format` field)".into(),
                }
                match &header.version {
                    Some(v)
                        if v.as_u64()
                            .is_some_and(|v| READS.iter().any(|&r| u64::from(r) == v)) => {}
                    Some(v) => return wrong_version(&v.to_string()),
                    None => return "no `version` field".into(),
                }
            } else if bytes
                .iter()
                .find(|b| !b.is_ascii_whitespace())
                .is_none_or(|&b| b != b'{')
            {
                return "not a shardwright history (the JSON is not an object)".into();
            }
            let de = &mut serde_json::Deserializer::from_slice(bytes);
            match serde_path_to_error::deserialize::<_, FileV1>(de) {
                Err(e) => {
                    let (field, value, expected) = super::run::serde_problem("history", &e);
                    let field = field.trim_start_matches("history.");
                    if field == "history" {
                        format!("{value}: expected {expected}")
                    } else {
                        format!("`{field}` is {value}, expected {expected}")
                    }
                }
                Ok(_) => format!("{e}"),
            }
        }
    }
}

fn build(file: FileV1) -> Result<Decoded, Problem> {
    let mut history = History::new(Limits::DEFAULT);
    // Runs: unique ids, then chronological order (a hand-merged file may not
    // be sorted; the permutation is applied to every attempt below).
    let mut order: Vec<usize> = (0..file.runs.len()).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (&file.runs[a], &file.runs[b]);
        (ra.started_at, &ra.id).cmp(&(rb.started_at, &rb.id))
    });
    // chrono[index in the file] = index in chronological order.
    let mut chrono = vec![0u32; file.runs.len()];
    for (new, &old) in order.iter().enumerate() {
        chrono[old] = new as u32;
    }
    let mut lines: Vec<Option<RunLine>> = file.runs.into_iter().map(Some).collect();
    for (i, &old) in order.iter().enumerate() {
        let r = lines[old].take().expect("each run once");
        if r.id.is_empty() {
            return Err(format!("runs[{old}] has an empty `id`"));
        }
        if history.run_index.insert(r.id.clone(), i as u32).is_some() {
            return Err(format!("runs[{old}]: the run id {:?} appears twice", r.id));
        }
        if let Some(s) = &r.shard {
            if s.total == 0 || s.index == 0 || s.index > s.total {
                return Err(format!(
                    "runs[{old}].shard is {}/{} (index from 1 to total)",
                    s.index, s.total
                ));
            }
        }
        history.runs.push(RunMeta {
            id: r.id,
            started_at: r.started_at,
            ended_at: r.ended_at,
            commit: r.commit,
            shard: r.shard.map(|s| ShardInfo {
                index: s.index,
                total: s.total,
                fingerprint: s.fingerprint,
                predicted_ms: s.predicted_ms,
                actual_ms: s.actual_ms,
            }),
            source: r.source,
        });
    }
    for (i, line) in file.errors.into_iter().enumerate() {
        let ErrorLine {
            message,
            class,
            rule,
            signature,
        } = line;
        let class = match class.as_str() {
            "retryable" => ErrorClass::Retryable,
            "permanent" => ErrorClass::Permanent,
            other => {
                return Err(format!(
                    "errors[{i}] has the class {other:?} (retryable or permanent)"
                ))
            }
        };
        let info = match signature {
            Some(signature) => ErrorInfo {
                message,
                class,
                rule,
                signature,
            },
            // Version 1: computed once here, written back with the file.
            None => ErrorInfo::new(message, class, rule),
        };
        // Of two equal entries (a hand-merged file) the first is interned.
        history
            .error_index
            .entry(info.clone())
            .or_insert(history.errors.len() as u32);
        history.errors.push(info);
    }
    let run_count = history.runs.len() as u64;
    let error_count = history.errors.len() as u64;
    history.tests.reserve(file.tests.len());
    history.test_index.reserve(file.tests.len());
    for (i, t) in file.tests.into_iter().enumerate() {
        let project = file.projects.get(t.p as usize).ok_or_else(|| {
            format!(
                "tests[{i}].p is {} but there are {} projects",
                t.p,
                file.projects.len()
            )
        })?;
        let test_file = file.files.get(t.f as usize).ok_or_else(|| {
            format!(
                "tests[{i}].f is {} but there are {} files",
                t.f,
                file.files.len()
            )
        })?;
        if t.t.is_empty() {
            return Err(format!("tests[{i}].t (the title path) is empty"));
        }
        let id = TestId {
            project: project.clone(),
            file: test_file.clone(),
            title_path: t.t,
        };
        let key = id.key();
        let name = |what: String| format!("tests[{i}] ({key:?}): {what}");
        let n = t.s.len();
        if t.r.len() != n || t.d.len() != n {
            return Err(name(format!(
                "`s` has {n} statuses, `r` {} runs and `d` {} durations (one each per attempt)",
                t.r.len(),
                t.d.len()
            )));
        }
        if n == 0 {
            return Err(name("no attempts".into()));
        }
        for (field, len) in [
            ("n", t.n.as_ref().map(Vec::len)),
            ("e", t.e.as_ref().map(Vec::len)),
        ] {
            if let Some(len) = len {
                if len != n {
                    return Err(name(format!(
                        "`{field}` has {len} entries for {n} attempts"
                    )));
                }
            }
        }
        let mut attempts = Vec::with_capacity(n);
        let mut run: u64 = 0;
        let mut position = 0u32;
        for (j, &letter) in t.s.as_bytes().iter().enumerate() {
            let delta = u64::from(t.r[j]);
            let previous = run;
            run = if j == 0 { delta } else { run + delta };
            if run >= run_count {
                return Err(name(format!(
                    "attempt {j} refers to run {run}, but there are {run_count} runs"
                )));
            }
            position = if j > 0 && run == previous {
                position + 1
            } else {
                0
            };
            let (status, expected_failure) = Status::from_letter(letter).ok_or_else(|| {
                name(format!(
                    "attempt {j} has the status letter {:?} (one of p f t s i)",
                    letter as char
                ))
            })?;
            let error = t.e.as_ref().map_or(0, |e| e[j]);
            if u64::from(error) > error_count {
                return Err(name(format!(
                    "attempt {j} refers to error {error}, but there are {error_count}"
                )));
            }
            attempts.push(Attempt {
                run: run as u32,
                status,
                expected_failure,
                retry: t.n.as_ref().map_or(position, |n| n[j]),
                duration_ms: t.d[j],
                error,
            });
        }
        // Runs renumbered chronologically: remap and re-sort when needed.
        let mut sorted = true;
        for a in &mut attempts {
            a.run = chrono[a.run as usize];
        }
        for w in attempts.windows(2) {
            if (w[0].run, w[0].retry) > (w[1].run, w[1].retry) {
                sorted = false;
                break;
            }
        }
        if !sorted {
            attempts.sort_by_key(|a| (a.run, a.retry));
        }
        if history
            .test_index
            .insert(key.clone(), history.tests.len() as u32)
            .is_some()
        {
            return Err(format!("tests[{i}]: the test {key:?} appears twice"));
        }
        history.tests.push(TestRecord {
            id,
            key,
            line: t.l,
            tags: t.g.unwrap_or_default(),
            attempts,
        });
    }
    for (i, inc) in file.incidents.into_iter().enumerate() {
        if !history.run_index.contains_key(&inc.run) {
            return Err(format!(
                "incidents[{i}] refers to the run {:?}, which is not in `runs`",
                inc.run
            ));
        }
        history.incidents.push(Incident {
            run_id: inc.run,
            project: inc.project,
            signature: inc.signature,
            tests: inc.tests,
            files: inc.files,
            ran: inc.ran,
            confirmed: inc.confirmed,
            streak: inc.streak,
        });
    }
    Ok(Decoded {
        history,
        file_limits: (file.max_runs, file.max_age_days),
        revision: file.revision,
    })
}

/// Writes the history (call [`History::compact`] first) as version 2.
pub fn encode(history: &History, revision: &str, saved_at: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + history.tests.len() * 160);
    let limits = history.limits;
    let _ = write!(
        out,
        "{{\"format\":\"{FORMAT}\",\"version\":{VERSION},\"revision\":\"{revision}\",\"savedAt\":{saved_at},\"maxRuns\":{},\"maxAgeDays\":{},\n\"runs\":[",
        limits.max_runs, limits.max_age_days
    );
    for (i, r) in history.runs.iter().enumerate() {
        out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        let line = RunLine {
            id: r.id.clone(),
            started_at: r.started_at,
            ended_at: r.ended_at,
            commit: r.commit.clone(),
            shard: r.shard.as_ref().map(|s| ShardLine {
                index: s.index,
                total: s.total,
                fingerprint: s.fingerprint.clone(),
                predicted_ms: s.predicted_ms,
                actual_ms: s.actual_ms,
            }),
            source: r.source.clone(),
        };
        serde_json::to_writer(&mut out, &line).expect("writing to memory");
    }
    out.extend_from_slice(b"],\n\"errors\":[");
    for (i, e) in history.errors.iter().enumerate() {
        out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        serde_json::to_writer(
            &mut out,
            &(&e.message, e.class.name(), &e.rule, &e.signature),
        )
        .expect("writing to memory");
    }
    out.extend_from_slice(b"],\n\"incidents\":[");
    for (i, inc) in history.incidents.iter().enumerate() {
        out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        let line = IncidentLine {
            run: inc.run_id.clone(),
            project: inc.project.clone(),
            signature: inc.signature.clone(),
            tests: inc.tests,
            files: inc.files,
            ran: inc.ran,
            confirmed: inc.confirmed,
            streak: inc.streak,
        };
        serde_json::to_writer(&mut out, &line).expect("writing to memory");
    }
    // Projects and files, numbered in order of first use.
    let mut projects: HashMap<&str, u32> = HashMap::default();
    let mut project_list: Vec<&str> = Vec::new();
    let mut files: HashMap<&str, u32> = HashMap::default();
    let mut file_list: Vec<&str> = Vec::new();
    let mut ids = Vec::with_capacity(history.tests.len());
    for t in &history.tests {
        let p = *projects.entry(&t.id.project).or_insert_with(|| {
            project_list.push(&t.id.project);
            project_list.len() as u32 - 1
        });
        let f = *files.entry(&t.id.file).or_insert_with(|| {
            file_list.push(&t.id.file);
            file_list.len() as u32 - 1
        });
        ids.push((p, f));
    }
    out.extend_from_slice(b"],\n\"projects\":");
    serde_json::to_writer(&mut out, &project_list).expect("writing to memory");
    out.extend_from_slice(b",\n\"files\":");
    serde_json::to_writer(&mut out, &file_list).expect("writing to memory");
    out.extend_from_slice(b",\n\"tests\":[");
    let mut status = String::new();
    for (i, (t, (p, f))) in history.tests.iter().zip(ids).enumerate() {
        out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        status.clear();
        let mut r = Vec::with_capacity(t.attempts.len());
        let mut d = Vec::with_capacity(t.attempts.len());
        let mut any_error = false;
        let mut retries_derived = true;
        let mut previous: Option<u32> = None;
        let mut position = 0;
        for a in &t.attempts {
            let letter = a.status.letter();
            status.push(if a.expected_failure {
                letter.to_ascii_uppercase()
            } else {
                letter
            } as char);
            r.push(match previous {
                None => a.run,
                Some(prev) => a.run - prev,
            });
            position = if previous == Some(a.run) {
                position + 1
            } else {
                0
            };
            retries_derived &= a.retry == position;
            previous = Some(a.run);
            d.push(a.duration_ms);
            any_error |= a.error > 0;
        }
        let line = TestLineOut {
            p,
            f,
            t: &t.id.title_path,
            l: t.line,
            g: &t.tags,
            r,
            s: &status,
            d,
            n: (!retries_derived).then(|| t.attempts.iter().map(|a| a.retry).collect()),
            e: any_error.then(|| t.attempts.iter().map(|a| a.error).collect()),
        };
        serde_json::to_writer(&mut out, &line).expect("writing to memory");
    }
    out.extend_from_slice(b"]}\n");
    out
}

/// The revision written in a file's first bytes (without parsing the rest),
/// so a writer can tell whether the file changed since it was read.
pub fn sniff_revision(head: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(head).ok().or_else(|| {
        // The head may end in the middle of a character.
        let valid = std::str::from_utf8(head).err()?.valid_up_to();
        std::str::from_utf8(&head[..valid]).ok()
    })?;
    if !READS
        .iter()
        .any(|v| text.starts_with(&format!("{{\"format\":\"{FORMAT}\",\"version\":{v},")))
    {
        return None;
    }
    let start = text.find("\"revision\":\"")? + "\"revision\":\"".len();
    let len = text[start..].find('"')?;
    Some(text[start..start + len].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::model::tests::{attempt, meta};

    fn sample() -> History {
        let mut h = History::new(Limits::DEFAULT);
        h.add_run(
            meta("r1", 1000, "c1"),
            vec![
                attempt("t", Status::Failed, 0, 10),
                attempt("t", Status::Passed, 1, 12),
                attempt("u", Status::Passed, 0, 7),
            ],
        );
        let mut fail = attempt("t", Status::Failed, 0, 9);
        fail.expected_failure = true;
        h.add_run(
            meta("r2", 2000, ""),
            vec![fail, attempt("u", Status::Skipped, 0, 0)],
        );
        h.compact();
        h
    }

    #[test]
    fn round_trip() {
        let h = sample();
        let bytes = encode(&h, "rev1", 5);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.contains(
                r#"{"p":0,"f":0,"t":["t"],"l":3,"r":[0,0,1],"s":"fpF","d":[10,12,9],"e":[1,0,1]}"#
            ),
            "{text}"
        );
        let decoded = decode(&bytes).unwrap();
        assert_eq!(decoded.revision.as_deref(), Some("rev1"));
        assert_eq!(decoded.history.tests, h.tests);
        assert_eq!(decoded.history.runs, h.runs);
        assert_eq!(decoded.history.errors, h.errors);
        assert_eq!(sniff_revision(&bytes[..100]), Some("rev1".into()));
        // The same history gives the same bytes.
        assert_eq!(encode(&decoded.history, "rev1", 5), bytes);
    }

    /// A file written by shardwright 0.x before signatures and incidents
    /// (format version 1), verbatim.
    const VERSION_1: &str = r#"{"format":"shardwright-history","version":1,"revision":"0123456789abcdef","savedAt":1767323100000,"maxRuns":20,"maxAgeDays":60,
"runs":[
{"id":"20260102030405-1a2b3c4d","startedAt":1767323045000,"endedAt":1767323100000,"commit":"4e1d","shard":{"index":1,"total":2},"source":"reporter"},
{"id":"20260103030405-5e6f7a8b","startedAt":1767409445000,"commit":"5f2e","source":"reporter"}],
"errors":[
["Error: page.goto: net::ERR_CONNECTION_REFUSED at http://127.0.0.1:3000/","retryable","network"],
["Error: expect(locator).toHaveText(expected) failed\n\nLocator: locator('#total')","permanent","assertion"]],
"projects":["chromium"],
"files":["cart.spec.ts"],
"tests":[
{"p":0,"f":0,"t":["cart lists the items"],"l":3,"g":["@smoke"],"r":[0,0,1],"s":"fpp","d":[812,790,701],"e":[1,0,0]},
{"p":0,"f":0,"t":["cart total"],"l":9,"r":[0,1],"s":"pf","d":[80,91],"e":[0,2]}]}
"#;

    #[test]
    fn version_1_files_load_and_are_written_as_version_2() {
        let decoded = decode(VERSION_1.as_bytes()).unwrap();
        let h = &decoded.history;
        assert_eq!(decoded.revision.as_deref(), Some("0123456789abcdef"));
        assert_eq!(
            (h.runs().len(), h.tests().len(), h.attempt_count()),
            (2, 2, 5)
        );
        // Signatures are computed for version 1's errors.
        assert_eq!(h.errors()[0].signature, "ERR_CONNECTION_REFUSED");
        assert_eq!(
            h.errors()[1].signature,
            "Error: expect(locator).toHaveText(expected) failed Locator: locator(<q>)"
        );
        assert!(h.incidents().is_empty());
        assert_eq!(
            sniff_revision(VERSION_1.as_bytes()),
            Some("0123456789abcdef".into())
        );
        let mut h = decoded.history;
        h.compact();
        let text = String::from_utf8(encode(&h, "r2", 0)).unwrap();
        assert!(
            text.starts_with("{\"format\":\"shardwright-history\",\"version\":2,"),
            "{text}"
        );
        assert!(text.contains(r#"["Error: page.goto: net::ERR_CONNECTION_REFUSED at http://127.0.0.1:3000/","retryable","network","ERR_CONNECTION_REFUSED"]"#), "{text}");
        let back = decode(text.as_bytes()).unwrap().history;
        assert_eq!(back.tests, h.tests);
        assert_eq!(back.errors, h.errors);
    }

    #[test]
    fn incidents_round_trip() {
        let mut h = sample();
        h.set_incidents(vec![Incident {
            run_id: "r1".into(),
            project: Some("chromium".into()),
            signature: "ERR_CONNECTION_REFUSED".into(),
            tests: 12,
            files: 4,
            ran: 20,
            confirmed: true,
            streak: 1,
        }]);
        let bytes = encode(&h, "x", 0);
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("\n\"incidents\":[\n{\"run\":\"r1\",\"project\":\"chromium\",\"signature\":\"ERR_CONNECTION_REFUSED\",\"tests\":12,\"files\":4,\"ran\":20,\"confirmed\":true,\"streak\":1}],"), "{text}");
        assert_eq!(decode(&bytes).unwrap().history.incidents(), h.incidents());
        // Compacting away the run drops its incident.
        h.set_limits(Limits {
            max_runs: 1,
            max_age_days: 0,
        });
        h.compact();
        assert!(h.incidents().is_empty(), "run r1 is gone");
    }

    #[test]
    fn explicit_retries_survive() {
        let mut h = History::new(Limits::DEFAULT);
        // Two attempts with retry 0 in one run (repeatEach).
        h.add_run(
            meta("r1", 1, ""),
            vec![
                attempt("t", Status::Passed, 0, 1),
                attempt("t", Status::Passed, 0, 2),
            ],
        );
        let bytes = encode(&h, "x", 0);
        assert!(String::from_utf8_lossy(&bytes).contains(r#""n":[0,0]"#));
        let back = decode(&bytes).unwrap().history;
        assert_eq!(
            back.tests[0]
                .attempts
                .iter()
                .map(|a| a.retry)
                .collect::<Vec<_>>(),
            [0, 0]
        );
    }

    #[test]
    fn problems_are_described() {
        let good = String::from_utf8(encode(&sample(), "r", 0)).unwrap();
        let cases: Vec<(String, &str)> = vec![
            ("".into(), "the file is empty"),
            (good[..good.len() / 2].into(), "the file is truncated"),
            (
                "[]".into(),
                "not a shardwright history (the JSON is not an object)",
            ),
            ("{}".into(), "not a shardwright history (no `format` field)"),
            (
                good.replace("\"version\":2", "\"version\":3"),
                "unsupported version 3 (this shardwright reads versions 1 and 2;",
            ),
            (
                good.replace("\"version\":2", "\"version\":\"2\""),
                "unsupported version \"2\"",
            ),
            (
                good.replace("\"assertion\",\"t failed\"]", "\"assertion\"],[]"),
                "`errors[1]` is 0, expected [message, class, rule] or [message, class, rule, signature]",
            ),
            (
                good.replace("\"incidents\":[", "\"incidents\":[{\"run\":\"nope\",\"signature\":\"x\",\"tests\":1,\"files\":1,\"ran\":1,\"confirmed\":true,\"streak\":1}"),
                "incidents[0] refers to the run \"nope\"",
            ),
            (
                good.replace("shardwright-history", "other"),
                "not a shardwright history (`format` is \"other\"",
            ),
            (
                good.replace("\"d\":[10,", "\"d\":[\"10\","),
                "`tests[0].d[0]` is string \"10\", expected u32",
            ),
            (
                good.replace("\"d\":[10,", "\"d\":[99999999999,"),
                "`tests[0].d[0]` is integer `99999999999`, expected u32",
            ),
            (
                good.replace("\"s\":\"fpF\"", "\"s\":\"fxF\""),
                "attempt 1 has the status letter 'x'",
            ),
            (
                good.replace("\"s\":\"fpF\"", "\"s\":\"fp\""),
                "`s` has 2 statuses, `r` 3 runs",
            ),
            (
                good.replace("\"r\":[0,0,1]", "\"r\":[0,0,7]"),
                "refers to run 7, but there are 2 runs",
            ),
            (
                good.replace("\"e\":[1,0,1]", "\"e\":[5,0,1]"),
                "refers to error 5, but there are 1",
            ),
            (
                "{\"a\":".repeat(200) + "1" + &"}".repeat(200),
                "no `format` field",
            ),
            (
                "[".repeat(10_000) + &"]".repeat(10_000),
                "the JSON is not an object",
            ),
            (
                good.replace("\"tests\":[", &format!("\"tests\":[{}", "[".repeat(5000))),
                "`tests[0][0]` is sequence, expected u32",
            ),
            (
                format!("{{\"format\":{}1{}}}", "[".repeat(500), "]".repeat(500)),
                "`format` is sequence, expected a string",
            ),
            (
                "\u{0}\u{1}binary".into(),
                "not valid JSON at line 1 column 1",
            ),
            (
                good.replace(",\n\"runs\":[", "\n\"runs\":["),
                "not valid JSON at line 2 column 1",
            ),
        ];
        for (text, want) in cases {
            let problem = decode(text.as_bytes())
                .err()
                .unwrap_or_else(|| panic!("{want}: decoded"));
            assert!(problem.contains(want), "want {want:?}, got {problem:?}");
        }
        assert!(decode(&[0xff, 0xfe, 0x00])
            .unwrap_err()
            .contains("invalid UTF-8 at byte 0"));
    }
}
