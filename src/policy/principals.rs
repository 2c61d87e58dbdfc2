//! Who the endpoint policies this provider writes admit
//! (`policy_principals`), and what an endpoint gets when the configuration
//! gives it no policy: least privilege, not AWS's full access.
//!
//! The default is the data-perimeter pattern of AWS's "Establishing a data
//! perimeter" guidance and aws-samples/data-perimeter-policy-examples: allow
//! everything, but only to principals of the caller's own account
//! (`aws:PrincipalAccount`) — or of its AWS Organization
//! (`aws:PrincipalOrgID`). The helper policies (`runtime_invoke_endpoint_arns`,
//! `s3_bucket_arns`, `deny_amazon_linux_repositories`) carry the same
//! condition. `Any` keeps AWS's behaviour: no policy (full access), and
//! helpers for any principal.
//!
//! An S3 gateway policy the provider writes also lets through the one
//! AWS-owned bucket SageMaker needs whose requests are not signed by the
//! account's principals; see [`ecr_layer_bucket_arn`].

use super::*;

/// The values of `policy_principals`, the default first.
pub const PRINCIPAL_SCOPES: [&str; 3] = ["account", "organization", "any"];

/// Who the policies the provider writes admit, resolved (the account id
/// read, the organization id given).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Principals {
    /// Principals of this AWS account only (`aws:PrincipalAccount`).
    Account(String),
    /// Principals of the accounts of this AWS Organization only
    /// (`aws:PrincipalOrgID`).
    Organization(String),
    /// Any principal: no default policy (AWS's full access), helpers
    /// without a condition.
    Any,
}

impl Principals {
    /// The `policy_principals` value that asks for these principals.
    pub fn scope_name(&self) -> &'static str {
        match self {
            Principals::Account(_) => "account",
            Principals::Organization(_) => "organization",
            Principals::Any => "any",
        }
    }

    /// "principals of account 123456789012", for messages.
    pub fn describe(&self) -> String {
        match self {
            Principals::Account(id) => format!("principals of account {id}"),
            Principals::Organization(id) => format!("principals of organization {id}"),
            Principals::Any => "any principal".to_owned(),
        }
    }

    /// The condition that admits only these principals; none for `Any`.
    pub(super) fn condition(&self) -> Option<Value> {
        match self {
            Principals::Account(id) => Some(json!({ "StringEquals": { ACCOUNT_KEY: id } })),
            Principals::Organization(id) => {
                Some(json!({ "StringEquals": { ORGANIZATION_KEY: id } }))
            }
            Principals::Any => None,
        }
    }

    /// `statement` (an object) admitting only these principals.
    pub(super) fn restrict(&self, mut statement: Value) -> Value {
        if let (Some(condition), Value::Object(fields)) = (self.condition(), &mut statement) {
            fields.insert("Condition".to_owned(), condition);
        }
        statement
    }
}

/// The global condition key naming the account of the calling principal.
pub(super) const ACCOUNT_KEY: &str = "aws:PrincipalAccount";
/// The global condition key naming the organization of the calling principal.
pub(super) const ORGANIZATION_KEY: &str = "aws:PrincipalOrgID";

/// `Ok` when `id` is an AWS Organizations id: `o-` then 10 to 32 lower-case
/// letters or digits (the pattern of the Organizations API).
pub fn check_organization_id(id: &str) -> Result<(), String> {
    let rest = id.strip_prefix("o-");
    let ok = rest.is_some_and(|rest| {
        (10..=32).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{:?} is not an AWS Organizations id: it is \"o-\" then 10 to 32 lower-case letters or digits, \
             e.g. \"o-a1b2c3d4e5\" (`aws organizations describe-organization --query Organization.Id` prints it)",
            excerpt(id)
        ))
    }
}

/// The object ARN of the Region's bucket holding Amazon ECR image layers,
/// `arn:PARTITION:s3:::prod-REGION-starport-layer-bucket/*`. ECR hands out
/// presigned URLs to it, signed by ECR rather than by the account's
/// principals, so a policy that admits only the account's principals must
/// allow `s3:GetObject` on it explicitly or no image can be pulled through
/// the S3 gateway. Source: Amazon ECR User Guide, "Amazon ECR interface VPC
/// endpoints (AWS PrivateLink)", section "Minimum Amazon S3 bucket
/// permissions for Amazon ECR"
/// (<https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html#ecr-minimum-s3-perms>).
pub fn ecr_layer_bucket_arn(region: &str) -> String {
    format!(
        "arn:{}:s3:::prod-{region}-starport-layer-bucket/*",
        partition_of(region)
    )
}

/// The statement that lets ECR image layers through the S3 gateway, to any
/// principal (the presigned URLs are ECR's), read-only.
pub(super) fn allow_ecr_layers(region: &str) -> Value {
    json!({
        "Sid": "AllowEcrImageLayers",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": ecr_layer_bucket_arn(region),
    })
}

