//! Expected durations for shard planning.
//!
//! A test's estimate is the median of its last [`RECENT_PASSES`] passing
//! attempts (a median shrugs off the one run where the machine was busy);
//! a test that never passed uses the median of all its attempts that ran. A
//! test the history does not know gets the mean estimate of the known tests in
//! its file, then the median estimate of the whole suite, then
//! [`DEFAULT_ESTIMATE_MS`] when the history is empty.

use rustc_hash::FxHashMap as HashMap;

use super::model::{History, RunOutcome, Status, TestRecord};
use crate::playwright::testid::SEPARATOR;

pub const RECENT_PASSES: usize = 10;
pub const DEFAULT_ESTIMATE_MS: f64 = 1000.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EstimateSource {
    /// The test's own recent durations.
    History,
    /// The mean of the known tests in the same file.
    File,
    /// The median of every known test.
    Suite,
    /// Nothing known at all.
    Default,
}

impl EstimateSource {
    pub fn name(self) -> &'static str {
        match self {
            EstimateSource::History => "history",
            EstimateSource::File => "file",
            EstimateSource::Suite => "suite",
            EstimateSource::Default => "default",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub ms: f64,
    pub source: EstimateSource,
    /// How many durations the estimate came from (0 unless `History`).
    pub samples: u32,
}

fn median(values: &mut [u32]) -> f64 {
    values.sort_unstable();
    let n = values.len();
    if n % 2 == 1 {
        f64::from(values[n / 2])
    } else {
        (f64::from(values[n / 2 - 1]) + f64::from(values[n / 2])) / 2.0
    }
}

/// The test's own estimate, if it ever ran.
pub fn own_estimate(test: &TestRecord) -> Option<(f64, u32)> {
    let mut passes: Vec<u32> = test
        .attempts
        .iter()
        .rev()
        .filter(|a| a.status == Status::Passed)
        .take(RECENT_PASSES)
        .map(|a| a.duration_ms)
        .collect();
    if passes.is_empty() {
        passes = test
            .attempts
            .iter()
            .rev()
            .filter(|a| !matches!(a.status, Status::Skipped | Status::Interrupted))
            .take(RECENT_PASSES)
            .map(|a| a.duration_ms)
            .collect();
    }
    if passes.is_empty() {
        return None;
    }
    let n = passes.len() as u32;
    Some((median(&mut passes), n))
}

/// `project › file` of a test (the file part of its key).
fn file_key(test: &TestRecord) -> String {
    if test.id.project.is_empty() {
        test.id.file.clone()
    } else {
        format!("{}{SEPARATOR}{}", test.id.project, test.id.file)
    }
}

/// The file part of an unknown key: the longest of its first one or two parts
/// that names a known file.
fn file_of_key<'m, V>(key: &str, files: &'m HashMap<String, V>) -> Option<&'m V> {
    let mut cuts = key.match_indices(SEPARATOR).map(|(i, _)| i);
    let first = cuts.next()?;
    if let Some(second) = cuts.next() {
        if let Some(v) = files.get(&key[..second]) {
            return Some(v);
        }
    }
    files.get(&key[..first])
}

struct Fallbacks {
    /// Mean estimate per `project › file`.
    files: HashMap<String, f64>,
    suite: Option<f64>,
}

impl History {
    fn fallbacks(&self) -> Fallbacks {
        let mut sums: HashMap<String, (f64, u32)> = HashMap::default();
        let mut all: Vec<u32> = Vec::with_capacity(self.tests.len());
        for t in &self.tests {
            if let Some((ms, _)) = own_estimate(t) {
                let e = sums.entry(file_key(t)).or_insert((0.0, 0));
                e.0 += ms;
                e.1 += 1;
                all.push(ms.round() as u32);
            }
        }
        Fallbacks {
            files: sums
                .into_iter()
                .map(|(k, (sum, n))| (k, sum / f64::from(n)))
                .collect(),
            suite: (!all.is_empty()).then(|| median(&mut all)),
        }
    }

