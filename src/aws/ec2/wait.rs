//! Waiters: poll until EC2 objects reach a target state within a timeout,
//! with exponential backoff and jitter, watching Terraform's cancellation.
//!
//! [`wait_endpoints`] polls all the endpoints of one apply with a single
//! listing per poll (not one call per endpoint), on a [`Schedule`] that
//! matches what is awaited: a poll at once, sparse polls until an interface
//! endpoint can typically be ready, then one every 1.5 s at most — so an
//! endpoint that takes a minute or more is noticed within 2 s.
//! [`retry_dependency_violation`] reruns an operation while EC2 answers `DependencyViolation` (deleting a
//! security group while endpoint network interfaces drain).

use super::find::{find_vpc_endpoints_in_vpc, is_gone_state, FindError, VpcEndpoint};
use aws_sdk_ec2::error::ProvideErrorMetadata;
use serde_json::json;
use std::fmt;
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The last state recorded for an endpoint missing from the listing.
const NOT_FOUND: &str = "not found";

/// Exponential backoff with jitter: the n-th pause (from 0) is
/// `initial × factor^n`, capped at `max`, then spread by ± `jitter`.
#[derive(Clone, Debug, PartialEq)]
pub struct Backoff {
    /// The first pause.
    pub initial: Duration,
    /// Growth per attempt (≥ 1).
    pub factor: f64,
    /// The longest pause.
    pub max: Duration,
    /// Fraction of each pause spread at random (0 = none, 0.2 = ±20 %).
    pub jitter: f64,
}

impl Default for Backoff {
    /// 1 s, ×1.5, capped at 10 s, ±20 %.
    fn default() -> Self {
        Backoff {
            initial: Duration::from_secs(1),
            factor: 1.5,
            max: Duration::from_secs(10),
            jitter: 0.2,
        }
    }
}

impl Backoff {
    /// The pause before attempt `attempt + 1`, without jitter.
    pub fn base_delay(&self, attempt: u32) -> Duration {
        let exponent = i32::try_from(attempt).unwrap_or(i32::MAX);
        let seconds = self.initial.as_secs_f64() * self.factor.max(1.0).powi(exponent);
        Duration::from_secs_f64(seconds.min(self.max.as_secs_f64()))
    }

    /// The pause before attempt `attempt + 1`, jittered, never above `max`.
    pub fn delay(&self, attempt: u32) -> Duration {
        let spread = self.jitter.clamp(0.0, 1.0) * (2.0 * random_fraction() - 1.0);
        let seconds = self.base_delay(attempt).as_secs_f64() * (1.0 + spread);
        Duration::from_secs_f64(seconds.clamp(0.0, self.max.as_secs_f64()))
    }
}

/// A uniform value in [0, 1) from the standard library's per-instance
/// random hasher keys (no RNG dependency needed for jitter).
fn random_fraction() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    let bits = hasher.finish() >> 11;
    bits as f64 / (1u64 << 53) as f64
}

/// The state a waiter waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// `available`.
    Available,
    /// Deleted: state `deleted`/`expired`, or no longer listed.
    Deleted,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Target::Available => "become available",
            Target::Deleted => "be deleted",
        })
    }
}

/// Why a wait ended without reaching its target.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    /// The timeout passed; `pending` holds each endpoint not yet at the
    /// target with its last state.
    #[error(
        "waiting for {} to {target}: still pending after {} ({})",
        name_endpoints(pending),
        format_duration(*after),
        last_states(pending)
    )]
    Timeout {
        target: Target,
        after: Duration,
        pending: Vec<(String, String)>,
    },
    /// Terraform cancelled the operation (StopProvider).
    #[error(
        "stopped waiting for {} to {target}: the operation was cancelled ({})",
        name_endpoints(pending),
        last_states(pending)
    )]
    Cancelled {
        target: Target,
        pending: Vec<(String, String)>,
    },
    /// An endpoint reached a state it cannot leave towards the target.
    #[error(
        "waiting for VPC endpoint {id} to {target}: it entered state {state}{}",
        reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
    )]
    Failed {
        id: String,
        target: Target,
        state: String,
        reason: Option<String>,
    },
    /// Listing the endpoints failed.
    #[error("waiting for VPC endpoints: {0}")]
    Find(#[from] FindError),
}

