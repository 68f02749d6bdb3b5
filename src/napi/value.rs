//! [`Loose`]: an option field as JS gave it, so the engine (not napi-rs)
//! judges its type and can name the field in the error; and
//! [`loose_options!`], which reads a whole options object that way and
//! rejects the fields it does not know.

use napi::bindgen_prelude::*;
use serde_json::{Map, Value};

/// Any JS value as JSON, read without ever failing the call:
///
/// - numbers JSON cannot hold (NaN, ±Infinity) arrive as their JS text, so
///   `{ retry: { maxRetries: NaN } }` is reported as `retry.maxRetries: NaN`;
/// - values JSON cannot hold at all arrive as a label: `[function]`,
///   `[symbol]`, `[bigint]`, `[external]`;
/// - objects are read by their own enumerable string keys; a property whose
///   getter (or a Proxy trap) throws reads as `[unreadable]` (the exception
///   is cleared, not left pending);
/// - a cycle reads as `[circular]`, nesting deeper than [`MAX_DEPTH`] as
///   `[too deep]`, and past [`MAX_NODES`] values everything reads as
///   `[too large]` — so no input can overflow the stack or run for ever.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Loose(pub Value);

/// Nesting read before a value reads as `[too deep]`.
pub const MAX_DEPTH: usize = 64;
/// Values read in one [`Loose`] before the rest reads as `[too large]`.
pub const MAX_NODES: usize = 1_000_000;

impl Loose {
    /// An options object (`settings`, `flags`…): absent or null is empty;
    /// anything else but an object is an error naming `field`.
    pub fn object(field: &str, v: Option<Loose>) -> crate::error::Result<Map<String, Value>> {
        match v.map(|l| l.0) {
            None | Some(Value::Null) => Ok(Map::new()),
            Some(Value::Object(m)) => Ok(m),
            Some(other) => Err(crate::error::Error::invalid(
                field,
                crate::config::show(&other),
                "an object",
            )),
        }
    }
}

impl TypeName for Loose {
    fn type_name() -> &'static str {
        "unknown"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ValidateNapiValue for Loose {}

impl FromNapiValue for Loose {
    unsafe fn from_napi_value(env: sys::napi_env, napi_val: sys::napi_value) -> Result<Self> {
        let mut reader = Reader {
            env,
            ancestors: Vec::new(),
            budget: MAX_NODES,
        };
        Ok(Loose(unsafe { reader.read(napi_val) }))
    }
}

impl ToNapiValue for Loose {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        unsafe { Value::to_napi_value(env, val.0) }
    }
}

fn label(text: &str) -> Value {
    Value::String(text.to_string())
}

struct Reader {
    env: sys::napi_env,
    /// The objects being read, outermost first (cycle check).
    ancestors: Vec<sys::napi_value>,
    budget: usize,
}

impl Reader {
    /// `Ok(())` when `status` is napi_ok; otherwise clears a pending JS
    /// exception (a getter or a Proxy trap threw) so it does not surface
    /// later, and fails.
    unsafe fn check(&self, status: sys::napi_status) -> std::result::Result<(), ()> {
        if status == sys::Status::napi_ok {
            return Ok(());
        }
        let mut pending = false;
        unsafe {
            sys::napi_is_exception_pending(self.env, &mut pending);
            if pending {
                let mut exception = std::ptr::null_mut();
                sys::napi_get_and_clear_last_exception(self.env, &mut exception);
            }
        }
        Err(())
    }

    unsafe fn read(&mut self, v: sys::napi_value) -> Value {
        if self.budget == 0 {
            return label("[too large]");
        }
        self.budget -= 1;
        let env = self.env;
        let mut raw_type = 0;
        if unsafe { self.check(sys::napi_typeof(env, v, &mut raw_type)) }.is_err() {
            return label("[unreadable]");
        }
        // napi_bigint (napi-rs names it only with its `napi6` feature).
        const BIGINT: sys::napi_valuetype = 9;
        if raw_type == BIGINT {
            return label("[bigint]");
        }
        match ValueType::from(raw_type) {
            ValueType::Undefined | ValueType::Null => Value::Null,
            ValueType::Boolean => {
                let mut b = false;
                match unsafe { self.check(sys::napi_get_value_bool(env, v, &mut b)) } {
                    Ok(()) => Value::Bool(b),
                    Err(()) => label("[unreadable]"),
                }
            }
            ValueType::Number => {
                let mut n = 0.0;
                match unsafe { self.check(sys::napi_get_value_double(env, v, &mut n)) } {
                    Ok(()) => number(n),
                    Err(()) => label("[unreadable]"),
                }
            }
            ValueType::String => match unsafe { String::from_napi_value(env, v) } {
                Ok(s) => Value::String(s),
                Err(_) => label("[unreadable]"),
            },
            ValueType::Function => label("[function]"),
            ValueType::Symbol => label("[symbol]"),
            ValueType::External => label("[external]"),
            ValueType::Object => unsafe { self.object(v) },
            _ => label("[unreadable]"),
        }
    }

    unsafe fn object(&mut self, v: sys::napi_value) -> Value {
        let env = self.env;
        if self.ancestors.len() >= MAX_DEPTH {
            return label("[too deep]");
        }
        for &a in &self.ancestors {
            let mut same = false;
            if unsafe { sys::napi_strict_equals(env, a, v, &mut same) } == sys::Status::napi_ok
                && same
            {
                return label("[circular]");
            }
        }
        // The values read below live in this scope; `v` and the ancestors
        // were made in enclosing ones, so they stay valid.
        let mut scope = std::ptr::null_mut();
        if unsafe { self.check(sys::napi_open_handle_scope(env, &mut scope)) }.is_err() {
            return label("[unreadable]");
        }
        self.ancestors.push(v);
        let value = unsafe { self.object_in_scope(v) };
        self.ancestors.pop();
        unsafe { sys::napi_close_handle_scope(env, scope) };
        value
    }

