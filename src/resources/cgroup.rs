//! The CPU and memory limits of the cgroup this process runs in.
//!
//! Containers and CI runners cap CPU with a quota and memory with a limit; the
//! host's CPU count and free memory overstate what a test run may use. Both
//! cgroup v2 (unified) and v1 (per-controller hierarchies) are read, from the
//! mounts in `/proc/self/mountinfo` and the paths in `/proc/self/cgroup`, and
//! every level up to the hierarchy's root counts (a parent's limit binds its
//! children). Paths are read under `root` so tests can point it at a tree of
//! real files.

use std::fs;
use std::path::{Path, PathBuf};

/// What the cgroup allows this process, where known.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CgroupLimits {
    /// 1 or 2; `None` when no cgroup filesystem was found.
    pub version: Option<u8>,
    /// CPU quota in CPUs (quota ÷ period), the tightest along the path.
    pub cpu_quota: Option<f64>,
    /// Memory limit in bytes, the tightest along the path.
    pub memory_limit: Option<u64>,
    /// Memory in use by the cgroup whose limit binds, in bytes.
    pub memory_used: Option<u64>,
    /// The cgroup path of this process (memory controller, or the unified one).
    pub path: Option<String>,
}

/// Limits at or above this are "no limit" (v1 writes 2^63 rounded to a page).
const UNLIMITED: u64 = 1 << 60;

#[derive(Debug, Clone)]
struct Mount {
    mount_point: PathBuf,
    /// The mount's root inside the hierarchy (not `/` inside containers).
    root: String,
    version: u8,
    controllers: Vec<String>,
}

/// Reads the limits of the current process (`/proc/self`) under `root`
/// (normally `/`).
pub fn read(root: &Path) -> CgroupLimits {
    let mountinfo = fs::read_to_string(root.join("proc/self/mountinfo")).unwrap_or_default();
    let membership = fs::read_to_string(root.join("proc/self/cgroup")).unwrap_or_default();
    let mounts = parse_mounts(&mountinfo);
    let mut limits = CgroupLimits::default();

    for line in membership.lines() {
        // "hierarchy-id:controllers:path"; v2 is "0::/path".
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let controllers: Vec<&str> = controllers.split(',').filter(|c| !c.is_empty()).collect();
        let mount = if controllers.is_empty() {
            mounts.iter().find(|m| m.version == 2)
        } else {
            mounts.iter().find(|m| {
                m.version == 1
                    && controllers
                        .iter()
                        .all(|c| m.controllers.iter().any(|mc| mc == c))
            })
        };
        let Some(mount) = mount else { continue };
        let Some(dirs) = dirs_up(root, mount, path) else {
            continue;
        };

        if mount.version == 2 {
            limits.version = Some(2);
            limits.path.get_or_insert_with(|| path.to_string());
            for dir in &dirs {
                if let Some(cpus) = read_v2_cpu(dir) {
                    limits.cpu_quota = Some(limits.cpu_quota.map_or(cpus, |c| c.min(cpus)));
                }
                if let Some(limit) = read_u64(&dir.join("memory.max")) {
                    tighten_memory(&mut limits, limit, read_u64(&dir.join("memory.current")));
                }
            }
        } else {
            limits.version.get_or_insert(1);
            if controllers.contains(&"cpu") {
                for dir in &dirs {
                    let quota = read_i64(&dir.join("cpu.cfs_quota_us"));
                    let period = read_i64(&dir.join("cpu.cfs_period_us"));
                    if let (Some(q), Some(p)) = (quota, period) {
                        if q > 0 && p > 0 {
                            let cpus = q as f64 / p as f64;
                            limits.cpu_quota = Some(limits.cpu_quota.map_or(cpus, |c| c.min(cpus)));
                        }
                    }
                }
            }
            if controllers.contains(&"memory") {
                limits.path = Some(path.to_string());
                for dir in &dirs {
                    if let Some(limit) = read_u64(&dir.join("memory.limit_in_bytes")) {
                        tighten_memory(
                            &mut limits,
                            limit,
                            read_u64(&dir.join("memory.usage_in_bytes")),
                        );
                    }
                }
            }
        }
    }
    limits
}

