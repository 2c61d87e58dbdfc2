//! Parsing a policy document with errors that say how to fix it, and the
//! checks every endpoint policy must pass whatever its service.

use super::*;
use crate::limits::{MAX_ENDPOINT_POLICY_CHARS, MAX_POLICY_DEPTH};

/// What a policy check found: errors block the plan, warnings do not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyFindings {
    /// Problems AWS would reject or that defeat the configuration.
    pub errors: Vec<String>,
    /// Statements that are valid but cannot do what they seem to.
    pub warnings: Vec<String>,
}

/// How many characters of user input an error message may quote.
pub(super) const EXCERPT_CHARS: usize = 60;

/// The action examples show when the service is not known.
const GENERIC_ACTION: &str = "sagemaker:InvokeEndpoint";

/// A minimal valid statement allowing `action`.
pub(super) fn statement_example(action: &str) -> String {
    format!(r#"{{"Effect": "Allow", "Principal": "*", "Action": "{action}", "Resource": "*"}}"#)
}

/// A minimal valid policy allowing `action`, shown when the document's
/// shape is wrong.
pub(super) fn policy_example(action: &str) -> String {
    format!(
        r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#,
        statement_example(action)
    )
}

/// Parses an endpoint policy: at most [`MAX_ENDPOINT_POLICY_CHARS`]
/// characters of valid JSON without duplicate keys or nesting deeper than
/// the policy grammar allows, a JSON object, with a `Statement` that is an
/// object or a non-empty array of objects, each with `Effect` `"Allow"` or
/// `"Deny"` and an `Action` or `NotAction`. The error says what is wrong and
/// how to fix it, quoting at most a short excerpt.
pub fn parse(text: &str) -> Result<Value, String> {
    parse_with_example(text, GENERIC_ACTION)
}

/// [`parse`] for the endpoint of `spec`: the examples in errors use an
/// action of that service.
pub fn parse_for(spec: &ServiceSpec, text: &str) -> Result<Value, String> {
    parse_with_example(text, &example_action(spec.short_name))
}

fn parse_with_example(text: &str, action: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Err(format!(
            "the policy is empty: give a JSON document such as {}",
            policy_example(action)
        ));
    }
    let chars = text.chars().count();
    if chars > MAX_ENDPOINT_POLICY_CHARS {
        return Err(format!(
            "the policy has {chars} characters, but AWS takes at most {MAX_ENDPOINT_POLICY_CHARS} (white \
             space included): build it with jsonencode() (no white space), merge statements, or use \
             wildcards in Resource"
        ));
    }
    check_shape(text)?;
    let value: Value = serde_json::from_str(text).map_err(|e| json_error(text, &e))?;
    check_document(&value, action)?;
    Ok(value)
}

/// Duplicate keys (JSON parsers keep one of them silently, AWS rejects the
/// document) and nesting deeper than [`MAX_POLICY_DEPTH`].
fn check_shape(text: &str) -> Result<(), String> {
    use serde::de::DeserializeSeed;
    let mut reader = serde_json::Deserializer::from_str(text);
    match (Shape { depth: 1 }).deserialize(&mut reader) {
        Ok(()) => Ok(()),
        Err(e) if e.is_data() => {
            let near = excerpt_at(text, e.line(), e.column());
            let message = e.to_string();
            let message = message.split(" at line ").next().unwrap_or_default();
            Err(format!("{message} (near `{near}`)"))
        }
        // Syntax errors are explained by the full parse.
        Err(_) => Ok(()),
    }
}

/// Walks a JSON document checking its shape (see [`check_shape`]).
struct Shape {
    depth: usize,
}

impl<'de> serde::de::DeserializeSeed<'de> for Shape {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, reader: D) -> Result<(), D::Error> {
        reader.deserialize_any(self)
    }
}

impl Shape {
    /// Entering an object or array at this depth: an error beyond the grammar's.
    fn enter<E: serde::de::Error>(&self) -> Result<(), E> {
        if self.depth > MAX_POLICY_DEPTH {
            return Err(E::custom(format!(
                "the policy nests more than {MAX_POLICY_DEPTH} levels of objects and arrays, deeper than \
                 any policy AWS accepts (Statement → Condition → operator → key → values): flatten it"
            )));
        }
        Ok(())
    }

    fn child(&self) -> Shape {
        Shape {
            depth: self.depth + 1,
        }
    }
}

impl<'de> serde::de::Visitor<'de> for Shape {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        self.enter::<A::Error>()?;
        while items.next_element_seed(self.child())?.is_some() {}
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut entries: A) -> Result<(), A::Error> {
        self.enter::<A::Error>()?;
        let mut seen = std::collections::BTreeSet::new();
        while let Some(key) = entries.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!(
                    "the policy has the key {:?} twice in one object: keep one (AWS rejects \
                     duplicate keys, and which one counts would be unclear)",
                    excerpt(&key)
                )));
            }
            entries.next_value_seed(self.child())?;
        }
        Ok(())
    }
}

