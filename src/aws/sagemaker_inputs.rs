//! The forms of SageMaker inputs — model names, container image URIs,
//! model data URLs, environment limits — one check each, shared by every
//! resource that takes them; each error shows the form expected.

use crate::framework::validators::MapCheck;
use crate::limits::{
    MAX_ENVIRONMENT_ENTRIES, MAX_ENVIRONMENT_TEXT, MAX_IMAGE_TAG_CHARS, MAX_IMAGE_URI_CHARS,
    MAX_MODEL_DATA_URL_CHARS, MAX_MODEL_NAME_CHARS,
};
use std::collections::BTreeMap;

/// `Ok` for a SageMaker model name: letters, digits and hyphens, starting
/// and ending with a letter or digit, at most 63 characters.
pub fn check_model_name(name: &str) -> Result<(), String> {
    check_name(name, "model name", "churn-xgboost-v2")
}

/// `Ok` for a Studio domain name (the same form as a model name).
pub fn check_domain_name(name: &str) -> Result<(), String> {
    check_name(name, "Studio domain name", "ml-platform")
}

/// `Ok` for a Studio user profile name (the same form as a model name).
pub fn check_user_profile_name(name: &str) -> Result<(), String> {
    check_name(name, "user profile name", "data-scientist-1")
}

/// SageMaker's name form `[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`, the error
/// naming `what` and showing `example`.
fn check_name(name: &str, what: &str, example: &str) -> Result<(), String> {
    let ok_chars = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let problem = if !ok_chars {
        Some("it may hold only letters, digits and hyphens")
    } else if name.is_empty() || name.len() > MAX_MODEL_NAME_CHARS {
        Some("it must have 1 to 63 characters")
    } else if name.starts_with('-') || name.ends_with('-') {
        Some("it must start and end with a letter or digit")
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(why) => Err(format!(
            "{name:?} is not a valid SageMaker {what}: {why}. Example: \"{example}\"."
        )),
    }
}

/// `Ok` for a container image reference `[REGISTRY/]REPOSITORY[:TAG][@DIGEST]`
/// (at most 255 characters), with a 12-digit account in ECR registry hosts.
pub fn check_image_uri(uri: &str) -> Result<(), String> {
    match image_problem(uri) {
        None => Ok(()),
        Some(why) => Err(format!(
            "{uri:?} is not a container image URI: {why}. Use the form \
             \"123456789012.dkr.ecr.us-east-1.amazonaws.com/repository:tag\"."
        )),
    }
}

/// The Region of an ECR image URI (`ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com/…`);
/// `None` for other registries.
pub fn image_region(uri: &str) -> Option<&str> {
    let host = uri.split('/').next()?;
    let mut labels = host.split('.');
    let (_account, dkr, ecr, region) = (
        labels.next()?,
        labels.next()?,
        labels.next()?,
        labels.next()?,
    );
    (dkr == "dkr" && (ecr == "ecr" || ecr == "ecr-fips") && labels.next() == Some("amazonaws"))
        .then_some(region)
}

fn image_problem(uri: &str) -> Option<String> {
    if uri.is_empty() || uri.chars().count() > MAX_IMAGE_URI_CHARS {
        return Some(format!(
            "it must have 1 to {MAX_IMAGE_URI_CHARS} characters"
        ));
    }
    if uri.chars().any(char::is_whitespace) {
        return Some("it contains whitespace".into());
    }
    let (reference, digest) = match uri.split_once('@') {
        Some((reference, digest)) => (reference, Some(digest)),
        None => (uri, None),
    };
    if let Some(digest) = digest {
        let hex = digest.strip_prefix("sha256:").unwrap_or_default();
        if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Some("the digest after `@` must be `sha256:` and 64 hex digits".into());
        }
    }
    let (host, path) = match reference.split_once('/') {
        Some((host, path)) if host.contains('.') || host.contains(':') || host == "localhost" => {
            (Some(host), path)
        }
        _ => (None, reference),
    };
    let (repository, tag) = match path.rsplit_once(':') {
        Some((repository, tag)) => (repository, Some(tag)),
        None => (path, None),
    };
    if let Some(tag) = tag {
        let ok = !tag.is_empty()
            && tag.len() <= MAX_IMAGE_TAG_CHARS
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
            && !tag.starts_with(['.', '-']);
        if !ok {
            return Some(format!("the tag {tag:?} is not a valid image tag"));
        }
    }
    let repository_ok = !repository.is_empty()
        && repository.split('/').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        });
    if !repository_ok {
        return Some(
            "the repository must be lowercase letters, digits and `._-`, in `/`-separated parts"
                .into(),
        );
    }
    if let Some(host) = host.filter(|h| h.contains(".dkr.ecr.")) {
        let account = host.split('.').next().unwrap_or_default();
        if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
            return Some(format!(
                "the ECR registry {host:?} does not start with a 12-digit account ID"
            ));
        }
    }
    None
}

