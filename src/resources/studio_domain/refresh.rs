//! Reading `sagemaker_studio_domain` back from AWS: the domain, its
//! profiles, the groups and endpoints it owns, the NFS groups SageMaker
//! made — for refresh (drift: a profile deleted by hand leaves the state,
//! a rule added by hand shows in `security_group_rules`), for the end of
//! every apply, and for import by domain id.

use super::delete::nfs_group_names;
use super::state::{
    default_expected_users, endpoint_entry, group_part, list_value, managed_endpoints,
    string_map_value, user_group_key, ENDPOINTS_PART,
};
use crate::aws::ec2::find::{self, find_security_groups_by_name, find_security_groups_by_tag};
use crate::aws::ec2::groups::rule_lines;
use crate::aws::ownership::{owner_of, Claim, Owner, OWNER_KEY};
use crate::aws::studio::{self, Domain};
use crate::framework::{Diagnostics, Schema};
use crate::resources::common::{string_map, text};
use crate::resources::composite::{empty_state, Env, Refreshed};
use crate::value::Value;
use std::collections::BTreeMap;

fn read_error(e: impl std::fmt::Display) -> Diagnostics {
    Diagnostics::from_error("Cannot read the Studio domain", e.to_string())
}

/// What AWS reports of the objects `state` records; `None` when none of
/// them is left. A domain gone (deleted by hand, or never made: an apply
/// that failed after the groups) with groups or endpoints still there
/// keeps the instance, its domain attributes null: the plan makes the
/// domain again, and nothing made before is left behind.
pub async fn refresh(env: &Env<'_>, state: Value) -> Result<Option<Refreshed>, Diagnostics> {
    let mut observed = observe(env, state).await?;
    let state = &mut observed.state;
    let domain_left = observed.live_tags.is_some();
    let groups_left = text(state, "security_group_id").is_some()
        || !string_map(state, "user_security_group_ids").is_empty()
        || text(state, "endpoint_security_group_id").is_some();
    if !domain_left && !groups_left && managed_endpoints(state).is_empty() {
        return Ok(None);
    }
    if !domain_left {
        for name in [
            "domain_id",
            "arn",
            "url",
            "home_efs_file_system_id",
            "status",
        ] {
            state.set_attribute(name, Value::Null);
        }
    }
    // Profiles deleted by hand leave the state: the plan makes them again.
    let arns = string_map(state, "user_profile_arns");
    if let Some(Value::List(items)) = state.get("user_profile").cloned() {
        let kept = items
            .into_iter()
            .filter(|p| text(p, "name").is_some_and(|n| arns.contains_key(&n)))
            .collect();
        state.set_attribute("user_profile", Value::List(kept));
    }
    Ok(Some(observed))
}

