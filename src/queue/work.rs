//! One interface over both backends, so `shardwright run` drives the same
//! loop whether the queue is in-process or shared on Redis.

use super::local::LocalQueue;
use super::model::*;
use super::redis::{RedisQueue, Seeded, SuiteInfo};
use crate::error::Result;

pub enum WorkQueue {
    // Both boxed: the variants differ a lot in size, and one queue lives per run.
    Local(Box<LocalQueue>),
    Redis(Box<RedisQueue>),
}

impl WorkQueue {
    /// `in-process` or the redacted Redis URL.
    pub fn target(&self) -> String {
        match self {
            WorkQueue::Local(_) => "in-process".into(),
            WorkQueue::Redis(r) => r.target().to_string(),
        }
    }

    pub async fn seed(
        &self,
        groups: Vec<QueueGroup>,
        fingerprint: Option<String>,
        rerun: bool,
    ) -> Result<Seeded> {
        match self {
            WorkQueue::Local(q) => Ok(if q.seed(groups, fingerprint) {
                Seeded::Seeded
            } else {
                Seeded::Joined
            }),
            WorkQueue::Redis(q) => q.seed(groups, fingerprint, rerun).await,
        }
    }

    /// The suites queued under the run id (one for the in-process queue).
    pub async fn suites(&self) -> Result<Vec<SuiteInfo>> {
        match self {
            WorkQueue::Local(q) => {
                let s = q.status();
                Ok(if s.seeded {
                    vec![SuiteInfo {
                        fingerprint: s.fingerprint.unwrap_or_default(),
                        seeded_at: 0.0,
                        total: s.total,
                    }]
                } else {
                    Vec::new()
                })
            }
            WorkQueue::Redis(q) => q.suites().await,
        }
    }

    pub async fn release(&self, machine: &str, groups: &[String]) -> Result<u64> {
        match self {
            WorkQueue::Local(q) => Ok(q.release(machine, groups)),
            WorkQueue::Redis(q) => q.release(machine, groups).await,
        }
    }

    pub async fn join(&self, machine: &MachineInfo) -> Result<()> {
        match self {
            WorkQueue::Local(q) => {
                q.join(&machine.id, machine.slots, &machine.host);
                Ok(())
            }
            WorkQueue::Redis(q) => q.join(machine).await,
        }
    }

    pub async fn leave(&self, machine: &MachineInfo) -> Result<()> {
        match self {
            WorkQueue::Local(q) => {
                q.leave(&machine.id);
                Ok(())
            }
            WorkQueue::Redis(q) => q.leave(machine).await,
        }
    }

    pub async fn pull(&self, machine: &str, options: &PullOptions) -> Result<Vec<QueueGroup>> {
        match self {
            WorkQueue::Local(q) => Ok(q.pull(machine, options)),
            WorkQueue::Redis(q) => q.pull(machine, options).await,
        }
    }

    pub async fn heartbeat(&self, machine: &str, lease_ms: f64) -> Result<u64> {
        match self {
            WorkQueue::Local(q) => Ok(q.heartbeat(machine, lease_ms)),
            WorkQueue::Redis(q) => q.heartbeat(machine, lease_ms).await,
        }
    }

    pub async fn complete(&self, machine: &str, group: &str, result: &GroupResult) -> Result<bool> {
        match self {
            WorkQueue::Local(q) => Ok(q.complete(machine, group, result.clone())),
            WorkQueue::Redis(q) => q.complete(machine, group, result).await,
        }
    }

    pub async fn status(&self) -> Result<QueueStatus> {
        match self {
            WorkQueue::Local(q) => Ok(q.status()),
            WorkQueue::Redis(q) => q.status().await,
        }
    }

    pub async fn results(&self) -> Result<Vec<DoneRecord>> {
        match self {
            WorkQueue::Local(q) => Ok(q.results()),
            WorkQueue::Redis(q) => q.results().await,
        }
    }

    pub async fn push_run(&self, json: &str) -> Result<()> {
        match self {
            WorkQueue::Local(q) => {
                q.push_run(json);
                Ok(())
            }
            WorkQueue::Redis(q) => q.push_run(json).await,
        }
    }

    pub async fn runs(&self) -> Result<Vec<String>> {
        match self {
            WorkQueue::Local(q) => Ok(q.runs()),
            WorkQueue::Redis(q) => q.runs().await,
        }
    }

    pub async fn claim(&self, name: &str, machine: &str) -> Result<bool> {
        match self {
            WorkQueue::Local(q) => Ok(q.claim(name, machine)),
            WorkQueue::Redis(q) => q.claim(name, machine).await,
        }
    }
}
