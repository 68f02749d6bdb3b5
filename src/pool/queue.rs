//! The ready queue: tasks whose dependencies have passed, waiting for a
//! worker. Served by priority, then in submission order (a task's handle is
//! its submission number), so a task that waited for its dependencies or for
//! a retry keeps its place among later submissions.

use std::collections::BTreeSet;

use super::task::Priority;

#[derive(Debug, Default)]
pub struct ReadyQueue {
    set: BTreeSet<(Priority, u32)>,
}

impl ReadyQueue {
    pub fn push(&mut self, priority: Priority, handle: u32) {
        self.set.insert((priority, handle));
    }

    pub fn pop(&mut self) -> Option<u32> {
        self.set.pop_first().map(|(_, h)| h)
    }

    pub fn remove(&mut self, priority: Priority, handle: u32) -> bool {
        self.set.remove(&(priority, handle))
    }

    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// Empties the queue, in serving order.
    pub fn drain(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.set)
            .into_iter()
            .map(|(_, h)| h)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_then_submission_order() {
        let mut q = ReadyQueue::default();
        for (p, h) in [
            (Priority::Low, 0),
            (Priority::Normal, 1),
            (Priority::Critical, 5),
            (Priority::High, 3),
            (Priority::Normal, 2),
            (Priority::Critical, 4),
        ] {
            q.push(p, h);
        }
        assert!(q.remove(Priority::Normal, 2));
        let order: Vec<u32> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, [4, 5, 3, 1, 0]);
    }
}
