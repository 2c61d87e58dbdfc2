//! Static evaluation of an endpoint policy for one request: does it let
//! `action` on `resource` through? Decided the way IAM decides — an explicit
//! Deny wins, else an Allow is needed — with IAM's wildcards (`*`, `?`;
//! actions case-insensitive, resources case-sensitive). What depends on the
//! request itself (a named principal, a condition other than the caller's
//! account) is not guessed: the answer is [`Decision::CannotTell`] with the
//! reason.

use super::*;

/// The request a workload makes through an endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request<'a> {
    /// e.g. `sagemaker:InvokeEndpoint`.
    pub action: &'a str,
    /// The resource ARN, or `None` when the workload's resource is not
    /// known (any resource).
    pub resource: Option<&'a str>,
    /// The account of the calling principals, when known: conditions on
    /// `aws:PrincipalAccount` are decided against it.
    pub account: Option<&'a str>,
}

/// What the policy does with a [`Request`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// A statement allows it and none denies it.
    Allowed,
    /// No statement allows it (an endpoint policy denies what it does not allow).
    NotAllowed,
    /// The statement labelled so (`Statement[1]`) denies it.
    Denied(String),
    /// It depends on what is known only at request time: why.
    CannotTell(String),
}

/// Whether one part of a statement applies to the request.
enum Applies {
    Yes,
    No,
    /// Depends on the request: why.
    Maybe(String),
}

impl Applies {
    fn and(self, other: Applies) -> Applies {
        match (self, other) {
            (Applies::No, _) | (_, Applies::No) => Applies::No,
            (Applies::Maybe(why), _) | (_, Applies::Maybe(why)) => Applies::Maybe(why),
            _ => Applies::Yes,
        }
    }
}

/// Evaluates the parsed `policy` (see [`parse`]) for `request`.
pub fn evaluate(policy: &Value, request: &Request<'_>) -> Decision {
    let mut allowed = false;
    let mut allow_maybe = None;
    let mut deny_maybe = None;
    for (label, statement) in labelled_statements(policy) {
        let deny = statement.get("Effect").and_then(Value::as_str) == Some("Deny");
        match applies(&label, statement, request) {
            Applies::Yes if deny => return Decision::Denied(label),
            Applies::Yes => allowed = true,
            Applies::Maybe(why) if deny => {
                deny_maybe.get_or_insert(format!("{label} may deny it: {why}"));
            }
            Applies::Maybe(why) => {
                allow_maybe.get_or_insert(format!("only {label} may allow it: {why}"));
            }
            Applies::No => {}
        }
    }
    match (deny_maybe, allowed, allow_maybe) {
        (Some(why), _, _) => Decision::CannotTell(why),
        (None, true, _) => Decision::Allowed,
        (None, false, Some(why)) => Decision::CannotTell(why),
        (None, false, None) => Decision::NotAllowed,
    }
}

fn applies(label: &str, statement: &Value, request: &Request<'_>) -> Applies {
    action_applies(statement, request.action)
        .and(resource_applies(statement, request))
        .and(principal_applies(label, statement))
        .and(condition_applies(label, statement, request))
}

