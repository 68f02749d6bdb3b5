//! Where a `playwright test` command finds its config, as Playwright looks
//! for it (the wrapper `shardwright run` puts beside it: [`super::wrapper`]).

use std::path::{Path, PathBuf};

/// The names Playwright tries in a folder, in its order.
pub const CONFIG_NAMES: [&str; 6] = [
    "playwright.config.ts",
    "playwright.config.js",
    "playwright.config.mts",
    "playwright.config.mjs",
    "playwright.config.cts",
    "playwright.config.cjs",
];

/// A command's config: `-c`/`--config` (a file, or a folder holding one of
/// [`CONFIG_NAMES`]) or the working directory's.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigLocation {
    pub file: PathBuf,
    pub dir: PathBuf,
    /// The command's arguments without its `-c`/`--config`.
    pub args: Vec<String>,
}

fn in_folder(dir: &Path) -> Option<PathBuf> {
    CONFIG_NAMES
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}

/// Finds the config of `args` (the command's arguments after the program)
/// run in `cwd`, as Playwright's `resolveConfigLocation` does. `None`: no
/// config file (Playwright runs with defaults, so no web server either).
pub fn locate(cwd: &Path, args: &[String]) -> Option<ConfigLocation> {
    let mut given = None;
    let mut rest = Vec::with_capacity(args.len());
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "-c" || a == "--config" {
            given = args.get(i + 1).cloned();
            i += 2;
            continue;
        }
        if let Some(v) = a
            .strip_prefix("--config=")
            .or_else(|| a.strip_prefix("-c="))
        {
            given = Some(v.to_string());
            i += 1;
            continue;
        }
        rest.push(a.clone());
        i += 1;
    }
    let file = match given {
        Some(g) => {
            let p = cwd.join(g);
            if p.is_dir() {
                in_folder(&p)?
            } else if p.is_file() {
                p
            } else {
                return None;
            }
        }
        None => in_folder(cwd)?,
    };
    let dir = file.parent()?.to_path_buf();
    Some(ConfigLocation {
        file,
        dir,
        args: rest,
    })
}

/// Whether `.js` files in `dir` are ES modules: the nearest package.json's
/// `"type": "module"`.
pub fn is_module_folder(dir: &Path) -> bool {
    for d in dir.ancestors() {
        let Ok(text) = std::fs::read_to_string(d.join("package.json")) else {
            continue;
        };
        return serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| {
                v.get("type")
                    .and_then(|t| t.as_str())
                    .map(|t| t == "module")
            })
            .unwrap_or(false);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn finds_the_config_as_playwright_does() {
        let dir = crate::test_dir::TestDir::new("config");
        let sub = dir.join("e2e");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(dir.join("playwright.config.js"), "").unwrap();
        std::fs::write(dir.join("playwright.config.ts"), "").unwrap();
        std::fs::write(sub.join("pw.config.mjs"), "").unwrap();
        std::fs::write(sub.join("playwright.config.cjs"), "").unwrap();

        let l = locate(&dir, &args(&["--project", "a"])).unwrap();
        assert_eq!(l.file, dir.join("playwright.config.ts"), ".ts first");
        assert_eq!(l.args, args(&["--project", "a"]));
        let l = locate(&dir, &args(&["-c", "e2e/pw.config.mjs", "x.spec.ts"])).unwrap();
        assert_eq!(l.file, sub.join("pw.config.mjs"));
        assert_eq!(l.dir, sub);
        assert_eq!(l.args, args(&["x.spec.ts"]));
        let l = locate(&dir, &args(&["--config=e2e"])).unwrap();
        assert_eq!(l.file, sub.join("playwright.config.cjs"));
        assert!(locate(&dir, &args(&["-c", "missing.ts"])).is_none());
        assert!(locate(&dir.join("nowhere"), &[]).is_none());
    }
}
