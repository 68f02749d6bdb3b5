//! The flaky report: every test that is not plainly stable, with its verdict,
//! score and evidence; the infrastructure incidents; the quarantine list; a
//! summary of one run. Its JSON shape is versioned and described by
//! `schema/flaky-report.schema.json`.

use serde::Serialize;

use super::incident::{detect, Detected};
use super::options::FlakyOptions;
use super::verdict::{Judge, Point, TestVerdict, Verdict, SCORE_PRIOR_RUNS};
use crate::error::Result;
use crate::history::time::{format_iso, now_ms};
use crate::history::{History, RunOutcome, TestRecord};

/// Version 2: infrastructure incidents, evidence counts, quarantine state.
/// Version 1 reports (no `incidents`) are still valid against the schema.
pub const SCHEMA_VERSION: u32 = 2;
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
    pub incidents: Vec<IncidentOut>,
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
    pub quarantine_min_runs: u32,
    pub quarantine_release_after: u32,
    pub incident_min_tests: u32,
    pub incident_min_share: f64,
    pub incident_min_files: u32,
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
    /// Infrastructure incidents in the history.
    pub incidents: usize,
}

/// An infrastructure incident: one run (or one project of it) where many
/// tests failed with the same error.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct IncidentOut {
    pub run_id: String,
    pub commit: Option<String>,
    pub started_at: String,
    pub ended_at: Option<String>,
    /// The project it hit, or `null` for the whole run.
    pub project: Option<String>,
    pub signature: String,
    /// Tests that failed with it.
    pub tests: u32,
    pub files: u32,
    /// Tests that ran in the run (or project).
    pub ran: u32,
    pub share: f64,
    /// Most of its tests passed again later (false while it is their latest run).
    pub confirmed: bool,
    /// Consecutive runs it lasted.
    pub streak: u32,
    /// One line: "run X (2026-11-30 10:02–10:04): 481 of 481 tests in 27 files failed with ERR_CONNECTION_REFUSED".
    pub summary: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct QuarantineEntry {
    pub key: String,
    /// `score` (the evidence and the score reached the thresholds) or
    /// `listed` (the user's list).
    pub reason: &'static str,
    pub verdict: &'static str,
    pub score: f64,
    /// The user's entry that matched, for `listed`.
    pub rule: Option<String>,
    /// Distinct runs that showed the test's flakiness.
    pub flaky_runs: u32,
    /// Distinct commits among them.
    pub flaky_commits: u32,
    /// The run after which it entered quarantine (reason `score`).
    pub since: Option<RunRef>,
    /// Clean runs in a row since then: it leaves quarantine at
    /// `quarantineReleaseAfter`.
    pub clean_runs: u32,
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
    /// The run counts as evidence of flakiness.
    pub flaky: bool,
    /// The signature of the infrastructure incident its failures belonged
    /// to (then the run was not judged).
    pub infrastructure: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceError {
    pub message: String,
    pub class: &'static str,
    pub rule: String,
    pub signature: String,
    /// Failed attempts with this message in the window.
    pub count: usize,
}

/// How the score came about.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ScoreParts {
    /// Weighted instability events (flaky runs, pass↔fail flips).
    pub events: f64,
    /// Weighted judged runs.
    pub runs: f64,
    /// Clean runs of prior added to `runs`.
    pub prior: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    /// Oldest first, one letter per run in the window: `P` passed, `F`
    /// failed, `R` passed on a retry (flaky in that run), `X` failed only
    /// with an infrastructure incident (not judged).
    pub outcomes: String,
    /// The latest runs that did not simply pass (newest first).
    pub runs: Vec<EvidenceRun>,
    /// The most frequent errors (at most 3), one per signature, each shown
    /// by its newest message.
    pub errors: Vec<EvidenceError>,
    /// Distinct runs showing flakiness: flaky runs, failures that a pass
    /// followed (in a streak too short to be broken), failures at a commit
    /// that also passed.
    pub flaky_runs: u32,
    pub flaky_commits: u32,
    /// Runs left out because their failures were infrastructure.
    pub infrastructure_runs: u32,
    /// Clean passing runs in a row up to the latest.
    pub clean_runs: u32,
    pub score: ScoreParts,
    /// The verdict, score and quarantine in words.
    pub why: String,
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
    /// The failed tests that were quarantined when the run began: they need
    /// not fail the build.
    pub failed_quarantined: Vec<String>,
    /// The failed tests that were not: the run failed.
    pub failed_not_quarantined: Vec<String>,
    /// The failed tests whose every failure in this run belonged to an
    /// infrastructure incident (they are in the lists above too).
    pub failed_infrastructure: Vec<String>,
    /// Where the quarantine the run was judged against came from:
    /// `run-start` (the history before this run) or `given` (the list
    /// printed when it began, passed as `startQuarantine`).
    pub quarantine_as_of: &'static str,
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

struct Ctx<'a> {
    history: &'a History,
    opts: &'a FlakyOptions,
    incidents: &'a Detected,
    /// Each run's start, ISO 8601 (formatted once).
    times: Vec<String>,
}

