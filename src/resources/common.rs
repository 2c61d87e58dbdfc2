//! Pieces every composite resource shares: the `tags` / `tags_all`
//! attributes and their values, readers of attribute values, and the error
//! for an account fact that could not be read.

use crate::aws::ec2::find::FindError;
use crate::aws::{with_advice, TagSettings};
use crate::framework::{AttrPath, Attribute, Diagnostics};
use crate::value::{Type, Value};
use std::collections::BTreeMap;

/// `tags`: tags for every object the resource creates.
pub fn tags_attribute() -> Attribute {
    Attribute::optional("tags", Type::map(Type::String)).description(
        "Tags for every object this resource creates, merged over the provider's `default_tags`.",
    )
}

/// `tags_all`: the tags applied, shown in the plan.
pub fn tags_all_attribute() -> Attribute {
    Attribute::computed("tags_all", Type::map(Type::String))
        .description("The tags applied: provider `default_tags` merged with `tags`.")
}

/// The error for a lookup the account checks made: a missing object is an
/// error on `attribute` (with `hint` on how to fix it); anything else says to
/// check the credentials and their Describe permissions on `services`
/// (e.g. "EC2", "EC2 and SageMaker").
pub fn lookup_error(e: FindError, attribute: &str, hint: &str, services: &str) -> Diagnostics {
    if e.is_not_found() {
        Diagnostics::from_attribute_error(
            AttrPath::root(attribute),
            "Not found",
            format!("{e}. {hint}").trim_end().to_owned(),
        )
    } else {
        Diagnostics::from_error(
            "Cannot check the network",
            with_advice(
                e,
                &format!("Check the credentials and their {services} Describe permissions."),
            ),
        )
    }
}

/// The string attribute `name`, when known.
pub fn text(value: &Value, name: &str) -> Option<String> {
    value.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// A map-of-strings attribute (null → empty).
pub fn string_map(value: &Value, name: &str) -> BTreeMap<String, String> {
    match value.get(name) {
        Some(Value::Map(entries)) => entries
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// The known strings of a set or list attribute; `None` when null or not
/// wholly known.
pub fn known_strings(value: &Value, name: &str) -> Option<Vec<String>> {
    let v = value.get(name)?;
    if !v.is_wholly_known() {
        return None;
    }
    match v {
        Value::Set(items) | Value::List(items) => Some(
            items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
        ),
        _ => None,
    }
}

/// The tags `value` gives its objects: `tags_all` when known (a prior
/// state records what was applied), else `tags` merged over the provider's
/// `default_tags` — never a key `ignore_tags` names.
pub fn all_tags(value: &Value, tagging: &TagSettings) -> BTreeMap<String, String> {
    match value.get("tags_all") {
        Some(Value::Map(_)) => tagging.managed(&string_map(value, "tags_all")),
        _ => merged_tags(value, tagging),
    }
}

/// `tags` merged over the provider's `default_tags`, ignored keys aside.
fn merged_tags(value: &Value, tagging: &TagSettings) -> BTreeMap<String, String> {
    let mut merged = tagging.defaults.clone();
    merged.extend(string_map(value, "tags"));
    tagging.managed(&merged)
}

/// `tags` and `tags_all` as AWS reports them (`live`, ownership tags and
/// ignored tags aside): a key stays in `tags` when the prior state had it
/// there or when its value is not the provider's default.
pub fn observed_tags(
    prior: &Value,
    live: &BTreeMap<String, String>,
    tagging: &TagSettings,
) -> (Value, Value) {
    let default_tags = &tagging.defaults;
    let live = tagging.managed(&crate::aws::ownership::shown_tags(live));
    let had = string_map(prior, "tags");
    let own: BTreeMap<String, String> = live
        .iter()
        .filter(|(k, v)| had.contains_key(*k) || default_tags.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let as_value = |map: BTreeMap<String, String>| {
        Value::Map(
            map.into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        )
    };
    let tags = if own.is_empty() && prior.get("tags").is_none_or(Value::is_null) {
        Value::Null
    } else {
        as_value(own)
    };
    (tags, as_value(live))
}

/// `tags` merged over `default_tags`, as shown in `tags_all`.
pub fn tags_all(value: &Value, tagging: &TagSettings) -> Value {
    if value.get("tags").is_some_and(|t| !t.is_wholly_known()) {
        return Value::Unknown;
    }
    Value::Map(
        merged_tags(value, tagging)
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    )
}
