//! The plan preview as a readable table.

use super::group::BalancedBy;
use super::plan::Plan;

/// `850 ms`, `12.3 s`, `4m 05s`, `1h 02m`.
pub fn format_ms(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else if ms < 60_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else if ms < 3_600_000.0 {
        let s = (ms / 1000.0).round() as u64;
        format!("{}m {:02}s", s / 60, s % 60)
    } else {
        let m = (ms / 60_000.0).round() as u64;
        format!("{}h {:02}m", m / 60, m % 60)
    }
}

fn amount(plan: &Plan, value: f64) -> String {
    match plan.balanced_by {
        BalancedBy::Duration => format_ms(value),
        BalancedBy::Count => {
            if value.fract() == 0.0 {
                format!("{value:.0} tests")
            } else {
                format!("{value:.1} tests")
            }
        }
    }
}

/// The preview: a row per shard (groups, tests, expected time, share of
/// the total), then the total, lower bound, makespan and imbalance.
pub fn render(plan: &Plan) -> String {
    let weighted = plan.shards.iter().any(|s| s.weight != 1.0);
    let mut header = vec!["shard", "groups", "tests", "expected", "share"];
    if weighted {
        header.push("weight");
    }
    let rows: Vec<Vec<String>> = plan
        .shards
        .iter()
        .map(|s| {
            let share = if plan.total > 0.0 {
                format!("{:.1}%", 100.0 * s.load / plan.total)
            } else {
                "-".into()
            };
            let mut row = vec![
                format!("{}/{}", s.index, plan.shards.len()),
                s.groups.len().to_string(),
                s.tests.to_string(),
                amount(plan, s.expected),
                share,
            ];
            if weighted {
                row.push(format!("{}", s.weight));
            }
            row
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([header[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| -> String {
        let mut out = String::new();
        for (c, cell) in cells.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            if c > 0 {
                out.push_str("  ");
            }
            // The first column left-aligned, numbers right-aligned.
            if c == 0 {
                out.push_str(cell);
                out.push_str(&" ".repeat(pad));
            } else {
                out.push_str(&" ".repeat(pad));
                out.push_str(cell);
            }
        }
        out.trim_end().to_string() + "\n"
    };
    let mut out = format!(
        "shard plan: {} tests in {} groups over {} shards, strategy {}, balanced by {}\n",
        plan.tests,
        plan.groups,
        plan.shards.len(),
        plan.strategy.name(),
        plan.balanced_by.name()
    );
    if plan.balanced_by == BalancedBy::Count {
        out.push_str("no history: balancing by test count\n");
    } else if let Some(per_test) = plan.per_test_estimate_ms {
        out.push_str(&format!(
            "{} groups without history estimated at {} per test (the median)\n",
            plan.estimated_groups,
            format_ms(per_test)
        ));
    }
    out.push('\n');
    out.push_str(&line(header.iter().map(|h| h.to_string()).collect()));
    for row in rows {
        out.push_str(&line(row));
    }
    out.push('\n');
    out.push_str(&format!(
        "total {}, lower bound {}, makespan {}, imbalance {:.4} ({:+.2}% over the bound)\n",
        amount(plan, plan.total),
        amount(plan, plan.lower_bound),
        amount(plan, plan.makespan),
        plan.imbalance,
        100.0 * (plan.imbalance - 1.0)
    ));
    out.push_str(&format!("fingerprint {}\n", plan.fingerprint));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shard::group::tests::group;
    use crate::shard::options::PlanOptions;
    use crate::shard::plan::plan;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_ms(850.0), "850 ms");
        assert_eq!(format_ms(12_340.0), "12.3 s");
        assert_eq!(format_ms(245_000.0), "4m 05s");
        assert_eq!(format_ms(3_720_000.0), "1h 02m");
    }

    #[test]
    fn a_table_with_the_summary() {
        let groups = vec![
            group("a", 2, Some(3000.0)),
            group("b", 1, Some(2000.0)),
            group("c", 1, Some(1000.0)),
        ];
        let p = plan(&groups, &PlanOptions::new(2)).unwrap();
        let text = render(&p);
        let expected_rows = "\
shard  groups  tests  expected  share
1/2         1      2     3.0 s  50.0%
2/2         2      2     3.0 s  50.0%
";
        assert!(text.contains(expected_rows), "{text}");
        assert!(text.starts_with(
            "shard plan: 4 tests in 3 groups over 2 shards, strategy duration, balanced by duration\n"
        ));
        assert!(text.contains("total 6.0 s, lower bound 3.0 s, makespan 3.0 s, imbalance 1.0000 (+0.00% over the bound)"), "{text}");
        let counted = plan(
            &[group("a", 3, None), group("b", 1, None)],
            &PlanOptions::new(2),
        )
        .unwrap();
        let text = render(&counted);
        assert!(
            text.contains("no history: balancing by test count"),
            "{text}"
        );
        assert!(text.contains("makespan 3 tests"), "{text}");
    }
}
