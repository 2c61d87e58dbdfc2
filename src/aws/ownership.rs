//! Who owns an AWS object, told by its tags: the one ownership rule every
//! composite follows (design.md, "Ownership").
//!
//! - Every object a composite makes carries `ManagedBy =
//!   terraform-provider-sagemaker` and `sagemaker:owner = <instance id>`,
//!   the resource instance's `id`: unique per instance, so neither a second
//!   workspace nor the new half of a `create_before_destroy` replacement
//!   shares it.
//! - While the create that made it has not finished, an object also carries
//!   `sagemaker:creating = <identity>` (resource type and the key a re-run
//!   of the same configuration computes again, e.g. its VPC). A create that
//!   returns — with or without error — removes the marker from everything it
//!   records; only what a killed process or a lost answer left keeps it, and
//!   only that is adopted by the next create of the same identity.
//! - Anything else — another instance's object, an untagged one — is never
//!   modified, adopted or deleted.

use std::collections::BTreeMap;

/// Tag key marking an object as made by this provider.
pub const MANAGED_BY_KEY: &str = "ManagedBy";
/// Value of [`MANAGED_BY_KEY`].
pub const MANAGED_BY_VALUE: &str = "terraform-provider-sagemaker";
/// Tag key holding the id of the resource instance that owns the object.
pub const OWNER_KEY: &str = "sagemaker:owner";
/// Tag key present while the create that made the object is unfinished;
/// its value is the creating instance's identity.
pub const CREATING_KEY: &str = "sagemaker:creating";

/// The tag keys this provider sets itself; users cannot set them.
pub const RESERVED_KEYS: [&str; 3] = [MANAGED_BY_KEY, OWNER_KEY, CREATING_KEY];

/// One resource instance as the owner of AWS objects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    /// The instance id: the resource's `id`, the value of [`OWNER_KEY`].
    pub id: String,
    /// What a re-run of the same create computes again: the value of
    /// [`CREATING_KEY`] on the objects of an unfinished create.
    pub identity: String,
}

/// Whose an object is, seen from one [`Owner`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// Tagged with this owner's id.
    Mine,
    /// Left by an unfinished create of the same identity (a killed process,
    /// a lost answer): a create adopts it.
    Unfinished,
    /// Made by this provider for another instance (its id).
    Other(String),
    /// Not made by this provider: never touched.
    Unmanaged,
}

impl Owner {
    /// A new instance of `resource_type` whose identity key is `key` (the
    /// VPC id, a name): its id is `key` plus a random suffix.
    pub fn new(resource_type: &str, key: &str) -> Owner {
        Owner {
            id: format!("{key}/{}", random_suffix()),
            identity: identity(resource_type, key),
        }
    }

    /// An instance about to be created, before its id is drawn (a plan):
    /// nothing is [`Claim::Mine`] to it.
    pub fn planned(resource_type: &str, key: &str) -> Owner {
        Owner::existing(resource_type, key, "")
    }

    /// The instance `id` (from state) of `resource_type` with identity key `key`.
    pub fn existing(resource_type: &str, key: &str, id: &str) -> Owner {
        Owner {
            id: id.to_owned(),
            identity: identity(resource_type, key),
        }
    }

    /// The part `name` of this instance (a domain's own endpoints, say):
    /// its objects carry `<id>/<name>` as owner and `<identity>/<name>`
    /// while a create is unfinished, so the part's finders never take the
    /// instance's other objects for its own. A planned owner's part is
    /// planned too.
    pub fn part(&self, name: &str) -> Owner {
        let id = if self.id.is_empty() {
            String::new()
        } else {
            format!("{}/{name}", self.id)
        };
        Owner {
            id,
            identity: format!("{}/{name}", self.identity),
        }
    }

    /// Whose the object with `tags` is, seen from this owner.
    pub fn claim(&self, tags: &BTreeMap<String, String>) -> Claim {
        if tags.get(MANAGED_BY_KEY).map(String::as_str) != Some(MANAGED_BY_VALUE) {
            return Claim::Unmanaged;
        }
        let owner = tags.get(OWNER_KEY).cloned().unwrap_or_default();
        if !owner.is_empty() && owner == self.id {
            Claim::Mine
        } else if tags.get(CREATING_KEY) == Some(&self.identity) {
            Claim::Unfinished
        } else {
            Claim::Other(owner)
        }
    }

