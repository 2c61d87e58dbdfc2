//! `sagemaker_model`: a SageMaker model, usually placed in a VPC by a
//! `sagemaker_vpc_model_config`. A model never changes: every argument but
//! `tags` replaces it, and the plan shows the replacement. Read compares the
//! live model, so a model replaced outside Terraform is drift; ownership
//! follows [`crate::aws::ownership`] like every composite's objects.

pub mod schema;

use crate::aws::ownership::{id_key, Claim, Owner};
use crate::aws::sagemaker::{self, Model, NewModel};
use crate::aws::sagemaker_inputs;
use crate::aws::{with_advice, Clients};
use crate::framework::{ApplyResult, AttrPath, Diagnostics, PlanResult, Schema};
use crate::resources::common::{
    all_tags, check_same_region, known_strings, observed_tags, string_map, text, TagRules,
};
use crate::resources::composite::{empty_state, unchanged, Composite, Env, Made, Refreshed};
use crate::value::Value;
use async_trait::async_trait;
use std::collections::BTreeMap;

/// The resource type, also the start of its ownership identity.
pub const TYPE_NAME: &str = "sagemaker_model";
/// The arguments whose change replaces the model: all but tags.
const REPLACING: [&str; 6] = [
    "name",
    "name_prefix",
    "execution_role_arn",
    "vpc_config",
    "enable_network_isolation",
    "primary_container",
];

/// Characters `name_prefix` leaves to the generated part of the name.
pub const SUFFIX_LENGTH: usize = 16;

/// The resource.
pub struct SageMakerModel;

/// The model a value asks for.
struct Spec {
    execution_role_arn: String,
    image: String,
    model_data_url: Option<String>,
    environment: BTreeMap<String, String>,
    subnets: Vec<String>,
    security_group_ids: Vec<String>,
    network_isolation: bool,
}

impl Spec {
    fn of(value: &Value) -> Spec {
        let container = value
            .get("primary_container")
            .cloned()
            .unwrap_or(Value::Null);
        let vpc = value.get("vpc_config").cloned().unwrap_or(Value::Null);
        Spec {
            execution_role_arn: text(value, "execution_role_arn").unwrap_or_default(),
            image: text(&container, "image").unwrap_or_default(),
            model_data_url: text(&container, "model_data_url"),
            environment: string_map(&container, "environment"),
            subnets: known_strings(&vpc, "subnets").unwrap_or_default(),
            security_group_ids: known_strings(&vpc, "security_group_ids").unwrap_or_default(),
            network_isolation: value
                .get("enable_network_isolation")
                .and_then(Value::as_bool)
                .unwrap_or(true),
        }
    }
}

/// True when `model` is the one the state with `owner` records: tagged as
/// its own, or adopted by import (whose id is the model's name: import is
/// the user saying so, whoever tagged it; the next apply tags it).
fn is_recorded(model: &Model, owner: &Owner) -> bool {
    owner.claim(&model.tags) == Claim::Mine || owner.id == model.name
}

#[async_trait]
impl Composite for SageMakerModel {
    const TYPE_NAME: &'static str = TYPE_NAME;
    const IMPORT_HINT: &'static str = "Import by model name.";
    const TAG_RULES: TagRules = TagRules::SAGEMAKER;

    fn schema() -> Schema {
        schema::schema()
    }

    fn validate(config: &Value, diags: &mut Diagnostics) {
        validate(config, diags);
    }

    fn identity(value: &Value) -> String {
        text(value, "name").unwrap_or_default()
    }

    fn prepare_create(planned: &mut Value) {
        if text(planned, "name").is_none() {
            let prefix = text(planned, "name_prefix").unwrap_or_default();
            let name = format!("{prefix}{}", crate::aws::ownership::random_suffix());
            planned.set_attribute("name", Value::String(name));
        }
    }

    fn made(state: &Value) -> Made {
        Made {
            ec2_ids: Vec::new(),
            arns: text(state, "arn").into_iter().collect(),
        }
    }

    fn check_import_id(id: &str) -> Result<(), String> {
        crate::aws::sagemaker_inputs::check_model_name(id_key(id))
    }

