//! The schema of `sagemaker_private_network`.

use crate::aws::ids::{
    check_cidr, check_route_table_id, check_security_group_id, check_subnet_id, check_vpc_id,
};
use crate::catalog::NAMES;
use crate::framework::timeouts;
use crate::framework::validators::{Each, OneOf, SizeBetween, StringCheck};
use crate::framework::{Attribute, Block, Schema};
use crate::policy::{check_bucket_arn, check_endpoint_arn};
use crate::resources::common::{tags_all_attribute, tags_attribute};
use crate::resources::composite::Composite;
use crate::resources::policy_principals::{
    policy_principals_attribute, principal_org_id_attribute,
};
use crate::value::Type;

/// The object type of one entry of `endpoints`.
pub fn endpoint_type() -> Type {
    Type::object([
        ("id", Type::String),
        ("service_name", Type::String),
        ("type", Type::String),
        ("state", Type::String),
        ("dns_names", Type::list(Type::String)),
        ("network_interface_ids", Type::list(Type::String)),
    ])
}

fn strings() -> Type {
    Type::set(Type::String)
}

/// The resource schema.
pub fn schema() -> Schema {
    let check =
        |rule: &'static str, check: fn(&str) -> Result<(), String>| StringCheck { rule, check };
    Schema::new(
        Block::new(
            "Everything a VPC needs so that SageMaker API, Runtime, Studio, training and hosting work with \
             **no internet path**: interface endpoints over PrivateLink, an S3 gateway endpoint with routes, \
             the endpoints' security group and least-privilege endpoint policies — planned, checked against \
             the account at `terraform plan`, and applied as one resource. Import with the VPC id or the network id.",
        )
        .attribute(
            Attribute::computed("id", Type::String)
                .description(
                    "This network's id: the VPC id and a suffix unique to this instance (`vpc-…/…`), \
                     also the `sagemaker:owner` tag of every object it owns. Import with it or with the VPC id.",
                )
                .use_state_for_unknown(),
        )
        .attribute(
            Attribute::required("vpc_id", Type::String)
                .description("The VPC to make private. Changing it replaces the resource.")
                .validator(check("must be a VPC id (`vpc-…`)", check_vpc_id))
                .requires_replace(),
        )
        .attribute(
            Attribute::required("subnet_ids", strings())
                .description(
                    "Subnets for the endpoint network interfaces: at most one per Availability Zone, \
                     at least two zones recommended.",
                )
                .validator(SizeBetween(1, crate::limits::MAX_ENDPOINT_SUBNETS))
                .validator(Each(check("must be a subnet id (`subnet-…`)", check_subnet_id))),
        )
        .attribute(
            Attribute::optional_computed("services", strings())
                .description(
                    "Services to reach privately, by short name or preset (`hosting`, `training`, \
                     `studio_vpc_only`). Default `[\"hosting\"]`.",
                )
                .validator(SizeBetween(1, 32))
                .validator(Each(OneOf(NAMES)))
                .use_state_for_unknown(),
        )
        .attribute(
            Attribute::optional_computed("private_dns_enabled", Type::Bool)
                .description(
                    "Whether clients keep the default hostnames (`api.sagemaker.REGION.amazonaws.com`). \
                     Needs `enableDnsSupport` and `enableDnsHostnames` on the VPC. Default `true`.",
                )
                .use_state_for_unknown(),
        )
        .attribute(
            Attribute::optional_computed("allowed_cidr_blocks", strings())
                .description("Sources allowed to reach the endpoints on TCP 443. Default: the VPC's CIDR blocks.")
                .validator(Each(check("must be an IPv4 CIDR block", check_cidr)))
                .use_state_for_unknown(),
        )
        .attribute(
            Attribute::optional("allowed_security_group_ids", strings())
                .description("Security groups whose members may reach the endpoints on TCP 443.")
                .validator(Each(check("must be a security group id (`sg-…`)", check_security_group_id))),
        )
        .attribute(Attribute::optional("allow_ingress_from_anywhere", Type::Bool).description(
            "Opt-in needed for `allowed_cidr_blocks` that together cover every address (`0.0.0.0/0` in any \
             form). Default `false`.",
        ))
        .attribute(
            Attribute::optional("endpoint_policies", Type::map(Type::String))
                .description(
                    "Endpoint policy JSON by service short name, sent as written. Compared by meaning, so \
                     reformatting causes no diff. A service without an entry (or a helper below) gets the \
                     default of `policy_principals`: everything, to principals of this account only.",
                ),
        )
        .attribute(policy_principals_attribute(
            "every endpoint given no policy in `endpoint_policies` or by a helper",
        ))
        .attribute(principal_org_id_attribute())
        .attribute(
            Attribute::optional("runtime_invoke_endpoint_arns", strings())
                .description(
                    "Generates the `sagemaker_runtime` policy: only `sagemaker:InvokeEndpoint` on these \
                     SageMaker endpoints, for the principals of `policy_principals`; everything else through \
                     the endpoint is denied.",
                )
                .validator(SizeBetween(1, 100))
                .validator(Each(check("must be a SageMaker endpoint ARN", check_endpoint_arn))),
        )
        .attribute(
            Attribute::optional("s3_bucket_arns", strings())
                .description(
                    "Generates the `s3` gateway policy: object access to these buckets only (and ECR image \
                     layers), for the principals of `policy_principals`.",
                )
                .validator(SizeBetween(1, 100))
                .validator(Each(check("must be an S3 bucket ARN", check_bucket_arn))),
        )
        .attribute(Attribute::optional("deny_amazon_linux_repositories", Type::Bool).description(
            "Adds to the `s3` policy a deny on the Amazon Linux package repositories, so instances cannot \
             install packages through the endpoint. Default `false`.",
        ))
        .attribute(
            Attribute::optional_computed("s3_route_table_ids", strings())
                .description(
                    "Route tables that get the S3 gateway route. Default: the route tables of \
                     `subnet_ids` (the VPC's main table for subnets without one).",
                )
                .validator(Each(check("must be a route table id (`rtb-…`)", check_route_table_id)))
                .use_state_for_unknown(),
        )
        .attribute(tags_attribute(super::PrivateNetwork::TAG_RULES))
        .attribute(tags_all_attribute())
        .attribute(
            Attribute::computed("security_group_id", Type::String)
                .description("The endpoints' security group, created and owned by this resource.")
                .use_state_for_unknown(),
        )
        .attribute(
            Attribute::computed("ingress_rules", strings()).description(
                "The endpoints' security group ingress as AWS reports it, one line per protocol, ports \
                 and source (`ingress tcp 443 10.0.0.0/16`). Only TCP 443 from the allowed sources \
                 belongs there: a rule added or removed outside Terraform shows in the next plan, and \
                 apply restores the group.",
            ),
        )
        .attribute(Attribute::computed("endpoints", Type::map(endpoint_type())).description(
            "The endpoints by short name: `id`, `service_name`, `type` (`Interface` or `Gateway`), \
             `state`, `dns_names` and `network_interface_ids`.",
        ))
        .attribute(Attribute::computed("api_endpoint_url", Type::String).description(
            "`https://VPCE_ID.api.sagemaker.REGION.vpce.amazonaws.com`, for clients without private DNS \
             (null without `sagemaker_api`).",
        ))
        .attribute(Attribute::computed("runtime_endpoint_url", Type::String).description(
            "`https://VPCE_ID.runtime.sagemaker.REGION.vpce.amazonaws.com` (null without `sagemaker_runtime`).",
        ))
        .attribute(Attribute::computed("featurestore_runtime_endpoint_url", Type::String).description(
            "`https://VPCE_ID.featurestore-runtime.sagemaker.REGION.vpce.amazonaws.com` (null without \
             `featurestore_runtime`).",
        ))
        .attribute(
            Attribute::computed("s3_prefix_list_id", Type::String)
                .description("The Region's S3 prefix list, for security group egress rules.")
                .use_state_for_unknown(),
        )
        .block(timeouts::block()),
    )
}
