//! Pieces every composite resource shares: the `tags` / `tags_all`
//! attributes and their values, readers of attribute values, and the error
//! for an account fact that could not be read.

use crate::aws::ec2::find::{FindError, SecurityGroup};
use crate::aws::{with_advice, TagSettings};
use crate::framework::validators::Validator;
use crate::framework::{AttrPath, Attribute, Diagnostics};
use crate::value::{Type, Value};
use std::collections::BTreeMap;

/// `tags`: tags for every object the resource creates, checked against
/// the limits of the services `rules` names.
pub fn tags_attribute(rules: TagRules) -> Attribute {
    Attribute::optional("tags", Type::map(Type::String))
        .description(
            "Tags for every object this resource creates, merged over the provider's `default_tags`.",
        )
        .validator(rules)
}

/// The tag limits of the services a resource tags objects of (see
/// [`crate::limits`]): key and value lengths, the `aws:` prefix, the
/// provider's own ownership keys, the count, and — where SageMaker objects
/// get the tags — SageMaker's characters.
#[derive(Clone, Copy)]
pub struct TagRules {
    /// SageMaker objects get these tags: only SageMaker's characters.
    pub sagemaker: bool,
    /// The ownership keys may not be set (resource `tags`); `default_tags`
    /// may hold them (a map shared with other providers) and they are
    /// dropped there with a warning.
    pub reserved_keys_allowed: bool,
}

impl TagRules {
    /// Tags of EC2 objects only.
    pub const EC2: TagRules = TagRules {
        sagemaker: false,
        reserved_keys_allowed: false,
    };
    /// Tags that SageMaker objects get too.
    pub const SAGEMAKER: TagRules = TagRules {
        sagemaker: true,
        reserved_keys_allowed: false,
    };

    /// What is wrong with one tag, as a sentence with the fix; `None` when
    /// AWS takes it.
    pub fn problem(&self, key: &str, value: &str) -> Option<String> {
        use crate::limits::*;
        let shown: String = key.chars().take(40).collect();
        let key_chars = key.chars().count();
        if key.is_empty() {
            return Some("A tag key is empty: give every tag a key.".into());
        }
        if key_chars > MAX_TAG_KEY_CHARS {
            return Some(format!(
                "The tag key {shown:?}… has {key_chars} characters; AWS takes at most \
                 {MAX_TAG_KEY_CHARS}. Use a shorter key."
            ));
        }
        let value_chars = value.chars().count();
        if value_chars > MAX_TAG_VALUE_CHARS {
            return Some(format!(
                "The value of tag {shown:?} has {value_chars} characters; AWS takes at most \
                 {MAX_TAG_VALUE_CHARS}. Shorten it, or keep long text elsewhere (a description, a \
                 document) and tag a reference to it."
            ));
        }
        if key
            .get(..RESERVED_TAG_PREFIX.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(RESERVED_TAG_PREFIX))
        {
            return Some(format!(
                "The tag key {shown:?} starts with \"{RESERVED_TAG_PREFIX}\", which AWS keeps for \
                 itself. Use another prefix."
            ));
        }
        if !self.reserved_keys_allowed && crate::aws::ownership::RESERVED_KEYS.contains(&key) {
            return Some(format!(
                "The tag key {key:?} is set by this provider on every object it creates, to record \
                 which Terraform resource owns it; a value given here would never reach AWS. Remove \
                 it (use another key for your own convention)."
            ));
        }
        if self.sagemaker {
            let bad = key
                .chars()
                .chain(value.chars())
                .find(|c| !is_sagemaker_tag_char(*c));
            if let Some(c) = bad {
                return Some(format!(
                    "The tag {shown:?} holds {c:?}, which SageMaker does not take in tags: only \
                     letters, digits, spaces and _ . : / = + - @. Replace it."
                ));
            }
        }
        None
    }

    /// The error for `count` tags of the user's on one object being more
    /// than it takes; `None` when they fit. `whose` says where they come
    /// from, e.g. "tags alone" or "tags merged over the provider's default_tags".
    pub fn count_problem(&self, count: usize, whose: &str) -> Option<String> {
        use crate::limits::{MAX_TAGS_PER_OBJECT, MAX_USER_TAGS};
        (count > MAX_USER_TAGS).then(|| {
            format!(
                "Every object would get {count} tags of yours ({whose}). AWS takes \
                 {MAX_TAGS_PER_OBJECT} per object and this provider adds its own ownership tags, \
                 so at most {MAX_USER_TAGS} are left. Remove {} of them.",
                count - MAX_USER_TAGS
            )
        })
    }
}

