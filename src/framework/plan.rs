//! The plan the framework computes before a resource's `modify_plan`:
//! computed attributes left to the provider become unknown when something
//! changes, `UseStateForUnknown` keeps prior values, `RequiresReplace` marks
//! replacement. Follows the rules Terraform enforces on planned values.

use super::diagnostics::Diagnostics;
use super::path::AttrPath;
use super::schema::{Block, Nesting, PlanModifier, Schema};
use super::traits::PlanResult;
use crate::value::Value;

/// Plans a resource change from Terraform's proposed new state.
pub fn plan_change(schema: &Schema, prior: &Value, proposed: &Value, config: &Value) -> PlanResult {
    let mut result = PlanResult {
        planned: proposed.clone(),
        requires_replace: Vec::new(),
        diags: Diagnostics::new(),
    };
    if proposed.is_null() {
        return result;
    }
    let creating = prior.is_null();
    let changed = creating || !semantic_eq(prior, proposed);
    let Value::Object(planned) = &mut result.planned else {
        return result;
    };
    for attribute in &schema.block.attributes {
        let in_config = config.get(attribute.name).is_some_and(|v| !v.is_null());
        let before = prior.get(attribute.name).unwrap_or(&Value::Null);
        // A null prior is nothing to keep: the provider must be free to fill it.
        let keep_prior = attribute
            .plan_modifiers
            .contains(&PlanModifier::UseStateForUnknown)
            && !before.is_null();
        if attribute.is_computed() && !in_config && changed && !keep_prior {
            planned.insert(attribute.name.to_owned(), Value::Unknown);
        }
        let replaces = attribute
            .plan_modifiers
            .contains(&PlanModifier::RequiresReplace);
        let after = planned.get(attribute.name).unwrap_or(&Value::Null);
        if replaces && !creating && !semantic_eq(before, after) {
            result.requires_replace.push(AttrPath::root(attribute.name));
        }
    }
    result
}

/// Puts back every value the configuration sets, at any block depth:
/// Terraform rejects a plan whose value differs from a non-null config value
/// (an unknown one included) — unless it keeps the prior value, which
/// Terraform allows whenever config and prior are both non-null (a provider
/// does so for an equivalent form, a reformatted policy) — or that
/// sets an attribute the user may not leave to the provider. A resource
/// that filled such a value (a default where the config was unknown, say)
/// would otherwise fail with "Provider produced invalid plan". Returns the
/// paths it corrected: each points at a resource bug.
pub fn conform_to_config(
    block: &Block,
    config: &Value,
    prior: &Value,
    planned: &mut Value,
) -> Vec<String> {
    let mut corrected = Vec::new();
    conform_block(block, config, prior, planned, "", &mut corrected);
    corrected
}

fn conform_block(
    block: &Block,
    config: &Value,
    prior: &Value,
    planned: &mut Value,
    at: &str,
    corrected: &mut Vec<String>,
) {
    let (Value::Object(config_fields), Value::Object(fields)) = (config, planned) else {
        return;
    };
    for attribute in &block.attributes {
        let wanted = config_fields.get(attribute.name).unwrap_or(&Value::Null);
        if attribute.is_computed() && wanted.is_null() {
            continue;
        }
        let current = fields.get(attribute.name).unwrap_or(&Value::Null);
        let before = prior.get(attribute.name).unwrap_or(&Value::Null);
        let keeps_prior = !wanted.is_null() && !before.is_null() && semantic_eq(current, before);
        if !semantic_eq(current, wanted) && !keeps_prior {
            corrected.push(format!("{at}{}", attribute.name));
            fields.insert(attribute.name.to_owned(), wanted.clone());
        }
    }
    for nested in &block.blocks {
        let (Some(wanted), Some(current)) =
            (config_fields.get(nested.name), fields.get_mut(nested.name))
        else {
            continue;
        };
        let before = prior.get(nested.name).unwrap_or(&Value::Null);
        match (nested.nesting, wanted, current) {
            (Nesting::Single, Value::Object(_), current @ Value::Object(_)) => {
                let at = format!("{at}{}.", nested.name);
                conform_block(&nested.block, wanted, before, current, &at, corrected);
            }
            (Nesting::List, Value::List(items), Value::List(planned_items))
                if items.len() == planned_items.len() =>
            {
                for (i, (item, planned_item)) in
                    items.iter().zip(planned_items.iter_mut()).enumerate()
                {
                    let before_item = match before {
                        Value::List(prior_items) => prior_items.get(i).unwrap_or(&Value::Null),
                        _ => &Value::Null,
                    };
                    let at = format!("{at}{}[{i}].", nested.name);
                    conform_block(
                        &nested.block,
                        item,
                        before_item,
                        planned_item,
                        &at,
                        corrected,
                    );
                }
            }
            // Set elements have no identity to pair planned with config by;
            // no resource here plans set blocks.
            _ => {}
        }
    }
}

