//! `sagemaker_vpc_model_config`: everything a SageMaker model needs to run
//! in a VPC with no internet path — its security group, an S3 path for its
//! artefacts (reusing an S3 gateway endpoint already routed, else creating
//! one), the execution-role policy, the `vpc_config` — and optionally the
//! model itself. Plan runs the account checks; apply creates in order
//! (group, endpoint, model) and always returns what exists.

pub mod checks;
pub mod import;
pub mod schema;
pub mod state;

use crate::aws::ec2::endpoints::{self as endpoint_ops, EndpointChange, EndpointRequest};
use crate::aws::ec2::find::{self, SecurityGroup, VpcEndpoint};
use crate::aws::ec2::groups::{self, create_closed_group, rule_lines, sync_rule_lines};
use crate::aws::ec2::tags::sync_tags;
use crate::aws::ec2::wait::{wait_endpoints, Target};
use crate::aws::ownership::{finish_create, Owner, RESERVED_KEYS};
use crate::aws::sagemaker::{self, Model, NewModel};
use crate::aws::Clients;
use crate::aws::{Configured, TagSettings};
use crate::framework::plan::semantic_eq;
use crate::framework::{ApplyResult, AttrPath, Context, Diagnostics, PlanResult, Resource, Schema};
use crate::resources::common::{known_strings, observed_tags, tags_all, text};
use crate::value::Value;
use async_trait::async_trait;
use checks::{check_remote, Placement, RemoteInputs};
use state::{
    desired, model_group_ids, model_spec, recorded_owner, security_group_name, string_set,
    vpc_config_value, wanted_rules, Desired, ModelSpec, TYPE_NAME,
};
use std::collections::BTreeMap;

/// The resource.
pub struct VpcModelConfig {
    pub configured: Configured,
}

/// The inputs: when they all equal the prior state's (and nothing drifted),
/// the plan keeps the prior state and makes no AWS call.
const INPUTS: [&str; 13] = [
    "name",
    "subnet_ids",
    "security_group_ids",
    "create_security_group",
    "egress_cidr_blocks",
    "create_s3_endpoint",
    "s3_bucket_arns",
    "deny_amazon_linux_repositories",
    "instance_count",
    "efa",
    "tags",
    "tags_all",
    "model",
];

