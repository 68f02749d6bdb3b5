//! The history on disk.
//!
//! Saving is crash-safe and safe against concurrent writers:
//! - the new content goes to a temp file in the same directory, is fsynced,
//!   and renamed over the old file (then the directory is fsynced), so a
//!   crash or a kill at any moment leaves either the old or the new file;
//! - writers take an exclusive lock on `<file>.lock` (flock / LockFileEx via
//!   `fs4`, released by the OS if the process dies) for the read-merge-write:
//!   if the file changed since this history was loaded (its `revision`
//!   differs), its runs are merged in first, so two local shards saving at
//!   once both keep their runs.
//!
//! A file that cannot be used is never replaced silently: loading it fails
//! with `ERR_SHARDWRIGHT_HISTORY` naming the file and the problem and
//! changes nothing; with `reset` the bad file is moved to `<file>.bad-<hash>`
//! (same content, same name: repeated resets do not pile up copies) and an
//! empty history is returned along with what happened; a save that finds an
//! unreadable file in its way copies it there first.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind as IoKind, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::format;
use super::merge::MergeSummary;
use super::model::{History, Limits};
use super::time::now_ms;
use crate::error::{Error, Result};

pub const DEFAULT_PATH: &str = ".shardwright/history.json";

/// How long a save waits for another writer's lock before giving up.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Start afresh (keeping the bad file as a backup) when the file cannot be
    /// used, instead of failing.
    pub reset: bool,
    /// Overrides the limits stored in the file.
    pub max_runs: Option<u32>,
    pub max_age_days: Option<u32>,
}

/// A file that could not be used and was set aside because `reset` was asked.
#[derive(Debug, Clone, PartialEq)]
pub struct Recovered {
    pub problem: String,
    pub backup: PathBuf,
}

#[derive(Debug)]
pub struct Loaded {
    pub history: History,
    /// Whether the file existed.
    pub existed: bool,
    pub recovered: Option<Recovered>,
}

#[derive(Debug, Clone, Default)]
pub struct SaveSummary {
    pub path: PathBuf,
    pub bytes: usize,
    pub runs: usize,
    pub tests: usize,
    /// What was merged in from the file on disk (another writer's runs).
    pub merged: MergeSummary,
    /// A file on disk that could not be read and was set aside before writing.
    pub recovered: Option<Recovered>,
}

/// FNV-1a: a stable content hash for backup names and imported run ids.
pub fn content_hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn backup_path(path: &Path, bytes: &[u8]) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "history.json".into());
    path.with_file_name(format!("{name}.bad-{:016x}", content_hash(bytes)))
}

/// Copies (or, with `move_it`, renames) the bad file to its backup name.
fn keep_backup(path: &Path, bytes: &[u8], move_it: bool) -> Result<PathBuf> {
    let backup = backup_path(path, bytes);
    if !backup.exists() {
        // Not the writers' temp name: a concurrent save's clean-up must not
        // take it.
        let tmp = backup.with_file_name(format!(".backup-{}-{:08x}", pid(), rand::random::<u32>()));
        write_durably(&tmp, bytes).map_err(|e| Error::io("back up", &backup, e))?;
        fs::rename(&tmp, &backup).map_err(|e| Error::io("back up", &backup, e))?;
    }
    if move_it {
        fs::remove_file(path).map_err(|e| Error::io("remove", path, e))?;
    }
    Ok(backup)
}

fn limits(opts: &LoadOptions, file: (Option<u32>, Option<u32>)) -> Limits {
    let clamp = |n: u32| n.clamp(1, Limits::MAX_RUNS_CAP);
    Limits {
        max_runs: clamp(opts.max_runs.or(file.0).unwrap_or(Limits::DEFAULT.max_runs)),
        max_age_days: opts
            .max_age_days
            .or(file.1)
            .unwrap_or(Limits::DEFAULT.max_age_days),
    }
}

/// Reads a history. A missing file is an empty history.
pub fn load(path: &Path, opts: &LoadOptions) -> Result<Loaded> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == IoKind::NotFound => {
            return Ok(Loaded {
                history: History::new(limits(opts, (None, None))),
                existed: false,
                recovered: None,
            })
        }
        Err(e) if e.kind() == IoKind::IsADirectory || path.is_dir() => {
            return Err(Error::History {
                path: path.into(),
                problem: "it is a directory, not a file".into(),
                backup: None,
            })
        }
        Err(e) => return Err(Error::io("read", path, e)),
    };
    match format::decode(&bytes) {
        Ok(decoded) => {
            let mut history = decoded.history;
            history.set_limits(limits(opts, decoded.file_limits));
            history.revision = decoded.revision;
            tracing::debug!(path = %path.display(), runs = history.runs.len(), tests = history.tests.len(), "history loaded");
            Ok(Loaded {
                history,
                existed: true,
                recovered: None,
            })
        }
        Err(problem) if opts.reset => {
            let backup = keep_backup(path, &bytes, true)?;
            tracing::warn!(path = %path.display(), backup = %backup.display(), %problem, "history reset");
            Ok(Loaded {
                history: History::new(limits(opts, (None, None))),
                existed: true,
                recovered: Some(Recovered { problem, backup }),
            })
        }
        Err(problem) => Err(Error::History {
            path: path.into(),
            problem: format!(
                "{problem}; nothing was changed — fix or remove it, or start afresh with `reset: true` (CLI: --reset), which keeps it as `{}`",
                backup_path(path, &bytes).display()
            ),
            backup: None,
        }),
    }
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(
        ".{name}.tmp-{}-{:08x}",
        pid(),
        rand::random::<u32>()
    ))
}