fn evidence(cx: &Ctx, test: &TestRecord, v: &TestVerdict, quarantined: bool) -> Evidence {
    let (history, points) = (cx.history, &v.points);
    // Infrastructure runs within the window (from its first judged run).
    let first_run = points.first().map_or(0, |p| p.run);
    let infra: Vec<u32> = v
        .infrastructure
        .iter()
        .copied()
        .filter(|&r| r >= first_run)
        .collect();
    let mut outcomes = String::with_capacity(points.len() + infra.len());
    let (mut i, mut k) = (0, 0);
    while i < points.len() || k < infra.len() {
        if k < infra.len() && (i == points.len() || infra[k] < points[i].run) {
            outcomes.push('X');
            k += 1;
        } else {
            outcomes.push(letter(points[i].outcome));
            i += 1;
        }
    }
    let project = if cx.incidents.is_empty() {
        0
    } else {
        cx.incidents.project_id(&test.id.project)
    };
    let mut runs = Vec::new();
    // (error, its signature, failed attempts), one per signature: messages
    // that differ only in their variable parts (a call log's retry count,
    // timings, ids) are one error, shown by its newest message. A test has
    // few distinct errors.
    let mut counts: Vec<(u32, Option<&str>, usize)> = Vec::new();
    // Newest first: judged runs and infrastructure runs, by run index.
    let mut order: Vec<(u32, Option<&Point>)> = points.iter().map(|p| (p.run, Some(p))).collect();
    order.extend(infra.iter().map(|&r| (r, None)));
    order.sort_by_key(|(r, _)| std::cmp::Reverse(*r));
    for (run, point) in order {
        let from = test.attempts.partition_point(|a| a.run < run);
        let to = from + test.attempts[from..].partition_point(|a| a.run == run);
        let attempts = &test.attempts[from..to];
        let mut first_error = None;
        let mut incident = None;
        for a in attempts {
            if a.error > 0 && !a.ok() {
                let sig = history.error(a.error).map(|e| e.signature.as_str());
                match counts
                    .iter_mut()
                    .find(|c| c.0 == a.error || (sig.is_some() && c.1 == sig))
                {
                    Some(c) => c.2 += 1,
                    None => counts.push((a.error, sig, 1)),
                }
                first_error.get_or_insert(a.error);
                if let Some(i) = cx.incidents.incident_of(project, a) {
                    incident.get_or_insert(i);
                }
            }
        }
        let outcome = point.map_or(RunOutcome::of(attempts), |p| p.outcome);
        if outcome != RunOutcome::Passed && runs.len() < cx.opts.max_evidence {
            let r = &history.runs()[run as usize];
            runs.push(EvidenceRun {
                run_id: r.id.clone(),
                commit: r.commit.clone(),
                started_at: cx.times[run as usize].clone(),
                outcome: outcome.name(),
                attempts: attempts.len(),
                error: first_error
                    .and_then(|e| history.error(e))
                    .map(|e| first_line(&e.message)),
                flaky: v.evidence_runs.contains(&run),
                infrastructure: incident
                    .map(|i| cx.incidents.incidents[i as usize].signature.clone()),
            });
        }
    }
    let mut top = counts;
    top.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    let classifier = cx.opts.classifier.as_ref();
    let errors = top
        .into_iter()
        .take(3)
        .filter_map(|(e, _, count)| {
            let info = history.error(e)?;
            // The user's patterns, when given, classify the stored message again.
            let (class, rule) = match classifier {
                Some(c) => {
                    let c = c.classify(&info.message);
                    (c.class.name(), c.rule)
                }
                None => (info.class.name(), info.rule.clone()),
            };
            Some(EvidenceError {
                message: first_line(&info.message),
                class,
                rule,
                signature: info.signature.clone(),
                count,
            })
        })
        .collect();
    Evidence {
        outcomes,
        runs,
        errors,
        flaky_runs: v.evidence_runs.len() as u32,
        flaky_commits: v.evidence_commits,
        infrastructure_runs: infra.len() as u32,
        clean_runs: v.clean_runs,
        score: ScoreParts {
            events: round3(v.events),
            runs: round3(v.weight),
            prior: SCORE_PRIOR_RUNS,
        },
        why: why(cx.opts, v, quarantined, infra.len()),
    }
}

