//! The generators behind the least-privilege helpers
//! (`runtime_invoke_endpoint_arns`, `s3_bucket_arns`,
//! `deny_amazon_linux_repositories`), and recognising their output again on
//! import.

use super::*;

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
pub(super) const BUCKET_ACTIONS: [&str; 4] = [
    "s3:GetBucketLocation",
    "s3:GetObject",
    "s3:ListBucket",
    "s3:PutObject",
];

/// The policy language version the generators write.
pub(super) const POLICY_VERSION: &str = "2012-10-17";

/// The policy for the SageMaker Runtime endpoint behind
/// `runtime_invoke_endpoint_arns`: one statement allowing
/// `sagemaker:InvokeEndpoint` (which also authorizes
/// InvokeEndpointWithResponseStream) on exactly those endpoints, sorted and
/// deduplicated, to `principals` only. Everything else through the endpoint
/// is implicitly denied, because an endpoint policy replaces the default
/// full-access one. Pass at least one ARN (checked by [`check_endpoint_arn`]).
pub fn runtime_invoke_policy(endpoint_arns: &[String], principals: &Principals) -> String {
    document(vec![principals.restrict(json!({
        "Sid": "InvokeListedEndpointsOnly",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "sagemaker:InvokeEndpoint",
        "Resource": sorted_unique(endpoint_arns.iter().cloned()),
    }))])
}

/// The policy for the S3 gateway endpoint behind `s3_bucket_arns` and
/// `deny_amazon_linux_repositories`, and the default S3 policy of
/// `principals` (no buckets, no deny). With buckets: allow only the object
/// read/write and listing SageMaker needs (see `BUCKET_ACTIONS`) on each
/// bucket and its objects. Without buckets: no bucket restriction. Either
/// way only to `principals` — and, unless that allow already covers
/// everything (`Principals::Any` without buckets), `s3:GetObject` on the
/// Region's ECR image-layer bucket for anyone, so that images still pull
/// (see [`ecr_layer_bucket_arn`]). With the deny flag: also deny
/// `s3:GetObject` on the Amazon Linux package repositories of `region` (see
/// [`amazon_linux_repository_arns`]) — redundant next to a bucket
/// allow-list or an account condition (the repositories are read
/// anonymously), but explicit, and it wins over any broader Allow.
pub fn s3_buckets_policy(
    bucket_arns: &[String],
    deny_amazon_linux_repositories: bool,
    region: &str,
    principals: &Principals,
) -> String {
    let allow = if bucket_arns.is_empty() {
        allow_everything()
    } else {
        allow_buckets(bucket_arns)
    };
    let mut statements = vec![principals.restrict(allow)];
    if !(bucket_arns.is_empty() && *principals == Principals::Any) {
        statements.push(allow_ecr_layers(region));
    }
    if deny_amazon_linux_repositories {
        statements.push(deny_repositories(region));
    }
    document(statements)
}

/// The S3 gateway policy when only `deny_amazon_linux_repositories` is set:
/// allow everything to `principals` except reading the Amazon Linux package
/// repositories of `region`. Same as
/// `s3_buckets_policy(&[], true, region, principals)`.
pub fn deny_amazon_linux_only_policy(region: &str, principals: &Principals) -> String {
    s3_buckets_policy(&[], true, region, principals)
}

/// The helper inputs that generate the S3 gateway policy `text`, if a
/// helper made it: `(s3_bucket_arns, deny_amazon_linux_repositories)`, the
/// bucket list `None` when only the deny flag was set — made for
/// `principals`. Import uses it so a configuration written with the helpers
/// plans no change.
pub fn s3_helper_inputs(
    text: &str,
    region: &str,
    principals: &Principals,
) -> Option<(Option<Vec<String>>, bool)> {
    if equivalent(text, &deny_amazon_linux_only_policy(region, principals)) {
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
        .find(|deny| {
            equivalent(
                text,
                &s3_buckets_policy(&buckets, *deny, region, principals),
            )
        })
        .map(|deny| (Some(buckets), deny))
}

/// The `runtime_invoke_endpoint_arns` that generate the runtime endpoint
/// policy `text`, if the helper made it for `principals`.
pub fn runtime_helper_inputs(text: &str, principals: &Principals) -> Option<Vec<String>> {
    let arns = resources_matching(text, |r| {
        r.contains(":sagemaker:") && r.contains(":endpoint/")
    });
    (!arns.is_empty() && equivalent(text, &runtime_invoke_policy(&arns, principals)))
        .then_some(arns)
}

/// Every `Resource` string of the policy `text` that `keep` accepts, sorted
/// and deduplicated.
pub(super) fn resources_matching(text: &str, keep: impl Fn(&str) -> bool) -> Vec<String> {
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
pub(super) fn partition_of(region: &str) -> &'static str {
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

pub(super) fn allow_everything() -> Value {
    json!({
        "Sid": "AllowAll",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "*",
        "Resource": "*",
    })
}

pub(super) fn allow_buckets(bucket_arns: &[String]) -> Value {
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

pub(super) fn deny_repositories(region: &str) -> Value {
    json!({
        "Sid": "DenyAmazonLinuxRepositories",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": amazon_linux_repository_arns(region),
    })
}

/// A compact policy document with sorted keys.
pub(super) fn document(statements: Vec<Value>) -> String {
    sort_keys(json!({ "Version": POLICY_VERSION, "Statement": statements })).to_string()
}

pub(super) fn sorted_unique(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut items: Vec<String> = items.into_iter().collect();
    items.sort();
    items.dedup();
    items
}