pub(super) fn json_error(text: &str, err: &serde_json::Error) -> String {
    let near = excerpt_at(text, err.line(), err.column());
    let near = if near.is_empty() {
        String::new()
    } else {
        format!(" near `{near}`")
    };
    format!(
        "the policy is not valid JSON ({err}){near}: check the quotes, commas and brackets there \
         (building the policy with jsonencode() avoids such mistakes)"
    )
}

/// Up to [`EXCERPT_CHARS`] characters of `text` around a 1-based line and column.
pub(super) fn excerpt_at(text: &str, line: usize, column: usize) -> String {
    let Some(src) = text.lines().nth(line.saturating_sub(1)) else {
        return String::new();
    };
    let mut at = column.saturating_sub(1).min(src.len());
    while !src.is_char_boundary(at) {
        at -= 1;
    }
    let half = EXCERPT_CHARS / 2;
    let before: Vec<char> = src[..at].chars().rev().take(half).collect();
    let before: String = before.into_iter().rev().collect();
    let after: String = src[at..].chars().take(half).collect();
    format!("{before}{after}").trim().to_owned()
}

/// `text`, cut to [`EXCERPT_CHARS`] characters.
pub(super) fn excerpt(text: &str) -> String {
    if text.chars().count() <= EXCERPT_CHARS {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(EXCERPT_CHARS).collect();
        format!("{cut}…")
    }
}

/// "an array", "a string", … for messages.
pub(super) fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(super) fn check_document(value: &Value, action: &str) -> Result<(), String> {
    let Value::Object(doc) = value else {
        return Err(format!(
            "the policy is {}, not a JSON object: write it as {}",
            describe(value),
            policy_example(action)
        ));
    };
    match doc.get("Statement") {
        None => Err(missing_statement(doc, action)),
        Some(Value::Array(items)) if items.is_empty() => Err(format!(
            "the policy's Statement is an empty array: add at least one statement such as {}",
            statement_example(action)
        )),
        Some(Value::Array(_) | Value::Object(_)) => labelled_statements(value)
            .into_iter()
            .try_for_each(|(label, statement)| check_statement(&label, statement, action)),
        Some(other) => Err(format!(
            "the policy's Statement is {}: it must be an object or an array of objects such as [{}]",
            describe(other),
            statement_example(action)
        )),
    }
}

pub(super) fn missing_statement(doc: &Map<String, Value>, action: &str) -> String {
    let near = doc.keys().find(|k| {
        k.eq_ignore_ascii_case("Statement")
            || crate::framework::validators::suggest(k, ["Statement"]).is_some()
    });
    match near {
        Some(key) => format!(
            "the policy has no Statement: rename {:?} to \"Statement\" (policy keys are spelled \
             exactly so, case included)",
            excerpt(key)
        ),
        None => format!(
            "the policy has no Statement: add \"Statement\": [{}]",
            statement_example(action)
        ),
    }
}

/// The statements of `policy` with the names messages use for them:
/// `Statement` when it is a single object, `Statement[i]` in an array.
pub(super) fn labelled_statements(policy: &Value) -> Vec<(String, &Value)> {
    match policy.get("Statement") {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("Statement[{i}]"), s))
            .collect(),
        Some(one @ Value::Object(_)) => vec![("Statement".to_owned(), one)],
        _ => Vec::new(),
    }
}

pub(super) fn check_statement(label: &str, statement: &Value, action: &str) -> Result<(), String> {
    let Value::Object(fields) = statement else {
        return Err(format!(
            "{label} is {}, not an object: write each statement as {}",
            describe(statement),
            statement_example(action)
        ));
    };
    check_effect(label, fields.get("Effect"))?;
    match (
        fields.contains_key("Action"),
        fields.contains_key("NotAction"),
    ) {
        (false, false) => Err(format!(
            "{label} has no Action: add \"Action\" with one action or a list, \
             e.g. \"Action\": \"{action}\""
        )),
        (true, true) => Err(format!(
            "{label} has both Action and NotAction: keep only one of them"
        )),
        _ => Ok(()),
    }
}

pub(super) fn check_effect(label: &str, effect: Option<&Value>) -> Result<(), String> {
    match effect {
        Some(Value::String(e)) if e == "Allow" || e == "Deny" => Ok(()),
        None => Err(format!(
            "{label} has no Effect: add \"Effect\": \"Allow\" or \"Effect\": \"Deny\""
        )),
        Some(Value::String(e)) if e.eq_ignore_ascii_case("allow") || e.eq_ignore_ascii_case("deny") => {
            Err(format!(
                "{label} has \"Effect\": {e:?}: write it exactly \"Allow\" or \"Deny\" (values are case-sensitive)"
            ))
        }
        Some(other) => Err(format!(
            "{label} has \"Effect\": {}: it must be \"Allow\" or \"Deny\"",
            excerpt(&other.to_string())
        )),
    }
}
