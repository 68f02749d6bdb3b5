//! How long a shard takes on its machine: Playwright runs a shard's groups
//! on `workers` parallel slots, handing each group (in the order they come)
//! to the first slot that is free, and each slot first starts a worker
//! process (and its browser). The sum of the loads, which is what balancing
//! equalises, overstates the wall time about `workers`-fold.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The wall time of running `loads` (in dispatch order) on `workers` slots,
/// each ready after `start_ms`: list scheduling, as Playwright's dispatcher
/// does it. 0 for no groups.
pub fn wall_time(loads: &[f64], workers: u32, start_ms: f64) -> f64 {
    if loads.is_empty() {
        return 0.0;
    }
    let slots = (workers.max(1) as usize).min(loads.len());
    // Free times as ordered integers (µs): f64 has no total order for the heap.
    let micros = |ms: f64| (ms.max(0.0) * 1000.0).round() as u64;
    let mut free: BinaryHeap<Reverse<u64>> =
        (0..slots).map(|_| Reverse(micros(start_ms))).collect();
    let mut end = 0u64;
    for &load in loads {
        let Reverse(at) = free.pop().expect("at least one slot");
        let done = at + micros(load);
        end = end.max(done);
        free.push(Reverse(done));
    }
    end as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_go_to_the_first_free_slot_in_order() {
        assert_eq!(wall_time(&[], 4, 500.0), 0.0);
        // One worker: the sum, after its start.
        assert_eq!(wall_time(&[100.0, 200.0, 300.0], 1, 50.0), 650.0);
        // Two workers: [100, 300] on one, [200] on the other.
        assert_eq!(wall_time(&[100.0, 200.0, 300.0], 2, 0.0), 400.0);
        // A long group last is not hidden by the others.
        assert_eq!(wall_time(&[10.0, 10.0, 10.0, 1000.0], 4, 0.0), 1000.0);
        // More workers than groups: the longest group.
        assert_eq!(wall_time(&[5.0, 7.0], 8, 1.0), 8.0);
    }
}
