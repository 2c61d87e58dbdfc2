//! The core every composite stands on. A composite is its schema, its
//! desired state, its checks and its parts; [`Composite`] is what it writes,
//! and [`CompositeResource`] turns it into a Terraform resource: it hands
//! each step the AWS clients and tag settings, decides the owner of the
//! instance (a new one at create, the recorded one after), finishes creates
//! (the unfinished-create marker leaves every object made), reads tags back
//! as state, and keeps the partial state on every failure.
//!
//! [`applier`] runs the stages of an apply (concurrency inside a stage,
//! Ctrl-C and `timeouts`); [`planner`] compares what is wanted with what the
//! instance owns; [`checked`] keeps what a plan's account checks found for
//! the apply that follows, which then re-checks only what can change.

pub mod applier;
pub mod checked;
pub mod planner;

use crate::aws::ownership::{finish_create, id_key, release, Owner};
use crate::aws::{Clients, Configured, TagSettings};
use crate::framework::{ApplyResult, AttrPath, Context, Diagnostics, PlanResult, Resource, Schema};
use crate::resources::common::{observed_tags, string_map, tags_all, text, TagRules};
use crate::value::Value;
use async_trait::async_trait;
use std::collections::BTreeMap;

/// What one step of a resource works with: the request's context, the AWS
/// clients, the provider's tag settings and the instance's owner.
pub struct Env<'a> {
    /// The request's context: cancel (Ctrl-C, timeouts), deadline, InState.
    pub ctx: &'a Context,
    /// The AWS clients of the provider's configuration.
    pub clients: Clients,
    /// The provider's `default_tags` and `ignore_tags`.
    pub tagging: TagSettings,
    /// The instance: recorded in the prior state, new at create, planned
    /// (not yet drawn) at the plan of a create.
    pub owner: Owner,
}

impl Env<'_> {
    /// The Region the clients talk to.
    pub fn region(&self) -> &str {
        &self.clients.region
    }
}

/// A refreshed state and the tags AWS reports for the instance (from the
/// object that stands for it), which the core turns into `tags` and
/// `tags_all`.
pub struct Refreshed {
    /// The state with what AWS reports.
    pub state: Value,
    /// `None` when no object carrying the instance's tags exists any more.
    pub live_tags: Option<BTreeMap<String, String>>,
    /// Warnings found (e.g. a policy changed outside Terraform).
    pub diags: Diagnostics,
}

/// The objects a create made, from its state: the unfinished-create marker
/// leaves each of them when the create returns.
#[derive(Default)]
pub struct Made {
    /// EC2 resource ids (groups, endpoints).
    pub ec2_ids: Vec<String>,
    /// SageMaker ARNs.
    pub arns: Vec<String>,
}

