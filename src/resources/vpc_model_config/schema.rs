//! The schema of `sagemaker_vpc_model_config`.

use crate::aws::ids::{check_cidr, check_security_group_id, check_subnet_id};
use crate::aws::sagemaker_inputs::{
    check_image_uri, check_model_data_url, check_model_name, ENVIRONMENT,
};
use crate::framework::timeouts;
use crate::framework::validators::{Each, IntBetween, SizeBetween, StringCheck};
use crate::framework::{Attribute, Block, NestedBlock, Schema};
use crate::policy::{check_bucket_arn, check_role_arn};
use crate::resources::common::{tags_all_attribute, tags_attribute, TagRules};
use crate::resources::composite::Composite;
use crate::resources::policy_principals::{
    policy_principals_attribute, principal_org_id_attribute,
};
use crate::value::Type;

fn strings() -> Type {
    Type::set(Type::String)
}

/// The object type of `vpc_config`.
pub fn vpc_config_type() -> Type {
    Type::object([("subnets", strings()), ("security_group_ids", strings())])
}

fn check(rule: &'static str, check: fn(&str) -> Result<(), String>) -> StringCheck {
    StringCheck { rule, check }
}

fn model_block() -> NestedBlock {
    let container = Block::new("The inference container.")
        .attribute(
            Attribute::required("image", Type::String)
                .description(
                    "Container image URI, e.g. `123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:tag` \
                     (must be reachable from the VPC: ECR needs the `ecr_api`/`ecr_dkr` endpoints).",
                )
                .validator(check("must be a container image URI", check_image_uri)),
        )
        .attribute(
            Attribute::optional("model_data_url", Type::String)
                .description("The model artefacts, `s3://BUCKET/KEY` (read through the S3 path this resource checks).")
                .validator(check("must be an `s3://` or `https://` URL", check_model_data_url)),
        )
        .attribute(
            Attribute::optional("environment", Type::map(Type::String))
                .description("Environment variables of the container.")
                .validator(ENVIRONMENT),
        );
    let model = Block::new(
        "The SageMaker model to create inside the VPC. Models are immutable: any change here or to the \
         network replaces the model (the plan says so).",
    )
    .attribute(
        Attribute::required("name", Type::String)
            .description("The model name: letters, digits and hyphens, at most 63 characters, unique in the Region.")
            .validator(check("must be a SageMaker model name", check_model_name)),
    )
    .attribute(
        Attribute::required("execution_role_arn", Type::String)
            .description(
                "The IAM role SageMaker assumes. It needs `execution_role_policy_json` (network interfaces) \
                 besides its usual permissions.",
            )
            .validator(check("must be an IAM role ARN", check_role_arn)),
    )
    .attribute(
        Attribute::optional_computed("enable_network_isolation", Type::Bool)
            .description("Run the container with no network access at all besides S3 artefacts. Default `true`."),
    )
    .attribute(
        Attribute::optional("tags", Type::map(Type::String))
            .description("Extra tags for the model, over the resource's tags.")
            .validator(TagRules::SAGEMAKER),
    )
    .block({
        let mut block = NestedBlock::single("primary_container", container);
        block.min_items = 1;
        block.max_items = 1;
        block
    });
    let mut block = NestedBlock::single("model", model);
    block.block.deprecated = true;
    block.block.description = format!(
        "**Deprecated**: declare a `sagemaker_model` with `vpc_config = \
         sagemaker_vpc_model_config.NAME.vpc_config` instead. Removing this block releases the model (left \
         in place, no longer managed here) for an `import` block to adopt (CHANGELOG.md). {}",
        block.block.description
    );
    block
}

