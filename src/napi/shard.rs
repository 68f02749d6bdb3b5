//! Sharding for JS: plan, select one shard, render, check coverage.
//!
//! Groups cross as one JSON string (the JS wrapper in `js/shard.js`
//! stringifies them): for 100,000 tests that is several times faster than
//! napi-rs reading 100,000 objects field by field, and a malformed group is
//! still named precisely (a second, slower parse finds it).

use napi::bindgen_prelude::{Float64Array, Uint32Array, Uint8Array};
use napi_derive::napi;
use std::sync::Arc;

use serde_json::Value;

use super::runtime::sync;
use super::value::{json, loose_options, Loose};
use crate::config;
use crate::error::{Error, Result};
use crate::shard::{self, BalancedBy, Group, PlanOptions, Strategy, TagMode};

/// How to plan. Only `shards` is required; values are checked in Rust and a
/// bad one throws `ERR_SHARDWRIGHT_CONFIG` naming the field.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct ShardOptions {
    /// How many shards (`n` of `--shard=i/n`), 1 to 10000.
    #[napi(ts_type = "number")]
    pub shards: Option<Loose>,
    /// How groups are spread over the shards.
    /// @default 'duration'
    #[napi(ts_type = "'duration' | 'round-robin' | 'file' | 'tag' | 'fail-first' | 'playwright'")]
    pub strategy: Option<Loose>,
    /// Relative speed of each shard (one per shard, > 0): expected time on
    /// shard i = its load ÷ weights[i].
    /// @default undefined (all equal)
    #[napi(ts_type = "number[]")]
    pub weights: Option<Loose>,
    /// For `strategy: 'tag'`: keep each tag's groups on one shard
    /// (`'group'`) or spread them evenly (`'spread'`).
    /// @default 'group'
    #[napi(ts_type = "'group' | 'spread'")]
    pub tag_mode: Option<Loose>,
    /// For `strategy: 'tag'`: the tags that count (with their `@`).
    /// @default undefined (every tag)
    #[napi(ts_type = "string[]")]
    pub tags: Option<Loose>,
    /// `false`: LPT alone, without the search that improves on it (for
    /// comparison).
    /// @default true
    #[napi(ts_type = "boolean")]
    pub improve: Option<Loose>,
    /// For `selectShard`: which shard (1-based, `i` of `--shard=i/n`).
    #[napi(ts_type = "number")]
    pub index: Option<Loose>,
}

loose_options!(ShardOptions, "a planShards()/selectShard()", [], {
    shards => "shards",
    strategy => "strategy",
    weights => "weights",
    tag_mode => "tagMode",
    tags => "tags",
    improve => "improve",
    index => "index",
});

fn strings(field: &str, value: Option<&Value>) -> Result<Option<Vec<String>>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(Error::invalid(
                    format!("{field}[{i}]"),
                    config::show(other),
                    "a string",
                )),
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
        Some(other) => Err(Error::invalid(
            field,
            config::show(other),
            "an array of strings",
        )),
    }
}

