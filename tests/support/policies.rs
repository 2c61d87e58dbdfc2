//! The endpoint policies this provider writes, as the emulator stores them
//! (moto keeps a policy document exactly as sent and enforces nothing, so
//! the tests check the documents themselves): the default that admits one
//! account's or one organization's principals, the ECR image-layer
//! statement of the S3 gateway, and AWS's full access.

use super::ec2_fixture::{service, Endpoint};
use super::moto::REGION;
use serde_json::{json, Value};

/// Whom a default policy admits.
pub enum Admits<'a> {
    /// Principals of this account (`aws:PrincipalAccount`).
    Account(&'a str),
    /// Principals of this organization (`aws:PrincipalOrgID`).
    Organization(&'a str),
}

/// The `Statement` array of `endpoint`'s policy (empty without one).
pub fn statements(endpoint: &Endpoint) -> Value {
    match endpoint.policy.as_ref().map(|p| &p["Statement"]) {
        Some(Value::Array(items)) => Value::Array(items.clone()),
        Some(one @ Value::Object(_)) => json!([one]),
        _ => json!([]),
    }
}

/// The statements of the default policy of `endpoint` for `admits`:
/// everything to those principals, and for the S3 gateway also the ECR
/// image layers to anyone.
pub fn default_statements(endpoint: &Endpoint, admits: &Admits<'_>) -> Value {
    let (key, id) = match admits {
        Admits::Account(id) => ("aws:PrincipalAccount", *id),
        Admits::Organization(id) => ("aws:PrincipalOrgID", *id),
    };
    let allow = json!({
        "Sid": "AllowAll", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
        "Condition": {"StringEquals": {key: id}},
    });
    if endpoint.service == service("s3") {
        json!([allow, ecr_layers()])
    } else {
        json!([allow])
    }
}

/// The S3 statement that lets ECR image layers through (presigned URLs,
/// not signed by the account's principals).
pub fn ecr_layers() -> Value {
    json!({
        "Sid": "AllowEcrImageLayers", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": format!("arn:aws:s3:::prod-{REGION}-starport-layer-bucket/*"),
    })
}

/// Asserts that `endpoint` has the default policy for `admits`.
pub fn assert_default_policy(endpoint: &Endpoint, admits: &Admits<'_>) {
    assert_eq!(
        statements(endpoint),
        default_statements(endpoint, admits),
        "{} ({}) has the default policy: {:?}",
        endpoint.service,
        endpoint.id,
        endpoint.policy
    );
}

/// Asserts that `endpoint` has AWS's full access: one statement allowing
/// everything to anyone, with no condition.
pub fn assert_full_access(endpoint: &Endpoint) {
    let statements = statements(endpoint);
    let full = json!({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"});
    let without_sid = |s: &Value| {
        let mut s = s.clone();
        if let Value::Object(fields) = &mut s {
            fields.remove("Sid");
        }
        s
    };
    let all: Vec<Value> = statements
        .as_array()
        .map(|items| items.iter().map(without_sid).collect())
        .unwrap_or_default();
    assert_eq!(
        all,
        vec![full],
        "{} ({}) has AWS's full access: {:?}",
        endpoint.service,
        endpoint.id,
        endpoint.policy
    );
}

/// The text of AWS's default full-access policy, as a console user would
/// set it by hand.
pub const FULL_ACCESS: &str = r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;
