//! The `#[napi]` layer: converts JS values to engine types and engine errors
//! to JS errors, nothing more. One file per exposed area.

mod backoff;
mod history;
mod retry;
mod runtime;
mod value;
