//! `policy_principals` and `principal_org_id`, shared by the composites that
//! make VPC endpoints: their schema attributes, the static checks, reading
//! them from a value, and turning them into [`Principals`] — the account id
//! read from STS only when a policy that admits the account's principals is
//! actually written (never at validate, at most once per provider process).

use crate::aws::Clients;
use crate::catalog::ServiceSpec;
use crate::framework::validators::{OneOf, StringCheck};
use crate::framework::{AttrPath, Attribute, Diagnostics};
use crate::policy::{check_organization_id, PolicySource, Principals, PRINCIPAL_SCOPES};
use crate::resources::common::text;
use crate::value::{Type, Value};
use std::collections::BTreeMap;

/// `policy_principals`: whom the endpoint policies the resource writes
/// admit. `applies_to` says which endpoints, e.g. "every endpoint of this
/// network given no policy in `endpoint_policies`".
pub fn policy_principals_attribute(applies_to: &str) -> Attribute {
    Attribute::optional("policy_principals", Type::String)
        .description(format!(
            "Whom the endpoint policies this resource writes admit — the default policy of {applies_to}, and \
             the policies the helpers generate: `\"account\"` (default) only principals of the provider's own \
             AWS account (condition `aws:PrincipalAccount`); `\"organization\"` principals of any account of \
             the AWS Organization `principal_org_id` (condition `aws:PrincipalOrgID`); `\"any\"` any \
             principal (no default policy: AWS's full access). The S3 gateway policy also allows \
             `s3:GetObject` on the Region's ECR image-layer bucket (`prod-REGION-starport-layer-bucket`), \
             whose presigned URLs are not signed by your principals."
        ))
        .validator(OneOf(&PRINCIPAL_SCOPES))
}

/// `principal_org_id`: the organization of `policy_principals = "organization"`.
pub fn principal_org_id_attribute() -> Attribute {
    Attribute::optional("principal_org_id", Type::String)
        .description(
            "The AWS Organizations id (`o-…`) whose principals the endpoint policies admit. Required with \
             `policy_principals = \"organization\"`, not allowed otherwise.",
        )
        .validator(StringCheck {
            rule: "must be an AWS Organizations id (`o-` then 10 to 32 lower-case letters or digits)",
            check: check_organization_id,
        })
}

/// Whom a configuration wants its policies to admit, before the account id
/// is read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Scope {
    /// The provider's own account (the default).
    #[default]
    Account,
    /// The organization with this id.
    Organization(String),
    /// Anyone: AWS's full access.
    Any,
}

impl Scope {
    /// "principals of this account", for messages.
    pub fn describe(&self) -> String {
        match self {
            Scope::Account => "principals of this provider's account".to_owned(),
            Scope::Organization(id) => format!("principals of organization {id}"),
            Scope::Any => "any principal".to_owned(),
        }
    }
}

/// The scope of a planned, prior or config value (null `policy_principals`:
/// the account). Only read once both attributes are known (plan waits for
/// them); an organization without an id never gets here, validate stops it.
pub fn scope(value: &Value) -> Scope {
    match text(value, "policy_principals").as_deref() {
        Some("any") => Scope::Any,
        Some("organization") => match text(value, "principal_org_id") {
            Some(id) => Scope::Organization(id),
            None => Scope::Account,
        },
        _ => Scope::Account,
    }
}

/// Static checks: `"organization"` needs `principal_org_id`, which nothing
/// else takes. Unknown values are left to plan.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    let principals = config.get("policy_principals");
    let org_id = config.get("principal_org_id");
    if principals.is_some_and(Value::is_unknown) || org_id.is_some_and(Value::is_unknown) {
        return;
    }
    let scope = principals.and_then(Value::as_str);
    let has_org_id = org_id.is_some_and(|v| !v.is_null());
    match (scope, has_org_id) {
        (Some("organization"), false) => diags.attribute_error(
            AttrPath::root("policy_principals"),
            "policy_principals = \"organization\" needs principal_org_id",
            "The endpoint policies would admit only principals of your AWS Organization, but no organization \
             is named. Set principal_org_id = \"o-…\" (`aws organizations describe-organization --query \
             Organization.Id` prints it), or use policy_principals = \"account\" (the default).",
        ),
        (scope, true) if scope != Some("organization") => diags.attribute_error(
            AttrPath::root("principal_org_id"),
            "principal_org_id needs policy_principals = \"organization\"",
            format!(
                "principal_org_id names the organization whose principals the endpoint policies admit, but \
                 policy_principals is {}, so it would be ignored. Set policy_principals = \"organization\", or \
                 remove principal_org_id.",
                scope.map_or("not set (\"account\")".to_owned(), |s| format!("{s:?}"))
            ),
        ),
        _ => {}
    }
}

/// The principals of `scope`, reading the account id (once per provider
/// process) only for [`Scope::Account`]. The error says how to fix a
/// failed lookup.
pub async fn resolve(clients: &Clients, scope: &Scope) -> Result<Principals, Diagnostics> {
    match scope {
        Scope::Any => Ok(Principals::Any),
        Scope::Organization(id) => Ok(Principals::Organization(id.clone())),
        Scope::Account => clients
            .account_id()
            .await
            .map(Principals::Account)
            .map_err(|e| account_error(&e)),
    }
}

