//! Infrastructure incidents: a run — or one project of a run — where an
//! unusual share of the tests failed with the same error signature (the app
//! under test was down, the database refused connections, the browser kept
//! crashing). Those failures say nothing about the tests, so flaky detection
//! does not count them; the report lists the incident instead of hundreds of
//! "flaky" tests.
//!
//! A failure signature (see [`crate::signature`]) is an incident in a scope
//! (a run, or one project of a run with several) when all of these hold:
//!
//! - at least `min_tests` tests failed with it (an absolute floor: five
//!   failures in a ten-test suite are not an outage to learn from);
//! - they are at least `min_share` of the tests that ran in the scope;
//! - they span at least `min_files` files (a regression that breaks one spec
//!   file with one assertion message is not infrastructure);
//! - it is not a regression: a failure that the same tests keep having —
//!   for `broken_after` runs in a row or more, or with another error right
//!   after — is a code change, not an outage. Runs in a row failing with the
//!   same signature (an outage that lasted over a retriggered run) form one
//!   streak; the streak, not each run, is judged.
//!
//! An incident is *confirmed* once most of its tests passed again in a later
//! run; until then (the run is the latest) it is provisional, and still
//! treated as infrastructure.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::error::{Error, Result};
use crate::history::{Attempt, History, Incident, RunOutcome, Status};

/// The thresholds of incident detection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IncidentOptions {
    /// Fewest tests failing with one signature in a scope.
    pub min_tests: u32,
    /// Smallest share (0–1) of the scope's tests failing with it.
    pub min_share: f64,
    /// Fewest distinct files among them.
    pub min_files: u32,
    /// Share of the incident's tests that must keep failing after it for it
    /// to be a regression instead (and that must pass again to confirm it).
    pub regression_share: f64,
}

impl IncidentOptions {
    pub const DEFAULT: IncidentOptions = IncidentOptions {
        min_tests: 10,
        min_share: 0.2,
        min_files: 3,
        regression_share: 0.5,
    };

    /// Checks ranges (names as the user writes them).
    pub fn validate(&self) -> Result<()> {
        if self.min_tests == 0 {
            return Err(Error::invalid("incidentMinTests", 0, "a whole number ≥ 1"));
        }
        if self.min_files == 0 {
            return Err(Error::invalid("incidentMinFiles", 0, "a whole number ≥ 1"));
        }
        for (field, v) in [
            ("incidentMinShare", self.min_share),
            ("incidentRegressionShare", self.regression_share),
        ] {
            if !(v > 0.0 && v <= 1.0) {
                return Err(Error::invalid(field, v, "a number above 0 and at most 1"));
            }
        }
        Ok(())
    }
}

impl Default for IncidentOptions {
    fn default() -> Self {
        IncidentOptions::DEFAULT
    }
}

/// Scope id for a whole run (other ids are project ids).
pub const WHOLE_RUN: u32 = u32::MAX;
const UNSET: u32 = u32::MAX;
const UNKNOWN_PROJECT: u32 = u32::MAX - 1;

/// The incidents of a history and what is needed to classify attempts.
#[derive(Debug, Default)]
pub struct Detected {
    /// Oldest run first.
    pub incidents: Vec<Incident>,
    /// The run index of each incident.
    pub runs: Vec<u32>,
    /// (run, scope, signature id) → incident index.
    index: FxHashMap<(u32, u32, u32), u32>,
    /// Signature id per error (by error index − 1); `UNSET` if not needed.
    sig_of_error: Vec<u32>,
    projects: FxHashMap<String, u32>,
}

impl Detected {
    pub fn is_empty(&self) -> bool {
        self.incidents.is_empty()
    }

    /// The id of a project, for [`Detected::incident_of`] (a project the
    /// history does not know matches no project incident).
    pub fn project_id(&self, project: &str) -> u32 {
        self.projects
            .get(project)
            .copied()
            .unwrap_or(UNKNOWN_PROJECT)
    }

    /// The incident a failed attempt (of a test in project `project`) belongs
    /// to: an infrastructure failure.
    pub fn incident_of(&self, project: u32, a: &Attempt) -> Option<u32> {
        if self.incidents.is_empty() || a.error == 0 || a.ok() || !counted(a) {
            return None;
        }
        let sig = *self.sig_of_error.get(a.error as usize - 1)?;
        if sig == UNSET {
            return None;
        }
        self.index
            .get(&(a.run, WHOLE_RUN, sig))
            .or_else(|| self.index.get(&(a.run, project, sig)))
            .copied()
    }
}

