//! The page's data, computed from the history and its flaky report: one
//! pass over the history for the trends, the slowest groups and the
//! outcome strips of the tests the report lists; the report's tests,
//! incidents and quarantine as the report has them (so the page lists
//! exactly the tests `shardwright report --json --all` lists).

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde::Serialize;
use serde_json::Value;

use super::timeline::{run_ids, timeline, ShardRecord, Timeline};
use crate::flaky::Report;
use crate::history::time::format_iso;
use crate::history::{Attempt, History, RunOutcome, TestRecord};

pub const KIND: &str = "shardwright-html-report";
/// The page data's version (the page's script reads this version).
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageOptions {
    /// Rows of the slowest groups.
    pub max_slowest: usize,
    /// Runs in a test's outcome strip (the newest).
    pub max_columns: usize,
}

impl PageOptions {
    pub const DEFAULT: PageOptions = PageOptions {
        max_slowest: 100,
        max_columns: 60,
    };
}

impl Default for PageOptions {
    fn default() -> Self {
        PageOptions::DEFAULT
    }
}

/// One run of the history, for the trends.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRow {
    pub id: String,
    pub commit: Option<String>,
    pub started_at: String,
    /// From its start to its end, when the end is known.
    pub wall_ms: Option<f64>,
    /// Its shards, when it was sharded.
    pub shards: Option<u32>,
    /// Tests by their outcome in the run; `infrastructure`: failed only
    /// with an infrastructure incident (not in `failed`).
    pub tests: u32,
    pub passed: u32,
    pub flaky: u32,
    pub failed: u32,
    pub infrastructure: u32,
    pub skipped: u32,
    /// Summed time of every attempt.
    pub serial_ms: f64,
}

/// A test the flaky report lists, with its strip.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestRow {
    pub key: String,
    pub verdict: &'static str,
    pub score: f64,
    pub quarantined: bool,
    pub runs: u32,
    pub failed: u32,
    pub flaky: u32,
    pub flips: u32,
    pub last_outcome: Option<&'static str>,
    /// One letter per column (the newest runs of the history, oldest
    /// first): `P` passed, `R` flaky (passed on a retry), `F` failed, `X`
    /// failed only with an infrastructure incident, `S` skipped, `.` did
    /// not run.
    pub strip: String,
    pub why: String,
    /// The most frequent error (first line) and its class.
    pub error: Option<String>,
    pub error_class: Option<&'static str>,
}

/// A group of tests (a project's file) over the history.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupRow {
    pub project: String,
    pub file: String,
    pub tests: u32,
    /// Runs it ran in.
    pub runs: u32,
    /// Its summed test time per run: the mean, the newest run's, the most.
    pub mean_ms: f64,
    pub last_ms: f64,
    pub max_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    pub kind: &'static str,
    pub version: u32,
    pub generated_at: String,
    /// The flaky report's history statistics, summary and options.
    pub history: Value,
    pub summary: Value,
    pub options: Value,
    /// Every run of the history, oldest first.
    pub runs: Vec<RunRow>,
    /// The strips' runs: the last `columns` of `runs`.
    pub columns: usize,
    /// The report's tests, in its order.
    pub tests: Vec<TestRow>,
    pub slowest: Vec<GroupRow>,
    /// The groups of the history (for "of N groups").
    pub groups: usize,
    pub incidents: Value,
    pub quarantine: Value,
    pub timeline: Option<Timeline>,
    /// What the page could not show, in words (an unreadable record, …).
    pub notes: Vec<String>,
}

/// Failures of one run that an incident explains: (run, project or none,
/// signature).
struct Infra<'a> {
    set: HashSet<(u32, Option<&'a str>, &'a str)>,
}

