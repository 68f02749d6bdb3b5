//! The check `merge` runs after a sharded run: every test of the suite ran
//! exactly once across the shards, and every shard planned from the same
//! inputs (the same fingerprint). A machine whose history cache missed plans
//! differently, and then tests run twice or never; this names them.

use std::collections::{BTreeMap, BTreeSet};

/// What one shard reports about its run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShardRecord {
    /// 1-based shard index.
    pub index: u32,
    pub fingerprint: String,
    /// Keys of the tests it ran (retries of a test count once).
    pub tests: Vec<String>,
}

/// A test and the shards that ran it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestShards {
    pub test: String,
    pub shards: Vec<u32>,
}

/// A fingerprint and the shards that planned with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FingerprintShards {
    pub fingerprint: String,
    pub shards: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// Nothing missing or duplicated, one fingerprint, every shard reported
    /// once.
    pub ok: bool,
    pub expected: usize,
    /// Expected tests that ran at least once.
    pub ran: usize,
    /// Expected tests no shard ran (sorted).
    pub missing: Vec<String>,
    /// Tests run by more than one shard, with those shards (sorted).
    pub duplicated: Vec<TestShards>,
    /// Tests a shard ran that the suite does not list (informational: the
    /// expected list may be older than the run).
    pub unexpected: Vec<TestShards>,
    /// Every distinct fingerprint with its shards, the most common first.
    pub fingerprints: Vec<FingerprintShards>,
    /// Shard indexes `1..=shards` with no record (when `shards` is known).
    pub missing_shards: Vec<u32>,
    /// Shard indexes with more than one record.
    pub repeated_shards: Vec<u32>,
}

/// Checks `records` against the suite's `expected` test keys. `shards` is
/// the shard total, when known, to find shards that reported nothing.
pub fn check(expected: &[String], records: &[ShardRecord], shards: Option<u32>) -> Coverage {
    let expected_set: BTreeSet<&str> = expected.iter().map(String::as_str).collect();
    let mut ran_on: BTreeMap<&str, BTreeSet<u32>> = BTreeMap::new();
    let mut record_count: BTreeMap<u32, usize> = BTreeMap::new();
    let mut by_fingerprint: BTreeMap<&str, BTreeSet<u32>> = BTreeMap::new();
    for r in records {
        *record_count.entry(r.index).or_default() += 1;
        by_fingerprint
            .entry(r.fingerprint.as_str())
            .or_default()
            .insert(r.index);
        for t in &r.tests {
            ran_on.entry(t.as_str()).or_default().insert(r.index);
        }
    }
    let missing: Vec<String> = expected_set
        .iter()
        .filter(|t| !ran_on.contains_key(*t))
        .map(|t| t.to_string())
        .collect();
    let listed = |pred: &dyn Fn(&str, &BTreeSet<u32>) -> bool| -> Vec<TestShards> {
        ran_on
            .iter()
            .filter(|(t, s)| pred(t, s))
            .map(|(t, s)| TestShards {
                test: t.to_string(),
                shards: s.iter().copied().collect(),
            })
            .collect()
    };
    let duplicated = listed(&|_, s| s.len() > 1);
    let unexpected = listed(&|t, _| !expected_set.contains(t));
    let mut fingerprints: Vec<FingerprintShards> = by_fingerprint
        .into_iter()
        .map(|(f, s)| FingerprintShards {
            fingerprint: f.to_string(),
            shards: s.into_iter().collect(),
        })
        .collect();
    fingerprints.sort_by(|a, b| {
        b.shards
            .len()
            .cmp(&a.shards.len())
            .then(a.shards.cmp(&b.shards))
    });
    let missing_shards: Vec<u32> = match shards {
        Some(n) => (1..=n).filter(|i| !record_count.contains_key(i)).collect(),
        None => Vec::new(),
    };
    let repeated_shards: Vec<u32> = record_count
        .iter()
        .filter(|(_, &c)| c > 1)
        .map(|(&i, _)| i)
        .collect();
    let ran = expected_set.len() - missing.len();
    Coverage {
        ok: missing.is_empty()
            && duplicated.is_empty()
            && fingerprints.len() <= 1
            && missing_shards.is_empty()
            && repeated_shards.is_empty(),
        expected: expected_set.len(),
        ran,
        missing,
        duplicated,
        unexpected,
        fingerprints,
        missing_shards,
        repeated_shards,
    }
}

