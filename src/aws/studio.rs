//! SageMaker Studio: domains, user profiles, spaces and apps — find, make,
//! change, delete and wait for each. Not found is `Ok(None)` (or success
//! for a delete) whichever way SageMaker says it (`ResourceNotFound`, or a
//! `ValidationException` "… not found" / "RecordNotFound"); callers never
//! match messages themselves.

use crate::aws::describe_error;
use crate::aws::ec2::wait::{format_duration, Schedule};
use crate::aws::ownership::OWNER_KEY;
use crate::aws::sagemaker::{is_not_found, list_tags_if_exists, to_sdk};
use aws_sdk_sagemaker::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sagemaker::types::{
    AppNetworkAccessType, AppType, AuthMode, RetentionPolicy, RetentionType, UserSettings,
};
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// A domain as DescribeDomain (and ListTags) report it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Domain {
    pub id: String,
    pub arn: String,
    pub name: String,
    /// `Pending`, `InService`, `Updating`, `Deleting`, `Failed`, …
    pub status: String,
    pub failure_reason: Option<String>,
    pub auth_mode: String,
    pub network_access: String,
    pub vpc_id: String,
    pub subnet_ids: Vec<String>,
    pub url: String,
    pub home_efs_file_system_id: Option<String>,
    pub kms_key_id: Option<String>,
    /// `DefaultUserSettings.ExecutionRole`.
    pub execution_role: String,
    /// `DefaultUserSettings.SecurityGroups`.
    pub security_groups: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

/// A user profile as DescribeUserProfile (and ListTags) report it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserProfile {
    pub name: String,
    pub arn: String,
    pub status: String,
    pub failure_reason: Option<String>,
    /// `UserSettings.ExecutionRole` (none: the domain's default).
    pub execution_role: Option<String>,
    /// `UserSettings.SecurityGroups`.
    pub security_groups: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

/// An app or a space of a domain: what must go before its profile or the
/// domain can be deleted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct App {
    pub app_type: String,
    pub name: String,
    pub user_profile: Option<String>,
    pub space: Option<String>,
    pub status: String,
}

impl App {
    /// True while the app blocks deleting its owner (DeleteUserProfile,
    /// DeleteSpace): every status but `Deleted` and `Failed`.
    pub fn blocks(&self) -> bool {
        !matches!(self.status.as_str(), "Deleted" | "Failed")
    }

    /// `JupyterServer default (profile alice)`, for messages.
    pub fn describe(&self) -> String {
        let owner = match (&self.user_profile, &self.space) {
            (Some(profile), _) => format!("profile {profile}"),
            (None, Some(space)) => format!("space {space}"),
            (None, None) => "no owner".to_owned(),
        };
        format!("{} {} ({owner}, {})", self.app_type, self.name, self.status)
    }
}

/// A space of a domain, as ListSpaces reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Space {
    pub name: String,
    /// `OwnershipSettings.OwnerUserProfileName`: the profile a private
    /// space belongs to (none for a shared space of the domain).
    pub owner: Option<String>,
}

/// What a wait waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Until {
    /// `InService`.
    InService,
    /// `InService`, or `Update_Failed`: usable, and AWS's way out of a
    /// failed update is to update again ("Call the UpdateDomain API after
    /// fixing the error mentioned in FailureReason", developer guide,
    /// "Amazon SageMaker AI domain entities and statuses").
    Updatable,
    /// No longer there.
    Gone,
}

/// What a new domain is made of.
pub struct NewDomain<'a> {
    pub name: &'a str,
    pub auth_mode: &'a str,
    pub network_access: &'a str,
    pub vpc_id: &'a str,
    pub subnet_ids: &'a [String],
    pub execution_role: &'a str,
    pub security_groups: &'a [String],
    pub kms_key_id: Option<&'a str>,
    pub tags: &'a BTreeMap<String, String>,
}

/// A change to a domain (UpdateDomain): `None` keeps what it has.
#[derive(Default)]
pub struct DomainUpdate {
    pub subnet_ids: Option<Vec<String>>,
    pub network_access: Option<String>,
    pub execution_role: Option<String>,
    pub security_groups: Option<Vec<String>>,
}

