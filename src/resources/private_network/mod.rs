//! `sagemaker_private_network`: every VPC endpoint, route, security group
//! and policy SageMaker needs in a VPC without internet access, as one
//! resource. Plan runs the remote checks; apply creates the security group
//! and then the endpoints concurrently (paced), and always returns what
//! exists — the partial state with the error when something fails.

pub mod checks;
pub mod import;
pub mod schema;
pub mod state;

use crate::aws::ec2::endpoints::{self as ops, CallError, EndpointChange, EndpointRequest};
use crate::aws::ec2::find::{self, SecurityGroup, VpcEndpoint};
use crate::aws::ec2::groups::{self, adopt_or_create_closed_group, sync_rule_lines};
use crate::aws::ec2::tags::sync_tags;
use crate::aws::ec2::wait::{wait_endpoints, Target};
use crate::aws::ownership::{finish_create, Claim, Owner, CREATING_KEY, OWNER_KEY};
use crate::aws::Clients;
use crate::aws::{Configured, TagSettings};
use crate::catalog::{EndpointKind, ServiceSpec};
use crate::framework::plan::semantic_eq;
use crate::framework::{ApplyResult, AttrPath, Context, Diagnostics, PlanResult, Resource, Schema};
use crate::resources::common::{known_strings, observed_tags, string_map, tags_all, text};
use crate::value::Value;
use async_trait::async_trait;
use checks::{check_remote, wanted_services, Network, RemoteInputs};
use futures::stream::{self, StreamExt};
use state::{
    desired, endpoint_urls, endpoint_value, ingress_lines, planned_endpoint, recorded_owner,
    rule_lines_value, security_group_name, short_name_of, wanted_rule_lines, Desired,
    SECURITY_GROUP_DESCRIPTION, TYPE_NAME,
};
use std::collections::BTreeMap;
use tokio_util::sync::CancellationToken;

/// How many endpoint creations run at once (EC2's bucket paces them anyway).
const CONCURRENT_CREATES: usize = 4;

/// The resource.
pub struct PrivateNetwork {
    pub configured: Configured,
}

