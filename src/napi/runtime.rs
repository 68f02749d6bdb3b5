//! Set up once at module load, and the two helpers every binding uses to turn
//! engine results into JS values: [`sync`] for plain calls and [`spawn`] for
//! promises.
//!
//! Errors cross as `Error` objects whose `code` is the engine's stable
//! `ERR_SHARDWRIGHT_*` code. A panic never crosses: it is caught here and
//! becomes an `ERR_SHARDWRIGHT_INTERNAL` error, and the process lives.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};

use napi::bindgen_prelude::*;

use crate::error::Error as EngineError;

// Not in the unit tests' binary: the hook would hide every failed assertion's
// message (module_init runs when a binary loads, tests included).
#[cfg(not(test))]
#[napi_derive::module_init]
fn init() {
    init_tracing();
    // Panics are caught at the boundary and returned as JS errors carrying
    // their message; the default hook would also print a backtrace into the
    // user's Playwright output. Log them instead (visible with
    // SHARDWRIGHT_LOG=error or lower).
    std::panic::set_hook(Box::new(|info| {
        tracing::error!(target: "shardwright::panic", "{info}");
    }));
}

/// Logging is off unless `SHARDWRIGHT_LOG` is set (tracing's env-filter
/// syntax: `debug`, `shardwright::retry=trace,info`); then it goes to stderr,
/// so it never mixes with a reporter's stdout.
#[cfg(not(test))]
fn init_tracing() {
    let Ok(spec) = std::env::var("SHARDWRIGHT_LOG") else {
        return;
    };
    if spec.trim().is_empty() {
        return;
    }
    match tracing_subscriber::EnvFilter::try_new(&spec) {
        Ok(filter) => {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .with_target(true)
                .try_init();
        }
        Err(e) => {
            eprintln!("shardwright: invalid SHARDWRIGHT_LOG: {spec:?} ({e}); logging stays off")
        }
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// An engine error as a napi error whose JS `code` is the stable code.
pub fn to_napi(error: EngineError) -> napi::Error<&'static str> {
    napi::Error::new(error.code(), error.to_string())
}

/// Runs `f`, turning an engine error or a panic into a JS error.
///
/// Sync bindings return `napi::Result<T, &'static str>`: the error's status is
/// our stable code, which napi-rs puts on the JS error as `code`. (They spell
/// the type out: `#[napi]` recognises a result only by the name `Result`.)
pub fn sync<T>(f: impl FnOnce() -> crate::error::Result<T>) -> napi::Result<T, &'static str> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(to_napi(error)),
        Err(payload) => Err(to_napi(EngineError::Internal(panic_message(payload)))),
    }
}

/// Builds the JS `Error` for an engine error, on the JS thread.
#[cfg(not(target_family = "wasm"))]
fn js_error(env: &Env, error: &EngineError) -> napi::Error {
    let build =
        || -> napi::Result<napi::Error> { Ok(napi::Error::from(js_error_value(env, error)?)) };
    // If even building the error fails, napi's own error still carries the
    // message.
    build().unwrap_or_else(|e| e)
}

/// The JS `Error` object of an engine error, with its `code`.
fn js_error_value<'env>(env: &'env Env, error: &EngineError) -> napi::Result<Unknown<'env>> {
    let mut object =
        env.create_error(napi::Error::new(Status::GenericFailure, error.to_string()))?;
    object.set_named_property("code", error.code())?;
    object.into_unknown(env)
}

/// Runs `work` on the tokio runtime and returns a promise of its value. The
/// work runs in its own task so a panic inside it is caught (as a join
/// error) instead of tearing down the runtime thread. The result type is a
/// sync binding's, so bindings return it as it is.
pub fn spawn<T, F>(env: &Env, work: F) -> napi::Result<PromiseRaw<'_, T>, &'static str>
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = crate::error::Result<T>> + Send + 'static,
{
    let guarded = async move {
        Ok(match tokio::spawn(work).await {
            Ok(result) => result,
            Err(join) if join.is_panic() => {
                Err(EngineError::Internal(panic_message(join.into_panic())))
            }
            Err(_) => Err(EngineError::Aborted("the task".into())),
        })
    };
    #[cfg(not(target_family = "wasm"))]
    {
        env.spawn_future_with_callback(guarded, |env, result| {
            result.map_err(|error| js_error(env, &error))
        })
        // Only creating the promise can fail here (N-API out of memory or Node
        // shutting down): the work's own errors reject the promise.
        .map_err(|e| to_napi(EngineError::Internal(e.reason)))
    }
    // napi-rs on wasm rejects with a new error built from the message alone,
    // so the `code` would be lost: the promise adopts one already rejected
    // with the whole error object instead.
    #[cfg(target_family = "wasm")]
    {
        let promise = env
            .spawn_future_with_callback(guarded, |env, result| match result {
                Ok(value) => Ok(Either::A(value)),
                Err(error) => {
                    let rejected = PromiseRaw::<()>::reject(env, js_error_value(env, &error)?)?;
                    Ok(Either::B(rejected.to_unknown()))
                }
            })
            .map_err(|e| to_napi(EngineError::Internal(e.reason)))?;
        Ok(PromiseRaw::new(env.raw(), promise.raw()))
    }
}

/// Panics on purpose, synchronously or inside a promise, so the tests can
/// check that a panic becomes an `ERR_SHARDWRIGHT_INTERNAL` error and Node
/// lives on. Not part of the API.
#[napi_derive::napi(js_name = "__panicForTests", ts_return_type = "unknown")]
pub fn panic_for_tests(
    env: &Env,
    in_promise: bool,
) -> napi::Result<Option<PromiseRaw<'_, u32>>, &'static str> {
    if in_promise {
        spawn(env, async { panic!("deliberate panic inside a promise") }).map(Some)
    } else {
        sync(|| panic!("deliberate panic in a sync call"))
    }
}

/// One error kind as the docs describe it.
#[napi_derive::napi(object, object_from_js = false)]
pub struct ErrorDoc {
    /// The kind's name (`config`, `io`, …): a key of `ERROR_CODES`.
    pub kind: String,
    /// The stable `code` of its errors.
    pub code: String,
    pub summary: String,
    pub cause: String,
    pub fix: String,
}

/// Every error kind with its code, cause and fix, in the engine's order
/// (`ErrorKind::ALL`): what docs/errors.md is generated from.
#[napi_derive::napi(js_name = "__errorDocs")]
pub fn error_docs() -> Vec<ErrorDoc> {
    crate::error::ErrorKind::ALL
        .iter()
        .map(|k| {
            let d = k.doc();
            ErrorDoc {
                kind: k.name().into(),
                code: k.code().into(),
                summary: d.summary.into(),
                cause: d.cause.into(),
                fix: d.fix.into(),
            }
        })
        .collect()
}
