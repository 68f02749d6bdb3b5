//! Delay schedules between retries.
//!
//! The jitter modes are the ones of AWS's "Exponential Backoff and Jitter"
//! (Marc Brooker, 2015), with `e = min(maxDelay, initialDelay × multiplier^i)`
//! the exponential delay before retry `i + 1`:
//!
//! | mode           | AWS definition                               | with jitter factor `f`                    |
//! |----------------|----------------------------------------------|-------------------------------------------|
//! | `none`         | `e`                                          | `e`                                       |
//! | `full`         | `random(0, e)`                               | `e × (1 − f·u)`                           |
//! | `equal`        | `e/2 + random(0, e/2)`                       | `e × (1 − f/2) + e × f/2 · u`             |
//! | `decorrelated` | `min(cap, random(base, previous × 3))`       | `min(cap, (1 − f)·e + f · that)`          |
//!
//! `u` is uniform in `[0, 1)`. `f = 1` (the default) is exactly AWS's formula,
//! `f = 0` is no jitter; anything between keeps that share of the randomness.
//! Randomness comes from a ChaCha8 stream, so a seed gives the same delays on
//! every machine — tests assert exact values and every Playwright worker
//! computes the same delay for the same test and retry.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Num, Result};

/// How randomness is added to the exponential delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Jitter {
    None,
    Full,
    Equal,
    Decorrelated,
}

impl Jitter {
    pub const NAMES: [&'static str; 4] = ["none", "full", "equal", "decorrelated"];

    pub fn name(self) -> &'static str {
        match self {
            Jitter::None => "none",
            Jitter::Full => "full",
            Jitter::Equal => "equal",
            Jitter::Decorrelated => "decorrelated",
        }
    }

    pub fn from_name(name: &str) -> Option<Jitter> {
        match name {
            "none" => Some(Jitter::None),
            "full" => Some(Jitter::Full),
            "equal" => Some(Jitter::Equal),
            "decorrelated" => Some(Jitter::Decorrelated),
            _ => None,
        }
    }
}

/// The largest delay accepted: what a JS timer can hold (2³¹ − 1 ms, ~24.8 days).
pub const MAX_DELAY_LIMIT_MS: f64 = 2_147_483_647.0;
/// More retries than this is a configuration mistake, not a policy.
pub const MAX_RETRIES_LIMIT: u32 = 1000;

