//! The flaky report: every test that is not plainly stable, with its verdict,
//! score and evidence; the quarantine list; a summary of one run. Its JSON
//! shape is versioned and described by `schema/flaky-report.schema.json`.

use std::collections::HashMap;

use serde::Serialize;

use super::options::FlakyOptions;
use super::verdict::{Judge, Point, TestVerdict, Verdict};
use crate::error::Result;
use crate::history::time::{format_iso, now_ms};
use crate::history::{History, RunOutcome, TestRecord};

pub const SCHEMA_VERSION: u32 = 1;
pub const KIND: &str = "shardwright-flaky-report";

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub kind: &'static str,
    pub schema_version: u32,
    pub generated_at: String,
    pub options: OptionsOut,
    pub history: HistoryStats,
    pub summary: Summary,
    pub quarantine: Vec<QuarantineEntry>,
    pub tests: Vec<TestEntry>,
    pub run: Option<RunSummary>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OptionsOut {
    pub window: u32,
    pub flaky_threshold: f64,
    pub quarantine_threshold: f64,
    pub broken_after: u32,
    pub half_life: f64,
    pub quarantine: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HistoryStats {
    pub runs: usize,
    pub tests: usize,
    pub attempts: usize,
    pub commits: usize,
    pub first_run_at: Option<String>,
    pub last_run_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Summary {
    pub tests: usize,
    pub stable: usize,
    pub flaky: usize,
    pub broken: usize,
    pub failing: usize,
    pub fixed: usize,
    pub skipped: usize,
    pub quarantined: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct QuarantineEntry {
    pub key: String,
    /// `score` (over the quarantine threshold) or `listed` (the user's list).
    pub reason: &'static str,
    pub verdict: &'static str,
    pub score: f64,
    /// The user's entry that matched, for `listed`.
    pub rule: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RunRef {
    pub run_id: String,
    pub commit: Option<String>,
    pub started_at: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceRun {
    pub run_id: String,
    pub commit: Option<String>,
    pub started_at: String,
    pub outcome: &'static str,
    pub attempts: usize,
    /// The first line of the first error in that run.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceError {
    pub message: String,
    pub class: &'static str,
    pub rule: String,
    /// Failed attempts with this message in the window.
    pub count: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    /// Oldest first, one letter per judged run: `P` passed, `F` failed, `R`
    /// passed on a retry (flaky in that run).
    pub outcomes: String,
    /// The latest runs that did not simply pass (newest first).
    pub runs: Vec<EvidenceRun>,
    /// The most frequent error messages (at most 3).
    pub errors: Vec<EvidenceError>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TestEntry {
    pub key: String,
    pub project: String,
    pub file: String,
    pub title_path: Vec<String>,
    pub line: Option<u32>,
    pub tags: Vec<String>,
    pub verdict: &'static str,
    pub score: f64,
    pub runs: u32,
    pub passed: u32,
    pub failed: u32,
    pub flaky: u32,
    pub flips: u32,
    pub last_outcome: Option<&'static str>,
    pub same_commit: Vec<String>,
    pub since: Option<RunRef>,
    pub before: Option<RunRef>,
    pub quarantined: bool,
    pub evidence: Evidence,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RunSummary {
    pub run_id: String,
    pub commit: Option<String>,
    pub started_at: String,
    pub tests: usize,
    pub passed: usize,
    pub failed: usize,
    pub flaky: usize,
    pub skipped: usize,
    /// Keys of the tests that failed in this run, sorted.
    pub failed_tests: Vec<String>,
    pub flaky_tests: Vec<String>,
    /// The failed tests that are quarantined: they need not fail the build.
    pub failed_quarantined: Vec<String>,
    /// The failed tests that are not: the run failed.
    pub failed_not_quarantined: Vec<String>,
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn first_line(message: &str) -> String {
    let line = message
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    match line.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}

fn run_ref(history: &History, run: Option<u32>) -> Option<RunRef> {
    let r = &history.runs()[run? as usize];
    Some(RunRef {
        run_id: r.id.clone(),
        commit: r.commit.clone(),
        started_at: format_iso(r.started_at),
    })
}

fn letter(o: RunOutcome) -> char {
    match o {
        RunOutcome::Passed => 'P',
        RunOutcome::Failed => 'F',
        RunOutcome::Flaky => 'R',
        RunOutcome::Skipped => 'S',
        RunOutcome::Interrupted => 'I',
    }
}

fn evidence(history: &History, test: &TestRecord, points: &[Point], max_runs: usize) -> Evidence {
    let outcomes = points.iter().map(|p| letter(p.outcome)).collect();
    let mut runs = Vec::new();
    let mut counts: HashMap<u32, usize> = HashMap::new();
    for p in points.iter().rev() {
        let attempts = &test.attempts[p.first..p.first + p.count];
        let mut first_error = None;
        for a in attempts {
            if a.error > 0 && !a.ok() {
                *counts.entry(a.error).or_default() += 1;
                first_error.get_or_insert(a.error);
            }
        }
        if p.outcome != RunOutcome::Passed && runs.len() < max_runs {
            let r = &history.runs()[p.run as usize];
            runs.push(EvidenceRun {
                run_id: r.id.clone(),
                commit: r.commit.clone(),
                started_at: format_iso(r.started_at),
                outcome: p.outcome.name(),
                attempts: p.count,
                error: first_error
                    .and_then(|e| history.error(e))
                    .map(|e| first_line(&e.message)),
            });
        }
    }
    let mut top: Vec<(u32, usize)> = counts.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let errors = top
        .into_iter()
        .take(3)
        .filter_map(|(e, count)| {
            let info = history.error(e)?;
            Some(EvidenceError {
                message: first_line(&info.message),
                class: info.class.name(),
                rule: info.rule.clone(),
                count,
            })
        })
        .collect();
    Evidence {
        outcomes,
        runs,
        errors,
    }
}

fn run_summary(
    history: &History,
    opts: &FlakyOptions,
    quarantined: &HashMap<&str, ()>,
) -> Option<RunSummary> {
    let run_index = match &opts.run_id {
        Some(id) => *history.run_index.get(id)?,
        None => history.runs().len().checked_sub(1)? as u32,
    };
    let meta = &history.runs()[run_index as usize];
    let mut s = RunSummary {
        run_id: meta.id.clone(),
        commit: meta.commit.clone(),
        started_at: format_iso(meta.started_at),
        tests: 0,
        passed: 0,
        failed: 0,
        flaky: 0,
        skipped: 0,
        failed_tests: Vec::new(),
        flaky_tests: Vec::new(),
        failed_quarantined: Vec::new(),
        failed_not_quarantined: Vec::new(),
    };
    for t in history.tests() {
        let from = t.attempts.partition_point(|a| a.run < run_index);
        let to = from + t.attempts[from..].partition_point(|a| a.run == run_index);
        if from == to {
            continue;
        }
        s.tests += 1;
        match RunOutcome::of(&t.attempts[from..to]) {
            RunOutcome::Passed => s.passed += 1,
            RunOutcome::Flaky => {
                s.flaky += 1;
                s.flaky_tests.push(t.key.clone());
            }
            RunOutcome::Failed => {
                s.failed += 1;
                s.failed_tests.push(t.key.clone());
                if quarantined.contains_key(t.key.as_str()) {
                    s.failed_quarantined.push(t.key.clone());
                } else {
                    s.failed_not_quarantined.push(t.key.clone());
                }
            }
            RunOutcome::Skipped | RunOutcome::Interrupted => s.skipped += 1,
        }
    }
    for list in [
        &mut s.failed_tests,
        &mut s.flaky_tests,
        &mut s.failed_quarantined,
        &mut s.failed_not_quarantined,
    ] {
        list.sort();
    }
    Some(s)
}

/// Judges every test of the history.
pub fn analyze(history: &History, opts: &FlakyOptions) -> Result<Report> {
    opts.validate()?;
    if let Some(id) = &opts.run_id {
        if history.run(id).is_none() {
            return Err(crate::error::Error::invalid(
                "runId",
                format!("{id:?}"),
                "the id of a run in the history",
            ));
        }
    }
    let mut summary = Summary {
        tests: history.tests().len(),
        ..Default::default()
    };
    let mut judged: Vec<(&TestRecord, TestVerdict, Option<&str>)> = Vec::new();
    let mut quarantine = Vec::new();
    let mut judge = Judge::new(history, opts);
    for t in history.tests() {
        let v = judge.judge(t);
        match v.verdict {
            Verdict::Stable => summary.stable += 1,
            Verdict::Flaky => summary.flaky += 1,
            Verdict::Broken => summary.broken += 1,
            Verdict::Failing => summary.failing += 1,
            Verdict::Fixed => summary.fixed += 1,
            Verdict::Skipped => summary.skipped += 1,
        }
        let listed = opts
            .quarantine
            .iter()
            .find(|r| r.matches(&t.key))
            .map(|r| r.label());
        let by_score = v.verdict == Verdict::Flaky && v.score >= opts.quarantine_threshold;
        if listed.is_some() || by_score {
            quarantine.push(QuarantineEntry {
                key: t.key.clone(),
                reason: if listed.is_some() { "listed" } else { "score" },
                verdict: v.verdict.name(),
                score: round3(v.score),
                rule: listed.map(str::to_string),
            });
        }
        let listed_non_stable = listed.is_some();
        if !matches!(v.verdict, Verdict::Stable | Verdict::Skipped) || listed_non_stable {
            judged.push((t, v, listed));
        }
    }
    summary.quarantined = quarantine.len();
    quarantine.sort_by(|a, b| a.key.cmp(&b.key));
    let quarantined: HashMap<&str, ()> = quarantine.iter().map(|q| (q.key.as_str(), ())).collect();

    judged.sort_by(|(ta, va, _), (tb, vb, _)| {
        va.verdict
            .cmp(&vb.verdict)
            .then(vb.score.total_cmp(&va.score))
            .then(ta.key.cmp(&tb.key))
    });
    let tests = judged
        .into_iter()
        .map(|(t, v, _)| TestEntry {
            key: t.key.clone(),
            project: t.id.project.clone(),
            file: t.id.file.clone(),
            title_path: t.id.title_path.clone(),
            line: t.line,
            tags: t.tags.clone(),
            verdict: v.verdict.name(),
            score: round3(v.score),
            runs: v.points.len() as u32,
            passed: v.passed,
            failed: v.failed,
            flaky: v.flaky,
            flips: v.flips,
            last_outcome: v.last_outcome.map(RunOutcome::name),
            same_commit: v.same_commit.clone(),
            since: run_ref(history, v.since),
            before: run_ref(history, v.before),
            quarantined: quarantined.contains_key(t.key.as_str()),
            evidence: evidence(history, t, &v.points, opts.max_evidence),
        })
        .collect();

    let runs = history.runs();
    let mut commits: Vec<&str> = runs.iter().filter_map(|r| r.commit.as_deref()).collect();
    commits.sort_unstable();
    commits.dedup();
    Ok(Report {
        kind: KIND,
        schema_version: SCHEMA_VERSION,
        generated_at: format_iso(opts.now_ms.unwrap_or_else(now_ms)),
        options: OptionsOut {
            window: opts.window,
            flaky_threshold: opts.flaky_threshold,
            quarantine_threshold: opts.quarantine_threshold,
            broken_after: opts.broken_after,
            half_life: opts.half_life,
            quarantine: opts
                .quarantine
                .iter()
                .map(|r| r.label().to_string())
                .collect(),
        },
        history: HistoryStats {
            runs: runs.len(),
            tests: history.tests().len(),
            attempts: history.attempt_count(),
            commits: commits.len(),
            first_run_at: runs.first().map(|r| format_iso(r.started_at)),
            last_run_at: runs.last().map(|r| format_iso(r.started_at)),
        },
        run: run_summary(history, opts, &quarantined),
        summary,
        quarantine,
        tests,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::PatternSpec;
    use crate::flaky::QuarantineRule;
    use crate::history::model::tests::meta;
    use crate::history::model::NewAttempt;
    use crate::history::{Limits, Status};
    use crate::testid::TestId;

    /// Tests by pattern (one letter per run, as in verdict.rs).
    fn suite(tests: &[(&str, &str)]) -> History {
        let mut h = History::new(Limits::DEFAULT);
        let runs = tests.iter().map(|(_, p)| p.len()).max().unwrap();
        for i in 0..runs {
            let mut attempts = Vec::new();
            for (title, pattern) in tests {
                let a = |status: Status, retry: u32| NewAttempt {
                    id: TestId::new("chromium", "a.spec.ts", vec![title.to_string()]),
                    line: Some(1),
                    tags: vec![],
                    status,
                    expected_failure: false,
                    retry,
                    duration_ms: 5,
                    error: (status == Status::Failed).then(|| {
                        crate::history::model::ErrorInfo::new(
                            format!("Error: {title} broke\n  at x"),
                            crate::classify::ErrorClass::Permanent,
                            "assertion".into(),
                        )
                    }),
                };
                match pattern.as_bytes().get(i) {
                    Some(b'P') => attempts.push(a(Status::Passed, 0)),
                    Some(b'F') => attempts.extend([a(Status::Failed, 0), a(Status::Failed, 1)]),
                    Some(b'R') => attempts.extend([a(Status::Failed, 0), a(Status::Passed, 1)]),
                    _ => {}
                }
            }
            h.add_run(
                meta(&format!("run-{i}"), 1_000 * i as i64, &format!("c{i}")),
                attempts,
            );
        }
        h
    }

    #[test]
    fn a_report_over_a_crafted_history() {
        let h = suite(&[
            ("stable", "PPPPPP"),
            ("flaky", "PRPPRP"),
            ("broken", "PPPFFF"),
            ("fixed", "FFFPPP"),
            ("new failure", "PPPPPF"),
        ]);
        let opts = FlakyOptions {
            now_ms: Some(0),
            quarantine: vec![QuarantineRule::from_spec(
                "q",
                &PatternSpec::Text("chromium › a.spec.ts › stable".into()),
            )
            .unwrap()],
            ..FlakyOptions::DEFAULT
        };
        let r = analyze(&h, &opts).unwrap();
        assert_eq!(r.generated_at, "1970-01-01T00:00:00.000Z");
        assert_eq!(
            r.summary,
            Summary {
                tests: 5,
                stable: 1,
                flaky: 1,
                broken: 1,
                failing: 1,
                fixed: 1,
                skipped: 0,
                quarantined: 2
            }
        );
        let order: Vec<_> = r
            .tests
            .iter()
            .map(|t| (t.title_path[0].as_str(), t.verdict))
            .collect();
        assert_eq!(
            order,
            [
                ("broken", "broken"),
                ("flaky", "flaky"),
                ("new failure", "failing"),
                ("fixed", "fixed"),
                ("stable", "stable")
            ]
        );
        let broken = &r.tests[0];
        assert_eq!(
            broken.since.as_ref().map(|s| s.commit.as_deref()),
            Some(Some("c3"))
        );
        assert_eq!(
            broken.before.as_ref().map(|s| s.run_id.as_str()),
            Some("run-2")
        );
        assert_eq!(broken.evidence.outcomes, "PPPFFF");
        assert_eq!(
            broken
                .evidence
                .runs
                .iter()
                .map(|r| r.run_id.as_str())
                .collect::<Vec<_>>(),
            ["run-5", "run-4", "run-3"]
        );
        assert_eq!(broken.evidence.errors[0].message, "Error: broken broke");
        assert_eq!(broken.evidence.errors[0].count, 6);
        let flaky = &r.tests[1];
        assert_eq!(
            (flaky.flaky, flaky.passed, flaky.evidence.outcomes.as_str()),
            (2, 4, "PRPPRP")
        );
        assert!(flaky.quarantined, "score {} ≥ 0.3", flaky.score);
        let q: Vec<_> = r
            .quarantine
            .iter()
            .map(|q| (q.key.as_str(), q.reason))
            .collect();
        assert_eq!(
            q,
            [
                ("chromium › a.spec.ts › flaky", "score"),
                ("chromium › a.spec.ts › stable", "listed")
            ]
        );
        let run = r.run.unwrap();
        assert_eq!(run.run_id, "run-5");
        assert_eq!((run.tests, run.passed, run.failed, run.flaky), (5, 3, 2, 0));
        assert_eq!(
            run.failed_not_quarantined,
            [
                "chromium › a.spec.ts › broken",
                "chromium › a.spec.ts › new failure"
            ]
        );
        // The run with the flaky test's second flake.
        let r = analyze(
            &h,
            &FlakyOptions {
                run_id: Some("run-4".into()),
                ..FlakyOptions::DEFAULT
            },
        )
        .unwrap();
        assert_eq!(r.run.unwrap().flaky_tests, ["chromium › a.spec.ts › flaky"]);
        let e = analyze(
            &h,
            &FlakyOptions {
                run_id: Some("nope".into()),
                ..FlakyOptions::DEFAULT
            },
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid runId: \"nope\" (the id of a run in the history)"
        );
    }

    #[test]
    fn the_json_is_stable() {
        let h = suite(&[("flaky", "PRP")]);
        let r = analyze(
            &h,
            &FlakyOptions {
                now_ms: Some(0),
                ..FlakyOptions::DEFAULT
            },
        )
        .unwrap();
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["kind"], "shardwright-flaky-report");
        assert_eq!(json["schemaVersion"], 1);
        assert_eq!(json["tests"][0]["evidence"]["runs"][0]["outcome"], "flaky");
        assert_eq!(json["tests"][0]["lastOutcome"], "passed");
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            serde_json::to_string(
                &analyze(
                    &h,
                    &FlakyOptions {
                        now_ms: Some(0),
                        ..FlakyOptions::DEFAULT
                    }
                )
                .unwrap()
            )
            .unwrap()
        );
    }
}
