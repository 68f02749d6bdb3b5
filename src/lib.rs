//! shardwright: duration-balanced sharding, retries with backoff and
//! flaky-test detection for Playwright.
//!
//! The engine modules below are plain Rust with no napi types; `napi` is the
//! thin layer that exposes them to Node.js.

pub mod backoff;
pub mod classify;
pub mod config;
pub mod error;
mod file_lock;
pub mod flaky;
pub mod history;
pub mod playwright;
pub mod pool;
pub mod queue;
pub mod report;
pub mod resources;
pub mod retry;
pub mod shard;
pub mod signature;
#[cfg(test)]
mod test_dir;
pub mod triage;

// Unit tests exercise the engine; the bindings are exercised from JS.
#[cfg_attr(test, allow(dead_code))]
mod napi;

pub use error::{Error, ErrorKind, Result};
