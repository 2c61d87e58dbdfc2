//! Applying `sagemaker_private_network`, in stages: the account checks
//! again — every one when the plan could not run them, else only what
//! another apply may have changed since the plan
//! ([`crate::resources::composite::checked`]) — the
//! endpoints' security group, the endpoints (extra ones deleted, kept ones
//! brought in line, missing ones made concurrently), the wait for
//! `available`. A create adopts what an unfinished create of the same
//! network left; an update finds what the state records. Every path ends
//! with the state AWS reports — the partial state on error.

use super::checks::{self, check_again, recall_facts, Known, Network, RemoteInputs};
use super::plan::fill_defaults;
use super::refresh::{observe_with, owned, with_observed};
use super::state::{
    desired, recorded_ids, security_group_name, short_name_of, wanted_rule_lines, Desired,
    SECURITY_GROUP_DESCRIPTION,
};
use crate::aws::ec2::endpoints::{self as ops, EndpointChange, EndpointRequest, Placement};
use crate::aws::ec2::find::is_gone_state;
use crate::aws::ec2::find::{self, VpcEndpoint};
use crate::aws::ec2::groups::{self, ensure_group, find_owned_group, sync_group, WantedGroup};
use crate::aws::ec2::tags::sync_tags;
use crate::aws::ec2::wait::{wait_endpoints_listed, Target};
use crate::aws::ownership::reserve;
use crate::catalog::{EndpointKind, ServiceSpec};
use crate::framework::{ApplyResult, AttrPath, Diagnostics};
use crate::resources::common::text;
use crate::resources::composite::applier::{Applier, Step, StepError};
use crate::resources::composite::planner::compare;
use crate::resources::composite::{unchanged, Env};
use crate::value::Value;
use std::collections::BTreeMap;

/// How many endpoint calls run at once (EC2's bucket paces them anyway).
const CONCURRENT_CALLS: usize = 4;

/// Makes AWS match `planned`; `prior` is null on create.
pub async fn apply(env: &Env<'_>, prior: &Value, planned: Value) -> ApplyResult {
    apply_knowing(env, prior, planned, None).await
}

/// [`apply`], given what the caller's checks read of the network in this
/// very apply (`current`: a Studio domain's, for the endpoints it makes),
/// so that it is not read again.
pub async fn apply_knowing(
    env: &Env<'_>,
    prior: &Value,
    planned: Value,
    current: Option<Network>,
) -> ApplyResult {
    let creating = prior.is_null();
    let mut want = desired(&planned, &env.tagging);
    let recorded = recorded_ids(prior);
    let inputs = RemoteInputs::of(&want, &env.owner, creating, &recorded, None);
    let known = match current {
        Some(network) => Known::Current(network),
        None => recall_facts(&inputs).map_or(Known::Nothing, Known::Planned),
    };
    let network = match check_again(&env.clients, &inputs, known).await {
        Ok((network, _)) => network,
        Err(diags) => return unchanged(prior, diags),
    };
    // Before anything is made: the account id the default policies need.
    if let Err(diags) = want.resolve_policies(&env.clients).await {
        return unchanged(prior, diags);
    }
    if let Err(diags) = reserve_unique(env, &want, &network) {
        return unchanged(prior, diags);
    }
    let ec2 = &env.clients.ec2;
    let tags = env.owner.tags(&BTreeMap::new(), &want.tags, creating);
    let recorded_group = text(prior, "security_group_id").filter(|id| !id.is_empty());
    let existing = if creating {
        Ok(None)
    } else {
        find_owned_group(ec2, &want.vpc_id, recorded_group.as_deref(), &env.owner).await
    };
    let existing = match existing {
        Ok(group) => group,
        Err(e) => {
            let diags =
                Diagnostics::from_error("Cannot read the endpoint security group", e.to_string());
            return unchanged(prior, diags);
        }
    };
    let mut applier = Applier::new(env.ctx);
    let cidrs = network.allowed_cidrs(&want);
    let rules = wanted_rule_lines(&cidrs, &want.allowed_groups);
    let name = security_group_name(&env.owner);
    let group = WantedGroup {
        vpc_id: &want.vpc_id,
        name: &name,
        description: SECURITY_GROUP_DESCRIPTION,
        tags: &tags,
        rules: &rules,
        ingress_only: true,
    };
    let summary = "Cannot set up the endpoint security group";
    let label = "the endpoint security group";
    let unfinished = network.unfinished_group.as_ref();
    let ensured = ensure_group(ec2, &group, existing.as_ref(), unfinished, &env.tagging);
    let made = applier.step(summary, label, ensured).await;
    let Some(group_id) = made.or(recorded_group) else {
        // Nothing of this network exists, or only what the next create adopts.
        return unchanged(prior, applier.finish());
    };
    let synced = sync_group(ec2, &group, &group_id, existing.as_ref(), &env.tagging);
    applier.step(summary, label, synced).await;
    let parts = (&want, &network, &tags);
    let ids = converge_endpoints(env, &mut applier, prior, parts, &group_id).await;
    let mut listing = None;
    if applier.going() {
        match wait_all(env, &want.vpc_id, &ids).await {
            Ok(last) => listing = Some(last),
            Err(diags) => applier.extend(diags),
        }
    }
    let diags = applier.finish();
    let found = (&network, cidrs.as_slice(), group_id.as_str(), listing);
    settle(env, planned, found, diags).await
}

