//! SageMaker models: find one by name (with its tags), create one inside a
//! VPC, delete one, and keep its tags in step. SageMaker answers "not found"
//! with a `ValidationException` whose message says so; that case is mapped
//! to `Ok(None)` / success here so callers never match messages themselves.

use crate::aws::describe_error;
use crate::aws::ownership::OWNER_KEY;
use aws_sdk_sagemaker::error::ProvideErrorMetadata;
use aws_sdk_sagemaker::types::{ContainerDefinition, Tag, VpcConfig};
use std::collections::BTreeMap;

/// A SageMaker model as the resources need it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Model {
    pub name: String,
    pub arn: String,
    pub execution_role_arn: String,
    pub image: String,
    pub model_data_url: Option<String>,
    pub environment: BTreeMap<String, String>,
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
    pub network_isolation: bool,
    pub tags: BTreeMap<String, String>,
}

/// What a new model is made of.
pub struct NewModel<'a> {
    pub name: &'a str,
    pub execution_role_arn: &'a str,
    pub image: &'a str,
    pub model_data_url: Option<&'a str>,
    pub environment: &'a BTreeMap<String, String>,
    pub subnet_ids: &'a [String],
    pub security_group_ids: &'a [String],
    pub network_isolation: bool,
    pub tags: &'a BTreeMap<String, String>,
}

/// True for SageMaker's ways of saying an object does not exist:
/// `ResourceNotFound`, or a `ValidationException` saying "could not find",
/// "not found" or "RecordNotFound" (seen for Studio spaces and apps).
pub fn is_not_found<E: ProvideErrorMetadata>(err: &E) -> bool {
    let message = err.message().unwrap_or_default().to_ascii_lowercase();
    err.code() == Some("ResourceNotFound")
        || (err.code() == Some("ValidationException")
            && (message.contains("could not find")
                || message.contains("not found")
                || message.contains("recordnotfound")))
}

