//! Applying `sagemaker_vpc_model_config`, in stages: the account checks
//! again (what cannot move since the plan — the VPC, the prefix list —
//! taken from the plan's checks when this process ran them), the model
//! group, the S3 gateway endpoint (made, changed or deleted as the route
//! tables need) and its wait, the model (deprecated
//! `model` block), and last a group no longer wanted. A failed stage stops
//! the later ones; every path ends with the state AWS reports — the partial
//! state on error.

use super::checks::{check_again, recall_facts, Placement, RemoteInputs};
use super::plan::{derive_outputs, fill_from_placement};
use super::refresh::{observe_fresh, with_observed, Fresh};
use super::state::{
    desired, managed_endpoint_id, model_group_ids, model_spec, security_group_name, wanted_rules,
    Desired, ModelSpec,
};
use crate::aws::ec2::endpoints::Placement as EndpointPlacement;
use crate::aws::ec2::endpoints::{self as ops, EndpointChange, EndpointRequest};
use crate::aws::ec2::find::VpcEndpoint;
use crate::aws::ec2::groups::{
    self, ensure_group, find_security_group_if_exists, sync_group, WantedGroup,
};
use crate::aws::ec2::tags::sync_tags;
use crate::aws::ec2::wait::{wait_endpoints_listed, Target};
use crate::aws::ownership::{reserve, RESERVED_KEYS};
use crate::aws::sagemaker::{self, Model, NewModel};
use crate::catalog::EndpointKind;
use crate::framework::{ApplyResult, AttrPath, Diagnostics};
use crate::resources::common::text;
use crate::resources::composite::applier::{Applier, StepError};
use crate::resources::composite::{unchanged, Env};
use crate::value::Value;
use std::collections::BTreeMap;

/// The description of the model group.
const GROUP_DESCRIPTION: &str =
    "SageMaker model: no ingress; HTTPS to the VPC and S3 only (terraform-provider-sagemaker)";

/// What exists of this configuration while apply runs.
#[derive(Default)]
struct Recorded {
    group_id: Option<String>,
    endpoint_id: Option<String>,
    /// The model of the wanted name this configuration owns, if it exists.
    model: Option<Model>,
    /// What this apply listed or placed: the read-back does not fetch it
    /// again.
    fresh: Fresh,
}

/// Makes AWS match `planned`; `prior` is null on create.
pub async fn apply(env: &Env<'_>, prior: &Value, planned: Value) -> ApplyResult {
    let creating = prior.is_null();
    let mut want = desired(&planned, &env.tagging);
    let had = desired(prior, &env.tagging);
    want.tags = env.owner.tags(&BTreeMap::new(), &want.tags, creating);
    let model_arn = text(prior, "model_arn");
    let managed_endpoint = managed_endpoint_id(prior);
    let inputs = RemoteInputs {
        want: &want,
        recorded_endpoint: managed_endpoint.as_deref(),
        recorded_model_arn: model_arn.as_deref(),
        owner: &env.owner,
        creating,
        in_state: None,
    };
    let known = recall_facts(&inputs);
    let placement = match check_again(&env.clients, &inputs, known).await {
        Ok((placement, _)) => placement,
        Err(diags) => return unchanged(prior, diags),
    };
    // Before anything is made: the policy of the S3 endpoint this
    // configuration makes or keeps (the account id, when it needs it).
    if !placement.own_route_tables.is_empty() {
        if let Err(diags) = want.resolve_s3_policy(&env.clients).await {
            return unchanged(prior, diags);
        }
    }
    // Another resource of this apply may be routing S3 on the same tables
    // (its endpoint did not exist at plan): only one may.
    let keys: Vec<String> = placement
        .own_route_tables
        .iter()
        .map(|t| ops::s3_route_key(t))
        .collect();
    if let Err((what, other)) = reserve(&keys, &env.owner.id) {
        let diags = Diagnostics::from_attribute_error(
            AttrPath::root("subnet_ids"),
            "Another resource of this apply routes S3 here",
            format!(
                "{other}, applied at the same time, is making {what}, and AWS allows one S3 gateway endpoint \
                 per route table. Nothing was made here. Run terraform apply again: this configuration then \
                 reuses that endpoint (or order the two with depends_on)."
            ),
        );
        return unchanged(prior, diags);
    }
    let mut applier = Applier::new(env.ctx);
    // A model whose block was removed is released: it loses this
    // configuration's ownership tags, so a sagemaker_model can import it as
    // its own and nothing here claims it again.
    if let Some(arn) = model_arn
        .as_deref()
        .filter(|_| had.model.is_some() && want.model.is_none())
    {
        let keys = RESERVED_KEYS.map(str::to_owned);
        let released = sagemaker::remove_tags(&env.clients.sagemaker, arn, &keys);
        if applier
            .step(
                "Cannot release the SageMaker model",
                "releasing the model",
                released,
            )
            .await
            .is_none()
        {
            return unchanged(prior, applier.finish());
        }
    }
    let recorded = Recorded {
        group_id: text(prior, "security_group_id")
            .or_else(|| placement.own_group.as_ref().map(|g| g.id.clone())),
        endpoint_id: placement.own_endpoint.as_ref().map(|e| e.id.clone()),
        model: placement.own_model.clone(),
        fresh: Fresh::default(),
    };
    // A model recorded under another name goes.
    let renamed = had
        .model
        .as_ref()
        .filter(|old| {
            model_arn.is_some() && want.model.as_ref().is_some_and(|m| m.name != old.name)
        })
        .map(|old| old.name.as_str());
    let wanted = (&want, renamed, creating);
    let recorded = converge(env, &mut applier, wanted, &placement, recorded).await;
    settle(env, planned, &want, &placement, recorded, applier.finish()).await
}