#[async_trait]
impl Resource for PrivateNetwork {
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
            .plan_network(ctx, prior, config, &mut plan.planned)
            .await
        {
            Ok(diags) => plan.diags.extend(diags),
            Err(diags) => plan.diags.extend(diags),
        }
        plan
    }

    async fn create(&self, ctx: &Context, mut planned: Value) -> ApplyResult {
        let (clients, tagging) = match self.clients().await {
            Ok(found) => found,
            Err(diags) => return ApplyResult { state: None, diags },
        };
        let want = desired(&planned, &clients.region, &tagging);
        let owner = Owner::new(TYPE_NAME, &want.vpc_id);
        let inputs = remote_inputs(&want, &owner, true, &[], None);
        let network = match check_remote(&clients, &inputs).await {
            Ok((network, _)) => network,
            Err(diags) => return ApplyResult { state: None, diags },
        };
        let tags = owner.tags(&BTreeMap::new(), &want.tags, true);
        let group_id = match adopt_or_create_closed_group(
            &clients.ec2,
            &want.vpc_id,
            (&security_group_name(&owner), SECURITY_GROUP_DESCRIPTION),
            network.unfinished_group.as_ref(),
            &tags,
        )
        .await
        {
            Ok(id) => id,
            Err(e) => {
                return ApplyResult {
                    state: None,
                    diags: Diagnostics::from_error("Cannot create the endpoint security group", e),
                }
            }
        };
        planned.set_attribute("id", Value::String(owner.id.clone()));
        let mut diags = Diagnostics::new();
        let cidrs = network.allowed_cidrs(&want);
        let rules = wanted_rule_lines(&cidrs, &want.allowed_groups);
        if let Err(e) = sync_rule_lines(&clients.ec2, &group_id, &[], &rules).await {
            diags.error("Cannot open HTTPS to the endpoints", e);
        }
        if !diags.has_errors() {
            let made = adopt_and_create_endpoints(
                &clients,
                &want,
                &owner,
                &network,
                &group_id,
                &ctx.cancel,
            )
            .await;
            diags.extend(made);
        }
        let mut result = self
            .settle(ctx, &clients, planned, &network, &cidrs, &group_id, diags)
            .await;
        if let Some(state) = &result.state {
            let mut ids = recorded_ids(state);
            ids.extend(text(state, "security_group_id").filter(|id| !id.is_empty()));
            result
                .diags
                .extend(finish_create(&clients, &ids, &[]).await);
        }
        result
    }

    async fn read(
        &self,
        _ctx: &Context,
        prior: Value,
    ) -> Result<(Option<Value>, Diagnostics), Diagnostics> {
        let (clients, tagging) = self.clients().await?;
        let vpc_id = text(&prior, "vpc_id").unwrap_or_default();
        let group_id = text(&prior, "security_group_id").filter(|id| !id.is_empty());
        let (group, endpoints) = observe(&clients, &vpc_id, group_id.as_deref()).await?;
        let Some(owner) = recorded_owner(&prior) else {
            return Ok((None, Diagnostics::new()));
        };
        if group.is_none() && owned(&endpoints, &owner, &prior).next().is_none() {
            return Ok((None, Diagnostics::new()));
        }
        let region = &clients.region;
        let mut state = with_observed(prior, region, group.as_ref(), &endpoints);
        if let Some(group) = &group {
            // The group's tags stand for the network's; a marker an endpoint
            // still carries shows too, so the next apply removes it.
            let mut live = group.tags.clone();
            let marker = owned(&endpoints, &owner, &state)
                .find_map(|e| e.tags.get(CREATING_KEY))
                .cloned();
            if let Some(marker) = marker {
                live.insert(CREATING_KEY.to_owned(), marker);
            }
            let (tags, tags_all) = observed_tags(&state, &live, &tagging);
            state.set_attribute("tags", tags);
            state.set_attribute("tags_all", tags_all);
        }
        let mut diags = Diagnostics::new();
        let state = with_observed_policies(state, region, &endpoints, &mut diags);
        Ok((Some(state), diags))
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
        let want = desired(&planned, &clients.region, &tagging);
        let had = desired(&prior, &clients.region, &tagging);
        let owner =
            recorded_owner(&prior).unwrap_or_else(|| Owner::planned(TYPE_NAME, &want.vpc_id));
        let recorded = recorded_ids(&prior);
        let inputs = remote_inputs(&want, &owner, false, &recorded, None);
        let mut network = match check_remote(&clients, &inputs).await {
            Ok((network, _)) => network,
            Err(diags) => {
                return ApplyResult {
                    state: Some(prior),
                    diags,
                }
            }
        };
        // Tags that ignore_tags names are neither read nor changed.
        for endpoint in &mut network.endpoints {
            endpoint.tags = tagging.managed(&endpoint.tags);
        }
        let mut diags = Diagnostics::new();
        let new_cidrs = network.allowed_cidrs(&want);
        let rules = wanted_rule_lines(&new_cidrs, &want.allowed_groups);
        let tags = owner.tags(&BTreeMap::new(), &want.tags, false);
        let recorded_group = text(&prior, "security_group_id").filter(|id| !id.is_empty());
        // The recorded group, else (its id lost from the state) the one
        // tagged as this network's — never a second group.
        let group = match &recorded_group {
            Some(id) => find::find_security_group(&clients.ec2, id)
                .await
                .map(Some)
                .or_else(|e| if e.is_not_found() { Ok(None) } else { Err(e) }),
            None => {
                find::find_security_groups_by_tag(&clients.ec2, &want.vpc_id, OWNER_KEY, &owner.id)
                    .await
                    .map(|found| {
                        found
                            .into_iter()
                            .find(|g| owner.claim(&g.tags) == Claim::Mine)
                    })
            }
        };
        let group = match group {
            Ok(group) => group,
            Err(e) => {
                return ApplyResult {
                    state: Some(prior),
                    diags: Diagnostics::from_error(
                        "Cannot read the endpoint security group",
                        e.to_string(),
                    ),
                }
            }
        };
        // From the group as it is now, so rules and tags changed by hand are
        // repaired; a group deleted by hand is made again.
        let synced = match &group {
            Some(group) => {
                let rules =
                    sync_rule_lines(&clients.ec2, &group.id, &ingress_lines(group), &rules).await;
                let live = tagging.managed(&group.tags);
                let tagged = sync_tags(&clients.ec2, &group.id, &live, &tags).await;
                rules.and(tagged).map(|()| group.id.clone())
            }
            None => {
                let name = security_group_name(&owner);
                let made = adopt_or_create_closed_group(
                    &clients.ec2,
                    &want.vpc_id,
                    (&name, SECURITY_GROUP_DESCRIPTION),
                    None,
                    &tags,
                )
                .await;
                match made {
                    Ok(id) => sync_rule_lines(&clients.ec2, &id, &[], &rules)
                        .await
                        .map(|()| id),
                    Err(e) => Err(e),
                }
            }
        };
        let group_id = match synced {
            Ok(id) => id,
            Err(e) => {
                diags.error("Cannot update the endpoint security group", e);
                recorded_group.unwrap_or_default()
            }
        };
        let changed = update_endpoints(
            &clients,
            &prior,
            (&had, &want),
            (&network, &tags),
            &group_id,
            &ctx.cancel,
        )
        .await;
        diags.extend(changed);
        self.settle(
            ctx, &clients, planned, &network, &new_cidrs, &group_id, diags,
        )
        .await
    }

    async fn delete(&self, ctx: &Context, prior: Value) -> Diagnostics {
        let (clients, _) = match self.clients().await {
            Ok(found) => found,
            Err(diags) => return diags,
        };
        let vpc_id = text(&prior, "vpc_id").unwrap_or_default();
        let timeout = ctx.time_left();
        let endpoints = match find::find_vpc_endpoints_in_vpc(&clients.ec2, &vpc_id, false).await {
            Ok(found) => found,
            Err(e) => {
                return Diagnostics::from_error(
                    "Cannot list the endpoints to delete",
                    e.to_string(),
                )
            }
        };
        let Some(owner) = recorded_owner(&prior) else {
            return Diagnostics::new();
        };
        let ids: Vec<String> = owned(&endpoints, &owner, &prior)
            .map(|e| e.id.clone())
            .collect();
        if let Err(e) =
            ops::delete_endpoints_unless_stopped(&clients.ec2, &vpc_id, &ids, &ctx.cancel).await
        {
            return Diagnostics::from_error("Cannot delete the VPC endpoints", e.to_string());
        }
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
            return Diagnostics::from_error("VPC endpoints not deleted", e.to_string());
        }
        let Some(group_id) = text(&prior, "security_group_id") else {
            return Diagnostics::new();
        };
        match groups::delete_group(&clients.ec2, &group_id, timeout, &ctx.cancel).await {
            Ok(()) => Diagnostics::new(),
            Err(e) => Diagnostics::from_error(
                "Cannot delete the endpoint security group",
                format!("{e}. Network interfaces may still use it: retry the destroy."),
            ),
        }
    }

    async fn import(&self, _ctx: &Context, id: &str) -> Result<Value, Diagnostics> {
        crate::aws::ids::check_vpc_id(crate::aws::ownership::id_key(id)).map_err(|e| {
            Diagnostics::from_error(
                "Cannot import",
                format!("{e} Import by VPC id, or by the network id (`vpc-…/…`)."),
            )
        })?;
        let (clients, tagging) = self.clients().await?;
        import::import_state(&clients, &self.schema(), id, &tagging).await
    }
}