fn plural(n: u32, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// The verdict, the score and the quarantine decision in words.
fn why(opts: &FlakyOptions, v: &TestVerdict, quarantined: bool, infrastructure: usize) -> String {
    let runs = v.points.len() as u32;
    let mut out = format!(
        "{}: flakiness seen in {} ({}) of {} judged; {} flaky, {} and {} weigh {:.2} of {:.2} weighted runs + {} prior clean run = score {:.2}",
        v.verdict.name(),
        plural(v.evidence_runs.len() as u32, "run"),
        plural(v.evidence_commits, "commit"),
        runs,
        plural(v.flaky, "run"),
        plural(v.flips, "pass↔fail flip"),
        if v.same_commit.is_empty() {
            "no commit with both results".to_string()
        } else {
            plural(v.same_commit.len() as u32, "commit") + " with both results"
        },
        v.events,
        v.weight,
        SCORE_PRIOR_RUNS,
        v.score,
    );
    if infrastructure > 0 {
        out.push_str(&format!(
            "; {} left out (infrastructure)",
            plural(infrastructure as u32, "run")
        ));
    }
    let q = &v.quarantine;
    if q.quarantined {
        out.push_str(&format!(
            "; quarantined (flaky in ≥ {} runs, score ≥ {}), {} clean of {} to leave",
            opts.quarantine_min_runs,
            opts.quarantine_threshold,
            q.clean,
            opts.quarantine_release_after
        ));
    } else if quarantined {
        out.push_str("; quarantined by the user's list");
    } else if v.verdict == Verdict::Flaky {
        let mut missing = Vec::new();
        if (v.evidence_runs.len() as u32) < opts.quarantine_min_runs {
            missing.push(format!(
                "flakiness in {} (needs {})",
                plural(v.evidence_runs.len() as u32, "run"),
                opts.quarantine_min_runs
            ));
        }
        if v.score < opts.quarantine_threshold {
            missing.push(format!(
                "score {:.2} (needs {})",
                v.score, opts.quarantine_threshold
            ));
        }
        if missing.is_empty() {
            missing.push(format!(
                "released after {} clean runs",
                opts.quarantine_release_after
            ));
        }
        out.push_str(&format!("; not quarantined: {}", missing.join(", ")));
    }
    out
}

fn clock(ms: i64) -> String {
    format_iso(ms)[11..16].to_string()
}

fn incident_out(history: &History, inc: &crate::history::Incident, run: u32) -> IncidentOut {
    let r = &history.runs()[run as usize];
    let start = format_iso(r.started_at);
    let when = match r.ended_at {
        Some(end) => format!("{} {}–{}", &start[..10], clock(r.started_at), clock(end)),
        None => format!("{} {}", &start[..10], clock(r.started_at)),
    };
    let scope = match &inc.project {
        Some(p) => format!(" of project {p}"),
        None => String::new(),
    };
    let mut summary = format!(
        "run {} ({when}): {} of {} tests{scope} in {} failed with {}",
        r.id,
        inc.tests,
        inc.ran,
        plural(inc.files, "file"),
        inc.signature
    );
    if inc.streak > 1 {
        summary.push_str(&format!(" ({} runs in a row)", inc.streak));
    }
    if !inc.confirmed {
        summary.push_str(" (not yet confirmed: no later run passed)");
    }
    IncidentOut {
        run_id: r.id.clone(),
        commit: r.commit.clone(),
        started_at: start,
        ended_at: r.ended_at.map(format_iso),
        project: inc.project.clone(),
        signature: inc.signature.clone(),
        tests: inc.tests,
        files: inc.files,
        ran: inc.ran,
        share: if inc.ran > 0 {
            round3(f64::from(inc.tests) / f64::from(inc.ran))
        } else {
            0.0
        },
        confirmed: inc.confirmed,
        streak: inc.streak,
        summary,
    }
}

fn run_summary(
    cx: &Ctx,
    run_index: Option<u32>,
    at_start: &rustc_hash::FxHashSet<&str>,
    given: bool,
) -> Option<RunSummary> {
    let (history, incidents) = (cx.history, cx.incidents);
    let run_index = run_index?;
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
        failed_infrastructure: Vec::new(),
        quarantine_as_of: if given { "given" } else { "run-start" },
    };
    for t in history.tests() {
        let from = t.attempts.partition_point(|a| a.run < run_index);
        let to = from + t.attempts[from..].partition_point(|a| a.run == run_index);
        if from == to {
            continue;
        }
        s.tests += 1;
        let attempts = &t.attempts[from..to];
        match RunOutcome::of(attempts) {
            RunOutcome::Passed => s.passed += 1,
            RunOutcome::Flaky => {
                s.flaky += 1;
                s.flaky_tests.push(t.key.clone());
            }
            RunOutcome::Failed => {
                s.failed += 1;
                s.failed_tests.push(t.key.clone());
                if at_start.contains(t.key.as_str()) {
                    s.failed_quarantined.push(t.key.clone());
                } else {
                    s.failed_not_quarantined.push(t.key.clone());
                }
                if !incidents.is_empty() {
                    let p = incidents.project_id(&t.id.project);
                    let infra = attempts
                        .iter()
                        .filter(|a| {
                            !a.ok()
                                && !matches!(
                                    a.status,
                                    crate::history::Status::Skipped
                                        | crate::history::Status::Interrupted
                                )
                        })
                        .all(|a| incidents.incident_of(p, a).is_some());
                    if infra {
                        s.failed_infrastructure.push(t.key.clone());
                    }
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
        &mut s.failed_infrastructure,
    ] {
        list.sort();
    }
    Some(s)
}

/// Judges every test of the history.
pub fn analyze(history: &History, opts: &FlakyOptions) -> Result<Report> {
    analyze_bounded(history, opts, None).map(|(report, _)| report)
}

/// [`analyze`] with at most `max_tests` entries in `tests` (the first ones
/// in the report's order; their evidence is only gathered for those), and
/// how many were left out. The summary, the quarantine list and the run's
/// section still cover every test.
pub fn analyze_bounded(
    history: &History,
    opts: &FlakyOptions,
    max_tests: Option<usize>,
) -> Result<(Report, usize)> {
    opts.validate()?;
    let run_index = match &opts.run_id {
        Some(id) => match history.run_index.get(id) {
            Some(&i) => Some(i),
            None => {
                return Err(crate::error::Error::invalid(
                    "runId",
                    format!("{id:?}"),
                    "the id of a run in the history",
                ))
            }
        },
        None => history.runs().len().checked_sub(1).map(|i| i as u32),
    };
    let incidents = detect(history, &opts.incidents, opts.broken_after);
    let cx = Ctx {
        history,
        opts,
        incidents: &incidents,
        times: history
            .runs()
            .iter()
            .map(|r| format_iso(r.started_at))
            .collect(),
    };
    let mut summary = Summary {
        tests: history.tests().len(),
        incidents: incidents.incidents.len(),
        ..Default::default()
    };
    let mut judged: Vec<(&TestRecord, TestVerdict, bool)> = Vec::new();
    let mut quarantine = Vec::new();
    // The quarantine list when the report's run began (listed tests are in
    // it whatever the history says).
    let mut at_start: rustc_hash::FxHashSet<&str> = Default::default();
    let given: Option<rustc_hash::FxHashSet<&str>> = opts
        .start_quarantine
        .as_ref()
        .map(|keys| keys.iter().map(String::as_str).collect());
    let mut judge = Judge::new(history, opts, &incidents);
    judge.at_run = run_index;
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
        let by_score = v.quarantine.quarantined;
        let started_quarantined = match &given {
            Some(keys) => keys.contains(t.key.as_str()),
            None => v.quarantine_at_start.quarantined,
        };
        if listed.is_some() || started_quarantined {
            at_start.insert(t.key.as_str());
        }
        if listed.is_some() || by_score {
            quarantine.push(QuarantineEntry {
                key: t.key.clone(),
                reason: if listed.is_some() { "listed" } else { "score" },
                verdict: v.verdict.name(),
                score: round3(v.score),
                rule: listed.map(str::to_string),
                flaky_runs: v.evidence_runs.len() as u32,
                flaky_commits: v.evidence_commits,
                since: if by_score {
                    run_ref(history, v.quarantine.since)
                } else {
                    None
                },
                clean_runs: v.quarantine.clean,
            });
        }
        let quarantined = listed.is_some() || by_score;
        if !matches!(v.verdict, Verdict::Stable | Verdict::Skipped) || quarantined {
            judged.push((t, v, quarantined));
        }
    }
    summary.quarantined = quarantine.len();
    quarantine.sort_by(|a, b| a.key.cmp(&b.key));

    judged.sort_by(|(ta, va, _), (tb, vb, _)| {
        va.verdict
            .cmp(&vb.verdict)
            .then(vb.score.total_cmp(&va.score))
            .then(ta.key.cmp(&tb.key))
    });
    let omitted = max_tests.map_or(0, |max| judged.len().saturating_sub(max));
    judged.truncate(judged.len() - omitted);
    let tests = judged
        .into_iter()
        .map(|(t, mut v, quarantined)| TestEntry {
            evidence: evidence(&cx, t, &v, quarantined),
            same_commit: std::mem::take(&mut v.same_commit),
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
            since: run_ref(history, v.since),
            before: run_ref(history, v.before),
            quarantined,
        })
        .collect();

    let runs = history.runs();
    let mut commits: Vec<&str> = runs.iter().filter_map(|r| r.commit.as_deref()).collect();
    commits.sort_unstable();
    commits.dedup();
    let incidents_out = incidents
        .incidents
        .iter()
        .zip(&incidents.runs)
        .map(|(inc, &run)| incident_out(history, inc, run))
        .collect();
    let report = Report {
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
            quarantine_min_runs: opts.quarantine_min_runs,
            quarantine_release_after: opts.quarantine_release_after,
            incident_min_tests: opts.incidents.min_tests,
            incident_min_share: opts.incidents.min_share,
            incident_min_files: opts.incidents.min_files,
        },
        history: HistoryStats {
            runs: runs.len(),
            tests: history.tests().len(),
            attempts: history.attempt_count(),
            commits: commits.len(),
            first_run_at: runs.first().map(|r| format_iso(r.started_at)),
            last_run_at: runs.last().map(|r| format_iso(r.started_at)),
        },
        run: run_summary(&cx, run_index, &at_start, given.is_some()),
        summary,
        incidents: incidents_out,
        quarantine,
        tests,
    };
    Ok((report, omitted))
}

/// A report as `JSON.stringify({ ...report, testsOmitted }, null, 2)`
/// writes it, followed by a newline: the same text a JS caller that bounded
/// the report's `tests` itself would print (numbers as JavaScript writes
/// them: `1`, not `1.0`).
pub fn write_json_pretty<W: std::io::Write>(
    out: W,
    report: &Report,
    tests_omitted: usize,
) -> std::io::Result<()> {
    #[derive(Serialize)]
    struct WithOmitted<'a> {
        #[serde(flatten)]
        report: &'a Report,
        #[serde(rename = "testsOmitted")]
        tests_omitted: usize,
    }
    use std::io::Write as _;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, JsPretty::default());
    WithOmitted {
        report,
        tests_omitted,
    }
    .serialize(&mut ser)
    .map_err(std::io::Error::other)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// serde_json's pretty printer (two spaces, as `JSON.stringify(v, null, 2)`)