/// When to poll for something that takes time: once at once (what is
/// ready at once — a gateway endpoint, an emulator — is seen at once), then
/// sparse pauses growing by `early` until `settle`, the time what is
/// awaited typically takes at least, then pauses of at most `late`. So
/// whatever takes `settle` or more is noticed at most `late` after it is
/// ready, with few polls before it can be.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    /// The pauses before `settle` (never past it).
    pub early: Backoff,
    /// From the start of the wait, when what is awaited is typically first
    /// ready.
    pub settle: Duration,
    /// The longest pause after `settle` (jitter only shortens it): the
    /// longest a readiness goes unnoticed.
    pub late: Duration,
}

/// The longest pause once what is awaited may be ready: the waiter's part
/// of the overshoot (what follows — the read-back, Terraform saving the
/// state — keeps what the user sees within 2 s).
pub const LATE_PAUSE: Duration = Duration::from_millis(1500);

/// What the provider's benchmarks and tests scale typical times by when
/// the emulator in front of them scales its pending times (a latency
/// profile run in minutes instead of hours): `SAGEMAKER_SETTLE_SCALE`, a
/// positive number, default 1. Only `settle` scales, never the late pause,
/// so the overshoot measured under a scaled profile is the real one.
pub const SETTLE_SCALE_ENV: &str = "SAGEMAKER_SETTLE_SCALE";

/// [`SETTLE_SCALE_ENV`], read once; 1 when unset or not a positive number.
fn settle_scale() -> f64 {
    static SCALE: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *SCALE.get_or_init(|| {
        std::env::var(SETTLE_SCALE_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v > 0.0)
            .unwrap_or(1.0)
    })
}

impl Schedule {
    /// The pause after the poll made `elapsed` into the wait, the
    /// `attempt`-th pause (from 0).
    pub fn pause(&self, elapsed: Duration, attempt: u32) -> Duration {
        match self.settle.checked_sub(elapsed) {
            Some(left) if !left.is_zero() => self.early.delay(attempt).min(left),
            _ => {
                let shortened = 1.0 - self.early.jitter.clamp(0.0, 1.0) * random_fraction();
                self.late.mul_f64(shortened)
            }
        }
    }

    /// Polls often from the start: for what is ready within seconds (a
    /// gateway endpoint, a deletion of one).
    pub fn quick() -> Schedule {
        Schedule {
            early: Backoff::default(),
            settle: Duration::ZERO,
            late: Duration::from_secs(1),
        }
    }

    /// For what typically takes at least `settle` (scaled by
    /// [`SETTLE_SCALE_ENV`]): polls 1, 3, 7, 15 … s in, never later than
    /// `settle`, then every [`LATE_PAUSE`] at most.
    pub fn settling(settle: Duration) -> Schedule {
        Schedule {
            early: Backoff {
                initial: Duration::from_secs(1),
                factor: 2.0,
                max: Duration::from_secs(16),
                jitter: 0.2,
            },
            settle: settle.mul_f64(settle_scale()),
            late: LATE_PAUSE,
        }
    }
}

/// The schedules of an endpoint wait, by what is still pending: any
/// interface endpoint, or gateway endpoints only.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedules {
    /// While an interface endpoint (or one not listed yet) is pending.
    pub interface: Schedule,
    /// While only gateway endpoints are pending.
    pub gateway: Schedule,
}

impl Schedules {
    /// AWS's typical times: an interface endpoint takes 1 to 2½ minutes to
    /// become available (first poll near 50 s after a few sparse ones) and
    /// tens of seconds to be deleted (near 15 s); a gateway endpoint is
    /// available or deleted within seconds.
    pub fn typical(target: Target) -> Schedules {
        let settle = match target {
            Target::Available => Duration::from_secs(50),
            Target::Deleted => Duration::from_secs(15),
        };
        Schedules {
            interface: Schedule::settling(settle),
            gateway: Schedule::quick(),
        }
    }

