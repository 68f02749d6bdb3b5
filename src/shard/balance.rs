//! Partitioning loads over shards of given speeds (makespan minimisation,
//! `P||Cmax` / `Q||Cmax`): LPT, the largest differencing method (multiway
//! Karmarkar–Karp) and a local search of moves and swaps from the most
//! loaded shard.
//!
//! Everything here is deterministic: the same items in the same order give
//! the same assignment on every machine. Ties are broken by shard index and
//! by each item's `rank` (its position in id order, given by the caller);
//! floating-point sums are always taken in the same order, and Rust does not
//! reassociate or fuse float operations, so IEEE 754 gives the same bits
//! everywhere. The search is bounded by a count of evaluations, never by
//! time, for the same reason.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// An item's class says what the local search may do with it.
pub type Class = u32;
/// Moves to any shard, swaps with any other free item.
pub const FREE: Class = 0;
/// Stays where it was put.
pub const PINNED: Class = Class::MAX;
// Any other class: swaps only with an item of the same class, never moves
// alone (used to keep each tag's spread across shards while balancing).

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Item {
    pub load: f64,
    pub class: Class,
    /// Tie-break order (position in id order).
    pub rank: u32,
}

impl Item {
    pub fn free(load: f64, rank: u32) -> Self {
        Item {
            load,
            class: FREE,
            rank,
        }
    }
}

/// Unassigned item.
pub const NONE: u32 = u32::MAX;

/// `max(total ÷ Σ weights, largest ÷ max weight)`: no assignment can finish
/// earlier (the work cannot go faster than all shards together, and the
/// largest item cannot go faster than the fastest shard).
pub fn lower_bound(items: &[Item], weights: &[f64]) -> f64 {
    let total: f64 = items.iter().map(|i| i.load).sum();
    let largest = items.iter().map(|i| i.load).fold(0.0, f64::max);
    let weight_sum: f64 = weights.iter().sum();
    let fastest = weights.iter().copied().fold(0.0, f64::max);
    (total / weight_sum).max(largest / fastest)
}

/// Sum of each shard's items, summed in item order.
pub fn shard_loads(items: &[Item], of: &[u32], shards: usize) -> Vec<f64> {
    let mut loads = vec![0.0; shards];
    for (item, &s) in items.iter().zip(of) {
        if s != NONE {
            loads[s as usize] += item.load;
        }
    }
    loads
}

/// The latest finish time (load ÷ weight) over the shards.
pub fn makespan(loads: &[f64], weights: &[f64]) -> f64 {
    loads
        .iter()
        .zip(weights)
        .map(|(l, w)| l / w)
        .fold(0.0, f64::max)
}

/// A key whose ascending order is `f64::total_cmp`'s descending order, so
/// sorts run on plain integers (no pointer chasing per comparison).
pub fn descending(x: f64) -> u64 {
    let bits = x.to_bits() as i64;
    // total_cmp's trick: flip the magnitude bits of negatives, then the sign
    // bit maps signed order onto unsigned order.
    let ordered = (bits ^ ((((bits >> 63) as u64) >> 1) as i64)) as u64 ^ (1 << 63);
    !ordered
}

/// Items in LPT order: load descending, then rank ascending.
pub fn lpt_order(items: &[Item], which: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut keyed: Vec<(u64, u32, u32)> = which
        .map(|i| (descending(items[i].load), items[i].rank, i as u32))
        .collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, _, i)| i as usize).collect()
}

/// A rule LPT consults before finish times: the shard with the lowest
/// penalty wins, then the earliest finish, then the lowest index.
pub trait Penalty {
    fn penalty(&self, item: usize, shard: usize) -> u64;
    fn assigned(&mut self, item: usize, shard: usize);
    /// `false` when every penalty is 0 (allows the heap form of LPT).
    fn active(&self) -> bool {
        true
    }
}

/// No penalty: plain LPT.
pub struct NoPenalty;

