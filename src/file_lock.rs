//! What the advisory file locks (flock / LockFileEx via `fs4`) of the
//! history store and the run wrapper share: a lock is on an open file, and
//! the path may name another file by the time it is granted.

#[cfg(not(target_family = "wasm"))]
use std::{fs::File, path::Path};

/// Whether `path` still names the open `file` (not removed, or replaced,
/// while the lock was awaited).
#[cfg(unix)]
pub fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Windows: an open file cannot be replaced, and a removed one no longer
/// has its name once its last handle closes; the path is checked to exist.
#[cfg(all(not(unix), not(target_family = "wasm")))]
pub fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}
