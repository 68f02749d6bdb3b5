//! Rerunning what failed: the tests of one run of the history that failed
//! (and, if asked, the flaky ones) as the lines of a Playwright
//! `--test-list` file, so `npx playwright test --test-list list.txt` runs
//! exactly those tests. All shards of a run are one run of the history, so
//! the list covers every shard.
//!
//! A line selects every test whose title path starts with it: a test whose
//! line would also select a test that is not being rerun, or whose titles
//! Playwright's parser cannot read back ([`TestId::test_list_problem`]), is
//! an error naming it — never left out silently.

use rustc_hash::FxHashMap;

use super::testid::TestId;
use crate::error::{Error, Result};
use crate::history::{History, RunOutcome};

/// The tests to rerun and their `--test-list` lines.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rerun {
    /// The run they failed in.
    pub run_id: String,
    /// Keys of the tests that failed in it (every attempt), sorted.
    pub failed: Vec<String>,
    /// Keys of the tests that were flaky in it (failed, then passed on a
    /// retry), sorted; only when asked for.
    pub flaky: Vec<String>,
    /// One `--test-list` line per test, ordered by project, file, titles.
    pub lines: Vec<String>,
}

/// The `path` of a test (project, file, titles) as one string, for prefix
/// lookups.
fn path_id(id: &TestId, depth: usize) -> String {
    let mut s = format!("{}\0{}", id.project, id.file);
    for t in &id.title_path[..depth] {
        s.push('\0');
        s.push_str(t);
    }
    s
}

