//! The settings: one typed configuration, each value from (lowest to highest)
//! the engine's default, the options object in `playwright.config.ts`, or an
//! environment variable — so CI can change a value without a code change.
//! Every value is validated here and an error names what the user wrote: the
//! option (`maxWorkers`) or the variable (`SHARDWRIGHT_MAX_WORKERS`).
//!
//! The defaults are the engine's own constants ([`BackoffPolicy::DEFAULT`],
//! [`WorkerOptions::DEFAULT`], [`Config::default`]); the README's table is
//! generated from [`Config::entries`], so docs and code cannot drift.

use serde_json::{Map, Value};

use super::ci::detect_ci;
use super::read;
use crate::backoff::{BackoffPolicy, FieldNames, Jitter};
use crate::classify::PatternSpec;
use crate::error::{Error, Num, Result};
use crate::flaky::{FlakyOptions, QuarantineRule};
use crate::history::Limits;
use crate::resources::WorkerOptions;

/// One setting: its option name, its environment variable, what it means.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub key: &'static str,
    pub env: &'static str,
    pub doc: &'static str,
}

/// Every setting, in the order the docs list them.
pub const SETTINGS: &[Setting] = &[
    Setting { key: "workers", env: "SHARDWRIGHT_WORKERS", doc: "Playwright workers: `auto` (recommended from CPU, memory and load, cgroup-aware) or a fixed number" },
    Setting { key: "minWorkers", env: "SHARDWRIGHT_MIN_WORKERS", doc: "lower bound of the `auto` worker count" },
    Setting { key: "maxWorkers", env: "SHARDWRIGHT_MAX_WORKERS", doc: "upper bound of the `auto` worker count (none: no cap)" },
    Setting { key: "cpusPerWorker", env: "SHARDWRIGHT_CPUS_PER_WORKER", doc: "CPUs one worker needs (browser and test process together)" },
    Setting { key: "memoryPerWorkerMb", env: "SHARDWRIGHT_MEMORY_PER_WORKER_MB", doc: "memory one worker needs, in MiB" },
    Setting { key: "considerLoad", env: "SHARDWRIGHT_CONSIDER_LOAD", doc: "leave CPUs that the machine's load average keeps busy (off: it lags by minutes, e.g. behind a build step)" },
    Setting { key: "maxRetries", env: "SHARDWRIGHT_MAX_RETRIES", doc: "retries after the first attempt; `withShardwright` sets Playwright's `retries` to it on CI (0 locally unless set)" },
    Setting { key: "initialDelayMs", env: "SHARDWRIGHT_INITIAL_DELAY_MS", doc: "backoff before the first retry, in ms" },
    Setting { key: "maxDelayMs", env: "SHARDWRIGHT_MAX_DELAY_MS", doc: "cap on one backoff delay, in ms" },
    Setting { key: "backoffMultiplier", env: "SHARDWRIGHT_BACKOFF_MULTIPLIER", doc: "growth of the delay per retry (≥ 1)" },
    Setting { key: "jitter", env: "SHARDWRIGHT_JITTER", doc: "`none`, `full`, `equal` or `decorrelated` (AWS \"Exponential Backoff and Jitter\")" },
    Setting { key: "jitterFactor", env: "SHARDWRIGHT_JITTER_FACTOR", doc: "share of each delay that is random, 0–1 (1: AWS's formula)" },
    Setting { key: "history", env: "SHARDWRIGHT_HISTORY", doc: "the test history file" },
    Setting { key: "historyRuns", env: "SHARDWRIGHT_HISTORY_RUNS", doc: "runs kept per test in the history" },
    Setting { key: "resetHistory", env: "SHARDWRIGHT_RESET_HISTORY", doc: "when the history file is unusable, keep it as a backup and start fresh (otherwise the run is not recorded)" },
    Setting { key: "strategy", env: "SHARDWRIGHT_STRATEGY", doc: "sharding strategy: `duration`, `round-robin`, `file`, `tag` or `fail-first`" },
    Setting { key: "plan", env: "SHARDWRIGHT_PLAN", doc: "a shard plan file (`shardwright plan --out`) every shard follows, instead of planning from its own history" },
    Setting { key: "reportDir", env: "SHARDWRIGHT_REPORT_DIR", doc: "where the flaky report, shard records and scratch files go (safe to ignore: a `.gitignore` is written there)" },
    Setting { key: "html", env: "SHARDWRIGHT_HTML", doc: "also write the HTML run report (one self-contained file: shard timeline, slowest groups, flaky tests, trends) to this path after each run" },
    Setting { key: "flakyWindow", env: "SHARDWRIGHT_FLAKY_WINDOW", doc: "latest runs of a test judged for flakiness" },
    Setting { key: "flakyThreshold", env: "SHARDWRIGHT_FLAKY_THRESHOLD", doc: "flip score (0–1, recent runs weigh more) from which a test is flaky" },
    Setting { key: "quarantineThreshold", env: "SHARDWRIGHT_QUARANTINE_THRESHOLD", doc: "flaky score (0–1) from which a test is quarantined" },
    Setting { key: "brokenAfter", env: "SHARDWRIGHT_BROKEN_AFTER", doc: "consecutive failing runs that make a test broken rather than flaky" },
    Setting { key: "quarantineMinRuns", env: "SHARDWRIGHT_QUARANTINE_MIN_RUNS", doc: "distinct runs that must show a test's flakiness before it is quarantined" },
    Setting { key: "quarantineReleaseAfter", env: "SHARDWRIGHT_QUARANTINE_RELEASE_AFTER", doc: "clean runs in a row after which a quarantined test leaves quarantine" },
    Setting { key: "incidentMinTests", env: "SHARDWRIGHT_INCIDENT_MIN_TESTS", doc: "infrastructure incident: fewest tests of a run (or project) failing with one error signature" },
    Setting { key: "incidentMinShare", env: "SHARDWRIGHT_INCIDENT_MIN_SHARE", doc: "infrastructure incident: smallest share (0–1) of the run's (or project's) tests failing with it" },
    Setting { key: "incidentMinFiles", env: "SHARDWRIGHT_INCIDENT_MIN_FILES", doc: "infrastructure incident: fewest distinct test files among them (one broken file is not an outage)" },
    Setting { key: "quarantineMode", env: "SHARDWRIGHT_QUARANTINE_MODE", doc: "`run` (quarantined tests run, their failures do not fail the build), `skip` (not run) or `off`" },
    Setting { key: "quarantine", env: "SHARDWRIGHT_QUARANTINE", doc: "tests to quarantine whatever their score: keys, key prefixes or `/regex/`; one per line in the variable" },
    Setting { key: "burnIn", env: "SHARDWRIGHT_BURN_IN", doc: "burn-in: run the tests of spec files changed against `burnInBase` this many more times (retries off) in an extra project per project; any failure is flaky-at-birth and fails the run (0: off)" },
    Setting { key: "burnInBase", env: "SHARDWRIGHT_BURN_IN_BASE", doc: "burn-in: the git ref changes are taken against (`git diff <base>...HEAD`, plus modified and untracked files); none: `origin/main`, else `main`" },
];