impl ShardOptions {
    pub fn resolve(&self) -> Result<PlanOptions> {
        let shards = config::whole(
            "shards",
            json(&self.shards),
            1,
            PlanOptions::MAX_SHARDS as u64,
        )?
        .ok_or_else(|| {
            Error::invalid(
                "shards",
                "undefined",
                format!("a whole number from 1 to {}", PlanOptions::MAX_SHARDS),
            )
        })? as u32;
        let strategy = config::choice("strategy", json(&self.strategy), &Strategy::NAMES)?
            .and_then(Strategy::from_name)
            .unwrap_or(PlanOptions::DEFAULT_STRATEGY);
        let tag_mode = config::choice("tagMode", json(&self.tag_mode), &TagMode::NAMES)?
            .and_then(TagMode::from_name)
            .unwrap_or(PlanOptions::DEFAULT_TAG_MODE);
        let weights = match json(&self.weights) {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let field = format!("weights[{i}]");
                        match config::number(&field, Some(v))? {
                            Some(w) if w > 0.0 => Ok(w),
                            Some(w) => Err(Error::invalid(field, w, "a finite number > 0")),
                            None => Err(Error::invalid(field, config::show(v), "a number > 0")),
                        }
                    })
                    .collect::<Result<Vec<f64>>>()?,
            ),
            Some(other) => {
                return Err(Error::invalid(
                    "weights",
                    config::show(other),
                    "an array of numbers > 0, one per shard",
                ))
            }
        };
        let options = PlanOptions {
            shards,
            strategy,
            weights,
            tag_mode,
            tags: strings("tags", json(&self.tags))?,
            improve: config::boolean("improve", json(&self.improve))?.unwrap_or(true),
        };
        options.validate()?;
        Ok(options)
    }

    pub(super) fn index(&self, shards: u32) -> Result<u32> {
        let expected = format!("a whole number from 1 to {shards}");
        match config::number("index", json(&self.index))? {
            None => Err(Error::invalid("index", "undefined", expected)),
            Some(i) if i.fract() == 0.0 && i >= 1.0 && i <= shards as f64 => Ok(i as u32),
            Some(i) => Err(Error::invalid("index", i, expected)),
        }
    }
}

/// The groups as columns, packed by `packGroups` in js/api/shard.js.
///
/// Why columns: for 100,000 single-test groups, napi-rs reading 100,000
/// objects field by field, or JSON of them (stringify, parsing every
/// object), each cost more than the whole plan. Here every string crosses
/// in one UTF-8 buffer, NUL-separated (V8 writes each string straight
/// into it, the engine borrows it: one validation and a `memchr` split,
/// where a joined JS string cost a UTF-16 copy and a conversion, a third
/// of the call), numbers cross as typed arrays (no copy),
/// projects, files and tags are interned, and a single-test group's key is
/// its id. The JS side checks each field's type (and that no string holds a
/// NUL) and names the group in its errors; what arrives here is well-formed,
/// and the engine judges the values.
#[napi(object, object_to_js = false)]
pub struct PackedGroups {
    /// Every string, UTF-8, each followed by a NUL: the ids, then the test
    /// keys, then the interned projects, files and tags.
    pub text: Uint8Array,
    /// How many interned strings end `text`.
    pub string_count: u32,
    /// Per group: how many test keys are its own, or 0xFFFFFFFF for one
    /// test whose key is the group's id.
    pub test_count: Uint32Array,
    /// Per group: interned project and file.
    pub project: Uint32Array,
    pub file: Uint32Array,
    /// Per group: the duration where `known` is 1 (any f64: the engine
    /// rejects NaN, ±Infinity and negatives by name).
    pub duration: Float64Array,
    pub known: Uint8Array,
    pub failed: Uint8Array,
    pub skipped: Uint32Array,
    /// Per group: how many of `tags` (interned) are its own.
    pub tag_count: Uint32Array,
    pub tags: Uint32Array,
}

/// A single-test group: its one test is keyed by the group's id.
const SHORTHAND: u32 = u32::MAX;

