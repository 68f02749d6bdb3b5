//! Sorting a run's failures for the developer who has to act on them: is it
//! **new** (failing here, passing on the base branch — probably this
//! change), **known flaky** (flakiness on record before this run, with its
//! score and evidence), or **broken on base** (failing on the base branch
//! too — not this change's doing)?
//!
//! Inputs: the history holding the run (the branch's, the shards merged)
//! and the base branch's history, both judged by the flaky analysis with the
//! same options. Order of the checks, first match wins:
//!
//! 1. broken on base: the base history judges the test `broken`;
//! 2. known flaky: the base history judges it flaky or quarantines it, or
//!    this history does with flakiness seen in a run other than this one
//!    (one failure now is not "known"), or it was quarantined when the run
//!    began;
//! 3. broken on base: its latest run on base failed;
//! 4. new: it passed on base, or base never ran it (a new test).

use serde::Serialize;

use super::codeowners::CodeOwners;
use crate::error::Result;
use crate::flaky::{self, FlakyOptions, Report, TestEntry};
use crate::history::{History, RunOutcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    New,
    KnownFlaky,
    BrokenOnBase,
}

/// One failed test, sorted.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    pub key: String,
    pub project: String,
    pub file: String,
    pub title_path: Vec<String>,
    pub category: Category,
    /// Why it is in its category, in words.
    pub reason: String,
    /// The first line of its error in this run.
    pub error: Option<String>,
    /// Its latest outcome on base (`passed`, `failed`, `flaky`, …); `None`:
    /// base never ran it.
    pub base_outcome: Option<&'static str>,
    /// Known flaky: the flaky score and the outcomes (old → new) of the
    /// report that judged it, and that report's explanation.
    pub score: Option<f64>,
    pub outcomes: Option<String>,
    pub why: Option<String>,
    pub quarantined: bool,
    /// Broken on base: the base run (id, commit) its failures began in.
    pub failing_since: Option<String>,
    /// From CODEOWNERS (empty: none, or no CODEOWNERS); the pattern that
    /// matched.
    pub owners: Vec<String>,
    pub owners_rule: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Triage {
    pub run_id: String,
    pub commit: Option<String>,
    /// Tests of the run and how many failed.
    pub tests: usize,
    pub failed: usize,
    /// Base's newest run (id, commit) and its run count.
    pub base_run: Option<String>,
    pub base_runs: usize,
    pub new: Vec<Failure>,
    pub known_flaky: Vec<Failure>,
    pub broken_on_base: Vec<Failure>,
    /// Tests that failed and then passed on a retry in this run (not
    /// failures; listed for the record).
    pub passed_on_retry: Vec<String>,
    /// Where the owners came from, and CODEOWNERS lines that were skipped.
    pub codeowners_problems: Vec<String>,
}

/// What to triage: the run (`None`: the newest), CODEOWNERS, and the path
/// of the test files' root (Playwright's `rootDir`) relative to the
/// repository root (CODEOWNERS patterns are relative to it).
#[derive(Debug, Clone, Default)]
pub struct TriageInput<'a> {
    pub run_id: Option<&'a str>,
    pub codeowners: Option<&'a CodeOwners>,
    pub root_prefix: &'a str,
}

fn run_ref(r: &Option<crate::flaky::RunRef>) -> Option<String> {
    r.as_ref().map(|r| match &r.commit {
        Some(c) => format!("{} ({})", r.run_id, &c[..c.len().min(7)]),
        None => r.run_id.clone(),
    })
}

/// Flakiness this report knows of from a run other than `run_id`.
fn known_flaky(entry: &TestEntry, run_id: Option<&str>) -> bool {
    entry.verdict == "flaky"
        && entry
            .evidence
            .runs
            .iter()
            .any(|r| r.flaky && Some(r.run_id.as_str()) != run_id)
}

