//! Test groups as Playwright forms them (`createTestGroups`, 1.65): per
//! project, a file's sequential tests together, a sequential suite inside a
//! parallel one whole, every other test of a parallel suite alone. Groups
//! are what a plan moves between shards.
//!
//! What the reporter's public API cannot show is approximated on the safe
//! side: tests with different worker fixtures (`test.use`) in one file stay
//! one group (Playwright would split them; a coarser group never breaks a
//! run), and a parallel suite's `beforeAll` hooks do not keep its tests
//! together (Playwright chunks them by shard count anyway).

use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use super::suite::{Suite, Unit};
use super::testid::{repeat_key, TestId, SEPARATOR};
use crate::shard::Group;

/// The groups of a suite and, per group, the indexes of its tests in
/// `suite.tests` (in run order).
#[derive(Debug, Clone, Default)]
pub struct Grouping {
    pub groups: Vec<Group>,
    pub members: Vec<Vec<u32>>,
}

impl Grouping {
    /// Groups of the suite's planned tests (dependency projects left out).
    pub fn of(suite: &Suite) -> Grouping {
        let taken: FxHashSet<&str> = suite.tests.iter().map(|t| t.key.as_str()).collect();
        let mut out = Grouping::default();
        // Per project › file, in order of first appearance: its tests'
        // indexes.
        let mut files: Vec<(&str, &str, Vec<u32>)> = Vec::new();
        let mut at: FxHashMap<(&str, &str), usize> = FxHashMap::default();
        for (i, t) in suite.tests.iter().enumerate() {
            if suite.dependency[i] {
                continue;
            }
            let k = (t.id.project.as_str(), t.id.file.as_str());
            let slot = *at.entry(k).or_insert_with(|| {
                files.push((k.0, k.1, Vec::new()));
                files.len() - 1
            });
            files[slot].2.push(i as u32);
        }
        for (project, file, tests) in &files {
            let project_arc: Arc<str> = Arc::from(*project);
            let file_arc: Arc<str> = Arc::from(*file);
            let file_id = if project.is_empty() {
                file.to_string()
            } else {
                format!("{project}{SEPARATOR}{file}")
            };
            let mut used: FxHashSet<String> = FxHashSet::default();
            let mut units: Vec<(&Unit, Vec<u32>)> = Vec::new();
            let mut general = Vec::new();
            for &i in tests {
                let t = &suite.tests[i as usize];
                match &t.unit {
                    Unit::File => general.push(i),
                    unit => match units
                        .iter_mut()
                        .find(|(u, _)| *u == unit && **u != Unit::Alone)
                    {
                        Some((_, members)) => members.push(i),
                        None => units.push((unit, vec![i])),
                    },
                }
            }
            let mut push = |id: String, members: Vec<u32>| {
                out.groups
                    .push(group(suite, id, &project_arc, &file_arc, &members));
                out.members.push(members);
            };
            if !general.is_empty() {
                used.insert(file_id.clone());
                push(file_id, general);
            }
            for (unit, members) in units {
                let id = match unit {
                    Unit::Describe { titles, repeat } => {
                        let key = TestId::new(project.to_string(), file, titles.clone()).key();
                        let mut id = repeat_key(key, *repeat);
                        if taken.contains(id.as_str()) || used.contains(&id) {
                            id.push_str(" (describe)");
                        }
                        id
                    }
                    _ => suite.tests[members[0] as usize].key.clone(),
                };
                used.insert(id.clone());
                push(id, members);
            }
        }
        out
    }
}

fn group(suite: &Suite, id: String, project: &Arc<str>, file: &Arc<str>, members: &[u32]) -> Group {
    let mut tags: Vec<String> = Vec::new();
    let mut skipped = 0;
    for &i in members {
        let t = &suite.tests[i as usize];
        for tag in &t.tags {
            if !tags.contains(tag) {
                tags.push(tag.clone());
            }
        }
        skipped += u32::from(t.skipped);
    }
    // A single test keyed by the group's id needs no second copy of its key.
    let tests = if members.len() == 1 && suite.tests[members[0] as usize].key == id {
        Vec::new()
    } else {
        members
            .iter()
            .map(|&i| suite.tests[i as usize].key.clone())
            .collect()
    };
    Group {
        id,
        project: project.clone(),
        file: file.clone(),
        tests,
        tags,
        duration_ms: None,
        failed_last_run: false,
        skipped,
    }
}

/// The `--test-list` line of test `index`.
pub fn test_list_line(suite: &Suite, index: usize) -> String {
    suite.tests[index].id.test_list_line()
}

/// Tests whose titles cannot be written as a `--test-list` line (a part
/// holds `›`, leading or trailing spaces, or is empty): `key: "part"`.
pub fn unlistable(suite: &Suite) -> Vec<String> {
    let mut bad = Vec::new();
    for (t, _) in suite
        .tests
        .iter()
        .zip(&suite.dependency)
        .filter(|(_, &dep)| !dep)
    {
        let part = std::iter::once(&t.id.file)
            .chain(&t.id.title_path)
            .find(|p| p.contains('›') || p.trim() != p.as_str() || p.is_empty());
        if let Some(p) = part {
            bad.push(format!(
                "{}: {}",
                t.key,
                serde_json::Value::from(p.as_str())
            ));
        }
    }
    bad
}

