//! From a suite to one shard's tests — what the reporter does inside
//! `--shard=i/n`, in one call: group, estimate from the history, plan (or
//! take the plan the run already has), select, predict the wall time.

use super::estimate::apply_history;
use super::groups::Grouping;
use super::planfile::{suite_fingerprint, PlanFile};
use super::suite::Suite;
use crate::error::{Error, Result};
use crate::history::History;
use crate::shard::{self, format_ms, wall_time, PlanOptions, Strategy};

/// Where a shard's plan came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A plan file the user gave (`plan` option, `SHARDWRIGHT_PLAN`).
    PlanFile,
    /// The plan an earlier shard of this run made in this folder.
    Cached,
    /// Planned now from the history's durations.
    History,
    /// Planned now without durations: Playwright's own count split, which
    /// every machine without a history makes alike.
    NoHistory,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::PlanFile => "plan-file",
            Source::Cached => "cached",
            Source::History => "history",
            Source::NoHistory => "no-history",
        }
    }
}

/// How to select a shard.
#[derive(Debug, Clone)]
pub struct SelectOptions<'a> {
    pub plan: PlanOptions,
    /// 1-based.
    pub index: u32,
    /// Playwright's workers on this machine.
    pub workers: u32,
    /// What a worker takes to start before its first test (ms).
    pub worker_start_ms: f64,
    /// A plan that must be used.
    pub plan_file: Option<&'a PlanFile>,
    /// A plan of this run from an earlier shard, used when it fits the suite.
    pub cached: Option<&'a PlanFile>,
    /// The CI run this shard belongs to, if known (see `PlanFile::new`).
    pub run_key: Option<String>,
    pub now_ms: i64,
}

/// One shard's share of a suite.
#[derive(Debug, Clone)]
pub struct Selection {
    pub source: Source,
    /// The plan the shard followed (to keep for the run's other shards).
    pub plan: PlanFile,
    pub index: u32,
    /// Indexes (into `suite.tests`) of this shard's tests, in suite order.
    pub keep: Vec<u32>,
    /// Indexes of the planned tests of other shards (dependency projects'
    /// tests are in neither list: they run on every shard).
    pub exclude: Vec<u32>,
    /// Groups the plan did not know (placed by hash), by id.
    pub unplanned: Vec<String>,
    /// Groups whose duration came from the history (fresh plans).
    pub with_history: usize,
    pub groups: usize,
    /// Expected wall time of this shard on its workers (none: by count).
    pub predicted_ms: Option<f64>,
    /// The same without the start-up (what the history keeps as the shard's
    /// prediction, so the start-up can be learnt from it).
    pub schedule_ms: Option<f64>,
    /// This shard's summed load (the serial sum, for comparison).
    pub serial_ms: Option<f64>,
    pub workers: u32,
    /// Why a cached plan was not used, when one was offered.
    pub cache_note: Option<String>,
}

fn short(fp: &str) -> &str {
    &fp[..12.min(fp.len())]
}

impl Selection {
    /// What the reporter prints: `shard 2/4: 53 of 210 tests, by duration,
    /// expected 3m 10s on 2 workers; plan 1a2b…, suite 77aa…, history 9f8e…`.
    pub fn summary(&self) -> String {
        let planned = self.keep.len() + self.exclude.len();
        let by_playwright = self.plan.strategy == "playwright" && self.plan.balanced_by == "count";
        let how = match (self.source, self.predicted_ms) {
            (Source::NoHistory, _) => {
                "no usable history: split by test count as Playwright's own --shard does"
                    .to_string()
            }
            _ if by_playwright => {
                "split by test count as Playwright's own --shard does".to_string()
            }
            (_, Some(ms)) => format!(
                "by {}, expected {} on {} worker{}{}",
                self.plan.strategy,
                format_ms(ms),
                self.workers,
                if self.workers == 1 { "" } else { "s" },
                if self.source == Source::History && self.with_history < self.groups {
                    format!(
                        " ({} of {} groups without history)",
                        self.groups - self.with_history,
                        self.groups
                    )
                } else {
                    String::new()
                }
            ),
            (_, None) => format!("by {} (by test count)", self.plan.strategy),
        };
        let from = match self.source {
            Source::PlanFile => " from the plan file",
            Source::Cached => " of this run (made by an earlier shard)",
            _ => "",
        };
        let mut line = format!(
            "shard {}/{}: {} of {} tests, {how}; plan {}{from}, suite {}, history {}",
            self.index,
            self.plan.shards,
            self.keep.len(),
            planned,
            short(&self.plan.fingerprint),
            short(&self.plan.suite),
            self.plan.history.as_deref().map_or("none", short),
        );
        if !self.unplanned.is_empty() {
            line.push_str(&format!(
                "\n  {} group{} the plan does not know, placed by their id on every shard alike: {}",
                self.unplanned.len(),
                if self.unplanned.len() == 1 { "" } else { "s" },
                self.unplanned.join(", ")
            ));
        }
        line
    }
}

