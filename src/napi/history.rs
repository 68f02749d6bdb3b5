//! The history and flaky analysis for JS: [`HistoryStore`] wraps the engine's
//! history; `js/history.js` is the API users see (`History`, `loadHistory`,
//! `flakyReport`).
//!
//! A run crosses as one JSON string and a report comes back as one: with
//! 100,000 attempts that is two crossings instead of a million field reads.

use std::path::PathBuf;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use super::retry::patterns;
use super::runtime::{spawn, sync};
use super::value::{json, loose_options, Loose};
use crate::classify::{Classifier, PatternSpec};
use crate::config;
use crate::error::{Error, Result};
use crate::flaky::incident::{self, IncidentOptions};
use crate::flaky::retry_decision::{self, FlakyKeys};
use crate::flaky::{self, FlakyOptions, QuarantineRule};
use crate::history::import::read_report;
use crate::history::store::{self, LoadOptions, Recovered};
use crate::history::{History, Limits, RunInput};

/// How a history is opened and bounded.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct HistoryOptions {
    /// When the file is corrupted, truncated or of another version: keep it
    /// as `<file>.bad-<hash>` and start with an empty history instead of
    /// throwing `ERR_SHARDWRIGHT_HISTORY`.
    /// @default false
    #[napi(ts_type = "boolean")]
    pub reset: Option<Loose>,
    /// Runs kept per test (the latest ones).
    /// @default 20 (or what the file says)
    #[napi(ts_type = "number")]
    pub max_runs: Option<Loose>,
    /// Days after which a test that stopped running is forgotten; 0 keeps
    /// tests forever.
    /// @default 60 (or what the file says)
    #[napi(ts_type = "number")]
    pub max_age_days: Option<Loose>,
}

loose_options!(HistoryOptions, "a History", [], {
    reset => "reset",
    max_runs => "maxRuns",
    max_age_days => "maxAgeDays",
});

impl HistoryOptions {
    fn resolve(&self) -> Result<LoadOptions> {
        Ok(LoadOptions {
            reset: config::boolean("reset", json(&self.reset))?.unwrap_or(false),
            max_runs: config::whole(
                "maxRuns",
                json(&self.max_runs),
                1,
                u64::from(Limits::MAX_RUNS_CAP),
            )?
            .map(|n| n as u32),
            max_age_days: config::whole("maxAgeDays", json(&self.max_age_days), 0, 36_500)?
                .map(|n| n as u32),
        })
    }
}

/// Flaky detection thresholds and the quarantine list.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct FlakyReportOptions {
    /// Latest runs of each test that are judged.
    /// @default 20
    #[napi(ts_type = "number")]
    pub window: Option<Loose>,
    /// Score (0–1) from which a test is flaky.
    /// @default 0.1
    #[napi(ts_type = "number")]
    pub flaky_threshold: Option<Loose>,
    /// Score (0–1) from which a flaky test is quarantined.
    /// @default 0.3
    #[napi(ts_type = "number")]
    pub quarantine_threshold: Option<Loose>,
    /// Consecutive failing runs (up to the latest) that make a test broken.
    /// @default 3
    #[napi(ts_type = "number")]
    pub broken_after: Option<Loose>,
    /// Runs after which an event's weight in the score halves.
    /// @default 10
    #[napi(ts_type = "number")]
    pub half_life: Option<Loose>,
    /// Tests quarantined whatever their score: test keys, key prefixes
    /// (`'chromium › cart.spec.ts'`) or RegExps over the key.
    /// @default []
    #[napi(ts_type = "Array<string | RegExp>")]
    pub quarantine: Option<Loose>,
    /// The run the report's `run` section describes.
    /// @default the newest run
    #[napi(ts_type = "string")]
    pub run_id: Option<Loose>,
    /// `generatedAt` in ms since the epoch, for reproducible reports.
    /// @default now
    #[napi(ts_type = "number")]
    pub now: Option<Loose>,
    /// Distinct runs that must show a test's flakiness before it is
    /// quarantined.
    /// @default 2
    #[napi(ts_type = "number")]
    pub quarantine_min_runs: Option<Loose>,
    /// Clean runs in a row after which a quarantined test leaves quarantine.
    /// @default 10
    #[napi(ts_type = "number")]
    pub quarantine_release_after: Option<Loose>,
    /// Infrastructure incidents: fewest tests of a run (or of one project
    /// of it) failing with one error signature.
    /// @default 10
    #[napi(ts_type = "number")]
    pub incident_min_tests: Option<Loose>,
    /// Infrastructure incidents: smallest share (0–1) of the run's (or
    /// project's) tests failing with it.
    /// @default 0.2
    #[napi(ts_type = "number")]
    pub incident_min_share: Option<Loose>,
    /// Infrastructure incidents: fewest distinct files among those tests.
    /// @default 3
    #[napi(ts_type = "number")]
    pub incident_min_files: Option<Loose>,
    /// Share (0–1) of an incident's tests that keep failing afterwards
    /// which makes it a regression instead.
    /// @default 0.5
    #[napi(ts_type = "number")]
    pub incident_regression_share: Option<Loose>,
    /// Error patterns (substrings or RegExps) that are retryable, checked
    /// before the built-in rules: classifies the history's errors (addRun)
    /// and the report's evidence.
    /// @default []
    #[napi(ts_type = "Array<string | RegExp>")]
    pub retryable: Option<Loose>,
    /// Error patterns that are permanent (checked before `retryable`).
    /// @default []
    #[napi(ts_type = "Array<string | RegExp>")]
    pub permanent: Option<Loose>,
    /// Whether an error no rule recognises is retryable.
    /// @default true
    #[napi(ts_type = "boolean")]
    pub retry_unknown: Option<Loose>,
    /// The quarantine list (test keys) as printed when the report's run
    /// began: the run's failures are judged against it.
    /// @default the quarantine as of the run's start, from the history
    #[napi(ts_type = "string[]")]
    pub start_quarantine: Option<Loose>,
}

