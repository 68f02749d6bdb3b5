//! A shard plan made once and used by every shard of a run: the input that
//! makes "every test exactly once" hold however the shards run — on separate
//! machines from a plan shared as a CI artifact (`shardwright plan --out`),
//! or one after another in one folder (the reporter keeps the plan of a
//! sharded run until its last shard ran, so a history updated by shard 1
//! cannot change what shard 2 runs).
//!
//! The file maps every planned group (and its tests) to a shard. A suite
//! that differs from the plan's still splits exactly once: a group the plan
//! knows keeps its shard, a group it does not know goes where one of its
//! tests was planned, else to a shard chosen by a hash of its id — the same
//! on every machine.

use serde::{Deserialize, Serialize};

use super::groups::Grouping;
use crate::error::{Error, Result};
use crate::shard::{of_strings, Plan};

pub const KIND: &str = "shardwright-plan";
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedGroup {
    pub id: String,
    pub shard: u32,
    /// Its expected duration when the plan was made (none: by count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_ms: Option<f64>,
    pub tests: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanFile {
    pub kind: String,
    pub version: u32,
    /// The run this plan is for: shared by its shards (their history run).
    pub id: String,
    pub shards: u32,
    pub strategy: String,
    pub balanced_by: String,
    /// The plan's fingerprint (every input, durations included).
    pub fingerprint: String,
    /// The fingerprint of the planned suite (its sorted test keys).
    pub suite: String,
    /// The fingerprint of the history it was planned from, if any.
    #[serde(default)]
    pub history: Option<String>,
    pub created_at: i64,
    pub groups: Vec<PlannedGroup>,
}

/// The fingerprint of a suite's planned tests.
pub fn suite_fingerprint<'a>(keys: impl IntoIterator<Item = &'a str>) -> String {
    let mut sorted: Vec<&str> = keys.into_iter().collect();
    sorted.sort_unstable();
    of_strings("shardwright-suite", sorted)
}

impl PlanFile {
    /// The plan of `plan` for `grouping`. Its id is derived from the CI run
    /// (`run_key`, when there is one) and the plan's fingerprint: shards
    /// that plan alike from the same inputs of the same run agree on it,
    /// and a later run (whose history holds this one) differs.
    pub fn new(
        run_key: Option<&str>,
        plan: &Plan,
        grouping: &Grouping,
        suite: String,
        history: Option<String>,
        created_at: i64,
    ) -> PlanFile {
        let mut groups = Vec::with_capacity(grouping.groups.len());
        for shard in &plan.shards {
            for &g in &shard.groups {
                let group = &grouping.groups[g];
                groups.push(PlannedGroup {
                    id: group.id.clone(),
                    shard: shard.index,
                    expected_ms: group.duration_ms,
                    tests: group.test_keys().to_vec(),
                });
            }
        }
        let id = format!(
            "sw-{}",
            &of_strings(
                "shardwright-run",
                [run_key.unwrap_or(""), plan.fingerprint.as_str()]
            )[..16]
        );
        PlanFile {
            kind: KIND.into(),
            version: VERSION,
            id,
            shards: plan.shards.len() as u32,
            strategy: plan.strategy.name().into(),
            balanced_by: plan.balanced_by.name().into(),
            fingerprint: plan.fingerprint.clone(),
            suite,
            history,
            created_at,
            groups,
        }
    }

    /// Reads a plan file's text; `source` names it in errors.
    pub fn parse(text: &str, source: &str) -> Result<PlanFile> {
        let bad = |problem: String| Error::invalid("plan", source, problem);
        let plan: PlanFile = serde_json::from_str(text)
            .map_err(|e| bad(format!("a plan written by `shardwright plan --out` ({e})")))?;
        if plan.kind != KIND {
            return Err(bad(format!(
                "a plan file (its kind is {:?}, not {KIND:?})",
                plan.kind
            )));
        }
        if plan.version != VERSION {
            return Err(bad(format!(
                "a plan of version {VERSION} (this one is version {}; make it again with this shardwright)",
                plan.version
            )));
        }
        if let Some(g) = plan
            .groups
            .iter()
            .find(|g| g.shard == 0 || g.shard > plan.shards)
        {
            return Err(bad(format!(
                "a plan whose shards are 1 to {} (group `{}` is on shard {})",
                plan.shards, g.id, g.shard
            )));
        }
        Ok(plan)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a plan serialises")
    }

