//! Memory readings with `sysinfo`: the machine's available memory and the
//! resident memory of a process tree (a child and all its descendants).

#![cfg_attr(target_family = "wasm", allow(dead_code, unused_imports))]

use std::collections::HashMap;

#[cfg(not(target_family = "wasm"))]
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

const MB: f64 = 1024.0 * 1024.0;

pub struct MemorySampler {
    /// `None` where sysinfo cannot read the system: no readings, so memory
    /// never pauses the pool and no task is killed for memory it cannot see.
    #[cfg(not(target_family = "wasm"))]
    system: Option<System>,
}

impl Default for MemorySampler {
    fn default() -> Self {
        Self::new()
    }
}

/// The WebAssembly (WASI) build can read no memory (no /proc, no processes):
/// like a system sysinfo cannot read, memory never pauses the pool there.
#[cfg(target_family = "wasm")]
impl MemorySampler {
    pub fn new() -> Self {
        MemorySampler {}
    }

    pub fn available_mb(&mut self) -> f64 {
        f64::INFINITY
    }

    pub fn tree_rss_mb(&mut self, roots: &[u32]) -> Vec<f64> {
        vec![0.0; roots.len()]
    }
}

#[cfg(not(target_family = "wasm"))]
impl MemorySampler {
    pub fn new() -> Self {
        // (sysinfo ≥ 0.38 no longer keeps /proc files open between refreshes,
        // so a pool sampling for hours holds no descriptors.)
        let system = System::new()
            .map_err(|e| tracing::warn!("failed to read system memory: {e}"))
            .ok();
        MemorySampler { system }
    }

    /// Memory available to new processes, in MB.
    pub fn available_mb(&mut self) -> f64 {
        match self.system.as_mut() {
            Some(system) => {
                system.refresh_memory();
                system.available_memory() as f64 / MB
            }
            None => f64::INFINITY,
        }
    }

    /// The resident memory of each root's process tree, in MB (0 for a root
    /// that is gone).
    pub fn tree_rss_mb(&mut self, roots: &[u32]) -> Vec<f64> {
        let Some(system) = self.system.as_mut() else {
            return vec![0.0; roots.len()];
        };
        if roots.is_empty() {
            return Vec::new();
        }
        system.refresh_processes_specifics(
            ProcessesToUpdate::All,
            true,
            ProcessRefreshKind::nothing().with_memory(),
        );
        let mut children: HashMap<Pid, Vec<Pid>> = HashMap::new();
        for (pid, p) in system.processes() {
            // Threads are listed as processes on Linux, each with the whole
            // process's memory: count processes only.
            if p.thread_kind().is_some() {
                continue;
            }
            if let Some(parent) = p.parent() {
                children.entry(parent).or_default().push(*pid);
            }
        }
        roots
            .iter()
            .map(|&root| {
                let mut total = 0u64;
                let mut stack = vec![Pid::from_u32(root)];
                let mut seen = 0usize;
                while let Some(pid) = stack.pop() {
                    seen += 1;
                    if seen > 100_000 {
                        break; // a parent loop in a racing /proc read
                    }
                    if let Some(p) = system.process(pid) {
                        total += p.memory();
                    }
                    if let Some(c) = children.get(&pid) {
                        stack.extend(c.iter().copied());
                    }
                }
                total as f64 / MB
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_machine_memory_and_a_tree_including_grandchildren() {
        let mut s = MemorySampler::new();
        assert!(s.available_mb() > 0.0);
        // A shell whose child is another shell holding ~64 MB.
        use std::os::unix::process::CommandExt;
        let mut child = std::process::Command::new("/bin/sh")
            .args([
                "-c",
                "exec 3>&1; node -e 'const b = Buffer.alloc(64 * 1024 * 1024, 1); setTimeout(() => {}, 20000); process.stdout.write(\"ready\\n\")' ; sleep 1",
            ])
            .stdout(std::process::Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        assert_eq!(line, "ready\n");
        let rss = s.tree_rss_mb(&[child.id(), u32::MAX - 1]);
        // SAFETY: signals the test's own process group (shell and node).
        unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
        child.wait().ok();
        assert!(rss[0] > 64.0, "tree RSS {} MB", rss[0]);
        assert_eq!(rss[1], 0.0);
    }
}
