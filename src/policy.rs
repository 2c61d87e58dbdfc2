//! VPC endpoint policies: parsing with errors that say how to fix the
//! document, comparison by meaning (so AWS reformatting never shows up as a
//! diff), per-service checks, and the generators behind the least-privilege
//! helpers (`runtime_invoke_endpoint_arns`, `s3_bucket_arns`,
//! `deny_amazon_linux_repositories`). Pure functions: nothing here calls AWS.

use crate::catalog::ServiceSpec;
use serde_json::{json, Map, Value};

/// The policy language version the generators write.
const POLICY_VERSION: &str = "2012-10-17";

/// How many characters of user input an error message may quote.
const EXCERPT_CHARS: usize = 60;

/// A minimal valid policy, shown when the document's shape is wrong.
const POLICY_EXAMPLE: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sagemaker:InvokeEndpoint", "Resource": "*"}]}"#;

/// A minimal valid statement.
const STATEMENT_EXAMPLE: &str = r#"{"Effect": "Allow", "Principal": "*", "Action": "sagemaker:InvokeEndpoint", "Resource": "*"}"#;

/// The form `check_endpoint_arn` accepts.
const ENDPOINT_ARN_FORM: &str = "\"arn:aws:sagemaker:REGION:ACCOUNT_ID:endpoint/NAME\", e.g. \
     \"arn:aws:sagemaker:eu-west-1:123456789012:endpoint/my-endpoint\" \
     (`aws sagemaker describe-endpoint --endpoint-name NAME` prints it)";

/// The form `check_bucket_arn` accepts.
const BUCKET_ARN_FORM: &str =
    "\"arn:aws:s3:::BUCKET\", e.g. \"arn:aws:s3:::my-model-artifacts\" (no Region, account or key)";

/// What SageMaker training jobs, processing jobs and hosted models do with
/// their buckets, and nothing more: read training data and model artefacts
/// (`s3:GetObject`), enumerate `S3Prefix` input channels (`s3:ListBucket`),
/// write model artefacts, checkpoints and outputs (`s3:PutObject`, which also
/// covers multipart uploads), and let the SDKs find the bucket's Region
/// (`s3:GetBucketLocation`). These are the S3 actions of the minimum
/// execution-role policies in the SageMaker Developer Guide ("SageMaker AI
/// execution roles": CreateTrainingJob, CreateModel, CreateProcessingJob),
/// plus `s3:GetBucketLocation` from its notebook policy. No delete, no ACL or
/// bucket-configuration actions. Sorted, as the generated JSON lists them.
const BUCKET_ACTIONS: [&str; 4] = [
    "s3:GetBucketLocation",
    "s3:GetObject",
    "s3:ListBucket",
    "s3:PutObject",
];

/// What a policy check found: errors block the plan, warnings do not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyFindings {
    /// Problems AWS would reject or that defeat the configuration.
    pub errors: Vec<String>,
    /// Statements that are valid but cannot do what they seem to.
    pub warnings: Vec<String>,
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

/// Parses an endpoint policy: valid JSON, a JSON object, with a `Statement`
/// that is an object or a non-empty array of objects, each with `Effect`
/// `"Allow"` or `"Deny"` and an `Action` or `NotAction`. The error says what
/// is wrong and how to fix it, quoting at most a short excerpt.
pub fn parse(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Err(format!(
            "the policy is empty: give a JSON document such as {POLICY_EXAMPLE}"
        ));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| json_error(text, &e))?;
    check_document(&value)?;
    Ok(value)
}

fn json_error(text: &str, err: &serde_json::Error) -> String {
    let near = excerpt_at(text, err.line(), err.column());
    let near = if near.is_empty() {
        String::new()
    } else {
        format!(" near `{near}`")
    };
    format!(
        "the policy is not valid JSON ({err}){near}: check the quotes, commas and brackets there \
         (building the policy with jsonencode() avoids such mistakes)"
    )
}

/// Up to [`EXCERPT_CHARS`] characters of `text` around a 1-based line and column.
fn excerpt_at(text: &str, line: usize, column: usize) -> String {
    let Some(src) = text.lines().nth(line.saturating_sub(1)) else {
        return String::new();
    };
    let mut at = column.saturating_sub(1).min(src.len());
    while !src.is_char_boundary(at) {
        at -= 1;
    }
    let half = EXCERPT_CHARS / 2;
    let before: Vec<char> = src[..at].chars().rev().take(half).collect();
    let before: String = before.into_iter().rev().collect();
    let after: String = src[at..].chars().take(half).collect();
    format!("{before}{after}").trim().to_owned()
}

