//! `retry()`'s engine side: [`RetrySession`] wraps the engine's retry state
//! machine; waits are tokio timers.
//!
//! Values and errors of the user's function stay in JS (the driver in
//! `js/retry.js` keeps them): only a summary of each error crosses, which
//! keeps an attempt to one sync call and preserves the error's identity for
//! the caller.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

use super::value::{json, loose_options, Loose};
use tokio_util::sync::CancellationToken;

use super::backoff::BackoffOptions;
use super::runtime::{spawn, sync};
use crate::backoff::seeded;
use crate::classify::{Classifier, PatternSpec};
use crate::config;
use crate::error::{Error, Result};
use crate::retry::{self, sleep_or_cancel, AttemptError, Decision, Retrier, RetryOutcome};

/// Which errors are retried.
#[napi(object)]
#[derive(Default)]
pub struct ClassifyOptions {
    /// Extra patterns (case-insensitive substrings or RegExps) of errors to
    /// retry; checked before the built-in rules.
    /// @default []
    #[napi(ts_type = "Array<string | RegExp>")]
    pub retryable: Option<Loose>,
    /// Extra patterns of errors never to retry; checked before `retryable`.
    /// @default []
    #[napi(ts_type = "Array<string | RegExp>")]
    pub permanent: Option<Loose>,
    /// Whether an error no rule recognises is retried.
    /// @default true
    #[napi(ts_type = "boolean")]
    pub retry_unknown: Option<Loose>,
}

loose_options!(ClassifyOptions, "a retry()", [], {
    retryable => "retryable",
    permanent => "permanent",
    retry_unknown => "retryUnknown",
});

pub(super) fn patterns(field: &str, value: Option<&Value>) -> Result<Vec<PatternSpec>> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                serde_json::from_value(item.clone()).map_err(|_| {
                    Error::invalid(
                        format!("{field}[{i}]"),
                        config::show(item),
                        "a string or a RegExp",
                    )
                })
            })
            .collect(),
        Some(other) => Err(Error::invalid(
            field,
            config::show(other),
            "an array of strings or RegExps",
        )),
    }
}

impl ClassifyOptions {
    pub fn resolve(&self) -> Result<Classifier> {
        Classifier::new(
            &patterns("retryable", json(&self.retryable))?,
            &patterns("permanent", json(&self.permanent))?,
            config::boolean("retryUnknown", json(&self.retry_unknown))?.unwrap_or(true),
        )
    }
}

#[napi(object)]
#[derive(Clone)]
pub struct AttemptErrorInfo {
    pub name: Option<String>,
    pub message: String,
    pub code: Option<String>,
}

impl From<AttemptError> for AttemptErrorInfo {
    fn from(e: AttemptError) -> Self {
        AttemptErrorInfo {
            name: e.name,
            message: e.message,
            code: e.code,
        }
    }
}

/// Told to `onRetry` before each wait.
#[napi(object)]
pub struct RetryEvent {
    /// The attempt that just failed (1 = the first).
    pub attempt: u32,
    /// How long shardwright waits before the next attempt, in milliseconds.
    pub delay_ms: f64,
    pub error: AttemptErrorInfo,
    #[napi(ts_type = "'retryable' | 'permanent'")]
    pub class: String,
    /// The rule that classified the error: `user:<pattern>`, a built-in rule
    /// (`network`, `http-status`, `timeout`, `browser-closed`,
    /// `worker-crash`, …) or `unknown`.
    pub rule: String,
    /// Milliseconds since the first attempt started.
    pub elapsed_ms: f64,
}

#[napi(object)]
pub struct AttemptRecord {
    pub attempt: u32,
    /// Milliseconds since the Unix epoch.
    pub started_at: f64,
    pub duration_ms: f64,
    pub error: Option<AttemptErrorInfo>,
    #[napi(ts_type = "'retryable' | 'permanent'")]
    pub class: Option<String>,
    pub rule: Option<String>,
    /// The wait after this attempt, in milliseconds.
    pub delay_ms: Option<f64>,
}

#[napi(object)]
pub struct RetryReport {
    #[napi(ts_type = "'succeeded' | 'exhausted' | 'permanent' | 'aborted'")]
    pub outcome: String,
    pub attempts: Vec<AttemptRecord>,
    pub total_ms: f64,
}

impl From<retry::RetryReport> for RetryReport {
    fn from(r: retry::RetryReport) -> Self {
        RetryReport {
            outcome: outcome_name(r.outcome).to_string(),
            attempts: r
                .attempts
                .into_iter()
                .map(|a| AttemptRecord {
                    attempt: a.attempt,
                    started_at: a.started_at,
                    duration_ms: a.duration_ms,
                    error: a.error.map(Into::into),
                    class: a
                        .classification
                        .as_ref()
                        .map(|c| c.class.name().to_string()),
                    rule: a.classification.map(|c| c.rule),
                    delay_ms: a.delay_ms,
                })
                .collect(),
            total_ms: r.total_ms,
        }
    }
}