impl PrivateNetwork {
    async fn clients(&self) -> Result<(Clients, TagSettings), Diagnostics> {
        crate::aws::access(&self.configured).await
    }

    /// Fills the planned value: defaults, tags, the endpoint set, URLs; runs
    /// the remote checks when every input they need is known.
    async fn plan_network(
        &self,
        ctx: &Context,
        prior: &Value,
        config: &Value,
        planned: &mut Value,
    ) -> Result<Diagnostics, Diagnostics> {
        let (clients, tagging) = self.clients().await?;
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
        if planned
            .get("private_dns_enabled")
            .is_none_or(|v| v.is_null() || v.is_unknown())
        {
            planned.set_attribute("private_dns_enabled", Value::Bool(true));
        }
        planned.set_attribute("tags_all", tags_all(planned, &tagging));
        keep_equivalent_policies(prior, planned);
        let services = wanted_services(planned);
        plan_computed(prior, planned, services.as_deref(), &region);
        // Terraform plans every resource on every refresh: when nothing will
        // change, the checks already passed when it was made or last changed.
        if !prior.is_null() && semantic_eq(prior, planned) {
            return Ok(Diagnostics::new());
        }
        let mut diags = Diagnostics::new();
        // Defaulted inputs (route tables, CIDRs) are unknown in the plan until
        // the checks fill them in: what counts is whether the config knows them.
        let known_in = |value: &Value, names: &[&str], absent_ok: bool| {
            names.iter().all(|name| match value.get(name) {
                Some(v) => v.is_wholly_known(),
                None => absent_ok,
            })
        };
        let inputs_known =
            known_in(
                planned,
                &["vpc_id", "subnet_ids", "private_dns_enabled"],
                false,
            ) && known_in(config, &["s3_route_table_ids", "allowed_cidr_blocks"], true)
                && services.is_some();
        if inputs_known {
            let want = desired(planned, &region, &tagging);
            let creating = prior.is_null();
            let owner =
                recorded_owner(prior).unwrap_or_else(|| Owner::planned(TYPE_NAME, &want.vpc_id));
            let recorded = recorded_ids(prior);
            let inputs = remote_inputs(&want, &owner, creating, &recorded, Some(&ctx.in_state));
            let (network, found) = check_remote(&clients, &inputs).await?;
            diags.extend(found);
            if creating {
                warn_adoption(&network, &owner, &mut diags);
            }
            let cidrs = network.allowed_cidrs(&want);
            fill_defaults(planned, &network, &cidrs);
        }
        if planned
            .get("s3_prefix_list_id")
            .is_some_and(Value::is_unknown)
        {
            if let Some(services) = &services {
                let prefix_list = plan_prefix_list(&clients, services).await?;
                planned.set_attribute("s3_prefix_list_id", prefix_list);
            }
        }
        plan_computed(prior, planned, services.as_deref(), &region);
        Ok(diags)
    }

