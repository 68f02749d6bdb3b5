//! Logical workers: slots that run one task at a time. The pool grows them
//! when tasks wait and retires the ones idle too long; the strategy picks
//! which idle worker gets the next task; each keeps its busy time for the
//! utilisation statistics.

use std::time::{Duration, Instant};

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::options::Strategy;

#[derive(Debug, Clone)]
struct Worker {
    active: bool,
    busy: bool,
    /// When the worker last became active / busy / idle.
    active_since: Instant,
    busy_since: Instant,
    idle_since: Instant,
    /// Totals over the worker's ended spans (the current one is added when
    /// read).
    active_total: Duration,
    busy_total: Duration,
    tasks: u64,
}

/// A snapshot of one worker for the stats.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerStats {
    pub index: u32,
    pub active: bool,
    pub busy: bool,
    /// Attempts this worker ran.
    pub tasks: u64,
    pub busy_ms: f64,
    /// Time the worker existed (was not scaled down).
    pub active_ms: f64,
    /// `busyMs / activeMs`, from 0 to 1.
    pub utilisation: f64,
}

/// A change in the number of active workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scaled {
    pub from: u32,
    pub to: u32,
}

#[derive(Debug)]
pub struct Workers {
    workers: Vec<Worker>,
    strategy: Strategy,
    min: u32,
    max: u32,
    idle_timeout: Duration,
    active: u32,
    busy: u32,
    cursor: usize,
    rng: ChaCha8Rng,
}

impl Workers {
    pub fn new(
        min: u32,
        max: u32,
        idle_timeout: Duration,
        strategy: Strategy,
        rng: ChaCha8Rng,
        now: Instant,
    ) -> Self {
        let mut w = Workers {
            workers: Vec::new(),
            strategy,
            min,
            max,
            idle_timeout,
            active: 0,
            busy: 0,
            cursor: 0,
            rng,
        };
        w.grow(min, now);
        w
    }

    pub fn active(&self) -> u32 {
        self.active
    }

    pub fn busy(&self) -> u32 {
        self.busy
    }

    pub fn idle(&self) -> u32 {
        self.active - self.busy
    }

    /// Activates up to `n` more workers (never past `max`), reusing the
    /// lowest retired indexes first. Returns the change, if any.
    pub fn grow(&mut self, n: u32, now: Instant) -> Option<Scaled> {
        let from = self.active;
        let want = (self.active + n).min(self.max);
        let mut i = 0;
        while self.active < want {
            if i == self.workers.len() {
                self.workers.push(Worker {
                    active: false,
                    busy: false,
                    active_since: now,
                    busy_since: now,
                    idle_since: now,
                    active_total: Duration::ZERO,
                    busy_total: Duration::ZERO,
                    tasks: 0,
                });
            }
            let w = &mut self.workers[i];
            if !w.active {
                w.active = true;
                w.active_since = now;
                w.idle_since = now;
                self.active += 1;
            }
            i += 1;
        }
        (self.active != from).then_some(Scaled {
            from,
            to: self.active,
        })
    }

    /// Grows by what `waiting` tasks need beyond the idle workers.
    pub fn scale_for_queue(&mut self, waiting: usize, now: Instant) -> Option<Scaled> {
        let idle = self.idle() as usize;
        if waiting > idle && self.active < self.max {
            self.grow((waiting - idle).min(u32::MAX as usize) as u32, now)
        } else {
            None
        }
    }

    /// Retires workers idle for `idle_timeout`, highest index first, down to
    /// `min`. Returns the change, and when to look again (the earliest moment
    /// another idle worker above `min` times out).
    pub fn scale_down(&mut self, now: Instant) -> (Option<Scaled>, Option<Instant>) {
        let from = self.active;
        for i in (0..self.workers.len()).rev() {
            if self.active <= self.min {
                break;
            }
            let w = &mut self.workers[i];
            if w.active && !w.busy && now.duration_since(w.idle_since) >= self.idle_timeout {
                w.active = false;
                w.active_total += now.duration_since(w.active_since);
                self.active -= 1;
            }
        }
        let scaled = (self.active != from).then_some(Scaled {
            from,
            to: self.active,
        });
        (scaled, self.next_scale_down())
    }

    /// When the earliest idle worker above `min` will have idled long enough.
    pub fn next_scale_down(&self) -> Option<Instant> {
        if self.active <= self.min {
            return None;
        }
        self.workers
            .iter()
            .filter(|w| w.active && !w.busy)
            .map(|w| w.idle_since + self.idle_timeout)
            .min()
    }