/// Decision after a failed attempt.
#[napi(object)]
pub struct RetryDecision {
    /// Whether to make another attempt (after `event.delayMs`).
    pub retry: bool,
    /// Set when `retry` is true: what `onRetry` is told.
    pub event: Option<RetryEvent>,
    /// Set when `retry` is false.
    #[napi(ts_type = "'exhausted' | 'permanent'")]
    pub outcome: Option<String>,
}

/// One `retry()` call: the engine's retry state machine (classification,
/// delays, history) driven from JS, so the user's function is called on the
/// JS thread with one cheap sync call per attempt, and waits run on tokio
/// timers. Use `retry()` from `shardwright`, which drives it.
#[napi]
pub struct RetrySession {
    retrier: Retrier<ChaCha8Rng>,
    cancel: CancellationToken,
}

#[napi]
impl RetrySession {
    /// The options of `retry()` but for `signal` and `onRetry` (kept in JS):
    /// the backoff's and the classifier's; any other field is an error
    /// naming it and the closest valid one.
    #[napi(
        constructor,
        ts_args_type = "options?: BackoffOptions & ClassifyOptions | undefined | null"
    )]
    pub fn new(options: Option<Loose>) -> napi::Result<Self, &'static str> {
        sync(|| {
            let known = retry_fields();
            let map = config::fields(
                "options",
                options.as_ref().map(|l| &l.0),
                &known,
                "a retry()",
                "",
            )?;
            let (policy, seed) = BackoffOptions::from_map(map).resolve()?;
            let classifier = ClassifyOptions::from_map(map).resolve()?;
            Ok(RetrySession {
                retrier: Retrier::new(policy, classifier, seeded(seed)),
                cancel: CancellationToken::new(),
            })
        })
    }

    /// Starts an attempt; returns its number (1 for the first).
    #[napi]
    pub fn begin(&mut self) -> u32 {
        self.retrier.begin()
    }

    #[napi]
    pub fn succeeded(&mut self) {
        self.retrier.succeeded()
    }

    #[napi]
    pub fn failed(&mut self, error: AttemptErrorInfo) -> RetryDecision {
        let error = AttemptError {
            name: error.name,
            message: error.message,
            code: error.code,
        };
        match self.retrier.failed(error) {
            Decision::Retry(event) => RetryDecision {
                retry: true,
                event: Some(RetryEvent {
                    attempt: event.attempt,
                    delay_ms: event.delay_ms,
                    error: event.error.into(),
                    class: event.classification.class.name().to_string(),
                    rule: event.classification.rule,
                    elapsed_ms: event.elapsed_ms,
                }),
                outcome: None,
            },
            Decision::Stop(outcome) => RetryDecision {
                retry: false,
                event: None,
                outcome: Some(outcome_name(outcome).to_string()),
            },
        }
    }

    /// Waits `delayMs` on a tokio timer. Resolves `true` when the time is up,
    /// `false` when `abort()` was called first.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn wait<'env>(
        &self,
        env: &'env Env,
        delay_ms: f64,
    ) -> napi::Result<PromiseRaw<'env, bool>, &'static str> {
        let cancel = self.cancel.clone();
        spawn(
            env,
            async move { Ok(sleep_or_cancel(delay_ms, &cancel).await) },
        )
    }

    /// Ends a running wait at once; marks a running attempt abandoned.
    #[napi]
    pub fn abort(&mut self) {
        self.cancel.cancel();
        self.retrier.abandoned();
    }

    #[napi]
    pub fn report(
        &self,
        #[napi(ts_arg_type = "'succeeded' | 'exhausted' | 'permanent' | 'aborted'")]
        outcome: String,
    ) -> RetryReport {
        let outcome = match outcome.as_str() {
            "succeeded" => RetryOutcome::Succeeded,
            "permanent" => RetryOutcome::Permanent,
            "aborted" => RetryOutcome::Aborted,
            _ => RetryOutcome::Exhausted,
        };
        self.retrier.report(outcome).into()
    }
}

/// Every option of `retry()`: the backoff's, the classifier's, and the two
/// its JS driver keeps.
pub fn retry_fields() -> Vec<&'static str> {
    let mut known: Vec<&'static str> = BackoffOptions::FIELDS.to_vec();
    known.extend_from_slice(ClassifyOptions::FIELDS);
    known.extend_from_slice(&["signal", "onRetry"]);
    known
}

fn outcome_name(outcome: RetryOutcome) -> &'static str {
    match outcome {
        RetryOutcome::Succeeded => "succeeded",
        RetryOutcome::Exhausted => "exhausted",
        RetryOutcome::Permanent => "permanent",
        RetryOutcome::Aborted => "aborted",
    }
}
