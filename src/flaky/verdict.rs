//! One test's verdict from its recent runs.
//!
//! The runs judged are the test's last `window` runs in which it ran (skipped
//! and interrupted runs do not count, nor do runs whose failures were all
//! infrastructure: see `incident`). Each has an outcome like Playwright's:
//! passed, failed, or flaky (failed, then passed on a retry), computed over
//! the attempts that were not infrastructure failures. Then, in order:
//!
//! 1. **broken**: the latest `broken_after` or more runs all failed on every
//!    attempt, no commit among them also has a passing run, and the runs
//!    before were not clearly flaky ("failing every run since commit X").
//! 2. **fixed**: a streak of at least `broken_after` failing runs, followed by
//!    clean passes up to the latest run (no flaky run among them, no commit
//!    with both results, not clearly flaky before the streak).
//! 3. **flaky**: any evidence of flakiness (below), or the score reaches
//!    `flaky_threshold`. "Clearly flaky" above: evidence in two runs or
//!    more, or the score at the threshold.
//! 4. **failing**: the latest run(s) failed, too few to call it broken.
//! 5. **stable** otherwise.
//!
//! The score (0–1) is the weighted share of runs with an instability event —
//! a flaky run, or a pass↔fail flip from the run before (except the flip into
//! a failing streak that lasts to the latest run: that is a new failure, not
//! yet evidence of flakiness) — with one clean run of prior: `events /
//! (runs + 1)`, runs weighted. Weights halve every `half_life` runs back, so a
//! test that flaked recently scores higher than one that flaked long ago; the
//! prior makes the score grow with evidence (one flaky run out of one scores
//! 0.5, not 1; two out of two 0.66; the prior weighs little over 20 runs).
//!
//! **Evidence**: the distinct runs that show flakiness — a flaky run, a failed
//! run in a streak shorter than `broken_after` that a pass followed, a failed
//! run at a commit that also passed — and their commits.
//!
//! **Quarantine** is a state, replayed over the judged runs in order: a test
//! enters it after a run where its verdict is flaky, its evidence spans at
//! least `quarantine_min_runs` runs and its score reaches
//! `quarantine_threshold`; it stays in it whatever happens next (a new
//! failure of a quarantined test is evidence for its quarantine, never
//! against) until it passes `quarantine_release_after` runs in a row. The
//! state before a given run is the quarantine list as it stood when that run
//! began: the run's failures are judged against it.

use std::collections::HashMap;

use super::incident::Detected;
use super::options::FlakyOptions;
use crate::history::{Attempt, History, RunOutcome, TestRecord};

/// Clean runs of prior in the score: `events / (runs + SCORE_PRIOR_RUNS)`.
pub const SCORE_PRIOR_RUNS: f64 = 1.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    Broken,
    Flaky,
    Failing,
    Fixed,
    Stable,
    Skipped,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Broken => "broken",
            Verdict::Flaky => "flaky",
            Verdict::Failing => "failing",
            Verdict::Fixed => "fixed",
            Verdict::Stable => "stable",
            Verdict::Skipped => "skipped",
        }
    }
}

/// One run of the test as judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Index into the history's runs.
    pub run: u32,
    pub outcome: RunOutcome,
    /// The test's attempts in that run: `attempts[first..first + count]`.
    pub first: usize,
    pub count: usize,
}

/// A test's quarantine (by score) at some moment.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct QuarantineState {
    pub quarantined: bool,
    /// The run after which it entered quarantine.
    pub since: Option<u32>,
    /// Clean runs in a row since it entered (or since its last failure).
    pub clean: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TestVerdict {
    pub verdict: Verdict,
    pub score: f64,
    /// Pass↔fail flips between consecutive judged runs.
    pub flips: u32,
    pub points: Vec<Point>,
    pub passed: u32,
    pub failed: u32,
    pub flaky: u32,
    /// Commits with both a passing and a failing run of the test, oldest first.
    pub same_commit: Vec<String>,
    /// broken / failing: the first failing run of the latest streak; fixed:
    /// the first passing run after the failures.
    pub since: Option<u32>,
    /// broken / failing: the last passing run before the streak; fixed: the
    /// first failing run of the streak that was fixed.
    pub before: Option<u32>,
    /// The outcome of the test's latest run, skipped ones included.
    pub last_outcome: Option<RunOutcome>,
    /// The score's numerator and denominator: weighted instability events
    /// and weighted judged runs.
    pub events: f64,
    pub weight: f64,
    /// Runs (indices) showing flakiness, oldest first.
    pub evidence_runs: Vec<u32>,
    /// Distinct commits among them.
    pub evidence_commits: u32,
    /// Clean passing runs in a row up to the latest.
    pub clean_runs: u32,
    /// Runs (indices) not judged because every failure in them was an
    /// infrastructure incident's, oldest first.
    pub infrastructure: Vec<u32>,
    /// Quarantine (by score) after the latest run.
    pub quarantine: QuarantineState,
    /// Quarantine (by score) when the run [`Judge::at_run`] began.
    pub quarantine_at_start: QuarantineState,
}