/// Environment variables that are not settings but are known: logs, the run
/// id of queue mode (`shardwright run`, `status`, `merge`), and what the
/// worker manager sets in its child processes (a Playwright config may read
/// them; they are not mistakes).
const OTHER_ENV: &[&str] = &[
    "SHARDWRIGHT_LOG",
    "SHARDWRIGHT_RUN_ID",
    "SHARDWRIGHT_TASK_ID",
    "SHARDWRIGHT_WORKER_INDEX",
    "SHARDWRIGHT_ATTEMPT",
    // The flaky-keys file the reporter writes for shardwright/test's retry
    // decisions (History#writeFlakyKeys).
    "SHARDWRIGHT_FLAKY_KEYS",
    // The changed files burn-in found, handed from Playwright's runner
    // process to its workers (js/playwright/burn-in.js).
    "SHARDWRIGHT_BURN_IN_FILES",
];

pub const STRATEGIES: [&str; 5] = ["duration", "round-robin", "file", "tag", "fail-first"];
pub const QUARANTINE_MODES: [&str; 3] = ["run", "skip", "off"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workers {
    Auto,
    Fixed(u32),
}

/// Flaky detection and quarantine.
#[derive(Debug, Clone, PartialEq)]
pub struct FlakySettings {
    pub window: u32,
    pub flaky_threshold: f64,
    pub quarantine_threshold: f64,
    pub broken_after: u32,
    pub quarantine_min_runs: u32,
    pub quarantine_release_after: u32,
    pub incident_min_tests: u32,
    pub incident_min_share: f64,
    pub incident_min_files: u32,
    pub quarantine_mode: &'static str,
    pub quarantine: Vec<String>,
}

/// The quarantine list as rules: `/pattern/flags` entries are regular
/// expressions over the key, the others test keys or key prefixes.
fn quarantine_rules(field: &str, entries: &[String]) -> Result<Vec<QuarantineRule>> {
    entries
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let spec = match entry
                .strip_prefix('/')
                .and_then(|rest| rest.rsplit_once('/'))
            {
                Some((regex, flags))
                    if !regex.is_empty() && flags.bytes().all(|b| b.is_ascii_lowercase()) =>
                {
                    PatternSpec::Regex {
                        regex: regex.to_string(),
                        flags: Some(flags.to_string()),
                    }
                }
                _ => PatternSpec::Text(entry.clone()),
            };
            QuarantineRule::from_spec(&format!("{field}[{i}]"), &spec)
        })
        .collect()
}

