//! Whether a failed test is worth retrying, from its first failure and its
//! history: the decision `shardwright/test` asks for once per failed test.
//!
//! A retry is skipped only when both hold:
//! - the failure is permanent *by class*: a programming error (`TypeError`,
//!   `ReferenceError`, `SyntaxError`, `RangeError` — but `TypeError: fetch
//!   failed` is a network error) or one of the user's `permanent` patterns.
//!   Assertions stay retryable here: a web-first assertion that timed out
//!   (`expect(locator).toHaveText()`, "Timeout … exceeded") is the most
//!   common symptom of a flaky test; so do navigation and network errors,
//!   timeouts and crashed browsers;
//! - the test has no flaky history: no flakiness evidence in its judged runs,
//!   not flaky, not quarantined. A test that ever flaked is always retried.
//!
//! The fixture runs in a Playwright worker, which should not load the whole
//! history (tens of MiB, and workers restart after every failure): the
//! reporter writes the keys of the tests with flaky history to a small file
//! ([`FlakyKeys`]) once, before the workers start.

use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};

use super::incident::detect;
use super::options::FlakyOptions;
use super::verdict::{Judge, Verdict};
use crate::classify::{Classifier, ErrorClass};
use crate::history::History;

/// The answer for one failed test.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryDecision {
    pub retry: bool,
    /// `flaky-history` (retried whatever the error), `permanent` (not
    /// retried) or `retryable`.
    pub reason: &'static str,
    pub class: ErrorClass,
    /// The classifier's rule (`programming-error`, `user:<pattern>`,
    /// `assertion`, `network`, …).
    pub rule: String,
    /// Why, in one sentence.
    pub message: String,
}

/// Whether a classification is permanent by class: a programming error or a
/// user `permanent` pattern.
pub fn permanent_by_class(class: ErrorClass, rule: &str) -> bool {
    class == ErrorClass::Permanent && (rule == "programming-error" || rule.starts_with("user:"))
}

/// Decides whether the test `key`, whose attempt failed with `name`/`message`,
/// is retried. `flaky_history`: the test has shown flakiness.
pub fn decide(
    key: &str,
    name: Option<&str>,
    message: &str,
    classifier: &Classifier,
    flaky_history: bool,
) -> RetryDecision {
    // Playwright's message usually starts with the error's name already.
    let text = match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) if !message.trim_start().starts_with(n) => format!("{n}: {message}"),
        _ => message.to_string(),
    };
    let c = classifier.classify(&text);
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .chars()
        .take(120)
        .collect::<String>();
    let (retry, reason, why) = if flaky_history {
        (
            true,
            "flaky-history",
            format!("{key} has flaky history: retried whatever the error"),
        )
    } else if permanent_by_class(c.class, &c.rule) {
        (
            false,
            "permanent",
            format!(
                "`{first}` is permanent ({}) and {key} has no flaky history: a retry would fail the same way",
                c.rule
            ),
        )
    } else {
        (
            true,
            "retryable",
            format!(
                "`{first}` may pass on a retry ({} {})",
                c.class.name(),
                c.rule
            ),
        )
    };
    tracing::debug!(key, retry, reason, rule = %c.rule, "retry decision");
    RetryDecision {
        retry,
        reason,
        class: c.class,
        rule: c.rule,
        message: why,
    }
}

/// The format name of a flaky-keys file.
pub const KEYS_FORMAT: &str = "shardwright-flaky-keys";

/// The tests with flaky history: what a worker needs to decide retries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlakyKeys {
    keys: FxHashSet<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeysFile {
    format: String,
    version: u32,
    #[serde(default)]
    generated_at: Option<String>,
    keys: Vec<String>,
}

impl FlakyKeys {
    pub fn new(keys: impl IntoIterator<Item = String>) -> Self {
        FlakyKeys {
            keys: keys.into_iter().collect(),
        }
    }

    /// The tests of `history` with flaky history: any flakiness evidence in
    /// their judged runs (infrastructure failures left out), a flaky verdict,
    /// or quarantine (by score or by the user's list).
    pub fn from_history(history: &History, opts: &FlakyOptions) -> Self {
        let incidents = detect(history, &opts.incidents, opts.broken_after);
        let mut judge = Judge::new(history, opts, &incidents);
        let keys = history
            .tests()
            .iter()
            .filter(|t| {
                let v = judge.judge(t);
                !v.evidence_runs.is_empty()
                    || v.verdict == Verdict::Flaky
                    || v.quarantine.quarantined
                    || opts.quarantine.iter().any(|r| r.matches(&t.key))
            })
            .map(|t| t.key.clone())
            .collect();
        FlakyKeys { keys }
    }

    pub fn contains(&self, key: &str) -> bool {
        self.keys.contains(key)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Sorted.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.keys.iter().cloned().collect();
        keys.sort_unstable();
        keys
    }

    /// The file's content: `{"format":"shardwright-flaky-keys","version":1,
    /// "generatedAt":…,"keys":[…]}`.
    pub fn to_json(&self, generated_at: &str) -> String {
        let file = KeysFile {
            format: KEYS_FORMAT.into(),
            version: 1,
            generated_at: Some(generated_at.into()),
            keys: self.keys(),
        };
        serde_json::to_string(&file).expect("keys serialise") + "\n"
    }

