//! cty types: the [`Type`] of a Terraform value, its JSON form (how schemas
//! and `dynamic` values name types on the wire), type inference for values
//! sent under `dynamic`, and [`ValuePath`], the location of a problem inside
//! a value (used by every codec error).

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value as Json;

use super::Value;

/// A cty type, as declared in a schema or carried by a `dynamic` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    String,
    Number,
    Bool,
    /// Any type; the concrete type travels with the value.
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Tuple(Vec<Type>),
    Object(BTreeMap<String, Type>),
}

/// Why type JSON could not be read as a [`Type`].
#[derive(Debug, thiserror::Error)]
pub enum TypeJsonError {
    /// The bytes are not JSON at all.
    #[error("type JSON is not valid JSON: {0}")]
    InvalidJson(#[from] serde_json::Error),
    /// A string that names no primitive type.
    #[error(
        "unknown primitive type {0:?} (expected \"string\", \"number\", \"bool\" or \"dynamic\")"
    )]
    UnknownPrimitive(String),
    /// An array whose first element names no type kind.
    #[error(
        "unknown type kind {0:?} (expected \"list\", \"set\", \"map\", \"tuple\" or \"object\")"
    )]
    UnknownKind(String),
    /// JSON of the wrong shape, with what was expected and what was found.
    #[error("malformed type JSON: expected {expected}, found {found}")]
    Malformed {
        expected: &'static str,
        found: String,
    },
}

impl Type {
    /// `list(element)`.
    pub fn list(element: Type) -> Type {
        Type::List(Box::new(element))
    }

    /// `set(element)`.
    pub fn set(element: Type) -> Type {
        Type::Set(Box::new(element))
    }

    /// `map(element)`.
    pub fn map(element: Type) -> Type {
        Type::Map(Box::new(element))
    }

    /// `object({...})` from `(attribute name, type)` pairs.
    pub fn object<'a>(attributes: impl IntoIterator<Item = (&'a str, Type)>) -> Type {
        Type::Object(
            attributes
                .into_iter()
                .map(|(name, ty)| (name.to_owned(), ty))
                .collect(),
        )
    }

    /// The cty type JSON, e.g. `["list","string"]`, as bytes.
    pub fn to_json(&self) -> Vec<u8> {
        // Serializing a `serde_json::Value` cannot fail.
        serde_json::to_vec(&self.to_json_value()).unwrap_or_default()
    }

    /// The cty type JSON as a `serde_json::Value`.
    pub fn to_json_value(&self) -> Json {
        let kind = |name: &str, inner: Json| Json::Array(vec![Json::from(name), inner]);
        match self {
            Type::String => Json::from("string"),
            Type::Number => Json::from("number"),
            Type::Bool => Json::from("bool"),
            Type::Dynamic => Json::from("dynamic"),
            Type::List(e) => kind("list", e.to_json_value()),
            Type::Set(e) => kind("set", e.to_json_value()),
            Type::Map(e) => kind("map", e.to_json_value()),
            Type::Tuple(es) => kind("tuple", es.iter().map(Type::to_json_value).collect()),
            Type::Object(attrs) => kind(
                "object",
                Json::Object(
                    attrs
                        .iter()
                        .map(|(name, ty)| (name.clone(), ty.to_json_value()))
                        .collect(),
                ),
            ),
        }
    }

    /// Parses cty type JSON. The optional-attribute object form
    /// `["object",{...},["optattr",...]]` is accepted; the third element is ignored.
    pub fn from_json(json: &[u8]) -> Result<Type, TypeJsonError> {
        let parsed: Json = serde_json::from_slice(json)?;
        Type::from_json_value(&parsed)
    }

    /// Reads cty type JSON already parsed into a `serde_json::Value`.
    pub fn from_json_value(json: &Json) -> Result<Type, TypeJsonError> {
        match json {
            Json::String(name) => primitive_from_name(name),
            Json::Array(items) => composite_from_items(items),
            other => Err(malformed(
                "a type name string or a [kind, ...] array",
                other,
            )),
        }
    }

    /// True for `dynamic` and for any type with `dynamic` somewhere inside.
    pub fn has_dynamic(&self) -> bool {
        match self {
            Type::Dynamic => true,
            Type::String | Type::Number | Type::Bool => false,
            Type::List(e) | Type::Set(e) | Type::Map(e) => e.has_dynamic(),
            Type::Tuple(es) => es.iter().any(Type::has_dynamic),
            Type::Object(attrs) => attrs.values().any(Type::has_dynamic),
        }
    }
}

/// Short human names, as cty prints them: `string`, `list of string`, `object`.
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::String => f.write_str("string"),
            Type::Number => f.write_str("number"),
            Type::Bool => f.write_str("bool"),
            Type::Dynamic => f.write_str("dynamic"),
            Type::List(e) => write!(f, "list of {e}"),
            Type::Set(e) => write!(f, "set of {e}"),
            Type::Map(e) => write!(f, "map of {e}"),
            Type::Tuple(_) => f.write_str("tuple"),
            Type::Object(_) => f.write_str("object"),
        }
    }
}