impl FlakySettings {
    /// The options of flaky analysis these settings stand for.
    pub fn options(&self) -> Result<FlakyOptions> {
        let options = FlakyOptions {
            window: self.window,
            flaky_threshold: self.flaky_threshold,
            quarantine_threshold: self.quarantine_threshold,
            broken_after: self.broken_after,
            quarantine: quarantine_rules("quarantine", &self.quarantine)?,
            ..FlakyOptions::DEFAULT
        };
        options.validate()?;
        Ok(options)
    }
}

impl Default for FlakySettings {
    fn default() -> Self {
        let d = FlakyOptions::DEFAULT;
        FlakySettings {
            window: d.window,
            flaky_threshold: d.flaky_threshold,
            quarantine_threshold: d.quarantine_threshold,
            broken_after: d.broken_after,
            quarantine_min_runs: d.quarantine_min_runs,
            quarantine_release_after: d.quarantine_release_after,
            incident_min_tests: d.incidents.min_tests,
            incident_min_share: d.incidents.min_share,
            incident_min_files: d.incidents.min_files,
            quarantine_mode: "run",
            quarantine: Vec::new(),
        }
    }
}

/// Where a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Default,
    Option,
    Env(&'static str),
}

impl Source {
    pub fn describe(self) -> String {
        match self {
            Source::Default => "default".into(),
            Source::Option => "option".into(),
            Source::Env(var) => format!("env {var}"),
        }
    }
}

/// The effective configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub workers: Workers,
    pub worker_options: WorkerOptions,
    pub backoff: BackoffPolicy,
    pub history: String,
    pub history_runs: u32,
    pub reset_history: bool,
    pub strategy: &'static str,
    pub report_dir: String,
    /// A plan file the shards follow.
    pub plan: Option<String>,
    /// Where the reporter writes the HTML run report, if anywhere.
    pub html: Option<String>,
    /// Burn-in repeats of changed spec files (0: off).
    pub burn_in: u32,
    /// The git ref burn-in compares against (`None`: origin/main or main).
    pub burn_in_base: Option<String>,
    pub flaky: FlakySettings,
    /// The CI provider, when running on CI.
    pub ci: Option<&'static str>,
    /// Where each setting's value came from, in [`SETTINGS`] order.
    pub sources: Vec<Source>,
    /// Unknown `SHARDWRIGHT_*` variables (likely typos), to warn about.
    pub unknown_env: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            workers: Workers::Auto,
            worker_options: WorkerOptions::DEFAULT,
            backoff: BackoffPolicy::DEFAULT,
            history: crate::history::DEFAULT_PATH.into(),
            history_runs: Limits::DEFAULT.max_runs,
            reset_history: false,
            strategy: "duration",
            report_dir: ".shardwright/reports".into(),
            plan: None,
            html: None,
            burn_in: 0,
            burn_in_base: None,
            flaky: FlakySettings::default(),
            ci: None,
            sources: vec![Source::Default; SETTINGS.len()],
            unknown_env: Vec::new(),
        }
    }
}

/// A setting as printed by `printConfig()` and the docs.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Entry {
    pub key: &'static str,
    pub env: &'static str,
    pub value: Value,
    pub default: Value,
    pub source: String,
    pub doc: &'static str,
}

