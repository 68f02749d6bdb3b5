//! [`Loose`]: an option field as JS gave it, so the engine (not napi-rs)
//! judges its type and can name the field in the error.

use napi::bindgen_prelude::*;
use serde_json::Value;

/// Any JS value as JSON. Numbers JSON cannot hold (NaN, ±Infinity) arrive as
/// their JS text, and values JSON cannot hold at all (functions, symbols) as
/// a `[function]`-style label, so validation reports them instead of napi-rs
/// failing the whole call with its own error.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Loose(pub Value);

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
        let mut raw_type = 0;
        let status = unsafe { sys::napi_typeof(env, napi_val, &mut raw_type) };
        if status != sys::Status::napi_ok {
            return Err(Error::new(
                Status::from(status),
                "failed to read a value's type",
            ));
        }
        match ValueType::from(raw_type) {
            ValueType::Number => {
                let n = unsafe { f64::from_napi_value(env, napi_val)? };
                Ok(Loose(match serde_json::Number::from_f64(n) {
                    // Whole numbers as integers, so they print as `5`, not `5.0`.
                    Some(_) if n.fract() == 0.0 && n.abs() < 9.0e15 => Value::from(n as i64),
                    Some(num) => Value::Number(num),
                    None => Value::String(js_number_text(n)),
                }))
            }
            ValueType::Function => Ok(Loose(Value::String("[function]".into()))),
            ValueType::Symbol => Ok(Loose(Value::String("[symbol]".into()))),
            ValueType::External => Ok(Loose(Value::String("[external]".into()))),
            _ => match unsafe { Value::from_napi_value(env, napi_val) } {
                Ok(value) => Ok(Loose(value)),
                // e.g. an object holding a function or NaN: still reported by
                // the engine, as a value of the wrong shape.
                Err(_) => Ok(Loose(Value::String("[object]".into()))),
            },
        }
    }
}

impl ToNapiValue for Loose {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        unsafe { Value::to_napi_value(env, val.0) }
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
