//! The wrapper config `shardwright run` puts beside the user's config, and
//! the lease several run processes of one machine share it by.
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
//!
//! Its name is the same for every run of one host, install and config
//! (`.shardwright-run-<host>-<hash of its source>.config.<ext>`): Playwright
//! keeps a compiled file in its transform cache by path and content, so a
//! name of its own per run would miss that cache in every run (the main
//! Playwright process loads its Babel to compile the wrapper before it lists
//! the suite) and leave one entry per run behind. Several run processes in
//! one folder (queue mode's machines on one host, CI jobs sharing a
//! workspace) therefore share the file, through a [`WrapperLease`] each:
//! a shared lock on the file for as long as the run's Playwright processes
//! may load it (flock / LockFileEx via `fs4`, released by the OS when a
//! process dies). Writing it and removing it take the exclusive lock, which
//! only a file no run holds grants: the last run to end removes it, and a
//! file a killed run left is removed by the next run that finds it unused.

use std::path::{Path, PathBuf};
#[cfg(not(target_family = "wasm"))]
use std::{
    fs::{self, File, OpenOptions},
    io::{Read, Seek, SeekFrom, Write},
    time::{Duration, Instant},
};

use super::config::{is_module_folder, ConfigLocation};
use crate::error::{Error, Result};

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

/// The wrapper for one config on one host.
#[derive(Debug, Clone, PartialEq)]
pub struct Wrapper {
    /// Beside the user's config.
    pub path: PathBuf,
    pub source: String,
    /// The host's part of the name (letters, digits, `-`, `.`).
    host: String,
}

impl Wrapper {
    /// The wrapper of `config` for runs on `host`, loading the user's config
    /// through `adapt` (an absolute path to js/run/wrap-config.js).
    pub fn new(config: &ConfigLocation, host: &str, adapt: &Path) -> Wrapper {
        let host: String = host
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let source = wrapper_source(&config.file, adapt);
        let name = host_wrapper_name(
            &host,
            xxhash_rust::xxh3::xxh3_64(source.as_bytes()),
            WrapperKind::of(&config.file).ext(),
        );
        Wrapper {
            path: config.dir.join(name),
            source,
            host,
        }
    }

    /// Removes this host's wrappers in the folder that no run holds (left
    /// by a killed run), then takes a share of this one, writing it when no
    /// run has. Waits at most [`ACQUIRE_TIMEOUT`] for another run writing or
    /// removing it.
    #[cfg(not(target_family = "wasm"))]
    pub fn lease(&self) -> Result<WrapperLease> {
        if let Some(dir) = self.path.parent() {
            remove_unused(dir, &self.host);
        }
        WrapperLease::acquire(&self.path, &self.source)
    }

    #[cfg(target_family = "wasm")]
    pub fn lease(&self) -> Result<WrapperLease> {
        Err(Error::unsupported("`shardwright run`"))
    }
}

/// The extensions a wrapper has (its config's module kind).
const WRAPPER_EXTS: [&str; 5] = ["ts", "mts", "cts", "mjs", "cjs"];

fn host_prefix(host: &str) -> String {
    format!(".shardwright-run-{host}-")
}

/// Host `host`'s wrapper of a source hashed `hash`:
/// `.shardwright-run-<host>-<the hash's high 32 bits, 8 hex digits>.config.<ext>`.
/// [`is_host_wrapper`] reads it back.
fn host_wrapper_name(host: &str, hash: u64, ext: &str) -> String {
    format!("{}{:08x}.config.{ext}", host_prefix(host), hash >> 32)
}

/// Whether `name` is one of `host`'s wrappers ([`host_wrapper_name`]'s
/// form), and not another host's whose name starts with this one's (`ci`
/// and `ci-2`).
#[cfg_attr(target_family = "wasm", allow(dead_code))]
fn is_host_wrapper(name: &str, host: &str) -> bool {
    name.strip_prefix(&host_prefix(host))
        .and_then(|rest| rest.split_at_checked(8))
        .is_some_and(|(hash, rest)| {
            hash.bytes().all(|b| b.is_ascii_hexdigit())
                && rest
                    .strip_prefix(".config.")
                    .is_some_and(|ext| WRAPPER_EXTS.contains(&ext))
        })
}