/// The resource schema.
pub fn schema() -> Schema {
    Schema::new(
        Block::new(
            "Everything a SageMaker model needs to run inside a VPC with no internet path: a model security \
             group (no ingress; HTTPS egress to the VPC and to S3 only), an S3 path for the model artefacts \
             (an existing S3 gateway endpoint is reused, else one is created and owned), the IAM policy the \
             execution role needs, the `vpc_config` to hand to models and jobs — and, with a `model` block, \
             the model itself. Checked against the account at `terraform plan`. Import with the model name.",
        )
        .attribute(
            Attribute::computed("id", Type::String)
                .description(
                    "This configuration's id: its `name` and a suffix unique to this instance, also the \
                     `sagemaker:owner` tag of every object it owns.",
                )
                .use_state_for_unknown(),
        )
        .attribute(
            Attribute::optional_computed("name", Type::String)
                .description(
                    "Names this configuration: its identity, and the start of its id and of its security \
                     group's name (`sagemaker-model-NAME-…`). Default: the model's name; required without a \
                     `model` block. Changing it replaces the resource.",
                )
                .validator(check("must be a SageMaker model name", check_model_name))
                .requires_replace()
                .use_state_for_unknown(),
        )
        .attribute(
            Attribute::required("subnet_ids", strings())
                .description(
                    "Subnets for the model's network interfaces: at least two, in different Availability \
                     Zones, all in one VPC.",
                )
                .validator(SizeBetween(1, crate::limits::MAX_MODEL_SUBNETS))
                .validator(Each(check("must be a subnet id (`subnet-…`)", check_subnet_id))),
        )
        .attribute(
            Attribute::optional("security_group_ids", strings())
                .description(
                    "Extra security groups for the model, in the same VPC. At most 5 groups in all, the model \
                     group included.",
                )
                .validator(SizeBetween(1, crate::limits::MAX_MODEL_SECURITY_GROUPS))
                .validator(Each(check("must be a security group id (`sg-…`)", check_security_group_id))),
        )
        .attribute(
            Attribute::optional_computed("create_security_group", Type::Bool)
                .description(
                    "Create the model security group (no ingress; egress TCP 443 to `egress_cidr_blocks` and \
                     the S3 prefix list only). Default `true`; with `false`, `security_group_ids` is required.",
                )
                .use_state_for_unknown(),
        )
        .attribute(
            Attribute::optional_computed("egress_cidr_blocks", strings())
                .description("Where the model group allows HTTPS besides S3 (VPC endpoints). Default: the VPC's CIDR blocks.")
                .validator(Each(check("must be an IPv4 CIDR block", check_cidr)))
                .use_state_for_unknown(),
        )
        .attribute(Attribute::optional("allow_egress_to_anywhere", Type::Bool).description(
            "Opt-in needed for `egress_cidr_blocks` that together cover every address (`0.0.0.0/0` in any \
             form). Default `false`.",
        ))
        .attribute(
            Attribute::optional_computed("create_s3_endpoint", Type::Bool)
                .description(
                    "When a subnet's route table has no S3 gateway route, create (and own) an S3 gateway \
                     endpoint routed there. Default `true`. With `false`, plan fails unless every subnet \
                     reaches S3 through a gateway endpoint or a NAT route.",
                )
                .use_state_for_unknown(),
        )
        .attribute(
            Attribute::optional("s3_bucket_arns", strings())
                .description(
                    "Policy of the S3 endpoint this resource creates: object access to these buckets only \
                     (and ECR image layers), for the principals of `policy_principals`.",
                )
                .validator(SizeBetween(1, 100))
                .validator(Each(check("must be an S3 bucket ARN", check_bucket_arn))),
        )
        .attribute(Attribute::optional("deny_amazon_linux_repositories", Type::Bool).description(
            "Adds to the policy of the S3 endpoint this resource creates a deny on the Amazon Linux package \
             repositories. Default `false`.",
        ))
        .attribute(policy_principals_attribute(
            "the S3 gateway endpoint this resource creates (an endpoint it reuses keeps its own policy)",
        ))
        .attribute(principal_org_id_attribute())
        .attribute(
            Attribute::optional_computed("instance_count", Type::Number)
                .description("Instances the model will run on; each needs 2 free addresses per subnet (5 with `efa`). Default 1.")
                .validator(IntBetween(1, 1000))
                .use_state_for_unknown(),
        )
        .attribute(
            Attribute::optional_computed("efa", Type::Bool)
                .description("Instances use Elastic Fabric Adapter (5 addresses each). Default `false`.")
                .use_state_for_unknown(),
        )
        .attribute(tags_attribute(super::VpcModelConfig::TAG_RULES))
        .attribute(tags_all_attribute())
        .attribute(
            Attribute::computed("vpc_id", Type::String)
                .description("The VPC of `subnet_ids`.")
                .use_state_for_unknown(),
        )
        .attribute(
            Attribute::computed("security_group_id", Type::String)
                .description("The model security group (null with `create_security_group = false`).")
                .use_state_for_unknown(),
        )
        .attribute(Attribute::computed("security_group_rules", strings()).description(
            "The model group's rules, one line each (`egress tcp 443 10.0.0.0/16`); a rule added or removed by \
             hand shows here as drift and is repaired by apply.",
        ))
        .attribute(Attribute::computed("vpc_config", vpc_config_type()).description(
            "`subnets` and `security_group_ids`, ready for an `aws_sagemaker_model` `vpc_config` block, a \
             training or a processing job.",
        ))
        .attribute(
            Attribute::computed("s3_endpoint_id", Type::String)
                .description("The S3 gateway endpoint the subnets use: the one this resource created, or the existing one it reuses (null when S3 goes through NAT).")
                .use_state_for_unknown(),
        )
        .attribute(
            Attribute::computed("s3_endpoint_managed", Type::Bool)
                .description("True when this resource created `s3_endpoint_id` and deletes it on destroy."),
        )
        .attribute(Attribute::computed("s3_endpoint_policy", Type::String).description(
            "The policy of the S3 gateway endpoint this resource created, as AWS reports it (null when it \
             reuses another endpoint or S3 goes through NAT): the default of `policy_principals` or the \
             helpers' policy. A change outside Terraform shows here as drift and is repaired by apply.",
        ))
        .attribute(
            Attribute::computed("s3_route_table_ids", strings())
                .description("The route tables this resource routes to its own S3 endpoint."),
        )
        .attribute(
            Attribute::computed("s3_prefix_list_id", Type::String)
                .description("The Region's S3 prefix list (the model group's S3 egress destination).")
                .use_state_for_unknown(),
        )
        .attribute(Attribute::computed("model_arn", Type::String).description("The model's ARN (null without a `model` block)."))
        .attribute(Attribute::computed("execution_role_policy_json", Type::String).description(
            "The least-privilege IAM policy the execution role needs to attach network interfaces in these \
             subnets and groups; attach it with `aws_iam_role_policy`.",
        ))
        .block(model_block())
        .block(timeouts::block()),
    )
}
