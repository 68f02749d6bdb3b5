//! The history in memory: runs, tests and their attempts.
//!
//! Runs are kept in chronological order (`started_at`, then id) and attempts
//! point at them by index, so "the last N runs of a test" and "the run before
//! this one" are slices and comparisons, not lookups. Every test keeps its
//! attempts sorted by (run, retry). Error messages are interned: a flaky test
//! that fails with the same message a hundred times stores it once.

use rustc_hash::FxHashMap as HashMap;

use crate::classify::ErrorClass;
use crate::playwright::testid::TestId;

/// How many runs per test are kept unless configured otherwise, and how long a
/// test that no longer runs is remembered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// The last N runs in which a test ran are kept for it (older attempts are
    /// dropped on every change).
    pub max_runs: u32,
    /// A test whose newest attempt is this many days older than the newest run
    /// in the history is dropped on save (it was deleted or renamed). 0 keeps
    /// tests forever.
    pub max_age_days: u32,
}

impl Limits {
    pub const DEFAULT: Limits = Limits {
        max_runs: 20,
        max_age_days: 60,
    };
    /// The most runs per test a history may keep.
    pub const MAX_RUNS_CAP: u32 = 1000;
}

/// An attempt's status, as Playwright's `TestResult.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Passed,
    Failed,
    TimedOut,
    Skipped,
    Interrupted,
}

impl Status {
    pub const NAMES: &'static str = "passed, failed, timedOut, skipped or interrupted";

    pub fn parse(text: &str) -> Option<Status> {
        Some(match text {
            "passed" => Status::Passed,
            "failed" => Status::Failed,
            "timedOut" => Status::TimedOut,
            "skipped" => Status::Skipped,
            "interrupted" => Status::Interrupted,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::TimedOut => "timedOut",
            Status::Skipped => "skipped",
            Status::Interrupted => "interrupted",
        }
    }

    /// One letter per attempt in the file; upper case marks an attempt that
    /// was expected to fail (`test.fail()`).
    pub fn letter(self) -> u8 {
        match self {
            Status::Passed => b'p',
            Status::Failed => b'f',
            Status::TimedOut => b't',
            Status::Skipped => b's',
            Status::Interrupted => b'i',
        }
    }

    pub fn from_letter(letter: u8) -> Option<(Status, bool)> {
        let status = match letter.to_ascii_lowercase() {
            b'p' => Status::Passed,
            b'f' => Status::Failed,
            b't' => Status::TimedOut,
            b's' => Status::Skipped,
            b'i' => Status::Interrupted,
            _ => return None,
        };
        Some((status, letter.is_ascii_uppercase()))
    }
}

/// 16 bytes: a history of a million tests × 20 runs holds 20 million.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    /// Index into [`History::runs`].
    pub run: u32,
    pub duration_ms: u32,
    /// 0 = no error, else 1 + index into [`History::errors`].
    pub error: u32,
    /// Playwright's retry index (at most [`Attempt::MAX_RETRY`]).
    pub retry: u16,
    pub status: Status,
    /// `expectedStatus` was `failed` (`test.fail()`): a failure is the
    /// expected result.
    pub expected_failure: bool,
}

const _: () = assert!(std::mem::size_of::<Attempt>() == 16);

impl Attempt {
    /// The largest retry index kept (a larger one, which no real run has,
    /// is kept as this).
    pub const MAX_RETRY: u16 = u16::MAX;

    /// A retry index as kept.
    pub fn retry_index(retry: u32) -> u16 {
        retry.min(u32::from(Self::MAX_RETRY)) as u16
    }

    /// Whether the attempt had its expected result (Playwright's `status ===
    /// expectedStatus`).
    pub fn ok(&self) -> bool {
        if self.expected_failure {
            self.status == Status::Failed
        } else {
            self.status == Status::Passed
        }
    }

    fn counted(&self) -> bool {
        !matches!(self.status, Status::Skipped | Status::Interrupted)
    }
}

