//! Import by VPC id: adopts the endpoints' security group and every
//! SageMaker-related endpoint of the VPC (made by this provider or not), and
//! infers the inputs from them, so that a configuration matching what exists
//! plans no changes.

use super::state::{endpoint_urls, endpoint_value, short_name_of};
use crate::aws::ec2::find::{self, SecurityGroup, VpcEndpoint};
use crate::aws::ec2::tags::{MANAGED_BY_KEY, OWNER_KEY};
use crate::aws::Clients;
use crate::catalog::{self, EndpointKind, PRESETS};
use crate::framework::{Diagnostics, Schema};
use crate::value::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The state of an imported network in `vpc_id`.
pub async fn import_state(
    clients: &Clients,
    schema: &Schema,
    vpc_id: &str,
    default_tags: &BTreeMap<String, String>,
) -> Result<Value, Diagnostics> {
    let fail = |e: find::FindError| {
        Diagnostics::from_error(
            "Cannot import",
            format!("{e}. Check the VPC id and the provider's region."),
        )
    };
    find::find_vpc(&clients.ec2, vpc_id).await.map_err(fail)?;
    let listing = find::find_vpc_endpoints_in_vpc(&clients.ec2, vpc_id, false)
        .await
        .map_err(fail)?;
    let adopted: Vec<(&'static catalog::ServiceSpec, &VpcEndpoint)> = listing
        .iter()
        .filter_map(|e| {
            short_name_of(&e.service_name, &e.endpoint_type, &clients.region).map(|spec| (spec, e))
        })
        .collect();
    let group = find_group(clients, vpc_id, &adopted).await.map_err(fail)?;
    if adopted.is_empty() && group.is_none() {
        return Err(Diagnostics::from_error(
            "Nothing to import",
            format!("VPC {vpc_id} has no SageMaker-related VPC endpoint and no group of this provider. Create the network with terraform apply instead."),
        ));
    }
    let mut state: BTreeMap<String, Value> = schema
        .block
        .attributes
        .iter()
        .map(|a| (a.name.to_owned(), Value::Null))
        .collect();
    state.insert("timeouts".into(), Value::Null);
    let text = |s: &str| Value::String(s.to_owned());
    state.insert("id".into(), text(vpc_id));
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
        let own: BTreeMap<String, String> = group
            .tags
            .iter()
            .filter(|(k, v)| {
                k.as_str() != MANAGED_BY_KEY
                    && k.as_str() != OWNER_KEY
                    && default_tags.get(*k) != Some(v)
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut all = default_tags.clone();
        all.extend(own.clone());
        if !own.is_empty() {
            state.insert("tags".into(), map_of(own));
        }
        state.insert("tags_all".into(), map_of(all));
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

/// The group this provider made (owner tag), else the one the adopted
/// interface endpoints use.
async fn find_group(
    clients: &Clients,
    vpc_id: &str,
    adopted: &[(&'static catalog::ServiceSpec, &VpcEndpoint)],
) -> Result<Option<SecurityGroup>, find::FindError> {
    let tagged = find::find_security_groups_by_tag(&clients.ec2, vpc_id, OWNER_KEY, vpc_id).await?;
    if let Some(group) = tagged.into_iter().next() {
        return Ok(Some(group));
    }
    let used = adopted
        .iter()
        .find_map(|(_, e)| e.security_group_ids.first().cloned());
    match used {
        Some(id) => find::find_security_group(&clients.ec2, &id).await.map(Some),
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

fn map_of(entries: BTreeMap<String, String>) -> Value {
    Value::Map(
        entries
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    )
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