loose_options!(FlakyReportOptions, "an analyze()", [], {
    window => "window",
    flaky_threshold => "flakyThreshold",
    quarantine_threshold => "quarantineThreshold",
    broken_after => "brokenAfter",
    half_life => "halfLife",
    quarantine => "quarantine",
    run_id => "runId",
    now => "now",
    quarantine_min_runs => "quarantineMinRuns",
    quarantine_release_after => "quarantineReleaseAfter",
    incident_min_tests => "incidentMinTests",
    incident_min_share => "incidentMinShare",
    incident_min_files => "incidentMinFiles",
    incident_regression_share => "incidentRegressionShare",
    retryable => "retryable",
    permanent => "permanent",
    retry_unknown => "retryUnknown",
    start_quarantine => "startQuarantine",
});

/// The callbacks `flakyReport()` keeps in JS.
const FLAKY_CALLBACKS: [&str; 6] = [
    "onReport",
    "onFlaky",
    "onBroken",
    "onFailing",
    "onFixed",
    "onQuarantined",
];

/// Checks every option of `flakyReport()` (the analysis's, `maxRuns` and
/// `maxAgeDays` for loading, the callbacks) before anything is read, so a
/// misspelt field or a RegExp that does not compile fails at once.
#[napi(
    js_name = "__checkFlakyReportOptions",
    ts_args_type = "options: Record<string, unknown>"
)]
pub fn check_flaky_report_options(options: Option<Loose>) -> napi::Result<(), &'static str> {
    sync(|| {
        let mut known: Vec<&str> = FlakyReportOptions::FIELDS.to_vec();
        known.extend_from_slice(&["maxRuns", "maxAgeDays"]);
        known.extend_from_slice(&FLAKY_CALLBACKS);
        let map = config::fields(
            "options",
            options.as_ref().map(|l| &l.0),
            &known,
            "a flakyReport()",
            "",
        )?;
        FlakyReportOptions::from_map(map).resolve()?;
        HistoryOptions::from_map(map).resolve()?;
        Ok(())
    })
}

