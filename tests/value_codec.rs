//! Property tests for the value codecs: msgpack round trips for arbitrary
//! (type, value) pairs — nulls and unknowns at every depth, nested
//! collections, objects, tuples and `dynamic` — decoding of hostile bytes
//! without panics, and cty type JSON round trips.

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use tfprovider_sagemaker::value::*;

/// Attribute names as schemas write them.
fn attribute_name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,6}"
}

/// Builds nested types (up to four levels) over the given leaf types.
fn type_tree(leaf: BoxedStrategy<Type>) -> BoxedStrategy<Type> {
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            vec(inner.clone(), 0..4).prop_map(Type::Tuple),
            btree_map(attribute_name(), inner, 0..4).prop_map(Type::Object),
        ]
    })
    .boxed()
}

fn primitive_type() -> BoxedStrategy<Type> {
    prop_oneof![Just(Type::String), Just(Type::Number), Just(Type::Bool)].boxed()
}

/// Any type, `dynamic` included at any depth.
fn any_type() -> BoxedStrategy<Type> {
    type_tree(prop_oneof![3 => primitive_type(), 1 => Just(Type::Dynamic)].boxed())
}

/// Types with no `dynamic` inside: what a value sent under `dynamic` has.
fn concrete_type() -> BoxedStrategy<Type> {
    type_tree(primitive_type())
}

/// Numbers in every form the wire carries, respecting [`Number`]'s invariants
/// (`UInt` only above `i64::MAX`, `Decimal` only when not an exact `i64`).
fn number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::Int),
        (i64::MAX as u64 + 1..=u64::MAX).prop_map(Number::UInt),
        any::<f64>()
            .prop_filter("NaN is not a Terraform number", |f| !f.is_nan())
            .prop_map(Number::Float),
        "-?[0-9]{1,25}\\.[0-9]{0,20}[1-9]".prop_map(Number::Decimal),
        "[1-9]e[+-]?[0-9]{3}".prop_map(Number::Decimal),
    ]
}

/// A value of type `ty`: null, unknown or known, recursively.
fn value_of(ty: &Type) -> BoxedStrategy<Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => Just(Value::Unknown),
        5 => known_value_of(ty),
    ]
    .boxed()
}

fn known_value_of(ty: &Type) -> BoxedStrategy<Value> {
    match ty {
        Type::String => any::<String>().prop_map(Value::String).boxed(),
        Type::Number => number().prop_map(Value::Number).boxed(),
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::List(element) => vec(value_of(element), 0..4).prop_map(Value::List).boxed(),
        Type::Set(element) => vec(value_of(element), 0..4).prop_map(Value::Set).boxed(),
        Type::Map(element) => btree_map(any::<String>(), value_of(element), 0..4)
            .prop_map(Value::Map)
            .boxed(),
        Type::Tuple(elements) => elements
            .iter()
            .map(value_of)
            .collect::<Vec<_>>()
            .prop_map(Value::Tuple)
            .boxed(),
        Type::Object(attributes) => {
            let names: Vec<String> = attributes.keys().cloned().collect();
            let values: Vec<_> = attributes.values().map(value_of).collect();
            values
                .prop_map(move |values| Value::Object(names.iter().cloned().zip(values).collect()))
                .boxed()
        }
        Type::Dynamic => concrete_type().prop_flat_map(|ty| value_of(&ty)).boxed(),
    }
}

fn typed_value(types: BoxedStrategy<Type>) -> impl Strategy<Value = (Type, Value)> {
    types.prop_flat_map(|ty| (Just(ty.clone()), value_of(&ty)))
}

proptest! {
    #[test]
    fn msgpack_round_trips((ty, value) in typed_value(any_type())) {
        let bytes = encode(&value, &ty).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let decoded = decode(&bytes, &ty).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(decoded, value);
    }

    #[test]
    fn msgpack_round_trips_under_dynamic((_ty, value) in typed_value(concrete_type())) {
        let bytes = encode(&value, &Type::Dynamic).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let decoded = decode(&bytes, &Type::Dynamic).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(decoded, value);
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(ty in any_type(), bytes in vec(any::<u8>(), 0..128)) {
        let _ = decode(&bytes, &ty);
    }

    #[test]
    fn decoding_corrupted_encodings_never_panics(
        (ty, value) in typed_value(any_type()),
        position in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut bytes = encode(&value, &ty).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let at = position.index(bytes.len());
        bytes[at] = byte;
        let _ = decode(&bytes, &ty);
    }

    #[test]
    fn truncated_encodings_are_rejected(
        (ty, value) in typed_value(any_type()),
        cut in any::<prop::sample::Index>(),
    ) {
        let bytes = encode(&value, &ty).map_err(|e| TestCaseError::fail(e.to_string()))?;
        // A one-byte encoding (nil, a bool, a small int) has no non-empty strict prefix.
        if bytes.len() < 2 {
            return Ok(());
        }
        let len = 1 + cut.index(bytes.len() - 1);
        prop_assert!(decode(&bytes[..len], &ty).is_err());
    }

    #[test]
    fn type_json_round_trips(ty in any_type()) {
        let parsed = Type::from_json(&ty.to_json()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(parsed, ty);
    }
}
