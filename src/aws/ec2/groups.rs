//! Security groups the composites own: creation with no rule at all (the
//! default allow-all egress removed), and rules kept equal to a wanted set
//! of rule lines (`egress tcp 443 10.0.0.0/16`, `ingress tcp 443 sg-…`),
//! so rules added or removed by hand are put back.

use crate::aws::describe_error;
use crate::aws::ec2::find::{find_security_groups_by_tag, FindError, SecurityGroup};
use crate::aws::ec2::tags::{sync_tags, tag_specification};
use crate::aws::ec2::wait::retry_dependency_violation;
use crate::aws::ownership::{Claim, Owner, CREATING_KEY, OWNER_KEY};
use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, UserIdGroupPair,
};
use std::collections::BTreeMap;

/// The group an unfinished create of `owner`'s identity left in `vpc_id`
/// (see [`crate::aws::ownership`]), if any.
pub async fn find_unfinished_group(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    owner: &Owner,
) -> Result<Option<SecurityGroup>, FindError> {
    let found = find_security_groups_by_tag(ec2, vpc_id, CREATING_KEY, &owner.identity).await?;
    Ok(found
        .into_iter()
        .find(|g| owner.claim(&g.tags) == Claim::Unfinished))
}

/// A closed group tagged `tags`: `unfinished` (what an unfinished create
/// left, found by [`find_unfinished_group`]) retagged (tags `tagging`
/// ignores left alone) and emptied, else a
/// new one named `name` (see [`create_closed_group`]); returns its id.
pub async fn adopt_or_create_closed_group(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    (name, description): (&str, &str),
    unfinished: Option<&SecurityGroup>,
    tags: &BTreeMap<String, String>,
    tagging: &crate::aws::TagSettings,
) -> Result<String, String> {
    let Some(group) = unfinished else {
        return create_closed_group(ec2, vpc_id, name, description, tags).await;
    };
    crate::log::info(
        "adopting the security group an unfinished create left",
        &[("group_id", serde_json::json!(group.id))],
    );
    sync_tags(ec2, &group.id, &tagging.managed(&group.tags), tags).await?;
    sync_rule_lines(ec2, &group.id, &rule_lines(group), &[]).await?;
    Ok(group.id.clone())
}

/// Creates a group in `vpc_id` with no ingress and no egress; returns its
/// id. A group of that name already made by the same owner (see
/// [`OWNER_KEY`] in `tags`) is adopted and emptied instead.
pub async fn create_closed_group(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    name: &str,
    description: &str,
    tags: &BTreeMap<String, String>,
) -> Result<String, String> {
    use aws_sdk_ec2::error::ProvideErrorMetadata;
    let action = format!("creating EC2 Security Group {name} in {vpc_id}");
    let created = ec2
        .create_security_group()
        .group_name(name)
        .description(description)
        .vpc_id(vpc_id)
        .tag_specifications(tag_specification(ResourceType::SecurityGroup, tags))
        .send()
        .await;
    let (id, rules) = match created {
        Ok(created) => (
            created.group_id.unwrap_or_default(),
            vec!["egress all 0.0.0.0/0".to_owned()],
        ),
        // The name is taken: by this owner's group when a retried create
        // lost its first answer, or a crashed apply made it — adopt it.
        Err(e) if e.code() == Some("InvalidGroup.Duplicate") => {
            let owner = tags.get(OWNER_KEY).map(String::as_str).unwrap_or_default();
            let found = find_security_groups_by_tag(ec2, vpc_id, OWNER_KEY, owner)
                .await
                .map_err(|e| e.to_string())?;
            let Some(group) = found.into_iter().find(|g| g.name == name) else {
                return Err(format!(
                    "{}: a security group named {name} already exists in {vpc_id} and was not made by \
                     this resource. Delete or rename it, or choose another name.",
                    describe_error(&action, &e)
                ));
            };
            let rules = rule_lines(&group);
            (group.id, rules)
        }
        Err(e) => return Err(describe_error(&action, &e)),
    };
    sync_rule_lines(ec2, &id, &rules, &[]).await?;
    Ok(id)
}

