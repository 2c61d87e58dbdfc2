//! The schema of `sagemaker_model`.

use crate::aws::sagemaker_inputs::{
    check_image_uri, check_model_data_url, check_model_name, ENVIRONMENT,
};
use crate::framework::validators::StringCheck;
use crate::framework::{Attribute, Block, NestedBlock, Schema};
use crate::policy::check_role_arn;
use crate::resources::common::{tags_all_attribute, tags_attribute};
use crate::resources::composite::Composite;
use crate::value::Type;

/// The longest `name_prefix`: the generated suffix takes the rest of the
/// 63 characters a model name may have.
pub const MAX_PREFIX: usize = crate::limits::MAX_MODEL_NAME_CHARS - super::SUFFIX_LENGTH;

fn check(rule: &'static str, check: fn(&str) -> Result<(), String>) -> StringCheck {
    StringCheck { rule, check }
}

fn check_prefix(prefix: &str) -> Result<(), String> {
    if prefix.len() > MAX_PREFIX {
        return Err(format!(
            "{prefix:?} has {} characters; a name prefix has at most {MAX_PREFIX}, so that the generated \
             name fits SageMaker's 63.",
            prefix.len()
        ));
    }
    check_model_name(&format!("{prefix}0"))
}

/// `vpc_config`: the object `sagemaker_vpc_model_config.vpc_config` gives.
pub fn vpc_config_type() -> Type {
    Type::object([
        ("subnets", Type::set(Type::String)),
        ("security_group_ids", Type::set(Type::String)),
    ])
}

/// The resource schema.
pub fn schema() -> Schema {
    let container = Block::new("The inference container.")
        .attribute(
            Attribute::required("image", Type::String)
                .description(
                    "Container image URI, e.g. `123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:tag` \
                     (from a VPC without internet, ECR needs the `ecr_api` and `ecr_dkr` endpoints).",
                )
                .validator(check("must be a container image URI", check_image_uri)),
        )
        .attribute(
            Attribute::optional("model_data_url", Type::String)
                .description("The model artefacts, `s3://BUCKET/KEY`.")
                .validator(check("must be an `s3://` or `https://` URL", check_model_data_url)),
        )
        .attribute(
            Attribute::optional("environment", Type::map(Type::String))
                .description("Environment variables of the container.")
                .validator(ENVIRONMENT),
        );
    let mut primary_container = NestedBlock::single("primary_container", container);
    primary_container.min_items = 1;
    primary_container.max_items = 1;
    Schema::new(
        Block::new(
            "A SageMaker model, placed in a VPC with `vpc_config` (normally \
             `sagemaker_vpc_model_config.x.vpc_config`). Models are immutable: every argument but `tags` \
             replaces the model, and the plan shows it as a replacement (`-/+`), so `prevent_destroy` \
             stops it. With `name_prefix`, `create_before_destroy` works. Import with the model name.",
        )
        .attribute(
            Attribute::computed("id", Type::String)
                .description(
                    "This model's id: its name and a suffix unique to this instance, also its \
                     `sagemaker:owner` tag.",
                )
                .use_state_for_unknown(),
        )
        .attribute(
            Attribute::optional_computed("name", Type::String)
                .description(
                    "The model name, unique in the account and Region. Conflicts with `name_prefix`; one of \
                     them is required.",
                )
                .validator(check("must be a SageMaker model name", check_model_name))
                .requires_replace(),
        )
        .attribute(
            Attribute::optional("name_prefix", Type::String)
                .description(
                    "Make the name from this prefix and a random suffix, so a replacement can be created \
                     before the old model is destroyed.",
                )
                .validator(check("must be a model name prefix", check_prefix))
                .requires_replace(),
        )
        .attribute(
            Attribute::computed("arn", Type::String)
                .description("The model ARN.")
                .use_state_for_unknown(),
        )
        .attribute(
            Attribute::required("execution_role_arn", Type::String)
                .description(
                    "The IAM role SageMaker assumes. In a VPC it also needs \
                     `sagemaker_vpc_model_config.x.execution_role_policy_json`.",
                )
                .validator(check("must be an IAM role ARN", check_role_arn))
                .requires_replace(),
        )
        .attribute(
            Attribute::optional("vpc_config", vpc_config_type())
                .description(
                    "`subnets` (at least two Availability Zones) and `security_group_ids` (at most 5): \
                     `sagemaker_vpc_model_config.x.vpc_config`.",
                )
                .requires_replace(),
        )
        .attribute(
            Attribute::optional_computed("enable_network_isolation", Type::Bool)
                .description("No network access for the container besides its own (default `true`).")
                .requires_replace(),
        )
        .attribute(tags_attribute(super::SageMakerModel::TAG_RULES))
        .attribute(tags_all_attribute())
        .block(primary_container),
    )
}