impl Penalty for NoPenalty {
    fn penalty(&self, _: usize, _: usize) -> u64 {
        0
    }
    fn assigned(&mut self, _: usize, _: usize) {}
    fn active(&self) -> bool {
        false
    }
}

/// A shard in LPT's heap: the least loaded first, then the lowest index.
#[derive(PartialEq)]
struct Open(f64, usize);
impl Eq for Open {}
impl PartialOrd for Open {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Open {
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.total_cmp(&self.0).then(other.1.cmp(&self.1))
    }
}

/// Longest processing time first: each item of `order` goes to the shard
/// where it would finish first (`(load + item) ÷ weight`). `loads` and `of`
/// may already hold earlier assignments (fail-first places its failed
/// groups first).
pub fn lpt(
    items: &[Item],
    order: &[usize],
    weights: &[f64],
    loads: &mut [f64],
    of: &mut [u32],
    penalty: &mut dyn Penalty,
) {
    if !penalty.active() && weights.iter().all(|&w| w == weights[0]) {
        // Equal speeds: the earliest finish is the least load, so a heap
        // gives the same choice (ties to the lowest index) in O(log n).
        let mut heap: BinaryHeap<Open> =
            loads.iter().enumerate().map(|(s, &l)| Open(l, s)).collect();
        for &i in order {
            let Open(l, s) = heap.pop().expect("at least one shard");
            let l = l + items[i].load;
            loads[s] = l;
            of[i] = s as u32;
            heap.push(Open(l, s));
        }
        return;
    }
    for &i in order {
        let x = items[i].load;
        let mut best = 0usize;
        let mut best_key = (u64::MAX, f64::INFINITY);
        for s in 0..weights.len() {
            let key = (penalty.penalty(i, s), (loads[s] + x) / weights[s]);
            if key.0 < best_key.0 || (key.0 == best_key.0 && key.1 < best_key.1) {
                best = s;
                best_key = key;
            }
        }
        loads[best] += x;
        of[i] = best as u32;
        penalty.assigned(i, best);
    }
}

/// Above this many items the differencing method is skipped: its cost grows
/// with items × shards, and with many small items LPT is already within a
/// hair of the bound.
pub const LDM_MAX_ITEMS: usize = 20_000;

/// One partial partition of the differencing method: `k` subsets, sums
/// descending, members as linked lists through `next`.
struct Partial {
    sums: Vec<f64>,
    heads: Vec<u32>,
    tails: Vec<u32>,
    seq: u64,
}

impl Partial {
    fn spread(&self) -> f64 {
        self.sums[0] - self.sums[self.sums.len() - 1]
    }
}