impl Validator for TagRules {
    fn description(&self) -> String {
        let base = format!(
            "must hold at most {} tags, keys of 1 to {} characters not starting with `aws:`, values of \
             at most {} characters",
            crate::limits::MAX_USER_TAGS,
            crate::limits::MAX_TAG_KEY_CHARS,
            crate::limits::MAX_TAG_VALUE_CHARS
        );
        if self.sagemaker {
            format!("{base}, in letters, digits, spaces and `_ . : / = + - @` (SageMaker's rule)")
        } else {
            base
        }
    }

    fn validate(&self, path: &AttrPath, value: &Value, diags: &mut Diagnostics) {
        let Value::Map(entries) = value else { return };
        for (key, item) in entries {
            let Some(text) = item.as_str() else { continue };
            if let Some(problem) = self.problem(key, text) {
                diags.attribute_error(path.key(key), format!("Invalid tag in {path}"), problem);
            }
        }
        if !self.reserved_keys_allowed {
            if let Some(problem) = self.count_problem(entries.len(), &format!("{path} alone")) {
                diags.attribute_error(path.clone(), format!("Too many tags in {path}"), problem);
            }
        }
    }
}

/// `tags_all`: the tags applied, shown in the plan.
pub fn tags_all_attribute() -> Attribute {
    Attribute::computed("tags_all", Type::map(Type::String))
        .description("The tags applied: provider `default_tags` merged with `tags`.")
}

/// The error for a lookup the account checks made: a missing object is an
/// error on `attribute` (with `hint` on how to fix it); anything else says to
/// check the credentials and their Describe permissions on `services`
/// (e.g. "EC2", "EC2 and SageMaker").
pub fn lookup_error(e: FindError, attribute: &str, hint: &str, services: &str) -> Diagnostics {
    if e.is_not_found() {
        Diagnostics::from_attribute_error(
            AttrPath::root(attribute),
            "Not found",
            format!("{e}. {hint}").trim_end().to_owned(),
        )
    } else {
        Diagnostics::from_error(
            "Cannot check the network",
            with_advice(
                e,
                &format!("Check the credentials and their {services} Describe permissions."),
            ),
        )
    }
}

/// An error at `path` when `region` — the Region of an ARN or URI the
/// configuration names — is not the provider's: `why` says what ties the
/// two together and what to do instead.
pub fn check_same_region(
    path: AttrPath,
    region: Option<&str>,
    provider_region: &str,
    why: &str,
    diags: &mut Diagnostics,
) {
    let Some(region) = region.filter(|r| !r.is_empty() && *r != provider_region) else {
        return;
    };
    diags.attribute_error(
        path,
        "In another Region",
        format!("This is in {region}, but the provider works in {provider_region}: {why}"),
    );
}

/// An error on `attribute` for each of `groups` (the security groups it
/// lists) that is not in `vpc_id`: AWS refuses rules and network
/// interfaces that mix VPCs.
pub fn check_groups_in_vpc(
    groups: &[SecurityGroup],
    vpc_id: &str,
    attribute: &str,
    diags: &mut Diagnostics,
) {
    for group in groups.iter().filter(|g| g.vpc_id != vpc_id) {
        diags.attribute_error(
            AttrPath::root(attribute),
            "Security group in another VPC",
            format!(
                "Security group {} is in {}, but this configuration is in {vpc_id}. List groups of \
                 {vpc_id} in {attribute} (for clients in a peered VPC, allow their CIDR blocks \
                 instead).",
                group.id, group.vpc_id
            ),
        );
    }
}

