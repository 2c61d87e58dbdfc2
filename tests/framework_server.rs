//! Tests of [`ProviderServer`] in framework terms (no gRPC, no AWS): a toy
//! provider `toy` offers `toy_widget`, an in-memory resource whose
//! create/read/update/delete/import act on a shared store, and `toy_sealed`,
//! a resource that keeps every trait default (no import, no upgrade).
//!
//! The widget misbehaves on purpose for some names (see the `*_NAME`
//! constants): it leaves values unknown, fails midway, refuses deletion,
//! fails to read, or waits for cancellation. Each test checks one rule from
//! `docs/protocol.md` ("Plan/apply rules Terraform enforces", "Import, read,
//! upgrade") as the server applies it.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tfprovider_sagemaker::framework::server::ProviderServer;
use tfprovider_sagemaker::framework::typed::to_value;
use tfprovider_sagemaker::framework::validators::{IntBetween, OneOf, Validator};
use tfprovider_sagemaker::framework::{
    ApplyResult, AttrPath, Attribute, Block, Context, DataSource, Diagnostic, Diagnostics,
    Provider, Resource, Schema, Severity,
};
use tfprovider_sagemaker::value::{Number, Type, Value};
use tokio::sync::Notify;

const WIDGET: &str = "toy_widget";
const SEALED: &str = "toy_sealed";

/// Create returns `arn` still unknown (a provider bug the server must catch).
const LEAVES_UNKNOWN_NAME: &str = "leaves-unknown";
/// Create makes the widget, then fails to tag it: partial state + error.
const FAILS_MIDWAY_NAME: &str = "fails-midway";
/// Create waits for `ctx.cancel` (or 30 s) before finishing.
const SLOW_NAME: &str = "slow";
/// Delete fails.
const UNDELETABLE_NAME: &str = "undeletable";
/// Read fails.
const UNREADABLE_NAME: &str = "unreadable";

/// How long the slow create waits when nobody cancels it.
const SLOW_CREATE: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------- toy resource

/// Holds the server to the validator contract: errors if it is ever handed
/// an unknown or null value (the built-in validators ignore those silently,
/// so they could not tell).
struct OnlyKnown;

impl Validator for OnlyKnown {
    fn description(&self) -> String {
        "must be known".into()
    }

    fn validate(&self, path: &AttrPath, value: &Value, diags: &mut Diagnostics) {
        if value.is_unknown() || value.is_null() {
            diags.attribute_error(path.clone(), "Validator saw an unknown or null value", "");
        }
    }
}

/// A widget as the store keeps it; also its state, via `typed::to_value`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Widget {
    id: String,
    name: String,
    size: Option<i64>,
    tags: Option<BTreeMap<String, String>>,
    arn: Option<String>,
}

type Store = Arc<Mutex<BTreeMap<String, Widget>>>;

/// The `toy_widget` resource.
#[derive(Default)]
struct Widgets {
    store: Store,
    next_id: AtomicU64,
    /// Notified when a slow create is in flight.
    slow_started: Arc<Notify>,
    /// Every version `upgrade_state` was called with.
    upgraded_from: Mutex<Vec<i64>>,
}

fn widget_schema() -> Schema {
    let block = Block::new("A toy widget kept in memory.")
        .attribute(Attribute::computed("id", Type::String).use_state_for_unknown())
        .attribute(
            Attribute::required("name", Type::String)
                .requires_replace()
                .validator(OnlyKnown),
        )
        .attribute(
            Attribute::optional("size", Type::Number)
                .validator(IntBetween(1, 10))
                .validator(OnlyKnown),
        )
        .attribute(Attribute::optional("tags", Type::map(Type::String)))
        .attribute(Attribute::computed("arn", Type::String));
    let mut schema = Schema::new(block);
    schema.version = 1;
    schema
}

impl Widgets {
    fn insert(&self, widget: &Widget) {
        let mut store = self.store.lock().unwrap();
        store.insert(widget.id.clone(), widget.clone());
    }

    /// A new widget built from the known values of `planned`.
    fn new_widget(&self, planned: &Value) -> Widget {
        let id = format!("w-{}", self.next_id.fetch_add(1, Ordering::SeqCst) + 1);
        Widget {
            arn: Some(format!("arn:toy:widget/{id}")),
            id,
            name: str_attr(planned, "name").unwrap_or_default().to_owned(),
            size: int_attr(planned, "size"),
            tags: tags_attr(planned),
        }
    }
}

