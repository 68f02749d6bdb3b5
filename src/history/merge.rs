//! Merging histories: the shards of one CI pipeline (each uploads its own
//! history), or a history and the file a concurrent writer saved meanwhile.
//!
//! Runs are matched by id, so a run present in both is never duplicated. For
//! each (test, run) pair the attempts of whichever side has them are kept; when
//! both sides have them they are the same attempts, and this side's win.

use rustc_hash::FxHashMap as HashMap;

use super::model::{Attempt, History};

/// What [`History::merge`] added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MergeSummary {
    /// Runs that were not in this history.
    pub runs_added: usize,
    /// Runs both histories had (kept once).
    pub runs_shared: usize,
    pub tests_added: usize,
    pub attempts_added: usize,
}

impl History {
    pub fn merge(&mut self, other: &History) -> MergeSummary {
        let mut summary = MergeSummary::default();
        let mut new_runs = Vec::new();
        for run in &other.runs {
            if self.run_index.contains_key(&run.id) {
                summary.runs_shared += 1;
            } else {
                new_runs.push(run.clone());
            }
        }
        summary.runs_added = new_runs.len();
        // Appending then sorting once is cheaper than inserting one by one when
        // many runs are older than ours.
        let all_after = new_runs.iter().all(|r| {
            self.runs
                .last()
                .is_none_or(|last| (r.started_at, &r.id) > (last.started_at, &last.id))
        });
        if all_after {
            let mut sorted = new_runs;
            sorted.sort_by(|a, b| (a.started_at, &a.id).cmp(&(b.started_at, &b.id)));
            for run in sorted {
                self.run_index
                    .insert(run.id.clone(), self.runs.len() as u32);
                self.runs.push(run);
            }
        } else {
            for run in new_runs {
                self.insert_run(run);
            }
        }
        // Their run index → ours.
        let run_map: Vec<u32> = other.runs.iter().map(|r| self.run_index[&r.id]).collect();
        let mut error_map: HashMap<u32, u32> = HashMap::default();
        let max_runs = self.limits.max_runs;
        for theirs in &other.tests {
            let existed = self.test_index.contains(&self.tests, &theirs.key);
            let slot = self.slot_for(&theirs.key, || theirs.id.clone());
            let mut added: Vec<Attempt> = Vec::new();
            for group in theirs.runs() {
                let run = run_map[group[0].run as usize];
                let ours = &self.tests[slot].attempts;
                let at = ours.partition_point(|a| a.run < run);
                if ours.get(at).is_some_and(|a| a.run == run) {
                    continue;
                }
                for a in group {
                    let error = if a.error == 0 {
                        0
                    } else if let Some(&e) = error_map.get(&a.error) {
                        e
                    } else {
                        let info = other.errors[a.error as usize - 1].clone();
                        let e = self.intern_error(info);
                        error_map.insert(a.error, e);
                        e
                    };
                    added.push(Attempt { run, error, ..*a });
                }
            }
            let record = &mut self.tests[slot];
            if record.line.is_none() {
                record.line = theirs.line;
            }
            if record.tags.is_empty() {
                record.tags = theirs.tags.clone();
            }
            if !added.is_empty() {
                summary.attempts_added += added.len();
                if !existed {
                    summary.tests_added += 1;
                }
                record.attempts.extend(added);
                record.attempts.sort_by_key(|a| (a.run, a.retry));
                record.trim_to(max_runs);
            }
        }
        // Their recorded incidents come along with their runs.
        for inc in &other.incidents {
            let known = self.incidents.iter().any(|i| {
                i.run_id == inc.run_id && i.project == inc.project && i.signature == inc.signature
            });
            if !known {
                self.incidents.push(inc.clone());
            }
        }
        self.drop_empty_tests();
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::model::tests::{attempt, meta};
    use crate::history::model::{Limits, Status};

    #[test]
    fn shards_merge_without_duplicates() {
        let mut a = History::new(Limits::DEFAULT);
        let mut b = History::new(Limits::DEFAULT);
        // One earlier run both shards have (a shared, downloaded history).
        for h in [&mut a, &mut b] {
            h.add_run(
                meta("base", 1, "c0"),
                vec![
                    attempt("t1", Status::Passed, 0, 10),
                    attempt("t2", Status::Passed, 0, 20),
                ],
            );
        }
        a.add_run(
            meta("pipeline-7-shard-1", 5, "c1"),
            vec![
                attempt("t1", Status::Failed, 0, 11),
                attempt("t1", Status::Passed, 1, 12),
            ],
        );
        b.add_run(
            meta("pipeline-7-shard-2", 6, "c1"),
            vec![
                attempt("t2", Status::Passed, 0, 21),
                attempt("t3", Status::Failed, 0, 5),
            ],
        );
        let s = a.merge(&b);
        assert_eq!(
            s,
            MergeSummary {
                runs_added: 1,
                runs_shared: 1,
                tests_added: 1,
                attempts_added: 2
            }
        );
        assert_eq!(a.runs().len(), 3);
        let durations = |h: &History, k: &str| {
            h.test(k)
                .unwrap()
                .attempts
                .iter()
                .map(|a| a.duration_ms)
                .collect::<Vec<_>>()
        };
        assert_eq!(durations(&a, "chromium › a.spec.ts › t1"), [10, 11, 12]);
        assert_eq!(durations(&a, "chromium › a.spec.ts › t2"), [20, 21]);
        assert_eq!(durations(&a, "chromium › a.spec.ts › t3"), [5]);
        // Merging again changes nothing.
        let again = a.merge(&b);
        assert_eq!((again.runs_added, again.attempts_added), (0, 0));
        assert_eq!(a.attempt_count(), 6);
        // The error messages were carried over.
        let t3 = a.test("chromium › a.spec.ts › t3").unwrap();
        assert_eq!(a.error(t3.attempts[0].error).unwrap().message, "t3 failed");
    }

    #[test]
    fn older_runs_land_in_order() {
        let mut a = History::new(Limits::DEFAULT);
        a.add_run(
            meta("new", 100, ""),
            vec![attempt("t", Status::Passed, 0, 2)],
        );
        let mut b = History::new(Limits::DEFAULT);
        b.add_run(
            meta("old", 50, ""),
            vec![attempt("t", Status::Failed, 0, 1)],
        );
        a.merge(&b);
        assert_eq!(
            a.runs().iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["old", "new"]
        );
        let t = a.test("chromium › a.spec.ts › t").unwrap();
        assert_eq!(
            t.attempts
                .iter()
                .map(|x| (x.run, x.duration_ms))
                .collect::<Vec<_>>(),
            [(0, 1), (1, 2)]
        );
    }
}
