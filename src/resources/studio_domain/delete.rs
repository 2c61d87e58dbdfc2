//! Destroying `sagemaker_studio_domain` in the order AWS requires: apps,
//! spaces, user profiles (each waited), the domain with its retention
//! policy; with `Delete` then the two NFS groups SageMaker made (their
//! rules revoked first: they reference each other), so the subnets and the
//! VPC can go; with `Retain` a warning naming what stays. Then the
//! endpoints and groups this domain made. Every call is safe to repeat: a
//! destroy that fails half-way leaves the state as it was, and the next
//! one carries on.

use super::network;
use crate::aws::ec2::find::find_security_groups_by_name;
use crate::aws::ec2::groups::{delete_group, rule_lines, sync_rule_lines};
use crate::aws::ec2::wait::Schedule;
use crate::aws::ownership::Claim;
use crate::aws::studio::{self, App, Poll, Space, Until};
use crate::framework::Diagnostics;
use crate::resources::common::{string_map, text};
use crate::resources::composite::applier::StepError;
use crate::resources::composite::Env;
use crate::value::Value;

/// The names of the NFS groups SageMaker makes for domain `domain_id`.
pub fn nfs_group_names(domain_id: &str) -> [String; 2] {
    [
        format!("security-group-for-inbound-nfs-{domain_id}"),
        format!("security-group-for-outbound-nfs-{domain_id}"),
    ]
}

/// Deletes the apps of the domain — of `profile` and its private spaces
/// only, when given — and waits until none blocks: a `Pending` app is
/// waited for until it can be deleted; a `Failed` one blocks nothing.
pub async fn delete_apps(
    env: &Env<'_>,
    domain_id: &str,
    profile: Option<(&str, &[String])>,
) -> Result<(), StepError> {
    let sagemaker = &env.clients.sagemaker;
    let mine = |app: &App| {
        profile.is_none_or(|(name, spaces)| {
            let of_profile = app
                .user_profile
                .as_deref()
                .is_some_and(|u| u.eq_ignore_ascii_case(name));
            of_profile || app.space.as_ref().is_some_and(|s| spaces.contains(s))
        })
    };
    let what = match profile {
        Some((p, _)) => format!(
            "the apps of user profile {p} and of its private spaces in SageMaker Domain {domain_id} to be \
             deleted"
        ),
        None => format!("the apps of SageMaker Domain {domain_id} to be deleted"),
    };
    let poll = || async {
        let apps = studio::list_apps(sagemaker, domain_id).await?;
        let blocking: Vec<&App> = apps.iter().filter(|a| mine(a) && a.blocks()).collect();
        if blocking.is_empty() {
            return Ok(Poll::Done);
        }
        for app in blocking.iter().filter(|a| a.status == "InService") {
            studio::delete_app(sagemaker, domain_id, app).await?;
        }
        let names: Vec<String> = blocking.iter().map(|a| a.describe()).collect();
        Ok(Poll::Pending(names.join(", ")))
    };
    wait_parts(env, &what, poll).await
}

