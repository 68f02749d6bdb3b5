//! Serial groups: tasks of one group never run at the same time. A ready
//! task whose group is busy is parked with its group and goes back to the
//! ready queue, in its original place, when the group's running task ends.

use std::collections::{BTreeSet, HashMap};

use super::task::Priority;

#[derive(Debug, Default)]
pub struct SerialGroups {
    ids: HashMap<String, u32>,
    names: Vec<String>,
    busy: Vec<bool>,
    parked: Vec<BTreeSet<(Priority, u32)>>,
}

impl SerialGroups {
    /// The group's number, registering it on first use.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&g) = self.ids.get(name) {
            return g;
        }
        let g = self.names.len() as u32;
        self.ids.insert(name.to_string(), g);
        self.names.push(name.to_string());
        self.busy.push(false);
        self.parked.push(BTreeSet::new());
        g
    }

    pub fn name(&self, group: u32) -> &str {
        &self.names[group as usize]
    }

    pub fn is_busy(&self, group: u32) -> bool {
        self.busy[group as usize]
    }

    pub fn acquire(&mut self, group: u32) {
        self.busy[group as usize] = true;
    }

    /// Waits for the group to be free.
    pub fn park(&mut self, group: u32, priority: Priority, handle: u32) {
        self.parked[group as usize].insert((priority, handle));
    }

    /// Frees the group; returns the parked task to make ready, if any.
    pub fn release(&mut self, group: u32) -> Option<(Priority, u32)> {
        self.busy[group as usize] = false;
        self.parked[group as usize].pop_first()
    }

    /// Takes a parked task out (it was cancelled or skipped).
    pub fn unpark(&mut self, group: u32, priority: Priority, handle: u32) -> bool {
        self.parked[group as usize].remove(&(priority, handle))
    }

    /// Every parked task, emptying the groups' queues.
    pub fn drain_parked(&mut self) -> Vec<u32> {
        let mut all: Vec<(Priority, u32)> =
            self.parked.iter_mut().flat_map(std::mem::take).collect();
        all.sort();
        all.into_iter().map(|(_, h)| h).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parked_tasks_come_back_by_priority_then_order() {
        let mut g = SerialGroups::default();
        let db = g.intern("db");
        assert_eq!(g.intern("db"), db);
        let fs = g.intern("fs");
        assert_ne!(db, fs);
        g.acquire(db);
        assert!(g.is_busy(db) && !g.is_busy(fs));
        g.park(db, Priority::Normal, 7);
        g.park(db, Priority::High, 9);
        g.park(db, Priority::Normal, 3);
        assert_eq!(g.release(db), Some((Priority::High, 9)));
        assert!(!g.is_busy(db));
        assert!(g.unpark(db, Priority::Normal, 7));
        assert_eq!(g.release(db), Some((Priority::Normal, 3)));
        assert_eq!(g.release(db), None);
        assert_eq!(g.name(fs), "fs");
    }
}
