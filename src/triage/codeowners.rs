//! `CODEOWNERS` as GitHub reads it: one rule per line, a gitignore-style
//! pattern and its owners; the last rule that matches a path wins (a rule
//! without owners leaves the path unowned).
//!
//! Patterns: `#` starts a comment; `*` matches within one path segment,
//! `**` across segments, `?` one character; a leading `/` or a `/` inside
//! anchors the pattern at the repository root, otherwise it matches at any
//! depth; a trailing `/` matches a directory's contents only; a pattern that
//! names a directory owns everything below it. `!` negation and `[…]`
//! ranges, which GitHub does not support, make a rule that matches nothing
//! (and is reported).

use regex::Regex;

/// The file names GitHub looks for, in its order of precedence.
pub const LOCATIONS: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

#[derive(Debug, Clone)]
struct Rule {
    pattern: String,
    regex: Option<Regex>,
    owners: Vec<String>,
}

/// A parsed `CODEOWNERS` file.
#[derive(Debug, Clone, Default)]
pub struct CodeOwners {
    rules: Vec<Rule>,
    /// Lines that were skipped, with why (`line 3: …`).
    pub problems: Vec<String>,
}

/// The pattern as a regular expression over a `/`-separated path relative
/// to the repository root (no leading `/`).
fn compile(pattern: &str) -> Result<Regex, String> {
    if pattern.starts_with('!') {
        return Err("negation (`!`) is not supported by CODEOWNERS".into());
    }
    if pattern.contains('[') {
        return Err("character ranges (`[…]`) are not supported by CODEOWNERS".into());
    }
    let dir_only = pattern.ends_with('/') && pattern.len() > 1;
    let body = pattern.trim_end_matches('/');
    let anchored = body.starts_with('/') || body.contains('/');
    let body = body.trim_start_matches('/');
    let mut re = String::from(if anchored { "^" } else { "^(?:.*/)?" });
    let chars: Vec<char> = body.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '*' && chars.get(i + 1) == Some(&'*') {
            let at_start = i == 0 || chars[i - 1] == '/';
            let slash_after = chars.get(i + 2) == Some(&'/');
            if at_start && slash_after {
                re.push_str("(?:.*/)?");
                i += 3;
            } else {
                re.push_str(".*");
                i += 2;
            }
        } else if c == '*' {
            re.push_str("[^/]*");
            i += 1;
        } else if c == '?' {
            re.push_str("[^/]");
            i += 1;
        } else if c == '\\' && i + 1 < chars.len() {
            re.push_str(&regex::escape(&chars[i + 1].to_string()));
            i += 2;
        } else {
            re.push_str(&regex::escape(&c.to_string()));
            i += 1;
        }
    }
    re.push_str(if dir_only { "/.*$" } else { "(?:/.*)?$" });
    Regex::new(&re).map_err(|e| e.to_string())
}

