//! Reading option values, whichever way they arrive.
//!
//! Options come from JS objects (as JSON values), environment variables
//! (strings) and CLI flags (strings). Each reader here accepts both forms and
//! fails with an [`Error::InvalidValue`] naming the field as the user wrote it,
//! so a type mistake in `playwright.config.ts` and a typo in
//! `SHARDWRIGHT_MAX_RETRIES` get the same kind of message.

use serde_json::Value;

use crate::error::{Error, Num, Result};

/// Shows a value the way the user would recognise it: text quoted, numbers
/// and booleans bare, objects as compact JSON; cut to about 80 characters
/// (on a character boundary), so a 100 MB value makes a short message.
pub fn show(value: &Value) -> String {
    const MAX: usize = 80;
    let cut = |text: &str, max: usize| match text.char_indices().nth(max - 3) {
        Some((at, _)) if text.chars().count() > max => format!("{}...", &text[..at]),
        _ => text.to_string(),
    };
    match value {
        // JS numbers JSON cannot hold arrive as their text; show them bare.
        Value::String(s) if matches!(s.as_str(), "NaN" | "Infinity" | "-Infinity") => s.clone(),
        // Escapes may lengthen it again: cut once more.
        Value::String(s) => cut(&format!("{:?}", cut(s, MAX)), 2 * MAX),
        other => cut(&other.to_string(), MAX),
    }
}

/// `None` for an absent value (`undefined` or `null` in JS, an unset or
/// empty environment variable).
fn present(value: Option<&Value>) -> Option<&Value> {
    match value {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(v) => Some(v),
    }
}

/// A finite number. Strings are parsed so environment variables and CLI flags
/// go through the same rule.
pub fn number(field: &str, value: Option<&Value>) -> Result<Option<f64>> {
    let Some(value) = present(value) else {
        return Ok(None);
    };
    let parsed = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match parsed {
        Some(n) if n.is_finite() => Ok(Some(n)),
        Some(_) => Err(Error::invalid(field, show(value), "a finite number")),
        None => Err(Error::invalid(field, show(value), "a number")),
    }
}

/// A finite number ≥ 0.
pub fn non_negative(field: &str, value: Option<&Value>) -> Result<Option<f64>> {
    match number(field, value)? {
        Some(n) if n < 0.0 => Err(Error::invalid(field, Num(n), "a number ≥ 0")),
        other => Ok(other),
    }
}

/// A finite number in `range`; `expected` says the rule in the error.
pub fn number_in(
    field: &str,
    value: Option<&Value>,
    range: std::ops::RangeInclusive<f64>,
    expected: &str,
) -> Result<Option<f64>> {
    match number(field, value)? {
        Some(n) if !range.contains(&n) => Err(Error::invalid(field, Num(n), expected)),
        other => Ok(other),
    }
}

/// A whole number in `min..=max`.
pub fn whole(field: &str, value: Option<&Value>, min: u64, max: u64) -> Result<Option<u64>> {
    match number(field, value)? {
        None => Ok(None),
        Some(n) if n.fract() == 0.0 && n >= min as f64 && n <= max as f64 => Ok(Some(n as u64)),
        Some(n) => Err(Error::invalid(
            field,
            Num(n),
            format!("a whole number from {min} to {max}"),
        )),
    }
}

/// A boolean; strings `true/false/1/0/yes/no/on/off` are accepted for
/// environment variables.
pub fn boolean(field: &str, value: Option<&Value>) -> Result<Option<bool>> {
    let Some(value) = present(value) else {
        return Ok(None);
    };
    let parsed = match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Some(true),
            "false" | "0" | "no" | "off" => Some(false),
            _ => None,
        },
        _ => None,
    };
    parsed
        .map(Some)
        .ok_or_else(|| Error::invalid(field, show(value), "true or false"))
}

/// A non-empty string.
pub fn string(field: &str, value: Option<&Value>) -> Result<Option<String>> {
    match present(value) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(Error::invalid(field, show(other), "a string")),
    }
}