    /// The tags of an object this owner makes: the provider's
    /// `default_tags`, overridden by the resource's `tags`, plus the
    /// ownership tags (which neither can override) — with the unfinished
    /// create marker when `creating`.
    pub fn tags(
        &self,
        default_tags: &BTreeMap<String, String>,
        resource_tags: &BTreeMap<String, String>,
        creating: bool,
    ) -> BTreeMap<String, String> {
        let mut tags = user_tags(default_tags);
        tags.extend(user_tags(resource_tags));
        tags.insert(MANAGED_BY_KEY.to_owned(), MANAGED_BY_VALUE.to_owned());
        tags.insert(OWNER_KEY.to_owned(), self.id.clone());
        if creating {
            tags.insert(CREATING_KEY.to_owned(), self.identity.clone());
        }
        tags
    }
}

/// What the instances served by this process are about to make that AWS
/// allows once: the private-DNS endpoint of a service in a VPC, the S3
/// route of a route table. Terraform applies independent resources in
/// parallel, so two resources of one apply pass each other's plan checks
/// before either object exists; the second to reserve learns of the first
/// here, before it makes anything.
static RESERVED: std::sync::Mutex<BTreeMap<String, String>> =
    std::sync::Mutex::new(BTreeMap::new());

/// Reserves every one of `keys` for instance `owner_id`, or none: `Err`
/// with a key and the instance that already holds it.
pub fn reserve(keys: &[String], owner_id: &str) -> Result<(), (String, String)> {
    let mut reserved = RESERVED.lock().unwrap_or_else(|e| e.into_inner());
    let taken = keys.iter().find_map(|key| {
        reserved
            .get(key)
            .filter(|holder| *holder != owner_id)
            .map(|holder| (key.clone(), holder.clone()))
    });
    if let Some(taken) = taken {
        return Err(taken);
    }
    for key in keys {
        reserved.insert(key.clone(), owner_id.to_owned());
    }
    Ok(())
}

/// Forgets what instance `owner_id` reserved (its objects are deleted).
pub fn release(owner_id: &str) {
    let mut reserved = RESERVED.lock().unwrap_or_else(|e| e.into_inner());
    let part_prefix = format!("{owner_id}/");
    // The instance's parts (see [`Owner::part`]) go with it.
    reserved.retain(|_, holder| holder != owner_id && !holder.starts_with(&part_prefix));
}

/// Ends a create: the objects it made — EC2 objects `ec2_ids`, SageMaker
/// objects `sagemaker_arns` — are recorded in the state now, so they lose
/// the unfinished-create marker and no later create may adopt them. On
/// failure the marker stays visible in the state (see [`shown_tags`]) and
/// the next apply removes it; the diagnostic says so.
pub async fn finish_create(
    clients: &crate::aws::Clients,
    ec2_ids: &[String],
    sagemaker_arns: &[String],
) -> crate::framework::Diagnostics {
    let keys = [CREATING_KEY.to_owned()];
    let sagemaker = sagemaker_arns
        .iter()
        .map(|arn| crate::aws::sagemaker::remove_tags(&clients.sagemaker, arn, &keys));
    // One EC2 call for every EC2 object, one per SageMaker object: at once.
    let (ec2, sagemaker) = tokio::join!(
        crate::aws::ec2::tags::remove_tag(&clients.ec2, ec2_ids, CREATING_KEY),
        futures::future::join_all(sagemaker),
    );
    let result = sagemaker.into_iter().fold(ec2, Result::and);
    match result {
        Ok(()) => crate::framework::Diagnostics::new(),
        Err(e) => crate::framework::Diagnostics::from_error(
            "Created, but still marked as an unfinished create",
            format!("{e}. The plan shows the {CREATING_KEY} tag: run terraform apply again to remove it."),
        ),
    }
}

