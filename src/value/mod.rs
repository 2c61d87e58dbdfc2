//! Terraform values: the tri-state (known / null / unknown) value model, cty
//! types, and their wire encodings (msgpack `DynamicValue`, cty type JSON, and
//! the JSON of stored state used by `UpgradeResourceState`).
//!
//! Nothing here knows about gRPC or AWS: the protocol layer decodes bytes into
//! [`Value`] with a [`Type`] from the schema, the framework works on `Value`.

mod json;
mod msgpack;
mod number;
mod types;

pub use json::{from_state_json, to_json, StateJsonError, StateJsonErrorKind};
pub use msgpack::{
    decode, encode, DecodeError, DecodeErrorKind, EncodeError, EncodeErrorKind, MAX_DEPTH,
};
pub use number::Number;
pub use types::{Type, TypeJsonError, ValuePath, ValuePathStep};

use std::collections::BTreeMap;

/// A Terraform value. Collections keep their kind because msgpack does not
/// (a list and a set look alike on the wire; the schema [`Type`] tells them apart).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Known to be null.
    Null,
    /// Not known until apply. Refinements Terraform sends (nullness, prefix,
    /// bounds) are dropped: they only narrow what the value may become.
    Unknown,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    /// Elements in the order received; equality is order-sensitive, callers
    /// that compare sets as sets use [`Value::set_eq`].
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Tuple(Vec<Value>),
    /// An object or a nested block: every attribute of the type is present.
    Object(BTreeMap<String, Value>),
}

impl Value {
    /// True for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// True when this value itself is unknown (not looking inside).
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// True when this value and everything inside it is known.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                items.iter().all(Value::is_wholly_known)
            }
            Value::Map(entries) | Value::Object(entries) => {
                entries.values().all(Value::is_wholly_known)
            }
            _ => true,
        }
    }

    /// The string inside a known string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean inside a known bool value.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The attribute `name` of an object (None when absent or not an object).
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(attrs) | Value::Map(attrs) => attrs.get(name),
            _ => None,
        }
    }

    /// Sets the attribute `name` of an object to `value` (nothing for
    /// other values).
    pub fn set_attribute(&mut self, name: &str, value: Value) {
        if let Value::Object(attributes) = self {
            attributes.insert(name.to_owned(), value);
        }
    }

    /// Compares two sets as sets (order-insensitive); other values with `==`.
    pub fn set_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Set(a), Value::Set(b)) => {
                a.len() == b.len() && a.iter().all(|x| b.iter().any(|y| x.set_eq(y)))
            }
            _ => self == other,
        }
    }
}