#[async_trait]
impl Resource for Widgets {
    fn type_name(&self) -> &'static str {
        WIDGET
    }

    fn schema(&self) -> Schema {
        widget_schema()
    }

    async fn create(&self, ctx: &Context, planned: Value) -> ApplyResult {
        let mut widget = self.new_widget(&planned);
        match widget.name.as_str() {
            LEAVES_UNKNOWN_NAME => {
                self.insert(&widget);
                // Bug on purpose: sets the id but forgets the planned-unknown arn.
                let state = with_attr(&planned, "id", s(&widget.id));
                ApplyResult {
                    state: Some(state),
                    diags: Diagnostics::new(),
                }
            }
            FAILS_MIDWAY_NAME => {
                // Made, but tagging failed and the arn was never read back.
                widget.tags = None;
                widget.arn = None;
                self.insert(&widget);
                ApplyResult {
                    state: Some(widget_state(&widget)),
                    diags: Diagnostics::from_error("Tagging failed", "toy: tags rejected"),
                }
            }
            SLOW_NAME => {
                let made = Widget {
                    arn: None,
                    ..widget.clone()
                };
                self.insert(&made);
                self.slow_started.notify_one();
                match tokio::time::timeout(SLOW_CREATE, ctx.cancel.cancelled()).await {
                    Ok(()) => ApplyResult {
                        state: Some(widget_state(&made)),
                        diags: Diagnostics::from_error(
                            "Create interrupted",
                            "toy: stopped before the widget was ready",
                        ),
                    },
                    Err(_) => {
                        self.insert(&widget);
                        ApplyResult {
                            state: Some(widget_state(&widget)),
                            diags: Diagnostics::new(),
                        }
                    }
                }
            }
            _ => {
                self.insert(&widget);
                ApplyResult {
                    state: Some(widget_state(&widget)),
                    diags: Diagnostics::new(),
                }
            }
        }
    }

    async fn read(
        &self,
        _ctx: &Context,
        state: Value,
    ) -> Result<(Option<Value>, Diagnostics), Diagnostics> {
        let id = str_attr(&state, "id").unwrap_or_default();
        let found = self.store.lock().unwrap().get(id).cloned();
        match found {
            Some(w) if w.name == UNREADABLE_NAME => Err(Diagnostics::from_error(
                "Reading widget failed",
                "toy: store unavailable",
            )),
            Some(w) => Ok((Some(widget_state(&w)), Diagnostics::new())),
            None => Ok((None, Diagnostics::new())),
        }
    }

    async fn update(&self, _ctx: &Context, prior: Value, planned: Value) -> ApplyResult {
        let id = str_attr(&prior, "id").unwrap_or_default().to_owned();
        let mut store = self.store.lock().unwrap();
        let Some(widget) = store.get_mut(&id) else {
            return ApplyResult {
                state: None,
                diags: Diagnostics::from_error("Widget gone", id),
            };
        };
        widget.size = int_attr(&planned, "size");
        widget.tags = tags_attr(&planned);
        ApplyResult {
            state: Some(widget_state(widget)),
            diags: Diagnostics::new(),
        }
    }

    async fn delete(&self, _ctx: &Context, prior: Value) -> Diagnostics {
        if str_attr(&prior, "name") == Some(UNDELETABLE_NAME) {
            return Diagnostics::from_error("Deleting widget failed", "toy: widget is locked");
        }
        let id = str_attr(&prior, "id").unwrap_or_default();
        self.store.lock().unwrap().remove(id);
        Diagnostics::new()
    }

    async fn import(&self, _ctx: &Context, id: &str) -> Result<Value, Diagnostics> {
        Ok(with_attr(&null_widget_state(), "id", s(id)))
    }

    /// Version 0 called `name` `title` and wrote tag keys capitalised.
    fn upgrade_state(&self, version: i64, state: Json) -> Result<Json, Diagnostics> {
        self.upgraded_from.lock().unwrap().push(version);
        if version != 0 {
            return Ok(state);
        }
        let Json::Object(mut attrs) = state else {
            return Ok(state);
        };
        if let Some(title) = attrs.remove("title") {
            attrs.insert("name".into(), title);
        }
        if let Some(Json::Object(tags)) = attrs.get_mut("tags") {
            *tags = std::mem::take(tags)
                .into_iter()
                .map(|(k, v)| (k.to_lowercase(), v))
                .collect();
        }
        Ok(Json::Object(attrs))
    }
}

