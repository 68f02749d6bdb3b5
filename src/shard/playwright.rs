//! A faithful reproduction of Playwright's own `--shard=i/n` split
//! (`filterForShard` in playwright/lib/runner, 1.65), for comparison.
//!
//! Playwright counts the tests of each group (those not expected to be
//! skipped, unless every test is skipped), cuts the count into `n`
//! contiguous slices (sizes `floor(weight × total ÷ Σ weights)`, the
//! remainder handed out one by one from the first shard), and gives each
//! group to the slice its first test falls in. A group with no counted tests
//! sits at the position just before it (`max(current - 1, 0)`), so it goes
//! with the previous group.

/// The groups (indexes into `sizes`, in input order) of every shard.
/// `sizes` are the counted tests of each group, in Playwright's group order;
/// `weights` are `PWTEST_SHARD_WEIGHTS` (one per shard), or equal.
pub fn split(sizes: &[usize], shards: usize, weights: Option<&[f64]>) -> Vec<Vec<usize>> {
    let equal = vec![1.0; shards];
    let weights = weights.unwrap_or(&equal);
    // JS numbers are f64: every step below is the same f64 arithmetic.
    let total_weight: f64 = weights.iter().sum();
    let shardable_total: f64 = sizes.iter().map(|&s| s as f64).sum();
    let mut shard_sizes: Vec<f64> = weights
        .iter()
        .map(|w| (w * shardable_total / total_weight).floor())
        .collect();
    let remainder = shardable_total - shard_sizes.iter().sum::<f64>();
    let mut i = 0usize;
    while (i as f64) < remainder {
        let len = shard_sizes.len();
        shard_sizes[i % len] += 1.0;
        i += 1;
    }
    let mut bounds = Vec::with_capacity(shards);
    let mut from = 0.0;
    for size in &shard_sizes {
        bounds.push((from, from + size));
        from += size;
    }
    let mut result = vec![Vec::new(); shards];
    let mut current = 0.0f64;
    for (index, &size) in sizes.iter().enumerate() {
        let position = if size > 0 {
            current
        } else {
            (current - 1.0).max(0.0)
        };
        for (s, &(from, to)) in bounds.iter().enumerate() {
            if position >= from && position < to {
                result[s].push(index);
            }
        }
        current += size as f64;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contiguous_count_slices_by_hand() {
        // 10 tests in groups 4,1,3,2 over 3 shards: sizes 3+1, 3, 3 → [4,3,3];
        // positions 0,4,5,8 → shard 1: [0,4) g0; shard 2: [4,7) g1,g2; shard 3: [7,10) g3.
        assert_eq!(
            split(&[4, 1, 3, 2], 3, None),
            vec![vec![0], vec![1, 2], vec![3]]
        );
        // A big first group takes its slice and beyond: the next shard starts
        // where its slice begins, so shard 2 may be empty.
        assert_eq!(split(&[9, 1], 2, None), vec![vec![0], vec![1]]);
        assert_eq!(split(&[6, 1, 1], 2, None), vec![vec![0], vec![1, 2]]);
        // 10 tests on 4 shards: slices [3,3,2,2]; positions 0, 8, 9.
        assert_eq!(
            split(&[8, 1, 1], 4, None),
            vec![vec![0], vec![], vec![], vec![1, 2]]
        );
    }

    #[test]
    fn empty_groups_go_with_the_previous_group() {
        // Positions: g0 0, g1 (empty) max(2-1,0)=1, g2 2, g3 (empty) 3.
        assert_eq!(split(&[2, 0, 2, 0], 2, None), vec![vec![0, 1], vec![2, 3]]);
        // An empty first group sits at 0.
        assert_eq!(split(&[0, 1, 1], 2, None), vec![vec![0, 1], vec![2]]);
    }

    #[test]
    fn weights_scale_the_slices() {
        // 10 tests, weights 3:1 → floor(7.5)=7, floor(2.5)=2, remainder 1 → [8,2].
        let sizes = [1; 10];
        let s = split(&sizes, 2, Some(&[3.0, 1.0]));
        assert_eq!(s[0].len(), 8);
        assert_eq!(s[1], vec![8, 9]);
    }
}
