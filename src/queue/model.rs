//! What moves through the work queue, whichever backend holds it.

/// A unit of work: a test group (or several, batched by the caller). The
/// engine needs only the id and the expected time; `payload` is the caller's
/// (the tests, as `--test-list` lines) and travels unchanged.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueGroup {
    pub id: String,
    pub expected_ms: f64,
    #[serde(default)]
    pub payload: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupStatus {
    Passed,
    Failed,
}

/// How a group ended, as its machine reports it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupResult {
    pub status: GroupStatus,
    pub duration_ms: f64,
    /// The caller's per-test results (history attempts), kept with the group
    /// so the run's history survives a machine that dies after completing it.
    #[serde(default)]
    pub payload: String,
}

/// A completed group, as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DoneRecord {
    pub group: String,
    pub machine: String,
    pub status: GroupStatus,
    pub duration_ms: f64,
    /// Milliseconds since the Unix epoch (the queue's clock).
    pub finished_at: f64,
    #[serde(default)]
    pub payload: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseInfo {
    pub group: String,
    pub machine: String,
    /// Milliseconds until the lease expires unless its machine heartbeats.
    pub expires_in_ms: f64,
    pub expected_ms: f64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MachineInfo {
    pub id: String,
    /// Local worker slots of the machine (how many groups it runs at once).
    pub slots: u32,
    pub host: String,
    /// Milliseconds since the Unix epoch of the last heartbeat.
    pub last_seen: f64,
    /// `running` or `finished`.
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueStatus {
    pub seeded: bool,
    pub fingerprint: Option<String>,
    pub total: u64,
    pub pending: u64,
    pub leased: Vec<LeaseInfo>,
    pub done: u64,
    pub failed: u64,
    /// Expected milliseconds of work not yet done (pending + leased).
    pub remaining_ms: f64,
    /// Leases that expired and went back to the queue (dead or stalled machines).
    pub reclaimed: u64,
    pub machines: Vec<MachineInfo>,
    /// Seeded, nothing pending and no lease open.
    pub complete: bool,
}

impl QueueStatus {
    /// A run no machine has seeded.
    pub fn unseeded() -> QueueStatus {
        QueueStatus {
            seeded: false,
            fingerprint: None,
            total: 0,
            pending: 0,
            leased: Vec::new(),
            done: 0,
            failed: 0,
            remaining_ms: 0.0,
            reclaimed: 0,
            machines: Vec::new(),
            complete: false,
        }
    }
}

/// How much one pull takes: groups from the front (longest first) until
/// their expected time reaches the remaining work × `share` ÷ (all slots ×
/// `spread`), at least one and at most `max_groups`. Large batches while
/// much work is left (fewer Playwright start-ups), single groups at the end
/// (an even finish). `share` is how many slots the pull is for: a machine
/// that runs a batch as one Playwright process with N workers pulls for N.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PullOptions {
    pub max_groups: u32,
    pub spread: f64,
    pub lease_ms: f64,
    pub share: f64,
}

impl PullOptions {
    pub const DEFAULT: PullOptions = PullOptions {
        max_groups: 16,
        spread: 3.0,
        lease_ms: 60_000.0,
        share: 1.0,
    };
}

impl Default for PullOptions {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The expected-time target of one pull.
pub fn batch_target_ms(remaining_ms: f64, total_slots: u32, spread: f64, share: f64) -> f64 {
    let slots = total_slots.max(1) as f64;
    remaining_ms * share.clamp(1.0, slots) / (slots * spread.max(1.0))
}
