//! Planning: which groups run on which shard, by one of the strategies, and
//! the numbers that say how good the plan is (makespan against the lower
//! bound).

use std::collections::BTreeMap;

use crate::error::{Error, Result};

use super::balance::{self, Class, Item, NoPenalty, Penalty, FREE, NONE, PINNED};
use super::fingerprint::fingerprint;
use super::group::{self, BalancedBy, Group};
use super::options::{PlanOptions, Strategy, TagMode};
use super::playwright;

/// One shard of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardPlan {
    /// 1-based, as in `--shard=i/n`.
    pub index: u32,
    /// Indexes into the planned groups, in run order.
    pub groups: Vec<usize>,
    pub tests: usize,
    /// Sum of the groups' loads (ms, or tests when balanced by count).
    pub load: f64,
    pub weight: f64,
    /// `load ÷ weight`: when the shard is expected to finish.
    pub expected: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub shards: Vec<ShardPlan>,
    pub strategy: Strategy,
    pub tag_mode: TagMode,
    pub balanced_by: BalancedBy,
    pub groups: usize,
    pub tests: usize,
    /// Sum of all loads.
    pub total: f64,
    /// `max(total ÷ Σ weights, longest group ÷ fastest weight)`.
    pub lower_bound: f64,
    /// The latest shard's expected finish.
    pub makespan: f64,
    /// `makespan ÷ lower bound` (1 = perfect; 1 when the bound is 0).
    pub imbalance: f64,
    /// Groups whose duration was unknown and estimated.
    pub estimated_groups: usize,
    pub per_test_estimate_ms: Option<f64>,
    pub fingerprint: String,
}

impl Plan {
    /// The test keys of shard `index` (1-based), in run order.
    pub fn shard_tests<'g>(&self, groups: &'g [Group], index: u32) -> Result<Vec<&'g str>> {
        let shard = self.shard(index)?;
        Ok(shard
            .groups
            .iter()
            .flat_map(|&g| groups[g].test_keys().iter().map(String::as_str))
            .collect())
    }

    pub fn shard(&self, index: u32) -> Result<&ShardPlan> {
        if index == 0 || index as usize > self.shards.len() {
            return Err(Error::invalid(
                "index",
                index,
                format!("a whole number from 1 to {}", self.shards.len()),
            ));
        }
        Ok(&self.shards[index as usize - 1])
    }
}

/// Each group's position in (load descending, id ascending) order. Ranks
/// only ever break ties between equal loads, so this is id order where it
/// matters, and the plan does not depend on the order the groups arrive in
/// (except for the order-based strategies, round-robin and playwright).
/// Sorting by load first compares ids only for equal loads: much cheaper
/// than sorting 100,000 ids.
fn ranks(groups: &[Group], loads: &[f64]) -> Vec<u32> {
    let mut keyed: Vec<(u64, u32)> = loads
        .iter()
        .enumerate()
        .map(|(i, &l)| (balance::descending(l), i as u32))
        .collect();
    keyed.sort_unstable();
    // Then each run of equal loads by id (the ids side by side: a
    // comparison reads the two strings, not the two groups first).
    let mut start = 0;
    let mut ids: Vec<(&str, u32)> = Vec::new();
    while start < keyed.len() {
        let key = keyed[start].0;
        let end = start + keyed[start..].partition_point(|k| k.0 == key);
        if end - start > 1 {
            ids.clear();
            ids.extend(
                keyed[start..end]
                    .iter()
                    .map(|&(_, g)| (groups[g as usize].id.as_str(), g)),
            );
            ids.sort_unstable_by(|a, b| a.0.cmp(b.0));
            for (slot, &(_, g)) in keyed[start..end].iter_mut().zip(&ids) {
                slot.1 = g;
            }
        }
        start = end;
    }
    let mut rank = vec![0u32; groups.len()];
    for (r, &(_, g)) in keyed.iter().enumerate() {
        rank[g as usize] = r as u32;
    }
    rank
}

