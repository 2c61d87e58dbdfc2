//! The endpoints a domain makes for itself are a private network of its
//! own: this module describes them as a `sagemaker_private_network` value
//! and runs that resource's apply and delete under the domain's owner part
//! ([`super::state::ENDPOINTS_PART`]) — the same catalog, policies, pacing,
//! waiting and crash recovery as the network, one implementation for both.
//! Their group admits HTTPS from the domain's group only. What the domain's
//! checks read of the VPC is handed over, not read again. On update,
//! [`super::endpoint_order`] adds before the domain changes and
//! [`converge`] removes after.

use super::checks::Facts;
use super::state::{endpoint_entry, managed_endpoints, Desired, ENDPOINTS_PART};
use crate::catalog::EndpointKind;
use crate::framework::Diagnostics;
use crate::resources::common::text;
use crate::resources::composite::applier::Applier;
use crate::resources::composite::{empty_state, Env};
use crate::resources::private_network;
use crate::resources::private_network::checks::Network;
use crate::value::Value;
use std::collections::BTreeMap;

/// The environment of the endpoints part: the domain's, with its owner part.
pub(super) fn part_env<'a>(env: &Env<'a>) -> Env<'a> {
    Env {
        ctx: env.ctx,
        clients: env.clients.clone(),
        tagging: env.tagging.clone(),
        owner: env.owner.part(ENDPOINTS_PART),
    }
}

fn set(items: impl IntoIterator<Item = String>) -> Value {
    Value::Set(items.into_iter().map(Value::String).collect())
}

/// The private network the endpoints part of `state` records (its
/// endpoints and group), null when it has none.
pub fn recorded_network(state: &Value) -> Value {
    let endpoints = managed_endpoints(state);
    let group = text(state, "endpoint_security_group_id").filter(|g| !g.is_empty());
    if endpoints.is_empty() && group.is_none() {
        return Value::Null;
    }
    let mut fields = empty_state(&private_network::schema::schema());
    fields.insert(
        "vpc_id".into(),
        text(state, "vpc_id").map_or(Value::Null, Value::String),
    );
    let entries = endpoints
        .into_iter()
        .map(|(name, id)| {
            let entry = Value::Object(BTreeMap::from([("id".to_owned(), Value::String(id))]));
            (name, entry)
        })
        .collect();
    fields.insert("endpoints".into(), Value::Map(entries));
    fields.insert(
        "security_group_id".into(),
        group.map_or(Value::Null, Value::String),
    );
    Value::Object(fields)
}

/// The private network the domain wants for the services it serves itself.
pub(super) fn wanted_network(want: &Desired, facts: &Facts, domain_group: &str) -> Value {
    let coverage = &facts.coverage;
    let mut fields = empty_state(&private_network::schema::schema());
    let mut put = |name: &str, value: Value| {
        fields.insert(name.to_owned(), value);
    };
    put("vpc_id", Value::String(facts.vpc.id.clone()));
    put("subnet_ids", set(coverage.endpoint_subnets.clone()));
    put(
        "services",
        set(coverage.own.iter().map(|s| s.short_name.to_owned())),
    );
    put("private_dns_enabled", Value::Bool(true));
    put("allowed_cidr_blocks", set([]));
    put("allowed_security_group_ids", set([domain_group.to_owned()]));
    if coverage.own.iter().any(|s| s.kind == EndpointKind::Gateway) {
        put("s3_route_table_ids", set(coverage.s3_route_tables.clone()));
    }
    let tags = want
        .tags
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    put("tags_all", Value::Map(tags));
    Value::Object(fields)
}

/// What the domain's checks read of the VPC in this apply, as the private
/// network's checks take it: the VPC, the subnets its endpoints use, the
/// tables its S3 route goes in, the VPC's endpoints, the prefix list.
fn network_facts(facts: &Facts) -> Network {
    let coverage = &facts.coverage;
    let wants_s3 = coverage.own.iter().any(|s| s.kind == EndpointKind::Gateway);
    Network {
        vpc: facts.vpc.clone(),
        subnets: facts
            .subnets
            .iter()
            .filter(|s| coverage.endpoint_subnets.contains(&s.id))
            .cloned()
            .collect(),
        route_table_ids: coverage.s3_route_tables.clone(),
        endpoints: facts.endpoints.clone(),
        s3_prefix_list_id: wants_s3.then(|| facts.s3_prefix_list_id.clone()),
        unfinished_group: None,
    }
}

/// Brings the domain's own endpoints in line with the coverage the checks
/// decided; returns the `endpoints` entries (reused and own) and the
/// group of its own, if it has any.
pub async fn converge(
    env: &Env<'_>,
    applier: &mut Applier<'_>,
    want: &Desired,
    facts: &Facts,
    prior: &Value,
    domain_group: &str,
) -> (BTreeMap<String, Value>, Option<String>) {
    let mut entries: BTreeMap<String, Value> = facts
        .coverage
        .reused
        .iter()
        .map(|(name, id)| ((*name).to_owned(), endpoint_entry(id, false)))
        .collect();
    let part = part_env(env);
    let recorded = recorded_network(prior);
    if facts.coverage.own.is_empty() {
        if !recorded.is_null() {
            applier.extend(private_network::apply::delete(&part, &recorded).await);
        }
        return (entries, None);
    }
    let planned = wanted_network(want, facts, domain_group);
    let read = Some(network_facts(facts));
    let result = private_network::apply::apply_knowing(&part, &recorded, planned, read).await;
    applier.extend(result.diags);
    let Some(state) = result.state else {
        return (entries, text(prior, "endpoint_security_group_id"));
    };
    entries.extend(own_entries(&state));
    (
        entries,
        text(&state, "security_group_id").filter(|g| !g.is_empty()),
    )
}

/// The endpoints of a private network `state` as `endpoints` entries
/// (`managed`).
pub(super) fn own_entries(state: &Value) -> BTreeMap<String, Value> {
    let mut entries = BTreeMap::new();
    if let Some(Value::Map(own)) = state.get("endpoints") {
        for (name, endpoint) in own {
            if let Some(id) = endpoint.get("id").and_then(Value::as_str) {
                entries.insert(name.clone(), endpoint_entry(id, true));
            }
        }
    }
    entries
}

/// Deletes the endpoints and group the domain made (`state` records them).
pub async fn delete(env: &Env<'_>, state: &Value) -> Diagnostics {
    let recorded = recorded_network(state);
    if recorded.is_null() {
        return Diagnostics::new();
    }
    private_network::apply::delete(&part_env(env), &recorded).await
}
