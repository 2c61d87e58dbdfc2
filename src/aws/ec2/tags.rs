//! Tags on EC2 objects: the ownership tags every object this provider
//! creates carries (so a crashed apply can find and adopt what it made), tag
//! specifications for create calls, and in-place tag updates.

use crate::aws::describe_error;
use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
use std::collections::BTreeMap;

/// Tag key marking an object as created by this provider.
pub const MANAGED_BY_KEY: &str = "ManagedBy";
/// Value of [`MANAGED_BY_KEY`].
pub const MANAGED_BY_VALUE: &str = "terraform-provider-sagemaker";
/// Tag key holding the id of the composite resource that owns the object.
pub const OWNER_KEY: &str = "sagemaker:owner";

/// The tags of an object owned by the composite resource `owner`: the
/// provider's `default_tags`, overridden by the resource's `tags`, plus the
/// two ownership tags (which neither can override).
pub fn owner_tags(
    owner: &str,
    default_tags: &BTreeMap<String, String>,
    resource_tags: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut tags = default_tags.clone();
    tags.extend(resource_tags.iter().map(|(k, v)| (k.clone(), v.clone())));
    tags.insert(MANAGED_BY_KEY.to_owned(), MANAGED_BY_VALUE.to_owned());
    tags.insert(OWNER_KEY.to_owned(), owner.to_owned());
    tags
}

/// A `TagSpecification` for a create call: `tags` on a new `resource_type`.
pub fn tag_specification(
    resource_type: ResourceType,
    tags: &BTreeMap<String, String>,
) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(resource_type)
        .set_tags(Some(to_sdk(tags)))
        .build()
}

/// Updates the tags of `resource_id` from `old` to `new`: one CreateTags for
/// added or changed tags, one DeleteTags for removed keys, no call at all
/// when nothing differs.
pub async fn sync_tags(
    ec2: &aws_sdk_ec2::Client,
    resource_id: &str,
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Result<(), String> {
    let diff = TagDiff::between(old, new);
    if !diff.upsert.is_empty() {
        ec2.create_tags()
            .resources(resource_id)
            .set_tags(Some(to_sdk(&diff.upsert)))
            .send()
            .await
            .map_err(|e| describe_error(&format!("tagging EC2 resource ({resource_id})"), &e))?;
    }
    if !diff.remove.is_empty() {
        let keys = diff
            .remove
            .iter()
            .map(|key| Tag::builder().key(key).build())
            .collect();
        ec2.delete_tags()
            .resources(resource_id)
            .set_tags(Some(keys))
            .send()
            .await
            .map_err(|e| describe_error(&format!("untagging EC2 resource ({resource_id})"), &e))?;
    }
    Ok(())
}

/// SDK tags as a map (entries without a key are dropped).
pub fn from_sdk(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|tag| {
            let key = tag.key()?;
            Some((key.to_owned(), tag.value().unwrap_or_default().to_owned()))
        })
        .collect()
}

/// A map as SDK tags.
pub fn to_sdk(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build())
        .collect()
}

/// What changes between two tag maps.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TagDiff {
    /// Tags to add or overwrite.
    pub upsert: BTreeMap<String, String>,
    /// Keys to remove.
    pub remove: Vec<String>,
}

impl TagDiff {
    /// The changes that turn `old` into `new`.
    pub fn between(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> TagDiff {
        let upsert = new
            .iter()
            .filter(|(key, value)| old.get(*key) != Some(*value))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let remove = old
            .keys()
            .filter(|key| !new.contains_key(*key))
            .cloned()
            .collect();
        TagDiff { upsert, remove }
    }

    /// True when the maps are equal.
    pub fn is_empty(&self) -> bool {
        self.upsert.is_empty() && self.remove.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn resource_tags_win_and_ownership_is_always_set() {
        let defaults = map(&[("env", "dev"), ("team", "ml"), (OWNER_KEY, "spoof")]);
        let resource = map(&[("env", "prod"), (MANAGED_BY_KEY, "someone")]);
        let tags = owner_tags("vpc-1", &defaults, &resource);
        assert_eq!(
            tags,
            map(&[
                ("env", "prod"),
                ("team", "ml"),
                (MANAGED_BY_KEY, MANAGED_BY_VALUE),
                (OWNER_KEY, "vpc-1"),
            ])
        );
    }

    #[test]
    fn diff_splits_changes_into_upserts_and_removals() {
        let old = map(&[("a", "1"), ("b", "2"), ("c", "3")]);
        let new = map(&[("a", "1"), ("b", "20"), ("d", "4")]);
        let diff = TagDiff::between(&old, &new);
        assert_eq!(diff.upsert, map(&[("b", "20"), ("d", "4")]));
        assert_eq!(diff.remove, vec!["c".to_owned()]);
        assert!(TagDiff::between(&old, &old).is_empty());
    }

    #[test]
    fn tag_specification_carries_type_and_tags() {
        let spec = tag_specification(ResourceType::SecurityGroup, &map(&[("k", "v")]));
        assert_eq!(spec.resource_type(), Some(&ResourceType::SecurityGroup));
        assert_eq!(from_sdk(spec.tags()), map(&[("k", "v")]));
    }
}
