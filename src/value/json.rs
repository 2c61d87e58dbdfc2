//! JSON forms of values: the stored state Terraform hands to
//! `UpgradeResourceState` (`raw_state.json`), read under the current schema
//! type, and a plain JSON rendering of any [`Value`] for logs and tests.
//!
//! Reading follows cty's JSON rules: `dynamic` values are stored as
//! `{"value": ..., "type": ...}`, and primitives convert where cty would
//! (a stored number read as a string keeps its text, `"true"` reads as a bool).

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use super::msgpack::number_from_text;
use super::types::{ValuePath, ValuePathStep};
use super::{Number, Type, TypeJsonError, Value};

/// Stored state that could not be read under the schema type, and where.
#[derive(Debug, thiserror::Error)]
#[error("at {path}: {kind}")]
pub struct StateJsonError {
    /// Where in the state the problem is.
    pub path: ValuePath,
    /// What the problem is.
    pub kind: StateJsonErrorKind,
}

/// What went wrong while reading stored state.
#[derive(Debug, thiserror::Error)]
pub enum StateJsonErrorKind {
    /// The bytes are not JSON.
    #[error("stored state is not valid JSON: {0}")]
    InvalidJson(serde_json::Error),
    /// A JSON value that cannot be read as the schema type.
    #[error("expected {expected}, found {found}")]
    TypeMismatch { expected: String, found: String },
    /// A JSON string that does not hold a number.
    #[error("{0:?} is not a number")]
    InvalidNumber(String),
    /// A tuple with the wrong number of elements.
    #[error("expected a tuple of {expected} elements, found {found}")]
    TupleLength { expected: usize, found: usize },
    /// A `dynamic` value that is not `{"value": ..., "type": ...}`.
    #[error("expected a {{\"value\": ..., \"type\": ...}} object for a dynamic value")]
    DynamicShape,
    /// The `type` of a stored `dynamic` value is not cty type JSON.
    #[error("dynamic value carries an invalid type: {0}")]
    DynamicType(TypeJsonError),
}

/// Reads stored state JSON as a value of type `ty` (normally the resource's
/// object type). Attributes missing from the JSON are null; attributes the
/// type no longer has are dropped. Integers become [`Number::Int`] (or
/// `UInt`), other numbers [`Number::Float`] when the float is exactly the
/// stored decimal, else [`Number::Decimal`] with the shortest text.
pub fn from_state_json(json: &[u8], ty: &Type) -> Result<Value, StateJsonError> {
    let mut reader = StateReader {
        path: ValuePath::root(),
    };
    let parsed: Json = serde_json::from_slice(json)
        .map_err(|e| reader.error(StateJsonErrorKind::InvalidJson(e)))?;
    reader.value(&parsed, ty)
}

/// Renders a value as plain JSON for logs and tests. Lossy: unknown becomes
/// the string `"<unknown>"`, infinite floats become strings, and list, set
/// and tuple all become arrays.
pub fn to_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Unknown => Json::from("<unknown>"),
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => number_to_json(n),
        Value::String(s) => Json::from(s.as_str()),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            Json::Array(items.iter().map(to_json).collect())
        }
        Value::Map(entries) | Value::Object(entries) => Json::Object(
            entries
                .iter()
                .map(|(key, value)| (key.clone(), to_json(value)))
                .collect(),
        ),
    }
}

fn number_to_json(number: &Number) -> Json {
    let as_number = match number {
        Number::Int(i) => Some((*i).into()),
        Number::UInt(u) => Some((*u).into()),
        Number::Float(f) => serde_json::Number::from_f64(*f),
        Number::Decimal(text) => text.parse().ok(),
    };
    as_number.map_or_else(|| Json::from(number.to_string()), Json::Number)
}

/// A stored JSON number as cty would have sent it in msgpack.
fn number_from_json(number: &serde_json::Number) -> Option<Number> {
    if let Some(i) = number.as_i64() {
        Some(Number::Int(i))
    } else if let Some(u) = number.as_u64() {
        Some(Number::UInt(u))
    } else {
        number.as_f64().map(number_from_float)
    }
}

/// `Float` when the float is exactly its shortest decimal text (1.5),
/// otherwise `Decimal` with that text (0.1), so no binary error creeps in.
fn number_from_float(float: f64) -> Number {
    let shortest = float.to_string();
    let exact = format!("{float:.1100}");
    let exact = exact.trim_end_matches('0').trim_end_matches('.');
    if exact == shortest {
        Number::Float(float)
    } else {
        Number::Decimal(shortest)
    }
}

/// What a JSON value is, for error messages.
fn json_kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

/// Walks parsed JSON alongside the type, tracking the path for errors.
struct StateReader {
    path: ValuePath,
}