pub fn triage(
    head: &History,
    base: &History,
    opts: &FlakyOptions,
    input: &TriageInput,
) -> Result<Triage> {
    if let Some(id) = input.run_id {
        if head.run(id).is_none() {
            return Err(crate::error::Error::invalid(
                "--run",
                format!("{id:?}"),
                "the id of a run in the history",
            ));
        }
    }
    let mut head_opts = opts.clone();
    head_opts.run_id = input.run_id.map(str::to_string);
    let here: Report = flaky::analyze(head, &head_opts)?;
    let mut base_opts = opts.clone();
    base_opts.run_id = None;
    let there: Report = flaky::analyze(base, &base_opts)?;
    let index = |report: &Report| -> rustc_hash::FxHashMap<String, usize> {
        report
            .tests
            .iter()
            .enumerate()
            .map(|(i, t)| (t.key.clone(), i))
            .collect()
    };
    let (here_at, there_at) = (index(&here), index(&there));
    let Some(run) = &here.run else {
        return Ok(Triage {
            run_id: String::new(),
            commit: None,
            tests: 0,
            failed: 0,
            base_run: base.runs().last().map(|r| r.id.clone()),
            base_runs: base.runs().len(),
            new: vec![],
            known_flaky: vec![],
            broken_on_base: vec![],
            passed_on_retry: vec![],
            codeowners_problems: vec![],
        });
    };
    let run_index = head
        .runs()
        .iter()
        .position(|r| r.id == run.run_id)
        .unwrap_or(0) as u32;
    let mut out = Triage {
        run_id: run.run_id.clone(),
        commit: run.commit.clone(),
        tests: run.tests,
        failed: run.failed,
        base_run: base.runs().last().map(|r| match &r.commit {
            Some(c) => format!("{} ({})", r.id, &c[..c.len().min(7)]),
            None => r.id.clone(),
        }),
        base_runs: base.runs().len(),
        new: vec![],
        known_flaky: vec![],
        broken_on_base: vec![],
        passed_on_retry: run.flaky_tests.clone(),
        codeowners_problems: input
            .codeowners
            .map(|c| c.problems.clone())
            .unwrap_or_default(),
    };
    for key in &run.failed_tests {
        let Some(record) = head.test(key) else {
            continue;
        };
        let h = here_at.get(key).map(|&i| &here.tests[i]);
        let b = there_at.get(key).map(|&i| &there.tests[i]);
        let base_last = base.test(key).and_then(|t| {
            t.runs()
                .rev()
                .map(RunOutcome::of)
                .find(|o| !matches!(o, RunOutcome::Skipped | RunOutcome::Interrupted))
        });
        let error: Option<String> = {
            let from = record.attempts.partition_point(|a| a.run < run_index);
            record.attempts[from..]
                .iter()
                .take_while(|a| a.run == run_index)
                .find(|a| a.error > 0 && !a.ok())
                .and_then(|a| head.error(a.error))
                .map(|e| {
                    e.message
                        .lines()
                        .map(str::trim)
                        .find(|l| !l.is_empty())
                        .unwrap_or("")
                        .chars()
                        .take(200)
                        .collect()
                })
        };
        let quarantined_at_start = run.failed_quarantined.contains(key);
        let mut f = Failure {
            key: key.clone(),
            project: record.id.project.clone(),
            file: record.id.file.clone(),
            title_path: record.id.title_path.clone(),
            category: Category::New,
            reason: String::new(),
            error,
            base_outcome: base_last.map(RunOutcome::name),
            score: None,
            outcomes: None,
            why: None,
            quarantined: quarantined_at_start || b.is_some_and(|b| b.quarantined),
            failing_since: None,
            owners: vec![],
            owners_rule: None,
        };
        let flaky_source = if b.is_some_and(|b| b.verdict == "flaky" || b.quarantined) {
            Some(("base", b.unwrap()))
        } else if h.is_some_and(|h| {
            known_flaky(h, Some(&run.run_id)) || (quarantined_at_start && h.verdict == "flaky")
        }) {
            Some(("this branch's", h.unwrap()))
        } else if quarantined_at_start {
            h.map(|h| ("this branch's", h))
        } else {
            None
        };
        if let Some(b) = b.filter(|b| b.verdict == "broken") {
            f.category = Category::BrokenOnBase;
            f.failing_since = run_ref(&b.since);
            f.reason = format!("broken on base ({})", b.evidence.outcomes);
            f.outcomes = Some(b.evidence.outcomes.clone());
        } else if let Some((whose, e)) = flaky_source {
            f.category = Category::KnownFlaky;
            f.score = Some(e.score);
            f.outcomes = Some(e.evidence.outcomes.clone());
            f.why = Some(e.evidence.why.clone());
            f.quarantined |= e.quarantined;
            f.reason = format!(
                "flaky in {whose} history: score {:.2}, flakiness in {} of its runs{}",
                e.score,
                e.evidence.flaky_runs,
                if f.quarantined { ", quarantined" } else { "" }
            );
        } else if base_last == Some(RunOutcome::Failed) {
            f.category = Category::BrokenOnBase;
            f.failing_since = b.and_then(|b| run_ref(&b.since));
            f.outcomes = b.map(|b| b.evidence.outcomes.clone());
            f.reason = "failed in base's latest run too".into();
        } else {
            f.reason = match base_last {
                None if base.test(key).is_none() => "not in base's history: a new test".into(),
                None => "never ran on base (skipped)".into(),
                Some(RunOutcome::Flaky) => "passed on base (on a retry)".into(),
                Some(_) => "passes on base".into(),
            };
        }
        if let Some(co) = input.codeowners {
            let prefix = input.root_prefix.trim_matches('/');
            let path = if prefix.is_empty() || prefix == "." {
                f.file.clone()
            } else {
                format!("{prefix}/{}", f.file)
            };
            if let Some((owners, rule)) = co.owners(&path) {
                f.owners = owners.to_vec();
                f.owners_rule = Some(rule.to_string());
            }
        }
        match f.category {
            Category::New => out.new.push(f),
            Category::KnownFlaky => out.known_flaky.push(f),
            Category::BrokenOnBase => out.broken_on_base.push(f),
        }
    }
    Ok(out)
}

#[cfg(test)]
#[path = "sort_tests.rs"]
mod tests;
