//! Configuration: readers for option values whichever way they arrive, the
//! settings with their defaults and environment variables, CI detection.

mod ci;
mod read;
mod settings;

pub use ci::{ci_run_id, detect_ci};
pub use read::{
    boolean, choice, closest, fields, non_negative, number, number_in, show, string, unknown_field,
    whole,
};
pub use settings::{Config, Entry, Setting, Source, Workers, SETTINGS};
pub use settings::{FlakySettings, QUARANTINE_MODES, STRATEGIES};
