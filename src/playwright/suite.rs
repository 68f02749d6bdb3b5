//! A Playwright suite as the engine sees it: every test with its stable key,
//! where it sits, and how Playwright schedules it (which decides its group).
//! Built from the reporter's live `Suite` ([`super::live`]) or from a JSON
//! report ([`super::report`]).

use rustc_hash::FxHashSet;

use super::testid::TestId;

/// A project of the config, as far as grouping needs it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Project {
    pub name: String,
    /// Absolute, as Playwright reports it.
    pub test_dir: Option<String>,
    pub dependencies: Vec<String>,
    pub teardown: Option<String>,
    pub fully_parallel: Option<bool>,
}

/// How Playwright schedules a test (`createTestGroups`), which decides the
/// group it is planned in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Unit {
    /// With the other sequential tests of its file (default mode).
    File,
    /// Alone: a test of a parallel suite.
    Alone,
    /// With the other tests of a sequential suite inside a parallel one:
    /// that suite's titles below the file, per repeat.
    Describe { titles: Vec<String>, repeat: u32 },
}

/// One test of one project (one repeat of it, with `--repeat-each`).
#[derive(Debug, Clone, PartialEq)]
pub struct SuiteTest {
    /// Project, file relative to the config's `rootDir`, title path.
    pub id: TestId,
    /// `id.key()`, with ` (repeat N)` for the repeats after the first.
    pub key: String,
    pub repeat: u32,
    pub tags: Vec<String>,
    /// Expected to be skipped (`test.skip()`, `test.fixme()`).
    pub skipped: bool,
    pub unit: Unit,
}

/// The tests of a run, in Playwright's order.
#[derive(Debug, Clone, Default)]
pub struct Suite {
    pub projects: Vec<Project>,
    pub tests: Vec<SuiteTest>,
    /// Per test: whether its project only runs as another project's
    /// dependency or teardown. Those run whole on every shard (Playwright
    /// detaches them before its shard filter), so they are never planned.
    pub dependency: Vec<bool>,
}

impl Suite {
    pub fn new(projects: Vec<Project>, tests: Vec<SuiteTest>) -> Suite {
        let deps = dependency_projects(&projects);
        let dependency = tests
            .iter()
            .map(|t| deps.contains(t.id.project.as_str()))
            .collect();
        Suite {
            projects,
            tests,
            dependency,
        }
    }

    /// The keys of the tests that are planned (not of dependency projects).
    pub fn planned_keys(&self) -> impl Iterator<Item = &str> {
        self.tests
            .iter()
            .zip(&self.dependency)
            .filter(|(_, &d)| !d)
            .map(|(t, _)| t.key.as_str())
    }
}

/// Projects reached from another project through `dependencies` or
/// `teardown` (at any depth).
fn dependency_projects(projects: &[Project]) -> FxHashSet<&str> {
    fn edges(p: &Project) -> impl Iterator<Item = &str> {
        p.dependencies
            .iter()
            .chain(p.teardown.iter())
            .map(String::as_str)
    }
    let mut deps = FxHashSet::default();
    let mut stack: Vec<&str> = projects.iter().flat_map(edges).collect();
    while let Some(name) = stack.pop() {
        if deps.insert(name) {
            if let Some(p) = projects.iter().find(|p| p.name == name) {
                stack.extend(edges(p));
            }
        }
    }
    deps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(name: &str, deps: &[&str], teardown: Option<&str>) -> Project {
        Project {
            name: name.into(),
            dependencies: deps.iter().map(|d| d.to_string()).collect(),
            teardown: teardown.map(str::to_string),
            ..Project::default()
        }
    }

    #[test]
    fn dependency_and_teardown_projects_are_found_at_any_depth() {
        let projects = vec![
            project("setup", &["db"], Some("cleanup")),
            project("db", &[], None),
            project("cleanup", &[], None),
            project("chromium", &["setup"], None),
            project("loop", &["loop"], None),
        ];
        let mut deps: Vec<_> = dependency_projects(&projects).into_iter().collect();
        deps.sort();
        assert_eq!(deps, ["cleanup", "db", "loop", "setup"]);
    }
}
