#[cfg(test)]
mod perf_probe {
    use crate::history::model::{ErrorInfo, History, Limits, NewAttempt, RunMeta, Status};
    use crate::testid::TestId;
    use std::time::Instant;

    #[test]
    #[ignore]
    fn probe() {
        let n = 100_000;
        let ids: Vec<TestId> = (0..n)
            .map(|i| {
                TestId::new(
                    if i % 2 == 0 { "chromium" } else { "firefox" },
                    &format!("features/area-{}/flow-{}.spec.ts", (i / 100) % 40, i / 100),
                    vec![
                        format!("flow {}", i / 100),
                        format!("step {} does its thing", i % 50),
                    ],
                )
            })
            .collect();
        let mut h = History::new(Limits {
            max_runs: 20,
            max_age_days: 0,
        });
        for r in 0..20u32 {
            let attempts: Vec<NewAttempt> = ids
                .iter()
                .enumerate()
                .map(|(i, id)| NewAttempt {
                    id: id.clone(),
                    line: Some(3),
                    tags: vec![],
                    status: if i % 25 == 3 && (r + i as u32) % 3 == 0 {
                        Status::Failed
                    } else {
                        Status::Passed
                    },
                    expected_failure: false,
                    retry: 0,
                    duration_ms: 200 + (i as u32 * 7919) % 5000,
                    error: None,
                })
                .collect();
            let t = Instant::now();
            h.add_run(
                RunMeta {
                    id: format!("run-{r:03}"),
                    started_at: r as i64 * 1000,
                    commit: Some(format!("c{r}")),
                    ..Default::default()
                },
                attempts,
            );
            if r == 19 {
                eprintln!("add_run {:?}", t.elapsed());
            }
        }
        let _ = ErrorInfo {
            message: String::new(),
            class: crate::classify::ErrorClass::Permanent,
            rule: String::new(),
        };
        h.compact();
        let t = Instant::now();
        let bytes = crate::history::format::encode(&h, "r", 0);
        eprintln!("encode {:?} {} bytes", t.elapsed(), bytes.len());
        let t = Instant::now();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        eprintln!("parse to Value {:?}", t.elapsed());
        drop(v);
        let t = Instant::now();
        let d = crate::history::format::decode(&bytes).unwrap();
        eprintln!("decode {:?}", t.elapsed());
        let t = Instant::now();
        let r = crate::flaky::analyze(&d.history, &crate::flaky::FlakyOptions::DEFAULT).unwrap();
        eprintln!("analyze {:?} ({} tests)", t.elapsed(), r.tests.len());
        let t = Instant::now();
        let s = serde_json::to_string(&r).unwrap();
        eprintln!("report json {:?} {} bytes", t.elapsed(), s.len());
        let t = Instant::now();
        let mut h2 = d.history.clone();
        eprintln!("clone {:?}", t.elapsed());
        let t = Instant::now();
        h2.compact();
        eprintln!("compact {:?}", t.elapsed());
    }
}
#[cfg(test)]
mod perf_probe2 {
    use std::time::Instant;
    #[test]
    #[ignore]
    fn probe_add() {
        let text = std::fs::read_to_string("/tmp/run100k.json").unwrap();
        let bytes = std::fs::read("/tmp/h100k.json").unwrap();
        let mut h = crate::history::format::decode(&bytes).unwrap().history;
        for _ in 0..3 {
            let t = Instant::now();
            let input = crate::history::RunInput::from_json(&text).unwrap();
            let a = t.elapsed();
            let t = Instant::now();
            let (meta, attempts) = input
                .resolve(&crate::classify::Classifier::default())
                .unwrap();
            let b = t.elapsed();
            let t = Instant::now();
            let mut h2 = h.clone();
            let c0 = t.elapsed();
            let t = Instant::now();
            h2.add_run(meta, attempts);
            let c = t.elapsed();
            let t = Instant::now();
            let r = crate::flaky::analyze(&h, &crate::flaky::FlakyOptions::DEFAULT).unwrap();
            let d = t.elapsed();
            let t = Instant::now();
            let s = serde_json::to_string(&r).unwrap();
            let e = t.elapsed();
            eprintln!(
                "parse {a:?} resolve {b:?} (clone {c0:?}) add {c:?} analyze {d:?} json {e:?} {}",
                s.len()
            );
        }
        h.compact();
    }
}
