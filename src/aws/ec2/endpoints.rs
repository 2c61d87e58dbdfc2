//! VPC endpoint mutations, one way each for every resource: create, modify
//! and delete — each call paced to EC2's published limit, tagged as asked,
//! and given up when Terraform asks the provider to stop.

use crate::aws::describe_error;
use crate::aws::ec2::find::VpcEndpoint;
use crate::aws::ec2::tags::tag_specification;
use crate::aws::ec2::wait::{wait_endpoints, Target};
use crate::aws::pace::TokenBucket;
use crate::catalog::{EndpointKind, ServiceSpec};
use aws_sdk_ec2::types::{ResourceType, VpcEndpointType};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long a call already sent may still take to answer once Terraform
/// asks the provider to stop: its answer tells what it made, so it is
/// recorded in the state; after that it is abandoned.
pub const STOP_GRACE: Duration = Duration::from_secs(1);

/// The one pacing bucket of this process for endpoint mutations.
fn endpoint_bucket() -> &'static TokenBucket {
    static BUCKET: OnceLock<TokenBucket> = OnceLock::new();
    BUCKET.get_or_init(TokenBucket::vpc_endpoint_mutations)
}

/// Why an endpoint call has no result.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// Not made (or its answer not awaited) because Terraform asked the
    /// provider to stop (Ctrl-C) or the operation's timeout passed. Holds
    /// what the call was for.
    #[error("{0}: stopped (Ctrl-C, or the operation's timeout passed)")]
    Stopped(String),
    /// AWS refused it or did not answer: what, and why.
    #[error("{0}")]
    Failed(String),
}

/// Makes the endpoint mutation `call` (for `action`) once EC2's pacing
/// allows, unless Terraform stops first: a stop while waiting for the pacing
/// bucket cancels the call; a stop while it is in flight leaves it
/// [`STOP_GRACE`] to answer. An abandoned create is not lost: the endpoint
/// carries the ownership tags and the next apply adopts it. A call that
/// goes `first` (the create of an interface endpoint, pending for minutes)
/// takes its token ahead of the others waiting.
async fn paced<T>(
    cancel: &CancellationToken,
    action: &str,
    first: bool,
    call: impl Future<Output = Result<T, String>>,
) -> Result<T, CallError> {
    let stopped = || CallError::Stopped(action.to_owned());
    let bucket = endpoint_bucket();
    let taken = if first {
        bucket.take_first_or_cancel(cancel).await
    } else {
        bucket.take_or_cancel(cancel).await
    };
    taken.map_err(|_| stopped())?;
    tokio::pin!(call);
    tokio::select! {
        biased;
        answer = &mut call => answer.map_err(CallError::Failed),
        () = cancel.cancelled() => match tokio::time::timeout(STOP_GRACE, &mut call).await {
            Ok(answer) => answer.map_err(CallError::Failed),
            Err(_) => Err(stopped()),
        },
    }
}

/// The reservation key (see [`crate::aws::ownership::reserve`]) of the
/// private-DNS endpoint of service `short_name` in `vpc_id`: AWS allows one.
pub fn private_dns_key(vpc_id: &str, short_name: &str) -> String {
    format!("the private-DNS endpoint for {short_name} in {vpc_id}")
}

/// The reservation key of the S3 route of route table `route_table_id`:
/// AWS allows one S3 gateway endpoint per table.
pub fn s3_route_key(route_table_id: &str) -> String {
    format!("the S3 route of {route_table_id}")
}

/// Where and how one endpoint is made.
pub struct EndpointRequest<'a> {
    pub spec: &'static ServiceSpec,
    pub region: &'a str,
    pub vpc_id: &'a str,
    pub subnet_ids: &'a [String],
    pub security_group_id: &'a str,
    pub route_table_ids: &'a [String],
    pub private_dns: bool,
    pub policy: Option<&'a str>,
    pub tags: &'a BTreeMap<String, String>,
}

