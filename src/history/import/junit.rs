//! JUnit XML: Playwright's `junit` reporter and other runners (Maven
//! Surefire, Jest, Node's `--test-reporter=junit`, pytest…).
//!
//! A `<testcase>` is one test. Its attempts: a `<failure>` or `<error>` is a
//! failed attempt, `<skipped>` a skipped one, nothing a passed one; the
//! Surefire-style `<flakyFailure>`/`<flakyError>` elements (written by
//! Playwright with `includeRetries`) are failed attempts before the final
//! pass, `<rerunFailure>`/`<rerunError>` failed retries after the first
//! failure. Playwright's files are recognised by the `id` attribute of their
//! `<testsuites>` root: the project is the suite's `hostname`, the file the
//! `classname`, and the name is the title path joined with ` › `. For other
//! runners the file is the test's `file` attribute or its `classname`, and the
//! title path is the enclosing suites' names plus the test's name.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use crate::history::run::{AttemptInput, ErrorInput, RunInput, TimeInput};
use crate::history::time;
use crate::playwright::testid::SEPARATOR;

#[derive(Default)]
struct SuiteFrame {
    name: Option<String>,
    hostname: Option<String>,
}

#[derive(Default, Clone, Copy, PartialEq)]
enum Kind {
    #[default]
    Passed,
    Failed,
    Skipped,
}

struct Retry {
    kind: Kind,
    time: f64,
    message: String,
    /// `flaky…` (before the final pass) or `rerun…` (after the first failure).
    flaky: bool,
}

#[derive(Default)]
struct Case {
    name: String,
    classname: Option<String>,
    file: Option<String>,
    line: Option<u32>,
    time: f64,
    kind: Kind,
    message: String,
    retries: Vec<Retry>,
}

/// Which element's text is being collected.
enum Capture {
    None,
    Outcome,
    Retry,
}

fn attr(e: &BytesStart, name: &str) -> Result<Option<String>, String> {
    match e.try_get_attribute(name) {
        Ok(Some(a)) => a
            .normalized_value(XmlVersion::Implicit1_0)
            .map(|v| Some(v.into_owned()))
            .map_err(|err| format!("bad `{name}` attribute: {err}")),
        Ok(None) => Ok(None),
        Err(err) => Err(format!("bad attributes: {err}")),
    }
}

/// The longest time an attempt may take, in seconds: what the history holds
/// (milliseconds in 32 bits, 49.7 days).
const MAX_SECONDS: f64 = u32::MAX as f64 / 1000.0;

/// The `time` attribute in seconds; absent or empty is 0. Anything else
/// that is not a finite number from 0 to [`MAX_SECONDS`] (`NaN`, `inf`,
/// `1e400`, `-5`, `soon`) is an error naming the test.
fn seconds(e: &BytesStart, test: &str) -> Result<f64, String> {
    let Some(raw) = attr(e, "time")? else {
        return Ok(0.0);
    };
    let text = raw.trim();
    if text.is_empty() {
        return Ok(0.0);
    }
    // Thousands separators, as some runners write them (`1,234.5`).
    match text.replace(',', "").parse::<f64>() {
        Ok(t) if t.is_finite() && (0.0..=MAX_SECONDS).contains(&t) => Ok(t.max(0.0)),
        _ => Err(format!(
            "{test}: invalid time {raw:?} (seconds: a finite number from 0 to {MAX_SECONDS})"
        )),
    }
}

/// How an error names a test case: its name (cut) and class name.
fn case_label(name: &str, classname: Option<&str>) -> String {
    let name = crate::history::run::cut_text(name, 200);
    match classname {
        Some(c) => format!(
            "test {name:?} of {:?}",
            crate::history::run::cut_text(c, 200)
        ),
        None => format!("test {name:?}"),
    }
}

/// Whether the text starts like XML.
pub fn looks_like(bytes: &[u8]) -> bool {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let rest = &bytes[start..];
    let rest = rest.strip_prefix(b"\xef\xbb\xbf").unwrap_or(rest);
    rest.starts_with(b"<")
}

