//! Per-service checks: the actions an endpoint policy names must belong to
//! the service behind the endpoint.

use super::*;

/// The IAM service prefix of the actions that travel through the endpoint
/// of catalog service `short_name` (`sagemaker`, `ecr`, `cloudwatch`, …), or
/// `""` for a name the catalog does not know.
pub fn action_prefix(short_name: &str) -> &'static str {
    match short_name {
        "sagemaker_api"
        | "sagemaker_runtime"
        | "sagemaker_runtime_fips"
        | "featurestore_runtime"
        | "sagemaker_metrics"
        | "studio"
        | "notebook" => "sagemaker",
        "sts" => "sts",
        "logs" => "logs",
        "servicecatalog" => "servicecatalog",
        "ecr_api" | "ecr_dkr" => "ecr",
        "kms" => "kms",
        "monitoring" => "cloudwatch",
        "s3" => "s3",
        _ => "",
    }
}

/// An action to show in examples for the endpoint of `short_name`: the
/// runtime's InvokeEndpoint, else every action of its service.
pub fn example_action(short_name: &str) -> String {
    match (short_name, action_prefix(short_name)) {
        ("sagemaker_runtime" | "sagemaker_runtime_fips", _) => "sagemaker:InvokeEndpoint".into(),
        (_, "") => "*".into(),
        (_, prefix) => format!("{prefix}:*"),
    }
}

/// Checks a parsed policy (see [`parse`]) against the endpoint service it is
/// meant for: an error when the service takes no endpoint policy, a warning
/// for each action of another service (it can never match traffic through
/// this endpoint), an error for an action that is not a string.
pub fn check_for_service(spec: &ServiceSpec, policy: &Value) -> PolicyFindings {
    let mut findings = PolicyFindings::default();
    if !spec.accepts_policy {
        findings.errors.push(format!(
            "{0} does not accept endpoint policies: remove it from endpoint_policies",
            spec.short_name
        ));
        return findings;
    }
    for (label, statement) in labelled_statements(policy) {
        for key in ["Action", "NotAction"] {
            for (at, action) in entries(&label, key, statement.get(key)) {
                check_action(&at, key, action, spec, &mut findings);
            }
        }
    }
    findings
}

/// The elements of a string-or-array field with their message labels,
/// e.g. `Statement[0].Action[2]`.
pub(super) fn entries<'a>(
    label: &str,
    key: &str,
    value: Option<&'a Value>,
) -> Vec<(String, &'a Value)> {
    match value {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| (format!("{label}.{key}[{i}]"), item))
            .collect(),
        Some(single) => vec![(format!("{label}.{key}"), single)],
    }
}

pub(super) fn check_action(
    at: &str,
    key: &str,
    action: &Value,
    spec: &ServiceSpec,
    findings: &mut PolicyFindings,
) {
    let prefix = action_prefix(spec.short_name);
    let Value::String(action) = action else {
        findings.errors.push(format!(
            "{at} is {}: actions are strings such as \"{prefix}:*\"",
            describe(action)
        ));
        return;
    };
    let Some(problem) = foreign_action(action, spec.short_name, prefix) else {
        return;
    };
    let effect = if key == "NotAction" {
        "so excluding it has no effect"
    } else {
        "so it allows or denies nothing; remove it or move it to the policy of the endpoint \
         of its service"
    };
    findings.warnings.push(format!(
        "{at} {:?} {problem}: it will never match traffic through this endpoint, {effect}",
        excerpt(action)
    ));
}

/// Why `action` cannot match traffic through the endpoint of `short_name`,
/// whose actions start with `prefix`; `None` when it can: `*`, `prefix:*`,
/// `prefix:Anything` (in any case), or a service part with wildcards, which
/// is given the benefit of the doubt.
pub(super) fn foreign_action(action: &str, short_name: &str, prefix: &str) -> Option<String> {
    if action == "*" || prefix.is_empty() {
        return None;
    }
    let Some((service, _)) = action.split_once(':') else {
        return Some(format!(
            "is not of the form \"service:Operation\" (e.g. \"{prefix}:*\")"
        ));
    };
    if service.eq_ignore_ascii_case(prefix) || service.contains(['*', '?']) {
        return None;
    }
    Some(format!(
        "is an action of service {:?}, but the {short_name} endpoint carries only {prefix} actions",
        excerpt(service)
    ))
}