    /// The schedule for what `pending` (id, last state) still waits for,
    /// with the endpoints of the last `listing`.
    fn for_pending(&self, pending: &[(String, String)], listing: &[VpcEndpoint]) -> &Schedule {
        let gateways_only = pending.iter().all(|(id, _)| {
            listing
                .iter()
                .find(|e| &e.id == id)
                .is_some_and(|e| e.endpoint_type.eq_ignore_ascii_case("gateway"))
        });
        if gateways_only {
            &self.gateway
        } else {
            &self.interface
        }
    }
}

/// Waits until every endpoint of `ids` in `vpc_id` reaches `target`, on
/// AWS's [`Schedules::typical`] times. See [`wait_endpoints_with`].
pub async fn wait_endpoints(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    ids: &[String],
    target: Target,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Result<Vec<VpcEndpoint>, WaitError> {
    let waited = wait_endpoints_listed(ec2, vpc_id, ids, target, timeout, cancel).await;
    waited.map(|(reached, _)| reached)
}

/// Waits until every endpoint of `ids` reaches `target`, polling with one
/// endpoint listing of `vpc_id` per poll, on `schedules` (chosen at each
/// poll by what is still pending).
///
/// Returns the endpoints as last listed, in the order of `ids` (for
/// [`Target::Deleted`], only those still listed, in a gone state).
/// `failed`/`rejected` are terminal ([`WaitError::Failed`]), as is a deleted
/// endpoint when waiting for [`Target::Available`]; an endpoint missing from
/// the listing counts as deleted (while waiting for `Available` it stays
/// pending, since a fresh endpoint may not be listed yet).
pub async fn wait_endpoints_with(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    ids: &[String],
    target: Target,
    timeout: Duration,
    cancel: &CancellationToken,
    schedules: &Schedules,
) -> Result<Vec<VpcEndpoint>, WaitError> {
    let waiting = Waiting {
        vpc_id,
        ids,
        target,
        timeout,
        schedules,
    };
    let listed = waiting.run_on(ec2, cancel).await;
    listed.map(|(reached, _)| reached)
}

/// Like [`wait_endpoints`], and also returns the last listing (every
/// endpoint of the VPC, gone ones too), so a caller that reads the VPC's
/// endpoints right after needs no listing of its own.
pub async fn wait_endpoints_listed(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    ids: &[String],
    target: Target,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Result<(Vec<VpcEndpoint>, Vec<VpcEndpoint>), WaitError> {
    let schedules = Schedules::typical(target);
    let waiting = Waiting {
        vpc_id,
        ids,
        target,
        timeout,
        schedules: &schedules,
    };
    waiting.run_on(ec2, cancel).await
}

/// One wait: what for, how long, on which schedules.
pub struct Waiting<'a> {
    /// The VPC listed (for logs).
    pub vpc_id: &'a str,
    /// The endpoints waited for.
    pub ids: &'a [String],
    /// What they must reach.
    pub target: Target,
    /// The longest wait.
    pub timeout: Duration,
    /// When to poll.
    pub schedules: &'a Schedules,
}

impl Waiting<'_> {
    /// [`Waiting::run`] polling the VPC's endpoints through `ec2`.
    async fn run_on(
        &self,
        ec2: &aws_sdk_ec2::Client,
        cancel: &CancellationToken,
    ) -> Result<(Vec<VpcEndpoint>, Vec<VpcEndpoint>), WaitError> {
        let vpc_id = self.vpc_id;
        self.run(|| find_vpc_endpoints_in_vpc(ec2, vpc_id, true), cancel)
            .await
    }

    /// Polls with `poll` (one listing of the VPC's endpoints per call)
    /// until every endpoint reaches the target; returns them (see
    /// [`wait_endpoints_with`]) and the last listing.
    pub async fn run<F, Fut>(
        &self,
        mut poll: F,
        cancel: &CancellationToken,
    ) -> Result<(Vec<VpcEndpoint>, Vec<VpcEndpoint>), WaitError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Vec<VpcEndpoint>, FindError>>,
    {
        let (ids, target, timeout, vpc_id) = (self.ids, self.target, self.timeout, self.vpc_id);
        let started = Instant::now();
        let deadline = started + timeout;
        let mut pending: Vec<(String, String)> = ids
            .iter()
            .map(|id| (id.clone(), NOT_FOUND.to_owned()))
            .collect();
        let mut last = Vec::new();
        // The operation's own deadline cancels it too: a cancel at the
        // deadline is this wait's timeout, and says so.
        let stopped = |pending: Vec<(String, String)>| {
            if deadline.saturating_duration_since(Instant::now()) < Duration::from_millis(250) {
                WaitError::Timeout {
                    target,
                    after: timeout,
                    pending,
                }
            } else {
                WaitError::Cancelled { target, pending }
            }
        };
        for attempt in 0.. {
            let listing = tokio::select! {
                biased;
                () = cancel.cancelled() => return Err(stopped(pending)),
                listing = poll() => listing,
            };
            match listing {
                Ok(listing) => {
                    let progress = assess(&listing, ids, target)?;
                    if progress.pending.is_empty() {
                        return Ok((progress.reached, listing));
                    }
                    pending = progress.pending;
                    last = listing;
                    log_pending(vpc_id, target, &pending);
                }
                // A throttled or failed poll (after the SDK's own retries) is
                // a missed poll, not the end of the wait: the deadline decides.
                Err(e) if is_transient(&e) => log_missed_poll(vpc_id, &e),
                Err(e) => return Err(e.into()),
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(WaitError::Timeout {
                    target,
                    after: timeout,
                    pending,
                });
            }
            let schedule = self.schedules.for_pending(&pending, &last);
            let pause = schedule.pause(now - started, attempt).min(deadline - now);
            tokio::select! {
                biased;
                () = cancel.cancelled() => return Err(stopped(pending)),
                () = tokio::time::sleep(pause) => {}
            }
        }
        unreachable!("the poll loop only ends by returning")
    }
}

