//! Queue-wait percentiles and the pool's statistics snapshot.

use super::events::Progress;
use super::workers::WorkerStats;

/// Waits from ready to first start, in milliseconds.
#[derive(Debug, Default)]
pub struct WaitSamples {
    samples: Vec<f64>,
}

/// Percentiles by the nearest-rank method (p50 of 1..=100 is 50).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Percentiles {
    pub count: usize,
    pub mean: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl WaitSamples {
    pub fn push(&mut self, ms: f64) {
        self.samples.push(ms);
    }

    pub fn percentiles(&self) -> Percentiles {
        percentiles(&self.samples)
    }
}

pub fn percentiles(samples: &[f64]) -> Percentiles {
    if samples.is_empty() {
        return Percentiles::default();
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = |p: f64| {
        let k = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[k.clamp(1, sorted.len()) - 1]
    };
    Percentiles {
        count: sorted.len(),
        mean: sorted.iter().sum::<f64>() / sorted.len() as f64,
        p50: rank(50.0),
        p95: rank(95.0),
        p99: rank(99.0),
        max: sorted[sorted.len() - 1],
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolStats {
    /// Since the pool was created.
    pub elapsed_ms: f64,
    pub active_workers: u32,
    pub busy_workers: u32,
    pub workers: Vec<WorkerStats>,
    /// Busy time of all workers over their active time.
    pub utilisation: f64,
    pub queue_wait_ms: Percentiles,
    pub progress: Progress,
    /// Attempts beyond the first, over all tasks.
    pub retries: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        let p = percentiles(&samples);
        assert_eq!(
            (p.count, p.p50, p.p95, p.p99, p.max, p.mean),
            (100, 50.0, 95.0, 99.0, 100.0, 50.5)
        );
        let p = percentiles(&[7.0]);
        assert_eq!((p.p50, p.p99), (7.0, 7.0));
        assert_eq!(percentiles(&[]).count, 0);
    }
}
