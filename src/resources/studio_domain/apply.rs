//! Applying `sagemaker_studio_domain`, in stages: the account checks again,
//! the domain's and the users' security groups, the endpoints this domain
//! makes (the private network's own apply, under the domain's owner part:
//! one implementation for both) — additions only —, the domain (waited
//! `InService`; a domain still to make is made beside its endpoints), the
//! user profiles (each waited), the endpoint removals the domain no longer
//! needs ([`super::endpoint_order`]), then the groups of removed profiles.
//! Every path ends with the state AWS reports — the partial state on error.

use super::checks::{check_remote, Facts, Stage};
use super::delete::{remove_profile, wait_profile};
use super::refresh::observe;
use super::state::{
    desired, domain_rule_lines, group_name, group_part, string_map_value, user_group_description,
    user_group_part, user_rule_lines, Desired, DOMAIN_GROUP_DESCRIPTION,
};
use super::{endpoint_order, network};
use crate::aws::ec2::find::{find_security_groups_by_tag, SecurityGroup};
use crate::aws::ec2::groups::{delete_group, ensure_group, sync_group, WantedGroup};
use crate::aws::ownership::{Claim, CREATING_KEY, OWNER_KEY};
use crate::aws::sagemaker::sync_tags;
use crate::aws::studio::{self, DomainUpdate, NewDomain, Until};
use crate::framework::{ApplyResult, AttrPath, Diagnostics};
use crate::resources::common::{string_map, text};
use crate::resources::composite::applier::{Applier, Step, StepError};
use crate::resources::composite::{unchanged, Env};
use crate::value::Value;
use std::collections::{BTreeMap, BTreeSet};

/// How many profile or group calls run at once.
const CONCURRENT_CALLS: usize = 4;

/// The security groups of this instance (or of the unfinished create it
/// adopts), by part (`domain`, `user-NAME`: see [`group_part`]).
type GroupsByPart = BTreeMap<String, SecurityGroup>;

