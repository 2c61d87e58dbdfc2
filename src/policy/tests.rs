//! Tests of the policy modules.

use super::*;

#[test]
fn the_default_policy_is_recognised_whatever_its_version_and_layout() {
    assert!(is_full_access(FULL_ACCESS_POLICY));
    assert!(is_full_access(
        r#"{"Version":"2012-10-17","Statement":{"Action":"*","Resource":["*"],"Effect":"Allow","Principal":{"AWS":"*"}}}"#
    ));
    assert!(!is_full_access(
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sagemaker:*","Resource":"*"}]}"#
    ));
}

use crate::catalog::{service, EndpointKind, SERVICES};
use std::collections::BTreeMap;

const ENDPOINT_A: &str = "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/model-a";
const ENDPOINT_B: &str = "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/model-b";

fn spec(short_name: &str) -> &'static ServiceSpec {
    service(short_name).unwrap()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn parse_err(text: &str) -> String {
    parse(text).unwrap_err()
}

fn findings(short_name: &str, policy: &str) -> PolicyFindings {
    check_for_service(spec(short_name), &parse(policy).unwrap())
}

// --- parse -------------------------------------------------------------

#[test]
fn parse_accepts_statement_object_and_array() {
    let one =
        r#"{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"}}"#;
    let many = r#"{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Principal": "*"},
        {"Effect": "Deny", "NotAction": ["s3:*"], "Resource": "*", "Principal": "*"}]}"#;
    assert!(parse(one).is_ok());
    assert_eq!(parse(many).unwrap()["Statement"][1]["Effect"], "Deny");
}

#[test]
fn parse_reports_invalid_json_with_position_and_short_excerpt() {
    let err = parse_err("{\"Statement\": [\n  {\"Effect\": \"Allow\" \"Action\": \"*\"}]}");
    assert!(err.contains("not valid JSON"), "{err}");
    assert!(err.contains("line 2"), "{err}");
    assert!(err.contains("near `"), "{err}");
    let long = format!("{{\"Statement\": [{}x]}}", "\"a\", ".repeat(500));
    let err = parse_err(&long);
    assert!(err.len() < 400, "{} chars: {err}", err.len());
}

#[test]
fn parse_rejects_empty_and_non_object_documents() {
    assert!(parse_err("  ").contains("empty"));
    let err = parse_err(r#"[{"Effect": "Allow"}]"#);
    assert!(err.contains("is an array, not a JSON object"), "{err}");
    assert!(err.contains("\"Statement\""), "{err}");
}

#[test]
fn parse_explains_a_missing_statement() {
    let err = parse_err(r#"{"Version": "2012-10-17"}"#);
    assert!(
        err.starts_with("the policy has no Statement: add \"Statement\": [{\"Effect\": \"Allow\""),
        "{err}"
    );
    let err = parse_err(r#"{"statement": []}"#);
    assert!(
        err.contains("rename \"statement\" to \"Statement\""),
        "{err}"
    );
}

#[test]
fn parse_rejects_bad_statement_shapes() {
    assert!(parse_err(r#"{"Statement": []}"#).contains("empty array"));
    assert!(parse_err(r#"{"Statement": "Allow"}"#).contains("Statement is a string"));
    let err = parse_err(r#"{"Statement": [{"Effect": "Allow", "Action": "*"}, 3]}"#);
    assert!(
        err.starts_with("Statement[1] is a number, not an object"),
        "{err}"
    );
}

#[test]
fn parse_requires_a_valid_effect() {
    let err = parse_err(r#"{"Statement": [{"Action": "*"}]}"#);
    assert!(err.contains("Statement[0] has no Effect"), "{err}");
    let err = parse_err(r#"{"Statement": {"Effect": "allow", "Action": "*"}}"#);
    assert!(err.contains("write it exactly \"Allow\""), "{err}");
    let err = parse_err(r#"{"Statement": {"Effect": "Permit", "Action": "*"}}"#);
    assert!(err.contains("must be \"Allow\" or \"Deny\""), "{err}");
}

#[test]
fn parse_requires_exactly_one_of_action_and_not_action() {
    let err = parse_err(r#"{"Statement": [{"Effect": "Allow", "Resource": "*"}]}"#);
    assert!(err.contains("Statement[0] has no Action"), "{err}");
    let err =
        parse_err(r#"{"Statement": {"Effect": "Allow", "Action": "*", "NotAction": "s3:*"}}"#);
    assert!(err.contains("both Action and NotAction"), "{err}");
}

// --- equivalence -------------------------------------------------------

const BASE: &str = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "A", "Effect": "Allow",
    "Principal": "*", "Action": ["s3:GetObject", "s3:PutObject"],
    "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]}]}"#;

#[test]
fn key_order_is_irrelevant() {
    let other = r#"{"Statement": [{"Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
        "Action": ["s3:GetObject", "s3:PutObject"], "Principal": "*", "Effect": "Allow", "Sid": "A"}],
        "Version": "2012-10-17"}"#;
    assert!(equivalent(BASE, other));
}

#[test]
fn statement_object_equals_one_element_array() {
    let other = r#"{"Version": "2012-10-17", "Statement": {"Sid": "A", "Effect": "Allow",
        "Principal": "*", "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]}}"#;
    assert!(equivalent(BASE, other));
}

#[test]
fn single_strings_equal_one_element_arrays() {
    let a = r#"{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::x",
        "Principal": "*"}]}"#;
    let b = r#"{"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "NotResource": ["arn:aws:s3:::x"],
        "Principal": "*"}]}"#;
    assert!(equivalent(a, b));
    let a = r#"{"Statement": [{"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*"}]}"#;
    let b =
        r#"{"Statement": [{"Effect": "Deny", "NotAction": ["s3:GetObject"], "Resource": ["*"]}]}"#;
    assert!(equivalent(a, b));
}

#[test]
fn arrays_compare_as_sets() {
    let other = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "A", "Effect": "Allow",
        "Principal": "*", "Action": ["s3:PutObject", "s3:GetObject", "s3:PutObject"],
        "Resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::b", "arn:aws:s3:::b"]}]}"#;
    assert!(equivalent(BASE, other));
}

