//! The retry loop: run an attempt, classify its failure, wait the backoff
//! delay, try again — until success, a permanent error, the last retry, or
//! cancellation.
//!
//! The attempt is any future, so the same loop drives a JS function (through
//! the napi layer) and a task of the worker manager. Waiting is a tokio timer:
//! nothing blocks a thread, and cancellation interrupts both the wait and a
//! running attempt.

use std::future::Future;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand::Rng;
use tokio_util::sync::CancellationToken;

use crate::backoff::BackoffPolicy;
use crate::classify::{Classification, Classifier, ErrorClass};

/// A failed attempt as the loop sees it: text only, so it can come from JS or
/// from a child process.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AttemptError {
    pub name: Option<String>,
    pub message: String,
    pub code: Option<String>,
}

impl AttemptError {
    pub fn new(message: impl Into<String>) -> Self {
        AttemptError {
            name: None,
            message: message.into(),
            code: None,
        }
    }

    /// The text rules are matched against: `name: message (code)`, as a
    /// stack trace's first line would show it.
    pub fn text(&self) -> String {
        let mut text = match &self.name {
            Some(name) if !self.message.starts_with(name.as_str()) => {
                format!("{name}: {}", self.message)
            }
            _ => self.message.clone(),
        };
        if let Some(code) = &self.code {
            text.push_str(&format!(" ({code})"));
        }
        text
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RetryOutcome {
    /// An attempt succeeded.
    Succeeded,
    /// Every attempt failed with a retryable error.
    Exhausted,
    /// An attempt failed with a permanent error; no retry was made.
    Permanent,
    /// The caller cancelled.
    Aborted,
}

/// One attempt, for the history the caller gets back.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptRecord {
    /// 1 for the first attempt.
    pub attempt: u32,
    /// Milliseconds since the Unix epoch.
    pub started_at: f64,
    pub duration_ms: f64,
    pub error: Option<AttemptError>,
    pub classification: Option<Classification>,
    /// The wait after this attempt, before the next one.
    pub delay_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryReport {
    pub outcome: RetryOutcome,
    pub attempts: Vec<AttemptRecord>,
    pub total_ms: f64,
}

/// Told before each wait.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryEvent {
    /// The attempt that just failed (1-based).
    pub attempt: u32,
    /// How long the loop waits before the next attempt.
    pub delay_ms: f64,
    pub error: AttemptError,
    pub classification: Classification,
    /// Milliseconds since the first attempt started.
    pub elapsed_ms: f64,
}

fn epoch_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Wait `event.delay_ms`, then make the next attempt.
    Retry(RetryEvent),
    /// Stop: the error is permanent or the retries are spent.
    Stop(RetryOutcome),
}

/// The retry state machine, without I/O. A driver tells it when an attempt
/// begins and how it ended; it classifies failures, draws the delays and keeps
/// the history. [`run`] drives it with tokio; `retry()` in JS drives it
/// through the napi layer, so the JS function is called from the JS thread
/// with no extra thread hop per attempt.
#[derive(Debug)]
pub struct Retrier<R> {
    policy: BackoffPolicy,
    classifier: Classifier,
    delays: crate::backoff::Delays<R>,
    attempts: Vec<AttemptRecord>,
    first_start: Option<Instant>,
    current: Option<(f64, Instant)>,
}

impl<R: Rng> Retrier<R> {
    pub fn new(policy: BackoffPolicy, classifier: Classifier, rng: R) -> Self {
        Retrier {
            delays: policy.delays(rng),
            policy,
            classifier,
            attempts: Vec::new(),
            first_start: None,
            current: None,
        }
    }

    /// Starts the next attempt and returns its number (1 for the first).
    pub fn begin(&mut self) -> u32 {
        let now = Instant::now();
        self.first_start.get_or_insert(now);
        self.current = Some((epoch_ms(), now));
        self.attempts.len() as u32 + 1
    }

    fn end(&mut self) -> AttemptRecord {
        let (started_at, begun) = self
            .current
            .take()
            .unwrap_or_else(|| (epoch_ms(), Instant::now()));
        AttemptRecord {
            attempt: self.attempts.len() as u32 + 1,
            started_at,
            duration_ms: begun.elapsed().as_secs_f64() * 1000.0,
            error: None,
            classification: None,
            delay_ms: None,
        }
    }