    async fn plan(&self, env: &Env<'_>, prior: &Value, config: &Value, plan: &mut PlanResult) {
        let planned = &mut plan.planned;
        if config
            .get("enable_network_isolation")
            .is_none_or(Value::is_null)
        {
            planned.set_attribute("enable_network_isolation", Value::Bool(true));
        }
        if !prior.is_null() {
            // Every argument but tags replaces the model, defaults included.
            for name in REPLACING {
                let before = prior.get(name).unwrap_or(&Value::Null);
                let after = planned.get(name).unwrap_or(&Value::Null);
                let path = AttrPath::root(name);
                if !crate::framework::plan::semantic_eq(before, after)
                    && !plan.requires_replace.contains(&path)
                {
                    plan.requires_replace.push(path);
                }
            }
            return;
        }
        if config.get("name").is_none_or(Value::is_null) {
            planned.set_attribute("name", Value::Unknown);
        }
        let image = planned
            .get("primary_container")
            .and_then(|c| c.get("image"))
            .and_then(Value::as_str);
        if let Some(image) = image {
            check_image_region(
                AttrPath::root("primary_container").attr("image"),
                image,
                env.region(),
                &mut plan.diags,
            );
        }
        let subnets = planned
            .get("vpc_config")
            .and_then(|v| known_strings(v, "subnets"));
        if let Some(subnets) = subnets.filter(|s| !s.is_empty()) {
            plan.diags.extend(check_zones(&env.clients, &subnets).await);
        }
        let Some(name) = text(&plan.planned, "name") else {
            return;
        };
        match sagemaker::find_model(&env.clients.sagemaker, &name).await {
            Ok(None) => {}
            Ok(Some(model)) => {
                let owner = Owner::planned(TYPE_NAME, &name);
                if let Some(diag) = name_taken(&model, &owner, Some(&env.ctx.in_state)) {
                    plan.diags.extend(diag);
                }
            }
            Err(e) => plan.diags.error(
                "Cannot check the model name",
                with_advice(
                    e,
                    "Check the credentials' sagemaker:DescribeModel permission.",
                ),
            ),
        }
    }

    async fn apply(&self, env: &Env<'_>, prior: &Value, planned: Value) -> ApplyResult {
        if prior.is_null() {
            create(env, planned).await
        } else {
            update_tags(env, prior, planned).await
        }
    }

    async fn refresh(&self, env: &Env<'_>, state: Value) -> Result<Option<Refreshed>, Diagnostics> {
        let name = text(&state, "name").unwrap_or_default();
        let model = sagemaker::find_model(&env.clients.sagemaker, &name)
            .await
            .map_err(|e| Diagnostics::from_error("Cannot read the SageMaker model", e))?;
        // Gone, or replaced by a model this state does not own.
        Ok(model
            .filter(|m| is_recorded(m, &env.owner))
            .map(|model| Refreshed {
                state: with_model(state, &model),
                live_tags: Some(model.tags),
                diags: Diagnostics::new(),
            }))
    }

    async fn delete(&self, env: &Env<'_>, prior: &Value) -> Diagnostics {
        let sagemaker = &env.clients.sagemaker;
        let name = text(prior, "name").unwrap_or_default();
        match sagemaker::find_model(sagemaker, &name).await {
            Ok(Some(model)) if is_recorded(&model, &env.owner) => {
                match sagemaker::delete_model(sagemaker, &name).await {
                    Ok(()) => Diagnostics::new(),
                    Err(e) => Diagnostics::from_error("Cannot delete the SageMaker model", e),
                }
            }
            Ok(Some(model)) => {
                let mut diags = Diagnostics::new();
                diags.warning(
                    "Model left in place",
                    format!(
                        "The model {name:?} ({}) is not the one this state made (it was replaced outside \
                         Terraform), so destroy leaves it.",
                        model.arn
                    ),
                );
                diags
            }
            Ok(None) => Diagnostics::new(),
            Err(e) => Diagnostics::from_error("Cannot read the SageMaker model", e),
        }
    }

    async fn import(&self, env: &Env<'_>, id: &str) -> Result<Value, Diagnostics> {
        let name = id_key(id);
        let model = sagemaker::find_model(&env.clients.sagemaker, name)
            .await
            .map_err(|e| Diagnostics::from_error("Cannot import", e))?
            .ok_or_else(|| {
                Diagnostics::from_error(
                    "Nothing to import",
                    format!(
                        "There is no SageMaker model named {name:?} in {}.",
                        env.region()
                    ),
                )
            })?;
        let mut state = empty_state(&Self::schema());
        state.insert("id".into(), Value::String(name.to_owned()));
        state.insert("name".into(), Value::String(name.to_owned()));
        let mut state = with_model(Value::Object(state), &model);
        let (tags, tags_all) = observed_tags(&state, &model.tags, &env.tagging);
        state.set_attribute("tags", tags);
        state.set_attribute("tags_all", tags_all);
        Ok(state)
    }
}

