//! A temporary directory for unit tests, removed when dropped (a test that
//! fails leaves nothing either: the drop runs while the panic unwinds).

use std::path::{Path, PathBuf};

pub struct TestDir(PathBuf);

impl TestDir {
    /// A new, empty directory `shardwright-<name>-<pid>-<random>` in the
    /// system's temporary directory.
    pub fn new(name: &str) -> TestDir {
        let dir = std::env::temp_dir().join(format!(
            "shardwright-{name}-{}-{:x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TestDir(dir)
    }
}

impl std::ops::Deref for TestDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TestDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
