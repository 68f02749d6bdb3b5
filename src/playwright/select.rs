//! From a suite and its history to one shard's tests: group, estimate, plan,
//! select — what the reporter does inside `--shard=i/n`, in one call.

use super::estimate::apply_history;
use super::groups::Grouping;
use super::suite::Suite;
use crate::error::Result;
use crate::history::History;
use crate::shard::{self, format_ms, BalancedBy, Plan, PlanOptions};

/// One shard's share of a suite.
#[derive(Debug, Clone)]
pub struct Selection {
    pub plan: Plan,
    pub grouping: Grouping,
    /// 1-based.
    pub index: u32,
    /// Indexes (into `suite.tests`) of this shard's tests, in run order.
    pub keep: Vec<u32>,
    /// Indexes of the planned tests of other shards (dependency projects'
    /// tests are in neither list: they run on every shard).
    pub exclude: Vec<u32>,
    /// Groups whose duration came from the history.
    pub with_history: usize,
}

impl Selection {
    /// Expected wall time of this shard (`None` when balanced by count).
    pub fn predicted_ms(&self) -> Option<f64> {
        (self.plan.balanced_by == BalancedBy::Duration)
            .then(|| self.plan.shards[self.index as usize - 1].expected)
    }

    /// What the reporter prints: `shard 2/4: 53 of 210 tests, by duration,
    /// expected 3m 10s (…); plan 1a2b3c4d5e6f`.
    pub fn summary(&self) -> String {
        let plan = &self.plan;
        let mine = &plan.shards[self.index as usize - 1];
        let planned = self.keep.len() + self.exclude.len();
        let how = match plan.balanced_by {
            BalancedBy::Count => "no history: balancing by test count".to_string(),
            BalancedBy::Duration => {
                let unknown = plan.groups - self.with_history;
                format!(
                    "by {}, expected {} (makespan {}, lower bound {}{})",
                    plan.strategy.name(),
                    format_ms(mine.expected),
                    format_ms(plan.makespan),
                    format_ms(plan.lower_bound),
                    if unknown > 0 {
                        format!(", {unknown} of {} groups without history", plan.groups)
                    } else {
                        String::new()
                    }
                )
            }
        };
        format!(
            "shard {}/{}: {} of {} tests, {how}; plan {}",
            self.index,
            plan.shards.len(),
            self.keep.len(),
            planned,
            &plan.fingerprint[..12.min(plan.fingerprint.len())]
        )
    }
}

/// Plans `suite` over `options.shards` shards with `history`'s durations
/// and selects shard `index`.
pub fn select(
    suite: &Suite,
    history: Option<&History>,
    options: &PlanOptions,
    index: u32,
) -> Result<Selection> {
    let mut grouping = Grouping::of(suite);
    let with_history = history.map_or(0, |h| apply_history(&mut grouping.groups, h).with_duration);
    let plan = shard::plan(&grouping.groups, options)?;
    let mine = plan.shard(index)?;
    let mut on_shard = vec![false; grouping.groups.len()];
    let mut keep = Vec::new();
    for &g in &mine.groups {
        on_shard[g] = true;
        keep.extend_from_slice(&grouping.members[g]);
    }
    let exclude = grouping
        .members
        .iter()
        .enumerate()
        .filter(|(g, _)| !on_shard[*g])
        .flat_map(|(_, m)| m.iter().copied())
        .collect();
    Ok(Selection {
        plan,
        grouping,
        index,
        keep,
        exclude,
        with_history,
    })
}