impl FlakyReportOptions {
    fn resolve(&self) -> Result<FlakyOptions> {
        let d = FlakyOptions::DEFAULT;
        let di = IncidentOptions::DEFAULT;
        let quarantine = match json(&self.quarantine) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let field = format!("quarantine[{i}]");
                    let spec: PatternSpec = serde_json::from_value(item.clone()).map_err(|_| {
                        Error::invalid(
                            &field,
                            config::show(item),
                            "a test key, a key prefix or a RegExp",
                        )
                    })?;
                    QuarantineRule::from_spec(&field, &spec)
                })
                .collect::<Result<_>>()?,
            Some(other) => {
                return Err(Error::invalid(
                    "quarantine",
                    config::show(other),
                    "an array of test keys, key prefixes or RegExps",
                ))
            }
        };
        let opts = FlakyOptions {
            window: config::whole("window", json(&self.window), 1, 1000)?
                .map_or(d.window, |n| n as u32),
            flaky_threshold: config::number("flakyThreshold", json(&self.flaky_threshold))?
                .unwrap_or(d.flaky_threshold),
            quarantine_threshold: config::number(
                "quarantineThreshold",
                json(&self.quarantine_threshold),
            )?
            .unwrap_or(d.quarantine_threshold),
            broken_after: config::whole("brokenAfter", json(&self.broken_after), 1, 1000)?
                .map_or(d.broken_after, |n| n as u32),
            half_life: config::number("halfLife", json(&self.half_life))?.unwrap_or(d.half_life),
            quarantine,
            run_id: config::string("runId", json(&self.run_id))?,
            now_ms: config::number("now", json(&self.now))?.map(|n| n as i64),
            max_evidence: d.max_evidence,
            quarantine_min_runs: config::whole(
                "quarantineMinRuns",
                json(&self.quarantine_min_runs),
                1,
                1000,
            )?
            .map_or(d.quarantine_min_runs, |n| n as u32),
            quarantine_release_after: config::whole(
                "quarantineReleaseAfter",
                json(&self.quarantine_release_after),
                1,
                1000,
            )?
            .map_or(d.quarantine_release_after, |n| n as u32),
            incidents: IncidentOptions {
                min_tests: config::whole(
                    "incidentMinTests",
                    json(&self.incident_min_tests),
                    1,
                    1_000_000,
                )?
                .map_or(di.min_tests, |n| n as u32),
                min_share: config::number_in(
                    "incidentMinShare",
                    json(&self.incident_min_share),
                    f64::MIN_POSITIVE..=1.0,
                    "a number above 0 and at most 1",
                )?
                .unwrap_or(di.min_share),
                min_files: config::whole(
                    "incidentMinFiles",
                    json(&self.incident_min_files),
                    1,
                    1_000_000,
                )?
                .map_or(di.min_files, |n| n as u32),
                regression_share: config::number_in(
                    "incidentRegressionShare",
                    json(&self.incident_regression_share),
                    f64::MIN_POSITIVE..=1.0,
                    "a number above 0 and at most 1",
                )?
                .unwrap_or(di.regression_share),
            },
            classifier: self.classifier()?,
            start_quarantine: match json(&self.start_quarantine) {
                None | Some(Value::Null) => None,
                Some(Value::Array(items)) => Some(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| match item {
                            Value::String(k) => Ok(k.clone()),
                            other => Err(Error::invalid(
                                format!("startQuarantine[{i}]"),
                                config::show(other),
                                "a test key",
                            )),
                        })
                        .collect::<Result<_>>()?,
                ),
                Some(other) => {
                    return Err(Error::invalid(
                        "startQuarantine",
                        config::show(other),
                        "an array of test keys",
                    ))
                }
            },
        };
        opts.validate()?;
        Ok(opts)
    }

    /// The user's patterns, when any option about them is given.
    fn classifier(&self) -> Result<Option<Classifier>> {
        // `undefined` / `null` (JS spreads them in) is no pattern: the
        // stored classification stands.
        let given = |v: Option<&Value>| !matches!(v, None | Some(Value::Null));
        if !given(json(&self.retryable))
            && !given(json(&self.permanent))
            && !given(json(&self.retry_unknown))
        {
            return Ok(None);
        }
        Classifier::new(
            &patterns("retryable", json(&self.retryable))?,
            &patterns("permanent", json(&self.permanent))?,
            config::boolean("retryUnknown", json(&self.retry_unknown))?.unwrap_or(true),
        )
        .map(Some)
    }
}

#[napi(object)]
pub struct RecoveredInfo {
    /// What was wrong with the file.
    pub problem: String,
    /// Where the bad file was kept.
    pub backup: String,
}

impl From<&Recovered> for RecoveredInfo {
    fn from(r: &Recovered) -> Self {
        RecoveredInfo {
            problem: r.problem.clone(),
            backup: r.backup.display().to_string(),
        }
    }
}

#[napi(object)]
pub struct AddRunResult {
    pub run_id: String,
    /// False when the run id was already in the history (then only tests it
    /// did not have for that run were added).
    pub new_run: bool,
    pub tests: u32,
    pub attempts: u32,
}

#[napi(object)]
pub struct ImportResult {
    #[napi(ts_type = "'playwright-json' | 'junit'")]
    pub format: String,
    pub run_id: String,
    pub new_run: bool,
    pub tests: u32,
    pub attempts: u32,
}

#[napi(object)]
pub struct MergeResult {
    pub runs_added: u32,
    pub runs_shared: u32,
    pub tests_added: u32,
    pub attempts_added: u32,
}

impl From<crate::history::MergeSummary> for MergeResult {
    fn from(m: crate::history::MergeSummary) -> Self {
        MergeResult {
            runs_added: m.runs_added as u32,
            runs_shared: m.runs_shared as u32,
            tests_added: m.tests_added as u32,
            attempts_added: m.attempts_added as u32,
        }
    }
}

#[napi(object)]
pub struct SaveResult {
    pub path: String,
    pub bytes: u32,
    pub runs: u32,
    pub tests: u32,
    /// Runs another writer had saved to the file meanwhile, merged in.
    pub merged: MergeResult,
    /// Set when the file on disk was unreadable and was kept aside.
    pub recovered: Option<RecoveredInfo>,
}

/// Estimates for a batch of keys, as parallel arrays (one crossing).
#[napi(object)]
pub struct EstimateBatch {
    pub ms: Vec<f64>,
    #[napi(ts_type = "Array<'history' | 'file' | 'suite' | 'default'>")]
    pub source: Vec<String>,
    pub samples: Vec<u32>,
}

