//! Where a `playwright test` command finds its config, and the wrapper
//! config `shardwright run` puts beside it.
//!
//! `run` starts the config's web servers once per machine and runs its
//! batches with `reuseExistingServer` on, so the Playwright processes find
//! the servers up instead of starting their own on the same port. Playwright
//! reads that from the config alone, and resolves every relative path of a
//! config (testDir, outputDir, globalSetup, webServer.cwd, reporters…)
//! against the config file's folder, so the wrapper lives in that folder: it
//! imports the user's config unchanged and hands it to
//! `js/run/wrap-config.js`, which turns reuse on (and, for the listing,
//! writes the servers and reporters down for the engine).

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

/// How the wrapper loads the user's config: as the user's config is loaded,
/// so a JavaScript config never makes Playwright load its TypeScript
/// transform (a second or more in every process) for the wrapper alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrapperKind {
    /// `.cjs`: `require`.
    CommonJs,
    /// `.mjs`: `import`.
    Module,
    /// `.ts`, `.mts`, `.cts`: `import`, transpiled as the user's config is.
    TypeScript(&'static str),
}

impl WrapperKind {
    pub fn of(config_file: &Path) -> WrapperKind {
        match config_file.extension().and_then(|e| e.to_str()) {
            Some("ts") => WrapperKind::TypeScript("ts"),
            Some("mts") => WrapperKind::TypeScript("mts"),
            Some("cts") => WrapperKind::TypeScript("cts"),
            Some("mjs") => WrapperKind::Module,
            Some("cjs") => WrapperKind::CommonJs,
            _ => {
                if config_file.parent().is_some_and(is_module_folder) {
                    WrapperKind::Module
                } else {
                    WrapperKind::CommonJs
                }
            }
        }
    }

    fn ext(self) -> &'static str {
        match self {
            WrapperKind::CommonJs => "cjs",
            WrapperKind::Module => "mjs",
            WrapperKind::TypeScript(ext) => ext,
        }
    }
}

/// The wrapper's file name for a machine (`tag`: letters, digits, `-`, `.`).
pub fn wrapper_name(config_file: &Path, tag: &str) -> String {
    let tag: String = tag
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        ".shardwright-run-{tag}.config.{}",
        WrapperKind::of(config_file).ext()
    )
}

/// Whether `name` is a wrapper [`wrapper_name`] wrote (to clean up after a
/// killed run).
pub fn is_wrapper_name(name: &str) -> bool {
    name.starts_with(".shardwright-run-")
        && ["ts", "mts", "cts", "mjs", "cjs"]
            .iter()
            .any(|e| name.ends_with(&format!(".config.{e}")))
}

/// The wrapper's source: the user's config through `adapt` (an absolute
/// path to js/run/wrap-config.js).
pub fn wrapper_source(config_file: &Path, adapt: &Path) -> String {
    let name = config_file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let dir = config_file
        .parent()
        .map(|d| d.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (user, adapt, dir) = (
        quote(&format!("./{name}")),
        quote(&adapt.to_string_lossy()),
        quote(&dir),
    );
    let head = "// Written by `shardwright run` for its Playwright processes on this machine; removed when the run ends.\n\
                // Your config, but for webServer.reuseExistingServer (the run starts your web servers once) and the reporters.\n";
    match WrapperKind::of(config_file) {
        WrapperKind::CommonJs => format!(
            "{head}const config = require({user});\n\
             const adapt = require({adapt});\n\
             module.exports = adapt(config && config.__esModule ? config.default : config, {dir});\n"
        ),
        _ => format!(
            "{head}import config from {user};\n\
             import adapt from {adapt};\n\
             export default adapt(config, {dir});\n"
        ),
    }
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

    #[test]
    fn the_wrapper_matches_the_module_type() {
        let dir = crate::test_dir::TestDir::new("wrap");
        let esm = dir.join("esm");
        std::fs::create_dir_all(esm.join("e2e")).unwrap();
        std::fs::write(dir.join("package.json"), r#"{"name":"x"}"#).unwrap();
        std::fs::write(esm.join("package.json"), r#"{"type":"module"}"#).unwrap();
        let p = |f: &str| dir.join(f);
        assert_eq!(
            wrapper_name(&p("playwright.config.ts"), "ci-1/2"),
            ".shardwright-run-ci-1_2.config.ts"
        );
        assert!(wrapper_name(&p("playwright.config.mjs"), "a").ends_with(".config.mjs"));
        assert!(wrapper_name(&p("playwright.config.mts"), "a").ends_with(".config.mts"));
        assert!(wrapper_name(&p("playwright.config.cjs"), "a").ends_with(".config.cjs"));
        assert!(wrapper_name(&p("playwright.config.js"), "a").ends_with(".config.cjs"));
        let in_esm = esm.join("e2e").join("playwright.config.js");
        assert!(
            wrapper_name(&in_esm, "a").ends_with(".config.mjs"),
            "type: module, found upwards"
        );
        assert!(is_wrapper_name(&wrapper_name(&p("x.mjs"), "h-1")));
        assert!(!is_wrapper_name("playwright.config.ts"));

        let src = wrapper_source(&p("playwright.config.ts"), Path::new("/sw/wrap-config.js"));
        assert!(src.contains("import config from \"./playwright.config.ts\";"));
        assert!(src.contains("import adapt from \"/sw/wrap-config.js\";"));
        assert!(src.contains(&format!(
            "export default adapt(config, {:?});",
            dir.to_string_lossy()
        )));
        let cjs = wrapper_source(&p("playwright.config.js"), Path::new("/sw/wrap-config.js"));
        assert!(cjs.contains("const config = require(\"./playwright.config.js\");"));
        assert!(cjs.contains(
            "module.exports = adapt(config && config.__esModule ? config.default : config,"
        ));
    }
}