/// The group an instance owns: the one recorded in its state (`recorded`,
/// when it still exists), else — its id lost from the state — the one in
/// `vpc_id` tagged as `owner`'s. `None` when it was deleted.
pub async fn find_owned_group(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    recorded: Option<&str>,
    owner: &Owner,
) -> Result<Option<SecurityGroup>, FindError> {
    match recorded.filter(|id| !id.is_empty()) {
        Some(id) => find_security_group_if_exists(ec2, id).await,
        None if vpc_id.is_empty() => Ok(None),
        None => {
            let found = find_security_groups_by_tag(ec2, vpc_id, OWNER_KEY, &owner.id).await?;
            Ok(found
                .into_iter()
                .find(|g| owner.claim(&g.tags) == Claim::Mine))
        }
    }
}

/// The security group `id`, `None` when it no longer exists.
pub async fn find_security_group_if_exists(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
) -> Result<Option<SecurityGroup>, FindError> {
    match crate::aws::ec2::find::find_security_group(ec2, id).await {
        Ok(group) => Ok(Some(group)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// An owned security group as the instance wants it.
pub struct WantedGroup<'a> {
    /// The VPC it is in.
    pub vpc_id: &'a str,
    /// Its name, for a group still to make.
    pub name: &'a str,
    /// Its description, for a group still to make.
    pub description: &'a str,
    /// Every tag it carries, ownership tags included.
    pub tags: &'a BTreeMap<String, String>,
    /// Its rules, as [`rule_lines`] writes them.
    pub rules: &'a [String],
    /// Only ingress is managed: egress stays as it is.
    pub ingress_only: bool,
}

/// The owned group's id: `existing`'s (see [`find_owned_group`]), else a
/// closed group made for `want` (adopting `unfinished`, what an unfinished
/// create left). Give it its rules with [`sync_group`] as a separate step,
/// so a failure there never loses the id of a group just made.
pub async fn ensure_group(
    ec2: &aws_sdk_ec2::Client,
    want: &WantedGroup<'_>,
    existing: Option<&SecurityGroup>,
    unfinished: Option<&SecurityGroup>,
    tagging: &crate::aws::TagSettings,
) -> Result<String, String> {
    match existing {
        Some(group) => Ok(group.id.clone()),
        None => {
            let name_and_description = (want.name, want.description);
            adopt_or_create_closed_group(
                ec2,
                want.vpc_id,
                name_and_description,
                unfinished,
                want.tags,
                tagging,
            )
            .await
        }
    }
}

/// Brings group `group_id` in line with `want`: its rules and its tags, as
/// `existing` reports them (`None`: the group [`ensure_group`] just made,
/// closed and tagged) — rules and tags changed by hand are put back, tags
/// `tagging` ignores are left alone.
pub async fn sync_group(
    ec2: &aws_sdk_ec2::Client,
    want: &WantedGroup<'_>,
    group_id: &str,
    existing: Option<&SecurityGroup>,
    tagging: &crate::aws::TagSettings,
) -> Result<(), String> {
    let Some(group) = existing.filter(|g| g.id == group_id) else {
        return sync_rule_lines(ec2, group_id, &[], want.rules).await;
    };
    let now: Vec<String> = rule_lines(group)
        .into_iter()
        .filter(|line| !want.ingress_only || line.starts_with("ingress "))
        .collect();
    sync_rule_lines(ec2, group_id, &now, want.rules).await?;
    sync_tags(ec2, group_id, &tagging.managed(&group.tags), want.tags).await
}

/// Deletes the group `group_id`, retrying `DependencyViolation` while
/// network interfaces drain (within `timeout`, until `cancel`); a group
/// already gone is fine.
pub async fn delete_group(
    ec2: &aws_sdk_ec2::Client,
    group_id: &str,
    timeout: std::time::Duration,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<(), String> {
    use aws_sdk_ec2::error::ProvideErrorMetadata;
    let deleted = retry_dependency_violation(
        || ec2.delete_security_group().group_id(group_id).send(),
        timeout,
        cancel,
    )
    .await;
    match deleted {
        Ok(_) => Ok(()),
        Err(e) if e.last().code() == Some("InvalidGroup.NotFound") => Ok(()),
        Err(e) => Err(format!(
            "deleting EC2 Security Group ({group_id}): {e}. Network interfaces may still use it \
             (an endpoint, job or model being deleted): retry once they are gone."
        )),
    }
}

/// A group's rules as lines, one per direction, protocol, port range and
/// source or destination (`ingress tcp 22 10.0.0.0/8`, `egress all 0.0.0.0/0`).
pub fn rule_lines(group: &SecurityGroup) -> Vec<String> {
    let mut lines = Vec::new();
    for (direction, rules) in [("ingress", &group.ingress), ("egress", &group.egress)] {
        for rule in rules {
            let protocol = if rule.protocol == "-1" {
                "all"
            } else {
                rule.protocol.as_str()
            };
            let ports = match (rule.from_port, rule.to_port) {
                _ if protocol == "all" => String::new(),
                (Some(from), Some(to)) if from == to => format!(" {from}"),
                (Some(from), Some(to)) => format!(" {from}-{to}"),
                _ => String::new(),
            };
            let peers = rule
                .cidr_ipv4
                .iter()
                .chain(&rule.cidr_ipv6)
                .chain(&rule.source_group_ids)
                .chain(&rule.prefix_list_ids);
            for peer in peers {
                lines.push(format!("{direction} {protocol}{ports} {peer}"));
            }
        }
    }
    lines.sort();
    lines.dedup();
    lines
}

/// One rule line as an EC2 permission, with its direction; `None` for a
/// line that is not a rule.
fn permission(line: &str) -> Option<(bool, IpPermission)> {
    let parts: Vec<&str> = line.split(' ').collect();
    let (direction, protocol, ports, peer) = match parts[..] {
        [d, p, peer] => (d, p, None, peer),
        [d, p, range, peer] => {
            let (from, to) = match range.split_once('-') {
                Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
                None => (range.parse().ok()?, range.parse().ok()?),
            };
            (d, p, Some((from, to)), peer)
        }
        _ => return None,
    };
    let ingress = match direction {
        "ingress" => true,
        "egress" => false,
        _ => return None,
    };
    let mut builder =
        IpPermission::builder().ip_protocol(if protocol == "all" { "-1" } else { protocol });
    if let Some((from, to)) = ports {
        builder = builder.from_port(from).to_port(to);
    }
    builder = if peer.starts_with("pl-") {
        builder.prefix_list_ids(PrefixListId::builder().prefix_list_id(peer).build())
    } else if peer.starts_with("sg-") {
        builder.user_id_group_pairs(UserIdGroupPair::builder().group_id(peer).build())
    } else if peer.contains(':') {
        builder.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(peer).build())
    } else {
        builder.ip_ranges(IpRange::builder().cidr_ip(peer).build())
    };
    Some((ingress, builder.build()))
}

/// One kind of rule change.
#[derive(Clone, Copy)]
enum Change {
    RevokeIngress,
    RevokeEgress,
    AuthorizeIngress,
    AuthorizeEgress,
}

impl Change {
    /// The error code that means the rule is already as wanted: a revoke
    /// or authorize retried after its first answer was lost, or a rule
    /// changed by someone else meanwhile.
    fn settled_code(self) -> &'static str {
        match self {
            Change::RevokeIngress | Change::RevokeEgress => "InvalidPermission.NotFound",
            Change::AuthorizeIngress | Change::AuthorizeEgress => "InvalidPermission.Duplicate",
        }
    }

    fn action(self) -> &'static str {
        match self {
            Change::RevokeIngress => "revoking ingress",
            Change::RevokeEgress => "revoking egress",
            Change::AuthorizeIngress => "authorizing ingress",
            Change::AuthorizeEgress => "authorizing egress",
        }
    }
}

