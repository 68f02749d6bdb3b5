//! `BackoffPolicy` for JS.

use napi_derive::napi;
use serde_json::Value;

use super::value::{json, loose_options, Loose};

use super::runtime::sync;
use crate::backoff::{self, FieldNames, Jitter};
use crate::config;
use crate::error::Result;

/// Backoff between retries. Every field is optional; values are checked in
/// Rust and a bad one throws an `Error` with `code: 'ERR_SHARDWRIGHT_CONFIG'`
/// naming the field.
#[napi(object)]
#[derive(Default)]
pub struct BackoffOptions {
    /// Delay before the first retry, in milliseconds.
    /// @default 1000
    #[napi(ts_type = "number")]
    pub initial_delay_ms: Option<Loose>,
    /// Growth of the delay from one retry to the next; at least 1.
    /// @default 2
    #[napi(ts_type = "number")]
    pub multiplier: Option<Loose>,
    /// Cap on any single delay, in milliseconds; at least `initialDelayMs`.
    /// @default 30000
    #[napi(ts_type = "number")]
    pub max_delay_ms: Option<Loose>,
    /// Retries after the first attempt.
    /// @default 2
    #[napi(ts_type = "number")]
    pub max_retries: Option<Loose>,
    /// How randomness is added to each delay (AWS "Exponential Backoff and
    /// Jitter").
    /// @default 'equal'
    #[napi(ts_type = "'none' | 'full' | 'equal' | 'decorrelated'")]
    pub jitter: Option<Loose>,
    /// Share of each delay that is random, from 0 (none) to 1 (AWS's formula).
    /// @default 1
    #[napi(ts_type = "number")]
    pub jitter_factor: Option<Loose>,
    /// Seed of the random stream: the same seed gives the same delays.
    /// @default undefined (a fresh random stream)
    #[napi(ts_type = "number")]
    pub seed: Option<Loose>,
}

loose_options!(BackoffOptions, "a BackoffPolicy", [], {
    initial_delay_ms => "initialDelayMs",
    multiplier => "multiplier",
    max_delay_ms => "maxDelayMs",
    max_retries => "maxRetries",
    jitter => "jitter",
    jitter_factor => "jitterFactor",
    seed => "seed",
});

/// The largest integer a JS number holds exactly.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

impl BackoffOptions {
    /// The policy these options describe, defaults filled from
    /// [`backoff::BackoffPolicy::DEFAULT`], and the seed if one was given.
    pub fn resolve(&self) -> Result<(backoff::BackoffPolicy, Option<u64>)> {
        let n = FieldNames::JS;
        let d = backoff::BackoffPolicy::DEFAULT;
        // NaN and negative values are checked by BackoffPolicy::new; here only
        // "is it a number at all".
        let ms = |field, v: &Option<Loose>, default| -> Result<f64> {
            Ok(config::number(field, json(v))?.unwrap_or(default))
        };
        let max_retries = match config::number(n.max_retries, json(&self.max_retries))? {
            None => d.max_retries,
            Some(v)
                if v.fract() == 0.0 && (0.0..=backoff::MAX_RETRIES_LIMIT as f64).contains(&v) =>
            {
                v as u32
            }
            Some(v) => {
                return Err(crate::error::Error::invalid(
                    n.max_retries,
                    crate::error::Num(v),
                    format!("a whole number from 0 to {}", backoff::MAX_RETRIES_LIMIT),
                ))
            }
        };
        let jitter = config::choice(n.jitter, json(&self.jitter), &Jitter::NAMES)?
            .and_then(Jitter::from_name)
            .unwrap_or(d.jitter);
        let policy = backoff::BackoffPolicy::new(
            backoff::BackoffPolicy {
                initial_delay_ms: ms(
                    n.initial_delay_ms,
                    &self.initial_delay_ms,
                    d.initial_delay_ms,
                )?,
                multiplier: ms(n.multiplier, &self.multiplier, d.multiplier)?,
                max_delay_ms: ms(n.max_delay_ms, &self.max_delay_ms, d.max_delay_ms)?,
                max_retries,
                jitter,
                jitter_factor: ms(n.jitter_factor, &self.jitter_factor, d.jitter_factor)?,
            },
            &n,
        )?;
        let seed = config::whole("seed", json(&self.seed), 0, MAX_SAFE_INTEGER)?;
        Ok((policy, seed))
    }
}