/// `text`, cut to [`EXCERPT_CHARS`] characters.
fn excerpt(text: &str) -> String {
    if text.chars().count() <= EXCERPT_CHARS {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(EXCERPT_CHARS).collect();
        format!("{cut}…")
    }
}

/// "an array", "a string", … for messages.
fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn check_document(value: &Value) -> Result<(), String> {
    let Value::Object(doc) = value else {
        return Err(format!(
            "the policy is {}, not a JSON object: write it as {POLICY_EXAMPLE}",
            describe(value)
        ));
    };
    match doc.get("Statement") {
        None => Err(missing_statement(doc)),
        Some(Value::Array(items)) if items.is_empty() => Err(format!(
            "the policy's Statement is an empty array: add at least one statement such as \
             {STATEMENT_EXAMPLE}"
        )),
        Some(Value::Array(_) | Value::Object(_)) => labelled_statements(value)
            .into_iter()
            .try_for_each(|(label, statement)| check_statement(&label, statement)),
        Some(other) => Err(format!(
            "the policy's Statement is {}: it must be an object or an array of objects such as \
             [{STATEMENT_EXAMPLE}]",
            describe(other)
        )),
    }
}

fn missing_statement(doc: &Map<String, Value>) -> String {
    match doc.keys().find(|k| k.eq_ignore_ascii_case("Statement")) {
        Some(key) => format!(
            "the policy has no Statement: rename {:?} to \"Statement\" (policy keys are case-sensitive)",
            excerpt(key)
        ),
        None => format!(
            "the policy has no Statement: add \"Statement\": [{STATEMENT_EXAMPLE}]"
        ),
    }
}

/// The statements of `policy` with the names messages use for them:
/// `Statement` when it is a single object, `Statement[i]` in an array.
fn labelled_statements(policy: &Value) -> Vec<(String, &Value)> {
    match policy.get("Statement") {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("Statement[{i}]"), s))
            .collect(),
        Some(one @ Value::Object(_)) => vec![("Statement".to_owned(), one)],
        _ => Vec::new(),
    }
}

fn check_statement(label: &str, statement: &Value) -> Result<(), String> {
    let Value::Object(fields) = statement else {
        return Err(format!(
            "{label} is {}, not an object: write each statement as {STATEMENT_EXAMPLE}",
            describe(statement)
        ));
    };
    check_effect(label, fields.get("Effect"))?;
    match (
        fields.contains_key("Action"),
        fields.contains_key("NotAction"),
    ) {
        (false, false) => Err(format!(
            "{label} has no Action: add \"Action\" with one action or a list, \
             e.g. \"Action\": \"sagemaker:InvokeEndpoint\""
        )),
        (true, true) => Err(format!(
            "{label} has both Action and NotAction: keep only one of them"
        )),
        _ => Ok(()),
    }
}

fn check_effect(label: &str, effect: Option<&Value>) -> Result<(), String> {
    match effect {
        Some(Value::String(e)) if e == "Allow" || e == "Deny" => Ok(()),
        None => Err(format!(
            "{label} has no Effect: add \"Effect\": \"Allow\" or \"Effect\": \"Deny\""
        )),
        Some(Value::String(e)) if e.eq_ignore_ascii_case("allow") || e.eq_ignore_ascii_case("deny") => {
            Err(format!(
                "{label} has \"Effect\": {e:?}: write it exactly \"Allow\" or \"Deny\" (values are case-sensitive)"
            ))
        }
        Some(other) => Err(format!(
            "{label} has \"Effect\": {}: it must be \"Allow\" or \"Deny\"",
            excerpt(&other.to_string())
        )),
    }
}

// ---------------------------------------------------------------------------
// Comparison by meaning
// ---------------------------------------------------------------------------

/// The canonical form of a policy, for comparison only (never send it to
/// AWS): keys sorted; `Statement` always an array, sorted; in each statement
/// `Action`/`NotAction` lower-cased (IAM matches action names
/// case-insensitively), and `Action`, `NotAction`, `Resource`, `NotResource`,
/// principal lists and condition values as sorted, deduplicated arrays;
/// `Principal: "*"` as `{"AWS": ["*"]}`. `Sid`, `Effect` and unknown keys are
/// kept as they are. Anything that is not an object is returned with its keys
/// sorted and nothing else changed.
pub fn normalize(policy: &Value) -> Value {
    let Value::Object(doc) = policy else {
        return sort_keys(policy.clone());
    };
    let out: Map<String, Value> = doc
        .iter()
        .map(|(key, value)| {
            let value = if key == "Statement" {
                normalize_statements(value)
            } else {
                value.clone()
            };
            (key.clone(), value)
        })
        .collect();
    sort_keys(Value::Object(out))
}