/// `Ok` for `s3://BUCKET/KEY` or `https://HOST/PATH` (at most 1024 characters).
pub fn check_model_data_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("s3://")
        .or_else(|| url.strip_prefix("https://"));
    let host = rest.map(|r| r.split('/').next().unwrap_or_default());
    let problem = if url.chars().count() > MAX_MODEL_DATA_URL_CHARS {
        Some(format!(
            "it is longer than {MAX_MODEL_DATA_URL_CHARS} characters"
        ))
    } else if url.chars().any(char::is_whitespace) {
        Some("it contains whitespace".to_owned())
    } else if host.is_none() {
        Some("it must start with `s3://` or `https://`".to_owned())
    } else if host.is_some_and(str::is_empty) {
        Some("it names no bucket or host".to_owned())
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(why) => Err(format!(
            "{url:?} is not a model data URL: {why}. Use the form \"s3://my-bucket/models/model.tar.gz\"."
        )),
    }
}

/// The validator of a container `environment` attribute.
pub const ENVIRONMENT: MapCheck = MapCheck {
    rule: "must hold at most 100 entries, keys that are variable names and keys and values of at most \
           1,024 characters",
    check: check_environment,
};

/// `Ok` when a container environment fits SageMaker's limits (see
/// [`crate::limits`]): at most 100 entries, keys of the form
/// `[a-zA-Z_][a-zA-Z0-9_]*`, keys and values of at most 1,024 characters.
/// The error is a sentence that says what to change.
pub fn check_environment(environment: &BTreeMap<String, String>) -> Result<(), String> {
    if environment.len() > MAX_ENVIRONMENT_ENTRIES {
        return Err(format!(
            "The environment has {} entries, but SageMaker takes at most {MAX_ENVIRONMENT_ENTRIES}. \
             Move settings into the model artefact or a configuration file.",
            environment.len()
        ));
    }
    for (key, value) in environment {
        let shown: String = key.chars().take(40).collect();
        let mut chars = key.chars();
        let well_formed = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !well_formed {
            return Err(format!(
                "The environment key {shown:?} is not a variable name SageMaker takes: use letters, \
                 digits and underscores, not starting with a digit (e.g. \"MODEL_SERVER_WORKERS\")."
            ));
        }
        if key.chars().count() > MAX_ENVIRONMENT_TEXT {
            return Err(format!(
                "The environment key {shown:?}… has {} characters, but SageMaker takes at most \
                 {MAX_ENVIRONMENT_TEXT}. Use a shorter name.",
                key.chars().count()
            ));
        }
        if value.chars().count() > MAX_ENVIRONMENT_TEXT {
            return Err(format!(
                "The environment value of {shown:?} has {} characters, but SageMaker takes at most \
                 {MAX_ENVIRONMENT_TEXT}. Put long settings in the model artefact or a file it reads.",
                value.chars().count()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names() {
        assert!(check_model_name("churn-xgboost-v2").is_ok());
        assert!(check_model_name("A1").is_ok());
        for bad in ["", "-a", "a-", "a_b", "a.b", &"x".repeat(64)] {
            assert!(check_model_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn image_uris() {
        for good in [
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/xgboost:1.7-1",
            "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "registry.example.com:5000/team/model",
            "busybox",
        ] {
            assert!(check_image_uri(good).is_ok(), "{good}");
        }
        for (bad, why) in [
            ("", "1 to 255"),
            ("repo name", "whitespace"),
            ("12345.dkr.ecr.us-east-1.amazonaws.com/x", "12-digit"),
            (
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/Repo",
                "lowercase",
            ),
            ("repo:", "tag"),
            ("repo@sha256:zz", "digest"),
        ] {
            let err = check_image_uri(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn image_regions() {
        let uri = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/repo:tag";
        assert_eq!(image_region(uri), Some("eu-west-1"));
        let fips = "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/repo";
        assert_eq!(image_region(fips), Some("us-east-1"));
        assert_eq!(image_region("docker.io/library/python:3"), None);
        assert_eq!(image_region("python"), None);
    }

    #[test]
    fn model_data_urls() {
        assert!(check_model_data_url("s3://bucket/model.tar.gz").is_ok());
        assert!(check_model_data_url("https://bucket.s3.amazonaws.com/m.tar.gz").is_ok());
        for bad in [
            "bucket/model",
            "s3://",
            "s3:///key",
            "ftp://x/y",
            "s3://b/a b",
        ] {
            assert!(check_model_data_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn environments_within_limits() {
        let one = |k: &str, v: &str| BTreeMap::from([(k.to_owned(), v.to_owned())]);
        assert!(check_environment(&one("A", "b")).is_ok());
        assert!(check_environment(&one("A", &"v".repeat(1025))).is_err());
        let many: BTreeMap<String, String> = (0..101)
            .map(|i| (format!("K{i}"), "v".to_owned()))
            .collect();
        assert!(check_environment(&many)
            .unwrap_err()
            .contains("101 entries"));
    }
}
