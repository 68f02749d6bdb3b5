//! Is a failure worth retrying?
//!
//! A pure function over the error's text. Assertion failures are permanent: the
//! same code gives the same answer again, so a retry only costs time (an
//! `expect` that timed out has already waited its own timeout). Network
//! failures, overloaded servers, a browser or worker that went away and test
//! timeouts are retryable. Users add their own rules on top; theirs are
//! checked first. An error no rule knows gets `unknown_is_retryable`
//! (default: retryable, as Playwright itself retries any failure).

use std::sync::LazyLock;

use regex::{Regex, RegexBuilder};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorClass {
    Retryable,
    Permanent,
}

impl ErrorClass {
    pub fn name(self) -> &'static str {
        match self {
            ErrorClass::Retryable => "retryable",
            ErrorClass::Permanent => "permanent",
        }
    }
}

/// Which rule decided, for reports and `onRetry` callbacks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Classification {
    pub class: ErrorClass,
    /// `user:<pattern>`, a built-in rule name such as `network` or
    /// `assertion`, or `unknown`.
    pub rule: String,
}

struct Rule {
    name: &'static str,
    class: ErrorClass,
    regex: Regex,
}

/// Built-in rules, in the order they are checked. Assertions come first:
/// `Timed out 5000ms waiting for expect(locator).toHaveText(…)` is an
/// assertion even though it mentions a timeout. Network rules come before
/// programming errors: Node's fetch reports a refused connection as
/// `TypeError: fetch failed`.
const BUILTIN: &[(&str, ErrorClass, &str)] = &[
    (
        "assertion",
        ErrorClass::Permanent,
        // Playwright's and Jest's expect ("expect(received).toEqual(expected)",
        // "expect(locator).toHaveText(expected) failed"), node:assert, chai.
        r"expect\([^)]*\)\s*\.\s*(?:not\s*\.\s*)?to[A-Z]\w*|\bAssertionError\b|\bexpected .+ to (?:be|equal|have|include|contain)\b",
    ),
    (
        "navigation-config",
        ErrorClass::Permanent,
        // Chromium refuses these the same way every time: a blocked port, a
        // bad URL, a certificate the test setup does not trust.
        r"\bnet::ERR_(?:UNSAFE_PORT|INVALID_URL|INVALID_ARGUMENT|UNKNOWN_URL_SCHEME|BLOCKED_BY_CLIENT|BLOCKED_BY_RESPONSE|FILE_NOT_FOUND|CERT_[A-Z_]+)\b",
    ),
    (
        "browser-closed",
        ErrorClass::Retryable,
        r"Target (?:page, context or browser )?(?:has been )?closed|Browser has been closed|browser has disconnected|Target crashed|Page crashed|Navigation failed because page crashed|Execution context was destroyed|frame was detached",
    ),
    (
        "worker-crash",
        ErrorClass::Retryable,
        r"worker process (?:exited|crashed)|Worker (?:process )?exited unexpectedly|worker teardown timeout|ERR_WORKER_OUT_OF_MEMORY|JavaScript heap out of memory|killed by signal|SIGKILL|SIGSEGV",
    ),
    (
        "network",
        ErrorClass::Retryable,
        r"\bnet::ERR_[A-Z_]+|\bE(?:CONNRESET|CONNREFUSED|CONNABORTED|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH|NETDOWN|AI_AGAIN)\b|socket hang up|connection (?:reset|refused|closed)|network (?:error|timeout)|fetch failed|UND_ERR_(?:SOCKET|CONNECT_TIMEOUT|HEADERS_TIMEOUT|BODY_TIMEOUT)",
    ),
    (
        "http-status",
        ErrorClass::Retryable,
        r"(?:\b(?:HTTP|status(?: code)?|response)\b\W{0,3}(?:429|502|503|504)\b)|\b(?:429|502|503|504)\b\W{0,3}(?:Too Many Requests|Bad Gateway|Service Unavailable|Gateway Time-?out)|Too Many Requests|Bad Gateway|Service Unavailable|Gateway Time-?out",
    ),
    (
        "programming-error",
        ErrorClass::Permanent,
        r"^(?:Error: )?(?:TypeError|ReferenceError|SyntaxError|RangeError): ",
    ),
    (
        "timeout",
        ErrorClass::Retryable,
        r"Test timeout of \d+ms exceeded|Timeout \d+ms exceeded|\bTimeoutError\b|\btimed out\b|\btimeout exceeded\b|ETIMEDOUT",
    ),
];