/// Creates one endpoint and returns its id, unless `cancel` fires first
/// (see [`CallError::Stopped`]). The client token makes a retried call
/// return the same endpoint instead of a second one.
pub async fn create_endpoint_unless_stopped(
    ec2: &aws_sdk_ec2::Client,
    request: &EndpointRequest<'_>,
    cancel: &CancellationToken,
) -> Result<String, CallError> {
    let spec = request.spec;
    let action = format!(
        "creating EC2 VPC Endpoint for {} in {}",
        spec.short_name, request.vpc_id
    );
    let mut call = ec2
        .create_vpc_endpoint()
        .vpc_id(request.vpc_id)
        .service_name(spec.service_name(request.region))
        .set_policy_document(request.policy.map(str::to_owned))
        .client_token(client_token(request.vpc_id, spec.short_name))
        .tag_specifications(tag_specification(ResourceType::VpcEndpoint, request.tags));
    call = match spec.kind {
        EndpointKind::Interface => call
            .vpc_endpoint_type(VpcEndpointType::Interface)
            .set_subnet_ids(Some(request.subnet_ids.to_vec()))
            .security_group_ids(request.security_group_id)
            .private_dns_enabled(request.private_dns),
        EndpointKind::Gateway => call
            .vpc_endpoint_type(VpcEndpointType::Gateway)
            .set_route_table_ids(Some(request.route_table_ids.to_vec())),
    };
    let send = async { call.send().await.map_err(|e| describe_error(&action, &e)) };
    let first = spec.kind == EndpointKind::Interface;
    let created = paced(cancel, &action, first, send).await?;
    created
        .vpc_endpoint
        .and_then(|e| e.vpc_endpoint_id)
        .ok_or_else(|| CallError::Failed(format!("{action}: AWS returned no id")))
}

/// What to change on an existing endpoint.
#[derive(Default)]
pub struct EndpointChange {
    pub add_subnets: Vec<String>,
    pub remove_subnets: Vec<String>,
    pub add_route_tables: Vec<String>,
    pub remove_route_tables: Vec<String>,
    /// `Some(None)`: back to AWS's default full-access policy (sent as a
    /// document: `ResetPolicy` is not honoured everywhere — moto ignores it).
    pub policy: Option<Option<String>>,
    pub private_dns: Option<bool>,
    /// Groups to attach (the endpoints' group made again after it was deleted).
    pub add_security_groups: Vec<String>,
    /// Groups to detach (the deleted one it replaces).
    pub remove_security_groups: Vec<String>,
}

impl EndpointChange {
    /// True when nothing would change.
    pub fn is_empty(&self) -> bool {
        self.add_subnets.is_empty()
            && self.remove_subnets.is_empty()
            && self.add_route_tables.is_empty()
            && self.remove_route_tables.is_empty()
            && self.policy.is_none()
            && self.private_dns.is_none()
            && self.add_security_groups.is_empty()
            && self.remove_security_groups.is_empty()
    }
}

/// Where an endpoint is and what policy it has: as recorded, as wanted, or
/// as AWS reports it.
#[derive(Default)]
pub struct Placement<'a> {
    pub subnets: &'a [String],
    pub route_tables: &'a [String],
    pub private_dns: bool,
    /// `None`: AWS's default full access.
    pub policy: Option<&'a str>,
}