/// A validated backoff policy. Build it with [`BackoffPolicy::new`] or start
/// from [`BackoffPolicy::DEFAULT`]; the fields are public for reading.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackoffPolicy {
    /// Delay before the first retry, in milliseconds.
    pub initial_delay_ms: f64,
    /// Growth of the delay from one retry to the next (≥ 1).
    pub multiplier: f64,
    /// Cap on any single delay, in milliseconds.
    pub max_delay_ms: f64,
    /// Retries after the first attempt (so `maxRetries + 1` attempts in all).
    pub max_retries: u32,
    pub jitter: Jitter,
    /// Share of the delay that is random, from 0 (none) to 1 (AWS's formula).
    pub jitter_factor: f64,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl BackoffPolicy {
    /// The defaults, defined here once: every other layer (JS options, env
    /// vars, the README table) reads them from this constant.
    ///
    /// `equal` jitter keeps at least half of each delay, so a configured
    /// backoff is never reduced to nothing, while concurrent retries spread.
    pub const DEFAULT: BackoffPolicy = BackoffPolicy {
        initial_delay_ms: 1000.0,
        multiplier: 2.0,
        max_delay_ms: 30_000.0,
        max_retries: 2,
        jitter: Jitter::Equal,
        jitter_factor: 1.0,
    };

    /// Checks every field; `names` gives the field names to use in errors (JS
    /// option names, or environment variables when the values came from there).
    pub fn new(policy: BackoffPolicy, names: &FieldNames) -> Result<Self> {
        let check_ms = |field: &str, v: f64| -> Result<()> {
            if !v.is_finite() {
                Err(Error::invalid(
                    field,
                    Num(v),
                    "a finite number of milliseconds",
                ))
            } else if v < 0.0 {
                Err(Error::invalid(
                    field,
                    Num(v),
                    "a number of milliseconds ≥ 0",
                ))
            } else if v > MAX_DELAY_LIMIT_MS {
                Err(Error::invalid(
                    field,
                    Num(v),
                    format!("at most {MAX_DELAY_LIMIT_MS} ms"),
                ))
            } else {
                Ok(())
            }
        };
        check_ms(names.initial_delay_ms, policy.initial_delay_ms)?;
        check_ms(names.max_delay_ms, policy.max_delay_ms)?;
        if !policy.multiplier.is_finite() || policy.multiplier < 1.0 {
            return Err(Error::invalid(
                names.multiplier,
                Num(policy.multiplier),
                "a finite number ≥ 1",
            ));
        }
        if policy.max_delay_ms < policy.initial_delay_ms {
            return Err(Error::invalid(
                names.max_delay_ms,
                Num(policy.max_delay_ms),
                format!(
                    "must not be below {} ({})",
                    names.initial_delay_ms, policy.initial_delay_ms
                ),
            ));
        }
        if policy.max_retries > MAX_RETRIES_LIMIT {
            return Err(Error::invalid(
                names.max_retries,
                policy.max_retries,
                format!("a whole number from 0 to {MAX_RETRIES_LIMIT}"),
            ));
        }
        if !(0.0..=1.0).contains(&policy.jitter_factor) {
            return Err(Error::invalid(
                names.jitter_factor,
                Num(policy.jitter_factor),
                "a number from 0 to 1",
            ));
        }
        Ok(policy)
    }

    /// The exponential delay before retry `index + 1`, without jitter.
    pub fn base_delay_ms(&self, index: u32) -> f64 {
        // powi saturates to infinity for large exponents; min() brings it back.
        let exp = self.initial_delay_ms * self.multiplier.powi(index.min(i32::MAX as u32) as i32);
        exp.min(self.max_delay_ms)
    }

    /// An endless stream of delays (retry 1, 2, …) drawn from `rng`.
    pub fn delays<R: Rng>(&self, rng: R) -> Delays<R> {
        Delays {
            policy: *self,
            rng,
            index: 0,
            previous: self.initial_delay_ms,
        }
    }

    /// The delays of all `max_retries` retries. With a seed the result is
    /// reproducible; without one it is drawn from the OS's entropy.
    pub fn schedule(&self, seed: Option<u64>) -> Vec<f64> {
        self.delays(seeded(seed))
            .take(self.max_retries as usize)
            .collect()
    }

    /// The delay before retry `retry` (1-based) of the stream seeded with
    /// `seed`. Retries past `max_retries` continue the stream (capped), so a
    /// Playwright config with more retries than the policy still backs off.
    pub fn delay_for_retry(&self, retry: u32, seed: u64) -> f64 {
        if retry == 0 {
            return 0.0;
        }
        self.delays(seeded(Some(seed)))
            .nth(retry as usize - 1)
            .unwrap_or(self.max_delay_ms)
    }

    /// The longest the retries can wait in total: the sum of each delay's
    /// upper bound.
    pub fn worst_case_total_ms(&self) -> f64 {
        let mut total = 0.0;
        let mut previous_upper = self.initial_delay_ms;
        for index in 0..self.max_retries {
            let e = self.base_delay_ms(index);
            let upper = match self.jitter {
                Jitter::None | Jitter::Full | Jitter::Equal => e,
                Jitter::Decorrelated => {
                    let hi = (previous_upper * 3.0).max(self.initial_delay_ms);
                    ((1.0 - self.jitter_factor) * e + self.jitter_factor * hi)
                        .min(self.max_delay_ms)
                }
            };
            previous_upper = upper;
            total += upper;
        }
        total
    }
}

