//! Which kind of report a file is, and the run it holds.

use std::path::Path;

use super::{junit, playwright};
use crate::error::{Error, Result};
use crate::history::run::RunInput;
use crate::history::store::{content_hash, read_bounded};

/// The largest report `import` reads: 1 GiB.
pub const MAX_REPORT_BYTES: u64 = 1 << 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    PlaywrightJson,
    Junit,
}

impl ReportFormat {
    pub fn name(self) -> &'static str {
        match self {
            ReportFormat::PlaywrightJson => "playwright-json",
            ReportFormat::Junit => "junit",
        }
    }
}

/// The system's "not found", as a failed open says it (ENOENT on unix).
fn not_found() -> std::io::Error {
    #[cfg(unix)]
    return std::io::Error::from_raw_os_error(libc::ENOENT);
    #[cfg(not(unix))]
    return std::io::Error::from(std::io::ErrorKind::NotFound);
}

/// Reads a report into a run. The run id is derived from the report's
/// content (`import-<hash>`), so importing the same report twice adds it once.
pub fn read_report(path: &Path) -> Result<(ReportFormat, RunInput)> {
    let bytes = read_bounded(
        path,
        MAX_REPORT_BYTES,
        "read",
        "split the run into several reports",
    )?
    // Missing: the system's own error (ENOENT), as a failed open would say it.
    .ok_or_else(|| Error::io("read", path, not_found()))?;
    let (format, mut run) = parse_report(&bytes).map_err(|problem| Error::Report {
        path: path.into(),
        problem,
    })?;
    // A report without a time (Node's JUnit, some Surefire files) is dated by
    // the file, not by the import.
    if run.started_at.is_none() {
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        let ms = modified
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as f64);
        run.started_at = ms.map(crate::history::run::TimeInput::Ms);
    }
    Ok((format, run))
}