/// True when the two policy texts mean the same thing (see [`normalize`]).
/// A `Version` present on only one side is ignored: AWS adds
/// `"Version": "2008-10-17"` to a policy stored without one. Texts that are
/// not JSON are compared as trimmed text.
pub fn equivalent(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<Value>(a),
        serde_json::from_str::<Value>(b),
    ) {
        (Ok(a), Ok(b)) => {
            let (mut a, mut b) = (normalize(&a), normalize(&b));
            drop_one_sided_version(&mut a, &mut b);
            a == b
        }
        _ => a.trim() == b.trim(),
    }
}

fn drop_one_sided_version(a: &mut Value, b: &mut Value) {
    let has_version = |v: &Value| v.get("Version").is_some();
    if has_version(a) != has_version(b) {
        for doc in [a, b] {
            if let Value::Object(fields) = doc {
                fields.remove("Version");
            }
        }
    }
}

fn normalize_statements(value: &Value) -> Value {
    let mut statements: Vec<Value> = match value {
        Value::Array(items) => items.iter().map(normalize_statement).collect(),
        single => vec![normalize_statement(single)],
    };
    statements.sort_by_cached_key(Value::to_string);
    Value::Array(statements)
}

fn normalize_statement(statement: &Value) -> Value {
    let Value::Object(fields) = statement else {
        return sort_keys(statement.clone());
    };
    let out: Map<String, Value> = fields
        .iter()
        .map(|(key, value)| (key.clone(), normalize_field(key, value)))
        .collect();
    sort_keys(Value::Object(out))
}

fn normalize_field(key: &str, value: &Value) -> Value {
    match key {
        "Action" | "NotAction" => text_set(value, true),
        "Resource" | "NotResource" => text_set(value, false),
        "Principal" | "NotPrincipal" => normalize_principal(value),
        "Condition" => map_values(value, |block| map_values(block, |v| text_set(v, false))),
        _ => value.clone(),
    }
}

/// `"*"` and `{"AWS": "*"}` both as `{"AWS": ["*"]}`; every principal list
/// as a sorted set.
fn normalize_principal(value: &Value) -> Value {
    match value {
        Value::String(s) if s == "*" => json!({ "AWS": ["*"] }),
        other => map_values(other, |v| text_set(v, false)),
    }
}

/// An object with `f` applied to each value; anything else unchanged.
fn map_values(value: &Value, f: impl Fn(&Value) -> Value) -> Value {
    match value {
        Value::Object(fields) => {
            Value::Object(fields.iter().map(|(key, v)| (key.clone(), f(v))).collect())
        }
        other => other.clone(),
    }
}

/// A scalar or an array of scalars as a sorted, deduplicated array of
/// strings (optionally lower-cased); anything else unchanged. Numbers and
/// booleans become their text, as IAM compares them.
fn text_set(value: &Value, lowercase: bool) -> Value {
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        single => vec![single],
    };
    let mut texts = Vec::with_capacity(items.len());
    for item in items {
        let text = match item {
            Value::String(s) => s.clone(),
            Value::Number(_) | Value::Bool(_) => item.to_string(),
            _ => return value.clone(),
        };
        texts.push(if lowercase {
            text.to_ascii_lowercase()
        } else {
            text
        });
    }
    texts.sort();
    texts.dedup();
    Value::Array(texts.into_iter().map(Value::String).collect())
}

