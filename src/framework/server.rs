//! Answers each plugin RPC in framework terms: finds the resource or data
//! source, runs schema validators and plan rules, calls the author's code,
//! and keeps results inside Terraform's rules (known after apply, partial
//! state on failure). The protocol layer adapts protobuf to these methods.

use super::diagnostics::Diagnostics;
use super::function::{Function, FunctionError};
use super::plan::{conform_to_config, plan_change};
use super::schema::Schema;
use super::timeouts;
use super::traits::{ApplyResult, Context, DataSource, InState, PlanResult, Provider, Resource};
use crate::value::{from_state_json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Added to the first error of a failed plan. Before `terraform destroy`
/// Terraform refreshes through a normal plan of the configuration
/// (`PreDestroyRefresh`, terraform 1.11), which a provider cannot tell from
/// any other plan, so a failing plan-time check stops the destroy as well;
/// `-refresh=false` skips that plan. (The destroy plan itself, a null
/// proposed state, runs no check.)
pub const DESTROY_NOTE: &str =
    "If this stops terraform destroy (Terraform plans the configuration \
    before destroying), run terraform destroy -refresh=false, or fix the input first.";

/// A provider with its schemas computed once per process.
pub struct ProviderServer {
    provider: Arc<dyn Provider>,
    provider_schema: Schema,
    resources: BTreeMap<&'static str, (Arc<dyn Resource>, Schema)>,
    data_sources: BTreeMap<&'static str, (Arc<dyn DataSource>, Schema)>,
    functions: BTreeMap<&'static str, Arc<dyn Function>>,
    /// Planned values put back to the configuration (see
    /// [`conform_to_config`]): each is a resource bug, zero in a sound run.
    plan_corrections: std::sync::atomic::AtomicUsize,
    stop: CancellationToken,
    in_state: Arc<InState>,
}

impl ProviderServer {
    /// Collects the provider's resources and data sources with their schemas.
    pub fn new(provider: Arc<dyn Provider>) -> Self {
        let resources = provider
            .resources()
            .into_iter()
            .map(|r| (r.type_name(), (r.clone(), r.schema())));
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|d| (d.type_name(), (d.clone(), d.schema())));
        let functions = provider.functions().into_iter().map(|f| (f.name(), f));
        ProviderServer {
            provider_schema: provider.schema(),
            resources: resources.collect(),
            data_sources: data_sources.collect(),
            functions: functions.collect(),
            plan_corrections: Default::default(),
            provider,
            stop: CancellationToken::new(),
            in_state: Arc::default(),
        }
    }

    /// The provider's local name.
    pub fn type_name(&self) -> &'static str {
        self.provider.type_name()
    }

    /// The schema of the `provider` block.
    pub fn provider_schema(&self) -> &Schema {
        &self.provider_schema
    }

    /// Every resource type with its schema.
    pub fn resource_schemas(&self) -> impl Iterator<Item = (&'static str, &Schema)> {
        self.resources
            .iter()
            .map(|(name, (_, schema))| (*name, schema))
    }

    /// Every data source type with its schema.
    pub fn data_source_schemas(&self) -> impl Iterator<Item = (&'static str, &Schema)> {
        self.data_sources
            .iter()
            .map(|(name, (_, schema))| (*name, schema))
    }

    /// The schema of resource type `name`.
    pub fn resource_schema(&self, name: &str) -> Result<&Schema, Diagnostics> {
        self.resource(name).map(|(_, schema)| schema)
    }

    /// The schema of data source type `name`.
    pub fn data_source_schema(&self, name: &str) -> Result<&Schema, Diagnostics> {
        self.data_source(name).map(|(_, schema)| schema)
    }

    /// Cancels in-flight work (StopProvider).
    pub fn stop(&self) {
        self.stop.cancel();
    }

    fn context(&self) -> Context {
        Context {
            cancel: self.stop.clone(),
            in_state: self.in_state.clone(),
            deadline: None,
        }
    }

    /// A context for an operation limited to `limit`: cancelled at the
    /// deadline as well as on StopProvider.
    fn context_until(&self, limit: std::time::Duration) -> Context {
        let deadline = tokio::time::Instant::now() + limit;
        let cancel = self.stop.child_token();
        let timer = cancel.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => timer.cancel(),
                () = timer.cancelled() => {}
            }
        });
        Context {
            cancel,
            in_state: self.in_state.clone(),
            deadline: Some(deadline),
        }
    }

    /// The provider-defined functions by name.
    pub fn functions(&self) -> impl Iterator<Item = (&'static str, &dyn Function)> {
        self.functions.iter().map(|(name, f)| (*name, f.as_ref()))
    }

    /// How many planned values the server has put back to the
    /// configuration so far (resource bugs it repaired).
    pub fn plan_corrections(&self) -> usize {
        self.plan_corrections
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Function `name`, or the error Terraform shows for a name this
    /// provider does not have.
    pub fn function(&self, name: &str) -> Result<&dyn Function, FunctionError> {
        self.functions
            .get(name)
            .map(|f| f.as_ref())
            .ok_or_else(|| FunctionError {
                text: format!("This provider has no function {name:?}."),
                argument: None,
            })
    }

    /// Static checks of the provider block.
    pub fn validate_provider_config(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        self.provider_schema
            .block
            .validate(config, None, &mut diags);
        self.provider.validate_config(config, &mut diags);
        diags
    }

    /// Keeps the provider configuration (no network call).
    pub async fn configure(&self, config: Value) -> Diagnostics {
        let mut diags = self.validate_provider_config(&config);
        if !diags.has_errors() {
            diags.extend(self.provider.configure(&self.context(), config).await);
        }
        diags
    }

    /// Static checks of a resource configuration.
    pub fn validate_resource_config(&self, name: &str, config: &Value) -> Diagnostics {
        match self.resource(name) {
            Ok((resource, schema)) => {
                let mut diags = Diagnostics::new();
                schema.block.validate(config, None, &mut diags);
                resource.validate(config, &mut diags);
                diags
            }
            Err(diags) => diags,
        }
    }

    /// Static checks of a data source configuration.
    pub fn validate_data_source_config(&self, name: &str, config: &Value) -> Diagnostics {
        match self.data_source(name) {
            Ok((data_source, schema)) => {
                let mut diags = Diagnostics::new();
                schema.block.validate(config, None, &mut diags);
                data_source.validate(config, &mut diags);
                diags
            }
            Err(diags) => diags,
        }
    }

    /// Reads a data source.
    pub async fn read_data_source(
        &self,
        name: &str,
        config: Value,
    ) -> (Option<Value>, Diagnostics) {
        let (data_source, _) = match self.data_source(name) {
            Ok(found) => found,
            Err(diags) => return (None, diags),
        };
        match data_source.read(&self.context(), config).await {
            Ok((state, diags)) => (Some(state), diags),
            Err(diags) => (None, diags),
        }
    }

    /// Lets the resource upgrade the stored state JSON from `version`, then
    /// decodes it with the current schema.
    pub fn upgrade_resource_state(
        &self,
        name: &str,
        version: i64,
        json: &[u8],
    ) -> (Option<Value>, Diagnostics) {
        let (resource, schema) = match self.resource(name) {
            Ok(found) => found,
            Err(diags) => return (None, diags),
        };
        let unreadable = |e: String| {
            let detail = format!(
                "The stored state of this {name} could not be read ({e}). Restore the state file \
                 from a backup, or remove the resource from state with `terraform state rm` and import it."
            );
            (
                None,
                Diagnostics::from_error("Unreadable resource state", detail),
            )
        };
        let stored: serde_json::Value = match serde_json::from_slice(json) {
            Ok(stored) => stored,
            Err(e) => return unreadable(e.to_string()),
        };
        let upgraded = match resource.upgrade_state(version, stored) {
            Ok(upgraded) => upgraded,
            Err(diags) => return (None, diags),
        };
        let bytes = serde_json::to_vec(&upgraded).unwrap_or_default();
        match from_state_json(&bytes, &schema.value_type()) {
            Ok(state) => {
                self.in_state.record(name, &state);
                (Some(state), Diagnostics::new())
            }
            Err(e) => unreadable(e.to_string()),
        }
    }

    /// Refreshes a resource; `None` when it is gone. On error the prior
    /// state is kept.
    pub async fn read_resource(&self, name: &str, state: Value) -> (Option<Value>, Diagnostics) {
        let (resource, _) = match self.resource(name) {
            Ok(found) => found,
            Err(diags) => return (Some(state), diags),
        };
        self.in_state.record(name, &state);
        match resource.read(&self.context(), state.clone()).await {
            Ok(found) => found,
            Err(diags) => (Some(state), diags),
        }
    }

    /// Plans a change: framework plan rules, then the resource's own.
    pub async fn plan_resource_change(
        &self,
        name: &str,
        prior: Value,
        proposed: Value,
        config: Value,
    ) -> PlanResult {
        let (resource, schema) = match self.resource(name) {
            Ok(found) => found,
            Err(diags) => {
                return PlanResult {
                    planned: proposed,
                    requires_replace: Vec::new(),
                    diags,
                }
            }
        };
        self.in_state.record(name, &prior);
        let plan = plan_change(schema, &prior, &proposed, &config);
        let mut plan = resource
            .modify_plan(&self.context(), &prior, &config, plan)
            .await;
        if !plan.planned.is_null() {
            plan.diags.note_on_first_error(DESTROY_NOTE);
        }
        if !plan.planned.is_null() {
            let corrected = conform_to_config(&schema.block, &config, &prior, &mut plan.planned);
            if !corrected.is_empty() {
                self.plan_corrections
                    .fetch_add(corrected.len(), std::sync::atomic::Ordering::Relaxed);
                crate::log::warn(
                    "planned values differed from the configuration; kept the configuration",
                    &[
                        ("resource", serde_json::json!(name)),
                        ("attributes", serde_json::json!(corrected)),
                    ],
                );
            }
        }
        plan
    }

    /// Creates, updates or deletes. The returned state is wholly known: on
    /// failure what could not be learned is recorded as null.
    pub async fn apply_resource_change(
        &self,
        name: &str,
        prior: Value,
        planned: Value,
    ) -> ApplyResult {
        let (resource, _) = match self.resource(name) {
            Ok(found) => found,
            Err(diags) => {
                return ApplyResult {
                    state: Some(prior),
                    diags,
                }
            }
        };
        let (operation, limit) = match (prior.is_null(), planned.is_null()) {
            (_, true) => ("delete", timeouts::of(&prior, "delete")),
            (true, false) => ("create", timeouts::of(&planned, "create")),
            (false, false) => ("update", timeouts::of(&planned, "update")),
        };
        let ctx = self.context_until(limit);
        let mut result = if planned.is_null() {
            let diags = resource.delete(&ctx, prior.clone()).await;
            let state = if diags.has_errors() {
                Some(prior)
            } else {
                None
            };
            ApplyResult { state, diags }
        } else if prior.is_null() {
            resource.create(&ctx, planned).await
        } else {
            resource.update(&ctx, prior, planned).await
        };
        if ctx.timed_out() && result.diags.has_errors() {
            result.diags.error(
                format!("{name}: {operation} timed out"),
                format!(
                    "The {operation} did not finish within {} (timeouts.{operation}), so it stopped where it was. \
                     The state records what exists: run terraform {} again to finish, or raise timeouts.{operation}.",
                    timeouts::format(limit),
                    if operation == "delete" { "destroy" } else { "apply" }
                ),
            );
        }
        ctx.cancel.cancel(); // ends the deadline timer
        if let Some(state) = result.state.as_mut() {
            if !state.is_wholly_known() {
                if !result.diags.has_errors() {
                    result.diags.error(
                        "Provider left values unknown after apply",
                        format!("{name} returned a state with unknown values. This is a provider bug: report it."),
                    );
                }
                null_unknowns(state);
            }
        }
        result
    }

    /// Starts an import: the resource turns `id` into a minimal state.
    pub async fn import_resource_state(
        &self,
        name: &str,
        id: &str,
    ) -> (Option<Value>, Diagnostics) {
        let (resource, _) = match self.resource(name) {
            Ok(found) => found,
            Err(diags) => return (None, diags),
        };
        match resource.import(&self.context(), id).await {
            Ok(state) => (Some(state), Diagnostics::new()),
            Err(diags) => (None, diags),
        }
    }

    fn resource(&self, name: &str) -> Result<&(Arc<dyn Resource>, Schema), Diagnostics> {
        self.resources
            .get(name)
            .ok_or_else(|| unknown_type("resource", name))
    }

    fn data_source(&self, name: &str) -> Result<&(Arc<dyn DataSource>, Schema), Diagnostics> {
        self.data_sources
            .get(name)
            .ok_or_else(|| unknown_type("data source", name))
    }
}

fn unknown_type(kind: &str, name: &str) -> Diagnostics {
    Diagnostics::from_error(
        format!("Unknown {kind} type {name:?}"),
        format!("This provider has no {kind} called {name:?}. Check the spelling, or upgrade the provider."),
    )
}

/// Replaces every unknown inside `value` by null.
fn null_unknowns(value: &mut Value) {
    match value {
        Value::Unknown => *value = Value::Null,
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            items.iter_mut().for_each(null_unknowns)
        }
        Value::Map(entries) | Value::Object(entries) => {
            entries.values_mut().for_each(null_unknowns)
        }
        _ => {}
    }
}
