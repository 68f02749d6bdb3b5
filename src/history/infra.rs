//! Infrastructure incidents as the history records them: a run (or one
//! project of it) where an unusual share of the tests failed with one error
//! signature. Detection is `flaky::incident`; this is the data the history
//! keeps, so the file says which failures were classified `infrastructure`
//! and why.
//!
//! A failed attempt is an infrastructure failure when an incident covers its
//! run, its project (or the whole run) and its error's signature.

#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    /// The run's id (ids survive reordering and merging; indices do not).
    pub run_id: String,
    /// The project it hit, or `None` for the whole run.
    pub project: Option<String>,
    /// The error signature the tests failed with.
    pub signature: String,
    /// Tests that failed with it.
    pub tests: u32,
    /// Distinct files among them.
    pub files: u32,
    /// Tests that ran in the run (or project).
    pub ran: u32,
    /// Whether later runs showed the tests passing again (an outage that
    /// ended); false while the run is the tests' latest.
    pub confirmed: bool,
    /// Consecutive runs the same failure lasted (1 for a single run).
    pub streak: u32,
}
