//! Typed access to values: a resource author declares a serde struct that
//! mirrors the schema and converts wholly known values to and from it.

use super::diagnostics::Diagnostics;
use crate::value::{from_state_json, to_json, Type, Value};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Reads a wholly known value into `T`.
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, Diagnostics> {
    if !value.is_wholly_known() {
        return Err(Diagnostics::from_error(
            "Value not yet known",
            "A value needed here is only known after apply. This is a provider bug: report it.",
        ));
    }
    serde_json::from_value(to_json(value)).map_err(|e| {
        Diagnostics::from_error(
            "Provider could not read its own data",
            format!("Decoding a value failed ({e}). This is a provider bug: report it."),
        )
    })
}

/// Converts `data` into a value of type `ty`; fields `ty` lacks are dropped
/// and attributes `data` lacks are null.
pub fn to_value<T: Serialize>(data: &T, ty: &Type) -> Result<Value, Diagnostics> {
    let bug = |e: String| {
        Diagnostics::from_error(
            "Provider could not encode its own data",
            format!("Encoding a value failed ({e}). This is a provider bug: report it."),
        )
    };
    let json = serde_json::to_vec(data).map_err(|e| bug(e.to_string()))?;
    from_state_json(&json, ty).map_err(|e| bug(e.to_string()))
}
