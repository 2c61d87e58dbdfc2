//! Import by model name: reads the model, finds among its groups the one
//! this provider made (its owner tag names the configuration) and the S3
//! endpoint carrying the same owner tag, and infers the inputs from them, so
//! that a configuration matching what exists plans no changes.

use super::state::{string_set, ModelSpec, TYPE_NAME};
use crate::aws::ec2::find;
use crate::aws::ec2::groups::rule_lines;
use crate::aws::ownership::{id_key, owner_of, Owner};
use crate::aws::sagemaker::find_model;
use crate::aws::{Clients, TagSettings};
use crate::framework::{Diagnostics, Schema};
use crate::resources::common::tags_all;
use crate::resources::composite::empty_state;
use crate::value::Value;
use std::collections::BTreeMap;

/// The tags a user would have written: without the ownership tags and
/// without provider default tags that still hold their default value.
fn user_tags(tags: &BTreeMap<String, String>, tagging: &TagSettings) -> BTreeMap<String, String> {
    tagging
        .managed(&crate::aws::ownership::user_tags(tags))
        .into_iter()
        .filter(|(k, v)| tagging.defaults.get(k) != Some(v))
        .collect()
}

fn map_value(map: &BTreeMap<String, String>) -> Value {
    if map.is_empty() {
        return Value::Null;
    }
    Value::Map(
        map.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// The state of the configuration whose model is `model_name`.
pub async fn import_state(
    clients: &Clients,
    schema: &Schema,
    model_name: &str,
    tagging: &TagSettings,
) -> Result<Value, Diagnostics> {
    let fail = |e: String| {
        Diagnostics::from_error(
            "Cannot import",
            format!("{e}. Check the model name and the provider's region."),
        )
    };
    let Some(model) = find_model(&clients.sagemaker, model_name)
        .await
        .map_err(fail)?
    else {
        return Err(Diagnostics::from_error(
            "Nothing to import",
            format!(
                "There is no SageMaker model named {model_name:?} in {}. Import takes the name of the \
                 model a sagemaker_vpc_model_config made; create the configuration with terraform apply \
                 instead.",
                clients.region
            ),
        ));
    };
    if model.subnet_ids.is_empty() {
        return Err(Diagnostics::from_error(
            "Cannot import",
            format!("Model {model_name:?} has no VpcConfig, so it does not run in a VPC: there is nothing to adopt."),
        ));
    }
    let ec2 = &clients.ec2;
    let groups = find::find_security_groups(ec2, &model.security_group_ids)
        .await
        .map_err(|e| fail(e.to_string()))?;
    let subnets = find::find_subnets(ec2, &model.subnet_ids)
        .await
        .map_err(|e| fail(e.to_string()))?;
    let vpc_id = subnets
        .first()
        .map(|s| s.vpc_id.clone())
        .unwrap_or_default();
    let own_group = groups.iter().find(|g| owner_of(&g.tags).is_some());
    let id = own_group
        .and_then(|g| owner_of(&g.tags))
        .map_or_else(|| Owner::new(TYPE_NAME, model_name).id, str::to_owned);
    let name = id_key(&id).to_owned();
    let extra: Vec<String> = model
        .security_group_ids
        .iter()
        .filter(|id| own_group.is_none_or(|g| &g.id != *id))
        .cloned()
        .collect();
    let endpoints = find::find_vpc_endpoints_in_vpc(ec2, &vpc_id, false)
        .await
        .map_err(|e| fail(e.to_string()))?;
    let own_endpoint = endpoints
        .iter()
        .find(|e| owner_of(&e.tags) == Some(id.as_str()));
    let mut state = empty_state(schema);
    let text = |s: &str| Value::String(s.to_owned());
    state.insert("id".into(), text(&id));
    state.insert("name".into(), text(&name));
    state.insert("vpc_id".into(), text(&vpc_id));
    state.insert("subnet_ids".into(), string_set(&model.subnet_ids));
    if !extra.is_empty() {
        state.insert("security_group_ids".into(), string_set(&extra));
    }
    state.insert(
        "create_security_group".into(),
        Value::Bool(own_group.is_some()),
    );
    state.insert("create_s3_endpoint".into(), Value::Bool(true));
    state.insert("instance_count".into(), Value::Number(1.into()));
    state.insert("efa".into(), Value::Bool(false));
    let resource_tags = own_group
        .map(|g| user_tags(&g.tags, tagging))
        .unwrap_or_default();
    state.insert("tags".into(), map_value(&resource_tags));
    if let Some(group) = own_group {
        state.insert("security_group_id".into(), text(&group.id));
        let lines = rule_lines(group);
        let peers = |prefix: bool| -> Vec<String> {
            lines
                .iter()
                .filter_map(|l| l.strip_prefix("egress tcp 443 "))
                .filter(|peer| peer.starts_with("pl-") == prefix)
                .map(str::to_owned)
                .collect()
        };
        state.insert("egress_cidr_blocks".into(), string_set(&peers(false)));
        if let Some(prefix_list) = peers(true).first() {
            state.insert("s3_prefix_list_id".into(), text(prefix_list));
        }
    }
    if let Some(endpoint) = own_endpoint {
        state.insert("s3_endpoint_id".into(), text(&endpoint.id));
        state.insert("s3_endpoint_managed".into(), Value::Bool(true));
        state.insert(
            "s3_route_table_ids".into(),
            string_set(&endpoint.route_table_ids),
        );
    }
    state.insert("model_arn".into(), text(&model.arn));
    let model_only_tags: BTreeMap<String, String> = user_tags(&model.tags, tagging)
        .into_iter()
        .filter(|(k, v)| resource_tags.get(k) != Some(v))
        .collect();
    let spec = ModelSpec {
        name: model.name.clone(),
        execution_role_arn: model.execution_role_arn.clone(),
        image: model.image.clone(),
        model_data_url: model.model_data_url.clone(),
        environment: model.environment.clone(),
        network_isolation: model.network_isolation,
        tags: model_only_tags,
    };
    state.insert("model".into(), model_block(&spec));
    let vpc = find::find_vpc(ec2, &vpc_id)
        .await
        .map_err(|e| fail(e.to_string()))?;
    let mut state = Value::Object(state);
    let merged = tags_all(&state, tagging);
    state.set_attribute("tags_all", merged);
    super::plan::derive_outputs(&mut state, &vpc.owner_id, &clients.region);
    Ok(state)
}

fn model_block(spec: &ModelSpec) -> Value {
    let text = |s: &str| Value::String(s.to_owned());
    let container = BTreeMap::from([
        ("image".to_owned(), text(&spec.image)),
        (
            "model_data_url".to_owned(),
            spec.model_data_url.as_deref().map_or(Value::Null, text),
        ),
        ("environment".to_owned(), map_value(&spec.environment)),
    ]);
    Value::Object(BTreeMap::from([
        ("name".to_owned(), text(&spec.name)),
        (
            "execution_role_arn".to_owned(),
            text(&spec.execution_role_arn),
        ),
        (
            "enable_network_isolation".to_owned(),
            Value::Bool(spec.network_isolation),
        ),
        ("tags".to_owned(), map_value(&spec.tags)),
        ("primary_container".to_owned(), Value::Object(container)),
    ]))
}