/// The `toy_sealed` resource: every optional trait method left at its default.
struct Sealed;

#[async_trait]
impl Resource for Sealed {
    fn type_name(&self) -> &'static str {
        SEALED
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new("Cannot be imported.").attribute(Attribute::computed("id", Type::String)),
        )
    }

    async fn create(&self, _ctx: &Context, planned: Value) -> ApplyResult {
        ApplyResult {
            state: Some(planned),
            diags: Diagnostics::new(),
        }
    }

    async fn read(
        &self,
        _ctx: &Context,
        state: Value,
    ) -> Result<(Option<Value>, Diagnostics), Diagnostics> {
        Ok((Some(state), Diagnostics::new()))
    }

    async fn update(&self, _ctx: &Context, _prior: Value, planned: Value) -> ApplyResult {
        ApplyResult {
            state: Some(planned),
            diags: Diagnostics::new(),
        }
    }

    async fn delete(&self, _ctx: &Context, _prior: Value) -> Diagnostics {
        Diagnostics::new()
    }
}

// ---------------------------------------------------------------- toy provider

/// The `toy` provider: records the configuration it was given.
struct Toy {
    widgets: Arc<Widgets>,
    configured: Mutex<Option<Value>>,
}

#[async_trait]
impl Provider for Toy {
    fn type_name(&self) -> &'static str {
        "toy"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new("The toy provider.")
                .attribute(
                    Attribute::required("region", Type::String)
                        .validator(OneOf(&["eu-west-1", "us-east-1"])),
                )
                .attribute(
                    Attribute::optional("max_retries", Type::Number).validator(IntBetween(0, 5)),
                ),
        )
    }

    async fn configure(&self, _ctx: &Context, config: Value) -> Diagnostics {
        *self.configured.lock().unwrap() = Some(config);
        Diagnostics::new()
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![self.widgets.clone(), Arc::new(Sealed)]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }
}

/// A server over a fresh toy provider, with handles on its insides.
struct Harness {
    server: Arc<ProviderServer>,
    toy: Arc<Toy>,
    widgets: Arc<Widgets>,
}

impl Harness {
    fn new() -> Self {
        let widgets = Arc::new(Widgets::default());
        let toy = Arc::new(Toy {
            widgets: widgets.clone(),
            configured: Mutex::new(None),
        });
        let server = Arc::new(ProviderServer::new(toy.clone()));
        Harness {
            server,
            toy,
            widgets,
        }
    }

    fn stored(&self, id: &str) -> Option<Widget> {
        self.widgets.store.lock().unwrap().get(id).cloned()
    }

    /// Puts a widget straight into the store and returns its state.
    fn seed(&self, id: &str, name: &str, size: Option<i64>) -> Value {
        let widget = Widget {
            id: id.into(),
            name: name.into(),
            size,
            tags: None,
            arn: Some(format!("arn:toy:widget/{id}")),
        };
        self.widgets.insert(&widget);
        widget_state(&widget)
    }

    /// Plans the creation of `config` (Terraform proposes the config itself).
    async fn plan_create(&self, config: &Value) -> Value {
        let plan = (self.server)
            .plan_resource_change(WIDGET, Value::Null, config.clone(), config.clone())
            .await;
        assert_no_errors(&plan.diags);
        plan.planned
    }
}

// ---------------------------------------------------------------- value helpers

fn s(text: &str) -> Value {
    Value::String(text.into())
}

fn num(i: i64) -> Value {
    Value::Number(Number::Int(i))
}

fn obj(pairs: &[(&str, Value)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    )
}

/// `value` (an object) with attribute `name` set to `v`.
fn with_attr(value: &Value, name: &str, v: Value) -> Value {
    let Value::Object(attrs) = value else {
        panic!("not an object: {value:?}");
    };
    let mut attrs = attrs.clone();
    attrs.insert(name.into(), v);
    Value::Object(attrs)
}

fn str_attr<'a>(value: &'a Value, name: &str) -> Option<&'a str> {
    value.get(name).and_then(Value::as_str)
}

fn int_attr(value: &Value, name: &str) -> Option<i64> {
    match value.get(name) {
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    }
}