/// Deletes the model (when this configuration made one), the S3 endpoint
/// it owns (and waits until it is gone), then the model group.
pub async fn delete(env: &Env<'_>, prior: &Value) -> Diagnostics {
    let clients = &env.clients;
    if let (Some(model), Some(_)) = (model_spec(prior), text(prior, "model_arn")) {
        if let Err(e) = sagemaker::delete_model(&clients.sagemaker, &model.name).await {
            return Diagnostics::from_error("Cannot delete the SageMaker model", e);
        }
    }
    let vpc_id = text(prior, "vpc_id").unwrap_or_default();
    if let Some(endpoint_id) = managed_endpoint_id(prior) {
        let (timeout, cancel) = (env.ctx.time_left(), &env.ctx.cancel);
        let ids = [endpoint_id];
        if let Err(e) =
            ops::delete_endpoints_and_wait(&clients.ec2, &vpc_id, &ids, timeout, cancel).await
        {
            return Diagnostics::from_error("Cannot delete the S3 gateway endpoint", e);
        }
    }
    match text(prior, "security_group_id") {
        Some(group_id) => match delete_group(env, &group_id).await {
            Ok(()) => Diagnostics::new(),
            Err(e) => Diagnostics::from_error("Cannot delete the model security group", e),
        },
        None => Diagnostics::new(),
    }
}

/// The stages that make AWS match `want`: the group, the S3 endpoint, the
/// model, a group no longer wanted. `renamed`: a model of this
/// configuration under an older name, to delete; `creating`: adopt what an
/// unfinished create left.
async fn converge<'a>(
    env: &'a Env<'_>,
    applier: &mut Applier<'a>,
    (want, renamed, creating): (&'a Desired, Option<&'a str>, bool),
    placement: &'a Placement,
    mut recorded: Recorded,
) -> Recorded {
    // 1. The model group and the S3 gateway endpoint, side by side.
    let mut beside = applier.fork();
    let ((), listed) = tokio::join!(
        group_stage(
            env,
            applier,
            (want, creating),
            placement,
            &mut recorded.group_id
        ),
        endpoint_stage(env, &mut beside, want, placement, &mut recorded.endpoint_id),
    );
    recorded.fresh.endpoints = listed;
    applier.join(beside);
    // 2. The model.
    if let Some(old) = renamed {
        let deleted = sagemaker::delete_model(&env.clients.sagemaker, old);
        applier
            .step(
                "Cannot delete the renamed SageMaker model",
                &format!("deleting the model {old:?}"),
                deleted,
            )
            .await;
    }
    if let Some(spec) = &want.model {
        let groups = model_group_ids(recorded.group_id.as_deref(), &want.extra_group_ids);
        let existing = recorded.model.take();
        let kept = existing.clone();
        let model = place_model(env, want, spec, &groups, existing);
        let placed = applier
            .step(
                "Cannot create or replace the SageMaker model",
                "the model",
                model,
            )
            .await;
        recorded.fresh.model.clone_from(&placed);
        recorded.model = placed.or(kept.filter(|_| !applier.going()));
    }
    // 3. A model group no longer wanted goes last, once the model left it.
    if let Some(group_id) = recorded
        .group_id
        .clone()
        .filter(|_| !want.create_security_group)
    {
        let deleted = delete_group(env, &group_id);
        if applier
            .step(
                "Cannot delete the model security group",
                "the model security group",
                deleted,
            )
            .await
            .is_some()
        {
            recorded.group_id = None;
        }
    }
    recorded
}