/// with numbers written as JavaScript writes them.
#[derive(Default)]
struct JsPretty(serde_json::ser::PrettyFormatter<'static>);

impl serde_json::ser::Formatter for JsPretty {
    fn write_f64<W: ?Sized + std::io::Write>(&mut self, w: &mut W, v: f64) -> std::io::Result<()> {
        w.write_all(js_number(v).as_bytes())
    }
    fn write_f32<W: ?Sized + std::io::Write>(&mut self, w: &mut W, v: f32) -> std::io::Result<()> {
        w.write_all(js_number(f64::from(v)).as_bytes())
    }
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// A finite number as JavaScript's `Number.prototype.toString` writes it
/// (the shortest digits that read back the same; decimal notation from
/// 1e-7 up to 1e21, else `1.5e-7` / `1e+21`).
fn js_number(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    // Whole numbers that are exact: their digits (beyond 2^53 JavaScript
    // writes the shortest digits, below).
    if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 {
        return format!("{}", v as i64);
    }
    // Rust writes the shortest round-trip digits too: `d.ddde-7`.
    let sci = format!("{:e}", v.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i32;
    let n = exp + 1;
    let mut out = String::with_capacity(k as usize + 8);
    if v < 0.0 {
        out.push('-');
    }
    if k <= n && n <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        out.push_str(&digits[..n as usize]);
        out.push('.');
        out.push_str(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(&digits);
    } else {
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if n - 1 < 0 { '-' } else { '+' });
        out.push_str(&(n - 1).abs().to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::{Classifier, PatternSpec};
    use crate::flaky::QuarantineRule;
    use crate::history::model::tests::meta;
    use crate::history::model::NewAttempt;
    use crate::history::{Limits, Status};
    use crate::playwright::testid::TestId;

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
    fn numbers_as_javascript_writes_them() {
        for (v, js) in [
            (1.0, "1"),
            (0.0, "0"),
            (-0.0, "0"),
            (0.5, "0.5"),
            (0.333, "0.333"),
            (10.0, "10"),
            (-2.5, "-2.5"),
            (0.000001, "0.000001"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (123456.789, "123456.789"),
            (1e21, "1e+21"),
            (1.25e22, "1.25e+22"),
            (123456789012345680000.0, "123456789012345680000"),
            (0.1 + 0.2, "0.30000000000000004"),
        ] {
            assert_eq!(js_number(v), js, "{v}");
        }
    }

    #[test]
    fn evidence_counts_one_error_per_signature_shown_by_its_newest_message() {
        // The same assertion failing in four runs, its call log counting a
        // different number of polls each time (variable parts), and a
        // network error once: two errors, not five.
        let mut h = History::new(Limits::DEFAULT);
        let failed = |message: String, rule: &str, retry: u32| NewAttempt {
            id: TestId::new("chromium", "a.spec.ts", vec!["banner".to_string()]),
            line: Some(1),
            tags: vec![],
            status: Status::Failed,
            expected_failure: false,
            retry,
            duration_ms: 5,
            error: Some(crate::history::model::ErrorInfo::new(
                message,
                crate::classify::ErrorClass::Permanent,
                rule.into(),
            )),
        };
        let assertion = |polls: u32, text: &str| {
            format!(
                "Error: Timed out 500ms waiting for expect(locator).toHaveText(expected)\n\nLocator: locator('#t')\nExpected string: \"{text}\"\nCall log:\n  - {polls} × locator resolved to <p id=\"t\">ok</p>"
            )
        };
        for (i, polls) in [3, 5, 4, 7].into_iter().enumerate() {
            let text = if i == 3 { "promo banner" } else { "banner" };
            let mut attempts = vec![failed(assertion(polls, text), "assertion", 0)];
            if i == 1 {
                attempts.push(failed(
                    "Error: page.goto: net::ERR_CONNECTION_REFUSED at http://127.0.0.1:4000/"
                        .into(),
                    "network",
                    1,
                ));
            }
            h.add_run(
                meta(&format!("run-{i}"), 1_000 * i as i64, &format!("c{i}")),
                attempts,
            );
        }
        // The user's pattern matches the newest run's message only: it is
        // the one that stands for the signature.
        let user = Classifier::new(&[], &[PatternSpec::Text("promo banner".into())], true).unwrap();
        let r = analyze(
            &h,
            &FlakyOptions {
                now_ms: Some(0),
                classifier: Some(user),
                ..FlakyOptions::DEFAULT
            },
        )
        .unwrap();
        let errors: Vec<_> = r.tests[0]
            .evidence
            .errors
            .iter()
            .map(|e| (e.message.as_str(), e.rule.as_str(), e.count))
            .collect();
        assert_eq!(
            errors,
            [
                (
                    "Error: Timed out 500ms waiting for expect(locator).toHaveText(expected)",
                    "user:promo banner",
                    4
                ),
                (
                    "Error: page.goto: net::ERR_CONNECTION_REFUSED at http://127.0.0.1:4000/",
                    "network",
                    1
                )
            ]
        );
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
                quarantined: 2,
                incidents: 0,
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
        assert_eq!(json["schemaVersion"], 2);
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
