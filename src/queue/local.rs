//! The in-process queue: one machine, the default of `shardwright run`. Same
//! semantics as the Redis queue (longest first, leases, exactly-once
//! completion), without the network.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Instant;

use super::model::*;

#[derive(Debug, Default)]
struct State {
    seeded: bool,
    fingerprint: Option<String>,
    groups: HashMap<String, QueueGroup>,
    pending: VecDeque<String>,
    /// group → (machine, deadline)
    leases: HashMap<String, (String, Instant)>,
    done: HashMap<String, DoneRecord>,
    failed: u64,
    remaining_ms: f64,
    reclaimed: u64,
    machines: HashMap<String, MachineInfo>,
    runs: Vec<String>,
    claims: HashMap<String, String>,
}

#[derive(Debug, Default)]
pub struct LocalQueue {
    state: Mutex<State>,
    started: Option<Instant>,
}

fn epoch_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

impl LocalQueue {
    pub fn new() -> Self {
        LocalQueue {
            state: Mutex::new(State::default()),
            started: Some(Instant::now()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data (every
        // mutation is a single step); keep going.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Seeds the queue once; `false` if it was already seeded.
    pub fn seed(&self, mut groups: Vec<QueueGroup>, fingerprint: Option<String>) -> bool {
        let mut s = self.lock();
        if s.seeded {
            return false;
        }
        sort_longest_first(&mut groups);
        s.seeded = true;
        s.fingerprint = fingerprint;
        s.remaining_ms = groups.iter().map(|g| g.expected_ms).sum();
        for g in groups {
            s.pending.push_back(g.id.clone());
            s.groups.insert(g.id.clone(), g);
        }
        true
    }

    pub fn join(&self, machine: &str, slots: u32, host: &str) {
        let mut s = self.lock();
        s.machines.insert(
            machine.to_string(),
            MachineInfo {
                id: machine.to_string(),
                slots,
                host: host.to_string(),
                last_seen: epoch_ms(),
                state: "running".into(),
            },
        );
    }

    pub fn leave(&self, machine: &str) {
        if let Some(m) = self.lock().machines.get_mut(machine) {
            m.state = "finished".into();
        }
    }

    fn reap(s: &mut State, now: Instant) -> Vec<String> {
        let expired: Vec<String> = s
            .leases
            .iter()
            .filter(|(_, (_, deadline))| *deadline <= now)
            .map(|(g, _)| g.clone())
            .collect();
        let mut expired = expired;
        expired.sort();
        for g in &expired {
            s.leases.remove(g);
            if !s.done.contains_key(g) {
                s.pending.push_front(g.clone());
                s.reclaimed += 1;
            }
        }
        expired
    }

    pub fn pull(&self, machine: &str, options: &PullOptions) -> Vec<QueueGroup> {
        let mut s = self.lock();
        let now = Instant::now();
        Self::reap(&mut s, now);
        let slots: u32 = s
            .machines
            .values()
            .filter(|m| m.state == "running")
            .map(|m| m.slots)
            .sum();
        let target = batch_target_ms(s.remaining_ms, slots, options.spread, options.share);
        let deadline = now + std::time::Duration::from_secs_f64(options.lease_ms / 1000.0);
        let mut taken = Vec::new();
        let mut sum = 0.0;
        while (taken.len() as u32) < options.max_groups.max(1) {
            let Some(id) = s.pending.pop_front() else {
                break;
            };
            if s.done.contains_key(&id) {
                continue;
            }
            let group = s.groups[&id].clone();
            sum += group.expected_ms;
            s.leases.insert(id, (machine.to_string(), deadline));
            taken.push(group);
            if sum >= target {
                break;
            }
        }
        taken
    }

    pub fn heartbeat(&self, machine: &str, lease_ms: f64) -> u64 {
        let mut s = self.lock();
        let deadline = Instant::now() + std::time::Duration::from_secs_f64(lease_ms / 1000.0);
        let mut n = 0;
        for (m, d) in s.leases.values_mut() {
            if m == machine {
                *d = deadline;
                n += 1;
            }
        }
        if let Some(info) = s.machines.get_mut(machine) {
            info.last_seen = epoch_ms();
        }
        n
    }

    /// Gives leased groups back (a machine that stops pulling): they go to
    /// the front of the queue, for the others. Returns how many went back.
    pub fn release(&self, machine: &str, groups: &[String]) -> u64 {
        let mut s = self.lock();
        let mut n = 0;
        for g in groups.iter().rev() {
            let mine = s.leases.get(g).is_some_and(|(m, _)| m == machine);
            if mine && !s.done.contains_key(g) {
                s.leases.remove(g);
                s.pending.push_front(g.clone());
                n += 1;
            }
        }
        n
    }

    /// Completes a group at most once; `false` if it was already done.
    pub fn complete(&self, machine: &str, group: &str, result: GroupResult) -> bool {
        let mut s = self.lock();
        if s.done.contains_key(group) || !s.groups.contains_key(group) {
            return false;
        }
        s.leases.remove(group);
        s.pending.retain(|g| g != group);
        s.remaining_ms -= s.groups[group].expected_ms;
        if result.status == GroupStatus::Failed {
            s.failed += 1;
        }
        s.done.insert(
            group.to_string(),
            DoneRecord {
                group: group.to_string(),
                machine: machine.to_string(),
                status: result.status,
                duration_ms: result.duration_ms,
                finished_at: epoch_ms(),
                payload: result.payload,
            },
        );
        true
    }

    pub fn status(&self) -> QueueStatus {
        let mut s = self.lock();
        let now = Instant::now();
        Self::reap(&mut s, now);
        let mut leased: Vec<LeaseInfo> = s
            .leases
            .iter()
            .map(|(g, (m, d))| LeaseInfo {
                group: g.clone(),
                machine: m.clone(),
                expires_in_ms: d.saturating_duration_since(now).as_secs_f64() * 1000.0,
                expected_ms: s.groups[g].expected_ms,
            })
            .collect();
        leased.sort_by(|a, b| a.group.cmp(&b.group));
        let mut machines: Vec<MachineInfo> = s.machines.values().cloned().collect();
        machines.sort_by(|a, b| a.id.cmp(&b.id));
        let _ = self.started;
        QueueStatus {
            seeded: s.seeded,
            fingerprint: s.fingerprint.clone(),
            total: s.groups.len() as u64,
            pending: s.pending.len() as u64,
            complete: s.seeded && s.pending.is_empty() && s.leases.is_empty(),
            leased,
            done: s.done.len() as u64,
            failed: s.failed,
            remaining_ms: s.remaining_ms.max(0.0),
            reclaimed: s.reclaimed,
            machines,
        }
    }

    pub fn push_run(&self, json: &str) {
        self.lock().runs.push(json.to_string());
    }

    pub fn runs(&self) -> Vec<String> {
        self.lock().runs.clone()
    }

    pub fn claim(&self, name: &str, machine: &str) -> bool {
        let mut s = self.lock();
        if s.claims.contains_key(name) {
            return false;
        }
        s.claims.insert(name.to_string(), machine.to_string());
        true
    }

    pub fn results(&self) -> Vec<DoneRecord> {
        let s = self.lock();
        let mut done: Vec<DoneRecord> = s.done.values().cloned().collect();
        done.sort_by(|a, b| a.group.cmp(&b.group));
        done
    }
}

/// Longest expected first; ties by id, so every machine seeds the same order.
pub fn sort_longest_first(groups: &mut [QueueGroup]) {
    groups.sort_by(|a, b| {
        b.expected_ms
            .total_cmp(&a.expected_ms)
            .then_with(|| a.id.cmp(&b.id))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(id: &str, ms: f64) -> QueueGroup {
        QueueGroup {
            id: id.into(),
            expected_ms: ms,
            payload: format!("tests of {id}"),
        }
    }

    fn passed(ms: f64) -> GroupResult {
        GroupResult {
            status: GroupStatus::Passed,
            duration_ms: ms,
            payload: String::new(),
        }
    }

    #[test]
    fn seeds_once_and_hands_out_longest_first() {
        let q = LocalQueue::new();
        assert!(q.seed(vec![g("a", 10.0), g("b", 30.0), g("c", 20.0)], None));
        assert!(!q.seed(vec![g("z", 99.0)], None));
        q.join("m1", 1, "h");
        let opts = PullOptions {
            max_groups: 1,
            ..PullOptions::DEFAULT
        };
        let order: Vec<String> = (0..3)
            .flat_map(|_| q.pull("m1", &opts))
            .map(|g| g.id)
            .collect();
        assert_eq!(order, ["b", "c", "a"]);
        assert!(q.pull("m1", &opts).is_empty());
    }

    #[test]
    fn batches_shrink_as_work_runs_out() {
        let q = LocalQueue::new();
        q.seed(
            (0..40).map(|i| g(&format!("g{i:02}"), 10.0)).collect(),
            None,
        );
        q.join("m1", 2, "h");
        let first = q.pull("m1", &PullOptions::DEFAULT);
        // 400 ms remaining ÷ (2 slots × 3) → 67 ms → 7 groups of 10 ms.
        assert_eq!(first.len(), 7);
        for group in &first {
            assert!(q.complete("m1", &group.id, passed(10.0)));
        }
        let mut sizes = vec![first.len()];
        loop {
            let batch = q.pull("m1", &PullOptions::DEFAULT);
            if batch.is_empty() {
                break;
            }
            sizes.push(batch.len());
            for group in &batch {
                q.complete("m1", &group.id, passed(10.0));
            }
        }
        assert_eq!(sizes.iter().sum::<usize>(), 40);
        assert!(sizes.windows(2).all(|w| w[1] <= w[0]), "{sizes:?}");
        assert_eq!(*sizes.last().unwrap(), 1);
        assert!(q.status().complete);
    }

    #[test]
    fn expired_leases_return_to_the_front_and_completion_is_once() {
        let q = LocalQueue::new();
        q.seed(vec![g("a", 50.0), g("b", 40.0), g("c", 30.0)], None);
        q.join("dead", 1, "h");
        q.join("alive", 1, "h");
        let lease = PullOptions {
            max_groups: 1,
            lease_ms: 0.0,
            ..PullOptions::DEFAULT
        };
        let taken = q.pull("dead", &lease);
        assert_eq!(taken[0].id, "a");
        // The dead machine never heartbeats: its lease (0 ms) has expired.
        let next = q.pull(
            "alive",
            &PullOptions {
                max_groups: 1,
                ..PullOptions::DEFAULT
            },
        );
        assert_eq!(next[0].id, "a", "the reclaimed group comes first");
        assert_eq!(q.status().reclaimed, 1);
        assert!(q.complete("alive", "a", passed(50.0)));
        assert!(!q.complete("dead", "a", passed(50.0)), "at most once");
        assert_eq!(q.results().len(), 1);
        assert_eq!(q.results()[0].machine, "alive");
    }

    #[test]
    fn released_groups_go_back_to_the_front() {
        let q = LocalQueue::new();
        q.seed(vec![g("a", 50.0), g("b", 40.0), g("c", 30.0)], None);
        q.join("m", 2, "h");
        q.join("n", 2, "h");
        let all = PullOptions {
            max_groups: 2,
            spread: 1.0,
            share: 4.0,
            ..PullOptions::DEFAULT
        };
        let taken: Vec<String> = q.pull("m", &all).into_iter().map(|g| g.id).collect();
        assert_eq!(taken, ["a", "b"]);
        assert_eq!(q.release("n", &taken), 0, "not n's leases");
        assert_eq!(q.release("m", &taken), 2);
        let again: Vec<String> = q.pull("n", &all).into_iter().map(|g| g.id).collect();
        assert_eq!(again, ["a", "b"], "in their order, before c");
        assert_eq!(q.status().reclaimed, 0);
    }

    #[test]
    fn a_pull_for_several_slots_takes_their_share() {
        let q = LocalQueue::new();
        q.seed(
            (0..40).map(|i| g(&format!("g{i:02}"), 10.0)).collect(),
            None,
        );
        q.join("m", 2, "h");
        q.join("n", 2, "h");
        // 400 ms × 2 of 4 slots ÷ (4 × 2) → 100 ms → 10 groups.
        let pull = PullOptions {
            max_groups: 100,
            spread: 2.0,
            share: 2.0,
            ..PullOptions::DEFAULT
        };
        assert_eq!(q.pull("m", &pull).len(), 10);
        // One machine alone, spread 1: everything at once.
        let q = LocalQueue::new();
        q.seed(
            (0..40).map(|i| g(&format!("g{i:02}"), 10.0)).collect(),
            None,
        );
        q.join("m", 2, "h");
        let all = PullOptions {
            max_groups: 100_000,
            spread: 1.0,
            share: 2.0,
            ..PullOptions::DEFAULT
        };
        assert_eq!(q.pull("m", &all).len(), 40);
    }

    #[test]
    fn heartbeats_keep_leases() {
        let q = LocalQueue::new();
        q.seed(vec![g("a", 5.0)], None);
        q.join("m", 1, "h");
        q.pull("m", &PullOptions::DEFAULT);
        assert_eq!(q.heartbeat("m", 60_000.0), 1);
        let s = q.status();
        assert_eq!(s.leased.len(), 1);
        assert!(s.leased[0].expires_in_ms > 59_000.0);
        assert!(!s.complete);
    }
}