pub fn parse(text: &str, run_id: String) -> Result<RunInput, String> {
    let mut reader = Reader::from_str(text.trim_start_matches('\u{feff}'));
    let mut suites: Vec<SuiteFrame> = Vec::new();
    let mut playwright = false;
    let mut seen_root = false;
    let mut timestamp = None;
    let mut case: Option<Case> = None;
    let mut capture = Capture::None;
    let mut text_buf = String::new();
    let mut attempts = Vec::new();
    let mut cases = 0usize;
    let mut total_ms = 0.0;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("not valid XML at byte {}: {e}", reader.error_position()))?;
        let (e, empty) = match event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(e) => {
                match e.local_name().as_ref() {
                    b"testsuite" => {
                        suites.pop();
                    }
                    b"testcase" => {
                        if let Some(c) = case.take() {
                            cases += 1;
                            total_ms += emit(c, &suites, playwright, &mut attempts);
                        }
                    }
                    b"failure" | b"error" | b"skipped" => {
                        if let (Capture::Outcome, Some(c)) = (&capture, case.as_mut()) {
                            take_text(&mut c.message, &text_buf, playwright);
                        }
                        capture = Capture::None;
                    }
                    name if is_retry(name) => {
                        if let (Capture::Retry, Some(c)) = (&capture, case.as_mut()) {
                            if let Some(r) = c.retries.last_mut() {
                                take_text(&mut r.message, &text_buf, playwright);
                            }
                        }
                        capture = Capture::None;
                    }
                    _ => {}
                }
                continue;
            }
            Event::Text(t) => {
                if !matches!(capture, Capture::None) {
                    let t = t
                        .xml_content(XmlVersion::Implicit1_0)
                        .map_err(|e| format!("bad text: {e}"))?;
                    text_buf.push_str(&t);
                }
                continue;
            }
            Event::CData(t) => {
                if !matches!(capture, Capture::None) {
                    text_buf.push_str(&String::from_utf8_lossy(&t));
                }
                continue;
            }
            Event::GeneralRef(r) => {
                if !matches!(capture, Capture::None) {
                    if let Ok(Some(ch)) = r.resolve_char_ref() {
                        text_buf.push(ch);
                    } else if let Some(s) = r
                        .decode()
                        .ok()
                        .and_then(|name| resolve_predefined_entity(&name))
                    {
                        text_buf.push_str(s);
                    }
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        if !seen_root {
            seen_root = true;
            match e.local_name().as_ref() {
                // Playwright writes `id` (PLAYWRIGHT_JUNIT_SUITE_ID, often
                // empty) on its root; other runners do not.
                b"testsuites" => playwright = attr(&e, "id")?.is_some(),
                b"testsuite" => {}
                other => {
                    return Err(format!(
                        "not a JUnit XML report: the root element is <{}>, expected <testsuites> or <testsuite>",
                        String::from_utf8_lossy(other)
                    ))
                }
            }
        }
        match e.local_name().as_ref() {
            b"testsuite" => {
                if timestamp.is_none() {
                    timestamp = attr(&e, "timestamp")?.as_deref().and_then(time::parse_iso);
                }
                if !empty {
                    suites.push(SuiteFrame {
                        name: attr(&e, "name")?,
                        hostname: attr(&e, "hostname")?,
                    });
                }
            }
            b"testcase" => {
                let name = attr(&e, "name")?.unwrap_or_default();
                let classname = attr(&e, "classname")?.filter(|s| !s.is_empty());
                let time = seconds(&e, &case_label(&name, classname.as_deref()))?;
                let c = Case {
                    name,
                    classname,
                    file: attr(&e, "file")?.filter(|s| !s.is_empty()),
                    line: attr(&e, "line")?.and_then(|l| l.trim().parse().ok()),
                    time,
                    ..Default::default()
                };
                if empty {
                    cases += 1;
                    total_ms += emit(c, &suites, playwright, &mut attempts);
                } else {
                    case = Some(c);
                }
            }
            name @ (b"failure" | b"error" | b"skipped") => {
                if let Some(c) = case.as_mut() {
                    let kind = if name == b"skipped" {
                        Kind::Skipped
                    } else {
                        Kind::Failed
                    };
                    // A failure wins over a skip; the first failure's message
                    // is kept.
                    if c.kind != Kind::Failed {
                        c.kind = kind;
                        if kind == Kind::Failed {
                            c.message = attr(&e, "message")?.unwrap_or_default();
                        }
                        if !empty && kind == Kind::Failed {
                            capture = Capture::Outcome;
                            text_buf.clear();
                        }
                    }
                }
            }
            name if is_retry(name) => {
                if let Some(c) = case.as_mut() {
                    let time = seconds(
                        &e,
                        &format!(
                            "<{}> of {}",
                            String::from_utf8_lossy(name),
                            case_label(&c.name, c.classname.as_deref())
                        ),
                    )?;
                    c.retries.push(Retry {
                        kind: Kind::Failed,
                        time,
                        message: attr(&e, "message")?.unwrap_or_default(),
                        flaky: name.starts_with(b"flaky"),
                    });
                    if !empty {
                        capture = Capture::Retry;
                        text_buf.clear();
                    }
                }
            }
            _ => {}
        }
    }
    if !seen_root {
        return Err("not a JUnit XML report: no root element".into());
    }
    if cases == 0 {
        return Err("a JUnit XML report without any <testcase>".into());
    }
    let started_at = timestamp;
    Ok(RunInput {
        id: Some(run_id),
        started_at: started_at.map(|ms| TimeInput::Ms(ms as f64)),
        ended_at: started_at.map(|ms| TimeInput::Ms((ms as f64) + total_ms)),
        commit: Some(None),
        shard: None,
        source: Some(
            if playwright {
                "junit-playwright"
            } else {
                "junit"
            }
            .into(),
        ),
        attempts,
    })
}

