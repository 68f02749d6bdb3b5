//! Unit tests of `sort` (beside it, split off to keep the file short).
use super::*;
use crate::history::model::tests::{attempt, meta};
use crate::history::{Limits, Status};

const F: Status = Status::Failed;
const P: Status = Status::Passed;

/// `runs[i]`: (title, attempts' statuses) of run i.
fn history(prefix: &str, runs: &[&[(&str, &[Status])]]) -> History {
    let mut h = History::new(Limits::DEFAULT);
    for (i, run) in runs.iter().enumerate() {
        let mut attempts = Vec::new();
        for (title, statuses) in run.iter() {
            for (retry, s) in statuses.iter().enumerate() {
                attempts.push(attempt(title, *s, retry as u32, 10));
            }
        }
        h.add_run(
            meta(
                &format!("{prefix}{i}"),
                1_000 * (i as i64 + 1),
                &format!("{prefix}c{i}"),
            ),
            attempts,
        );
    }
    h
}

fn keys(fs: &[Failure]) -> Vec<&str> {
    fs.iter().map(|f| f.title_path[0].as_str()).collect()
}

#[test]
fn failures_are_new_known_flaky_or_broken_on_base() {
    let ok: &[Status] = &[P];
    let fail: &[Status] = &[F, F];
    let retry: &[Status] = &[F, P];
    // Base: `flaky` flips, `broken` has failed for 4 runs, `red` failed
    // only in the latest run, `regress` and `fresh-flaky` always pass.
    let base = history(
        "b",
        &[
            &[
                ("flaky", ok),
                ("broken", ok),
                ("red", ok),
                ("regress", ok),
                ("fresh-flaky", ok),
            ],
            &[
                ("flaky", retry),
                ("broken", fail),
                ("red", ok),
                ("regress", ok),
                ("fresh-flaky", ok),
            ],
            &[
                ("flaky", ok),
                ("broken", fail),
                ("red", ok),
                ("regress", ok),
                ("fresh-flaky", ok),
            ],
            &[
                ("flaky", retry),
                ("broken", fail),
                ("red", ok),
                ("regress", ok),
                ("fresh-flaky", ok),
            ],
            &[
                ("flaky", ok),
                ("broken", fail),
                ("red", fail),
                ("regress", ok),
                ("fresh-flaky", ok),
            ],
        ],
    );
    // This branch: one earlier run, then the run being triaged.
    let head = history(
        "h",
        &[
            &[
                ("flaky", ok),
                ("broken", fail),
                ("red", fail),
                ("regress", ok),
                ("fresh-flaky", ok),
                ("new-test", ok),
            ],
            &[
                ("flaky", fail),
                ("broken", fail),
                ("red", fail),
                ("regress", fail),
                ("fresh-flaky", fail),
                ("brand-new", fail),
                ("retried", retry),
            ],
        ],
    );
    let co = CodeOwners::parse("* @all\ntests/a.spec.ts @cart-team\n");
    let t = triage(
        &head,
        &base,
        &FlakyOptions::DEFAULT,
        &TriageInput {
            run_id: None,
            codeowners: Some(&co),
            root_prefix: "tests",
        },
    )
    .unwrap();
    assert_eq!(t.run_id, "h1");
    assert_eq!(t.failed, 6);
    assert_eq!(keys(&t.known_flaky), vec!["flaky"]);
    let flaky = &t.known_flaky[0];
    assert!(flaky.score.unwrap() > 0.0);
    assert_eq!(flaky.outcomes.as_deref(), Some("PRPRP"));
    assert!(
        flaky.reason.starts_with("flaky in base history: score"),
        "{}",
        flaky.reason
    );
    assert_eq!(keys(&t.broken_on_base), vec!["broken", "red"]);
    assert_eq!(
        t.broken_on_base[0].failing_since.as_deref(),
        Some("b1 (bc1)")
    );
    assert_eq!(
        t.broken_on_base[1].reason,
        "failed in base's latest run too"
    );
    assert_eq!(keys(&t.new), vec!["brand-new", "fresh-flaky", "regress"]);
    assert_eq!(t.new[0].reason, "not in base's history: a new test");
    assert_eq!(t.new[2].reason, "passes on base");
    assert_eq!(t.new[2].base_outcome, Some("passed"));
    assert_eq!(t.new[2].error.as_deref(), Some("regress failed"));
    assert_eq!(t.new[2].owners, vec!["@cart-team"]);
    assert_eq!(t.passed_on_retry.len(), 1);
}

#[test]
fn flakiness_seen_only_in_this_run_is_not_known() {
    let ok: &[Status] = &[P];
    let base = history("b", &[&[("t", ok)], &[("t", ok)]]);
    // Flaky on this branch before (a retry pass in h0): known.
    let head = history(
        "h",
        &[
            &[("t", &[F, P]), ("u", ok)],
            &[("t", &[F, F]), ("u", &[F, F])],
        ],
    );
    let t = triage(
        &head,
        &base,
        &FlakyOptions::DEFAULT,
        &TriageInput::default(),
    )
    .unwrap();
    assert_eq!(keys(&t.known_flaky), vec!["t"]);
    assert!(
        t.known_flaky[0]
            .reason
            .starts_with("flaky in this branch's history"),
        "{}",
        t.known_flaky[0].reason
    );
    assert_eq!(keys(&t.new), vec!["u"]);
    assert!(t.new[0].owners.is_empty());
}

#[test]
fn an_unknown_run_is_named() {
    let base = history("b", &[&[("t", &[P])]]);
    let e = triage(
        &base,
        &base,
        &FlakyOptions::DEFAULT,
        &TriageInput {
            run_id: Some("nope"),
            ..TriageInput::default()
        },
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid --run: \"nope\" (the id of a run in the history)"
    );
}