impl DomainUpdate {
    /// True when nothing changes.
    pub fn is_empty(&self) -> bool {
        self.subnet_ids.is_none()
            && self.network_access.is_none()
            && self.execution_role.is_none()
            && self.security_groups.is_none()
    }
}

/// The id of the domain `arn` (`arn:…:domain/d-…` → `d-…`).
pub fn domain_id_of(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

fn user_settings(execution_role: Option<&str>, security_groups: &[String]) -> UserSettings {
    UserSettings::builder()
        .set_execution_role(execution_role.map(str::to_owned))
        .set_security_groups(Some(security_groups.to_vec()))
        .build()
}

/// Every item of a List… call filtered by domain (`DomainIdEquals`), 100 a
/// page, or the error of listing the `what` (`apps`, …) of the domain. A
/// macro: each call's builder and paginator are types of their own.
macro_rules! list_by_domain {
    ($builder:expr, $domain_id:expr, $what:expr) => {
        $builder
            .domain_id_equals($domain_id)
            .max_results(100)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(listing_error($what, $domain_id))
    };
}

/// The domain `id` with its tags; `None` when there is no such domain (or
/// it is gone from a `Deleting`).
pub async fn find_domain(
    sagemaker: &aws_sdk_sagemaker::Client,
    id: &str,
) -> Result<Option<Domain>, String> {
    let action = format!("describing SageMaker Domain ({id})");
    let Some(d) = found(
        &action,
        sagemaker.describe_domain().domain_id(id).send().await,
    )?
    else {
        return Ok(None);
    };
    let arn = d.domain_arn().unwrap_or_default().to_owned();
    let settings = d.default_user_settings();
    let Some(tags) = list_tags_if_exists(sagemaker, &arn, "SageMaker Domain").await? else {
        return Ok(None);
    };
    Ok(Some(Domain {
        id: d.domain_id().unwrap_or(id).to_owned(),
        name: d.domain_name().unwrap_or_default().to_owned(),
        status: d
            .status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        failure_reason: d.failure_reason().map(str::to_owned),
        auth_mode: d
            .auth_mode()
            .map(|m| m.as_str().to_owned())
            .unwrap_or_default(),
        network_access: d
            .app_network_access_type()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_else(|| "PublicInternetOnly".to_owned()),
        vpc_id: d.vpc_id().unwrap_or_default().to_owned(),
        subnet_ids: d.subnet_ids().to_vec(),
        url: d.url().unwrap_or_default().to_owned(),
        home_efs_file_system_id: d.home_efs_file_system_id().map(str::to_owned),
        kms_key_id: d.kms_key_id().map(str::to_owned),
        execution_role: settings
            .and_then(|s| s.execution_role())
            .unwrap_or_default()
            .to_owned(),
        security_groups: settings
            .map(|s| s.security_groups().to_vec())
            .unwrap_or_default(),
        arn,
        tags,
    }))
}

/// The id of the domain named `name` in the Region, if one exists
/// (ListDomains: one call per 100 domains).
pub async fn find_domain_id_by_name(
    sagemaker: &aws_sdk_sagemaker::Client,
    name: &str,
) -> Result<Option<String>, String> {
    let domains: Vec<_> = sagemaker
        .list_domains()
        .max_results(100)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| describe_error("listing SageMaker Domains", &e))?;
    Ok(domains
        .iter()
        .find(|d| {
            d.domain_name() == Some(name) && d.status().map(|s| s.as_str()) != Some("Deleting")
        })
        .and_then(|d| d.domain_id().map(str::to_owned)))
}