/// A test's result in one run, as Playwright's `TestCase.outcome()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RunOutcome {
    Passed,
    /// Some attempts failed and some had the expected result.
    Flaky,
    Failed,
    Skipped,
    Interrupted,
}

impl RunOutcome {
    pub fn name(self) -> &'static str {
        match self {
            RunOutcome::Passed => "passed",
            RunOutcome::Flaky => "flaky",
            RunOutcome::Failed => "failed",
            RunOutcome::Skipped => "skipped",
            RunOutcome::Interrupted => "interrupted",
        }
    }

    /// Attempts of one test in one run.
    pub fn of(attempts: &[Attempt]) -> RunOutcome {
        let mut counted = 0;
        let mut failed = 0;
        let mut interrupted = false;
        for a in attempts {
            if a.counted() {
                counted += 1;
                if !a.ok() {
                    failed += 1;
                }
            } else if a.status == Status::Interrupted {
                interrupted = true;
            }
        }
        match (counted, failed) {
            (0, _) if interrupted => RunOutcome::Interrupted,
            (0, _) => RunOutcome::Skipped,
            (_, 0) => RunOutcome::Passed,
            (c, f) if c == f => RunOutcome::Failed,
            _ => RunOutcome::Flaky,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ShardInfo {
    pub index: u32,
    pub total: u32,
    pub fingerprint: Option<String>,
    pub predicted_ms: Option<f64>,
    pub actual_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunMeta {
    pub id: String,
    /// Milliseconds since the Unix epoch.
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub commit: Option<String>,
    pub shard: Option<ShardInfo>,
    /// Where the run came from: `reporter`, `playwright-json`, `junit`, …
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ErrorInfo {
    /// ANSI-stripped, trimmed to [`MAX_ERROR_CHARS`].
    pub message: String,
    pub class: ErrorClass,
    pub rule: String,
    /// What failures are grouped by ([`crate::signature::signature`] of the
    /// message): an infrastructure code or the normalised message.
    pub signature: String,
}

impl ErrorInfo {
    /// An error with its signature computed from the message.
    pub fn new(message: String, class: ErrorClass, rule: String) -> ErrorInfo {
        let signature = crate::signature::signature(&message);
        ErrorInfo {
            message,
            class,
            rule,
            signature,
        }
    }
}

/// Longer messages are cut: the head (the error line and the first lines of
/// the call log) is what tells failures apart.
pub const MAX_ERROR_CHARS: usize = 1000;

#[derive(Debug, Clone, PartialEq)]
pub struct TestRecord {
    pub id: TestId,
    pub key: String,
    pub line: Option<u32>,
    pub tags: Vec<String>,
    /// Sorted by (run, retry).
    pub attempts: Vec<Attempt>,
}

impl TestRecord {
    /// The attempts grouped by run, oldest run first.
    pub fn runs(&self) -> impl DoubleEndedIterator<Item = &[Attempt]> + '_ {
        self.attempts.chunk_by(|a, b| a.run == b.run)
    }

    pub(crate) fn trim_to(&mut self, max_runs: u32) {
        let mut seen = 0u32;
        let mut last_run = None;
        let mut cut = 0;
        for (i, a) in self.attempts.iter().enumerate().rev() {
            if last_run != Some(a.run) {
                seen += 1;
                last_run = Some(a.run);
                if seen > max_runs {
                    cut = i + 1;
                    break;
                }
            }
        }
        if cut > 0 {
            self.attempts.drain(..cut);
        }
    }
}

/// One attempt as added: the test it belongs to and what happened.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAttempt {
    pub id: TestId,
    pub line: Option<u32>,
    pub tags: Vec<String>,
    pub status: Status,
    pub expected_failure: bool,
    pub retry: u32,
    pub duration_ms: u32,
    pub error: Option<ErrorInfo>,
}

/// What [`History::add_run`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AddSummary {
    /// Whether the run was new (false: its id was already in the history, and
    /// only tests that had no attempts in it were added).
    pub new_run: bool,
    pub tests: usize,
    pub attempts: usize,
}

#[derive(Debug, Clone, Default)]
pub struct History {
    pub(crate) limits: Limits,
    pub(crate) runs: Vec<RunMeta>,
    pub(crate) run_index: HashMap<String, u32>,
    pub(crate) tests: Vec<TestRecord>,
    pub(crate) test_index: super::index::KeyIndex,
    pub(crate) errors: Vec<ErrorInfo>,
    pub(crate) error_index: HashMap<ErrorInfo, u32>,
    /// The revision of the file this history was loaded from or last saved
    /// to: a save merges the file's runs first unless it still has this one.
    pub(crate) revision: Option<String>,
    /// Infrastructure incidents as last detected (see `flaky::incident`):
    /// the failures they cover are classified `infrastructure`.
    pub(crate) incidents: Vec<super::infra::Incident>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

impl History {
    pub fn new(limits: Limits) -> Self {
        History {
            limits,
            ..Default::default()
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Applies new limits (trimming at once if `max_runs` shrank).
    pub fn set_limits(&mut self, limits: Limits) {
        let shrank = limits.max_runs < self.limits.max_runs;
        self.limits = limits;
        if shrank {
            for t in &mut self.tests {
                t.trim_to(limits.max_runs);
            }
        }
    }

    pub fn runs(&self) -> &[RunMeta] {
        &self.runs
    }

    pub fn tests(&self) -> &[TestRecord] {
        &self.tests
    }

    pub fn errors(&self) -> &[ErrorInfo] {
        &self.errors
    }

    /// Infrastructure incidents as last recorded, oldest run first.
    pub fn incidents(&self) -> &[super::infra::Incident] {
        &self.incidents
    }

    /// Replaces the recorded incidents (after a new detection).
    pub fn set_incidents(&mut self, incidents: Vec<super::infra::Incident>) {
        self.incidents = incidents;
    }

    pub fn error(&self, index: u32) -> Option<&ErrorInfo> {
        index
            .checked_sub(1)
            .and_then(|i| self.errors.get(i as usize))
    }

    pub fn test(&self, key: &str) -> Option<&TestRecord> {
        self.test_index
            .get(&self.tests, key)
            .map(|i| &self.tests[i as usize])
    }

    pub fn run(&self, id: &str) -> Option<&RunMeta> {
        self.run_index.get(id).map(|&i| &self.runs[i as usize])
    }

    pub fn attempt_count(&self) -> usize {
        self.tests.iter().map(|t| t.attempts.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.runs.is_empty() && self.tests.is_empty()
    }

    pub(crate) fn intern_error(&mut self, error: ErrorInfo) -> u32 {
        if let Some(&i) = self.error_index.get(&error) {
            return i + 1;
        }
        let i = self.errors.len() as u32;
        self.errors.push(error.clone());
        self.error_index.insert(error, i);
        i + 1
    }

    /// The index of the test with this key, created (with the id `id()`
    /// gives) if new.
    pub(crate) fn slot_for(&mut self, key: &str, id: impl FnOnce() -> TestId) -> usize {
        if let Some(i) = self.test_index.get(&self.tests, key) {
            return i as usize;
        }
        let i = self.tests.len();
        self.tests.push(TestRecord {
            id: id(),
            key: key.to_string(),
            line: None,
            tags: Vec::new(),
            attempts: Vec::new(),
        });
        self.test_index.insert(&self.tests, i as u32);
        i
    }

    /// Inserts a run at its chronological place and returns its index; the
    /// indices of later runs shift by one in every attempt.
    pub(crate) fn insert_run(&mut self, meta: RunMeta) -> u32 {
        let pos = self.runs.partition_point(|r| {
            (r.started_at, r.id.as_str()) <= (meta.started_at, meta.id.as_str())
        });
        if pos < self.runs.len() {
            let pos = pos as u32;
            for t in &mut self.tests {
                for a in &mut t.attempts {
                    if a.run >= pos {
                        a.run += 1;
                    }
                }
            }
            for i in self.run_index.values_mut() {
                if *i >= pos {
                    *i += 1;
                }
            }
        }
        self.run_index.insert(meta.id.clone(), pos as u32);
        self.runs.insert(pos, meta);
        pos as u32
    }

    /// Adds a whole run. A run id already in the history adds only the tests
    /// that have no attempts in that run yet, so feeding the same run twice
    /// (a retried CI upload, an import of a report already seen) duplicates
    /// nothing.
    pub fn add_run(&mut self, meta: RunMeta, attempts: Vec<NewAttempt>) -> AddSummary {
        let (run, new_run) = match self.run_index.get(&meta.id) {
            Some(&i) => (i, false),
            None => (self.insert_run(meta), true),
        };
        let mut summary = AddSummary {
            new_run,
            ..Default::default()
        };
        // (test, attempt) pairs, grouped by test below with one sort instead
        // of a vector per test.
        let mut pairs: Vec<(u32, Attempt)> = Vec::with_capacity(attempts.len());
        let mut key = String::new();
        for na in attempts {
            write_key(&mut key, &na.id.project, &na.id.file, &na.id.title_path);
            let NewAttempt {
                id,
                line,
                tags,
                error,
                ..
            } = na;
            let slot = self.slot_for(&key, || id);
            let error = match error {
                Some(e) => self.intern_error(e),
                None => 0,
            };
            let record = &mut self.tests[slot];
            if line.is_some() {
                record.line = line;
            }
            if !tags.is_empty() {
                record.tags = tags;
            }
            pairs.push((
                slot as u32,
                Attempt {
                    run,
                    status: na.status,
                    expected_failure: na.expected_failure,
                    retry: Attempt::retry_index(na.retry),
                    duration_ms: na.duration_ms,
                    error,
                },
            ));
        }
        // Stable: attempts with the same retry index keep their order.
        pairs.sort_by_key(|(slot, a)| (*slot, a.retry));
        let max_runs = self.limits.max_runs;
        for group in pairs.chunk_by(|a, b| a.0 == b.0) {
            let record = &mut self.tests[group[0].0 as usize];
            let at = record.attempts.partition_point(|a| a.run < run);
            if !new_run && record.attempts.get(at).is_some_and(|a| a.run == run) {
                continue;
            }
            summary.tests += 1;
            summary.attempts += group.len();
            let new = group.iter().map(|(_, a)| *a);
            if at == record.attempts.len() {
                record.attempts.extend(new);
            } else {
                record.attempts.splice(at..at, new);
            }
            record.trim_to(max_runs);
        }
        // A test created for a duplicate run but given no attempts would be
        // empty: drop such records.
        if !new_run {
            self.drop_empty_tests();
        }
        summary
    }

    pub(crate) fn drop_empty_tests(&mut self) {
        if self.tests.iter().all(|t| !t.attempts.is_empty()) {
            return;
        }
        self.tests.retain(|t| !t.attempts.is_empty());
        self.reindex_tests();
    }

    pub(crate) fn reindex_tests(&mut self) {
        self.test_index = super::index::KeyIndex::build(&self.tests);
    }

    /// Before saving: drops tests not seen for `max_age_days`, then runs and
    /// error messages no attempt refers to any more, and sorts tests by key
    /// (a stable file for diffs).
    pub fn compact(&mut self) {
        let tests_before = self.tests.len();
        for t in &mut self.tests {
            t.trim_to(self.limits.max_runs);
        }
        if self.limits.max_age_days > 0 {
            if let Some(newest) = self.runs.iter().map(|r| r.started_at).max() {
                let cutoff = newest - i64::from(self.limits.max_age_days) * 86_400_000;
                let runs = &self.runs;
                self.tests.retain(|t| {
                    t.attempts
                        .last()
                        .is_some_and(|a| runs[a.run as usize].started_at >= cutoff)
                });
            }
        }
        self.tests.retain(|t| !t.attempts.is_empty());

        let mut used_runs = vec![false; self.runs.len()];
        let mut used_errors = vec![false; self.errors.len()];
        for t in &self.tests {
            for a in &t.attempts {
                used_runs[a.run as usize] = true;
                if a.error > 0 {
                    used_errors[a.error as usize - 1] = true;
                }
            }
        }
        let run_map = renumber(&used_runs);
        let error_map = renumber(&used_errors);
        for t in &mut self.tests {
            for a in &mut t.attempts {
                a.run = run_map[a.run as usize];
                if a.error > 0 {
                    a.error = error_map[a.error as usize - 1] + 1;
                }
            }
        }
        let mut keep = used_runs.iter();
        self.runs.retain(|_| *keep.next().unwrap_or(&false));
        let runs = &self.runs;
        let kept: std::collections::HashSet<&str> = runs.iter().map(|r| r.id.as_str()).collect();
        self.incidents.retain(|i| kept.contains(i.run_id.as_str()));
        let mut keep = used_errors.iter();
        self.errors.retain(|_| *keep.next().unwrap_or(&false));
        self.run_index = self
            .runs
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i as u32))
            .collect();
        self.error_index = self
            .errors
            .iter()
            .enumerate()
            .map(|(i, e)| (e.clone(), i as u32))
            .collect();
        // Usually already in order with nothing dropped: then the index
        // still holds.
        let sorted = self.tests.is_sorted_by(|a, b| a.key <= b.key);
        if !sorted {
            self.tests.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        }
        if !sorted || tests_before != self.tests.len() {
            self.reindex_tests();
        }
    }
}

/// Writes a test's key (exactly as [`TestId::key`]) into `buf`, reusing its
/// allocation.
pub fn write_key(buf: &mut String, project: &str, file: &str, titles: &[String]) {
    buf.clear();
    if !project.is_empty() {
        buf.push_str(project);
        buf.push_str(crate::playwright::testid::SEPARATOR);
    }
    buf.push_str(file);
    for t in titles {
        buf.push_str(crate::playwright::testid::SEPARATOR);
        buf.push_str(t);
    }
}

/// New indices for the kept entries (`u32::MAX` for dropped ones).
fn renumber(used: &[bool]) -> Vec<u32> {
    let mut next = 0;
    used.iter()
        .map(|&u| {
            if u {
                next += 1;
                next - 1
            } else {
                u32::MAX
            }
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn meta(id: &str, at: i64, commit: &str) -> RunMeta {
        RunMeta {
            id: id.into(),
            started_at: at,
            commit: (!commit.is_empty()).then(|| commit.to_string()),
            ..Default::default()
        }
    }

    pub fn attempt(title: &str, status: Status, retry: u32, ms: u32) -> NewAttempt {
        NewAttempt {
            id: TestId::new("chromium", "a.spec.ts", vec![title.into()]),
            line: Some(3),
            tags: vec![],
            status,
            expected_failure: false,
            retry,
            duration_ms: ms,
            error: (status == Status::Failed).then(|| {
                ErrorInfo::new(
                    format!("{title} failed"),
                    ErrorClass::Permanent,
                    "assertion".into(),
                )
            }),
        }
    }

    #[test]
    fn write_key_matches_testid() {
        let mut buf = String::from("junk");
        for id in [
            TestId::new("chromium", "a/b.spec.ts", vec!["d".into(), "t".into()]),
            TestId::new("", "a.spec.ts", vec!["t".into()]),
        ] {
            write_key(&mut buf, &id.project, &id.file, &id.title_path);
            assert_eq!(buf, id.key());
        }
    }

    #[test]
    fn outcomes_follow_playwright() {
        let a = |status, expected_failure| Attempt {
            run: 0,
            status,
            expected_failure,
            retry: 0,
            duration_ms: 1,
            error: 0,
        };
        use Status::*;
        assert_eq!(RunOutcome::of(&[a(Passed, false)]), RunOutcome::Passed);
        assert_eq!(
            RunOutcome::of(&[a(Failed, false), a(Passed, false)]),
            RunOutcome::Flaky
        );
        assert_eq!(
            RunOutcome::of(&[a(TimedOut, false), a(Failed, false)]),
            RunOutcome::Failed
        );
        assert_eq!(RunOutcome::of(&[a(Skipped, false)]), RunOutcome::Skipped);
        assert_eq!(
            RunOutcome::of(&[a(Interrupted, false)]),
            RunOutcome::Interrupted
        );
        // test.fail(): failing is the expected result, passing is not.
        assert_eq!(RunOutcome::of(&[a(Failed, true)]), RunOutcome::Passed);
        assert_eq!(RunOutcome::of(&[a(Passed, true)]), RunOutcome::Failed);
    }

    #[test]
    fn runs_stay_chronological_whatever_the_order_they_come_in() {
        let mut h = History::new(Limits::DEFAULT);
        h.add_run(
            meta("b", 200, ""),
            vec![attempt("t", Status::Passed, 0, 10)],
        );
        h.add_run(
            meta("c", 300, ""),
            vec![attempt("t", Status::Failed, 0, 30)],
        );
        // An older run (an imported report) lands before them.
        h.add_run(meta("a", 100, ""), vec![attempt("t", Status::Passed, 0, 5)]);
        let ids: Vec<_> = h.runs().iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        let t = h.test("chromium › a.spec.ts › t").unwrap();
        let seq: Vec<_> = t.attempts.iter().map(|a| (a.run, a.duration_ms)).collect();
        assert_eq!(seq, [(0, 5), (1, 10), (2, 30)]);
        assert_eq!(h.run("c").unwrap().started_at, 300);
    }

    #[test]
    fn the_same_run_twice_adds_nothing() {
        let mut h = History::new(Limits::DEFAULT);
        let attempts = vec![
            attempt("t", Status::Failed, 0, 10),
            attempt("t", Status::Passed, 1, 12),
        ];
        let first = h.add_run(meta("r1", 1, ""), attempts.clone());
        assert_eq!((first.new_run, first.tests, first.attempts), (true, 1, 2));
        let again = h.add_run(meta("r1", 1, ""), attempts);
        assert_eq!((again.new_run, again.tests, again.attempts), (false, 0, 0));
        assert_eq!(h.attempt_count(), 2);
        // The same failure message is stored once.
        assert_eq!(h.errors().len(), 1);
    }

    #[test]
    fn keeps_the_last_n_runs_per_test() {
        let mut h = History::new(Limits {
            max_runs: 3,
            max_age_days: 0,
        });
        for i in 0..6 {
            h.add_run(
                meta(&format!("r{i}"), i, ""),
                vec![
                    attempt("t", Status::Failed, 0, i as u32),
                    attempt("t", Status::Passed, 1, 100 + i as u32),
                ],
            );
        }
        let t = h.test("chromium › a.spec.ts › t").unwrap();
        let durations: Vec<_> = t.attempts.iter().map(|a| a.duration_ms).collect();
        assert_eq!(durations, [3, 103, 4, 104, 5, 105]);
        h.compact();
        assert_eq!(h.runs().len(), 3, "runs nobody refers to are dropped");
        assert_eq!(h.runs()[0].id, "r3");
        assert_eq!(h.tests()[0].attempts[0].run, 0);
    }

    #[test]
    fn compact_forgets_tests_that_stopped_running() {
        let day = 86_400_000;
        let mut h = History::new(Limits {
            max_runs: 20,
            max_age_days: 10,
        });
        h.add_run(
            meta("old", 0, ""),
            vec![
                attempt("gone", Status::Passed, 0, 1),
                attempt("kept", Status::Passed, 0, 1),
            ],
        );
        h.add_run(
            meta("new", 11 * day, ""),
            vec![attempt("kept", Status::Failed, 0, 1)],
        );
        h.compact();
        let keys: Vec<_> = h.tests().iter().map(|t| t.key.as_str()).collect();
        assert_eq!(keys, ["chromium › a.spec.ts › kept"]);
        assert_eq!(h.runs().len(), 2, "`kept` still refers to the old run");
        assert_eq!(h.errors().len(), 1);
    }
}
