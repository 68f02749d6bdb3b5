//! Playwright's JSON report (`--reporter=json`): every attempt of every test,
//! with its status, duration, retry index and error.

use std::path::Path;

use serde::Deserialize;

use crate::history::run::{AttemptInput, ErrorInput, RunInput, ShardInput, TimeInput};
use crate::history::time;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Report {
    config: Option<Config>,
    suites: Option<Vec<Suite>>,
    stats: Option<Stats>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Config {
    root_dir: Option<String>,
    projects: Vec<Project>,
    metadata: Option<serde_json::Value>,
    shard: Option<Shard>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Project {
    id: Option<String>,
    name: String,
    test_dir: Option<String>,
}

#[derive(Deserialize, Default)]
struct Shard {
    current: u32,
    total: u32,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Stats {
    start_time: Option<String>,
    duration: Option<f64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Suite {
    title: String,
    file: Option<String>,
    specs: Vec<Spec>,
    suites: Vec<Suite>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Spec {
    title: String,
    file: Option<String>,
    line: Option<u32>,
    tags: Vec<String>,
    tests: Vec<TestEntry>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct TestEntry {
    expected_status: Option<String>,
    project_name: Option<String>,
    project_id: Option<String>,
    results: Vec<ResultEntry>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ResultEntry {
    status: String,
    duration: f64,
    retry: u32,
    error: Option<ErrorEntry>,
    errors: Vec<ErrorEntry>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ErrorEntry {
    message: Option<String>,
    value: Option<String>,
}

/// The file relative to the project's testDir: Playwright reports it relative
/// to the config's rootDir, which differs when a project sets its own testDir.
fn project_relative(file: &str, root_dir: Option<&str>, test_dir: Option<&str>) -> String {
    let (Some(root), Some(test_dir)) = (root_dir, test_dir) else {
        return file.to_string();
    };
    let abs = Path::new(root).join(file);
    match abs.strip_prefix(test_dir) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.to_string_lossy().into_owned(),
        _ => file.to_string(),
    }
}

fn commit_of(metadata: Option<&serde_json::Value>) -> Option<String> {
    let m = metadata?;
    let hash = m
        .pointer("/gitCommit/hash")
        .or_else(|| m.pointer("/ci/commitHash"))?;
    hash.as_str().map(str::to_string).filter(|s| !s.is_empty())
}

/// `Ok(None)`: valid JSON, but not a Playwright report (no `config` and
/// `suites`).
pub fn parse(bytes: &[u8], run_id: String) -> Result<Option<RunInput>, String> {
    let report: Report = serde_json::from_slice(bytes).map_err(|e| {
        if e.is_data() {
            format!("not a Playwright JSON report: {e}")
        } else {
            format!("neither a Playwright JSON report nor JUnit XML (not valid JSON: {e})")
        }
    })?;
    let (Some(config), Some(suites)) = (report.config, report.suites) else {
        return Ok(None);
    };
    let started_at = report
        .stats
        .as_ref()
        .and_then(|s| s.start_time.as_deref())
        .and_then(time::parse_iso);
    let ended_at = match (started_at, report.stats.as_ref().and_then(|s| s.duration)) {
        (Some(start), Some(d)) if d.is_finite() && d >= 0.0 => Some(start + d.round() as i64),
        _ => None,
    };
    let mut attempts = Vec::new();
    let root_dir = config.root_dir.as_deref();
    let projects = &config.projects;
    let mut titles = Vec::new();
    for file_suite in &suites {
        walk(file_suite, true, &mut titles, &mut |spec, titles| {
            for test in &spec.tests {
                let project = projects.iter().find(|p| {
                    test.project_id.is_some() && p.id == test.project_id
                        || test.project_name.as_deref() == Some(p.name.as_str())
                });
                let project_name = test
                    .project_name
                    .clone()
                    .or_else(|| project.map(|p| p.name.clone()))
                    .unwrap_or_default();
                let file = spec
                    .file
                    .as_deref()
                    .or(file_suite.file.as_deref())
                    .unwrap_or(&file_suite.title);
                let file =
                    project_relative(file, root_dir, project.and_then(|p| p.test_dir.as_deref()));
                let mut title_path = titles.to_vec();
                title_path.push(spec.title.clone());
                for r in &test.results {
                    let message = r
                        .error
                        .as_ref()
                        .or(r.errors.first())
                        .and_then(|e| e.message.clone().or_else(|| e.value.clone()));
                    attempts.push(AttemptInput {
                        project: Some(project_name.clone()),
                        file: file.clone(),
                        title_path: title_path.clone(),
                        line: spec.line,
                        tags: Some(
                            spec.tags
                                .iter()
                                .map(|t| {
                                    if t.starts_with('@') {
                                        t.clone()
                                    } else {
                                        format!("@{t}")
                                    }
                                })
                                .collect(),
                        ),
                        duration_ms: r.duration,
                        status: r.status.clone(),
                        retry: Some(r.retry),
                        expected_status: test.expected_status.clone(),
                        error: message.map(ErrorInput::Text),
                    });
                }
            }
        });
    }
    Ok(Some(RunInput {
        id: Some(run_id),
        started_at: started_at.map(|ms| TimeInput::Ms(ms as f64)),
        ended_at: ended_at.map(|ms| TimeInput::Ms(ms as f64)),
        commit: Some(commit_of(config.metadata.as_ref())),
        shard: config.shard.filter(|s| s.total > 0).map(|s| ShardInput {
            index: s.current,
            total: s.total,
            ..Default::default()
        }),
        source: Some("playwright-json".into()),
        attempts,
    }))
}

/// Visits every spec with the describe titles above it (the file suite's own
/// title is the file, not a title).
fn walk(
    suite: &Suite,
    is_file: bool,
    titles: &mut Vec<String>,
    visit: &mut impl FnMut(&Spec, &[String]),
) {
    if !is_file {
        titles.push(suite.title.clone());
    }
    for spec in &suite.specs {
        visit(spec, titles);
    }
    for child in &suite.suites {
        walk(child, false, titles, visit);
    }
    if !is_file {
        titles.pop();
    }
}