/// The groups from their columns. Inconsistent columns are a bug of the JS
/// side (it builds them), hence `Internal`.
fn parse_groups(p: &PackedGroups) -> Result<Vec<Group>> {
    let broken = |what: String| Error::Internal(format!("packed groups: {what}"));
    let n = p.test_count.len();
    for (name, len) in [
        ("project", p.project.len()),
        ("file", p.file.len()),
        ("duration", p.duration.len()),
        ("known", p.known.len()),
        ("failed", p.failed.len()),
        ("skipped", p.skipped.len()),
        ("tagCount", p.tag_count.len()),
    ] {
        if len != n {
            return Err(broken(format!("{name} has {len} entries for {n} groups")));
        }
    }
    // Buffer#write never writes ill-formed UTF-8 (a lone surrogate becomes
    // U+FFFD); the check is one pass, and a bug cannot get past it.
    let text = simdutf8::compat::from_utf8(&p.text)
        .map_err(|e| broken(format!("text is not UTF-8 ({e})")))?;
    let mut pieces = text.split_terminator('\0');
    let mut next = || -> Result<&str> {
        pieces
            .next()
            .ok_or_else(|| broken("fewer strings than counted".into()))
    };
    let ids: Vec<String> = (0..n)
        .map(|_| next().map(String::from))
        .collect::<Result<_>>()?;
    let mut tests: Vec<Vec<String>> = Vec::with_capacity(n);
    for &count in p.test_count.iter() {
        tests.push(if count == SHORTHAND {
            Vec::new()
        } else {
            (0..count)
                .map(|_| next().map(String::from))
                .collect::<Result<_>>()?
        });
    }
    let strings: Vec<Arc<str>> = (0..p.string_count)
        .map(|_| next().map(Arc::from))
        .collect::<Result<_>>()?;
    if pieces.next().is_some() {
        return Err(broken("more strings than counted".into()));
    }
    let string = |i: u32| -> Result<Arc<str>> {
        strings
            .get(i as usize)
            .cloned()
            .ok_or_else(|| broken(format!("string #{i} out of range")))
    };
    let mut tag_at = 0usize;
    let mut groups = Vec::with_capacity(n);
    for (i, (id, tests)) in ids.into_iter().zip(tests).enumerate() {
        let tag_end = tag_at + p.tag_count[i] as usize;
        let tags = p
            .tags
            .get(tag_at..tag_end)
            .ok_or_else(|| broken("fewer tags than counted".into()))?
            .iter()
            .map(|&t| string(t).map(|t| t.to_string()))
            .collect::<Result<_>>()?;
        tag_at = tag_end;
        groups.push(Group {
            id,
            project: string(p.project[i])?,
            file: string(p.file[i])?,
            tests,
            tags,
            duration_ms: (p.known[i] != 0).then_some(p.duration[i]),
            failed_last_run: p.failed[i] != 0,
            skipped: p.skipped[i],
        });
    }
    Ok(groups)
}

/// One shard of a plan, as the engine returns it; `plan()` in js/shard.js
/// turns `groupIndexes` into the group ids it already holds (no new strings
/// cross for 100,000 groups).
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct NativeShard {
    /// 1-based, as in `--shard=i/n`.
    pub index: u32,
    /// Positions in the planned groups array, in run order.
    pub group_indexes: Uint32Array,
    pub test_count: u32,
    /// Sum of the groups' loads: milliseconds, or tests when `balancedBy`
    /// is `'count'`.
    pub load: f64,
    pub weight: f64,
    /// `load ÷ weight`, in the plan's unit.
    pub expected: f64,
    /// `expected` when balanced by duration, else null.
    pub expected_ms: Option<f64>,
}

/// A shard plan: which groups run where, and how good that is.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct NativePlan {
    pub shards: Vec<NativeShard>,
    #[napi(ts_type = "'duration' | 'round-robin' | 'file' | 'tag' | 'fail-first' | 'playwright'")]
    pub strategy: String,
    #[napi(ts_type = "'group' | 'spread'")]
    pub tag_mode: String,
    /// `'duration'`: loads are expected milliseconds; `'count'`: no group had
    /// a duration, loads are test counts.
    #[napi(ts_type = "'duration' | 'count'")]
    pub balanced_by: String,
    pub group_count: u32,
    pub test_count: u32,
    pub total: f64,
    /// `max(total ÷ Σ weights, longest group ÷ largest weight)`.
    pub lower_bound: f64,
    /// The latest shard's `expected`.
    pub makespan: f64,
    /// `makespan ÷ lowerBound` (1 is perfect).
    pub imbalance: f64,
    /// Groups whose duration was unknown and estimated.
    pub estimated_groups: u32,
    /// The per-test estimate used for them (median known per-test duration).
    pub per_test_estimate_ms: Option<f64>,
    /// XXH3-128 (hex) of every input; see docs/sharding.md.
    pub fingerprint: String,
}