/// Plans (or takes the run's plan for) `suite` and selects shard `index`.
pub fn select(
    suite: &Suite,
    history: Option<&History>,
    options: &SelectOptions,
) -> Result<Selection> {
    let n = options.plan.shards;
    if options.index == 0 || options.index > n {
        return Err(Error::invalid(
            "index",
            options.index,
            format!("a whole number from 1 to {n}"),
        ));
    }
    let mut grouping = Grouping::of(suite);
    let suite_fp = suite_fingerprint(suite.planned_keys());
    let with_history = history.map_or(0, |h| apply_history(&mut grouping.groups, h).with_duration);
    let history_fp = history
        .filter(|h| !h.runs().is_empty())
        .map(history_fingerprint);

    let mut cache_note = None;
    let reuse = match (options.plan_file, options.cached) {
        (Some(p), _) => {
            if p.shards != n {
                return Err(Error::invalid(
                    "plan",
                    format!("a plan for {} shards", p.shards),
                    format!("a plan for --shard=…/{n} (make it with `shardwright plan --shards {n} --out …`)"),
                ));
            }
            Some((p.clone(), Source::PlanFile))
        }
        (None, Some(c)) if c.shards == n && c.suite == suite_fp => {
            Some((c.clone(), Source::Cached))
        }
        (None, Some(c)) => {
            cache_note = Some(if c.shards != n {
                format!(
                    "the plan kept from an earlier shard was for {} shards",
                    c.shards
                )
            } else {
                "the plan kept from an earlier shard was for another suite (tests changed since)"
                    .to_string()
            });
            None
        }
        (None, None) => None,
    };
    let (plan_file, source) = match reuse {
        Some(found) => found,
        None => {
            let no_durations = grouping.groups.iter().all(|g| g.duration_ms.is_none());
            let mut plan_options = options.plan.clone();
            if no_durations {
                plan_options.strategy = Strategy::Playwright;
            }
            let plan = shard::plan(&grouping.groups, &plan_options)?;
            let file = PlanFile::new(
                options.run_key.as_deref(),
                &plan,
                &grouping,
                suite_fp.clone(),
                history_fp,
                options.now_ms,
            );
            (
                file,
                if no_durations {
                    Source::NoHistory
                } else {
                    Source::History
                },
            )
        }
    };

    let (shard_of, unplanned) = plan_file.place(&grouping);
    // Expected durations as planned (a loaded plan's, or this history's).
    let expected: rustc_hash::FxHashMap<&str, f64> = plan_file
        .groups
        .iter()
        .filter_map(|g| g.expected_ms.map(|ms| (g.id.as_str(), ms)))
        .collect();
    let mut keep = Vec::new();
    let mut exclude = Vec::new();
    let mut loads = Vec::new();
    let mut serial = 0.0;
    let by_count = plan_file.balanced_by == "count";
    let mut unknown_load = false;
    // Playwright dispatches a shard's groups in suite order.
    for (g, group) in grouping.groups.iter().enumerate() {
        if shard_of[g] == options.index {
            keep.extend_from_slice(&grouping.members[g]);
            match expected
                .get(group.id.as_str())
                .copied()
                .or(group.duration_ms)
            {
                Some(ms) => {
                    loads.push(ms);
                    serial += ms;
                }
                None => unknown_load = true,
            }
        } else {
            exclude.extend_from_slice(&grouping.members[g]);
        }
    }
    keep.sort_unstable();
    exclude.sort_unstable();
    let known = !(by_count || unknown_load && loads.is_empty());
    let start_ms = if options.worker_start_ms > 0.0 {
        options.worker_start_ms
    } else {
        history.map_or(0.0, start_up_ms)
    };
    let schedule_ms = known.then(|| wall_time(&loads, options.workers, 0.0));
    let predicted_ms = known.then(|| wall_time(&loads, options.workers, start_ms));
    Ok(Selection {
        source,
        index: options.index,
        keep,
        exclude,
        unplanned: unplanned
            .iter()
            .map(|&g| grouping.groups[g].id.clone())
            .collect(),
        with_history,
        groups: grouping.groups.len(),
        predicted_ms,
        schedule_ms,
        serial_ms: known.then_some(serial),
        workers: options.workers,
        cache_note,
        plan: plan_file,
    })
}

/// What a shard takes beyond its tests' schedule — Playwright's start, the
/// web server, worker processes and browsers — learnt from the history: the
/// median of `actual − predicted schedule` over the latest sharded runs
/// (up to 10), never below 0. 0 when no run has both.
pub fn start_up_ms(history: &History) -> f64 {
    let mut samples: Vec<f64> = history
        .runs()
        .iter()
        .rev()
        .filter_map(|r| r.shard.as_ref())
        .filter_map(|s| Some(s.actual_ms? - s.predicted_ms?))
        .take(10)
        .collect();
    if samples.is_empty() {
        return 0.0;
    }
    crate::shard::median(&mut samples).max(0.0)
}

/// The fingerprint of what a history says to a planner: its runs' ids and
/// its number of attempts (a run can gain tests: the shards of one run add
/// to it).
pub fn history_fingerprint(history: &History) -> String {
    let attempts = history.attempt_count().to_string();
    crate::shard::of_strings(
        "shardwright-history",
        history
            .runs()
            .iter()
            .map(|r| r.id.as_str())
            .chain([attempts.as_str()]),
    )
}