/// Creates the model `planned` names. A model of that name left by an
/// unfinished create of it is made again; anyone else's stops the create
/// before anything is made.
async fn create(env: &Env<'_>, mut planned: Value) -> ApplyResult {
    let sagemaker = &env.clients.sagemaker;
    let name = text(&planned, "name").unwrap_or_default();
    match sagemaker::find_model(sagemaker, &name).await {
        Ok(Some(model)) => {
            if let Some(diags) = name_taken(&model, &env.owner, None) {
                return ApplyResult { state: None, diags };
            }
            if let Err(e) = sagemaker::delete_model(sagemaker, &name).await {
                return failed(
                    &Value::Null,
                    "Cannot replace what an unfinished create left",
                    e,
                );
            }
        }
        Ok(None) => {}
        Err(e) => return failed(&Value::Null, "Cannot check the model name", e),
    }
    let spec = Spec::of(&planned);
    let tags = env
        .owner
        .tags(&BTreeMap::new(), &all_tags(&planned, &env.tagging), true);
    let new = NewModel {
        name: &name,
        execution_role_arn: &spec.execution_role_arn,
        image: &spec.image,
        model_data_url: spec.model_data_url.as_deref(),
        environment: &spec.environment,
        subnet_ids: &spec.subnets,
        security_group_ids: &spec.security_group_ids,
        network_isolation: spec.network_isolation,
        tags: &tags,
    };
    match sagemaker::create_model(sagemaker, &new).await {
        Ok(arn) => {
            planned.set_attribute("arn", Value::String(arn));
            ApplyResult {
                state: Some(planned),
                diags: Diagnostics::new(),
            }
        }
        Err(e) => failed(&Value::Null, "Cannot create the SageMaker model", e),
    }
}

/// The only in-place change: the model's tags.
async fn update_tags(env: &Env<'_>, prior: &Value, planned: Value) -> ApplyResult {
    let sagemaker = &env.clients.sagemaker;
    let name = text(prior, "name").unwrap_or_default();
    let live = match sagemaker::find_model(sagemaker, &name).await {
        Ok(Some(model)) => model,
        Ok(None) => {
            let detail =
                format!("Model {name:?} no longer exists: run terraform apply again to make it.");
            return failed(prior, "SageMaker model gone", detail);
        }
        Err(e) => return failed(prior, "Cannot read the SageMaker model", e),
    };
    let want = env
        .owner
        .tags(&BTreeMap::new(), &all_tags(&planned, &env.tagging), false);
    let have = env.tagging.managed(&live.tags);
    match sagemaker::sync_tags(sagemaker, &live.arn, &have, &want).await {
        Ok(()) => ApplyResult {
            state: Some(planned),
            diags: Diagnostics::new(),
        },
        Err(e) => failed(prior, "Cannot update the model tags", e),
    }
}

/// Static checks: one of `name` and `name_prefix`, the environment within
/// SageMaker's limits, `vpc_config` with two subnets and 1 to 5 groups.
fn validate(config: &Value, diags: &mut Diagnostics) {
    let set = |name: &str| config.get(name).is_some_and(|v| !v.is_null());
    match (set("name"), set("name_prefix")) {
        (true, true) => diags.attribute_error(
            AttrPath::root("name_prefix"),
            "name and name_prefix together",
            "Set name for a fixed model name, or name_prefix for a generated one — not both.",
        ),
        (false, false) => diags.attribute_error(
            AttrPath::root("name"),
            "No model name",
            "Set name (a fixed model name) or name_prefix (a generated one, which lets \
             create_before_destroy work).",
        ),
        _ => {}
    }
    if let Some(subnets) = config
        .get("vpc_config")
        .and_then(|v| known_strings(v, "subnets"))
    {
        if subnets.len() < 2 {
            diags.attribute_error(
                AttrPath::root("vpc_config"),
                "One subnet is not enough",
                "vpc_config.subnets has one subnet; SageMaker needs subnets in at least two Availability \
                 Zones. Use sagemaker_vpc_model_config.x.vpc_config, which checks them.",
            );
        }
    }
    let groups = config
        .get("vpc_config")
        .and_then(|v| known_strings(v, "security_group_ids"));
    if groups.is_some_and(|g| g.is_empty() || g.len() > crate::limits::MAX_MODEL_SECURITY_GROUPS) {
        diags.attribute_error(
            AttrPath::root("vpc_config"),
            "1 to 5 security groups",
            "vpc_config.security_group_ids: a SageMaker VpcConfig takes 1 to 5 security groups.",
        );
    }
}

/// SageMaker pulls a model's image only from ECR in the model's Region
/// (SageMaker API `CreateModel`: "the Docker image for inference container
/// in Amazon ECR must be in the same region as the model").
pub fn check_image_region(path: AttrPath, image: &str, region: &str, diags: &mut Diagnostics) {
    check_same_region(
        path,
        sagemaker_inputs::image_region(image),
        region,
        "SageMaker pulls a model's image only from ECR in the model's own Region. Replicate the \
         repository to this Region (ECR replication) and use that image URI.",
        diags,
    );
}