impl Coverage {
    /// A readable report, one problem per line (empty problems omitted).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let shards = |s: &[u32]| {
            s.iter()
                .map(|i| format!("#{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if self.ok {
            out.push_str(&format!(
                "coverage ok: all {} tests ran exactly once, every shard planned from the same inputs\n",
                self.expected
            ));
        } else {
            out.push_str(&format!(
                "coverage FAILED: {} of {} tests ran\n",
                self.ran, self.expected
            ));
        }
        if self.fingerprints.len() > 1 {
            out.push_str("shards planned from different inputs (fingerprints differ):\n");
            for f in &self.fingerprints {
                out.push_str(&format!(
                    "  {}  shards {}\n",
                    f.fingerprint,
                    shards(&f.shards)
                ));
            }
        }
        if !self.missing_shards.is_empty() {
            out.push_str(&format!(
                "shards with no record: {}\n",
                shards(&self.missing_shards)
            ));
        }
        if !self.repeated_shards.is_empty() {
            out.push_str(&format!(
                "shards recorded more than once: {}\n",
                shards(&self.repeated_shards)
            ));
        }
        if !self.missing.is_empty() {
            out.push_str(&format!("{} tests ran on no shard:\n", self.missing.len()));
            for t in &self.missing {
                out.push_str(&format!("  {t}\n"));
            }
        }
        if !self.duplicated.is_empty() {
            out.push_str(&format!(
                "{} tests ran on more than one shard:\n",
                self.duplicated.len()
            ));
            for d in &self.duplicated {
                out.push_str(&format!("  {}  (shards {})\n", d.test, shards(&d.shards)));
            }
        }
        if !self.unexpected.is_empty() {
            out.push_str(&format!(
                "{} tests ran that the suite does not list:\n",
                self.unexpected.len()
            ));
            for d in &self.unexpected {
                out.push_str(&format!("  {}  (shards {})\n", d.test, shards(&d.shards)));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(index: u32, fp: &str, tests: &[&str]) -> ShardRecord {
        ShardRecord {
            index,
            fingerprint: fp.into(),
            tests: tests.iter().map(|t| t.to_string()).collect(),
        }
    }

    fn keys(list: &[&str]) -> Vec<String> {
        list.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn exactly_once_is_ok() {
        let c = check(
            &keys(&["a", "b", "c"]),
            &[rec(2, "f", &["c"]), rec(1, "f", &["a", "b", "a"])],
            Some(2),
        );
        assert!(c.ok, "{c:?}");
        assert_eq!((c.expected, c.ran), (3, 3));
        assert!(c.render().starts_with("coverage ok: all 3 tests"));
    }

    #[test]
    fn names_missing_duplicated_and_differing_fingerprints() {
        let c = check(
            &keys(&["a", "b", "c", "d"]),
            &[
                rec(1, "f1", &["a", "b"]),
                rec(2, "f2", &["b", "x"]),
                rec(3, "f1", &["c"]),
            ],
            Some(4),
        );
        assert!(!c.ok);
        assert_eq!(c.missing, vec!["d"]);
        assert_eq!(
            c.duplicated,
            vec![TestShards {
                test: "b".into(),
                shards: vec![1, 2]
            }]
        );
        assert_eq!(c.unexpected[0].test, "x");
        assert_eq!(
            c.fingerprints,
            vec![
                FingerprintShards {
                    fingerprint: "f1".into(),
                    shards: vec![1, 3]
                },
                FingerprintShards {
                    fingerprint: "f2".into(),
                    shards: vec![2]
                },
            ]
        );
        assert_eq!(c.missing_shards, vec![4]);
        let text = c.render();
        for line in [
            "coverage FAILED: 3 of 4 tests ran",
            "  f1  shards #1, #3",
            "  f2  shards #2",
            "shards with no record: #4",
            "1 tests ran on no shard:\n  d",
            "  b  (shards #1, #2)",
            "  x  (shards #2)",
        ] {
            assert!(text.contains(line), "{line:?} in\n{text}");
        }
    }

    #[test]
    fn a_shard_reported_twice_is_named() {
        let c = check(
            &keys(&["a"]),
            &[rec(1, "f", &["a"]), rec(1, "f", &[])],
            None,
        );
        assert_eq!(c.repeated_shards, vec![1]);
        assert!(!c.ok);
    }
}