/// `value` with every object's keys in sorted order, so that its text is
/// canonical whatever map type serde_json was built with.
fn sort_keys(value: Value) -> Value {
    match value {
        Value::Object(fields) => {
            let mut entries: Vec<(String, Value)> = fields.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(key, v)| (key, sort_keys(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sort_keys).collect()),
        other => other,
    }
}

// ---------------------------------------------------------------------------
// Checks against the endpoint's service
// ---------------------------------------------------------------------------

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
fn entries<'a>(label: &str, key: &str, value: Option<&'a Value>) -> Vec<(String, &'a Value)> {
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

fn check_action(
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
fn foreign_action(action: &str, short_name: &str, prefix: &str) -> Option<String> {
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

// ---------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------

/// AWS's default endpoint policy: full access. An endpoint without a
/// configured policy has it; going back to "no policy" sends it.
pub const FULL_ACCESS_POLICY: &str = r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;

/// True when `text` means AWS's default full-access policy (any `Version`).
pub fn is_full_access(text: &str) -> bool {
    const UNVERSIONED: &str =
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;
    equivalent(text, UNVERSIONED)
}

/// True when two endpoint policies have the same effect: equivalent
/// documents, AWS's default full access counting as no policy.
pub fn same_effect(a: Option<&str>, b: Option<&str>) -> bool {
    let meaningful = |text: &&str| !is_full_access(text);
    match (a.filter(meaningful), b.filter(meaningful)) {
        (Some(a), Some(b)) => equivalent(a, b),
        (a, b) => a.is_none() && b.is_none(),
    }
}

/// The policy for the SageMaker Runtime endpoint behind
/// `runtime_invoke_endpoint_arns`: one statement allowing
/// `sagemaker:InvokeEndpoint` (which also authorizes
/// InvokeEndpointWithResponseStream) to any principal on exactly those
/// endpoints, sorted and deduplicated. Everything else through the endpoint
/// is implicitly denied, because an endpoint policy replaces the default
/// full-access one. Pass at least one ARN (checked by [`check_endpoint_arn`]).
pub fn runtime_invoke_policy(endpoint_arns: &[String]) -> String {
    document(vec![json!({
        "Sid": "InvokeListedEndpointsOnly",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "sagemaker:InvokeEndpoint",
        "Resource": sorted_unique(endpoint_arns.iter().cloned()),
    })])
}

/// The policy for the S3 gateway endpoint behind `s3_bucket_arns` and
/// `deny_amazon_linux_repositories`. With buckets: allow only the object
/// read/write and listing SageMaker needs (see `BUCKET_ACTIONS`) on each
/// bucket and its objects. Without buckets: no bucket restriction (allow
/// everything, like the default endpoint policy). With the deny flag: also
/// deny `s3:GetObject` on the Amazon Linux package repositories of `region`
/// (see [`amazon_linux_repository_arns`]) — redundant next to a bucket
/// allow-list, but explicit, and it wins over any broader Allow.
pub fn s3_buckets_policy(
    bucket_arns: &[String],
    deny_amazon_linux_repositories: bool,
    region: &str,
) -> String {
    let mut statements = vec![if bucket_arns.is_empty() {
        allow_everything()
    } else {
        allow_buckets(bucket_arns)
    }];
    if deny_amazon_linux_repositories {
        statements.push(deny_repositories(region));
    }
    document(statements)
}

/// The S3 gateway policy when only `deny_amazon_linux_repositories` is set:
/// allow everything except reading the Amazon Linux package repositories of
/// `region`. Same as `s3_buckets_policy(&[], true, region)`.
pub fn deny_amazon_linux_only_policy(region: &str) -> String {
    s3_buckets_policy(&[], true, region)
}

/// The helper inputs that generate the S3 gateway policy `text`, if a
/// helper made it: `(s3_bucket_arns, deny_amazon_linux_repositories)`, the
/// bucket list `None` when only the deny flag was set. Import uses it so a
/// configuration written with the helpers plans no change.
pub fn s3_helper_inputs(text: &str, region: &str) -> Option<(Option<Vec<String>>, bool)> {
    if equivalent(text, &deny_amazon_linux_only_policy(region)) {
        return Some((None, true));
    }
    let buckets = resources_matching(text, |r| {
        r.starts_with("arn:") && r.contains(":s3:::") && !r.contains('/')
    });
    if buckets.is_empty() {
        return None;
    }
    [false, true]
        .into_iter()
        .find(|deny| equivalent(text, &s3_buckets_policy(&buckets, *deny, region)))
        .map(|deny| (Some(buckets), deny))
}

/// The `runtime_invoke_endpoint_arns` that generate the runtime endpoint
/// policy `text`, if the helper made it.
pub fn runtime_helper_inputs(text: &str) -> Option<Vec<String>> {
    let arns = resources_matching(text, |r| {
        r.contains(":sagemaker:") && r.contains(":endpoint/")
    });
    (!arns.is_empty() && equivalent(text, &runtime_invoke_policy(&arns))).then_some(arns)
}

/// Every `Resource` string of the policy `text` that `keep` accepts, sorted
/// and deduplicated.
fn resources_matching(text: &str, keep: impl Fn(&str) -> bool) -> Vec<String> {
    let Ok(policy) = parse(text) else {
        return Vec::new();
    };
    let statements = match &policy["Statement"] {
        Value::Array(items) => items.clone(),
        single => vec![single.clone()],
    };
    let resources = statements.iter().flat_map(|s| match &s["Resource"] {
        Value::String(r) => vec![r.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|r| r.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    });
    sorted_unique(resources.filter(|r| keep(r)))
}

/// The object ARNs (`arn:PARTITION:s3:::BUCKET/*`) of the S3 buckets that
/// hold the Amazon Linux package repositories of `region`, sorted:
/// `packages.R.amazonaws.com` and `repo.R.amazonaws.com` (Amazon Linux AMI,
/// as in the SageMaker guide's "Restrict package installation" policies),
/// `amazonlinux.R.amazonaws.com` and `amazonlinux-2-repos-R` (Amazon Linux
/// 2), and `al2023-repos-R-*` (Amazon Linux 2023, whose bucket carries a
/// suffix such as `-de612dc2`, hence the wildcard).
pub fn amazon_linux_repository_arns(region: &str) -> Vec<String> {
    let partition = partition_of(region);
    let buckets = [
        format!("packages.{region}.amazonaws.com"),
        format!("repo.{region}.amazonaws.com"),
        format!("amazonlinux.{region}.amazonaws.com"),
        format!("amazonlinux-2-repos-{region}"),
        format!("al2023-repos-{region}-*"),
    ];
    sorted_unique(
        buckets
            .iter()
            .map(|bucket| format!("arn:{partition}:s3:::{bucket}/*")),
    )
}

/// The ARN partition of `region`.
fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else {
        "aws"
    }
}

fn allow_everything() -> Value {
    json!({
        "Sid": "AllowAll",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "*",
        "Resource": "*",
    })
}

fn allow_buckets(bucket_arns: &[String]) -> Value {
    let resources = bucket_arns
        .iter()
        .flat_map(|arn| [arn.clone(), format!("{arn}/*")]);
    json!({
        "Sid": "AllowListedBucketsOnly",
        "Effect": "Allow",
        "Principal": "*",
        "Action": BUCKET_ACTIONS,
        "Resource": sorted_unique(resources),
    })
}

fn deny_repositories(region: &str) -> Value {
    json!({
        "Sid": "DenyAmazonLinuxRepositories",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": amazon_linux_repository_arns(region),
    })
}

/// A compact policy document with sorted keys.
fn document(statements: Vec<Value>) -> String {
    sort_keys(json!({ "Version": POLICY_VERSION, "Statement": statements })).to_string()
}

fn sorted_unique(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut items: Vec<String> = items.into_iter().collect();
    items.sort();
    items.dedup();
    items
}

// ---------------------------------------------------------------------------
// ARN checks (used as `StringCheck` validators)
// ---------------------------------------------------------------------------

/// `Ok` when `arn` is a SageMaker endpoint ARN,
/// `arn:aws[-PARTITION]:sagemaker:REGION:ACCOUNT_ID:endpoint/NAME`, with the
/// name as SageMaker writes it in ARNs: lower case, letters, digits and
/// hyphens, starting and ending with a letter or digit, at most 63 characters.
pub fn check_endpoint_arn(arn: &str) -> Result<(), String> {
    match endpoint_arn_problem(arn) {
        None => Ok(()),
        Some(why) => Err(format!(
            "{:?} is not a SageMaker endpoint ARN: {why}. Use the form {ENDPOINT_ARN_FORM}.",
            excerpt(arn)
        )),
    }
}

/// `Ok` when `arn` is an S3 bucket ARN, `arn:aws[-PARTITION]:s3:::BUCKET`,
/// with no key part and a name that follows the S3 bucket naming rules.
pub fn check_bucket_arn(arn: &str) -> Result<(), String> {
    match bucket_arn_problem(arn) {
        None => Ok(()),
        Some(why) => Err(format!(
            "{:?} is not an S3 bucket ARN: {why}. Use the form {BUCKET_ARN_FORM}.",
            excerpt(arn)
        )),
    }
}

/// The six `:`-separated fields of an ARN after `arn`.
struct ArnParts<'a> {
    partition: &'a str,
    service: &'a str,
    region: &'a str,
    account: &'a str,
    resource: &'a str,
}

fn split_arn(arn: &str) -> Option<ArnParts<'_>> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts[..] {
        ["arn", partition, service, region, account, resource] => Some(ArnParts {
            partition,
            service,
            region,
            account,
            resource,
        }),
        _ => None,
    }
}