    /// Reads a flaky-keys file's content; the problem in words otherwise.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let file: KeysFile =
            serde_json::from_slice(bytes).map_err(|e| format!("not a flaky-keys file: {e}"))?;
        if file.format != KEYS_FORMAT {
            return Err(format!(
                "not a flaky-keys file (`format` is {:?}, expected {KEYS_FORMAT:?})",
                file.format
            ));
        }
        if file.version != 1 {
            return Err(format!(
                "unsupported flaky-keys version {} (this shardwright reads version 1)",
                file.version
            ));
        }
        Ok(FlakyKeys::new(file.keys))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::PatternSpec;
    use crate::flaky::incident::tests::{suite, REFUSED};

    fn decide_plain(message: &str, flaky: bool) -> (bool, &'static str, String) {
        let d = decide(
            "chromium › a.spec.ts › t",
            None,
            message,
            &Classifier::default(),
            flaky,
        );
        (d.retry, d.reason, d.rule)
    }

    #[test]
    fn permanent_by_class_and_no_flaky_history_is_not_retried() {
        for message in [
            "TypeError: Cannot read properties of undefined (reading 'id')\n    at x.spec.ts:4:9",
            "ReferenceError: formatPrice is not defined",
            "SyntaxError: Unexpected token '<', \"<!DOCTYPE \" is not valid JSON",
            "Error: TypeError: cart.items is not iterable",
        ] {
            assert_eq!(
                decide_plain(message, false),
                (false, "permanent", "programming-error".into()),
                "{message}"
            );
            assert!(
                decide_plain(message, true).0,
                "flaky history wins: {message}"
            );
        }
        // The name given apart from the message.
        let d = decide(
            "k",
            Some("TypeError"),
            "x is not a function",
            &Classifier::default(),
            false,
        );
        assert!(!d.retry, "{d:?}");
        assert!(
            d.message
                .contains("`TypeError: x is not a function` is permanent (programming-error)"),
            "{}",
            d.message
        );
    }

    #[test]
    fn assertions_timeouts_navigation_network_and_crashes_are_retried() {
        for (message, rule) in [
            ("Error: Timed out 5000ms waiting for expect(locator).toHaveText(expected)\n\nLocator: locator('#total')", "assertion"),
            ("Error: expect(locator).toBeVisible() failed\n\nLocator: getByRole('button')\nTimeout: 5000ms", "assertion"),
            ("Error: expect(received).toEqual(expected) // deep equality", "assertion"),
            ("TimeoutError: locator.click: Timeout 5000ms exceeded.", "timeout"),
            ("Test timeout of 30000ms exceeded.", "timeout"),
            ("Error: page.goto: net::ERR_CONNECTION_REFUSED at http://127.0.0.1:3000/", "network"),
            ("Error: page.goto: net::ERR_UNSAFE_PORT at http://127.0.0.1:1/", "navigation-config"),
            ("TypeError: fetch failed", "network"),
            ("Error: page.evaluate: Target crashed", "browser-closed"),
            ("Error: Event turbo:render wasn't dispatched within 2000ms", "unknown"),
        ] {
            assert_eq!(decide_plain(message, false), (true, "retryable", rule.to_string()), "{message}");
        }
    }

    #[test]
    fn user_patterns_decide_first() {
        let c = Classifier::new(
            &[PatternSpec::Text("Cannot read properties of null".into())],
            &[PatternSpec::Text("license expired".into())],
            true,
        )
        .unwrap();
        let d = decide("k", None, "Error: the license expired yesterday", &c, false);
        assert_eq!((d.retry, d.rule.as_str()), (false, "user:license expired"));
        assert!(decide("k", None, "Error: the license expired yesterday", &c, true).retry);
        // A TypeError the user declared retryable.
        assert!(
            decide(
                "k",
                None,
                "TypeError: Cannot read properties of null (reading 'x')",
                &c,
                false
            )
            .retry
        );
    }

    #[test]
    fn flaky_keys_from_a_history_and_as_a_file() {
        // t0 flaked twice, t1 once, t2 is broken, the rest stable; run 4 was
        // an outage, which is nobody's flakiness.
        let h = suite(8, 40, |r, i| match (r, i) {
            (4, _) => Some(REFUSED),
            (2 | 6, 0) | (3, 1) => Some("Error: boom"),
            (5.., 2) => Some("TypeError: x is undefined"),
            _ => None,
        });
        let keys = FlakyKeys::from_history(&h, &FlakyOptions::DEFAULT);
        assert_eq!(
            keys.keys(),
            ["chromium › f0.spec.ts › t0", "chromium › f0.spec.ts › t1"]
        );
        let text = keys.to_json("2026-01-01T00:00:00.000Z");
        assert!(text.starts_with(r#"{"format":"shardwright-flaky-keys","version":1,"generatedAt":"2026-01-01T00:00:00.000Z","keys":["#), "{text}");
        let back = FlakyKeys::parse(text.as_bytes()).unwrap();
        assert_eq!(back, keys);
        assert!(
            back.contains("chromium › f0.spec.ts › t1")
                && !back.contains("chromium › f0.spec.ts › t2")
        );
        assert!(
            FlakyKeys::parse(b"{\"format\":\"x\",\"version\":1,\"keys\":[]}")
                .unwrap_err()
                .contains("not a flaky-keys file")
        );
        assert!(FlakyKeys::parse(b"[]").is_err());
    }
}