impl StateReader {
    fn error(&self, kind: StateJsonErrorKind) -> StateJsonError {
        StateJsonError {
            path: self.path.clone(),
            kind,
        }
    }

    fn mismatch(&self, ty: &Type, json: &Json) -> StateJsonError {
        self.error(StateJsonErrorKind::TypeMismatch {
            expected: ty.to_string(),
            found: json_kind(json).to_owned(),
        })
    }

    fn at(&mut self, step: ValuePathStep, json: &Json, ty: &Type) -> Result<Value, StateJsonError> {
        self.path.push(step);
        let result = self.value(json, ty);
        self.path.pop();
        result
    }

    fn value(&mut self, json: &Json, ty: &Type) -> Result<Value, StateJsonError> {
        match (json, ty) {
            (Json::Null, _) => Ok(Value::Null),
            (_, Type::Dynamic) => self.dynamic(json),
            (_, Type::String) => self.string(json).map(Value::String),
            (_, Type::Number) => self.number(json).map(Value::Number),
            (_, Type::Bool) => self.boolean(json).map(Value::Bool),
            (Json::Array(items), Type::List(element)) => {
                self.elements(items, element).map(Value::List)
            }
            (Json::Array(items), Type::Set(element)) => {
                self.elements(items, element).map(Value::Set)
            }
            (Json::Array(items), Type::Tuple(elements)) => {
                self.tuple(items, elements).map(Value::Tuple)
            }
            (Json::Object(entries), Type::Map(element)) => {
                self.map(entries, element).map(Value::Map)
            }
            (Json::Object(entries), Type::Object(attrs)) => {
                self.object(entries, attrs).map(Value::Object)
            }
            _ => Err(self.mismatch(ty, json)),
        }
    }

    fn string(&self, json: &Json) -> Result<String, StateJsonError> {
        match json {
            Json::String(s) => Ok(s.clone()),
            Json::Number(n) => Ok(n.to_string()),
            Json::Bool(b) => Ok(b.to_string()),
            _ => Err(self.mismatch(&Type::String, json)),
        }
    }

    fn number(&self, json: &Json) -> Result<Number, StateJsonError> {
        let number = match json {
            Json::Number(n) => number_from_json(n),
            Json::String(s) => number_from_text(s),
            _ => return Err(self.mismatch(&Type::Number, json)),
        };
        number.ok_or_else(|| self.error(StateJsonErrorKind::InvalidNumber(json.to_string())))
    }

    fn boolean(&self, json: &Json) -> Result<bool, StateJsonError> {
        match json {
            Json::Bool(b) => Ok(*b),
            Json::String(s) if s == "true" || s == "1" => Ok(true),
            Json::String(s) if s == "false" || s == "0" => Ok(false),
            _ => Err(self.mismatch(&Type::Bool, json)),
        }
    }

    fn elements(&mut self, items: &[Json], element: &Type) -> Result<Vec<Value>, StateJsonError> {
        (items.iter().enumerate())
            .map(|(i, item)| self.at(ValuePathStep::Index(i), item, element))
            .collect()
    }

    fn tuple(&mut self, items: &[Json], elements: &[Type]) -> Result<Vec<Value>, StateJsonError> {
        if items.len() != elements.len() {
            let (expected, found) = (elements.len(), items.len());
            return Err(self.error(StateJsonErrorKind::TupleLength { expected, found }));
        }
        (items.iter().zip(elements).enumerate())
            .map(|(i, (item, ty))| self.at(ValuePathStep::Index(i), item, ty))
            .collect()
    }

    fn map(
        &mut self,
        entries: &Map<String, Json>,
        element: &Type,
    ) -> Result<BTreeMap<String, Value>, StateJsonError> {
        (entries.iter())
            .map(|(key, item)| {
                Ok((
                    key.clone(),
                    self.at(ValuePathStep::Key(key.clone()), item, element)?,
                ))
            })
            .collect()
    }

    /// Reads the attributes the type declares; anything else in the JSON is dropped.
    fn object(
        &mut self,
        entries: &Map<String, Json>,
        attrs: &BTreeMap<String, Type>,
    ) -> Result<BTreeMap<String, Value>, StateJsonError> {
        (attrs.iter())
            .map(|(name, ty)| {
                let item = entries.get(name).unwrap_or(&Json::Null);
                Ok((
                    name.clone(),
                    self.at(ValuePathStep::Attribute(name.clone()), item, ty)?,
                ))
            })
            .collect()
    }