pub fn parse_report(bytes: &[u8]) -> std::result::Result<(ReportFormat, RunInput), String> {
    let run_id = format!("import-{:016x}", content_hash(bytes));
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("the report is empty".into());
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "not a text file (invalid UTF-8 at byte {})",
            e.valid_up_to()
        )
    })?;
    if junit::looks_like(bytes) {
        return junit::parse(text, run_id).map(|run| (ReportFormat::Junit, run));
    }
    match playwright::parse(text.as_bytes(), run_id)? {
        Some(run) => Ok((ReportFormat::PlaywrightJson, run)),
        None => {
            Err("a JSON file but not a Playwright JSON report (no `config` and `suites`)".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Classifier;
    use crate::history::model::{History, Limits, RunOutcome, Status};

    const PLAYWRIGHT_JSON: &[u8] =
        include_bytes!("../../../__tests__/fixtures/reports/playwright.json");
    const JUNIT: &[u8] = include_bytes!("../../../__tests__/fixtures/reports/junit.xml");
    const JUNIT_RETRIES: &[u8] =
        include_bytes!("../../../__tests__/fixtures/reports/junit-retries.xml");
    const NODE_TEST: &[u8] = include_bytes!("../../../__tests__/fixtures/reports/node-test.xml");

    fn import(bytes: &[u8]) -> (ReportFormat, History) {
        let (format, run) = parse_report(bytes).unwrap();
        let (meta, attempts) = run.resolve(&Classifier::default()).unwrap();
        let mut h = History::new(Limits::DEFAULT);
        h.add_run(meta, attempts);
        (format, h)
    }

    /// (key, outcome, statuses of the attempts) of every test, by key.
    fn outcomes(h: &History) -> Vec<(String, RunOutcome, String)> {
        let mut v: Vec<_> = h
            .tests()
            .iter()
            .map(|t| {
                let statuses = t
                    .attempts
                    .iter()
                    .map(|a| a.status.name())
                    .collect::<Vec<_>>()
                    .join(",");
                (t.key.clone(), RunOutcome::of(&t.attempts), statuses)
            })
            .collect();
        v.sort();
        v
    }

    fn expected(project: &str, sep_file: &str) -> Vec<(String, RunOutcome, String)> {
        let k = |file: &str, title: &str| format!("{project}{file}{sep_file}{title}");
        let mut v = vec![
            (
                k("backoff.spec.ts", "recovers after a refused connection"),
                RunOutcome::Flaky,
                "failed,passed".to_string(),
            ),
            (
                k("cart.spec.ts", "cart links back home"),
                RunOutcome::Passed,
                "passed".into(),
            ),
            (
                k("cart.spec.ts", "cart lists the items"),
                RunOutcome::Passed,
                "passed".into(),
            ),
            (
                k("history-fixture.spec.ts", "history fixtures › broken total"),
                RunOutcome::Failed,
                "failed,failed,failed".into(),
            ),
            (
                k(
                    "history-fixture.spec.ts",
                    "history fixtures › expected failure",
                ),
                RunOutcome::Passed,
                "failed".into(),
            ),
            (
                k(
                    "history-fixture.spec.ts",
                    "history fixtures › skipped on purpose",
                ),
                RunOutcome::Skipped,
                "skipped".into(),
            ),
            (
                k("shop.spec.ts", "adding to the cart counts items"),
                RunOutcome::Passed,
                "passed".into(),
            ),
            (
                k("shop.spec.ts", "home page shows the shop"),
                RunOutcome::Passed,
                "passed".into(),
            ),
            (
                k("shop.spec.ts", "search › shows results for the query"),
                RunOutcome::Passed,
                "passed".into(),
            ),
        ];
        v.sort();
        v
    }

    #[test]
    fn a_real_playwright_json_report() {
        let (format, h) = import(PLAYWRIGHT_JSON);
        assert_eq!(format, ReportFormat::PlaywrightJson);
        assert_eq!(outcomes(&h), expected("chromium › ", " › "));
        let run = &h.runs()[0];
        assert!(run.id.starts_with("import-"));
        assert_eq!(
            run.started_at,
            crate::history::time::parse_iso("2026-11-23T10:56:59.079Z").unwrap()
        );
        assert_eq!(run.source.as_deref(), Some("playwright-json"));
        let flaky = h
            .test("chromium › backoff.spec.ts › recovers after a refused connection")
            .unwrap();
        let error = h.error(flaky.attempts[0].error).unwrap();
        assert!(
            error
                .message
                .starts_with("Error: page.goto: net::ERR_CONNECTION_REFUSED"),
            "{}",
            error.message
        );
        assert!(!error.message.contains('\u{1b}'), "ANSI stripped");
        assert_eq!(
            (error.class.name(), error.rule.as_str()),
            ("retryable", "network")
        );
        let broken = h
            .test("chromium › history-fixture.spec.ts › history fixtures › broken total")
            .unwrap();
        assert_eq!(h.error(broken.attempts[0].error).unwrap().rule, "assertion");
        assert_eq!(broken.tags, ["@broken"]);
        assert_eq!(broken.line, Some(4));
        assert_eq!(
            broken.attempts.iter().map(|a| a.retry).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        // test.fail(): the failure was expected.
        let xfail = h
            .test("chromium › history-fixture.spec.ts › history fixtures › expected failure")
            .unwrap();
        assert!(xfail.attempts[0].expected_failure && xfail.attempts[0].status == Status::Failed);
    }

    #[test]
    fn a_real_playwright_junit_report() {
        let (format, h) = import(JUNIT);
        assert_eq!(format, ReportFormat::Junit);
        // Without includeRetries JUnit has one entry per test: the final
        // outcome. The expected failure passed (it is `ok`).
        let mut want = expected("chromium › ", " › ");
        for w in &mut want {
            w.2 = match w.1 {
                RunOutcome::Passed => "passed".into(),
                RunOutcome::Flaky => "passed".into(),
                RunOutcome::Failed => "failed".into(),
                _ => "skipped".into(),
            };
            if w.1 == RunOutcome::Flaky {
                w.1 = RunOutcome::Passed;
            }
        }
        assert_eq!(outcomes(&h), want);
        let broken = h
            .test("chromium › history-fixture.spec.ts › history fixtures › broken total")
            .unwrap();
        let e = h.error(broken.attempts[0].error).unwrap();
        assert!(
            // The error's name is back, as the JSON report has it.
            e.message
                .starts_with("Error: the total is wrong on purpose"),
            "{}",
            e.message
        );
        assert_eq!(e.rule, "assertion");
        assert_eq!(h.runs()[0].source.as_deref(), Some("junit-playwright"));
        assert_eq!(
            h.runs()[0].started_at,
            crate::history::time::parse_iso("2026-11-23T10:56:59.277Z").unwrap()
        );
    }

    /// The failed attempts of a history: (key, retry) → signature and class.
    fn failures(h: &History) -> std::collections::BTreeMap<(String, u16), (String, String)> {
        let mut out = std::collections::BTreeMap::new();
        for t in h.tests() {
            for a in &t.attempts {
                if let Some(e) = h.error(a.error) {
                    out.insert(
                        (t.key.clone(), a.retry),
                        (e.signature.clone(), format!("{:?}", e.class)),
                    );
                }
            }
        }
        out
    }

    #[test]
    fn playwright_junit_failures_have_the_signatures_of_its_json_report() {
        // The JSON and JUnit of one run, and JUnit with retries of another.
        let json = failures(&import(PLAYWRIGHT_JSON).1);
        let junit = failures(&import(JUNIT).1);
        let retries = failures(&import(JUNIT_RETRIES).1);
        assert!(!junit.is_empty() && retries.len() > junit.len());
        for (key, got) in junit.iter().chain(&retries) {
            assert_eq!(Some(got), json.get(key), "{key:?}");
        }
        assert!(json
            .values()
            .any(|(s, _)| s.starts_with("Error: the total is wrong")));
    }

    #[test]
    fn a_real_junit_report_with_retries() {
        let (_, h) = import(JUNIT_RETRIES);
        let mut want = expected("chromium › ", " › ");
        for w in &mut want {
            if w.1 == RunOutcome::Skipped || w.2 == "failed" {
                w.2 = if w.1 == RunOutcome::Skipped {
                    "skipped".into()
                } else {
                    "passed".into()
                };
            }
        }
        assert_eq!(outcomes(&h), want);
        let flaky = h
            .test("chromium › backoff.spec.ts › recovers after a refused connection")
            .unwrap();
        assert_eq!(h.error(flaky.attempts[0].error).unwrap().rule, "network");
        assert_eq!(
            flaky.attempts.iter().map(|a| a.retry).collect::<Vec<_>>(),
            [0, 1]
        );
    }

    #[test]
    fn a_real_node_test_junit_report() {
        let (_, h) = import(NODE_TEST);
        let got = outcomes(&h);
        let want = [
            ("test › math › adds", RunOutcome::Passed),
            ("test › math › division › by zero", RunOutcome::Failed),
            ("test › skipped", RunOutcome::Skipped),
            ("test › top level", RunOutcome::Passed),
        ];
        assert_eq!(
            got.iter()
                .map(|(k, o, _)| (k.as_str(), *o))
                .collect::<Vec<_>>(),
            want
        );
        let t = h.test("test › math › division › by zero").unwrap();
        assert!(h
            .error(t.attempts[0].error)
            .unwrap()
            .message
            .contains("Infinity == 0"));
        assert_eq!(h.runs()[0].source.as_deref(), Some("junit"));
    }

    #[test]
    fn the_same_report_is_the_same_run() {
        let (_, a) = parse_report(PLAYWRIGHT_JSON).unwrap();
        let (_, b) = parse_report(PLAYWRIGHT_JSON).unwrap();
        assert_eq!(a.id, b.id);
    }

    #[test]
    fn unreadable_reports() {
        let cases: [(&[u8], &str); 6] = [
            (b"", "the report is empty"),
            (b"{\"a\":1}", "not a Playwright JSON report"),
            (
                b"not json",
                "neither a Playwright JSON report nor JUnit XML",
            ),
            (b"<html><body/></html>", "the root element is <html>"),
            (
                b"<testsuites><testsuite name=\"x\">",
                "without any <testcase>",
            ),
            (
                b"<testsuites><testcase name=\"a\"></testsuite>",
                "not valid XML",
            ),
        ];
        for (bytes, want) in cases {
            let e = parse_report(bytes).unwrap_err();
            assert!(e.contains(want), "{want}: {e}");
        }
    }
}
