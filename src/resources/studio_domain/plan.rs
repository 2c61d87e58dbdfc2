//! Planning `sagemaker_studio_domain`: defaults, the computed values that
//! stay (ids of kept profiles and groups), the rules its groups must have
//! (so a rule changed by hand shows), and — when something changes and
//! every input is known — the account checks, which also find the VPC
//! (another VPC replaces the domain) and the endpoints to reuse.

use super::checks::{check_remote, Stage};
use super::state::{
    default_expected_users, desired, domain_rule_lines, endpoint_entry, list_value, profiles,
    string_map_value, user_group_key, user_rule_lines,
};
use crate::aws::ec2::find;
use crate::aws::studio;
use crate::framework::plan::semantic_eq;
use crate::framework::{AttrPath, Diagnostics, PlanResult};
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
        planned.set_attribute("status", Value::Unknown);
    }
    if !creating {
        if let Err(diags) = plan_failures(env, prior, plan).await {
            plan.diags.extend(diags);
            return;
        }
    }
    let planned = &mut plan.planned;
    if !creating && semantic_eq(prior, planned) {
        return;
    }
    if !creating {
        // Whatever changes, apply ends with the domain and every profile
        // InService (it waits for them).
        settle_statuses(planned);
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

/// On update: the profile ARNs, statuses and group ids of kept profiles
/// stay, new profiles' are unknown; the endpoints stay until the checks say.
fn plan_kept(prior: &Value, planned: &mut Value) {
    let names: Vec<String> = profiles(planned).into_iter().map(|p| p.name).collect();
    for attribute in [
        "user_profile_arns",
        "user_security_group_ids",
        "user_profile_statuses",
    ] {
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

/// What AWS says of failed objects, and what apply does about them
/// (developer guide, "Amazon SageMaker AI domain entities and statuses"):
/// a `Failed` domain "cannot be used or updated" — delete it and create it
/// again, so the resource is replaced (`status` forces it); a `Failed`
/// profile is deleted and created again in place; after `Update_Failed`
/// (domain or profile) the way out is to update again, which apply does.
/// Each shows as a warning with SageMaker's `FailureReason`, read here:
/// only a failed object costs a call.
async fn plan_failures(
    env: &Env<'_>,
    prior: &Value,
    plan: &mut PlanResult,
) -> Result<(), Diagnostics> {
    let PlanResult {
        planned,
        requires_replace,
        diags,
    } = plan;
    let Some(domain_id) = text(prior, "domain_id") else {
        return Ok(());
    };
    let sagemaker = &env.clients.sagemaker;
    let name = text(prior, "name").unwrap_or_default();
    let read_error = |e: String| Diagnostics::from_error("Cannot read the Studio domain", e);
    let status = text(prior, "status").unwrap_or_default();
    if matches!(status.as_str(), "Failed" | "Update_Failed") {
        let reason = studio::find_domain_status(sagemaker, &domain_id)
            .await
            .map_err(read_error)?
            .and_then(|(_, reason)| reason);
        let reason = reason_text(reason);
        if status == "Failed" {
            planned.set_attribute("status", Value::Unknown);
            requires_replace.push(AttrPath::root("status"));
            diags.warning(
                "The Studio domain failed: it will be replaced",
                format!(
                    "SageMaker reports domain {domain_id} ({name}) as Failed: {reason}. A failed domain \
                     cannot be used or updated; AWS's way out is to delete it and create it again, so this \
                     plan replaces the resource: apply deletes the domain (its profiles, spaces and apps \
                     first; the home EFS as home_efs_retention says) and what this resource made for it, \
                     then makes them anew. If the reason names something of the configuration or the \
                     account (a role, a key, a subnet), fix that first, or the new domain fails the same way."
                ),
            );
            return Ok(());
        }
        planned.set_attribute("status", Value::String("InService".into()));
        diags.warning(
            "The last update of the Studio domain failed: it will be updated again",
            format!(
                "SageMaker reports domain {domain_id} ({name}) as Update_Failed: {reason}. The domain \
                 still works with its earlier settings; AWS's way out is to update it again, so this apply \
                 sends every setting of the configuration again (UpdateDomain) and waits for InService. If \
                 the reason names something to fix (a role, a subnet, running apps), fix that first."
            ),
        );
    }
    let recorded = string_map(prior, "user_profile_statuses");
    let mut statuses = string_map(planned, "user_profile_statuses");
    let mut changed = false;
    for (i, profile) in profiles(planned).into_iter().enumerate() {
        let Some(status) = recorded.get(&profile.name) else {
            continue;
        };
        let (summary, action) = match status.as_str() {
            "Failed" => (
                format!("User profile {} failed: it will be made again", profile.name),
                "A failed profile cannot be used or updated; AWS's way out is to delete it and create it \
                 again, so this apply deletes it (its apps and private spaces first) and creates it anew; \
                 the domain and the other profiles stay.",
            ),
            "Update_Failed" => (
                format!(
                    "The last update of user profile {} failed: it will be updated again",
                    profile.name
                ),
                "The profile still works with its earlier settings; AWS's way out is to update it again, so \
                 this apply sends its settings again (UpdateUserProfile) and waits for InService.",
            ),
            _ => continue,
        };
        let found = studio::find_user_profile(sagemaker, &domain_id, &profile.name)
            .await
            .map_err(read_error)?;
        let reason = reason_text(found.and_then(|p| p.failure_reason));
        diags.attribute_warning(
            AttrPath::root("user_profile").index(i).attr("name"),
            summary,
            format!(
                "SageMaker reports user profile {} of domain {domain_id} as {status}: {reason}. {action} \
                 If the reason names something to fix (its role, its security groups), fix that first, or \
                 it fails the same way.",
                profile.name
            ),
        );
        statuses.insert(profile.name, "InService".to_owned());
        changed = true;
    }
    if changed {
        planned.set_attribute("user_profile_statuses", string_map_value(&statuses));
    }
    Ok(())
}

/// SageMaker's `FailureReason`, quoted, or that it gave none.
fn reason_text(reason: Option<String>) -> String {
    reason.map_or_else(
        || "SageMaker gave no reason".to_owned(),
        |r| format!("{r:?}"),
    )
}

/// The statuses an apply ends with: `InService` for the domain (unless it
/// is made again: unknown) and every profile that has one.
fn settle_statuses(planned: &mut Value) {
    if planned.get("status").is_some_and(|s| s.as_str().is_some()) {
        planned.set_attribute("status", Value::String("InService".into()));
    }
    if let Some(Value::Map(entries)) = planned.get("user_profile_statuses") {
        let settled = entries
            .iter()
            .map(|(name, status)| {
                let status = if status.as_str().is_some() {
                    Value::String("InService".into())
                } else {
                    status.clone()
                };
                (name.clone(), status)
            })
            .collect();
        planned.set_attribute("user_profile_statuses", Value::Map(settled));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(fields: &[(&str, Value)]) -> Value {
        Value::Object(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn an_apply_leaves_every_known_status_in_service() {
        let statuses = Value::Map(BTreeMap::from([
            ("alice".to_owned(), Value::String("Pending".into())),
            ("bob".to_owned(), Value::Unknown),
        ]));
        let mut planned = object(&[
            ("status", Value::String("Updating".into())),
            ("user_profile_statuses", statuses),
        ]);
        settle_statuses(&mut planned);
        assert_eq!(
            planned.get("status"),
            Some(&Value::String("InService".into()))
        );
        let settled = planned.get("user_profile_statuses").unwrap();
        assert_eq!(
            settled.get("alice"),
            Some(&Value::String("InService".into()))
        );
        assert_eq!(
            settled.get("bob"),
            Some(&Value::Unknown),
            "a new profile stays unknown"
        );

        // A domain made again has no status yet.
        let mut planned = object(&[("status", Value::Unknown)]);
        settle_statuses(&mut planned);
        assert_eq!(planned.get("status"), Some(&Value::Unknown));
    }
}