const MAX_WORKERS_LIMIT: u64 = 1024;
/// The most burn-in repeats: each is a whole run of the changed files.
const MAX_BURN_IN: u64 = 1000;

impl Config {
    /// Resolves `options` (the object given to `withShardwright()` or the
    /// reporter) and the environment into the effective configuration.
    pub fn resolve(
        options: &Map<String, Value>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config> {
        for key in options.keys() {
            if !SETTINGS.iter().any(|s| s.key == key) {
                return Err(Error::invalid(
                    "option",
                    format!("{key:?}"),
                    match closest(key) {
                        Some(s) => format!("unknown; did you mean {s}?"),
                        None => format!(
                            "unknown; one of {}",
                            SETTINGS
                                .iter()
                                .map(|s| s.key)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    },
                ));
            }
        }
        let mut c = Config {
            ci: detect_ci(env),
            ..Config::default()
        };
        // Each setting's raw value and the name to report it under.
        let mut raw: Vec<(Option<Value>, &'static str)> = Vec::with_capacity(SETTINGS.len());
        for (i, s) in SETTINGS.iter().enumerate() {
            let from_env = env(s.env).filter(|v| !v.trim().is_empty());
            if let Some(v) = from_env {
                c.sources[i] = Source::Env(s.env);
                raw.push((Some(Value::String(v)), s.env));
            } else if let Some(v) = options.get(s.key).filter(|v| !v.is_null()) {
                c.sources[i] = Source::Option;
                raw.push((Some(v.clone()), s.key));
            } else {
                raw.push((None, s.key));
            }
        }
        let get = |key: &str| -> (Option<&Value>, &'static str) {
            let i = SETTINGS
                .iter()
                .position(|s| s.key == key)
                .expect("a known setting");
            (raw[i].0.as_ref(), raw[i].1)
        };

        let (v, f) = get("workers");
        c.workers = match v {
            None => Workers::Auto,
            Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("auto") => Workers::Auto,
            Some(v) => match read::number(f, Some(v)) {
                Ok(Some(n))
                    if n.fract() == 0.0 && (1.0..=MAX_WORKERS_LIMIT as f64).contains(&n) =>
                {
                    Workers::Fixed(n as u32)
                }
                _ => {
                    return Err(Error::invalid(
                        f,
                        read::show(v),
                        format!("\"auto\" or a whole number from 1 to {MAX_WORKERS_LIMIT}"),
                    ))
                }
            },
        };
        let w = &mut c.worker_options;
        let (v, f) = get("minWorkers");
        if let Some(n) = read::whole(f, v, 1, MAX_WORKERS_LIMIT)? {
            w.min_workers = n as u32;
        }
        let (v, f) = get("maxWorkers");
        if let Some(n) = read::whole(f, v, 1, MAX_WORKERS_LIMIT)? {
            w.max_workers = Some(n as u32);
        }
        if let Some(max) = w.max_workers {
            if max < w.min_workers {
                let (_, f) = get("maxWorkers");
                let (_, fmin) = get("minWorkers");
                return Err(Error::invalid(
                    f,
                    max,
                    format!("must not be below {fmin} ({})", w.min_workers),
                ));
            }
        }
        let (v, f) = get("cpusPerWorker");
        if let Some(n) = positive(f, v, 1024.0)? {
            w.cpus_per_worker = n;
        }
        let (v, f) = get("memoryPerWorkerMb");
        if let Some(n) = positive(f, v, 16.0 * 1024.0 * 1024.0)? {
            w.memory_per_worker_mb = n;
        }
        let (v, f) = get("considerLoad");
        if let Some(b) = read::boolean(f, v)? {
            w.consider_load = b;
        }

        // Backoff: read each number, then let BackoffPolicy validate the
        // whole, naming each field as the user wrote it.
        let mut b = BackoffPolicy::DEFAULT;
        let (v, f) = get("maxRetries");
        if let Some(n) = read::number(f, v)? {
            if n.fract() != 0.0 || n < 0.0 {
                return Err(Error::invalid(
                    f,
                    Num(n),
                    format!(
                        "a whole number from 0 to {}",
                        crate::backoff::MAX_RETRIES_LIMIT
                    ),
                ));
            }
            b.max_retries = n.min(u32::MAX as f64) as u32;
        }
        let (v, f) = get("initialDelayMs");
        if let Some(n) = read::number(f, v)? {
            b.initial_delay_ms = n;
        }
        let (v, f) = get("maxDelayMs");
        if let Some(n) = read::number(f, v)? {
            b.max_delay_ms = n;
        }
        let (v, f) = get("backoffMultiplier");
        if let Some(n) = read::number(f, v)? {
            b.multiplier = n;
        }
        let (v, f) = get("jitter");
        if let Some(j) = read::choice(f, v, &Jitter::NAMES)? {
            b.jitter = Jitter::from_name(j).expect("a listed jitter");
        }
        let (v, f) = get("jitterFactor");
        if let Some(n) = read::number(f, v)? {
            b.jitter_factor = n;
        }
        let names = FieldNames {
            initial_delay_ms: get("initialDelayMs").1,
            multiplier: get("backoffMultiplier").1,
            max_delay_ms: get("maxDelayMs").1,
            max_retries: get("maxRetries").1,
            jitter: get("jitter").1,
            jitter_factor: get("jitterFactor").1,
        };
        c.backoff = BackoffPolicy::new(b, &names)?;

        let (v, f) = get("history");
        if let Some(s) = read::string(f, v)? {
            c.history = s;
        }
        let (v, f) = get("strategy");
        if let Some(s) = read::choice(f, v, &STRATEGIES)? {
            c.strategy = s;
        }
        let (v, f) = get("reportDir");
        if let Some(s) = read::string(f, v)? {
            c.report_dir = s;
        }
        let (v, f) = get("plan");
        c.plan = read::string(f, v)?.filter(|s| !s.trim().is_empty());
        let (v, f) = get("html");
        c.html = read::string(f, v)?.filter(|s| !s.trim().is_empty());
        let (v, f) = get("burnIn");
        if let Some(n) = read::whole(f, v, 0, MAX_BURN_IN)? {
            c.burn_in = n as u32;
        }
        let (v, f) = get("burnInBase");
        c.burn_in_base = read::string(f, v)?.filter(|s| !s.trim().is_empty());
        if let Some(base) = &c.burn_in_base {
            if base.starts_with('-') || base.chars().any(|ch| ch.is_whitespace() || ch.is_control())
            {
                return Err(Error::invalid(
                    f,
                    format!("{base:?}"),
                    "a git ref (a branch, tag or commit)",
                ));
            }
        }
        let (v, f) = get("historyRuns");
        if let Some(n) = read::whole(f, v, 1, Limits::MAX_RUNS_CAP as u64)? {
            c.history_runs = n as u32;
        }
        let (v, f) = get("resetHistory");
        if let Some(b) = read::boolean(f, v)? {
            c.reset_history = b;
        }
        let fl = &mut c.flaky;
        let (v, f) = get("flakyWindow");
        if let Some(n) = read::whole(f, v, 1, 1000)? {
            fl.window = n as u32;
        }
        for (key, slot) in [
            ("flakyThreshold", &mut fl.flaky_threshold),
            ("quarantineThreshold", &mut fl.quarantine_threshold),
        ] {
            let (v, f) = get(key);
            if let Some(n) = read::number_in(f, v, 0.0..=1.0, "a number from 0 to 1")? {
                *slot = n;
            }
        }
        let (v, f) = get("brokenAfter");
        if let Some(n) = read::whole(f, v, 1, 1000)? {
            fl.broken_after = n as u32;
        }
        for (key, slot, max) in [
            ("quarantineMinRuns", &mut fl.quarantine_min_runs, 1000),
            (
                "quarantineReleaseAfter",
                &mut fl.quarantine_release_after,
                1000,
            ),
            ("incidentMinTests", &mut fl.incident_min_tests, 1_000_000),
            ("incidentMinFiles", &mut fl.incident_min_files, 1_000_000),
        ] {
            let (v, f) = get(key);
            if let Some(n) = read::whole(f, v, 1, max)? {
                *slot = n as u32;
            }
        }
        let (v, f) = get("incidentMinShare");
        if let Some(n) = read::number_in(
            f,
            v,
            f64::MIN_POSITIVE..=1.0,
            "a number above 0 and at most 1",
        )? {
            fl.incident_min_share = n;
        }
        let (v, f) = get("quarantineMode");
        if let Some(m) = read::choice(f, v, &QUARANTINE_MODES)? {
            fl.quarantine_mode = m;
        }
        let (v, f) = get("quarantine");
        if let Some(v) = v {
            fl.quarantine = string_list(f, v)?;
            // Checked now, not when first used: a bad pattern stops the run
            // before any test starts.
            quarantine_rules(f, &fl.quarantine)?;
        }
        Ok(c)
    }

    /// Like [`Config::from_env`], with `flags` (a command's own flags, by
    /// option name) above the environment: flags > `SHARDWRIGHT_*` >
    /// `options` > defaults.
    pub fn with_flags(options: &Map<String, Value>, flags: &Map<String, Value>) -> Result<Config> {
        let mut merged = options.clone();
        merged.extend(flags.iter().map(|(k, v)| (k.clone(), v.clone())));
        let masked: Vec<&str> = SETTINGS
            .iter()
            .filter(|s| flags.contains_key(s.key))
            .map(|s| s.env)
            .collect();
        Config::resolve(&merged, &|k| {
            if masked.contains(&k) {
                None
            } else {
                std::env::var(k).ok()
            }
        })
    }

    /// Like [`Config::resolve`], reading the process environment and noting
    /// unknown `SHARDWRIGHT_*` variables.
    pub fn from_env(options: &Map<String, Value>) -> Result<Config> {
        let mut c = Config::resolve(options, &|k| std::env::var(k).ok())?;
        c.unknown_env = std::env::vars()
            .map(|(k, _)| k)
            .filter(|k| k.starts_with("SHARDWRIGHT_"))
            .filter(|k| !SETTINGS.iter().any(|s| s.env == k) && !OTHER_ENV.contains(&k.as_str()))
            .collect();
        c.unknown_env.sort();
        Ok(c)
    }

    /// The value of one setting, as JSON.
    pub fn value_of(&self, key: &str) -> Value {
        let w = &self.worker_options;
        let b = &self.backoff;
        match key {
            "workers" => match self.workers {
                Workers::Auto => "auto".into(),
                Workers::Fixed(n) => n.into(),
            },
            "minWorkers" => w.min_workers.into(),
            "maxWorkers" => w.max_workers.map_or(Value::Null, Value::from),
            "cpusPerWorker" => w.cpus_per_worker.into(),
            "memoryPerWorkerMb" => w.memory_per_worker_mb.into(),
            "considerLoad" => w.consider_load.into(),
            "maxRetries" => b.max_retries.into(),
            "initialDelayMs" => b.initial_delay_ms.into(),
            "maxDelayMs" => b.max_delay_ms.into(),
            "backoffMultiplier" => b.multiplier.into(),
            "jitter" => b.jitter.name().into(),
            "jitterFactor" => b.jitter_factor.into(),
            "history" => self.history.clone().into(),
            "historyRuns" => self.history_runs.into(),
            "resetHistory" => self.reset_history.into(),
            "strategy" => self.strategy.into(),
            "reportDir" => self.report_dir.clone().into(),
            "plan" => self.plan.clone().into(),
            "html" => self.html.clone().into(),
            "burnIn" => self.burn_in.into(),
            "burnInBase" => self.burn_in_base.clone().into(),
            "flakyWindow" => self.flaky.window.into(),
            "flakyThreshold" => self.flaky.flaky_threshold.into(),
            "quarantineThreshold" => self.flaky.quarantine_threshold.into(),
            "brokenAfter" => self.flaky.broken_after.into(),
            "quarantineMinRuns" => self.flaky.quarantine_min_runs.into(),
            "quarantineReleaseAfter" => self.flaky.quarantine_release_after.into(),
            "incidentMinTests" => self.flaky.incident_min_tests.into(),
            "incidentMinShare" => self.flaky.incident_min_share.into(),
            "incidentMinFiles" => self.flaky.incident_min_files.into(),
            "quarantineMode" => self.flaky.quarantine_mode.into(),
            "quarantine" => Value::Array(
                self.flaky
                    .quarantine
                    .iter()
                    .cloned()
                    .map(Value::from)
                    .collect(),
            ),
            _ => Value::Null,
        }
    }

    /// Every setting with its value, default and source.
    pub fn entries(&self) -> Vec<Entry> {
        let defaults = Config::default();
        SETTINGS
            .iter()
            .zip(&self.sources)
            .map(|(s, source)| Entry {
                key: s.key,
                env: s.env,
                value: self.value_of(s.key),
                default: defaults.value_of(s.key),
                source: source.describe(),
                doc: s.doc,
            })
            .collect()
    }

    /// Whether a setting was given (by option or env) rather than defaulted.
    pub fn is_set(&self, key: &str) -> bool {
        SETTINGS
            .iter()
            .position(|s| s.key == key)
            .is_some_and(|i| self.sources[i] != Source::Default)
    }

    /// Playwright's `retries`: `maxRetries` on CI or when set explicitly,
    /// otherwise 0 (Playwright's own convention: retry on CI, not locally).
    pub fn playwright_retries(&self) -> u32 {
        if self.ci.is_some() || self.is_set("maxRetries") {
            self.backoff.max_retries
        } else {
            0
        }
    }
}

/// A list of non-empty strings: a JSON array, or (from an environment
/// variable) one entry per line, or a JSON array as text.
fn string_list(field: &str, value: &Value) -> Result<Vec<String>> {
    let items: Vec<Value> = match value {
        Value::Array(items) => items.clone(),
        Value::String(text) if text.trim_start().starts_with('[') => {
            match serde_json::from_str::<Value>(text) {
                Ok(Value::Array(items)) => items,
                _ => {
                    return Err(Error::invalid(
                        field,
                        read::show(value),
                        "a JSON array of strings, or one entry per line",
                    ))
                }
            }
        }
        Value::String(text) => text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(Value::from)
            .collect(),
        other => {
            return Err(Error::invalid(
                field,
                read::show(other),
                "an array of test keys, key prefixes or /regex/ strings",
            ))
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
            other => Err(Error::invalid(
                format!("{field}[{i}]"),
                read::show(other),
                "a non-empty string",
            )),
        })
        .collect()
}

fn positive(field: &str, value: Option<&Value>, max: f64) -> Result<Option<f64>> {
    match read::number(field, value)? {
        Some(n) if n <= 0.0 || n > max => Err(Error::invalid(
            field,
            Num(n),
            format!("a number above 0 and at most {max}"),
        )),
        other => Ok(other),
    }
}

/// The setting a mistyped key most likely meant (edit distance ≤ 3).
fn closest(key: &str) -> Option<&'static str> {
    let lower = key.to_ascii_lowercase();
    SETTINGS
        .iter()
        .map(|s| (levenshtein(&lower, &s.key.to_ascii_lowercase()), s.key))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, k)| k)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    fn opts(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn defaults_without_input() {
        let c = Config::resolve(&Map::new(), &env_of(&[])).unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.playwright_retries(), 0);
        assert!(c
            .entries()
            .iter()
            .all(|e| e.source == "default" && e.value == e.default));
    }

