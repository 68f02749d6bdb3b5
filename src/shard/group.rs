//! The unit of sharding: a group of tests that must run on the same shard,
//! formed as Playwright's `createTestGroups` forms them (a file's tests in
//! default mode, a serial suite whole, a parallel-mode test alone, per
//! project), and the load each group puts on a shard.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::error::{Error, Result};

/// A group of tests that stays on one shard.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Group {
    /// Stable across runs and machines, e.g. `chromium › cart.spec.ts` or a
    /// test key for a parallel-mode test.
    pub id: String,
    /// Shared: a suite has few projects and files, and many groups.
    pub project: Arc<str>,
    /// The test file (relative to the project's testDir, `/` separators).
    pub file: Arc<str>,
    /// Stable test keys (see `crate::playwright::testid`). Empty: the group is one test
    /// whose key is `id` (a parallel-mode test), which spares 100,000
    /// single-test groups a second copy of every key.
    pub tests: Vec<String>,
    /// Tags of the group's tests (`@smoke`), without duplicates.
    pub tags: Vec<String>,
    /// Expected duration of the whole group; `None` when unknown.
    pub duration_ms: Option<f64>,
    /// Whether a test of the group failed in the last run.
    pub failed_last_run: bool,
    /// How many of `tests` are expected to be skipped (`test.skip()`,
    /// `test.fixme()`); Playwright's count split leaves them out.
    pub skipped: u32,
}

impl Group {
    /// The keys of the group's tests.
    pub fn test_keys(&self) -> &[String] {
        if self.tests.is_empty() {
            std::slice::from_ref(&self.id)
        } else {
            &self.tests
        }
    }

    pub fn test_count(&self) -> usize {
        self.tests.len().max(1)
    }

    /// Tests that will actually run.
    pub fn active_tests(&self) -> usize {
        self.test_count().saturating_sub(self.skipped as usize)
    }
}

fn plan_error(message: String) -> Error {
    Error::Plan(message)
}

/// Rejects groups no plan can be made from: empty or duplicate ids, a test in
/// two groups (or twice in one), a NaN, infinite or negative duration, more
/// skipped tests than tests. Errors name the group (and the test).
pub fn validate(groups: &[Group]) -> Result<()> {
    let mut ids: FxHashMap<&str, usize> =
        FxHashMap::with_capacity_and_hasher(groups.len(), Default::default());
    // A single-test group's key is its id: the id check covers it against
    // other single-test groups, so only listed keys go in the map, and a
    // single-test group's id is looked up there afterwards.
    let listed: usize = groups.iter().map(|g| g.tests.len()).sum();
    let mut tests: FxHashMap<&str, usize> =
        FxHashMap::with_capacity_and_hasher(listed, Default::default());
    for (i, group) in groups.iter().enumerate() {
        if group.id.is_empty() {
            return Err(plan_error(format!("group #{i} has an empty id")));
        }
        if let Some(first) = ids.insert(&group.id, i) {
            return Err(plan_error(format!(
                "duplicate group id `{}` (groups #{first} and #{i})",
                group.id
            )));
        }
        if let Some(d) = group.duration_ms {
            if !d.is_finite() || d < 0.0 {
                return Err(plan_error(format!(
                    "group `{}` has an invalid durationMs: {} (a finite number ≥ 0, or none when unknown)",
                    group.id,
                    show_number(d)
                )));
            }
        }
        if group.skipped as usize > group.test_count() {
            return Err(plan_error(format!(
                "group `{}` has skipped: {} but only {} tests",
                group.id,
                group.skipped,
                group.test_count()
            )));
        }
        for test in &group.tests {
            if let Some(other) = tests.insert(test, i) {
                return Err(plan_error(if other == i {
                    format!("test `{test}` is twice in group `{}`", group.id)
                } else {
                    in_two_groups(test, groups, other, i)
                }));
            }
        }
    }
    if listed > 0 {
        for (i, group) in groups.iter().enumerate() {
            if group.tests.is_empty() {
                if let Some(&other) = tests.get(group.id.as_str()) {
                    return Err(plan_error(in_two_groups(
                        &group.id,
                        groups,
                        other.min(i),
                        other.max(i),
                    )));
                }
            }
        }
    }
    Ok(())
}

