//! The `provider "sagemaker"` block as typed settings: credentials, Region,
//! endpoints, retries and the tag settings every composite applies.

use serde::Deserialize;
use std::collections::BTreeMap;

/// The provider block. Anything unset falls back to the AWS standard chain
/// (environment, shared files, SSO, web identity, IMDS), as the AWS CLI does.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ProviderConfig {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub shared_config_files: Option<Vec<String>>,
    pub shared_credentials_files: Option<Vec<String>>,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub token: Option<String>,
    pub max_retries: Option<u32>,
    pub assume_role: Option<AssumeRole>,
    pub endpoints: Option<Endpoints>,
    pub default_tags: Option<DefaultTags>,
    pub ignore_tags: Option<IgnoreTags>,
}

/// `assume_role { … }`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
}

/// `endpoints { … }`: custom service URLs.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Endpoints {
    pub ec2: Option<String>,
    pub sagemaker: Option<String>,
    pub sts: Option<String>,
}

/// `default_tags { tags = {…} }`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct DefaultTags {
    pub tags: Option<BTreeMap<String, String>>,
}

/// `ignore_tags { keys, key_prefixes }`: tags this provider neither reads
/// nor changes (set by other tools or by AWS itself).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct IgnoreTags {
    pub keys: Option<Vec<String>>,
    pub key_prefixes: Option<Vec<String>>,
}

impl ProviderConfig {
    /// The provider's tag settings: `default_tags` and `ignore_tags`.
    pub fn tag_settings(&self) -> TagSettings {
        let ignore = self.ignore_tags.clone().unwrap_or_default();
        TagSettings {
            // The ownership keys are the provider's own: a default_tags map
            // shared with other providers may hold them (warned at validate).
            defaults: self
                .default_tags
                .as_ref()
                .and_then(|d| d.tags.clone())
                .unwrap_or_default()
                .into_iter()
                .filter(|(key, _)| !crate::aws::ownership::RESERVED_KEYS.contains(&key.as_str()))
                .collect(),
            ignore_keys: ignore.keys.unwrap_or_default(),
            ignore_key_prefixes: ignore.key_prefixes.unwrap_or_default(),
        }
    }
}

/// What the provider block says about tags.
#[derive(Clone, Debug, Default)]
pub struct TagSettings {
    /// `default_tags`: every object gets them, before resource tags are merged in.
    pub defaults: BTreeMap<String, String>,
    /// `ignore_tags.keys`.
    pub ignore_keys: Vec<String>,
    /// `ignore_tags.key_prefixes`.
    pub ignore_key_prefixes: Vec<String>,
}

impl TagSettings {
    /// True when `ignore_tags` names `key` (or a prefix of it). The
    /// ownership tags are never ignored.
    pub fn ignores(&self, key: &str) -> bool {
        if crate::aws::ownership::RESERVED_KEYS.contains(&key) {
            return false;
        }
        self.ignore_keys.iter().any(|k| k == key)
            || self
                .ignore_key_prefixes
                .iter()
                .any(|p| key.starts_with(p.as_str()))
    }

    /// `tags` without the ignored keys: what this provider reads and manages.
    pub fn managed(&self, tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        tags.iter()
            .filter(|(key, _)| !self.ignores(key))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignored_keys_are_not_managed() {
        let settings = TagSettings {
            ignore_keys: vec!["CostCenter".into(), "ManagedBy".into()],
            ignore_key_prefixes: vec!["kubernetes.io/".into(), "sagemaker:".into()],
            ..TagSettings::default()
        };
        let tags: BTreeMap<String, String> = [
            ("sagemaker:owner", "o"),
            ("CostCenter", "1"),
            ("kubernetes.io/cluster", "x"),
            ("Team", "ml"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        assert_eq!(
            settings.managed(&tags).keys().collect::<Vec<_>>(),
            vec!["Team", "sagemaker:owner"],
            "the ownership tags are never ignored"
        );
    }
}