/// Polls `poll` until the apps, spaces or profiles it watches have
/// settled, on their schedule, within the apply's time and until a stop.
async fn wait_parts<F, Fut>(env: &Env<'_>, what: &str, poll: F) -> Result<(), StepError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Poll, String>>,
{
    let schedule = Schedule::settling(studio::PART_READY);
    studio::wait_for(
        what,
        poll,
        (&schedule, env.ctx.time_left()),
        &env.ctx.cancel,
    )
    .await
    .map_err(|e| StepError::unless_stopped(env.ctx, e))
}

/// The names of the private spaces of profile `profile` (AWS compares
/// profile names without case) among `spaces`.
pub fn private_spaces_of(spaces: &[Space], profile: &str) -> Vec<String> {
    spaces
        .iter()
        .filter(|s| {
            s.owner
                .as_deref()
                .is_some_and(|o| o.eq_ignore_ascii_case(profile))
        })
        .map(|s| s.name.clone())
        .collect()
}

/// Deletes the spaces named `names` (every space of the domain when
/// `None`; their apps must be gone) and waits until none of them is left.
async fn delete_spaces(
    env: &Env<'_>,
    domain_id: &str,
    names: Option<&[String]>,
) -> Result<(), StepError> {
    let sagemaker = &env.clients.sagemaker;
    let what = format!("the spaces of SageMaker Domain {domain_id} to be deleted");
    let chosen = |spaces: Vec<Space>| -> Vec<String> {
        spaces
            .into_iter()
            .map(|s| s.name)
            .filter(|n| names.is_none_or(|names| names.contains(n)))
            .collect()
    };
    for name in chosen(studio::list_spaces(sagemaker, domain_id).await?) {
        studio::delete_space(sagemaker, domain_id, &name).await?;
    }
    let poll = || async {
        let left = chosen(studio::list_spaces(sagemaker, domain_id).await?);
        Ok(if left.is_empty() {
            Poll::Done
        } else {
            Poll::Pending(left.join(", "))
        })
    };
    wait_parts(env, &what, poll).await
}

/// Deletes the user profile `name` as AWS requires: its apps and its
/// private spaces (with their apps) first, then the profile, waited until
/// gone. The developer guide ("Remove user profiles"): "All apps launched
/// by a user profile and all spaces owned by the user profile must be
/// deleted to delete the user profile."
pub async fn remove_profile(env: &Env<'_>, domain_id: &str, name: &str) -> Result<(), StepError> {
    let sagemaker = &env.clients.sagemaker;
    let spaces = private_spaces_of(&studio::list_spaces(sagemaker, domain_id).await?, name);
    delete_apps(env, domain_id, Some((name, &spaces))).await?;
    if !spaces.is_empty() {
        delete_spaces(env, domain_id, Some(&spaces)).await?;
    }
    studio::delete_user_profile(sagemaker, domain_id, name).await?;
    wait_profile(env, domain_id, name, Until::Gone).await
}

/// Waits until profile `name` is where `until` says, within the time the
/// operation has left; Ctrl-C and the timeout stop it.
pub async fn wait_profile(
    env: &Env<'_>,
    domain_id: &str,
    name: &str,
    until: Until,
) -> Result<(), StepError> {
    let (timeout, cancel) = (env.ctx.time_left(), &env.ctx.cancel);
    studio::wait_user_profile(
        &env.clients.sagemaker,
        domain_id,
        name,
        until,
        timeout,
        cancel,
    )
    .await
    .map_err(|e| StepError::unless_stopped(env.ctx, e))
}

/// Refuses, before anything is deleted, a domain holding user profiles
/// that neither the state records nor carry this instance's tag: another
/// state (or a person) made them, and this provider never deletes those.
async fn refuse_foreign_profiles(
    env: &Env<'_>,
    domain_id: &str,
    prior: &Value,
) -> Result<(), StepError> {
    let sagemaker = &env.clients.sagemaker;
    let recorded: Vec<String> = super::state::profiles(prior)
        .into_iter()
        .map(|p| p.name.to_ascii_lowercase())
        .collect();
    let mut foreign = Vec::new();
    for name in studio::list_user_profile_names(sagemaker, domain_id).await? {
        if recorded.contains(&name.to_ascii_lowercase()) {
            continue;
        }
        let Some(found) = studio::find_user_profile(sagemaker, domain_id, &name).await? else {
            continue;
        };
        let claim = env.owner.claim(&found.tags);
        if !matches!(claim, Claim::Mine | Claim::Unfinished) {
            foreign.push(super::apply::describe_owner(&name, &claim));
        }
    }
    if foreign.is_empty() {
        return Ok(());
    }
    Err(StepError::Failed(format!(
        "Domain {domain_id} holds user profiles this resource did not make: {}. Nothing was deleted: this \
         provider never deletes what another Terraform state (or a person) made, and AWS deletes no domain \
         that has profiles. Delete those profiles where they are managed, then run terraform destroy again",
        foreign.join("; ")
    )))
}

/// Waits until the domain is no longer `Pending` or `Updating` (an
/// interrupted create or update); `Failed` is fine: it can be deleted.
async fn settle_domain(env: &Env<'_>, domain_id: &str) -> Result<(), StepError> {
    let sagemaker = &env.clients.sagemaker;
    let what = format!("SageMaker Domain {domain_id} to settle before it is deleted");
    let poll = || async {
        let status = studio::find_domain_status(sagemaker, domain_id)
            .await?
            .map(|(status, _)| status)
            .unwrap_or_default();
        Ok(match status.as_str() {
            "Pending" | "Updating" => Poll::Pending(status),
            _ => Poll::Done,
        })
    };
    let schedule = Schedule::settling(studio::DOMAIN_READY);
    studio::wait_for(
        &what,
        poll,
        (&schedule, env.ctx.time_left()),
        &env.ctx.cancel,
    )
    .await
    .map_err(|e| StepError::unless_stopped(env.ctx, e))
}

/// Deletes every user profile of the domain (apps and spaces are gone by
/// then), waiting for each.
async fn delete_profiles(env: &Env<'_>, domain_id: &str) -> Result<(), StepError> {
    let sagemaker = &env.clients.sagemaker;
    let names = studio::list_user_profile_names(sagemaker, domain_id).await?;
    let (timeout, cancel) = (env.ctx.time_left(), &env.ctx.cancel);
    let deletes = names.iter().map(|name| async move {
        // One still being made cannot be deleted yet; a failed one can.
        let settled = studio::wait_user_profile(
            sagemaker,
            domain_id,
            name,
            Until::InService,
            timeout,
            cancel,
        )
        .await;
        if cancel.is_cancelled() {
            settled?;
        }
        studio::delete_user_profile(sagemaker, domain_id, name).await?;
        studio::wait_user_profile(sagemaker, domain_id, name, Until::Gone, timeout, cancel).await
    });
    for result in futures::future::join_all(deletes).await {
        result.map_err(|e| StepError::unless_stopped(env.ctx, e))?;
    }
    Ok(())
}

/// Deletes the NFS groups SageMaker made for the domain: both emptied
/// first (each references the other), then deleted, retrying while the
/// home EFS's mount targets drain.
async fn delete_nfs_groups(env: &Env<'_>, vpc_id: &str, domain_id: &str) -> Result<(), StepError> {
    let ec2 = &env.clients.ec2;
    let groups = find_security_groups_by_name(ec2, vpc_id, &nfs_group_names(domain_id))
        .await
        .map_err(|e| StepError::Failed(e.to_string()))?;
    for group in &groups {
        sync_rule_lines(ec2, &group.id, &rule_lines(group), &[]).await?;
    }
    for group in &groups {
        delete_group(ec2, &group.id, env.ctx.time_left(), &env.ctx.cancel)
            .await
            .map_err(|e| StepError::unless_stopped(env.ctx, e))?;
    }
    Ok(())
}

/// Deletes what `prior` owns.
pub async fn delete(env: &Env<'_>, prior: &Value) -> Diagnostics {
    match delete_all(env, prior).await {
        Ok(diags) => diags,
        Err(StepError::Stopped) => Diagnostics::from_error(
            "Stopped before the destroy finished",
            "The destroy was stopped (Ctrl-C or its timeout). Nothing is lost: the state still records the \
             domain, and terraform destroy carries on from where this one stopped.",
        ),
        Err(StepError::Failed(detail)) => Diagnostics::from_error(
            "Cannot destroy the Studio domain",
            format!("{detail}. The state still records the domain; terraform destroy carries on from here."),
        ),
    }
}

async fn delete_all(env: &Env<'_>, prior: &Value) -> Result<Diagnostics, StepError> {
    let sagemaker = &env.clients.sagemaker;
    let mut diags = Diagnostics::new();
    let vpc_id = text(prior, "vpc_id").unwrap_or_default();
    let retention = text(prior, "home_efs_retention").unwrap_or_else(|| "Retain".into());
    if let Some(domain_id) = text(prior, "domain_id").filter(|id| !id.is_empty()) {
        let domain = studio::find_domain(sagemaker, &domain_id).await?;
        if let Some(domain) = domain {
            refuse_foreign_profiles(env, &domain_id, prior).await?;
            // A domain still being made or changed cannot be deleted yet.
            settle_domain(env, &domain_id).await?;
            delete_apps(env, &domain_id, None).await?;
            delete_spaces(env, &domain_id, None).await?;
            delete_profiles(env, &domain_id).await?;
            studio::delete_domain(sagemaker, &domain_id, &retention).await?;
            studio::wait_domain(
                sagemaker,
                &domain_id,
                Until::Gone,
                env.ctx.time_left(),
                &env.ctx.cancel,
            )
            .await
            .map_err(|e| StepError::unless_stopped(env.ctx, e))?;
            if retention == "Delete" {
                delete_nfs_groups(env, &vpc_id, &domain_id).await?;
            } else {
                diags.warning(
                    "The home EFS was kept",
                    format!(
                        "home_efs_retention is \"Retain\", so SageMaker kept the users' home EFS {} with its \
                         mount targets, and the NFS security groups {} stay in {vpc_id}. The subnets and the VPC \
                         cannot be deleted until they are gone: back up what you need, then delete the EFS \
                         (aws efs delete-mount-target, delete-file-system) and the two groups — or set \
                         home_efs_retention = \"Delete\" before destroying next time.",
                        domain.home_efs_file_system_id.as_deref().unwrap_or("(none reported)"),
                        nfs_group_names(&domain_id).join(" and "),
                    ),
                );
            }
        }
    }
    let endpoints = network::delete(env, prior).await;
    if endpoints.has_errors() {
        diags.extend(endpoints);
        return Ok(diags);
    }
    let ec2 = &env.clients.ec2;
    let mut groups: Vec<String> = string_map(prior, "user_security_group_ids")
        .into_values()
        .collect();
    groups.extend(text(prior, "security_group_id").filter(|id| !id.is_empty()));
    for group in groups {
        delete_group(ec2, &group, env.ctx.time_left(), &env.ctx.cancel)
            .await
            .map_err(|e| StepError::unless_stopped(env.ctx, e))?;
    }
    Ok(diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_owns_its_private_spaces_whatever_the_case_of_its_name() {
        let space = |name: &str, owner: Option<&str>| Space {
            name: name.to_owned(),
            owner: owner.map(str::to_owned),
        };
        let spaces = [
            space("bob-notebooks", Some("Bob")),
            space("team", None),
            space("alice-lab", Some("alice")),
            space("bob-2", Some("bob")),
        ];
        assert_eq!(
            private_spaces_of(&spaces, "bob"),
            ["bob-notebooks", "bob-2"]
        );
        assert!(private_spaces_of(&spaces, "carol").is_empty());
    }
}