fn tags_attr(value: &Value) -> Option<BTreeMap<String, String>> {
    let Some(Value::Map(tags)) = value.get("tags") else {
        return None;
    };
    let text = |(k, v): (&String, &Value)| Some((k.clone(), v.as_str()?.to_owned()));
    Some(tags.iter().filter_map(text).collect())
}

/// The state of `widget`, through the typed layer.
fn widget_state(widget: &Widget) -> Value {
    to_value(widget, &widget_schema().value_type()).expect("widget state")
}

/// A widget object with every attribute null.
fn null_widget_state() -> Value {
    obj(&[
        ("id", Value::Null),
        ("name", Value::Null),
        ("size", Value::Null),
        ("tags", Value::Null),
        ("arn", Value::Null),
    ])
}

/// A widget configuration: computed attributes null, no tags.
fn widget_config(name: &str, size: Option<i64>) -> Value {
    let config = with_attr(&null_widget_state(), "name", s(name));
    with_attr(&config, "size", size.map_or(Value::Null, num))
}

/// The configuration that matches `state` (computed attributes null).
fn config_of(state: &Value) -> Value {
    with_attr(&with_attr(state, "id", Value::Null), "arn", Value::Null)
}

// ---------------------------------------------------------------- diagnostics helpers

fn errors(diags: &Diagnostics) -> Vec<&Diagnostic> {
    diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect()
}

fn assert_no_errors(diags: &Diagnostics) {
    assert!(!diags.has_errors(), "unexpected errors:\n{diags}");
}

/// The only error in `diags`.
fn single_error(diags: &Diagnostics) -> &Diagnostic {
    match errors(diags).as_slice() {
        [only] => only,
        _ => panic!("expected exactly one error, got:\n{diags}"),
    }
}

// ---------------------------------------------------------------- validate

#[tokio::test]
async fn validate_reports_validator_error_at_attribute_path() {
    let h = Harness::new();
    let diags = h
        .server
        .validate_resource_config(WIDGET, &widget_config("a", Some(11)));
    let error = single_error(&diags);
    assert_eq!(error.path, Some(AttrPath::root("size")));
    assert!(error.detail.contains("11"), "detail: {}", error.detail);

    let ok = (h.server).validate_resource_config(WIDGET, &widget_config("a", Some(10)));
    assert!(ok.is_empty(), "in range must pass:\n{ok}");
}

#[tokio::test]
async fn validate_skips_unknown_values() {
    let h = Harness::new();
    let config = with_attr(&widget_config("a", None), "size", Value::Unknown);
    let config = with_attr(&config, "name", Value::Unknown);
    let diags = h.server.validate_resource_config(WIDGET, &config);
    assert!(diags.is_empty(), "unknowns are not validated:\n{diags}");
}

#[tokio::test]
async fn validate_names_an_unknown_resource_type() {
    let h = Harness::new();
    let diags = (h.server).validate_resource_config("toy_gadget", &widget_config("a", None));
    let error = single_error(&diags);
    assert!(
        error.summary.contains("toy_gadget"),
        "summary: {}",
        error.summary
    );
    assert!(
        error.summary.contains("resource"),
        "summary: {}",
        error.summary
    );
    assert_eq!(error.path, None);
}

// ---------------------------------------------------------------- plan

#[tokio::test]
async fn plan_create_makes_computed_unknown_and_keeps_config() {
    let h = Harness::new();
    let tags = Value::Map(BTreeMap::from([("team".to_owned(), s("ml"))]));
    let config = with_attr(&widget_config("a", Some(3)), "tags", tags.clone());
    let plan = (h.server)
        .plan_resource_change(WIDGET, Value::Null, config.clone(), config.clone())
        .await;
    assert_no_errors(&plan.diags);
    assert!(plan.requires_replace.is_empty());
    let expected = obj(&[
        ("id", Value::Unknown),
        ("name", s("a")),
        ("size", num(3)),
        ("tags", tags),
        ("arn", Value::Unknown),
    ]);
    assert_eq!(plan.planned, expected);
}

#[tokio::test]
async fn plan_without_change_equals_prior() {
    let h = Harness::new();
    let prior = h.seed("w-1", "a", Some(3));
    let plan = (h.server)
        .plan_resource_change(WIDGET, prior.clone(), prior.clone(), config_of(&prior))
        .await;
    assert_no_errors(&plan.diags);
    assert_eq!(plan.planned, prior);
    assert!(plan.requires_replace.is_empty());
}

