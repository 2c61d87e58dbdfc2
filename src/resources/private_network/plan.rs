//! Planning `sagemaker_private_network`: defaults, the endpoint set and
//! URLs, the ingress rules, policies compared by meaning — and, when
//! something changes and every input is known, the account checks.

use super::checks::{check_remote, remember_facts, wanted_services, Network, RemoteInputs};
use super::state::{
    desired, endpoint_urls, planned_endpoint, recorded_ids, rule_lines_value, wanted_rule_lines,
};
use crate::aws::ec2::find;
use crate::aws::ownership::{Owner, CREATING_KEY};
use crate::aws::{with_advice, Clients};
use crate::catalog::{EndpointKind, ServiceSpec};
use crate::framework::plan::semantic_eq;
use crate::framework::{AttrPath, Diagnostics};
use crate::policy;
use crate::resources::common::{check_same_region, known_strings};
use crate::resources::composite::Env;
use crate::value::Value;

/// Fills the planned value: defaults, tags, the endpoint set, URLs; runs
/// the remote checks when every input they need is known.
pub async fn plan(
    env: &Env<'_>,
    prior: &Value,
    config: &Value,
    planned: &mut Value,
) -> Result<Diagnostics, Diagnostics> {
    let (clients, tagging) = (&env.clients, &env.tagging);
    let region = clients.region.clone();
    // The group deleted outside Terraform: apply makes it again.
    let group_gone = !prior.is_null()
        && prior
            .get("security_group_id")
            .is_none_or(|id| id.is_null() || id.as_str() == Some(""));
    if group_gone {
        planned.set_attribute("security_group_id", Value::Unknown);
    }
    if planned
        .get("services")
        .is_none_or(|v| v.is_null() || v.is_unknown())
        && config.get("services").is_none_or(Value::is_null)
    {
        planned.set_attribute(
            "services",
            Value::Set(vec![Value::String("hosting".into())]),
        );
    }
    // Only a value the config leaves out gets the default: an unknown one
    // (another resource's output) stays unknown, and the checks wait for it.
    if config.get("private_dns_enabled").is_none_or(Value::is_null) {
        planned.set_attribute("private_dns_enabled", Value::Bool(true));
    }
    keep_equivalent_policies(prior, planned);
    let services = wanted_services(planned);
    plan_computed(prior, planned, services.as_deref(), &region);
    // Terraform plans every resource on every refresh: when nothing will
    // change, the checks already passed when it was made or last changed.
    if !prior.is_null() && semantic_eq(prior, planned) {
        return Ok(Diagnostics::new());
    }
    let mut diags = Diagnostics::new();
    for (i, arn) in known_strings(planned, "runtime_invoke_endpoint_arns")
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        check_same_region(
            AttrPath::root("runtime_invoke_endpoint_arns").index(i),
            policy::arn_region(arn),
            &region,
            "the runtime endpoint of this VPC reaches only SageMaker endpoints of its own Region. \
             Use the ARN of an endpoint in this Region, or a provider configured for that Region.",
            &mut diags,
        );
    }
    if diags.has_errors() {
        return Err(diags);
    }
    // Defaulted inputs (route tables, CIDRs) are unknown in the plan until
    // the checks fill them in: what counts is whether the config knows them.
    let known_in = |value: &Value, names: &[&str], absent_ok: bool| {
        names.iter().all(|name| match value.get(name) {
            Some(v) => v.is_wholly_known(),
            None => absent_ok,
        })
    };
    let inputs_known = known_in(
        planned,
        &["vpc_id", "subnet_ids", "private_dns_enabled"],
        false,
    ) && known_in(
        config,
        &[
            "s3_route_table_ids",
            "allowed_cidr_blocks",
            "policy_principals",
            "principal_org_id",
        ],
        true,
    ) && services.is_some();
    if inputs_known {
        let mut want = desired(planned, tagging);
        let creating = prior.is_null();
        let recorded = recorded_ids(prior);
        let in_state = Some(env.ctx.in_state.as_ref());
        let inputs = RemoteInputs::of(&want, &env.owner, creating, &recorded, in_state);
        let (network, found) = check_remote(clients, &inputs).await?;
        remember_facts(&inputs, &network);
        diags.extend(found);
        // Here, not at apply, a failed account-id lookup stops the plan.
        want.resolve_policies(clients).await?;
        if creating {
            warn_adoption(&network, &env.owner, &mut diags);
        }
        let cidrs = network.allowed_cidrs(&want);
        fill_defaults(planned, &network, &cidrs);
    }
    if planned
        .get("s3_prefix_list_id")
        .is_some_and(Value::is_unknown)
    {
        if let Some(services) = &services {
            let prefix_list = plan_prefix_list(clients, services).await?;
            planned.set_attribute("s3_prefix_list_id", prefix_list);
        }
    }
    plan_computed(prior, planned, services.as_deref(), &region);
    Ok(diags)
}

/// Tells the plan of a create that apply will adopt what an unfinished
/// create of the same network left (a killed apply, a lost answer).
fn warn_adoption(network: &Network, owner: &Owner, diags: &mut Diagnostics) {
    let mut ids: Vec<&str> = network
        .unfinished_endpoints(owner)
        .map(|e| e.id.as_str())
        .collect();
    ids.extend(network.unfinished_group.as_ref().map(|g| g.id.as_str()));
    if ids.is_empty() {
        return;
    }
    diags.warning(
        "Apply will adopt what an unfinished create left",
        format!(
            "An earlier apply of this network in {} did not finish (the provider was stopped or an answer \
             was lost) and left {}, tagged {CREATING_KEY}. No Terraform state records them: apply adopts \
             them instead of making them again, and deletes any this configuration no longer wants.",
            network.vpc.id,
            ids.join(", ")
        ),
    );
}

