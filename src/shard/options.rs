//! How to plan: the number of shards, the strategy and its settings.

use crate::error::{Error, Result};

use super::group;

/// How groups are spread over shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// Longest processing time first, then a local search of moves and swaps
    /// (and, on up to 20,000 groups of equal-speed shards, the largest
    /// differencing method too, keeping the better plan).
    Duration,
    /// Group `i` (in input order) on shard `i mod n`.
    RoundRobin,
    /// Every file on one shard, across projects; files balanced by duration.
    File,
    /// Tags kept together on one shard, or spread evenly (`TagMode`).
    Tag,
    /// Groups that failed last run first and spread over the shards, then
    /// the rest by duration.
    FailFirst,
    /// Playwright's own `--shard` split (contiguous count slices), for
    /// comparison.
    Playwright,
}

impl Strategy {
    pub const NAMES: [&'static str; 6] = [
        "duration",
        "round-robin",
        "file",
        "tag",
        "fail-first",
        "playwright",
    ];

    pub fn name(self) -> &'static str {
        match self {
            Strategy::Duration => "duration",
            Strategy::RoundRobin => "round-robin",
            Strategy::File => "file",
            Strategy::Tag => "tag",
            Strategy::FailFirst => "fail-first",
            Strategy::Playwright => "playwright",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "duration" => Strategy::Duration,
            "round-robin" => Strategy::RoundRobin,
            "file" => Strategy::File,
            "tag" => Strategy::Tag,
            "fail-first" => Strategy::FailFirst,
            "playwright" => Strategy::Playwright,
            _ => return None,
        })
    }
}

/// What the `tag` strategy does with a tag's groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TagMode {
    /// All groups sharing a tag run on one shard (e.g. tests that share a
    /// resource); groups linked through several tags form one unit.
    Group,
    /// Each tag's groups are spread evenly over the shards (counts differ by
    /// at most one where possible), time balanced within that.
    Spread,
}

impl TagMode {
    pub const NAMES: [&'static str; 2] = ["group", "spread"];

    pub fn name(self) -> &'static str {
        match self {
            TagMode::Group => "group",
            TagMode::Spread => "spread",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "group" => Some(TagMode::Group),
            "spread" => Some(TagMode::Spread),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanOptions {
    pub shards: u32,
    pub strategy: Strategy,
    /// Relative speed of each shard (expected time = load ÷ weight).
    pub weights: Option<Vec<f64>>,
    pub tag_mode: TagMode,
    /// The tags the `tag` strategy considers; `None`: every tag.
    pub tags: Option<Vec<String>>,
    /// Whether `duration` (and the strategies built on it) search beyond
    /// LPT; `false` gives LPT alone, for comparison.
    pub improve: bool,
}

impl PlanOptions {
    pub const MAX_SHARDS: u32 = 10_000;
    pub const DEFAULT_STRATEGY: Strategy = Strategy::Duration;
    pub const DEFAULT_TAG_MODE: TagMode = TagMode::Group;

    pub fn new(shards: u32) -> Self {
        PlanOptions {
            shards,
            strategy: Self::DEFAULT_STRATEGY,
            weights: None,
            tag_mode: Self::DEFAULT_TAG_MODE,
            tags: None,
            improve: true,
        }
    }

    pub fn validate(&self) -> Result<()> {
        if self.shards == 0 || self.shards > Self::MAX_SHARDS {
            return Err(Error::invalid(
                "shards",
                self.shards,
                format!("a whole number from 1 to {}", Self::MAX_SHARDS),
            ));
        }
        if let Some(weights) = &self.weights {
            if weights.len() != self.shards as usize {
                let shown: Vec<String> = weights.iter().map(|&w| group::show_number(w)).collect();
                return Err(Error::invalid(
                    "weights",
                    format!("[{}]", shown.join(",")),
                    format!("one weight per shard: {} numbers > 0", self.shards),
                ));
            }
            for (i, &w) in weights.iter().enumerate() {
                if !w.is_finite() || w <= 0.0 {
                    return Err(Error::invalid(
                        format!("weights[{i}]"),
                        group::show_number(w),
                        "a finite number > 0",
                    ));
                }
            }
        }
        Ok(())
    }

    pub(super) fn weights(&self) -> Vec<f64> {
        self.weights
            .clone()
            .unwrap_or_else(|| vec![1.0; self.shards as usize])
    }
}