/// Creates the domain; returns its id.
pub async fn create_domain(
    sagemaker: &aws_sdk_sagemaker::Client,
    new: &NewDomain<'_>,
) -> Result<String, String> {
    let created = sagemaker
        .create_domain()
        .domain_name(new.name)
        .auth_mode(AuthMode::from(new.auth_mode))
        .app_network_access_type(AppNetworkAccessType::from(new.network_access))
        .vpc_id(new.vpc_id)
        .set_subnet_ids(Some(new.subnet_ids.to_vec()))
        .default_user_settings(user_settings(Some(new.execution_role), new.security_groups))
        .set_kms_key_id(new.kms_key_id.map(str::to_owned))
        .set_tags(Some(to_sdk(new.tags)))
        .send()
        .await;
    let (error, in_use) = match created {
        Ok(created) => return Ok(domain_id_of(created.domain_arn().unwrap_or_default()).to_owned()),
        Err(e) => (
            describe_error(&format!("creating SageMaker Domain ({})", new.name), &e),
            is_in_use(&e),
        ),
    };
    // A retried CreateDomain whose first answer was lost finds the domain
    // made: the one with this owner's tag is the one asked for.
    if in_use {
        if let Some(id) = find_domain_id_by_name(sagemaker, new.name).await? {
            let found = find_domain(sagemaker, &id).await?;
            if found.is_some_and(|d| d.tags.get(OWNER_KEY) == new.tags.get(OWNER_KEY)) {
                return Ok(id);
            }
        }
    }
    Err(error)
}

/// Changes the domain `id`. A request that sets `VpcOnly` carries the VPC
/// and the subnets too: AWS refuses it otherwise, even when the type does
/// not change (terraform-provider-aws #45528).
pub async fn update_domain(
    sagemaker: &aws_sdk_sagemaker::Client,
    domain: &Domain,
    update: &DomainUpdate,
) -> Result<(), String> {
    let access = update.network_access.as_deref();
    let vpc_only = access == Some("VpcOnly");
    let subnets = update
        .subnet_ids
        .clone()
        .or_else(|| vpc_only.then(|| domain.subnet_ids.clone()));
    let settings =
        (update.execution_role.is_some() || update.security_groups.is_some()).then(|| {
            let groups = update
                .security_groups
                .as_deref()
                .unwrap_or(&domain.security_groups);
            let role = update
                .execution_role
                .as_deref()
                .unwrap_or(&domain.execution_role);
            user_settings(Some(role), groups)
        });
    let updated = sagemaker
        .update_domain()
        .domain_id(&domain.id)
        .set_subnet_ids(subnets)
        .set_app_network_access_type(access.map(AppNetworkAccessType::from))
        .set_vpc_id(vpc_only.then(|| domain.vpc_id.clone()))
        .set_default_user_settings(settings)
        .send()
        .await;
    let action = format!("updating SageMaker Domain ({})", domain.id);
    carried_out(&action, updated, false, || async {
        let now = find_domain_status(sagemaker, &domain.id).await?;
        Ok(now.is_some_and(|(status, _)| status == "Updating"))
    })
    .await
}

/// Deletes the domain `id`, keeping or deleting its home EFS
/// (`retention`: `Retain` or `Delete`); a domain already gone is fine.
pub async fn delete_domain(
    sagemaker: &aws_sdk_sagemaker::Client,
    id: &str,
    retention: &str,
) -> Result<(), String> {
    let policy = RetentionPolicy::builder()
        .home_efs_file_system(RetentionType::from(retention))
        .build();
    let deleted = sagemaker
        .delete_domain()
        .domain_id(id)
        .retention_policy(policy)
        .send()
        .await;
    let action = format!("deleting SageMaker Domain ({id})");
    carried_out(&action, deleted, true, || async {
        let now = find_domain_status(sagemaker, id).await?;
        Ok(now.is_none_or(|(status, _)| status == "Deleting"))
    })
    .await
}

/// The names of the domain's user profiles, deleted ones aside.
pub async fn list_user_profile_names(
    sagemaker: &aws_sdk_sagemaker::Client,
    domain_id: &str,
) -> Result<Vec<String>, String> {
    let profiles: Vec<_> =
        list_by_domain!(sagemaker.list_user_profiles(), domain_id, "user profiles")?;
    Ok(profiles
        .iter()
        .filter_map(|p| p.user_profile_name().map(str::to_owned))
        .collect())
}

