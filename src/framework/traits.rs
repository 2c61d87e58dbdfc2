//! What a provider, a resource and a data source implement. Each method takes
//! framework values and returns values plus [`Diagnostics`]; none sees
//! protobuf or msgpack.
//!
//! A [`Resource`] implements schema, create, read, update and delete; it may
//! override `validate` (static checks), `modify_plan` (remote checks and
//! computed values at plan), `import` and `upgrade_state`.

use super::diagnostics::Diagnostics;
use super::schema::Schema;
use crate::value::Value;
use async_trait::async_trait;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Per-request context.
#[derive(Clone, Default)]
pub struct Context {
    /// Cancelled when Terraform calls StopProvider (Ctrl-C): long waits must
    /// watch it and return what they have.
    pub cancel: CancellationToken,
    /// The instances this process has seen in the Terraform state it serves.
    pub in_state: Arc<InState>,
    /// When the operation's `timeouts` limit runs out (create, update and
    /// delete only); `cancel` fires then too.
    pub deadline: Option<tokio::time::Instant>,
}

impl Context {
    /// How long the operation may still take: until its deadline, else the
    /// default limit.
    pub fn time_left(&self) -> std::time::Duration {
        match self.deadline {
            Some(deadline) => deadline.saturating_duration_since(tokio::time::Instant::now()),
            None => super::timeouts::DEFAULT,
        }
    }

    /// True once the operation's deadline has passed.
    pub fn timed_out(&self) -> bool {
        self.deadline
            .is_some_and(|deadline| tokio::time::Instant::now() >= deadline)
    }
}

/// The `id`s of the resource instances that the Terraform state served by
/// this process records, as far as this process has seen them: read from
/// state (UpgradeResourceState), refreshed, or planned with a prior state.
/// A create planned while an instance it saw still exists is a replacement
/// of that instance (`-replace`, a tainted object, `create_before_destroy`)
/// — not another state's object. Creates never rely on it: they check the
/// account again before making anything.
#[derive(Default)]
pub struct InState(std::sync::Mutex<std::collections::BTreeSet<String>>);

impl InState {
    /// Records the `id` of a state value of resource type `type_name`, if
    /// it has one.
    pub fn record(&self, type_name: &str, state: &Value) {
        if let Some(id) = state.get("id").and_then(Value::as_str) {
            let mut ids = self.0.lock().unwrap_or_else(|e| e.into_inner());
            ids.insert(format!("{type_name} {id}"));
        }
    }

    /// True when an instance of `type_name` with this `id` was seen in the
    /// state. It is a plan-time hint only (Terraform walks resources in
    /// parallel): creates check the account again before making anything.
    pub fn contains(&self, type_name: &str, id: &str) -> bool {
        let ids = self.0.lock().unwrap_or_else(|e| e.into_inner());
        ids.contains(&format!("{type_name} {id}"))
    }
}

/// The provider: its configuration and what it offers.
#[async_trait]
pub trait Provider: Send + Sync {
    /// The provider's local name, the prefix of every type name.
    fn type_name(&self) -> &'static str;
    /// The schema of the `provider` block.
    fn schema(&self) -> Schema;
    /// Static checks of the provider block beyond per-attribute validators.
    fn validate_config(&self, _config: &Value, _diags: &mut Diagnostics) {}
    /// Keeps the configuration for later requests. Must stay cheap: no
    /// network call here, clients are built when first needed.
    async fn configure(&self, ctx: &Context, config: Value) -> Diagnostics;
    /// The managed resources.
    fn resources(&self) -> Vec<Arc<dyn Resource>>;
    /// The data sources.
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>>;
    /// The provider-defined functions (none by default).
    fn functions(&self) -> Vec<Arc<dyn super::function::Function>> {
        Vec::new()
    }
}

/// A data source: reads, never changes anything.
#[async_trait]
pub trait DataSource: Send + Sync {
    /// The full type name, e.g. `sagemaker_endpoint_services`.
    fn type_name(&self) -> &'static str;
    /// The schema.
    fn schema(&self) -> Schema;
    /// Static checks beyond per-attribute validators.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    /// Reads the data for a wholly known `config`; the result has every
    /// attribute known.
    async fn read(&self, ctx: &Context, config: Value)
        -> Result<(Value, Diagnostics), Diagnostics>;
}

/// What a plan step decided.
pub struct PlanResult {
    pub planned: Value,
    /// Attributes whose change forces replacement.
    pub requires_replace: Vec<super::path::AttrPath>,
    pub diags: Diagnostics,
}

/// The outcome of create or update: the state to record, even on error
/// (partial state), so Terraform never loses an object that was made.
pub struct ApplyResult {
    /// The new state; `None` only when nothing exists.
    pub state: Option<Value>,
    pub diags: Diagnostics,
}

/// A managed resource.
#[async_trait]
pub trait Resource: Send + Sync {
    /// The full type name, e.g. `sagemaker_private_network`.
    fn type_name(&self) -> &'static str;
    /// The schema.
    fn schema(&self) -> Schema;
    /// Static checks beyond per-attribute validators.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    /// Adjusts the plan the framework computed (attribute plan modifiers
    /// already applied): remote checks, computed values known at plan.
    /// `prior` is null on create; `planned` is null on destroy.
    async fn modify_plan(
        &self,
        _ctx: &Context,
        _prior: &Value,
        _config: &Value,
        plan: PlanResult,
    ) -> PlanResult {
        plan
    }
    /// Creates the objects for `planned` and returns the state read back.
    async fn create(&self, ctx: &Context, planned: Value) -> ApplyResult;
    /// Refreshes `state`; `Ok(None)` when the object is gone.
    async fn read(
        &self,
        ctx: &Context,
        state: Value,
    ) -> Result<(Option<Value>, Diagnostics), Diagnostics>;
    /// Changes the objects from `prior` to `planned` in place.
    async fn update(&self, ctx: &Context, prior: Value, planned: Value) -> ApplyResult;
    /// Deletes everything `prior` records; objects already gone are fine.
    async fn delete(&self, ctx: &Context, prior: Value) -> Diagnostics;
    /// A state holding at least the identity for `id`; read fills the rest.
    async fn import(&self, _ctx: &Context, id: &str) -> Result<Value, Diagnostics> {
        Err(Diagnostics::from_error(
            format!("{} cannot be imported", self.type_name()),
            format!(
                "Import of {id:?} was requested but this resource type does not support import."
            ),
        ))
    }
    /// Converts the stored state JSON written by schema `version` into the
    /// JSON of the current schema (rename, retype, fill). It runs before the
    /// state is decoded with the current schema, so nothing an older schema
    /// stored is lost; attributes the current schema lacks are then dropped.
    fn upgrade_state(
        &self,
        _version: i64,
        state: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostics> {
        Ok(state)
    }
}