/// The string attribute `name`, when known.
pub fn text(value: &Value, name: &str) -> Option<String> {
    value.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// A map-of-strings attribute (null → empty).
pub fn string_map(value: &Value, name: &str) -> BTreeMap<String, String> {
    match value.get(name) {
        Some(Value::Map(entries)) => entries
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// The known strings of a set or list attribute; `None` when null or not
/// wholly known.
pub fn known_strings(value: &Value, name: &str) -> Option<Vec<String>> {
    let v = value.get(name)?;
    if !v.is_wholly_known() {
        return None;
    }
    match v {
        Value::Set(items) | Value::List(items) => Some(
            items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
        ),
        _ => None,
    }
}

/// The tags `value` gives its objects: `tags_all` when known (a prior
/// state records what was applied), else `tags` merged over the provider's
/// `default_tags` — never a key `ignore_tags` names.
pub fn all_tags(value: &Value, tagging: &TagSettings) -> BTreeMap<String, String> {
    match value.get("tags_all") {
        Some(Value::Map(_)) => tagging.managed(&string_map(value, "tags_all")),
        _ => merged_tags(value, tagging),
    }
}

/// `tags` merged over the provider's `default_tags`, ignored keys aside.
fn merged_tags(value: &Value, tagging: &TagSettings) -> BTreeMap<String, String> {
    let mut merged = tagging.defaults.clone();
    merged.extend(string_map(value, "tags"));
    tagging.managed(&merged)
}

/// `tags` and `tags_all` as AWS reports them (`live`, ownership tags and
/// ignored tags aside): a key stays in `tags` when the prior state had it
/// there or when its value is not the provider's default.
pub fn observed_tags(
    prior: &Value,
    live: &BTreeMap<String, String>,
    tagging: &TagSettings,
) -> (Value, Value) {
    let default_tags = &tagging.defaults;
    let live = tagging.managed(&crate::aws::ownership::shown_tags(live));
    let had = string_map(prior, "tags");
    let own: BTreeMap<String, String> = live
        .iter()
        .filter(|(k, v)| had.contains_key(*k) || default_tags.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let as_value = |map: BTreeMap<String, String>| {
        Value::Map(
            map.into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        )
    };
    let tags = if own.is_empty() && prior.get("tags").is_none_or(Value::is_null) {
        Value::Null
    } else {
        as_value(own)
    };
    (tags, as_value(live))
}

/// `tags` merged over `default_tags`, as shown in `tags_all`.
pub fn tags_all(value: &Value, tagging: &TagSettings) -> Value {
    if value.get("tags").is_some_and(|t| !t.is_wholly_known()) {
        return Value::Unknown;
    }
    Value::Map(
        merged_tags(value, tagging)
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_rules_name_each_limit() {
        let ec2 = TagRules::EC2;
        assert_eq!(ec2.problem("Team", "ml, platform (shared)"), None);
        let problem = |key: &str, value: &str| ec2.problem(key, value).unwrap_or_default();
        assert!(problem(&"k".repeat(129), "v").contains("at most 128"));
        assert!(problem("k", &"v".repeat(257)).contains("at most 256"));
        assert!(problem("", "v").contains("empty"));
        assert!(problem("AWS:team", "v").contains("\"aws:\""));
        assert!(problem("sagemaker:owner", "v").contains("set by this provider"));
        let sagemaker = TagRules::SAGEMAKER;
        assert!(sagemaker
            .problem("Team", "ml, platform")
            .is_some_and(|p| p.contains("','")));
        assert_eq!(
            sagemaker.problem("Team", "ml platform:a/b=c+d-e@f_g.h"),
            None
        );
        assert!(
            sagemaker.problem("Team", "a\tb").is_some(),
            "a tab is a control, not a space"
        );
        let shared = TagRules {
            sagemaker: false,
            reserved_keys_allowed: true,
        };
        assert_eq!(shared.problem("ManagedBy", "terraform"), None);
        assert_eq!(
            ec2.count_problem(crate::limits::MAX_USER_TAGS, "tags"),
            None
        );
        assert!(ec2
            .count_problem(crate::limits::MAX_USER_TAGS + 2, "tags")
            .is_some_and(|p| p.contains("Remove 2")));
    }

    #[test]
    fn another_region_is_an_error_naming_both() {
        let mut diags = Diagnostics::new();
        let path = AttrPath::root("x");
        check_same_region(path.clone(), Some("us-east-1"), "us-east-1", "", &mut diags);
        check_same_region(path.clone(), Some(""), "us-east-1", "", &mut diags);
        check_same_region(path.clone(), None, "us-east-1", "", &mut diags);
        assert!(!diags.has_errors());
        check_same_region(path, Some("eu-west-1"), "us-east-1", "Fix it.", &mut diags);
        let d = diags.iter().next().expect("an error");
        assert!(d.detail.contains("in eu-west-1") && d.detail.contains("works in us-east-1"));
    }
}