/// Makes AWS match `planned`; `prior` is null on create.
pub async fn apply(env: &Env<'_>, prior: &Value, planned: Value) -> ApplyResult {
    let creating = prior.is_null();
    let want = desired(&planned, &env.tagging);
    let facts = match check_remote(env, &want, prior, Stage::Apply).await {
        Ok((facts, _)) => facts,
        Err(diags) => return unchanged(prior, diags),
    };
    let recorded_vpc = text(prior, "vpc_id").filter(|v| !v.is_empty());
    if let Some(vpc) = recorded_vpc.filter(|v| *v != facts.vpc.id) {
        let diags = Diagnostics::from_attribute_error(
            AttrPath::root("subnet_ids"),
            "Subnets of another VPC",
            format!(
                "The domain is in {vpc}, but subnet_ids (unknown at plan) are in {}: a domain cannot move \
                 to another VPC. Nothing was changed. Run terraform apply again: its plan, knowing the \
                 subnets now, replaces the domain.",
                facts.vpc.id
            ),
        );
        return unchanged(prior, diags);
    }
    let mut state = planned;
    state.set_attribute("vpc_id", Value::String(facts.vpc.id.clone()));
    let ec2 = &env.clients.ec2;
    let (key, value) = if creating {
        (CREATING_KEY, env.owner.identity.as_str())
    } else {
        (OWNER_KEY, env.owner.id.as_str())
    };
    let found = match find_security_groups_by_tag(ec2, &facts.vpc.id, key, value).await {
        Ok(found) => found,
        Err(e) => {
            return unchanged(
                prior,
                Diagnostics::from_error("Cannot read the domain's security groups", e.to_string()),
            )
        }
    };
    let wanted_claim = if creating {
        Claim::Unfinished
    } else {
        Claim::Mine
    };
    let groups: GroupsByPart = found
        .into_iter()
        .filter(|g| env.owner.claim(&g.tags) == wanted_claim)
        .filter_map(|g| Some((group_part(&g)?, g)))
        .collect();
    let mut applier = Applier::new(env.ctx);
    let Some(domain_group) =
        domain_group_stage(env, &mut applier, (&want, &facts, creating), &groups).await
    else {
        return finish(env, state, applier.finish()).await;
    };
    state.set_attribute("security_group_id", Value::String(domain_group.clone()));
    let users = user_groups_stage(env, &mut applier, (&want, &facts, creating), &groups).await;
    state.set_attribute("user_security_group_ids", string_map_value(&users));
    let set_endpoints = |state: &mut Value, (entries, group): (_, Option<String>)| {
        state.set_attribute("endpoints", Value::Map(entries));
        state.set_attribute(
            "endpoint_security_group_id",
            group.map_or(Value::Null, Value::String),
        );
    };
    // Endpoints the domain will need come before it changes; what it no
    // longer needs goes once it has changed. A domain still to make needs
    // none of them to exist: both are made at once (minutes each on AWS).
    let mut removals_left = false;
    let domain_id = if !applier.going() {
        domain_stage(env, &mut applier, &want, &facts, prior, &domain_group).await
    } else if text(prior, "domain_id").is_none() {
        let mut beside = applier.fork();
        let (endpoints, id) = tokio::join!(
            endpoint_order::add(env, &mut beside, &want, &facts, prior, &domain_group),
            domain_stage(env, &mut applier, &want, &facts, prior, &domain_group),
        );
        applier.join(beside);
        let (entries, group, left) = endpoints;
        set_endpoints(&mut state, (entries, group));
        removals_left = left;
        id
    } else {
        let (entries, group, left) =
            endpoint_order::add(env, &mut applier, &want, &facts, prior, &domain_group).await;
        set_endpoints(&mut state, (entries, group));
        removals_left = left;
        domain_stage(env, &mut applier, &want, &facts, prior, &domain_group).await
    };
    if let Some(id) = &domain_id {
        state.set_attribute("domain_id", Value::String(id.clone()));
        let arns = profiles_stage(env, &mut applier, &want, prior, id, &users).await;
        state.set_attribute("user_profile_arns", string_map_value(&arns));
    }
    if removals_left && applier.going() {
        let before = state.clone();
        let done =
            network::converge(env, &mut applier, &want, &facts, &before, &domain_group).await;
        set_endpoints(&mut state, done);
    }
    if applier.going() {
        remove_old_user_groups(env, &mut applier, prior, &users).await;
    }
    finish(env, state, applier.finish()).await
}

/// Ends an apply: `state` completed with what AWS reports, and `diags`.
async fn finish(env: &Env<'_>, state: Value, mut diags: Diagnostics) -> ApplyResult {
    let state = match observe(env, state.clone()).await {
        Ok(observed) => observed.state,
        Err(more) => {
            diags.extend(more);
            state
        }
    };
    ApplyResult {
        state: Some(state),
        diags,
    }
}

/// The tags of every object this instance makes.
fn object_tags(
    env: &Env<'_>,
    tags: &BTreeMap<String, String>,
    creating: bool,
) -> BTreeMap<String, String> {
    env.owner.tags(&BTreeMap::new(), tags, creating)
}

/// The domain's group: made (or adopted, or found) and given its rules.
async fn domain_group_stage(
    env: &Env<'_>,
    applier: &mut Applier<'_>,
    (want, facts, creating): (&Desired, &Facts, bool),
    groups: &GroupsByPart,
) -> Option<String> {
    let ec2 = &env.clients.ec2;
    let tags = object_tags(env, &want.tags, creating);
    let name = group_name(&env.owner, "domain");
    let rules = domain_rule_lines(&facts.vpc.cidr_blocks, Some(&facts.s3_prefix_list_id));
    let wanted = WantedGroup {
        vpc_id: &facts.vpc.id,
        name: &name,
        description: DOMAIN_GROUP_DESCRIPTION,
        tags: &tags,
        rules: &rules,
        ingress_only: false,
    };
    let (existing, unfinished) = split_found(env, groups.get("domain"));
    let summary = "Cannot set up the domain's security group";
    let label = "the domain's security group";
    let ensured = ensure_group(ec2, &wanted, existing, unfinished, &env.tagging);
    let id = applier.step(summary, label, ensured).await?;
    let synced = sync_group(ec2, &wanted, &id, existing, &env.tagging);
    applier.step(summary, label, synced).await;
    Some(id)
}