fn passes(o: RunOutcome) -> bool {
    matches!(o, RunOutcome::Passed | RunOutcome::Flaky)
}

/// What judging a run of points gives.
#[derive(Debug, Clone, Copy)]
struct Core {
    verdict: Verdict,
    events: f64,
    weight: f64,
    flips: u32,
    passed: u32,
    failed: u32,
    flaky: u32,
    since: Option<usize>,
    before: Option<usize>,
    evidence_runs: u32,
}

impl Core {
    fn score(&self) -> f64 {
        if self.weight > 0.0 {
            self.events / (self.weight + SCORE_PRIOR_RUNS)
        } else {
            0.0
        }
    }
}

/// What judging needs besides the points.
struct Ctx {
    opts: FlakyOptions,
    /// Dense commit id per run (`u32::MAX`: no commit).
    commit_ids: Vec<u32>,
    /// `weights[k]`: the weight of the run `k` runs before the latest.
    weights: Vec<f64>,
}

/// Buffers reused across tests.
#[derive(Default)]
struct Scratch {
    /// (commit, passed, failed) in order of first appearance.
    by_commit: Vec<(u32, bool, bool)>,
    /// Commits with both results.
    conflicts: Vec<u32>,
    /// Per point: shows flakiness.
    evidence: Vec<bool>,
    filtered: Vec<Attempt>,
}

/// Judges tests of one history with one set of options. Built once per
/// analysis: commits become small integers and the score weights a table, so
/// judging 100,000 tests allocates nothing for the stable ones.
pub struct Judge<'h> {
    ctx: Ctx,
    commits: Vec<&'h str>,
    points: Vec<Point>,
    incidents: &'h Detected,
    /// The run whose starting quarantine [`TestVerdict::quarantine_at_start`]
    /// describes.
    pub at_run: Option<u32>,
    scratch: Scratch,
}

impl<'h> Judge<'h> {
    pub fn new(history: &'h History, opts: &FlakyOptions, incidents: &'h Detected) -> Self {
        let mut ids: HashMap<&str, u32> = HashMap::new();
        let mut commits = Vec::new();
        let commit_ids = history
            .runs()
            .iter()
            .map(|r| match r.commit.as_deref() {
                None => u32::MAX,
                Some(c) => *ids.entry(c).or_insert_with(|| {
                    commits.push(c);
                    commits.len() as u32 - 1
                }),
            })
            .collect();
        let weights = (0..opts.window)
            .map(|k| 0.5f64.powf(f64::from(k) / opts.half_life))
            .collect();
        Judge {
            ctx: Ctx {
                opts: opts.clone(),
                commit_ids,
                weights,
            },
            commits,
            points: Vec::new(),
            incidents,
            at_run: None,
            scratch: Scratch::default(),
        }
    }

