//! The one stable identity of a test.
//!
//! Playwright's `test.id` is run-local. History, shard plans and flaky
//! verdicts need an id that every source — the reporter, a Playwright JSON
//! report, a JUnit XML file, `--list` output — produces alike for the same
//! test: the project name, the test file relative to the config's `rootDir`
//! (its top-level `testDir`) with `/` separators — Playwright's file-suite
//! title, which a project's own `testDir` does not change — and the title
//! path below the file (describe titles, then the test title).

use std::fmt;

/// Joins the parts of a key, as Playwright joins a title path for display.
pub const SEPARATOR: &str = " › ";

#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct TestId {
    pub project: String,
    pub file: String,
    pub title_path: Vec<String>,
}

impl TestId {
    pub fn new(project: impl Into<String>, file: &str, title_path: Vec<String>) -> Self {
        TestId {
            project: project.into(),
            file: normalize_file(file),
            title_path,
        }
    }

    /// The canonical string form, used as the key in histories and plans:
    /// `project › file › describe › title` (without the project part when the
    /// config has no named project).
    pub fn key(&self) -> String {
        let mut key = String::new();
        if !self.project.is_empty() {
            key.push_str(&self.project);
            key.push_str(SEPARATOR);
        }
        key.push_str(&self.file);
        for title in &self.title_path {
            key.push_str(SEPARATOR);
            key.push_str(title);
        }
        key
    }

    /// One line of a Playwright `--test-list` file: `[project] › file ›
    /// titles` (the file relative to the config's `rootDir`, as in the key).
    pub fn test_list_line(&self) -> String {
        let mut line = String::new();
        if !self.project.is_empty() {
            line.push_str(&format!("[{}]{SEPARATOR}", self.project));
        }
        line.push_str(&self.file);
        for title in &self.title_path {
            line.push_str(SEPARATOR);
            line.push_str(title);
        }
        line
    }
}

impl TestId {
    /// Why this test cannot be selected exactly by a `--test-list` line, or
    /// `None` when [`TestId::test_list_line`] selects it. Playwright 1.65's
    /// parser (`loadTestList`) splits the file into lines, trims each, skips
    /// empty lines and lines starting with `#`, splits a line on `›`, trims
    /// every part, takes a first part in `[…]` as the project and strips a
    /// `:line:col` suffix from the file; a test is selected when its title
    /// path starts with the line's.
    pub fn test_list_problem(&self) -> Option<String> {
        // JS's trim() also removes a byte-order mark, which Rust's does not.
        let untrimmed =
            |p: &str| p.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}') != p;
        let parts = std::iter::once(("the file", &self.file))
            .chain(self.title_path.iter().map(|t| ("a title", t)));
        for (what, part) in parts {
            if part.contains('›') {
                return Some(format!(
                    "{what} holds `›`: {}",
                    serde_json::Value::from(part.as_str())
                ));
            }
            if part.contains('\n') || part.contains('\r') {
                return Some(format!(
                    "{what} holds a line break: {}",
                    serde_json::Value::from(part.as_str())
                ));
            }
            if part.is_empty() {
                return Some(format!("{what} is empty"));
            }
            if untrimmed(part.as_str()) {
                return Some(format!(
                    "{what} starts or ends with white space: {}",
                    serde_json::Value::from(part.as_str())
                ));
            }
        }
        if self.project.contains('›') || self.project.contains('\n') || self.project.contains('\r')
        {
            return Some(format!(
                "the project name holds `›` or a line break: {}",
                serde_json::Value::from(self.project.as_str())
            ));
        }
        if self.project.is_empty() && (self.file.starts_with('[') || self.file.starts_with('#')) {
            return Some(format!(
                "the file starts with `{}` and the test has no project: {}",
                &self.file[..1],
                serde_json::Value::from(self.file.as_str())
            ));
        }
        if location_suffix(&self.file) {
            return Some(format!(
                "the file ends like a `:line` location: {}",
                serde_json::Value::from(self.file.as_str())
            ));
        }
        None
    }
}