    /// Picks an idle worker by the strategy and marks it busy.
    pub fn take(&mut self, now: Instant) -> Option<u32> {
        if self.idle() == 0 {
            return None;
        }
        let idle = |w: &Worker| w.active && !w.busy;
        let n = self.workers.len();
        let index = match self.strategy {
            Strategy::Priority => self.workers.iter().position(idle)?,
            Strategy::RoundRobin => {
                let start = self.cursor;
                let i = (0..n)
                    .map(|k| (start + k) % n)
                    .find(|&i| idle(&self.workers[i]))?;
                self.cursor = (i + 1) % n;
                i
            }
            Strategy::LeastLoaded => {
                let busy_of = |w: &Worker| w.busy_total;
                self.workers
                    .iter()
                    .enumerate()
                    .filter(|(_, w)| idle(w))
                    .min_by_key(|(i, w)| (busy_of(w), *i))?
                    .0
            }
            Strategy::Random => {
                let k = self.rng.random_range(0..self.idle());
                self.workers
                    .iter()
                    .enumerate()
                    .filter(|(_, w)| idle(w))
                    .nth(k as usize)?
                    .0
            }
        };
        let w = &mut self.workers[index];
        w.busy = true;
        w.busy_since = now;
        w.tasks += 1;
        self.busy += 1;
        Some(index as u32)
    }

    /// The worker finished its attempt.
    pub fn release(&mut self, index: u32, now: Instant) {
        if let Some(w) = self.workers.get_mut(index as usize) {
            if w.busy {
                w.busy = false;
                w.busy_total += now.duration_since(w.busy_since);
                w.idle_since = now;
                self.busy -= 1;
            }
        }
    }

    pub fn stats(&self, now: Instant) -> Vec<WorkerStats> {
        self.workers
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let busy = w.busy_total
                    + if w.busy {
                        now.duration_since(w.busy_since)
                    } else {
                        Duration::ZERO
                    };
                let active = w.active_total
                    + if w.active {
                        now.duration_since(w.active_since)
                    } else {
                        Duration::ZERO
                    };
                let ms = |d: Duration| d.as_secs_f64() * 1000.0;
                WorkerStats {
                    index: i as u32,
                    active: w.active,
                    busy: w.busy,
                    tasks: w.tasks,
                    busy_ms: ms(busy),
                    active_ms: ms(active),
                    utilisation: if active.is_zero() {
                        0.0
                    } else {
                        (busy.as_secs_f64() / active.as_secs_f64()).min(1.0)
                    },
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backoff::seeded;

    fn workers(strategy: Strategy, min: u32, max: u32) -> (Workers, Instant) {
        let now = Instant::now();
        (
            Workers::new(
                min,
                max,
                Duration::from_millis(100),
                strategy,
                seeded(Some(7)),
                now,
            ),
            now,
        )
    }

    /// Runs `n` one-at-a-time tasks and returns the workers they went to.
    fn sequence(w: &mut Workers, now: Instant, n: usize) -> Vec<u32> {
        (0..n)
            .map(|k| {
                let t = now + Duration::from_millis(k as u64);
                let i = w.take(t).unwrap();
                w.release(i, t + Duration::from_micros(500 + 100 * i as u64));
                i
            })
            .collect()
    }

    #[test]
    fn strategies_pick_workers_their_way() {
        let (mut w, now) = workers(Strategy::RoundRobin, 3, 3);
        assert_eq!(sequence(&mut w, now, 5), [0, 1, 2, 0, 1]);
        let (mut w, now) = workers(Strategy::Priority, 3, 3);
        assert_eq!(sequence(&mut w, now, 4), [0, 0, 0, 0]);
        // Least-loaded: each worker's busy time grows with its index, so after
        // one round the next task goes to the least busy one (0).
        let (mut w, now) = workers(Strategy::LeastLoaded, 3, 3);
        assert_eq!(sequence(&mut w, now, 4), [0, 1, 2, 0]);
        // Random: seeded, so the same sequence every time, and spread.
        let (mut a, now) = workers(Strategy::Random, 4, 4);
        let (mut b, _) = workers(Strategy::Random, 4, 4);
        let sa = sequence(&mut a, now, 40);
        assert_eq!(sa, sequence(&mut b, now, 40));
        for i in 0..4 {
            assert!(sa.contains(&i), "{sa:?}");
        }
    }

    #[test]
    fn grows_to_the_queue_and_idles_down_to_min() {
        let (mut w, now) = workers(Strategy::RoundRobin, 1, 4);
        assert_eq!(w.active(), 1);
        assert_eq!(w.scale_for_queue(10, now), Some(Scaled { from: 1, to: 4 }));
        assert_eq!(w.scale_for_queue(10, now), None);
        let a = w.take(now).unwrap();
        assert_eq!(w.scale_down(now + Duration::from_millis(50)).0, None);
        let (scaled, next) = w.scale_down(now + Duration::from_millis(100));
        // Three idle workers above min=1; the busy one stays: down to 1 (busy).
        assert_eq!(scaled, Some(Scaled { from: 4, to: 1 }));
        assert_eq!(next, None);
        assert_eq!(w.busy(), 1);
        w.release(a, now + Duration::from_millis(200));
        assert_eq!(
            w.scale_down(now + Duration::from_millis(400)).0,
            None,
            "min kept"
        );
        let stats = w.stats(now + Duration::from_millis(400));
        assert_eq!(stats[a as usize].busy_ms, 200.0);
        assert_eq!(stats[a as usize].utilisation, 0.5);
        assert!(!stats[3].active);
    }
}