/// The policy an endpoint of `spec` gets when the configuration gives it
/// none: `None` (no policy: AWS's full access) for `Principals::Any` or a
/// service that takes no policy; else everything, to `principals` only —
/// and for the S3 gateway also the ECR image layers (see
/// [`ecr_layer_bucket_arn`]).
pub fn default_policy(spec: &ServiceSpec, principals: &Principals, region: &str) -> Option<String> {
    if !spec.accepts_policy || *principals == Principals::Any {
        return None;
    }
    Some(match spec.kind {
        crate::catalog::EndpointKind::Gateway => s3_buckets_policy(&[], false, region, principals),
        crate::catalog::EndpointKind::Interface => {
            document(vec![principals.restrict(allow_everything())])
        }
    })
}

/// Where the policy of one endpoint comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PolicySource {
    /// The document the configuration gives (`endpoint_policies`), sent as
    /// written: it decides itself whom it admits.
    Given(String),
    /// `runtime_invoke_endpoint_arns`: see [`runtime_invoke_policy`].
    RuntimeInvoke(Vec<String>),
    /// `s3_bucket_arns` (empty when only the deny flag is set) and
    /// `deny_amazon_linux_repositories`: see [`s3_buckets_policy`].
    S3Buckets {
        buckets: Vec<String>,
        deny_amazon_linux: bool,
    },
    /// Nothing: the default of `policy_principals` (see [`default_policy`]).
    #[default]
    Default,
}

impl PolicySource {
    /// True when the document depends on whom the policies admit: every
    /// source but a given document.
    pub fn uses_principals(&self) -> bool {
        !matches!(self, PolicySource::Given(_))
    }

    /// The document for the endpoint of `spec`; `None`: no policy (AWS's
    /// full access).
    pub fn render(
        &self,
        spec: &ServiceSpec,
        principals: &Principals,
        region: &str,
    ) -> Option<String> {
        if !spec.accepts_policy {
            return None;
        }
        match self {
            PolicySource::Given(text) => Some(text.clone()),
            PolicySource::RuntimeInvoke(arns) => Some(runtime_invoke_policy(arns, principals)),
            PolicySource::S3Buckets {
                buckets,
                deny_amazon_linux,
            } => Some(s3_buckets_policy(
                buckets,
                *deny_amazon_linux,
                region,
                principals,
            )),
            PolicySource::Default => default_policy(spec, principals, region),
        }
    }
}

/// What made the policy `text` of an endpoint of `spec`, when the provider
/// made it for `principals`: the default ([`PolicySource::Default`], AWS's
/// full access counting as the default of `Any`) or a helper; `None` for a
/// document of someone else's making. Import uses it so that a
/// configuration written with the defaults and helpers plans no change.
pub fn recognise(
    spec: &ServiceSpec,
    text: &str,
    principals: &Principals,
    region: &str,
) -> Option<PolicySource> {
    if !spec.accepts_policy {
        return None;
    }
    if same_effect(
        Some(text),
        default_policy(spec, principals, region).as_deref(),
    ) {
        return Some(PolicySource::Default);
    }
    match spec.short_name {
        "s3" => s3_helper_inputs(text, region, principals).map(|(buckets, deny)| {
            PolicySource::S3Buckets {
                buckets: buckets.unwrap_or_default(),
                deny_amazon_linux: deny,
            }
        }),
        "sagemaker_runtime" => {
            runtime_helper_inputs(text, principals).map(PolicySource::RuntimeInvoke)
        }
        _ => None,
    }
}

/// The principals the policy `text` could have been written for: `Any`,
/// then each account and organization its conditions name
/// (`aws:PrincipalAccount`, `aws:PrincipalOrgID`), sorted, each once.
pub fn named_principals(text: &str) -> Vec<Principals> {
    let mut found = vec![Principals::Any];
    let Ok(policy) = parse(text) else {
        return found;
    };
    let mut named = Vec::new();
    for (_, statement) in labelled_statements(&policy) {
        let Some(Value::Object(operators)) = statement.get("Condition") else {
            continue;
        };
        for block in operators.values() {
            let Value::Object(keys) = block else { continue };
            for (key, values) in keys {
                let make: fn(String) -> Principals = if key.eq_ignore_ascii_case(ACCOUNT_KEY) {
                    Principals::Account
                } else if key.eq_ignore_ascii_case(ORGANIZATION_KEY) {
                    Principals::Organization
                } else {
                    continue;
                };
                let values = match values {
                    Value::Array(items) => items.iter().collect(),
                    one => vec![one],
                };
                named.extend(
                    values
                        .into_iter()
                        .filter_map(Value::as_str)
                        .map(|v| make(v.to_owned())),
                );
            }
        }
    }
    named.sort();
    named.dedup();
    found.extend(named);
    found
}
