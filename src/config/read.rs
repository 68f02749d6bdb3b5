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
/// and booleans bare, objects as compact JSON.
pub fn show(value: &Value) -> String {
    match value {
        // JS numbers JSON cannot hold arrive as their text; show them bare.
        Value::String(s) if matches!(s.as_str(), "NaN" | "Infinity" | "-Infinity") => s.clone(),
        Value::String(s) => format!("{s:?}"),
        other => {
            let mut text = other.to_string();
            if text.len() > 80 {
                text.truncate(77);
                text.push_str("...");
            }
            text
        }
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
}
