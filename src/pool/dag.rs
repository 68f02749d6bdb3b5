//! Dependencies of a submitted batch: every dependency must name a task of
//! the batch or one submitted before, and the batch must not close a cycle.
//! Checked before anything of the batch runs.
//!
//! Earlier tasks cannot depend on later ones (their dependencies were
//! resolved when they were submitted), so a cycle can only lie inside one
//! batch.

use std::collections::HashMap;

use crate::error::Error;

/// Where a dependency points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepRef {
    /// Another task of the same batch (its index in the batch).
    Batch(usize),
    /// A task submitted before (its handle).
    Known(u32),
}

/// Why a task of the batch cannot be scheduled.
#[derive(Debug)]
pub struct Rejection {
    pub error: Error,
    /// The task's own problem (unknown dependency, cycle), as opposed to
    /// depending on a rejected task; an all-or-nothing batch reports the
    /// first primary rejection.
    pub primary: bool,
}

/// Resolves the dependencies of each task of the batch (`(id, dependsOn)`;
/// an empty id is an unnamed task, which nothing can depend on), looking ids
/// up in the batch first, then with `known`. Returns, per task, its resolved
/// dependencies or why it is rejected.
pub fn resolve<'a>(
    batch: &[(&'a str, &'a [String])],
    known: impl Fn(&str) -> Option<u32>,
) -> Vec<Result<Vec<DepRef>, Rejection>> {
    // Most batches have no dependencies at all.
    if batch.iter().all(|(_, deps)| deps.is_empty()) {
        return batch.iter().map(|_| Ok(Vec::new())).collect();
    }
    let index: HashMap<&str, usize> = batch
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, (id, _))| !id.is_empty())
        .map(|(i, (id, _))| (*id, i))
        .collect();
    let reject = |id: &str, reason: String, primary: bool| Rejection {
        error: Error::TaskGraph {
            id: if id.is_empty() {
                "(unnamed)".into()
            } else {
                id.to_string()
            },
            reason,
        },
        primary,
    };
    let mut out: Vec<Result<Vec<DepRef>, Rejection>> = batch
        .iter()
        .map(|(id, deps)| {
            deps.iter()
                .map(|d| match index.get(d.as_str()) {
                    Some(&i) => Ok(DepRef::Batch(i)),
                    None => known(d).map(DepRef::Known).ok_or_else(|| {
                        reject(id, format!("it depends on unknown task `{d}`"), true)
                    }),
                })
                .collect()
        })
        .collect();

    let batch_deps = |deps: &[DepRef]| -> Vec<usize> {
        deps.iter()
            .filter_map(|d| match d {
                DepRef::Batch(i) => Some(*i),
                DepRef::Known(_) => None,
            })
            .collect()
    };
    loop {
        // Tasks that depend on a rejected task of the batch are rejected too.
        let mut changed = true;
        while changed {
            changed = false;
            for i in 0..out.len() {
                let Ok(deps) = &out[i] else { continue };
                if let Some(bad) = batch_deps(deps).into_iter().find(|&d| out[d].is_err()) {
                    out[i] = Err(reject(
                        batch[i].0,
                        format!(
                            "it depends on task `{}`, which cannot be scheduled",
                            batch[bad].0
                        ),
                        false,
                    ));
                    changed = true;
                }
            }
        }
        // Kahn's algorithm over the tasks still accepted: what it cannot
        // order lies on or behind a cycle.
        let mut indegree: Vec<usize> = out
            .iter()
            .map(|r| r.as_ref().map(|d| batch_deps(d).len()).unwrap_or(0))
            .collect();
        let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); out.len()];
        for (i, r) in out.iter().enumerate() {
            if let Ok(deps) = r {
                for d in batch_deps(deps) {
                    dependents[d].push(i);
                }
            }
        }
        let mut ordered = vec![false; out.len()];
        let mut stack: Vec<usize> = (0..out.len())
            .filter(|&i| out[i].is_ok() && indegree[i] == 0)
            .collect();
        while let Some(i) = stack.pop() {
            ordered[i] = true;
            for &j in &dependents[i] {
                indegree[j] -= 1;
                if indegree[j] == 0 {
                    stack.push(j);
                }
            }
        }
        let Some(start) = (0..out.len()).find(|&i| out[i].is_ok() && !ordered[i]) else {
            return out;
        };
        // Walk unordered dependencies from `start` until a task repeats: the
        // walk from its first visit is a cycle.
        let mut path = vec![start];
        let cycle = loop {
            let last = *path.last().expect("path starts non-empty");
            let next = match &out[last] {
                Ok(deps) => batch_deps(deps).into_iter().find(|&d| !ordered[d]),
                Err(_) => None,
            }
            .expect("an unordered task has an unordered dependency");
            if let Some(pos) = path.iter().position(|&p| p == next) {
                break path[pos..].to_vec();
            }
            path.push(next);
        };
        let names: Vec<&str> = cycle
            .iter()
            .chain(std::iter::once(&cycle[0]))
            .map(|&i| batch[i].0)
            .collect();
        let text = names.join(" → ");
        for &i in &cycle {
            out[i] = Err(reject(batch[i].0, format!("dependency cycle {text}"), true));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(spec: &[(&'static str, &[&str])]) -> Vec<(&'static str, Vec<String>)> {
        spec.iter()
            .map(|(id, deps)| (*id, deps.iter().map(|d| d.to_string()).collect()))
            .collect()
    }

    fn check(
        spec: &[(&'static str, &[&str])],
        known: &[(&str, u32)],
    ) -> Vec<Result<Vec<DepRef>, String>> {
        let b = batch(spec);
        let refs: Vec<(&str, &[String])> = b.iter().map(|(i, d)| (*i, d.as_slice())).collect();
        resolve(&refs, |id| {
            known.iter().find(|(k, _)| *k == id).map(|(_, h)| *h)
        })
        .into_iter()
        .map(|r| r.map_err(|e| format!("{}{}", if e.primary { "" } else { "(2) " }, e.error)))
        .collect()
    }

    #[test]
    fn resolves_batch_and_known_dependencies() {
        let r = check(&[("b", &["a", "old"]), ("a", &[])], &[("old", 4)]);
        assert_eq!(r[0], Ok(vec![DepRef::Batch(1), DepRef::Known(4)]));
        assert_eq!(r[1], Ok(vec![]));
    }

    #[test]
    fn unknown_dependency_names_both_tasks() {
        let r = check(&[("a", &["ghost"]), ("b", &["a"]), ("c", &[])], &[]);
        assert_eq!(
            r[0],
            Err("task `a` cannot be scheduled: it depends on unknown task `ghost`".into())
        );
        assert_eq!(
            r[1],
            Err("(2) task `b` cannot be scheduled: it depends on task `a`, which cannot be scheduled".into())
        );
        assert_eq!(r[2], Ok(vec![]));
    }

    #[test]
    fn cycles_are_named_in_dependency_order() {
        let r = check(
            &[
                ("x", &[]),
                ("a", &["b"]),
                ("b", &["c"]),
                ("c", &["a"]),
                ("d", &["a"]),
                ("s", &["s"]),
            ],
            &[],
        );
        assert_eq!(r[0], Ok(vec![]));
        let cycle: Vec<_> = r[1..4].iter().map(|e| e.clone().unwrap_err()).collect();
        assert!(
            cycle.iter().all(|e| e.contains("dependency cycle")),
            "{cycle:?}"
        );
        assert!(cycle[0].ends_with("a → b → c → a"), "{}", cycle[0]);
        assert_eq!(
            r[4],
            Err("(2) task `d` cannot be scheduled: it depends on task `a`, which cannot be scheduled".into())
        );
        assert_eq!(
            r[5],
            Err("task `s` cannot be scheduled: dependency cycle s → s".into())
        );
    }

    #[test]
    fn a_long_chain_is_fine() {
        let ids: Vec<String> = (0..5000).map(|i| format!("t{i}")).collect();
        let deps: Vec<Vec<String>> = (0..5000)
            .map(|i| {
                if i == 0 {
                    vec![]
                } else {
                    vec![ids[i - 1].clone()]
                }
            })
            .collect();
        let refs: Vec<(&str, &[String])> = ids
            .iter()
            .zip(&deps)
            .map(|(i, d)| (i.as_str(), d.as_slice()))
            .collect();
        assert!(resolve(&refs, |_| None).iter().all(|r| r.is_ok()));
    }
}