    #[test]
    fn env_overrides_options_and_is_reported() {
        let c = Config::resolve(
            &opts(json!({ "maxWorkers": 4, "jitter": "full", "initialDelayMs": 200 })),
            &env_of(&[("SHARDWRIGHT_MAX_WORKERS", "2"), ("CI", "true")]),
        )
        .unwrap();
        assert_eq!(c.worker_options.max_workers, Some(2));
        assert_eq!(c.backoff.jitter, Jitter::Full);
        assert_eq!(c.backoff.initial_delay_ms, 200.0);
        assert_eq!(c.ci, Some("ci"));
        assert_eq!(c.playwright_retries(), 2);
        let e = c.entries();
        let source = |k: &str| e.iter().find(|x| x.key == k).unwrap().source.clone();
        assert_eq!(source("maxWorkers"), "env SHARDWRIGHT_MAX_WORKERS");
        assert_eq!(source("jitter"), "option");
        assert_eq!(source("history"), "default");
    }

    #[test]
    fn burn_in_repeats_and_base() {
        let c = Config::resolve(
            &opts(json!({ "burnIn": 5 })),
            &env_of(&[("SHARDWRIGHT_BURN_IN_BASE", "origin/develop")]),
        )
        .unwrap();
        assert_eq!(
            (c.burn_in, c.burn_in_base.as_deref()),
            (5, Some("origin/develop"))
        );
        assert_eq!(c.value_of("burnIn"), json!(5));
        let err = |o: Value, e: &[(&str, &str)]| {
            Config::resolve(&opts(o), &env_of(e))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(json!({}), &[("SHARDWRIGHT_BURN_IN", "-1")]),
            "invalid SHARDWRIGHT_BURN_IN: -1 (a whole number from 0 to 1000)"
        );
        assert_eq!(
            err(json!({ "burnInBase": "--output=x" }), &[]),
            "invalid burnInBase: \"--output=x\" (a git ref (a branch, tag or commit))"
        );
    }