/// The user profile `name` of the domain with its tags; `None` when there
/// is no such profile.
pub async fn find_user_profile(
    sagemaker: &aws_sdk_sagemaker::Client,
    domain_id: &str,
    name: &str,
) -> Result<Option<UserProfile>, String> {
    let action = format!("describing SageMaker User Profile ({domain_id}/{name})");
    let described = sagemaker
        .describe_user_profile()
        .domain_id(domain_id)
        .user_profile_name(name)
        .send()
        .await;
    let Some(p) = found(&action, described)? else {
        return Ok(None);
    };
    let arn = p.user_profile_arn().unwrap_or_default().to_owned();
    let settings = p.user_settings();
    let Some(tags) = list_tags_if_exists(sagemaker, &arn, "SageMaker User Profile").await? else {
        return Ok(None);
    };
    Ok(Some(UserProfile {
        name: p.user_profile_name().unwrap_or(name).to_owned(),
        status: p
            .status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        failure_reason: p.failure_reason().map(str::to_owned),
        execution_role: settings.and_then(|s| s.execution_role()).map(str::to_owned),
        security_groups: settings
            .map(|s| s.security_groups().to_vec())
            .unwrap_or_default(),
        arn,
        tags,
    }))
}

/// Creates the user profile `name` in the domain; returns its ARN.
pub async fn create_user_profile(
    sagemaker: &aws_sdk_sagemaker::Client,
    domain_id: &str,
    name: &str,
    (execution_role, security_groups): (Option<&str>, &[String]),
    tags: &BTreeMap<String, String>,
) -> Result<String, String> {
    let created = sagemaker
        .create_user_profile()
        .domain_id(domain_id)
        .user_profile_name(name)
        .user_settings(user_settings(execution_role, security_groups))
        .set_tags(Some(to_sdk(tags)))
        .send()
        .await;
    let (error, in_use) = match created {
        Ok(created) => return Ok(created.user_profile_arn().unwrap_or_default().to_owned()),
        Err(e) => (
            describe_error(
                &format!("creating SageMaker User Profile ({domain_id}/{name})"),
                &e,
            ),
            is_in_use(&e),
        ),
    };
    // A retried create whose first answer was lost: the profile with this
    // owner's tag is the one asked for.
    if in_use {
        let found = find_user_profile(sagemaker, domain_id, name).await?;
        if let Some(profile) = found.filter(|p| p.tags.get(OWNER_KEY) == tags.get(OWNER_KEY)) {
            return Ok(profile.arn);
        }
    }
    Err(error)
}

/// Sets the execution role and security groups of the user profile.
pub async fn update_user_profile(
    sagemaker: &aws_sdk_sagemaker::Client,
    domain_id: &str,
    name: &str,
    (execution_role, security_groups): (Option<&str>, &[String]),
) -> Result<(), String> {
    let updated = sagemaker
        .update_user_profile()
        .domain_id(domain_id)
        .user_profile_name(name)
        .user_settings(user_settings(execution_role, security_groups))
        .send()
        .await;
    let action = format!("updating SageMaker User Profile ({domain_id}/{name})");
    carried_out(&action, updated, false, || async {
        let now = find_user_profile(sagemaker, domain_id, name).await?;
        Ok(now.is_some_and(|p| p.status == "Updating"))
    })
    .await
}

/// Deletes the user profile; one already gone is fine.
pub async fn delete_user_profile(
    sagemaker: &aws_sdk_sagemaker::Client,
    domain_id: &str,
    name: &str,
) -> Result<(), String> {
    let deleted = sagemaker
        .delete_user_profile()
        .domain_id(domain_id)
        .user_profile_name(name)
        .send()
        .await;
    let action = format!("deleting SageMaker User Profile ({domain_id}/{name})");
    carried_out(&action, deleted, true, || async {
        let now = find_user_profile(sagemaker, domain_id, name).await?;
        Ok(now.is_none_or(|p| p.status == "Deleting"))
    })
    .await
}

/// Every app of the domain (ListApps), deleted ones included.
pub async fn list_apps(
    sagemaker: &aws_sdk_sagemaker::Client,
    domain_id: &str,
) -> Result<Vec<App>, String> {
    let apps: Vec<_> = list_by_domain!(sagemaker.list_apps(), domain_id, "apps")?;
    Ok(apps
        .iter()
        .map(|a| App {
            app_type: a
                .app_type()
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
            name: a.app_name().unwrap_or_default().to_owned(),
            user_profile: a.user_profile_name().map(str::to_owned),
            space: a.space_name().map(str::to_owned),
            status: a
                .status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
        })
        .collect())
}