pub(super) fn to_js(plan: &shard::Plan) -> NativePlan {
    let by_duration = plan.balanced_by == BalancedBy::Duration;
    NativePlan {
        shards: plan
            .shards
            .iter()
            .map(|s| NativeShard {
                index: s.index,
                group_indexes: Uint32Array::new(s.groups.iter().map(|&g| g as u32).collect()),
                test_count: s.tests as u32,
                load: s.load,
                weight: s.weight,
                expected: s.expected,
                expected_ms: by_duration.then_some(s.expected),
            })
            .collect(),
        strategy: plan.strategy.name().into(),
        tag_mode: plan.tag_mode.name().into(),
        balanced_by: plan.balanced_by.name().into(),
        group_count: plan.groups as u32,
        test_count: plan.tests as u32,
        total: plan.total,
        lower_bound: plan.lower_bound,
        makespan: plan.makespan,
        imbalance: plan.imbalance,
        estimated_groups: plan.estimated_groups as u32,
        per_test_estimate_ms: plan.per_test_estimate_ms,
        fingerprint: plan.fingerprint.clone(),
    }
}

/// Plans packed groups (see `Packed`). Use `planShards()` from
/// `shardwright`, which takes the groups themselves. Throws
/// `ERR_SHARDWRIGHT_CONFIG` for bad options and `ERR_SHARDWRIGHT_PLAN` for
/// groups no plan can be made from.
#[napi(
    js_name = "__planShards",
    ts_args_type = "groups: PackedGroups, options?: ShardOptions | undefined | null"
)]
pub fn plan_shards(
    groups: PackedGroups,
    options: Option<Loose>,
) -> napi::Result<NativePlan, &'static str> {
    sync(|| {
        let options = ShardOptions::from_loose(options.as_ref())?.resolve()?;
        let groups = parse_groups(&groups)?;
        let plan = shard::plan(&groups, &options)?;
        Ok(to_js(&plan))
    })
}

/// Checks `options.index` against `options.shards` (for `selectShard`).
#[napi(
    js_name = "__shardIndex",
    ts_args_type = "options?: ShardOptions | undefined | null"
)]
pub fn shard_index(options: Option<Loose>) -> napi::Result<u32, &'static str> {
    sync(|| {
        let options = ShardOptions::from_loose(options.as_ref())?;
        let shards = options.resolve()?.shards;
        options.index(shards)
    })
}

