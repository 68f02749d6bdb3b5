//! Playwright's model for JS: the reporter's suite planned in one call, the
//! listing and results of `--reporter=json` for the CLI and `run`, the test
//! key, and the table of error codes.

use napi_derive::napi;
use serde_json::{json, Value};

use super::history::HistoryStore;
use super::runtime::sync;
use super::shard::{to_js, NativePlan, ShardOptions};
use super::value::{json as loose_json, Loose};
use crate::config;
use crate::error::{Error, ErrorKind, Result};
use crate::playwright::wrapper::{Wrapper, WrapperLease};
use crate::playwright::{
    self, report, GroupBy, Grouping, LiveSuite, PlanFile, QueuePlan, SelectOptions, Suite, TestId,
};

/// One shard's share of the reporter's suite.
#[napi(object, object_from_js = false)]
pub struct SuiteShard {
    /// Indexes (into the suite's tests) of this shard's tests.
    pub keep: Vec<u32>,
    /// Indexes of the planned tests of the other shards: to exclude.
    pub exclude: Vec<u32>,
    /// `shard i/n: … tests, by duration, expected … on N workers; plan …`.
    pub summary: String,
    /// Where the plan came from.
    #[napi(ts_type = "'plan-file' | 'cached' | 'history' | 'no-history'")]
    pub source: String,
    /// Why the kept plan of an earlier shard was not used, if it was not.
    pub cache_note: Option<String>,
    /// The plan followed, as a plan file's JSON (kept for the run's other
    /// shards; the same as `shardwright plan --out` writes).
    pub plan_file: String,
    /// The run's id (the plan's): every shard of the run records under it.
    pub run_id: String,
    pub fingerprint: String,
    pub suite_fingerprint: String,
    pub history_fingerprint: Option<String>,
    pub strategy: String,
    #[napi(ts_type = "'duration' | 'count'")]
    pub balanced_by: String,
    /// Expected wall time on the workers, start-up included; absent when
    /// balanced by count.
    pub predicted_ms: Option<f64>,
    /// The same without the start-up (kept in the history, which learns the
    /// start-up from it).
    pub schedule_ms: Option<f64>,
    /// The shard's summed durations (what balancing equalises).
    pub serial_ms: Option<f64>,
    /// This shard's test keys, sorted.
    pub planned: Vec<String>,
    /// Every planned test key of the suite, sorted.
    pub suite: Vec<String>,
    /// Groups the plan did not know (placed by hash).
    pub unplanned: Vec<String>,
}

/// The reporter's suite, keyed (and planned when `options.shards` is set).
#[napi(object, object_from_js = false)]
pub struct SuitePlan {
    /// The stable key of every test, in the order they were handed over.
    pub keys: Vec<String>,
    pub shard: Option<SuiteShard>,
}

/// What else the reporter knows when it plans its shard.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct SuiteRun {
    /// Playwright's workers on this machine (`config.workers`).
    /// @default 1
    pub workers: Option<u32>,
    /// What a shard takes to start (ms), for the predicted wall time.
    /// @default learnt from the history's sharded runs
    pub worker_start_ms: Option<f64>,
    /// A plan file's text that must be used, and where it came from.
    pub plan_file: Option<String>,
    pub plan_file_source: Option<String>,
    /// The plan kept by an earlier shard of this run, used if it fits.
    pub cached_plan: Option<String>,
    /// The CI run's id (default: from SHARDWRIGHT_RUN_ID or the CI's
    /// variables), which a new plan's id derives from.
    pub run_key: Option<String>,
    /// Now, in ms since the epoch.
    pub now: Option<f64>,
}

fn parse_report(text: &str, group_by: GroupBy) -> Result<report::Report> {
    report::parse(text.as_bytes(), group_by)
        .map_err(|problem| Error::invalid("report", problem, "a Playwright JSON report"))?
        .ok_or_else(|| {
            Error::invalid(
                "report",
                "a JSON file without `config` and `suites`",
                "a Playwright JSON report (`--reporter=json`)",
            )
        })
}

fn group_by(value: Option<&Loose>) -> Result<GroupBy> {
    Ok(
        config::choice("groupBy", loose_json(&value.cloned()), &GroupBy::NAMES)?
            .and_then(GroupBy::from_name)
            .unwrap_or(GroupBy::Auto),
    )
}

fn sorted<'a>(keys: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut v: Vec<String> = keys.map(str::to_string).collect();
    v.sort_unstable();
    v
}