    #[test]
    fn errors_name_the_variable_or_the_option() {
        let err = |o: Value, e: &[(&str, &str)]| {
            Config::resolve(&opts(o), &env_of(e))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(json!({}), &[("SHARDWRIGHT_MAX_WORKERS", "lots")]),
            "invalid SHARDWRIGHT_MAX_WORKERS: \"lots\" (a number)"
        );
        assert_eq!(
            err(json!({ "maxWorkers": 0 }), &[]),
            "invalid maxWorkers: 0 (a whole number from 1 to 1024)"
        );
        assert_eq!(
            err(json!({}), &[("SHARDWRIGHT_INITIAL_DELAY_MS", "5000"), ("SHARDWRIGHT_MAX_DELAY_MS", "100")]),
            "invalid SHARDWRIGHT_MAX_DELAY_MS: 100 (must not be below SHARDWRIGHT_INITIAL_DELAY_MS (5000))"
        );
        assert_eq!(
            err(
                json!({ "minWorkers": 4 }),
                &[("SHARDWRIGHT_MAX_WORKERS", "2")]
            ),
            "invalid SHARDWRIGHT_MAX_WORKERS: 2 (must not be below minWorkers (4))"
        );
        assert_eq!(
            err(json!({ "maxWorker": 3 }), &[]),
            "invalid option: \"maxWorker\" (unknown; did you mean maxWorkers?)"
        );
        assert_eq!(
            err(json!({}), &[("SHARDWRIGHT_STRATEGY", "fastest")]),
            "invalid SHARDWRIGHT_STRATEGY: \"fastest\" (one of duration, round-robin, file, tag, fail-first)"
        );
        assert_eq!(
            err(json!({}), &[("SHARDWRIGHT_WORKERS", "half")]),
            "invalid SHARDWRIGHT_WORKERS: \"half\" (\"auto\" or a whole number from 1 to 1024)"
        );
    }