/// The ARN's fields, or why it is not an ARN of `service`.
fn arn_of<'a>(arn: &'a str, service: &str) -> Result<ArnParts<'a>, String> {
    let parts = split_arn(arn)
        .ok_or_else(|| "it does not have the six `:`-separated parts of an ARN".to_owned())?;
    if !is_partition(parts.partition) {
        return Err(format!(
            "{:?} is not an AWS partition (aws, aws-cn, aws-us-gov, …)",
            excerpt(parts.partition)
        ));
    }
    if parts.service != service {
        return Err(format!(
            "it is an ARN of service {:?}, not {service:?}",
            excerpt(parts.service)
        ));
    }
    Ok(parts)
}

fn endpoint_arn_problem(arn: &str) -> Option<String> {
    let parts = match arn_of(arn, "sagemaker") {
        Ok(parts) => parts,
        Err(why) => return Some(why),
    };
    if !is_region(parts.region) {
        return Some(format!(
            "{:?} is not a Region code such as \"eu-west-1\"",
            excerpt(parts.region)
        ));
    }
    if !is_account(parts.account) {
        return Some(format!(
            "the account ID {:?} is not 12 digits",
            excerpt(parts.account)
        ));
    }
    match parts.resource.strip_prefix("endpoint/") {
        Some(name) => endpoint_name_problem(name),
        None => Some(format!(
            "it names {:?}, not \"endpoint/NAME\"",
            excerpt(parts.resource)
        )),
    }
}

