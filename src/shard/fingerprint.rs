//! The plan fingerprint: XXH3-128 over every input of a plan, in a
//! documented byte layout, so CI machines that planned independently can
//! compare what they planned from (and `merge` can name a machine that
//! differed). XXH3 (xxhash.com, spec `doc/xxhash_spec.md`, seed 0) is fast
//! and portable; a fingerprint detects differing inputs, it is not a
//! security boundary.
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
//!   u32 test count   str × count   (a group without test keys: its id)
//!   u32 tag count    str × count
//!   u8 has duration (0/1)  [f64 duration]   u8 failed last run   u32 skipped
//! ```
//!
//! The 128-bit digest as 32 lowercase hex digits is the fingerprint.

use xxhash_rust::xxh3::Xxh3;

use super::group::Group;
use super::options::PlanOptions;

/// Bumped whenever the planner would give a different plan for the same
/// inputs, so machines on different shardwright versions never agree by
/// accident.
pub const ALGORITHM_VERSION: u32 = 1;

/// Feeds the hash in 64 KiB chunks: a suite has hundreds of thousands of
/// small fields, and one `update` per field costs more than the hashing.
struct Writer {
    hash: Xxh3,
    buf: Vec<u8>,
}

const CHUNK: usize = 64 * 1024;

impl Writer {
    fn new() -> Self {
        Writer {
            hash: Xxh3::new(),
            buf: Vec::with_capacity(CHUNK),
        }
    }
    fn bytes(&mut self, b: &[u8]) {
        if self.buf.len() + b.len() > CHUNK {
            self.hash.update(&self.buf);
            self.buf.clear();
            if b.len() > CHUNK {
                self.hash.update(b);
                return;
            }
        }
        self.buf.extend_from_slice(b);
    }
    fn finish(mut self) -> u128 {
        self.hash.update(&self.buf);
        self.hash.digest128()
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

/// A fingerprint of a list of strings (a suite's sorted test keys, a
/// history's run ids) under a `kind` label: the same layout's `str`s after
/// `kind` and a 0 byte.
pub fn of_strings<'a>(kind: &str, items: impl IntoIterator<Item = &'a str>) -> String {
    let mut w = Writer::new();
    w.bytes(kind.as_bytes());
    w.u8(0);
    for item in items {
        w.str(item);
    }
    format!("{:032x}", w.finish())
}

/// The fingerprint of planning `groups` with `options`.
pub fn fingerprint(groups: &[Group], options: &PlanOptions) -> String {
    let mut w = Writer::new();
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
        w.strs(g.test_keys());
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
    format!("{:032x}", w.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shard::group::tests::group;
    use crate::shard::options::Strategy;

    #[test]
    fn a_known_vector_and_sensitivity_to_every_input() {
        let groups = vec![group("a", 2, Some(1500.0)), group("b", 1, None)];
        let options = PlanOptions::new(2);
        let base = fingerprint(&groups, &options);
        assert_eq!(base.len(), 32);
        assert_eq!(base, layout_by_hand(&groups, &options));
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

    /// The documented layout, written out plainly and hashed in one piece.
    fn layout_by_hand(groups: &[Group], o: &PlanOptions) -> String {
        let mut b: Vec<u8> = Vec::new();
        let s = |b: &mut Vec<u8>, x: &str| {
            b.extend((x.len() as u64).to_le_bytes());
            b.extend(x.as_bytes());
        };
        b.extend(b"shardwright-plan\0");
        b.extend(ALGORITHM_VERSION.to_le_bytes());
        s(&mut b, o.strategy.name());
        s(&mut b, o.tag_mode.name());
        b.extend(o.shards.to_le_bytes());
        b.push(o.improve as u8);
        b.extend(0u32.to_le_bytes()); // no weights
        b.extend(u32::MAX.to_le_bytes()); // no tag filter
        b.extend((groups.len() as u64).to_le_bytes());
        for g in groups {
            s(&mut b, &g.id);
            s(&mut b, &g.project);
            s(&mut b, &g.file);
            b.extend((g.test_keys().len() as u32).to_le_bytes());
            for t in g.test_keys() {
                s(&mut b, t);
            }
            b.extend((g.tags.len() as u32).to_le_bytes());
            for t in &g.tags {
                s(&mut b, t);
            }
            match g.duration_ms {
                None => b.push(0),
                Some(d) => {
                    b.push(1);
                    b.extend(d.to_bits().to_le_bytes());
                }
            }
            b.push(g.failed_last_run as u8);
            b.extend(g.skipped.to_le_bytes());
        }
        format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&b))
    }

    #[test]
    fn xxh3_128_is_the_specified_function() {
        // XXH3_128bits of the empty input, seed 0 (xxHash's sanity vector).
        assert_eq!(
            xxhash_rust::xxh3::xxh3_128(b""),
            0x99aa06d3014798d86001c324468d497f
        );
    }

    #[test]
    fn chunking_does_not_change_the_digest() {
        // Over 64 KiB of input, with a field larger than a chunk.
        let mut groups: Vec<Group> = (0..2000)
            .map(|i| group(&format!("g{i}"), 3, Some(i as f64)))
            .collect();
        groups[5].tests[0] = "x".repeat(70_000);
        let o = PlanOptions::new(4);
        assert_eq!(fingerprint(&groups, &o), layout_by_hand(&groups, &o));
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