fn tighten_memory(limits: &mut CgroupLimits, limit: u64, used: Option<u64>) {
    if limit >= UNLIMITED {
        return;
    }
    if limits.memory_limit.is_none_or(|current| limit < current) {
        limits.memory_limit = Some(limit);
        limits.memory_used = used;
    }
}

/// The cgroup's directory and each parent up to the mount point.
fn dirs_up(root: &Path, mount: &Mount, path: &str) -> Option<Vec<PathBuf>> {
    // Inside a container the mount's root is the container's own cgroup:
    // strip it from the membership path.
    let relative = if mount.root == "/" {
        path
    } else {
        path.strip_prefix(mount.root.as_str()).unwrap_or(path)
    };
    let base = root.join(
        mount
            .mount_point
            .strip_prefix("/")
            .unwrap_or(&mount.mount_point),
    );
    let mut dir = base.join(relative.trim_start_matches('/'));
    let mut dirs = Vec::new();
    loop {
        if dir.is_dir() {
            dirs.push(dir.clone());
        }
        if dir == base || !dir.pop() || !dir.starts_with(&base) {
            break;
        }
    }
    (!dirs.is_empty()).then_some(dirs)
}

fn parse_mounts(mountinfo: &str) -> Vec<Mount> {
    mountinfo
        .lines()
        .filter_map(|line| {
            // "36 35 98:0 /root /mnt/point rw,noatime master:1 - cgroup cgroup rw,cpu,cpuacct"
            let (left, right) = line.split_once(" - ")?;
            let left: Vec<&str> = left.split_whitespace().collect();
            let right: Vec<&str> = right.split_whitespace().collect();
            let fstype = *right.first()?;
            let version = match fstype {
                "cgroup2" => 2,
                "cgroup" => 1,
                _ => return None,
            };
            let controllers = right
                .get(2)
                .map(|opts| {
                    opts.split(',')
                        .map(|o| o.strip_prefix("name=").unwrap_or(o).to_string())
                        .collect()
                })
                .unwrap_or_default();
            Some(Mount {
                mount_point: PathBuf::from(unescape(left.get(4)?)),
                root: unescape(left.get(3)?),
                version,
                controllers,
            })
        })
        .collect()
}

/// mountinfo escapes spaces and tabs as octal (`\040`).
fn unescape(field: &str) -> String {
    field
        .replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\134", "\\")
}

fn read_v2_cpu(dir: &Path) -> Option<f64> {
    let text = fs::read_to_string(dir.join("cpu.max")).ok()?;
    let mut parts = text.split_whitespace();
    let quota = parts.next()?;
    let period: f64 = parts.next().unwrap_or("100000").parse().ok()?;
    if quota == "max" || period <= 0.0 {
        return None;
    }
    Some(quota.parse::<f64>().ok()? / period)
}

fn read_u64(path: &Path) -> Option<u64> {
    let text = fs::read_to_string(path).ok()?;
    let text = text.trim();
    if text == "max" {
        return Some(u64::MAX);
    }
    text.parse().ok()
}

