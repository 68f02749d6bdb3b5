//! Error signatures: what is left of an error message when everything that
//! differs between two occurrences of the same failure is taken out, so that
//! 481 tests failing with `net::ERR_CONNECTION_REFUSED at http://127.0.0.1:3000/cart`,
//! `…/login`, `…:3001/` count as one failure.
//!
//! Two levels:
//! - a **code** when the message names a well-known infrastructure error
//!   (`net::ERR_CONNECTION_REFUSED`, `ECONNRESET`, `HTTP 503`, a crashed
//!   browser): every message carrying it is the same failure, whichever API
//!   call hit it (`page.goto`, `page.click`, `apiRequestContext.get`);
//! - otherwise the **normalised message**: its first line (plus the
//!   `Locator:` line of a Playwright assertion), with URLs, paths, uuids,
//!   timestamps, hex, IP addresses and ports, quoted values and numbers
//!   replaced by placeholders.

use std::sync::LazyLock;

use regex::{Regex, RegexBuilder};

/// Signatures are cut to this many characters.
pub const MAX_SIGNATURE_CHARS: usize = 160;

static CODES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        // Chromium's network errors: the code is the failure.
        (r"\bnet::(ERR_[A-Z_]+)", ""),
        // Firefox and WebKit say the same in words.
        (r"\bNS_ERROR_(?:CONNECTION_REFUSED|NET_RESET|NET_TIMEOUT|UNKNOWN_HOST|NET_INTERRUPT)\b", ""),
        (r"Could not connect to (?:the )?server|Connection refused", "connection refused"),
        // Node's errno codes (fetch, the API request context, databases).
        (
            r"\b(E(?:CONNREFUSED|CONNRESET|CONNABORTED|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH|NETDOWN|AI_AGAIN|NOTFOUND|ADDRINUSE))\b",
            "",
        ),
        (r"\bUND_ERR_[A-Z_]+\b", ""),
        // Overloaded or absent servers.
        (r"\b(?:HTTP|status(?: code)?|response(?: code)?)\W{0,3}(429|502|503|504)\b", "HTTP $1"),
        (r"\b(429|502|503|504)\W{0,3}(?:Too Many Requests|Bad Gateway|Service Unavailable|Gateway Time-?out)", "HTTP $1"),
        (r"\bsocket hang up\b", "socket hang up"),
        // Browsers and workers that went away.
        (r"\b(?:Target crashed|Page crashed)", "browser crashed"),
        (r"\bbrowser has disconnected|Browser has been closed", "browser closed"),
        (r"worker process (?:exited|crashed)|Worker (?:process )?exited unexpectedly", "worker crashed"),
        (r"JavaScript heap out of memory|ERR_WORKER_OUT_OF_MEMORY", "out of memory"),
    ]
    .into_iter()
    .map(|(pattern, label)| {
        (
            RegexBuilder::new(pattern)
                .case_insensitive(!pattern.contains("ERR_") && !pattern.contains("E(?:"))
                .build()
                .expect("valid signature pattern"),
            label,
        )
    })
    .collect()
});