/// `tags` as a state shows them: without the ownership tags, but with the
/// unfinished-create marker when an object still carries it (a create whose
/// clean-up did not finish), so the plan shows it and the next apply removes
/// it.
pub fn shown_tags(tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|(key, _)| *key != MANAGED_BY_KEY && *key != OWNER_KEY)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// `tags` without the keys this provider reserves for itself.
pub fn user_tags(tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|(key, _)| !RESERVED_KEYS.contains(&key.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The identity key an instance id was drawn for ([`Owner::new`]): the
/// part before the `/` (an id without one is its own key).
pub fn id_key(id: &str) -> &str {
    id.split_once('/').map_or(id, |(key, _)| key)
}

/// The owner id recorded in `tags`, when this provider made the object.
pub fn owner_of(tags: &BTreeMap<String, String>) -> Option<&str> {
    (tags.get(MANAGED_BY_KEY).map(String::as_str) == Some(MANAGED_BY_VALUE))
        .then(|| tags.get(OWNER_KEY).map(String::as_str))
        .flatten()
}

fn identity(resource_type: &str, key: &str) -> String {
    format!("{resource_type}/{key}")
}

/// 16 hex digits, different for every call in every process.
pub fn random_suffix() -> String {
    use std::hash::{BuildHasher, RandomState};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nonce =
        RandomState::new().hash_one((count, std::process::id(), std::time::SystemTime::now()));
    format!("{nonce:016x}")
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
    fn a_key_is_reserved_by_one_instance_until_it_releases_it() {
        let keys = ["vpc-r1 private DNS sagemaker_api".to_owned()];
        assert_eq!(reserve(&keys, "vpc-r1/a"), Ok(()));
        assert_eq!(
            reserve(&keys, "vpc-r1/a"),
            Ok(()),
            "again by the same instance"
        );
        assert_eq!(
            reserve(&keys, "vpc-r1/b"),
            Err((keys[0].clone(), "vpc-r1/a".to_owned()))
        );
        release("vpc-r1/a");
        assert_eq!(reserve(&keys, "vpc-r1/b"), Ok(()));
        release("vpc-r1/b");
    }

    #[test]
    fn every_new_instance_has_its_own_id_and_shares_the_identity() {
        let a = Owner::new("sagemaker_private_network", "vpc-1");
        let b = Owner::new("sagemaker_private_network", "vpc-1");
        assert_ne!(a.id, b.id);
        assert!(a.id.starts_with("vpc-1/") && a.id.len() == "vpc-1/".len() + 16);
        assert_eq!(a.identity, b.identity);
        assert_eq!(a.identity, "sagemaker_private_network/vpc-1");
    }

    #[test]
    fn claims_follow_the_tags() {
        let me = Owner::existing("t", "k", "k/1");
        let creating_for_me = Owner::new("t", "k").tags(&map(&[]), &map(&[]), true);
        let finished_other = Owner::existing("t", "k", "k/2").tags(&map(&[]), &map(&[]), false);
        let other_identity = Owner::new("t", "j").tags(&map(&[]), &map(&[]), true);
        let mine = me.tags(&map(&[]), &map(&[]), false);
        assert_eq!(me.claim(&mine), Claim::Mine);
        assert_eq!(me.claim(&creating_for_me), Claim::Unfinished);
        assert_eq!(me.claim(&finished_other), Claim::Other("k/2".into()));
        assert!(matches!(me.claim(&other_identity), Claim::Other(_)));
        assert_eq!(me.claim(&map(&[("Name", "x")])), Claim::Unmanaged);
        // An owner tag without ManagedBy is not this provider's.
        assert_eq!(me.claim(&map(&[(OWNER_KEY, "k/1")])), Claim::Unmanaged);
    }

    #[test]
    fn resource_tags_win_and_ownership_is_always_set() {
        let me = Owner::existing("t", "k", "k/1");
        let defaults = map(&[("env", "dev"), ("team", "ml"), (OWNER_KEY, "spoof")]);
        let resource = map(&[("env", "prod"), (MANAGED_BY_KEY, "someone")]);
        assert_eq!(
            me.tags(&defaults, &resource, false),
            map(&[
                ("env", "prod"),
                ("team", "ml"),
                (MANAGED_BY_KEY, MANAGED_BY_VALUE),
                (OWNER_KEY, "k/1"),
            ])
        );
        assert_eq!(
            me.tags(&defaults, &resource, true).get(CREATING_KEY),
            Some(&"t/k".to_owned())
        );
    }

    #[test]
    fn an_id_tells_its_key() {
        let owner = Owner::new("t", "vpc-1");
        assert_eq!(id_key(&owner.id), "vpc-1");
        assert_eq!(id_key("vpc-1"), "vpc-1");
    }

    #[test]
    fn owner_of_needs_both_tags() {
        let tags = map(&[(MANAGED_BY_KEY, MANAGED_BY_VALUE), (OWNER_KEY, "k/1")]);
        assert_eq!(owner_of(&tags), Some("k/1"));
        assert_eq!(owner_of(&map(&[(OWNER_KEY, "k/1")])), None);
    }
}