/// Reads back a plan object for the table (only the numbers are needed).
fn from_js(plan: &Value) -> Result<shard::Plan> {
    let field = |name: &str| plan.get(name);
    let number = |name: &str| -> Result<f64> {
        config::number(&format!("plan.{name}"), field(name))?
            .ok_or_else(|| Error::invalid(format!("plan.{name}"), "undefined", "a number"))
    };
    let text = |name: &str| field(name).and_then(Value::as_str).unwrap_or("");
    let strategy = Strategy::from_name(text("strategy")).ok_or_else(|| {
        Error::invalid(
            "plan.strategy",
            config::show(field("strategy").unwrap_or(&Value::Null)),
            "a plan from planShards()",
        )
    })?;
    let balanced_by = match text("balancedBy") {
        "count" => BalancedBy::Count,
        _ => BalancedBy::Duration,
    };
    let Some(Value::Array(list)) = field("shards") else {
        return Err(Error::invalid(
            "plan.shards",
            "missing",
            "a plan from planShards()",
        ));
    };
    let shards = list
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let n = |name: &str| -> Result<f64> {
                config::number(&format!("plan.shards[{i}].{name}"), s.get(name))?.ok_or_else(|| {
                    Error::invalid(format!("plan.shards[{i}].{name}"), "undefined", "a number")
                })
            };
            Ok(shard::ShardPlan {
                index: n("index")? as u32,
                // Only the count is shown.
                groups: vec![0; n("groupCount")? as usize],
                tests: n("testCount")? as usize,
                load: n("load")?,
                weight: n("weight")?,
                expected: n("expected")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(shard::Plan {
        shards,
        strategy,
        tag_mode: TagMode::from_name(text("tagMode")).unwrap_or(PlanOptions::DEFAULT_TAG_MODE),
        balanced_by,
        groups: number("groupCount")? as usize,
        tests: number("testCount")? as usize,
        total: number("total")?,
        lower_bound: number("lowerBound")?,
        makespan: number("makespan")?,
        imbalance: number("imbalance")?,
        estimated_groups: number("estimatedGroups")? as usize,
        per_test_estimate_ms: config::number("plan.perTestEstimateMs", field("perTestEstimateMs"))?,
        fingerprint: text("fingerprint").to_string(),
    })
}

/// The plan as a readable table (per shard: groups, tests, expected time,
/// share; then total, lower bound, makespan, imbalance, fingerprint). Takes
/// the plan's numbers (js/shard.js sends each shard's `groupCount` instead
/// of its ids).
#[napi(js_name = "__formatShardPlan", ts_args_type = "plan: object")]
pub fn format_shard_plan(plan: Loose) -> napi::Result<String, &'static str> {
    sync(|| Ok(shard::render_table(&from_js(&plan.0)?)))
}

/// What one shard ran, for `checkShardCoverage`.
#[napi(object, object_to_js = false)]
pub struct ShardRunRecord {
    /// 1-based shard index.
    pub index: u32,
    /// The plan's fingerprint on that shard.
    pub fingerprint: String,
    /// Keys of the tests it ran.
    pub tests: Vec<String>,
}

#[napi(object, object_from_js = false)]
pub struct TestOnShards {
    pub test: String,
    pub shards: Vec<u32>,
}

#[napi(object, object_from_js = false)]
pub struct FingerprintOnShards {
    pub fingerprint: String,
    pub shards: Vec<u32>,
}

/// Did every test run exactly once, all shards planning alike?
#[napi(object, object_from_js = false)]
pub struct ShardCoverage {
    /// Nothing missing or duplicated, one fingerprint, every shard reported once.
    pub ok: bool,
    pub expected: u32,
    /// Expected tests that ran.
    pub ran: u32,
    /// Expected tests no shard ran.
    pub missing: Vec<String>,
    /// Tests more than one shard ran.
    pub duplicated: Vec<TestOnShards>,
    /// Tests a shard ran that the suite does not list (informational).
    pub unexpected: Vec<TestOnShards>,
    /// Each distinct fingerprint with its shards, the most common first.
    pub fingerprints: Vec<FingerprintOnShards>,
    /// Shards `1..=shards` without a record (when `shards` was given).
    pub missing_shards: Vec<u32>,
    /// Shards with more than one record.
    pub repeated_shards: Vec<u32>,
    /// The same as readable lines.
    pub report: String,
}

/// Checks that every `expected` test ran exactly once across `records`,
/// and that all shards planned from the same inputs. `shards`: the shard
/// total, to find shards that reported nothing.
#[napi(ts_args_type = "expected: string[], records: ShardRunRecord[], shards?: number")]
pub fn check_shard_coverage(
    expected: Vec<String>,
    records: Vec<ShardRunRecord>,
    shards: Option<Loose>,
) -> napi::Result<ShardCoverage, &'static str> {
    sync(|| {
        let shards = config::whole("shards", json(&shards), 1, PlanOptions::MAX_SHARDS as u64)?
            .map(|s| s as u32);
        let records: Vec<shard::ShardRecord> = records
            .into_iter()
            .map(|r| shard::ShardRecord {
                index: r.index,
                fingerprint: r.fingerprint,
                tests: r.tests,
            })
            .collect();
        let c = shard::check_coverage(&expected, &records, shards);
        let on = |list: Vec<shard::TestShards>| {
            list.into_iter()
                .map(|t| TestOnShards {
                    test: t.test,
                    shards: t.shards,
                })
                .collect()
        };
        Ok(ShardCoverage {
            report: c.render(),
            ok: c.ok,
            expected: c.expected as u32,
            ran: c.ran as u32,
            missing: c.missing,
            duplicated: on(c.duplicated),
            unexpected: on(c.unexpected),
            fingerprints: c
                .fingerprints
                .into_iter()
                .map(|f| FingerprintOnShards {
                    fingerprint: f.fingerprint,
                    shards: f.shards,
                })
                .collect(),
            missing_shards: c.missing_shards,
            repeated_shards: c.repeated_shards,
        })
    })
}

