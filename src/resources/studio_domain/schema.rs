//! The schema of `sagemaker_studio_domain`.

use crate::aws::ids::check_subnet_id;
use crate::aws::sagemaker_inputs::{check_domain_name, check_user_profile_name};
use crate::framework::timeouts;
use crate::framework::validators::{Each, IntBetween, OneOf, SizeBetween, StringCheck};
use crate::framework::{Attribute, Block, NestedBlock, Schema};
use crate::policy::{check_kms_key_id, check_role_arn};
use crate::resources::common::{tags_all_attribute, tags_attribute, TagRules};
use crate::value::Type;

/// The most user profiles one resource manages (each gets its own group
/// and takes addresses; a larger team splits into several domains).
pub const MAX_PROFILES: usize = 100;

/// `auth_mode` values.
pub const AUTH_MODES: &[&str] = &["IAM", "SSO"];
/// `network_access` values.
pub const NETWORK_ACCESS: &[&str] = &["VpcOnly", "PublicInternetOnly"];
/// `home_efs_retention` values.
pub const RETENTION: &[&str] = &["Retain", "Delete"];

fn check(rule: &'static str, check: fn(&str) -> Result<(), String>) -> StringCheck {
    StringCheck { rule, check }
}

/// The object type of one entry of `endpoints`.
pub fn endpoint_type() -> Type {
    Type::object([("id", Type::String), ("managed", Type::Bool)])
}

fn user_profile_block() -> NestedBlock {
    let mut block = NestedBlock::list(
        "user_profile",
        Block::new(
            "A Studio user. Each gets its own security group, which admits traffic only from itself, so \
             one user's apps cannot reach another's. Adding or removing a profile is an in-place update.",
        )
        .attribute(
            Attribute::required("name", Type::String)
                .description("The profile name: letters, digits and hyphens, at most 63 characters, unique in the domain (not case sensitive).")
                .validator(check("must be a SageMaker user profile name", check_user_profile_name)),
        )
        .attribute(
            Attribute::optional("execution_role_arn", Type::String)
                .description("The IAM role this user's apps run as; default `default_execution_role_arn`.")
                .validator(check("must be an IAM role ARN", check_role_arn)),
        )
        .attribute(
            Attribute::optional("tags", Type::map(Type::String))
                .description("Extra tags for this profile, over the resource's tags.")
                .validator(TagRules::SAGEMAKER),
        ),
    );
    block.max_items = MAX_PROFILES as i64;
    block
}