/// Plans the suite of `Reporter.preprocess()` (flattened by
/// js/playwright/suite.js) with the history's durations — or takes the
/// run's plan — and selects shard `options.index` of `options.shards`;
/// without `shards`, only keys it.
#[napi(js_name = "__planSuite")]
pub fn plan_suite(
    suite: String,
    history: Option<&HistoryStore>,
    options: Option<ShardOptions>,
    run: Option<SuiteRun>,
) -> napi::Result<SuitePlan, &'static str> {
    sync(|| {
        let suite = LiveSuite::parse(&suite)?.into_suite()?;
        let keys = suite.tests.iter().map(|t| t.key.clone()).collect();
        let options = options.unwrap_or_default();
        if options.shards.is_none() {
            return Ok(SuitePlan { keys, shard: None });
        }
        let plan_options = options.resolve()?;
        let index = options.index(plan_options.shards)?;
        let run = run.unwrap_or_default();
        let plan_file = match &run.plan_file {
            Some(text) => Some(PlanFile::parse(
                text,
                run.plan_file_source.as_deref().unwrap_or("the plan file"),
            )?),
            None => None,
        };
        // A kept plan that cannot be read is not used (a fresh plan is made).
        let cached = run
            .cached_plan
            .as_deref()
            .and_then(|t| PlanFile::parse(t, "kept plan").ok());
        let s = playwright::select(
            &suite,
            history.map(HistoryStore::history),
            &SelectOptions {
                plan: plan_options,
                index,
                workers: run.workers.unwrap_or(1).max(1),
                worker_start_ms: run
                    .worker_start_ms
                    .filter(|m| m.is_finite() && *m >= 0.0)
                    .unwrap_or(0.0),
                plan_file: plan_file.as_ref(),
                cached: cached.as_ref(),
                run_key: run
                    .run_key
                    .clone()
                    .or_else(|| config::ci_run_id(&|k| std::env::var(k).ok())),
                now_ms: run
                    .now
                    .map_or_else(crate::history::time::now_ms, |n| n as i64),
            },
        )?;
        let planned = sorted(s.keep.iter().map(|&i| suite.tests[i as usize].key.as_str()));
        Ok(SuitePlan {
            keys,
            shard: Some(SuiteShard {
                summary: s.summary(),
                source: s.source.name().into(),
                cache_note: s.cache_note.clone(),
                plan_file: s.plan.to_json(),
                run_id: s.plan.id.clone(),
                fingerprint: s.plan.fingerprint.clone(),
                suite_fingerprint: s.plan.suite.clone(),
                history_fingerprint: s.plan.history.clone(),
                strategy: s.plan.strategy.clone(),
                balanced_by: s.plan.balanced_by.clone(),
                predicted_ms: s.predicted_ms,
                schedule_ms: s.schedule_ms,
                serial_ms: s.serial_ms,
                planned,
                suite: sorted(suite.planned_keys()),
                unplanned: s.unplanned,
                keep: s.keep,
                exclude: s.exclude,
            }),
        })
    })
}

/// Options of [`plan_report`]: a plan's, and how `--list` tests group.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct ReportPlanOptions {
    /// The plan's options (`shards` required; `index` selects a shard).
    pub plan: Option<ShardOptions>,
    /// `auto` (per file, per test when fullyParallel), `file` or `test`.
    /// @default 'auto'
    #[napi(ts_type = "'auto' | 'file' | 'test'")]
    pub group_by: Option<Loose>,
}

#[napi(object, object_from_js = false)]
pub struct ReportPlan {
    pub plan: NativePlan,
    /// The planned groups' ids (the plan's shards give indexes into it).
    pub group_ids: Vec<String>,
    /// Planned tests in the suite.
    pub tests: u32,
    /// Groups whose duration came from the history.
    pub with_history: u32,
    /// With `plan.index`: that shard's tests as `--test-list` lines, in run
    /// order.
    pub lines: Option<Vec<String>>,
    /// The plan as a plan file's JSON (`shardwright plan --out`): every
    /// shard of a run that follows it runs its share, whatever its history.
    pub plan_file: String,
}