/// How long [`Wrapper::lease`] waits while other runs write or remove the
/// file (each holds it for a few system calls).
#[cfg(not(target_family = "wasm"))]
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// A run's share of the wrapper file: while it is held, no other run
/// removes or rewrites the file. [`WrapperLease::release`] (or dropping it)
/// ends it, and removes the file when no other run holds a share.
#[derive(Debug)]
pub struct WrapperLease {
    #[cfg(not(target_family = "wasm"))]
    file: File,
    path: PathBuf,
    released: bool,
}

#[cfg(not(target_family = "wasm"))]
impl WrapperLease {
    fn acquire(path: &Path, source: &str) -> Result<WrapperLease> {
        use fs4::TryLockError;
        let started = Instant::now();
        let mut pause = Duration::from_millis(1);
        let lock_error = |e| Error::io("lock the run wrapper", path, e);
        loop {
            if started.elapsed() > ACQUIRE_TIMEOUT {
                return Err(lock_error(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!(
                        "other runs kept it locked, or its content changed, for over {} s",
                        ACQUIRE_TIMEOUT.as_secs()
                    ),
                )));
            }
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)
                .map_err(|e| Error::io("open the run wrapper", path, e))?;
            match fs4::FileExt::try_lock_shared(&file) {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                    continue;
                }
                Err(TryLockError::Error(e)) => return Err(lock_error(e)),
            }
            // Removed by its last run meanwhile: open the new one.
            if !crate::file_lock::same_file(&file, path) {
                continue;
            }
            if holds(&mut file, source) {
                return Ok(WrapperLease {
                    file,
                    path: path.to_path_buf(),
                    released: false,
                });
            }
            // New (empty), or cut short by a killed writer: written under
            // the exclusive lock, which no run holding a share allows, then
            // read back under a share.
            let _ = fs4::FileExt::unlock(&file);
            match fs4::FileExt::try_lock(&file) {
                Ok(()) if crate::file_lock::same_file(&file, path) => {
                    write(&mut file, source)
                        .map_err(|e| Error::io("write the run wrapper", path, e))?;
                }
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => std::thread::sleep(pause),
                Err(TryLockError::Error(e)) => return Err(lock_error(e)),
            }
        }
    }

    /// Ends the share; `true` when this was the last one and the file was
    /// removed.
    pub fn release(mut self) -> bool {
        self.end()
    }

    fn end(&mut self) -> bool {
        if std::mem::replace(&mut self.released, true) {
            return false;
        }
        let _ = fs4::FileExt::unlock(&self.file);
        let last = fs4::FileExt::try_lock(&self.file).is_ok()
            && crate::file_lock::same_file(&self.file, &self.path)
            && fs::remove_file(&self.path).is_ok();
        let _ = fs4::FileExt::unlock(&self.file);
        last
    }
}

#[cfg(target_family = "wasm")]
impl WrapperLease {
    pub fn release(mut self) -> bool {
        self.end()
    }

    fn end(&mut self) -> bool {
        let _ = (&self.path, self.released);
        false
    }
}

impl Drop for WrapperLease {
    fn drop(&mut self) {
        self.end();
    }
}

/// Whether the open file's content is exactly `source` (read at most one
/// byte more than it).
#[cfg(not(target_family = "wasm"))]
fn holds(file: &mut File, source: &str) -> bool {
    let mut text = Vec::with_capacity(source.len() + 1);
    file.seek(SeekFrom::Start(0)).is_ok()
        && Read::by_ref(file)
            .take(source.len() as u64 + 1)
            .read_to_end(&mut text)
            .is_ok()
        && text == source.as_bytes()
}

#[cfg(not(target_family = "wasm"))]
fn write(file: &mut File, source: &str) -> std::io::Result<()> {
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(source.as_bytes())?;
    file.sync_data()
}