static BUILTIN_RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    BUILTIN
        .iter()
        .map(|(name, class, pattern)| Rule {
            name,
            class: *class,
            regex: RegexBuilder::new(pattern)
                .case_insensitive(true)
                .multi_line(true)
                .build()
                .expect("built-in patterns are valid"),
        })
        .collect()
});

static ANSI: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\x1b\[[0-9;?]*[ -/]*[@-~]").expect("valid ANSI pattern"));

/// Removes terminal colour codes, which Playwright puts in its error messages.
pub fn strip_ansi(text: &str) -> std::borrow::Cow<'_, str> {
    ANSI.replace_all(text, "")
}

/// A user pattern: a plain substring (case-insensitive) or a regular
/// expression (Rust `regex` syntax, which covers what JS tests use:
/// classes, alternation, anchors, `(?i)`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(untagged)]
pub enum PatternSpec {
    Text(String),
    Regex {
        regex: String,
        flags: Option<String>,
    },
}

#[derive(Debug, Clone)]
struct UserRule {
    label: String,
    class: ErrorClass,
    regex: Regex,
}

/// The built-in rules plus the user's own.
#[derive(Debug, Clone)]
pub struct Classifier {
    user: Vec<UserRule>,
    unknown_is_retryable: bool,
}

impl Default for Classifier {
    fn default() -> Self {
        Classifier {
            user: Vec::new(),
            unknown_is_retryable: true,
        }
    }
}

impl Classifier {
    /// `field` names the option the patterns came from, for errors.
    pub fn new(
        retryable: &[PatternSpec],
        permanent: &[PatternSpec],
        unknown_is_retryable: bool,
    ) -> Result<Self> {
        let mut user = Vec::new();
        // The user's permanent rules win over their retryable ones: marking an
        // error permanent is the more specific statement.
        for (field, class, specs) in [
            ("permanent", ErrorClass::Permanent, permanent),
            ("retryable", ErrorClass::Retryable, retryable),
        ] {
            for (i, spec) in specs.iter().enumerate() {
                user.push(compile(&format!("{field}[{i}]"), class, spec)?);
            }
        }
        Ok(Classifier {
            user,
            unknown_is_retryable,
        })
    }

    pub fn classify(&self, message: &str) -> Classification {
        let text = strip_ansi(message);
        if let Some(rule) = self.user.iter().find(|r| r.regex.is_match(&text)) {
            return Classification {
                class: rule.class,
                rule: format!("user:{}", rule.label),
            };
        }
        if let Some(rule) = BUILTIN_RULES.iter().find(|r| r.regex.is_match(&text)) {
            return Classification {
                class: rule.class,
                rule: rule.name.to_string(),
            };
        }
        Classification {
            class: if self.unknown_is_retryable {
                ErrorClass::Retryable
            } else {
                ErrorClass::Permanent
            },
            rule: "unknown".to_string(),
        }
    }
}

/// Classifies with the built-in rules only.
pub fn classify(message: &str) -> Classification {
    static DEFAULT: LazyLock<Classifier> = LazyLock::new(Classifier::default);
    DEFAULT.classify(message)
}