/// The model group: the recorded one (made again when deleted by hand),
/// else the one tagged as this configuration's, else a new one — a create
/// adopts only what an unfinished create of it left — with its rules.
async fn group_stage<'a>(
    env: &'a Env<'_>,
    applier: &mut Applier<'a>,
    (want, creating): (&'a Desired, bool),
    placement: &'a Placement,
    group_id: &mut Option<String>,
) {
    let ec2 = &env.clients.ec2;
    let vpc_id = placement.vpc.id.as_str();
    if want.create_security_group {
        // The recorded group (made again when deleted by hand), else the
        // one tagged as this configuration's; a create adopts only what an
        // unfinished create of it left.
        let existing = match (&*group_id, creating) {
            (_, true) => Ok(None),
            (Some(id), false) => find_security_group_if_exists(ec2, id).await,
            (None, false) => Ok(placement.own_group.clone()),
        };
        let name = security_group_name(&env.owner);
        let rules = wanted_rules(&placement.egress_cidrs(want), &placement.s3_prefix_list_id);
        let group = WantedGroup {
            vpc_id,
            name: &name,
            description: GROUP_DESCRIPTION,
            tags: &want.tags,
            rules: &rules,
            ingress_only: false,
        };
        let (summary, label) = (
            "Cannot set up the model security group",
            "the model security group",
        );
        let existing = match existing {
            Ok(existing) => existing,
            Err(e) => {
                applier.error(summary, e.to_string());
                return;
            }
        };
        let unfinished = placement.own_group.as_ref().filter(|_| creating);
        let ensured = ensure_group(ec2, &group, existing.as_ref(), unfinished, &env.tagging);
        if let Some(id) = applier.step(summary, label, ensured).await {
            *group_id = Some(id.clone());
            let synced = sync_group(ec2, &group, &id, existing.as_ref(), &env.tagging);
            applier.step(summary, label, synced).await;
        }
    }
}

/// The S3 gateway endpoint, when a route table needs one of ours: made,
/// brought in line, or deleted when no longer needed; waited `available`.
/// Returns the VPC's endpoints as the wait last listed them.
async fn endpoint_stage<'a>(
    env: &'a Env<'_>,
    applier: &mut Applier<'a>,
    want: &'a Desired,
    placement: &'a Placement,
    endpoint_id: &mut Option<String>,
) -> Option<Vec<VpcEndpoint>> {
    let ec2 = &env.clients.ec2;
    let vpc_id = placement.vpc.id.as_str();
    let cancel = &env.ctx.cancel;
    let tables = &placement.own_route_tables;
    match endpoint_id.clone() {
        Some(id) if tables.is_empty() => {
            let ids = [id];
            let deleted = ops::delete_endpoints_unless_stopped(ec2, vpc_id, &ids, cancel);
            let summary = "Cannot delete the S3 gateway endpoint no longer needed";
            if applier
                .step(summary, "the S3 gateway endpoint", deleted)
                .await
                .is_some()
            {
                *endpoint_id = None;
            }
        }
        Some(id) => {
            let live = placement.own_endpoint.as_ref();
            let now = live.map(EndpointPlacement::observed).unwrap_or_default();
            let wanted = EndpointPlacement {
                route_tables: tables,
                policy: want.s3_policy.as_deref(),
                ..EndpointPlacement::default()
            };
            let change = EndpointChange::between(EndpointKind::Gateway, &now, &wanted);
            let live_tags = live
                .map(|e| env.tagging.managed(&e.tags))
                .unwrap_or_default();
            let changed = async move {
                ops::modify_endpoint_unless_stopped(ec2, &id, change, cancel).await?;
                Ok::<(), StepError>(sync_tags(ec2, &id, &live_tags, &want.tags).await?)
            };
            applier
                .step(
                    "Cannot update the S3 gateway endpoint",
                    "the S3 gateway endpoint",
                    changed,
                )
                .await;
        }
        None if !tables.is_empty() => {
            let request = EndpointRequest {
                spec: crate::catalog::service("s3").expect("the catalog has s3"),
                region: env.region(),
                vpc_id,
                subnet_ids: &[],
                security_group_id: "",
                route_table_ids: tables,
                private_dns: false,
                policy: want.s3_policy.as_deref(),
                tags: &want.tags,
            };
            let made = ops::create_endpoint_unless_stopped(ec2, &request, cancel);
            if let Some(id) = applier
                .step(
                    "Cannot create the S3 gateway endpoint",
                    "the S3 gateway endpoint",
                    made,
                )
                .await
            {
                *endpoint_id = Some(id);
            }
        }
        None => {}
    }
    if let Some(id) = endpoint_id.clone() {
        let ids = [id];
        let timeout = env.ctx.time_left();
        let available = async move {
            wait_endpoints_listed(ec2, vpc_id, &ids, Target::Available, timeout, cancel)
                .await
                .map(|(_, listed)| listed)
                .map_err(|e| e.to_string())
        };
        return applier
            .step(
                "S3 gateway endpoint not available",
                "the S3 gateway endpoint",
                available,
            )
            .await;
    }
    None
}

