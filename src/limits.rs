//! The limits AWS (and this provider) put on inputs, in one place, each with
//! where the number comes from. Validators and plan checks read them here so
//! that an input AWS would reject fails at `terraform plan`, never halfway
//! through an apply.

use std::time::Duration;

/// The most tags one object takes. EC2 User Guide, "Tag restrictions"
/// (50 per resource); SageMaker API `CreateModel`, `Tags` (0–50 items).
pub const MAX_TAGS_PER_OBJECT: usize = 50;

/// The most tags a configuration may give one object: the provider adds its
/// own ownership tags (`ManagedBy`, `sagemaker:owner` and, while a create
/// runs, `sagemaker:creating`; see [`crate::aws::ownership::RESERVED_KEYS`]).
pub const MAX_USER_TAGS: usize = MAX_TAGS_PER_OBJECT - crate::aws::ownership::RESERVED_KEYS.len();

/// The longest tag key, in Unicode characters. EC2 User Guide, "Tag
/// restrictions"; SageMaker API `Tag.Key` (length 1–128).
pub const MAX_TAG_KEY_CHARS: usize = 128;

/// The longest tag value, in Unicode characters. EC2 User Guide, "Tag
/// restrictions"; SageMaker API `Tag.Value` (length 0–256).
pub const MAX_TAG_VALUE_CHARS: usize = 256;

/// Tag keys AWS keeps for itself: "You can't edit or delete tag keys or
/// values with this prefix" (EC2 User Guide, "Tag restrictions"), and
/// CreateTags rejects them.
pub const RESERVED_TAG_PREFIX: &str = "aws:";

/// Characters SageMaker takes in tag keys and values: letters, separators
/// (spaces), digits and `_ . : / = + - @`. SageMaker API `Tag`, pattern
/// `^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`. EC2 takes any Unicode.
pub fn is_sagemaker_tag_char(c: char) -> bool {
    // Tabs and line breaks are white space to Rust but controls, not `\p{Z}`.
    !c.is_control() && (c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
}

/// The largest VPC endpoint policy, in characters, white space included.
/// AWS PrivateLink Guide, "Quotas": "VPC endpoint policy size: 20,480
/// characters (including white space)".
pub const MAX_ENDPOINT_POLICY_CHARS: usize = 20_480;

/// The deepest nesting of a policy document's JSON. The IAM policy grammar
/// (IAM User Guide, "Grammar of the IAM JSON policy language") nests at most
/// `{ Statement: [ { Condition: { operator: { key: [ value ] } } } ] }`, six
/// levels; anything deeper is not a policy AWS accepts.
pub const MAX_POLICY_DEPTH: usize = 6;

/// The most entries of a container `Environment`. SageMaker API
/// `ContainerDefinition.Environment`: "Maximum number of 100 items".
pub const MAX_ENVIRONMENT_ENTRIES: usize = 100;

/// The longest key or value of an `Environment` entry, in characters.
/// SageMaker API `ContainerDefinition.Environment`: key and value
/// "Maximum length of 1024"; keys match `[a-zA-Z_][a-zA-Z0-9_]*`.
pub const MAX_ENVIRONMENT_TEXT: usize = 1024;

/// The longest SageMaker model (or endpoint) name. SageMaker API
/// `CreateModel.ModelName`: length 1–63, pattern
/// `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`.
pub const MAX_MODEL_NAME_CHARS: usize = 63;

/// The most security groups a SageMaker `VpcConfig` takes. SageMaker API
/// `VpcConfig.SecurityGroupIds`: 1–5 items.
pub const MAX_MODEL_SECURITY_GROUPS: usize = 5;

/// The longest container image reference. SageMaker API
/// `ContainerDefinition.Image`: length up to 255.
pub const MAX_IMAGE_URI_CHARS: usize = 255;

/// The longest image tag. Docker/OCI distribution spec: a tag is at most
/// 128 characters (`[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`).
pub const MAX_IMAGE_TAG_CHARS: usize = 128;

/// The longest model data URL. SageMaker API
/// `ContainerDefinition.ModelDataUrl`: length up to 1024.
pub const MAX_MODEL_DATA_URL_CHARS: usize = 1024;

/// The most subnets a SageMaker `VpcConfig` takes. SageMaker API
/// `VpcConfig.Subnets`: 1–16 items.
pub const MAX_MODEL_SUBNETS: usize = 16;

/// The most subnets this provider takes for a network's endpoints: AWS takes
/// one per Availability Zone and documents no number, so this is the
/// provider's own cap, well above the zones of any Region (us-east-1 has 6).
pub const MAX_ENDPOINT_SUBNETS: usize = 16;

/// The most inbound rules a security group takes by default. Amazon VPC
/// User Guide, "Amazon VPC quotas": "Inbound or outbound rules per security
/// group: 60" (adjustable, so exceeding it is a warning, not an error).
pub const DEFAULT_RULES_PER_GROUP: usize = 60;

/// The longest `timeouts` value this provider accepts. No operation it waits
/// for takes longer than a few hours (Studio domains take minutes, endpoint
/// deletions up to ~10 minutes); a day catches typos such as `99999h`
/// without getting in anyone's way.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// The longest IPv4 prefix (`/32`, one address). EC2 API `IpRange.CidrIp`.
/// The address must also be the block's network address (host bits zero):
/// EC2 stores `10.0.0.1/16` as `10.0.0.0/16`, so a configuration keeping the
/// host bits would differ from AWS on every plan.
pub const MAX_IPV4_PREFIX: u8 = 32;
