//! Tags on EC2 objects: tag specifications for create calls, in-place tag
//! updates, and removing one key from many objects at once. Which tags say
//! who owns an object is [`crate::aws::ownership`]'s business.

use crate::aws::describe_error;
use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
use std::collections::BTreeMap;

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

/// Removes the tag `key` from every object in `resource_ids`, in one call.
pub async fn remove_tag(
    ec2: &aws_sdk_ec2::Client,
    resource_ids: &[String],
    key: &str,
) -> Result<(), String> {
    if resource_ids.is_empty() {
        return Ok(());
    }
    ec2.delete_tags()
        .set_resources(Some(resource_ids.to_vec()))
        .tags(Tag::builder().key(key).build())
        .send()
        .await
        .map_err(|e| {
            let action = format!("untagging EC2 resources ({})", resource_ids.join(", "));
            describe_error(&action, &e)
        })?;
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
