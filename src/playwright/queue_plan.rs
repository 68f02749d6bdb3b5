//! The queue of `shardwright run`: a suite's groups (joined where their
//! `--test-list` lines would clash) with their lines and expected durations,
//! the quarantined tests taken out of it, and the order a machine running
//! the whole suite in one pass gives Playwright's files (longest group
//! first, so that the workers finish together).

use rustc_hash::FxHashSet;

use super::estimate::apply_history;
use super::groups::{test_list_line, Grouping};
use super::suite::Suite;
use crate::history::estimate::DEFAULT_ESTIMATE_MS;
use crate::history::History;
use crate::shard::{self, PlanOptions};

/// A group of the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueGroup {
    pub id: String,
    /// Its project and file (relative to rootDir), as the reporter's suite
    /// titles them.
    pub project: String,
    pub file: String,
    pub tests: Vec<String>,
    /// The tests' `--test-list` lines.
    pub lines: Vec<String>,
    /// From the history, or the tests' count × the estimate of an unknown
    /// test.
    pub expected_ms: f64,
}

/// A suite as the queue holds it.
#[derive(Debug, Clone)]
pub struct QueuePlan {
    pub groups: Vec<QueueGroup>,
    /// No duration was known: the expected times are counts × one estimate.
    pub by_count: bool,
    /// XXH3 of the groups and their tests (not of the estimates): machines
    /// listing different suites see different fingerprints.
    pub fingerprint: String,
}

impl QueuePlan {
    /// The queue's groups of `suite`, with durations from `history` when
    /// there is one.
    pub fn of(suite: &Suite, history: Option<&History>) -> QueuePlan {
        let mut grouping = Grouping::of(suite).merge_clashing(suite);
        let applied = history
            .map(|h| apply_history(&mut grouping.groups, h))
            .unwrap_or_default();
        // The fingerprint is of the suite, not of what the history says.
        let bare: Vec<shard::Group> = grouping
            .groups
            .iter()
            .map(|g| shard::Group {
                duration_ms: None,
                failed_last_run: false,
                ..g.clone()
            })
            .collect();
        let fingerprint = shard::fingerprint(&bare, &PlanOptions::new(1));
        let per_test = shard::loads(&grouping.groups)
            .per_test_estimate_ms
            .unwrap_or(DEFAULT_ESTIMATE_MS);
        let groups = grouping
            .groups
            .iter()
            .zip(&grouping.members)
            .map(|(g, members)| QueueGroup {
                id: g.id.clone(),
                project: g.project.to_string(),
                file: g.file.to_string(),
                tests: g.test_keys().to_vec(),
                lines: members
                    .iter()
                    .map(|&i| test_list_line(suite, i as usize))
                    .collect(),
                expected_ms: g
                    .duration_ms
                    .unwrap_or_else(|| g.test_count() as f64 * per_test),
            })
            .collect();
        QueuePlan {
            groups,
            by_count: applied.with_duration == 0,
            fingerprint,
        }
    }

    /// Sorts the groups longest first (ties by id) and returns the files as
    /// `[project, file]` in that order, each once: the order a machine that
    /// runs the suite in one Playwright process gives its files.
    pub fn longest_first(&mut self) -> Vec<(String, String)> {
        self.groups.sort_by(|a, b| {
            b.expected_ms
                .total_cmp(&a.expected_ms)
                .then_with(|| a.id.cmp(&b.id))
        });
        let mut seen: FxHashSet<(&str, &str)> = FxHashSet::default();
        self.groups
            .iter()
            .filter(|g| seen.insert((g.project.as_str(), g.file.as_str())))
            .map(|g| (g.project.clone(), g.file.clone()))
            .collect()
    }
}

/// Indexes of the suite's tests that are quarantined: keys in `quarantined`,
/// except tests of dependency projects (those run whole wherever their
/// dependants run, as Playwright wants them).
pub fn quarantined_tests(suite: &Suite, quarantined: &[String]) -> Vec<usize> {
    if quarantined.is_empty() {
        return Vec::new();
    }
    let q: FxHashSet<&str> = quarantined.iter().map(String::as_str).collect();
    suite
        .tests
        .iter()
        .zip(&suite.dependency)
        .enumerate()
        .filter(|(_, (t, &dep))| !dep && q.contains(t.key.as_str()))
        .map(|(i, _)| i)
        .collect()
}