#[napi(object)]
pub struct ShardMeta {
    pub index: u32,
    pub total: u32,
    pub fingerprint: Option<String>,
    pub predicted_ms: Option<f64>,
    pub actual_ms: Option<f64>,
}

#[napi(object)]
pub struct RunInfo {
    pub id: String,
    /// Milliseconds since the epoch.
    pub started_at: f64,
    pub ended_at: Option<f64>,
    pub commit: Option<String>,
    pub shard: Option<ShardMeta>,
    pub source: Option<String>,
}

/// The engine's history. Use `History` from `shardwright` (js/history.js),
/// which wraps it.
#[napi]
pub struct HistoryStore {
    inner: History,
    path: Option<PathBuf>,
    existed: bool,
    recovered: Option<Recovered>,
    classifier: Classifier,
    /// How incidents are detected when runs are added (the options of the
    /// last `addRun` that gave any).
    incidents: (IncidentOptions, u32),
}

fn default_recording() -> (IncidentOptions, u32) {
    (IncidentOptions::DEFAULT, FlakyOptions::DEFAULT.broken_after)
}

fn open(path: String, options: Option<Loose>) -> Result<HistoryStore> {
    let opts = HistoryOptions::from_loose(options.as_ref())?.resolve()?;
    let path = PathBuf::from(path);
    let loaded = store::load(&path, &opts)?;
    Ok(HistoryStore {
        inner: loaded.history,
        path: Some(path),
        existed: loaded.existed,
        recovered: loaded.recovered,
        classifier: Classifier::default(),
        incidents: default_recording(),
    })
}

impl HistoryStore {
    /// The engine's history, for the other bindings (planning).
    pub(super) fn history(&self) -> &History {
        &self.inner
    }
}