/// Whether a failed listing is worth another poll: throttling, an HTTP 5xx
/// answer, a timeout or a lost connection — not an endpoint that refuses
/// connections or does not resolve (the SDK already retried it; polling on
/// would only hide the cause until the timeout). [`FindError::Api`] carries
/// the text [`crate::aws::describe_error`] made — `ACTION: CODE: MESSAGE`,
/// `ACTION: HTTP STATUS from the service`, `ACTION: the request timed out`
/// or `ACTION: no answer from URL: …` and the like (see
/// [`crate::aws::transport`]) — so the cause is read back from the part
/// after the action.
pub fn is_transient(err: &FindError) -> bool {
    use aws_runtime::retries::classifiers::{THROTTLING_ERRORS, TRANSIENT_ERRORS};
    const SERVER_ERRORS: [&str; 4] = [
        "InternalError",
        "InternalFailure",
        "Unavailable",
        "ServiceUnavailable",
    ];
    let FindError::Api(text) = err else {
        return false;
    };
    text.split(": ").nth(1).is_some_and(|part| {
        THROTTLING_ERRORS.contains(&part)
            || TRANSIENT_ERRORS.contains(&part)
            || SERVER_ERRORS.contains(&part)
            || part.starts_with("HTTP 5")
            || part == "the request timed out"
            || crate::aws::transport::worth_polling_again(part)
    })
}

fn log_missed_poll(vpc_id: &str, err: &FindError) {
    crate::log::debug(
        "VPC endpoint poll failed, polling again",
        &[("vpc_id", json!(vpc_id)), ("error", json!(err.to_string()))],
    );
}

fn log_pending(vpc_id: &str, target: Target, pending: &[(String, String)]) {
    let states: serde_json::Map<String, serde_json::Value> = pending
        .iter()
        .map(|(id, state)| (id.clone(), json!(state)))
        .collect();
    crate::log::debug(
        &format!("waiting for VPC endpoints to {target}"),
        &[("vpc_id", json!(vpc_id)), ("pending", states.into())],
    );
}

