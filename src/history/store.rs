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
//! unreadable file in its way copies it there first and says so in its
//! summary (`recovered`), for the caller to print.
//!
//! Every read is bounded: only regular files are opened (a FIFO would block,
//! `/dev/zero` never ends), never more than [`MAX_HISTORY_BYTES`]. A
//! symbolic link is written through: the file it points to is replaced and
//! the link stays. A failed write removes its temporary file; the lock file
//! is removed when the lock is released.

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

/// The largest history file read: 1 GiB (a history of 1,000,000 tests × 20
/// runs is about a quarter of that).
pub const MAX_HISTORY_BYTES: u64 = 1 << 30;

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
        if let Err(e) = fs::rename(&tmp, &backup) {
            let _ = fs::remove_file(&tmp);
            return Err(Error::io("back up", &backup, e));
        }
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

/// What a path is when it is not a regular file, for the error.
fn not_a_file(meta: &fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if t.is_char_device() {
            return Some("a character device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    Some("something other than a file")
}

/// Opens an existing regular file for reading without ever blocking (a FIFO
/// opened for reading waits for a writer; with `O_NONBLOCK` it does not, and
/// it is refused right after). `Ok(None)` when it does not exist.
fn open_regular(path: &Path, action: &'static str) -> Result<Option<File>> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = match options.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == IoKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(action, path, e)),
    };
    let meta = file.metadata().map_err(|e| Error::io(action, path, e))?;
    if let Some(what) = not_a_file(&meta) {
        return Err(Error::NotAFile {
            action,
            path: path.into(),
            what,
        });
    }
    Ok(Some(file))
}

/// Reads a regular file of at most `limit` bytes; `Ok(None)` when it does
/// not exist. A directory, FIFO or device is refused before it is read, a
/// larger file as soon as it is seen to be larger.
pub fn read_bounded(
    path: &Path,
    limit: u64,
    action: &'static str,
    limit_hint: &'static str,
) -> Result<Option<Vec<u8>>> {
    let Some(file) = open_regular(path, action)? else {
        return Ok(None);
    };
    let too_large = || Error::TooLarge {
        action,
        path: path.into(),
        limit,
        limit_hint,
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(action, path, e))?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(Some(bytes))
}

const HISTORY_LIMIT_HINT: &str =
    "a history that large is not one shardwright wrote; lower maxRuns or maxAgeDays of the writer";

/// A directory where the history should be: a history error, as it always was.
fn directory_error(path: &Path) -> Error {
    Error::History {
        path: path.into(),
        problem: "it is a directory, not a file".into(),
        backup: None,
    }
}

fn read_history(path: &Path) -> Result<Option<Vec<u8>>> {
    match read_bounded(path, MAX_HISTORY_BYTES, "read", HISTORY_LIMIT_HINT) {
        Err(Error::NotAFile {
            what: "a directory",
            ..
        }) => Err(directory_error(path)),
        other => other,
    }
}

/// Decodes a history file and checks the limits it carries: a `maxRuns` of
/// 0 (or above the cap) is refused, not clamped — clamping would make the
/// next save drop runs.
fn decode_checked(bytes: &[u8]) -> std::result::Result<format::Decoded, String> {
    let decoded = format::decode(bytes)?;
    if let Some(n) = decoded.file_limits.0 {
        if n == 0 || n > Limits::MAX_RUNS_CAP {
            return Err(format!(
                "its maxRuns is {n} (a whole number from 1 to {}); shardwright never writes that, and saving with it would drop runs",
                Limits::MAX_RUNS_CAP
            ));
        }
    }
    Ok(decoded)
}

/// A good history file read in pieces ([`format::decode_stream`]); `None`
/// for anything else (missing, unreadable, too large, a problem, another
/// layout): [`load`] then reads it whole and says what is wrong.
fn load_streaming(path: &Path) -> Option<format::Decoded> {
    let file = open_regular(path, "read").ok()??;
    if file.metadata().ok()?.len() > MAX_HISTORY_BYTES {
        return None;
    }
    let decoded = format::decode_stream(file, MAX_HISTORY_BYTES)?;
    match decoded.file_limits.0 {
        Some(n) if n == 0 || n > Limits::MAX_RUNS_CAP => None,
        _ => Some(decoded),
    }
}

/// Reads a history. A missing file is an empty history.
pub fn load(path: &Path, opts: &LoadOptions) -> Result<Loaded> {
    if let Some(decoded) = load_streaming(path) {
        let mut history = decoded.history;
        history.set_limits(limits(opts, decoded.file_limits));
        history.revision = decoded.revision;
        tracing::debug!(path = %path.display(), runs = history.runs.len(), tests = history.tests.len(), "history loaded");
        return Ok(Loaded {
            history,
            existed: true,
            recovered: None,
        });
    }
    let Some(bytes) = read_history(path)? else {
        return Ok(Loaded {
            history: History::new(limits(opts, (None, None))),
            existed: false,
            recovered: None,
        });
    };
    match decode_checked(&bytes) {
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

/// The file a save writes: `path`, or, when it is a symbolic link, the file
/// it points to (followed to the end), so that the link stays a link.
fn write_target(path: &Path) -> Result<PathBuf> {
    let mut target = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&target) {
            Ok(m) if m.file_type().is_symlink() => {
                let link =
                    fs::read_link(&target).map_err(|e| Error::io("follow the link", &target, e))?;
                target = match target.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(target),
        }
    }
    Err(Error::io(
        "follow the links of",
        path,
        std::io::Error::other("more than 40 symbolic links in a row"),
    ))
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

/// An exclusive lock on `<file>.lock`, held until dropped; the lock file
/// is removed when the lock is released (on Unix), so no lock file stays
/// beside the history.
///
/// Removing a lock file is safe with this protocol: a writer that got the
/// lock checks that the path still names the file it locked (the holder
/// before it may have removed it meanwhile) and starts over if not.
struct WriteLock {
    file: File,
    path: PathBuf,
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
        Ok(WriteLock {
            file,
            path: lock_path,
        })
    }

    #[cfg(not(target_family = "wasm"))]
    fn acquire(path: &Path) -> Result<WriteLock> {
        let lock_path = lock_path(path);
        let started = std::time::Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&lock_path)
                .map_err(|e| Error::io("open the lock file", &lock_path, e))?;
            match fs4::FileExt::try_lock(&file) {
                Ok(()) if crate::file_lock::same_file(&file, &lock_path) => {
                    return Ok(WriteLock {
                        file,
                        path: lock_path,
                    })
                }
                // Locked a lock file its last holder removed: start over.
                Ok(()) if started.elapsed() < LOCK_TIMEOUT => continue,
                Ok(()) => {
                    return Err(Error::io(
                        "lock",
                        &lock_path,
                        std::io::Error::other("the lock file kept being replaced"),
                    ))
                }
                Err(fs4::TryLockError::WouldBlock) if started.elapsed() < LOCK_TIMEOUT => {
                    drop(file);
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
        // Removed while still held: a writer waiting on this file finds it
        // gone once it gets the lock, and starts over.
        #[cfg(unix)]
        let _ = fs::remove_file(&self.path);
        #[cfg(not(target_family = "wasm"))]
        let _ = fs4::FileExt::unlock(&self.file);
        #[cfg(target_family = "wasm")]
        let _ = (&self.file, &self.path);
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

/// The first bytes of the file, to read its revision cheaply; `Ok(None)`
/// when it does not exist.
fn head(path: &Path) -> Result<Option<Vec<u8>>> {
    let Some(mut file) = open_regular(path, "read")? else {
        return Ok(None);
    };
    let mut buf = vec![0; 512];
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == IoKind::Interrupted => {}
            Err(e) => return Err(Error::io("read", path, e)),
        }
    }
    buf.truncate(filled);
    Ok(Some(buf))
}

/// Saves the history to `path` (see the module docs). The history is
/// compacted (bounds applied) and, when the file changed since it was loaded,
/// first merged with it.
pub fn save(history: &mut History, path: &Path) -> Result<SaveSummary> {
    // Through a symbolic link: its target is replaced, the link stays.
    let target = write_target(path)?;
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(|e| Error::io("create the directory", &dir, e))?;
    // Refused before anything is created beside it (a lock file in /dev).
    match fs::metadata(&target) {
        Ok(meta) => match not_a_file(&meta) {
            Some("a directory") => return Err(directory_error(path)),
            Some(what) => {
                return Err(Error::NotAFile {
                    action: "write",
                    path: path.into(),
                    what,
                })
            }
            None => {}
        },
        Err(e) if e.kind() == IoKind::NotFound => {}
        Err(e) => return Err(Error::io("write", path, e)),
    }
    let _lock = WriteLock::acquire(&target)?;
    remove_stale_temps(&target);
    let mut summary = SaveSummary {
        path: path.to_path_buf(),
        ..Default::default()
    };
    if let Some(head) = head(&target)? {
        let on_disk = format::sniff_revision(&head);
        if on_disk.is_none() || on_disk != history.revision {
            let bytes = read_history(&target)?.unwrap_or_default();
            match decode_checked(&bytes) {
                Ok(decoded) => {
                    summary.merged = history.merge(&decoded.history);
                    if summary.merged.runs_added > 0 {
                        tracing::debug!(path = %path.display(), runs = summary.merged.runs_added, "merged runs another writer saved");
                    }
                }
                Err(problem) => {
                    let backup = keep_backup(&target, &bytes, false)?;
                    tracing::warn!(path = %path.display(), backup = %backup.display(), %problem, "replacing an unreadable history");
                    summary.recovered = Some(Recovered { problem, backup });
                }
            }
        }
    }
    history.compact();
    let revision = format!("{:016x}", rand::random::<u64>());
    let bytes = format::encode(history, &revision, now_ms());
    let tmp = temp_path(&target);
    // write_durably removes the temporary file when the write fails.
    write_durably(&tmp, &bytes).map_err(|e| Error::io("write", &tmp, e))?;
    if let Err(e) = fs::rename(&tmp, &target) {
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
    use crate::test_dir::TestDir;

    fn temp_dir(name: &str) -> TestDir {
        TestDir::new(&format!("store-{name}"))
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
        // No temp file, backup or lock file left behind.
        let mut names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["history.json"]);
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

    #[test]
    fn devices_and_fifos_are_refused_unread() {
        let e = load(Path::new("/dev/zero"), &LoadOptions::default()).unwrap_err();
        assert_eq!(e.code(), "ERR_SHARDWRIGHT_IO");
        assert_eq!(
            e.to_string(),
            "failed to read `/dev/zero`: it is a character device, not a regular file"
        );
        let mut h = History::new(Limits::DEFAULT);
        let e = save(&mut h, Path::new("/dev/full")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "failed to write `/dev/full`: it is a character device, not a regular file"
        );
        assert!(!Path::new("/dev/full.lock").exists());
        let dir = temp_dir("fifo");
        let fifo = dir.join("h.json");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let e = load(&fifo, &LoadOptions::default()).unwrap_err();
            assert!(
                e.to_string()
                    .ends_with("it is a FIFO (named pipe), not a regular file"),
                "{e}"
            );
            assert!(save(&mut h, &fifo).is_err());
            assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        }
    }

    #[test]
    fn reads_are_bounded() {
        let dir = temp_dir("bounded");
        let path = dir.join("big");
        fs::write(&path, vec![b'x'; 100]).unwrap();
        let e = read_bounded(&path, 99, "read", "hint").unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("failed to read `{}`: it is larger than 99 bytes (hint), the most shardwright reads", path.display())
        );
        assert_eq!(
            read_bounded(&path, 100, "read", "").unwrap().unwrap().len(),
            100
        );
        assert!(read_bounded(&dir.join("none"), 1, "read", "")
            .unwrap()
            .is_none());
    }

    #[test]
    fn a_symlink_is_written_through() {
        let dir = temp_dir("symlink");
        let real = dir.join("real.json");
        let link = dir.join("link.json");
        #[cfg(unix)]
        std::os::unix::fs::symlink("real.json", &link).unwrap();
        #[cfg(unix)]
        {
            let mut h = History::new(Limits::DEFAULT);
            h.add_run(meta("r", 1, ""), vec![attempt("t", Status::Passed, 0, 5)]);
            save(&mut h, &link).unwrap();
            assert!(fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink());
            assert_eq!(
                load(&real, &LoadOptions::default())
                    .unwrap()
                    .history
                    .runs()
                    .len(),
                1
            );
        }
    }

    #[test]
    fn a_zero_max_runs_in_the_file_is_refused() {
        let dir = temp_dir("maxruns");
        let path = dir.join("h.json");
        let mut h = History::new(Limits::DEFAULT);
        h.add_run(meta("r", 1, ""), vec![attempt("t", Status::Passed, 0, 5)]);
        save(&mut h, &path).unwrap();
        let text = fs::read_to_string(&path)
            .unwrap()
            .replace("\"maxRuns\":20", "\"maxRuns\":0");
        fs::write(&path, &text).unwrap();
        let e = load(&path, &LoadOptions::default()).unwrap_err();
        assert!(
            e.to_string()
                .contains("its maxRuns is 0 (a whole number from 1 to 1000)"),
            "{e}"
        );
        // With reset: kept whole as the backup.
        let l = load(
            &path,
            &LoadOptions {
                reset: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            fs::read_to_string(l.recovered.unwrap().backup).unwrap(),
            text
        );
    }

    #[test]
    fn threads_saving_at_once_lose_nothing_and_leave_no_lock() {
        let dir = temp_dir("threads");
        let path = dir.join("h.json");
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let path = path.clone();
                std::thread::spawn(move || {
                    for n in 0..15 {
                        let mut h = load(
                            &path,
                            &LoadOptions {
                                max_runs: Some(1000),
                                ..Default::default()
                            },
                        )
                        .unwrap()
                        .history;
                        h.add_run(
                            meta(&format!("w{w}-{n}"), (w * 100 + n) as i64, ""),
                            vec![attempt("t", Status::Passed, 0, 5)],
                        );
                        save(&mut h, &path).unwrap();
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        let h = load(&path, &LoadOptions::default()).unwrap().history;
        assert_eq!(h.runs().len(), 60);
        assert_eq!(
            fs::read_dir(&dir).unwrap().count(),
            1,
            "no lock or temp file left"
        );
    }

    use proptest::prelude::*;

    proptest! {
        /// Any bytes as a history file: a history or a problem, never a
        /// panic.
        #[test]
        fn any_bytes_decode_or_say_why(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = decode_checked(&bytes);
            let mut text = br#"{"format":"shardwright-history","version":1,"#.to_vec();
            text.extend_from_slice(&bytes);
            let _ = decode_checked(&text);
        }

        /// Generated histories survive a save and a load unchanged.
        #[test]
        fn generated_histories_round_trip(runs in proptest::collection::vec(
            proptest::collection::vec(("[a-z›/ ]{1,12}", 0u32..4, 0u32..100_000), 1..6), 1..5)) {
            let dir = temp_dir("roundtrip-prop");
            let path = dir.join("h.json");
            let mut h = History::new(Limits::DEFAULT);
            for (i, attempts) in runs.iter().enumerate() {
                let list = attempts.iter().map(|(t, s, ms)| {
                    let status = [Status::Passed, Status::Failed, Status::Skipped, Status::TimedOut][*s as usize];
                    attempt(t, status, 0, *ms)
                }).collect();
                h.add_run(meta(&format!("r{i}"), i as i64 * 1000, ""), list);
            }
            save(&mut h, &path).unwrap();
            let back = load(&path, &LoadOptions::default()).unwrap().history;
            prop_assert_eq!(&back.tests, &h.tests);
            prop_assert_eq!(back.runs().len(), h.runs().len());
            fs::remove_dir_all(&dir).unwrap();
        }
    }
}
