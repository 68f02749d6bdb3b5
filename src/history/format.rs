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

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
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
    r: &'a [u32],
    s: &'a str,
    d: &'a [u32],
    #[serde(skip_serializing_if = "Option::is_none")]
    n: Option<&'a [u32]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    e: Option<&'a [u32]>,
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

/// The whole file as one struct: only to name the field of a value of the
/// wrong type in an error ([`explain`]); decoding streams ([`FileSeed`]).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
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
    let mut problem: ProblemSlot = None;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let decoded = FileSeed {
        problem: &mut problem,
    }
    .deserialize(&mut de)
    .and_then(|d| de.end().map(|()| d));
    match decoded {
        Ok(parts) => parts.finish(),
        Err(_) if problem.is_some() => Err(problem.unwrap_or_default()),
        Err(e) => Err(explain(bytes, e)),
    }
}

/// Decodes a history from `reader` in pieces of a few MiB, so that the
/// file's bytes and the history are never both whole in memory (a history
/// of a million tests is ~250 MB of JSON). Only for a good file in the
/// layout shardwright writes (`tests` last): `None` whenever anything is
/// unusual — a problem, another layout, more than `limit` bytes — and the
/// caller then reads the file whole and [`decode`]s it, which gives the
/// same history or the precise problem.
pub fn decode_stream<R: std::io::Read>(reader: R, limit: u64) -> Option<Decoded> {
    decode_in_pieces(reader, limit, 4 << 20)
}

