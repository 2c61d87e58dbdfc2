//! Reading the inputs of `sagemaker_studio_domain` from a planned or prior
//! value, and the names, rules and services they imply.

use crate::aws::ownership::Owner;
use crate::aws::TagSettings;
use crate::catalog::{self, ServiceSpec};
use crate::resources::common::{all_tags, known_strings, string_map, text};
use crate::value::Value;
use std::collections::BTreeMap;

/// The resource type, also the start of its ownership identity.
pub const TYPE_NAME: &str = "sagemaker_studio_domain";

/// The owner part that owns the endpoints this domain makes (see
/// [`Owner::part`]).
pub const ENDPOINTS_PART: &str = "endpoints";

/// The description of the domain's security group.
pub const DOMAIN_GROUP_DESCRIPTION: &str =
    "SageMaker Studio domain: HTTPS to the VPC endpoints and S3 only (terraform-provider-sagemaker)";

/// The start of a user group's description, followed by the profile name.
const USER_GROUP_DESCRIPTION_START: &str = "SageMaker Studio user ";

/// The description of profile `name`'s security group: it names the
/// profile, so the group is known as that user's whatever its name (a
/// group an unfinished create left keeps its name, made from another
/// instance id).
pub fn user_group_description(name: &str) -> String {
    format!(
        "{USER_GROUP_DESCRIPTION_START}{}: traffic only to and from this user's apps \
         (terraform-provider-sagemaker)",
        name.to_ascii_lowercase()
    )
}

/// One `user_profile` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    /// None: the domain's default role.
    pub execution_role: Option<String>,
    /// The profile's own tags (merged over the resource's by [`Desired::profile_tags`]).
    pub tags: BTreeMap<String, String>,
}

/// The inputs, as far as known.
#[derive(Clone, Debug)]
pub struct Desired {
    pub name: String,
    pub subnet_ids: Vec<String>,
    pub auth_mode: String,
    pub network_access: String,
    pub execution_role: String,
    pub profiles: Vec<Profile>,
    pub expected_users: u32,
    pub sdk_training: bool,
    pub projects: bool,
    pub create_endpoints: bool,
    pub retention: String,
    pub kms_key_id: Option<String>,
    /// The user's tags of every object (`tags_all`), ownership tags aside.
    pub tags: BTreeMap<String, String>,
}

fn flag(value: &Value, name: &str, default: bool) -> bool {
    value.get(name).and_then(Value::as_bool).unwrap_or(default)
}

/// The `user_profile` blocks of `value`.
pub fn profiles(value: &Value) -> Vec<Profile> {
    let Some(Value::List(items)) = value.get("user_profile") else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            Some(Profile {
                name: text(item, "name")?,
                execution_role: text(item, "execution_role_arn"),
                tags: string_map(item, "tags"),
            })
        })
        .collect()
}

/// The inputs of `value`; the provider's tag settings complete them.
pub fn desired(value: &Value, tagging: &TagSettings) -> Desired {
    let profiles = profiles(value);
    let expected = value
        .get("expected_users")
        .and_then(|v| match v {
            Value::Number(n) => n.as_i64(),
            _ => None,
        })
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or_else(|| default_expected_users(profiles.len()));
    Desired {
        name: text(value, "name").unwrap_or_default(),
        subnet_ids: known_strings(value, "subnet_ids").unwrap_or_default(),
        auth_mode: text(value, "auth_mode").unwrap_or_else(|| "IAM".into()),
        network_access: text(value, "network_access").unwrap_or_else(|| "VpcOnly".into()),
        execution_role: text(value, "default_execution_role_arn").unwrap_or_default(),
        expected_users: expected,
        sdk_training: flag(value, "sdk_training", true),
        projects: flag(value, "projects", false),
        create_endpoints: flag(value, "create_endpoints", true),
        retention: text(value, "home_efs_retention").unwrap_or_else(|| "Retain".into()),
        kms_key_id: text(value, "kms_key_id"),
        tags: all_tags(value, tagging),
        profiles,
    }
}