fn read_i64(path: &Path) -> Option<i64> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// CPUs this process may be scheduled on (`Cpus_allowed_list` in
/// `/proc/self/status`, e.g. `0-3,8`), if readable.
pub fn affinity_cpus(root: &Path) -> Option<usize> {
    let status = fs::read_to_string(root.join("proc/self/status")).ok()?;
    let list = status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))?
        .trim();
    let mut count = 0;
    for part in list.split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                count += b.trim().parse::<usize>().ok()? + 1 - a.trim().parse::<usize>().ok()?
            }
            None => count += 1,
        }
    }
    (count > 0).then_some(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    fn temp_root(name: &str) -> crate::test_dir::TestDir {
        crate::test_dir::TestDir::new(&format!("cgroup-{name}"))
    }

    #[test]
    fn reads_v2_limits_and_takes_the_tightest_along_the_path() {
        let root = temp_root("v2");
        write(
            &root,
            "proc/self/mountinfo",
            "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n",
        );
        write(&root, "proc/self/cgroup", "0::/ci/job\n");
        write(&root, "sys/fs/cgroup/ci/cpu.max", "150000 100000\n");
        write(&root, "sys/fs/cgroup/ci/memory.max", "4294967296\n");
        write(&root, "sys/fs/cgroup/ci/memory.current", "1073741824\n");
        write(&root, "sys/fs/cgroup/ci/job/cpu.max", "max 100000\n");
        write(&root, "sys/fs/cgroup/ci/job/memory.max", "2147483648\n");
        write(&root, "sys/fs/cgroup/ci/job/memory.current", "536870912\n");
        let l = read(&root);
        assert_eq!(l.version, Some(2));
        assert_eq!(l.cpu_quota, Some(1.5));
        assert_eq!(l.memory_limit, Some(2 << 30));
        assert_eq!(l.memory_used, Some(512 << 20));
        assert_eq!(l.path.as_deref(), Some("/ci/job"));
    }

    #[test]
    fn reads_v1_limits_per_controller() {
        let root = temp_root("v1");
        write(
            &root,
            "proc/self/mountinfo",
            "40 30 0:35 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n\
             41 30 0:36 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n\
             42 30 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n",
        );
        write(
            &root,
            "proc/self/cgroup",
            "4:memory:/job\n1:cpu:/job\n9:name=systemd:/\n",
        );
        write(&root, "sys/fs/cgroup/cpu/job/cpu.cfs_quota_us", "50000\n");
        write(&root, "sys/fs/cgroup/cpu/job/cpu.cfs_period_us", "100000\n");
        write(&root, "sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1\n");
        write(&root, "sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
        write(
            &root,
            "sys/fs/cgroup/memory/memory.limit_in_bytes",
            "9223372036854771712\n",
        );
        write(
            &root,
            "sys/fs/cgroup/memory/job/memory.limit_in_bytes",
            "805306368\n",
        );
        write(
            &root,
            "sys/fs/cgroup/memory/job/memory.usage_in_bytes",
            "104857600\n",
        );
        let l = read(&root);
        assert_eq!(l.version, Some(1));
        assert_eq!(l.cpu_quota, Some(0.5));
        assert_eq!(l.memory_limit, Some(768 << 20));
        assert_eq!(l.memory_used, Some(100 << 20));
    }

    #[test]
    fn container_mount_roots_are_stripped() {
        let root = temp_root("container");
        write(
            &root,
            "proc/self/mountinfo",
            "30 23 0:26 /docker/abc /sys/fs/cgroup ro - cgroup2 cgroup2 rw\n",
        );
        write(&root, "proc/self/cgroup", "0::/docker/abc\n");
        write(&root, "sys/fs/cgroup/cpu.max", "200000 100000\n");
        write(&root, "sys/fs/cgroup/memory.max", "max\n");
        let l = read(&root);
        assert_eq!(l.cpu_quota, Some(2.0));
        assert_eq!(l.memory_limit, None);
    }

    #[test]
    fn no_cgroup_fs_means_no_limits() {
        let root = temp_root("none");
        assert_eq!(read(&root), CgroupLimits::default());
    }

    #[test]
    fn affinity_lists_are_counted() {
        let root = temp_root("affinity");
        write(
            &root,
            "proc/self/status",
            "Name:\tnode\nCpus_allowed_list:\t0-3,8,10-11\n",
        );
        assert_eq!(affinity_cpus(&root), Some(7));
    }
}