/// A validated backoff policy: the delay before each retry, the whole
/// schedule and the worst-case total wait.
#[napi]
pub struct BackoffPolicy {
    policy: backoff::BackoffPolicy,
    seed: Option<u64>,
}

#[napi]
impl BackoffPolicy {
    #[napi(
        constructor,
        ts_args_type = "options?: BackoffOptions | undefined | null"
    )]
    pub fn new(options: Option<Loose>) -> napi::Result<Self, &'static str> {
        sync(|| {
            let (policy, seed) = BackoffOptions::from_loose(options.as_ref())?.resolve()?;
            Ok(BackoffPolicy { policy, seed })
        })
    }

    #[napi(getter)]
    pub fn initial_delay_ms(&self) -> f64 {
        self.policy.initial_delay_ms
    }

    #[napi(getter)]
    pub fn multiplier(&self) -> f64 {
        self.policy.multiplier
    }

    #[napi(getter)]
    pub fn max_delay_ms(&self) -> f64 {
        self.policy.max_delay_ms
    }

    #[napi(getter)]
    pub fn max_retries(&self) -> u32 {
        self.policy.max_retries
    }

    #[napi(getter, ts_return_type = "'none' | 'full' | 'equal' | 'decorrelated'")]
    pub fn jitter(&self) -> &'static str {
        self.policy.jitter.name()
    }

    #[napi(getter)]
    pub fn jitter_factor(&self) -> f64 {
        self.policy.jitter_factor
    }

    /// The longest all retries can wait in total, in milliseconds.
    #[napi(getter)]
    pub fn worst_case_total_ms(&self) -> f64 {
        self.policy.worst_case_total_ms()
    }

    /// The delay before retry `retry` (1 = the first retry), in milliseconds.
    /// `seed` overrides the policy's seed; with neither, the delay is random.
    #[napi(ts_args_type = "retry: number, seed?: number")]
    pub fn delay(&self, retry: Loose, seed: Option<Loose>) -> napi::Result<f64, &'static str> {
        sync(|| {
            // Bounded like maxRetries: each delay is computed from the ones
            // before it, so `delay(2 ** 31)` would iterate for minutes.
            let limit = u64::from(backoff::MAX_RETRIES_LIMIT);
            let retry = config::whole("retry", Some(&retry.0), 0, limit)?.ok_or_else(|| {
                crate::error::Error::invalid(
                    "retry",
                    "undefined",
                    format!("a whole number from 0 to {limit}"),
                )
            })?;
            let seed = config::whole("seed", json(&seed), 0, MAX_SAFE_INTEGER)?.or(self.seed);
            let seed = seed.unwrap_or_else(rand::random);
            Ok(self.policy.delay_for_retry(retry as u32, seed))
        })
    }

    /// The delays of all `maxRetries` retries, in milliseconds.
    #[napi(ts_args_type = "seed?: number")]
    pub fn schedule(&self, seed: Option<Loose>) -> napi::Result<Vec<f64>, &'static str> {
        sync(|| {
            let seed = config::whole("seed", json(&seed), 0, MAX_SAFE_INTEGER)?.or(self.seed);
            Ok(self.policy.schedule(seed))
        })
    }

    #[napi(
        js_name = "toJSON",
        ts_return_type = "Required<Omit<BackoffOptions, 'seed'>> & { seed?: number }"
    )]
    pub fn to_json(&self) -> napi::Result<Value, &'static str> {
        sync(|| {
            let mut value = serde_json::to_value(self.policy).map_err(|e| {
                crate::error::Error::Internal(format!("failed to serialise a policy: {e}"))
            })?;
            if let (Some(seed), Some(map)) = (self.seed, value.as_object_mut()) {
                map.insert("seed".into(), seed.into());
            }
            Ok(value)
        })
    }
}

impl BackoffPolicy {
    pub fn policy(&self) -> (backoff::BackoffPolicy, Option<u64>) {
        (self.policy, self.seed)
    }
}