    #[test]
    fn flaky_thresholds_from_options_and_env() {
        let c = Config::resolve(
            &opts(json!({ "quarantineMinRuns": 3, "incidentMinShare": 0.3 })),
            &env_of(&[
                ("SHARDWRIGHT_QUARANTINE_RELEASE_AFTER", "5"),
                ("SHARDWRIGHT_INCIDENT_MIN_FILES", "4"),
            ]),
        )
        .unwrap();
        let f = &c.flaky;
        assert_eq!(
            (
                f.quarantine_min_runs,
                f.quarantine_release_after,
                f.incident_min_tests,
                f.incident_min_share,
                f.incident_min_files
            ),
            (3, 5, 10, 0.3, 4)
        );
        let e = Config::resolve(&opts(json!({ "incidentMinShare": 0 })), &env_of(&[])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid incidentMinShare: 0 (a number above 0 and at most 1)"
        );
    }

    #[test]
    fn workers_auto_or_fixed() {
        let c = Config::resolve(&Map::new(), &env_of(&[("SHARDWRIGHT_WORKERS", "AUTO")])).unwrap();
        assert_eq!(c.workers, Workers::Auto);
        let c = Config::resolve(&opts(json!({ "workers": 3 })), &env_of(&[])).unwrap();
        assert_eq!(c.workers, Workers::Fixed(3));
    }

    #[test]
    fn every_setting_has_a_value_and_unique_names() {
        let c = Config::default();
        for s in SETTINGS {
            assert!(s.env.starts_with("SHARDWRIGHT_"), "{}", s.env);
            assert_eq!(
                SETTINGS
                    .iter()
                    .filter(|t| t.key == s.key || t.env == s.env)
                    .count(),
                1
            );
            // Optional settings have no default.
            if !["maxWorkers", "plan", "html", "burnInBase"].contains(&s.key) {
                assert!(!c.value_of(s.key).is_null(), "{} has no value", s.key);
            }
        }
    }
}
