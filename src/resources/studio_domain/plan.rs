//! Planning `sagemaker_studio_domain`: defaults, the computed values that
//! stay (ids of kept profiles and groups), the rules its groups must have
//! (so a rule changed by hand shows), and — when something changes and
//! every input is known — the account checks, which also find the VPC
//! (another VPC replaces the domain) and the endpoints to reuse.

use super::checks::{check_remote, Stage};
use super::state::{
    default_expected_users, desired, domain_rule_lines, endpoint_entry, list_value, profiles,
    user_group_key, user_rule_lines,
};
use crate::aws::ec2::find;
use crate::framework::plan::semantic_eq;
use crate::framework::{AttrPath, PlanResult};
use crate::resources::common::{string_map, text, TagRules};
use crate::resources::composite::Env;
use crate::value::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Completes `plan.planned`.
pub async fn plan(env: &Env<'_>, prior: &Value, config: &Value, plan: &mut PlanResult) {
    let planned = &mut plan.planned;
    fill_defaults(config, planned);
    check_profile_tags(planned, &mut plan.diags);
    if plan.diags.has_errors() {
        return;
    }
    let creating = prior.is_null();
    if !creating {
        plan_kept(prior, planned);
        // An endpoint gone by hand, or services changed: decided again.
        let wanted: BTreeSet<String> = desired(planned, &env.tagging)
            .services()
            .iter()
            .map(|s| s.short_name.to_owned())
            .collect();
        let recorded: BTreeSet<String> = match prior.get("endpoints") {
            Some(Value::Map(entries)) => entries.keys().cloned().collect(),
            _ => BTreeSet::new(),
        };
        if wanted != recorded {
            planned.set_attribute("endpoints", Value::Unknown);
            planned.set_attribute("endpoint_security_group_id", Value::Unknown);
        }
        if let Err(diags) = plan_rules(env, prior, planned).await {
            plan.diags.extend(diags);
            return;
        }
    }
    // The domain is gone (deleted by hand, or an apply failed before it):
    // apply makes it again.
    if !creating && text(prior, "domain_id").is_none() {
        planned.set_attribute("domain_id", Value::Unknown);
    }
    if !creating && semantic_eq(prior, planned) {
        return;
    }
    let known = [
        "subnet_ids",
        "network_access",
        "sdk_training",
        "projects",
        "create_endpoints",
        "expected_users",
        "user_profile",
    ]
    .iter()
    .all(|name| planned.get(name).is_none_or(Value::is_wholly_known));
    if !known {
        // Decided at apply, once the subnets are known.
        for name in ["vpc_id", "endpoints", "endpoint_security_group_id"] {
            planned.set_attribute(name, Value::Unknown);
        }
        return;
    }
    let want = desired(planned, &env.tagging);
    let (facts, found) = match check_remote(env, &want, prior, Stage::Plan).await {
        Ok(checked) => checked,
        Err(diags) => {
            plan.diags.extend(diags);
            return;
        }
    };
    plan.diags.extend(found);
    planned.set_attribute("vpc_id", Value::String(facts.vpc.id.clone()));
    if !creating && text(prior, "vpc_id").is_some_and(|v| v != facts.vpc.id) {
        plan.requires_replace.push(AttrPath::root("vpc_id"));
    }
    if creating {
        return;
    }
    // Endpoints: the prior ones while the same services are served the
    // same way, else decided at apply.
    let mut wanted: BTreeMap<String, Value> = facts
        .coverage
        .reused
        .iter()
        .map(|(name, id)| ((*name).to_owned(), endpoint_entry(id, false)))
        .collect();
    let prior_endpoints = match prior.get("endpoints") {
        Some(Value::Map(entries)) => entries.clone(),
        _ => BTreeMap::new(),
    };
    let mut all_known = true;
    for spec in &facts.coverage.own {
        match prior_endpoints.get(spec.short_name) {
            Some(entry) if entry.get("managed").and_then(Value::as_bool) == Some(true) => {
                wanted.insert(spec.short_name.to_owned(), entry.clone());
            }
            _ => all_known = false,
        }
    }
    if all_known {
        planned.set_attribute("endpoints", Value::Map(wanted));
        let group = prior
            .get("endpoint_security_group_id")
            .cloned()
            .unwrap_or(Value::Null);
        let group = if facts.coverage.own.is_empty() {
            Value::Null
        } else {
            group
        };
        planned.set_attribute("endpoint_security_group_id", group);
    } else {
        planned.set_attribute("endpoints", Value::Unknown);
        planned.set_attribute("endpoint_security_group_id", Value::Unknown);
    }
}