#[tokio::test]
async fn plan_with_changed_name_requires_replace() {
    let h = Harness::new();
    let prior = h.seed("w-1", "a", Some(3));
    let proposed = with_attr(&prior, "name", s("b"));
    let plan = (h.server)
        .plan_resource_change(WIDGET, prior, proposed.clone(), config_of(&proposed))
        .await;
    assert_no_errors(&plan.diags);
    assert_eq!(plan.requires_replace, vec![AttrPath::root("name")]);
}

#[tokio::test]
async fn plan_update_keeps_id_and_unknowns_arn() {
    let h = Harness::new();
    let prior = h.seed("w-1", "a", Some(3));
    let proposed = with_attr(&prior, "size", num(4));
    let plan = (h.server)
        .plan_resource_change(WIDGET, prior, proposed.clone(), config_of(&proposed))
        .await;
    assert_no_errors(&plan.diags);
    assert!(plan.requires_replace.is_empty(), "size updates in place");
    assert_eq!(
        plan.planned.get("id"),
        Some(&s("w-1")),
        "UseStateForUnknown"
    );
    assert_eq!(plan.planned.get("arn"), Some(&Value::Unknown));
    assert_eq!(plan.planned.get("size"), Some(&num(4)));
}

/// A null prior (attribute added by a newer schema, or nulled after a failed
/// apply) has nothing to keep: planning it known-null would forbid the
/// provider from ever setting it ("inconsistent result after apply").
#[tokio::test]
async fn plan_update_unknowns_use_state_for_unknown_when_prior_is_null() {
    let h = Harness::new();
    let prior = with_attr(&h.seed("w-1", "a", Some(3)), "id", Value::Null);
    let proposed = with_attr(&prior, "size", num(4));
    let plan = (h.server)
        .plan_resource_change(WIDGET, prior, proposed.clone(), config_of(&proposed))
        .await;
    assert_no_errors(&plan.diags);
    assert_eq!(plan.planned.get("id"), Some(&Value::Unknown));
}

// ---------------------------------------------------------------- apply

#[tokio::test]
async fn apply_create_returns_wholly_known_state() {
    let h = Harness::new();
    let planned = h.plan_create(&widget_config("a", Some(3))).await;
    let result = (h.server)
        .apply_resource_change(WIDGET, Value::Null, planned.clone())
        .await;
    assert!(result.diags.is_empty(), "{}", result.diags);
    let state = result.state.expect("created");
    assert!(state.is_wholly_known(), "{state:?}");
    let id = str_attr(&state, "id").expect("id set");
    assert_eq!(state.get("arn"), Some(&s(&format!("arn:toy:widget/{id}"))));
    for kept in ["name", "size", "tags"] {
        assert_eq!(state.get(kept), planned.get(kept), "planned {kept} kept");
    }
    assert_eq!(h.stored(id).map(|w| w.name), Some("a".to_owned()));
}

#[tokio::test]
async fn apply_nulls_unknowns_left_by_a_buggy_resource() {
    let h = Harness::new();
    let planned = h
        .plan_create(&widget_config(LEAVES_UNKNOWN_NAME, None))
        .await;
    let result = (h.server)
        .apply_resource_change(WIDGET, Value::Null, planned)
        .await;
    let error = single_error(&result.diags);
    assert!(
        error.summary.contains("unknown"),
        "summary: {}",
        error.summary
    );
    let state = result.state.expect("state kept");
    assert!(state.is_wholly_known(), "{state:?}");
    assert_eq!(state.get("arn"), Some(&Value::Null));
    assert_eq!(state.get("id"), Some(&s("w-1")), "known values kept");
}

#[tokio::test]
async fn apply_create_failing_midway_passes_partial_state_through() {
    let h = Harness::new();
    let tags = Value::Map(BTreeMap::from([("team".to_owned(), s("ml"))]));
    let config = with_attr(&widget_config(FAILS_MIDWAY_NAME, Some(2)), "tags", tags);
    let planned = h.plan_create(&config).await;
    let result = (h.server)
        .apply_resource_change(WIDGET, Value::Null, planned)
        .await;
    let partial = obj(&[
        ("id", s("w-1")),
        ("name", s(FAILS_MIDWAY_NAME)),
        ("size", num(2)),
        ("tags", Value::Null),
        ("arn", Value::Null),
    ]);
    assert_eq!(result.state, Some(partial), "partial state unchanged");
    assert_eq!(single_error(&result.diags).summary, "Tagging failed");
    assert_eq!(
        result.diags.iter().count(),
        1,
        "nothing added:\n{}",
        result.diags
    );
    assert!(h.stored("w-1").is_some());
}