#[async_trait]
impl Resource for VpcModelConfig {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        checks::validate(config, diags);
    }

    async fn modify_plan(
        &self,
        ctx: &Context,
        prior: &Value,
        config: &Value,
        mut plan: PlanResult,
    ) -> PlanResult {
        if plan.planned.is_null() {
            return plan;
        }
        match self
            .plan_config(ctx, prior, config, &mut plan.planned)
            .await
        {
            Ok(diags) | Err(diags) => plan.diags.extend(diags),
        }
        plan
    }

    async fn create(&self, ctx: &Context, planned: Value) -> ApplyResult {
        let (clients, tagging) = match self.clients().await {
            Ok(found) => found,
            Err(diags) => return ApplyResult { state: None, diags },
        };
        let mut want = desired(&planned, &clients.region, &tagging);
        let owner = Owner::new(TYPE_NAME, &want.name);
        want.tags = owner.tags(&BTreeMap::new(), &want.tags, true);
        let inputs = RemoteInputs {
            want: &want,
            recorded_endpoint: None,
            recorded_model_arn: None,
            owner: &owner,
            creating: true,
            in_state: None,
        };
        let placement = match check_remote(&clients, &inputs).await {
            Ok((placement, _)) => placement,
            Err(diags) => return ApplyResult { state: None, diags },
        };
        let had = Desired {
            tags: want.tags.clone(),
            ..Desired::default()
        };
        let recorded = Recorded {
            group_id: placement.own_group.as_ref().map(|g| g.id.clone()),
            endpoint_id: placement.own_endpoint.as_ref().map(|e| e.id.clone()),
            model: placement.own_model.clone(),
            had_model: None,
        };
        let (recorded, diags) =
            converge(ctx, &clients, &owner, (&had, &want), &placement, recorded).await;
        let mut result = self
            .settle(
                &clients, planned, &owner, &want, &placement, recorded, diags,
            )
            .await;
        if let Some(state) = &result.state {
            let mut ec2_ids: Vec<String> = text(state, "security_group_id").into_iter().collect();
            ec2_ids.extend(managed_endpoint_id(state));
            let arns: Vec<String> = text(state, "model_arn").into_iter().collect();
            result
                .diags
                .extend(finish_create(&clients, &ec2_ids, &arns).await);
        }
        result
    }

    async fn read(
        &self,
        _ctx: &Context,
        prior: Value,
    ) -> Result<(Option<Value>, Diagnostics), Diagnostics> {
        let (clients, tagging) = self.clients().await?;
        let observed = observe(&clients, &prior).await?;
        if observed.is_empty() {
            return Ok((None, Diagnostics::new()));
        }
        let mut state = with_observed(prior, &observed);
        if let Some(group) = &observed.group {
            let (tags, tags_all) = observed_tags(&state, &group.tags, &tagging);
            state.set_attribute("tags", tags);
            state.set_attribute("tags_all", tags_all);
        }
        Ok((Some(state), Diagnostics::new()))
    }

    async fn update(&self, ctx: &Context, prior: Value, planned: Value) -> ApplyResult {
        let (clients, tagging) = match self.clients().await {
            Ok(found) => found,
            Err(diags) => {
                return ApplyResult {
                    state: Some(prior),
                    diags,
                }
            }
        };
        let mut want = desired(&planned, &clients.region, &tagging);
        let mut had = desired(&prior, &clients.region, &tagging);
        let owner = recorded_owner(&prior).unwrap_or_else(|| Owner::planned(TYPE_NAME, &want.name));
        want.tags = owner.tags(&BTreeMap::new(), &want.tags, false);
        had.tags = owner.tags(&BTreeMap::new(), &had.tags, false);
        let managed_endpoint = (prior.get("s3_endpoint_managed").and_then(Value::as_bool)
            == Some(true))
        .then(|| text(&prior, "s3_endpoint_id"))
        .flatten();
        let model_arn = text(&prior, "model_arn");
        let inputs = RemoteInputs {
            want: &want,
            recorded_endpoint: managed_endpoint.as_deref(),
            recorded_model_arn: model_arn.as_deref(),
            owner: &owner,
            creating: false,
            in_state: None,
        };
        let placement = match check_remote(&clients, &inputs).await {
            Ok((placement, _)) => placement,
            Err(diags) => {
                return ApplyResult {
                    state: Some(prior),
                    diags,
                }
            }
        };
        // A model recorded under another name goes. One whose block was
        // removed stays: it is released for a sagemaker_model to import.
        let old_model = had
            .model
            .as_ref()
            .filter(|old| {
                model_arn.is_some() && want.model.as_ref().is_some_and(|m| m.name != old.name)
            })
            .map(|old| old.name.clone());
        let recorded = Recorded {
            group_id: text(&prior, "security_group_id")
                .or_else(|| placement.own_group.as_ref().map(|g| g.id.clone())),
            endpoint_id: placement.own_endpoint.as_ref().map(|e| e.id.clone()),
            model: placement.own_model.clone(),
            had_model: old_model,
        };
        // A model whose block was removed is released: it loses this
        // configuration's ownership tags, so a sagemaker_model can import it
        // as its own and nothing here claims it again.
        let released = model_arn
            .as_deref()
            .filter(|_| had.model.is_some() && want.model.is_none());
        if let Some(arn) = released {
            let keys = RESERVED_KEYS.map(str::to_owned);
            if let Err(e) = sagemaker::remove_tags(&clients.sagemaker, arn, &keys).await {
                return ApplyResult {
                    state: Some(prior),
                    diags: Diagnostics::from_error("Cannot release the SageMaker model", e),
                };
            }
        }
        let (recorded, diags) =
            converge(ctx, &clients, &owner, (&had, &want), &placement, recorded).await;
        self.settle(
            &clients, planned, &owner, &want, &placement, recorded, diags,
        )
        .await
    }

    async fn delete(&self, ctx: &Context, prior: Value) -> Diagnostics {
        let (clients, _) = match self.clients().await {
            Ok(found) => found,
            Err(diags) => return diags,
        };
        let timeout = ctx.time_left();
        if let (Some(model), Some(_)) = (model_spec(&prior), text(&prior, "model_arn")) {
            if let Err(e) = sagemaker::delete_model(&clients.sagemaker, &model.name).await {
                return Diagnostics::from_error("Cannot delete the SageMaker model", e);
            }
        }
        let vpc_id = text(&prior, "vpc_id").unwrap_or_default();
        if let Some(endpoint_id) = managed_endpoint_id(&prior) {
            let ids = [endpoint_id.clone()];
            if let Err(e) = endpoint_ops::delete_endpoints_unless_stopped(
                &clients.ec2,
                &vpc_id,
                &ids,
                &ctx.cancel,
            )
            .await
            {
                return Diagnostics::from_error(
                    "Cannot delete the S3 gateway endpoint",
                    e.to_string(),
                );
            }
            let ids = [endpoint_id];
            if let Err(e) = wait_endpoints(
                &clients.ec2,
                &vpc_id,
                &ids,
                Target::Deleted,
                timeout,
                &ctx.cancel,
            )
            .await
            {
                return Diagnostics::from_error("S3 gateway endpoint not deleted", e.to_string());
            }
        }
        match text(&prior, "security_group_id") {
            Some(group_id) => delete_group(ctx, &clients, &group_id, timeout).await,
            None => Diagnostics::new(),
        }
    }

    async fn import(&self, _ctx: &Context, id: &str) -> Result<Value, Diagnostics> {
        crate::aws::sagemaker_inputs::check_model_name(id).map_err(|e| {
            Diagnostics::from_error("Cannot import", format!("{e} Import by model name."))
        })?;
        let (clients, tagging) = self.clients().await?;
        import::import_state(&clients, &self.schema(), id, &tagging).await
    }
}