/// Each profile gets the resource's tags (with the provider's default
/// tags) and its own: together within SageMaker's limit.
fn check_profile_tags(planned: &Value, diags: &mut crate::framework::Diagnostics) {
    let Value::Map(all) = planned.get("tags_all").unwrap_or(&Value::Null) else {
        return;
    };
    let Some(Value::List(items)) = planned.get("user_profile") else {
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let own = string_map(item, "tags");
        let count = all.keys().filter(|k| !own.contains_key(*k)).count() + own.len();
        let whose = "the profile's tags merged over the resource's tags and default_tags";
        if let Some(problem) = TagRules::SAGEMAKER.count_problem(count, whose) {
            diags.attribute_error(
                AttrPath::root("user_profile").index(i).attr("tags"),
                "Too many tags",
                problem,
            );
        }
    }
}

/// The defaults of what the configuration leaves out.
fn fill_defaults(config: &Value, planned: &mut Value) {
    let absent = |name: &str| config.get(name).is_none_or(Value::is_null);
    let defaults = [
        ("auth_mode", Value::String("IAM".into())),
        ("network_access", Value::String("VpcOnly".into())),
        ("sdk_training", Value::Bool(true)),
        ("projects", Value::Bool(false)),
        ("create_endpoints", Value::Bool(true)),
        ("home_efs_retention", Value::String("Retain".into())),
    ];
    for (name, value) in defaults {
        if absent(name) {
            planned.set_attribute(name, value);
        }
    }
    if absent("expected_users") {
        let count = match config.get("user_profile") {
            Some(Value::List(items)) if items.iter().all(Value::is_wholly_known) => {
                Some(items.len())
            }
            Some(Value::List(_)) | Some(Value::Unknown) => None,
            _ => Some(0),
        };
        let value = count.map_or(Value::Unknown, |n| {
            Value::Number(i64::from(default_expected_users(n)).into())
        });
        planned.set_attribute("expected_users", value);
    }
}

/// On update: the profile ARNs and group ids of kept profiles stay, new
/// profiles' are unknown; the endpoints stay until the checks say.
fn plan_kept(prior: &Value, planned: &mut Value) {
    let names: Vec<String> = profiles(planned).into_iter().map(|p| p.name).collect();
    for attribute in ["user_profile_arns", "user_security_group_ids"] {
        let before = string_map(prior, attribute);
        let entries = names
            .iter()
            .map(|name| {
                let value = before
                    .get(name)
                    .map_or(Value::Unknown, |v| Value::String(v.clone()));
                (name.clone(), value)
            })
            .collect();
        planned.set_attribute(attribute, Value::Map(entries));
    }
    for attribute in ["endpoints", "endpoint_security_group_id"] {
        planned.set_attribute(
            attribute,
            prior.get(attribute).cloned().unwrap_or(Value::Null),
        );
    }
}

/// The rules each owned group must have: a kept user's group admits only
/// itself, the domain's group sends HTTPS to the VPC and S3 (read from
/// the account: its CIDR blocks and the S3 prefix list).
async fn plan_rules(
    env: &Env<'_>,
    prior: &Value,
    planned: &mut Value,
) -> Result<(), crate::framework::Diagnostics> {
    let users = string_map(planned, "user_security_group_ids");
    let mut rules = BTreeMap::new();
    let mut complete = true;
    for name in profiles(planned).into_iter().map(|p| p.name) {
        match users.get(&name) {
            Some(id) => {
                rules.insert(user_group_key(&name), list_value(&user_rule_lines(id)));
            }
            None => complete = false,
        }
    }
    let vpc_id = text(prior, "vpc_id").unwrap_or_default();
    let has_group = text(prior, "security_group_id").is_some_and(|g| !g.is_empty());
    if has_group && !vpc_id.is_empty() {
        let ec2 = &env.clients.ec2;
        let (blocks, prefix_list) = tokio::join!(
            find::find_vpc_cidr_blocks(ec2, &vpc_id),
            find::find_s3_prefix_list_id(ec2, env.region())
        );
        let fail =
            |e: find::FindError| crate::resources::common::lookup_error(e, "subnet_ids", "", "EC2");
        let (blocks, prefix_list) = (blocks.map_err(fail)?, prefix_list.map_err(fail)?);
        rules.insert(
            "domain".to_owned(),
            list_value(&domain_rule_lines(&blocks, Some(&prefix_list))),
        );
    } else {
        complete = false;
    }
    let value = if complete {
        Value::Map(rules)
    } else {
        Value::Unknown
    };
    planned.set_attribute("security_group_rules", value);
    Ok(())
}