/// An error unless `subnets` exist and span two Availability Zones or more
/// (SageMaker needs two, even for one instance).
async fn check_zones(clients: &Clients, subnets: &[String]) -> Diagnostics {
    let path = || AttrPath::root("vpc_config");
    match crate::aws::ec2::find::find_subnets(&clients.ec2, subnets).await {
        Ok(found) => {
            let zones: std::collections::BTreeSet<&str> =
                found.iter().map(|s| s.availability_zone.as_str()).collect();
            if zones.len() >= 2 {
                return Diagnostics::new();
            }
            Diagnostics::from_attribute_error(
                path(),
                "Subnets in one Availability Zone",
                format!(
                    "vpc_config.subnets {} are all in {}; SageMaker needs subnets in at least two \
                     Availability Zones. Add a subnet in another zone (sagemaker_vpc_model_config checks this \
                     too).",
                    subnets.join(", "),
                    zones.into_iter().collect::<Vec<_>>().join(", ")
                ),
            )
        }
        Err(e) if e.is_not_found() => Diagnostics::from_attribute_error(
            path(),
            "Not found",
            format!("{e}. Check vpc_config.subnets: each must exist in the provider's Region."),
        ),
        Err(e) => Diagnostics::from_error(
            "Cannot check the subnets",
            with_advice(e, "Check the credentials' ec2:DescribeSubnets permission."),
        ),
    }
}

/// The error when a model of the wanted name exists and is not this
/// instance's to take: `None` when it is (left by an unfinished create of
/// the same name, or — at plan — the instance this one replaces).
fn name_taken(
    model: &Model,
    owner: &Owner,
    in_state: Option<&crate::framework::InState>,
) -> Option<Diagnostics> {
    // An imported model's id is its name: this plan replaces that instance.
    if in_state.is_some_and(|s| s.contains(TYPE_NAME, &model.name)) {
        return None;
    }
    let whose = match owner.claim(&model.tags) {
        Claim::Mine | Claim::Unfinished => return None,
        Claim::Other(other) if in_state.is_some_and(|s| s.contains(TYPE_NAME, &other)) => return None,
        Claim::Other(other) => format!(
            "it belongs to another sagemaker_model (owner {other}): another workspace or resource, or the \
             instance this one replaces with create_before_destroy"
        ),
        Claim::Unmanaged => "it was not made by this provider".to_owned(),
    };
    Some(Diagnostics::from_attribute_error(
        AttrPath::root("name"),
        "Model name already taken",
        format!(
            "A SageMaker model named {:?} already exists ({}), and {whose}. Model names are unique per account \
             and Region. Choose another name, use name_prefix (which also lets create_before_destroy work), or \
             adopt that model with an import block (id: the model name). When replacing it with \
             create_before_destroy and Terraform kept the old one as a deposed object, run terraform destroy \
             -target on this resource, then terraform apply.",
            model.name, model.arn
        ),
    ))
}

/// `base` with what AWS reports of `model`: every argument, so a model
/// changed outside Terraform plans as a replacement.
fn with_model(mut base: Value, model: &Model) -> Value {
    let strings = |items: &[String]| Value::Set(items.iter().cloned().map(Value::String).collect());
    base.set_attribute("arn", Value::String(model.arn.clone()));
    base.set_attribute(
        "execution_role_arn",
        Value::String(model.execution_role_arn.clone()),
    );
    let environment = if model.environment.is_empty() {
        base.get("primary_container")
            .and_then(|c| c.get("environment"))
            .filter(|e| matches!(e, Value::Map(m) if m.is_empty()))
            .cloned()
            .unwrap_or(Value::Null)
    } else {
        Value::Map(
            model
                .environment
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        )
    };
    base.set_attribute(
        "primary_container",
        Value::Object(BTreeMap::from([
            ("image".to_owned(), Value::String(model.image.clone())),
            (
                "model_data_url".to_owned(),
                model
                    .model_data_url
                    .clone()
                    .map_or(Value::Null, Value::String),
            ),
            ("environment".to_owned(), environment),
        ])),
    );
    let vpc = if model.subnet_ids.is_empty() {
        Value::Null
    } else {
        Value::Object(BTreeMap::from([
            ("subnets".to_owned(), strings(&model.subnet_ids)),
            (
                "security_group_ids".to_owned(),
                strings(&model.security_group_ids),
            ),
        ]))
    };
    base.set_attribute("vpc_config", vpc);
    // The emulator does not keep EnableNetworkIsolation; AWS does. Until the
    // emulator extension stores it, the recorded value stands.
    if base
        .get("enable_network_isolation")
        .is_none_or(Value::is_null)
    {
        base.set_attribute(
            "enable_network_isolation",
            Value::Bool(model.network_isolation),
        );
    }
    base
}

/// An apply that failed before changing anything.
fn failed(prior: &Value, summary: &str, detail: String) -> ApplyResult {
    unchanged(prior, Diagnostics::from_error(summary, detail))
}