impl<'a> Placement<'a> {
    /// What AWS reports for `endpoint`.
    pub fn observed(endpoint: &'a VpcEndpoint) -> Placement<'a> {
        Placement {
            subnets: &endpoint.subnet_ids,
            route_tables: &endpoint.route_table_ids,
            private_dns: endpoint.private_dns_enabled,
            policy: endpoint.policy_document.as_deref(),
        }
    }
}

impl EndpointChange {
    /// What changes an endpoint of kind `kind` from `old` to `new`: subnets
    /// and private DNS (interface), route tables (gateway), and the policy
    /// when its effect differs (see [`crate::policy::same_effect`]).
    pub fn between(kind: EndpointKind, old: &Placement<'_>, new: &Placement<'_>) -> EndpointChange {
        let diff = |old: &[String], new: &[String]| -> (Vec<String>, Vec<String>) {
            let add = new.iter().filter(|x| !old.contains(x)).cloned().collect();
            let remove = old.iter().filter(|x| !new.contains(x)).cloned().collect();
            (add, remove)
        };
        let mut change = EndpointChange::default();
        match kind {
            EndpointKind::Interface => {
                (change.add_subnets, change.remove_subnets) = diff(old.subnets, new.subnets);
                if old.private_dns != new.private_dns {
                    change.private_dns = Some(new.private_dns);
                }
            }
            EndpointKind::Gateway => {
                (change.add_route_tables, change.remove_route_tables) =
                    diff(old.route_tables, new.route_tables);
            }
        }
        if !crate::policy::same_effect(old.policy, new.policy) {
            change.policy = Some(new.policy.map(str::to_owned));
        }
        change
    }
}

/// Applies `change` to endpoint `id` in one ModifyVpcEndpoint call, unless
/// `cancel` fires first (see [`CallError::Stopped`]).
pub async fn modify_endpoint_unless_stopped(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    change: EndpointChange,
    cancel: &CancellationToken,
) -> Result<(), CallError> {
    if change.is_empty() {
        return Ok(());
    }
    let nonempty = |v: Vec<String>| (!v.is_empty()).then_some(v);
    let mut call = ec2
        .modify_vpc_endpoint()
        .vpc_endpoint_id(id)
        .set_add_subnet_ids(nonempty(change.add_subnets))
        .set_remove_subnet_ids(nonempty(change.remove_subnets))
        .set_add_route_table_ids(nonempty(change.add_route_tables))
        .set_remove_route_table_ids(nonempty(change.remove_route_tables))
        .set_add_security_group_ids(nonempty(change.add_security_groups))
        .set_remove_security_group_ids(nonempty(change.remove_security_groups))
        .set_private_dns_enabled(change.private_dns);
    call = match change.policy {
        Some(Some(policy)) => call.policy_document(policy),
        Some(None) => call.policy_document(crate::policy::FULL_ACCESS_POLICY),
        None => call,
    };
    let action = format!("modifying EC2 VPC Endpoint ({id})");
    let send = async { call.send().await.map_err(|e| describe_error(&action, &e)) };
    paced(cancel, &action, false, send).await?;
    Ok(())
}

/// Deletes endpoints `ids` of `vpc_id` in one call, unless `cancel` fires
/// first (see [`CallError::Stopped`]); ids already gone are fine. When the
/// call fails, one listing of the VPC decides: if every endpoint is
/// deleting, deleted or no longer listed (a retried delete whose first
/// answer was lost), the delete succeeded.
pub async fn delete_endpoints_unless_stopped(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    ids: &[String],
    cancel: &CancellationToken,
) -> Result<(), CallError> {
    match delete_endpoints_once(ec2, ids, cancel).await {
        Err(CallError::Failed(e)) if !vpc_id.is_empty() => {
            let listed = crate::aws::ec2::find::find_vpc_endpoints_in_vpc(ec2, vpc_id, true)
                .await
                .map_err(|_| CallError::Failed(e.clone()))?;
            let remaining = listed
                .iter()
                .filter(|endpoint| ids.contains(&endpoint.id))
                .any(|endpoint| !endpoint.is_gone() && endpoint.state != "deleting");
            if remaining {
                Err(CallError::Failed(e))
            } else {
                Ok(())
            }
        }
        other => other,
    }
}

/// Deletes endpoints `ids` of `vpc_id` and waits until they are gone
/// (within `timeout`, until `cancel`): what a destroy needs before the
/// endpoints' group can go.
pub async fn delete_endpoints_and_wait(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    ids: &[String],
    timeout: Duration,
    cancel: &CancellationToken,
) -> Result<(), String> {
    delete_endpoints_unless_stopped(ec2, vpc_id, ids, cancel)
        .await
        .map_err(|e| e.to_string())?;
    wait_endpoints(ec2, vpc_id, ids, Target::Deleted, timeout, cancel)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

async fn delete_endpoints_once(
    ec2: &aws_sdk_ec2::Client,
    ids: &[String],
    cancel: &CancellationToken,
) -> Result<(), CallError> {
    if ids.is_empty() {
        return Ok(());
    }
    let action = format!("deleting EC2 VPC Endpoints ({})", ids.join(", "));
    let call = ec2
        .delete_vpc_endpoints()
        .set_vpc_endpoint_ids(Some(ids.to_vec()));
    let send = async { call.send().await.map_err(|e| describe_error(&action, &e)) };
    let answer = paced(cancel, &action, false, send).await?;
    let failures: Vec<String> = answer
        .unsuccessful()
        .iter()
        .filter(|item| item.error().and_then(|e| e.code()) != Some("InvalidVpcEndpoint.NotFound"))
        .map(|item| {
            let error = item.error();
            format!(
                "{}: {}",
                item.resource_id().unwrap_or("?"),
                error
                    .and_then(|e| e.message())
                    .or(error.and_then(|e| e.code()))
                    .unwrap_or("unknown error")
            )
        })
        .collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(CallError::Failed(format!(
            "deleting EC2 VPC Endpoints: {}",
            failures.join("; ")
        )))
    }
}

/// A token unique to this request: the SDK's retries reuse it, a later
/// apply gets a new one.
fn client_token(vpc_id: &str, short_name: &str) -> String {
    use std::hash::{BuildHasher, RandomState};
    let nonce = RandomState::new().hash_one((vpc_id, short_name, std::time::SystemTime::now()));
    let token = format!("{vpc_id}-{short_name}-{nonce:016x}");
    token.chars().take(64).collect()
}