/// This process's id, for temp names. WASI has none (std panics there): 0,
/// the random suffix keeps the names apart.
fn pid() -> u32 {
    if cfg!(target_os = "wasi") {
        0
    } else {
        std::process::id()
    }
}

fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
    let result = file.write_all(bytes).and_then(|_| file.sync_all());
    if result.is_err() {
        let _ = fs::remove_file(path);
    }
    result
}

fn sync_dir(dir: &Path) {
    // Makes the rename itself durable. Not possible on every platform or file
    // system; the data is already synced, so a failure here is not an error.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// An exclusive lock on `<file>.lock`, held until dropped.
struct WriteLock {
    file: File,
}

impl WriteLock {
    /// WASI has no file locks: the WebAssembly build saves unlocked, so two
    /// processes saving one history at the same moment can lose a run there.
    #[cfg(target_family = "wasm")]
    fn acquire(path: &Path) -> Result<WriteLock> {
        let lock_path = lock_path(path);
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| Error::io("open the lock file", &lock_path, e))?;
        Ok(WriteLock { file })
    }

    #[cfg(not(target_family = "wasm"))]
    fn acquire(path: &Path) -> Result<WriteLock> {
        let lock_path = lock_path(path);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| Error::io("open the lock file", &lock_path, e))?;
        let started = std::time::Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            match fs4::FileExt::try_lock(&file) {
                Ok(()) => return Ok(WriteLock { file }),
                Err(fs4::TryLockError::WouldBlock) if started.elapsed() < LOCK_TIMEOUT => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(fs4::TryLockError::WouldBlock) => {
                    return Err(Error::io(
                        "lock",
                        &lock_path,
                        std::io::Error::new(
                            IoKind::TimedOut,
                            format!(
                                "another process has held the lock for over {} s",
                                LOCK_TIMEOUT.as_secs()
                            ),
                        ),
                    ))
                }
                Err(fs4::TryLockError::Error(e)) => return Err(Error::io("lock", &lock_path, e)),
            }
        }
    }
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        #[cfg(not(target_family = "wasm"))]
        let _ = fs4::FileExt::unlock(&self.file);
        #[cfg(target_family = "wasm")]
        let _ = &self.file;
    }
}

pub fn lock_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!("{name}.lock"))
}

/// Removes temp files a killed writer left behind. Called with the lock held,
/// so no live writer owns one.
fn remove_stale_temps(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let prefix = format!(".{}.tmp-", name.to_string_lossy());
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

/// The first bytes of the file, to read its revision cheaply.
fn head(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0; 512];
    let mut file = File::open(path)?;
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    buf.truncate(filled);
    Ok(buf)
}