fn endpoint_name_problem(name: &str) -> Option<String> {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    let lower = name.to_ascii_lowercase();
    if name.is_empty() {
        Some("the endpoint name is empty".to_owned())
    } else if name.len() > 63 {
        Some("the endpoint name is longer than 63 characters".to_owned())
    } else if name != lower && lower.chars().all(allowed) {
        Some(format!(
            "SageMaker writes endpoint names in ARNs in lower case and ARNs match case-sensitively, \
             so write the name as {:?}",
            excerpt(&lower)
        ))
    } else if !name.chars().all(allowed) {
        Some(
            "the endpoint name may hold only lowercase letters, digits and hyphens (no wildcards)"
                .to_owned(),
        )
    } else if name.starts_with('-') || name.ends_with('-') {
        Some("the endpoint name must start and end with a letter or digit".to_owned())
    } else {
        None
    }
}

fn bucket_arn_problem(arn: &str) -> Option<String> {
    let parts = match arn_of(arn, "s3") {
        Ok(parts) => parts,
        Err(why) => return Some(why),
    };
    if !parts.region.is_empty() || !parts.account.is_empty() {
        return Some("bucket ARNs have empty Region and account fields (`s3:::`)".to_owned());
    }
    if let Some((bucket, _)) = parts.resource.split_once('/') {
        return Some(format!(
            "it names objects in a bucket; give the bucket alone, \"arn:{}:s3:::{}\" \
             (the policy adds \"/*\" itself)",
            parts.partition,
            excerpt(bucket)
        ));
    }
    bucket_name_problem(parts.resource)
}

/// The S3 general purpose bucket naming rules.
fn bucket_name_problem(name: &str) -> Option<String> {
    const RESERVED_PREFIXES: [&str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];
    const RESERVED_SUFFIXES: [&str; 5] = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-';
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let why = if !(3..=63).contains(&name.len()) {
        "bucket names are 3 to 63 characters long"
    } else if name.contains(['*', '?']) {
        "wildcards are not allowed: list each bucket"
    } else if !name.chars().all(allowed) {
        "bucket names hold only lowercase letters, digits, dots and hyphens"
    } else if !edge(name.chars().next()) || !edge(name.chars().last()) {
        "bucket names start and end with a letter or digit"
    } else if name.contains("..") {
        "bucket names have no two adjacent dots"
    } else if is_ipv4_like(name) {
        "bucket names are not formatted as IP addresses"
    } else if RESERVED_PREFIXES.iter().any(|p| name.starts_with(p))
        || RESERVED_SUFFIXES.iter().any(|s| name.ends_with(s))
    {
        "the bucket name uses a prefix or suffix that S3 reserves"
    } else {
        return None;
    };
    Some(why.to_owned())
}

