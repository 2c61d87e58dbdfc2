//! Reading the inputs of `sagemaker_private_network` from a planned or prior
//! value, and writing its computed attributes from what AWS reports.

use super::checks::wanted_services;
use crate::aws::ec2::find::{Rule, SecurityGroup, VpcEndpoint};
use crate::aws::ec2::groups::rule_lines;
use crate::aws::ownership::Owner;
use crate::aws::{Clients, TagSettings};
use crate::catalog::{self, ServiceSpec};
use crate::framework::Diagnostics;
use crate::policy::PolicySource;
use crate::resources::common::{all_tags, known_strings, string_map, text};
use crate::resources::policy_principals::{self, Scope};
use crate::value::Value;
use std::collections::BTreeMap;

/// The name of the endpoints' security group of the network `owner`
/// (unique per instance, so two networks can share a VPC).
pub fn security_group_name(owner: &Owner) -> String {
    format!("sagemaker-private-network-{}", owner.id.replace('/', "-"))
}

/// The description of the endpoints' security group.
pub const SECURITY_GROUP_DESCRIPTION: &str =
    "SageMaker VPC endpoints: HTTPS from allowed sources only (terraform-provider-sagemaker)";

/// The resource type, also the start of its ownership identity.
pub const TYPE_NAME: &str = "sagemaker_private_network";

/// The inputs, wholly known (as at apply).
pub struct Desired {
    pub vpc_id: String,
    pub subnet_ids: Vec<String>,
    pub services: Vec<&'static ServiceSpec>,
    pub private_dns: bool,
    pub allowed_cidrs: Option<Vec<String>>,
    pub allowed_groups: Vec<String>,
    pub route_table_ids: Option<Vec<String>>,
    /// Where the policy of each service that takes one comes from: the
    /// configuration's document, a helper, or the default of `scope`.
    pub policy_sources: BTreeMap<&'static str, (&'static ServiceSpec, PolicySource)>,
    /// Whom the default and helper policies admit (`policy_principals`).
    pub scope: Scope,
    /// The policy document of each service that has one (a service left
    /// out keeps AWS's full access): empty until
    /// [`Desired::resolve_policies`] fills it.
    pub policies: BTreeMap<&'static str, String>,
    /// The user's tags of every object (`tags_all`), ownership tags aside.
    pub tags: BTreeMap<String, String>,
}

/// The inputs of `value`; the provider's tag settings complete them.
pub fn desired(value: &Value, tagging: &TagSettings) -> Desired {
    let vpc_id = text(value, "vpc_id").unwrap_or_default();
    let services = wanted_services(value).unwrap_or_default();
    let policy_sources = policy_sources(value, &services);
    Desired {
        tags: all_tags(value, tagging),
        subnet_ids: known_strings(value, "subnet_ids").unwrap_or_default(),
        private_dns: value
            .get("private_dns_enabled")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        allowed_cidrs: known_strings(value, "allowed_cidr_blocks"),
        allowed_groups: known_strings(value, "allowed_security_group_ids").unwrap_or_default(),
        route_table_ids: known_strings(value, "s3_route_table_ids"),
        vpc_id,
        services,
        policy_sources,
        scope: policy_principals::scope(value),
        policies: BTreeMap::new(),
    }
}

/// Where the policy of each endpoint comes from: a helper
/// (`runtime_invoke_endpoint_arns`, `s3_bucket_arns`,
/// `deny_amazon_linux_repositories`), else `endpoint_policies` (validate
/// refuses both for one service), else the default of `policy_principals` —
/// for every wanted service that takes a policy.
fn policy_sources(
    value: &Value,
    services: &[&'static ServiceSpec],
) -> BTreeMap<&'static str, (&'static ServiceSpec, PolicySource)> {
    let mut sources: BTreeMap<&'static str, (&'static ServiceSpec, PolicySource)> = services
        .iter()
        .filter(|spec| spec.accepts_policy)
        .map(|spec| (spec.short_name, (*spec, PolicySource::Default)))
        .collect();
    let mut set = |spec: &'static ServiceSpec, source: PolicySource| {
        sources.insert(spec.short_name, (spec, source));
    };
    for (name, text) in string_map(value, "endpoint_policies") {
        if let Some(spec) = catalog::service(&name) {
            set(spec, PolicySource::Given(text));
        }
    }
    if let Some(arns) = known_strings(value, "runtime_invoke_endpoint_arns") {
        set(
            catalog_spec("sagemaker_runtime"),
            PolicySource::RuntimeInvoke(arns),
        );
    }
    let deny_amazon_linux = value
        .get("deny_amazon_linux_repositories")
        .and_then(Value::as_bool)
        == Some(true);
    let buckets = known_strings(value, "s3_bucket_arns");
    if buckets.is_some() || deny_amazon_linux {
        let buckets = buckets.unwrap_or_default();
        let source = PolicySource::S3Buckets {
            buckets,
            deny_amazon_linux,
        };
        set(catalog_spec("s3"), source);
    }
    sources
}