    /// The judged outcomes of a test's runs (infrastructure failures left
    /// out), into `self.points`; returns the latest outcome and the runs left
    /// out.
    fn collect(&mut self, test: &TestRecord) -> (Option<RunOutcome>, Vec<u32>) {
        self.points.clear();
        let mut last_outcome = None;
        let mut infrastructure = Vec::new();
        let incidents = self.incidents;
        let project = if incidents.is_empty() {
            0
        } else {
            incidents.project_id(&test.id.project)
        };
        let mut first = 0;
        for group in test.runs() {
            let mut outcome = RunOutcome::of(group);
            last_outcome = Some(outcome);
            if !incidents.is_empty()
                && matches!(outcome, RunOutcome::Failed | RunOutcome::Flaky)
                && group
                    .iter()
                    .any(|a| incidents.incident_of(project, a).is_some())
            {
                let kept = &mut self.scratch.filtered;
                kept.clear();
                kept.extend(
                    group
                        .iter()
                        .filter(|a| incidents.incident_of(project, a).is_none()),
                );
                outcome = RunOutcome::of(kept);
                if matches!(outcome, RunOutcome::Skipped | RunOutcome::Interrupted) {
                    infrastructure.push(group[0].run);
                }
            }
            if !matches!(outcome, RunOutcome::Skipped | RunOutcome::Interrupted) {
                self.points.push(Point {
                    run: group[0].run,
                    outcome,
                    first,
                    count: group.len(),
                });
            }
            first += group.len();
        }
        (last_outcome, infrastructure)
    }

    pub fn judge(&mut self, test: &TestRecord) -> TestVerdict {
        let (last_outcome, infrastructure) = self.collect(test);
        let window = self.ctx.opts.window as usize;
        let all = self.points.len();
        let from = all.saturating_sub(window);
        let mut v = TestVerdict {
            verdict: Verdict::Skipped,
            score: 0.0,
            flips: 0,
            points: Vec::new(),
            passed: 0,
            failed: 0,
            flaky: 0,
            same_commit: Vec::new(),
            since: None,
            before: None,
            last_outcome,
            events: 0.0,
            weight: 0.0,
            evidence_runs: Vec::new(),
            evidence_commits: 0,
            clean_runs: 0,
            infrastructure,
            quarantine: QuarantineState::default(),
            quarantine_at_start: QuarantineState::default(),
        };
        let points = &self.points[from..];
        let n = points.len();
        if n == 0 {
            return v;
        }
        // Plainly stable: every judged run passed on its first try.
        if points.iter().all(|p| p.outcome == RunOutcome::Passed) {
            v.verdict = Verdict::Stable;
            v.passed = n as u32;
            v.clean_runs = n as u32;
            v.weight = self.ctx.weights[..n].iter().sum();
            if !v.infrastructure.is_empty() {
                v.points = points.to_vec();
            }
            return v;
        }
        let core = evaluate(&self.ctx, &mut self.scratch, points);
        v.verdict = core.verdict;
        v.score = core.score();
        v.events = core.events;
        v.weight = core.weight;
        v.flips = core.flips;
        v.passed = core.passed;
        v.failed = core.failed;
        v.flaky = core.flaky;
        v.since = core.since.map(|i| points[i].run);
        v.before = core.before.map(|i| points[i].run);
        v.same_commit = self
            .scratch
            .conflicts
            .iter()
            .map(|&c| self.commits[c as usize].to_string())
            .collect();
        let mut commits: Vec<u32> = Vec::new();
        for (p, &e) in points.iter().zip(&self.scratch.evidence) {
            if e {
                v.evidence_runs.push(p.run);
                let c = self.ctx.commit_ids[p.run as usize];
                if c != u32::MAX && !commits.contains(&c) {
                    commits.push(c);
                }
            }
        }
        v.evidence_commits = commits.len() as u32;
        v.clean_runs = points
            .iter()
            .rev()
            .take_while(|p| p.outcome == RunOutcome::Passed)
            .count() as u32;
        v.points = points.to_vec();

        // Quarantine, replayed over the judged runs; and as it stood when
        // `at_run` began (over the window before it).
        let start = self
            .at_run
            .map(|r| self.points.partition_point(|p| p.run < r));
        let (ctx, scratch) = (&self.ctx, &mut self.scratch);
        match start {
            Some(k) if k.saturating_sub(window) == from => {
                let (end, before) = replay(ctx, scratch, &self.points[from..], Some(k - from));
                v.quarantine = end;
                v.quarantine_at_start = before.unwrap_or(end);
            }
            Some(k) => {
                let earlier = &self.points[k.saturating_sub(window)..k];
                v.quarantine_at_start = replay(ctx, scratch, earlier, None).0;
                v.quarantine = replay(ctx, scratch, &self.points[from..], None).0;
            }
            None => v.quarantine = replay(ctx, scratch, &self.points[from..], None).0,
        }
        v
    }
}