impl CodeOwners {
    pub fn parse(text: &str) -> CodeOwners {
        let mut out = CodeOwners::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            // An inline comment ends the owners.
            let line = line.split(" #").next().unwrap_or(line);
            let mut parts = line.split_whitespace();
            let Some(pattern) = parts.next() else {
                continue;
            };
            let owners: Vec<String> = parts.map(str::to_string).collect();
            let regex = match compile(pattern) {
                Ok(r) => Some(r),
                Err(why) => {
                    out.problems
                        .push(format!("line {}: {pattern}: {why}", n + 1));
                    None
                }
            };
            out.rules.push(Rule {
                pattern: pattern.to_string(),
                regex,
                owners,
            });
        }
        out
    }

    /// The owners of `path` (relative to the repository root, `/`
    /// separators) and the pattern that gave them; `None` when no rule
    /// matches. An empty owner list: the last matching rule names nobody.
    pub fn owners(&self, path: &str) -> Option<(&[String], &str)> {
        let path = path.trim_start_matches("./").trim_start_matches('/');
        self.rules
            .iter()
            .rev()
            .find(|r| r.regex.as_ref().is_some_and(|re| re.is_match(path)))
            .map(|r| (r.owners.as_slice(), r.pattern.as_str()))
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owners_of(co: &CodeOwners, path: &str) -> Option<Vec<String>> {
        co.owners(path).map(|(o, _)| o.to_vec())
    }

    const FILE: &str = "\
# GitHub's example, abridged
*       @global-owner1 @global-owner2
*.js    @js-owner #This is an inline comment.
/build/logs/ @doctocat
docs/*  docs@example.com
apps/   @octocat
/docs/  @doctocat
/scripts/ @doctocat @octocat
**/logs @octocat
/apps/github
e2e/checkout/** @shop-team
e2e/*.spec.ts @e2e-team
";

    #[test]
    fn the_last_matching_pattern_wins() {
        let co = CodeOwners::parse(FILE);
        assert!(co.problems.is_empty(), "{:?}", co.problems);
        let v = |s: &[&str]| Some(s.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert_eq!(
            owners_of(&co, "README.md"),
            v(&["@global-owner1", "@global-owner2"])
        );
        assert_eq!(owners_of(&co, "src/x.js"), v(&["@js-owner"]));
        // `/build/logs/` matches, but `**/logs` comes later.
        assert_eq!(owners_of(&co, "build/logs/a.txt"), v(&["@octocat"]));
        assert_eq!(
            owners_of(&co, "build/x.txt"),
            v(&["@global-owner1", "@global-owner2"])
        );
        // `docs/*` is anchored (a slash inside); `/docs/` owns the whole tree
        // and comes later.
        assert_eq!(owners_of(&co, "docs/a.md"), v(&["@doctocat"]));
        assert_eq!(owners_of(&co, "docs/deep/a.md"), v(&["@doctocat"]));
        // `apps/` matches an apps directory at any depth.
        assert_eq!(owners_of(&co, "web/apps/x.ts"), v(&["@octocat"]));
        // …but `/apps/github` without owners leaves that tree unowned.
        assert_eq!(owners_of(&co, "apps/github/x.ts"), v(&[]));
        assert_eq!(owners_of(&co, "deep/er/logs/x"), v(&["@octocat"]));
        assert_eq!(
            owners_of(&co, "e2e/checkout/pay/card.spec.ts"),
            v(&["@shop-team"])
        );
        assert_eq!(owners_of(&co, "e2e/cart.spec.ts"), v(&["@e2e-team"]));
        // `*` does not cross a slash.
        assert_eq!(
            owners_of(&co, "e2e/sub/cart.spec.ts"),
            v(&["@global-owner1", "@global-owner2"])
        );
    }

    #[test]
    fn no_rule_no_owner_and_unsupported_syntax_is_reported() {
        let co = CodeOwners::parse("tests/*.ts @qa\n!tests/x.ts @nobody\n[ab].ts @x\n");
        assert_eq!(owners_of(&co, "src/a.ts"), None);
        assert_eq!(owners_of(&co, "tests/x.ts"), Some(vec!["@qa".to_string()]));
        assert_eq!(co.problems.len(), 2, "{:?}", co.problems);
        assert!(
            co.problems[0].starts_with("line 2: !tests/x.ts"),
            "{:?}",
            co.problems
        );
        // A bare name matches a file or a directory anywhere.
        let co = CodeOwners::parse("checkout.spec.ts @shop\nfixtures @qa\n");
        assert_eq!(
            owners_of(&co, "e2e/checkout.spec.ts"),
            Some(vec!["@shop".to_string()])
        );
        assert_eq!(
            owners_of(&co, "e2e/fixtures/data.json"),
            Some(vec!["@qa".to_string()])
        );
        assert_eq!(owners_of(&co, "e2e/fixtures.ts"), None);
    }
}