impl Grouping {
    /// Joins groups whose `--test-list` lines would select each other's
    /// tests: Playwright selects every test whose title path starts with a
    /// line's, so a test titled like another's describe block, or the
    /// repeats of one test (`--repeat-each`), must run in one batch or run
    /// twice.
    pub fn merge_clashing(self, suite: &Suite) -> Grouping {
        let n = self.groups.len();
        let mut parent: Vec<usize> = (0..n).collect();
        fn find(parent: &mut [usize], i: usize) -> usize {
            let mut r = i;
            while parent[r] != r {
                r = parent[r];
            }
            let mut j = i;
            while parent[j] != r {
                let next = parent[j];
                parent[j] = r;
                j = next;
            }
            r
        }
        let mut group_of: FxHashMap<u32, usize> = FxHashMap::default();
        for (g, members) in self.members.iter().enumerate() {
            for &i in members {
                group_of.insert(i, g);
            }
        }
        let path_id = |i: u32, depth: usize| {
            let t = &suite.tests[i as usize];
            let mut id = format!("{}\0{}", t.id.project, t.id.file);
            for title in &t.id.title_path[..depth] {
                id.push('\0');
                id.push_str(title);
            }
            id
        };
        let mut by_path: FxHashMap<String, u32> = FxHashMap::default();
        let mut order: Vec<u32> = group_of.keys().copied().collect();
        order.sort_unstable();
        for &i in &order {
            let id = path_id(i, suite.tests[i as usize].id.title_path.len());
            match by_path.get(&id) {
                Some(&other) => {
                    let (a, b) = (
                        find(&mut parent, group_of[&i]),
                        find(&mut parent, group_of[&other]),
                    );
                    parent[a] = b;
                }
                None => {
                    by_path.insert(id, i);
                }
            }
        }
        for &i in &order {
            for d in 1..suite.tests[i as usize].id.title_path.len() {
                if let Some(&other) = by_path.get(&path_id(i, d)) {
                    let (a, b) = (
                        find(&mut parent, group_of[&i]),
                        find(&mut parent, group_of[&other]),
                    );
                    parent[a] = b;
                }
            }
        }
        let mut merged = Grouping::default();
        let mut slot: FxHashMap<usize, usize> = FxHashMap::default();
        for (g, (group, members)) in self.groups.into_iter().zip(self.members).enumerate() {
            let root = find(&mut parent, g);
            match slot.get(&root) {
                None => {
                    slot.insert(root, merged.groups.len());
                    let mut group = group;
                    if group.tests.is_empty() {
                        group.tests = vec![group.id.clone()];
                    }
                    merged.groups.push(group);
                    merged.members.push(members);
                }
                Some(&s) => {
                    let target = &mut merged.groups[s];
                    target.tests.extend(group.test_keys().iter().cloned());
                    target.skipped += group.skipped;
                    for tag in group.tags {
                        if !target.tags.contains(&tag) {
                            target.tags.push(tag);
                        }
                    }
                    merged.members[s].extend(members);
                }
            }
        }
        merged
    }
}

/// The `--test-list` lines that select exactly the tests `selected` (indexes
/// into `suite.tests`), in order. Playwright's parser splits a line on `›`,
/// trims each part and selects every test whose title path starts with the
/// line's: a title holding `›`, spaces at either end or nothing cannot be
/// written, and a line that is a prefix of an unselected test's path would
/// select that test too. Either is an error naming the tests.
pub fn test_list_lines(suite: &Suite, selected: &[u32]) -> crate::error::Result<Vec<String>> {
    let mut chosen = vec![false; suite.tests.len()];
    for &i in selected {
        chosen[i as usize] = true;
    }
    // Every strict prefix of an unselected test's path.
    let path = |t: &super::suite::SuiteTest, depth: usize| {
        let mut id = format!("{}\0{}", t.id.project, t.id.file);
        for title in &t.id.title_path[..depth] {
            id.push('\0');
            id.push_str(title);
        }
        id
    };
    let mut prefixes: FxHashMap<String, usize> = FxHashMap::default();
    for (i, t) in suite.tests.iter().enumerate() {
        if !chosen[i] {
            for d in 1..t.id.title_path.len() {
                prefixes.entry(path(t, d)).or_insert(i);
            }
        }
    }
    let unlistable: FxHashSet<String> = unlistable(suite).into_iter().collect();
    let mut problems = Vec::new();
    let mut lines = Vec::with_capacity(selected.len());
    for &i in selected {
        let t = &suite.tests[i as usize];
        if let Some(bad) = unlistable
            .iter()
            .find(|b| b.starts_with(&format!("{}: ", t.key)))
        {
            problems.push(format!(
                "{bad} cannot be written to a --test-list line (contains › or leading/trailing spaces)"
            ));
        } else if let Some(&other) = prefixes.get(&path(t, t.id.title_path.len())) {
            problems.push(format!(
                "{}: its line would also select {} (on another shard)",
                t.key, suite.tests[other].key
            ));
        } else {
            lines.push(test_list_line(suite, i as usize));
        }
    }
    if problems.is_empty() {
        Ok(lines)
    } else {
        Err(crate::error::Error::Plan(format!(
            "cannot write this shard as a --test-list file:\n  {}",
            problems.join("\n  ")
        )))
    }
}