fn decode_in_pieces<R: std::io::Read>(reader: R, limit: u64, piece: u64) -> Option<Decoded> {
    struct Feed<R> {
        reader: R,
        read: u64,
        limit: u64,
        piece: u64,
        eof: bool,
    }
    impl<R: std::io::Read> Feed<R> {
        /// Appends the next piece to `buf`; false at the end of the file (or
        /// past the limit, or on a read error).
        fn more(&mut self, buf: &mut Vec<u8>) -> Option<bool> {
            if self.eof {
                return Some(false);
            }
            let n = (&mut self.reader).take(self.piece).read_to_end(buf).ok()? as u64;
            self.read += n;
            if self.read > self.limit {
                return None;
            }
            self.eof = n < self.piece;
            Some(n > 0)
        }
    }
    use std::io::Read as _;
    let mut feed = Feed {
        reader,
        read: 0,
        limit,
        piece,
        eof: false,
    };
    let mut buf: Vec<u8> = Vec::with_capacity(piece as usize + 4096);
    // The top of the file up to `"tests":[`, read as a file whose `tests`
    // are empty.
    let (key, bracket) = loop {
        match find_tests(&buf) {
            Scan::Found(key, bracket) => break (key, bracket),
            Scan::No => return None,
            Scan::More if buf.len() > 64 << 20 => return None,
            Scan::More => {
                if !feed.more(&mut buf)? {
                    return None;
                }
            }
        }
    };
    let start = if buf.starts_with(b"\xef\xbb\xbf") {
        3
    } else {
        0
    };
    let mut top = Vec::with_capacity(key - start + 16);
    top.extend_from_slice(&buf[start..key]);
    top.extend_from_slice(b"\"tests\":[]}");
    let mut problem: ProblemSlot = None;
    let mut de = serde_json::Deserializer::from_slice(&top);
    let mut parts = FileSeed {
        problem: &mut problem,
    }
    .deserialize(&mut de)
    .and_then(|d| de.end().map(|()| d))
    .ok()?;
    // Then the test lines one by one.
    buf.drain(..=bracket);
    let mut pos = 0;
    let mut index = 0;
    // Skips whitespace, reading on as needed; the next byte, None at the end.
    let next = |buf: &mut Vec<u8>, pos: &mut usize, feed: &mut Feed<R>| -> Option<u8> {
        loop {
            while *pos < buf.len() && buf[*pos].is_ascii_whitespace() {
                *pos += 1;
            }
            if *pos < buf.len() {
                return Some(buf[*pos]);
            }
            buf.clear();
            *pos = 0;
            if !feed.more(buf)? {
                return None;
            }
        }
    };
    if next(&mut buf, &mut pos, &mut feed)? == b']' {
        pos += 1;
    } else {
        loop {
            let mut stream =
                serde_json::Deserializer::from_slice(&buf[pos..]).into_iter::<ScratchLine>();
            match stream.next() {
                Some(Ok(ScratchLine(head))) => {
                    pos += stream.byte_offset();
                    SCRATCH
                        .with(|sc| parts.builder.test(index, head.view(&sc.borrow())))
                        .ok()?;
                    index += 1;
                }
                // The line goes on in the next piece.
                Some(Err(e)) if e.is_eof() && !feed.eof => {
                    buf.drain(..pos);
                    pos = 0;
                    if !feed.more(&mut buf)? {
                        return None;
                    }
                    continue;
                }
                _ => return None,
            }
            match next(&mut buf, &mut pos, &mut feed)? {
                b',' => {
                    pos += 1;
                    next(&mut buf, &mut pos, &mut feed)?;
                }
                b']' => {
                    pos += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    // `]` then `}`, then nothing but whitespace.
    if next(&mut buf, &mut pos, &mut feed)? != b'}' {
        return None;
    }
    pos += 1;
    if next(&mut buf, &mut pos, &mut feed).is_some() {
        return None;
    }
    parts.finish().ok()
}

enum Scan {
    /// Where the top-level key `"tests"` starts, and its array's `[`.
    Found(usize, usize),
    /// Not found yet: read on.
    More,
    /// Not a file [`decode_stream`] reads.
    No,
}

/// Finds the top-level `"tests": [` in the beginning of a file (strings and
/// nesting followed; a key written with escapes is not recognised, and the
/// whole file is then decoded at once).
fn find_tests(buf: &[u8]) -> Scan {
    let mut i = if buf.starts_with(b"\xef\xbb\xbf") {
        3
    } else {
        0
    };
    let mut depth = 0u32;
    // At depth 1, the next string is a key.
    let mut key_next = false;
    while i < buf.len() {
        match buf[i] {
            b'"' => {
                let from = i;
                i += 1;
                loop {
                    match buf.get(i) {
                        None => return Scan::More,
                        Some(b'\\') => i += 2,
                        Some(b'"') => break,
                        Some(_) => i += 1,
                    }
                }
                // buf[i] is the closing quote.
                if depth == 1 && key_next {
                    key_next = false;
                    if &buf[from..=i] == b"\"tests\"" {
                        let mut j = i + 1;
                        let ws = |j: &mut usize| {
                            while *j < buf.len() && buf[*j].is_ascii_whitespace() {
                                *j += 1;
                            }
                        };
                        ws(&mut j);
                        match buf.get(j) {
                            None => return Scan::More,
                            Some(b':') => {}
                            Some(_) => return Scan::No,
                        }
                        j += 1;
                        ws(&mut j);
                        return match buf.get(j) {
                            None => Scan::More,
                            Some(b'[') => Scan::Found(from, j),
                            Some(_) => Scan::No,
                        };
                    }
                }
            }
            b'{' | b'[' => {
                depth += 1;
                key_next = depth == 1 && buf[i] == b'{';
            }
            b'}' | b']' => {
                if depth == 0 {
                    return Scan::No;
                }
                depth -= 1;
            }
            b',' if depth == 1 => key_next = true,
            _ => {}
        }
        i += 1;
    }
    Scan::More
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

/// What building a test needs from the top of the file: the runs (in
/// chronological order), the errors, the projects and files.
struct Builder {
    history: History,
    /// `chrono[index in the file]` = index in chronological order.
    chrono: Vec<u32>,
    projects: Vec<String>,
    files: Vec<String>,
    run_count: u64,
    error_count: u64,
}

/// One test line as read: owned titles and tags (they move into the record),
/// the per-attempt arrays borrowed from buffers reused across tests.
struct TestView<'a> {
    p: u32,
    f: u32,
    t: Vec<String>,
    l: Option<u32>,
    g: Option<Vec<String>>,
    r: &'a [u32],
    s: &'a [u8],
    d: &'a [u32],
    n: Option<&'a [u32]>,
    e: Option<&'a [u32]>,
}

impl TestLine {
    fn view(&mut self) -> TestView<'_> {
        TestView {
            p: self.p,
            f: self.f,
            t: std::mem::take(&mut self.t),
            l: self.l,
            g: self.g.take(),
            r: &self.r,
            s: self.s.as_bytes(),
            d: &self.d,
            n: self.n.as_deref(),
            e: self.e.as_deref(),
        }
    }
}

impl Builder {
    fn new(
        runs: Vec<RunLine>,
        errors: Vec<ErrorLine>,
        projects: Vec<String>,
        files: Vec<String>,
    ) -> Result<Builder, Problem> {
        let mut history = History::new(Limits::DEFAULT);
        // Runs: unique ids, then chronological order (a hand-merged file may
        // not be sorted; the permutation is applied to every attempt below).
        let mut order: Vec<usize> = (0..runs.len()).collect();
        order.sort_by(|&a, &b| {
            let (ra, rb) = (&runs[a], &runs[b]);
            (ra.started_at, &ra.id).cmp(&(rb.started_at, &rb.id))
        });
        let mut chrono = vec![0u32; runs.len()];
        for (new, &old) in order.iter().enumerate() {
            chrono[old] = new as u32;
        }
        let mut lines: Vec<Option<RunLine>> = runs.into_iter().map(Some).collect();
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
        for (i, line) in errors.into_iter().enumerate() {
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
        Ok(Builder {
            run_count: history.runs.len() as u64,
            error_count: history.errors.len() as u64,
            history,
            chrono,
            projects,
            files,
        })
    }

    /// Checks and adds `tests[i]`.
    fn test(&mut self, i: usize, t: TestView) -> Result<(), Problem> {
        let project = self.projects.get(t.p as usize).ok_or_else(|| {
            format!(
                "tests[{i}].p is {} but there are {} projects",
                t.p,
                self.projects.len()
            )
        })?;
        let test_file = self.files.get(t.f as usize).ok_or_else(|| {
            format!(
                "tests[{i}].f is {} but there are {} files",
                t.f,
                self.files.len()
            )
        })?;
        if t.t.is_empty() {
            return Err(format!("tests[{i}].t (the title path) is empty"));
        }
        let mut title_path = t.t;
        title_path.shrink_to_fit();
        let id = TestId {
            project: project.clone(),
            file: test_file.clone(),
            title_path,
        };
        let sep = crate::playwright::testid::SEPARATOR.len();
        let mut key = String::with_capacity(
            id.project.len()
                + sep
                + id.file.len()
                + id.title_path.iter().map(|s| s.len() + sep).sum::<usize>(),
        );
        super::model::write_key(&mut key, &id.project, &id.file, &id.title_path);
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
        for (field, len) in [("n", t.n.map(<[u32]>::len)), ("e", t.e.map(<[u32]>::len))] {
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
        for (j, &letter) in t.s.iter().enumerate() {
            let delta = u64::from(t.r[j]);
            let previous = run;
            run = if j == 0 { delta } else { run + delta };
            if run >= self.run_count {
                return Err(name(format!(
                    "attempt {j} refers to run {run}, but there are {} runs",
                    self.run_count
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
            let error = t.e.map_or(0, |e| e[j]);
            if u64::from(error) > self.error_count {
                return Err(name(format!(
                    "attempt {j} refers to error {error}, but there are {}",
                    self.error_count
                )));
            }
            attempts.push(Attempt {
                // Runs renumbered chronologically.
                run: self.chrono[run as usize],
                status,
                expected_failure,
                retry: Attempt::retry_index(t.n.map_or(position, |n| n[j])),
                duration_ms: t.d[j],
                error,
            });
        }
        // Re-sorted when the renumbering changed the order.
        if attempts
            .windows(2)
            .any(|w| (w[0].run, w[0].retry) > (w[1].run, w[1].retry))
        {
            attempts.sort_by_key(|a| (a.run, a.retry));
        }
        let mut tags = t.g.unwrap_or_default();
        tags.shrink_to_fit();
        self.history.tests.push(TestRecord {
            id,
            key,
            line: t.l,
            tags,
            attempts,
        });
        Ok(())
    }

    fn finish(
        mut self,
        incidents: Vec<IncidentLine>,
        file_limits: (Option<u32>, Option<u32>),
        revision: Option<String>,
    ) -> Result<Decoded, Problem> {
        let history = &mut self.history;
        let tests = &history.tests;
        let mut index = super::index::KeyIndex::default();
        index.reserve(tests, tests.len());
        for i in 0..tests.len() {
            if index.insert(tests, i as u32).is_some() {
                return Err(format!(
                    "tests[{i}]: the test {:?} appears twice",
                    tests[i].key
                ));
            }
        }
        history.test_index = index;
        for (i, inc) in incidents.into_iter().enumerate() {
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
            history: self.history,
            file_limits,
            revision,
        })
    }
}

/// The top-level fields read so far.
#[derive(Default)]
struct Head {
    format: Option<String>,
    version: Option<u32>,
    revision: Option<Option<String>>,
    max_runs: Option<Option<u32>>,
    max_age_days: Option<Option<u32>>,
    runs: Option<Vec<RunLine>>,
    errors: Option<Vec<ErrorLine>>,
    incidents: Option<Vec<IncidentLine>>,
    projects: Option<Vec<String>>,
    files: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum FileField {
    Format,
    Version,
    Revision,
    MaxRuns,
    MaxAgeDays,
    Runs,
    Errors,
    Incidents,
    Projects,
    Files,
    Tests,
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(field_identifier)]
enum TestField {
    #[serde(rename = "p")]
    P,
    #[serde(rename = "f")]
    F,
    #[serde(rename = "t")]
    T,
    #[serde(rename = "l")]
    L,
    #[serde(rename = "g")]
    G,
    #[serde(rename = "r")]
    R,
    #[serde(rename = "s")]
    S,
    #[serde(rename = "d")]
    D,
    #[serde(rename = "n")]
    N,
    #[serde(rename = "e")]
    E,
    #[serde(other)]
    Other,
}

/// Buffers reused from one test line to the next.
#[derive(Default)]
struct Scratch {
    t: Vec<String>,
    r: Vec<u32>,
    d: Vec<u32>,
    n: Vec<u32>,
    e: Vec<u32>,
    s: Vec<u8>,
}

/// Reads an array of u32 into a reused vector.
struct U32s<'a>(&'a mut Vec<u32>);

impl<'de> DeserializeSeed<'de> for U32s<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for U32s<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of whole numbers")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.0.clear();
        while let Some(x) = seq.next_element::<u32>()? {
            self.0.push(x);
        }
        Ok(())
    }
}

/// `null` (false) or an array of u32 into a reused vector (true).
struct OptU32s<'a>(&'a mut Vec<u32>);

impl<'de> DeserializeSeed<'de> for OptU32s<'_> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for OptU32s<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of whole numbers or null")
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        U32s(self.0).deserialize(d).map(|()| true)
    }
}

/// A string into a reused buffer.
struct Bytes<'a>(&'a mut Vec<u8>);

impl<'de> DeserializeSeed<'de> for Bytes<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Bytes<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
        self.0.clear();
        self.0.extend_from_slice(v.as_bytes());
        Ok(())
    }
}