/// Where a set of endpoints stands relative to the target.
#[derive(Debug, Default, PartialEq)]
pub struct Progress {
    /// Endpoints at the target, in the order asked.
    pub reached: Vec<VpcEndpoint>,
    /// `(id, last state)` of those not yet there.
    pub pending: Vec<(String, String)>,
}

/// Compares one listing with the target: progress, or the first endpoint in
/// a terminal state.
pub fn assess(
    listing: &[VpcEndpoint],
    ids: &[String],
    target: Target,
) -> Result<Progress, WaitError> {
    let mut progress = Progress::default();
    for id in ids {
        let found = listing.iter().find(|e| &e.id == id);
        let state = found.map_or(NOT_FOUND, |e| e.state.as_str());
        if is_terminal(state, target) {
            return Err(WaitError::Failed {
                id: id.clone(),
                target,
                state: state.to_owned(),
                reason: found.and_then(|e| e.failure_reason.clone()),
            });
        }
        if !reached(state, target) {
            progress.pending.push((id.clone(), state.to_owned()));
        } else if let Some(endpoint) = found {
            progress.reached.push(endpoint.clone());
        }
    }
    Ok(progress)
}

fn reached(state: &str, target: Target) -> bool {
    match target {
        Target::Available => state == "available",
        Target::Deleted => state == NOT_FOUND || is_gone_state(state),
    }
}

fn is_terminal(state: &str, target: Target) -> bool {
    matches!(state, "failed" | "rejected") || (target == Target::Available && is_gone_state(state))
}

/// "VPC endpoint vpce-1" or "VPC endpoints vpce-1, vpce-2".
fn name_endpoints(pending: &[(String, String)]) -> String {
    let ids: Vec<&str> = pending.iter().map(|(id, _)| id.as_str()).collect();
    let noun = if ids.len() == 1 {
        "VPC endpoint"
    } else {
        "VPC endpoints"
    };
    format!("{noun} {}", ids.join(", "))
}

/// "last state: pending" or "last states: vpce-1 pending, vpce-2 deleting".
fn last_states(pending: &[(String, String)]) -> String {
    if let [(_, state)] = pending {
        return format!("last state: {state}");
    }
    let states: Vec<String> = pending
        .iter()
        .map(|(id, state)| format!("{id} {state}"))
        .collect();
    format!("last states: {}", states.join(", "))
}

/// A duration the way Terraform (Go) prints it: `10m0s`, `1h0m0s`, `1.5s`, `300ms`.
pub fn format_duration(d: Duration) -> String {
    if d.is_zero() {
        return "0s".to_owned();
    }
    if d < Duration::from_secs(1) {
        let millis = d.as_secs_f64() * 1000.0;
        return format!("{}ms", trim_fraction(millis));
    }
    let total = d.as_secs();
    let (hours, minutes) = (total / 3600, total % 3600 / 60);
    let seconds = (total % 60) as f64 + f64::from(d.subsec_nanos()) / 1e9;
    let seconds = format!("{}s", trim_fraction(seconds));
    match (hours, minutes) {
        (0, 0) => seconds,
        (0, m) => format!("{m}m{seconds}"),
        (h, m) => format!("{h}h{m}m{seconds}"),
    }
}

/// A number with at most 3 decimals and no trailing zeros.
fn trim_fraction(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Why [`retry_dependency_violation`] gave up.
#[derive(Debug)]
pub enum RetryError<E> {
    /// The operation failed with another error.
    Failed(E),
    /// Still `DependencyViolation` when the timeout passed.
    Timeout { after: Duration, last: E },
    /// Terraform cancelled the operation between attempts.
    Cancelled { last: E },
}

impl<E> RetryError<E> {
    /// The last error the operation returned.
    pub fn last(&self) -> &E {
        match self {
            RetryError::Failed(e)
            | RetryError::Timeout { last: e, .. }
            | RetryError::Cancelled { last: e } => e,
        }
    }

    /// The last error the operation returned, by value.
    pub fn into_last(self) -> E {
        match self {
            RetryError::Failed(e)
            | RetryError::Timeout { last: e, .. }
            | RetryError::Cancelled { last: e } => e,
        }
    }
}

impl<E: ProvideErrorMetadata> fmt::Display for RetryError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last = self.last();
        let cause = match (last.code(), last.message()) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (Some(code), None) => code.to_owned(),
            (None, Some(message)) => message.to_owned(),
            (None, None) => "unknown error".to_owned(),
        };
        match self {
            RetryError::Failed(_) => f.write_str(&cause),
            RetryError::Timeout { after, .. } => {
                write!(
                    f,
                    "still failing after {}: {cause}",
                    format_duration(*after)
                )
            }
            RetryError::Cancelled { .. } => write!(f, "cancelled while retrying: {cause}"),
        }
    }
}