/// Plans a `playwright test --list --reporter=json` report (the CLI's
/// `plan` and `shard`).
#[napi(js_name = "__planReport")]
pub fn plan_report(
    report: String,
    history: Option<&HistoryStore>,
    options: ReportPlanOptions,
) -> napi::Result<ReportPlan, &'static str> {
    sync(|| {
        let parsed = parse_report(&report, group_by(options.group_by.as_ref())?)?;
        let suite = parsed.suite();
        let shard_options = options.plan.unwrap_or_default();
        let plan_options = shard_options.resolve()?;
        let mut grouping = Grouping::of(&suite);
        let with_history = history.map_or(0, |h| {
            playwright::apply_history(&mut grouping.groups, h.history()).with_duration
        });
        let plan = crate::shard::plan(&grouping.groups, &plan_options)?;
        let lines = match shard_options.index {
            None => None,
            Some(_) => {
                let index = shard_options.index(plan_options.shards)?;
                let mine = plan.shard(index)?;
                let selected: Vec<u32> = mine
                    .groups
                    .iter()
                    .flat_map(|&g| grouping.members[g].iter().copied())
                    .collect();
                Some(playwright::test_list_lines(&suite, &selected)?)
            }
        };
        let plan_file = PlanFile::new(
            config::ci_run_id(&|k| std::env::var(k).ok()).as_deref(),
            &plan,
            &grouping,
            playwright::suite_fingerprint(suite.planned_keys()),
            history
                .map(HistoryStore::history)
                .filter(|h| !h.runs().is_empty())
                .map(playwright::history_fingerprint),
            crate::history::time::now_ms(),
        )
        .to_json();
        Ok(ReportPlan {
            plan: to_js(&plan),
            plan_file,
            group_ids: grouping.groups.iter().map(|g| g.id.clone()).collect(),
            tests: suite.planned_keys().count() as u32,
            with_history: with_history as u32,
            lines,
        })
    })
}

/// A group of `shardwright run`'s queue.
#[napi(object, object_from_js = false)]
pub struct QueueGroup {
    pub id: String,
    /// Its project and file (relative to rootDir), as the reporter's suite
    /// titles them: a batch runs its files longest group first.
    pub project: String,
    pub file: String,
    pub tests: Vec<String>,
    /// The tests' `--test-list` lines.
    pub lines: Vec<String>,
    /// Expected duration: from the history, or the tests' count × the
    /// engine's estimate for an unknown test.
    pub expected_ms: f64,
}

#[napi(object, object_from_js = false)]
pub struct QueueSuite {
    pub groups: Vec<QueueGroup>,
    /// Quarantined tests left out (those of `quarantined` in the suite).
    pub quarantined: Vec<String>,
    pub tests: u32,
    /// No duration known: groups are ordered by test count.
    pub by_count: bool,
    /// XXH3 of the groups and their tests (not of the estimates): machines
    /// listing different suites see different fingerprints.
    pub fingerprint: String,
    /// Tests whose titles cannot be written to a `--test-list` line.
    pub unlistable: Vec<String>,
    /// The first project's `outputDir`, where batches put their artifacts.
    pub output_dir: Option<String>,
    /// The config's rootDir.
    pub root_dir: String,
}

impl From<playwright::QueueGroup> for QueueGroup {
    fn from(g: playwright::QueueGroup) -> Self {
        QueueGroup {
            id: g.id,
            project: g.project,
            file: g.file,
            tests: g.tests,
            lines: g.lines,
            expected_ms: g.expected_ms,
        }
    }
}

/// The listed suite as `shardwright run` queues it: groups (joined where
/// their `--test-list` lines would clash) with their lines and expected
/// durations.
#[napi(js_name = "__queueSuite")]
pub fn queue_suite(
    report: String,
    history: Option<&HistoryStore>,
    #[napi(ts_arg_type = "'auto' | 'file' | 'test' | undefined")] group_by_option: Option<Loose>,
    quarantined: Option<Vec<String>>,
) -> napi::Result<QueueSuite, &'static str> {
    sync(|| {
        let parsed = parse_report(&report, group_by(group_by_option.as_ref())?)?;
        let output_dir = output_dir(&report);
        let mut suite: Suite = parsed.suite();
        let skipped = playwright::remove_quarantined(&mut suite, &quarantined.unwrap_or_default());
        let unlistable = playwright::unlistable(&suite);
        let plan = QueuePlan::of(&suite, history.map(HistoryStore::history));
        Ok(QueueSuite {
            groups: plan.groups.into_iter().map(QueueGroup::from).collect(),
            quarantined: skipped,
            tests: suite.planned_keys().count() as u32,
            by_count: plan.by_count,
            fingerprint: plan.fingerprint,
            unlistable,
            output_dir,
            root_dir: parsed.root_dir.clone(),
        })
    })
}

