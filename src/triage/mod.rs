//! What a developer looks at after a red run: the run's failures sorted
//! into new, known flaky and broken on base (`sort`), with their owners
//! from CODEOWNERS (`codeowners`).

pub mod codeowners;
pub mod sort;

pub use codeowners::CodeOwners;
pub use sort::{triage, Category, Failure, Triage, TriageInput};