/// What exists of this configuration while apply runs.
struct Recorded {
    group_id: Option<String>,
    endpoint_id: Option<String>,
    /// The model of the wanted name this configuration owns, if it exists.
    model: Option<Model>,
    /// A model of this configuration under an older name, to delete.
    had_model: Option<String>,
}

impl VpcModelConfig {
    async fn clients(&self) -> Result<(Clients, TagSettings), Diagnostics> {
        crate::aws::access(&self.configured).await
    }

    /// Fills the planned value: defaults, tags, and — when something changes
    /// and every input is known — the account checks and what they decide.
    async fn plan_config(
        &self,
        ctx: &Context,
        prior: &Value,
        config: &Value,
        planned: &mut Value,
    ) -> Result<Diagnostics, Diagnostics> {
        let (clients, tagging) = self.clients().await?;
        fill_input_defaults(config, planned);
        planned.set_attribute("tags_all", tags_all(planned, &tagging));
        let mut diags = Diagnostics::new();
        if !prior.is_null() && !changed(prior, planned) {
            for (name, value) in computed_of(prior) {
                planned.set_attribute(&name, value);
            }
            return Ok(diags);
        }
        let known = INPUTS
            .iter()
            .filter(|name| **name != "egress_cidr_blocks")
            .all(|name| planned.get(name).is_none_or(Value::is_wholly_known))
            && config
                .get("egress_cidr_blocks")
                .is_none_or(Value::is_wholly_known);
        if !known {
            return Ok(diags);
        }
        let want = desired(planned, &clients.region, &tagging);
        let managed = managed_endpoint_id(prior);
        let model_arn = text(prior, "model_arn");
        let owner = recorded_owner(prior).unwrap_or_else(|| Owner::planned(TYPE_NAME, &want.name));
        let inputs = RemoteInputs {
            want: &want,
            recorded_endpoint: managed.as_deref(),
            recorded_model_arn: model_arn.as_deref(),
            owner: &owner,
            creating: prior.is_null(),
            in_state: Some(&ctx.in_state),
        };
        let (placement, found) = check_remote(&clients, &inputs).await?;
        diags.extend(found);
        if prior.is_null() {
            // What a create would adopt: only an unfinished create's objects.
            let mut left: Vec<&str> = placement.own_group.iter().map(|g| g.id.as_str()).collect();
            left.extend(placement.own_endpoint.iter().map(|e| e.id.as_str()));
            left.extend(placement.own_model.iter().map(|m| m.name.as_str()));
            if !left.is_empty() {
                diags.warning(
                    "Apply will adopt what an unfinished create left",
                    format!(
                        "An earlier apply of this configuration did not finish and left {}. No Terraform state \
                         records them: apply adopts them instead of making them again.",
                        left.join(", ")
                    ),
                );
            }
        }
        fill_from_placement(planned, &want, &placement);
        // A create never promises the ids of owned objects it finds: when it
        // replaces a tainted or replaced instance (Terraform plans those with
        // no prior state), destroy deletes them before create runs, and a
        // known id would then change at apply. Apply still adopts what is
        // left (a crashed apply's objects).
        let adoptable = !prior.is_null();
        let group_id = if want.create_security_group {
            text(prior, "security_group_id")
                .or_else(|| {
                    let own = placement.own_group.as_ref().filter(|_| adoptable);
                    own.map(|g| g.id.clone())
                })
                .map_or(Value::Unknown, Value::String)
        } else {
            Value::Null
        };
        planned.set_attribute("security_group_id", group_id);
        let rules = if want.create_security_group {
            string_set(&wanted_rules(
                &placement.egress_cidrs(&want),
                &placement.s3_prefix_list_id,
            ))
        } else {
            Value::Null
        };
        planned.set_attribute("security_group_rules", rules);
        // Whether a route table still needs this configuration's own S3
        // endpoint is decided again at apply: another resource of the same
        // apply (a private network with s3) may route it first.
        let endpoint = match (
            &placement.own_endpoint,
            placement.own_route_tables.is_empty(),
        ) {
            (_, true) => placement
                .reused_endpoint
                .clone()
                .map_or(Value::Null, Value::String),
            (Some(own), false) if adoptable => Value::String(own.id.clone()),
            (_, false) => Value::Unknown,
        };
        if endpoint.is_unknown() {
            planned.set_attribute("s3_endpoint_managed", Value::Unknown);
            planned.set_attribute("s3_route_table_ids", Value::Unknown);
        }
        planned.set_attribute("s3_endpoint_id", endpoint);
        derive_outputs(planned, &placement.vpc.owner_id, &clients.region);
        if let (Some(old), None) = (model_spec(prior), &want.model) {
            if text(prior, "model_arn").is_some() {
                diags.attribute_warning(
                    AttrPath::root("model"),
                    "The model is released, not deleted",
                    format!(
                        "The model block was removed, so this configuration stops managing the model {:?} and \
                         leaves it in place. Adopt it with a sagemaker_model and an import block (id: {:?}), or \
                         delete it.",
                        old.name, old.name
                    ),
                );
            }
        }
        let replaced = model_replacement(prior, planned);
        let model_arn = match (&want.model, &replaced, text(prior, "model_arn")) {
            (None, _, _) => Value::Null,
            (Some(_), None, Some(arn)) => Value::String(arn),
            (Some(_), _, _) => Value::Unknown,
        };
        planned.set_attribute("model_arn", model_arn);
        if let (Some(reason), false) = (replaced, prior.is_null()) {
            diags.attribute_warning(
                AttrPath::root("model"),
                "The SageMaker model will be replaced",
                format!(
                    "{reason}. SageMaker models cannot change, so apply deletes the model and creates it \
                     again under the same name; endpoints already deployed from it keep running."
                ),
            );
        }
        Ok(diags)
    }