fn in_two_groups(test: &str, groups: &[Group], first: usize, second: usize) -> String {
    format!(
        "test `{test}` is in two groups: `{}` and `{}`",
        groups[first].id, groups[second].id
    )
}

/// How a number is shown in messages: JS spelling for the non-finite ones.
pub fn show_number(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n == f64::INFINITY {
        "Infinity".into()
    } else if n == f64::NEG_INFINITY {
        "-Infinity".into()
    } else {
        n.to_string()
    }
}

/// What a plan balances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BalancedBy {
    /// Expected milliseconds (some or all groups have a duration).
    Duration,
    /// Test counts (no group has a duration).
    Count,
}

impl BalancedBy {
    pub fn name(self) -> &'static str {
        match self {
            BalancedBy::Duration => "duration",
            BalancedBy::Count => "count",
        }
    }
}

/// The load each group puts on a shard, in the unit of `balanced_by`.
#[derive(Debug, Clone, PartialEq)]
pub struct Loads {
    pub loads: Vec<f64>,
    pub balanced_by: BalancedBy,
    /// Groups whose duration was estimated (unknown in the input).
    pub estimated: usize,
    /// The per-test estimate used for them: the median of `durationMs ÷
    /// tests` over the groups with a known duration.
    pub per_test_estimate_ms: Option<f64>,
}

/// Playwright's rule for counting (`filterForShard`): tests not expected to
/// be skipped, unless every test is skipped, then all tests.
pub fn counts(groups: &[Group]) -> Vec<usize> {
    if groups.iter().any(|g| g.active_tests() > 0) {
        groups.iter().map(Group::active_tests).collect()
    } else {
        groups.iter().map(Group::test_count).collect()
    }
}

/// The load of every group.
///
/// - No group has a duration: test counts (Playwright's counting rule), and
///   the plan says `balancedBy: 'count'`.
/// - Some do: milliseconds; a group without one is estimated as the median
///   known per-test duration (`durationMs ÷ tests` over the known groups)
///   times its test count, so a new file weighs like a typical one of its
///   size instead of zero or of the mean (which a few very slow files
///   would drag up).
pub fn loads(groups: &[Group]) -> Loads {
    let mut per_test: Vec<f64> = groups
        .iter()
        .filter_map(|g| g.duration_ms.map(|d| d / g.test_count() as f64))
        .collect();
    if per_test.is_empty() {
        return Loads {
            loads: counts(groups).into_iter().map(|c| c as f64).collect(),
            balanced_by: BalancedBy::Count,
            estimated: 0,
            per_test_estimate_ms: None,
        };
    }
    // The estimate is needed only for groups without a duration.
    let unknown = groups.iter().any(|g| g.duration_ms.is_none());
    let estimate = if unknown { median(&mut per_test) } else { 0.0 };
    let mut estimated = 0;
    let loads = groups
        .iter()
        .map(|g| {
            g.duration_ms.unwrap_or_else(|| {
                estimated += 1;
                estimate * g.test_count() as f64
            })
        })
        .collect();
    Loads {
        loads,
        balanced_by: BalancedBy::Duration,
        estimated,
        per_test_estimate_ms: (estimated > 0).then_some(estimate),
    }
}