/// A service the catalog is known to have.
fn catalog_spec(short_name: &str) -> &'static ServiceSpec {
    catalog::service(short_name).expect("the catalog has every helper's service")
}

impl Desired {
    /// Fills [`Desired::policies`] from the sources: reads the account id
    /// (once per provider process) only when a document admits the
    /// account's principals.
    pub async fn resolve_policies(&mut self, clients: &Clients) -> Result<(), Diagnostics> {
        self.policies =
            policy_principals::render(clients, &self.scope, &self.policy_sources).await?;
        Ok(())
    }

    /// True when the policy of `short_name` is the default of
    /// `policy_principals` (the configuration gives none).
    pub fn has_default_policy(&self, short_name: &str) -> bool {
        matches!(
            self.policy_sources.get(short_name),
            Some((_, PolicySource::Default))
        )
    }
}

/// The endpoint ids recorded in a state value.
pub fn recorded_ids(state: &Value) -> Vec<String> {
    match state.get("endpoints") {
        Some(Value::Map(entries)) => entries
            .values()
            .filter_map(|e| e.get("id").and_then(Value::as_str))
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

fn strings(items: &[String]) -> Value {
    Value::List(items.iter().cloned().map(Value::String).collect())
}

/// One `endpoints` entry from what AWS reports.
pub fn endpoint_value(spec: &ServiceSpec, endpoint: &VpcEndpoint) -> Value {
    let mut dns = endpoint.dns_names.clone();
    dns.sort();
    Value::Object(BTreeMap::from([
        ("id".to_owned(), Value::String(endpoint.id.clone())),
        (
            "service_name".to_owned(),
            Value::String(endpoint.service_name.clone()),
        ),
        (
            "type".to_owned(),
            Value::String(spec.kind.as_str().to_owned()),
        ),
        ("state".to_owned(), Value::String(endpoint.state.clone())),
        ("dns_names".to_owned(), strings(&dns)),
        (
            "network_interface_ids".to_owned(),
            strings(&endpoint.network_interface_ids),
        ),
    ]))
}

/// A planned `endpoints` entry: identity known, the rest after apply.
pub fn planned_endpoint(spec: &ServiceSpec, region: &str, id: Value) -> Value {
    Value::Object(BTreeMap::from([
        ("id".to_owned(), id),
        (
            "service_name".to_owned(),
            Value::String(spec.service_name(region)),
        ),
        (
            "type".to_owned(),
            Value::String(spec.kind.as_str().to_owned()),
        ),
        ("state".to_owned(), Value::Unknown),
        ("dns_names".to_owned(), Value::Unknown),
        ("network_interface_ids".to_owned(), Value::Unknown),
    ]))
}

/// The `https://VPCE.<label>.sagemaker.REGION.vpce.amazonaws.com` URL
/// attributes, from the endpoint ids in an `endpoints` map value.
pub fn endpoint_urls(endpoints: &Value, region: &str) -> [(&'static str, Value); 3] {
    let url = |short: &str, label: &str| {
        let Some(entry) = endpoints.get(short) else {
            return Value::Null;
        };
        match entry.get("id") {
            Some(Value::String(id)) => Value::String(format!(
                "https://{id}.{label}.sagemaker.{region}.vpce.amazonaws.com"
            )),
            Some(Value::Unknown) | None => Value::Unknown,
            Some(_) => Value::Null,
        }
    };
    [
        ("api_endpoint_url", url("sagemaker_api", "api")),
        ("runtime_endpoint_url", url("sagemaker_runtime", "runtime")),
        (
            "featurestore_runtime_endpoint_url",
            url("featurestore_runtime", "featurestore-runtime"),
        ),
    ]
}

/// The ingress the endpoints' group must have, as [`rule_lines`] writes
/// it: TCP 443 from `cidrs` and `groups`, nothing else.
pub fn wanted_rule_lines(cidrs: &[String], groups: &[String]) -> Vec<String> {
    let https = Rule {
        protocol: "tcp".to_owned(),
        from_port: Some(443),
        to_port: Some(443),
        cidr_ipv4: cidrs.to_vec(),
        source_group_ids: groups.to_vec(),
        ..Rule::default()
    };
    rule_lines(&SecurityGroup {
        id: String::new(),
        vpc_id: String::new(),
        name: String::new(),
        description: String::new(),
        ingress: vec![https],
        egress: Vec::new(),
        tags: BTreeMap::new(),
    })
}

/// The ingress lines of `group`, as [`rule_lines`] writes them. Egress is
/// not tracked: endpoint network interfaces never open connections.
pub fn ingress_lines(group: &SecurityGroup) -> Vec<String> {
    rule_lines(group)
        .into_iter()
        .filter(|line| line.starts_with("ingress "))
        .collect()
}

/// An `ingress_rules` value.
pub fn rule_lines_value(lines: Vec<String>) -> Value {
    Value::Set(lines.into_iter().map(Value::String).collect())
}

/// The short name of a catalog service called `service_name` in `region`.
pub fn short_name_of(service_name: &str, kind: &str, region: &str) -> Option<&'static ServiceSpec> {
    catalog::SERVICES.iter().find(|s| {
        s.service_name(region) == service_name && s.kind.as_str().eq_ignore_ascii_case(kind)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_use_the_endpoint_id_and_region() {
        let endpoints = Value::Map(BTreeMap::from([(
            "sagemaker_api".to_owned(),
            Value::Object(BTreeMap::from([(
                "id".to_owned(),
                Value::String("vpce-1".into()),
            )])),
        )]));
        let [api, runtime, _] = endpoint_urls(&endpoints, "eu-west-1");
        assert_eq!(
            api.1,
            Value::String("https://vpce-1.api.sagemaker.eu-west-1.vpce.amazonaws.com".into())
        );
        assert_eq!(runtime.1, Value::Null);
    }

    #[test]
    fn every_service_that_takes_a_policy_gets_one_source() {
        let strings =
            |items: &[&str]| Value::Set(items.iter().map(|s| Value::String((*s).into())).collect());
        let value = Value::Object(BTreeMap::from([
            (
                "services".to_owned(),
                strings(&["hosting", "sagemaker_runtime_fips", "sts"]),
            ),
            (
                "endpoint_policies".to_owned(),
                Value::Map(BTreeMap::from([(
                    "sts".to_owned(),
                    Value::String("{}".into()),
                )])),
            ),
            (
                "runtime_invoke_endpoint_arns".to_owned(),
                strings(&["arn:aws:sagemaker:us-east-1:123456789012:endpoint/a"]),
            ),
        ]));
        let want = desired(&value, &TagSettings::default());
        let sources: BTreeMap<&str, &PolicySource> = want
            .policy_sources
            .iter()
            .map(|(name, (_, source))| (*name, source))
            .collect();
        assert_eq!(
            sources,
            BTreeMap::from([
                ("s3", &PolicySource::Default),
                ("sagemaker_api", &PolicySource::Default),
                (
                    "sagemaker_runtime",
                    &PolicySource::RuntimeInvoke(vec![
                        "arn:aws:sagemaker:us-east-1:123456789012:endpoint/a".to_owned()
                    ])
                ),
                ("sts", &PolicySource::Given("{}".to_owned())),
            ]),
            "the FIPS runtime takes no policy"
        );
        assert!(want.has_default_policy("sagemaker_api") && !want.has_default_policy("sts"));
        assert_eq!(want.scope, Scope::Account);
    }

    #[test]
    fn the_group_wants_https_in_from_each_source_and_nothing_else() {
        let lines = wanted_rule_lines(&["10.0.0.0/16".into()], &["sg-1".into()]);
        assert_eq!(
            lines,
            ["ingress tcp 443 10.0.0.0/16", "ingress tcp 443 sg-1"]
        );
    }
}