/// A composite resource: the parts a new one writes. Every method gets an
/// [`Env`] whose owner the core decided; none builds clients or reads the
/// owner itself.
#[async_trait]
pub trait Composite: Send + Sync + 'static {
    /// The full type name, also the start of every owner id.
    const TYPE_NAME: &'static str;
    /// What import takes, for the error on a malformed id (e.g. "Import by
    /// VPC id, or by the network id (`vpc-…/…`).").
    const IMPORT_HINT: &'static str;
    /// The tag limits of the objects it makes (its schema's `tags` uses
    /// them too); the core checks `tags` merged over `default_tags` by them.
    const TAG_RULES: TagRules;

    /// The tag limits for `config`: [`Self::TAG_RULES`] unless what the
    /// configuration makes depends on it (a SageMaker object or not).
    fn tag_rules(_config: &Value) -> TagRules {
        Self::TAG_RULES
    }

    /// The schema.
    fn schema() -> Schema;
    /// Static checks beyond per-attribute validators.
    fn validate(_config: &Value, _diags: &mut Diagnostics) {}
    /// The key that starts the owner id (a VPC id, a name) in a planned or
    /// state value.
    fn identity(value: &Value) -> String;
    /// Fills what a create decides before anything is made, e.g. a name
    /// generated from `name_prefix`.
    fn prepare_create(_planned: &mut Value) {}
    /// The objects a state value records as made by this instance.
    fn made(state: &Value) -> Made;
    /// Checks an import id before any AWS call.
    fn check_import_id(id: &str) -> Result<(), String>;

    /// Completes `plan.planned` (null on destroy is never passed): defaults,
    /// computed values, account checks, replacement paths, warnings.
    /// `prior` is null on create; `tags_all` is already planned.
    async fn plan(&self, env: &Env<'_>, prior: &Value, config: &Value, plan: &mut PlanResult);
    /// Makes AWS match `planned`; `prior` is null on create. Returns the
    /// state to record — what exists, also on error.
    async fn apply(&self, env: &Env<'_>, prior: &Value, planned: Value) -> ApplyResult;
    /// What AWS reports of the objects `state` records; `None` when every
    /// one of them is gone.
    async fn refresh(&self, env: &Env<'_>, state: Value) -> Result<Option<Refreshed>, Diagnostics>;
    /// Deletes what `prior` owns; objects already gone are fine.
    async fn delete(&self, env: &Env<'_>, prior: &Value) -> Diagnostics;
    /// A state for the import id `id` (already checked), complete enough
    /// that the original configuration then plans no change.
    async fn import(&self, env: &Env<'_>, id: &str) -> Result<Value, Diagnostics>;
}

/// The errors for `tags_all` (tags merged over the provider's
/// `default_tags`) that the static check of `tags` (by `checked`, the
/// schema's rules) cannot see: too many together, a default tag the
/// objects' services do not take, or a tag of the configuration's own that
/// only the stricter `rules` of this configuration refuse.
fn check_merged_tags(
    rules: TagRules,
    checked: TagRules,
    config: &Value,
    tags_all: &Value,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let Value::Map(merged) = tags_all else {
        return diags;
    };
    let own = string_map(config, "tags");
    let path = AttrPath::root("tags");
    for (key, value) in merged {
        let Some(value) = value.as_str() else {
            continue;
        };
        let Some(problem) = rules.problem(key, value) else {
            continue;
        };
        if !own.contains_key(key) {
            diags.attribute_error(
                path.clone(),
                "A default tag is not accepted here",
                format!("{problem} (The tag comes from the provider's default_tags.)"),
            );
        } else if checked.problem(key, value).is_none() {
            diags.attribute_error(path.key(key), "Invalid tag in tags", problem);
        }
    }
    let whose = "tags merged over the provider's default_tags";
    if let Some(problem) = rules.count_problem(merged.len(), whose) {
        diags.attribute_error(path, "Too many tags", problem);
    }
    diags
}

/// The owner a state value of `C` records (its `id`); `None` before create.
pub fn recorded_owner<C: Composite>(state: &Value) -> Option<Owner> {
    let id = text(state, "id")?;
    Some(Owner::existing(C::TYPE_NAME, &C::identity(state), &id))
}

/// The result of an apply that failed before it made or changed anything
/// the state must record: the prior state stays (none on create, where
/// `prior` is null), with `diags`.
pub fn unchanged(prior: &Value, diags: Diagnostics) -> ApplyResult {
    ApplyResult {
        state: (!prior.is_null()).then(|| prior.clone()),
        diags,
    }
}

/// A state of `schema` with every attribute and block null: where an
/// import starts.
pub fn empty_state(schema: &Schema) -> BTreeMap<String, Value> {
    let mut attributes: BTreeMap<String, Value> = schema
        .block
        .attributes
        .iter()
        .map(|a| (a.name.to_owned(), Value::Null))
        .collect();
    for block in &schema.block.blocks {
        attributes.insert(block.name.to_owned(), Value::Null);
    }
    attributes
}

/// A [`Composite`] as a Terraform resource.
pub struct CompositeResource<C> {
    configured: Configured,
    composite: C,
}

impl<C: Composite> CompositeResource<C> {
    /// The resource of `composite`, using the provider's AWS access.
    pub fn new(configured: Configured, composite: C) -> Self {
        CompositeResource {
            configured,
            composite,
        }
    }

    async fn env<'a>(&self, ctx: &'a Context, owner: Owner) -> Result<Env<'a>, Diagnostics> {
        let (clients, tagging) = crate::aws::access(&self.configured).await?;
        Ok(Env {
            ctx,
            clients,
            tagging,
            owner,
        })
    }
}

#[async_trait]
impl<C: Composite> Resource for CompositeResource<C> {
    fn type_name(&self) -> &'static str {
        C::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        C::schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        C::validate(config, diags);
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
        let owner = recorded_owner::<C>(prior)
            .unwrap_or_else(|| Owner::planned(C::TYPE_NAME, &C::identity(&plan.planned)));
        let env = match self.env(ctx, owner).await {
            Ok(env) => env,
            Err(diags) => {
                plan.diags.extend(diags);
                return plan;
            }
        };
        let planned_tags = tags_all(&plan.planned, &env.tagging);
        let tag_errors =
            check_merged_tags(C::tag_rules(config), C::TAG_RULES, config, &planned_tags);
        plan.planned.set_attribute("tags_all", planned_tags);
        if tag_errors.has_errors() {
            plan.diags.extend(tag_errors);
            return plan;
        }
        self.composite.plan(&env, prior, config, &mut plan).await;
        plan
    }

    async fn create(&self, ctx: &Context, mut planned: Value) -> ApplyResult {
        C::prepare_create(&mut planned);
        let owner = Owner::new(C::TYPE_NAME, &C::identity(&planned));
        planned.set_attribute("id", Value::String(owner.id.clone()));
        let env = match self.env(ctx, owner).await {
            Ok(env) => env,
            Err(diags) => return ApplyResult { state: None, diags },
        };
        let mut result = self.composite.apply(&env, &Value::Null, planned).await;
        if let Some(state) = &result.state {
            let made = C::made(state);
            let finished = finish_create(&env.clients, &made.ec2_ids, &made.arns).await;
            result.diags.extend(finished);
        }
        result
    }

    async fn read(
        &self,
        ctx: &Context,
        prior: Value,
    ) -> Result<(Option<Value>, Diagnostics), Diagnostics> {
        let Some(owner) = recorded_owner::<C>(&prior) else {
            return Ok((None, Diagnostics::new()));
        };
        let env = self.env(ctx, owner).await?;
        let Some(refreshed) = self.composite.refresh(&env, prior).await? else {
            return Ok((None, Diagnostics::new()));
        };
        let mut state = refreshed.state;
        if let Some(live) = &refreshed.live_tags {
            let (tags, tags_all) = observed_tags(&state, live, &env.tagging);
            state.set_attribute("tags", tags);
            state.set_attribute("tags_all", tags_all);
        }
        Ok((Some(state), refreshed.diags))
    }

    async fn update(&self, ctx: &Context, prior: Value, planned: Value) -> ApplyResult {
        let owner = recorded_owner::<C>(&prior)
            .unwrap_or_else(|| Owner::planned(C::TYPE_NAME, &C::identity(&planned)));
        let env = match self.env(ctx, owner).await {
            Ok(env) => env,
            Err(diags) => {
                return ApplyResult {
                    state: Some(prior),
                    diags,
                }
            }
        };
        self.composite.apply(&env, &prior, planned).await
    }

    async fn delete(&self, ctx: &Context, prior: Value) -> Diagnostics {
        let Some(owner) = recorded_owner::<C>(&prior) else {
            return Diagnostics::new();
        };
        let env = match self.env(ctx, owner).await {
            Ok(env) => env,
            Err(diags) => return diags,
        };
        let diags = self.composite.delete(&env, &prior).await;
        if !diags.has_errors() {
            // What it reserved may be made by the instance replacing it.
            release(&env.owner.id);
        }
        diags
    }

    async fn import(&self, ctx: &Context, id: &str) -> Result<Value, Diagnostics> {
        C::check_import_id(id).map_err(|e| {
            Diagnostics::from_error("Cannot import", format!("{e} {}", C::IMPORT_HINT))
        })?;
        let owner = Owner::planned(C::TYPE_NAME, id_key(id));
        let env = self.env(ctx, owner).await?;
        self.composite.import(&env, id).await
    }
}