fn output_dir(report: &str) -> Option<String> {
    let v: Value = serde_json::from_str(report).ok()?;
    v.pointer("/config/projects/0/outputDir")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Every test of a `--reporter=json` report by key: `{ [key]: { status,
/// attempts } }` as JSON text. `status`: `passed` (as expected, an expected
/// failure included), `flaky` (passed on a retry), `failed`, `skipped`;
/// `attempts` as `History#addRun` takes them.
#[napi(js_name = "__reportResults")]
pub fn report_results(report: String) -> napi::Result<String, &'static str> {
    sync(|| {
        let parsed = parse_report(&report, GroupBy::File)?;
        let attempts = crate::history::import::attempts(&parsed);
        let mut out = serde_json::Map::new();
        let mut at = 0;
        for t in &parsed.tests {
            let n = t.results.len();
            let status = match t.outcome.as_deref() {
                Some("unexpected") => "failed",
                Some("flaky") => "flaky",
                Some("skipped") => "skipped",
                _ => "passed",
            };
            let list: Vec<Value> = attempts[at..at + n]
                .iter()
                .zip(&t.results)
                .map(|(a, r)| {
                    json!({
                        "project": a.project, "file": a.file, "titlePath": a.title_path,
                        "line": a.line, "tags": a.tags, "durationMs": a.duration_ms,
                        "status": a.status, "retry": a.retry, "expectedStatus": a.expected_status,
                        "error": r.error, "attachments": r.attachments.iter().map(|(n, p)| json!({"name": n, "path": p})).collect::<Vec<_>>(),
                    })
                })
                .collect();
            at += n;
            out.insert(
                t.test.key.clone(),
                json!({ "status": status, "attempts": list }),
            );
        }
        serde_json::to_string(&out).map_err(|e| Error::Internal(e.to_string()))
    })
}

/// The stable key of a test: `project › file › describe › title` (no
/// project part when it is ''); `file` relative to the project's testDir;
/// ` (repeat N)` for repeats after the first.
#[napi(js_name = "__testKey")]
pub fn test_key(
    project: String,
    file: String,
    title_path: Vec<String>,
    repeat: Option<u32>,
) -> String {
    playwright::repeat_key(
        TestId::new(project, &file, title_path).key(),
        repeat.unwrap_or(0),
    )
}

/// Every error code shardwright raises, by kind: `{ config:
/// 'ERR_SHARDWRIGHT_CONFIG', … }`.
#[napi(js_name = "__errorCodes", ts_return_type = "Record<string, string>")]
pub fn error_codes() -> Value {
    let mut out = serde_json::Map::new();
    for kind in ErrorKind::ALL {
        out.insert(kind.name().into(), Value::from(kind.code()));
    }
    Value::Object(out)
}

/// A group as the public JS API shows it (`suiteGroups`, `listReportGroups`).
#[napi(object, object_from_js = false)]
pub struct SuiteGroup {
    pub id: String,
    pub project: String,
    pub file: String,
    pub tests: Vec<String>,
    pub tags: Vec<String>,
    /// Tests expected to be skipped, when any.
    pub skipped: Option<u32>,
}

fn js_groups(grouping: &Grouping) -> Vec<SuiteGroup> {
    grouping
        .groups
        .iter()
        .map(|g| SuiteGroup {
            id: g.id.clone(),
            project: g.project.to_string(),
            file: g.file.to_string(),
            tests: g.test_keys().to_vec(),
            tags: g.tags.clone(),
            skipped: (g.skipped > 0).then_some(g.skipped),
        })
        .collect()
}

#[napi(object, object_from_js = false)]
pub struct SuiteGroups {
    /// The key of every test handed over, in order.
    pub keys: Vec<String>,
    pub groups: Vec<SuiteGroup>,
}

/// The groups of the reporter's suite (flattened by js/playwright/suite.js).
#[napi(js_name = "__groupSuite")]
pub fn group_suite(suite: String) -> napi::Result<SuiteGroups, &'static str> {
    sync(|| {
        let suite = LiveSuite::parse(&suite)?.into_suite()?;
        Ok(SuiteGroups {
            keys: suite.tests.iter().map(|t| t.key.clone()).collect(),
            groups: js_groups(&Grouping::of(&suite)),
        })
    })
}