fn is_ipv4_like(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// `Ok` when `arn` is an IAM role ARN,
/// `arn:aws[-PARTITION]:iam::ACCOUNT_ID:role/[PATH/]NAME`, with a role name
/// of at most 64 characters from IAM's set (letters, digits, `+=,.@_-`).
pub fn check_role_arn(arn: &str) -> Result<(), String> {
    match role_arn_problem(arn) {
        None => Ok(()),
        Some(why) => Err(format!(
            "{:?} is not an IAM role ARN: {why}. Use the form \
             \"arn:aws:iam::ACCOUNT_ID:role/NAME\", e.g. \"arn:aws:iam::123456789012:role/SageMakerExecution\".",
            excerpt(arn)
        )),
    }
}

fn role_arn_problem(arn: &str) -> Option<String> {
    let parts = match arn_of(arn, "iam") {
        Ok(parts) => parts,
        Err(why) => return Some(why),
    };
    if !parts.region.is_empty() {
        return Some("IAM ARNs have an empty Region field (`iam::`)".to_owned());
    }
    if !is_account(parts.account) {
        return Some(format!(
            "the account ID {:?} is not 12 digits",
            excerpt(parts.account)
        ));
    }
    let Some(path_and_name) = parts.resource.strip_prefix("role/") else {
        return Some(format!(
            "it names {:?}, not \"role/NAME\"",
            excerpt(parts.resource)
        ));
    };
    let name = path_and_name.rsplit('/').next().unwrap_or_default();
    let allowed = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
    if name.is_empty() || name.len() > 64 {
        Some("the role name must have 1 to 64 characters".to_owned())
    } else if !path_and_name.chars().all(|c| allowed(c) || c == '/') {
        Some("the role name may hold only letters, digits and +=,.@_- (no wildcards)".to_owned())
    } else {
        None
    }
}

/// The least-privilege IAM policy a SageMaker execution role needs to run
/// containers in a VPC: the read-only EC2 calls SageMaker makes to check the
/// network (which IAM cannot scope below `*`), and the network-interface
/// calls scoped to network interfaces of `account` in `region` — plus, for
/// CreateNetworkInterface, exactly `subnet_ids` and `security_group_ids`.
pub fn execution_role_network_policy(
    region: &str,
    account: &str,
    subnet_ids: &[String],
    security_group_ids: &[String],
) -> String {
    let partition = partition_of(region);
    let arn = |kind: &str, id: &str| format!("arn:{partition}:ec2:{region}:{account}:{kind}/{id}");
    let placement = subnet_ids.iter().map(|id| arn("subnet", id)).chain(
        security_group_ids
            .iter()
            .map(|id| arn("security-group", id)),
    );
    document(vec![
        json!({
            "Sid": "DescribeNetworkForVpcConfig",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcEndpoints",
                "ec2:DescribeVpcs",
            ],
            "Resource": "*",
        }),
        json!({
            "Sid": "ManageOwnNetworkInterfaces",
            "Effect": "Allow",
            "Action": [
                "ec2:CreateNetworkInterface",
                "ec2:CreateNetworkInterfacePermission",
                "ec2:DeleteNetworkInterface",
                "ec2:DeleteNetworkInterfacePermission",
            ],
            "Resource": arn("network-interface", "*"),
        }),
        json!({
            "Sid": "AttachToConfiguredSubnetsAndGroups",
            "Effect": "Allow",
            "Action": "ec2:CreateNetworkInterface",
            "Resource": sorted_unique(placement),
        }),
    ])
}

fn is_partition(partition: &str) -> bool {
    partition == "aws"
        || partition.strip_prefix("aws-").is_some_and(|rest| {
            !rest.is_empty() && rest.chars().all(|c| c.is_ascii_lowercase() || c == '-')
        })
}

/// Like `eu-west-1` or `us-gov-west-1`.
fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    let letters = |s: &&str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase());
    let digits = |s: &&str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    match parts.split_last() {
        Some((last, words)) => words.len() >= 2 && words.iter().all(letters) && digits(last),
        None => false,
    }
}

