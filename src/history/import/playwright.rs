//! Playwright's JSON report (`--reporter=json`) as a history run: every
//! attempt of every test, with its status, duration, retry index and error
//! (the report is read by `crate::playwright::report`, the one walker).

use crate::history::run::{AttemptInput, ErrorInput, RunInput, ShardInput, TimeInput};
use crate::history::time;
use crate::playwright::report::{self, GroupBy, Report};

/// The attempts of a parsed report, as the history takes them.
pub fn attempts(report: &Report) -> Vec<AttemptInput> {
    let mut out = Vec::new();
    for t in &report.tests {
        for r in &t.results {
            out.push(AttemptInput {
                project: Some(t.test.id.project.clone()),
                file: t.test.id.file.clone(),
                title_path: t.test.id.title_path.clone(),
                line: Some(t.line),
                tags: Some(t.test.tags.clone()),
                duration_ms: r.duration_ms,
                status: r.status.clone(),
                retry: Some(r.retry),
                expected_status: t.expected_status.clone(),
                error: r.error.clone().map(ErrorInput::Text),
            });
        }
    }
    out
}

/// `Ok(None)`: valid JSON, but not a Playwright report (no `config` and
/// `suites`).
pub fn parse(bytes: &[u8], run_id: String) -> Result<Option<RunInput>, String> {
    let report = match report::parse(bytes, GroupBy::File) {
        Ok(Some(r)) => r,
        Ok(None) => return Ok(None),
        Err(e) if e.starts_with("not valid JSON") => {
            return Err(format!(
                "neither a Playwright JSON report nor JUnit XML ({e})"
            ))
        }
        Err(e) => return Err(e),
    };
    let started_at = report.started_at.as_deref().and_then(time::parse_iso);
    let ended_at = match (started_at, report.duration_ms) {
        (Some(start), Some(d)) if d.is_finite() && d >= 0.0 => Some(start + d.round() as i64),
        _ => None,
    };
    Ok(Some(RunInput {
        id: Some(run_id),
        started_at: started_at.map(|ms| TimeInput::Ms(ms as f64)),
        ended_at: ended_at.map(|ms| TimeInput::Ms(ms as f64)),
        commit: Some(report.commit.clone()),
        shard: report.shard.map(|(index, total)| ShardInput {
            index,
            total,
            ..Default::default()
        }),
        source: Some("playwright-json".into()),
        attempts: attempts(&report),
    }))
}