/// Reserves what AWS allows once and this network makes — the private-DNS
/// endpoint of each service, the S3 route of each table — so that another
/// resource of the same apply, which passed its plan checks before either
/// existed, fails before it makes anything.
fn reserve_unique(env: &Env<'_>, want: &Desired, network: &Network) -> Result<(), Diagnostics> {
    let route_tables = want
        .route_table_ids
        .as_deref()
        .unwrap_or(&network.route_table_ids);
    let mut keys = Vec::new();
    for spec in &want.services {
        match spec.kind {
            EndpointKind::Interface if want.private_dns => {
                keys.push(ops::private_dns_key(&want.vpc_id, spec.short_name));
            }
            EndpointKind::Interface => {}
            EndpointKind::Gateway => keys.extend(route_tables.iter().map(|t| ops::s3_route_key(t))),
        }
    }
    reserve(&keys, &env.owner.id).map_err(|(what, other)| {
        let holder = checks::owner_resource(&other);
        let studio = crate::resources::studio_domain::state::TYPE_NAME;
        let fix = if checks::for_domain(&env.owner) || holder.starts_with(studio) {
            // A network and a domain (or two domains): the network first,
            // and the domains reuse its endpoints.
            format!(
                "When both are in one configuration, make the network first: add depends_on = \
                 [sagemaker_private_network.NAME] to the {studio} (a domain reuses the endpoints that exist \
                 when it is planned), then run terraform apply again."
            )
        } else {
            "Run terraform apply again: its plan then names the conflict and the fix \
             (private_dns_enabled = false, or services without s3); or order the two with depends_on."
                .to_owned()
        };
        Diagnostics::from_attribute_error(
            AttrPath::root("services"),
            "Another resource of this apply makes the same endpoint",
            format!(
                "The {holder}, applied at the same time, is making {what}, and AWS allows only one. Nothing \
                 was made here. {fix}"
            ),
        )
    })
}