/// Equality that treats sets as sets at any depth.
pub fn semantic_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Set(x), Value::Set(y)) => {
            x.len() == y.len() && x.iter().all(|i| y.iter().any(|j| semantic_eq(i, j)))
        }
        (Value::List(x), Value::List(y)) | (Value::Tuple(x), Value::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(i, j)| semantic_eq(i, j))
        }
        (Value::Map(x), Value::Map(y)) | (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| semantic_eq(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::schema::{Attribute, Block};
    use crate::value::Type;
    use std::collections::BTreeMap;

    fn schema() -> Schema {
        Schema::new(
            Block::new("test")
                .attribute(Attribute::required("vpc_id", Type::String).requires_replace())
                .attribute(Attribute::optional("name", Type::String))
                .attribute(Attribute::computed("id", Type::String).use_state_for_unknown())
                .attribute(Attribute::computed("arn", Type::String)),
        )
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    fn s(x: &str) -> Value {
        Value::String(x.into())
    }

    #[test]
    fn create_marks_every_computed_attribute_unknown() {
        let config = obj(&[
            ("vpc_id", s("v")),
            ("name", Value::Null),
            ("id", Value::Null),
            ("arn", Value::Null),
        ]);
        let plan = plan_change(&schema(), &Value::Null, &config, &config);
        assert_eq!(plan.planned.get("id"), Some(&Value::Unknown));
        assert_eq!(plan.planned.get("arn"), Some(&Value::Unknown));
        assert!(plan.requires_replace.is_empty());
    }

    #[test]
    fn no_change_keeps_prior_values() {
        let prior = obj(&[
            ("vpc_id", s("v")),
            ("name", s("n")),
            ("id", s("i")),
            ("arn", s("a")),
        ]);
        let config = obj(&[
            ("vpc_id", s("v")),
            ("name", s("n")),
            ("id", Value::Null),
            ("arn", Value::Null),
        ]);
        let plan = plan_change(&schema(), &prior, &prior, &config);
        assert_eq!(plan.planned, prior);
    }

    #[test]
    fn update_keeps_use_state_for_unknown_and_unknowns_the_rest() {
        let prior = obj(&[
            ("vpc_id", s("v")),
            ("name", s("n")),
            ("id", s("i")),
            ("arn", s("a")),
        ]);
        let proposed = obj(&[
            ("vpc_id", s("v")),
            ("name", s("m")),
            ("id", s("i")),
            ("arn", s("a")),
        ]);
        let config = obj(&[
            ("vpc_id", s("v")),
            ("name", s("m")),
            ("id", Value::Null),
            ("arn", Value::Null),
        ]);
        let plan = plan_change(&schema(), &prior, &proposed, &config);
        assert_eq!(plan.planned.get("id"), Some(&s("i")));
        assert_eq!(plan.planned.get("arn"), Some(&Value::Unknown));
    }

    #[test]
    fn changing_a_replace_attribute_requires_replace() {
        let prior = obj(&[
            ("vpc_id", s("v")),
            ("name", Value::Null),
            ("id", s("i")),
            ("arn", s("a")),
        ]);
        let proposed = obj(&[
            ("vpc_id", s("w")),
            ("name", Value::Null),
            ("id", s("i")),
            ("arn", s("a")),
        ]);
        let plan = plan_change(&schema(), &prior, &proposed, &proposed);
        assert_eq!(plan.requires_replace, vec![AttrPath::root("vpc_id")]);
    }

    #[test]
    fn conforming_puts_back_config_values_but_keeps_an_equivalent_prior() {
        let schema = schema();
        // A default filled where the config was unknown goes back to unknown.
        let config = obj(&[
            ("vpc_id", Value::Unknown),
            ("name", Value::Null),
            ("id", Value::Null),
            ("arn", Value::Null),
        ]);
        let mut planned = obj(&[
            ("vpc_id", s("v-default")),
            ("name", s("filled")),
            ("id", Value::Unknown),
            ("arn", Value::Unknown),
        ]);
        let corrected = conform_to_config(&schema.block, &config, &Value::Null, &mut planned);
        assert_eq!(corrected, ["vpc_id", "name"]);
        assert_eq!(planned.get("vpc_id"), Some(&Value::Unknown));
        assert_eq!(
            planned.get("name"),
            Some(&Value::Null),
            "not computed: stays null"
        );
        assert_eq!(planned.get("id"), Some(&Value::Unknown));
        // The prior form of an equivalent value may stay.
        let prior = obj(&[
            ("vpc_id", s("v")),
            ("name", s("{ \"a\": 1 }")),
            ("id", s("i")),
            ("arn", s("a")),
        ]);
        let config = obj(&[
            ("vpc_id", s("v")),
            ("name", s("{\"a\":1}")),
            ("id", Value::Null),
            ("arn", Value::Null),
        ]);
        let mut planned = prior.clone();
        assert!(conform_to_config(&schema.block, &config, &prior, &mut planned).is_empty());
        assert_eq!(planned, prior);
    }

    #[test]
    fn sets_compare_without_order() {
        let a = Value::Set(vec![s("x"), s("y")]);
        let b = Value::Set(vec![s("y"), s("x")]);
        assert!(semantic_eq(&obj(&[("s", a.clone())]), &obj(&[("s", b)])));
        assert!(!semantic_eq(&a, &Value::Set(vec![s("x"), s("x")])));
    }
}