impl PartialEq for Partial {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Partial {}
impl PartialOrd for Partial {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Partial {
    // Max-heap: the largest spread first, then the oldest.
    fn cmp(&self, other: &Self) -> Ordering {
        self.spread()
            .total_cmp(&other.spread())
            .then(other.seq.cmp(&self.seq))
    }
}

/// The largest differencing method (Karmarkar & Karp 1982, multiway form):
/// start with one partial partition per item, then repeatedly merge the two
/// with the largest spread, pairing the largest subset of one with the
/// smallest of the other. Equal-speed shards only. Returns the shard of each
/// item of `which` in `of`.
pub fn ldm(items: &[Item], which: &[usize], shards: usize, of: &mut [u32]) {
    let mut next = vec![NONE; items.len()];
    let mut heap = BinaryHeap::with_capacity(which.len());
    let mut seq = 0u64;
    for &i in lpt_order(items, which.iter().copied()).iter() {
        let mut sums = vec![0.0; shards];
        let mut heads = vec![NONE; shards];
        let mut tails = vec![NONE; shards];
        sums[0] = items[i].load;
        heads[0] = i as u32;
        tails[0] = i as u32;
        heap.push(Partial {
            sums,
            heads,
            tails,
            seq,
        });
        seq += 1;
    }
    while heap.len() > 1 {
        let a = heap.pop().expect("two partials");
        let b = heap.pop().expect("two partials");
        // a: sums descending; b reversed: ascending.
        let mut merged: Vec<(f64, u32, u32)> = (0..shards)
            .map(|s| {
                let t = shards - 1 - s;
                let (head, tail) = match (a.heads[s], b.heads[t]) {
                    (NONE, _) => (b.heads[t], b.tails[t]),
                    (_, NONE) => (a.heads[s], a.tails[s]),
                    (ha, hb) => {
                        next[a.tails[s] as usize] = hb;
                        (ha, b.tails[t])
                    }
                };
                (a.sums[s] + b.sums[t], head, tail)
            })
            .collect();
        // Descending sums; equal sums by first member for a stable order.
        merged.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
        heap.push(Partial {
            sums: merged.iter().map(|m| m.0).collect(),
            heads: merged.iter().map(|m| m.1).collect(),
            tails: merged.iter().map(|m| m.2).collect(),
            seq,
        });
        seq += 1;
    }
    if let Some(last) = heap.pop() {
        for (s, &head) in last.heads.iter().enumerate() {
            let mut at = head;
            while at != NONE {
                of[at as usize] = s as u32;
                at = next[at as usize];
            }
        }
    }
}

/// Stop searching once the makespan is this close to the lower bound
/// (relative): no plan can be better than the bound, and the last 0.01 %
/// is not worth the time (on 100,000 small groups LPT is usually there
/// already, and the search would cost more than the rest of the plan).
pub const GOOD_ENOUGH: f64 = 1e-4;

/// Default budget of the local search, in evaluations (item visits). Bounds
/// the time on huge inputs (about 20 ms); small suites finish far below it.
pub const DEFAULT_BUDGET: u64 = 20_000_000;

fn member_cmp(items: &[Item], a: u32, b: u32) -> Ordering {
    let (x, y) = (&items[a as usize], &items[b as usize]);
    x.class
        .cmp(&y.class)
        .then(x.load.total_cmp(&y.load))
        .then(x.rank.cmp(&y.rank))
}

/// The range of `members` (sorted by class first) holding `class`.
fn class_range(items: &[Item], members: &[u32], class: Class) -> (usize, usize) {
    let lo = members.partition_point(|&m| items[m as usize].class < class);
    let hi = members.partition_point(|&m| items[m as usize].class <= class);
    (lo, hi)
}

struct Best {
    finish: f64,
    to: usize,
    out: u32,
    back: u32,
}

/// Local search from an assignment: while the budget lasts, take the shard
/// that finishes last and apply the move (one of its free items to another
/// shard) or swap (one of its items for a smaller one of the same class on
/// another shard) that lowers the later of the two shards' finish times the
/// most. Every step lowers the last shard's finish time without raising
/// another shard past it, so the sorted finish times fall and the search
/// ends. Returns the evaluations spent.
pub fn improve(
    items: &[Item],
    weights: &[f64],
    of: &mut [u32],
    lower_bound: f64,
    budget: u64,
) -> u64 {
    let n = weights.len();
    if n < 2 {
        return 0;
    }
    let mut loads = shard_loads(items, of, n);
    // Already good enough (LPT on many small items usually is): no search,
    // and none of its set-up.
    if makespan(&loads, weights) <= lower_bound * (1.0 + GOOD_ENOUGH) {
        return 0;
    }
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (i, &s) in of.iter().enumerate() {
        if s != NONE {
            members[s as usize].push(i as u32);
        }
    }
    for m in &mut members {
        m.sort_by(|&a, &b| member_cmp(items, a, b));
    }
    let mut spent = 0u64;
    let load = |i: u32| items[i as usize].load;
    while spent < budget {
        let mut m = 0;
        for s in 1..n {
            if loads[s] / weights[s] > loads[m] / weights[m] {
                m = s;
            }
        }
        let fm = loads[m] / weights[m];
        if fm <= lower_bound * (1.0 + GOOD_ENOUGH) {
            break;
        }
        let wm = weights[m];
        let mut best: Option<Best> = None;
        let threshold = fm * (1.0 - 1e-12);
        for j in (0..n).filter(|&j| j != m) {
            let (lm, lj, wj) = (loads[m], loads[j], weights[j]);
            // The shift of load from m to j that equalises their finish.
            let ideal = (lm * wj - lj * wm) / (wm + wj);
            if ideal <= 0.0 {
                continue;
            }
            let finish = |d: f64| {
                if d > 0.0 {
                    ((lm - d) / wm).max((lj + d) / wj)
                } else {
                    f64::INFINITY
                }
            };
            let mut consider = |f: f64, out: u32, back: u32| {
                if f < threshold && best.as_ref().is_none_or(|b| f < b.finish) {
                    best = Some(Best {
                        finish: f,
                        to: j,
                        out,
                        back,
                    });
                }
            };
            let from = &members[m];
            // Moves: a free item of m whose load is nearest the ideal shift.
            let (lo, hi) = class_range(items, from, FREE);
            if lo < hi {
                let run = &from[lo..hi];
                let p = run.partition_point(|&a| load(a) < ideal);
                for q in [p.wrapping_sub(1), p] {
                    if let Some(&a) = run.get(q) {
                        consider(finish(load(a)), a, NONE);
                    }
                }
                spent += 2 + run.len().ilog2() as u64;
            }
            // Swaps, class by class: for each item a of m, the item b of j
            // nearest `a - ideal` (two pointers over both sorted runs).
            let to = &members[j];
            let mut start = 0;
            while start < from.len() {
                let class = items[from[start] as usize].class;
                let end =
                    start + from[start..].partition_point(|&a| items[a as usize].class == class);
                if class != PINNED {
                    let (blo, bhi) = class_range(items, to, class);
                    if blo < bhi {
                        let back = &to[blo..bhi];
                        let mut p = 0;
                        for &a in &from[start..end] {
                            let target = load(a) - ideal;
                            while p < back.len() && load(back[p]) < target {
                                p += 1;
                            }
                            for q in [p.wrapping_sub(1), p] {
                                if let Some(&b) = back.get(q) {
                                    consider(finish(load(a) - load(b)), a, b);
                                }
                            }
                        }
                        spent += (end - start + back.len()) as u64;
                    }
                }
                start = end;
            }
        }
        let Some(step) = best else {
            break;
        };
        let j = step.to;
        let shift = load(step.out)
            - if step.back == NONE {
                0.0
            } else {
                load(step.back)
            };
        loads[m] -= shift;
        loads[j] += shift;
        let pos = members[m]
            .binary_search_by(|&x| member_cmp(items, x, step.out))
            .expect("the moved item is on its shard");
        members[m].remove(pos);
        let pos = members[j]
            .binary_search_by(|&x| member_cmp(items, x, step.out))
            .unwrap_err();
        members[j].insert(pos, step.out);
        of[step.out as usize] = j as u32;
        if step.back != NONE {
            let pos = members[j]
                .binary_search_by(|&x| member_cmp(items, x, step.back))
                .expect("the swapped item is on its shard");
            members[j].remove(pos);
            let pos = members[m]
                .binary_search_by(|&x| member_cmp(items, x, step.back))
                .unwrap_err();
            members[m].insert(pos, step.back);
            of[step.back as usize] = m as u32;
        }
    }
    spent
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(loads: &[f64]) -> Vec<Item> {
        loads
            .iter()
            .enumerate()
            .map(|(i, &l)| Item::free(l, i as u32))
            .collect()
    }

    fn run_lpt(it: &[Item], weights: &[f64]) -> Vec<u32> {
        let mut of = vec![NONE; it.len()];
        let mut loads = vec![0.0; weights.len()];
        let order = lpt_order(it, 0..it.len());
        lpt(it, &order, weights, &mut loads, &mut of, &mut NoPenalty);
        of
    }

    fn span(it: &[Item], of: &[u32], weights: &[f64]) -> f64 {
        makespan(&shard_loads(it, of, weights.len()), weights)
    }

    #[test]
    fn lpt_is_the_textbook_result_and_improve_reaches_the_optimum() {
        // Graham's worst case for LPT on 2 machines: 3,3,2,2,2 → LPT 7, OPT 6.
        let it = items(&[3.0, 3.0, 2.0, 2.0, 2.0]);
        let w = [1.0, 1.0];
        let mut of = run_lpt(&it, &w);
        assert_eq!(of, vec![0, 1, 0, 1, 0]);
        assert_eq!(span(&it, &of, &w), 7.0);
        let lb = lower_bound(&it, &w);
        assert_eq!(lb, 6.0);
        improve(&it, &w, &mut of, lb, DEFAULT_BUDGET);
        assert_eq!(span(&it, &of, &w), 6.0);
    }

    #[test]
    fn ldm_beats_lpt_on_its_classic_example() {
        // 8,7,6,5,4 on 2 shards: LPT gives 17/13, LDM 16/14, optimum 15/15.
        let it = items(&[8.0, 7.0, 6.0, 5.0, 4.0]);
        let w = [1.0, 1.0];
        assert_eq!(span(&it, &run_lpt(&it, &w), &w), 17.0);
        let mut of = vec![NONE; 5];
        ldm(&it, &[0, 1, 2, 3, 4], 2, &mut of);
        assert_eq!(span(&it, &of, &w), 16.0);
        improve(&it, &w, &mut of, lower_bound(&it, &w), DEFAULT_BUDGET);
        assert_eq!(span(&it, &of, &w), 15.0);
    }

    #[test]
    fn weights_are_speeds() {
        // A shard twice as fast takes twice the load.
        let it = items(&[1.0; 9]);
        let w = [2.0, 1.0];
        let of = run_lpt(&it, &w);
        let loads = shard_loads(&it, &of, 2);
        assert_eq!(loads, vec![6.0, 3.0]);
        assert_eq!(lower_bound(&it, &w), 3.0);
        assert_eq!(makespan(&loads, &w), 3.0);
        // The largest item on the fastest shard bounds the makespan.
        assert_eq!(lower_bound(&items(&[10.0, 1.0]), &w), 5.0);
    }

    #[test]
    fn pinned_items_stay_and_classes_swap_only_among_themselves() {
        let mut it = items(&[5.0, 5.0, 1.0, 1.0]);
        it[0].class = PINNED;
        it[1].class = PINNED;
        // Both pinned 5s on shard 0: nothing may leave but the free 1s.
        let mut of = vec![0, 0, 0, 1];
        improve(&it, &[1.0, 1.0], &mut of, 6.0, DEFAULT_BUDGET);
        assert_eq!(&of[..2], &[0, 0]);
        assert_eq!(of[2], 1, "the free item moved off the loaded shard");
        // Class 7 items never move alone, only swap with class 7.
        let mut it = items(&[4.0, 1.0, 2.0]);
        for i in &mut it {
            i.class = 7;
        }
        let mut of = vec![0, 0, 1];
        improve(&it, &[1.0, 1.0], &mut of, 3.5, DEFAULT_BUDGET);
        // Only swap: 4↔2 gives 3/4 (better than 5/2).
        assert_eq!(of, vec![1, 0, 0]);
    }

    #[test]
    fn descending_keys_order_like_total_cmp_reversed() {
        let xs = [3.5, -1.0, 0.0, 1e300, -0.0, 2.0, f64::MIN_POSITIVE, -7.25];
        let mut by_key = xs.to_vec();
        by_key.sort_by_key(|&x| descending(x));
        let mut by_cmp = xs.to_vec();
        by_cmp.sort_by(|a, b| b.total_cmp(a));
        assert_eq!(
            by_key.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            by_cmp.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn the_budget_bounds_the_search() {
        let it = items(&[3.0, 3.0, 2.0, 2.0, 2.0]);
        let w = [1.0, 1.0];
        let mut of = run_lpt(&it, &w);
        assert_eq!(improve(&it, &w, &mut of, 6.0, 0), 0);
        assert_eq!(span(&it, &of, &w), 7.0);
    }
}
