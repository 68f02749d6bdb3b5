//! The shard timeline of a sharded run: each shard a row, each group a bar,
//! the plan's expected time beside the time the group took, and the lower
//! bound of the run (max(total ÷ shards, longest group)) marked.
//!
//! What was planned comes from the shard records the reporter writes at the
//! end of each shard (`<reportDir>/shard-i-of-n.json`: the shard's groups
//! with their expected durations, in dispatch order); what it took comes
//! from the history (every attempt of the group's tests in that run, retries
//! included). Times are summed test time (a shard's load), the quantity
//! balancing equalises and the lower bound is stated in; each shard's wall
//! time (predicted and taken, on its workers) is given beside it.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde::{Deserialize, Serialize};

use crate::history::time::format_iso;
use crate::history::History;

/// A shard record as the reporter writes it; only what the timeline reads
/// (the keys lists `suite` and `ran` are skipped).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShardRecord {
    pub index: u32,
    pub total: u32,
    pub run_id: String,
    #[serde(default)]
    pub workers: Option<u32>,
    #[serde(default)]
    pub strategy: Option<String>,
    /// Expected wall time on the workers.
    #[serde(default)]
    pub predicted_ms: Option<f64>,
    /// The shard's wall time.
    #[serde(default)]
    pub actual_ms: Option<f64>,
    /// The shard's groups in dispatch order (records of shardwright ≥ 0.1
    /// with the HTML report; older ones have only `planned`).
    #[serde(default)]
    pub groups: Option<Vec<RecordGroup>>,
    /// The shard's test keys.
    #[serde(default)]
    pub planned: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordGroup {
    pub id: String,
    #[serde(default)]
    pub expected_ms: Option<f64>,
    pub tests: Vec<String>,
}

impl ShardRecord {
    /// A record's text; the problem in words when it is not one.
    pub fn parse(text: &str) -> Result<ShardRecord, String> {
        let r: ShardRecord =
            serde_json::from_str(text).map_err(|e| format!("not a shard record ({e})"))?;
        if r.index == 0 || r.index > r.total {
            return Err(format!(
                "not a shard record (shard {}/{}: index from 1 to total)",
                r.index, r.total
            ));
        }
        Ok(r)
    }
}

/// One bar, or several groups too small to see merged into one:
/// `[label, expected ms (null: not planned by duration), taken ms, tests]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment(pub String, pub Option<f64>, pub f64, pub u32);

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShardRow {
    pub index: u32,
    pub workers: Option<u32>,
    /// Wall time: predicted on the workers, and taken.
    pub predicted_ms: Option<f64>,
    pub wall_ms: Option<f64>,
    /// Summed test time: expected by the plan (none: not by duration), taken.
    pub planned_ms: Option<f64>,
    pub taken_ms: f64,
    pub tests: u32,
    pub groups: u32,
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Timeline {
    pub run_id: String,
    pub commit: Option<String>,
    pub started_at: Option<String>,
    /// Whether the history has the run (else no time taken is known).
    pub in_history: bool,
    pub total: u32,
    pub strategy: Option<String>,
    pub shards: Vec<ShardRow>,
    /// Shards of the run with no record.
    pub missing: Vec<u32>,
    /// max(expected total ÷ shards, longest expected group); none when not
    /// planned by duration.
    pub lower_bound_ms: Option<f64>,
    /// The same of the time taken.
    pub taken_lower_bound_ms: f64,
    /// The longest shard: expected and taken (summed test time).
    pub planned_makespan_ms: Option<f64>,
    pub taken_makespan_ms: f64,
}

/// Bars narrower than this share of the widest row are merged with their
/// small neighbours: a row draws at most about this many bars whatever the
/// number of groups.
const SEGMENTS_PER_ROW: f64 = 1500.0;

/// Which run the timeline shows: of the runs with records, the newest in
/// the history (else the last one given).
fn latest_run<'a>(history: &History, records: &'a [ShardRecord]) -> Option<&'a str> {
    let rank = |r: &ShardRecord| history.run_index.get(&r.run_id).copied();
    let in_history = records
        .iter()
        .filter_map(|r| rank(r).map(|i| (i, r.run_id.as_str())))
        .max_by_key(|(i, _)| *i);
    in_history
        .map(|(_, id)| id)
        .or_else(|| records.last().map(|r| r.run_id.as_str()))
}

