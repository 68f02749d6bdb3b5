//! The `#[napi]` layer: converts JS values to engine types and engine errors
//! to JS errors, nothing more. One file per exposed area.

mod backoff;
mod config;
mod history;
mod playwright;
mod pool;
mod queue;
mod report;
mod retry;
mod runtime;
mod shard;
mod triage;
mod value;