    /// One estimate per key, in order.
    pub fn estimates(&self, keys: &[String]) -> Vec<Estimate> {
        let mut fallbacks: Option<Fallbacks> = None;
        keys.iter()
            .map(|key| {
                let test = self.test(key);
                if let Some((ms, samples)) = test.and_then(own_estimate) {
                    return Estimate {
                        ms,
                        source: EstimateSource::History,
                        samples,
                    };
                }
                let fb = fallbacks.get_or_insert_with(|| self.fallbacks());
                let file = match test {
                    Some(t) => fb.files.get(&file_key(t)),
                    None => file_of_key(key, &fb.files),
                };
                match (file, fb.suite) {
                    (Some(&ms), _) => Estimate {
                        ms,
                        source: EstimateSource::File,
                        samples: 0,
                    },
                    (None, Some(ms)) => Estimate {
                        ms,
                        source: EstimateSource::Suite,
                        samples: 0,
                    },
                    (None, None) => Estimate {
                        ms: DEFAULT_ESTIMATE_MS,
                        source: EstimateSource::Default,
                        samples: 0,
                    },
                }
            })
            .collect()
    }

    /// The outcome of each test's latest run (`None`: never ran), for
    /// fail-first ordering.
    pub fn last_outcomes(&self, keys: &[String]) -> Vec<Option<RunOutcome>> {
        keys.iter()
            .map(|key| {
                self.test(key)
                    .and_then(|t| t.runs().next_back())
                    .map(RunOutcome::of)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::model::tests::{attempt, meta};
    use crate::history::model::{Limits, NewAttempt};
    use crate::playwright::testid::TestId;

    fn at(file: &str, title: &str, status: Status, ms: u32) -> NewAttempt {
        NewAttempt {
            id: TestId::new("chromium", file, vec![title.into()]),
            ..attempt(title, status, 0, ms)
        }
    }

    #[test]
    fn the_fallback_chain() {
        let mut h = History::new(Limits::DEFAULT);
        // `steady` passes in ~100 ms with one 5 s outlier; `slow` never
        // passed; b.spec.ts has one test.
        let runs = [100, 110, 5000, 90, 105];
        for (i, ms) in runs.iter().enumerate() {
            h.add_run(
                meta(&format!("r{i}"), i as i64, ""),
                vec![
                    at("a.spec.ts", "steady", Status::Passed, *ms),
                    at("a.spec.ts", "slow", Status::Failed, 3000),
                    at("b.spec.ts", "only", Status::Passed, 40),
                ],
            );
        }
        let keys: Vec<String> = [
            "chromium › a.spec.ts › steady",
            "chromium › a.spec.ts › slow",
            "chromium › a.spec.ts › new test",
            "chromium › c.spec.ts › new file",
            "chromium › b.spec.ts › group › new nested",
        ]
        .map(String::from)
        .to_vec();
        let got: Vec<_> = h
            .estimates(&keys)
            .iter()
            .map(|e| (e.ms, e.source.name(), e.samples))
            .collect();
        assert_eq!(
            got,
            [
                (105.0, "history", 5),
                (3000.0, "history", 5),
                ((105.0 + 3000.0) / 2.0, "file", 0),
                (105.0, "suite", 0),
                (40.0, "file", 0),
            ]
        );
        let empty = History::new(Limits::DEFAULT);
        let e = empty.estimates(&keys[..1]);
        assert_eq!(
            (e[0].ms, e[0].source),
            (DEFAULT_ESTIMATE_MS, EstimateSource::Default)
        );
    }

    #[test]
    fn only_recent_passes_count() {
        let mut h = History::new(Limits {
            max_runs: 50,
            max_age_days: 0,
        });
        for i in 0..30 {
            let ms = if i < 15 { 1000 } else { 200 };
            h.add_run(
                meta(&format!("r{i:02}"), i, ""),
                vec![at("a.spec.ts", "t", Status::Passed, ms)],
            );
        }
        let e = h.estimates(&["chromium › a.spec.ts › t".to_string()]);
        assert_eq!((e[0].ms, e[0].samples), (200.0, RECENT_PASSES as u32));
    }

    #[test]
    fn last_outcomes() {
        let mut h = History::new(Limits::DEFAULT);
        h.add_run(
            meta("r1", 1, ""),
            vec![
                attempt("t", Status::Failed, 0, 1),
                attempt("u", Status::Failed, 0, 1),
            ],
        );
        h.add_run(
            meta("r2", 2, ""),
            vec![
                attempt("t", Status::Failed, 0, 1),
                attempt("t", Status::Passed, 1, 1),
            ],
        );
        let keys = [
            "chromium › a.spec.ts › t",
            "chromium › a.spec.ts › u",
            "nope",
        ]
        .map(String::from);
        assert_eq!(
            h.last_outcomes(&keys),
            [Some(RunOutcome::Flaky), Some(RunOutcome::Failed), None]
        );
    }
}