/// A listed test (`listReportGroups().tests`).
#[napi(object, object_from_js = false)]
pub struct ListedTest {
    pub key: String,
    pub project: String,
    /// Relative to the config's rootDir.
    pub file: String,
    /// The same (the name `--test-list` lines use).
    pub root_file: String,
    pub title_path: Vec<String>,
    /// Its `--test-list` line.
    pub list_line: String,
}

#[napi(object, object_from_js = false)]
pub struct ReportGroups {
    pub groups: Vec<SuiteGroup>,
    /// The planned tests (dependency projects left out), in Playwright's order.
    pub tests: Vec<ListedTest>,
    pub root_dir: String,
}

/// The groups of a `playwright test --list --reporter=json` report.
#[napi(js_name = "__reportGroups")]
pub fn report_groups(
    report: String,
    #[napi(ts_arg_type = "'auto' | 'file' | 'test' | undefined")] group_by_option: Option<Loose>,
) -> napi::Result<ReportGroups, &'static str> {
    sync(|| {
        let parsed = parse_report(&report, group_by(group_by_option.as_ref())?)?;
        let suite = parsed.suite();
        let tests = suite
            .tests
            .iter()
            .enumerate()
            .filter(|(i, _)| !suite.dependency[*i])
            .map(|(i, t)| ListedTest {
                key: t.key.clone(),
                project: t.id.project.clone(),
                file: t.id.file.clone(),
                root_file: t.id.file.clone(),
                title_path: t.id.title_path.clone(),
                list_line: playwright::test_list_line(&suite, i),
            })
            .collect();
        Ok(ReportGroups {
            groups: js_groups(&Grouping::of(&suite)),
            tests,
            root_dir: parsed.root_dir,
        })
    })
}

/// Per-test durations folded into groups (`applyHistory` of the JS API):
/// `groups[i]` is the list of test keys of group i; `durations[k]` and
/// `failed[k]` are known for the k-th key in that order (NaN: unknown).
/// Returns per group its duration (NaN: none) and whether a test failed
/// last run.
#[napi(js_name = "__foldDurations")]
pub fn fold_durations(
    counts: Vec<u32>,
    durations: Vec<f64>,
    failed: Vec<bool>,
) -> napi::Result<FoldedDurations, &'static str> {
    sync(|| {
        let total: usize = counts.iter().map(|&c| c.max(1) as usize).sum();
        if durations.len() != total || failed.len() != total {
            return Err(Error::Internal("fold: columns of different lengths".into()));
        }
        let mut groups: Vec<crate::shard::Group> = counts
            .iter()
            .enumerate()
            .map(|(i, &c)| crate::shard::Group {
                id: i.to_string(),
                tests: (0..c).map(|k| k.to_string()).collect(),
                ..Default::default()
            })
            .collect();
        let per_test: Vec<playwright::Known> = durations
            .iter()
            .zip(&failed)
            .map(|(&ms, &f)| playwright::Known {
                ms: (!ms.is_nan()).then_some(ms),
                failed_last_run: f,
            })
            .collect();
        let with_duration = playwright::fold(&mut groups, &per_test) as u32;
        Ok(FoldedDurations {
            duration_ms: groups
                .iter()
                .map(|g| g.duration_ms.unwrap_or(f64::NAN))
                .collect(),
            failed_last_run: groups.iter().map(|g| g.failed_last_run).collect(),
            with_duration,
        })
    })
}

#[napi(object, object_from_js = false)]
pub struct FoldedDurations {
    pub duration_ms: Vec<f64>,
    pub failed_last_run: Vec<bool>,
    pub with_duration: u32,
}

/// The keys of many tests at once: `tests` is the JSON text of
/// `[[project, file, titlePath, repeatEachIndex], …]`.
#[napi(js_name = "__testKeys")]
pub fn test_keys(tests: String) -> napi::Result<Vec<String>, &'static str> {
    sync(|| {
        let list: Vec<(String, String, Vec<String>, u32)> =
            serde_json::from_str(&tests).map_err(|e| Error::Internal(format!("test keys: {e}")))?;
        Ok(list
            .into_iter()
            .map(|(project, file, titles, repeat)| {
                playwright::repeat_key(TestId::new(project, &file, titles).key(), repeat)
            })
            .collect())
    })
}