/// Deletes the app (only an `InService` one can be); one already gone is
/// fine.
pub async fn delete_app(
    sagemaker: &aws_sdk_sagemaker::Client,
    domain_id: &str,
    app: &App,
) -> Result<(), String> {
    let deleted = sagemaker
        .delete_app()
        .domain_id(domain_id)
        .app_type(AppType::from(app.app_type.as_str()))
        .app_name(&app.name)
        .set_user_profile_name(app.user_profile.clone())
        .set_space_name(app.space.clone())
        .send()
        .await;
    let action = format!("deleting SageMaker App ({domain_id}/{})", app.describe());
    carried_out(&action, deleted, true, || async {
        let now = list_apps(sagemaker, domain_id).await?;
        let same = |a: &&App| {
            a.app_type == app.app_type
                && a.name == app.name
                && a.user_profile == app.user_profile
                && a.space == app.space
        };
        Ok(now
            .iter()
            .find(same)
            .is_none_or(|a| a.status != "InService"))
    })
    .await
}

/// The domain's spaces, each with the profile that owns it if private.
pub async fn list_spaces(
    sagemaker: &aws_sdk_sagemaker::Client,
    domain_id: &str,
) -> Result<Vec<Space>, String> {
    let spaces: Vec<_> = list_by_domain!(sagemaker.list_spaces(), domain_id, "spaces")?;
    Ok(spaces
        .iter()
        .filter_map(|s| {
            Some(Space {
                name: s.space_name()?.to_owned(),
                owner: s
                    .ownership_settings_summary()
                    .and_then(|o| o.owner_user_profile_name())
                    .map(str::to_owned),
            })
        })
        .collect())
}

/// Deletes the space; one already gone is fine.
pub async fn delete_space(
    sagemaker: &aws_sdk_sagemaker::Client,
    domain_id: &str,
    name: &str,
) -> Result<(), String> {
    let deleted = sagemaker
        .delete_space()
        .domain_id(domain_id)
        .space_name(name)
        .send()
        .await;
    let action = format!("deleting SageMaker Space ({domain_id}/{name})");
    carried_out(&action, deleted, true, || async { Ok(false) }).await
}

/// The answer of a describe call; `None` when SageMaker says there is no
/// such object (whichever way it says it: [`is_not_found`]).
fn found<O, E>(action: &str, sent: Result<O, SdkError<E>>) -> Result<Option<O>, String>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match sent {
        Ok(answer) => Ok(Some(answer)),
        Err(e) if e.as_service_error().is_some_and(is_not_found) => Ok(None),
        Err(e) => Err(describe_error(action, &e)),
    }
}

/// The outcome of a change that SageMaker may have made although its
/// answer was an error (a retry whose first answer was lost): done when it
/// went through, when (with `gone_is_done`, for deletes) SageMaker says
/// there is no such object, or when `under_way` finds the change under
/// way; else the error.
async fn carried_out<O, E, Fut>(
    action: &str,
    sent: Result<O, SdkError<E>>,
    gone_is_done: bool,
    under_way: impl FnOnce() -> Fut,
) -> Result<(), String>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    Fut: Future<Output = Result<bool, String>>,
{
    let Err(e) = sent else {
        return Ok(());
    };
    if gone_is_done && e.as_service_error().is_some_and(is_not_found) {
        return Ok(());
    }
    let error = describe_error(action, &e);
    if under_way().await? {
        Ok(())
    } else {
        Err(error)
    }
}

/// The error of listing the `what` (`apps`, …) of domain `domain_id`.
fn listing_error<'a, E>(what: &'a str, domain_id: &'a str) -> impl Fn(SdkError<E>) -> String + 'a
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    move |e| {
        let action = format!("listing the {what} of SageMaker Domain ({domain_id})");
        describe_error(&action, &e)
    }
}

/// True for SageMaker's answer to a create whose name is taken:
/// `ResourceInUse` (by its code, never its message).
fn is_in_use<E: ProvideErrorMetadata>(error: &SdkError<E>) -> bool {
    error
        .as_service_error()
        .and_then(ProvideErrorMetadata::code)
        == Some("ResourceInUse")
}

/// What one poll of a waited-for object found.
pub enum Poll {
    /// At the target.
    Done,
    /// Still on its way, in this status.
    Pending(String),
    /// In a status it cannot leave towards the target, with the reason.
    Failed(String),
}

