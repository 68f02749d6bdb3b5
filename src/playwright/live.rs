//! The suite the reporter sees in `Reporter.preprocess()`, as the JS side
//! hands it over once (js/playwright/suite.js flattens Playwright's `Suite`
//! tree and asks `testRun.mode()` of every suite): the grouping rules of
//! Playwright's `createTestGroups` are applied here.

use serde::Deserialize;

use super::suite::{Project, Suite, SuiteTest, Unit};
use super::testid::{normalize_file, repeat_key, TestId};
use crate::error::{Error, Result};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LiveProject {
    name: String,
    #[serde(default)]
    test_dir: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
    #[serde(default)]
    teardown: Option<String>,
}

/// The flattened tree. `suites[i] = [parent, title, mode]`: `parent` is the
/// index of the parent suite, or -1 for a project suite (a child of the
/// root); a project suite's children are file suites (their title is the
/// file relative to the project's `testDir`), below them describes. `mode`
/// is `testRun.mode(suite)`: `default`, `parallel` or `serial`.
/// `tests[i] = [suite, title, repeatEachIndex, tags, skipped]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveSuite {
    projects: Vec<LiveProject>,
    suites: Vec<(i64, String, String)>,
    tests: Vec<(u32, String, u32, Vec<String>, bool)>,
}

fn broken(what: String) -> Error {
    Error::Internal(format!("the suite from the reporter: {what}"))
}

impl LiveSuite {
    pub fn parse(text: &str) -> Result<LiveSuite> {
        serde_json::from_str(text).map_err(|e| broken(e.to_string()))
    }

    /// The suite with Playwright's grouping rules applied. Tests keep the
    /// order they came in (the indexes JS uses to find them again).
    pub fn into_suite(self) -> Result<Suite> {
        let n = self.suites.len();
        let parent = |i: usize| -> Option<usize> {
            let p = self.suites[i].0;
            (p >= 0).then_some(p as usize)
        };
        for (i, (p, _, _)) in self.suites.iter().enumerate() {
            if *p >= i as i64 {
                return Err(broken(format!(
                    "suite {i} has parent {p}, not an earlier suite"
                )));
            }
        }
        let depth: Vec<usize> = {
            let mut d = vec![0usize; n];
            for i in 0..n {
                d[i] = parent(i).map_or(0, |p| d[p] + 1);
            }
            d
        };
        let mode = |i: usize| self.suites[i].2.as_str();
        // A suite whose mode differs from its parent's set it itself
        // (`describe.configure`, `describe.serial`, fullyParallel).
        let explicit = |i: usize| parent(i).is_none_or(|p| mode(p) != mode(i));

        let mut tests = Vec::with_capacity(self.tests.len());
        for (suite, title, repeat, tags, skipped) in self.tests {
            let s = suite as usize;
            if s >= n {
                return Err(broken(format!("a test's suite {s} does not exist")));
            }
            // Up from the test to its project suite.
            let mut chain = vec![s];
            while let Some(p) = parent(*chain.last().unwrap()) {
                chain.push(p);
            }
            let project_suite = *chain.last().unwrap();
            if depth[s] == 0 {
                return Err(broken(format!(
                    "test `{title}` sits directly in a project suite"
                )));
            }
            let file_suite = chain[chain.len() - 2];
            let project = self.suites[project_suite].1.clone();
            let file = normalize_file(&self.suites[file_suite].1);
            // Describe titles, outermost first.
            let describes = &chain[..chain.len() - 2];
            let mut title_path: Vec<String> = describes
                .iter()
                .rev()
                .map(|&i| self.suites[i].1.clone())
                .collect();
            title_path.push(title);

            let mut inside_parallel = mode(project_suite) == "parallel";
            let mut outermost_sequential = None;
            for &i in &chain[..chain.len() - 1] {
                if mode(i) == "parallel" {
                    inside_parallel = true;
                } else if explicit(i) {
                    outermost_sequential = Some(i);
                }
            }
            let unit = match (inside_parallel, outermost_sequential) {
                (false, _) => Unit::File,
                (true, None) => Unit::Alone,
                (true, Some(seq)) => Unit::Describe {
                    // Its titles below the file suite.
                    titles: title_path[..depth[seq] - 1].to_vec(),
                    repeat,
                },
            };
            let id = TestId::new(project, &file, title_path);
            tests.push(SuiteTest {
                key: repeat_key(id.key(), repeat),
                id,
                repeat,
                tags,
                skipped,
                unit,
            });
        }
        let projects = self
            .projects
            .into_iter()
            .map(|p| Project {
                name: p.name,
                test_dir: p.test_dir,
                dependencies: p.dependencies,
                teardown: p.teardown,
                fully_parallel: None,
            })
            .collect();
        Ok(Suite::new(projects, tests))
    }
}
