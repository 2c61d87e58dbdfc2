//! Reading the inputs of `sagemaker_vpc_model_config` from a planned or
//! prior value, and the values it computes from them: the model group's
//! rules as lines, the `vpc_config` object, the S3 endpoint policy.

use crate::aws::ownership::Owner;
use crate::aws::{Clients, TagSettings};
use crate::framework::Diagnostics;
use crate::policy::PolicySource;
use crate::resources::common::known_strings;
use crate::resources::common::{all_tags, string_map, text};
use crate::resources::policy_principals::{self, Scope};
use crate::value::Value;
use std::collections::BTreeMap;

/// The resource type, also the start of its ownership identity.
pub const TYPE_NAME: &str = "sagemaker_vpc_model_config";

/// Addresses one instance takes in a subnet: its network interface and
/// SageMaker's spare for replacement; five with Elastic Fabric Adapter.
pub fn addresses_per_instance(efa: bool) -> u32 {
    if efa {
        5
    } else {
        2
    }
}

/// The `model` block, wholly known.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelSpec {
    pub name: String,
    pub execution_role_arn: String,
    pub image: String,
    pub model_data_url: Option<String>,
    pub environment: BTreeMap<String, String>,
    pub network_isolation: bool,
    /// The model's own tags (merged over the resource's in [`Desired::model_tags`]).
    pub tags: BTreeMap<String, String>,
}

/// The inputs, as known at apply.
#[derive(Clone, Debug, Default)]
pub struct Desired {
    /// The configuration's name: its identity (with the resource type).
    pub name: String,
    pub subnet_ids: Vec<String>,
    pub extra_group_ids: Vec<String>,
    pub create_security_group: bool,
    /// `None`: default to the VPC's CIDR blocks.
    pub egress_cidrs: Option<Vec<String>>,
    pub create_s3_endpoint: bool,
    pub instance_count: u32,
    pub efa: bool,
    /// Where the policy of the S3 endpoint this resource creates comes
    /// from: the helpers, else the default of `policy_principals`.
    pub s3_policy_source: PolicySource,
    /// Whom that policy admits (`policy_principals`).
    pub scope: Scope,
    /// The policy of the S3 endpoint this resource creates (`None`: AWS's
    /// full access): `None` until [`Desired::resolve_s3_policy`] fills it.
    pub s3_policy: Option<String>,
    pub model: Option<ModelSpec>,
    /// Tags for every object: `tags_all`, plus the ownership tags once
    /// apply knows the owner.
    pub tags: BTreeMap<String, String>,
    /// The provider's tag settings (keys `ignore_tags` names are left alone).
    pub tagging: TagSettings,
}

impl Desired {
    /// Fills [`Desired::s3_policy`]: reads the account id (once per
    /// provider process) when the policy admits the account's principals.
    /// Call it only when this resource makes or keeps its own S3 endpoint.
    pub async fn resolve_s3_policy(&mut self, clients: &Clients) -> Result<(), Diagnostics> {
        let spec = crate::catalog::service("s3").expect("the catalog has s3");
        let sources = BTreeMap::from([("s3", (spec, self.s3_policy_source.clone()))]);
        let mut rendered = policy_principals::render(clients, &self.scope, &sources).await?;
        self.s3_policy = rendered.remove("s3");
        Ok(())
    }