fn is_account(account: &str) -> bool {
    account.len() == 12 && account.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
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

    use crate::catalog::{service, SERVICES};

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
        let one = r#"{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"}}"#;
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
            err.starts_with(
                "the policy has no Statement: add \"Statement\": [{\"Effect\": \"Allow\""
            ),
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
        let a =
            r#"{"Statement": [{"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*"}]}"#;
        let b = r#"{"Statement": [{"Effect": "Deny", "NotAction": ["s3:GetObject"], "Resource": ["*"]}]}"#;
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
        let without = r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"}]}"#;
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
        let policy = r#"{"Statement": {"Effect": "Allow", "Resource": "*", "Action": ["InvokeEndpoint", 7]}}"#;
        let found = findings("sagemaker_runtime", policy);
        assert_eq!(found.warnings.len(), 1);
        assert!(found.warnings[0].starts_with(
            "Statement.Action[0] \"InvokeEndpoint\" is not of the form \"service:Operation\" (e.g. \"sagemaker:*\"): it will never match"
        ));
        assert_eq!(found.errors.len(), 1);
        assert!(found.errors[0].starts_with("Statement.Action[1] is a number"));
    }

    // --- generators --------------------------------------------------------

    #[test]
    fn runtime_policy_allows_only_invoke_on_sorted_endpoints() {
        let policy = runtime_invoke_policy(&strings(&[ENDPOINT_B, ENDPOINT_A, ENDPOINT_B]));
        assert_eq!(
            policy,
            format!(
                r#"{{"Statement":[{{"Action":"sagemaker:InvokeEndpoint","Effect":"Allow","Principal":"*","Resource":["{ENDPOINT_A}","{ENDPOINT_B}"],"Sid":"InvokeListedEndpointsOnly"}}],"Version":"2012-10-17"}}"#
            )
        );
        let parsed = parse(&policy).unwrap();
        assert_eq!(
            findings_for("sagemaker_runtime", &parsed),
            PolicyFindings::default()
        );
    }

    fn findings_for(short_name: &str, policy: &Value) -> PolicyFindings {
        check_for_service(spec(short_name), policy)
    }

    #[test]
    fn runtime_policy_equals_its_aws_reformatted_version() {
        let generated = runtime_invoke_policy(&strings(&[ENDPOINT_A, ENDPOINT_B]));
        let by_hand = format!(
            r#"{{
              "Statement": {{
                "Sid": "InvokeListedEndpointsOnly",
                "Resource": ["{ENDPOINT_B}", "{ENDPOINT_A}"],
                "Principal": {{"AWS": ["*"]}},
                "Effect": "Allow",
                "Action": ["SAGEMAKER:InvokeEndpoint"]
              }},
              "Version": "2012-10-17"
            }}"#
        );
        assert!(equivalent(&generated, &by_hand));
        let only_a = runtime_invoke_policy(&strings(&[ENDPOINT_A]));
        assert!(!equivalent(&generated, &only_a));
    }

    #[test]
    fn s3_policy_allows_only_the_listed_buckets() {
        let policy = s3_buckets_policy(
            &strings(&["arn:aws:s3:::training-data", "arn:aws:s3:::artefacts"]),
            false,
            "eu-west-1",
        );
        let parsed = parse(&policy).unwrap();
        let statements = parsed["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 1);
        assert_eq!(statements[0]["Effect"], "Allow");
        assert_eq!(statements[0]["Action"], json!(BUCKET_ACTIONS));
        assert_eq!(
            statements[0]["Resource"],
            json!([
                "arn:aws:s3:::artefacts",
                "arn:aws:s3:::artefacts/*",
                "arn:aws:s3:::training-data",
                "arn:aws:s3:::training-data/*"
            ])
        );
        assert_eq!(findings_for("s3", &parsed), PolicyFindings::default());
    }

    #[test]
    fn s3_policy_can_deny_the_amazon_linux_repositories() {
        let policy = s3_buckets_policy(&strings(&["arn:aws:s3:::artefacts"]), true, "eu-west-1");
        let parsed = parse(&policy).unwrap();
        let deny = &parsed["Statement"][1];
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
        assert_eq!(findings_for("s3", &parsed), PolicyFindings::default());
    }

    #[test]
    fn s3_policy_equals_its_aws_reformatted_version() {
        let generated = s3_buckets_policy(&strings(&["arn:aws:s3:::artefacts"]), true, "eu-west-1");
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
            {"Sid": "AllowListedBucketsOnly", "Effect": "Allow", "Principal": "*",
             "Action": ["s3:PutObject", "s3:ListBucket", "s3:GetObject", "s3:GetBucketLocation"],
             "Resource": ["arn:aws:s3:::artefacts/*", "arn:aws:s3:::artefacts"]}
          ]
        }"#;
        assert!(equivalent(&generated, by_hand));
        let without_deny =
            s3_buckets_policy(&strings(&["arn:aws:s3:::artefacts"]), false, "eu-west-1");
        assert!(!equivalent(&generated, &without_deny));
    }

    #[test]
    fn deny_only_policy_allows_everything_else() {
        let policy = deny_amazon_linux_only_policy("us-east-1");
        assert_eq!(policy, s3_buckets_policy(&[], true, "us-east-1"));
        let parsed = parse(&policy).unwrap();
        let allow = &parsed["Statement"][0];
        assert_eq!(
            (&allow["Effect"], &allow["Action"], &allow["Resource"]),
            (&json!("Allow"), &json!("*"), &json!("*"))
        );
        assert_eq!(parsed["Statement"][1]["Effect"], "Deny");
        assert_eq!(findings_for("s3", &parsed), PolicyFindings::default());
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
        assert!(
            amazon_linux_repository_arns("us-gov-west-1")[0].starts_with("arn:aws-us-gov:s3:::")
        );
    }

    #[test]
    fn generated_policies_are_deterministic() {
        let a = s3_buckets_policy(
            &strings(&["arn:aws:s3:::b", "arn:aws:s3:::a"]),
            true,
            "eu-west-1",
        );
        let b = s3_buckets_policy(
            &strings(&["arn:aws:s3:::a", "arn:aws:s3:::b", "arn:aws:s3:::a"]),
            true,
            "eu-west-1",
        );
        assert_eq!(a, b);
        assert!(!a.contains(' '), "compact: {a}");
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
}
