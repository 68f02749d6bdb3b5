//! The knobs of flaky detection and the user's quarantine list.

use regex::{Regex, RegexBuilder};

use super::incident::IncidentOptions;
use crate::classify::{Classifier, PatternSpec};
use crate::error::{Error, Result};
use crate::playwright::testid::SEPARATOR;

#[derive(Debug, Clone)]
pub struct FlakyOptions {
    /// How many of a test's latest runs (skipped ones not counted) are judged.
    pub window: u32,
    /// Score from which a test is flaky even without a flaky run or a
    /// same-commit contradiction.
    pub flaky_threshold: f64,
    /// Score from which a flaky test is quarantined.
    pub quarantine_threshold: f64,
    /// Distinct runs that must show a test's flakiness before it is
    /// quarantined (one flaky run is not enough evidence).
    pub quarantine_min_runs: u32,
    /// Clean runs in a row after which a quarantined test leaves quarantine.
    pub quarantine_release_after: u32,
    /// Infrastructure incident detection.
    pub incidents: IncidentOptions,
    /// The user's retryable/permanent patterns (the evidence's error classes
    /// and retry decisions); `None`: the built-in rules.
    pub classifier: Option<Classifier>,
    /// The quarantine list as printed when the report's run began (test
    /// keys): that run's failures are judged against it. `None`: the list
    /// as of the run's start is recomputed from the history.
    pub start_quarantine: Option<Vec<String>>,
    /// Consecutive failing runs (up to the latest) that make a test broken
    /// rather than flaky.
    pub broken_after: u32,
    /// Runs after which an event's weight in the score halves (recent runs
    /// weigh more).
    pub half_life: f64,
    /// Tests the user quarantines whatever their score.
    pub quarantine: Vec<QuarantineRule>,
    /// The run the report's `run` section describes (default: the newest).
    pub run_id: Option<String>,
    /// `generatedAt`, for reproducible reports (default: now).
    pub now_ms: Option<i64>,
    /// At most this many evidence runs per test.
    pub max_evidence: usize,
}

impl FlakyOptions {
    pub const DEFAULT: FlakyOptions = FlakyOptions {
        window: 20,
        flaky_threshold: 0.1,
        quarantine_threshold: 0.3,
        quarantine_min_runs: 2,
        quarantine_release_after: 10,
        incidents: IncidentOptions::DEFAULT,
        classifier: None,
        start_quarantine: None,
        broken_after: 3,
        half_life: 10.0,
        quarantine: Vec::new(),
        run_id: None,
        now_ms: None,
        max_evidence: 10,
    };

    /// Checks the values' ranges (names as the user writes them).
    pub fn validate(&self) -> Result<()> {
        if self.window == 0 || self.window > 1000 {
            return Err(Error::invalid(
                "window",
                self.window,
                "a whole number from 1 to 1000",
            ));
        }
        for (field, v) in [
            ("flakyThreshold", self.flaky_threshold),
            ("quarantineThreshold", self.quarantine_threshold),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(Error::invalid(field, v, "a number from 0 to 1"));
            }
        }
        if self.broken_after == 0 {
            return Err(Error::invalid("brokenAfter", 0, "a whole number ≥ 1"));
        }
        for (field, v) in [
            ("quarantineMinRuns", self.quarantine_min_runs),
            ("quarantineReleaseAfter", self.quarantine_release_after),
        ] {
            if v == 0 {
                return Err(Error::invalid(field, 0, "a whole number ≥ 1"));
            }
        }
        self.incidents.validate()?;
        if !self.half_life.is_finite() || self.half_life <= 0.0 {
            return Err(Error::invalid(
                "halfLife",
                self.half_life,
                "a number of runs > 0",
            ));
        }
        Ok(())
    }
}

impl Default for FlakyOptions {
    fn default() -> Self {
        FlakyOptions::DEFAULT
    }
}

/// A quarantine entry: a test key, a key prefix ending at a ` › ` boundary
/// (`chromium › cart.spec.ts` quarantines the file), or a regular expression
/// over the key.
#[derive(Debug, Clone)]
pub enum QuarantineRule {
    Key(String),
    Regex { label: String, regex: Regex },
}

impl QuarantineRule {
    pub fn from_spec(field: &str, spec: &PatternSpec) -> Result<QuarantineRule> {
        match spec {
            PatternSpec::Text(text) if text.trim().is_empty() => Err(Error::invalid(
                field,
                "\"\"",
                "a test key, a key prefix or a RegExp",
            )),
            PatternSpec::Text(text) => Ok(QuarantineRule::Key(text.trim().to_string())),
            PatternSpec::Regex { regex, flags } => {
                let flags = flags.as_deref().unwrap_or("");
                let compiled = RegexBuilder::new(regex)
                    .case_insensitive(flags.contains('i'))
                    .multi_line(flags.contains('m'))
                    .dot_matches_new_line(flags.contains('s'))
                    .build()
                    .map_err(|e| {
                        Error::invalid(
                            field,
                            format!("/{regex}/{flags}"),
                            format!("a valid regular expression ({e})"),
                        )
                    })?;
                Ok(QuarantineRule::Regex {
                    label: format!("/{regex}/{flags}"),
                    regex: compiled,
                })
            }
        }
    }

    pub fn matches(&self, key: &str) -> bool {
        match self {
            QuarantineRule::Key(k) => {
                key == k
                    || key
                        .strip_prefix(k.as_str())
                        .is_some_and(|rest| rest.starts_with(SEPARATOR))
            }
            QuarantineRule::Regex { regex, .. } => regex.is_match(key),
        }
    }

    pub fn label(&self) -> &str {
        match self {
            QuarantineRule::Key(k) => k,
            QuarantineRule::Regex { label, .. } => label,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarantine_rules() {
        let key =
            QuarantineRule::from_spec("q[0]", &PatternSpec::Text("chromium › cart.spec.ts".into()))
                .unwrap();
        assert!(key.matches("chromium › cart.spec.ts › adds"));
        assert!(key.matches("chromium › cart.spec.ts"));
        assert!(!key.matches("chromium › cart.spec.tsx › adds"));
        let re = QuarantineRule::from_spec(
            "q[1]",
            &PatternSpec::Regex {
                regex: "CHECKOUT".into(),
                flags: Some("i".into()),
            },
        )
        .unwrap();
        assert!(re.matches("chromium › checkout.spec.ts › pays"));
        let e = QuarantineRule::from_spec(
            "quarantine[2]",
            &PatternSpec::Regex {
                regex: "(".into(),
                flags: None,
            },
        )
        .unwrap_err();
        assert!(
            e.to_string().starts_with("invalid quarantine[2]: /(/"),
            "{e}"
        );
    }

    #[test]
    fn ranges_are_checked() {
        let bad = FlakyOptions {
            flaky_threshold: 1.5,
            ..FlakyOptions::DEFAULT
        };
        assert_eq!(
            bad.validate().unwrap_err().to_string(),
            "invalid flakyThreshold: 1.5 (a number from 0 to 1)"
        );
        assert!(FlakyOptions::DEFAULT.validate().is_ok());
    }
}