/// Saves the history to `path` (see the module docs). The history is
/// compacted (bounds applied) and, when the file changed since it was loaded,
/// first merged with it.
pub fn save(history: &mut History, path: &Path) -> Result<SaveSummary> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(|e| Error::io("create the directory", &dir, e))?;
    if path.is_dir() {
        return Err(Error::History {
            path: path.into(),
            problem: "it is a directory, not a file".into(),
            backup: None,
        });
    }
    let _lock = WriteLock::acquire(path)?;
    remove_stale_temps(path);
    let mut summary = SaveSummary {
        path: path.to_path_buf(),
        ..Default::default()
    };
    match head(path) {
        Err(e) if e.kind() == IoKind::NotFound => {}
        Err(e) => return Err(Error::io("read", path, e)),
        Ok(head) => {
            let on_disk = format::sniff_revision(&head);
            if on_disk.is_none() || on_disk != history.revision {
                let bytes = fs::read(path).map_err(|e| Error::io("read", path, e))?;
                match format::decode(&bytes) {
                    Ok(decoded) => {
                        summary.merged = history.merge(&decoded.history);
                        if summary.merged.runs_added > 0 {
                            tracing::debug!(path = %path.display(), runs = summary.merged.runs_added, "merged runs another writer saved");
                        }
                    }
                    Err(problem) => {
                        let backup = keep_backup(path, &bytes, false)?;
                        tracing::warn!(path = %path.display(), backup = %backup.display(), %problem, "replacing an unreadable history");
                        summary.recovered = Some(Recovered { problem, backup });
                    }
                }
            }
        }
    }
    history.compact();
    let revision = format!("{:016x}", rand::random::<u64>());
    let bytes = format::encode(history, &revision, now_ms());
    let tmp = temp_path(path);
    write_durably(&tmp, &bytes).map_err(|e| Error::io("write", &tmp, e))?;
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io("replace", path, e));
    }
    sync_dir(&dir);
    history.revision = Some(revision);
    summary.bytes = bytes.len();
    summary.runs = history.runs.len();
    summary.tests = history.tests.len();
    tracing::debug!(path = %path.display(), bytes = summary.bytes, runs = summary.runs, tests = summary.tests, "history saved");
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::model::tests::{attempt, meta};
    use crate::history::model::Status;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "shardwright-store-{name}-{}-{:x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn save_then_load() {
        let dir = temp_dir("roundtrip");
        let path = dir.join("nested/history.json");
        let mut h = History::new(Limits::DEFAULT);
        h.add_run(meta("r1", 1, "c"), vec![attempt("t", Status::Passed, 0, 5)]);
        let s = save(&mut h, &path).unwrap();
        assert_eq!((s.runs, s.tests, s.merged.runs_added), (1, 1, 0));
        let loaded = load(&path, &LoadOptions::default()).unwrap();
        assert!(loaded.existed);
        assert_eq!(loaded.history.tests, h.tests);
        // No temp file or backup left behind; the lock file stays (it is
        // empty and reused).
        let mut names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["history.json", "history.json.lock"]);
        let missing = load(&dir.join("none.json"), &LoadOptions::default()).unwrap();
        assert!(!missing.existed && missing.history.is_empty());
    }

    #[test]
    fn a_stale_history_merges_what_another_writer_saved() {
        let dir = temp_dir("concurrent");
        let path = dir.join("history.json");
        let mut a = load(&path, &LoadOptions::default()).unwrap().history;
        let mut b = load(&path, &LoadOptions::default()).unwrap().history;
        a.add_run(
            meta("shard-1", 1, ""),
            vec![attempt("t1", Status::Passed, 0, 5)],
        );
        b.add_run(
            meta("shard-2", 2, ""),
            vec![attempt("t2", Status::Passed, 0, 6)],
        );
        save(&mut a, &path).unwrap();
        let s = save(&mut b, &path).unwrap();
        assert_eq!(s.merged.runs_added, 1);
        let back = load(&path, &LoadOptions::default()).unwrap().history;
        let ids: Vec<_> = back.runs().iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["shard-1", "shard-2"]);
        // Unchanged file: no merge needed.
        let mut c = back.clone();
        assert_eq!(save(&mut c, &path).unwrap().merged, MergeSummary::default());
    }

    #[test]
    fn a_bad_file_is_kept_and_reported() {
        let dir = temp_dir("bad");
        let path = dir.join("history.json");
        fs::write(&path, b"{\"format\":\"shardwright-history\",\"vers").unwrap();
        let e = load(&path, &LoadOptions::default()).unwrap_err();
        assert_eq!(e.code(), "ERR_SHARDWRIGHT_HISTORY");
        let text = e.to_string();
        assert!(
            text.starts_with(&format!(
                "history file `{}` is unusable: the file is truncated",
                path.display()
            )),
            "{text}"
        );
        let backup = backup_path(&path, &fs::read(&path).unwrap());
        assert!(
            text.ends_with(&format!("which keeps it as `{}`", backup.display())),
            "{text}"
        );
        assert!(!backup.exists(), "nothing written before the user asks");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        // With reset: moved aside, empty history.
        let loaded = load(
            &path,
            &LoadOptions {
                reset: true,
                ..Default::default()
            },
        )
        .unwrap();
        let recovered = loaded.recovered.unwrap();
        assert_eq!(recovered.backup, backup);
        assert_eq!(
            fs::read(&backup).unwrap(),
            b"{\"format\":\"shardwright-history\",\"vers"
        );
        assert!(recovered.problem.contains("truncated"));
        assert!(loaded.history.is_empty());
        assert!(!path.exists());
    }

    #[test]
    fn saving_over_an_unreadable_file_keeps_it() {
        let dir = temp_dir("overwrite");
        let path = dir.join("history.json");
        fs::write(&path, b"garbage").unwrap();
        let mut h = History::new(Limits::DEFAULT);
        h.add_run(meta("r", 1, ""), vec![attempt("t", Status::Passed, 0, 5)]);
        let s = save(&mut h, &path).unwrap();
        let backup = s.recovered.unwrap().backup;
        assert_eq!(fs::read(backup).unwrap(), b"garbage");
        assert_eq!(
            load(&path, &LoadOptions::default())
                .unwrap()
                .history
                .runs()
                .len(),
            1
        );
    }

    #[test]
    fn stale_temp_files_are_cleaned_up() {
        let dir = temp_dir("temps");
        let path = dir.join("h.json");
        fs::write(dir.join(".h.json.tmp-1-deadbeef"), b"half a write").unwrap();
        save(&mut History::new(Limits::DEFAULT), &path).unwrap();
        assert!(!dir.join(".h.json.tmp-1-deadbeef").exists());
    }
}