impl<E: ProvideErrorMetadata + fmt::Debug> std::error::Error for RetryError<E> {}

/// Runs `op` until it succeeds or fails with anything but
/// `DependencyViolation`, within `timeout`, with the default [`Backoff`].
pub async fn retry_dependency_violation<T, E, F, Fut>(
    op: F,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Result<T, RetryError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: ProvideErrorMetadata,
{
    retry_dependency_violation_with(op, timeout, cancel, &Backoff::default()).await
}

/// [`retry_dependency_violation`] with an explicit [`Backoff`]. The first
/// attempt always runs; cancellation is checked between attempts.
pub async fn retry_dependency_violation_with<T, E, F, Fut>(
    mut op: F,
    timeout: Duration,
    cancel: &CancellationToken,
    backoff: &Backoff,
) -> Result<T, RetryError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: ProvideErrorMetadata,
{
    let deadline = Instant::now() + timeout;
    for attempt in 0.. {
        let last = match op().await {
            Ok(value) => return Ok(value),
            Err(e) if e.code() == Some("DependencyViolation") => e,
            Err(e) => return Err(RetryError::Failed(e)),
        };
        let now = Instant::now();
        if now >= deadline {
            return Err(RetryError::Timeout {
                after: timeout,
                last,
            });
        }
        let pause = backoff.delay(attempt).min(deadline - now);
        tokio::select! {
            biased;
            () = cancel.cancelled() => return Err(RetryError::Cancelled { last }),
            () = tokio::time::sleep(pause) => {}
        }
    }
    unreachable!("the retry loop only ends by returning")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn endpoint(id: &str, state: &str) -> VpcEndpoint {
        VpcEndpoint {
            id: id.to_owned(),
            vpc_id: "vpc-1".to_owned(),
            service_name: "com.amazonaws.us-east-1.sagemaker.api".to_owned(),
            endpoint_type: "Interface".to_owned(),
            state: state.to_owned(),
            subnet_ids: Vec::new(),
            security_group_ids: Vec::new(),
            route_table_ids: Vec::new(),
            network_interface_ids: Vec::new(),
            private_dns_enabled: true,
            policy_document: None,
            dns_names: Vec::new(),
            tags: BTreeMap::new(),
            creation_timestamp: None,
            failure_reason: Some("no capacity".to_owned()),
        }
    }

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn backoff_grows_by_factor_up_to_the_cap() {
        let backoff = Backoff::default();
        let secs: Vec<f64> = (0..8)
            .map(|n| backoff.base_delay(n).as_secs_f64())
            .collect();
        assert_eq!(&secs[..4], &[1.0, 1.5, 2.25, 3.375]);
        assert_eq!(secs[7], 10.0);
        for n in 0..20 {
            let d = backoff.delay(n).as_secs_f64();
            let base = backoff.base_delay(n).as_secs_f64();
            assert!(
                d >= base * 0.8 - 1e-9 && d <= (base * 1.2).min(10.0) + 1e-9,
                "{n}: {d}"
            );
        }
    }

    fn typed(id: &str, state: &str, kind: &str) -> VpcEndpoint {
        VpcEndpoint {
            endpoint_type: kind.to_owned(),
            ..endpoint(id, state)
        }
    }

    /// Runs a wait on paused time over `ids` (interface endpoints, or
    /// gateway ones) that all become available `ready_after` into it;
    /// returns how long after that the wait returned and how many listings
    /// it made.
    async fn wait_on_paused_time(
        ids: &[String],
        kind: &str,
        ready_after: Duration,
    ) -> (Duration, u32) {
        let started = Instant::now();
        let polls = std::cell::Cell::new(0u32);
        let poll = || {
            polls.set(polls.get() + 1);
            let state = if started.elapsed() >= ready_after {
                "available"
            } else {
                "pending"
            };
            let listing: Vec<VpcEndpoint> = ids.iter().map(|id| typed(id, state, kind)).collect();
            async move { Ok::<_, FindError>(listing) }
        };
        let schedules = Schedules::typical(Target::Available);
        let waiting = Waiting {
            vpc_id: "vpc-1",
            ids,
            target: Target::Available,
            timeout: Duration::from_secs(600),
            schedules: &schedules,
        };
        let (reached, _) = waiting.run(poll, &CancellationToken::new()).await.unwrap();
        assert_eq!(reached.len(), ids.len());
        (started.elapsed().saturating_sub(ready_after), polls.get())
    }

    #[test]
    fn the_schedule_is_sparse_until_settle_then_never_pauses_longer_than_the_late_pause() {
        let schedule = Schedules::typical(Target::Available).interface;
        assert_eq!(schedule.settle, Duration::from_secs(50));
        let mut elapsed = Duration::ZERO;
        let mut early_polls = 0;
        for attempt in 0..200 {
            let pause = schedule.pause(elapsed, attempt);
            if elapsed < schedule.settle {
                early_polls += 1;
                assert!(
                    elapsed + pause <= schedule.settle,
                    "{elapsed:?} + {pause:?}"
                );
            } else {
                assert!(
                    pause <= LATE_PAUSE && pause >= LATE_PAUSE.mul_f64(0.8),
                    "{pause:?}"
                );
            }
            elapsed += pause;
        }
        assert!(
            (5..=9).contains(&early_polls),
            "a few polls before an interface endpoint can be ready: {early_polls}"
        );
        let quick = Schedules::typical(Target::Available).gateway;
        assert!(quick.pause(Duration::ZERO, 0) <= Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn an_endpoint_ready_after_a_minute_or_more_is_noticed_within_two_seconds() {
        let ids = ids(&["vpce-1", "vpce-2", "vpce-3"]);
        for secs in [60.0, 61.3, 75.5, 95.0, 149.9, 150.0, 420.0] {
            let ready = Duration::from_secs_f64(secs);
            let (overshoot, polls) = wait_on_paused_time(&ids, "Interface", ready).await;
            assert!(
                overshoot <= LATE_PAUSE,
                "ready at {secs} s, noticed {overshoot:?} late"
            );
            // Sparse early polls, then one every 1.2–1.5 s: never more.
            let most = 9 + ((secs - 50.0) / 1.2).ceil() as u32;
            assert!(
                polls <= most,
                "ready at {secs} s: {polls} listings, at most {most}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn what_is_ready_at_once_takes_one_listing_however_many_endpoints() {
        let many: Vec<String> = (0..20).map(|i| format!("vpce-{i}")).collect();
        assert_eq!(
            wait_on_paused_time(&many, "Interface", Duration::ZERO).await,
            (Duration::ZERO, 1)
        );
        let (late, polls) =
            wait_on_paused_time(&many, "Gateway", Duration::from_millis(2500)).await;
        assert!(
            late <= Duration::from_secs(1) && polls <= 5,
            "{late:?}, {polls} listings"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn twenty_endpoints_take_one_listing_per_poll() {
        let many: Vec<String> = (0..20).map(|i| format!("vpce-{i}")).collect();
        let one = ids(&["vpce-0"]);
        let ready = Duration::from_secs(90);
        let (_, polls_many) = wait_on_paused_time(&many, "Interface", ready).await;
        let (_, polls_one) = wait_on_paused_time(&one, "Interface", ready).await;
        assert!(
            polls_many.abs_diff(polls_one) <= 2,
            "listings do not grow with the endpoints: {polls_many} for 20, {polls_one} for 1"
        );
    }

    #[test]
    fn assess_sorts_endpoints_into_reached_and_pending() {
        let listing = [
            endpoint("vpce-1", "available"),
            endpoint("vpce-2", "pending"),
        ];
        let progress = assess(
            &listing,
            &ids(&["vpce-1", "vpce-2", "vpce-3"]),
            Target::Available,
        )
        .unwrap();
        assert_eq!(progress.reached, vec![listing[0].clone()]);
        assert_eq!(
            progress.pending,
            vec![
                ("vpce-2".into(), "pending".into()),
                ("vpce-3".into(), NOT_FOUND.into())
            ]
        );
        let gone = [endpoint("vpce-1", "deleted")];
        let progress = assess(&gone, &ids(&["vpce-1", "vpce-2"]), Target::Deleted).unwrap();
        assert!(progress.pending.is_empty());
        assert_eq!(progress.reached.len(), 1);
    }

    #[test]
    fn failed_rejected_and_deleted_are_terminal_when_waiting_for_available() {
        for state in ["failed", "rejected", "deleted"] {
            let err = assess(
                &[endpoint("vpce-1", state)],
                &ids(&["vpce-1"]),
                Target::Available,
            )
            .unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("waiting for VPC endpoint vpce-1 to become available: it entered state {state}: no capacity")
            );
        }
    }

    #[test]
    fn timeout_messages_name_each_endpoint_and_its_last_state() {
        let one = WaitError::Timeout {
            target: Target::Available,
            after: Duration::from_secs(600),
            pending: vec![("vpce-1".into(), "pending".into())],
        };
        assert_eq!(
            one.to_string(),
            "waiting for VPC endpoint vpce-1 to become available: still pending after 10m0s (last state: pending)"
        );
        let two = WaitError::Timeout {
            target: Target::Deleted,
            after: Duration::from_millis(300),
            pending: vec![
                ("vpce-1".into(), "deleting".into()),
                ("vpce-2".into(), "available".into()),
            ],
        };
        assert_eq!(
            two.to_string(),
            "waiting for VPC endpoints vpce-1, vpce-2 to be deleted: still pending after 300ms \
             (last states: vpce-1 deleting, vpce-2 available)"
        );
    }

    #[test]
    fn throttling_5xx_timeouts_and_lost_connections_are_transient_other_errors_are_not() {
        let api = |text: &str| {
            FindError::Api(format!(
                "describing EC2 VPC Endpoints of VPC (vpc-1): {text}"
            ))
        };
        for text in [
            "RequestLimitExceeded: Request limit exceeded.",
            "InternalError: An internal error has occurred.",
            "Unavailable: The server is overloaded",
            "HTTP 503 from the service",
            "the request timed out",
            "no answer from https://ec2.us-east-1.amazonaws.com: the connection timed out (…)",
            "lost the connection to http://127.0.0.1:4566: the connection closed before the answer came (…)",
            "could not reach the service: the request could not be sent (…)",
        ] {
            assert!(is_transient(&api(text)), "{text}");
        }
        for text in [
            "UnauthorizedOperation: You are not authorized",
            "InvalidParameterValue: RequestLimitExceeded is not a filter",
            "cannot connect to http://127.0.0.1:4566: connection refused (…); tried 9 times",
            "cannot connect to https://ec2.nowhere.invalid: the host name does not resolve (…)",
        ] {
            assert!(!is_transient(&api(text)), "{text}");
        }
        let missing = FindError::NotFound {
            what: "EC2 VPC".into(),
            id: "vpc-1".into(),
        };
        assert!(!is_transient(&missing));
    }

    #[test]
    fn durations_print_like_go() {
        assert_eq!(format_duration(Duration::from_secs(600)), "10m0s");
        assert_eq!(format_duration(Duration::from_secs(3600)), "1h0m0s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_duration(Duration::from_millis(300)), "300ms");
        assert_eq!(format_duration(Duration::ZERO), "0s");
    }
}