    /// The shard (1-based) of each group of `grouping` under this plan, and
    /// the groups it did not plan (placed by hash).
    pub fn place(&self, grouping: &Grouping) -> (Vec<u32>, Vec<usize>) {
        let mut by_group = rustc_hash::FxHashMap::default();
        let mut by_test = rustc_hash::FxHashMap::default();
        for g in &self.groups {
            by_group.insert(g.id.as_str(), g.shard);
            for t in &g.tests {
                by_test.entry(t.as_str()).or_insert(g.shard);
            }
        }
        let mut unplanned = Vec::new();
        let shards = grouping
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                if let Some(&s) = by_group.get(g.id.as_str()) {
                    return s;
                }
                if let Some(&s) = g.test_keys().iter().find_map(|t| by_test.get(t.as_str())) {
                    return s;
                }
                unplanned.push(i);
                let h = u128::from_str_radix(&of_strings("shardwright-place", [g.id.as_str()]), 16)
                    .unwrap_or(0);
                (h % u128::from(self.shards)) as u32 + 1
            })
            .collect();
        (shards, unplanned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shard::{self, Group, PlanOptions};

    fn grouping(ids: &[&str]) -> Grouping {
        Grouping {
            groups: ids
                .iter()
                .map(|id| Group {
                    id: id.to_string(),
                    tests: vec![format!("{id} › t1"), format!("{id} › t2")],
                    duration_ms: Some(100.0),
                    ..Group::default()
                })
                .collect(),
            members: ids
                .iter()
                .enumerate()
                .map(|(i, _)| vec![2 * i as u32, 2 * i as u32 + 1])
                .collect(),
        }
    }

    #[test]
    fn a_plan_round_trips_and_places_unknown_groups_alike_everywhere() {
        let g = grouping(&["a", "b", "c", "d"]);
        let plan = shard::plan(&g.groups, &PlanOptions::new(2)).unwrap();
        let file = PlanFile::new(Some("run-1"), &plan, &g, "suite".into(), None, 1);
        let back = PlanFile::parse(&file.to_json(), "plan.json").unwrap();
        assert_eq!(back, file);
        let (shards, unplanned) = back.place(&g);
        assert!(unplanned.is_empty());
        for (i, s) in shards.iter().enumerate() {
            assert!(plan.shards[*s as usize - 1].groups.contains(&i));
        }
        // A new group and a renamed group whose test was planned.
        let mut changed = grouping(&["a", "new"]);
        changed.groups[1].tests[0] = "b › t1".into();
        let (s1, u1) = back.place(&changed);
        assert_eq!(s1[1], shards[1], "follows its planned test");
        assert!(u1.is_empty());
        let fresh = grouping(&["zzz"]);
        let (s2, u2) = back.place(&fresh);
        assert_eq!(u2, vec![0]);
        assert_eq!(back.place(&fresh).0, s2, "the same shard every time");
    }

    #[test]
    fn bad_plan_files_are_named() {
        let e = PlanFile::parse("{}", "plan.json").unwrap_err();
        assert_eq!(e.code(), "ERR_SHARDWRIGHT_CONFIG");
        assert!(
            e.to_string()
                .starts_with("invalid plan: plan.json (a plan written by `shardwright plan --out`"),
            "{e}"
        );
        let g = grouping(&["a"]);
        let plan = shard::plan(&g.groups, &PlanOptions::new(1)).unwrap();
        let mut file = PlanFile::new(None, &plan, &g, "s".into(), None, 1);
        file.version = 9;
        let e = PlanFile::parse(&file.to_json(), "p.json").unwrap_err();
        assert!(
            e.to_string()
                .contains("a plan of version 1 (this one is version 9"),
            "{e}"
        );
    }
}