/// Where a problem found while streaming is kept (the parser only carries
/// a placeholder error out).
type ProblemSlot = Option<Problem>;

fn stop<E: serde::de::Error>(slot: &mut ProblemSlot, problem: Problem) -> E {
    *slot = Some(problem);
    E::custom("the history has a problem")
}

/// A test line's fields besides the per-attempt arrays, which are in the
/// [`Scratch`] it was read with.
struct LineHead {
    p: u32,
    f: u32,
    t: Vec<String>,
    l: Option<u32>,
    g: Option<Vec<String>>,
    n: bool,
    e: bool,
}

impl LineHead {
    fn view(self, sc: &Scratch) -> TestView<'_> {
        TestView {
            p: self.p,
            f: self.f,
            t: self.t,
            l: self.l,
            g: self.g,
            r: &sc.r,
            s: &sc.s,
            d: &sc.d,
            n: self.n.then_some(sc.n.as_slice()),
            e: self.e.then_some(sc.e.as_slice()),
        }
    }
}

/// Titles into a reused vector (moved out with an exact capacity).
struct Titles<'a>(&'a mut Vec<String>);

impl<'de> DeserializeSeed<'de> for Titles<'_> {
    type Value = Vec<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Titles<'_> {
    type Value = Vec<String>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
        self.0.clear();
        while let Some(x) = seq.next_element::<String>()? {
            self.0.push(x);
        }
        Ok(self.0.drain(..).collect())
    }
}