/// Time each test of run `run` took (all its attempts), by key.
fn taken(history: &History, run: Option<u32>, key: &str) -> f64 {
    let (Some(run), Some(t)) = (run, history.test(key)) else {
        return 0.0;
    };
    let from = t.attempts.partition_point(|a| a.run < run);
    t.attempts[from..]
        .iter()
        .take_while(|a| a.run == run)
        .map(|a| f64::from(a.duration_ms))
        .sum()
}

/// Groups of a record without groups: its tests by project and file.
fn groups_of_planned(history: &History, planned: &[String]) -> Vec<RecordGroup> {
    let mut out: Vec<RecordGroup> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::default();
    for key in planned {
        let id = match history.test(key) {
            Some(t) => format!("{} › {}", t.id.project, t.id.file),
            None => key
                .rsplit_once(" › ")
                .map_or(key.clone(), |(h, _)| h.into()),
        };
        let i = *at.entry(id.clone()).or_insert_with(|| {
            out.push(RecordGroup {
                id,
                expected_ms: None,
                tests: Vec::new(),
            });
            out.len() - 1
        });
        out[i].tests.push(key.clone());
    }
    out
}

/// The timeline of the newest run among `records` (none without records).
pub fn timeline(history: &History, records: &[ShardRecord]) -> Option<Timeline> {
    let run_id = latest_run(history, records)?;
    // The run's records, one per shard (the last given wins).
    let total = records
        .iter()
        .filter(|r| r.run_id == run_id)
        .map(|r| r.total)
        .max()?;
    let mut by_index: Vec<Option<&ShardRecord>> = vec![None; total as usize];
    for r in records
        .iter()
        .filter(|r| r.run_id == run_id && r.total == total)
    {
        by_index[r.index as usize - 1] = Some(r);
    }
    let run = history.run_index.get(run_id).copied();
    let meta = run.map(|i| &history.runs()[i as usize]);

    struct Bar {
        label: String,
        expected: Option<f64>,
        taken: f64,
        tests: u32,
    }
    let mut rows: Vec<(&ShardRecord, Vec<Bar>)> = Vec::new();
    let mut missing = Vec::new();
    for (i, r) in by_index.iter().enumerate() {
        let Some(r) = r else {
            missing.push(i as u32 + 1);
            continue;
        };
        let groups = match &r.groups {
            Some(g) => g.clone(),
            None => groups_of_planned(history, &r.planned),
        };
        let bars = groups
            .iter()
            .map(|g| Bar {
                label: g.id.clone(),
                expected: g.expected_ms,
                taken: g.tests.iter().map(|k| taken(history, run, k)).sum(),
                tests: g.tests.len() as u32,
            })
            .collect();
        rows.push((r, bars));
    }

    let all = || rows.iter().flat_map(|(_, bars)| bars.iter());
    let by_duration = all().next().is_some() && all().all(|b| b.expected.is_some());
    let bound = |values: Vec<f64>| {
        let sum: f64 = values.iter().sum();
        let longest = values.iter().copied().fold(0.0, f64::max);
        (sum / f64::from(total)).max(longest)
    };
    let lower_bound_ms =
        by_duration.then(|| bound(all().map(|b| b.expected.unwrap_or(0.0)).collect()));
    let taken_lower_bound_ms = bound(all().map(|b| b.taken).collect());
    let load = |bars: &[Bar]| {
        let planned: Option<f64> = bars.iter().map(|b| b.expected).sum();
        let taken: f64 = bars.iter().map(|b| b.taken).sum();
        (planned.filter(|_| by_duration), taken)
    };
    let widest = rows
        .iter()
        .map(|(_, bars)| {
            let (p, t) = load(bars);
            p.unwrap_or(0.0).max(t)
        })
        .fold(0.0, f64::max);
    let small = widest / SEGMENTS_PER_ROW;

    let mut shards = Vec::with_capacity(rows.len());
    let (mut planned_makespan, mut taken_makespan) = (None::<f64>, 0.0f64);
    let mut strategy = None;
    for (r, bars) in &rows {
        let (planned_ms, taken_ms) = load(bars);
        if let Some(p) = planned_ms {
            planned_makespan = Some(planned_makespan.map_or(p, |m| m.max(p)));
        }
        taken_makespan = taken_makespan.max(taken_ms);
        strategy = strategy.or(r.strategy.clone());
        let mut segments: Vec<Segment> = Vec::new();
        let mut merged = 0u32;
        for b in bars {
            let size = b.expected.unwrap_or(0.0).max(b.taken);
            let expected = b.expected.filter(|_| by_duration);
            if size >= small || small == 0.0 {
                merged = 0;
                segments.push(Segment(b.label.clone(), expected, b.taken, b.tests));
                continue;
            }
            match segments.last_mut() {
                Some(s) if merged > 0 => {
                    merged += 1;
                    s.0 = format!("{merged} small groups");
                    s.1 = s.1.zip(expected).map(|(a, b)| a + b);
                    s.2 += b.taken;
                    s.3 += b.tests;
                }
                _ => {
                    merged = 1;
                    segments.push(Segment(b.label.clone(), expected, b.taken, b.tests));
                }
            }
        }
        shards.push(ShardRow {
            index: r.index,
            workers: r.workers,
            predicted_ms: r.predicted_ms,
            wall_ms: r.actual_ms,
            planned_ms,
            taken_ms,
            tests: bars.iter().map(|b| b.tests).sum(),
            groups: bars.len() as u32,
            segments,
        });
    }
    Some(Timeline {
        run_id: run_id.to_string(),
        commit: meta.and_then(|m| m.commit.clone()),
        started_at: meta.map(|m| format_iso(m.started_at)),
        in_history: run.is_some(),
        total,
        strategy,
        shards,
        missing,
        lower_bound_ms,
        taken_lower_bound_ms,
        planned_makespan_ms: planned_makespan,
        taken_makespan_ms: taken_makespan,
    })
}