/// Balances free items: LPT, then (with `improve`) the local search, and on
/// small equal-speed inputs the differencing method plus the local search,
/// keeping the better.
fn balance_free(items: &[Item], weights: &[f64], improve: bool) -> Vec<u32> {
    let n = weights.len();
    let mut of = vec![NONE; items.len()];
    let mut loads = vec![0.0; n];
    let order = balance::lpt_order(items, 0..items.len());
    balance::lpt(items, &order, weights, &mut loads, &mut of, &mut NoPenalty);
    if !improve || n < 2 {
        return of;
    }
    let bound = balance::lower_bound(items, weights);
    balance::improve(items, weights, &mut of, bound, balance::DEFAULT_BUDGET);
    let equal = weights.iter().all(|&w| w == weights[0]);
    if equal && items.len() <= balance::LDM_MAX_ITEMS {
        let mut alt = vec![NONE; items.len()];
        let all: Vec<usize> = (0..items.len()).collect();
        balance::ldm(items, &all, n, &mut alt);
        balance::improve(items, weights, &mut alt, bound, balance::DEFAULT_BUDGET);
        let span = |of: &[u32]| balance::makespan(&balance::shard_loads(items, of, n), weights);
        if span(&alt) < span(&of) {
            of = alt;
        }
    }
    of
}

/// Units made of several groups (a file across projects, a tag cluster):
/// balanced as one item each, then expanded.
fn balance_clusters(
    clusters: &[Vec<usize>],
    keys: &[&str],
    loads: &[f64],
    weights: &[f64],
    improve: bool,
) -> Vec<u32> {
    let mut by_key: Vec<usize> = (0..clusters.len()).collect();
    by_key.sort_by(|&a, &b| keys[a].cmp(keys[b]));
    let mut rank = vec![0u32; clusters.len()];
    for (r, &c) in by_key.iter().enumerate() {
        rank[c] = r as u32;
    }
    let items: Vec<Item> = clusters
        .iter()
        .zip(&rank)
        .map(|(members, &r)| Item::free(members.iter().map(|&g| loads[g]).sum(), r))
        .collect();
    let cluster_of = balance_free(&items, weights, improve);
    let mut of = vec![NONE; loads.len()];
    for (members, &s) in clusters.iter().zip(&cluster_of) {
        for &g in members {
            of[g] = s;
        }
    }
    of
}

/// Tag counts per shard, so LPT prefers the shards with the fewest groups of
/// the item's tags.
struct TagSpread {
    shards: usize,
    tags_of: Vec<Vec<usize>>,
    counts: Vec<u64>,
}

impl Penalty for TagSpread {
    fn penalty(&self, item: usize, shard: usize) -> u64 {
        self.tags_of[item]
            .iter()
            .map(|&t| self.counts[t * self.shards + shard])
            .sum()
    }
    fn assigned(&mut self, item: usize, shard: usize) {
        for &t in &self.tags_of[item] {
            self.counts[t * self.shards + shard] += 1;
        }
    }
}