/// Reads one test line: the per-attempt arrays into the scratch buffers.
struct LineSeed<'a>(&'a mut Scratch);

impl<'de> DeserializeSeed<'de> for LineSeed<'_> {
    type Value = LineHead;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<LineHead, D::Error> {
        // A struct: an object, or an array of the fields in order.
        const FIELDS: &[&str] = &["p", "f", "t", "l", "g", "r", "s", "d", "n", "e"];
        d.deserialize_struct("TestLine", FIELDS, self)
    }
}

impl<'de> Visitor<'de> for LineSeed<'_> {
    type Value = LineHead;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("struct TestLine")
    }

    /// The array form of a struct, as serde reads it.
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<LineHead, A::Error> {
        let line = TestLine::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
        let sc = self.0;
        sc.r = line.r;
        sc.d = line.d;
        sc.s = line.s.into_bytes();
        let (n, e) = (line.n.is_some(), line.e.is_some());
        sc.n = line.n.unwrap_or_default();
        sc.e = line.e.unwrap_or_default();
        Ok(LineHead {
            p: line.p,
            f: line.f,
            t: line.t,
            l: line.l,
            g: line.g,
            n,
            e,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LineHead, A::Error> {
        use serde::de::Error as _;
        let sc = self.0;
        let (mut p, mut f, mut t, mut l, mut g) = (None, None, None, None, None);
        let (mut r, mut s, mut d, mut n, mut e) = (false, false, false, None, None);
        fn once<E: serde::de::Error>(seen: bool, field: &'static str) -> Result<(), E> {
            if seen {
                Err(E::duplicate_field(field))
            } else {
                Ok(())
            }
        }
        while let Some(field) = map.next_key::<TestField>()? {
            match field {
                TestField::P => {
                    once(p.is_some(), "p")?;
                    p = Some(map.next_value::<u32>()?);
                }
                TestField::F => {
                    once(f.is_some(), "f")?;
                    f = Some(map.next_value::<u32>()?);
                }
                TestField::T => {
                    once(t.is_some(), "t")?;
                    t = Some(map.next_value_seed(Titles(&mut sc.t))?);
                }
                TestField::L => {
                    once(l.is_some(), "l")?;
                    l = Some(map.next_value::<Option<u32>>()?);
                }
                TestField::G => {
                    once(g.is_some(), "g")?;
                    g = Some(map.next_value::<Option<Vec<String>>>()?);
                }
                TestField::R => {
                    once(r, "r")?;
                    map.next_value_seed(U32s(&mut sc.r))?;
                    r = true;
                }
                TestField::S => {
                    once(s, "s")?;
                    map.next_value_seed(Bytes(&mut sc.s))?;
                    s = true;
                }
                TestField::D => {
                    once(d, "d")?;
                    map.next_value_seed(U32s(&mut sc.d))?;
                    d = true;
                }
                TestField::N => {
                    once(n.is_some(), "n")?;
                    n = Some(map.next_value_seed(OptU32s(&mut sc.n))?);
                }
                TestField::E => {
                    once(e.is_some(), "e")?;
                    e = Some(map.next_value_seed(OptU32s(&mut sc.e))?);
                }
                TestField::Other => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        let p = p.ok_or_else(|| A::Error::missing_field("p"))?;
        let f = f.ok_or_else(|| A::Error::missing_field("f"))?;
        let t = t.ok_or_else(|| A::Error::missing_field("t"))?;
        for (seen, field) in [(r, "r"), (s, "s"), (d, "d")] {
            if !seen {
                return Err(A::Error::missing_field(field));
            }
        }
        Ok(LineHead {
            p,
            f,
            t,
            l: l.flatten(),
            g: g.flatten(),
            n: n == Some(true),
            e: e == Some(true),
        })
    }
}

/// One test line, built into the history as soon as it is read.
struct TestSeed<'a> {
    builder: &'a mut Builder,
    scratch: &'a mut Scratch,
    problem: &'a mut ProblemSlot,
    index: usize,
}

impl<'de> DeserializeSeed<'de> for TestSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let head = LineSeed(&mut *self.scratch).deserialize(d)?;
        self.builder
            .test(self.index, head.view(self.scratch))
            .map_err(|p| stop(self.problem, p))
    }
}

thread_local! {
    /// The buffers of [`decode_stream`]'s lines (read through serde_json's
    /// `StreamDeserializer`, which takes a type, not a seed).
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// A test line read into [`SCRATCH`].
struct ScratchLine(LineHead);

impl<'de> Deserialize<'de> for ScratchLine {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ScratchLine, D::Error> {
        SCRATCH.with(|sc| {
            LineSeed(&mut sc.borrow_mut())
                .deserialize(d)
                .map(ScratchLine)
        })
    }
}

/// The `tests` array, each line built as it is read.
struct TestsSeed<'a> {
    builder: &'a mut Builder,
    problem: &'a mut ProblemSlot,
}

impl<'de> DeserializeSeed<'de> for TestsSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for TestsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut scratch = Scratch::default();
        let mut index = 0;
        while seq
            .next_element_seed(TestSeed {
                builder: &mut *self.builder,
                scratch: &mut scratch,
                problem: &mut *self.problem,
                index,
            })?
            .is_some()
        {
            index += 1;
        }
        Ok(())
    }
}