    /// The tags of the model: the resource's, then the model block's.
    pub fn model_tags(&self) -> BTreeMap<String, String> {
        let mut tags = self.tags.clone();
        if let Some(model) = &self.model {
            for (k, v) in &model.tags {
                tags.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        tags
    }
}

/// The configuration's name: `name`, else the model's name.
pub fn name_of(value: &Value) -> Option<String> {
    text(value, "name").or_else(|| value.get("model").and_then(|m| text(m, "name")))
}

/// The `model` block, when present.
pub fn model_spec(value: &Value) -> Option<ModelSpec> {
    let model = value.get("model").filter(|m| !m.is_null())?;
    let container = model
        .get("primary_container")
        .cloned()
        .unwrap_or(Value::Null);
    Some(ModelSpec {
        name: text(model, "name").unwrap_or_default(),
        execution_role_arn: text(model, "execution_role_arn").unwrap_or_default(),
        image: text(&container, "image").unwrap_or_default(),
        model_data_url: text(&container, "model_data_url"),
        environment: string_map(&container, "environment"),
        network_isolation: model
            .get("enable_network_isolation")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        tags: string_map(model, "tags"),
    })
}

/// The inputs of `value`; the provider's tag settings complete them.
pub fn desired(value: &Value, tagging: &TagSettings) -> Desired {
    let name = name_of(value).unwrap_or_default();
    let flag = |attribute: &str, default: bool| {
        value
            .get(attribute)
            .and_then(Value::as_bool)
            .unwrap_or(default)
    };
    let deny_amazon_linux = flag("deny_amazon_linux_repositories", false);
    let s3_policy_source = match known_strings(value, "s3_bucket_arns") {
        Some(buckets) => PolicySource::S3Buckets {
            buckets,
            deny_amazon_linux,
        },
        None if deny_amazon_linux => PolicySource::S3Buckets {
            buckets: Vec::new(),
            deny_amazon_linux,
        },
        None => PolicySource::Default,
    };
    let instance_count = match value.get("instance_count") {
        Some(Value::Number(n)) => n.as_i64().and_then(|i| u32::try_from(i).ok()),
        _ => None,
    };
    Desired {
        tags: all_tags(value, tagging),
        tagging: tagging.clone(),
        subnet_ids: known_strings(value, "subnet_ids").unwrap_or_default(),
        extra_group_ids: known_strings(value, "security_group_ids").unwrap_or_default(),
        create_security_group: flag("create_security_group", true),
        egress_cidrs: known_strings(value, "egress_cidr_blocks"),
        create_s3_endpoint: flag("create_s3_endpoint", true),
        instance_count: instance_count.unwrap_or(1),
        efa: flag("efa", false),
        s3_policy_source,
        scope: policy_principals::scope(value),
        s3_policy: None,
        model: model_spec(value),
        name,
    }
}

/// The name of the model security group of the configuration `owner`
/// (unique per instance, so a replacement can exist beside the old one).
pub fn security_group_name(owner: &Owner) -> String {
    format!("sagemaker-model-{}", owner.id.replace('/', "-"))
}

/// The model group's wanted rules as lines: HTTPS egress to each CIDR and to
/// the S3 prefix list, nothing else.
pub fn wanted_rules(egress_cidrs: &[String], s3_prefix_list_id: &str) -> Vec<String> {
    let mut lines: Vec<String> = egress_cidrs
        .iter()
        .map(|cidr| format!("egress tcp 443 {cidr}"))
        .chain(std::iter::once(format!(
            "egress tcp 443 {s3_prefix_list_id}"
        )))
        .collect();
    lines.sort();
    lines.dedup();
    lines
}

/// The S3 endpoint id this configuration owns, from a state value.
pub fn managed_endpoint_id(value: &Value) -> Option<String> {
    (value.get("s3_endpoint_managed").and_then(Value::as_bool) == Some(true))
        .then(|| text(value, "s3_endpoint_id"))
        .flatten()
}

/// A set of strings.
pub fn string_set(items: &[String]) -> Value {
    Value::Set(items.iter().cloned().map(Value::String).collect())
}

/// The `vpc_config` object; its groups are unknown while the model group
/// is not created yet.
pub fn vpc_config_value(subnet_ids: &[String], group_ids: Option<Vec<String>>) -> Value {
    Value::Object(BTreeMap::from([
        ("subnets".to_owned(), string_set(subnet_ids)),
        (
            "security_group_ids".to_owned(),
            group_ids.map_or(Value::Unknown, |ids| string_set(&ids)),
        ),
    ]))
}

/// The model's groups: the model group first, then the extra ones.
pub fn model_group_ids(own: Option<&str>, extra: &[String]) -> Vec<String> {
    own.map(str::to_owned)
        .into_iter()
        .chain(extra.iter().cloned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wanted_rules_are_https_egress_only() {
        assert_eq!(
            wanted_rules(&["10.0.0.0/16".into()], "pl-1"),
            vec!["egress tcp 443 10.0.0.0/16", "egress tcp 443 pl-1"]
        );
    }

    #[test]
    fn desired_reads_defaults_and_model() {
        let value = Value::Object(BTreeMap::from([
            (
                "subnet_ids".into(),
                string_set(&["subnet-1".into(), "subnet-2".into()]),
            ),
            (
                "model".into(),
                Value::Object(BTreeMap::from([
                    ("name".into(), Value::String("m1".into())),
                    (
                        "execution_role_arn".into(),
                        Value::String("arn:aws:iam::123456789012:role/r".into()),
                    ),
                    ("enable_network_isolation".into(), Value::Null),
                    ("tags".into(), Value::Null),
                    (
                        "primary_container".into(),
                        Value::Object(BTreeMap::from([
                            ("image".into(), Value::String("img".into())),
                            ("model_data_url".into(), Value::Null),
                            ("environment".into(), Value::Null),
                        ])),
                    ),
                ])),
            ),
        ]));
        let want = desired(&value, &TagSettings::default());
        assert_eq!(want.name, "m1");
        assert!(want.create_security_group && want.create_s3_endpoint && !want.efa);
        assert_eq!(want.instance_count, 1);
        assert!(want.model.as_ref().unwrap().network_isolation);
        assert_eq!(addresses_per_instance(true), 5);
    }
}