// How long Studio objects typically take at least, for the waits'
// [`Schedule::settling`]: sparse polls until then, then every
// [`crate::aws::ec2::wait::LATE_PAUSE`] at most, so whatever takes longer is
// noticed within 2 s.

/// Typical least time of a domain create or update.
pub const DOMAIN_READY: Duration = Duration::from_secs(60);
/// Typical least time of a domain deletion.
pub const DOMAIN_GONE: Duration = Duration::from_secs(30);
/// Typical least time of a profile, space or app change.
pub const PART_READY: Duration = Duration::from_secs(10);

/// Polls `poll` until it reports [`Poll::Done`], within `timeout` and until
/// `cancel`; `what` names the object and target in errors ("SageMaker
/// Domain d-… to be InService").
pub async fn wait_for<F, Fut>(
    what: &str,
    mut poll: F,
    (schedule, timeout): (&Schedule, Duration),
    cancel: &CancellationToken,
) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll, String>>,
{
    let started = Instant::now();
    let deadline = started + timeout;
    let mut last = String::from("not yet read");
    for attempt in 0.. {
        match poll().await? {
            Poll::Done => return Ok(()),
            Poll::Failed(reason) => return Err(format!("waiting for {what}: {reason}")),
            Poll::Pending(status) => last = status,
        }
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        let pause = schedule.pause(now - started, attempt).min(deadline - now);
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = cancel.cancelled() => {
                return Err(format!("stopped waiting for {what}: the operation was cancelled (status {last})"));
            }
        }
    }
    Err(format!(
        "waiting for {what}: still {last} after {}. Raise timeouts, or look at the object in the SageMaker console.",
        format_duration(timeout)
    ))
}

