//! The schema of the `provider "sagemaker"` block.

use super::config::{check_endpoint_url, check_region, check_role_arn};
use crate::framework::validators::{IntBetween, StringCheck};
use crate::framework::{Attribute, Block, NestedBlock, Schema};
use crate::resources::common::TagRules;
use crate::value::Type;

const REGION: StringCheck = StringCheck {
    rule: "must be an AWS Region code such as `eu-west-1`",
    check: check_region,
};
const URL: StringCheck = StringCheck {
    rule: "must be an absolute http or https URL",
    check: check_endpoint_url,
};
const ROLE_ARN: StringCheck = StringCheck {
    rule: "must be an IAM role ARN",
    check: check_role_arn,
};

/// The provider block schema.
pub fn provider_schema() -> Schema {
    let strings = || Type::list(Type::String);
    Schema::new(
        Block::new(
            "Private networking for Amazon SageMaker. Credentials and Region resolve like the AWS CLI: \
             provider arguments first, then environment variables, shared files, SSO, web identity and \
             instance roles.",
        )
        .attribute(
            Attribute::optional("region", Type::String)
                .description("AWS Region. Defaults to `AWS_REGION`, `AWS_DEFAULT_REGION` or the profile's region.")
                .validator(REGION),
        )
        .attribute(
            Attribute::optional("profile", Type::String)
                .description("Named profile from the shared config and credentials files. Defaults to `AWS_PROFILE`."),
        )
        .attribute(
            Attribute::optional("shared_config_files", strings())
                .description("Shared config files to read instead of `~/.aws/config`."),
        )
        .attribute(
            Attribute::optional("shared_credentials_files", strings())
                .description("Shared credentials files to read instead of `~/.aws/credentials`."),
        )
        .attribute(
            Attribute::optional("access_key", Type::String)
                .sensitive()
                .description("Access key ID, set together with `secret_key`. Defaults to `AWS_ACCESS_KEY_ID`; prefer profiles, SSO or roles."),
        )
        .attribute(
            Attribute::optional("secret_key", Type::String)
                .sensitive()
                .description("Secret access key, set together with `access_key`. Defaults to `AWS_SECRET_ACCESS_KEY`. Never logged."),
        )
        .attribute(
            Attribute::optional("token", Type::String)
                .sensitive()
                .description("Session token for temporary credentials given by `access_key`/`secret_key`. Defaults to `AWS_SESSION_TOKEN`."),
        )
        .attribute(
            Attribute::optional("max_retries", Type::Number)
                .description(
                    "How many times a throttled or failed AWS call is retried (default 8). \
                     Throttling and lost answers back off from 1 s, doubling up to 20 s (with \
                     jitter); a connection that cannot be opened (refused, unknown host) is \
                     retried every 0.25 s.",
                )
                .validator(IntBetween(0, 25)),
        )
        .block(NestedBlock::single(
            "assume_role",
            Block::new("Assume this IAM role with the resolved credentials before calling AWS.")
                .attribute(
                    Attribute::required("role_arn", Type::String)
                        .description("ARN of the role to assume.")
                        .validator(ROLE_ARN),
                )
                .attribute(
                    Attribute::optional("session_name", Type::String)
                        .description("Session name recorded in CloudTrail (default `terraform-provider-sagemaker`)."),
                )
                .attribute(
                    Attribute::optional("external_id", Type::String)
                        .description("External ID the role's trust policy requires."),
                ),
        ))
        .block(NestedBlock::single(
            "endpoints",
            Block::new("Custom service URLs, such as VPC endpoint URLs or a local emulator. A service left unset uses `AWS_ENDPOINT_URL` or the standard AWS endpoint.")
                .attribute(Attribute::optional("ec2", Type::String).description("EC2 API URL.").validator(URL))
                .attribute(
                    Attribute::optional("sagemaker", Type::String).description("SageMaker API URL.").validator(URL),
                )
                .attribute(Attribute::optional("sts", Type::String).description("STS API URL.").validator(URL)),
        ))
        .block(NestedBlock::single(
            "default_tags",
            Block::new("Tags added to every object this provider creates. Where a resource sets the same key in its own `tags`, the resource's value wins.")
                .attribute(
                    Attribute::optional("tags", Type::map(Type::String))
                        .description("Tag keys and values.")
                        .validator(TagRules {
                            sagemaker: false,
                            reserved_keys_allowed: true,
                        }),
                ),
        ))
        .block(NestedBlock::single(
            "ignore_tags",
            Block::new("Tags this provider neither reads nor changes, as in hashicorp/aws: keys set by other tools or by AWS. They never show in `tags` or `tags_all` and are left as they are on every object.")
                .attribute(Attribute::optional("keys", Type::set(Type::String)).description("Exact tag keys to ignore."))
                .attribute(Attribute::optional("key_prefixes", Type::set(Type::String)).description("Tag key prefixes to ignore.")),
        )),
    )
}