/// The model `spec` asks for in this placement: `existing` kept (its tags
/// brought in line) when it matches, else replaced — a SageMaker model
/// cannot change.
async fn place_model(
    env: &Env<'_>,
    want: &Desired,
    spec: &ModelSpec,
    groups: &[String],
    existing: Option<Model>,
) -> Result<Model, crate::resources::composite::applier::StepError> {
    let sagemaker = &env.clients.sagemaker;
    let tags = want.model_tags();
    if let Some(model) = existing {
        if model_matches(&model, spec, &want.subnet_ids, groups) {
            sagemaker::sync_tags(
                sagemaker,
                &model.arn,
                &env.tagging.managed(&model.tags),
                &tags,
            )
            .await?;
            return Ok(model);
        }
        sagemaker::delete_model(sagemaker, &model.name).await?;
    }
    let new = NewModel {
        name: &spec.name,
        execution_role_arn: &spec.execution_role_arn,
        image: &spec.image,
        model_data_url: spec.model_data_url.as_deref(),
        environment: &spec.environment,
        subnet_ids: &want.subnet_ids,
        security_group_ids: groups,
        network_isolation: spec.network_isolation,
        tags: &tags,
    };
    let arn = sagemaker::create_model(sagemaker, &new).await?;
    Ok(Model {
        name: spec.name.clone(),
        arn,
        ..Model::default()
    })
}

/// True when the existing model is what `spec` asks for in this placement
/// (tags aside): then it is kept, else replaced.
fn model_matches(model: &Model, spec: &ModelSpec, subnets: &[String], groups: &[String]) -> bool {
    let same_set =
        |a: &[String], b: &[String]| a.len() == b.len() && a.iter().all(|x| b.contains(x));
    model.execution_role_arn == spec.execution_role_arn
        && model.image == spec.image
        && model.model_data_url == spec.model_data_url
        && model.environment == spec.environment
        && model.network_isolation == spec.network_isolation
        && same_set(&model.subnet_ids, subnets)
        && same_set(&model.security_group_ids, groups)
}

/// Deletes the model group, retrying while network interfaces drain.
async fn delete_group(env: &Env<'_>, group_id: &str) -> Result<(), String> {
    groups::delete_group(
        &env.clients.ec2,
        group_id,
        env.ctx.time_left(),
        &env.ctx.cancel,
    )
    .await
}

/// Ends an apply: `planned` completed with what exists and what AWS now
/// reports — the partial state on error.
async fn settle(
    env: &Env<'_>,
    mut planned: Value,
    want: &Desired,
    placement: &Placement,
    recorded: Recorded,
    mut diags: Diagnostics,
) -> ApplyResult {
    let string = |id: Option<String>| id.map_or(Value::Null, Value::String);
    fill_from_placement(&mut planned, want, placement);
    planned.set_attribute("security_group_id", string(recorded.group_id.clone()));
    let endpoint = recorded
        .endpoint_id
        .clone()
        .or_else(|| placement.reused_endpoint.clone());
    planned.set_attribute("s3_endpoint_id", string(endpoint));
    planned.set_attribute(
        "s3_endpoint_managed",
        Value::Bool(recorded.endpoint_id.is_some()),
    );
    planned.set_attribute("model_arn", string(recorded.model.map(|m| m.arn)));
    match observe_fresh(&env.clients, &planned, recorded.fresh).await {
        Ok(observed) => planned = with_observed(planned, &observed),
        Err(more) => diags.extend(more),
    }
    derive_outputs(&mut planned, &placement.vpc.owner_id, env.region());
    planned.set_attribute("name", Value::String(want.name.clone()));
    ApplyResult {
        state: Some(planned),
        diags,
    }
}