/// Run ids the records name, for notes (distinct, in order).
pub fn run_ids(records: &[ShardRecord]) -> Vec<&str> {
    let mut seen = HashSet::default();
    records
        .iter()
        .map(|r| r.run_id.as_str())
        .filter(|id| seen.insert(*id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::model::NewAttempt;
    use crate::history::{RunMeta, Status};
    use crate::playwright::testid::TestId;

    fn attempt(file: &str, title: &str, ms: u32) -> NewAttempt {
        NewAttempt {
            id: TestId::new("p", file, vec![title.into()]),
            line: None,
            tags: vec![],
            status: Status::Passed,
            expected_failure: false,
            retry: 0,
            duration_ms: ms,
            error: None,
        }
    }

    fn record(index: u32, run: &str, groups: &[(&str, f64, &[&str])]) -> ShardRecord {
        let text = serde_json::json!({
            "index": index, "total": 2, "runId": run, "workers": 2,
            "predictedMs": 100.0, "actualMs": 120.0, "strategy": "duration",
            "groups": groups.iter().map(|(id, ms, tests)| serde_json::json!({
                "id": id, "expectedMs": ms, "tests": tests,
            })).collect::<Vec<_>>(),
            "suite": ["ignored"], "ran": [],
        });
        ShardRecord::parse(&text.to_string()).unwrap()
    }

    #[test]
    fn planned_against_taken_with_the_lower_bound() {
        let mut h = History::default();
        let meta = |id: &str, at| RunMeta {
            id: id.into(),
            started_at: at,
            commit: Some(format!("c-{id}")),
            ..Default::default()
        };
        h.add_run(meta("old", 1), vec![attempt("a.ts", "x", 5)]);
        h.add_run(
            meta("new", 2),
            vec![
                attempt("a.ts", "x", 300),
                attempt("a.ts", "y", 100),
                attempt("b.ts", "z", 250),
            ],
        );
        let records = [
            record(1, "old", &[("p › a.ts", 1.0, &["p › a.ts › x"])]),
            record(2, "new", &[("p › b.ts", 200.0, &["p › b.ts › z"])]),
            record(
                1,
                "new",
                &[("p › a.ts", 380.0, &["p › a.ts › x", "p › a.ts › y"])],
            ),
        ];
        let t = timeline(&h, &records).unwrap();
        assert_eq!(t.run_id, "new");
        assert_eq!(t.commit.as_deref(), Some("c-new"));
        assert!(t.in_history && t.missing.is_empty());
        assert_eq!(t.shards.iter().map(|s| s.index).collect::<Vec<_>>(), [1, 2]);
        let s1 = &t.shards[0];
        assert_eq!(
            (s1.planned_ms, s1.taken_ms, s1.tests),
            (Some(380.0), 400.0, 2)
        );
        assert_eq!(
            s1.segments,
            [Segment("p › a.ts".into(), Some(380.0), 400.0, 2)]
        );
        assert_eq!(
            (t.shards[1].planned_ms, t.shards[1].taken_ms),
            (Some(200.0), 250.0)
        );
        // max(580 / 2, 380) and max(650 / 2, 400).
        assert_eq!(t.lower_bound_ms, Some(380.0));
        assert_eq!(t.taken_lower_bound_ms, 400.0);
        assert_eq!(
            (t.planned_makespan_ms, t.taken_makespan_ms),
            (Some(380.0), 400.0)
        );
        assert_eq!(run_ids(&records), ["old", "new"]);
    }

    #[test]
    fn a_missing_shard_and_a_run_not_in_the_history() {
        let h = History::default();
        let t = timeline(&h, &[record(2, "gone", &[("g", 10.0, &["k"])])]).unwrap();
        assert_eq!((t.missing.clone(), t.in_history), (vec![1], false));
        assert_eq!(t.shards[0].taken_ms, 0.0);
        assert!(timeline(&h, &[]).is_none());
    }

    #[test]
    fn tiny_groups_merge_so_a_row_stays_drawable() {
        let h = History::default();
        let keys: Vec<String> = (0..10_000).map(|i| format!("k{i}")).collect();
        let mut groups: Vec<(String, f64, Vec<&str>)> = vec![("big".into(), 10_000.0, vec!["big"])];
        groups.extend(keys.iter().map(|k| (k.clone(), 1.0, vec![k.as_str()])));
        let text = serde_json::json!({
            "index": 1, "total": 1, "runId": "r",
            "groups": groups.iter().map(|(id, ms, tests)| serde_json::json!({
                "id": id, "expectedMs": ms, "tests": tests,
            })).collect::<Vec<_>>(),
        });
        let t = timeline(&h, &[ShardRecord::parse(&text.to_string()).unwrap()]).unwrap();
        let s = &t.shards[0];
        assert_eq!(s.groups, 10_001);
        assert_eq!(s.segments.len(), 2);
        assert_eq!(
            s.segments[1],
            Segment("10000 small groups".into(), Some(10_000.0), 0.0, 10_000)
        );
        assert_eq!(t.lower_bound_ms, Some(20_000.0));
    }

    #[test]
    fn records_are_checked_and_old_ones_group_by_file() {
        assert!(ShardRecord::parse("{}")
            .unwrap_err()
            .starts_with("not a shard record"));
        assert_eq!(
            ShardRecord::parse(r#"{"index":3,"total":2,"runId":"r"}"#).unwrap_err(),
            "not a shard record (shard 3/2: index from 1 to total)"
        );
        let mut h = History::default();
        h.add_run(
            RunMeta {
                id: "r".into(),
                started_at: 1,
                ..Default::default()
            },
            vec![attempt("a.ts", "x", 7), attempt("a.ts", "y", 8)],
        );
        let r = ShardRecord::parse(
            r#"{"index":1,"total":1,"runId":"r","planned":["p › a.ts › x","p › a.ts › y"]}"#,
        )
        .unwrap();
        let t = timeline(&h, &[r]).unwrap();
        assert_eq!(t.lower_bound_ms, None);
        assert_eq!(
            t.shards[0].segments,
            [Segment("p › a.ts".into(), None, 15.0, 2)]
        );
    }
}