fn primitive_from_name(name: &str) -> Result<Type, TypeJsonError> {
    match name {
        "string" => Ok(Type::String),
        "number" => Ok(Type::Number),
        "bool" => Ok(Type::Bool),
        "dynamic" => Ok(Type::Dynamic),
        other => Err(TypeJsonError::UnknownPrimitive(other.to_owned())),
    }
}

fn composite_from_items(items: &[Json]) -> Result<Type, TypeJsonError> {
    let (kind, rest) = match items.split_first() {
        Some((Json::String(kind), rest)) => (kind.as_str(), rest),
        Some((other, _)) => return Err(malformed("a type kind string", other)),
        None => return Err(malformed("a [kind, ...] array", &Json::Array(vec![]))),
    };
    match (kind, rest) {
        ("list", [element]) => Ok(Type::list(Type::from_json_value(element)?)),
        ("set", [element]) => Ok(Type::set(Type::from_json_value(element)?)),
        ("map", [element]) => Ok(Type::map(Type::from_json_value(element)?)),
        ("tuple", [Json::Array(elements)]) => elements
            .iter()
            .map(Type::from_json_value)
            .collect::<Result<_, _>>()
            .map(Type::Tuple),
        ("object", [Json::Object(attrs)] | [Json::Object(attrs), _]) => attrs
            .iter()
            .map(|(name, ty)| Ok((name.clone(), Type::from_json_value(ty)?)))
            .collect::<Result<_, _>>()
            .map(Type::Object),
        ("list" | "set" | "map", _) => Err(malformed_items("[kind, element type]", items)),
        ("tuple", _) => Err(malformed_items("[\"tuple\", [element types]]", items)),
        ("object", _) => Err(malformed_items("[\"object\", {attribute types}]", items)),
        (other, _) => Err(TypeJsonError::UnknownKind(other.to_owned())),
    }
}

fn malformed(expected: &'static str, found: &Json) -> TypeJsonError {
    TypeJsonError::Malformed {
        expected,
        found: found.to_string(),
    }
}

fn malformed_items(expected: &'static str, items: &[Json]) -> TypeJsonError {
    malformed(expected, &Json::Array(items.to_vec()))
}

impl Value {
    /// The type this value most plausibly has, used to send it under
    /// `dynamic`. Null and unknown give `dynamic`; an empty collection has
    /// `dynamic` elements; a non-empty list, set or map takes the type shared
    /// by its elements (nulls, unknowns and empty collections only narrow
    /// nothing). When elements disagree the first element's type wins and
    /// encoding will report the mismatch.
    pub fn infer_type(&self) -> Type {
        match self {
            Value::Null | Value::Unknown => Type::Dynamic,
            Value::Bool(_) => Type::Bool,
            Value::Number(_) => Type::Number,
            Value::String(_) => Type::String,
            Value::List(items) => Type::list(common_type(items.iter())),
            Value::Set(items) => Type::set(common_type(items.iter())),
            Value::Map(entries) => Type::map(common_type(entries.values())),
            Value::Tuple(items) => Type::Tuple(items.iter().map(Value::infer_type).collect()),
            Value::Object(attrs) => Type::Object(
                attrs
                    .iter()
                    .map(|(name, value)| (name.clone(), value.infer_type()))
                    .collect(),
            ),
        }
    }

    /// A short name of this value's kind for error messages.
    pub(crate) fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Unknown => "unknown",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Map(_) => "map",
            Value::Tuple(_) => "tuple",
            Value::Object(_) => "object",
        }
    }
}

/// The element type of a collection holding `items`.
fn common_type<'a>(items: impl Iterator<Item = &'a Value>) -> Type {
    items.map(Value::infer_type).fold(Type::Dynamic, unify)
}

/// Merges two inferred types: `dynamic` parts take the other side's type.
/// On a real conflict the first type is kept.
fn unify(first: Type, second: Type) -> Type {
    match (first, second) {
        (Type::Dynamic, other) => other,
        (Type::List(a), Type::List(b)) => Type::list(unify(*a, *b)),
        (Type::Set(a), Type::Set(b)) => Type::set(unify(*a, *b)),
        (Type::Map(a), Type::Map(b)) => Type::map(unify(*a, *b)),
        (Type::Tuple(a), Type::Tuple(b)) if a.len() == b.len() => {
            Type::Tuple(a.into_iter().zip(b).map(|(x, y)| unify(x, y)).collect())
        }
        (Type::Object(a), Type::Object(b)) if a.keys().eq(b.keys()) => Type::Object(
            a.into_iter()
                .zip(b.into_values())
                .map(|((name, x), y)| (name, unify(x, y)))
                .collect(),
        ),
        (first, _) => first,
    }
}

/// One step from a value into a part of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValuePathStep {
    /// An object attribute.
    Attribute(String),
    /// A list, set or tuple element (sets: position on the wire).
    Index(usize),
    /// A map element.
    Key(String),
}

/// Where inside a value something is, e.g. `.subnet_ids[2]` or `.tags["Name"]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValuePath(pub Vec<ValuePathStep>);