/// Deletes the endpoints the network owns, waits until they are gone, then
/// deletes its group.
pub async fn delete(env: &Env<'_>, prior: &Value) -> Diagnostics {
    let ec2 = &env.clients.ec2;
    let vpc_id = text(prior, "vpc_id").unwrap_or_default();
    let endpoints = match find::find_vpc_endpoints_in_vpc(ec2, &vpc_id, false).await {
        Ok(found) => found,
        Err(e) => {
            return Diagnostics::from_error("Cannot list the endpoints to delete", e.to_string())
        }
    };
    let ids: Vec<String> = owned(&endpoints, &env.owner, prior)
        .map(|e| e.id.clone())
        .collect();
    let timeout = env.ctx.time_left();
    let cancel = &env.ctx.cancel;
    if let Err(e) = ops::delete_endpoints_and_wait(ec2, &vpc_id, &ids, timeout, cancel).await {
        return Diagnostics::from_error("Cannot delete the VPC endpoints", e);
    }
    let Some(group_id) = text(prior, "security_group_id").filter(|id| !id.is_empty()) else {
        return Diagnostics::new();
    };
    match groups::delete_group(ec2, &group_id, env.ctx.time_left(), cancel).await {
        Ok(()) => Diagnostics::new(),
        Err(e) => Diagnostics::from_error("Cannot delete the endpoint security group", e),
    }
}

/// The endpoints stage: compares the wanted services with the endpoints
/// this network owns — recorded in `prior` (kept first), tagged as its own,
/// or (on create) left by an unfinished create of it — then, concurrently,
/// deletes the extra ones, brings the kept ones in line and makes the
/// missing ones; one failure stops none of the others. Returns the ids of
/// the endpoints kept and made.
async fn converge_endpoints<'a>(
    env: &'a Env<'_>,
    applier: &mut Applier<'a>,
    prior: &'a Value,
    (want, network, tags): (&'a Desired, &'a Network, &'a BTreeMap<String, String>),
    group_id: &'a str,
) -> Vec<String> {
    let ec2 = &env.clients.ec2;
    let region = env.region();
    // The endpoints the state records come first: they are the ones kept.
    let recorded = recorded_ids(prior);
    let mut candidates: Vec<&'a VpcEndpoint> = if prior.is_null() {
        network.unfinished_endpoints(&env.owner).collect()
    } else {
        owned(&network.endpoints, &env.owner, prior).collect()
    };
    candidates.sort_by_key(|e| !recorded.contains(&e.id));
    let wanted: Vec<&'static str> = want.services.iter().map(|s| s.short_name).collect();
    let changes = compare(
        &wanted,
        candidates.into_iter().map(|endpoint| {
            let spec = short_name_of(&endpoint.service_name, &endpoint.endpoint_type, region);
            (spec.map(|s| s.short_name), endpoint)
        }),
    );
    if prior.is_null() && !(changes.keep.is_empty() && changes.delete.is_empty()) {
        let ids = |ids: Vec<&str>| serde_json::json!(ids);
        crate::log::info(
            "adopting the VPC endpoints an unfinished create made for this network",
            &[
                ("vpc_id", serde_json::json!(want.vpc_id)),
                (
                    "adopted",
                    ids(changes.keep.iter().map(|(_, e)| e.id.as_str()).collect()),
                ),
                (
                    "deleted",
                    ids(changes.delete.iter().map(|e| e.id.as_str()).collect()),
                ),
            ],
        );
    }
    let route_tables = want
        .route_table_ids
        .as_deref()
        .unwrap_or(&network.route_table_ids);
    let placement = |spec: &ServiceSpec| Placement {
        subnets: &want.subnet_ids,
        route_tables,
        private_dns: want.private_dns,
        policy: want.policies.get(spec.short_name).map(String::as_str),
    };
    let spec_of = |name: &str| {
        want.services
            .iter()
            .copied()
            .find(|s| s.short_name == name)
            .expect("compare keeps wanted keys only")
    };
    let mut steps: Vec<Step<'a, Option<String>>> = Vec::new();
    let extra: Vec<String> = changes.delete.iter().map(|e| e.id.clone()).collect();
    if !extra.is_empty() {
        let label = format!("deleting {}", extra.join(", "));
        let cancel = &env.ctx.cancel;
        steps.push(Step::new(label, async move {
            ops::delete_endpoints_unless_stopped(ec2, &want.vpc_id, &extra, cancel).await?;
            Ok(None)
        }));
    }
    for (name, endpoint) in changes.keep {
        let spec = spec_of(name);
        let mut change =
            EndpointChange::between(spec.kind, &Placement::observed(endpoint), &placement(spec));
        if spec.kind == EndpointKind::Interface {
            // An interface endpoint uses the network's group and no other
            // (the group made again after it was deleted, groups swapped by hand).
            if !endpoint.security_group_ids.iter().any(|g| g == group_id) {
                change.add_security_groups = vec![group_id.to_owned()];
            }
            change.remove_security_groups = endpoint
                .security_group_ids
                .iter()
                .filter(|g| *g != group_id)
                .cloned()
                .collect();
        }
        let live_tags = env.tagging.managed(&endpoint.tags);
        steps.push(Step::new(format!("the {name} endpoint"), async move {
            ops::modify_endpoint_unless_stopped(ec2, &endpoint.id, change, &env.ctx.cancel).await?;
            sync_tags(ec2, &endpoint.id, &live_tags, tags).await?;
            Ok(Some(endpoint.id.clone()))
        }));
    }
    for name in changes.create {
        let spec = spec_of(name);
        let request = EndpointRequest {
            spec,
            region,
            vpc_id: &want.vpc_id,
            subnet_ids: &want.subnet_ids,
            security_group_id: group_id,
            route_table_ids: route_tables,
            private_dns: want.private_dns,
            policy: want.policies.get(spec.short_name).map(String::as_str),
            tags,
        };
        steps.push(Step::new(format!("the {name} endpoint"), async move {
            let id = ops::create_endpoint_unless_stopped(ec2, &request, &env.ctx.cancel).await?;
            Ok::<_, StepError>(Some(id))
        }));
    }
    let done = applier
        .stage(
            "Cannot create, update or delete a VPC endpoint",
            CONCURRENT_CALLS,
            steps,
        )
        .await;
    done.into_iter().filter_map(|(_, id)| id).collect()
}