/// Takes the quarantined tests (as [`quarantined_tests`]) out of the suite;
/// returns their keys.
pub fn remove_quarantined(suite: &mut Suite, quarantined: &[String]) -> Vec<String> {
    let out = quarantined_tests(suite, quarantined);
    if out.is_empty() {
        return Vec::new();
    }
    let mut drop = vec![false; suite.tests.len()];
    for &i in &out {
        drop[i] = true;
    }
    let keys = out.iter().map(|&i| suite.tests[i].key.clone()).collect();
    let mut flags = drop.iter();
    suite.tests.retain(|_| !*flags.next().unwrap());
    let mut flags = drop.iter();
    suite.dependency.retain(|_| !*flags.next().unwrap());
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::model::tests::meta;
    use crate::history::model::NewAttempt;
    use crate::history::{Limits, Status};
    use crate::playwright::{Project, SuiteTest, TestId, Unit};

    fn test(project: &str, file: &str, title: &str, unit: Unit) -> SuiteTest {
        let id = TestId::new(project, file, vec![title.to_string()]);
        SuiteTest {
            key: id.key(),
            id,
            repeat: 0,
            tags: vec![],
            skipped: false,
            unit,
        }
    }

    fn project(name: &str, deps: &[&str]) -> Project {
        Project {
            name: name.into(),
            dependencies: deps.iter().map(|d| d.to_string()).collect(),
            ..Project::default()
        }
    }

    /// setup (a dependency project): one test; chromium: a.spec.ts with two
    /// tests in file order, b.spec.ts with two parallel tests.
    fn suite() -> Suite {
        Suite::new(
            vec![project("setup", &[]), project("chromium", &["setup"])],
            vec![
                test("setup", "setup.ts", "login", Unit::File),
                test("chromium", "a.spec.ts", "a1", Unit::File),
                test("chromium", "a.spec.ts", "a2", Unit::File),
                test("chromium", "b.spec.ts", "b1", Unit::Alone),
                test("chromium", "b.spec.ts", "b2", Unit::Alone),
            ],
        )
    }

    fn passed(title_file: (&str, &str), ms: u32) -> NewAttempt {
        NewAttempt {
            id: TestId::new("chromium", title_file.1, vec![title_file.0.into()]),
            line: None,
            tags: vec![],
            status: Status::Passed,
            expected_failure: false,
            retry: 0,
            duration_ms: ms,
            error: None,
        }
    }

    #[test]
    fn without_history_groups_are_counted_and_every_planned_test_is_in_one() {
        let plan = QueuePlan::of(&suite(), None);
        assert!(plan.by_count);
        let mut all: Vec<&str> = plan
            .groups
            .iter()
            .flat_map(|g| g.tests.iter().map(String::as_str))
            .collect();
        all.sort();
        let mut want: Vec<String> = suite().planned_keys().map(str::to_string).collect();
        want.sort();
        assert_eq!(
            all, want,
            "each planned test once, the dependency project's none"
        );
        for g in &plan.groups {
            assert_eq!(g.lines.len(), g.tests.len());
            assert_eq!(g.expected_ms, g.tests.len() as f64 * DEFAULT_ESTIMATE_MS);
        }
        let a = plan.groups.iter().find(|g| g.file == "a.spec.ts").unwrap();
        assert_eq!(a.tests.len(), 2, "a file's sequential tests are one group");
    }

    #[test]
    fn history_sets_the_expected_times_but_not_the_fingerprint() {
        let mut h = History::new(Limits::DEFAULT);
        h.add_run(
            meta("r1", 1, "c1"),
            vec![
                passed(("a1", "a.spec.ts"), 100),
                passed(("a2", "a.spec.ts"), 200),
                passed(("b1", "b.spec.ts"), 5000),
            ],
        );
        let plain = QueuePlan::of(&suite(), None);
        let known = QueuePlan::of(&suite(), Some(&h));
        assert!(!known.by_count);
        assert_eq!(plain.fingerprint, known.fingerprint);
        let ms = |file: &str, first: &str| {
            known
                .groups
                .iter()
                .find(|g| g.file == file && g.tests[0].ends_with(first))
                .unwrap()
                .expected_ms
        };
        assert_eq!(ms("a.spec.ts", "a1"), 300.0);
        assert_eq!(ms("b.spec.ts", "b1"), 5000.0);
    }

    #[test]
    fn longest_first_orders_groups_and_names_each_file_once() {
        let mut plan = QueuePlan::of(&suite(), None);
        for g in &mut plan.groups {
            g.expected_ms = match g.tests[0].rsplit(' ').next().unwrap() {
                "a1" => 10.0,
                "b1" => 30.0,
                _ => 20.0,
            };
        }
        let order = plan.longest_first();
        let ms: Vec<f64> = plan.groups.iter().map(|g| g.expected_ms).collect();
        assert_eq!(ms, [30.0, 20.0, 10.0]);
        assert_eq!(
            order,
            [
                ("chromium".to_string(), "b.spec.ts".to_string()),
                ("chromium".to_string(), "a.spec.ts".to_string()),
            ]
        );
    }

    #[test]
    fn quarantine_takes_tests_out_but_never_a_dependency_projects() {
        let mut s = suite();
        let keys: Vec<String> = s.tests.iter().map(|t| t.key.clone()).collect();
        let q = vec![keys[0].clone(), keys[3].clone(), "unknown".to_string()];
        assert_eq!(quarantined_tests(&s, &q), [3]);
        assert_eq!(remove_quarantined(&mut s, &q), [keys[3].clone()]);
        assert_eq!(s.tests.len(), 4);
        assert_eq!(s.dependency, [true, false, false, false]);
        assert!(s.tests.iter().all(|t| t.key != keys[3]));
        assert!(remove_quarantined(&mut s, &[]).is_empty());
    }
}