/// The strategy names, for CLI help and validation.
#[napi(js_name = "__shardStrategies")]
pub fn shard_strategies() -> Vec<&'static str> {
    Strategy::NAMES.to_vec()
}

/// A duration as shardwright prints it: `850 ms`, `12.3 s`, `4m 05s`, `1h 02m`.
#[napi(js_name = "__formatMs")]
pub fn format_ms(ms: f64) -> String {
    if ms.is_finite() {
        shard::format_ms(ms)
    } else {
        "?".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shard::Strategy as PlanStrategy;
    use proptest::prelude::{
        any, prop_assert, prop_assert_eq, prop_oneof, proptest, Just, Strategy as _,
    };
    use serde_json::json;

    fn options(v: Value) -> Result<PlanOptions> {
        ShardOptions::from_loose(Some(&Loose(v)))?.resolve()
    }

    #[test]
    fn misspelt_and_nan_options_are_named() {
        for (v, message) in [
            (json!({"shard": 2}), "invalid shard: 2 (not a planShards()/selectShard() option; did you mean shards?)"),
            (json!({"shards": 2, "weights": [1, "NaN"]}), "invalid weights[1]: NaN (a finite number)"),
            (json!({"shards": "NaN"}), "invalid shards: NaN (a finite number)"),
            (json!({"shards": 2, "stratgy": "file"}), "invalid stratgy: \"file\" (not a planShards()/selectShard() option; did you mean strategy?)"),
        ] {
            assert_eq!(options(v).unwrap_err().to_string(), message);
        }
    }

    fn group(i: usize, tests: usize, ms: Option<f64>, file: usize, tag: Option<usize>) -> Group {
        Group {
            id: format!("g{i}"),
            project: Arc::from(["chromium", "firefox"][i % 2]),
            file: Arc::from(format!("f{file}.spec.ts").as_str()),
            tests: (0..tests).map(|t| format!("g{i} › t{t}")).collect(),
            tags: tag.map(|t| vec![format!("@t{t}")]).unwrap_or_default(),
            duration_ms: ms,
            failed_last_run: i % 7 == 0,
            skipped: 0,
        }
    }

    proptest! {
        /// Any groups, any strategy, any shard count: every group lands on
        /// exactly one shard, no shard expects less than nothing, and the
        /// makespan is never below the lower bound.
        #[test]
        fn every_group_exactly_once(
            specs in proptest::collection::vec((0usize..5, prop_oneof![Just(None), (0.0f64..1e6).prop_map(Some)], 0usize..6, prop_oneof![Just(None), (0usize..3).prop_map(Some)]), 0..60),
            shards in 1u32..12,
            strategy in 0usize..6,
            improve in any::<bool>(),
        ) {
            let groups: Vec<Group> = specs.iter().enumerate().map(|(i, (tests, ms, file, tag))| group(i, *tests, *ms, *file, *tag)).collect();
            let mut o = PlanOptions::new(shards);
            o.strategy = PlanStrategy::from_name(PlanStrategy::NAMES[strategy]).unwrap();
            o.improve = improve;
            match shard::plan(&groups, &o) {
                Ok(plan) => {
                    let mut seen = vec![0u32; groups.len()];
                    for s in &plan.shards {
                        prop_assert!(s.load >= 0.0 && s.expected >= 0.0);
                        for &g in &s.groups { seen[g] += 1; }
                    }
                    prop_assert!(seen.iter().all(|&n| n == 1), "{:?}", seen);
                    prop_assert_eq!(plan.shards.len(), shards as usize);
                    prop_assert!(plan.makespan + 1e-6 >= plan.lower_bound * (1.0 - 1e-9));
                }
                Err(e) => prop_assert!(matches!(e.code(), "ERR_SHARDWRIGHT_PLAN" | "ERR_SHARDWRIGHT_CONFIG"), "{}", e),
            }
        }
    }
}