/// `state` with its computed attributes taken from AWS (the domain, the
/// profiles it names, the groups and endpoints the instance owns), and
/// the domain's tags.
pub async fn observe(env: &Env<'_>, mut state: Value) -> Result<Refreshed, Diagnostics> {
    let clients = &env.clients;
    let (ec2, sagemaker) = (&clients.ec2, &clients.sagemaker);
    let domain = match text(&state, "domain_id").filter(|id| !id.is_empty()) {
        Some(id) => studio::find_domain(sagemaker, &id)
            .await
            .map_err(read_error)?,
        None => None,
    };
    // A domain being deleted is as good as gone.
    let domain = domain.filter(|d| d.status != "Deleting");
    let vpc_id = domain
        .as_ref()
        .map(|d| d.vpc_id.clone())
        .filter(|v| !v.is_empty())
        .or_else(|| text(&state, "vpc_id"))
        .unwrap_or_default();
    if let Some(domain) = &domain {
        set_domain(&mut state, domain);
    }
    let profile_names: Vec<String> = super::state::profiles(&state)
        .into_iter()
        .map(|p| p.name)
        .collect();
    let profiles = async {
        let Some(domain) = &domain else {
            return Ok(BTreeMap::new());
        };
        let reads = profile_names
            .iter()
            .map(|name| studio::find_user_profile(sagemaker, &domain.id, name));
        let mut found_profiles = BTreeMap::new();
        for (name, found) in profile_names
            .iter()
            .zip(futures::future::join_all(reads).await)
        {
            if let Some(profile) = found? {
                found_profiles.insert(name.clone(), profile);
            }
        }
        Ok::<_, String>(found_profiles)
    };
    let nfs = async {
        match &domain {
            Some(d) if !vpc_id.is_empty() => {
                find_security_groups_by_name(ec2, &vpc_id, &nfs_group_names(&d.id))
                    .await
                    .map(Some)
            }
            _ => Ok(None),
        }
    };
    let part = env.owner.part(ENDPOINTS_PART);
    let (profiles, groups, part_groups, endpoints, nfs) = tokio::join!(
        profiles,
        find_security_groups_by_tag(ec2, &vpc_id, OWNER_KEY, &env.owner.id),
        find_security_groups_by_tag(ec2, &vpc_id, OWNER_KEY, &part.id),
        find::find_vpc_endpoints_in_vpc(ec2, &vpc_id, false),
        nfs,
    );
    let found_profiles = profiles.map_err(read_error)?;
    let arns: BTreeMap<String, String> = found_profiles
        .iter()
        .map(|(name, p)| (name.clone(), p.arn.clone()))
        .collect();
    let statuses: BTreeMap<String, String> = found_profiles
        .iter()
        .map(|(name, p)| (name.clone(), p.status.clone()))
        .collect();
    if let Some(domain) = &domain {
        with_observed_roles(&mut state, &domain.execution_role, &found_profiles);
    }
    let groups = groups.map_err(read_error)?;
    let part_groups = part_groups.map_err(read_error)?;
    let endpoints = endpoints.map_err(read_error)?;
    if let Some(nfs) = nfs.map_err(read_error)? {
        let mut by_name: Vec<(String, String)> =
            nfs.iter().map(|g| (g.name.clone(), g.id.clone())).collect();
        // Inbound first, as named.
        by_name.sort_by(|a, b| {
            a.0.find("inbound")
                .is_none()
                .cmp(&b.0.find("inbound").is_none())
        });
        let ids: Vec<String> = by_name.into_iter().map(|(_, id)| id).collect();
        state.set_attribute("nfs_security_group_ids", list_value(&ids));
    }
    state.set_attribute("user_profile_arns", string_map_value(&arns));
    state.set_attribute("user_profile_statuses", string_map_value(&statuses));
    let mine = |part: &str| {
        groups.iter().find(|g| {
            env.owner.claim(&g.tags) == Claim::Mine && group_part(g).as_deref() == Some(part)
        })
    };
    let mut rules = BTreeMap::new();
    let domain_group = mine("domain");
    state.set_attribute(
        "security_group_id",
        domain_group.map_or(Value::Null, |g| Value::String(g.id.clone())),
    );
    if let Some(group) = domain_group {
        rules.insert("domain".to_owned(), list_value(&rule_lines(group)));
    }
    // Every user group the instance owns, also one whose profile left the
    // configuration but could not be deleted yet (the next apply does).
    let recorded_users = string_map(&state, "user_security_group_ids");
    let mut users = BTreeMap::new();
    for group in groups
        .iter()
        .filter(|g| env.owner.claim(&g.tags) == Claim::Mine)
    {
        let Some(lower) =
            group_part(group).and_then(|p| p.strip_prefix("user-").map(str::to_owned))
        else {
            continue;
        };
        let name = profile_names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(&lower))
            .cloned()
            .or_else(|| {
                recorded_users
                    .iter()
                    .find(|(_, id)| **id == group.id)
                    .map(|(name, _)| name.clone())
            })
            .unwrap_or(lower);
        rules.insert(user_group_key(&name), list_value(&rule_lines(group)));
        users.insert(name, group.id.clone());
    }
    state.set_attribute("user_security_group_ids", string_map_value(&users));
    state.set_attribute("security_group_rules", Value::Map(rules));
    // Endpoints: own ones still there (tagged or recorded), reused ones still serving.
    let recorded = managed_endpoints(&state);
    let region = env.region();
    let mut entries = BTreeMap::new();
    for endpoint in endpoints
        .iter()
        .filter(|e| !e.is_gone() && e.state != "deleting")
    {
        let own = part.claim(&endpoint.tags) == Claim::Mine
            || recorded.values().any(|id| id == &endpoint.id);
        let Some(spec) = crate::resources::private_network::state::short_name_of(
            &endpoint.service_name,
            &endpoint.endpoint_type,
            region,
        ) else {
            continue;
        };
        let was = state
            .get("endpoints")
            .and_then(|m| m.get(spec.short_name))
            .and_then(|e| e.get("id"))
            .and_then(Value::as_str)
            == Some(endpoint.id.as_str());
        if own || was {
            entries
                .entry(spec.short_name.to_owned())
                .or_insert_with(|| endpoint_entry(&endpoint.id, own));
        }
    }
    state.set_attribute("endpoints", Value::Map(entries));
    let own_group = part_groups
        .iter()
        .find(|g| part.claim(&g.tags) == Claim::Mine);
    state.set_attribute(
        "endpoint_security_group_id",
        own_group.map_or(Value::Null, |g| Value::String(g.id.clone())),
    );
    Ok(Refreshed {
        live_tags: domain.map(|d| d.tags),
        state,
        diags: Diagnostics::new(),
    })
}