/// Placeholders, applied in order (the specific before the general).
static NORMALISE: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        // URLs (with whatever host, port, path and query).
        (r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'`\x22)<>\]]+", "<url>"),
        // Quoted values: the locator's text, the expected string, ids.
        (r#""(?:[^"\\]|\\.)*""#, "<q>"),
        (r"'(?:[^'\\]|\\.)*'", "<q>"),
        (r"`[^`]*`", "<q>"),
        (r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b", "<uuid>"),
        // ISO timestamps and clock times.
        (r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?", "<time>"),
        (r"\b\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\b", "<time>"),
        // IPv4 addresses with or without a port, host:port.
        (r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b", "<host>"),
        (r"\blocalhost(?::\d+)?\b", "<host>"),
        // File paths (two or more segments), Unix or Windows.
        (r"(?:[A-Za-z]:)?(?:[\\/][\w.@+-]+){2,}[\\/]?(?::\d+)*", "<path>"),
        // Hex: 0x…, or long runs with at least one digit (hashes, ids).
        (r"\b0x[0-9a-fA-F]+\b", "<hex>"),
        (r"\b[0-9a-fA-F]{8,}\b", "<hex?>"),
        // Numbers (durations, counts, ports, line numbers).
        (r"\d+(?:\.\d+)?", "<n>"),
    ]
    .into_iter()
    .map(|(pattern, label)| (Regex::new(pattern).expect("valid normalisation pattern"), label))
    .collect()
});

static SPACES: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s+").expect("valid pattern"));

/// The infrastructure code a message names, if any (`net::ERR_CONNECTION_REFUSED`,
/// `ECONNRESET`, `HTTP 503`, `browser crashed`, …).
pub fn code(message: &str) -> Option<String> {
    for (regex, label) in CODES.iter() {
        if let Some(c) = regex.captures(message) {
            let text = if label.is_empty() {
                c.get(1)
                    .unwrap_or_else(|| c.get(0).expect("a match"))
                    .as_str()
                    .to_string()
            } else {
                let mut out = String::new();
                c.expand(label, &mut out);
                out
            };
            return Some(text);
        }
    }
    None
}

/// The message with its variable parts replaced by placeholders: the first
/// non-empty line, plus the `Locator:` line of a Playwright assertion.
pub fn normalise(message: &str) -> String {
    let mut lines = message.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut text = lines.next().unwrap_or("").to_string();
    if let Some(locator) = message
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("Locator:"))
    {
        text.push(' ');
        text.push_str(locator);
    }
    for (regex, label) in NORMALISE.iter() {
        if *label == "<hex?>" {
            // Runs of 8+ hex digits with both digits and letters (hashes,
            // ids); plain numbers are left to the number rule.
            text = regex
                .replace_all(&text, |c: &regex::Captures| {
                    let m = c.get(0).expect("a match").as_str();
                    let digit = m.bytes().any(|b| b.is_ascii_digit());
                    let letter = m.bytes().any(|b| b.is_ascii_alphabetic());
                    if digit && letter {
                        "<hex>".to_string()
                    } else {
                        m.to_string()
                    }
                })
                .into_owned();
        } else {
            text = regex.replace_all(&text, *label).into_owned();
        }
    }
    let text = SPACES.replace_all(text.trim(), " ");
    match text.char_indices().nth(MAX_SIGNATURE_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.into_owned(),
    }
}

/// The signature failures are grouped by: the infrastructure code when the
/// message names one, else the normalised message.
pub fn signature(message: &str) -> String {
    code(message).unwrap_or_else(|| normalise(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infrastructure_codes_whatever_the_call() {
        for (message, want) in [
            ("Error: page.goto: net::ERR_CONNECTION_REFUSED at http://127.0.0.1:3000/cart\nCall log:\n  - navigating to \"http://127.0.0.1:3000/cart\"", "ERR_CONNECTION_REFUSED"),
            ("Error: page.click: net::ERR_CONNECTION_REFUSED at http://localhost:3001/", "ERR_CONNECTION_REFUSED"),
            ("Error: apiRequestContext.get: connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED"),
            ("Error: read ECONNRESET", "ECONNRESET"),
            ("Error: Request failed with status code 503", "HTTP 503"),
            ("Error: apiRequestContext.get: 502 Bad Gateway", "HTTP 502"),
            ("Error: page.goto: NS_ERROR_CONNECTION_REFUSED", "NS_ERROR_CONNECTION_REFUSED"),
            ("Error: page.goto: Could not connect to server", "connection refused"),
            ("Error: page.evaluate: Target crashed", "browser crashed"),
            ("Error: worker process exited unexpectedly (code=3, signal=null)", "worker crashed"),
        ] {
            assert_eq!(signature(message), want, "{message}");
        }
        assert_eq!(
            code("Error: expect(received).toBe(expected)\nExpected: 503"),
            None
        );
    }

    #[test]
    fn variable_parts_are_stripped() {
        let cases = [
            ("Test timeout of 30000ms exceeded.", "Test timeout of <n>ms exceeded."),
            (
                "TimeoutError: locator.click: Timeout 5000ms exceeded.\nCall log:\n  - waiting for locator('#nope')",
                "TimeoutError: locator.click: Timeout <n>ms exceeded.",
            ),
            (
                "Error: Timed out 5000ms waiting for expect(locator).toHaveText(expected)\n\nLocator: locator('#total')\nExpected string: \"3 items\"",
                "Error: Timed out <n>ms waiting for expect(locator).toHaveText(expected) Locator: locator(<q>)",
            ),
            (
                "Error: order 3f2c9a1e-7b4d-4c2a-9e1f-0a1b2c3d4e5f not found at 2026-11-30T10:02:17.123Z",
                "Error: order <uuid> not found at <time>",
            ),
            (
                "Error: ENOENT: no such file or directory, open '/tmp/run-4411/fixtures/user.json'",
                "Error: ENOENT: no such file or directory, open <q>",
            ),
            ("Error: cannot read /var/lib/app/cache/7.json", "Error: cannot read <path>"),
            ("Error: commit 9f3c2ab1e0 is missing (0x1f at 10:02)", "Error: commit <hex> is missing (<hex> at <time>)"),
            ("Error: Event turbo:render with {\"renderMethod\":\"morph\"} wasn't dispatched within 2000ms", "Error: Event turbo:render with {<q>:<q>} wasn't dispatched within <n>ms"),
            ("\n\n  TypeError: Cannot read properties of undefined (reading 'id')\n    at x.spec.ts:12:5", "TypeError: Cannot read properties of undefined (reading <q>)"),
        ];
        for (message, want) in cases {
            assert_eq!(signature(message), want, "{message}");
        }
    }

    #[test]
    fn different_failures_stay_apart_and_equal_ones_meet() {
        let a = signature("Error: expect(locator).toBeVisible() failed\n\nLocator: getByRole('button', { name: 'Checkout' })\nTimeout: 5000ms");
        let b = signature("Error: expect(locator).toBeVisible() failed\n\nLocator: getByRole('button', { name: 'Pay now' })\nTimeout: 7000ms");
        let c = signature(
            "Error: expect(locator).toHaveText(expected) failed\n\nLocator: locator('#a')",
        );
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(signature(&"x".repeat(1000)).chars().count() <= MAX_SIGNATURE_CHARS + 1);
        assert_eq!(signature(""), "");
    }
}