/// `expected_users` when the configuration leaves it out.
pub fn default_expected_users(profiles: usize) -> u32 {
    u32::try_from(profiles.max(1)).unwrap_or(u32::MAX)
}

impl Desired {
    /// The services Studio needs in `VpcOnly` (none otherwise): the
    /// SageMaker API and Runtime, Studio, S3, plus STS and CloudWatch Logs
    /// with `sdk_training` and Service Catalog with `projects`.
    pub fn services(&self) -> Vec<&'static ServiceSpec> {
        if self.network_access != "VpcOnly" {
            return Vec::new();
        }
        catalog::studio_services(self.sdk_training, self.projects)
    }

    /// The tags of profile `profile`: the resource's, overridden by its own.
    pub fn profile_tags(&self, profile: &Profile) -> BTreeMap<String, String> {
        let mut tags = self.tags.clone();
        tags.extend(profile.tags.clone());
        tags
    }

    /// The role profile `profile` runs as.
    pub fn role_of<'a>(&'a self, profile: &'a Profile) -> &'a str {
        profile
            .execution_role
            .as_deref()
            .unwrap_or(&self.execution_role)
    }
}

/// The key of a group in `security_group_rules`: `domain`, or `user/NAME`.
pub fn user_group_key(profile: &str) -> String {
    format!("user/{profile}")
}

/// The name of one of the instance's groups (`domain`, `user-NAME`):
/// unique per instance, so two domains can share a VPC.
pub fn group_name(owner: &Owner, part: &str) -> String {
    format!("sagemaker-studio-{}-{part}", owner.id.replace('/', "-"))
}

/// Which of its owner's groups `group` is (`domain`, `user-NAME`), told
/// by its description.
pub fn group_part(group: &crate::aws::ec2::find::SecurityGroup) -> Option<String> {
    if group.description == DOMAIN_GROUP_DESCRIPTION {
        return Some("domain".to_owned());
    }
    let rest = group
        .description
        .strip_prefix(USER_GROUP_DESCRIPTION_START)?;
    let (name, _) = rest.split_once(':')?;
    Some(user_group_part(name))
}

/// The group name part of profile `name` (names are not case sensitive).
pub fn user_group_part(name: &str) -> String {
    format!("user-{}", name.to_ascii_lowercase())
}

/// The domain group's rules: HTTPS out to the VPC's own addresses (where
/// its endpoints are) and to the S3 prefix list; nothing in.
pub fn domain_rule_lines(vpc_cidrs: &[String], s3_prefix_list: Option<&str>) -> Vec<String> {
    let mut lines: Vec<String> = vpc_cidrs
        .iter()
        .map(|cidr| format!("egress tcp 443 {cidr}"))
        .collect();
    lines.extend(s3_prefix_list.map(|pl| format!("egress tcp 443 {pl}")));
    lines.sort();
    lines
}

/// A user group's rules: everything to and from itself, nothing else.
pub fn user_rule_lines(group_id: &str) -> Vec<String> {
    vec![
        format!("egress all {group_id}"),
        format!("ingress all {group_id}"),
    ]
}

/// A map attribute of strings as a value.
pub fn string_map_value(map: &BTreeMap<String, String>) -> Value {
    Value::Map(
        map.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// Strings as a list value.
pub fn list_value(items: &[String]) -> Value {
    Value::List(items.iter().cloned().map(Value::String).collect())
}

/// The endpoint ids this instance made, from `endpoints` (`managed` ones).
pub fn managed_endpoints(state: &Value) -> BTreeMap<String, String> {
    match state.get("endpoints") {
        Some(Value::Map(entries)) => entries
            .iter()
            .filter(|(_, e)| e.get("managed").and_then(Value::as_bool) == Some(true))
            .filter_map(|(name, e)| Some((name.clone(), e.get("id")?.as_str()?.to_owned())))
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// One `endpoints` entry.
pub fn endpoint_entry(id: &str, managed: bool) -> Value {
    Value::Object(BTreeMap::from([
        ("id".to_owned(), Value::String(id.to_owned())),
        ("managed".to_owned(), Value::Bool(managed)),
    ]))
}
