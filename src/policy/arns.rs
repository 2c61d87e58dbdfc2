//! Checking the ARNs users give the helpers (endpoints, buckets, roles),
//! with errors that show the expected form.

use super::*;

/// The form `check_endpoint_arn` accepts.
pub(super) const ENDPOINT_ARN_FORM: &str =
    "\"arn:aws:sagemaker:REGION:ACCOUNT_ID:endpoint/NAME\", e.g. \
     \"arn:aws:sagemaker:eu-west-1:123456789012:endpoint/my-endpoint\" \
     (`aws sagemaker describe-endpoint --endpoint-name NAME` prints it)";

/// The form `check_bucket_arn` accepts.
pub(super) const BUCKET_ARN_FORM: &str =
    "\"arn:aws:s3:::BUCKET\", e.g. \"arn:aws:s3:::my-model-artifacts\" (no Region, account or key)";

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

/// The Region field of an ARN (empty for global services); `None` when
/// `arn` is not an ARN.
pub fn arn_region(arn: &str) -> Option<&str> {
    split_arn(arn).map(|parts| parts.region)
}

/// The six `:`-separated fields of an ARN after `arn`.
pub(super) struct ArnParts<'a> {
    partition: &'a str,
    service: &'a str,
    region: &'a str,
    account: &'a str,
    resource: &'a str,
}

pub(super) fn split_arn(arn: &str) -> Option<ArnParts<'_>> {
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
pub(super) fn arn_of<'a>(arn: &'a str, service: &str) -> Result<ArnParts<'a>, String> {
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

/// [`arn_of`] for a regional resource: its Region and account checked too.
fn regional_arn_of<'a>(arn: &'a str, service: &str) -> Result<ArnParts<'a>, String> {
    let parts = arn_of(arn, service)?;
    if !is_region(parts.region) {
        return Err(format!(
            "{:?} is not a Region code such as \"eu-west-1\"",
            excerpt(parts.region)
        ));
    }
    if !is_account(parts.account) {
        return Err(format!(
            "the account ID {:?} is not 12 digits",
            excerpt(parts.account)
        ));
    }
    Ok(parts)
}

pub(super) fn endpoint_arn_problem(arn: &str) -> Option<String> {
    let parts = match regional_arn_of(arn, "sagemaker") {
        Ok(parts) => parts,
        Err(why) => return Some(why),
    };
    match parts.resource.strip_prefix("endpoint/") {
        Some(name) => endpoint_name_problem(name),
        None => Some(format!(
            "it names {:?}, not \"endpoint/NAME\"",
            excerpt(parts.resource)
        )),
    }
}

pub(super) fn endpoint_name_problem(name: &str) -> Option<String> {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    let lower = name.to_ascii_lowercase();
    if name.is_empty() {
        Some("the endpoint name is empty".to_owned())
    } else if name.len() > crate::limits::MAX_MODEL_NAME_CHARS {
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

pub(super) fn bucket_arn_problem(arn: &str) -> Option<String> {
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
pub(super) fn bucket_name_problem(name: &str) -> Option<String> {
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

pub(super) fn is_ipv4_like(name: &str) -> bool {
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

pub(super) fn role_arn_problem(arn: &str) -> Option<String> {
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

/// The forms of a KMS key, for errors.
const KMS_KEY_FORMS: &str = "a key id (\"1234abcd-12ab-34cd-56ef-1234567890ab\"), a key ARN \
     (\"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab\"), an alias \
     (\"alias/NAME\") or an alias ARN (\"arn:aws:kms:us-east-1:123456789012:alias/NAME\")";

/// `Ok` when `key` names a KMS key in one of the forms AWS documents for
/// a `KmsKeyId` (SageMaker CreateDomain among them): a key id (a UUID, or
/// `mrk-` and 32 hex digits for a multi-Region key), a key ARN, an alias
/// name `alias/NAME` or an alias ARN.
pub fn check_kms_key_id(key: &str) -> Result<(), String> {
    match kms_key_problem(key) {
        None => Ok(()),
        Some(why) => Err(format!(
            "{:?} is not a KMS key: {why}. Use {KMS_KEY_FORMS}.",
            excerpt(key)
        )),
    }
}

fn kms_key_problem(key: &str) -> Option<String> {
    if key.starts_with("arn:") {
        let parts = match regional_arn_of(key, "kms") {
            Ok(parts) => parts,
            Err(why) => return Some(why),
        };
        if let Some(id) = parts.resource.strip_prefix("key/") {
            return (!is_kms_key_id(id)).then(|| {
                format!(
                    "{:?} is not a key id (a UUID, or mrk- and 32 hex digits)",
                    excerpt(id)
                )
            });
        }
        if let Some(name) = parts.resource.strip_prefix("alias/") {
            return kms_alias_problem(name);
        }
        return Some(format!(
            "it names {:?}, not \"key/KEY_ID\" or \"alias/NAME\"",
            excerpt(parts.resource)
        ));
    }
    if let Some(name) = key.strip_prefix("alias/") {
        return kms_alias_problem(name);
    }
    (!is_kms_key_id(key)).then(|| {
        "it is neither a key id (a UUID, or mrk- and 32 hex digits), nor \"alias/NAME\", nor an ARN"
            .to_owned()
    })
}

/// A key id: a UUID, or `mrk-` and 32 hex digits (a multi-Region key).
fn is_kms_key_id(id: &str) -> bool {
    let hex = |s: &str, len: usize| s.len() == len && s.chars().all(|c| c.is_ascii_hexdigit());
    if let Some(rest) = id.strip_prefix("mrk-") {
        return hex(rest, 32);
    }
    let groups: Vec<&str> = id.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| hex(g, len))
}

/// What is wrong with the NAME of `alias/NAME`: KMS takes 1 to 250
/// characters (256 with `alias/`) of letters, digits, `/`, `_` and `-`.
fn kms_alias_problem(name: &str) -> Option<String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "/_-".contains(c);
    if name.is_empty() || name.len() > 250 {
        Some("an alias name has 1 to 250 characters after \"alias/\"".to_owned())
    } else if !name.chars().all(allowed) {
        Some("an alias name holds only letters, digits, /, _ and -".to_owned())
    } else {
        None
    }
}

pub(super) fn is_partition(partition: &str) -> bool {
    partition == "aws"
        || partition.strip_prefix("aws-").is_some_and(|rest| {
            !rest.is_empty() && rest.chars().all(|c| c.is_ascii_lowercase() || c == '-')
        })
}

/// Like `eu-west-1` or `us-gov-west-1`.
/// True for a Region code such as `eu-west-1` (letters, letters, …, digits).
pub fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    let letters = |s: &&str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase());
    let digits = |s: &&str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    match parts.split_last() {
        Some((last, words)) => words.len() >= 2 && words.iter().all(letters) && digits(last),
        None => false,
    }
}

pub(super) fn is_account(account: &str) -> bool {
    account.len() == 12 && account.chars().all(|c| c.is_ascii_digit())
}