/// Whether Playwright's `parseLocationArg` (`/^(.*?):(\d+):?(\d+)?$/`)
/// would cut a suffix off `file`.
fn location_suffix(file: &str) -> bool {
    file.match_indices(':').any(|(i, _)| {
        let rest = &file[i + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        let rest = &rest[digits..];
        let rest = rest.strip_prefix(':').unwrap_or(rest);
        rest.bytes().all(|b| b.is_ascii_digit())
    })
}

impl fmt::Display for TestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// The key of one repeat of a test (`--repeat-each`): repeats need distinct
/// keys in a plan; the first keeps the plain key.
pub fn repeat_key(key: String, repeat: u32) -> String {
    if repeat == 0 {
        key
    } else {
        format!("{key} (repeat {repeat})")
    }
}

/// `/` separators, no leading `./`, no trailing `:line:col`.
pub fn normalize_file(file: &str) -> String {
    let mut f = file.replace('\\', "/");
    while let Some(rest) = f.strip_prefix("./") {
        f = rest.to_string();
    }
    // "tests/a.spec.ts:12:3" → "tests/a.spec.ts" (locations in --list output).
    while let Some((head, tail)) = f.rsplit_once(':') {
        if !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) {
            f = head.to_string();
        } else {
            break;
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_joins_project_file_and_titles() {
        let id = TestId::new(
            "chromium",
            ".\\tests\\shop.spec.ts",
            vec!["search".into(), "shows results".into()],
        );
        assert_eq!(id.file, "tests/shop.spec.ts");
        assert_eq!(
            id.key(),
            "chromium › tests/shop.spec.ts › search › shows results"
        );
        let unnamed = TestId::new("", "a.spec.ts", vec!["t".into()]);
        assert_eq!(unnamed.key(), "a.spec.ts › t");
    }

    #[test]
    fn test_list_lines_name_the_project_in_brackets() {
        let id = TestId::new(
            "chromium",
            "e2e\\shop.spec.ts",
            vec!["search".into(), "t".into()],
        );
        assert_eq!(
            id.test_list_line(),
            "[chromium] › e2e/shop.spec.ts › search › t"
        );
        assert_eq!(
            TestId::new("", "a.spec.ts", vec!["t".into()]).test_list_line(),
            "a.spec.ts › t"
        );
    }

    #[test]
    fn file_locations_are_stripped() {
        assert_eq!(normalize_file("tests/a.spec.ts:12:3"), "tests/a.spec.ts");
        assert_eq!(normalize_file("C:/x/a.spec.ts"), "C:/x/a.spec.ts");
    }

    #[test]
    fn test_list_problems_follow_playwrights_parser() {
        let ok = TestId::new(
            "chromium",
            "tests/a.spec.ts",
            vec!["d".into(), "a > b".into()],
        );
        assert_eq!(ok.test_list_problem(), None);
        let cases = [
            TestId::new("p", "a.spec.ts", vec!["x › y".into()]),
            TestId::new("p", "a.spec.ts", vec![" padded".into()]),
            TestId::new("p", "a.spec.ts", vec!["two\nlines".into()]),
            TestId::new("p", "a.spec.ts", vec!["".into()]),
            TestId::new("p", "a.spec.ts", vec!["bom\u{feff}".into()]),
            TestId::new("", "[x].spec.ts", vec!["t".into()]),
            TestId::new("", "#a.spec.ts", vec!["t".into()]),
            TestId::new("p", "a.spec.ts:12:", vec!["t".into()]),
            TestId::new("p › q", "a.spec.ts", vec!["t".into()]),
        ];
        for id in cases {
            assert!(id.test_list_problem().is_some(), "{id}");
        }
        // A project in brackets makes a leading `[` or `#` in the file harmless.
        assert_eq!(
            TestId::new("p", "#a.spec.ts", vec!["t".into()]).test_list_problem(),
            None
        );
        assert_eq!(
            TestId::new("p", "a:b.spec.ts", vec!["t".into()]).test_list_problem(),
            None
        );
    }
}