/// Judges a run of points (oldest first, at most `window`); leaves the
/// conflicting commits and the evidence per point in the scratch buffers.
fn evaluate(j: &Ctx, s: &mut Scratch, points: &[Point]) -> Core {
    let opts = &j.opts;
    let n = points.len();
    let mut core = Core {
        verdict: Verdict::Stable,
        events: 0.0,
        weight: 0.0,
        flips: 0,
        passed: 0,
        failed: 0,
        flaky: 0,
        since: None,
        before: None,
        evidence_runs: 0,
    };
    for p in points {
        match p.outcome {
            RunOutcome::Passed => core.passed += 1,
            RunOutcome::Failed => core.failed += 1,
            RunOutcome::Flaky => core.flaky += 1,
            _ => {}
        }
    }
    let fail_streak = points
        .iter()
        .rev()
        .take_while(|p| p.outcome == RunOutcome::Failed)
        .count();

    // Same commit, both results (a window holds few commits: a vector is
    // enough).
    s.by_commit.clear();
    for p in points {
        let c = j.commit_ids[p.run as usize];
        if c == u32::MAX {
            continue;
        }
        let i = match s.by_commit.iter().position(|e| e.0 == c) {
            Some(i) => i,
            None => {
                s.by_commit.push((c, false, false));
                s.by_commit.len() - 1
            }
        };
        s.by_commit[i].1 |= passes(p.outcome);
        // A failed or a flaky run: both had a failing attempt.
        s.by_commit[i].2 |= p.outcome != RunOutcome::Passed;
    }
    s.conflicts.clear();
    s.conflicts
        .extend(s.by_commit.iter().filter(|e| e.1 && e.2).map(|e| e.0));
    let commit_ids = &j.commit_ids;
    let conflicts = &s.conflicts;
    let conflicted = |p: &Point| {
        let c = commit_ids[p.run as usize];
        c != u32::MAX && conflicts.contains(&c)
    };

    // Score.
    for i in 0..n {
        let w = j.weights[n - 1 - i];
        core.weight += w;
        let mut event = points[i].outcome == RunOutcome::Flaky;
        if i > 0 && passes(points[i].outcome) != passes(points[i - 1].outcome) {
            core.flips += 1;
            let into_final_streak = fail_streak > 0 && i == n - fail_streak;
            event |= !into_final_streak;
        }
        if event {
            core.events += w;
        }
    }

    // Evidence: flaky runs, failures a pass followed in a streak too short
    // to be broken, failures at a commit that also passed.
    let broken_after = opts.broken_after as usize;
    s.evidence.clear();
    s.evidence.resize(n, false);
    let mut i = 0;
    while i < n {
        match points[i].outcome {
            RunOutcome::Flaky => {
                s.evidence[i] = true;
                i += 1;
            }
            RunOutcome::Failed => {
                let end = i + points[i..]
                    .iter()
                    .take_while(|p| p.outcome == RunOutcome::Failed)
                    .count();
                let followed = end < n && end - i < broken_after;
                for (e, p) in s.evidence[i..end].iter_mut().zip(&points[i..end]) {
                    *e = followed || conflicted(p);
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    core.evidence_runs = s.evidence.iter().filter(|&&e| e).count() as u32;

    let streak_start = n - fail_streak;
    // Same commits only matter where they touch the runs in question.
    let streak_conflicted = points[streak_start..].iter().any(conflicted);
    let score = core.score();
    // A failing streak after clearly flaky runs is more of the same (a test
    // that fails 80 % of the time fails three runs in a row now and then),
    // not a breakage.
    let flaky_before = |end: usize| clearly_flaky(j, &points[..end]);
    if fail_streak >= broken_after && !streak_conflicted && !flaky_before(streak_start) {
        core.verdict = Verdict::Broken;
        core.since = Some(streak_start);
        core.before = streak_start.checked_sub(1);
    } else if let Some((fixed_at, broke_at)) = fixed(points, broken_after) {
        if points[broke_at..].iter().any(conflicted) || flaky_before(broke_at) {
            core.verdict = Verdict::Flaky;
        } else {
            core.verdict = Verdict::Fixed;
            core.since = Some(fixed_at);
            core.before = Some(broke_at);
        }
    } else if core.flaky > 0
        || core.evidence_runs > 0
        || !conflicts.is_empty()
        || score >= opts.flaky_threshold
    {
        core.verdict = Verdict::Flaky;
    } else if fail_streak >= broken_after {
        // Broken, but clearly flaky before: flaky.
        core.verdict = Verdict::Flaky;
    } else if fail_streak > 0 {
        core.verdict = Verdict::Failing;
        core.since = Some(streak_start);
        core.before = streak_start.checked_sub(1);
    } else {
        core.verdict = Verdict::Stable;
    }
    core
}

/// Whether runs show clear flakiness: evidence in two runs or more, or a
/// score at the flaky threshold (one old flaky run does not make a test
/// that then broke flaky).
fn clearly_flaky(j: &Ctx, points: &[Point]) -> bool {
    let n = points.len();
    if n < 2 {
        return false;
    }
    let broken_after = j.opts.broken_after as usize;
    let mut evidence = 0;
    let mut i = 0;
    while i < n {
        match points[i].outcome {
            RunOutcome::Flaky => {
                evidence += 1;
                i += 1;
            }
            RunOutcome::Failed => {
                let end = i + points[i..]
                    .iter()
                    .take_while(|p| p.outcome == RunOutcome::Failed)
                    .count();
                if end < n && end - i < broken_after {
                    evidence += end - i;
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    if evidence >= 2 {
        return true;
    }
    let fail_streak = points
        .iter()
        .rev()
        .take_while(|p| p.outcome == RunOutcome::Failed)
        .count();
    let (mut events, mut weight) = (0.0, 0.0);
    for i in 0..n {
        let w = j.weights[n - 1 - i];
        weight += w;
        let mut event = points[i].outcome == RunOutcome::Flaky;
        if i > 0 && passes(points[i].outcome) != passes(points[i - 1].outcome) {
            event |= !(fail_streak > 0 && i == n - fail_streak);
        }
        if event {
            events += w;
        }
    }
    events / (weight + SCORE_PRIOR_RUNS) >= j.opts.flaky_threshold
}

/// The quarantine state after each of `points` in turn; returns the state
/// after the last and, with `stop`, the state before `points[stop]`.
fn replay(
    j: &Ctx,
    s: &mut Scratch,
    points: &[Point],
    stop: Option<usize>,
) -> (QuarantineState, Option<QuarantineState>) {
    let min_runs = j.opts.quarantine_min_runs;
    let threshold = j.opts.quarantine_threshold;
    let release = j.opts.quarantine_release_after;
    let mut state = QuarantineState::default();
    let mut before = None;
    // Evidence runs are a subset of the runs that did not simply pass.
    let mut unclean = 0u32;
    // After a release only new evidence counts.
    let mut fresh_from = 0;
    for (i, p) in points.iter().enumerate() {
        if stop == Some(i) {
            before = Some(state);
        }
        if p.outcome != RunOutcome::Passed {
            unclean += 1;
        }
        if state.quarantined {
            if p.outcome == RunOutcome::Passed {
                state.clean += 1;
                if state.clean >= release {
                    state = QuarantineState::default();
                    fresh_from = i + 1;
                    unclean = 0;
                }
            } else {
                state.clean = 0;
            }
            continue;
        }
        if unclean < min_runs {
            continue;
        }
        let core = evaluate(j, s, &points[..=i]);
        let evidence = s.evidence[fresh_from..=i].iter().filter(|&&e| e).count() as u32;
        if core.verdict == Verdict::Flaky && evidence >= min_runs && core.score() >= threshold {
            state = QuarantineState {
                quarantined: true,
                since: Some(p.run),
                clean: 0,
            };
        }
    }
    if stop.is_some_and(|s| s >= points.len()) {
        before = Some(state);
    }
    (state, before)
}

/// Judges one test (builds a [`Judge`]; use one `Judge` for many tests).
pub fn judge(history: &History, test: &TestRecord, opts: &FlakyOptions) -> TestVerdict {
    let incidents = Detected::default();
    let mut j = Judge::new(history, opts, &incidents);
    let mut v = j.judge(test);
    if v.points.is_empty() {
        let from = j.points.len().saturating_sub(opts.window as usize);
        v.points = j.points[from..].to_vec();
    }
    v
}

/// A failing streak of at least `broken_after` runs followed by clean passes
/// up to the latest run: (index of the first pass, index of the first failure).
fn fixed(points: &[Point], broken_after: usize) -> Option<(usize, usize)> {
    let n = points.len();
    let clean = points
        .iter()
        .rev()
        .take_while(|p| p.outcome == RunOutcome::Passed)
        .count();
    if clean == 0 || clean == n {
        return None;
    }
    let fixed_at = n - clean;
    let fails = points[..fixed_at]
        .iter()
        .rev()
        .take_while(|p| p.outcome == RunOutcome::Failed)
        .count();
    (fails >= broken_after).then(|| (fixed_at, fixed_at - fails))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::model::tests::{attempt, meta};
    use crate::history::model::NewAttempt;
    use crate::history::{Limits, Status};

    /// A history of one test from a pattern: P passed, F failed, R failed
    /// then passed on a retry, S skipped; commits given per run (or none).
    fn history(pattern: &str, commits: &[&str]) -> History {
        let mut h = History::new(Limits::DEFAULT);
        for (i, c) in pattern.chars().enumerate() {
            let attempts: Vec<NewAttempt> = match c {
                'P' => vec![attempt("t", Status::Passed, 0, 10)],
                'F' => vec![
                    attempt("t", Status::Failed, 0, 10),
                    attempt("t", Status::Failed, 1, 10),
                ],
                'R' => vec![
                    attempt("t", Status::Failed, 0, 10),
                    attempt("t", Status::Passed, 1, 10),
                ],
                'S' => vec![attempt("t", Status::Skipped, 0, 0)],
                _ => unreachable!(),
            };
            h.add_run(
                meta(
                    &format!("r{i:02}"),
                    i as i64,
                    commits.get(i).copied().unwrap_or(""),
                ),
                attempts,
            );
        }
        h
    }

    fn verdict(pattern: &str, commits: &[&str]) -> TestVerdict {
        let h = history(pattern, commits);
        judge(&h, &h.tests()[0], &FlakyOptions::DEFAULT)
    }

    #[test]
    fn verdicts() {
        let cases = [
            ("PPPPPPPPPP", Verdict::Stable),
            ("PPPPPPPPPR", Verdict::Flaky),
            ("PPPPFPPPPP", Verdict::Flaky),
            ("PPPPPPPFFF", Verdict::Broken),
            ("FFF", Verdict::Broken),
            ("PPPPPPPPPF", Verdict::Failing),
            ("PPPPPPPPFF", Verdict::Failing),
            ("PPPPFFFPPP", Verdict::Fixed),
            ("PFPFPFPFPF", Verdict::Flaky),
            ("SSS", Verdict::Skipped),
            ("PPPSSSFFF", Verdict::Broken),
            ("FFFPR", Verdict::Flaky),
            // Evidence is flakiness, however old (the window bounds memory).
            ("PFPPPPPPPPPPPPPPPPPP", Verdict::Flaky),
            // A test that fails most of the time fails three runs in a row
            // now and then: flaky, not broken or fixed.
            ("FFFPFFFFFFPFFFFFFFFF", Verdict::Flaky),
            ("PFPPFPPPFPPPFFFPPPPP", Verdict::Flaky),
            // One old flaky run does not make a broken test flaky.
            ("PPPRPPPPPPPPPPPPPFFF", Verdict::Broken),
        ];
        for (pattern, want) in cases {
            assert_eq!(verdict(pattern, &[]).verdict, want, "{pattern}");
        }
    }

    #[test]
    fn scores_weigh_recent_runs_more() {
        let recent = verdict("PPPPPPPPPPPPPPPPPFPP", &[]);
        let old = verdict("PPFPPPPPPPPPPPPPPPPP", &[]);
        assert!(recent.score > old.score, "{} > {}", recent.score, old.score);
        assert_eq!((recent.flips, old.flips), (2, 2));
        let alternating = verdict("PFPFPFPFPFPFPFPFPFPF", &[]);
        assert!(alternating.score > 0.8, "{}", alternating.score);
        // The prior: one flaky run out of one is not certainty.
        assert_eq!(verdict("R", &[]).score, 0.5);
        let two = verdict("RR", &[]);
        assert!((two.score - 0.659).abs() < 0.001, "{}", two.score);
        assert_eq!(verdict("PPPPPPPPPPPPPPPPPPPP", &[]).score, 0.0);
        // The failing streak at the end is not counted as a flip event.
        assert_eq!(verdict("PPPPPPPFFF", &[]).score, 0.0);
    }

    #[test]
    fn a_commit_with_both_results_is_flaky() {
        // Two failures in a row at new commits: a new failure.
        assert_eq!(
            verdict("PPFF", &["a", "b", "c", "d"]).verdict,
            Verdict::Failing
        );
        // The same, but commit b also passed: flaky.
        let v = verdict("PPFF", &["a", "b", "b", "c"]);
        assert_eq!(
            (v.verdict, v.same_commit.as_slice()),
            (Verdict::Flaky, &["b".to_string()][..])
        );
        let v = verdict("PPPFF", &["a", "b", "c", "c", "c"]);
        assert_eq!(v.verdict, Verdict::Flaky);
        assert_eq!(v.same_commit, ["c"]);
        // Broken needs its failures not contradicted at the same commit.
        let v = verdict("PPFFF", &["a", "b", "b", "c", "d"]);
        assert_eq!(v.verdict, Verdict::Flaky);
        let v = verdict("PPFFF", &["a", "b", "c", "c", "d"]);
        assert_eq!(v.verdict, Verdict::Broken);
    }

    #[test]
    fn since_and_before() {
        let h = history("PPFFF", &["a", "b", "c", "d", "e"]);
        let v = judge(&h, &h.tests()[0], &FlakyOptions::DEFAULT);
        assert_eq!(
            h.runs()[v.since.unwrap() as usize].commit.as_deref(),
            Some("c")
        );
        assert_eq!(
            h.runs()[v.before.unwrap() as usize].commit.as_deref(),
            Some("b")
        );
        let h = history("PFFFPP", &["a", "b", "c", "d", "e", "f"]);
        let v = judge(&h, &h.tests()[0], &FlakyOptions::DEFAULT);
        assert_eq!(v.verdict, Verdict::Fixed);
        assert_eq!(
            h.runs()[v.since.unwrap() as usize].commit.as_deref(),
            Some("e")
        );
        assert_eq!(
            h.runs()[v.before.unwrap() as usize].commit.as_deref(),
            Some("b")
        );
    }

    #[test]
    fn evidence_counts_distinct_runs_and_commits() {
        // Two flaky runs, a failure a pass followed, at three commits.
        let v = verdict("PRPPRPFP", &["a", "a", "b", "b", "c", "c", "d", "d"]);
        assert_eq!(v.evidence_runs, [1, 4, 6]);
        assert_eq!(v.evidence_commits, 3);
        assert_eq!(v.clean_runs, 1);
        // A broken streak that was fixed is no evidence; nor is a new failure.
        assert!(verdict("PPFFFPPP", &[]).evidence_runs.is_empty());
        assert!(verdict("PPPPPPPF", &[]).evidence_runs.is_empty());
        // But a failure at a commit that also passed is.
        assert_eq!(verdict("PPF", &["a", "b", "b"]).evidence_runs, [2]);
    }

    /// The quarantine state (by score) after each run of a pattern.
    fn quarantine_states(pattern: &str, opts: &FlakyOptions) -> String {
        let h = history(pattern, &[]);
        let incidents = Detected::default();
        let mut j = Judge::new(&h, opts, &incidents);
        (1..=pattern.len())
            .map(|n| {
                // The state when run n began ("n" past the end: after all).
                j.at_run = Some(n as u32);
                if j.judge(&h.tests()[0]).quarantine_at_start.quarantined {
                    'Q'
                } else {
                    '.'
                }
            })
            .collect()
    }

    #[test]
    fn one_flaky_run_is_not_enough_to_quarantine() {
        let d = FlakyOptions::DEFAULT;
        // One flaky run: flaky, score 0.5, not quarantined.
        let v = verdict("R", &[]);
        assert_eq!(
            (v.verdict, v.quarantine.quarantined),
            (Verdict::Flaky, false)
        );
        // Two: quarantined after the second.
        assert_eq!(quarantine_states("RPR", &d), "..Q");
        let v = verdict("RPR", &[]);
        assert!(v.quarantine.quarantined);
        assert_eq!(v.quarantine.since, Some(2));
        // With quarantineMinRuns 3, after the third.
        let three = FlakyOptions {
            quarantine_min_runs: 3,
            ..FlakyOptions::DEFAULT
        };
        assert_eq!(quarantine_states("RPRPPRP", &three), ".....QQ");
        // Two old flakes among many clean runs: score too low.
        assert!(!verdict("RRPPPPPPPPPPPPPPPPPP", &[]).quarantine.quarantined);
    }

    #[test]
    fn a_quarantined_test_failing_again_stays_quarantined() {
        // Quarantined after run 3 (index 2); run 4 fails. Judged as the
        // policy alone it would drop out (the failing streak at the end is
        // not counted): the state keeps it, before and after run 4.
        let v = verdict("RPRF", &[]);
        assert!(v.quarantine.quarantined, "{v:?}");
        assert_eq!(quarantine_states("RPRF", &FlakyOptions::DEFAULT), "..QQ");
        assert_eq!(
            quarantine_states("RPRFFFFF", &FlakyOptions::DEFAULT),
            "..QQQQQQ"
        );
        // The state as of a run's start ignores that run and later ones.
        let h = history("RPRF", &[]);
        let incidents = Detected::default();
        let mut j = Judge::new(&h, &FlakyOptions::DEFAULT, &incidents);
        j.at_run = Some(2);
        let v = j.judge(&h.tests()[0]);
        assert!(
            !v.quarantine_at_start.quarantined,
            "not yet when run 3 began"
        );
        assert!(v.quarantine.quarantined);
    }

    #[test]
    fn a_fixed_test_leaves_quarantine_after_clean_runs() {
        let opts = FlakyOptions {
            quarantine_release_after: 3,
            ..FlakyOptions::DEFAULT
        };
        assert_eq!(quarantine_states("RPRPPPPP", &opts), "..QQQ...");
        // A failure resets the count; once out, only new flakiness counts.
        assert_eq!(quarantine_states("RPRPPFPPPP", &opts), "..QQQQQQ..");
        assert_eq!(quarantine_states("RPRPPPPPRPPR", &opts), "..QQQ.......");
        assert_eq!(
            quarantine_states("RPRPPPRR", &opts),
            "..QQQ..Q",
            "new flakiness"
        );
        // Default: 10 clean runs.
        let v = verdict("RPRPPPPPPPPPP", &[]);
        assert!(!v.quarantine.quarantined, "{:?}", v.quarantine);
        let v = verdict("RPRPPPPPPPPP", &[]);
        assert_eq!((v.quarantine.quarantined, v.quarantine.clean), (true, 9));
    }

    #[test]
    fn infrastructure_failures_are_not_judged() {
        use crate::flaky::incident::tests::{suite, REFUSED};
        use crate::flaky::incident::{detect, IncidentOptions};
        // Run 2 was an outage; t0 also flaked for real in run 4.
        let h = suite(6, 30, |r, i| match (r, i) {
            (2, _) => Some(REFUSED),
            (4, 0) => Some("Error: boom"),
            _ => None,
        });
        let incidents = detect(&h, &IncidentOptions::DEFAULT, 3);
        let mut j = Judge::new(&h, &FlakyOptions::DEFAULT, &incidents);
        let stable = j.judge(h.test("chromium › f1.spec.ts › t10").unwrap());
        assert_eq!(
            (stable.verdict, stable.infrastructure.as_slice()),
            (Verdict::Stable, &[2][..])
        );
        assert_eq!(stable.points.len(), 5);
        let t0 = j.judge(h.test("chromium › f0.spec.ts › t0").unwrap());
        assert_eq!(
            (t0.verdict, t0.evidence_runs.as_slice()),
            (Verdict::Flaky, &[4][..])
        );
        // Without incident detection the outage makes every test flaky.
        let none = Detected::default();
        let mut blind = Judge::new(&h, &FlakyOptions::DEFAULT, &none);
        assert_eq!(
            blind
                .judge(h.test("chromium › f1.spec.ts › t10").unwrap())
                .verdict,
            Verdict::Flaky
        );
    }

    #[test]
    fn the_window_limits_what_is_judged() {
        let opts = FlakyOptions {
            window: 5,
            ..FlakyOptions::DEFAULT
        };
        let h = history("FPFPFPPPPP", &[]);
        let v = judge(&h, &h.tests()[0], &opts);
        assert_eq!((v.verdict, v.points.len()), (Verdict::Stable, 5));
    }
}