/// A found group as (this instance's own, what an unfinished create left).
fn split_found<'g>(
    env: &Env<'_>,
    group: Option<&'g SecurityGroup>,
) -> (Option<&'g SecurityGroup>, Option<&'g SecurityGroup>) {
    match group.map(|g| (g, env.owner.claim(&g.tags))) {
        Some((g, Claim::Mine)) => (Some(g), None),
        Some((g, Claim::Unfinished)) => (None, Some(g)),
        _ => (None, None),
    }
}

/// One group per user profile, each admitting only itself; returns
/// profile name → group id for those that exist.
async fn user_groups_stage<'a>(
    env: &'a Env<'_>,
    applier: &mut Applier<'a>,
    (want, facts, creating): (&'a Desired, &Facts, bool),
    groups: &'a GroupsByPart,
) -> BTreeMap<String, String> {
    let ec2 = &env.clients.ec2;
    let mut steps: Vec<Step<'_, (String, String)>> = Vec::new();
    for profile in &want.profiles {
        let part = user_group_part(&profile.name);
        let name = group_name(&env.owner, &part);
        let description = user_group_description(&profile.name);
        let (existing, unfinished) = split_found(env, groups.get(&part));
        let tags = object_tags(env, &want.profile_tags(profile), creating);
        let vpc_id = facts.vpc.id.clone();
        let profile_name = profile.name.clone();
        steps.push(Step::new(
            format!("the security group of user {}", profile.name),
            async move {
                let mut wanted = WantedGroup {
                    vpc_id: &vpc_id,
                    name: &name,
                    description: &description,
                    tags: &tags,
                    rules: &[],
                    ingress_only: false,
                };
                let id = ensure_group(ec2, &wanted, existing, unfinished, &env.tagging).await?;
                let rules = user_rule_lines(&id);
                wanted.rules = &rules;
                sync_group(ec2, &wanted, &id, existing, &env.tagging).await?;
                Ok::<_, StepError>((profile_name, id))
            },
        ));
    }
    let done = applier
        .stage(
            "Cannot set up a user's security group",
            CONCURRENT_CALLS,
            steps,
        )
        .await;
    let mut ids: BTreeMap<String, String> = done.into_iter().map(|(_, pair)| pair).collect();
    // A group made whose rules then failed is still this instance's.
    for profile in &want.profiles {
        if let Some(group) = groups.get(&user_group_part(&profile.name)) {
            ids.entry(profile.name.clone())
                .or_insert_with(|| group.id.clone());
        }
    }
    ids
}