fn counted(a: &Attempt) -> bool {
    !matches!(a.status, Status::Skipped | Status::Interrupted)
}

fn failed(a: &Attempt) -> bool {
    counted(a) && !a.ok()
}

#[derive(Default)]
struct Group<'h> {
    tests: Vec<u32>,
    files: FxHashSet<&'h str>,
}

/// What became of a test after a candidate's streak.
#[derive(PartialEq)]
enum After {
    Passed,
    FailedOtherwise,
    Nothing,
}

/// How a run of a test relates to a candidate with signature `sig`: the
/// same failure (the streak goes on), another incident's failure (an outage
/// in the middle of a regression: looked through), or neither.
#[derive(PartialEq)]
enum Step {
    Same,
    Through,
    Stop,
}

/// A candidate's tests, before and after it.
struct Judged {
    /// Tests whose failure lasted `broken_after` runs or more, or that
    /// failed otherwise right after.
    regressions: usize,
    /// Tests that passed right after.
    passed: usize,
    tests: usize,
    longest: u32,
}

impl Judged {
    fn regression(&self, share: f64) -> bool {
        self.regressions as f64 >= share * self.tests as f64
    }
}

struct Walk<'a> {
    tests: &'a [crate::history::TestRecord],
    pids: &'a [u32],
    sig_of_error: &'a [u32],
    candidates: &'a FxHashSet<(u32, u32, u32)>,
    /// Other incidents whose failures are looked through.
    through: &'a FxHashSet<(u32, u32, u32)>,
    cap: usize,
}

impl Walk<'_> {
    fn step(&self, group: &[Attempt], project: u32, sig: u32) -> Step {
        let r = group[0].run;
        let mut other = false;
        for a in group {
            if !failed(a) || a.error == 0 {
                continue;
            }
            let s = self.sig_of_error[a.error as usize - 1];
            if s == UNSET {
                continue;
            }
            let within = |set: &FxHashSet<(u32, u32, u32)>| {
                set.contains(&(r, WHOLE_RUN, s)) || set.contains(&(r, project, s))
            };
            if s == sig && within(self.candidates) {
                return Step::Same;
            }
            other |= s != sig && within(self.through);
        }
        if other {
            Step::Through
        } else {
            Step::Stop
        }
    }

    fn judge(&self, &(r, _, sig): &(u32, u32, u32), tests: &[u32]) -> Judged {
        let mut out = Judged {
            regressions: 0,
            passed: 0,
            tests: tests.len(),
            longest: 1,
        };
        for &ti in tests {
            let t = &self.tests[ti as usize];
            let p = self.pids[ti as usize];
            let runs: Vec<&[Attempt]> = t.runs().collect();
            let Some(at) = runs.iter().position(|g| g[0].run == r) else {
                continue;
            };
            let mut streak = 1;
            let mut i = at;
            while i > 0 && streak < self.cap {
                match self.step(runs[i - 1], p, sig) {
                    Step::Same => streak += 1,
                    Step::Through => {}
                    Step::Stop => break,
                }
                i -= 1;
            }
            let mut j = at + 1;
            while j < runs.len() && streak < self.cap {
                match self.step(runs[j], p, sig) {
                    Step::Same => streak += 1,
                    Step::Through => {}
                    Step::Stop => break,
                }
                j += 1;
            }
            // The first judged run after the streak.
            let after = runs[j.min(runs.len())..]
                .iter()
                .filter(|g| self.step(g, p, sig) != Step::Through)
                .map(|g| RunOutcome::of(g))
                .find(|o| !matches!(o, RunOutcome::Skipped | RunOutcome::Interrupted))
                .map_or(After::Nothing, |o| match o {
                    RunOutcome::Failed => After::FailedOtherwise,
                    _ => After::Passed,
                });
            out.longest = out.longest.max(streak as u32);
            if streak >= self.cap || after == After::FailedOtherwise {
                out.regressions += 1;
            } else if after == After::Passed {
                out.passed += 1;
            }
        }
        out
    }
}