/// The tests of run `run_id` (the newest when `None`) that failed, and with
/// `with_flaky` the flaky ones too, as `--test-list` lines.
pub fn rerun(history: &History, run_id: Option<&str>, with_flaky: bool) -> Result<Rerun> {
    let runs = history.runs();
    let index = match run_id {
        Some(id) => match runs.iter().position(|r| r.id == id) {
            Some(i) => i as u32,
            None => {
                let mut known: Vec<&str> =
                    runs.iter().rev().take(5).map(|r| r.id.as_str()).collect();
                if runs.len() > 5 {
                    known.push("…");
                }
                let newest = if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                };
                return Err(Error::invalid(
                    "--run",
                    format!("{id:?}"),
                    format!("the id of a run in the history; the newest: {newest}"),
                ));
            }
        },
        None => match runs.len().checked_sub(1) {
            Some(i) => i as u32,
            None => return Ok(Rerun::default()),
        },
    };
    let mut out = Rerun {
        run_id: runs[index as usize].id.clone(),
        ..Rerun::default()
    };
    let mut chosen: Vec<&TestId> = Vec::new();
    let mut keys: FxHashMap<String, &str> = FxHashMap::default();
    for t in history.tests() {
        let from = t.attempts.partition_point(|a| a.run < index);
        let to = from + t.attempts[from..].partition_point(|a| a.run == index);
        if from == to {
            continue;
        }
        match RunOutcome::of(&t.attempts[from..to]) {
            RunOutcome::Failed => out.failed.push(t.key.clone()),
            RunOutcome::Flaky if with_flaky => out.flaky.push(t.key.clone()),
            _ => continue,
        }
        chosen.push(&t.id);
        keys.insert(path_id(&t.id, t.id.title_path.len()), t.key.as_str());
    }
    // Every strict prefix of a test that is not rerun: a line equal to one
    // would select it too.
    let mut prefixes: FxHashMap<String, &str> = FxHashMap::default();
    for t in history.tests() {
        if keys.contains_key(&path_id(&t.id, t.id.title_path.len())) {
            continue;
        }
        for d in 1..t.id.title_path.len() {
            prefixes.entry(path_id(&t.id, d)).or_insert(t.key.as_str());
        }
    }
    chosen.sort();
    let mut problems = Vec::new();
    for id in chosen {
        let key = id.key();
        if let Some(why) = id.test_list_problem() {
            problems.push(format!("{key}: {why}"));
        } else if let Some(other) = prefixes.get(&path_id(id, id.title_path.len())) {
            problems.push(format!(
                "{key}: its line would also select {other}, which is not to be rerun"
            ));
        } else {
            out.lines.push(id.test_list_line());
        }
    }
    out.failed.sort();
    out.flaky.sort();
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(Error::TestList(format!(
            "{} of the {} tests to rerun from run {} cannot be written as a --test-list line (Playwright splits lines on `›`, trims every part and selects each test whose titles start with the line's):\n  {}",
            problems.len(),
            out.failed.len() + out.flaky.len(),
            out.run_id,
            problems.join("\n  ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::model::tests::{attempt, meta};
    use crate::history::model::NewAttempt;
    use crate::history::{Limits, Status};

    fn at(project: &str, file: &str, titles: &[&str], status: Status, retry: u32) -> NewAttempt {
        NewAttempt {
            id: TestId::new(
                project,
                file,
                titles.iter().map(|t| t.to_string()).collect(),
            ),
            ..attempt(titles.last().unwrap(), status, retry, 10)
        }
    }

    fn history() -> History {
        let mut h = History::new(Limits::DEFAULT);
        h.add_run(
            meta("r1", 1_000, "c1"),
            vec![
                at(
                    "chromium",
                    "tests/a.spec.ts",
                    &["cart", "adds"],
                    Status::Failed,
                    0,
                ),
                at(
                    "chromium",
                    "tests/a.spec.ts",
                    &["cart", "removes"],
                    Status::Passed,
                    0,
                ),
            ],
        );
        // The run of three shards, recorded under one id.
        for (shard, attempts) in [
            vec![
                at(
                    "chromium",
                    "tests/a.spec.ts",
                    &["cart", "adds"],
                    Status::Passed,
                    0,
                ),
                at(
                    "chromium",
                    "tests/a.spec.ts",
                    &["cart", "removes"],
                    Status::Failed,
                    0,
                ),
                at(
                    "chromium",
                    "tests/a.spec.ts",
                    &["cart", "removes"],
                    Status::Failed,
                    1,
                ),
            ],
            vec![
                at(
                    "firefox",
                    "tests/b.spec.ts",
                    &["logs in"],
                    Status::Failed,
                    0,
                ),
                at(
                    "firefox",
                    "tests/b.spec.ts",
                    &["logs in"],
                    Status::Passed,
                    1,
                ),
            ],
            vec![
                at("", "c.spec.ts", &["a > b"], Status::TimedOut, 0),
                at("", "c.spec.ts", &["skipped"], Status::Skipped, 0),
            ],
        ]
        .into_iter()
        .enumerate()
        {
            h.add_run(meta("r2", 2_000 + shard as i64, "c2"), attempts);
        }
        h
    }

    #[test]
    fn the_newest_runs_failures_across_its_shards() {
        let r = rerun(&history(), None, false).unwrap();
        assert_eq!(r.run_id, "r2");
        assert_eq!(
            r.failed,
            vec![
                "c.spec.ts › a > b",
                "chromium › tests/a.spec.ts › cart › removes"
            ]
        );
        assert!(r.flaky.is_empty());
        assert_eq!(
            r.lines,
            vec![
                "c.spec.ts › a > b",
                "[chromium] › tests/a.spec.ts › cart › removes"
            ]
        );
    }

    #[test]
    fn with_flaky_and_by_run_id() {
        let r = rerun(&history(), None, true).unwrap();
        assert_eq!(r.flaky, vec!["firefox › tests/b.spec.ts › logs in"]);
        assert_eq!(r.lines.len(), 3);
        assert!(r
            .lines
            .contains(&"[firefox] › tests/b.spec.ts › logs in".to_string()));
        let r1 = rerun(&history(), Some("r1"), true).unwrap();
        assert_eq!(r1.lines, vec!["[chromium] › tests/a.spec.ts › cart › adds"]);
        let e = rerun(&history(), Some("nope"), false).unwrap_err();
        assert_eq!(e.code(), "ERR_SHARDWRIGHT_CONFIG");
        assert!(e.to_string().contains("r2, r1"), "{e}");
        assert_eq!(
            rerun(&History::new(Limits::DEFAULT), None, false).unwrap(),
            Rerun::default()
        );
    }

    #[test]
    fn a_test_no_line_can_select_exactly_is_an_error_naming_it() {
        let mut h = history();
        h.add_run(
            meta("r3", 3_000, "c3"),
            vec![
                at(
                    "chromium",
                    "tests/a.spec.ts",
                    &["odd › title"],
                    Status::Failed,
                    0,
                ),
                // `cart` failing would also select `cart › adds`, which passed.
                at("chromium", "tests/a.spec.ts", &["cart"], Status::Failed, 0),
                at(
                    "chromium",
                    "tests/a.spec.ts",
                    &["cart", "adds"],
                    Status::Passed,
                    0,
                ),
                at("chromium", "tests/a.spec.ts", &["fine"], Status::Failed, 0),
            ],
        );
        let e = rerun(&h, None, false).unwrap_err();
        assert_eq!(e.code(), "ERR_SHARDWRIGHT_TESTLIST");
        let text = e.to_string();
        assert!(
            text.contains("2 of the 3 tests to rerun from run r3"),
            "{text}"
        );
        assert!(
            text.contains("chromium › tests/a.spec.ts › odd › title: a title holds `›`"),
            "{text}"
        );
        assert!(
            text.contains("chromium › tests/a.spec.ts › cart: its line would also select chromium › tests/a.spec.ts › cart › adds"),
            "{text}"
        );
        assert!(!text.contains("› fine:"), "{text}");
    }
}