/// Each profile's `execution_role_arn` as AWS reports it, where it no
/// longer runs as the state says (changed by hand): the plan shows it and
/// apply puts it back. A profile running as the domain's default role
/// keeps a null role.
fn with_observed_roles(
    state: &mut Value,
    default_role: &str,
    found: &BTreeMap<String, studio::UserProfile>,
) {
    let Some(Value::List(items)) = state.get("user_profile").cloned() else {
        return;
    };
    let items = items
        .into_iter()
        .map(|mut item| {
            let Some(profile) = text(&item, "name").and_then(|n| found.get(&n)) else {
                return item;
            };
            let recorded = text(&item, "execution_role_arn");
            let effective =
                |role: &Option<String>| role.clone().unwrap_or_else(|| default_role.to_owned());
            if effective(&recorded) != effective(&profile.execution_role) {
                let role = effective(&profile.execution_role);
                item.set_attribute("execution_role_arn", Value::String(role));
            }
            item
        })
        .collect();
    state.set_attribute("user_profile", Value::List(items));
}

/// The domain's own attributes in `state`.
fn set_domain(state: &mut Value, domain: &Domain) {
    let string = |s: &str| Value::String(s.to_owned());
    state.set_attribute("domain_id", string(&domain.id));
    state.set_attribute("arn", string(&domain.arn));
    state.set_attribute("url", string(&domain.url));
    state.set_attribute("status", string(&domain.status));
    state.set_attribute("name", string(&domain.name));
    state.set_attribute("vpc_id", string(&domain.vpc_id));
    state.set_attribute("auth_mode", string(&domain.auth_mode));
    state.set_attribute("network_access", string(&domain.network_access));
    state.set_attribute("default_execution_role_arn", string(&domain.execution_role));
    state.set_attribute(
        "subnet_ids",
        Value::Set(
            domain
                .subnet_ids
                .iter()
                .cloned()
                .map(Value::String)
                .collect(),
        ),
    );
    state.set_attribute(
        "home_efs_file_system_id",
        domain
            .home_efs_file_system_id
            .as_deref()
            .map_or(Value::Null, string),
    );
    // AWS may report another form of the key the configuration names (an
    // ARN for a key id): the state keeps the configuration's form while
    // the domain has a key, so only a key removed or set by import shows.
    let recorded_key = state.get("kms_key_id").is_some_and(|k| !k.is_null());
    if !(recorded_key && domain.kms_key_id.is_some()) {
        state.set_attribute(
            "kms_key_id",
            domain.kms_key_id.as_deref().map_or(Value::Null, string),
        );
    }
}