    /// Waits for every endpoint of this network to be available.
    async fn wait_all(
        &self,
        ctx: &Context,
        clients: &Clients,
        vpc_id: &str,
        planned: &Value,
    ) -> Diagnostics {
        let listing = match find::find_vpc_endpoints_in_vpc(&clients.ec2, vpc_id, false).await {
            Ok(found) => found,
            Err(e) => return Diagnostics::from_error("Cannot list the endpoints", e.to_string()),
        };
        let Some(owner) = recorded_owner(planned) else {
            return Diagnostics::new();
        };
        let ids: Vec<String> = owned(&listing, &owner, planned)
            .map(|e| e.id.clone())
            .collect();
        let timeout = ctx.time_left();
        match wait_endpoints(
            &clients.ec2,
            vpc_id,
            &ids,
            Target::Available,
            timeout,
            &ctx.cancel,
        )
        .await
        {
            Ok(_) => Diagnostics::new(),
            Err(e) => Diagnostics::from_error("VPC endpoints not available", e.to_string()),
        }
    }

    /// Ends create and update: waits for the endpoints (unless something
    /// already failed), fills the defaults the network decided, and returns
    /// `planned` with what AWS now reports — the partial state on error.
    #[allow(clippy::too_many_arguments)]
    async fn settle(
        &self,
        ctx: &Context,
        clients: &Clients,
        mut planned: Value,
        network: &Network,
        cidrs: &[String],
        group_id: &str,
        mut diags: Diagnostics,
    ) -> ApplyResult {
        let vpc_id = text(&planned, "vpc_id").unwrap_or_default();
        if !diags.has_errors() {
            diags.extend(self.wait_all(ctx, clients, &vpc_id, &planned).await);
        }
        fill_defaults(&mut planned, network, cidrs);
        planned.set_attribute("security_group_id", Value::String(group_id.to_owned()));
        match observe(clients, &vpc_id, Some(group_id)).await {
            Ok((group, endpoints)) => {
                let state = with_observed(planned, &clients.region, group.as_ref(), &endpoints);
                ApplyResult {
                    state: Some(state),
                    diags,
                }
            }
            Err(more) => {
                diags.extend(more);
                ApplyResult {
                    state: Some(planned),
                    diags,
                }
            }
        }
    }
}