/// Plans the attributes that follow from the others: the endpoint set (ids
/// kept while the placement stays), the URL attributes, `ingress_rules`.
fn plan_computed(
    prior: &Value,
    planned: &mut Value,
    services: Option<&[&'static ServiceSpec]>,
    region: &str,
) {
    let endpoints = match services {
        Some(services) => {
            let prior_endpoints = prior.get("endpoints").cloned().unwrap_or(Value::Null);
            let placement_same = ["subnet_ids", "private_dns_enabled", "s3_route_table_ids"]
                .iter()
                .all(|name| {
                    semantic_eq(
                        prior.get(name).unwrap_or(&Value::Null),
                        planned.get(name).unwrap_or(&Value::Null),
                    )
                });
            let entries = services.iter().map(|spec| {
                let before = prior_endpoints.get(spec.short_name);
                let entry = match before {
                    Some(entry) if placement_same => entry.clone(),
                    Some(entry) => planned_endpoint(
                        spec,
                        region,
                        entry.get("id").cloned().unwrap_or(Value::Unknown),
                    ),
                    None => planned_endpoint(spec, region, Value::Unknown),
                };
                (spec.short_name.to_owned(), entry)
            });
            Value::Map(entries.collect())
        }
        None => Value::Unknown,
    };
    for (name, url) in endpoint_urls(&endpoints, region) {
        planned.set_attribute(
            name,
            if endpoints.is_unknown() {
                Value::Unknown
            } else {
                url
            },
        );
    }
    planned.set_attribute("endpoints", endpoints);
    plan_ingress_rules(prior, planned);
}

/// The Region's S3 prefix list when `services` include the S3 gateway, else
/// null: it depends on the Region only, so it is known at plan even when
/// the VPC is not.
async fn plan_prefix_list(
    clients: &Clients,
    services: &[&'static ServiceSpec],
) -> Result<Value, Diagnostics> {
    if !services.iter().any(|s| s.kind == EndpointKind::Gateway) {
        return Ok(Value::Null);
    }
    find::find_s3_prefix_list_id(&clients.ec2, &clients.region)
        .await
        .map(Value::String)
        .map_err(|e| {
            Diagnostics::from_error(
                "Cannot find the S3 prefix list",
                with_advice(
                    e,
                    &format!(
                        "Check the provider's region ({}) and the credentials' \
                         ec2:DescribePrefixLists permission.",
                        clients.region
                    ),
                ),
            )
        })
}

/// Plans `ingress_rules`: TCP 443 from the allowed sources when that is
/// what the group has (the prior state, as read), else unknown until apply
/// reads the repaired group back — so a rule added or removed by hand is a
/// change.
fn plan_ingress_rules(prior: &Value, planned: &mut Value) {
    let cidrs = known_strings(planned, "allowed_cidr_blocks");
    let groups = match planned.get("allowed_security_group_ids") {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(_) => known_strings(planned, "allowed_security_group_ids"),
    };
    let rules = match (cidrs, groups) {
        (Some(cidrs), Some(groups)) => {
            let wanted = rule_lines_value(wanted_rule_lines(&cidrs, &groups));
            let before = prior.get("ingress_rules").unwrap_or(&Value::Null);
            if semantic_eq(&wanted, before) {
                wanted
            } else {
                Value::Unknown
            }
        }
        _ => Value::Unknown,
    };
    planned.set_attribute("ingress_rules", rules);
}

/// Policies are compared by meaning: when every configured policy means
/// what the prior one meant, the plan keeps the prior text (Terraform allows
/// the prior value for a changed config), so reformatting shows no diff.
fn keep_equivalent_policies(prior: &Value, planned: &mut Value) {
    let (Some(Value::Map(before)), Some(Value::Map(after))) = (
        prior.get("endpoint_policies"),
        planned.get("endpoint_policies"),
    ) else {
        return;
    };
    let equivalent = before.len() == after.len()
        && after.iter().all(|(name, text)| {
            let old = before.get(name).and_then(Value::as_str);
            old.zip(text.as_str())
                .is_some_and(|(a, b)| crate::policy::equivalent(a, b))
        });
    if equivalent {
        let kept = Value::Map(before.clone());
        planned.set_attribute("endpoint_policies", kept);
    }
}

/// Sets the defaults the network decides: allowed CIDRs, route tables, the
/// S3 prefix list.
pub fn fill_defaults(value: &mut Value, network: &Network, cidrs: &[String]) {
    let strings = |items: &[String]| Value::Set(items.iter().cloned().map(Value::String).collect());
    if value
        .get("allowed_cidr_blocks")
        .is_none_or(|v| v.is_null() || v.is_unknown())
    {
        value.set_attribute("allowed_cidr_blocks", strings(cidrs));
    }
    if value
        .get("s3_route_table_ids")
        .is_none_or(|v| v.is_null() || v.is_unknown())
    {
        value.set_attribute("s3_route_table_ids", strings(&network.route_table_ids));
    }
    let prefix_list = network
        .s3_prefix_list_id
        .clone()
        .map_or(Value::Null, Value::String);
    value.set_attribute("s3_prefix_list_id", prefix_list);
}