    unsafe fn object_in_scope(&mut self, v: sys::napi_value) -> Value {
        let env = self.env;
        let mut is_array = false;
        if unsafe { self.check(sys::napi_is_array(env, v, &mut is_array)) }.is_err() {
            return label("[unreadable]");
        }
        if is_array {
            let mut len = 0u32;
            if unsafe { self.check(sys::napi_get_array_length(env, v, &mut len)) }.is_err() {
                return label("[unreadable]");
            }
            // Longer than what may still be read: no use walking it (a
            // sparse `new Array(2 ** 32 - 1)` would take seconds).
            if len as usize > self.budget {
                return label("[too large]");
            }
            let mut items = Vec::with_capacity(len as usize);
            for i in 0..len {
                if self.budget == 0 {
                    items.push(label("[too large]"));
                    break;
                }
                let mut item = std::ptr::null_mut();
                items.push(
                    if unsafe { self.check(sys::napi_get_element(env, v, i, &mut item)) }.is_ok() {
                        unsafe { self.read(item) }
                    } else {
                        label("[unreadable]")
                    },
                );
            }
            return Value::Array(items);
        }
        // Enumerable string keys, own and inherited (for…in); inherited ones
        // are skipped below.
        let mut keys = std::ptr::null_mut();
        if unsafe { self.check(sys::napi_get_property_names(env, v, &mut keys)) }.is_err() {
            return label("[unreadable]");
        }
        let mut count = 0u32;
        if unsafe { self.check(sys::napi_get_array_length(env, keys, &mut count)) }.is_err() {
            return label("[unreadable]");
        }
        let mut map = Map::new();
        for i in 0..count {
            if self.budget == 0 {
                break;
            }
            let mut key = std::ptr::null_mut();
            if unsafe { self.check(sys::napi_get_element(env, keys, i, &mut key)) }.is_err() {
                continue;
            }
            let mut own = false;
            if unsafe { self.check(sys::napi_has_own_property(env, v, key, &mut own)) }.is_err()
                || !own
            {
                continue;
            }
            let Ok(name) = (unsafe { String::from_napi_value(env, key) }) else {
                continue;
            };
            let mut item = std::ptr::null_mut();
            let value =
                if unsafe { self.check(sys::napi_get_property(env, v, key, &mut item)) }.is_ok() {
                    unsafe { self.read(item) }
                } else {
                    label("[unreadable]")
                };
            map.insert(name, value);
        }
        Value::Object(map)
    }
}

/// A JS number as JSON: whole numbers as integers (so they print as `5`,
/// not `5.0`), NaN and ±Infinity as their JS text.
fn number(n: f64) -> Value {
    match serde_json::Number::from_f64(n) {
        Some(_) if n.fract() == 0.0 && n.abs() < 9.0e15 => Value::from(n as i64),
        Some(num) => Value::Number(num),
        None => Value::String(js_number_text(n)),
    }
}

fn js_number_text(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n > 0.0 {
        "Infinity".into()
    } else {
        "-Infinity".into()
    }
}

/// The inner JSON value of an optional field.
pub fn json(field: &Option<Loose>) -> Option<&Value> {
    field.as_ref().map(|l| &l.0)
}

/// Reads an options struct of `Option<Loose>` fields from a whole JS
/// options object (itself read as a [`Loose`]), so that a misspelt field is
/// an error naming it and the closest valid one instead of being ignored.
///
/// ```ignore
/// loose_options!(BackoffOptions, "a BackoffPolicy", [], {
///     initial_delay_ms => "initialDelayMs",
///     ...
/// });
/// ```
///
/// generates `FIELDS` (the JS names read, then `extra` names accepted and
/// left to JS), `from_map` (reads the fields, ignoring others) and
/// `from_loose` (checks the names, then reads). Every field of the struct
/// must be listed (a struct literal is built), so the list cannot drift from
/// the struct.
macro_rules! loose_options {
    ($ty:ident, $owner:literal, [$($extra:literal),* $(,)?], { $($field:ident => $name:literal),* $(,)? }) => {
        impl $ty {
            /// The option names it reads, then names accepted for the JS side.
            pub const FIELDS: &'static [&'static str] = &[$($name,)* $($extra,)*];
            /// Whose options these are, for "not … option" errors.
            #[allow(dead_code)]
            pub const OWNER: &'static str = $owner;

            pub fn from_map(map: Option<&serde_json::Map<String, serde_json::Value>>) -> Self {
                let get = |k: &str| {
                    map.and_then(|m| m.get(k))
                        .cloned()
                        .map($crate::napi::value::Loose)
                };
                $ty { $($field: get($name)),* }
            }

            /// From the whole options object; an unknown field is an error.
            #[allow(dead_code)]
            pub fn from_loose(options: Option<&$crate::napi::value::Loose>) -> $crate::error::Result<Self> {
                let map = $crate::config::fields(
                    "options",
                    options.map(|l| &l.0),
                    Self::FIELDS,
                    Self::OWNER,
                    "",
                )?;
                Ok(Self::from_map(map))
            }
        }
    };
}

pub(crate) use loose_options;