    /// Ends create and update: returns `planned` completed with what AWS
    /// now reports — the partial state on error.
    #[allow(clippy::too_many_arguments)]
    async fn settle(
        &self,
        clients: &Clients,
        mut planned: Value,
        owner: &Owner,
        want: &Desired,
        placement: &Placement,
        recorded: Recorded,
        mut diags: Diagnostics,
    ) -> ApplyResult {
        fill_from_placement(&mut planned, want, placement);
        planned.set_attribute(
            "security_group_id",
            recorded.group_id.clone().map_or(Value::Null, Value::String),
        );
        let endpoint = recorded
            .endpoint_id
            .clone()
            .or_else(|| placement.reused_endpoint.clone());
        planned.set_attribute(
            "s3_endpoint_id",
            endpoint.map_or(Value::Null, Value::String),
        );
        planned.set_attribute(
            "s3_endpoint_managed",
            Value::Bool(recorded.endpoint_id.is_some()),
        );
        planned.set_attribute(
            "model_arn",
            recorded
                .model
                .as_ref()
                .map_or(Value::Null, |m| Value::String(m.arn.clone())),
        );
        match observe(clients, &planned).await {
            Ok(observed) => planned = with_observed(planned, &observed),
            Err(more) => diags.extend(more),
        }
        derive_outputs(&mut planned, &placement.vpc.owner_id, &clients.region);
        planned.set_attribute("name", Value::String(want.name.clone()));
        planned.set_attribute("id", Value::String(owner.id.clone()));
        // A partial state after an error: what was never decided is null.
        if let Value::Object(attributes) = &mut planned {
            for value in attributes.values_mut().filter(|v| v.is_unknown()) {
                *value = Value::Null;
            }
        }
        ApplyResult {
            state: Some(planned),
            diags,
        }
    }
}