#[napi]
impl HistoryStore {
    /// Reads a history file (a missing file is an empty history).
    #[napi(
        factory,
        ts_args_type = "path: string, options?: HistoryOptions | undefined | null"
    )]
    pub fn load(path: String, options: Option<Loose>) -> napi::Result<Self, &'static str> {
        sync(|| open(path, options))
    }

    #[napi(factory, ts_args_type = "options?: HistoryOptions | undefined | null")]
    pub fn empty(options: Option<Loose>) -> napi::Result<Self, &'static str> {
        sync(|| {
            let opts = HistoryOptions::from_loose(options.as_ref())?.resolve()?;
            let limits = Limits {
                max_runs: opts.max_runs.unwrap_or(Limits::DEFAULT.max_runs),
                max_age_days: opts.max_age_days.unwrap_or(Limits::DEFAULT.max_age_days),
            };
            Ok(HistoryStore {
                inner: History::new(limits),
                path: None,
                existed: false,
                recovered: None,
                classifier: Classifier::default(),
                incidents: default_recording(),
            })
        })
    }

    /// Adds a whole run given as JSON text (see `History.addRun`). `options`
    /// (the same as `analyze`'s) give the user's error patterns for
    /// classifying its errors and the incident thresholds; the history's
    /// infrastructure incidents are detected again.
    #[napi]
    pub fn add_run_json(
        &mut self,
        run: String,
        options: Option<FlakyReportOptions>,
    ) -> napi::Result<AddRunResult, &'static str> {
        sync(|| {
            let classifier = match &options {
                Some(o) => {
                    let opts = o.resolve()?;
                    self.incidents = (opts.incidents, opts.broken_after);
                    opts.classifier
                }
                None => None,
            };
            let classifier = classifier.as_ref().unwrap_or(&self.classifier);
            let (meta, attempts) = RunInput::from_json(&run)?.resolve(classifier)?;
            let run_id = meta.id.clone();
            let s = self.inner.add_run(meta, attempts);
            self.record_incidents();
            Ok(AddRunResult {
                run_id,
                new_run: s.new_run,
                tests: s.tests as u32,
                attempts: s.attempts as u32,
            })
        })
    }

    /// Adds the run of a Playwright JSON report or a JUnit XML file.
    #[napi]
    pub fn import_report(&mut self, path: String) -> napi::Result<ImportResult, &'static str> {
        sync(|| {
            let file = std::path::Path::new(&path);
            let (format, input) = read_report(file)?;
            // A bad value inside the report names the report.
            let (meta, attempts) = input.resolve(&self.classifier).map_err(|e| match e {
                Error::InvalidValue { .. } => Error::Report {
                    path: file.into(),
                    problem: e.to_string(),
                },
                other => other,
            })?;
            let run_id = meta.id.clone();
            let s = self.inner.add_run(meta, attempts);
            self.record_incidents();
            Ok(ImportResult {
                format: format.name().to_string(),
                run_id,
                new_run: s.new_run,
                tests: s.tests as u32,
                attempts: s.attempts as u32,
            })
        })
    }

    /// Saves atomically under a lock, merging what another writer saved
    /// meanwhile. `path` defaults to the file it was loaded from.
    #[napi]
    pub fn save(&mut self, path: Option<String>) -> napi::Result<SaveResult, &'static str> {
        sync(|| {
            let path = path
                .map(PathBuf::from)
                .or_else(|| self.path.clone())
                .unwrap_or_else(|| PathBuf::from(store::DEFAULT_PATH));
            let s = store::save(&mut self.inner, &path)?;
            self.path = Some(path);
            self.existed = true;
            Ok(SaveResult {
                path: s.path.display().to_string(),
                bytes: s.bytes as u32,
                runs: s.runs as u32,
                tests: s.tests as u32,
                merged: s.merged.into(),
                recovered: s.recovered.as_ref().map(Into::into),
            })
        })
    }

    /// Adds the other history's runs (matched by id: none is duplicated).
    #[napi]
    pub fn merge(&mut self, other: &HistoryStore) -> napi::Result<MergeResult, &'static str> {
        sync(|| {
            let m = self.inner.merge(&other.inner);
            self.record_incidents();
            Ok(m.into())
        })
    }

    /// The infrastructure incidents the history records (detected when runs
    /// are added or merged).
    #[napi]
    pub fn incidents(&self) -> Vec<IncidentInfo> {
        self.inner
            .incidents()
            .iter()
            .map(|i| IncidentInfo {
                run_id: i.run_id.clone(),
                project: i.project.clone(),
                signature: i.signature.clone(),
                tests: i.tests,
                files: i.files,
                ran: i.ran,
                confirmed: i.confirmed,
                streak: i.streak,
            })
            .collect()
    }

    /// The keys of the tests with flaky history (flakiness evidence in
    /// their judged runs, a flaky verdict, or quarantine), sorted: a retry
    /// of these is never skipped.
    #[napi]
    pub fn flaky_keys(
        &self,
        options: Option<FlakyReportOptions>,
    ) -> napi::Result<Vec<String>, &'static str> {
        sync(|| {
            let opts = options.unwrap_or_default().resolve()?;
            Ok(FlakyKeys::from_history(&self.inner, &opts).keys())
        })
    }

    /// Writes the flaky keys to `path` (atomically), for `decideRetry` in
    /// Playwright workers: `{"format":"shardwright-flaky-keys","version":1,
    /// "generatedAt":…,"keys":[…]}`.
    #[napi]
    pub fn write_flaky_keys(
        &self,
        path: String,
        options: Option<FlakyReportOptions>,
    ) -> napi::Result<FlakyKeysFile, &'static str> {
        sync(|| {
            let opts = options.unwrap_or_default().resolve()?;
            self.write_keys(PathBuf::from(path), &opts)
        })
    }

    /// [`HistoryStore::write_flaky_keys`] with the options of the reporter's
    /// settings (`withShardwright`/reporter options and `SHARDWRIGHT_*`), as
    /// `analyzeSettingsJson` judges: what the reporter writes at a run's
    /// start for `shardwright/test`.
    #[napi]
    pub fn write_flaky_keys_settings(
        &self,
        path: String,
        #[napi(ts_arg_type = "Record<string, unknown> | undefined")] settings: Option<Loose>,
    ) -> napi::Result<FlakyKeysFile, &'static str> {
        sync(|| {
            let settings = match settings.map(|l| l.0) {
                None | Some(Value::Null) => serde_json::Map::new(),
                Some(Value::Object(m)) => m,
                Some(other) => {
                    return Err(Error::invalid("options", config::show(&other), "an object"))
                }
            };
            let opts = crate::config::Config::from_env(&settings)?
                .flaky
                .options()?;
            self.write_keys(PathBuf::from(path), &opts)
        })
    }

    /// Whether the test `key`, whose attempt failed with `error`, should be
    /// retried, judged on this history (see `decideRetry`).
    #[napi(
        ts_args_type = "key: string, error: string | { name?: string; message?: string }, options?: FlakyReportOptions"
    )]
    pub fn decide_retry(
        &self,
        key: String,
        error: Loose,
        options: Option<FlakyReportOptions>,
    ) -> napi::Result<RetryDecisionResult, &'static str> {
        sync(|| {
            let opts = options.unwrap_or_default().resolve()?;
            let (name, message) = error_of(&error.0)?;
            let flaky = match self.inner.test(&key) {
                None => opts.quarantine.iter().any(|r| r.matches(&key)),
                Some(t) => {
                    let detected =
                        incident::detect(&self.inner, &opts.incidents, opts.broken_after);
                    let mut judge = flaky::Judge::new(&self.inner, &opts, &detected);
                    let v = judge.judge(t);
                    !v.evidence_runs.is_empty()
                        || v.verdict == flaky::Verdict::Flaky
                        || v.quarantine.quarantined
                        || opts.quarantine.iter().any(|r| r.matches(&key))
                }
            };
            let classifier = opts.classifier.unwrap_or_default();
            Ok(retry_decision::decide(&key, name.as_deref(), &message, &classifier, flaky).into())
        })
    }

    #[napi]
    pub fn estimates(&self, keys: Vec<String>) -> EstimateBatch {
        let all = self.inner.estimates(&keys);
        EstimateBatch {
            ms: all.iter().map(|e| e.ms).collect(),
            source: all.iter().map(|e| e.source.name().to_string()).collect(),
            samples: all.iter().map(|e| e.samples).collect(),
        }
    }

    #[napi(
        ts_return_type = "Array<'passed' | 'failed' | 'flaky' | 'skipped' | 'interrupted' | null>"
    )]
    pub fn last_outcomes(&self, keys: Vec<String>) -> Vec<Option<String>> {
        self.inner
            .last_outcomes(&keys)
            .into_iter()
            .map(|o| o.map(|o| o.name().to_string()))
            .collect()
    }

    /// The flaky report as JSON text, with the options of the reporter's
    /// settings (`withShardwright`/reporter options and `SHARDWRIGHT_*`,
    /// and a command's `flags` above both): what every way of running
    /// judges its run with.
    #[napi]
    pub fn analyze_settings_json(
        &self,
        #[napi(ts_arg_type = "Record<string, unknown> | undefined")] settings: Option<Loose>,
        run_id: Option<String>,
        #[napi(ts_arg_type = "Record<string, unknown> | undefined")] flags: Option<Loose>,
    ) -> napi::Result<String, &'static str> {
        sync(|| {
            let settings = Loose::object("options", settings)?;
            let flags = Loose::object("flags", flags)?;
            let mut opts = crate::config::Config::with_flags(&settings, &flags)?
                .flaky
                .options()?;
            opts.run_id = run_id;
            let report = flaky::analyze(&self.inner, &opts)?;
            serde_json::to_string(&report).map_err(|e| Error::Internal(e.to_string()))
        })
    }

    /// The flaky report as JSON text (parsed by js/history.js).
    #[napi(ts_args_type = "options?: FlakyReportOptions | undefined | null")]
    pub fn analyze_json(&self, options: Option<Loose>) -> napi::Result<String, &'static str> {
        sync(|| {
            let opts = FlakyReportOptions::from_loose(options.as_ref())?.resolve()?;
            let report = flaky::analyze(&self.inner, &opts)?;
            serde_json::to_string(&report).map_err(|e| Error::Internal(e.to_string()))
        })
    }

    #[napi]
    pub fn runs(&self) -> Vec<RunInfo> {
        self.inner
            .runs()
            .iter()
            .map(|r| RunInfo {
                id: r.id.clone(),
                started_at: r.started_at as f64,
                ended_at: r.ended_at.map(|t| t as f64),
                commit: r.commit.clone(),
                shard: r.shard.as_ref().map(|s| ShardMeta {
                    index: s.index,
                    total: s.total,
                    fingerprint: s.fingerprint.clone(),
                    predicted_ms: s.predicted_ms,
                    actual_ms: s.actual_ms,
                }),
                source: r.source.clone(),
            })
            .collect()
    }

    #[napi]
    pub fn test_keys(&self) -> Vec<String> {
        self.inner.tests().iter().map(|t| t.key.clone()).collect()
    }

    #[napi(getter)]
    pub fn run_count(&self) -> u32 {
        self.inner.runs().len() as u32
    }

    #[napi(getter)]
    pub fn test_count(&self) -> u32 {
        self.inner.tests().len() as u32
    }

    #[napi(getter)]
    pub fn attempt_count(&self) -> u32 {
        self.inner.attempt_count() as u32
    }

    #[napi(getter)]
    pub fn max_runs(&self) -> u32 {
        self.inner.limits().max_runs
    }

    /// The file it was loaded from or last saved to.
    #[napi(getter)]
    pub fn path(&self) -> Option<String> {
        self.path.as_ref().map(|p| p.display().to_string())
    }

    /// Whether the file existed when loaded.
    #[napi(getter)]
    pub fn existed(&self) -> bool {
        self.existed
    }

    /// Set when `reset` set a bad file aside.
    #[napi(getter)]
    pub fn recovered(&self) -> Option<RecoveredInfo> {
        self.recovered.as_ref().map(Into::into)
    }
}