/// Finds the incidents of a history. Costs one pass over the attempts; the
/// signatures are only looked at in runs where enough tests failed.
pub fn detect(history: &History, opts: &IncidentOptions, broken_after: u32) -> Detected {
    let runs = history.runs().len();
    let tests = history.tests();
    if runs == 0 || tests.is_empty() {
        return Detected::default();
    }
    // Project ids.
    let mut project_ids: FxHashMap<&str, u32> = FxHashMap::default();
    let mut names: Vec<&str> = Vec::new();
    let pids: Vec<u32> = tests
        .iter()
        .map(|t| {
            *project_ids.entry(t.id.project.as_str()).or_insert_with(|| {
                names.push(&t.id.project);
                names.len() as u32 - 1
            })
        })
        .collect();
    let np = names.len();

    // Pass 1: per (run, project) the tests that ran and those that failed
    // with an error; the failed attempts are kept for pass 2.
    let mut ran = vec![0u32; runs * np];
    let mut failing = vec![0u32; runs * np];
    let mut fails: Vec<(u32, u32)> = Vec::new();
    for (ti, t) in tests.iter().enumerate() {
        let p = pids[ti] as usize;
        let mut last = u32::MAX;
        let (mut ran_here, mut failed_here) = (false, false);
        for (ai, a) in t.attempts.iter().enumerate() {
            if a.run != last {
                if last != u32::MAX {
                    let at = last as usize * np + p;
                    ran[at] += u32::from(ran_here);
                    failing[at] += u32::from(failed_here);
                }
                last = a.run;
                ran_here = false;
                failed_here = false;
            }
            if counted(a) {
                ran_here = true;
                if !a.ok() && a.error > 0 {
                    failed_here = true;
                    fails.push((ti as u32, ai as u32));
                }
            }
        }
        if last != u32::MAX {
            let at = last as usize * np + p;
            ran[at] += u32::from(ran_here);
            failing[at] += u32::from(failed_here);
        }
    }

    // Scopes where enough tests failed at all (whatever the signature).
    let enough = |failed: u32, ran: u32| {
        failed >= opts.min_tests && f64::from(failed) >= opts.min_share * f64::from(ran)
    };
    let mut run_ran = vec![0u32; runs];
    let mut run_scope = vec![false; runs];
    let mut project_scope = vec![false; runs * np];
    let mut any = false;
    for r in 0..runs {
        let (mut sr, mut sf) = (0, 0);
        for p in 0..np {
            let at = r * np + p;
            sr += ran[at];
            sf += failing[at];
            if np > 1 && enough(failing[at], ran[at]) {
                project_scope[at] = true;
                any = true;
            }
        }
        run_ran[r] = sr;
        if enough(sf, sr) {
            run_scope[r] = true;
            any = true;
        }
    }
    let mut detected = Detected {
        projects: names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.to_string(), i as u32))
            .collect(),
        ..Detected::default()
    };
    if !any {
        return detected;
    }

    // Pass 2: signatures of the failures in those scopes.
    let mut sig_ids: FxHashMap<&str, u32> = FxHashMap::default();
    let mut sigs: Vec<&str> = Vec::new();
    let mut sig_of_error = vec![UNSET; history.errors().len()];
    let mut groups: FxHashMap<(u32, u32, u32), Group> = FxHashMap::default();
    for &(ti, ai) in &fails {
        let t = &tests[ti as usize];
        let a = &t.attempts[ai as usize];
        let r = a.run as usize;
        let p = pids[ti as usize];
        let whole = run_scope[r];
        let project = np > 1 && project_scope[r * np + p as usize];
        if !whole && !project {
            continue;
        }
        let e = a.error as usize - 1;
        if sig_of_error[e] == UNSET {
            let s = history.errors()[e].signature.as_str();
            sig_of_error[e] = *sig_ids.entry(s).or_insert_with(|| {
                sigs.push(s);
                sigs.len() as u32 - 1
            });
        }
        let sig = sig_of_error[e];
        for scope in [whole.then_some(WHOLE_RUN), project.then_some(p)]
            .into_iter()
            .flatten()
        {
            let g = groups.entry((a.run, scope, sig)).or_default();
            // A test's attempts are consecutive: count it once per group.
            if g.tests.last() != Some(&ti) {
                g.tests.push(ti);
                g.files.insert(t.id.file.as_str());
            }
        }
    }
    let scope_ran = |r: u32, scope: u32| {
        if scope == WHOLE_RUN {
            run_ran[r as usize]
        } else {
            ran[r as usize * np + scope as usize]
        }
    };
    let mut candidates: Vec<(u32, u32, u32)> = groups
        .iter()
        .filter(|(&(r, scope, _), g)| {
            let n = g.tests.len() as u32;
            enough(n, scope_ran(r, scope)) && g.files.len() as u32 >= opts.min_files
        })
        .map(|(k, _)| *k)
        .collect();
    // A whole-run candidate covers its projects.
    let whole: FxHashSet<(u32, u32)> = candidates
        .iter()
        .filter(|c| c.1 == WHOLE_RUN)
        .map(|c| (c.0, c.2))
        .collect();
    candidates.retain(|c| c.1 == WHOLE_RUN || !whole.contains(&(c.0, c.2)));
    candidates.sort_unstable();
    let candidate_set: FxHashSet<(u32, u32, u32)> = candidates.iter().copied().collect();

    let cap = broken_after.max(1) as usize;
    // Phase 1: each candidate on its own; phase 2: the incidents of phase 1
    // again, looking through the other incidents (a regression that an
    // outage interrupted is still one streak).
    let none = FxHashSet::default();
    let judge = |c: &(u32, u32, u32), through: &FxHashSet<(u32, u32, u32)>| {
        let walk = Walk {
            tests,
            pids: &pids,
            sig_of_error: &sig_of_error,
            candidates: &candidate_set,
            through,
            cap,
        };
        walk.judge(c, &groups[c].tests)
    };
    let first: Vec<(Judged, (u32, u32, u32))> =
        candidates.iter().map(|c| (judge(c, &none), *c)).collect();
    let share = opts.regression_share;
    let incidents_1: FxHashSet<(u32, u32, u32)> = first
        .iter()
        .filter(|(j, _)| !j.regression(share))
        .map(|(_, c)| *c)
        .collect();
    for (judged, c) in first {
        let (r, scope, sig) = c;
        let g = &groups[&c];
        let judged = if incidents_1.contains(&c) {
            judge(&c, &incidents_1)
        } else {
            judged
        };
        if judged.regression(share) {
            tracing::debug!(
                run = %history.runs()[r as usize].id,
                signature = sigs[sig as usize],
                tests = g.tests.len(),
                regressions = judged.regressions,
                "not an incident: the tests keep failing (a regression)"
            );
            continue;
        }
        let n = g.tests.len() as f64;
        let (passed, longest) = (judged.passed, judged.longest);
        tracing::debug!(
            run = %history.runs()[r as usize].id,
            signature = sigs[sig as usize],
            tests = g.tests.len(),
            files = g.files.len(),
            "infrastructure incident"
        );
        detected
            .index
            .insert((r, scope, sig), detected.incidents.len() as u32);
        detected.runs.push(r);
        detected.incidents.push(Incident {
            run_id: history.runs()[r as usize].id.clone(),
            project: (scope != WHOLE_RUN).then(|| names[scope as usize].to_string()),
            signature: sigs[sig as usize].to_string(),
            tests: g.tests.len() as u32,
            files: g.files.len() as u32,
            ran: scope_ran(r, scope),
            confirmed: passed as f64 >= share * n,
            streak: longest,
        });
    }
    detected.sig_of_error = sig_of_error;
    detected
}