/// The error for an account id that could not be read.
fn account_error(cause: &str) -> Diagnostics {
    Diagnostics::from_attribute_error(
        AttrPath::root("policy_principals"),
        "Cannot read the AWS account id",
        format!(
            "The endpoint policies admit only principals of the provider's own account (policy_principals = \
             \"account\", the default), so the provider reads the account id once with \
             sts:GetCallerIdentity, and that failed: {cause}. GetCallerIdentity needs no IAM permission (AWS \
             answers it even where a policy denies sts:GetCallerIdentity), so check that the provider's \
             credentials are valid and not expired, and that STS is reachable from where Terraform runs: \
             set `endpoints {{ sts = … }}` in the provider block when only a private STS endpoint is, and \
             keep the Region's STS endpoint active in the account's IAM settings. Or widen the policies so \
             that no account id is needed: policy_principals = \"organization\" with principal_org_id, or \
             \"any\"."
        ),
    )
}

/// The documents of `sources` (by service short name) for the services in
/// `specs`: a service whose policy is `None` (AWS's full access) is left
/// out. Reads the account id only when a document admits the account's
/// principals.
pub async fn render(
    clients: &Clients,
    scope: &Scope,
    sources: &BTreeMap<&'static str, (&'static ServiceSpec, PolicySource)>,
) -> Result<BTreeMap<&'static str, String>, Diagnostics> {
    let needs_principals = sources
        .values()
        .any(|(spec, source)| spec.accepts_policy && source.uses_principals());
    let principals = if needs_principals {
        resolve(clients, scope).await?
    } else {
        // No document depends on it.
        Principals::Any
    };
    let rendered: BTreeMap<&'static str, String> = sources
        .iter()
        .filter_map(|(name, (spec, source))| {
            source
                .render(spec, &principals, &clients.region)
                .map(|text| (*name, text))
        })
        .collect();
    let mut diags = Diagnostics::new();
    for (name, text) in &rendered {
        if let Some((_, source)) = sources.get(name) {
            check_generated_size(name, source, text, &mut diags);
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    Ok(rendered)
}

/// An error on the attribute a generated policy comes from when it is
/// larger than AWS takes ([`crate::limits::MAX_ENDPOINT_POLICY_CHARS`]);
/// a policy the configuration gives is checked where it is parsed.
fn check_generated_size(service: &str, source: &PolicySource, text: &str, diags: &mut Diagnostics) {
    use crate::limits::MAX_ENDPOINT_POLICY_CHARS;
    let (attribute, fix) = match source {
        PolicySource::RuntimeInvoke(_) => (
            "runtime_invoke_endpoint_arns",
            "List fewer endpoints, or give the policy yourself in \
             endpoint_policies[\"sagemaker_runtime\"] (wildcards in Resource are allowed there).",
        ),
        PolicySource::S3Buckets { .. } => (
            "s3_bucket_arns",
            "List fewer buckets, or give the policy yourself in endpoint_policies[\"s3\"] \
             (wildcards in Resource are allowed there).",
        ),
        _ => return,
    };
    let chars = text.chars().count();
    if chars > MAX_ENDPOINT_POLICY_CHARS {
        diags.attribute_error(
            crate::framework::AttrPath::root(attribute),
            "Generated endpoint policy too large",
            format!(
                "The {service} endpoint policy generated from {attribute} has {chars} characters, but \
                 AWS takes at most {MAX_ENDPOINT_POLICY_CHARS}. {fix}"
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_policy_beyond_the_limit_is_an_error_on_its_attribute() {
        let mut diags = Diagnostics::new();
        let source = PolicySource::RuntimeInvoke(vec![]);
        check_generated_size(
            "sagemaker_runtime",
            &source,
            &"x".repeat(20_480),
            &mut diags,
        );
        assert!(!diags.has_errors());
        check_generated_size(
            "sagemaker_runtime",
            &source,
            &"x".repeat(20_481),
            &mut diags,
        );
        let d = diags.iter().next().expect("an error");
        assert_eq!(
            d.path.as_ref().unwrap().to_string(),
            "runtime_invoke_endpoint_arns"
        );
        assert!(d.detail.contains("20481 characters"), "{}", d.detail);
    }
    use std::collections::BTreeMap as Map;

    fn config(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect::<Map<_, _>>(),
        )
    }

    fn errors(config: &Value) -> Vec<String> {
        let mut diags = Diagnostics::new();
        validate(config, &mut diags);
        diags
            .iter()
            .map(|d| format!("{} | {}", d.summary, d.detail))
            .collect()
    }

    #[test]
    fn organization_without_an_id_names_the_attribute_and_the_fix() {
        let found = errors(&config(&[(
            "policy_principals",
            Value::String("organization".into()),
        )]));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("needs principal_org_id"), "{found:?}");
        assert!(found[0].contains("principal_org_id = \"o-"), "{found:?}");
    }

    #[test]
    fn an_id_without_organization_is_refused() {
        let id = ("principal_org_id", Value::String("o-a1b2c3d4e5".into()));
        let found = errors(&config(std::slice::from_ref(&id)));
        assert!(found[0].contains("not set (\"account\")"), "{found:?}");
        let any = ("policy_principals", Value::String("any".into()));
        assert_eq!(errors(&config(&[id.clone(), any])).len(), 1);
        let org = ("policy_principals", Value::String("organization".into()));
        assert!(errors(&config(&[id, org])).is_empty());
    }

    #[test]
    fn unknown_values_wait_for_plan() {
        let found = errors(&config(&[
            ("policy_principals", Value::String("organization".into())),
            ("principal_org_id", Value::Unknown),
        ]));
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn the_scope_defaults_to_the_account() {
        assert_eq!(scope(&config(&[])), Scope::Account);
        let org = config(&[
            ("policy_principals", Value::String("organization".into())),
            ("principal_org_id", Value::String("o-a1b2c3d4e5".into())),
        ]);
        assert_eq!(scope(&org), Scope::Organization("o-a1b2c3d4e5".into()));
        let any = config(&[("policy_principals", Value::String("any".into()))]);
        assert_eq!(scope(&any), Scope::Any);
    }
}