/// One call for `change` with `permissions`: `Err((code, message))`.
async fn send(
    ec2: &aws_sdk_ec2::Client,
    group_id: &str,
    change: Change,
    permissions: Vec<IpPermission>,
) -> Result<(), (Option<String>, String)> {
    use aws_sdk_ec2::error::ProvideErrorMetadata;
    let action = format!("{} of EC2 Security Group ({group_id})", change.action());
    let permissions = Some(permissions);
    macro_rules! call {
        ($builder:expr) => {
            $builder
                .group_id(group_id)
                .set_ip_permissions(permissions)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| (e.code().map(str::to_owned), describe_error(&action, &e)))
        };
    }
    match change {
        Change::RevokeIngress => call!(ec2.revoke_security_group_ingress()),
        Change::RevokeEgress => call!(ec2.revoke_security_group_egress()),
        Change::AuthorizeIngress => call!(ec2.authorize_security_group_ingress()),
        Change::AuthorizeEgress => call!(ec2.authorize_security_group_egress()),
    }
}

/// Applies `change` to all `permissions` in one call; when AWS answers that
/// a rule is already as wanted, applies them one by one, skipping those.
async fn apply(
    ec2: &aws_sdk_ec2::Client,
    group_id: &str,
    change: Change,
    permissions: Vec<IpPermission>,
) -> Result<(), String> {
    if permissions.is_empty() {
        return Ok(());
    }
    let settled = |code: &Option<String>| code.as_deref() == Some(change.settled_code());
    match send(ec2, group_id, change, permissions.clone()).await {
        Ok(()) => Ok(()),
        Err((code, _)) if settled(&code) => {
            for permission in permissions {
                match send(ec2, group_id, change, vec![permission]).await {
                    Err((code, message)) if !settled(&code) => return Err(message),
                    _ => {}
                }
            }
            Ok(())
        }
        Err((_, message)) => Err(message),
    }
}