#[tokio::test]
async fn apply_update_changes_in_place() {
    let h = Harness::new();
    let prior = h.seed("w-1", "a", Some(3));
    let proposed = with_attr(&prior, "size", num(4));
    let plan = (h.server)
        .plan_resource_change(
            WIDGET,
            prior.clone(),
            proposed.clone(),
            config_of(&proposed),
        )
        .await;
    let result = (h.server)
        .apply_resource_change(WIDGET, prior.clone(), plan.planned)
        .await;
    assert_no_errors(&result.diags);
    assert_eq!(result.state, Some(with_attr(&prior, "size", num(4))));
    assert_eq!(h.stored("w-1").and_then(|w| w.size), Some(4));
}

#[tokio::test]
async fn apply_destroy_deletes_and_returns_no_state() {
    let h = Harness::new();
    let prior = h.seed("w-1", "a", None);
    let result = (h.server)
        .apply_resource_change(WIDGET, prior, Value::Null)
        .await;
    assert!(result.diags.is_empty(), "{}", result.diags);
    assert_eq!(result.state, None);
    assert_eq!(h.stored("w-1"), None, "delete was called");
}

#[tokio::test]
async fn apply_destroy_failing_keeps_prior_state() {
    let h = Harness::new();
    let prior = h.seed("w-1", UNDELETABLE_NAME, None);
    let result = (h.server)
        .apply_resource_change(WIDGET, prior.clone(), Value::Null)
        .await;
    assert_eq!(
        single_error(&result.diags).summary,
        "Deleting widget failed"
    );
    assert_eq!(result.state, Some(prior));
    assert!(h.stored("w-1").is_some());
}

// ---------------------------------------------------------------- read

#[tokio::test]
async fn read_refreshes_from_the_remote_object() {
    let h = Harness::new();
    let prior = h.seed("w-1", "a", Some(3));
    h.seed("w-1", "a", Some(7)); // drift
    let (state, diags) = h.server.read_resource(WIDGET, prior.clone()).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(state, Some(with_attr(&prior, "size", num(7))));
}

#[tokio::test]
async fn read_of_gone_object_returns_none() {
    let h = Harness::new();
    let prior = h.seed("w-1", "a", None);
    h.widgets.store.lock().unwrap().clear();
    let (state, diags) = h.server.read_resource(WIDGET, prior).await;
    assert_no_errors(&diags);
    assert_eq!(state, None);
}

#[tokio::test]
async fn read_error_keeps_prior_state_with_diagnostics() {
    let h = Harness::new();
    let prior = h.seed("w-1", UNREADABLE_NAME, Some(3));
    let (state, diags) = h.server.read_resource(WIDGET, prior.clone()).await;
    assert_eq!(single_error(&diags).summary, "Reading widget failed");
    assert_eq!(state, Some(prior));
}

// ---------------------------------------------------------------- import

#[tokio::test]
async fn import_returns_state_from_import_then_read_fills_it() {
    let h = Harness::new();
    let remote = h.seed("w-7", "a", Some(5));
    let (state, diags) = h.server.import_resource_state(WIDGET, "w-7").await;
    assert!(diags.is_empty(), "{diags}");
    let imported = state.expect("imported");
    assert_eq!(imported, with_attr(&null_widget_state(), "id", s("w-7")));
    let (read, diags) = h.server.read_resource(WIDGET, imported).await;
    assert_no_errors(&diags);
    assert_eq!(read, Some(remote));
}

#[tokio::test]
async fn import_by_default_is_an_error_naming_the_type() {
    let h = Harness::new();
    let (state, diags) = h.server.import_resource_state(SEALED, "x-1").await;
    assert_eq!(state, None);
    let error = single_error(&diags);
    assert!(error.summary.contains(SEALED), "summary: {}", error.summary);
}

// ---------------------------------------------------------------- upgrade

