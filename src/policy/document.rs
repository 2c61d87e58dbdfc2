//! Parsing a policy document with errors that say how to fix it, and the
//! checks every endpoint policy must pass whatever its service.

use super::*;

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

/// A minimal valid policy, shown when the document's shape is wrong.
pub(super) const POLICY_EXAMPLE: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sagemaker:InvokeEndpoint", "Resource": "*"}]}"#;

/// A minimal valid statement.
pub(super) const STATEMENT_EXAMPLE: &str = r#"{"Effect": "Allow", "Principal": "*", "Action": "sagemaker:InvokeEndpoint", "Resource": "*"}"#;

/// Parses an endpoint policy: valid JSON, a JSON object, with a `Statement`
/// that is an object or a non-empty array of objects, each with `Effect`
/// `"Allow"` or `"Deny"` and an `Action` or `NotAction`. The error says what
/// is wrong and how to fix it, quoting at most a short excerpt.
pub fn parse(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Err(format!(
            "the policy is empty: give a JSON document such as {POLICY_EXAMPLE}"
        ));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| json_error(text, &e))?;
    check_document(&value)?;
    Ok(value)
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

pub(super) fn check_document(value: &Value) -> Result<(), String> {
    let Value::Object(doc) = value else {
        return Err(format!(
            "the policy is {}, not a JSON object: write it as {POLICY_EXAMPLE}",
            describe(value)
        ));
    };
    match doc.get("Statement") {
        None => Err(missing_statement(doc)),
        Some(Value::Array(items)) if items.is_empty() => Err(format!(
            "the policy's Statement is an empty array: add at least one statement such as \
             {STATEMENT_EXAMPLE}"
        )),
        Some(Value::Array(_) | Value::Object(_)) => labelled_statements(value)
            .into_iter()
            .try_for_each(|(label, statement)| check_statement(&label, statement)),
        Some(other) => Err(format!(
            "the policy's Statement is {}: it must be an object or an array of objects such as \
             [{STATEMENT_EXAMPLE}]",
            describe(other)
        )),
    }
}

pub(super) fn missing_statement(doc: &Map<String, Value>) -> String {
    match doc.keys().find(|k| k.eq_ignore_ascii_case("Statement")) {
        Some(key) => format!(
            "the policy has no Statement: rename {:?} to \"Statement\" (policy keys are case-sensitive)",
            excerpt(key)
        ),
        None => format!(
            "the policy has no Statement: add \"Statement\": [{STATEMENT_EXAMPLE}]"
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

pub(super) fn check_statement(label: &str, statement: &Value) -> Result<(), String> {
    let Value::Object(fields) = statement else {
        return Err(format!(
            "{label} is {}, not an object: write each statement as {STATEMENT_EXAMPLE}",
            describe(statement)
        ));
    };
    check_effect(label, fields.get("Effect"))?;
    match (
        fields.contains_key("Action"),
        fields.contains_key("NotAction"),
    ) {
        (false, false) => Err(format!(
            "{label} has no Action: add \"Action\" with one action or a list, \
             e.g. \"Action\": \"sagemaker:InvokeEndpoint\""
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