/// The whole file. When `format`, `version`, `runs`, `errors`, `projects`
/// and `files` come before `tests` (as shardwright writes them), each test
/// line is built into the history as it is read, so the file's tests never
/// exist twice in memory; otherwise (a hand-edited file with its fields in
/// another order, or not a usable history) the lines are read first, as
/// before, and built at the end.
struct FileSeed<'a> {
    problem: &'a mut ProblemSlot,
}

impl<'de> DeserializeSeed<'de> for FileSeed<'_> {
    type Value = Parts;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Parts, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FileSeed<'_> {
    type Value = Parts;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("struct FileV1")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parts, A::Error> {
        use serde::de::Error as _;
        let mut head = Head::default();
        let mut builder: Option<Builder> = None;
        let mut buffered: Option<Vec<TestLine>> = None;
        macro_rules! once {
            ($slot:expr, $name:literal) => {{
                if $slot.is_some() {
                    return Err(A::Error::duplicate_field($name));
                }
                $slot = Some(map.next_value()?);
            }};
        }
        while let Some(field) = map.next_key::<FileField>()? {
            match field {
                FileField::Format => once!(head.format, "format"),
                FileField::Version => once!(head.version, "version"),
                FileField::Revision => once!(head.revision, "revision"),
                FileField::MaxRuns => once!(head.max_runs, "maxRuns"),
                FileField::MaxAgeDays => once!(head.max_age_days, "maxAgeDays"),
                FileField::Runs => once!(head.runs, "runs"),
                FileField::Errors => once!(head.errors, "errors"),
                FileField::Incidents => once!(head.incidents, "incidents"),
                FileField::Projects => once!(head.projects, "projects"),
                FileField::Files => once!(head.files, "files"),
                FileField::Other => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
                FileField::Tests => {
                    if builder.is_some() || buffered.is_some() {
                        return Err(A::Error::duplicate_field("tests"));
                    }
                    let usable = head.format.as_deref() == Some(FORMAT)
                        && head.version.is_some_and(|v| READS.contains(&v));
                    if usable
                        && head.runs.is_some()
                        && head.errors.is_some()
                        && head.projects.is_some()
                        && head.files.is_some()
                    {
                        let mut b = Builder::new(
                            head.runs.take().unwrap_or_default(),
                            head.errors.take().unwrap_or_default(),
                            head.projects.take().unwrap_or_default(),
                            head.files.take().unwrap_or_default(),
                        )
                        .map_err(|p| stop(self.problem, p))?;
                        map.next_value_seed(TestsSeed {
                            builder: &mut b,
                            problem: &mut *self.problem,
                        })?;
                        builder = Some(b);
                    } else {
                        buffered = Some(map.next_value()?);
                    }
                }
            }
        }
        let format = head
            .format
            .ok_or_else(|| A::Error::missing_field("format"))?;
        let version = head
            .version
            .ok_or_else(|| A::Error::missing_field("version"))?;
        let builder = match builder {
            Some(b) => b,
            None => {
                let runs = head.runs.ok_or_else(|| A::Error::missing_field("runs"))?;
                let errors = head
                    .errors
                    .ok_or_else(|| A::Error::missing_field("errors"))?;
                let projects = head
                    .projects
                    .ok_or_else(|| A::Error::missing_field("projects"))?;
                let files = head.files.ok_or_else(|| A::Error::missing_field("files"))?;
                let tests = buffered.ok_or_else(|| A::Error::missing_field("tests"))?;
                if format != FORMAT {
                    return Err(stop(
                        self.problem,
                        format!(
                            "not a shardwright history (`format` is {format:?}, expected {FORMAT:?})"
                        ),
                    ));
                }
                if !READS.contains(&version) {
                    return Err(stop(self.problem, wrong_version(&version.to_string())));
                }
                let mut b = Builder::new(runs, errors, projects, files)
                    .map_err(|p| stop(self.problem, p))?;
                for (i, mut line) in tests.into_iter().enumerate() {
                    b.test(i, line.view()).map_err(|p| stop(self.problem, p))?;
                }
                b
            }
        };
        Ok(Parts {
            builder,
            incidents: head.incidents.unwrap_or_default(),
            file_limits: (head.max_runs.flatten(), head.max_age_days.flatten()),
            revision: head.revision.flatten(),
        })
    }
}