fn remote_inputs<'a>(
    want: &'a Desired,
    owner: &'a Owner,
    creating: bool,
    recorded: &'a [String],
    in_state: Option<&'a crate::framework::InState>,
) -> RemoteInputs<'a> {
    RemoteInputs {
        vpc_id: &want.vpc_id,
        subnet_ids: &want.subnet_ids,
        services: &want.services,
        private_dns: want.private_dns,
        route_table_ids: want.route_table_ids.as_deref(),
        owner,
        creating,
        recorded,
        in_state,
    }
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

/// The endpoint ids recorded in a state value.
fn recorded_ids(state: &Value) -> Vec<String> {
    match state.get("endpoints") {
        Some(Value::Map(entries)) => entries
            .values()
            .filter_map(|e| e.get("id").and_then(Value::as_str))
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
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
                format!(
                    "{e}. Check the provider's region ({}) and the credentials' \
                     ec2:DescribePrefixLists permission.",
                    clients.region
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

/// Records in the refreshed `state` each endpoint policy that no longer
/// means what `state` asks for (changed outside Terraform): the policy
/// AWS reports goes into `endpoint_policies` (removed when it is AWS's
/// default full access), and the helper that generated the expected one is
/// cleared, so the next plan shows the difference and apply restores it.
/// Policies are compared by meaning: a reformatted policy is no drift.
fn with_observed_policies(
    mut state: Value,
    region: &str,
    endpoints: &[VpcEndpoint],
    diags: &mut Diagnostics,
) -> Value {
    let expected = desired(&state, region, &TagSettings::default()).policies;
    let mut policies = string_map(&state, "endpoint_policies");
    let mut drifted = false;
    let recorded: Vec<(String, String)> = match state.get("endpoints") {
        Some(Value::Map(entries)) => entries
            .iter()
            .filter_map(|(name, e)| Some((name.clone(), e.get("id")?.as_str()?.to_owned())))
            .collect(),
        _ => Vec::new(),
    };
    for (short_name, id) in recorded {
        let Some(spec) = crate::catalog::service(&short_name) else {
            continue;
        };
        let Some(endpoint) = endpoints.iter().find(|e| e.id == id) else {
            continue;
        };
        if !spec.accepts_policy {
            continue;
        }
        let meaningful = |text: &&str| !crate::policy::is_full_access(text);
        let actual = endpoint.policy_document.as_deref().filter(meaningful);
        let wanted = expected
            .get(spec.short_name)
            .map(String::as_str)
            .filter(meaningful);
        let same = match (wanted, actual) {
            (Some(a), Some(b)) => crate::policy::equivalent(a, b),
            (a, b) => a.is_none() && b.is_none(),
        };
        if same {
            continue;
        }
        drifted = true;
        diags.attribute_warning(
            AttrPath::root("endpoint_policies"),
            format!("The {short_name} endpoint policy was changed outside Terraform"),
            format!(
                "VPC endpoint {} now has the policy {}. The plan shows it in endpoint_policies (and the \
                 policy helpers cleared); apply puts back the policy this configuration asks for.",
                endpoint.id,
                actual.unwrap_or("AWS's default full access")
            ),
        );
        match actual {
            Some(text) => policies.insert(short_name.clone(), text.to_owned()),
            None => policies.remove(&short_name),
        };
        let helpers: &[&str] = match spec.short_name {
            "sagemaker_runtime" => &["runtime_invoke_endpoint_arns"],
            "s3" => &["s3_bucket_arns", "deny_amazon_linux_repositories"],
            _ => &[],
        };
        for helper in helpers {
            let used = state
                .get(helper)
                .is_some_and(|v| !v.is_null() && *v != Value::Bool(false));
            if used {
                state.set_attribute(helper, Value::Null);
            }
        }
    }
    if drifted {
        let value = if policies.is_empty() {
            Value::Null
        } else {
            Value::Map(
                policies
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect(),
            )
        };
        state.set_attribute("endpoint_policies", value);
    }
    state
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
fn fill_defaults(value: &mut Value, network: &Network, cidrs: &[String]) {
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

/// The endpoints of the network `owner`: tagged as its own, or recorded in
/// `state` (adopted by import) — except those already being deleted.
fn owned<'a>(
    endpoints: &'a [VpcEndpoint],
    owner: &'a Owner,
    state: &'a Value,
) -> impl Iterator<Item = &'a VpcEndpoint> {
    let recorded = recorded_ids(state);
    endpoints.iter().filter(move |e| {
        e.state != "deleting" && (owner.claim(&e.tags) == Claim::Mine || recorded.contains(&e.id))
    })
}

/// One endpoint listing and one group lookup, whatever the endpoint count.
async fn observe(
    clients: &Clients,
    vpc_id: &str,
    group_id: Option<&str>,
) -> Result<(Option<SecurityGroup>, Vec<VpcEndpoint>), Diagnostics> {
    let ec2 = &clients.ec2;
    let group = async {
        match group_id {
            Some(id) => match find::find_security_group(ec2, id).await {
                Ok(group) => Ok(Some(group)),
                Err(e) if e.is_not_found() => Ok(None),
                Err(e) => Err(e),
            },
            None => Ok(None),
        }
    };
    let (group, endpoints) =
        tokio::join!(group, find::find_vpc_endpoints_in_vpc(ec2, vpc_id, false));
    let fail = |e: find::FindError| {
        Diagnostics::from_error("Cannot read the private network", e.to_string())
    };
    Ok((group.map_err(fail)?, endpoints.map_err(fail)?))
}

/// `base` with the computed attributes taken from AWS.
fn with_observed(
    mut base: Value,
    region: &str,
    group: Option<&SecurityGroup>,
    endpoints: &[VpcEndpoint],
) -> Value {
    let owner = recorded_owner(&base).unwrap_or_else(|| Owner::planned(TYPE_NAME, ""));
    let mut entries = BTreeMap::new();
    for endpoint in owned(endpoints, &owner, &base) {
        if let Some(spec) = short_name_of(&endpoint.service_name, &endpoint.endpoint_type, region) {
            entries
                .entry(spec.short_name.to_owned())
                .or_insert_with(|| endpoint_value(spec, endpoint));
        }
    }
    let endpoints = Value::Map(entries);
    for (name, url) in endpoint_urls(&endpoints, region) {
        base.set_attribute(name, url);
    }
    base.set_attribute("endpoints", endpoints);
    base.set_attribute(
        "security_group_id",
        group.map_or(Value::Null, |g| Value::String(g.id.clone())),
    );
    base.set_attribute(
        "ingress_rules",
        group.map_or(Value::Null, |g| rule_lines_value(ingress_lines(g))),
    );
    base
}

/// Makes the endpoints of `want` for the new network `owner`, adopting
/// those an unfinished create of the same network left (the provider was
/// killed before it returned, an answer was lost): such an endpoint is
/// changed to match `want` instead of made again, and extra ones — a second
/// endpoint for a service, or one for a service no longer wanted — are
/// deleted. So the next apply finishes a crashed create with no duplicate
/// and no leak, and never touches another network's endpoints.
async fn adopt_and_create_endpoints(
    clients: &Clients,
    want: &Desired,
    owner: &Owner,
    network: &Network,
    group_id: &str,
    cancel: &CancellationToken,
) -> Diagnostics {
    let tags = owner.tags(&BTreeMap::new(), &want.tags, true);
    let mut adopted: Vec<(&'static ServiceSpec, &VpcEndpoint)> = Vec::new();
    let mut extra: Vec<String> = Vec::new();
    for endpoint in network.unfinished_endpoints(owner) {
        let wanted = short_name_of(
            &endpoint.service_name,
            &endpoint.endpoint_type,
            &clients.region,
        )
        .filter(|spec| want.services.contains(spec));
        match wanted {
            Some(spec) if !adopted.iter().any(|(s, _)| *s == spec) => {
                adopted.push((spec, endpoint));
            }
            _ => extra.push(endpoint.id.clone()),
        }
    }
    if !adopted.is_empty() || !extra.is_empty() {
        let ids = |ids: Vec<&str>| serde_json::json!(ids);
        crate::log::info(
            "adopting the VPC endpoints an earlier apply made for this network",
            &[
                ("vpc_id", serde_json::json!(want.vpc_id)),
                (
                    "adopted",
                    ids(adopted.iter().map(|(_, e)| e.id.as_str()).collect()),
                ),
                ("deleted", ids(extra.iter().map(String::as_str).collect())),
            ],
        );
    }
    let mut diags = Diagnostics::new();
    if let Err(e) =
        ops::delete_endpoints_unless_stopped(&clients.ec2, &want.vpc_id, &extra, cancel).await
    {
        diags.error("Cannot delete an extra VPC endpoint", e.to_string());
    }
    for (spec, endpoint) in &adopted {
        let change = endpoint_change(
            spec.kind,
            &Placement::observed(endpoint),
            &Placement::of(spec, want, &network.route_table_ids),
        );
        if let Err(e) =
            ops::modify_endpoint_unless_stopped(&clients.ec2, &endpoint.id, change, cancel).await
        {
            diags.error("Cannot update an adopted VPC endpoint", e.to_string());
        }
        if let Err(e) = sync_tags(&clients.ec2, &endpoint.id, &endpoint.tags, &tags).await {
            diags.error("Cannot update tags", e);
        }
    }
    let missing: Vec<&'static ServiceSpec> = want
        .services
        .iter()
        .copied()
        .filter(|spec| !adopted.iter().any(|(s, _)| s == spec))
        .collect();
    let made = create_endpoints(clients, want, (network, &tags), group_id, &missing, cancel);
    diags.extend(made.await);
    diags
}

/// Creates `services`' endpoints concurrently; errors are collected, never
/// short-circuited, so every endpoint that could be made is made. Once
/// Terraform asks the provider to stop, no further create starts: one error
/// names the services left, and the caller returns what exists.
async fn create_endpoints(
    clients: &Clients,
    want: &Desired,
    (network, tags): (&Network, &BTreeMap<String, String>),
    group_id: &str,
    services: &[&'static ServiceSpec],
    cancel: &CancellationToken,
) -> Diagnostics {
    let requests: Vec<EndpointRequest<'_>> = services
        .iter()
        .map(|spec| EndpointRequest {
            spec,
            region: &clients.region,
            vpc_id: &want.vpc_id,
            subnet_ids: &want.subnet_ids,
            security_group_id: group_id,
            route_table_ids: want
                .route_table_ids
                .as_deref()
                .unwrap_or(&network.route_table_ids),
            private_dns: want.private_dns,
            policy: want.policies.get(spec.short_name).map(String::as_str),
            tags,
        })
        .collect();
    let creations: Vec<_> = requests
        .iter()
        .map(|request| async move {
            let made = ops::create_endpoint_unless_stopped(&clients.ec2, request, cancel).await;
            (request.spec.short_name, made)
        })
        .collect();
    let results: Vec<(&str, Result<String, CallError>)> = stream::iter(creations)
        .buffer_unordered(CONCURRENT_CREATES)
        .collect()
        .await;
    let mut diags = Diagnostics::new();
    let mut stopped = Vec::new();
    for (short_name, made) in results {
        match made {
            Ok(_) => {}
            Err(CallError::Stopped(_)) => stopped.push(short_name),
            Err(e) => diags.error("Cannot create a VPC endpoint", e.to_string()),
        }
    }
    if !stopped.is_empty() {
        stopped.sort_unstable();
        diags.error(
            "Stopped before every VPC endpoint was made",
            format!(
                "The apply was stopped (Ctrl-C, or its timeout passed), so the endpoints for {} were not \
                 made. Everything made so far is recorded in the state: run terraform apply again to finish.",
                stopped.join(", ")
            ),
        );
    }
    diags
}

/// Adds, removes and modifies endpoints so that `prior` (which asked for
/// `had`) becomes `want`, each tagged `tags`.
async fn update_endpoints(
    clients: &Clients,
    prior: &Value,
    (had, want): (&Desired, &Desired),
    (network, tags): (&Network, &BTreeMap<String, String>),
    group_id: &str,
    cancel: &CancellationToken,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let existing: BTreeMap<String, String> = match prior.get("endpoints") {
        Some(Value::Map(entries)) => entries
            .iter()
            .filter_map(|(name, e)| {
                e.get("id")
                    .and_then(Value::as_str)
                    .map(|id| (name.clone(), id.to_owned()))
            })
            .collect(),
        _ => BTreeMap::new(),
    };
    let to_create: Vec<_> = want
        .services
        .iter()
        .copied()
        .filter(|s| !existing.contains_key(s.short_name))
        .collect();
    let to_delete: Vec<String> = existing
        .iter()
        .filter(|(name, _)| !want.services.iter().any(|s| s.short_name == name.as_str()))
        .map(|(_, id)| id.clone())
        .collect();
    if !to_create.is_empty() {
        let made =
            create_endpoints(clients, want, (network, tags), group_id, &to_create, cancel).await;
        diags.extend(made);
    }
    for spec in want
        .services
        .iter()
        .filter(|s| existing.contains_key(s.short_name))
    {
        let id = &existing[spec.short_name];
        let mut change = endpoint_change(
            spec.kind,
            &Placement::of(spec, had, &[]),
            &Placement::of(spec, want, &network.route_table_ids),
        );
        // An interface endpoint uses the network's group and no other (the
        // group made again after it was deleted, groups swapped by hand).
        let live = network.endpoints.iter().find(|e| &e.id == id);
        if let Some(live) =
            live.filter(|_| spec.kind == EndpointKind::Interface && !group_id.is_empty())
        {
            if !live.security_group_ids.iter().any(|g| g == group_id) {
                change.add_security_groups = vec![group_id.to_owned()];
            }
            change.remove_security_groups = live
                .security_group_ids
                .iter()
                .filter(|g| *g != group_id)
                .cloned()
                .collect();
        }
        if let Err(e) = ops::modify_endpoint_unless_stopped(&clients.ec2, id, change, cancel).await
        {
            diags.error("Cannot update a VPC endpoint", e.to_string());
        }
        if let Some(live) = live {
            if let Err(e) = sync_tags(&clients.ec2, id, &live.tags, tags).await {
                diags.error("Cannot update tags", e);
            }
        }
    }
    if let Err(e) =
        ops::delete_endpoints_unless_stopped(&clients.ec2, &want.vpc_id, &to_delete, cancel).await
    {
        diags.error("Cannot delete a removed VPC endpoint", e.to_string());
    }
    diags
}

/// Where an endpoint is and what policy it has: as recorded, as wanted, or
/// as AWS reports it.
struct Placement<'a> {
    subnets: &'a [String],
    route_tables: &'a [String],
    private_dns: bool,
    /// `None`: AWS's default full access.
    policy: Option<&'a str>,
}

impl<'a> Placement<'a> {
    /// What `desired` asks for endpoint `spec`; `default_route_tables` when
    /// it names no route tables.
    fn of(
        spec: &ServiceSpec,
        desired: &'a Desired,
        default_route_tables: &'a [String],
    ) -> Placement<'a> {
        Placement {
            subnets: &desired.subnet_ids,
            route_tables: desired
                .route_table_ids
                .as_deref()
                .unwrap_or(default_route_tables),
            private_dns: desired.private_dns,
            policy: desired.policies.get(spec.short_name).map(String::as_str),
        }
    }

    /// What AWS reports for `endpoint`.
    fn observed(endpoint: &'a VpcEndpoint) -> Placement<'a> {
        Placement {
            subnets: &endpoint.subnet_ids,
            route_tables: &endpoint.route_table_ids,
            private_dns: endpoint.private_dns_enabled,
            policy: endpoint.policy_document.as_deref(),
        }
    }
}

/// What changes one endpoint of kind `kind` from `old` to `new`. Policies
/// are compared by meaning, AWS's default full access counting as none.
fn endpoint_change(kind: EndpointKind, old: &Placement<'_>, new: &Placement<'_>) -> EndpointChange {
    let diff = |old: &[String], new: &[String]| -> (Vec<String>, Vec<String>) {
        let add = new.iter().filter(|x| !old.contains(x)).cloned().collect();
        let remove = old.iter().filter(|x| !new.contains(x)).cloned().collect();
        (add, remove)
    };
    let mut change = EndpointChange::default();
    match kind {
        EndpointKind::Interface => {
            (change.add_subnets, change.remove_subnets) = diff(old.subnets, new.subnets);
            if old.private_dns != new.private_dns {
                change.private_dns = Some(new.private_dns);
            }
        }
        EndpointKind::Gateway => {
            (change.add_route_tables, change.remove_route_tables) =
                diff(old.route_tables, new.route_tables);
        }
    }
    let meaningful = |text: &&str| !crate::policy::is_full_access(text);
    let same = match (old.policy.filter(meaningful), new.policy.filter(meaningful)) {
        (Some(a), Some(b)) => crate::policy::equivalent(a, b),
        (a, b) => a.is_none() && b.is_none(),
    };
    if !same {
        change.policy = Some(new.policy.map(str::to_owned));
    }
    change
}