fn compile(field: &str, class: ErrorClass, spec: &PatternSpec) -> Result<UserRule> {
    let (label, built) = match spec {
        PatternSpec::Text(text) => {
            if text.is_empty() {
                return Err(Error::invalid(
                    field,
                    "\"\"",
                    "a non-empty string or a RegExp",
                ));
            }
            (
                text.clone(),
                RegexBuilder::new(&regex::escape(text))
                    .case_insensitive(true)
                    .build(),
            )
        }
        PatternSpec::Regex { regex, flags } => {
            let mut builder = RegexBuilder::new(regex);
            for flag in flags.as_deref().unwrap_or("").chars() {
                match flag {
                    'i' => {
                        builder.case_insensitive(true);
                    }
                    'm' => {
                        builder.multi_line(true);
                    }
                    's' => {
                        builder.dot_matches_new_line(true);
                    }
                    // Global, sticky, unicode and indices change how JS iterates
                    // matches, not whether one exists.
                    'g' | 'y' | 'u' | 'v' | 'd' => {}
                    other => {
                        return Err(Error::invalid(
                            field,
                            format!("/{regex}/{}", flags.as_deref().unwrap_or("")),
                            format!("a RegExp flag among i, m, s, g, y, u, d (got {other:?})"),
                        ))
                    }
                }
            }
            (format!("/{regex}/"), builder.build())
        }
    };
    let regex = built.map_err(|e| {
        Error::invalid(
            field,
            &label,
            format!(
                "a regular expression shardwright can compile: {}",
                e.to_string()
                    .lines()
                    .last()
                    .unwrap_or("invalid syntax")
                    .trim()
            ),
        )
    })?;
    Ok(UserRule {
        label,
        class,
        regex,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real messages: from Playwright 1.65 runs (Chromium 156) of specs in
    /// `examples/` (each failure provoked for real: a closed port, a closed
    /// page, a worker that exits, …) and from hotwired/turbo's Playwright
    /// suite (`../shared/data/flaky`). Call logs and code frames trimmed.
    const PERMANENT: &[(&str, &str)] = &[
        ("Error: \u{1b}[2mexpect(\u{1b}[22m\u{1b}[31mreceived\u{1b}[39m\u{1b}[2m).\u{1b}[22mtoEqual\u{1b}[2m(\u{1b}[22m\u{1b}[32mexpected\u{1b}[39m\u{1b}[2m) // deep equality\u{1b}[22m\n\nExpected: \u{1b}[32m0\u{1b}[39m\nReceived: \u{1b}[31m2\u{1b}[39m", "assertion"),
        ("Error: expect(received).toEqual(expected) // deep equality\n\nExpected: \"Search?\"\nReceived: \"?\"", "assertion"),
        ("Error: Timed out 5000ms waiting for expect(locator).toHaveURL(expected)\n\nLocator: locator(':root')", "assertion"),
        ("Error: expect(locator).toHaveText(expected) failed\n\nLocator:  locator('#a')\nExpected: \"y\"\nReceived: \"x\"\nTimeout:  300ms\n\nCall log:\n  - Expect \"toHaveText\" locator('#a') with timeout 300ms", "assertion"),
        ("Error: the total is wrong on purpose\n\nexpect(received).toBe(expected) // Object.is equality\n\nExpected: 3\nReceived: 2", "assertion"),
        ("AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:\n\n1 !== 2\n", "assertion"),
        ("TypeError: Cannot read properties of undefined (reading 'foo')\n\n   8 | test('navigation refused', async ({ page }) => {", "programming-error"),
        ("Error: page.goto: net::ERR_UNSAFE_PORT at http://127.0.0.1:1/\nCall log:\n  - navigating to \"http://127.0.0.1:1/\", waiting until \"load\"", "navigation-config"),
    ];

    const RETRYABLE: &[(&str, &str)] = &[
        ("Error: page.goto: net::ERR_CONNECTION_REFUSED at http://127.0.0.1:37345/\nCall log:\n  - navigating to \"http://127.0.0.1:37345/\", waiting until \"load\"\n", "network"),
        ("Error: apiRequestContext.get: connect ECONNREFUSED 127.0.0.1:1\nCall log:\n  - \u{2192} GET http://127.0.0.1:1/\n    - user-agent: Playwright/1.65.1 (x64; debian 12) node/20.20", "network"),
        ("Error: page.waitForTimeout: Target page, context or browser has been closed\n\n  3 | test('action timeout'", "browser-closed"),
        ("Error: page.click: Target page, context or browser has been closed", "browser-closed"),
        ("Error: page.evaluate: Execution context was destroyed, most likely because of a navigation", "browser-closed"),
        ("Error: worker process exited unexpectedly (code=3, signal=null)", "worker-crash"),
        ("Test timeout of 3000ms exceeded.", "timeout"),
        ("TimeoutError: locator.click: Timeout 300ms exceeded.\nCall log:\n  - waiting for locator('#nope')", "timeout"),
        ("Error: read ECONNRESET", "network"),
        ("Error: socket hang up", "network"),
        ("TypeError: fetch failed", "network"),
        ("Error: Request failed with status code 503", "http-status"),
        ("HTTPError: Response code 429 (Too Many Requests)", "http-status"),
        ("Error: apiRequestContext.get: 502 Bad Gateway", "http-status"),
        ("upstream said: Gateway Timeout", "http-status"),
    ];

    #[test]
    fn assertion_failures_are_permanent() {
        for (message, rule) in PERMANENT {
            let c = classify(message);
            assert_eq!(c.class, ErrorClass::Permanent, "{message:?} → {c:?}");
            assert_eq!(c.rule, *rule, "{message:?}");
        }
    }

    #[test]
    fn transient_failures_are_retryable_with_their_rule() {
        for (message, rule) in RETRYABLE {
            let c = classify(message);
            assert_eq!(c.class, ErrorClass::Retryable, "{message:?} → {c:?}");
            assert_eq!(c.rule, *rule, "{message:?}");
        }
    }

    #[test]
    fn fetch_failed_type_error_is_network_not_a_bug() {
        // Node's undici throws `TypeError: fetch failed` for network errors:
        // the network rule must not lose to the programming-error rule.
        let c = classify("TypeError: fetch failed\n    at node:internal/deps/undici");
        assert_eq!(c.class, ErrorClass::Retryable);
    }

    #[test]
    fn http_codes_need_context() {
        // A bare number in an assertion is not an HTTP status.
        let c = classify("Error: expect(received).toBe(expected)\nExpected: 503\nReceived: 200");
        assert_eq!(c.class, ErrorClass::Permanent);
        assert_eq!(classify("order 5030 not found").rule, "unknown");
    }

    #[test]
    fn unknown_errors_follow_the_option() {
        let m = "Error: Event turbo:render wasn't dispatched within 2000ms";
        assert_eq!(classify(m).class, ErrorClass::Retryable);
        assert_eq!(classify(m).rule, "unknown");
        let strict = Classifier::new(&[], &[], false).unwrap();
        assert_eq!(strict.classify(m).class, ErrorClass::Permanent);
    }

    #[test]
    fn user_rules_come_first() {
        let c = Classifier::new(
            &[PatternSpec::Text("wasn't dispatched".into())],
            &[PatternSpec::Regex {
                regex: r"ECONNREFUSED 127\.0\.0\.1:9\d{3}".into(),
                flags: None,
            }],
            false,
        )
        .unwrap();
        let r = c.classify("Error: Event turbo:render WASN'T DISPATCHED within 2000ms");
        assert_eq!(r.class, ErrorClass::Retryable);
        assert_eq!(r.rule, "user:wasn't dispatched");
        let r = c.classify("connect ECONNREFUSED 127.0.0.1:9222");
        assert_eq!(r.class, ErrorClass::Permanent);
        assert_eq!(r.rule, "user:/ECONNREFUSED 127\\.0\\.0\\.1:9\\d{3}/");
        // Built-ins still apply below the user's rules.
        assert_eq!(c.classify("socket hang up").class, ErrorClass::Retryable);
    }

    #[test]
    fn regex_flags_follow_js() {
        let spec = |flags: &str| PatternSpec::Regex {
            regex: "^flaky".into(),
            flags: Some(flags.into()),
        };
        let c = Classifier::new(&[spec("im")], &[], false).unwrap();
        assert_eq!(
            c.classify("first line\nFLAKY second").class,
            ErrorClass::Retryable
        );
        let e = Classifier::new(&[spec("x")], &[], true).unwrap_err();
        assert_eq!(e.code(), "ERR_SHARDWRIGHT_CONFIG");
        assert!(e.to_string().contains("retryable[0]"), "{e}");
    }

    #[test]
    fn bad_patterns_name_the_field() {
        let e = Classifier::new(
            &[],
            &[
                PatternSpec::Text("ok".into()),
                PatternSpec::Regex {
                    regex: "(unclosed".into(),
                    flags: None,
                },
            ],
            true,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid permanent[1]: /(unclosed/"),
            "{e}"
        );
        let e = Classifier::new(&[PatternSpec::Text(String::new())], &[], true).unwrap_err();
        assert!(e.to_string().contains("retryable[0]"), "{e}");
    }

    #[test]
    fn strips_ansi() {
        assert_eq!(strip_ansi("\u{1b}[31mred\u{1b}[39m"), "red");
    }
}