/// A state for the domain `domain_id`, complete enough that the
/// configuration it came from plans no change: its profiles, the groups
/// and endpoints tagged as the instance's (the owner its tags name; an
/// untagged domain gets a new instance id, and the next apply makes the
/// groups and endpoints it lacks), and the endpoints it reuses.
pub async fn import(env: &Env<'_>, schema: &Schema, domain_id: &str) -> Result<Value, Diagnostics> {
    let sagemaker = &env.clients.sagemaker;
    let Some(domain) = studio::find_domain(sagemaker, domain_id)
        .await
        .map_err(read_error)?
    else {
        return Err(Diagnostics::from_error(
            "Cannot import",
            format!(
                "No SageMaker domain {domain_id} in {}. Check the id (aws sagemaker list-domains) and the \
                 provider's region.",
                env.region()
            ),
        ));
    };
    let owner_id = owner_of(&domain.tags)
        .map(str::to_owned)
        .unwrap_or_else(|| Owner::new(super::state::TYPE_NAME, &domain.name).id);
    let names = studio::list_user_profile_names(sagemaker, domain_id)
        .await
        .map_err(read_error)?;
    let mut profiles = Vec::new();
    for name in &names {
        let Some(profile) = studio::find_user_profile(sagemaker, domain_id, name)
            .await
            .map_err(read_error)?
        else {
            continue;
        };
        let role = profile
            .execution_role
            .filter(|r| *r != domain.execution_role);
        let own_tags: BTreeMap<String, String> = crate::aws::ownership::shown_tags(&profile.tags)
            .into_iter()
            .filter(|(k, v)| domain.tags.get(k) != Some(v))
            .collect();
        profiles.push(Value::Object(BTreeMap::from([
            ("name".to_owned(), Value::String(name.clone())),
            (
                "execution_role_arn".to_owned(),
                role.map_or(Value::Null, Value::String),
            ),
            (
                "tags".to_owned(),
                if own_tags.is_empty() {
                    Value::Null
                } else {
                    string_map_value(&own_tags)
                },
            ),
        ])));
    }
    let mut fields = empty_state(schema);
    let mut put = |name: &str, value: Value| {
        fields.insert(name.to_owned(), value);
    };
    put("id", Value::String(owner_id.clone()));
    put("domain_id", Value::String(domain_id.to_owned()));
    put("user_profile", Value::List(profiles.clone()));
    put("sdk_training", Value::Bool(true));
    put("projects", Value::Bool(false));
    put("create_endpoints", Value::Bool(true));
    put("home_efs_retention", Value::String("Retain".into()));
    put(
        "expected_users",
        Value::Number(i64::from(default_expected_users(profiles.len())).into()),
    );
    let owner = Owner::existing(super::state::TYPE_NAME, &domain.name, &owner_id);
    let import_env = Env {
        ctx: env.ctx,
        clients: env.clients.clone(),
        tagging: env.tagging.clone(),
        owner,
    };
    let observed = observe(&import_env, Value::Object(fields)).await?;
    let mut state = observed.state;
    // The endpoints it reuses (a sagemaker_private_network's) carry no tag
    // of the domain's: found as the plan decides them, recorded unmanaged.
    let want = super::state::desired(&state, &env.tagging);
    let reused = super::checks::find_reused(&import_env, &want, &state).await?;
    if let Some(Value::Map(entries)) = state.get("endpoints").cloned() {
        let mut entries = entries;
        for (name, id) in reused {
            entries
                .entry(name.to_owned())
                .or_insert_with(|| endpoint_entry(&id, false));
        }
        state.set_attribute("endpoints", Value::Map(entries));
    }
    if let Some(live) = &observed.live_tags {
        let (tags, tags_all) =
            crate::resources::common::observed_tags(&Value::Null, live, &env.tagging);
        state.set_attribute("tags", tags);
        state.set_attribute("tags_all", tags_all);
    }
    Ok(state)
}