    /// `{"value": ..., "type": ...}`.
    fn dynamic(&mut self, json: &Json) -> Result<Value, StateJsonError> {
        let (Some(value), Some(ty)) = (json.get("value"), json.get("type")) else {
            return Err(self.error(StateJsonErrorKind::DynamicShape));
        };
        let ty = Type::from_json_value(ty)
            .map_err(|e| self.error(StateJsonErrorKind::DynamicType(e)))?;
        self.value(value, &ty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Value {
        Value::String(text.to_owned())
    }

    fn resource_type() -> Type {
        Type::object([
            ("id", Type::String),
            ("count", Type::Number),
            ("ratio", Type::Number),
            ("share", Type::Number),
            ("enabled", Type::Bool),
            ("subnet_ids", Type::set(Type::String)),
            ("tags", Type::map(Type::String)),
            ("timeouts", Type::object([("create", Type::String)])),
            ("added_later", Type::list(Type::String)),
        ])
    }

    #[test]
    fn reads_pretty_printed_state() {
        let json = br#"{
  "id": "vpce-1",
  "count": 3,
  "ratio": 1.5,
  "share": 0.1,
  "enabled": true,
  "subnet_ids": ["subnet-a", "subnet-b"],
  "tags": {"Name": "x"},
  "timeouts": null,
  "removed_attribute": "dropped"
}"#;
        let value = from_state_json(json, &resource_type()).unwrap();
        let get = |name| value.get(name).unwrap().clone();
        assert_eq!(get("id"), s("vpce-1"));
        assert_eq!(get("count"), Value::Number(Number::Int(3)));
        assert_eq!(get("ratio"), Value::Number(Number::Float(1.5)));
        assert_eq!(get("share"), Value::Number(Number::Decimal("0.1".into())));
        assert_eq!(get("enabled"), Value::Bool(true));
        assert_eq!(
            get("subnet_ids"),
            Value::Set(vec![s("subnet-a"), s("subnet-b")])
        );
        assert_eq!(
            get("tags"),
            Value::Map(BTreeMap::from([("Name".into(), s("x"))]))
        );
        assert_eq!(get("timeouts"), Value::Null);
        assert_eq!(get("added_later"), Value::Null);
        assert!(value.get("removed_attribute").is_none());
    }

    #[test]
    fn big_integers() {
        let ty = Type::object([("n", Type::Number)]);
        let value = from_state_json(br#"{"n": 18446744073709551615}"#, &ty).unwrap();
        assert_eq!(value.get("n"), Some(&Value::Number(Number::UInt(u64::MAX))));
    }

    #[test]
    fn primitives_convert_like_cty() {
        let ty = Type::object([("s", Type::String), ("n", Type::Number), ("b", Type::Bool)]);
        let value = from_state_json(br#"{"s": 42, "n": "0.25", "b": "false"}"#, &ty).unwrap();
        assert_eq!(value.get("s"), Some(&s("42")));
        assert_eq!(
            value.get("n"),
            Some(&Value::Number(Number::Decimal("0.25".into())))
        );
        assert_eq!(value.get("b"), Some(&Value::Bool(false)));
    }

    #[test]
    fn dynamic_attribute() {
        let ty = Type::object([("d", Type::Dynamic)]);
        let json = br#"{"d": {"value": ["a", 1], "type": ["tuple", ["string", "number"]]}}"#;
        let value = from_state_json(json, &ty).unwrap();
        let expected = Value::Tuple(vec![s("a"), Value::Number(Number::Int(1))]);
        assert_eq!(value.get("d"), Some(&expected));
        let err = from_state_json(br#"{"d": "bare"}"#, &ty).unwrap_err();
        assert!(
            matches!(err.kind, StateJsonErrorKind::DynamicShape),
            "{err}"
        );
    }

    #[test]
    fn errors_name_the_path() {
        let json = br#"{"subnet_ids": ["a", ["nested"]]}"#;
        let err = from_state_json(json, &resource_type()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "at .subnet_ids[1]: expected string, found array"
        );
        let err = from_state_json(b"{not json", &resource_type()).unwrap_err();
        assert!(
            matches!(err.kind, StateJsonErrorKind::InvalidJson(_)),
            "{err}"
        );
        let err = from_state_json(br#"{"count": "many"}"#, &resource_type()).unwrap_err();
        assert!(
            matches!(err.kind, StateJsonErrorKind::InvalidNumber(_)),
            "{err}"
        );
    }

    #[test]
    fn renders_values_as_json() {
        let value = Value::Object(BTreeMap::from([
            (
                "a".to_owned(),
                Value::List(vec![Value::Null, Value::Unknown]),
            ),
            ("n".to_owned(), Value::Number(Number::Decimal("0.1".into()))),
            ("f".to_owned(), Value::Number(Number::Float(f64::INFINITY))),
        ]));
        let expected = serde_json::json!({"a": [null, "<unknown>"], "n": 0.1, "f": "inf"});
        assert_eq!(to_json(&value), expected);
    }
}