fn considered_tags<'g>(group: &'g Group, filter: &Option<Vec<String>>) -> Vec<&'g str> {
    let mut tags: Vec<&str> = group
        .tags
        .iter()
        .map(String::as_str)
        .filter(|t| filter.as_ref().is_none_or(|f| f.iter().any(|x| x == t)))
        .collect();
    tags.sort_unstable();
    tags.dedup();
    tags
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// The strategies that balance, run in rank space: group `r` is the group
/// of rank `r`, so no decision and no floating-point sum depends on the
/// order the groups arrived in.
fn plan_ranked(
    view: &[&Group],
    loads: &[f64],
    free: &[Item],
    weights: &[f64],
    options: &PlanOptions,
) -> Vec<u32> {
    let n = weights.len();
    match options.strategy {
        Strategy::Duration | Strategy::RoundRobin | Strategy::Playwright => {
            balance_free(free, weights, options.improve)
        }
        Strategy::File => {
            let mut files: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
            for (i, g) in view.iter().enumerate() {
                files.entry(&g.file).or_default().push(i);
            }
            let keys: Vec<&str> = files.keys().copied().collect();
            let clusters: Vec<Vec<usize>> = files.into_values().collect();
            balance_clusters(&clusters, &keys, loads, weights, options.improve)
        }
        Strategy::Tag => {
            // Interned in sorted order: indexes do not depend on input order.
            let tags_of: Vec<Vec<&str>> = view
                .iter()
                .map(|g| considered_tags(g, &options.tags))
                .collect();
            let mut index: BTreeMap<&str, usize> = BTreeMap::new();
            for t in tags_of.iter().flatten() {
                index.insert(t, 0);
            }
            for (i, v) in index.values_mut().enumerate() {
                *v = i;
            }
            match options.tag_mode {
                TagMode::Group => {
                    // Union-find over "shares a tag".
                    let mut parent: Vec<usize> = (0..view.len()).collect();
                    let mut first: Vec<Option<usize>> = vec![None; index.len()];
                    for (g, tags) in tags_of.iter().enumerate() {
                        for t in tags {
                            let t = index[t];
                            match first[t] {
                                None => first[t] = Some(g),
                                Some(o) => {
                                    let (a, b) = (find(&mut parent, o), find(&mut parent, g));
                                    if a != b {
                                        parent[a.max(b)] = a.min(b);
                                    }
                                }
                            }
                        }
                    }
                    let mut clusters: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
                    for g in 0..view.len() {
                        let root = find(&mut parent, g);
                        clusters.entry(root).or_default().push(g);
                    }
                    let clusters: Vec<Vec<usize>> = clusters.into_values().collect();
                    // A cluster's key: its smallest group id.
                    let keys: Vec<&str> = clusters
                        .iter()
                        .map(|c| {
                            c.iter()
                                .map(|&g| view[g].id.as_str())
                                .min()
                                .expect("a cluster has a group")
                        })
                        .collect();
                    balance_clusters(&clusters, &keys, loads, weights, options.improve)
                }
                TagMode::Spread => {
                    // Groups with the same tag set may swap; tagged view
                    // never move alone (that would upset the spread).
                    let mut classes: BTreeMap<Vec<&str>, Class> = BTreeMap::new();
                    for tags in tags_of.iter().filter(|t| !t.is_empty()) {
                        classes.insert(tags.clone(), 0);
                    }
                    for (i, v) in classes.values_mut().enumerate() {
                        *v = i as Class + 1;
                    }
                    let items: Vec<Item> = free
                        .iter()
                        .zip(&tags_of)
                        .map(|(item, tags)| Item {
                            class: if tags.is_empty() { FREE } else { classes[tags] },
                            ..*item
                        })
                        .collect();
                    let mut spread = TagSpread {
                        shards: n,
                        tags_of: tags_of
                            .iter()
                            .map(|tags| tags.iter().map(|t| index[t]).collect())
                            .collect(),
                        counts: vec![0; index.len() * n],
                    };
                    let mut of = vec![NONE; view.len()];
                    let mut shard_loads = vec![0.0; n];
                    let order = balance::lpt_order(&items, 0..items.len());
                    balance::lpt(
                        &items,
                        &order,
                        weights,
                        &mut shard_loads,
                        &mut of,
                        &mut spread,
                    );
                    if options.improve {
                        let bound = balance::lower_bound(&items, weights);
                        balance::improve(&items, weights, &mut of, bound, balance::DEFAULT_BUDGET);
                    }
                    of
                }
            }
        }
        Strategy::FailFirst => {
            let items: Vec<Item> = free
                .iter()
                .zip(view)
                .map(|(item, g)| Item {
                    class: if g.failed_last_run { PINNED } else { FREE },
                    ..*item
                })
                .collect();
            let mut of = vec![NONE; view.len()];
            let mut shard_loads = vec![0.0; n];
            let failed =
                balance::lpt_order(&items, (0..view.len()).filter(|&g| view[g].failed_last_run));
            balance::lpt(
                &items,
                &failed,
                weights,
                &mut shard_loads,
                &mut of,
                &mut NoPenalty,
            );
            let rest = balance::lpt_order(
                &items,
                (0..view.len()).filter(|&g| !view[g].failed_last_run),
            );
            balance::lpt(
                &items,
                &rest,
                weights,
                &mut shard_loads,
                &mut of,
                &mut NoPenalty,
            );
            if options.improve {
                let bound = balance::lower_bound(&items, weights);
                balance::improve(&items, weights, &mut of, bound, balance::DEFAULT_BUDGET);
            }
            of
        }
    }
}