/// Waits for the endpoints `ids` (every one this network keeps and made) to
/// be available; returns the last listing of the VPC's endpoints, which
/// shows them available.
async fn wait_all(
    env: &Env<'_>,
    vpc_id: &str,
    ids: &[String],
) -> Result<Vec<VpcEndpoint>, Diagnostics> {
    let (timeout, cancel) = (env.ctx.time_left(), &env.ctx.cancel);
    let ec2 = &env.clients.ec2;
    match wait_endpoints_listed(ec2, vpc_id, ids, Target::Available, timeout, cancel).await {
        Ok((_, listing)) => Ok(listing),
        Err(e) => Err(Diagnostics::from_error(
            "VPC endpoints not available",
            e.to_string(),
        )),
    }
}

/// Ends an apply: fills the defaults the network decided and returns
/// `planned` with what AWS now reports — the partial state on error. The
/// wait's last `listing`, when it ended well, stands for the endpoints.
async fn settle(
    env: &Env<'_>,
    mut planned: Value,
    (network, cidrs, group_id, listing): (&Network, &[String], &str, Option<Vec<VpcEndpoint>>),
    mut diags: Diagnostics,
) -> ApplyResult {
    let vpc_id = text(&planned, "vpc_id").unwrap_or_default();
    fill_defaults(&mut planned, network, cidrs);
    planned.set_attribute("security_group_id", Value::String(group_id.to_owned()));
    let live = listing.map(|all| {
        let live = all.into_iter().filter(|e| !is_gone_state(&e.state));
        live.collect()
    });
    let state = match observe_with(&env.clients, &vpc_id, Some(group_id), live).await {
        Ok((group, endpoints)) => with_observed(
            planned,
            &env.owner,
            env.region(),
            group.as_ref(),
            &endpoints,
        ),
        Err(more) => {
            diags.extend(more);
            planned
        }
    };
    ApplyResult {
        state: Some(state),
        diags,
    }
}