/// Makes AWS match `want`, step by step (group, S3 endpoint, model); stops
/// at the first failure and returns what exists with the error.
async fn converge(
    ctx: &Context,
    clients: &Clients,
    owner: &Owner,
    (had, want): (&Desired, &Desired),
    placement: &Placement,
    mut recorded: Recorded,
) -> (Recorded, Diagnostics) {
    let mut diags = Diagnostics::new();
    let ec2 = &clients.ec2;
    let vpc_id = placement.vpc.id.clone();
    let timeout = ctx.time_left();
    // 1. The model group.
    if want.create_security_group {
        let existing = match &recorded.group_id {
            Some(id) => match find::find_security_group(ec2, id).await {
                Ok(group) => Some(group),
                Err(e) if e.is_not_found() => None,
                Err(e) => {
                    diags.error("Cannot read the model security group", e.to_string());
                    return (recorded, diags);
                }
            },
            None => None,
        };
        let (group_id, lines) = match existing {
            Some(group) => {
                if let Err(e) = sync_tags(
                    ec2,
                    &group.id,
                    &want.tagging.managed(&group.tags),
                    &want.tags,
                )
                .await
                {
                    diags.error("Cannot update tags", e);
                }
                let lines = rule_lines(&group);
                (group.id, lines)
            }
            None => {
                let description = "SageMaker model: no ingress; HTTPS to the VPC and S3 only (terraform-provider-sagemaker)";
                match create_closed_group(
                    ec2,
                    &vpc_id,
                    &security_group_name(owner),
                    description,
                    &want.tags,
                )
                .await
                {
                    Ok(id) => (id, Vec::new()),
                    Err(e) => {
                        recorded.group_id = None;
                        diags.error("Cannot create the model security group", e);
                        return (recorded, diags);
                    }
                }
            }
        };
        recorded.group_id = Some(group_id.clone());
        let wanted = wanted_rules(&placement.egress_cidrs(want), &placement.s3_prefix_list_id);
        if let Err(e) = sync_rule_lines(ec2, &group_id, &lines, &wanted).await {
            diags.error("Cannot set the model security group rules", e);
            return (recorded, diags);
        }
    }
    // 2. The S3 gateway endpoint, when a route table needs one of ours.
    match (&recorded.endpoint_id, placement.own_route_tables.is_empty()) {
        (Some(id), true) => {
            let ids = [id.clone()];
            if let Err(e) =
                endpoint_ops::delete_endpoints_unless_stopped(ec2, &vpc_id, &ids, &ctx.cancel).await
            {
                diags.error(
                    "Cannot delete the S3 gateway endpoint no longer needed",
                    e.to_string(),
                );
                return (recorded, diags);
            }
            recorded.endpoint_id = None;
        }
        (Some(id), false) => {
            let change = endpoint_change(placement, had, want);
            if let Err(e) =
                endpoint_ops::modify_endpoint_unless_stopped(ec2, id, change, &ctx.cancel).await
            {
                diags.error("Cannot update the S3 gateway endpoint", e.to_string());
                return (recorded, diags);
            }
            let old_tags = placement
                .own_endpoint
                .as_ref()
                .map(|e| e.tags.clone())
                .unwrap_or_default();
            if let Err(e) = sync_tags(ec2, id, &want.tagging.managed(&old_tags), &want.tags).await {
                diags.error("Cannot update tags", e);
            }
        }
        (None, false) => {
            let spec = crate::catalog::service("s3").expect("the catalog has s3");
            let request = EndpointRequest {
                spec,
                region: &clients.region,
                vpc_id: &vpc_id,
                subnet_ids: &[],
                security_group_id: "",
                route_table_ids: &placement.own_route_tables,
                private_dns: false,
                policy: want.s3_policy.as_deref(),
                tags: &want.tags,
            };
            match endpoint_ops::create_endpoint_unless_stopped(ec2, &request, &ctx.cancel).await {
                Ok(id) => recorded.endpoint_id = Some(id),
                Err(e) => {
                    diags.error("Cannot create the S3 gateway endpoint", e.to_string());
                    return (recorded, diags);
                }
            }
        }
        (None, true) => {}
    }
    if let Some(id) = &recorded.endpoint_id {
        let ids = [id.clone()];
        if let Err(e) =
            wait_endpoints(ec2, &vpc_id, &ids, Target::Available, timeout, &ctx.cancel).await
        {
            diags.error("S3 gateway endpoint not available", e.to_string());
            return (recorded, diags);
        }
    }
    // 3. The model.
    if let Some(old) = recorded.had_model.take() {
        if let Err(e) = sagemaker::delete_model(&clients.sagemaker, &old).await {
            diags.error("Cannot delete the renamed SageMaker model", e);
            return (recorded, diags);
        }
    }
    let groups = model_group_ids(recorded.group_id.as_deref(), &want.extra_group_ids);
    match (&want.model, recorded.model.take()) {
        // The block was removed: the model is released, not deleted.
        (None, Some(_)) => {}
        (None, None) => {}
        (Some(spec), existing) => {
            let same = existing
                .as_ref()
                .is_some_and(|m| model_matches(m, spec, &want.subnet_ids, &groups));
            if same {
                let model = existing.expect("checked above");
                if let Err(e) = sagemaker::sync_model_tags(
                    &clients.sagemaker,
                    &model.arn,
                    &model.tags,
                    &want.model_tags(),
                )
                .await
                {
                    diags.error("Cannot update the model tags", e);
                }
                recorded.model = Some(model);
                return (recorded, diags);
            }
            if let Some(old) = existing {
                if let Err(e) = sagemaker::delete_model(&clients.sagemaker, &old.name).await {
                    recorded.model = Some(old);
                    diags.error("Cannot replace the SageMaker model", e);
                    return (recorded, diags);
                }
            }
            let tags = want.model_tags();
            let new = NewModel {
                name: &spec.name,
                execution_role_arn: &spec.execution_role_arn,
                image: &spec.image,
                model_data_url: spec.model_data_url.as_deref(),
                environment: &spec.environment,
                subnet_ids: &want.subnet_ids,
                security_group_ids: &groups,
                network_isolation: spec.network_isolation,
                tags: &tags,
            };
            match sagemaker::create_model(&clients.sagemaker, &new).await {
                Ok(arn) => {
                    recorded.model = Some(Model {
                        name: spec.name.clone(),
                        arn,
                        ..Model::default()
                    })
                }
                Err(e) => diags.error("Cannot create the SageMaker model", e),
            }
        }
    }
    // 4. A model group no longer wanted goes last, once the model left it.
    if !want.create_security_group {
        if let Some(group_id) = recorded.group_id.take() {
            let more = delete_group(ctx, clients, &group_id, timeout).await;
            if more.has_errors() {
                recorded.group_id = Some(group_id);
            }
            diags.extend(more);
        }
    }
    (recorded, diags)
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

/// What changes on this configuration's S3 endpoint: its route tables and
/// its policy.
fn endpoint_change(placement: &Placement, had: &Desired, want: &Desired) -> EndpointChange {
    let current = placement
        .own_endpoint
        .as_ref()
        .map(|e| e.route_table_ids.clone())
        .unwrap_or_default();
    let wanted = &placement.own_route_tables;
    let mut change = EndpointChange {
        add_route_tables: wanted
            .iter()
            .filter(|t| !current.contains(t))
            .cloned()
            .collect(),
        remove_route_tables: current
            .iter()
            .filter(|t| !wanted.contains(t))
            .cloned()
            .collect(),
        ..EndpointChange::default()
    };
    let same = match (&had.s3_policy, &want.s3_policy) {
        (Some(a), Some(b)) => crate::policy::equivalent(a, b),
        (None, None) => true,
        _ => false,
    };
    if !same {
        change.policy = Some(want.s3_policy.clone());
    }
    change
}

/// Deletes the model group, retrying while network interfaces drain.
async fn delete_group(
    ctx: &Context,
    clients: &Clients,
    group_id: &str,
    timeout: std::time::Duration,
) -> Diagnostics {
    match groups::delete_group(&clients.ec2, group_id, timeout, &ctx.cancel).await {
        Ok(()) => Diagnostics::new(),
        Err(e) => Diagnostics::from_error(
            "Cannot delete the model security group",
            format!("{e}. Network interfaces of a job or endpoint may still use it: retry once they are gone."),
        ),
    }
}

/// Defaults of the inputs that have one, where `config` leaves them null.
fn fill_input_defaults(config: &Value, planned: &mut Value) {
    let unset = |name: &str| config.get(name).is_none_or(Value::is_null);
    for (name, default) in [
        ("create_security_group", Value::Bool(true)),
        ("create_s3_endpoint", Value::Bool(true)),
        ("efa", Value::Bool(false)),
        ("instance_count", Value::Number(1.into())),
    ] {
        if unset(name) {
            planned.set_attribute(name, default);
        }
    }
    if let Some(Value::Object(model)) = planned.get("model").cloned() {
        let mut model = model;
        let configured = config
            .get("model")
            .and_then(|m| m.get("enable_network_isolation"))
            .is_some_and(|v| !v.is_null());
        if !configured {
            model.insert("enable_network_isolation".into(), Value::Bool(true));
        }
        planned.set_attribute("model", Value::Object(model));
    }
    if planned
        .get("name")
        .is_none_or(|n| n.is_null() || n.is_unknown())
    {
        let model_name = planned
            .get("model")
            .and_then(|m| m.get("name"))
            .cloned()
            .unwrap_or(Value::Null);
        planned.set_attribute("name", model_name);
    }
}

/// True when an input differs from `prior`, or something drifted that the
/// next apply must repair (a model, group, rule or endpoint gone or changed).
fn changed(prior: &Value, planned: &Value) -> bool {
    let differs = INPUTS.iter().any(|name| {
        !semantic_eq(
            prior.get(name).unwrap_or(&Value::Null),
            planned.get(name).unwrap_or(&Value::Null),
        )
    });
    let missing = |name: &str| prior.get(name).is_none_or(Value::is_null);
    let wants = |name: &str| planned.get(name).and_then(Value::as_bool) == Some(true);
    let model_gone = planned.get("model").is_some_and(|m| !m.is_null()) && missing("model_arn");
    let group_gone = wants("create_security_group") && missing("security_group_id");
    let endpoint_gone = wants("create_s3_endpoint") && missing("s3_endpoint_id");
    let rules_drifted = wants("create_security_group") && {
        let cidrs = known_strings(prior, "egress_cidr_blocks").unwrap_or_default();
        let prefix_list = text(prior, "s3_prefix_list_id").unwrap_or_default();
        !semantic_eq(
            prior.get("security_group_rules").unwrap_or(&Value::Null),
            &string_set(&wanted_rules(&cidrs, &prefix_list)),
        )
    };
    differs || model_gone || group_gone || endpoint_gone || rules_drifted
}

/// The computed attributes of a state value (kept as they are when nothing changes).
fn computed_of(prior: &Value) -> Vec<(String, Value)> {
    [
        "id",
        "vpc_id",
        "security_group_id",
        "security_group_rules",
        "vpc_config",
        "s3_endpoint_id",
        "s3_endpoint_managed",
        "s3_route_table_ids",
        "s3_prefix_list_id",
        "model_arn",
        "execution_role_policy_json",
        "egress_cidr_blocks",
    ]
    .iter()
    .map(|name| {
        (
            (*name).to_owned(),
            prior.get(name).cloned().unwrap_or(Value::Null),
        )
    })
    .collect()
}

/// Why the model must be replaced, when it must: its definition or its
/// VPC placement changed (tags alone change in place).
fn model_replacement(prior: &Value, planned: &Value) -> Option<String> {
    let (Some(before), Some(after)) = (model_spec(prior), model_spec(planned)) else {
        return None;
    };
    let strip = |m: ModelSpec| ModelSpec {
        tags: BTreeMap::new(),
        ..m
    };
    if strip(before.clone()) != strip(after.clone()) {
        return Some(format!("The model block of {:?} changed", after.name));
    }
    for name in ["subnet_ids", "security_group_ids", "create_security_group"] {
        if !semantic_eq(
            prior.get(name).unwrap_or(&Value::Null),
            planned.get(name).unwrap_or(&Value::Null),
        ) {
            return Some(format!("{name} changed, and with it the model's VpcConfig"));
        }
    }
    if planned
        .get("security_group_id")
        .is_some_and(Value::is_unknown)
        && !prior.is_null()
    {
        return Some("The model security group is created again".to_owned());
    }
    None
}

/// Sets what the checks decided: the VPC, the egress default, the S3 path.
fn fill_from_placement(value: &mut Value, want: &Desired, placement: &Placement) {
    value.set_attribute("vpc_id", Value::String(placement.vpc.id.clone()));
    value.set_attribute(
        "egress_cidr_blocks",
        string_set(&placement.egress_cidrs(want)),
    );
    value.set_attribute(
        "s3_prefix_list_id",
        Value::String(placement.s3_prefix_list_id.clone()),
    );
    value.set_attribute(
        "s3_endpoint_managed",
        Value::Bool(!placement.own_route_tables.is_empty()),
    );
    value.set_attribute(
        "s3_route_table_ids",
        string_set(&placement.own_route_tables),
    );
}

/// `vpc_config` and `execution_role_policy_json` from the subnets and
/// groups in `value`; unknown while the model group id is.
fn derive_outputs(value: &mut Value, account: &str, region: &str) {
    let subnets = known_strings(value, "subnet_ids").unwrap_or_default();
    let extra = known_strings(value, "security_group_ids").unwrap_or_default();
    let groups = match value.get("security_group_id") {
        Some(Value::Unknown) => None,
        Some(Value::String(id)) => Some(model_group_ids(Some(id), &extra)),
        _ => Some(extra),
    };
    let policy = groups.as_ref().map_or(Value::Unknown, |groups| {
        Value::String(crate::policy::execution_role_network_policy(
            region, account, &subnets, groups,
        ))
    });
    value.set_attribute("vpc_config", vpc_config_value(&subnets, groups));
    value.set_attribute("execution_role_policy_json", policy);
}

/// The S3 endpoint id this configuration owns, from a state value.
fn managed_endpoint_id(value: &Value) -> Option<String> {
    (value.get("s3_endpoint_managed").and_then(Value::as_bool) == Some(true))
        .then(|| text(value, "s3_endpoint_id"))
        .flatten()
}

/// What AWS reports of the objects a state value records.
struct Observed {
    group: Option<SecurityGroup>,
    /// The endpoint `s3_endpoint_id` names, when it still exists.
    endpoint: Option<VpcEndpoint>,
    model: Option<Model>,
    wants_model: bool,
    wants_endpoint: bool,
}

impl Observed {
    fn is_empty(&self) -> bool {
        self.group.is_none()
            && self.model.is_none()
            && (self.endpoint.is_none() || !self.wants_endpoint)
    }
}

/// One group lookup, one endpoint listing and one model lookup, whatever
/// the configuration.
async fn observe(clients: &Clients, value: &Value) -> Result<Observed, Diagnostics> {
    let ec2 = &clients.ec2;
    let vpc_id = text(value, "vpc_id").unwrap_or_default();
    let group_id = text(value, "security_group_id");
    let endpoint_id = text(value, "s3_endpoint_id");
    let model_name = model_spec(value)
        .filter(|_| value.get("model_arn").is_some_and(|a| !a.is_null()))
        .map(|m| m.name);
    let group = async {
        match &group_id {
            Some(id) => match find::find_security_group(ec2, id).await {
                Ok(group) => Ok(Some(group)),
                Err(e) if e.is_not_found() => Ok(None),
                Err(e) => Err(e.to_string()),
            },
            None => Ok(None),
        }
    };
    let endpoints = async {
        if endpoint_id.is_none() || vpc_id.is_empty() {
            return Ok(Vec::new());
        }
        find::find_vpc_endpoints_in_vpc(ec2, &vpc_id, false)
            .await
            .map_err(|e| e.to_string())
    };
    let model = async {
        match &model_name {
            Some(name) => sagemaker::find_model(&clients.sagemaker, name).await,
            None => Ok(None),
        }
    };
    let (group, endpoints, model) = tokio::join!(group, endpoints, model);
    let fail = |e: String| Diagnostics::from_error("Cannot read the VPC model configuration", e);
    let endpoints = endpoints.map_err(fail)?;
    Ok(Observed {
        group: group.map_err(fail)?,
        endpoint: endpoints
            .into_iter()
            .find(|e| Some(&e.id) == endpoint_id.as_ref()),
        model: model.map_err(fail)?,
        wants_model: model_name.is_some(),
        wants_endpoint: managed_endpoint_id(value).is_some(),
    })
}

/// `base` with what AWS reports: the group and its rules, the endpoint, the model.
fn with_observed(mut base: Value, observed: &Observed) -> Value {
    match &observed.group {
        Some(group) => {
            base.set_attribute("security_group_id", Value::String(group.id.clone()));
            base.set_attribute("security_group_rules", string_set(&rule_lines(group)));
        }
        None => {
            base.set_attribute("security_group_id", Value::Null);
            base.set_attribute("security_group_rules", Value::Null);
        }
    }
    if observed.endpoint.is_none() {
        base.set_attribute("s3_endpoint_id", Value::Null);
    }
    if observed.wants_model {
        let arn = observed
            .model
            .as_ref()
            .map_or(Value::Null, |m| Value::String(m.arn.clone()));
        base.set_attribute("model_arn", arn);
    }
    base
}
