//! Credentials out of Redis URLs, in every form a user may type them: the
//! userinfo (`redis://:pw@host`, `redis://user:pw@host`, a password with an
//! unencoded `/`, `?` or `@`), query parameters (`?password=pw`), fragments,
//! and URLs that do not parse at all (`redis:/:pw@host`), which are never
//! echoed. `redact` is what messages show; `scrub` removes the secrets of a
//! URL from any text (a message from a library, an error) as a last guard.

/// The shown form of a URL that is not `scheme://…`.
const UNPARSABLE: &str = "(unparsable URL)";

/// A URL split for redaction. The userinfo is everything between `://` and
/// the last `@` (a password may hold an unencoded `/` or `@`); when that
/// holds a `?` or `#` too, where the query or the password begins cannot be
/// told, and all after `://` is `opaque` (masked whole).
struct Parts<'a> {
    scheme: &'a str,
    /// After `://`.
    rest: &'a str,
    opaque: bool,
    userinfo: Option<&'a str>,
    /// host, port and path: up to the first `?` or `#` after the userinfo.
    location: &'a str,
    query: Option<&'a str>,
    fragment: Option<&'a str>,
}

fn parts(url: &str) -> Option<Parts<'_>> {
    let (scheme, rest) = url.split_once("://")?;
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) {
        return None;
    }
    let (userinfo, after) = match rest.rfind('@') {
        Some(i) => (Some(&rest[..i]), &rest[i + 1..]),
        None => (None, rest),
    };
    let (before_fragment, fragment) = match after.split_once('#') {
        Some((a, f)) => (a, Some(f)),
        None => (after, None),
    };
    let (location, query) = match before_fragment.split_once('?') {
        Some((l, q)) => (l, Some(q)),
        None => (before_fragment, None),
    };
    Some(Parts {
        scheme,
        rest,
        opaque: userinfo.is_some_and(|u| u.contains(['?', '#'])),
        userinfo,
        location,
        query,
        fragment,
    })
}

/// The URL with every credential replaced by `***`, safe to print and log:
/// the password of the userinfo (a username alone is masked too), the value
/// of every query parameter, any fragment but `#insecure`. A URL that is not
/// `scheme://…` is never echoed: it shows as `(unparsable URL)`.
pub fn redact(url: &str) -> String {
    let Some(p) = parts(url) else {
        return UNPARSABLE.to_string();
    };
    let mut out = format!("{}://", p.scheme);
    if p.opaque {
        out.push_str("***");
        return out;
    }
    if let Some(userinfo) = p.userinfo {
        match userinfo.split_once(':') {
            Some((user, _)) if !user.is_empty() => {
                out.push_str(user);
                out.push_str(":***@");
            }
            _ if userinfo.is_empty() => out.push('@'),
            _ => out.push_str("***@"),
        }
    }
    out.push_str(p.location);
    if let Some(query) = p.query {
        out.push('?');
        let masked: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) => format!("{k}=***"),
                // A bare word may be a secret itself (`?s3cret`).
                None if pair.is_empty() => String::new(),
                None => "***".to_string(),
            })
            .collect();
        out.push_str(&masked.join("&"));
    }
    if let Some(fragment) = p.fragment {
        out.push('#');
        out.push_str(if fragment == "insecure" {
            "insecure"
        } else {
            "***"
        });
    }
    out
}

