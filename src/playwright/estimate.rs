//! How long a group is expected to take: the one answer, for every way of
//! planning (the reporter's shards, `plan`/`shard`, `run`'s queue).
//!
//! Each test's estimate comes from the history (`History::estimates`: its
//! own recent passes, else the mean of its file, else the suite's median);
//! a group's duration is the sum over its tests. When the history knows no
//! durations at all, groups keep none and the plan balances by test count.
//! `failedLastRun` marks a group with a test that failed in its latest run
//! (for `fail-first`).

use crate::history::{EstimateSource, History, RunOutcome};
use crate::shard::Group;

/// What [`apply_history`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Applied {
    /// Groups that got a duration.
    pub with_duration: usize,
    /// Tests the history has an estimate for (own, file or suite).
    pub known_tests: usize,
}

/// What is known of one test: its expected duration and whether it failed
/// in its latest run.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Known {
    pub ms: Option<f64>,
    pub failed_last_run: bool,
}

/// Folds per-test knowledge (in the order of the groups' test keys) into
/// the groups: a group's duration is the sum of its tests' durations, a test
/// without one counting as the median of the known tests; a group with no
/// known test keeps none. Returns how many groups got a duration.
pub fn fold(groups: &mut [Group], per_test: &[Known]) -> usize {
    let mut known: Vec<f64> = per_test
        .iter()
        .filter_map(|k| k.ms.filter(|ms| ms.is_finite() && *ms >= 0.0))
        .collect();
    let median = if known.is_empty() {
        0.0
    } else {
        crate::shard::median(&mut known)
    };
    let mut with_duration = 0;
    let mut at = 0;
    for g in groups.iter_mut() {
        let n = g.test_count();
        let (mut sum, mut hits, mut misses, mut failed) = (0.0, 0, 0, false);
        for k in &per_test[at..at + n] {
            match k.ms.filter(|ms| ms.is_finite() && *ms >= 0.0) {
                Some(ms) => {
                    sum += ms;
                    hits += 1;
                }
                None => misses += 1,
            }
            failed |= k.failed_last_run;
        }
        at += n;
        if hits > 0 {
            g.duration_ms = Some(sum + misses as f64 * median);
            with_duration += 1;
        }
        if failed {
            g.failed_last_run = true;
        }
    }
    with_duration
}

/// Sets every group's `duration_ms` and `failed_last_run` from `history`
/// (one batched lookup; tests the history knows nothing of take its file's
/// or the suite's estimate, see `History::estimates`).
pub fn apply_history(groups: &mut [Group], history: &History) -> Applied {
    if history.runs().is_empty() {
        return Applied::default();
    }
    let keys: Vec<String> = groups
        .iter()
        .flat_map(|g| g.test_keys().iter().cloned())
        .collect();
    let estimates = history.estimates(&keys);
    let outcomes = history.last_outcomes(&keys);
    let per_test: Vec<Known> = estimates
        .iter()
        .zip(&outcomes)
        .map(|(e, o)| Known {
            ms: (e.source != EstimateSource::Default).then_some(e.ms),
            failed_last_run: *o == Some(RunOutcome::Failed),
        })
        .collect();
    let known_tests = per_test.iter().filter(|k| k.ms.is_some()).count();
    Applied {
        with_duration: fold(groups, &per_test),
        known_tests,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::model::tests::{attempt, meta};
    use crate::history::{Limits, Status};

    #[test]
    fn groups_sum_their_tests_and_unknown_tests_take_the_fallbacks() {
        let mut h = History::new(Limits::DEFAULT);
        h.add_run(
            meta("r1", 1, "c1"),
            vec![
                attempt("a", Status::Passed, 0, 100),
                attempt("b", Status::Failed, 0, 300),
            ],
        );
        let key_a = h.tests()[0].key.clone();
        let key_b = h.tests()[1].key.clone();
        let mut groups = vec![
            Group {
                id: "g1".into(),
                tests: vec![key_a.clone(), key_b.clone()],
                ..Group::default()
            },
            Group {
                id: "p › unknown.spec.ts › t".into(),
                ..Group::default()
            },
        ];
        let applied = apply_history(&mut groups, &h);
        assert_eq!(groups[0].duration_ms, Some(400.0));
        assert!(groups[0].failed_last_run);
        // An unknown test of an unknown file: the suite's median.
        assert_eq!(groups[1].duration_ms, Some(200.0));
        assert!(!groups[1].failed_last_run);
        assert_eq!(applied.with_duration, 2);

        // A test without a duration counts as the median of the known ones.
        let mut partial = vec![Group {
            id: "g".into(),
            tests: vec!["x".into(), "y".into(), "z".into()],
            ..Group::default()
        }];
        let known = |ms| Known {
            ms,
            failed_last_run: false,
        };
        assert_eq!(
            fold(
                &mut partial,
                &[known(Some(100.0)), known(Some(300.0)), known(None)]
            ),
            1
        );
        assert_eq!(partial[0].duration_ms, Some(600.0));

        let mut fresh = groups.clone();
        fresh.iter_mut().for_each(|g| g.duration_ms = None);
        let empty = History::new(Limits::DEFAULT);
        assert_eq!(apply_history(&mut fresh, &empty), Applied::default());
        assert!(fresh.iter().all(|g| g.duration_ms.is_none()));
    }
}
