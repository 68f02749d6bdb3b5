//! Playwright's JSON report (`--reporter=json`, and `--list --reporter=json`):
//! the one walker of it. Every test of every project, keyed (the file
//! relative to the config's `rootDir`, as in the reporter's suite), in
//! Playwright's order, with its results when the report has them.
//!
//! Used by the listing of `plan`, `shard` and `run` (→ [`Suite`]), by the
//! history's import (→ attempts), and by `run` reading a batch's results.

use serde::Deserialize;

use super::suite::{Project, Suite, SuiteTest, Unit};
use super::testid::{normalize_file, repeat_key, TestId};

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawReport {
    config: Option<RawConfig>,
    suites: Option<Vec<RawSuite>>,
    stats: Option<RawStats>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawConfig {
    root_dir: Option<String>,
    projects: Vec<RawProject>,
    /// Playwright ≥ 1.54: the projects selected by `--project`, with their
    /// `dependencies` and `teardown`.
    filtered_projects: Option<Vec<RawProject>>,
    fully_parallel: Option<bool>,
    metadata: Option<serde_json::Value>,
    shard: Option<RawShard>,
    web_server: Option<serde_json::Value>,
    workers: Option<u32>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "camelCase", default)]
struct RawProject {
    id: Option<String>,
    name: String,
    test_dir: Option<String>,
    dependencies: Vec<String>,
    teardown: Option<String>,
    fully_parallel: Option<bool>,
}