impl HistoryStore {
    fn record_incidents(&mut self) {
        let (opts, broken_after) = self.incidents;
        incident::record(&mut self.inner, &opts, broken_after);
    }

    /// Writes the flaky keys judged with `opts` to `path`, atomically.
    fn write_keys(&self, path: PathBuf, opts: &FlakyOptions) -> Result<FlakyKeysFile> {
        let keys = FlakyKeys::from_history(&self.inner, opts);
        let at = crate::history::time::format_iso(
            opts.now_ms.unwrap_or_else(crate::history::time::now_ms),
        );
        write_atomic(&path, keys.to_json(&at).as_bytes())?;
        Ok(FlakyKeysFile {
            path: path.display().to_string(),
            keys: keys.len() as u32,
        })
    }
}

#[napi(object)]
pub struct IncidentInfo {
    pub run_id: String,
    /// The project it hit; absent for the whole run.
    pub project: Option<String>,
    pub signature: String,
    pub tests: u32,
    pub files: u32,
    pub ran: u32,
    pub confirmed: bool,
    pub streak: u32,
}

#[napi(object)]
pub struct FlakyKeysFile {
    pub path: String,
    pub keys: u32,
}

#[napi(object)]
pub struct RetryDecisionResult {
    pub retry: bool,
    #[napi(ts_type = "'flaky-history' | 'permanent' | 'retryable' | 'no-history'")]
    pub reason: String,
    #[napi(ts_type = "'retryable' | 'permanent'")]
    pub class: String,
    pub rule: String,
    pub message: String,
}