/// The suite a batch's Playwright process loaded (flattened by
/// js/playwright/suite.js in the batch reporter's `preprocess`) as
/// `shardwright run` queues it, when a machine alone runs it in one pass:
/// `{ groups, byCount, fingerprint, tests, order, skip }` — `order`: the
/// files as `[project, file]`, longest group first; `skip`: indexes of the
/// suite's tests that are quarantined (`quarantined` keys).
#[napi(js_name = "__runSuitePlan", ts_return_type = "any")]
pub fn run_suite_plan(
    suite: String,
    history: Option<&HistoryStore>,
    quarantined: Option<Vec<String>>,
) -> napi::Result<Value, &'static str> {
    sync(|| {
        let live = LiveSuite::parse(&suite)?.into_suite()?;
        let mut plan = QueuePlan::of(&live, history.map(HistoryStore::history));
        let order = plan.longest_first();
        let skip = playwright::quarantined_tests(&live, &quarantined.unwrap_or_default());
        Ok(json!({
            "groups": plan.groups.iter().map(|g| json!({
                "id": g.id, "project": g.project, "file": g.file, "tests": g.tests,
                "lines": g.lines, "expectedMs": g.expected_ms,
            })).collect::<Vec<_>>(),
            "byCount": plan.by_count,
            "fingerprint": plan.fingerprint,
            "tests": live.planned_keys().count(),
            "order": order,
            "quarantined": skip.iter().map(|&i| live.tests[i].key.clone()).collect::<Vec<_>>(),
            "skip": skip,
        }))
    })
}

/// What `shardwright run` handles of a config itself — its web servers and
/// the reporters of the merged report — from what js/run/wrap-config.js
/// wrote while Playwright loaded it.
#[napi(js_name = "__runConfig", ts_return_type = "any")]
pub fn run_config(dump: String) -> napi::Result<Value, &'static str> {
    sync(|| {
        let c = playwright::webserver::run_config(&dump)?;
        serde_json::to_value(c).map_err(|e| Error::Internal(e.to_string()))
    })
}

/// A batch's streamed events (complete lines of the file
/// js/run/batch-reporter.js appends to): `{ began: [key], tests: [{ key,
/// status, final, attempt }], errors, end, unreadable }`.
#[napi(js_name = "__runEvents", ts_return_type = "any")]
pub fn run_events(text: String) -> Value {
    let e = playwright::stream::read(&text);
    json!({
        "began": e.began,
        "tests": e.tests.into_iter().map(|t| json!({
            "key": t.key, "status": t.status, "final": t.is_final, "attempt": t.attempt,
        })).collect::<Vec<_>>(),
        "errors": e.errors,
        "end": e.end,
        "unreadable": e.unreadable,
        "suite": e.suite,
    })
}

/// A run's share of the wrapper config beside the config of `playwright
/// test <args>` run in `cwd` (src/playwright/wrapper.rs), written when no
/// run of `host` has it: `null` without a config file. Taken before the
/// run's first Playwright process starts, released when its last has ended.
#[napi(js_name = "__leaseRunWrapper")]
pub fn lease_run_wrapper(
    cwd: String,
    args: Vec<String>,
    host: String,
    adapt: String,
) -> napi::Result<Option<RunWrapperLease>, &'static str> {
    sync(|| {
        let Some(l) = playwright::config::locate(std::path::Path::new(&cwd), &args) else {
            return Ok(None);
        };
        let wrapper = Wrapper::new(&l, &host, std::path::Path::new(&adapt));
        let lease = wrapper.lease()?;
        Ok(Some(RunWrapperLease {
            file: wrapper.path.to_string_lossy().into_owned(),
            config_file: l.file.to_string_lossy().into_owned(),
            config_dir: l.dir.to_string_lossy().into_owned(),
            args: l.args,
            lease: Some(lease),
        }))
    })
}

/// Returned by `__leaseRunWrapper` only (no constructor).
#[napi]
pub struct RunWrapperLease {
    /// The wrapper, beside the config.
    #[napi(readonly)]
    pub file: String,
    #[napi(readonly)]
    pub config_file: String,
    #[napi(readonly)]
    pub config_dir: String,
    /// The command's arguments without its `-c`/`--config`.
    #[napi(readonly)]
    pub args: Vec<String>,
    lease: Option<WrapperLease>,
}

#[napi]
impl RunWrapperLease {
    /// Ends the share: `true` when it was the last and the file is removed.
    #[napi]
    pub fn release(&mut self) -> bool {
        self.lease.take().is_some_and(WrapperLease::release)
    }
}
