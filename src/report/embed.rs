//! JSON inside an HTML `<script>` element: the text must not close the
//! element (`</script>`), open a comment (`<!--`) or hold the line
//! separators old parsers read as line ends. Escaping `<`, `>`, `&`, U+2028
//! and U+2029 as `\uXXXX` keeps it the same JSON value (they only occur
//! inside strings) and makes every such sequence impossible.

/// `json` with `<`, `>`, `&`, U+2028 and U+2029 written as `\u` escapes.
pub fn script_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + json.len() / 64);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_can_close_the_script_element_and_the_value_is_kept() {
        let value = serde_json::json!({
            "key": "a › </script><script>alert(1)</script> › <!-- x --> & \u{2028}\u{2029}",
            "n": 1
        });
        let text = script_safe(&serde_json::to_string(&value).unwrap());
        for bad in ["</script", "<!--", "<", ">", "&", "\u{2028}", "\u{2029}"] {
            assert!(!text.contains(bad), "{bad:?} in {text}");
        }
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }
}