/// Detects the incidents of `history` and records them in it (they are
/// saved with it).
pub fn record(history: &mut History, opts: &IncidentOptions, broken_after: u32) -> usize {
    let detected = detect(history, opts, broken_after);
    let n = detected.incidents.len();
    history.set_incidents(detected.incidents);
    n
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::classify::classify;
    use crate::history::model::tests::meta;
    use crate::history::model::{ErrorInfo, NewAttempt};
    use crate::history::Limits;
    use crate::playwright::testid::TestId;

    /// One attempt of test `i` (file `f<i / per_file>.spec.ts`) in `project`.
    pub fn at(
        project: &str,
        i: usize,
        per_file: usize,
        status: Status,
        retry: u32,
        error: Option<&str>,
    ) -> NewAttempt {
        NewAttempt {
            id: TestId::new(
                project,
                &format!("f{}.spec.ts", i / per_file),
                vec![format!("t{i}")],
            ),
            line: None,
            tags: vec![],
            status,
            expected_failure: false,
            retry,
            duration_ms: 10,
            error: error.map(|m| {
                let c = classify(m);
                ErrorInfo::new(m.to_string(), c.class, c.rule)
            }),
        }
    }

    pub const REFUSED: &str =
        "Error: page.goto: net::ERR_CONNECTION_REFUSED at http://127.0.0.1:3000/";
    pub const CHECKOUT: &str = "Error: expect(locator).toBeVisible() failed\n\nLocator: getByRole('button', { name: 'Checkout' })";

    /// `runs` runs of `n` tests (10 per file); `fail(run, test)` says how a
    /// test fails in a run: `None` passes, `Some(message)` fails on both
    /// attempts.
    pub fn suite(
        runs: usize,
        n: usize,
        fail: impl Fn(usize, usize) -> Option<&'static str>,
    ) -> History {
        let mut h = History::new(Limits {
            max_runs: 50,
            max_age_days: 0,
        });
        for r in 0..runs {
            let mut attempts = Vec::new();
            for i in 0..n {
                match fail(r, i) {
                    None => attempts.push(at("chromium", i, 10, Status::Passed, 0, None)),
                    Some(m) => attempts.extend([
                        at("chromium", i, 10, Status::Failed, 0, Some(m)),
                        at("chromium", i, 10, Status::Failed, 1, Some(m)),
                    ]),
                }
            }
            h.add_run(
                meta(&format!("run-{r:02}"), r as i64 * 1000, &format!("c{r}")),
                attempts,
            );
        }
        h
    }

    fn found(h: &History) -> Vec<(String, Option<String>, String, u32, u32, bool)> {
        detect(h, &IncidentOptions::DEFAULT, 3)
            .incidents
            .into_iter()
            .map(|i| {
                (
                    i.run_id,
                    i.project,
                    i.signature,
                    i.tests,
                    i.files,
                    i.confirmed,
                )
            })
            .collect()
    }

    #[test]
    fn a_full_outage_is_one_incident() {
        let h = suite(6, 100, |r, _| (r == 3).then_some(REFUSED));
        assert_eq!(
            found(&h),
            [(
                "run-03".into(),
                None,
                "ERR_CONNECTION_REFUSED".into(),
                100,
                10,
                true
            )]
        );
        let d = detect(&h, &IncidentOptions::DEFAULT, 3);
        let t = &h.tests()[0];
        let pid = d.project_id("chromium");
        let infra: Vec<_> = t
            .attempts
            .iter()
            .map(|a| d.incident_of(pid, a).is_some())
            .collect();
        assert_eq!(infra, [false, false, false, true, true, false, false]);
    }

    #[test]
    fn a_partial_outage_across_files_is_an_incident() {
        // 30 % of the tests (every third file's tests and a few more), one
        // shared error with varying ports; the rest pass.
        let h = suite(5, 200, |r, i| {
            (r == 2 && i % 10 < 3).then_some(if i % 2 == 0 {
                "Error: apiRequestContext.post: connect ECONNREFUSED 10.0.3.7:5432"
            } else {
                "Error: apiRequestContext.get: connect ECONNREFUSED 10.0.3.9:5433"
            })
        });
        assert_eq!(
            found(&h),
            [("run-02".into(), None, "ECONNREFUSED".into(), 60, 20, true)]
        );
    }

    #[test]
    fn too_few_tests_or_too_small_a_share_is_not_an_incident() {
        // 9 tests: below the floor, even at 100 %.
        assert!(found(&suite(4, 9, |r, _| (r == 1).then_some(REFUSED))).is_empty());
        // 15 of 100: below 20 %.
        assert!(found(&suite(4, 100, |r, i| (r == 1 && i < 15).then_some(REFUSED))).is_empty());
    }

    #[test]
    fn a_regression_in_one_file_is_not_an_incident() {
        // 10 tests of one file fail with one assertion, once, then pass
        // again: too few files.
        let h = suite(5, 40, |r, i| (r == 2 && i < 10).then_some(CHECKOUT));
        assert!(found(&h).is_empty());
    }

    #[test]
    fn a_regression_that_keeps_failing_is_not_an_incident() {
        // 40 % of the tests across files break at run 3 and stay broken.
        let h = suite(8, 100, |r, i| (r >= 3 && i % 5 < 2).then_some(CHECKOUT));
        assert!(found(&h).is_empty(), "{:?}", found(&h));
        // Broken at run 3, fixed at run 7: a streak of 4 ≥ brokenAfter.
        let h = suite(9, 100, |r, i| {
            ((3..7).contains(&r) && i % 5 < 2).then_some(CHECKOUT)
        });
        assert!(found(&h).is_empty(), "{:?}", found(&h));
        // The tests fail with another error right after: they are broken.
        let h = suite(6, 100, |r, i| match r {
            2 if i % 2 == 0 => Some(REFUSED),
            3.. if i % 2 == 0 => Some(CHECKOUT),
            _ => None,
        });
        assert!(found(&h).is_empty(), "{:?}", found(&h));
    }

    #[test]
    fn an_outage_in_the_middle_of_a_regression_does_not_cut_it_short() {
        // 40 % of the tests broken in runs 2–6, the app down in run 5.
        let h = suite(9, 100, |r, i| match r {
            5 => Some(REFUSED),
            2..=6 if i % 5 < 2 => Some(CHECKOUT),
            _ => None,
        });
        assert_eq!(
            found(&h),
            [(
                "run-05".into(),
                None,
                "ERR_CONNECTION_REFUSED".into(),
                100,
                10,
                true
            )]
        );
    }

    #[test]
    fn an_outage_over_two_runs_is_one_streak_and_the_latest_run_is_provisional() {
        let h = suite(6, 50, |r, _| (r == 2 || r == 3).then_some(REFUSED));
        let got = detect(&h, &IncidentOptions::DEFAULT, 3).incidents;
        assert_eq!(
            got.iter()
                .map(|i| (i.run_id.as_str(), i.streak, i.confirmed))
                .collect::<Vec<_>>(),
            [("run-02", 2, true), ("run-03", 2, true)]
        );
        // In the latest run: an incident, not yet confirmed.
        let h = suite(4, 50, |r, _| (r == 3).then_some(REFUSED));
        assert_eq!(
            found(&h),
            [(
                "run-03".into(),
                None,
                "ERR_CONNECTION_REFUSED".into(),
                50,
                5,
                false
            )]
        );
    }

    #[test]
    fn one_project_down_is_an_incident_of_that_project() {
        let mut h = History::new(Limits::DEFAULT);
        for r in 0..4 {
            let mut attempts = Vec::new();
            for i in 0..60 {
                attempts.push(at("chromium", i, 10, Status::Passed, 0, None));
                if r == 1 {
                    attempts.push(at(
                        "webkit",
                        i,
                        10,
                        Status::Failed,
                        0,
                        Some("Error: page.goto: Target crashed"),
                    ));
                } else {
                    attempts.push(at("webkit", i, 10, Status::Passed, 0, None));
                }
            }
            h.add_run(meta(&format!("run-{r}"), r as i64, ""), attempts);
        }
        // 60 of 120 tests: 50 % of the run, so the whole run's scope holds it.
        assert_eq!(found(&h)[0].1, None);
        let strict = IncidentOptions {
            min_share: 0.6,
            ..IncidentOptions::DEFAULT
        };
        let d = detect(&h, &strict, 3);
        assert_eq!(
            d.incidents
                .iter()
                .map(|i| (i.project.as_deref(), i.signature.as_str(), i.ran))
                .collect::<Vec<_>>(),
            [(Some("webkit"), "browser crashed", 60)]
        );
        // Chromium's attempts in that run are not covered.
        let chromium = h.test("chromium › f0.spec.ts › t0").unwrap();
        let webkit = h.test("webkit › f0.spec.ts › t0").unwrap();
        assert!(d
            .incident_of(d.project_id("webkit"), &webkit.attempts[1])
            .is_some());
        assert!(chromium
            .attempts
            .iter()
            .all(|a| d.incident_of(d.project_id("chromium"), a).is_none()));
    }

    #[test]
    fn options_are_checked() {
        assert!(IncidentOptions::DEFAULT.validate().is_ok());
        let bad = IncidentOptions {
            min_share: 0.0,
            ..IncidentOptions::DEFAULT
        };
        assert_eq!(
            bad.validate().unwrap_err().to_string(),
            "invalid incidentMinShare: 0 (a number above 0 and at most 1)"
        );
    }
}