fn is_retry(name: &[u8]) -> bool {
    matches!(
        name,
        b"flakyFailure" | b"flakyError" | b"rerunFailure" | b"rerunError"
    )
}

/// Playwright writes an error's first line without its name (`Error: `,
/// `TimeoutError: `) as the `message` attribute; its JSON report and
/// shardwright's reporter keep the name. The element's text (the formatted
/// failure, or the stack of a retry) shows the line with it: that line is
/// taken, so that a failure has one signature and class whichever of the
/// reports it was imported from.
fn restore_name(message: &mut String, text: &str) {
    if message.is_empty() {
        return;
    }
    let named = text.lines().map(str::trim).find(|line| {
        line.strip_suffix(message.as_str())
            .and_then(|head| head.strip_suffix(": "))
            .is_some_and(|name| {
                !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_')
            })
    });
    if let Some(line) = named {
        *message = line.to_string();
    }
}

/// An element's text joins its message (Playwright's: the error's name back first).
fn take_text(message: &mut String, text: &str, playwright: bool) {
    if playwright {
        restore_name(message, text);
    }
    append(message, text);
}

fn append(message: &mut String, text: &str) {
    let text = text.trim();
    if text.is_empty() || message.contains(text) {
        return;
    }
    if !message.is_empty() {
        message.push_str("\n\n");
    }
    message.push_str(text);
}