#[test]
fn principal_star_forms_are_equal() {
    let with = |p: &str| {
        format!(
            r#"{{"Statement": [{{"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": {p}}}]}}"#
        )
    };
    let star = with(r#""*""#);
    assert!(equivalent(&star, &with(r#"{"AWS": "*"}"#)));
    assert!(equivalent(&star, &with(r#"{"AWS": ["*"]}"#)));
    assert!(!equivalent(
        &star,
        &with(r#"{"AWS": "arn:aws:iam::123456789012:root"}"#)
    ));
    assert!(!equivalent(
        &star,
        &with(r#"{"Service": "sagemaker.amazonaws.com"}"#)
    ));
}

#[test]
fn action_names_are_case_insensitive_but_resources_are_not() {
    let a = r#"{"Statement": [{"Effect": "Allow", "Action": "sagemaker:InvokeEndpoint", "Resource": "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/a"}]}"#;
    let b = r#"{"Statement": [{"Effect": "Allow", "Action": "SageMaker:invokeendpoint", "Resource": "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/a"}]}"#;
    let c = r#"{"Statement": [{"Effect": "Allow", "Action": "sagemaker:InvokeEndpoint", "Resource": "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/A"}]}"#;
    assert!(equivalent(a, b));
    assert!(!equivalent(a, c));
}

#[test]
fn version_missing_on_one_side_is_ignored() {
    let without =
        r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"}]}"#;
    let aws_2008 = r#"{"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"}]}"#;
    let v2012 = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"}]}"#;
    assert!(equivalent(without, aws_2008));
    assert!(equivalent(v2012, without));
    assert!(
        !equivalent(v2012, aws_2008),
        "two different explicit versions differ"
    );
}

#[test]
fn statement_order_is_irrelevant() {
    let a = r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::repo/*"}]}"#;
    let b = r#"{"Statement": [{"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::repo/*"},
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
    assert!(equivalent(a, b));
}

#[test]
fn condition_values_compare_as_sets() {
    let a = r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalAccount": "123456789012"}, "Bool": {"aws:SecureTransport": true}}}]}"#;
    let b = r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": ["true"]}, "StringEquals": {"aws:PrincipalAccount": ["123456789012"]}}}]}"#;
    assert!(equivalent(a, b));
}

#[test]
fn meaningful_differences_are_not_equivalent() {
    let change = |from: &str, to: &str| BASE.replacen(from, to, 1);
    assert!(
        !equivalent(BASE, &change("\"Sid\": \"A\"", "\"Sid\": \"B\"")),
        "Sid is kept"
    );
    assert!(!equivalent(BASE, &change("\"Allow\"", "\"Deny\"")));
    assert!(!equivalent(
        BASE,
        &change("\"s3:PutObject\"", "\"s3:PutObject\", \"s3:DeleteObject\"")
    ));
    assert!(!equivalent(
        BASE,
        &change("\"arn:aws:s3:::b/*\"", "\"arn:aws:s3:::c/*\"")
    ));
    assert!(!equivalent(BASE, &change("\"Action\"", "\"NotAction\"")));
    assert!(!equivalent(
        BASE,
        r#"{"Version": "2012-10-17", "Statement": []}"#
    ));
}

#[test]
fn invalid_json_compares_as_trimmed_text() {
    assert!(equivalent("{not json", " {not json\n"));
    assert!(!equivalent("{not json", "{}"));
}

#[test]
fn normalize_is_idempotent_and_canonical() {
    let policy: Value = serde_json::from_str(BASE).unwrap();
    let once = normalize(&policy);
    assert_eq!(normalize(&once), once);
    assert_eq!(once["Statement"][0]["Principal"], json!({"AWS": ["*"]}));
    assert_eq!(
        once["Statement"][0]["Action"],
        json!(["s3:getobject", "s3:putobject"])
    );
    assert_eq!(once["Statement"][0]["Sid"], "A");
}

// --- service checks ----------------------------------------------------

#[test]
fn every_catalog_service_has_an_action_prefix() {
    for spec in SERVICES {
        assert!(
            !action_prefix(spec.short_name).is_empty(),
            "{}",
            spec.short_name
        );
    }
    assert_eq!(action_prefix("monitoring"), "cloudwatch");
    assert_eq!(action_prefix("ecr_dkr"), "ecr");
    assert_eq!(action_prefix("studio"), "sagemaker");
    assert_eq!(action_prefix("nope"), "");
}

#[test]
fn fips_runtime_takes_no_policy() {
    let found = findings(
        "sagemaker_runtime_fips",
        r#"{"Statement": {"Effect": "Allow", "Action": "sagemaker:InvokeEndpoint", "Resource": "*"}}"#,
    );
    assert_eq!(
        found.errors,
        ["sagemaker_runtime_fips does not accept endpoint policies: remove it from endpoint_policies"]
    );
    assert!(found.warnings.is_empty());
}

#[test]
fn matching_and_wildcard_actions_are_fine() {
    let policy = r#"{"Statement": [{"Effect": "Allow", "Principal": "*", "Resource": "*",
        "Action": ["*", "sagemaker:*", "SageMaker:InvokeEndpoint", "sage*:Describe*"]}]}"#;
    assert_eq!(findings("sagemaker_api", policy), PolicyFindings::default());
    let ecr = r#"{"Statement": {"Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], "Resource": "*"}}"#;
    assert_eq!(findings("ecr_dkr", ecr), PolicyFindings::default());
    let metrics = r#"{"Statement": {"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*"}}"#;
    assert_eq!(findings("monitoring", metrics), PolicyFindings::default());
}

#[test]
fn actions_of_other_services_warn() {
    let policy = r#"{"Statement": [{"Effect": "Allow", "Resource": "*",
        "Action": ["sagemaker:InvokeEndpoint", "s3:GetObject"]},
        {"Effect": "Deny", "Resource": "*", "NotAction": "logs:PutLogEvents"}]}"#;
    let found = findings("sagemaker_runtime", policy);
    assert!(found.errors.is_empty());
    assert_eq!(found.warnings.len(), 2, "{:?}", found.warnings);
    assert!(found.warnings[0]
        .starts_with("Statement[0].Action[1] \"s3:GetObject\" is an action of service \"s3\""));
    assert!(found.warnings[0].contains("will never match traffic through this endpoint"));
    assert!(found.warnings[1].starts_with("Statement[1].NotAction \"logs:PutLogEvents\""));
    assert!(found.warnings[1].contains("excluding it has no effect"));
    let found = findings(
        "logs",
        r#"{"Statement": {"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*"}}"#,
    );
    assert!(found.warnings[0].contains("the logs endpoint carries only logs actions"));
}

#[test]
fn malformed_actions_are_reported() {
    let policy =
        r#"{"Statement": {"Effect": "Allow", "Resource": "*", "Action": ["InvokeEndpoint", 7]}}"#;
    let found = findings("sagemaker_runtime", policy);
    assert_eq!(found.warnings.len(), 1);
    assert!(found.warnings[0].starts_with(
        "Statement.Action[0] \"InvokeEndpoint\" is not of the form \"service:Operation\" (e.g. \"sagemaker:*\"): it will never match"
    ));
    assert_eq!(found.errors.len(), 1);
    assert!(found.errors[0].starts_with("Statement.Action[1] is a number"));
}

// --- generators --------------------------------------------------------

const ACCOUNT_ID: &str = "123456789012";
const ORG_ID: &str = "o-a1b2c3d4e5";

fn account() -> Principals {
    Principals::Account(ACCOUNT_ID.to_owned())
}

fn organization() -> Principals {
    Principals::Organization(ORG_ID.to_owned())
}

/// The statements of a generated policy, by Sid.
fn by_sid(policy: &str) -> BTreeMap<String, Value> {
    let parsed = parse(policy).unwrap();
    parsed["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["Sid"].as_str().unwrap().to_owned(), s.clone()))
        .collect()
}

fn account_condition() -> Value {
    json!({"StringEquals": {"aws:PrincipalAccount": ACCOUNT_ID}})
}

#[test]
fn runtime_policy_allows_only_invoke_on_sorted_endpoints_to_the_account() {
    let arns = strings(&[ENDPOINT_B, ENDPOINT_A, ENDPOINT_B]);
    let policy = runtime_invoke_policy(&arns, &account());
    assert_eq!(
        policy,
        format!(
            r#"{{"Statement":[{{"Action":"sagemaker:InvokeEndpoint","Condition":{{"StringEquals":{{"aws:PrincipalAccount":"{ACCOUNT_ID}"}}}},"Effect":"Allow","Principal":"*","Resource":["{ENDPOINT_A}","{ENDPOINT_B}"],"Sid":"InvokeListedEndpointsOnly"}}],"Version":"2012-10-17"}}"#
        )
    );
    let parsed = parse(&policy).unwrap();
    assert_eq!(
        findings_for("sagemaker_runtime", &parsed),
        PolicyFindings::default()
    );
    // "any" keeps the helper as it was: no condition.
    let any = runtime_invoke_policy(&arns, &Principals::Any);
    assert_eq!(
        any,
        format!(
            r#"{{"Statement":[{{"Action":"sagemaker:InvokeEndpoint","Effect":"Allow","Principal":"*","Resource":["{ENDPOINT_A}","{ENDPOINT_B}"],"Sid":"InvokeListedEndpointsOnly"}}],"Version":"2012-10-17"}}"#
        )
    );
    let org = by_sid(&runtime_invoke_policy(&arns, &organization()));
    assert_eq!(
        org["InvokeListedEndpointsOnly"]["Condition"],
        json!({"StringEquals": {"aws:PrincipalOrgID": ORG_ID}})
    );
}

fn findings_for(short_name: &str, policy: &Value) -> PolicyFindings {
    check_for_service(spec(short_name), policy)
}

#[test]
fn runtime_policy_equals_its_aws_reformatted_version() {
    let generated = runtime_invoke_policy(&strings(&[ENDPOINT_A, ENDPOINT_B]), &account());
    let by_hand = format!(
        r#"{{
          "Statement": {{
            "Sid": "InvokeListedEndpointsOnly",
            "Resource": ["{ENDPOINT_B}", "{ENDPOINT_A}"],
            "Principal": {{"AWS": ["*"]}},
            "Effect": "Allow",
            "Action": ["SAGEMAKER:InvokeEndpoint"],
            "Condition": {{"StringEquals": {{"aws:PrincipalAccount": ["{ACCOUNT_ID}"]}}}}
          }},
          "Version": "2012-10-17"
        }}"#
    );
    assert!(equivalent(&generated, &by_hand));
    let only_a = runtime_invoke_policy(&strings(&[ENDPOINT_A]), &account());
    assert!(!equivalent(&generated, &only_a));
    let other_account = runtime_invoke_policy(
        &strings(&[ENDPOINT_A, ENDPOINT_B]),
        &Principals::Account("210987654321".into()),
    );
    assert!(!equivalent(&generated, &other_account));
}

#[test]
fn s3_policy_allows_only_the_listed_buckets_and_ecr_layers() {
    let policy = s3_buckets_policy(
        &strings(&["arn:aws:s3:::training-data", "arn:aws:s3:::artefacts"]),
        false,
        "eu-west-1",
        &account(),
    );
    let statements = by_sid(&policy);
    assert_eq!(statements.len(), 2, "{policy}");
    let buckets = &statements["AllowListedBucketsOnly"];
    assert_eq!(buckets["Effect"], "Allow");
    assert_eq!(buckets["Action"], json!(BUCKET_ACTIONS));
    assert_eq!(
        buckets["Resource"],
        json!([
            "arn:aws:s3:::artefacts",
            "arn:aws:s3:::artefacts/*",
            "arn:aws:s3:::training-data",
            "arn:aws:s3:::training-data/*"
        ])
    );
    assert_eq!(buckets["Condition"], account_condition());
    assert_ecr_layers(
        &statements["AllowEcrImageLayers"],
        "arn:aws:s3:::prod-eu-west-1-starport-layer-bucket/*",
    );
    assert_eq!(
        findings_for("s3", &parse(&policy).unwrap()),
        PolicyFindings::default()
    );
    // Any principal: the buckets still limit, so ECR layers still need their statement.
    let any = by_sid(&s3_buckets_policy(
        &strings(&["arn:aws:s3:::artefacts"]),
        false,
        "eu-west-1",
        &Principals::Any,
    ));
    assert_eq!(any.len(), 2);
    assert!(any["AllowListedBucketsOnly"].get("Condition").is_none());
}

/// An unconditional read-only allow of the ECR layer objects `arn`.
fn assert_ecr_layers(statement: &Value, arn: &str) {
    assert_eq!(statement["Effect"], "Allow", "{statement}");
    assert_eq!(statement["Principal"], "*", "{statement}");
    assert_eq!(statement["Action"], "s3:GetObject", "{statement}");
    assert_eq!(statement["Resource"], arn, "{statement}");
    assert!(
        statement.get("Condition").is_none(),
        "ECR signs the layer URLs, not the account's principals: {statement}"
    );
}

#[test]
fn s3_policy_can_deny_the_amazon_linux_repositories() {
    let policy = s3_buckets_policy(
        &strings(&["arn:aws:s3:::artefacts"]),
        true,
        "eu-west-1",
        &account(),
    );
    let deny = &by_sid(&policy)["DenyAmazonLinuxRepositories"];
    assert_eq!(deny["Effect"], "Deny");
    assert_eq!(deny["Action"], "s3:GetObject");
    assert_eq!(
        deny["Resource"],
        json!([
            "arn:aws:s3:::al2023-repos-eu-west-1-*/*",
            "arn:aws:s3:::amazonlinux-2-repos-eu-west-1/*",
            "arn:aws:s3:::amazonlinux.eu-west-1.amazonaws.com/*",
            "arn:aws:s3:::packages.eu-west-1.amazonaws.com/*",
            "arn:aws:s3:::repo.eu-west-1.amazonaws.com/*"
        ])
    );
    assert!(deny.get("Condition").is_none(), "the deny is for everyone");
    let parsed = parse(&policy).unwrap();
    assert_eq!(findings_for("s3", &parsed), PolicyFindings::default());
}

#[test]
fn s3_policy_equals_its_aws_reformatted_version() {
    let generated = s3_buckets_policy(
        &strings(&["arn:aws:s3:::artefacts"]),
        true,
        "eu-west-1",
        &account(),
    );
    let by_hand = r#"{
      "Version": "2012-10-17",
      "Statement": [
        {"Sid": "DenyAmazonLinuxRepositories", "Effect": "Deny", "Principal": {"AWS": "*"},
         "Action": ["s3:getobject"],
         "Resource": ["arn:aws:s3:::repo.eu-west-1.amazonaws.com/*",
                      "arn:aws:s3:::packages.eu-west-1.amazonaws.com/*",
                      "arn:aws:s3:::amazonlinux.eu-west-1.amazonaws.com/*",
                      "arn:aws:s3:::amazonlinux-2-repos-eu-west-1/*",
                      "arn:aws:s3:::al2023-repos-eu-west-1-*/*"]},
        {"Sid": "AllowEcrImageLayers", "Effect": "Allow", "Principal": "*",
         "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::prod-eu-west-1-starport-layer-bucket/*"]},
        {"Sid": "AllowListedBucketsOnly", "Effect": "Allow", "Principal": "*",
         "Action": ["s3:PutObject", "s3:ListBucket", "s3:GetObject", "s3:GetBucketLocation"],
         "Resource": ["arn:aws:s3:::artefacts/*", "arn:aws:s3:::artefacts"],
         "Condition": {"StringEquals": {"aws:PrincipalAccount": "123456789012"}}}
      ]
    }"#;
    assert!(equivalent(&generated, by_hand));
    let without_deny = s3_buckets_policy(
        &strings(&["arn:aws:s3:::artefacts"]),
        false,
        "eu-west-1",
        &account(),
    );
    assert!(!equivalent(&generated, &without_deny));
}

#[test]
fn deny_only_policy_allows_everything_else_to_the_account() {
    let policy = deny_amazon_linux_only_policy("us-east-1", &account());
    assert_eq!(
        policy,
        s3_buckets_policy(&[], true, "us-east-1", &account())
    );
    let statements = by_sid(&policy);
    let allow = &statements["AllowAll"];
    assert_eq!(
        (&allow["Effect"], &allow["Action"], &allow["Resource"]),
        (&json!("Allow"), &json!("*"), &json!("*"))
    );
    assert_eq!(allow["Condition"], account_condition());
    assert_ecr_layers(
        &statements["AllowEcrImageLayers"],
        "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*",
    );
    assert_eq!(statements["DenyAmazonLinuxRepositories"]["Effect"], "Deny");
    assert_eq!(
        findings_for("s3", &parse(&policy).unwrap()),
        PolicyFindings::default()
    );
    // Any principal: allow everything and deny the repositories, as before.
    let any = by_sid(&deny_amazon_linux_only_policy(
        "us-east-1",
        &Principals::Any,
    ));
    let names: Vec<&str> = any.keys().map(String::as_str).collect();
    assert_eq!(names, ["AllowAll", "DenyAmazonLinuxRepositories"]);
}

#[test]
fn repository_arns_follow_the_region_partition() {
    let arns = amazon_linux_repository_arns("cn-north-1");
    assert_eq!(arns.len(), 5);
    assert!(
        arns.iter().all(|a| a.starts_with("arn:aws-cn:s3:::")),
        "{arns:?}"
    );
    assert!(arns.contains(&"arn:aws-cn:s3:::amazonlinux-2-repos-cn-north-1/*".to_owned()));
    assert!(amazon_linux_repository_arns("us-gov-west-1")[0].starts_with("arn:aws-us-gov:s3:::"));
}

#[test]
fn the_ecr_layer_bucket_follows_the_region_and_partition() {
    assert_eq!(
        ecr_layer_bucket_arn("us-east-1"),
        "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*"
    );
    assert_eq!(
        ecr_layer_bucket_arn("cn-northwest-1"),
        "arn:aws-cn:s3:::prod-cn-northwest-1-starport-layer-bucket/*"
    );
    assert_eq!(
        ecr_layer_bucket_arn("us-gov-east-1"),
        "arn:aws-us-gov:s3:::prod-us-gov-east-1-starport-layer-bucket/*"
    );
}

#[test]
fn generated_policies_are_deterministic() {
    let a = s3_buckets_policy(
        &strings(&["arn:aws:s3:::b", "arn:aws:s3:::a"]),
        true,
        "eu-west-1",
        &account(),
    );
    let b = s3_buckets_policy(
        &strings(&["arn:aws:s3:::a", "arn:aws:s3:::b", "arn:aws:s3:::a"]),
        true,
        "eu-west-1",
        &account(),
    );
    assert_eq!(a, b);
    assert!(!a.contains(' '), "compact: {a}");
}

// --- defaults: policy_principals ----------------------------------------

#[test]
fn every_interface_service_defaults_to_its_account_only() {
    for spec in SERVICES
        .iter()
        .filter(|s| s.kind == EndpointKind::Interface)
    {
        let policy = default_policy(spec, &account(), "eu-west-1");
        if !spec.accepts_policy {
            assert_eq!(policy, None, "{} takes no policy", spec.short_name);
            continue;
        }
        let policy = policy.unwrap_or_else(|| panic!("{} has a default", spec.short_name));
        assert_eq!(
            policy,
            r#"{"Statement":[{"Action":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"123456789012"}},"Effect":"Allow","Principal":"*","Resource":"*","Sid":"AllowAll"}],"Version":"2012-10-17"}"#,
            "{}",
            spec.short_name
        );
        assert!(!is_full_access(&policy));
        assert_eq!(
            findings_for(spec.short_name, &parse(&policy).unwrap()),
            PolicyFindings::default()
        );
    }
}

#[test]
fn the_organization_default_names_the_organization() {
    let policy = default_policy(spec("sagemaker_api"), &organization(), "eu-west-1").unwrap();
    assert_eq!(
        by_sid(&policy)["AllowAll"]["Condition"],
        json!({"StringEquals": {"aws:PrincipalOrgID": ORG_ID}})
    );
    let s3 = by_sid(&default_policy(spec("s3"), &organization(), "eu-west-1").unwrap());
    assert_eq!(
        s3["AllowAll"]["Condition"],
        json!({"StringEquals": {"aws:PrincipalOrgID": ORG_ID}})
    );
    assert!(s3.contains_key("AllowEcrImageLayers"));
}

#[test]
fn any_principal_means_no_default_policy() {
    for spec in SERVICES {
        assert_eq!(default_policy(spec, &Principals::Any, "eu-west-1"), None);
        let full = PolicySource::Default.render(spec, &Principals::Any, "eu-west-1");
        assert_eq!(full, None, "{}: AWS's full access", spec.short_name);
    }
}

#[test]
fn the_s3_default_lets_the_account_and_ecr_layers_through() {
    let policy = default_policy(spec("s3"), &account(), "ap-southeast-2").unwrap();
    let statements = by_sid(&policy);
    assert_eq!(statements.len(), 2, "{policy}");
    let allow = &statements["AllowAll"];
    assert_eq!(
        (&allow["Action"], &allow["Resource"]),
        (&json!("*"), &json!("*"))
    );
    assert_eq!(allow["Condition"], account_condition());
    assert_ecr_layers(
        &statements["AllowEcrImageLayers"],
        "arn:aws:s3:::prod-ap-southeast-2-starport-layer-bucket/*",
    );
    assert_eq!(
        findings_for("s3", &parse(&policy).unwrap()),
        PolicyFindings::default()
    );
}

#[test]
fn sources_render_for_their_service() {
    let region = "eu-west-1";
    let given = PolicySource::Given("{\"x\":1}".into());
    assert!(!given.uses_principals() && PolicySource::Default.uses_principals());
    assert_eq!(
        given
            .render(spec("sagemaker_api"), &account(), region)
            .as_deref(),
        Some("{\"x\":1}")
    );
    assert_eq!(
        given.render(spec("sagemaker_runtime_fips"), &account(), region),
        None,
        "the FIPS runtime takes no policy"
    );
    let runtime = PolicySource::RuntimeInvoke(strings(&[ENDPOINT_A]));
    assert_eq!(
        runtime.render(spec("sagemaker_runtime"), &account(), region),
        Some(runtime_invoke_policy(&strings(&[ENDPOINT_A]), &account()))
    );
    let deny_only = PolicySource::S3Buckets {
        buckets: Vec::new(),
        deny_amazon_linux: true,
    };
    assert_eq!(
        deny_only.render(spec("s3"), &account(), region),
        Some(deny_amazon_linux_only_policy(region, &account()))
    );
}

#[test]
fn generated_policies_are_recognised_for_their_principals_only() {
    let region = "eu-west-1";
    let api = spec("sagemaker_api");
    let default = default_policy(api, &account(), region).unwrap();
    assert_eq!(
        recognise(api, &default, &account(), region),
        Some(PolicySource::Default)
    );
    assert_eq!(recognise(api, &default, &Principals::Any, region), None);
    assert_eq!(
        recognise(
            api,
            &default,
            &Principals::Account("210987654321".into()),
            region
        ),
        None
    );
    assert_eq!(
        recognise(api, FULL_ACCESS_POLICY, &Principals::Any, region),
        Some(PolicySource::Default),
        "AWS's full access is the default of any"
    );
    let s3 = spec("s3");
    let buckets = strings(&["arn:aws:s3:::artefacts"]);
    let text = s3_buckets_policy(&buckets, true, region, &organization());
    assert_eq!(
        recognise(s3, &text, &organization(), region),
        Some(PolicySource::S3Buckets {
            buckets: buckets.clone(),
            deny_amazon_linux: true
        })
    );
    let text = deny_amazon_linux_only_policy(region, &account());
    assert_eq!(
        recognise(s3, &text, &account(), region),
        Some(PolicySource::S3Buckets {
            buckets: Vec::new(),
            deny_amazon_linux: true
        })
    );
    let runtime = spec("sagemaker_runtime");
    let text = runtime_invoke_policy(&strings(&[ENDPOINT_A]), &account());
    assert_eq!(
        recognise(runtime, &text, &account(), region),
        Some(PolicySource::RuntimeInvoke(strings(&[ENDPOINT_A])))
    );
    let by_hand = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sagemaker:Describe*","Resource":"*"}]}"#;
    assert_eq!(recognise(api, by_hand, &account(), region), None);
}

#[test]
fn named_principals_come_from_the_conditions() {
    let text = r#"{"Statement":[
        {"Effect":"Allow","Principal":"*","Action":"*","Resource":"*",
         "Condition":{"StringEquals":{"aws:principalaccount":["222222222222","111111111111"]}}},
        {"Effect":"Allow","Principal":"*","Action":"*","Resource":"*",
         "Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5","aws:SourceVpc":"vpc-1"}}}]}"#;
    assert_eq!(
        named_principals(text),
        vec![
            Principals::Any,
            Principals::Account("111111111111".into()),
            Principals::Account("222222222222".into()),
            Principals::Organization("o-a1b2c3d4e5".into()),
        ]
    );
    assert_eq!(named_principals("not json"), vec![Principals::Any]);
}