/// `%XX` sequences decoded (lossily), as a library would read them.
fn percent_decoded(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The parts of `url` that `redact` masks, as typed and percent-decoded,
/// longest first; for a URL that does not parse, the whole of it and what
/// follows its first `:` (where a mistyped scheme leaves the password).
fn secrets(url: &str) -> Vec<String> {
    let mut found: Vec<String> = vec![url.to_string()];
    match parts(url) {
        Some(p) => {
            if p.opaque {
                found.push(p.rest.to_string());
                for piece in p
                    .rest
                    .split(['?', '&', '#'])
                    .chain(p.rest.split(['?', '&', '#', '@']))
                {
                    found.push(piece.split_once('=').map_or(piece, |(_, v)| v).to_string());
                }
            }
            if let Some(userinfo) = p.userinfo {
                found.push(userinfo.to_string());
                match userinfo.split_once(':') {
                    Some((user, password)) if !user.is_empty() => found.push(password.to_string()),
                    Some((_, password)) => found.push(password.to_string()),
                    None => {}
                }
            }
            if let Some(query) = p.query {
                found.push(query.to_string());
                for pair in query.split('&') {
                    found.push(pair.split_once('=').map_or(pair, |(_, v)| v).to_string());
                }
            }
            if let Some(fragment) = p.fragment.filter(|f| *f != "insecure") {
                found.push(fragment.to_string());
            }
        }
        None => {
            if let Some((_, rest)) = url.split_once(':') {
                found.push(rest.to_string());
                if let Some((userinfo, _)) = rest.rsplit_once('@') {
                    let userinfo = userinfo.trim_start_matches('/');
                    found.push(userinfo.to_string());
                    if let Some((_, password)) = userinfo.split_once(':') {
                        found.push(password.to_string());
                    }
                }
            }
        }
    }
    let decoded: Vec<String> = found.iter().map(|s| percent_decoded(s)).collect();
    found.extend(decoded);
    // Too short to be told from ordinary text ("a", "0"): replacing them would
    // garble every message without hiding anything worth hiding.
    found.retain(|s| s.chars().count() >= 3);
    found.sort_by_key(|s| std::cmp::Reverse(s.len()));
    found.dedup();
    found
}

/// `text` with every secret of `url` (see `redact`) replaced by `***`.
pub fn scrub(text: &str, url: &str) -> String {
    let mut out = text.to_string();
    for secret in secrets(url) {
        if out.contains(&secret) {
            out = out.replace(&secret, "***");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PW: &str = "pa/ss?w#rd@1";
    const ENC: &str = "pa%2Fss%3Fw%23rd%401";

    /// Every form a password may be typed in: (URL, the password as typed
    /// in it, a part of it that must never show).
    fn forms() -> Vec<(String, &'static str, &'static str)> {
        vec![
            (format!("redis://:{PW}@127.0.0.1:6379/0"), PW, "pa/ss"),
            (format!("redis://:{ENC}@127.0.0.1:6379/0"), ENC, ENC),
            (format!("rediss://ci:{PW}@cache:6380"), PW, "pa/ss"),
            (
                "redis://:pa/ss@1@127.0.0.1:6379".to_string(),
                "pa/ss@1",
                "pa/ss",
            ),
            (format!("redis:/:{PW}@127.0.0.1:6379"), PW, "pa/ss"),
            (format!("redis//:{PW}@127.0.0.1:6379"), PW, "pa/ss"),
            (format!("redis:{PW}@127.0.0.1"), PW, "pa/ss"),
            (format!(":{PW}@127.0.0.1:6379"), PW, "pa/ss"),
            (
                "redis://127.0.0.1:6379/0?password=hunter22".to_string(),
                "hunter22",
                "hunter22",
            ),
            (
                "redis://127.0.0.1:6379/0?protocol=3&pass=hunter22".to_string(),
                "hunter22",
                "hunter22",
            ),
            (
                "redis://127.0.0.1:6379/0?hunter22".to_string(),
                "hunter22",
                "hunter22",
            ),
            (
                "redis://127.0.0.1:6379/0#hunter22".to_string(),
                "hunter22",
                "hunter22",
            ),
            (
                "redis://host/0?password=p@ss:word".to_string(),
                "p@ss:word",
                "ss:word",
            ),
            ("redis://a:p@ss@host/0".to_string(), "p@ss", "p@ss"),
            (
                "redis+unix:///tmp/r.sock?pass=hunter22".to_string(),
                "hunter22",
                "hunter22",
            ),
            (
                "red is://:hunter22@host".to_string(),
                "hunter22",
                "hunter22",
            ),
        ]
    }

    #[test]
    fn no_form_of_a_password_shows() {
        for (url, password, part) in forms() {
            let shown = redact(&url);
            assert!(!shown.contains(part), "{url} → {shown}");
            // A library's message that quotes the URL or the password (as
            // typed or decoded) loses it.
            let message = format!(
                "failed for {url}: {password} / {}",
                percent_decoded(password)
            );
            let scrubbed = scrub(&message, &url);
            assert!(!scrubbed.contains(part), "{message} → {scrubbed}");
        }
    }

    #[test]
    fn what_is_not_secret_stays() {
        assert_eq!(
            redact("redis://:s3cret@127.0.0.1:6379/0"),
            "redis://***@127.0.0.1:6379/0"
        );
        assert_eq!(
            redact("rediss://ci:s3cret@cache.internal:6380"),
            "rediss://ci:***@cache.internal:6380"
        );
        assert_eq!(
            redact("redis://127.0.0.1:6379/2"),
            "redis://127.0.0.1:6379/2"
        );
        assert_eq!(redact("redis://user@host/0"), "redis://***@host/0");
        // An unencoded / or @ in the password: the host is still shown.
        assert_eq!(
            redact("redis://:pa/ss@1@127.0.0.1:6379/0"),
            "redis://***@127.0.0.1:6379/0"
        );
        assert_eq!(
            redact("redis://h:1/0?password=x&protocol=3"),
            "redis://h:1/0?password=***&protocol=***"
        );
        assert_eq!(redact("rediss://h:1#insecure"), "rediss://h:1#insecure");
        assert_eq!(redact("redis:/:pw@host"), UNPARSABLE);
        // Where a query or a password begins cannot be told: all masked.
        assert_eq!(redact("redis://host/0?password=p@ss:word"), "redis://***");
        assert_eq!(redact("redis://:pa?ss@host:1/0"), "redis://***");
        assert_eq!(redact(""), UNPARSABLE);
        // Ordinary words of a message survive a short password.
        assert_eq!(
            scrub("failed to connect to 127.0.0.1", "redis://:pw@127.0.0.1"),
            "failed to connect to 127.0.0.1"
        );
    }
}