impl From<retry_decision::RetryDecision> for RetryDecisionResult {
    fn from(d: retry_decision::RetryDecision) -> Self {
        RetryDecisionResult {
            retry: d.retry,
            reason: d.reason.to_string(),
            class: d.class.name().to_string(),
            rule: d.rule,
            message: d.message,
        }
    }
}

/// `(name, message)` of an error given as a string or `{ name, message }`.
fn error_of(value: &Value) -> Result<(Option<String>, String)> {
    match value {
        Value::String(m) => Ok((None, m.clone())),
        Value::Object(o) => {
            let text = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_string);
            let message = text("message")
                .or_else(|| text("value"))
                .unwrap_or_default();
            Ok((text("name"), message))
        }
        other => Err(Error::invalid(
            "error",
            config::show(other),
            "an error message or { name, message }",
        )),
    }
}

fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{:08x}",
        path.file_name()
            .map_or("flaky-keys".into(), |n| n.to_string_lossy()),
        std::process::id(),
        rand::random::<u32>()
    ));
    let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io("write", &tmp, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::io("write", &tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io("write", path, e))
}

/// What `decideRetry` is asked.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct RetryDecisionInput {
    /// The test's key (`project › file › describe › title`).
    #[napi(ts_type = "string")]
    pub key: Option<Loose>,
    /// The first attempt's error: its message, or `{ name, message }`.
    #[napi(ts_type = "string | { name?: string; message?: string }")]
    pub error: Option<Loose>,
    /// The tests with flaky history: the path of a flaky-keys file
    /// (`History#writeFlakyKeys`, read once per process and again when it
    /// changes) or the keys. A missing file means the history is unknown:
    /// the test is retried.
    #[napi(ts_type = "string | string[]")]
    pub flaky_keys: Option<Loose>,
    /// @default []
    #[napi(ts_type = "Array<string | RegExp>")]
    pub retryable: Option<Loose>,
    /// @default []
    #[napi(ts_type = "Array<string | RegExp>")]
    pub permanent: Option<Loose>,
    /// @default true
    #[napi(ts_type = "boolean")]
    pub retry_unknown: Option<Loose>,
}

type KeysCache = std::sync::Mutex<
    std::collections::HashMap<
        PathBuf,
        (
            Option<std::time::SystemTime>,
            u64,
            std::sync::Arc<FlakyKeys>,
        ),
    >,
>;

/// A flaky-keys file, read once per process (again when it changed).
fn keys_file(path: &std::path::Path) -> Result<Option<std::sync::Arc<FlakyKeys>>> {
    static CACHE: std::sync::OnceLock<KeysCache> = std::sync::OnceLock::new();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("read", path, e)),
    };
    let stamp = (meta.modified().ok(), meta.len());
    let cache = CACHE.get_or_init(Default::default);
    if let Some((m, len, keys)) = cache.lock().expect("cache lock").get(path) {
        if (*m, *len) == stamp {
            return Ok(Some(keys.clone()));
        }
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
    let keys = std::sync::Arc::new(FlakyKeys::parse(&bytes).map_err(|problem| Error::History {
        path: path.into(),
        problem,
        backup: None,
    })?);
    cache
        .lock()
        .expect("cache lock")
        .insert(path.to_path_buf(), (stamp.0, stamp.1, keys.clone()));
    Ok(Some(keys))
}

