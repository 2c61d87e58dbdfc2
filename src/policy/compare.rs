//! Comparing policies by meaning, so AWS reformatting a document never
//! shows as a diff; AWS's default full-access policy.

use super::*;

/// The canonical form of a policy, for comparison only (never send it to
/// AWS): keys sorted; `Statement` always an array, sorted; in each statement
/// `Action`/`NotAction` lower-cased (IAM matches action names
/// case-insensitively), and `Action`, `NotAction`, `Resource`, `NotResource`,
/// principal lists and condition values as sorted, deduplicated arrays;
/// `Principal: "*"` as `{"AWS": ["*"]}`. `Sid`, `Effect` and unknown keys are
/// kept as they are. Anything that is not an object is returned with its keys
/// sorted and nothing else changed.
pub fn normalize(policy: &Value) -> Value {
    let Value::Object(doc) = policy else {
        return sort_keys(policy.clone());
    };
    let out: Map<String, Value> = doc
        .iter()
        .map(|(key, value)| {
            let value = if key == "Statement" {
                normalize_statements(value)
            } else {
                value.clone()
            };
            (key.clone(), value)
        })
        .collect();
    sort_keys(Value::Object(out))
}

/// True when the two policy texts mean the same thing (see [`normalize`]).
/// A `Version` present on only one side is ignored: AWS adds
/// `"Version": "2008-10-17"` to a policy stored without one. Texts that are
/// not JSON are compared as trimmed text.
pub fn equivalent(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<Value>(a),
        serde_json::from_str::<Value>(b),
    ) {
        (Ok(a), Ok(b)) => {
            let (mut a, mut b) = (normalize(&a), normalize(&b));
            drop_one_sided_version(&mut a, &mut b);
            a == b
        }
        _ => a.trim() == b.trim(),
    }
}

pub(super) fn drop_one_sided_version(a: &mut Value, b: &mut Value) {
    let has_version = |v: &Value| v.get("Version").is_some();
    if has_version(a) != has_version(b) {
        for doc in [a, b] {
            if let Value::Object(fields) = doc {
                fields.remove("Version");
            }
        }
    }
}

pub(super) fn normalize_statements(value: &Value) -> Value {
    let mut statements: Vec<Value> = match value {
        Value::Array(items) => items.iter().map(normalize_statement).collect(),
        single => vec![normalize_statement(single)],
    };
    statements.sort_by_cached_key(Value::to_string);
    Value::Array(statements)
}

pub(super) fn normalize_statement(statement: &Value) -> Value {
    let Value::Object(fields) = statement else {
        return sort_keys(statement.clone());
    };
    let out: Map<String, Value> = fields
        .iter()
        .map(|(key, value)| (key.clone(), normalize_field(key, value)))
        .collect();
    sort_keys(Value::Object(out))
}

pub(super) fn normalize_field(key: &str, value: &Value) -> Value {
    match key {
        "Action" | "NotAction" => text_set(value, true),
        "Resource" | "NotResource" => text_set(value, false),
        "Principal" | "NotPrincipal" => normalize_principal(value),
        "Condition" => map_values(value, |block| map_values(block, |v| text_set(v, false))),
        _ => value.clone(),
    }
}

/// `"*"` and `{"AWS": "*"}` both as `{"AWS": ["*"]}`; every principal list
/// as a sorted set.
pub(super) fn normalize_principal(value: &Value) -> Value {
    match value {
        Value::String(s) if s == "*" => json!({ "AWS": ["*"] }),
        other => map_values(other, |v| text_set(v, false)),
    }
}

/// An object with `f` applied to each value; anything else unchanged.
pub(super) fn map_values(value: &Value, f: impl Fn(&Value) -> Value) -> Value {
    match value {
        Value::Object(fields) => {
            Value::Object(fields.iter().map(|(key, v)| (key.clone(), f(v))).collect())
        }
        other => other.clone(),
    }
}

/// A scalar or an array of scalars as a sorted, deduplicated array of
/// strings (optionally lower-cased); anything else unchanged. Numbers and
/// booleans become their text, as IAM compares them.
pub(super) fn text_set(value: &Value, lowercase: bool) -> Value {
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        single => vec![single],
    };
    let mut texts = Vec::with_capacity(items.len());
    for item in items {
        let text = match item {
            Value::String(s) => s.clone(),
            Value::Number(_) | Value::Bool(_) => item.to_string(),
            _ => return value.clone(),
        };
        texts.push(if lowercase {
            text.to_ascii_lowercase()
        } else {
            text
        });
    }
    texts.sort();
    texts.dedup();
    Value::Array(texts.into_iter().map(Value::String).collect())
}

/// `value` with every object's keys in sorted order, so that its text is
/// canonical whatever map type serde_json was built with.
pub(super) fn sort_keys(value: Value) -> Value {
    match value {
        Value::Object(fields) => {
            let mut entries: Vec<(String, Value)> = fields.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(key, v)| (key, sort_keys(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sort_keys).collect()),
        other => other,
    }
}

/// AWS's default endpoint policy: full access. An endpoint made without a
/// policy has it; going back to "no policy" (`policy_principals = "any"`
/// with no policy given) sends it.
pub const FULL_ACCESS_POLICY: &str = r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;

/// True when `text` means AWS's default full-access policy (any `Version`).
pub fn is_full_access(text: &str) -> bool {
    const UNVERSIONED: &str =
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;
    equivalent(text, UNVERSIONED)
}

/// True when two endpoint policies have the same effect: equivalent
/// documents, AWS's default full access counting as no policy.
pub fn same_effect(a: Option<&str>, b: Option<&str>) -> bool {
    let meaningful = |text: &&str| !is_full_access(text);
    match (a.filter(meaningful), b.filter(meaningful)) {
        (Some(a), Some(b)) => equivalent(a, b),
        (a, b) => a.is_none() && b.is_none(),
    }
}