#[test]
fn organization_ids_are_checked() {
    for good in ["o-a1b2c3d4e5", "o-abcdefghij0123456789abcdefghij01"] {
        assert_eq!(check_organization_id(good), Ok(()), "{good}");
    }
    for bad in [
        "",
        "o-",
        "o-abc",
        "a1b2c3d4e5f6",
        "o-A1B2C3D4E5",
        "o-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6",
    ] {
        let err = check_organization_id(bad).unwrap_err();
        assert!(err.contains("\"o-\" then 10 to 32"), "{bad}: {err}");
    }
}

// --- ARN checks --------------------------------------------------------

#[test]
fn endpoint_arns() {
    for good in [
        ENDPOINT_A,
        "arn:aws-us-gov:sagemaker:us-gov-west-1:123456789012:endpoint/a",
        "arn:aws-cn:sagemaker:cn-north-1:123456789012:endpoint/x--1",
    ] {
        assert_eq!(check_endpoint_arn(good), Ok(()), "{good}");
    }
    let bad = [
        ("endpoint/model-a", "six"),
        (
            "arn:azure:sagemaker:eu-west-1:123456789012:endpoint/a",
            "partition",
        ),
        (
            "arn:aws:s3:eu-west-1:123456789012:endpoint/a",
            "service \"s3\"",
        ),
        (
            "arn:aws:sagemaker:euwest1:123456789012:endpoint/a",
            "Region",
        ),
        ("arn:aws:sagemaker:eu-west-1:1234:endpoint/a", "12 digits"),
        (
            "arn:aws:sagemaker:eu-west-1:123456789012:model/a",
            "not \"endpoint/NAME\"",
        ),
        (
            "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/",
            "empty",
        ),
        (
            "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/My-Model",
            "\"my-model\"",
        ),
        (
            "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/prod-*",
            "no wildcards",
        ),
        (
            "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/-a",
            "start and end",
        ),
    ];
    for (arn, why) in bad {
        let err = check_endpoint_arn(arn).unwrap_err();
        assert!(err.contains(why), "{arn}: {err}");
        assert!(
            err.contains("arn:aws:sagemaker:REGION:ACCOUNT_ID:endpoint/NAME"),
            "{err}"
        );
    }
    let long = format!(
        "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/{}",
        "a".repeat(64)
    );
    assert!(check_endpoint_arn(&long).unwrap_err().contains("63"));
}