/// The resource schema.
pub fn schema() -> Schema {
    let computed = |name: &'static str, ty: Type, text: &str| {
        Attribute::computed(name, ty).description(text.to_owned())
    };
    Schema::new(
        Block::new(
            "A SageMaker Studio domain with **no internet path**, and everything it needs in the VPC, as one \
             resource: the domain in `VpcOnly` mode, its user profiles, a security group per user, the VPC \
             endpoints Studio needs (reusing those that already serve the VPC, e.g. a \
             `sagemaker_private_network`'s), checked against the account at `terraform plan`. Subnets, \
             profiles, roles and tags change in place; destroy removes apps, spaces and profiles first and, \
             with `home_efs_retention = \"Delete\"`, the home EFS and the NFS security groups SageMaker made, \
             so the VPC can be deleted. Import with the domain id.",
        )
        .attribute(
            computed("id", Type::String,
                "This instance's id: the domain name and a suffix unique to this instance (`name/…`), also the \
                 `sagemaker:owner` tag of every object it owns.")
                .use_state_for_unknown(),
        )
        .attribute(
            Attribute::required("name", Type::String)
                .description("The domain name, unique in the Region. Changing it replaces the domain.")
                .validator(check("must be a Studio domain name", check_domain_name))
                .requires_replace(),
        )
        .attribute(
            Attribute::required("subnet_ids", Type::set(Type::String))
                .description(
                    "Private subnets for Studio (no route to an internet gateway), at least two Availability \
                     Zones recommended. Adding or removing subnets is an in-place update; removing needs no app running.",
                )
                .validator(SizeBetween(1, crate::limits::MAX_ENDPOINT_SUBNETS))
                .validator(Each(check("must be a subnet id (`subnet-…`)", check_subnet_id))),
        )
        .attribute(
            computed("vpc_id", Type::String,
                "The VPC of the subnets. Subnets of another VPC replace the domain.")
                .use_state_for_unknown(),
        )
        .attribute(
            Attribute::optional_computed("auth_mode", Type::String)
                .description("`IAM` (default) or `SSO` (IAM Identity Center). Changing it replaces the domain.")
                .validator(OneOf(AUTH_MODES))
                .requires_replace(),
        )
        .attribute(
            Attribute::optional_computed("network_access", Type::String)
                .description(
                    "`VpcOnly` (default: Studio traffic stays in the VPC, through its endpoints) or \
                     `PublicInternetOnly`. Changes in place while no app runs.",
                )
                .validator(OneOf(NETWORK_ACCESS)),
        )
        .attribute(
            Attribute::required("default_execution_role_arn", Type::String)
                .description("The IAM role Studio apps run as unless a profile names its own.")
                .validator(check("must be an IAM role ARN", check_role_arn)),
        )
        .attribute(
            Attribute::optional_computed("expected_users", Type::Number)
                .description(
                    "How many users the subnets must have room for (Studio takes 2–4 addresses per user): \
                     default the number of `user_profile` blocks (at least 1).",
                )
                .validator(IntBetween(1, 10_000)),
        )
        .attribute(
            Attribute::optional_computed("sdk_training", Type::Bool)
                .description("Endpoints for training jobs started from the SDK (`sts`, `logs`). Default `true`."),
        )
        .attribute(
            Attribute::optional_computed("projects", Type::Bool)
                .description("The Service Catalog endpoint SageMaker Projects need. Default `false`."),
        )
        .attribute(
            Attribute::optional_computed("create_endpoints", Type::Bool)
                .description(
                    "Create the endpoints no other endpoint serves yet (default `true`). With `false`, every \
                     service must already be served with private DNS in every subnet's zone, or the plan fails \
                     listing what is missing.",
                ),
        )
        .attribute(
            Attribute::optional_computed("home_efs_retention", Type::String)
                .description(
                    "What destroy does with the users' home EFS: `Retain` (default: notebooks are data) or \
                     `Delete` (the EFS and the two NFS security groups SageMaker made go too, so the subnets \
                     and the VPC can be deleted).",
                )
                .validator(OneOf(RETENTION)),
        )
        .attribute(
            Attribute::optional("kms_key_id", Type::String)
                .description("The KMS key that encrypts the home EFS. Changing it replaces the domain.")
                .validator(check(
                    "must be a KMS key id, key ARN, alias (`alias/NAME`) or alias ARN",
                    check_kms_key_id,
                ))
                .requires_replace(),
        )
        .attribute(tags_attribute(TagRules::SAGEMAKER))
        .attribute(tags_all_attribute())
        .attribute(
            computed("domain_id", Type::String, "The domain id (`d-…`).").use_state_for_unknown(),
        )
        .attribute(computed("arn", Type::String, "The domain ARN.").use_state_for_unknown())
        .attribute(
            computed("status", Type::String,
                "The domain's status as SageMaker reports it (`InService`, `Updating`, …). A `Failed` domain \
                 cannot be used or changed: the plan replaces it, with SageMaker's reason as a warning. After \
                 `Update_Failed` the plan updates it again.")
                .use_state_for_unknown(),
        )
        .attribute(computed("url", Type::String, "The Studio URL of the domain.").use_state_for_unknown())
        .attribute(
            computed("home_efs_file_system_id", Type::String, "The users' home EFS, made by SageMaker.")
                .use_state_for_unknown(),
        )
        .attribute(
            computed("security_group_id", Type::String,
                "The domain's security group, on every app: HTTPS out to the VPC (its endpoints) and to S3.")
                .use_state_for_unknown(),
        )
        .attribute(computed(
            "user_security_group_ids",
            Type::map(Type::String),
            "Each profile's own security group, by profile name: traffic only to and from itself.",
        ))
        .attribute(computed(
            "user_profile_arns",
            Type::map(Type::String),
            "Each profile's ARN, by profile name.",
        ))
        .attribute(computed(
            "user_profile_statuses",
            Type::map(Type::String),
            "Each profile's status as SageMaker reports it, by profile name. A `Failed` profile is deleted and \
             made again in place (the plan says why); after `Update_Failed` it is updated again.",
        ))
        .attribute(computed(
            "security_group_rules",
            Type::map(Type::list(Type::String)),
            "The rules of the groups this resource owns (`domain`, and `user/NAME` per profile), one line per \
             rule: a rule changed by hand shows here in the plan and is put back.",
        ))
        .attribute(
            computed("nfs_security_group_ids", Type::list(Type::String),
                "The two NFS groups SageMaker made for the home EFS (inbound, outbound).")
                .use_state_for_unknown(),
        )
        .attribute(computed(
            "endpoints",
            Type::map(endpoint_type()),
            "The endpoint serving each service Studio needs, by short name: `managed` when this resource \
             made it, else reused (e.g. a `sagemaker_private_network`'s).",
        ))
        .attribute(computed(
            "endpoint_security_group_id",
            Type::String,
            "The security group of the endpoints this resource made (HTTPS from the domain's group only); \
             null when it made none.",
        ))
        .block(user_profile_block())
        .block(timeouts::block()),
    )
}