impl ValuePath {
    /// The value itself.
    pub fn root() -> ValuePath {
        ValuePath(Vec::new())
    }

    /// True for the path of the value itself.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn push(&mut self, step: ValuePathStep) {
        self.0.push(step);
    }

    pub(crate) fn pop(&mut self) {
        self.0.pop();
    }
}

/// `.name`, `[2]` and `["key"]` steps; the root prints as `(root)`.
impl fmt::Display for ValuePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_root() {
            return f.write_str("(root)");
        }
        for step in &self.0 {
            match step {
                ValuePathStep::Attribute(name) => write!(f, ".{name}")?,
                ValuePathStep::Index(i) => write!(f, "[{i}]")?,
                ValuePathStep::Key(key) => write!(f, "[{key:?}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Number;

    fn round_trip(ty: &Type) -> Type {
        Type::from_json(&ty.to_json()).expect("type JSON parses back")
    }

    #[test]
    fn primitives_to_json() {
        assert_eq!(Type::String.to_json(), br#""string""#);
        assert_eq!(Type::Number.to_json(), br#""number""#);
        assert_eq!(Type::Bool.to_json(), br#""bool""#);
        assert_eq!(Type::Dynamic.to_json(), br#""dynamic""#);
    }

    #[test]
    fn composites_to_json() {
        let ty = Type::object([
            ("ids", Type::set(Type::String)),
            ("tags", Type::map(Type::String)),
            ("pair", Type::Tuple(vec![Type::Number, Type::Bool])),
            ("rules", Type::list(Type::Dynamic)),
        ]);
        assert_eq!(
            String::from_utf8(ty.to_json()).unwrap(),
            r#"["object",{"ids":["set","string"],"pair":["tuple",["number","bool"]],"rules":["list","dynamic"],"tags":["map","string"]}]"#
        );
    }

    #[test]
    fn type_json_round_trips() {
        let types = [
            Type::String,
            Type::list(Type::set(Type::map(Type::Number))),
            Type::Tuple(vec![]),
            Type::object([]),
            Type::object([("a", Type::Tuple(vec![Type::Dynamic, Type::Bool]))]),
        ];
        for ty in types {
            assert_eq!(round_trip(&ty), ty);
        }
    }

    #[test]
    fn parses_object_with_optional_attributes() {
        let json = br#"["object",{"a":"string","b":"number"},["b"]]"#;
        let expected = Type::object([("a", Type::String), ("b", Type::Number)]);
        assert_eq!(Type::from_json(json).unwrap(), expected);
    }

    #[test]
    fn rejects_bad_type_json() {
        let cases: [(&[u8], &str); 7] = [
            (b"", "not valid JSON"),
            (br#""str""#, "unknown primitive type \"str\""),
            (br#"["vector","string"]"#, "unknown type kind \"vector\""),
            (br#"["list"]"#, "expected [kind, element type]"),
            (
                br#"["tuple","string"]"#,
                "expected [\"tuple\", [element types]]",
            ),
            (
                br#"["object",["a"]]"#,
                "expected [\"object\", {attribute types}]",
            ),
            (b"42", "found 42"),
        ];
        for (json, message) in cases {
            let err = Type::from_json(json).unwrap_err().to_string();
            assert!(err.contains(message), "{err:?} should mention {message:?}");
        }
    }

    #[test]
    fn display_names() {
        assert_eq!(Type::list(Type::String).to_string(), "list of string");
        assert_eq!(Type::object([]).to_string(), "object");
    }

    #[test]
    fn infers_types_of_values() {
        let s = |x: &str| Value::String(x.into());
        assert_eq!(Value::Null.infer_type(), Type::Dynamic);
        assert_eq!(Value::List(vec![]).infer_type(), Type::list(Type::Dynamic));
        assert_eq!(
            Value::Set(vec![Value::Null, s("a")]).infer_type(),
            Type::set(Type::String)
        );
        let obj = |a: Value| Value::Object(BTreeMap::from([("a".to_owned(), a)]));
        assert_eq!(
            Value::List(vec![
                obj(Value::Unknown),
                obj(Value::Number(Number::Int(1)))
            ])
            .infer_type(),
            Type::list(Type::object([("a", Type::Number)]))
        );
        assert_eq!(
            Value::Tuple(vec![s("x"), Value::Bool(true)]).infer_type(),
            Type::Tuple(vec![Type::String, Type::Bool])
        );
    }

    #[test]
    fn conflicting_elements_keep_first_type() {
        let list = Value::List(vec![Value::String("a".into()), Value::Bool(true)]);
        assert_eq!(list.infer_type(), Type::list(Type::String));
    }

    #[test]
    fn path_display() {
        let path = ValuePath(vec![
            ValuePathStep::Attribute("subnet_ids".into()),
            ValuePathStep::Index(2),
            ValuePathStep::Key("Name".into()),
        ]);
        assert_eq!(path.to_string(), r#".subnet_ids[2]["Name"]"#);
        assert_eq!(ValuePath::root().to_string(), "(root)");
    }
}