/// Changes the rules of `group_id` from the lines `now` to the lines
/// `wanted`: one call per direction and kind of change, revokes first.
pub async fn sync_rule_lines(
    ec2: &aws_sdk_ec2::Client,
    group_id: &str,
    now: &[String],
    wanted: &[String],
) -> Result<(), String> {
    let split = |lines: Vec<&String>| -> (Vec<IpPermission>, Vec<IpPermission>) {
        let mut ingress = Vec::new();
        let mut egress = Vec::new();
        for (is_ingress, p) in lines.into_iter().filter_map(|l| permission(l)) {
            if is_ingress {
                ingress.push(p);
            } else {
                egress.push(p);
            }
        }
        (ingress, egress)
    };
    let (revoke_in, revoke_out) = split(now.iter().filter(|l| !wanted.contains(l)).collect());
    let (add_in, add_out) = split(wanted.iter().filter(|l| !now.contains(l)).collect());
    apply(ec2, group_id, Change::RevokeIngress, revoke_in).await?;
    apply(ec2, group_id, Change::RevokeEgress, revoke_out).await?;
    apply(ec2, group_id, Change::AuthorizeIngress, add_in).await?;
    apply(ec2, group_id, Change::AuthorizeEgress, add_out).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::ec2::find::Rule;

    #[test]
    fn rules_become_lines_and_lines_become_permissions() {
        let group = SecurityGroup {
            id: "sg-9".into(),
            vpc_id: "vpc-1".into(),
            name: "g".into(),
            description: String::new(),
            ingress: vec![Rule {
                protocol: "tcp".into(),
                from_port: Some(22),
                to_port: Some(23),
                source_group_ids: vec!["sg-1".into()],
                ..Rule::default()
            }],
            egress: vec![
                Rule {
                    protocol: "tcp".into(),
                    from_port: Some(443),
                    to_port: Some(443),
                    cidr_ipv4: vec!["10.0.0.0/16".into()],
                    prefix_list_ids: vec!["pl-1".into()],
                    ..Rule::default()
                },
                Rule {
                    protocol: "-1".into(),
                    cidr_ipv4: vec!["0.0.0.0/0".into()],
                    ..Rule::default()
                },
            ],
            tags: BTreeMap::new(),
        };
        let lines = rule_lines(&group);
        assert_eq!(
            lines,
            vec![
                "egress all 0.0.0.0/0",
                "egress tcp 443 10.0.0.0/16",
                "egress tcp 443 pl-1",
                "ingress tcp 22-23 sg-1",
            ]
        );
        for line in &lines {
            assert!(permission(line).is_some(), "{line}");
        }
        let (ingress, p) = permission("egress tcp 443 pl-123").unwrap();
        assert!(!ingress);
        assert_eq!(p.ip_protocol(), Some("tcp"));
        assert_eq!((p.from_port(), p.to_port()), (Some(443), Some(443)));
        assert_eq!(p.prefix_list_ids()[0].prefix_list_id(), Some("pl-123"));
        let (ingress, p) = permission("ingress all sg-1").unwrap();
        assert!(ingress);
        assert_eq!(p.ip_protocol(), Some("-1"));
        assert_eq!(p.user_id_group_pairs()[0].group_id(), Some("sg-1"));
        let (_, p) = permission("ingress tcp 1000-2000 ::/0").unwrap();
        assert_eq!(p.ipv6_ranges()[0].cidr_ipv6(), Some("::/0"));
        assert_eq!(p.from_port(), Some(1000));
        assert!(permission("sideways tcp 1 10.0.0.0/8").is_none());
        assert!(permission("ingress tcp x 10.0.0.0/8").is_none());
    }
}