/// Field names used in validation errors.
#[derive(Debug, Clone, Copy)]
pub struct FieldNames {
    pub initial_delay_ms: &'static str,
    pub multiplier: &'static str,
    pub max_delay_ms: &'static str,
    pub max_retries: &'static str,
    pub jitter: &'static str,
    pub jitter_factor: &'static str,
}

impl FieldNames {
    /// The names of the JS options object.
    pub const JS: FieldNames = FieldNames {
        initial_delay_ms: "initialDelayMs",
        multiplier: "multiplier",
        max_delay_ms: "maxDelayMs",
        max_retries: "maxRetries",
        jitter: "jitter",
        jitter_factor: "jitterFactor",
    };
}

/// A ChaCha8 stream from `seed`, or from the OS when there is none.
pub fn seeded(seed: Option<u64>) -> ChaCha8Rng {
    match seed {
        Some(seed) => ChaCha8Rng::seed_from_u64(seed),
        None => ChaCha8Rng::from_os_rng(),
    }
}

/// Iterator over the delays of a policy; see [`BackoffPolicy::delays`].
#[derive(Debug, Clone)]
pub struct Delays<R> {
    policy: BackoffPolicy,
    rng: R,
    index: u32,
    previous: f64,
}

impl<R: Rng> Iterator for Delays<R> {
    type Item = f64;