/// The median of a non-empty list (the mean of the middle two for an even
/// length); reorders `values`.
pub fn median(values: &mut [f64]) -> f64 {
    let n = values.len();
    let (lower, &mut mid, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        mid
    } else {
        // The largest of the lower half is the other middle value.
        let below = lower.iter().copied().max_by(f64::total_cmp).unwrap_or(mid);
        (below + mid) / 2.0
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A group of `n` tests named `<id> #k`.
    pub fn group(id: &str, n: usize, duration: Option<f64>) -> Group {
        Group {
            id: id.into(),
            project: "p".into(),
            file: id.into(),
            tests: (0..n).map(|k| format!("{id} #{k}")).collect(),
            duration_ms: duration,
            ..Group::default()
        }
    }

    fn message(groups: &[Group]) -> String {
        let e = validate(groups).unwrap_err();
        assert_eq!(e.code(), "ERR_SHARDWRIGHT_PLAN");
        e.to_string()
    }

    #[test]
    fn rejects_bad_groups_naming_them() {
        let a = group("a", 2, Some(1.0));
        assert_eq!(
            message(&[a.clone(), group("a", 1, None)]),
            "failed to plan shards: duplicate group id `a` (groups #0 and #1)"
        );
        let mut b = group("b", 1, None);
        b.tests[0] = "a #1".into();
        assert_eq!(
            message(&[a.clone(), b]),
            "failed to plan shards: test `a #1` is in two groups: `a` and `b`"
        );
        let mut twice = group("t", 2, None);
        twice.tests[1] = "t #0".into();
        assert!(message(&[twice]).ends_with("test `t #0` is twice in group `t`"));
        for (d, shown) in [(f64::NAN, "NaN"), (-1.0, "-1"), (f64::INFINITY, "Infinity")] {
            assert_eq!(
                message(&[group("slow", 1, Some(d))]),
                format!("failed to plan shards: group `slow` has an invalid durationMs: {shown} (a finite number ≥ 0, or none when unknown)")
            );
        }
        assert!(message(&[group("", 1, None)]).ends_with("group #0 has an empty id"));
        // No test keys: one test keyed by the id, which collides like any key.
        let single = group("solo", 0, None);
        assert_eq!(single.test_keys(), ["solo".to_string()]);
        let mut other = group("x", 1, None);
        other.tests[0] = "solo".into();
        assert!(message(&[single.clone(), other.clone()])
            .ends_with("test `solo` is in two groups: `solo` and `x`"));
        // Either order: the listed key found first, or the single-test group.
        assert!(message(&[other, group("y", 0, None), single])
            .ends_with("test `solo` is in two groups: `x` and `solo`"));
        let mut s = group("s", 1, None);
        s.skipped = 2;
        assert!(message(&[s]).ends_with("group `s` has skipped: 2 but only 1 tests"));
        assert!(validate(&[a, group("b", 3, Some(0.0))]).is_ok());
    }

    #[test]
    fn loads_by_count_without_any_duration() {
        let mut g = vec![group("a", 3, None), group("b", 2, None)];
        g[0].skipped = 1;
        let l = loads(&g);
        assert_eq!(l.balanced_by, BalancedBy::Count);
        assert_eq!(l.loads, vec![2.0, 2.0]);
        // Every test skipped: all tests count (Playwright's rule).
        g[1].skipped = 2;
        g[0].skipped = 3;
        assert_eq!(loads(&g).loads, vec![3.0, 2.0]);
    }

    #[test]
    fn unknown_durations_are_the_median_per_test_times_tests() {
        // Per test: 10, 20, 300 → median 20.
        let g = vec![
            group("a", 1, Some(10.0)),
            group("b", 2, Some(40.0)),
            group("c", 1, Some(300.0)),
            group("new", 4, None),
        ];
        let l = loads(&g);
        assert_eq!(l.balanced_by, BalancedBy::Duration);
        assert_eq!(l.loads, vec![10.0, 40.0, 300.0, 80.0]);
        assert_eq!(l.estimated, 1);
        assert_eq!(l.per_test_estimate_ms, Some(20.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    proptest::proptest! {
        #[test]
        fn median_is_the_middle_of_the_sorted_list(mut v in proptest::collection::vec(0.0f64..1e6, 1..40)) {
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            let n = sorted.len();
            let want = if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 };
            proptest::prop_assert_eq!(median(&mut v), want);
        }
    }
}