/// A file read up to its last checks: [`Parts::finish`] makes the history.
struct Parts {
    builder: Builder,
    incidents: Vec<IncidentLine>,
    file_limits: (Option<u32>, Option<u32>),
    revision: Option<String>,
}

impl Parts {
    fn finish(mut self) -> Result<Decoded, Problem> {
        self.builder.history.tests.shrink_to_fit();
        self.builder
            .finish(self.incidents, self.file_limits, self.revision)
    }
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
    // Buffers reused from one test to the next.
    let mut status = String::new();
    let (mut r, mut d, mut n, mut e) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, (t, (p, f))) in history.tests.iter().zip(ids).enumerate() {
        out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        status.clear();
        r.clear();
        d.clear();
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
            retries_derived &= u32::from(a.retry) == position;
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
            r: &r,
            s: &status,
            d: &d,
            n: (!retries_derived).then(|| {
                n.clear();
                n.extend(t.attempts.iter().map(|a| u32::from(a.retry)));
                n.as_slice()
            }),
            e: any_error.then(|| {
                e.clear();
                e.extend(t.attempts.iter().map(|a| a.error));
                e.as_slice()
            }),
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
    fn fields_in_any_order_and_array_lines_load_alike() {
        let h = sample();
        let bytes = encode(&h, "rev1", 5);
        // serde_json's map sorts the keys: `tests` comes before `version`
        // (and `projects`, `runs`), so the lines are read before they can
        // be built.
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let reordered = serde_json::to_vec(&value).unwrap();
        assert!(
            String::from_utf8_lossy(&reordered).find("\"tests\"")
                < String::from_utf8_lossy(&reordered).find("\"version\"")
        );
        let back = decode(&reordered).unwrap();
        assert_eq!(back.history.tests, h.tests);
        assert_eq!(back.history.runs, h.runs);
        assert_eq!(back.revision.as_deref(), Some("rev1"));
        assert!(back.history.test(&h.tests[1].key).is_some());
        // A test line as an array (serde reads a struct from one too).
        let text = String::from_utf8(bytes).unwrap().replace(
            r#"{"p":0,"f":0,"t":["t"],"l":3,"r":[0,0,1],"s":"fpF","d":[10,12,9],"e":[1,0,1]}"#,
            r#"[0,0,["t"],3,null,[0,0,1],"fpF",[10,12,9],null,[1,0,1]]"#,
        );
        assert!(text.contains("[0,0,[\"t\"]"), "{text}");
        assert_eq!(decode(text.as_bytes()).unwrap().history.tests, h.tests);
        // A duplicate test is refused either way.
        let dup = text.replace(
            "\"tests\":[\n",
            "\"tests\":[\n[0,0,[\"t\"],3,null,[0],\"p\",[1],null,null],\n",
        );
        let problem = decode(dup.as_bytes()).unwrap_err();
        assert!(problem.contains("appears twice"), "{problem}");
    }

    #[test]
    fn read_in_pieces_alike_or_not_at_all() {
        let h = sample();
        let bytes = encode(&h, "rev1", 5);
        let whole = decode(&bytes).unwrap();
        for piece in [1, 2, 7, 64, 1 << 20] {
            let d = decode_in_pieces(&bytes[..], u64::MAX, piece).expect("a good file");
            assert_eq!(d.history.tests, whole.history.tests, "pieces of {piece}");
            assert_eq!(d.history.runs, whole.history.runs);
            assert_eq!(d.history.errors, whole.history.errors);
            assert_eq!(d.revision, whole.revision);
            assert_eq!(d.file_limits, whole.file_limits);
            assert!(d.history.test(&h.tests[0].key).is_some());
        }
        let mut bom = b"\xef\xbb\xbf".to_vec();
        bom.extend_from_slice(&bytes);
        assert_eq!(
            decode_in_pieces(&bom[..], u64::MAX, 5)
                .unwrap()
                .history
                .tests,
            h.tests
        );
        let text = String::from_utf8(bytes.clone()).unwrap();
        let no_tests = text.replace(
            &text[text.find("\n\"tests\":[").unwrap()..],
            "\n\"tests\":[ ]}\n",
        );
        assert!(decode_in_pieces(no_tests.as_bytes(), u64::MAX, 3)
            .unwrap()
            .history
            .tests
            .is_empty());
        // Anything unusual is left to `decode`: another layout, a problem,
        // a truncated file, trailing data, too many bytes.
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let sorted = serde_json::to_vec(&value).unwrap();
        assert!(decode(&sorted).is_ok());
        for bad in [
            sorted,
            text.replace("\"s\":\"fpF\"", "\"s\":\"fxF\"").into_bytes(),
            bytes[..bytes.len() - 10].to_vec(),
            format!("{text} x").into_bytes(),
            text.replace("]}\n", "],\"extra\":1}\n").into_bytes(),
            text.replace("\"tests\":[\n", "\"tests\":[\n,").into_bytes(),
            Vec::new(),
        ] {
            assert!(decode_in_pieces(&bad[..], u64::MAX, 4).is_none());
        }
        assert!(decode_in_pieces(&bytes[..], 100, 16).is_none());
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