#[tokio::test]
async fn upgrade_decodes_stored_json_with_current_schema() {
    let h = Harness::new();
    let stored = br#"{"id": "w-1", "name": "a", "size": 3, "colour": "blue"}"#;
    let (state, diags) = h.server.upgrade_resource_state(WIDGET, 1, stored);
    assert!(diags.is_empty(), "{diags}");
    let expected = obj(&[
        ("id", s("w-1")),
        ("name", s("a")),
        ("size", num(3)),
        ("tags", Value::Null),
        ("arn", Value::Null),
    ]);
    assert_eq!(state, Some(expected), "missing → null, dropped `colour`");
}

#[tokio::test]
async fn upgrade_passes_stored_version_to_the_resource() {
    let h = Harness::new();
    let stored = br#"{"id": "w-1", "name": "a", "tags": {"Team": "ml"}}"#;
    let tags = |key: &str| Value::Map(BTreeMap::from([(key.to_owned(), s("ml"))]));

    let (old, diags) = h.server.upgrade_resource_state(WIDGET, 0, stored);
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(old.expect("upgraded").get("tags"), Some(&tags("team")));

    let (current, diags) = h.server.upgrade_resource_state(WIDGET, 1, stored);
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(current.expect("upgraded").get("tags"), Some(&tags("Team")));

    assert_eq!(*h.widgets.upgraded_from.lock().unwrap(), vec![0, 1]);
}

#[tokio::test]
async fn upgrade_can_rename_an_attribute_from_version_0() {
    let h = Harness::new();
    let stored = br#"{"id": "w-1", "title": "old name", "size": 3, "arn": "arn:toy:widget/w-1"}"#;
    let (state, diags) = h.server.upgrade_resource_state(WIDGET, 0, stored);
    assert!(diags.is_empty(), "{diags}");
    let state = state.expect("upgraded");
    assert_eq!(state.get("name"), Some(&s("old name")), "{state:?}");
    assert_eq!(state.get("title"), None);
}

#[tokio::test]
async fn upgrade_reports_malformed_json() {
    let h = Harness::new();
    let (state, diags) = h
        .server
        .upgrade_resource_state(WIDGET, 1, br#"{"id": "w-1","#);
    assert_eq!(state, None);
    let error = single_error(&diags);
    assert!(error.detail.contains(WIDGET), "detail: {}", error.detail);
}

// ---------------------------------------------------------------- stop

#[tokio::test]
async fn stop_cancels_an_in_flight_create() {
    let h = Harness::new();
    let planned = h.plan_create(&widget_config(SLOW_NAME, Some(1))).await;
    let server = h.server.clone();
    let apply = tokio::spawn(async move {
        server
            .apply_resource_change(WIDGET, Value::Null, planned)
            .await
    });
    tokio::time::timeout(Duration::from_secs(5), h.widgets.slow_started.notified())
        .await
        .expect("create is in flight");

    h.server.stop();
    let result = tokio::time::timeout(Duration::from_secs(1), apply)
        .await
        .expect("create returned within 1 s of stop")
        .expect("apply task did not panic");

    assert_eq!(single_error(&result.diags).summary, "Create interrupted");
    let partial = obj(&[
        ("id", s("w-1")),
        ("name", s(SLOW_NAME)),
        ("size", num(1)),
        ("tags", Value::Null),
        ("arn", Value::Null),
    ]);
    assert_eq!(result.state, Some(partial));
    assert!(h.stored("w-1").is_some(), "nothing lost");
}

// ---------------------------------------------------------------- configure

fn provider_config(region: &str, max_retries: Option<i64>) -> Value {
    obj(&[
        ("region", s(region)),
        ("max_retries", max_retries.map_or(Value::Null, num)),
    ])
}

#[tokio::test]
async fn configure_passes_config_to_provider() {
    let h = Harness::new();
    let config = provider_config("eu-west-1", Some(2));
    let diags = h.server.configure(config.clone()).await;
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(*h.toy.configured.lock().unwrap(), Some(config));
}

#[tokio::test]
async fn configure_runs_provider_schema_validators() {
    let h = Harness::new();
    let diags = h
        .server
        .configure(provider_config("eu-west-1", Some(9)))
        .await;
    assert_eq!(
        single_error(&diags).path,
        Some(AttrPath::root("max_retries"))
    );
    assert_eq!(
        *h.toy.configured.lock().unwrap(),
        None,
        "configure not called"
    );

    let diags = h.server.configure(provider_config("mars-1", None)).await;
    assert_eq!(single_error(&diags).path, Some(AttrPath::root("region")));
}