/// The domain: made (or adopted) and waited for on create; brought in line
/// (subnets, network access, default role, its group, tags) on update.
async fn domain_stage(
    env: &Env<'_>,
    applier: &mut Applier<'_>,
    want: &Desired,
    facts: &Facts,
    prior: &Value,
    domain_group: &str,
) -> Option<String> {
    let sagemaker = &env.clients.sagemaker;
    let creating = prior.is_null();
    let groups = vec![domain_group.to_owned()];
    let (timeout, cancel) = (env.ctx.time_left(), &env.ctx.cancel);
    let summary = "Cannot create or update the Studio domain";
    let recorded = text(prior, "domain_id");
    // Made just now, as wanted: only waited for, not read back and compared.
    let mut made_now = false;
    let id = match recorded {
        Some(id) => id,
        None if !applier.going() => return None,
        None => {
            if let Some(id) = &facts.adoptable_domain {
                id.clone()
            } else {
                let tags = object_tags(env, &want.tags, creating);
                let new = NewDomain {
                    name: &want.name,
                    auth_mode: &want.auth_mode,
                    network_access: &want.network_access,
                    vpc_id: &facts.vpc.id,
                    subnet_ids: &want.subnet_ids,
                    execution_role: &want.execution_role,
                    security_groups: &groups,
                    kms_key_id: want.kms_key_id.as_deref(),
                    tags: &tags,
                };
                let created = studio::create_domain(sagemaker, &new);
                made_now = true;
                applier.step(summary, "the domain", created).await?
            }
        }
    };
    let work = async {
        studio::wait_domain(sagemaker, &id, Until::Updatable, timeout, cancel)
            .await
            .map_err(|e| StepError::unless_stopped(env.ctx, e))?;
        if made_now {
            return Ok(());
        }
        let Some(domain) = studio::find_domain(sagemaker, &id).await? else {
            return Err(StepError::Failed(format!(
                "SageMaker Domain {id} no longer exists: it was deleted outside Terraform. Run terraform apply \
                 again to make it anew."
            )));
        };
        // After a failed update, AWS's way out is to update again: every
        // setting is sent, changed or not.
        let again = domain.status == "Update_Failed";
        let mut update = DomainUpdate::default();
        let (now, then): (BTreeSet<&String>, BTreeSet<&String>) = (
            domain.subnet_ids.iter().collect(),
            want.subnet_ids.iter().collect(),
        );
        if again || now != then {
            update.subnet_ids = Some(want.subnet_ids.clone());
        }
        if again || domain.network_access != want.network_access {
            update.network_access = Some(want.network_access.clone());
        }
        if again || domain.execution_role != want.execution_role {
            update.execution_role = Some(want.execution_role.clone());
        }
        if again || domain.security_groups != groups {
            update.security_groups = Some(groups.clone());
        }
        if !update.is_empty() {
            studio::update_domain(sagemaker, &domain, &update).await?;
            studio::wait_domain(sagemaker, &id, Until::InService, timeout, cancel)
                .await
                .map_err(|e| StepError::unless_stopped(env.ctx, e))?;
        }
        let live = env.tagging.managed(&domain.tags);
        sync_tags(
            sagemaker,
            &domain.arn,
            &live,
            &object_tags(env, &want.tags, creating),
        )
        .await?;
        Ok::<_, StepError>(())
    };
    applier
        .step(summary, &format!("the domain {id}"), work)
        .await;
    Some(id)
}