/// Plans `groups` (validated here) over `options.shards` shards.
pub fn plan(groups: &[Group], options: &PlanOptions) -> Result<Plan> {
    options.validate()?;
    group::validate(groups)?;
    let weights = options.weights();
    let n = weights.len();
    let group::Loads {
        loads,
        balanced_by,
        estimated,
        per_test_estimate_ms,
    } = group::loads(groups);
    let rank = ranks(groups, &loads);
    let mut by_rank = vec![0usize; groups.len()];
    for (g, &r) in rank.iter().enumerate() {
        by_rank[r as usize] = g;
    }
    let view: Vec<&Group> = by_rank.iter().map(|&g| &groups[g]).collect();
    let ranked_loads: Vec<f64> = by_rank.iter().map(|&g| loads[g]).collect();
    let free: Vec<Item> = ranked_loads
        .iter()
        .enumerate()
        .map(|(r, &l)| Item::free(l, r as u32))
        .collect();
    let input_order = matches!(
        options.strategy,
        Strategy::RoundRobin | Strategy::Playwright
    );
    let of: Vec<u32> = match options.strategy {
        Strategy::RoundRobin => (0..groups.len()).map(|i| (i % n) as u32).collect(),
        Strategy::Playwright => {
            let sizes = group::counts(groups);
            let mut of = vec![NONE; groups.len()];
            let split = playwright::split(&sizes, n, options.weights.as_deref());
            for (s, members) in split.iter().enumerate() {
                for &g in members {
                    of[g] = s as u32;
                }
            }
            of
        }
        _ => {
            let ranked = plan_ranked(&view, &ranked_loads, &free, &weights, options);
            let mut of = vec![NONE; groups.len()];
            for (r, &s) in ranked.iter().enumerate() {
                of[by_rank[r]] = s;
            }
            of
        }
    };

    // Each shard's groups in input order (round-robin, playwright) or in
    // rank order: the longest first, so a shard's workers end together, ties
    // by id.
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n];
    let order: Box<dyn Iterator<Item = usize>> = if input_order {
        Box::new(0..groups.len())
    } else {
        Box::new(by_rank.iter().copied())
    };
    for g in order {
        if of[g] != NONE {
            members[of[g] as usize].push(g);
        }
    }
    let fail_first = options.strategy == Strategy::FailFirst;
    let shards: Vec<ShardPlan> = members
        .into_iter()
        .enumerate()
        .map(|(s, mut list)| {
            if fail_first {
                // Failed groups first (a stable sort keeps rank order).
                list.sort_by_key(|&g| !groups[g].failed_last_run);
            }
            let load: f64 = list.iter().map(|&g| loads[g]).sum();
            ShardPlan {
                index: s as u32 + 1,
                tests: list.iter().map(|&g| groups[g].test_count()).sum(),
                groups: list,
                load,
                weight: weights[s],
                expected: load / weights[s],
            }
        })
        .collect();
    let total: f64 = ranked_loads.iter().sum();
    let lower_bound = balance::lower_bound(&free, &weights);
    let makespan = shards.iter().map(|s| s.expected).fold(0.0, f64::max);
    let imbalance = if lower_bound > 0.0 {
        makespan / lower_bound
    } else {
        1.0
    };
    Ok(Plan {
        shards,
        strategy: options.strategy,
        tag_mode: options.tag_mode,
        balanced_by,
        groups: groups.len(),
        tests: groups.iter().map(Group::test_count).sum(),
        total,
        lower_bound,
        makespan,
        imbalance,
        estimated_groups: estimated,
        per_test_estimate_ms,
        fingerprint: fingerprint(groups, options),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shard::group::tests::group;

    fn opts(shards: u32, strategy: Strategy) -> PlanOptions {
        PlanOptions {
            strategy,
            ..PlanOptions::new(shards)
        }
    }

    fn ids(p: &Plan, groups: &[Group]) -> Vec<Vec<String>> {
        p.shards
            .iter()
            .map(|s| s.groups.iter().map(|&g| groups[g].id.clone()).collect())
            .collect()
    }

    /// Every group exactly once.
    fn assert_partition(p: &Plan, groups: &[Group]) {
        let mut all: Vec<usize> = p.shards.iter().flat_map(|s| s.groups.clone()).collect();
        all.sort();
        assert_eq!(all, (0..groups.len()).collect::<Vec<_>>());
        assert_eq!(p.shards.iter().map(|s| s.tests).sum::<usize>(), p.tests);
    }

    fn timed(loads: &[f64]) -> Vec<Group> {
        loads
            .iter()
            .enumerate()
            .map(|(i, &d)| group(&format!("g{i:02}"), 1, Some(d)))
            .collect()
    }

    #[test]
    fn duration_finds_the_optimum_lpt_misses() {
        // LPT: 7 vs optimum 6 (3+3 | 2+2+2).
        let groups = timed(&[3.0, 3.0, 2.0, 2.0, 2.0]);
        let lpt = plan(
            &groups,
            &PlanOptions {
                improve: false,
                ..PlanOptions::new(2)
            },
        )
        .unwrap();
        assert_eq!(lpt.makespan, 7.0);
        let p = plan(&groups, &PlanOptions::new(2)).unwrap();
        assert_partition(&p, &groups);
        assert_eq!(
            (p.total, p.lower_bound, p.makespan, p.imbalance),
            (12.0, 6.0, 6.0, 1.0)
        );
        assert_eq!(p.balanced_by, BalancedBy::Duration);
        // Run order: longest first.
        for s in &p.shards {
            let l: Vec<f64> = s
                .groups
                .iter()
                .map(|&g| groups[g].duration_ms.unwrap())
                .collect();
            assert!(l.windows(2).all(|w| w[0] >= w[1]), "{l:?}");
        }
    }

    #[test]
    fn the_longest_group_bounds_the_plan() {
        let groups = timed(&[100.0, 10.0, 10.0, 10.0]);
        let p = plan(&groups, &PlanOptions::new(3)).unwrap();
        assert_eq!(p.lower_bound, 100.0);
        assert_eq!(p.makespan, 100.0);
        assert_eq!(ids(&p, &groups)[0], vec!["g00"]);
    }

    #[test]
    fn deterministic_and_independent_of_input_order() {
        let loads: Vec<f64> = (0..200).map(|i| ((i * 7919) % 1000) as f64 + 0.5).collect();
        let groups = timed(&loads);
        let a = plan(&groups, &PlanOptions::new(7)).unwrap();
        let b = plan(&groups, &PlanOptions::new(7)).unwrap();
        assert_eq!(a, b);
        let mut reversed = groups.clone();
        reversed.reverse();
        let r = plan(&reversed, &PlanOptions::new(7)).unwrap();
        assert_eq!(ids(&a, &groups), ids(&r, &reversed));
        // The fingerprint covers input order (order-based strategies need it).
        assert_ne!(a.fingerprint, r.fingerprint);
        // Equal durations: ties broken by id, not by position.
        let same = timed(&[5.0; 6]);
        let mut shuffled = same.clone();
        shuffled.swap(0, 5);
        shuffled.swap(1, 3);
        let x = plan(&same, &PlanOptions::new(3)).unwrap();
        let y = plan(&shuffled, &PlanOptions::new(3)).unwrap();
        assert_eq!(ids(&x, &same), ids(&y, &shuffled));
        assert_eq!(
            ids(&x, &same),
            vec![vec!["g00", "g03"], vec!["g01", "g04"], vec!["g02", "g05"]]
        );
    }

    #[test]
    fn count_balancing_without_durations() {
        let groups: Vec<Group> = [5, 1, 1, 1, 1, 1]
            .iter()
            .enumerate()
            .map(|(i, &n)| group(&format!("f{i}"), n, None))
            .collect();
        let p = plan(&groups, &PlanOptions::new(2)).unwrap();
        assert_eq!(p.balanced_by, BalancedBy::Count);
        assert_eq!(
            p.shards.iter().map(|s| s.tests).collect::<Vec<_>>(),
            vec![5, 5]
        );
        assert_eq!(p.makespan, 5.0);
    }

    #[test]
    fn unknown_durations_use_the_median_per_test() {
        let mut groups = timed(&[100.0, 100.0, 300.0]);
        groups.push(group("new", 3, None));
        let p = plan(&groups, &PlanOptions::new(2)).unwrap();
        assert_eq!(p.balanced_by, BalancedBy::Duration);
        assert_eq!(p.estimated_groups, 1);
        assert_eq!(p.per_test_estimate_ms, Some(100.0));
        // 300 | 100+100+new(300)... → 300 | 500 is worse than 300+100 | 100+300.
        assert_eq!(p.total, 800.0);
        assert_eq!(p.makespan, 400.0);
    }

    #[test]
    fn round_robin_in_input_order() {
        let groups = timed(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        let p = plan(&groups, &opts(2, Strategy::RoundRobin)).unwrap();
        assert_eq!(
            ids(&p, &groups),
            vec![vec!["g00", "g02", "g04"], vec!["g01", "g03"]]
        );
        assert_eq!(p.makespan, 9.0);
    }

    #[test]
    fn playwright_strategy_is_the_count_split() {
        let groups: Vec<Group> = [4, 1, 3, 2]
            .iter()
            .enumerate()
            .map(|(i, &n)| group(&format!("f{i}"), n, Some(1.0)))
            .collect();
        let p = plan(&groups, &opts(3, Strategy::Playwright)).unwrap();
        assert_eq!(
            ids(&p, &groups),
            vec![vec!["f0"], vec!["f1", "f2"], vec!["f3"]]
        );
    }

    #[test]
    fn file_keeps_a_file_on_one_shard_across_projects() {
        let mut groups = Vec::new();
        for project in ["chromium", "firefox"] {
            for (file, d) in [
                ("a.spec.ts", 50.0),
                ("b.spec.ts", 30.0),
                ("c.spec.ts", 20.0),
            ] {
                let mut g = group(&format!("{project} › {file}"), 1, Some(d));
                g.tests = vec![format!("{project} › {file} › t")];
                g.project = project.into();
                g.file = file.into();
                groups.push(g);
            }
        }
        let p = plan(&groups, &opts(2, Strategy::File)).unwrap();
        assert_partition(&p, &groups);
        for s in &p.shards {
            for &g in &s.groups {
                let other = groups
                    .iter()
                    .position(|o| o.file == groups[g].file && o.id != groups[g].id)
                    .unwrap();
                assert!(s.groups.contains(&other), "{} with its twin", groups[g].id);
            }
        }
        // Files 100 | 60+40.
        assert_eq!(p.makespan, 100.0);
        assert_eq!(p.lower_bound, 100.0);
    }

    fn tagged(id: &str, d: f64, tags: &[&str]) -> Group {
        let mut g = group(id, 1, Some(d));
        g.tags = tags.iter().map(|t| t.to_string()).collect();
        g
    }

    #[test]
    fn tag_group_keeps_linked_tags_together() {
        let groups = vec![
            tagged("a", 10.0, &["@db"]),
            tagged("b", 10.0, &["@db", "@slow"]),
            tagged("c", 10.0, &["@slow"]),
            tagged("d", 10.0, &[]),
            tagged("e", 10.0, &["@ui"]),
            tagged("f", 10.0, &[]),
        ];
        let p = plan(&groups, &opts(3, Strategy::Tag)).unwrap();
        let shard_of = |id: &str| {
            p.shards
                .iter()
                .position(|s| s.groups.iter().any(|&g| groups[g].id == id))
                .unwrap()
        };
        assert_eq!(shard_of("a"), shard_of("b"));
        assert_eq!(shard_of("b"), shard_of("c"));
        assert_eq!(p.makespan, 30.0);
        // Only @ui considered: a, b, c are free again and spread out.
        let only_ui = PlanOptions {
            tags: Some(vec!["@ui".into()]),
            ..opts(3, Strategy::Tag)
        };
        let p = plan(&groups, &only_ui).unwrap();
        assert_eq!(p.makespan, 20.0);
    }

    #[test]
    fn tag_spread_spreads_each_tag() {
        // Six @smoke groups and three untagged, 3 shards: two @smoke each.
        let mut groups: Vec<Group> = (0..6)
            .map(|i| tagged(&format!("s{i}"), 10.0 + i as f64, &["@smoke"]))
            .collect();
        groups.extend((0..3).map(|i| tagged(&format!("u{i}"), 40.0, &[])));
        let options = PlanOptions {
            tag_mode: TagMode::Spread,
            ..opts(3, Strategy::Tag)
        };
        let p = plan(&groups, &options).unwrap();
        assert_partition(&p, &groups);
        for s in &p.shards {
            let smoke = s
                .groups
                .iter()
                .filter(|&&g| groups[g].tags.contains(&"@smoke".to_string()))
                .count();
            assert_eq!(smoke, 2, "{:?}", ids(&p, &groups));
        }
        // Plain duration would put the 40s alone with small ones, fine too;
        // spread stays within the bound's neighbourhood: total 195 / 3 = 65.
        assert!(p.makespan <= 66.0, "{}", p.makespan);
    }

    #[test]
    fn fail_first_spreads_failed_groups_and_runs_them_first() {
        let mut groups = timed(&[50.0, 40.0, 30.0, 20.0, 10.0, 5.0, 5.0]);
        for g in [5, 6] {
            groups[g].failed_last_run = true;
        }
        let p = plan(&groups, &opts(2, Strategy::FailFirst)).unwrap();
        assert_partition(&p, &groups);
        for s in &p.shards {
            let first = &groups[s.groups[0]];
            assert!(
                first.failed_last_run,
                "a failed group first on shard {}",
                s.index
            );
            assert_eq!(
                s.groups
                    .iter()
                    .filter(|&&g| groups[g].failed_last_run)
                    .count(),
                1
            );
        }
        // Free loads are tens: 75 | 75 is out of reach, 80+5 | 70+5 is best.
        assert_eq!(p.makespan, 85.0);
    }

    #[test]
    fn weights_give_faster_shards_more() {
        let groups = timed(&[10.0; 12]);
        let options = PlanOptions {
            weights: Some(vec![2.0, 1.0, 1.0]),
            ..PlanOptions::new(3)
        };
        let p = plan(&groups, &options).unwrap();
        assert_eq!(
            p.shards.iter().map(|s| s.groups.len()).collect::<Vec<_>>(),
            vec![6, 3, 3]
        );
        assert_eq!(
            p.shards.iter().map(|s| s.expected).collect::<Vec<_>>(),
            vec![30.0, 30.0, 30.0]
        );
        assert_eq!(p.lower_bound, 30.0);
        assert_eq!(p.imbalance, 1.0);
    }

    #[test]
    fn more_shards_than_groups_leaves_some_empty() {
        let groups = timed(&[1.0, 2.0]);
        let p = plan(&groups, &PlanOptions::new(4)).unwrap();
        assert_eq!(p.shards.iter().filter(|s| s.groups.is_empty()).count(), 2);
        assert_eq!(p.makespan, 2.0);
        assert_eq!(p.shard_tests(&groups, 3).unwrap(), Vec::<&str>::new());
    }

    #[test]
    fn shard_tests_and_bad_options() {
        let groups = timed(&[3.0, 1.0]);
        let p = plan(&groups, &PlanOptions::new(2)).unwrap();
        assert_eq!(p.shard_tests(&groups, 1).unwrap(), vec!["g00 #0"]);
        let e = p.shard_tests(&groups, 3).unwrap_err();
        assert_eq!(e.code(), "ERR_SHARDWRIGHT_CONFIG");
        assert_eq!(
            e.to_string(),
            "invalid index: 3 (a whole number from 1 to 2)"
        );
        let e = plan(&groups, &PlanOptions::new(0)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid shards: 0 (a whole number from 1 to 10000)"
        );
        let e = plan(
            &groups,
            &PlanOptions {
                weights: Some(vec![1.0]),
                ..PlanOptions::new(2)
            },
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid weights: [1] (one weight per shard: 2 numbers > 0)"
        );
        let e = plan(
            &groups,
            &PlanOptions {
                weights: Some(vec![1.0, f64::NAN]),
                ..PlanOptions::new(2)
            },
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid weights[1]: NaN (a finite number > 0)"
        );
        assert_eq!(Strategy::from_name("fastest"), None);
        for name in Strategy::NAMES {
            assert_eq!(Strategy::from_name(name).unwrap().name(), name);
        }
    }

    #[test]
    fn every_strategy_gives_a_partition_on_a_real_sized_suite() {
        let mut groups: Vec<Group> = (0..300)
            .map(|i| {
                let mut g = group(
                    &format!("f{i:03}"),
                    1 + i % 5,
                    Some(((i * 37) % 97) as f64 * 100.0),
                );
                g.tags = if i % 3 == 0 {
                    vec!["@a".into()]
                } else {
                    vec![]
                };
                g.failed_last_run = i % 29 == 0;
                g.file = format!("file{}", i % 40).into();
                g
            })
            .collect();
        groups[7].duration_ms = None;
        for strategy in [
            Strategy::Duration,
            Strategy::RoundRobin,
            Strategy::File,
            Strategy::FailFirst,
            Strategy::Playwright,
        ] {
            let p = plan(&groups, &opts(8, strategy)).unwrap();
            assert_partition(&p, &groups);
            assert!(p.imbalance >= 1.0 - 1e-12);
        }
        for mode in [TagMode::Group, TagMode::Spread] {
            let p = plan(
                &groups,
                &PlanOptions {
                    tag_mode: mode,
                    ..opts(8, Strategy::Tag)
                },
            )
            .unwrap();
            assert_partition(&p, &groups);
        }
        let best = plan(&groups, &PlanOptions::new(8)).unwrap();
        let rr = plan(&groups, &opts(8, Strategy::RoundRobin)).unwrap();
        assert!(best.makespan <= rr.makespan);
        assert!(best.imbalance < 1.001, "{}", best.imbalance);
    }
}