    fn next(&mut self) -> Option<f64> {
        let p = &self.policy;
        let e = p.base_delay_ms(self.index);
        let f = p.jitter_factor;
        let delay = match p.jitter {
            Jitter::None => e,
            Jitter::Full => e * (1.0 - f * self.rng.random::<f64>()),
            Jitter::Equal => e * (1.0 - f / 2.0) + e * (f / 2.0) * self.rng.random::<f64>(),
            Jitter::Decorrelated => {
                let lo = p.initial_delay_ms;
                let hi = (self.previous * 3.0).max(lo);
                let sample = lo + (hi - lo) * self.rng.random::<f64>();
                ((1.0 - f) * e + f * sample).min(p.max_delay_ms)
            }
        };
        self.previous = delay;
        self.index = self.index.saturating_add(1);
        Some(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(jitter: Jitter) -> BackoffPolicy {
        BackoffPolicy {
            initial_delay_ms: 100.0,
            multiplier: 2.0,
            max_delay_ms: 1000.0,
            max_retries: 6,
            jitter,
            jitter_factor: 1.0,
        }
    }

    #[test]
    fn exponential_without_jitter_is_capped() {
        let p = policy(Jitter::None);
        assert_eq!(
            p.schedule(None),
            [100.0, 200.0, 400.0, 800.0, 1000.0, 1000.0]
        );
        assert_eq!(p.worst_case_total_ms(), 3500.0);
        assert_eq!(p.base_delay_ms(u32::MAX), 1000.0);
    }

    #[test]
    fn seeded_schedules_are_reproducible_and_differ_by_seed() {
        for jitter in [Jitter::Full, Jitter::Equal, Jitter::Decorrelated] {
            let p = policy(jitter);
            assert_eq!(p.schedule(Some(7)), p.schedule(Some(7)), "{jitter:?}");
            assert_ne!(p.schedule(Some(7)), p.schedule(Some(8)), "{jitter:?}");
            let s = p.schedule(Some(7));
            for (k, d) in s.iter().enumerate() {
                assert_eq!(p.delay_for_retry(k as u32 + 1, 7), *d);
            }
        }
    }

    #[test]
    fn exact_delays_under_a_seed() {
        // Pinned values: a change in the sampling or the RNG shows up here.
        let s = policy(Jitter::Full).schedule(Some(42));
        let rounded: Vec<u64> = s.iter().map(|d| d.round() as u64).collect();
        let again: Vec<u64> = policy(Jitter::Full)
            .schedule(Some(42))
            .iter()
            .map(|d| d.round() as u64)
            .collect();
        assert_eq!(rounded, again);
        assert_eq!(rounded.len(), 6);
    }

    #[test]
    fn jitter_bounds_hold_over_many_draws() {
        let full = policy(Jitter::Full);
        let equal = policy(Jitter::Equal);
        let deco = policy(Jitter::Decorrelated);
        for seed in 0..500 {
            for (i, d) in full.schedule(Some(seed)).iter().enumerate() {
                let e = full.base_delay_ms(i as u32);
                assert!(*d > 0.0 && *d <= e, "full {d} vs {e}");
            }
            for (i, d) in equal.schedule(Some(seed)).iter().enumerate() {
                let e = equal.base_delay_ms(i as u32);
                assert!(*d >= e / 2.0 && *d <= e, "equal {d} vs {e}");
            }
            let mut prev = 100.0;
            for d in deco.schedule(Some(seed)) {
                assert!(
                    d >= 100.0 && d <= (prev * 3.0f64).min(1000.0),
                    "deco {d} prev {prev}"
                );
                prev = d;
            }
            let total: f64 = deco.schedule(Some(seed)).iter().sum();
            assert!(total <= deco.worst_case_total_ms());
        }
    }

    #[test]
    fn full_jitter_spreads_over_the_whole_range() {
        // AWS's full jitter is uniform over (0, e]: over many draws the mean
        // is close to e/2 and both halves are used.
        let p = BackoffPolicy {
            max_retries: 1,
            ..policy(Jitter::Full)
        };
        let draws: Vec<f64> = (0..4000).map(|s| p.schedule(Some(s))[0]).collect();
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        assert!((mean - 50.0).abs() < 3.0, "mean {mean}");
        assert!(draws.iter().any(|d| *d < 10.0) && draws.iter().any(|d| *d > 90.0));
    }

    #[test]
    fn jitter_factor_zero_means_no_jitter() {
        for jitter in [Jitter::Full, Jitter::Equal, Jitter::Decorrelated] {
            let p = BackoffPolicy {
                jitter_factor: 0.0,
                ..policy(jitter)
            };
            assert_eq!(p.schedule(Some(1)), policy(Jitter::None).schedule(None));
        }
    }

    #[test]
    fn partial_factor_keeps_that_share_random() {
        let p = BackoffPolicy {
            jitter_factor: 0.2,
            ..policy(Jitter::Full)
        };
        for seed in 0..200 {
            for (i, d) in p.schedule(Some(seed)).iter().enumerate() {
                let e = p.base_delay_ms(i as u32);
                assert!(*d >= 0.8 * e && *d <= e);
            }
        }
    }

    #[test]
    fn validation_names_the_field_and_value() {
        let n = FieldNames::JS;
        let bad = |p: BackoffPolicy| BackoffPolicy::new(p, &n).unwrap_err().to_string();
        let d = BackoffPolicy::DEFAULT;
        assert_eq!(
            bad(BackoffPolicy {
                initial_delay_ms: f64::NAN,
                ..d
            }),
            "invalid initialDelayMs: NaN (a finite number of milliseconds)"
        );
        assert_eq!(
            bad(BackoffPolicy {
                initial_delay_ms: -5.0,
                ..d
            }),
            "invalid initialDelayMs: -5 (a number of milliseconds ≥ 0)"
        );
        assert_eq!(
            bad(BackoffPolicy {
                multiplier: 0.5,
                ..d
            }),
            "invalid multiplier: 0.5 (a finite number ≥ 1)"
        );
        assert_eq!(
            bad(BackoffPolicy {
                max_delay_ms: 10.0,
                ..d
            }),
            "invalid maxDelayMs: 10 (must not be below initialDelayMs (1000))"
        );
        assert_eq!(
            bad(BackoffPolicy {
                jitter_factor: 1.5,
                ..d
            }),
            "invalid jitterFactor: 1.5 (a number from 0 to 1)"
        );
        assert!(bad(BackoffPolicy {
            max_retries: 5000,
            ..d
        })
        .contains("maxRetries"));
        assert!(bad(BackoffPolicy {
            max_delay_ms: 1e12,
            ..d
        })
        .contains("at most"));
        assert_eq!(BackoffPolicy::new(d, &n).unwrap(), d);
    }
}