/// The user profiles: removed ones deleted (their apps first), new ones
/// made, kept ones brought in line, each waited for; returns name → ARN.
async fn profiles_stage<'a>(
    env: &'a Env<'_>,
    applier: &mut Applier<'a>,
    want: &'a Desired,
    prior: &Value,
    domain_id: &'a str,
    users: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let sagemaker = &env.clients.sagemaker;
    let creating = prior.is_null();
    let mut arns = string_map(prior, "user_profile_arns");
    if !applier.going() {
        return arns;
    }
    let existing = match studio::list_user_profile_names(sagemaker, domain_id).await {
        Ok(names) => names,
        Err(e) => {
            applier.error("Cannot read the user profiles", e);
            return arns;
        }
    };
    let lower = |s: &str| s.to_ascii_lowercase();
    let wanted: BTreeSet<String> = want.profiles.iter().map(|p| lower(&p.name)).collect();
    let recorded: BTreeSet<String> = super::state::profiles(prior)
        .into_iter()
        .map(|p| lower(&p.name))
        .collect();
    // Whose each profile of the domain is: this instance's (recorded, or
    // tagged as its own: one whose removal failed before), or another's.
    let mut foreign = Vec::new();
    let mut removed = Vec::new();
    for name in &existing {
        if recorded.contains(&lower(name)) {
            if !wanted.contains(&lower(name)) {
                removed.push(name.clone());
            }
            continue;
        }
        let found = match studio::find_user_profile(sagemaker, domain_id, name).await {
            Ok(found) => found,
            Err(e) => {
                applier.error("Cannot read the user profiles", e);
                return arns;
            }
        };
        let Some(found) = found else { continue };
        match env.owner.claim(&found.tags) {
            Claim::Mine | Claim::Unfinished if !wanted.contains(&lower(name)) => {
                removed.push(name.clone())
            }
            Claim::Mine | Claim::Unfinished => {}
            claim if wanted.contains(&lower(name)) => foreign.push(describe_owner(name, &claim)),
            _ => {}
        }
    }
    if !foreign.is_empty() {
        applier.error(
            "User profiles of another owner",
            format!(
                "Domain {domain_id} already has user profiles this resource did not make: {}. This provider \
                 never takes over what another Terraform state (or a person) made. Give these profiles other \
                 names here, or remove them from where they are managed first.",
                foreign.join("; ")
            ),
        );
        return arns;
    }
    let mut steps: Vec<Step<'_, (String, Option<String>)>> = Vec::new();
    for name in removed {
        arns.remove(&name);
        steps.push(Step::new(
            format!("removing user profile {name}"),
            async move {
                remove_profile(env, domain_id, &name).await?;
                Ok((name, None))
            },
        ));
    }
    for profile in &want.profiles {
        let Some(group) = users.get(&profile.name) else {
            continue;
        };
        let exists = existing.iter().any(|n| lower(n) == lower(&profile.name));
        // Always the role it runs as, the domain's default spelt out: an
        // update without one would keep a role set by hand.
        let role = Some(want.role_of(profile));
        let tags = object_tags(env, &want.profile_tags(profile), creating);
        let groups = vec![group.clone()];
        steps.push(Step::new(
            format!("user profile {}", profile.name),
            async move {
                let name = profile.name.as_str();
                let found = if exists {
                    studio::find_user_profile(sagemaker, domain_id, name).await?
                } else {
                    None
                };
                let found = match found {
                    // A failed profile cannot be used or updated: AWS's way
                    // out is to delete it and create it again.
                    Some(p) if p.status == "Failed" => {
                        remove_profile(env, domain_id, name).await?;
                        None
                    }
                    other => other,
                };
                let arn = if let Some(found) = found {
                    let runs_as = found
                        .execution_role
                        .as_deref()
                        .or(Some(&want.execution_role));
                    // After a failed update, AWS's way out is to update again.
                    let again = found.status == "Update_Failed";
                    if again || runs_as != role || found.security_groups != groups {
                        wait_profile(env, domain_id, name, Until::Updatable).await?;
                        studio::update_user_profile(sagemaker, domain_id, name, (role, &groups))
                            .await?;
                    }
                    sync_tags(
                        sagemaker,
                        &found.arn,
                        &env.tagging.managed(&found.tags),
                        &tags,
                    )
                    .await?;
                    found.arn
                } else {
                    let made = studio::create_user_profile(
                        sagemaker,
                        domain_id,
                        name,
                        (role, &groups),
                        &tags,
                    );
                    made.await?
                };
                wait_profile(env, domain_id, name, Until::InService).await?;
                Ok((name.to_owned(), Some(arn)))
            },
        ));
    }
    let done = applier
        .stage(
            "Cannot create, update or delete a user profile",
            CONCURRENT_CALLS,
            steps,
        )
        .await;
    for (_, (name, arn)) in done {
        if let Some(arn) = arn {
            arns.insert(name, arn);
        }
    }
    arns
}

/// `name (whose)` for a profile another owner made.
pub fn describe_owner(name: &str, claim: &Claim) -> String {
    match claim {
        Claim::Other(owner) if !owner.is_empty() => format!("{name} (owner {owner})"),
        _ => format!("{name} (made outside this provider)"),
    }
}

/// Deletes the groups of profiles no longer configured.
async fn remove_old_user_groups<'a>(
    env: &'a Env<'_>,
    applier: &mut Applier<'a>,
    prior: &Value,
    users: &BTreeMap<String, String>,
) {
    let ec2 = &env.clients.ec2;
    let old = string_map(prior, "user_security_group_ids");
    let kept: BTreeSet<&String> = users.values().collect();
    let mut steps: Vec<Step<'_, ()>> = Vec::new();
    for (name, id) in old.into_iter().filter(|(_, id)| !kept.contains(id)) {
        steps.push(Step::new(
            format!("the security group of removed user {name}"),
            async move {
                delete_group(ec2, &id, env.ctx.time_left(), &env.ctx.cancel).await?;
                Ok(())
            },
        ));
    }
    applier
        .stage(
            "Cannot delete a removed user's security group",
            CONCURRENT_CALLS,
            steps,
        )
        .await;
}