#[test]
fn bucket_arns() {
    for good in [
        "arn:aws:s3:::my-model-artifacts",
        "arn:aws:s3:::data.example.com",
        "arn:aws-cn:s3:::abc",
    ] {
        assert_eq!(check_bucket_arn(good), Ok(()), "{good}");
    }
    let bad = [
        ("s3://bucket", "six"),
        (
            "arn:aws:s3:eu-west-1:123456789012:bucket",
            "empty Region and account",
        ),
        ("arn:aws:s3:::bucket/prefix/*", "\"arn:aws:s3:::bucket\""),
        ("arn:aws:s3:::ab", "3 to 63"),
        ("arn:aws:s3:::My-Bucket", "lowercase"),
        ("arn:aws:s3:::data-*", "wildcards"),
        ("arn:aws:s3:::-bucket", "start and end"),
        ("arn:aws:s3:::a..b", "adjacent dots"),
        ("arn:aws:s3:::192.168.5.4", "IP addresses"),
        ("arn:aws:s3:::xn--bucket", "reserves"),
        ("arn:aws:s3:::bucket-s3alias", "reserves"),
        ("arn:aws:iam:::bucket", "service \"iam\""),
    ];
    for (arn, why) in bad {
        let err = check_bucket_arn(arn).unwrap_err();
        assert!(err.contains(why), "{arn}: {err}");
        assert!(err.contains("arn:aws:s3:::BUCKET"), "{err}");
    }
}