    /// The attempt succeeded.
    pub fn succeeded(&mut self) {
        let record = self.end();
        self.attempts.push(record);
    }

    /// The attempt was abandoned (cancellation while it ran).
    pub fn abandoned(&mut self) {
        if self.current.is_some() {
            let record = self.end();
            self.attempts.push(record);
        }
    }

    /// The attempt failed: retry after a delay, or stop.
    pub fn failed(&mut self, error: AttemptError) -> Decision {
        let mut record = self.end();
        let classification = self.classifier.classify(&error.text());
        record.error = Some(error.clone());
        record.classification = Some(classification.clone());
        let attempt = record.attempt;
        if classification.class == ErrorClass::Permanent {
            tracing::debug!(attempt, rule = %classification.rule, "permanent error, not retrying");
            self.attempts.push(record);
            return Decision::Stop(RetryOutcome::Permanent);
        }
        if attempt > self.policy.max_retries {
            tracing::debug!(attempt, "retries spent");
            self.attempts.push(record);
            return Decision::Stop(RetryOutcome::Exhausted);
        }
        let delay_ms = self.delays.next().unwrap_or(self.policy.max_delay_ms);
        record.delay_ms = Some(delay_ms);
        self.attempts.push(record);
        tracing::debug!(attempt, delay_ms, rule = %classification.rule, "waiting before the next attempt");
        Decision::Retry(RetryEvent {
            attempt,
            delay_ms,
            error,
            classification,
            elapsed_ms: self.elapsed_ms(),
        })
    }

