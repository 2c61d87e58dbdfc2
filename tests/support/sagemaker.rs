//! Helpers for the `sagemaker_vpc_model_config` end-to-end tests: the
//! configuration around the resource (provider with default tags, a `model`
//! block) and the emulator's SageMaker models, read and written through the
//! SageMaker JSON API as the fixture's account.

use super::ec2_fixture::Fixture;
use super::moto::{self, HttpResponse};
use super::terraform::{provider_header, Workspace, TEAM_TAGS};
use serde_json::Value;

/// An execution role ARN of the right form (moto does not check it exists).
pub const ROLE: &str = "arn:aws:iam::123456789012:role/SageMakerExecution";
/// A well-formed ECR image URI.
pub const IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:1";

/// A `model` block for `name` with `image`; `extra` goes inside the block.
pub fn model_block(name: &str, image: &str, extra: &str) -> String {
    model_block_with(
        name,
        ROLE,
        image,
        &format!("s3://models/{name}/model.tar.gz"),
        extra,
    )
}

/// A `model` block with every field given; `extra` goes inside the block.
pub fn model_block_with(
    name: &str,
    role: &str,
    image: &str,
    model_data_url: &str,
    extra: &str,
) -> String {
    format!(
        r#"
  model {{
    name               = "{name}"
    execution_role_arn = "{role}"
    primary_container {{
      image          = "{image}"
      model_data_url = "{model_data_url}"
    }}
{extra}
  }}"#
    )
}

/// The configuration: provider with default tags, then `resources`.
pub fn main_tf(resources: &str) -> String {
    format!(
        r#"
{header}{resources}
"#,
        header = provider_header(TEAM_TAGS)
    )
}

/// A `sagemaker_private_network` "this" in `vpc_id` on `subnets` with
/// `body` inside, and an output "network" of it.
pub fn network_resource(vpc_id: &str, [first, second]: [&str; 2], body: &str) -> String {
    format!(
        r#"
resource "sagemaker_private_network" "this" {{
  vpc_id     = "{vpc_id}"
  subnet_ids = ["{first}", "{second}"]
{body}
}}
output "network" {{ value = sagemaker_private_network.this }}
"#
    )
}

/// An initialised workspace planning the `studio_vpc_only` network (seven
/// interface endpoints: a long apply) on subnets `b` and `c` of `fx`.
pub fn studio_network_workspace(fx: &Fixture) -> Workspace {
    let main = format!(
        "{}{}",
        provider_header(""),
        network_resource(
            &fx.vpc_id,
            [&fx.subnet_b, &fx.subnet_c],
            r#"  services = ["studio_vpc_only"]"#
        )
    );
    fx.workspace(&main)
}

/// A `sagemaker_vpc_model_config` "this" on `subnets` with `body` inside,
/// and an output "config" of it.
pub fn model_config_resource([first, second]: [&str; 2], body: &str) -> String {
    format!(
        r#"
resource "sagemaker_vpc_model_config" "this" {{
  subnet_ids = ["{first}", "{second}"]
{body}
}}
output "config" {{ value = sagemaker_vpc_model_config.this }}
"#
    )
}

/// One SageMaker JSON-API call as the fixture's account.
pub fn sagemaker_call(fx: &Fixture, operation: &str, body: &Value) -> HttpResponse {
    moto::shared().json_call(
        "sagemaker",
        "SageMaker",
        Some(&fx.account),
        operation,
        &body.to_string(),
    )
}

/// DescribeModel in the fixture's account; `None` when there is no such model.
pub fn describe_model(fx: &Fixture, name: &str) -> Option<Value> {
    let answer = sagemaker_call(
        fx,
        "DescribeModel",
        &serde_json::json!({ "ModelName": name }),
    );
    answer
        .is_success()
        .then(|| serde_json::from_str(&answer.body).expect("DescribeModel answers JSON"))
}

/// The names of every model of the fixture's account, sorted.
pub fn model_names(fx: &Fixture) -> Vec<String> {
    let answer = sagemaker_call(fx, "ListModels", &serde_json::json!({})).expect_ok("ListModels");
    let listing: Value = serde_json::from_str(&answer.body).expect("ListModels answers JSON");
    let mut names: Vec<String> = listing["Models"]
        .as_array()
        .unwrap_or_else(|| panic!("ListModels answers Models: {listing}"))
        .iter()
        .map(|m| m["ModelName"].as_str().unwrap_or_default().to_owned())
        .collect();
    names.sort();
    names
}

/// Creates, outside Terraform, a model `name` running `image` (no VpcConfig,
/// no tags): a model no configuration owns.
pub fn create_model_by_hand(fx: &Fixture, name: &str, image: &str) {
    let body = serde_json::json!({
        "ModelName": name,
        "ExecutionRoleArn": ROLE,
        "PrimaryContainer": { "Image": image },
    });
    sagemaker_call(fx, "CreateModel", &body).expect_ok("CreateModel");
}
