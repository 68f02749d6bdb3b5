//! One test's verdict from its recent runs.
//!
//! The runs judged are the test's last `window` runs in which it ran (skipped
//! and interrupted runs do not count). Each has an outcome like Playwright's:
//! passed, failed, or flaky (failed, then passed on a retry). Then, in order:
//!
//! 1. **broken**: the latest `broken_after` or more runs all failed on every
//!    attempt, and no commit among them also has a passing run ("failing every
//!    run since commit X").
//! 2. **fixed**: a streak of at least `broken_after` failing runs, followed by
//!    clean passes up to the latest run (no flaky run among them, no commit
//!    with both results).
//! 3. **flaky**: a run was flaky, or one commit has both a passing and a
//!    failing run, or the score reaches `flaky_threshold`.
//! 4. **failing**: the latest run(s) failed, too few to call it broken.
//! 5. **stable** otherwise.
//!
//! The score (0–1) is the weighted share of runs with an instability event:
//! a flaky run, or a pass↔fail flip from the run before (except the flip into
//! a failing streak that lasts to the latest run: that is a new failure, not
//! yet evidence of flakiness). Weights halve every `half_life` runs back, so
//! a test that flaked recently scores higher than one that flaked long ago.

use std::collections::HashMap;

use super::options::FlakyOptions;
use crate::history::{History, RunOutcome, TestRecord};

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
}

fn passes(o: RunOutcome) -> bool {
    matches!(o, RunOutcome::Passed | RunOutcome::Flaky)
}

/// Judges tests of one history with one set of options. Built once per
/// analysis: commits become small integers and the score weights a table, so
/// judging 100,000 tests allocates nothing for the stable ones.
pub struct Judge<'h> {
    opts: FlakyOptions,
    /// Dense commit id per run (`u32::MAX`: no commit).
    commit_ids: Vec<u32>,
    commits: Vec<&'h str>,
    /// `weights[k]`: the weight of the run `k` runs before the latest.
    weights: Vec<f64>,
    points: Vec<Point>,
}

impl<'h> Judge<'h> {
    pub fn new(history: &'h History, opts: &FlakyOptions) -> Self {
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
            opts: opts.clone(),
            commit_ids,
            commits,
            weights,
            points: Vec::new(),
        }
    }

    pub fn judge(&mut self, test: &TestRecord) -> TestVerdict {
        let opts = &self.opts;
        let points = &mut self.points;
        points.clear();
        let mut last_outcome = None;
        let mut first = 0;
        for group in test.runs() {
            let outcome = RunOutcome::of(group);
            last_outcome = Some(outcome);
            if !matches!(outcome, RunOutcome::Skipped | RunOutcome::Interrupted) {
                points.push(Point {
                    run: group[0].run,
                    outcome,
                    first,
                    count: group.len(),
                });
            }
            first += group.len();
        }
        let window = opts.window as usize;
        if points.len() > window {
            points.drain(..points.len() - window);
        }
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
        };
        let n = points.len();
        if n == 0 {
            return v;
        }
        for p in points.iter() {
            match p.outcome {
                RunOutcome::Passed => v.passed += 1,
                RunOutcome::Failed => v.failed += 1,
                RunOutcome::Flaky => v.flaky += 1,
                _ => {}
            }
        }
        let fail_streak = points
            .iter()
            .rev()
            .take_while(|p| p.outcome == RunOutcome::Failed)
            .count();

        // Same commit, both results: (commit, passed, failed) in order of
        // first appearance (a window holds few commits: a vector is enough).
        let mut by_commit: Vec<(u32, bool, bool)> = Vec::new();
        for p in points.iter() {
            let c = self.commit_ids[p.run as usize];
            if c == u32::MAX {
                continue;
            }
            let i = match by_commit.iter().position(|e| e.0 == c) {
                Some(i) => i,
                None => {
                    by_commit.push((c, false, false));
                    by_commit.len() - 1
                }
            };
            by_commit[i].1 |= passes(p.outcome);
            // A failed or a flaky run: both had a failing attempt.
            by_commit[i].2 |= p.outcome != RunOutcome::Passed;
        }
        let conflicts: Vec<u32> = by_commit
            .iter()
            .filter(|e| e.1 && e.2)
            .map(|e| e.0)
            .collect();
        v.same_commit = conflicts
            .iter()
            .map(|&c| self.commits[c as usize].to_string())
            .collect();
        let commit_ids = &self.commit_ids;
        let conflicted = |p: &Point| {
            let c = commit_ids[p.run as usize];
            c != u32::MAX && conflicts.contains(&c)
        };

        // Score.
        let mut weighted = 0.0;
        let mut total = 0.0;
        for i in 0..n {
            let w = self.weights[n - 1 - i];
            total += w;
            let mut event = points[i].outcome == RunOutcome::Flaky;
            if i > 0 && passes(points[i].outcome) != passes(points[i - 1].outcome) {
                v.flips += 1;
                let into_final_streak = fail_streak > 0 && i == n - fail_streak;
                event |= !into_final_streak;
            }
            if event {
                weighted += w;
            }
        }
        v.score = if total > 0.0 { weighted / total } else { 0.0 };

        let streak_start = n - fail_streak;
        let broken_after = opts.broken_after as usize;
        // Same commits only matter where they touch the runs in question.
        let streak_conflicted = points[streak_start..].iter().any(conflicted);

        if fail_streak >= broken_after && !streak_conflicted {
            v.verdict = Verdict::Broken;
            v.since = Some(points[streak_start].run);
            v.before = streak_start.checked_sub(1).map(|i| points[i].run);
        } else if let Some((fixed_at, broke_at)) = fixed(points, broken_after) {
            if points[broke_at..].iter().any(conflicted) {
                v.verdict = Verdict::Flaky;
            } else {
                v.verdict = Verdict::Fixed;
                v.since = Some(points[fixed_at].run);
                v.before = Some(points[broke_at].run);
            }
        } else if v.flaky > 0 || !conflicts.is_empty() || v.score >= opts.flaky_threshold {
            v.verdict = Verdict::Flaky;
        } else if fail_streak > 0 {
            v.verdict = Verdict::Failing;
            v.since = Some(points[streak_start].run);
            v.before = streak_start.checked_sub(1).map(|i| points[i].run);
        } else {
            v.verdict = Verdict::Stable;
        }
        if v.verdict != Verdict::Stable {
            v.points = points.clone();
        }
        v
    }
}

/// Judges one test (builds a [`Judge`]; use one `Judge` for many tests).
pub fn judge(history: &History, test: &TestRecord, opts: &FlakyOptions) -> TestVerdict {
    let mut j = Judge::new(history, opts);
    let mut v = j.judge(test);
    if v.points.is_empty() {
        v.points = j.points;
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
        assert!(alternating.score > 0.85, "{}", alternating.score);
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