/// Turns a test case into attempts; returns its total duration in ms.
fn emit(c: Case, suites: &[SuiteFrame], playwright: bool, out: &mut Vec<AttemptInput>) -> f64 {
    let (project, file, title_path) = if playwright {
        let project = suites
            .iter()
            .rev()
            .find_map(|s| s.hostname.clone())
            .unwrap_or_default();
        let prefix = format!("[{project}] ");
        let name = c.name.strip_prefix(&prefix).unwrap_or(&c.name);
        let file = c
            .classname
            .clone()
            .or_else(|| suites.last().and_then(|s| s.name.clone()))
            .unwrap_or_default();
        (
            project,
            file,
            name.split(SEPARATOR)
                .map(str::to_string)
                .collect::<Vec<_>>(),
        )
    } else {
        let file = c
            .file
            .clone()
            .or_else(|| c.classname.clone())
            .or_else(|| suites.first().and_then(|s| s.name.clone()))
            .unwrap_or_else(|| "(unknown)".into());
        let mut titles: Vec<String> = suites
            .iter()
            .filter_map(|s| s.name.clone())
            .filter(|n| !n.is_empty() && *n != file && Some(n) != c.classname.as_ref())
            .collect();
        titles.push(c.name.clone());
        (String::new(), file, titles)
    };
    let mut attempt = |status: &str, seconds: f64, retry: u32, message: &str| {
        out.push(AttemptInput {
            project: Some(project.clone()),
            file: file.clone(),
            title_path: title_path.clone(),
            line: c.line,
            tags: None,
            duration_ms: (seconds * 1000.0).round(),
            status: status.into(),
            retry: Some(retry),
            expected_status: None,
            error: (!message.is_empty()).then(|| ErrorInput::Text(message.to_string())),
        });
        seconds * 1000.0
    };
    let mut total = 0.0;
    match c.kind {
        Kind::Skipped => total += attempt("skipped", c.time, 0, ""),
        Kind::Passed => {
            // Failed attempts before the final pass.
            let mut retry = 0;
            for r in c
                .retries
                .iter()
                .filter(|r| r.flaky && r.kind == Kind::Failed)
            {
                total += attempt("failed", r.time, retry, &r.message);
                retry += 1;
            }
            total += attempt("passed", c.time, retry, "");
        }
        Kind::Failed => {
            total += attempt("failed", c.time, 0, &c.message);
            for (i, r) in c.retries.iter().filter(|r| !r.flaky).enumerate() {
                total += attempt("failed", r.time, i as u32 + 1, &r.message);
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Classifier;
    use proptest::prelude::*;

    fn report(time: &str) -> String {
        format!(
            r#"<testsuites><testsuite name="s"><testcase classname="cart.spec.ts" name="adds" time="{time}"/></testsuite></testsuites>"#
        )
    }

    #[test]
    fn bad_times_name_the_test() {
        for time in [
            "NaN", "nan", "inf", "-inf", "Infinity", "1e400", "-5", "soon", "5000000",
        ] {
            let e = parse(&report(time), "r".into()).unwrap_err();
            assert_eq!(
                e,
                format!("test \"adds\" of \"cart.spec.ts\": invalid time {time:?} (seconds: a finite number from 0 to 4294967.295)")
            );
        }
        for (time, ms) in [
            ("", 0.0),
            ("  ", 0.0),
            ("1.5", 1500.0),
            ("1,234.5", 1_234_500.0),
            ("-0", 0.0),
        ] {
            let run = parse(&report(time), "r".into()).unwrap();
            assert_eq!(run.attempts[0].duration_ms, ms, "{time:?}");
        }
    }

    #[test]
    fn a_name_is_restored_only_from_the_same_line() {
        for (attr, text, want) in [
            (
                "boom",
                "  [p] › a.spec.ts:1:1 › t ──\n\n    TimeoutError: boom\n",
                "TimeoutError: boom",
            ),
            ("boom", "Error: boom and more", "boom"),
            ("boom", "a b: boom", "boom"),
            ("", "Error: ", ""),
            ("boom", "", "boom"),
        ] {
            let mut m = attr.to_string();
            restore_name(&mut m, text);
            assert_eq!(m, want, "{attr:?} in {text:?}");
        }
    }

    proptest! {
        /// Any text: a run or a message, never a panic; a run's attempts
        /// are all valid for the history.
        #[test]
        fn any_text_parses_or_says_why(text in "\\PC{0,300}") {
            if let Ok(run) = parse(&text, "r".into()) {
                prop_assert!(run.resolve(&Classifier::default()).is_ok());
            }
        }

        /// Well-formed reports with arbitrary names, times and failures:
        /// accepted exactly when every time is a finite number in range,
        /// and then every attempt is there with its duration.
        #[test]
        fn generated_reports(cases in proptest::collection::vec(
            ("[a-z <>&\"'›]{0,12}", prop_oneof![
                (0.0f64..5000.0).prop_map(|t| format!("{t}")),
                Just("NaN".to_string()), Just("-1".to_string()), Just("1e400".to_string()), Just(String::new()),
            ], any::<bool>()),
            1..8,
        )) {
            let mut xml = String::from("<testsuites><testsuite name=\"s\">");
            for (name, time, failed) in &cases {
                let name = quick_xml::escape::escape(name.as_str());
                if *failed {
                    xml.push_str(&format!("<testcase name=\"{name}\" time=\"{time}\"><failure message=\"boom\"/></testcase>"));
                } else {
                    xml.push_str(&format!("<testcase name=\"{name}\" time=\"{time}\"/>"));
                }
            }
            xml.push_str("</testsuite></testsuites>");
            let valid = cases.iter().all(|(_, t, _)| t.is_empty() || t.parse::<f64>().is_ok_and(|v| (0.0..=MAX_SECONDS).contains(&v)));
            match parse(&xml, "r".into()) {
                Ok(run) => {
                    prop_assert!(valid);
                    prop_assert_eq!(run.attempts.len(), cases.len());
                    for (a, (_, t, failed)) in run.attempts.iter().zip(&cases) {
                        let secs = if t.is_empty() { 0.0 } else { t.parse::<f64>().unwrap() };
                        prop_assert_eq!(a.duration_ms, (secs * 1000.0).round());
                        prop_assert_eq!(a.status.as_str(), if *failed { "failed" } else { "passed" });
                    }
                }
                Err(e) => {
                    prop_assert!(!valid, "{}", e);
                    prop_assert!(e.contains("invalid time"), "{}", e);
                }
            }
        }
    }
}
