//! Import by VPC id or by network id (`vpc-…/…`): adopts the objects of one
//! network of this provider — or, in a VPC with none, every SageMaker-related
//! endpoint made by hand and the group they use — and infers the inputs from
//! them, so that a configuration matching what exists plans no changes.

use super::state::{endpoint_urls, endpoint_value, short_name_of, TYPE_NAME};
use crate::aws::ec2::find::{self, SecurityGroup, VpcEndpoint};
use crate::aws::ownership::{id_key, owner_of, Owner, MANAGED_BY_KEY, MANAGED_BY_VALUE};
use crate::aws::{with_advice, Clients, TagSettings};
use crate::catalog::{self, EndpointKind, PRESETS};
use crate::framework::{Diagnostics, Schema};
use crate::policy::{self, PolicySource, Principals};
use crate::resources::common::observed_tags;
use crate::resources::composite::empty_state;
use crate::resources::policy_principals::{self, Scope};
use crate::value::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The state of the network imported as `id` (a VPC id or a network id).
pub async fn import_state(
    clients: &Clients,
    schema: &Schema,
    id: &str,
    tagging: &TagSettings,
) -> Result<Value, Diagnostics> {
    let vpc_id = id_key(id);
    let fail = |e: find::FindError| {
        Diagnostics::from_error(
            "Cannot import",
            with_advice(e, "Check the VPC id and the provider's region."),
        )
    };
    find::find_vpc(&clients.ec2, vpc_id).await.map_err(fail)?;
    let listing = find::find_vpc_endpoints_in_vpc(&clients.ec2, vpc_id, false)
        .await
        .map_err(fail)?;
    let groups =
        find::find_security_groups_by_tag(&clients.ec2, vpc_id, MANAGED_BY_KEY, MANAGED_BY_VALUE)
            .await
            .map_err(fail)?;
    // A network's objects carry an owner id drawn for its VPC.
    let network_of = |tags: &BTreeMap<String, String>| {
        owner_of(tags)
            .filter(|owner| id_key(owner) == vpc_id)
            .map(str::to_owned)
    };
    let owner = choose_owner(
        id,
        vpc_id,
        listing
            .iter()
            .map(|e| &e.tags)
            .chain(groups.iter().map(|g| &g.tags))
            .filter_map(network_of)
            .collect(),
    )?;
    // That network's endpoints; in a VPC with none, the ones made by hand —
    // never an object another resource of this provider owns.
    let adopted: Vec<(&'static catalog::ServiceSpec, &VpcEndpoint)> = listing
        .iter()
        .filter(|e| match &owner {
            Some(owner) => network_of(&e.tags).as_ref() == Some(owner),
            None => owner_of(&e.tags).is_none(),
        })
        .filter_map(|e| {
            short_name_of(&e.service_name, &e.endpoint_type, &clients.region).map(|spec| (spec, e))
        })
        .collect();
    let own_group = groups
        .into_iter()
        .find(|g| owner.is_some() && network_of(&g.tags) == owner);
    let group = match own_group {
        Some(group) => Some(group),
        None => used_group(clients, &adopted).await.map_err(fail)?,
    };
    let id = owner.unwrap_or_else(|| Owner::new(TYPE_NAME, vpc_id).id);
    if adopted.is_empty() && group.is_none() {
        return Err(Diagnostics::from_error(
            "Nothing to import",
            format!("VPC {vpc_id} has no SageMaker-related VPC endpoint and no group of this provider. Create the network with terraform apply instead."),
        ));
    }
    let mut state = empty_state(schema);
    let text = |s: &str| Value::String(s.to_owned());
    state.insert("id".into(), text(&id));
    state.insert("vpc_id".into(), text(vpc_id));
    let interfaces: Vec<&VpcEndpoint> = adopted
        .iter()
        .filter(|(s, _)| s.kind == EndpointKind::Interface)
        .map(|(_, e)| *e)
        .collect();
    let subnets: BTreeSet<String> = interfaces
        .iter()
        .flat_map(|e| e.subnet_ids.iter().cloned())
        .collect();
    state.insert("subnet_ids".into(), set_of(subnets));
    state.insert(
        "private_dns_enabled".into(),
        Value::Bool(interfaces.iter().all(|e| e.private_dns_enabled)),
    );
    let names: Vec<&str> = adopted.iter().map(|(s, _)| s.short_name).collect();
    state.insert("services".into(), set_of(service_names(&names)));
    let tables: BTreeSet<String> = adopted
        .iter()
        .filter(|(s, _)| s.kind == EndpointKind::Gateway)
        .flat_map(|(_, e)| e.route_table_ids.iter().cloned())
        .collect();
    state.insert("s3_route_table_ids".into(), set_of(tables));
    if adopted.iter().any(|(s, _)| s.kind == EndpointKind::Gateway) {
        let prefix_list = find::find_s3_prefix_list_id(&clients.ec2, &clients.region)
            .await
            .map_err(fail)?;
        state.insert("s3_prefix_list_id".into(), text(&prefix_list));
    }
    if let Some(group) = &group {
        state.insert("security_group_id".into(), text(&group.id));
        let https = group.ingress.iter().filter(|r| r.from_port == Some(443));
        let cidrs: BTreeSet<String> = https
            .clone()
            .flat_map(|r| r.cidr_ipv4.iter().cloned())
            .collect();
        let groups: BTreeSet<String> = https
            .flat_map(|r| r.source_group_ids.iter().cloned())
            .collect();
        state.insert("allowed_cidr_blocks".into(), set_of(cidrs));
        if !groups.is_empty() {
            state.insert("allowed_security_group_ids".into(), set_of(groups));
        }
        let (tags, tags_all) = observed_tags(&Value::Null, &group.tags, tagging);
        state.insert("tags".into(), tags);
        state.insert("tags_all".into(), tags_all);
    }
    for (name, value) in policy_inputs(clients, &adopted).await? {
        state.insert(name, value);
    }
    let endpoints: BTreeMap<String, Value> = adopted
        .iter()
        .map(|(spec, e)| (spec.short_name.to_owned(), endpoint_value(spec, e)))
        .collect();
    let endpoints = Value::Map(endpoints);
    for (name, url) in endpoint_urls(&endpoints, &clients.region) {
        state.insert(name.to_owned(), url);
    }
    state.insert("endpoints".into(), endpoints);
    Ok(Value::Object(state))
}

/// The policy inputs that reproduce the adopted endpoints' policies:
/// `policy_principals` (and `principal_org_id`) for the principals whose
/// defaults and helpers explain the most endpoints — AWS's full access
/// being the default of `"any"`, an account only the caller's own — then
/// the helpers (`s3_bucket_arns`, `deny_amazon_linux_repositories`,
/// `runtime_invoke_endpoint_arns`) where one generated the policy, else
/// the policy itself in `endpoint_policies` — so the original
/// configuration plans no change after import. Reads the account id only
/// when a policy names an account.
async fn policy_inputs(
    clients: &Clients,
    adopted: &[(&'static catalog::ServiceSpec, &VpcEndpoint)],
) -> Result<Vec<(String, Value)>, Diagnostics> {
    let region = clients.region.as_str();
    let policies: Vec<(&'static catalog::ServiceSpec, &str)> = adopted
        .iter()
        .filter(|(spec, _)| spec.accepts_policy)
        .map(|(spec, endpoint)| {
            let text = endpoint
                .policy_document
                .as_deref()
                .unwrap_or(policy::FULL_ACCESS_POLICY);
            (*spec, text)
        })
        .collect();
    let mut candidates: BTreeSet<Principals> = policies
        .iter()
        .flat_map(|(_, text)| policy::named_principals(text))
        .collect();
    if candidates
        .iter()
        .any(|p| matches!(p, Principals::Account(_)))
    {
        // Only the caller's own account is what `"account"` means.
        let own = policy_principals::resolve(clients, &Scope::Account).await?;
        candidates.retain(|p| !matches!(p, Principals::Account(_)) || *p == own);
    }
    // The principals explaining the most policies; on a tie the default
    // (the account), then an organization, then any. None explaining any
    // policy: the default, every policy given as it is.
    let rank = |p: &Principals| match p {
        Principals::Account(_) => 0,
        Principals::Organization(_) => 1,
        Principals::Any => 2,
    };
    let explained = |principals: &Principals| {
        policies
            .iter()
            .filter(|(spec, text)| policy::recognise(spec, text, principals, region).is_some())
            .count()
    };
    let chosen = candidates
        .into_iter()
        .map(|p| (explained(&p), p))
        .filter(|(count, _)| *count > 0)
        .max_by_key(|(count, p)| (*count, std::cmp::Reverse(rank(p))))
        .map(|(_, p)| p);
    let mut inputs = Vec::new();
    match &chosen {
        Some(Principals::Any) => inputs.push(("policy_principals".to_owned(), text_value("any"))),
        Some(Principals::Organization(id)) => {
            inputs.push(("policy_principals".to_owned(), text_value("organization")));
            inputs.push(("principal_org_id".to_owned(), text_value(id)));
        }
        Some(Principals::Account(_)) | None => {}
    }
    let mut raw = BTreeMap::new();
    for (spec, text) in policies {
        let source = chosen
            .as_ref()
            .and_then(|principals| policy::recognise(spec, text, principals, region));
        match source {
            Some(PolicySource::Default) => {}
            Some(PolicySource::S3Buckets {
                buckets,
                deny_amazon_linux,
            }) => {
                if !buckets.is_empty() {
                    inputs.push(("s3_bucket_arns".to_owned(), set_of(buckets)));
                }
                if deny_amazon_linux {
                    inputs.push((
                        "deny_amazon_linux_repositories".to_owned(),
                        Value::Bool(true),
                    ));
                }
            }
            Some(PolicySource::RuntimeInvoke(arns)) => {
                inputs.push(("runtime_invoke_endpoint_arns".to_owned(), set_of(arns)));
            }
            Some(PolicySource::Given(_)) | None => {
                raw.insert(spec.short_name.to_owned(), text_value(text));
            }
        }
    }
    if !raw.is_empty() {
        inputs.push(("endpoint_policies".to_owned(), Value::Map(raw)));
    }
    Ok(inputs)
}

fn text_value(text: &str) -> Value {
    Value::String(text.to_owned())
}

/// Which network to import: the one `id` names, else the only one of this
/// provider in the VPC (`owners`), else none (adopt what was made by hand).
fn choose_owner(
    id: &str,
    vpc_id: &str,
    owners: BTreeSet<String>,
) -> Result<Option<String>, Diagnostics> {
    if id != vpc_id {
        return if owners.contains(id) {
            Ok(Some(id.to_owned()))
        } else {
            Err(Diagnostics::from_error(
                "Nothing to import",
                format!("No object in {vpc_id} belongs to network {id}. Check the id, or import by VPC id."),
            ))
        };
    }
    match owners.len() {
        0 | 1 => Ok(owners.into_iter().next()),
        _ => Err(Diagnostics::from_error(
            "Several networks in this VPC",
            format!(
                "VPC {vpc_id} holds {} networks of this provider: {}. Import one of them by its id.",
                owners.len(),
                owners.into_iter().collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

/// The group the adopted interface endpoints use (a network made by hand).
async fn used_group(
    clients: &Clients,
    adopted: &[(&'static catalog::ServiceSpec, &VpcEndpoint)],
) -> Result<Option<SecurityGroup>, find::FindError> {
    let used = adopted
        .iter()
        .find_map(|(_, e)| e.security_group_ids.first().cloned());
    match used {
        Some(id) => find::find_security_group(&clients.ec2, &id)
            .await
            .map(|g| owner_of(&g.tags).is_none().then_some(g)),
        None => Ok(None),
    }
}

/// The preset that is exactly `names`, else the names themselves.
fn service_names(names: &[&str]) -> Vec<String> {
    let found: BTreeSet<&str> = names.iter().copied().collect();
    for (preset, members) in PRESETS {
        if members.iter().copied().collect::<BTreeSet<_>>() == found {
            return vec![(*preset).to_owned()];
        }
    }
    found.into_iter().map(str::to_owned).collect()
}

fn set_of(items: impl IntoIterator<Item = String>) -> Value {
    Value::Set(items.into_iter().map(Value::String).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exact_preset_is_recognised() {
        assert_eq!(
            service_names(&["s3", "sagemaker_runtime", "sagemaker_api"]),
            vec!["hosting"]
        );
        assert_eq!(service_names(&["s3", "sts"]), vec!["s3", "sts"]);
    }
}