/// The model `name` with its tags (DescribeModel, then ListTags); `None`
/// when there is no such model.
pub async fn find_model(
    sagemaker: &aws_sdk_sagemaker::Client,
    name: &str,
) -> Result<Option<Model>, String> {
    let action = format!("describing SageMaker Model ({name})");
    let described = match sagemaker.describe_model().model_name(name).send().await {
        Ok(described) => described,
        Err(e) if e.as_service_error().is_some_and(is_not_found) => return Ok(None),
        Err(e) => return Err(describe_error(&action, &e)),
    };
    let container = described.primary_container();
    let vpc = described.vpc_config();
    let arn = described.model_arn().unwrap_or_default().to_owned();
    let tags = list_tags(sagemaker, &arn, "SageMaker Model").await?;
    Ok(Some(Model {
        name: described.model_name().unwrap_or(name).to_owned(),
        execution_role_arn: described
            .execution_role_arn()
            .unwrap_or_default()
            .to_owned(),
        image: container
            .and_then(|c| c.image())
            .unwrap_or_default()
            .to_owned(),
        model_data_url: container
            .and_then(|c| c.model_data_url())
            .map(str::to_owned),
        environment: container
            .and_then(|c| c.environment())
            .map(|env| env.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        subnet_ids: vpc.map(|v| v.subnets().to_vec()).unwrap_or_default(),
        security_group_ids: vpc
            .map(|v| v.security_group_ids().to_vec())
            .unwrap_or_default(),
        network_isolation: described.enable_network_isolation().unwrap_or(false),
        arn,
        tags,
    }))
}

/// The tags of the SageMaker object `arn` (`what` names its kind in errors,
/// e.g. "SageMaker Model").
pub async fn list_tags(
    sagemaker: &aws_sdk_sagemaker::Client,
    arn: &str,
    what: &str,
) -> Result<BTreeMap<String, String>, String> {
    let tags = list_tags_if_exists(sagemaker, arn, what).await?;
    tags.ok_or_else(|| format!("listing tags of {what} ({arn}): it no longer exists"))
}

/// [`list_tags`], `None` when the object is gone (deleted between its
/// description and this call).
pub async fn list_tags_if_exists(
    sagemaker: &aws_sdk_sagemaker::Client,
    arn: &str,
    what: &str,
) -> Result<Option<BTreeMap<String, String>>, String> {
    let listed: Result<Vec<Tag>, _> = sagemaker
        .list_tags()
        .resource_arn(arn)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let tags = match listed {
        Ok(tags) => tags,
        Err(e) if e.as_service_error().is_some_and(is_not_found) => return Ok(None),
        Err(e) => {
            return Err(describe_error(
                &format!("listing tags of {what} ({arn})"),
                &e,
            ))
        }
    };
    Ok(Some(
        tags.iter()
            .filter_map(|t| {
                Some((
                    t.key()?.to_owned(),
                    t.value().unwrap_or_default().to_owned(),
                ))
            })
            .collect(),
    ))
}

/// Tags as the SageMaker SDK takes them.
pub fn to_sdk(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// Creates the model and returns its ARN. When SageMaker says the name is
/// taken by a model carrying the same owner tag (a retried call whose first
/// answer was lost, or a crashed apply), that model is the one made.
pub async fn create_model(
    sagemaker: &aws_sdk_sagemaker::Client,
    model: &NewModel<'_>,
) -> Result<String, String> {
    let created = match send_create_model(sagemaker, model).await {
        Ok(arn) => return Ok(arn),
        Err(e) => e,
    };
    // A retried CreateModel whose first answer was lost finds the model made:
    // the same owner's model is the one asked for.
    let (code, message) = created;
    let exists = code.as_deref() == Some("ValidationException")
        && message.to_ascii_lowercase().contains("already exist");
    let owner = model.tags.get(OWNER_KEY);
    if exists && owner.is_some() {
        if let Some(found) = find_model(sagemaker, model.name).await? {
            if found.tags.get(OWNER_KEY) == owner {
                return Ok(found.arn);
            }
        }
    }
    Err(message)
}

/// One CreateModel call: the ARN, or the error code and the described error.
async fn send_create_model(
    sagemaker: &aws_sdk_sagemaker::Client,
    model: &NewModel<'_>,
) -> Result<String, (Option<String>, String)> {
    let environment = (!model.environment.is_empty()).then(|| {
        model
            .environment
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    });
    let container = ContainerDefinition::builder()
        .image(model.image)
        .set_model_data_url(model.model_data_url.map(str::to_owned))
        .set_environment(environment)
        .build();
    let vpc = VpcConfig::builder()
        .set_subnets(Some(model.subnet_ids.to_vec()))
        .set_security_group_ids(Some(model.security_group_ids.to_vec()))
        .build();
    let created = sagemaker
        .create_model()
        .model_name(model.name)
        .execution_role_arn(model.execution_role_arn)
        .primary_container(container)
        .set_vpc_config((!model.subnet_ids.is_empty()).then_some(vpc))
        .enable_network_isolation(model.network_isolation)
        .set_tags(Some(to_sdk(model.tags)))
        .send()
        .await
        .map_err(|e| {
            let code = e.code().map(str::to_owned);
            (
                code,
                describe_error(&format!("creating SageMaker Model ({})", model.name), &e),
            )
        })?;
    Ok(created.model_arn().unwrap_or_default().to_owned())
}

/// Deletes the model `name`; a model already gone is fine.
pub async fn delete_model(sagemaker: &aws_sdk_sagemaker::Client, name: &str) -> Result<(), String> {
    match sagemaker.delete_model().model_name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(is_not_found) => Ok(()),
        Err(e) => Err(describe_error(
            &format!("deleting SageMaker Model ({name})"),
            &e,
        )),
    }
}

/// Updates the tags of the SageMaker object `arn` (model, domain, user
/// profile) from `old` to `new`.
pub async fn sync_tags(
    sagemaker: &aws_sdk_sagemaker::Client,
    arn: &str,
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Result<(), String> {
    let diff = crate::aws::ec2::tags::TagDiff::between(old, new);
    if !diff.upsert.is_empty() {
        sagemaker
            .add_tags()
            .resource_arn(arn)
            .set_tags(Some(to_sdk(&diff.upsert)))
            .send()
            .await
            .map_err(|e| describe_error(&format!("tagging SageMaker resource ({arn})"), &e))?;
    }
    remove_tags(sagemaker, arn, &diff.remove).await
}

/// Removes the tags `keys` from the SageMaker object `arn` (no call when
/// there are none).
pub async fn remove_tags(
    sagemaker: &aws_sdk_sagemaker::Client,
    arn: &str,
    keys: &[String],
) -> Result<(), String> {
    if keys.is_empty() {
        return Ok(());
    }
    sagemaker
        .delete_tags()
        .resource_arn(arn)
        .set_tag_keys(Some(keys.to_vec()))
        .send()
        .await
        .map_err(|e| describe_error(&format!("untagging SageMaker resource ({arn})"), &e))?;
    Ok(())
}