#[derive(Deserialize, Default)]
struct RawShard {
    current: u32,
    total: u32,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawStats {
    start_time: Option<String>,
    duration: Option<f64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawSuite {
    title: String,
    file: Option<String>,
    specs: Vec<RawSpec>,
    suites: Vec<RawSuite>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawSpec {
    title: String,
    file: Option<String>,
    line: Option<u32>,
    column: Option<u32>,
    tags: Vec<String>,
    tests: Vec<RawTest>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawTest {
    expected_status: Option<String>,
    project_name: Option<String>,
    project_id: Option<String>,
    status: Option<String>,
    results: Vec<RawResult>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawResult {
    status: String,
    duration: f64,
    retry: u32,
    error: Option<RawError>,
    errors: Vec<RawError>,
    start_time: Option<String>,
    attachments: Vec<RawAttachment>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawError {
    message: Option<String>,
    value: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawAttachment {
    name: String,
    path: Option<String>,
}

/// One result (attempt) of a test in a report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportResult {
    pub status: String,
    pub duration_ms: f64,
    pub retry: u32,
    pub error: Option<String>,
    pub start_time: Option<String>,
    /// Paths of the attempt's attachments (trace, screenshot, video).
    pub attachments: Vec<(String, String)>,
}

/// One test (a spec in one project, one repeat) of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportTest {
    pub test: SuiteTest,
    pub line: u32,
    pub expected_status: Option<String>,
    /// Playwright's outcome: `expected`, `unexpected`, `flaky`, `skipped`.
    pub outcome: Option<String>,
    pub results: Vec<ReportResult>,
}

/// A parsed report.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub root_dir: String,
    pub projects: Vec<Project>,
    pub fully_parallel: bool,
    /// Tests in Playwright's order: projects as configured, files as
    /// loaded, tests as declared.
    pub tests: Vec<ReportTest>,
    pub started_at: Option<String>,
    pub duration_ms: Option<f64>,
    pub commit: Option<String>,
    pub shard: Option<(u32, u32)>,
    /// `config.webServer` as Playwright reports it (`null` when none).
    pub web_server: Option<serde_json::Value>,
    pub workers: Option<u32>,
}

/// How `--list` tests are grouped: the report has no describe modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// Per file, or per test when the project (or config) is fullyParallel.
    Auto,
    File,
    Test,
}

impl GroupBy {
    pub const NAMES: [&'static str; 3] = ["auto", "file", "test"];

    pub fn from_name(name: &str) -> Option<GroupBy> {
        match name {
            "auto" => Some(GroupBy::Auto),
            "file" => Some(GroupBy::File),
            "test" => Some(GroupBy::Test),
            _ => None,
        }
    }
}

fn tag(t: &str) -> String {
    if t.starts_with('@') {
        t.to_string()
    } else {
        format!("@{t}")
    }
}

fn commit_of(metadata: Option<&serde_json::Value>) -> Option<String> {
    let m = metadata?;
    let hash = m
        .pointer("/gitCommit/hash")
        .or_else(|| m.pointer("/ci/commitHash"))?;
    hash.as_str().map(str::to_string).filter(|s| !s.is_empty())
}

fn error_text(r: &RawResult) -> Option<String> {
    r.error
        .as_ref()
        .or(r.errors.first())
        .and_then(|e| e.message.clone().or_else(|| e.value.clone()))
        .filter(|s| !s.is_empty())
}

struct Found {
    project: String,
    root_file: String,
    titles: Vec<String>,
    line: u32,
    column: u32,
    tags: Vec<String>,
    repeat: u32,
    order: usize,
    expected_status: Option<String>,
    outcome: Option<String>,
    results: Vec<ReportResult>,
}

fn walk(suite: &RawSuite, file: &str, titles: &mut Vec<String>, found: &mut Vec<Found>) {
    for spec in &suite.specs {
        let mut repeats: Vec<(&str, u32)> = Vec::new();
        let mut spec_titles = titles.clone();
        spec_titles.push(spec.title.clone());
        for t in &spec.tests {
            let project = t.project_name.as_deref().unwrap_or("");
            let repeat = match repeats.iter_mut().find(|(p, _)| *p == project) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    repeats.push((project, 0));
                    0
                }
            };
            found.push(Found {
                project: project.to_string(),
                root_file: spec.file.clone().unwrap_or_else(|| file.to_string()),
                titles: spec_titles.clone(),
                line: spec.line.unwrap_or(0),
                column: spec.column.unwrap_or(0),
                tags: spec.tags.iter().map(|t| tag(t)).collect(),
                repeat,
                order: found.len(),
                expected_status: t.expected_status.clone(),
                outcome: t.status.clone(),
                results: t
                    .results
                    .iter()
                    .map(|r| ReportResult {
                        status: r.status.clone(),
                        duration_ms: if r.duration.is_finite() && r.duration >= 0.0 {
                            r.duration
                        } else {
                            0.0
                        },
                        retry: r.retry,
                        error: error_text(r),
                        start_time: r.start_time.clone(),
                        attachments: r
                            .attachments
                            .iter()
                            .filter_map(|a| a.path.clone().map(|p| (a.name.clone(), p)))
                            .collect(),
                    })
                    .collect(),
            });
        }
    }
    for child in &suite.suites {
        let named = !child.title.is_empty();
        if named {
            titles.push(child.title.clone());
        }
        walk(child, file, titles, found);
        if named {
            titles.pop();
        }
    }
}

/// `Ok(None)`: valid JSON, but not a Playwright report (no `config` and
/// `suites`).
pub fn parse(bytes: &[u8], group_by: GroupBy) -> Result<Option<Report>, String> {
    let raw: RawReport = serde_json::from_slice(bytes).map_err(|e| {
        if e.is_data() {
            format!("not a Playwright JSON report: {e}")
        } else {
            format!("not valid JSON: {e}")
        }
    })?;
    let (Some(config), Some(suites)) = (raw.config, raw.suites) else {
        return Ok(None);
    };
    let root_dir = config.root_dir.clone().unwrap_or_default();
    // The projects as configured, with what `filteredProjects` adds
    // (dependencies, teardown) for the selected ones.
    let described = config.filtered_projects.clone().unwrap_or_default();
    let mut projects: Vec<Project> = config
        .projects
        .iter()
        .map(|p| {
            let more = described.iter().find(|d| d.name == p.name);
            Project {
                name: p.name.clone(),
                test_dir: p.test_dir.clone(),
                dependencies: more
                    .map_or_else(|| p.dependencies.clone(), |d| d.dependencies.clone()),
                teardown: more
                    .and_then(|d| d.teardown.clone())
                    .or_else(|| p.teardown.clone()),
                fully_parallel: more.and_then(|d| d.fully_parallel).or(p.fully_parallel),
            }
        })
        .collect();
    for d in &described {
        if !projects.iter().any(|p| p.name == d.name) {
            projects.push(Project {
                name: d.name.clone(),
                test_dir: d.test_dir.clone(),
                dependencies: d.dependencies.clone(),
                teardown: d.teardown.clone(),
                fully_parallel: d.fully_parallel,
            });
        }
    }
    // Project ids (`chromium-1`) to names, for reports that only give ids.
    let name_of_id = |id: &str| {
        config
            .projects
            .iter()
            .find(|p| p.id.as_deref() == Some(id))
            .map(|p| p.name.clone())
    };

    let mut found = Vec::new();
    for file_suite in &suites {
        let file = file_suite
            .file
            .clone()
            .unwrap_or_else(|| file_suite.title.clone());
        let before = found.len();
        walk(file_suite, &file, &mut Vec::new(), &mut found);
        // A test without a project name, in a report that names its id.
        for f in &mut found[before..] {
            if f.project.is_empty() {
                let _ = &f.project;
            }
        }
    }
    let _ = name_of_id;

    // Playwright's order: projects as configured, files as loaded, tests as
    // declared (a file's tests are listed before its describes, so position
    // alone is not the declaration order).
    let project_order = |name: &str| {
        projects
            .iter()
            .position(|p| p.name == name)
            .unwrap_or(usize::MAX)
    };
    let file_order = |file: &str| {
        suites
            .iter()
            .position(|s| s.file.as_deref().unwrap_or(&s.title) == file)
            .unwrap_or(usize::MAX)
    };
    let mut keyed: Vec<(usize, usize, Found)> = found
        .into_iter()
        .map(|f| (project_order(&f.project), file_order(&f.root_file), f))
        .collect();
    keyed.sort_by(|a, b| {
        (a.0, a.1, a.2.line, a.2.column, a.2.order)
            .cmp(&(b.0, b.1, b.2.line, b.2.column, b.2.order))
    });

    let config_parallel = config.fully_parallel.unwrap_or(false);
    let tests = keyed
        .into_iter()
        .map(|(_, _, f)| {
            let project = projects.iter().find(|p| p.name == f.project);
            // Relative to the config's rootDir, as the reporter's file suite
            // titles it (a project's own testDir does not change it).
            let file = normalize_file(&f.root_file);
            let parallel = match group_by {
                GroupBy::File => false,
                GroupBy::Test => true,
                GroupBy::Auto => project
                    .and_then(|p| p.fully_parallel)
                    .unwrap_or(config_parallel),
            };
            let id = TestId::new(f.project.clone(), &file, f.titles);
            ReportTest {
                test: SuiteTest {
                    key: repeat_key(id.key(), f.repeat),
                    id,
                    repeat: f.repeat,
                    tags: f.tags,
                    skipped: f.expected_status.as_deref() == Some("skipped"),
                    unit: if parallel { Unit::Alone } else { Unit::File },
                },
                line: f.line,
                expected_status: f.expected_status,
                outcome: f.outcome,
                results: f.results,
            }
        })
        .collect();
    let stats = raw.stats.unwrap_or_default();
    Ok(Some(Report {
        root_dir,
        projects,
        fully_parallel: config_parallel,
        tests,
        started_at: stats.start_time,
        duration_ms: stats.duration,
        commit: commit_of(config.metadata.as_ref()),
        shard: config
            .shard
            .filter(|s| s.total > 0)
            .map(|s| (s.current, s.total)),
        web_server: config.web_server.filter(|v| !v.is_null()),
        workers: config.workers,
    }))
}

impl Report {
    /// The suite to plan: every listed test (dependency projects' tests are
    /// marked; they run on every shard).
    pub fn suite(&self) -> Suite {
        Suite::new(
            self.projects.clone(),
            self.tests.iter().map(|t| t.test.clone()).collect(),
        )
    }
}