/// The strings of a string-or-array field.
fn patterns(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn action_applies(statement: &Value, action: &str) -> Applies {
    let matches = |field: &Value| {
        patterns(field)
            .iter()
            .any(|p| wildcard_match(&p.to_ascii_lowercase(), &action.to_ascii_lowercase()))
    };
    let yes = match (statement.get("Action"), statement.get("NotAction")) {
        (Some(listed), _) => matches(listed),
        (None, Some(excluded)) => !matches(excluded),
        (None, None) => false,
    };
    if yes {
        Applies::Yes
    } else {
        Applies::No
    }
}

fn resource_applies(statement: &Value, request: &Request<'_>) -> Applies {
    let (field, negated) = match (statement.get("Resource"), statement.get("NotResource")) {
        (Some(listed), _) => (listed, false),
        (None, Some(excluded)) => (excluded, true),
        (None, None) => return Applies::Yes,
    };
    let listed = patterns(field);
    if let Some(variable) = listed.iter().find(|p| p.contains("${")) {
        return Applies::Maybe(format!(
            "its resource {:?} holds a policy variable, filled in per request",
            excerpt(variable)
        ));
    }
    match request.resource {
        Some(resource) => {
            let hit = listed.iter().any(|p| wildcard_match(p, resource));
            if hit != negated {
                Applies::Yes
            } else {
                Applies::No
            }
        }
        None if !negated && listed.contains(&"*") => Applies::Yes,
        None => Applies::Maybe(format!(
            "it covers only the resources {} {}, and which resources the workload uses was not given",
            if negated { "outside" } else { "in" },
            listed
                .iter()
                .map(|p| format!("{:?}", excerpt(p)))
                .collect::<Vec<_>>()
                .join(", "),
        )),
    }
}

fn principal_applies(label: &str, statement: &Value) -> Applies {
    if statement.get("NotPrincipal").is_some() {
        return Applies::Maybe(format!(
            "{label} uses NotPrincipal, which depends on the caller"
        ));
    }
    let everyone = match statement.get("Principal") {
        None => true,
        Some(Value::String(s)) => s == "*",
        Some(Value::Object(fields)) => fields
            .get("AWS")
            .is_some_and(|aws| patterns(aws).contains(&"*")),
        Some(_) => false,
    };
    if everyone {
        Applies::Yes
    } else {
        Applies::Maybe(format!(
            "it applies only to the principals it names ({}), and who the workload runs as is not known here",
            excerpt(&statement["Principal"].to_string())
        ))
    }
}

/// Conditions: `StringEquals`/`StringLike` (and their `IfExists` forms) on
/// `aws:PrincipalAccount` are decided against the request's account; any
/// other condition depends on the request.
fn condition_applies(label: &str, statement: &Value, request: &Request<'_>) -> Applies {
    let Some(Value::Object(operators)) = statement.get("Condition") else {
        return Applies::Yes;
    };
    let mut result = Applies::Yes;
    for (operator, block) in operators {
        let Value::Object(keys) = block else {
            continue;
        };
        for (key, values) in keys {
            let decided = match (operator.trim_end_matches("IfExists"), request.account) {
                ("StringEquals" | "StringLike", Some(account))
                    if key.eq_ignore_ascii_case("aws:PrincipalAccount") =>
                {
                    if patterns(values).iter().any(|p| wildcard_match(p, account)) {
                        Applies::Yes
                    } else {
                        Applies::No
                    }
                }
                _ => Applies::Maybe(format!(
                    "{label} has the condition {operator} on {key:?}, known only per request"
                )),
            };
            result = result.and(decided);
        }
    }
    result
}

/// IAM's wildcard match: `*` any run of characters, `?` one character.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((star_p, star_t)) = star {
            pi = star_p + 1;
            ti = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide(policy: Value, action: &str, resource: Option<&str>) -> Decision {
        let request = Request {
            action,
            resource,
            account: Some("123456789012"),
        };
        evaluate(&policy, &request)
    }

    const ENDPOINT: &str = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn";

    #[test]
    fn wildcards_follow_iam() {
        assert!(wildcard_match(
            "sagemaker:invoke*",
            "sagemaker:invokeendpoint"
        ));
        assert!(wildcard_match(
            "arn:aws:s3:::b?cket/*",
            "arn:aws:s3:::bucket/a/b"
        ));
        assert!(!wildcard_match(
            "arn:aws:s3:::bucket",
            "arn:aws:s3:::bucket/x"
        ));
        assert!(wildcard_match("*", ""));
        assert!(!wildcard_match("a*b", "acbd"));
    }

    #[test]
    fn allow_deny_and_implicit_deny() {
        let allow_other = json!({"Statement": [{"Effect": "Allow", "Principal": "*",
            "Action": "sagemaker:InvokeEndpoint", "Resource": ENDPOINT.replace("churn", "other")}]});
        assert_eq!(
            decide(
                allow_other.clone(),
                "sagemaker:InvokeEndpoint",
                Some(ENDPOINT)
            ),
            Decision::NotAllowed
        );
        let allow_all = json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}});
        assert_eq!(
            decide(allow_all, "sagemaker:invokeendpoint", Some(ENDPOINT)),
            Decision::Allowed
        );
        let deny = json!({"Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}]});
        assert_eq!(
            decide(deny, "s3:GetObject", Some("arn:aws:s3:::data/*")),
            Decision::Denied("Statement[1]".into())
        );
        let not_action = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "NotAction": "s3:Delete*", "Resource": "*"}]});
        assert_eq!(decide(not_action, "s3:GetObject", None), Decision::Allowed);
    }

    #[test]
    fn unknown_resources_and_conditions_cannot_be_told() {
        let allow_other = json!({"Statement": [{"Effect": "Allow", "Principal": "*",
            "Action": "sagemaker:InvokeEndpoint", "Resource": ENDPOINT}]});
        assert!(matches!(
            decide(allow_other, "sagemaker:InvokeEndpoint", None),
            Decision::CannotTell(why) if why.contains("was not given")
        ));
        let account = |id: &str| {
            json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*",
            "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalAccount": id}}}]})
        };
        assert_eq!(
            decide(account("123456789012"), "sts:GetCallerIdentity", None),
            Decision::Allowed
        );
        assert_eq!(
            decide(account("999999999999"), "sts:GetCallerIdentity", None),
            Decision::NotAllowed
        );
        let org = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*",
            "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}}]});
        assert!(matches!(
            decide(org, "logs:PutLogEvents", None),
            Decision::CannotTell(why) if why.contains("aws:PrincipalOrgID")
        ));
        let named = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:role/x"},
            "Action": "*", "Resource": "*"}]});
        assert!(matches!(
            decide(named, "logs:PutLogEvents", None),
            Decision::CannotTell(_)
        ));
    }
}