#[test]
fn arn_errors_quote_only_an_excerpt() {
    let huge = format!("arn:aws:s3:::{}", "x".repeat(5000));
    let err = check_bucket_arn(&huge).unwrap_err();
    assert!(err.len() < 400, "{} chars", err.len());
}
#[test]
fn role_arns_are_checked() {
    assert!(check_role_arn("arn:aws:iam::123456789012:role/SageMakerExecution").is_ok());
    assert!(check_role_arn("arn:aws-cn:iam::123456789012:role/service-role/Exec_1").is_ok());
    for (bad, why) in [
        ("SageMakerExecution", "six"),
        ("arn:aws:iam::12345:role/x", "12 digits"),
        ("arn:aws:iam:us-east-1:123456789012:role/x", "empty Region"),
        ("arn:aws:iam::123456789012:user/x", "role/NAME"),
        ("arn:aws:s3:::bucket", "not \"iam\""),
        ("arn:aws:iam::123456789012:role/a*", "no wildcards"),
    ] {
        let err = check_role_arn(bad).unwrap_err();
        assert!(err.contains(why), "{bad}: {err}");
    }
}

/// Regression (trial #9): `kms_key_id = "not-a-key"` passed validate.
#[test]
fn kms_keys_are_checked() {
    for good in [
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "mrk-1234abcd12ab34cd56ef1234567890ab",
        "arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab",
        "alias/ExampleAlias",
        "alias/aws/sagemaker",
        "arn:aws:kms:us-east-2:111122223333:alias/team/Example_Alias-1",
    ] {
        assert!(check_kms_key_id(good).is_ok(), "{good}");
    }
    for (bad, why) in [
        ("not-a-key", "neither a key id"),
        ("1234abcd-12ab-34cd-56ef-1234567890a", "neither a key id"),
        ("alias/", "1 to 250 characters"),
        ("alias/my key", "only letters, digits"),
        (
            "arn:aws:kms:us-east-2:111122223333:key/not-a-key",
            "not a key id",
        ),
        (
            "arn:aws:kms:us-east-2:111122223333:secret/x",
            "not \"key/KEY_ID\"",
        ),
        (
            "arn:aws:kms:somewhere:111122223333:alias/x",
            "not a Region code",
        ),
        ("arn:aws:kms:us-east-2:1111:alias/x", "12 digits"),
        ("arn:aws:s3:::bucket", "not \"kms\""),
    ] {
        let err = check_kms_key_id(bad).unwrap_err();
        assert!(
            err.contains(why) && err.contains("alias/NAME"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn execution_role_policy_scopes_interfaces_to_account_and_placement() {
    let text = execution_role_network_policy(
        "us-gov-west-1",
        "123456789012",
        &["subnet-b".into(), "subnet-a".into()],
        &["sg-1".into()],
    );
    let doc: Value = serde_json::from_str(&text).unwrap();
    let statements = doc["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 3);
    assert_eq!(statements[0]["Resource"], "*");
    assert_eq!(statements[0]["Action"].as_array().unwrap().len(), 6);
    assert_eq!(
        statements[1]["Resource"],
        "arn:aws-us-gov:ec2:us-gov-west-1:123456789012:network-interface/*"
    );
    assert_eq!(
        statements[2]["Resource"],
        json!([
            "arn:aws-us-gov:ec2:us-gov-west-1:123456789012:security-group/sg-1",
            "arn:aws-us-gov:ec2:us-gov-west-1:123456789012:subnet/subnet-a",
            "arn:aws-us-gov:ec2:us-gov-west-1:123456789012:subnet/subnet-b",
        ])
    );
    assert!(text.find('*').is_some());
    assert!(!text.contains("\"Action\":\"*\""));
}

#[test]
fn parse_refuses_what_aws_would_reject_whatever_the_json_parser_keeps() {
    let statement = r#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#;
    let big = format!(r#"{{"Statement": [{}]}}"#, vec![statement; 250].join(","));
    assert!(big.chars().count() > 20_480);
    let err = parse_err(&big);
    assert!(err.contains("at most 20480"), "{err}");
    let dup = r#"{"Statement": [{"Effect": "Allow", "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]}"#;
    let err = parse_err(dup);
    assert!(err.contains("the key \"Effect\" twice"), "{err}");
    let deep = format!(
        r#"{{"Statement": [{{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", "Condition": {}1{}}}]}}"#,
        "{\"a\": ".repeat(120),
        "}".repeat(120)
    );
    let err = parse_err(&deep);
    assert!(err.contains("nests more than 6 levels"), "{err}");
    // The deepest the grammar goes is fine.
    let condition = r#"{"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalAccount": ["123456789012"]}}}]}"#;
    assert!(parse(condition).is_ok());
}

#[test]
fn a_misspelt_statement_is_named_and_examples_fit_the_service() {
    let err = parse_err(r#"{"Statment": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#);
    assert!(
        err.contains("rename \"Statment\" to \"Statement\""),
        "{err}"
    );
    let err = parse_for(spec("sagemaker_api"), r#"{"Version": "2012-10-17"}"#).unwrap_err();
    assert!(err.contains("\"Action\": \"sagemaker:*\""), "{err}");
    assert!(!err.contains("InvokeEndpoint"), "{err}");
    let err = parse_for(
        spec("sagemaker_runtime"),
        r#"{"Statement": {"Effect": "Allow"}}"#,
    )
    .unwrap_err();
    assert!(err.contains("sagemaker:InvokeEndpoint"), "{err}");
}