/// One of `choices`, compared case-insensitively.
pub fn choice<'c>(
    field: &str,
    value: Option<&Value>,
    choices: &[&'c str],
) -> Result<Option<&'c str>> {
    let Some(text) = string(field, value)? else {
        return Ok(None);
    };
    let wanted = text.trim().to_ascii_lowercase();
    choices
        .iter()
        .find(|c| c.eq_ignore_ascii_case(&wanted))
        .map(|c| Some(*c))
        .ok_or_else(|| {
            Error::invalid(
                field,
                format!("{text:?}"),
                format!("one of {}", choices.join(", ")),
            )
        })
}

/// The name in `known` that a misspelt `name` most likely meant: the nearest
/// by edit distance (case-insensitive), when it is near enough to be a typo
/// (at most 3 edits, and at most half of `name`).
pub fn closest<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    let lower = name.to_lowercase();
    let limit = (name.chars().count() / 2).clamp(1, 3);
    known
        .iter()
        .map(|k| (levenshtein(&lower, &k.to_lowercase()), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The error for a field `name` (shown as `field`) that is not one of
/// `known`: names the closest known field, or lists them all. `owner` says
/// whose option it is not (`"a retry()"`, `"a WorkerManager"`).
pub fn unknown_field(field: &str, value: &Value, known: &[&str], owner: &str) -> Error {
    let name = field.rsplit('.').next().unwrap_or(field);
    let hint = match closest(name, known) {
        Some(near) => format!("did you mean {near}?"),
        None => format!("known: {}", known.join(", ")),
    };
    Error::invalid(field, show(value), format!("not {owner} option; {hint}"))
}

/// The fields of an options object given as JSON: absent (`undefined`,
/// `null`) is no fields; anything but an object is an error naming `field`;
/// a key not in `known` is an [`unknown_field`] error (its name prefixed
/// with `prefix`, e.g. `retry.`).
pub fn fields<'v>(
    field: &str,
    value: Option<&'v Value>,
    known: &[&str],
    owner: &str,
    prefix: &str,
) -> Result<Option<&'v serde_json::Map<String, Value>>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => {
            if let Some((key, v)) = map.iter().find(|(k, _)| !known.contains(&k.as_str())) {
                return Err(unknown_field(&format!("{prefix}{key}"), v, known, owner));
            }
            Ok(Some(map))
        }
        Some(other) => Err(Error::invalid(field, show(other), "an object")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_from_json_and_text() {
        assert_eq!(number("x", Some(&json!(2.5))).unwrap(), Some(2.5));
        assert_eq!(number("x", Some(&json!(" 7 "))).unwrap(), Some(7.0));
        assert_eq!(number("x", None).unwrap(), None);
        assert_eq!(number("x", Some(&json!(null))).unwrap(), None);
        assert_eq!(number("x", Some(&json!(""))).unwrap(), None);
        let e = number("SHARDWRIGHT_MAX_RETRIES", Some(&json!("three"))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid SHARDWRIGHT_MAX_RETRIES: \"three\" (a number)"
        );
        let e = number("x", Some(&json!("NaN"))).unwrap_err();
        assert!(e.to_string().contains("a finite number"), "{e}");
        let e = number("x", Some(&json!([1]))).unwrap_err();
        assert_eq!(e.to_string(), "invalid x: [1] (a number)");
    }

    #[test]
    fn whole_numbers_within_bounds() {
        assert_eq!(whole("n", Some(&json!(3)), 0, 10).unwrap(), Some(3));
        for bad in [json!(-1), json!(1.5), json!(11)] {
            let e = whole("n", Some(&bad), 0, 10).unwrap_err();
            assert!(e.to_string().contains("a whole number from 0 to 10"), "{e}");
        }
    }

    #[test]
    fn choices_and_booleans() {
        let c = ["none", "full"];
        assert_eq!(
            choice("jitter", Some(&json!("FULL")), &c).unwrap(),
            Some("full")
        );
        let e = choice("jitter", Some(&json!("half")), &c).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid jitter: \"half\" (one of none, full)"
        );
        assert_eq!(boolean("b", Some(&json!("off"))).unwrap(), Some(false));
        assert!(boolean("b", Some(&json!("maybe"))).is_err());
    }

    #[test]
    fn unknown_fields_name_the_closest() {
        let known = ["maxRetries", "initialDelayMs", "jitter"];
        assert_eq!(closest("maxRetry", &known), Some("maxRetries"));
        assert_eq!(closest("MAXRETRIES", &known), Some("maxRetries"));
        assert_eq!(closest("colour", &known), None);
        let e = unknown_field("retry.maxRetry", &json!(3), &known, "a retry");
        assert_eq!(
            e.to_string(),
            "invalid retry.maxRetry: 3 (not a retry option; did you mean maxRetries?)"
        );
        let e = unknown_field("zzz", &json!(true), &known, "a retry");
        assert_eq!(
            e.to_string(),
            "invalid zzz: true (not a retry option; known: maxRetries, initialDelayMs, jitter)"
        );
        assert!(
            fields("options", Some(&json!({"jitter": 1})), &known, "x", "")
                .unwrap()
                .is_some()
        );
        assert!(fields("options", None, &known, "x", "").unwrap().is_none());
        let e = fields("options", Some(&json!([1])), &known, "x", "").unwrap_err();
        assert_eq!(e.to_string(), "invalid options: [1] (an object)");
    }

    use proptest::prelude::*;

    /// Any JSON value, a few levels deep.
    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<f64>().prop_map(|n| serde_json::Number::from_f64(n)
                .map(Value::Number)
                .unwrap_or(Value::Null)),
            any::<i64>().prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            prop_oneof![
                Just("NaN"),
                Just("Infinity"),
                Just("-Infinity"),
                Just("0x10"),
                Just("1e400"),
                Just(" 7 "),
                Just("")
            ]
            .prop_map(|s| Value::String(s.into())),
        ];
        leaf.prop_recursive(3, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::vec((any::<String>(), inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Every reader takes any JSON value: an answer or an error naming
        /// the field, never a panic; what it accepts obeys its rule.
        #[test]
        fn readers_never_panic_and_keep_their_rules(value in any_json()) {
            let shown = show(&value);
            prop_assert!(shown.chars().count() <= 200, "{}", shown);
            let v = Some(&value);
            if let Ok(Some(n)) = number("f", v) { prop_assert!(n.is_finite()); }
            if let Ok(Some(n)) = non_negative("f", v) { prop_assert!(n >= 0.0); }
            if let Ok(Some(n)) = whole("f", v, 1, 1000) { prop_assert!((1..=1000).contains(&n)); }
            if let Ok(Some(n)) = number_in("f", v, 0.0..=1.0, "0–1") { prop_assert!((0.0..=1.0).contains(&n)); }
            let _ = boolean("f", v);
            let _ = string("f", v);
            let _ = choice("f", v, &["a", "b"]);
            for e in [number("field", v).err(), whole("field", v, 0, 5).err()].into_iter().flatten() {
                prop_assert!(e.to_string().starts_with("invalid field: "), "{}", e);
                prop_assert_eq!(e.code(), "ERR_SHARDWRIGHT_CONFIG");
            }
        }

        /// Text (environment variables) is read as decimal only.
        #[test]
        fn text_numbers_are_decimal(s in "\\PC{0,12}") {
            if let Ok(Some(n)) = number("f", Some(&Value::String(s.clone()))) {
                let t = s.trim().to_ascii_lowercase();
                prop_assert!(!t.starts_with("0x") && !t.contains("inf") && !t.contains("nan"), "{s:?} read as {n}");
            }
        }

        /// The closest name is one of the known ones, and a known name is
        /// its own closest.
        #[test]
        fn closest_is_known(name in "[a-zA-Z]{0,16}", pick in 0usize..5) {
            let known = ["window", "flakyThreshold", "brokenAfter", "halfLife", "quarantine"];
            if let Some(c) = closest(&name, &known) { prop_assert!(known.contains(&c)); }
            prop_assert_eq!(closest(known[pick], &known), Some(known[pick]));
        }
    }
}