impl<'a> Infra<'a> {
    fn new(history: &History, report: &'a Report) -> Infra<'a> {
        let set = report
            .incidents
            .iter()
            .filter_map(|i| {
                let run = *history.run_index.get(&i.run_id)?;
                Some((run, i.project.as_deref(), i.signature.as_str()))
            })
            .collect();
        Infra { set }
    }

    fn covers(&self, history: &History, project: &str, a: &Attempt) -> bool {
        if self.set.is_empty() || a.ok() {
            return false;
        }
        let Some(e) = history.error(a.error) else {
            return false;
        };
        let sig = e.signature.as_str();
        self.set.contains(&(a.run, None, sig)) || self.set.contains(&(a.run, Some(project), sig))
    }
}

/// The letter of one run of a test (`attempts`: its attempts in that run).
fn letter(history: &History, infra: &Infra, test: &TestRecord, attempts: &[Attempt]) -> u8 {
    match RunOutcome::of(attempts) {
        RunOutcome::Passed => b'P',
        RunOutcome::Flaky => b'R',
        RunOutcome::Failed => {
            let all_infra = attempts
                .iter()
                .filter(|a| !a.ok() && !matches!(a.status, crate::history::Status::Skipped))
                .all(|a| infra.covers(history, &test.id.project, a));
            if all_infra {
                b'X'
            } else {
                b'F'
            }
        }
        RunOutcome::Skipped | RunOutcome::Interrupted => b'S',
    }
}

/// The page of `history` judged as `report` (the flaky report of the same
/// history), with the shard timeline of the newest run among `records`.
pub fn build(
    history: &History,
    report: &Report,
    records: &[ShardRecord],
    opts: &PageOptions,
    generated_at: i64,
) -> Page {
    let infra = Infra::new(history, report);
    let nruns = history.runs().len();
    let mut runs: Vec<RunRow> = history
        .runs()
        .iter()
        .map(|r| RunRow {
            id: r.id.clone(),
            commit: r.commit.clone(),
            started_at: format_iso(r.started_at),
            wall_ms: r
                .ended_at
                .filter(|&e| e >= r.started_at)
                .map(|e| (e - r.started_at) as f64),
            shards: r.shard.as_ref().map(|s| s.total),
            tests: 0,
            passed: 0,
            flaky: 0,
            failed: 0,
            infrastructure: 0,
            skipped: 0,
            serial_ms: 0.0,
        })
        .collect();

    // Groups: (project, file) → tests, and summed time per run.
    struct Acc {
        tests: u32,
        per_run: Vec<f64>,
        ran: Vec<bool>,
    }
    let mut groups: HashMap<(&str, &str), Acc> = HashMap::default();
    for t in history.tests() {
        let acc = groups
            .entry((t.id.project.as_str(), t.id.file.as_str()))
            .or_insert_with(|| Acc {
                tests: 0,
                per_run: vec![0.0; nruns],
                ran: vec![false; nruns],
            });
        acc.tests += 1;
        for attempts in t.runs() {
            let run = attempts[0].run as usize;
            let ms: f64 = attempts.iter().map(|a| f64::from(a.duration_ms)).sum();
            acc.per_run[run] += ms;
            acc.ran[run] = true;
            let row = &mut runs[run];
            row.serial_ms += ms;
            row.tests += 1;
            match letter(history, &infra, t, attempts) {
                b'P' => row.passed += 1,
                b'R' => row.flaky += 1,
                b'F' => row.failed += 1,
                b'X' => row.infrastructure += 1,
                _ => row.skipped += 1,
            }
        }
    }
    let group_count = groups.len();
    let mut slowest: Vec<GroupRow> = groups
        .into_iter()
        .filter_map(|((project, file), acc)| {
            let ran: Vec<f64> = acc
                .per_run
                .iter()
                .zip(&acc.ran)
                .filter(|(_, ran)| **ran)
                .map(|(ms, _)| *ms)
                .collect();
            let last = *ran.last()?;
            Some(GroupRow {
                project: project.to_string(),
                file: file.to_string(),
                tests: acc.tests,
                runs: ran.len() as u32,
                mean_ms: (ran.iter().sum::<f64>() / ran.len() as f64).round(),
                last_ms: last,
                max_ms: ran.iter().copied().fold(0.0, f64::max),
            })
        })
        .collect();
    slowest.sort_by(|a, b| {
        b.mean_ms
            .total_cmp(&a.mean_ms)
            .then_with(|| (&a.project, &a.file).cmp(&(&b.project, &b.file)))
    });
    slowest.truncate(opts.max_slowest);

    let columns = nruns.min(opts.max_columns.max(1));
    let first = nruns - columns;
    let tests = report
        .tests
        .iter()
        .map(|e| {
            let mut strip = vec![b'.'; columns];
            if let Some(t) = history.test(&e.key) {
                for attempts in t.runs() {
                    let run = attempts[0].run as usize;
                    if run >= first {
                        strip[run - first] = letter(history, &infra, t, attempts);
                    }
                }
            }
            let top = e.evidence.errors.first();
            TestRow {
                key: e.key.clone(),
                verdict: e.verdict,
                score: e.score,
                quarantined: e.quarantined,
                runs: e.runs,
                failed: e.failed,
                flaky: e.flaky,
                flips: e.flips,
                last_outcome: e.last_outcome,
                strip: String::from_utf8(strip).expect("ASCII letters"),
                why: e.evidence.why.clone(),
                error: top.map(|x| x.message.clone()),
                error_class: top.map(|x| x.class),
            }
        })
        .collect();

    let mut notes = Vec::new();
    let ids = run_ids(records);
    let timeline = timeline(history, records);
    if let Some(t) = &timeline {
        if ids.len() > 1 {
            notes.push(format!(
                "shard records of {} runs found; the timeline shows the newest, {}",
                ids.len(),
                t.run_id
            ));
        }
        if !t.in_history {
            notes.push(format!(
                "run {} of the shard records is not in the history: no time taken is known",
                t.run_id
            ));
        }
    }
    let value = |v: serde_json::Result<Value>| v.unwrap_or(Value::Null);
    Page {
        kind: KIND,
        version: VERSION,
        generated_at: format_iso(generated_at),
        history: value(serde_json::to_value(&report.history)),
        summary: value(serde_json::to_value(&report.summary)),
        options: value(serde_json::to_value(&report.options)),
        runs,
        columns,
        tests,
        slowest,
        groups: group_count,
        incidents: value(serde_json::to_value(&report.incidents)),
        quarantine: value(serde_json::to_value(&report.quarantine)),
        timeline,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::ErrorClass;
    use crate::flaky::{analyze, FlakyOptions};
    use crate::history::model::{ErrorInfo, NewAttempt};
    use crate::history::{RunMeta, Status};
    use crate::playwright::testid::TestId;

    fn attempt(
        file: &str,
        title: &str,
        status: Status,
        retry: u32,
        ms: u32,
        error: Option<&str>,
    ) -> NewAttempt {
        NewAttempt {
            id: TestId::new("chromium", file, vec![title.into()]),
            line: None,
            tags: vec![],
            status,
            expected_failure: false,
            retry,
            duration_ms: ms,
            error: error.map(|m| ErrorInfo::new(m.into(), ErrorClass::Retryable, "test".into())),
        }
    }

    /// 12 files × 2 tests over 8 runs: `a.ts › flaky` passes on a retry in
    /// runs 2 and 5, `b.ts › broken` fails from run 5, run 6 is an outage
    /// (every test refused), `slow.ts` is the slowest file.
    fn history() -> History {
        let mut h = History::default();
        for r in 0..8u32 {
            let mut attempts = Vec::new();
            for f in 0..12 {
                let file = match f {
                    0 => "a.ts".to_string(),
                    1 => "b.ts".to_string(),
                    2 => "slow.ts".to_string(),
                    n => format!("f{n}.ts"),
                };
                for title in ["flaky", "broken"] {
                    let ms = if file == "slow.ts" { 1000 } else { 10 };
                    if r == 6 {
                        let e = Some("Error: page.goto: net::ERR_CONNECTION_REFUSED at http://localhost:3000/");
                        attempts.push(attempt(&file, title, Status::Failed, 0, ms, e));
                        continue;
                    }
                    if file == "a.ts" && title == "flaky" && (r == 2 || r == 5) {
                        attempts.push(attempt(
                            &file,
                            title,
                            Status::Failed,
                            0,
                            ms,
                            Some("Error: timed out"),
                        ));
                        attempts.push(attempt(&file, title, Status::Passed, 1, ms, None));
                    } else if file == "b.ts" && title == "broken" && r >= 5 {
                        attempts.push(attempt(
                            &file,
                            title,
                            Status::Failed,
                            0,
                            ms,
                            Some("Error: expect failed"),
                        ));
                    } else {
                        attempts.push(attempt(&file, title, Status::Passed, 0, ms, None));
                    }
                }
            }
            let meta = RunMeta {
                id: format!("run-{r}"),
                started_at: 1_000 * i64::from(r),
                ended_at: Some(1_000 * i64::from(r) + 500),
                commit: Some(format!("c{r}")),
                ..Default::default()
            };
            h.add_run(meta, attempts);
        }
        h
    }

    #[test]
    fn the_page_lists_the_reports_tests_with_their_strips() {
        let h = history();
        let report = analyze(&h, &FlakyOptions::DEFAULT).unwrap();
        let page = build(&h, &report, &[], &PageOptions::DEFAULT, 0);
        let keys: Vec<&str> = page.tests.iter().map(|t| t.key.as_str()).collect();
        let expected: Vec<&str> = report.tests.iter().map(|t| t.key.as_str()).collect();
        assert_eq!(keys, expected);
        assert!(!keys.is_empty());
        let row = |k: &str| page.tests.iter().find(|t| t.key == k).unwrap();
        assert_eq!(row("chromium › a.ts › flaky").strip, "PPRPPRXP");
        assert_eq!(row("chromium › a.ts › flaky").verdict, "flaky");
        assert_eq!(row("chromium › b.ts › broken").strip, "PPPPPFXF");
        assert_eq!(page.columns, 8);
        assert!(page.timeline.is_none());
        assert_eq!(page.kind, KIND);
    }

    #[test]
    fn trends_count_each_run_and_the_outage_apart() {
        let h = history();
        let report = analyze(&h, &FlakyOptions::DEFAULT).unwrap();
        assert_eq!(report.incidents.len(), 1, "the outage is an incident");
        let page = build(&h, &report, &[], &PageOptions::DEFAULT, 0);
        assert_eq!(page.runs.len(), 8);
        let r2 = &page.runs[2];
        assert_eq!((r2.tests, r2.passed, r2.flaky, r2.failed), (24, 23, 1, 0));
        assert_eq!(r2.serial_ms, 2.0 * 1000.0 + 22.0 * 10.0 + 10.0);
        assert_eq!(r2.wall_ms, Some(500.0));
        let r6 = &page.runs[6];
        assert_eq!((r6.infrastructure, r6.failed), (24, 0));
        let r7 = &page.runs[7];
        assert_eq!((r7.passed, r7.failed), (23, 1));
    }

    #[test]
    fn the_newest_sharded_run_is_drawn_and_the_others_noted() {
        let h = history();
        let report = analyze(&h, &FlakyOptions::DEFAULT).unwrap();
        let record = |run: &str| {
            ShardRecord::parse(&format!(
                r#"{{"index":1,"total":1,"runId":"{run}","groups":[{{"id":"g","expectedMs":20,"tests":["chromium › a.ts › flaky","chromium › a.ts › broken"]}}]}}"#
            ))
            .unwrap()
        };
        let page = build(
            &h,
            &report,
            &[record("run-7"), record("run-2")],
            &PageOptions::DEFAULT,
            0,
        );
        let t = page.timeline.as_ref().unwrap();
        assert_eq!((t.run_id.as_str(), t.shards[0].taken_ms), ("run-7", 20.0));
        assert_eq!(
            page.notes,
            ["shard records of 2 runs found; the timeline shows the newest, run-7"]
        );
        let page = build(
            &h,
            &report,
            &[record("elsewhere")],
            &PageOptions::DEFAULT,
            0,
        );
        assert_eq!(
            page.notes,
            ["run elsewhere of the shard records is not in the history: no time taken is known"]
        );
    }

    #[test]
    fn the_slowest_groups_first_and_strips_cut_to_the_newest_runs() {
        let h = history();
        let report = analyze(&h, &FlakyOptions::DEFAULT).unwrap();
        let opts = PageOptions {
            max_slowest: 3,
            max_columns: 4,
        };
        let page = build(&h, &report, &[], &opts, 0);
        assert_eq!(page.groups, 12);
        assert_eq!(page.slowest.len(), 3);
        let s = &page.slowest[0];
        assert_eq!((s.file.as_str(), s.tests, s.runs), ("slow.ts", 2, 8));
        assert_eq!((s.mean_ms, s.last_ms, s.max_ms), (2000.0, 2000.0, 2000.0));
        // a.ts: a retry in two runs makes it the second slowest.
        assert_eq!(page.slowest[1].file, "a.ts");
        assert_eq!(page.columns, 4);
        let a = page
            .tests
            .iter()
            .find(|t| t.key == "chromium › a.ts › flaky")
            .unwrap();
        assert_eq!(a.strip, "PRXP");
    }
}