/// Waits until the domain is where `until` says; `Failed` (and, unless
/// `until` accepts it, `Update_Failed`) is an error with AWS's reason.
pub async fn wait_domain(
    sagemaker: &aws_sdk_sagemaker::Client,
    id: &str,
    until: Until,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Result<(), String> {
    let what = format!("SageMaker Domain {id} to {}", until.describe());
    let poll = || async {
        Ok(match find_domain_status(sagemaker, id).await? {
            Some((status, reason)) => status_poll(&status, reason, until),
            None => gone_poll(until),
        })
    };
    let ready = if until == Until::Gone {
        DOMAIN_GONE
    } else {
        DOMAIN_READY
    };
    wait_for(&what, poll, (&Schedule::settling(ready), timeout), cancel).await
}

/// The domain's status and failure reason, without its tags; `None` when
/// it is gone.
pub async fn find_domain_status(
    sagemaker: &aws_sdk_sagemaker::Client,
    id: &str,
) -> Result<Option<(String, Option<String>)>, String> {
    let action = format!("describing SageMaker Domain ({id})");
    let described = found(
        &action,
        sagemaker.describe_domain().domain_id(id).send().await,
    )?;
    Ok(described.map(|d| {
        let status = d.status().map(|s| s.as_str().to_owned());
        (
            status.unwrap_or_default(),
            d.failure_reason().map(str::to_owned),
        )
    }))
}

/// Waits until the user profile is where `until` says; `Failed` (and,
/// unless `until` accepts it, `Update_Failed`) is an error with AWS's
/// reason.
pub async fn wait_user_profile(
    sagemaker: &aws_sdk_sagemaker::Client,
    domain_id: &str,
    name: &str,
    until: Until,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Result<(), String> {
    let what = format!(
        "SageMaker User Profile {domain_id}/{name} to {}",
        until.describe()
    );
    let poll = || async {
        let described = sagemaker
            .describe_user_profile()
            .domain_id(domain_id)
            .user_profile_name(name)
            .send()
            .await;
        let action = format!("describing SageMaker User Profile ({domain_id}/{name})");
        Ok(match found(&action, described)? {
            Some(p) => status_poll(
                p.status().map(|s| s.as_str()).unwrap_or_default(),
                p.failure_reason().map(str::to_owned),
                until,
            ),
            None => gone_poll(until),
        })
    };
    wait_for(
        &what,
        poll,
        (&Schedule::settling(PART_READY), timeout),
        cancel,
    )
    .await
}

impl Until {
    /// `be InService`, …: the end of "waiting for … to".
    fn describe(self) -> &'static str {
        match self {
            Until::InService => "be InService",
            Until::Updatable => "be InService or Update_Failed",
            Until::Gone => "be deleted",
        }
    }
}

/// The poll of an object that is not there.
fn gone_poll(until: Until) -> Poll {
    if until == Until::Gone {
        Poll::Done
    } else {
        Poll::Failed("it no longer exists".into())
    }
}

/// A SageMaker status read as progress towards `until`.
fn status_poll(status: &str, reason: Option<String>, until: Until) -> Poll {
    let failed = |status: &str| {
        Poll::Failed(format!(
            "it entered status {status}{}",
            reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ))
    };
    match (status, until) {
        ("InService", Until::InService | Until::Updatable)
        | ("Update_Failed", Until::Updatable) => Poll::Done,
        ("Failed" | "Update_Failed", Until::InService)
        | ("Failed", Until::Updatable)
        | ("Delete_Failed", _) => failed(status),
        (other, _) => Poll::Pending(other.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::ec2::wait::LATE_PAUSE;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// Waits (paused time) for something ready `ready_at` into the wait;
    /// returns how late it was noticed and how many polls it took.
    async fn noticed(ready_at: Duration, typical: Duration) -> (Duration, u32) {
        let started = Instant::now();
        let polls = AtomicU32::new(0);
        let poll = || async {
            polls.fetch_add(1, Ordering::Relaxed);
            Ok(if started.elapsed() >= ready_at {
                Poll::Done
            } else {
                Poll::Pending("Pending".into())
            })
        };
        let schedule = Schedule::settling(typical);
        let limit = Duration::from_secs(3600);
        wait_for(
            "a domain",
            poll,
            (&schedule, limit),
            &CancellationToken::new(),
        )
        .await
        .expect("the wait ends");
        (started.elapsed() - ready_at, polls.into_inner())
    }

    #[tokio::test(start_paused = true)]
    async fn what_takes_minutes_is_noticed_within_the_late_pause_with_few_early_polls() {
        for minutes in [1.5, 3.0, 7.0] {
            let ready_at = Duration::from_secs_f64(minutes * 60.0);
            let (late, polls) = noticed(ready_at, DOMAIN_READY).await;
            assert!(late <= LATE_PAUSE, "{minutes} min: noticed {late:?} late");
            let late_polls = (ready_at - DOMAIN_READY).as_secs_f64() / 1.2;
            assert!(
                f64::from(polls) <= 8.0 + late_polls,
                "{minutes} min: {polls} polls"
            );
        }
    }

    /// A status read towards `until`: "done", "pending" or "failed".
    fn read(status: &str, until: Until) -> &'static str {
        match status_poll(status, Some("why".into()), until) {
            Poll::Done => "done",
            Poll::Pending(_) => "pending",
            Poll::Failed(reason) => {
                assert!(
                    reason.contains(status) && reason.ends_with(": why"),
                    "{reason}"
                );
                "failed"
            }
        }
    }

    #[test]
    fn a_failed_update_is_usable_a_failed_create_is_not() {
        use Until::*;
        let table = [
            ("InService", ["done", "done", "pending"]),
            ("Update_Failed", ["failed", "done", "pending"]),
            ("Failed", ["failed", "failed", "pending"]),
            ("Delete_Failed", ["failed", "failed", "failed"]),
            ("Pending", ["pending", "pending", "pending"]),
            ("Updating", ["pending", "pending", "pending"]),
            ("Deleting", ["pending", "pending", "pending"]),
        ];
        for (status, want) in table {
            let got = [InService, Updatable, Gone].map(|until| read(status, until));
            assert_eq!(got, want, "{status}");
        }
        assert!(matches!(gone_poll(Gone), Poll::Done));
        assert!(matches!(gone_poll(Updatable), Poll::Failed(_)));
    }

    #[tokio::test(start_paused = true)]
    async fn what_is_ready_at_once_is_seen_by_the_first_poll() {
        assert_eq!(
            noticed(Duration::ZERO, PART_READY).await,
            (Duration::ZERO, 1)
        );
    }
}