/// Removes host `host`'s wrappers in `dir` that no run holds.
#[cfg(not(target_family = "wasm"))]
fn remove_unused(dir: &Path, host: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !is_host_wrapper(&name, host) {
            continue;
        }
        let path = entry.path();
        let Ok(file) = OpenOptions::new().read(true).write(true).open(&path) else {
            continue;
        };
        if fs4::FileExt::try_lock(&file).is_ok() && crate::file_lock::same_file(&file, &path) {
            let _ = fs::remove_file(&path);
        }
        let _ = fs4::FileExt::unlock(&file);
    }
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
    let head = "// Written by `shardwright run` for its Playwright processes on this machine; removed when the last run using it ends.\n\
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

    fn at(file: PathBuf) -> ConfigLocation {
        ConfigLocation {
            dir: file.parent().unwrap().to_path_buf(),
            file,
            args: vec![],
        }
    }

    /// Host `h`'s wrapper of `dir/playwright.config.ts`.
    fn host_h_wrapper(dir: &Path) -> Wrapper {
        Wrapper::new(
            &at(dir.join("playwright.config.ts")),
            "h",
            Path::new("/sw/a.js"),
        )
    }

    fn name(w: &Wrapper) -> String {
        w.path.file_name().unwrap().to_string_lossy().into_owned()
    }

    #[test]
    fn the_wrapper_matches_the_module_type() {
        let dir = crate::test_dir::TestDir::new("wrap");
        let esm = dir.join("esm");
        std::fs::create_dir_all(esm.join("e2e")).unwrap();
        std::fs::write(dir.join("package.json"), r#"{"name":"x"}"#).unwrap();
        std::fs::write(esm.join("package.json"), r#"{"type":"module"}"#).unwrap();
        let adapt = Path::new("/sw/wrap-config.js");
        let w = |f: &str| Wrapper::new(&at(dir.join(f)), "a", adapt);
        assert!(name(&w("playwright.config.mjs")).ends_with(".config.mjs"));
        assert!(name(&w("playwright.config.mts")).ends_with(".config.mts"));
        assert!(name(&w("playwright.config.cjs")).ends_with(".config.cjs"));
        assert!(name(&w("playwright.config.js")).ends_with(".config.cjs"));
        let in_esm = esm.join("e2e").join("playwright.config.js");
        assert!(
            name(&Wrapper::new(&at(in_esm), "a", adapt)).ends_with(".config.mjs"),
            "type: module, found upwards"
        );
        assert!(is_host_wrapper(&name(&w("x.mjs")), "a"));
        assert!(!is_host_wrapper(&name(&w("x.mjs")), "a-2"));
        assert!(!is_host_wrapper("playwright.config.ts", "a"));
        assert!(!is_host_wrapper(
            ".shardwright-run-a-0123abcd.config.js",
            "a"
        ));
        assert!(!is_host_wrapper(
            ".shardwright-run-a-0123abc.config.ts",
            "a"
        ));

        let ts = w("playwright.config.ts");
        let src = &ts.source;
        assert!(src.contains("import config from \"./playwright.config.ts\";"));
        assert!(src.contains("import adapt from \"/sw/wrap-config.js\";"));
        assert!(src.contains(&format!(
            "export default adapt(config, {:?});",
            dir.to_string_lossy()
        )));
        let cjs = &w("playwright.config.js").source;
        assert!(cjs.contains("const config = require(\"./playwright.config.js\");"));
        assert!(cjs.contains(
            "module.exports = adapt(config && config.__esModule ? config.default : config,"
        ));
    }

    #[test]
    fn one_name_per_host_install_and_config() {
        let dir = crate::test_dir::TestDir::new("wrap-name");
        let config = at(dir.join("playwright.config.ts"));
        let adapt = Path::new("/sw/wrap-config.js");
        let w = Wrapper::new(&config, "ci-1/2", adapt);
        let n = name(&w);
        let hash = n
            .strip_prefix(".shardwright-run-ci-1_2-")
            .and_then(|r| r.strip_suffix(".config.ts"))
            .unwrap_or_else(|| panic!("{n}"));
        assert!(
            hash.len() == 8 && hash.chars().all(|c| c.is_ascii_hexdigit()),
            "{n}"
        );
        assert_eq!(w.path, dir.join(&n), "beside the config");
        // Every run of this host, install and config: one path (Playwright's
        // transform cache keeps it compiled).
        assert_eq!(Wrapper::new(&config, "ci-1/2", adapt), w);
        assert_ne!(Wrapper::new(&config, "ci-2", adapt).path, w.path);
        let other_install = Wrapper::new(&config, "ci-1/2", Path::new("/other/wrap-config.js"));
        assert_ne!(other_install.path, w.path);
        let other_config = Wrapper::new(&at(dir.join("pw.config.ts")), "ci-1/2", adapt);
        assert_ne!(other_config.path, w.path);
    }

    #[cfg(not(target_family = "wasm"))]
    #[test]
    fn runs_share_the_wrapper_and_the_last_one_removes_it() {
        let dir = crate::test_dir::TestDir::new("wrap-lease");
        let w = host_h_wrapper(&dir);
        let a = w.lease().unwrap();
        assert_eq!(fs::read_to_string(&w.path).unwrap(), w.source);
        let b = w.lease().unwrap();
        assert!(!a.release(), "b still holds it");
        assert_eq!(fs::read_to_string(&w.path).unwrap(), w.source);
        let c = w.lease().unwrap();
        assert!(!b.release());
        assert!(c.release(), "the last run removes it");
        assert!(!w.path.exists());
        // Dropped (a JS object collected) is released too.
        drop(w.lease().unwrap());
        assert!(!w.path.exists());
    }

    #[cfg(not(target_family = "wasm"))]
    #[test]
    fn what_killed_runs_left_is_repaired_or_removed() {
        let dir = crate::test_dir::TestDir::new("wrap-left");
        let config = at(dir.join("playwright.config.ts"));
        let w = Wrapper::new(&config, "h", Path::new("/sw/a.js"));
        // A writer killed half-way: the next run writes it whole.
        fs::write(&w.path, &w.source[..10]).unwrap();
        // Another install's wrapper on this host, left by a killed run; one
        // that a live run holds; another host's.
        let left = Wrapper::new(&config, "h", Path::new("/sw/b.js"));
        fs::write(&left.path, &left.source).unwrap();
        let live = Wrapper::new(&config, "h", Path::new("/sw/c.js"));
        let held = live.lease().unwrap();
        let other_host = Wrapper::new(&config, "h2", Path::new("/sw/b.js"));
        fs::write(&other_host.path, &other_host.source).unwrap();
        let longer_host = Wrapper::new(&config, "h-2", Path::new("/sw/b.js"));
        fs::write(&longer_host.path, &longer_host.source).unwrap();

        let lease = w.lease().unwrap();
        assert_eq!(fs::read_to_string(&w.path).unwrap(), w.source);
        assert!(!left.path.exists(), "unused: removed");
        assert!(live.path.exists(), "held by a run: kept");
        assert!(other_host.path.exists(), "another host's: kept");
        assert!(longer_host.path.exists(), "host h-2's, not h's: kept");
        assert!(lease.release());
        assert!(held.release());
    }

    #[cfg(not(target_family = "wasm"))]
    #[test]
    fn a_held_wrapper_is_always_whole_while_runs_come_and_go() {
        let dir = crate::test_dir::TestDir::new("wrap-race");
        let w = host_h_wrapper(&dir);
        let threads: Vec<_> = (0..6)
            .map(|_| {
                let w = w.clone();
                std::thread::spawn(move || {
                    for i in 0..40 {
                        let lease = w.lease().unwrap();
                        // What the Playwright processes of this run read.
                        for _ in 0..3 {
                            assert_eq!(fs::read_to_string(&w.path).unwrap(), w.source);
                            std::thread::sleep(Duration::from_micros(200 * (i % 4)));
                        }
                        lease.release();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(!w.path.exists(), "the last run removed it");
    }
}