/// Whether a failed test should be retried: not when its failure is
/// permanent by class (a `TypeError`, `ReferenceError`, `SyntaxError`, a
/// user `permanent` pattern) and it has no flaky history; otherwise yes.
/// One cheap call per failed test, for `shardwright/test`.
#[napi]
pub fn decide_retry(input: RetryDecisionInput) -> napi::Result<RetryDecisionResult, &'static str> {
    sync(|| {
        let key = config::string("key", json(&input.key))?
            .ok_or_else(|| Error::invalid("key", "undefined", "a test key"))?;
        let (name, message) = match json(&input.error) {
            None | Some(Value::Null) => {
                return Err(Error::invalid(
                    "error",
                    "undefined",
                    "an error message or { name, message }",
                ))
            }
            Some(v) => error_of(v)?,
        };
        let classifier = Classifier::new(
            &patterns("retryable", json(&input.retryable))?,
            &patterns("permanent", json(&input.permanent))?,
            config::boolean("retryUnknown", json(&input.retry_unknown))?.unwrap_or(true),
        )?;
        let flaky = match json(&input.flaky_keys) {
            None | Some(Value::Null) => None,
            Some(Value::String(path)) => {
                keys_file(std::path::Path::new(path))?.map(|k| k.contains(&key))
            }
            Some(Value::Array(items)) => {
                Some(items.iter().any(|k| k.as_str() == Some(key.as_str())))
            }
            Some(other) => {
                return Err(Error::invalid(
                    "flakyKeys",
                    config::show(other),
                    "the path of a flaky-keys file or an array of test keys",
                ))
            }
        };
        let Some(flaky) = flaky else {
            let c = classifier.classify(&message);
            return Ok(RetryDecisionResult {
                retry: true,
                reason: "no-history".into(),
                class: c.class.name().into(),
                rule: c.rule,
                message: format!("{key}: no flaky keys known (no history yet): retried"),
            });
        };
        Ok(retry_decision::decide(&key, name.as_deref(), &message, &classifier, flaky).into())
    })
}

/// `shardwright report --json` in one call: loads the history at `path`,
/// judges it with the reporter's settings (`settings`, then `SHARDWRIGHT_*`,
/// then the command's `flags`) and returns the report as
/// `JSON.stringify({ ...report, testsOmitted }, null, 2) + "\n"` would write
/// it, with at most `maxTests` tests (all when absent). Nothing but the
/// text crosses to JS, and evidence is gathered only for the tests printed.
#[napi(
    js_name = "__reportFileJson",
    ts_args_type = "path: string, settings?: Record<string, unknown> | undefined | null, flags?: Record<string, unknown> | undefined | null, maxTests?: number | undefined | null"
)]
pub fn report_file_json(
    path: String,
    settings: Option<Loose>,
    flags: Option<Loose>,
    max_tests: Option<f64>,
) -> napi::Result<String, &'static str> {
    sync(|| {
        let settings = Loose::object("options", settings)?;
        let flags = Loose::object("flags", flags)?;
        let max_tests = match max_tests {
            None => None,
            Some(n) if n >= 0.0 && n.fract() == 0.0 => Some(n.min(usize::MAX as f64) as usize),
            Some(n) => return Err(Error::invalid("maxTests", n, "a whole number ≥ 0")),
        };
        let opts = crate::config::Config::with_flags(&settings, &flags)?
            .flaky
            .options()?;
        let loaded = store::load(std::path::Path::new(&path), &LoadOptions::default())?;
        let (report, omitted) = flaky::analyze_bounded(&loaded.history, &opts, max_tests)?;
        // Freeing a million tests' records takes a while: on a thread of
        // its own, while the report is written (inline if none starts).
        let history = loaded.history;
        #[cfg(not(target_family = "wasm"))]
        let _ = std::thread::Builder::new()
            .name("shardwright-free".into())
            .spawn(move || drop(history));
        #[cfg(target_family = "wasm")]
        drop(history);
        let mut out = Vec::with_capacity(1 << 20);
        flaky::write_json_pretty(&mut out, &report, omitted)
            .map_err(|e| Error::Internal(e.to_string()))?;
        String::from_utf8(out).map_err(|e| Error::Internal(e.to_string()))
    })
}

/// `HistoryStore.load` off the JS thread.
#[napi(
    ts_args_type = "path: string, options?: HistoryOptions | undefined | null",
    ts_return_type = "Promise<HistoryStore>"
)]
pub fn load_history_store<'env>(
    env: &'env Env,
    path: String,
    options: Option<Loose>,
) -> napi::Result<PromiseRaw<'env, HistoryStore>, &'static str> {
    // Options are read here, on the JS thread; only plain values move.
    let opts = sync(|| HistoryOptions::from_loose(options.as_ref())?.resolve())?;
    spawn(env, async move {
        tokio::task::spawn_blocking(move || {
            let path = PathBuf::from(path);
            let loaded = store::load(&path, &opts)?;
            Ok(HistoryStore {
                inner: loaded.history,
                path: Some(path),
                existed: loaded.existed,
                recovered: loaded.recovered,
                classifier: Classifier::default(),
                incidents: default_recording(),
            })
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
    })
}
