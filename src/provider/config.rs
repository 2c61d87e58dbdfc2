//! The static checks that catch a bad `provider "sagemaker"` block at
//! validate/plan time (the typed block itself is [`crate::aws::config`]).

use crate::framework::{AttrPath, Diagnostics};
use crate::value::Value;

/// Checks that span several attributes (each attribute's own format is
/// checked by its validators). Unknown values are skipped.
pub fn check_credentials(config: &Value, diags: &mut Diagnostics) {
    let set = |name: &str| config.get(name).is_some_and(|v| !v.is_null());
    let known_set = |name: &str| {
        config
            .get(name)
            .is_some_and(|v| !v.is_null() && !v.is_unknown())
    };
    if known_set("secret_key") && !set("access_key") {
        diags.attribute_error(
            AttrPath::root("secret_key"),
            "secret_key without access_key",
            "secret_key is set but access_key is not. Set both, or remove both to use the AWS credential chain \
             (environment, shared files, SSO, instance role).",
        );
    }
    if known_set("access_key") && !set("secret_key") {
        diags.attribute_error(
            AttrPath::root("access_key"),
            "access_key without secret_key",
            "access_key is set but secret_key is not. Set both, or remove both to use the AWS credential chain.",
        );
    }
    if known_set("token") && !set("access_key") {
        diags.attribute_error(
            AttrPath::root("token"),
            "token without access_key",
            "token is a session token for temporary credentials: set access_key and secret_key with it, or remove it.",
        );
    }
    let static_keys = set("access_key");
    if static_keys && (known_set("profile") || known_set("shared_credentials_files")) {
        diags.attribute_warning(
            AttrPath::root("access_key"),
            "Static keys take precedence",
            "access_key/secret_key are set, so profile and shared_credentials_files are not used for credentials.",
        );
    }
}

/// `Ok` when `region` looks like an AWS Region code such as `eu-west-1`.
pub fn check_region(region: &str) -> Result<(), String> {
    let well_formed = crate::policy::is_region(region);
    if well_formed {
        Ok(())
    } else {
        Err(format!(
            "{region:?} is not an AWS Region code. Use a code such as \"us-east-1\" or \"eu-west-1\" \
             (see `aws ec2 describe-regions`)."
        ))
    }
}

/// `Ok` when `url` is an absolute http(s) URL with a host.
pub fn check_endpoint_url(url: &str) -> Result<(), String> {
    let fix = "Give an absolute URL such as \"https://ec2.us-east-1.amazonaws.com\" or \"http://127.0.0.1:5000\".";
    let uri: http::Uri = url
        .parse()
        .map_err(|e| format!("{url:?} is not a URL ({e}). {fix}"))?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(host)) if !host.is_empty() => Ok(()),
        (Some(other), _) if other != "http" && other != "https" => Err(format!(
            "{url:?} uses the scheme {other:?}; only http and https work. {fix}"
        )),
        _ => Err(format!("{url:?} is not an absolute URL with a host. {fix}")),
    }
}

/// `Ok` when `arn` is an IAM role ARN.
pub fn check_role_arn(arn: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && parts[5]
            .strip_prefix("role/")
            .is_some_and(|name| !name.is_empty());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{arn:?} is not an IAM role ARN. Use the form \"arn:aws:iam::123456789012:role/NAME\" \
             (`aws iam get-role --role-name NAME` prints it)."
        ))
    }
}

/// Warns about ownership keys in `default_tags`: this provider sets them on
/// every object itself, so the configured values are left out (a map shared
/// with other providers may well hold `ManagedBy`).
pub fn warn_reserved_default_tags(config: &Value, diags: &mut Diagnostics) {
    let Some(Value::Map(tags)) = config.get("default_tags").and_then(|d| d.get("tags")) else {
        return;
    };
    for key in tags
        .keys()
        .filter(|k| crate::aws::ownership::RESERVED_KEYS.contains(&k.as_str()))
    {
        diags.attribute_warning(
            AttrPath::root("default_tags").attr("tags").key(key),
            "Tag set by this provider",
            format!(
                "{key:?} is set by this provider on every object it creates, to record which Terraform \
                 resource owns it, so the value in default_tags is not used. Remove it here to silence \
                 this warning."
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions() {
        for good in ["us-east-1", "eu-west-3", "us-gov-west-1", "ap-southeast-2"] {
            assert!(check_region(good).is_ok(), "{good}");
        }
        for bad in ["useast1", "us-east", "US-EAST-1", "us-east-1a", ""] {
            assert!(check_region(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn endpoint_urls() {
        assert!(check_endpoint_url("http://127.0.0.1:5000").is_ok());
        assert!(check_endpoint_url("https://vpce-1.ec2.us-east-1.vpce.amazonaws.com").is_ok());
        assert!(check_endpoint_url("127.0.0.1:5000").is_err());
        assert!(check_endpoint_url("ftp://example.com")
            .unwrap_err()
            .contains("scheme"));
        assert!(check_endpoint_url("not a url").is_err());
    }

    #[test]
    fn role_arns() {
        assert!(check_role_arn("arn:aws:iam::123456789012:role/deploy").is_ok());
        assert!(check_role_arn("arn:aws-us-gov:iam::123456789012:role/a/b").is_ok());
        assert!(check_role_arn("arn:aws:iam::12345:role/x").is_err());
        assert!(check_role_arn("arn:aws:iam::123456789012:user/x").is_err());
    }

    fn config(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn secret_key_alone_is_an_error_on_secret_key() {
        let mut diags = Diagnostics::new();
        check_credentials(
            &config(&[("secret_key", Value::String("s".into()))]),
            &mut diags,
        );
        let d: Vec<_> = diags.iter().collect();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].path.as_ref().unwrap().to_string(), "secret_key");
        assert!(!d[0].detail.contains("\"s\""), "never echo a secret");
    }

    #[test]
    fn unknown_keys_are_not_judged() {
        let mut diags = Diagnostics::new();
        check_credentials(
            &config(&[
                ("secret_key", Value::String("s".into())),
                ("access_key", Value::Unknown),
            ]),
            &mut diags,
        );
        assert!(diags.is_empty());
    }
}