    fn elapsed_ms(&self) -> f64 {
        self.first_start
            .map(|t| t.elapsed().as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    }

    /// The history so far, ended with `outcome`.
    pub fn report(&self, outcome: RetryOutcome) -> RetryReport {
        RetryReport {
            outcome,
            attempts: self.attempts.clone(),
            total_ms: self.elapsed_ms(),
        }
    }
}

/// Runs `attempt(n)` (n = 1, 2, …) under `policy`. `on_retry` hears about each
/// wait before it starts. Delays are drawn from `rng`; `cancel` interrupts both
/// a running attempt and a wait.
pub async fn run<F, Fut, R>(
    policy: &BackoffPolicy,
    classifier: &Classifier,
    rng: R,
    cancel: &CancellationToken,
    mut attempt: F,
    mut on_retry: impl FnMut(&RetryEvent),
) -> RetryReport
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<(), AttemptError>>,
    R: Rng,
{
    let mut retrier = Retrier::new(*policy, classifier.clone(), rng);
    loop {
        if cancel.is_cancelled() {
            return retrier.report(RetryOutcome::Aborted);
        }
        let n = retrier.begin();
        let result = tokio::select! {
            biased;
            _ = cancel.cancelled() => None,
            result = attempt(n) => Some(result),
        };
        let event = match result {
            None => {
                retrier.abandoned();
                return retrier.report(RetryOutcome::Aborted);
            }
            Some(Ok(())) => {
                retrier.succeeded();
                return retrier.report(RetryOutcome::Succeeded);
            }
            Some(Err(error)) => match retrier.failed(error) {
                Decision::Stop(outcome) => return retrier.report(outcome),
                Decision::Retry(event) => event,
            },
        };
        on_retry(&event);
        if event.delay_ms > 0.0 && !sleep_or_cancel(event.delay_ms, cancel).await {
            return retrier.report(RetryOutcome::Aborted);
        }
    }
}

/// Waits `delay_ms`; `false` if `cancel` fired first.
pub async fn sleep_or_cancel(delay_ms: f64, cancel: &CancellationToken) -> bool {
    tokio::select! {
        biased;
        _ = cancel.cancelled() => false,
        _ = tokio::time::sleep(Duration::from_secs_f64(delay_ms.max(0.0) / 1000.0)) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backoff::{seeded, Jitter};
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    fn policy(max_retries: u32, delay: f64) -> BackoffPolicy {
        BackoffPolicy {
            initial_delay_ms: delay,
            multiplier: 2.0,
            max_delay_ms: delay * 100.0 + 1.0,
            max_retries,
            jitter: Jitter::None,
            jitter_factor: 1.0,
        }
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap()
    }

    #[test]
    fn succeeds_after_retryable_failures_waiting_the_schedule() {
        rt().block_on(async {
            let calls = Arc::new(AtomicU32::new(0));
            let c = calls.clone();
            let mut events = Vec::new();
            let t0 = tokio::time::Instant::now();
            let report = run(
                &policy(5, 100.0),
                &Classifier::default(),
                seeded(Some(1)),
                &CancellationToken::new(),
                |n| {
                    c.fetch_add(1, Ordering::SeqCst);
                    async move {
                        if n < 3 {
                            Err(AttemptError::new("Error: read ECONNRESET"))
                        } else {
                            Ok(())
                        }
                    }
                },
                |e| events.push((e.attempt, e.delay_ms, e.classification.rule.clone())),
            )
            .await;
            assert_eq!(report.outcome, RetryOutcome::Succeeded);
            assert_eq!(calls.load(Ordering::SeqCst), 3);
            assert_eq!(
                events,
                [
                    (1, 100.0, "network".to_string()),
                    (2, 200.0, "network".to_string())
                ]
            );
            // Paused clock: exactly the two delays elapsed.
            assert_eq!(t0.elapsed(), Duration::from_millis(300));
            assert_eq!(report.attempts.len(), 3);
            assert_eq!(report.attempts[2].error, None);
        });
    }

    #[test]
    fn permanent_error_stops_at_once() {
        rt().block_on(async {
            let report = run(
                &policy(5, 100.0),
                &Classifier::default(),
                seeded(Some(1)),
                &CancellationToken::new(),
                |_| async { Err(AttemptError::new("Error: expect(received).toBe(expected)")) },
                |_| panic!("no retry expected"),
            )
            .await;
            assert_eq!(report.outcome, RetryOutcome::Permanent);
            assert_eq!(report.attempts.len(), 1);
            assert_eq!(
                report.attempts[0].classification.as_ref().unwrap().rule,
                "assertion"
            );
        });
    }

    #[test]
    fn exhausts_after_max_retries_plus_one_attempts() {
        rt().block_on(async {
            let mut waits = 0;
            let report = run(
                &policy(2, 10.0),
                &Classifier::default(),
                seeded(Some(1)),
                &CancellationToken::new(),
                |_| async { Err(AttemptError::new("socket hang up")) },
                |_| waits += 1,
            )
            .await;
            assert_eq!(report.outcome, RetryOutcome::Exhausted);
            assert_eq!(report.attempts.len(), 3);
            assert_eq!(waits, 2);
            assert_eq!(report.attempts[2].delay_ms, None);
        });
    }

    #[test]
    fn cancel_interrupts_the_wait() {
        rt().block_on(async {
            let cancel = CancellationToken::new();
            let c2 = cancel.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                c2.cancel();
            });
            let t0 = tokio::time::Instant::now();
            let report = run(
                &policy(3, 10_000.0),
                &Classifier::default(),
                seeded(Some(1)),
                &cancel,
                |_| async { Err(AttemptError::new("socket hang up")) },
                |_| {},
            )
            .await;
            assert_eq!(report.outcome, RetryOutcome::Aborted);
            assert_eq!(report.attempts.len(), 1);
            assert_eq!(t0.elapsed(), Duration::from_millis(50));
        });
    }

    #[test]
    fn cancel_interrupts_a_running_attempt() {
        rt().block_on(async {
            let cancel = CancellationToken::new();
            let c2 = cancel.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(30)).await;
                c2.cancel();
            });
            let report = run(
                &policy(3, 1.0),
                &Classifier::default(),
                seeded(Some(1)),
                &cancel,
                |_| async {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    Ok(())
                },
                |_| {},
            )
            .await;
            assert_eq!(report.outcome, RetryOutcome::Aborted);
            assert_eq!(report.attempts.len(), 1);
        });
    }

    #[test]
    fn attempt_text_joins_name_message_code() {
        let e = AttemptError {
            name: Some("TypeError".into()),
            message: "fetch failed".into(),
            code: Some("UND_ERR_SOCKET".into()),
        };
        assert_eq!(e.text(), "TypeError: fetch failed (UND_ERR_SOCKET)");
    }
}
