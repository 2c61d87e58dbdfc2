//! The fault proxy (`tests/support/fault_proxy.rs`) itself, against the real
//! moto server, driven through the provider's own AWS clients.
//!
//! Clients built with `max_retries = 0` see every answer the proxy gives, so
//! each test checks both sides: what the SDK received (error code, HTTP
//! status, a lost connection) and what the proxy counted. A client with the
//! provider's default retries shows that the SDK recovers from every kind.

mod support;

use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::types::VpcEndpointType;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use support::ec2_fixture::{fixture, service, Fixture};
use support::fault_proxy::{
    Config, ErrorAnswer, Event, FailOnce, Fault, FaultProxy, LatencyProfile, Outcome,
};
use support::moto::{self, Account};
use tfprovider_sagemaker::aws::config::{Endpoints, ProviderConfig};
use tfprovider_sagemaker::aws::{Aws, Clients};

/// The provider's clients for `account`, every service through `proxy`.
/// `max_retries: None` keeps the provider's default (8).
async fn clients(proxy: &FaultProxy, account: &Account, max_retries: Option<u32>) -> Clients {
    let url = proxy.url().to_owned();
    let config = ProviderConfig {
        region: Some(moto::REGION.to_owned()),
        access_key: Some(account.access_key_id.clone()),
        secret_key: Some(account.secret_access_key.clone()),
        max_retries,
        endpoints: Some(Endpoints {
            ec2: Some(url.clone()),
            sagemaker: Some(url.clone()),
            sts: Some(url),
        }),
        ..ProviderConfig::default()
    };
    let aws = Aws::new(config, vec![]);
    aws.clients().await.expect("clients for the proxy").clone()
}

/// What the SDK saw of one call.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Seen {
    Ok,
    /// A service error: its code and HTTP status.
    Error(String, u16),
    /// No answer (connection closed).
    NoAnswer,
}

fn seen<T, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, SdkError<E, HttpResponse>>,
) -> Seen {
    match result {
        Ok(_) => Seen::Ok,
        Err(SdkError::ServiceError(e)) => Seen::Error(
            e.err().code().unwrap_or("?").to_owned(),
            e.raw().status().as_u16(),
        ),
        Err(SdkError::DispatchFailure(_) | SdkError::ResponseError(_)) => Seen::NoAnswer,
        Err(other) => panic!("unexpected SDK error: {other:?}"),
    }
}

/// `n` DescribeVpcs calls, one after the other; what the SDK saw of each.
async fn describe_vpcs(ec2: &aws_sdk_ec2::Client, n: usize) -> Vec<Seen> {
    let mut all = Vec::with_capacity(n);
    for _ in 0..n {
        all.push(seen(ec2.describe_vpcs().send().await));
    }
    all
}

/// The outcome kinds of a run, for comparing runs.
fn outcomes(events: &[Event]) -> Vec<(Outcome, bool)> {
    events.iter().map(|e| (e.outcome, e.delayed)).collect()
}

fn tally(seen: &[Seen]) -> BTreeMap<&Seen, usize> {
    let mut counts = BTreeMap::new();
    for s in seen {
        *counts.entry(s).or_default() += 1;
    }
    counts
}

/// The mixed schedule of the share test: 8 % each of four kinds, 10 % slow.
fn mixed(seed: u64) -> Config {
    Config::new(seed)
        .throttle(0.08)
        .server_errors(0.08)
        .drops(0.08)
        .lost_responses(0.08)
        .latency(0.10, Duration::from_millis(1), Duration::from_millis(3))
}

const CALLS: usize = 250;

#[tokio::test]
async fn each_random_fault_hits_its_share_and_a_seed_repeats_exactly() {
    let account = moto::shared().new_account();
    let mut runs = Vec::new();
    for seed in [11, 11, 12] {
        let proxy = FaultProxy::start(&moto::shared().endpoint, mixed(seed));
        let ec2 = clients(&proxy, &account, Some(0)).await.ec2;
        let seen = describe_vpcs(&ec2, CALLS).await;
        let counters = proxy.counters();
        let events = proxy.events();
        runs.push((seen, counters, events));
    }
    let (seen, counters, events) = &runs[0];
    assert_eq!(counters.calls("DescribeVpcs"), CALLS as u64);
    for kind in [
        Fault::Throttle,
        Fault::ServerError,
        Fault::Drop,
        Fault::LostResponse,
    ] {
        let share = counters.faults(kind) as f64 / CALLS as f64;
        assert!(
            (0.04..=0.12).contains(&share),
            "{kind:?} hit {share:.3} of the calls, configured 0.08: {counters:?}"
        );
    }
    let slow = counters.faults(Fault::Latency) as f64 / CALLS as f64;
    assert!((0.05..=0.15).contains(&slow), "latency share {slow:.3}");

    // What the SDK saw matches what the proxy counted, kind by kind.
    let by_kind = tally(seen);
    let throttled = Seen::Error("RequestLimitExceeded".into(), 503);
    let internal = Seen::Error("InternalError".into(), 500);
    let unavailable = Seen::Error("Unavailable".into(), 503);
    let count = |s: &Seen| by_kind.get(s).copied().unwrap_or(0) as u64;
    assert_eq!(count(&throttled), counters.faults(Fault::Throttle));
    assert!(
        count(&internal) > 0 && count(&unavailable) > 0,
        "{by_kind:?}"
    );
    assert_eq!(
        count(&internal) + count(&unavailable),
        counters.faults(Fault::ServerError)
    );
    assert_eq!(
        count(&Seen::NoAnswer),
        counters.faults(Fault::Drop) + counters.faults(Fault::LostResponse)
    );
    assert_eq!(
        count(&Seen::Ok),
        CALLS as u64 - counters.failed_calls(),
        "{by_kind:?}"
    );
    assert_eq!(
        counters.forwarded("DescribeVpcs"),
        CALLS as u64
            - counters.faults(Fault::Throttle)
            - counters.faults(Fault::ServerError)
            - counters.faults(Fault::Drop),
        "throttled, failed and dropped calls never reach moto; lost ones do"
    );

    // Same seed, same faults on the same calls; another seed, other calls.
    assert_eq!(outcomes(events), outcomes(&runs[1].2), "seed 11 twice");
    assert_eq!(seen, &runs[1].0);
    assert_ne!(outcomes(events), outcomes(&runs[2].2), "seed 11 vs 12");
}

#[tokio::test]
async fn throttling_speaks_each_services_protocol() {
    let account = moto::shared().new_account();
    let proxy = FaultProxy::start(&moto::shared().endpoint, Config::new(1).throttle(1.0));
    let aws = clients(&proxy, &account, Some(0)).await;
    assert_eq!(
        seen(aws.ec2.describe_vpcs().send().await),
        Seen::Error("RequestLimitExceeded".into(), 503)
    );
    assert_eq!(
        seen(aws.sagemaker.list_models().send().await),
        Seen::Error("ThrottlingException".into(), 400)
    );
    assert_eq!(
        seen(aws.sts.get_caller_identity().send().await),
        Seen::Error("Throttling".into(), 400)
    );
    let counters = proxy.counters();
    for op in ["DescribeVpcs", "ListModels", "GetCallerIdentity"] {
        assert_eq!(counters.faults_of(op, Fault::Throttle), 1, "{counters:?}");
        assert_eq!(counters.forwarded(op), 0);
    }
    let services: Vec<String> = proxy.events().into_iter().map(|e| e.service).collect();
    assert_eq!(services, ["ec2", "sagemaker", "sts"]);

    proxy.set_config(Config::new(1).server_errors(1.0).only(&["ListModels"]));
    let sagemaker = seen(aws.sagemaker.list_models().send().await);
    assert!(
        matches!(&sagemaker, Seen::Error(code, 500 | 503) if code == "InternalFailure" || code == "ServiceUnavailable"),
        "{sagemaker:?}"
    );
    assert_eq!(
        seen(aws.ec2.describe_vpcs().send().await),
        Seen::Ok,
        "only ListModels fails"
    );
}

#[tokio::test]
async fn the_sdk_with_default_retries_rides_out_every_fault_kind() {
    let account = moto::shared().new_account();
    let config = Config::new(5)
        .throttle(0.15)
        .server_errors(0.15)
        .drops(0.15)
        .only(&["DescribeVpcs", "ListModels"]);
    let proxy = FaultProxy::start(&moto::shared().endpoint, config);
    let aws = clients(&proxy, &account, None).await;
    for _ in 0..15 {
        aws.ec2
            .describe_vpcs()
            .send()
            .await
            .expect("retried to success");
    }
    for _ in 0..3 {
        aws.sagemaker
            .list_models()
            .send()
            .await
            .expect("retried to success");
    }
    let counters = proxy.counters();
    for kind in [Fault::Throttle, Fault::ServerError, Fault::Drop] {
        assert!(counters.faults(kind) > 0, "no {kind:?}: {counters:?}");
    }
    assert_eq!(counters.forwarded("DescribeVpcs"), 15, "{counters:?}");
    assert_eq!(counters.forwarded("ListModels"), 3, "{counters:?}");
}

/// Creates an interface endpoint for `name` in the fixture's first subnet.
async fn create_interface(
    ec2: &aws_sdk_ec2::Client,
    fx: &Fixture,
    name: &str,
    token: Option<&str>,
) -> Result<String, Seen> {
    let answer = ec2
        .create_vpc_endpoint()
        .vpc_id(&fx.vpc_id)
        .vpc_endpoint_type(VpcEndpointType::Interface)
        .service_name(service(name))
        .subnet_ids(&fx.subnet_a)
        .set_client_token(token.map(str::to_owned))
        .send()
        .await;
    match answer {
        Ok(out) => Ok(out.vpc_endpoint.unwrap().vpc_endpoint_id.unwrap()),
        Err(e) => Err(seen::<(), _>(Err(e))),
    }
}

async fn create_gateway(ec2: &aws_sdk_ec2::Client, fx: &Fixture) -> Result<String, Seen> {
    let answer = ec2
        .create_vpc_endpoint()
        .vpc_id(&fx.vpc_id)
        .vpc_endpoint_type(VpcEndpointType::Gateway)
        .service_name(service("s3"))
        .route_table_ids(&fx.table_a)
        .send()
        .await;
    match answer {
        Ok(out) => Ok(out.vpc_endpoint.unwrap().vpc_endpoint_id.unwrap()),
        Err(e) => Err(seen::<(), _>(Err(e))),
    }
}

/// The state of endpoint `id` in one DescribeVpcEndpoints answer.
async fn state_of(ec2: &aws_sdk_ec2::Client, id: &str) -> String {
    let answer = ec2
        .describe_vpc_endpoints()
        .vpc_endpoint_ids(id)
        .send()
        .await
        .expect("describe through the proxy");
    answer.vpc_endpoints()[0]
        .state()
        .map(|s| s.as_str().to_ascii_lowercase())
        .unwrap_or_default()
}

#[tokio::test]
async fn endpoints_read_pending_then_deleting_for_the_configured_describes() {
    let fx = fixture();
    let config = Config::new(0).hold_pending(3).hold_deleting(2);
    let proxy = FaultProxy::start(&moto::shared().endpoint, config);
    let ec2 = clients(&proxy, &fx.account, Some(0)).await.ec2;
    let created = ec2
        .create_vpc_endpoint()
        .vpc_id(&fx.vpc_id)
        .vpc_endpoint_type(VpcEndpointType::Interface)
        .service_name(service("sagemaker.api"))
        .subnet_ids(&fx.subnet_a)
        .send()
        .await
        .unwrap();
    let endpoint = created.vpc_endpoint.unwrap();
    let id = endpoint.vpc_endpoint_id.clone().unwrap();
    assert_eq!(
        endpoint.state.unwrap().as_str().to_ascii_lowercase(),
        "pending",
        "the create answer already says pending"
    );
    let mut states = Vec::new();
    for _ in 0..4 {
        states.push(state_of(&ec2, &id).await);
    }
    assert_eq!(states, ["pending", "pending", "pending", "available"]);
    assert_eq!(
        fx.endpoints()[0].state,
        "available",
        "moto itself is not affected"
    );

    ec2.delete_vpc_endpoints()
        .vpc_endpoint_ids(&id)
        .send()
        .await
        .unwrap();
    let mut states = Vec::new();
    for _ in 0..3 {
        states.push(state_of(&ec2, &id).await);
    }
    assert_eq!(states, ["deleting", "deleting", "deleted"]);
    let counters = proxy.counters();
    assert_eq!(counters.faults(Fault::HeldPending), 3);
    assert_eq!(counters.faults(Fault::HeldDeleting), 2);
}

#[tokio::test]
async fn fail_once_fails_only_the_chosen_call() {
    let fx = fixture();
    let rule = FailOnce::new(
        "CreateVpcEndpoint",
        ErrorAnswer::client(
            "InvalidRouteTableId.NotFound",
            "The routeTable ID 'rtb-gone' does not exist",
        ),
    )
    .when_body_contains("VpcEndpointType=Gateway")
    .nth(2);
    let proxy = FaultProxy::start(&moto::shared().endpoint, Config::new(0).fail_once(rule));
    let ec2 = clients(&proxy, &fx.account, Some(0)).await.ec2;
    assert!(create_interface(&ec2, &fx, "sagemaker.api", None)
        .await
        .is_ok());
    assert!(create_gateway(&ec2, &fx).await.is_ok(), "first gateway");
    assert_eq!(
        create_gateway(&ec2, &fx).await,
        Err(Seen::Error("InvalidRouteTableId.NotFound".into(), 400)),
        "second gateway"
    );
    assert!(create_gateway(&ec2, &fx).await.is_ok(), "third gateway");
    assert_eq!(proxy.counters().faults(Fault::FailOnce), 1);
    assert!(proxy.config().fail_once[0].fired());
    assert_eq!(fx.endpoints().len(), 3, "the failed call made nothing");
}

#[tokio::test]
async fn token_buckets_refuse_the_fifth_quick_create_and_refill_at_0_3_per_second() {
    let fx = fixture();
    let proxy = FaultProxy::start(&moto::shared().endpoint, Config::new(0).token_buckets());
    let ec2 = clients(&proxy, &fx.account, Some(0)).await.ec2;
    let names = [
        "sagemaker.api",
        "sagemaker.runtime",
        "sts",
        "logs",
        "ecr.api",
    ];
    let started = Instant::now();
    for name in &names[..4] {
        create_interface(&ec2, &fx, name, None)
            .await
            .unwrap_or_else(|e| panic!("create {name} within the bucket: {e:?}"));
    }
    assert_eq!(
        create_interface(&ec2, &fx, names[4], None).await,
        Err(Seen::Error("RequestLimitExceeded".into(), 503)),
        "the fifth quick create is refused"
    );
    ec2.describe_vpc_endpoints()
        .send()
        .await
        .expect("describes have their own bucket");

    // Another account has its own buckets.
    let other = moto::shared().new_account();
    let other_ec2 = clients(&proxy, &other, Some(0)).await.ec2;
    other_ec2
        .describe_vpcs()
        .send()
        .await
        .expect("other account");

    let passed_at = loop {
        match create_interface(&ec2, &fx, names[4], None).await {
            Ok(_) => break started.elapsed(),
            Err(Seen::Error(code, 503)) if code == "RequestLimitExceeded" => {}
            Err(other) => panic!("unexpected answer {other:?}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "no refill after 8 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        passed_at >= Duration::from_millis(3_000) && passed_at <= Duration::from_millis(4_000),
        "one token refills after ~3.3 s (1 / 0.3 per s), got {passed_at:?}"
    );
    let counters = proxy.counters();
    assert!(counters.faults_of("CreateVpcEndpoint", Fault::BucketThrottle) >= 2);
    assert_eq!(counters.forwarded("CreateVpcEndpoint"), 5);
    assert_eq!(fx.endpoints().len(), 5);
}

#[tokio::test]
async fn a_repeated_client_token_replays_the_first_answer_instead_of_a_second_create() {
    let fx = fixture();
    let proxy = FaultProxy::start(&moto::shared().endpoint, Config::new(0));
    let ec2 = clients(&proxy, &fx.account, Some(0)).await.ec2;
    let first = create_interface(&ec2, &fx, "sagemaker.api", Some("token-1"))
        .await
        .unwrap();
    let again = create_interface(&ec2, &fx, "sagemaker.api", Some("token-1"))
        .await
        .unwrap();
    assert_eq!(first, again);
    assert_eq!(fx.endpoints().len(), 1);
    assert_eq!(proxy.counters().faults(Fault::Replay), 1);

    // moto alone makes a second endpoint for the same token.
    proxy.set_config(Config::new(0).without_idempotency());
    let duplicate = create_interface(&ec2, &fx, "sagemaker.api", Some("token-1"))
        .await
        .unwrap();
    assert_ne!(duplicate, first);
    assert_eq!(fx.endpoints().len(), 2);
}

#[tokio::test]
async fn lost_create_answers_are_retried_by_the_sdk_without_duplicates() {
    let fx = fixture();
    let config = Config::new(3)
        .lost_responses(0.5)
        .only(&["CreateVpcEndpoint"]);
    let proxy = FaultProxy::start(&moto::shared().endpoint, config);
    let ec2 = clients(&proxy, &fx.account, None).await.ec2;
    let names = ["sagemaker.api", "sagemaker.runtime", "sts", "logs"];
    let mut ids = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let token = format!("lost-{i}");
        ids.push(
            create_interface(&ec2, &fx, name, Some(&token))
                .await
                .unwrap(),
        );
    }
    let counters = proxy.counters();
    assert!(
        counters.faults(Fault::LostResponse) > 0,
        "seed 3 loses some answers: {counters:?}"
    );
    assert!(counters.faults(Fault::Replay) > 0, "{counters:?}");
    let live: Vec<String> = fx.endpoints().into_iter().map(|e| e.id).collect();
    assert_eq!(live.len(), names.len(), "no duplicates: {live:?}");
    for id in &ids {
        assert!(live.contains(id), "{id} exists");
    }
}

/// Calls at once in the retry-quota test.
const CONCURRENT: usize = 150;

#[tokio::test]
async fn the_provider_clients_have_no_retry_quota_to_run_out_of() {
    // 40 % HTTP 500/503 over 150 calls means ~100 retried attempts, each of
    // which costs 10 tokens of the SDK's default 500-token retry quota: with
    // that quota, calls would start failing on their first error.
    let account = moto::shared().new_account();
    let config = Config::new(9).server_errors(0.4).only(&["DescribeVpcs"]);
    let proxy = FaultProxy::start(&moto::shared().endpoint, config);
    let ec2 = clients(&proxy, &account, None).await.ec2;
    let calls = (0..CONCURRENT).map(|_| ec2.describe_vpcs().send());
    let results = futures::future::join_all(calls).await;
    let failed: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .map(|e| format!("{e:?}"))
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {CONCURRENT} calls failed: {:?}",
        failed.len(),
        failed.first()
    );
    let retried = proxy.counters().faults(Fault::ServerError);
    assert!(
        retried * 10 > 500 + CONCURRENT as u64,
        "only {retried} retries: not enough to empty the default quota"
    );
}

#[test]
fn the_latency_profile_draws_each_kind_of_call_and_pending_time_from_its_range() {
    let profile = LatencyProfile::aws();
    for roll in [0.0, 0.5, 0.999] {
        let read = profile.call_latency("DescribeVpcEndpoints", roll);
        let write = profile.call_latency("CreateVpcEndpoint", roll);
        let model = profile.call_latency("CreateModel", roll);
        assert!((42..=78).contains(&read.as_millis()), "{read:?}");
        assert!((105..=195).contains(&write.as_millis()), "{write:?}");
        assert!((700..=1300).contains(&model.as_millis()), "{model:?}");
        let pending = profile.pick(profile.interface_pending, roll);
        assert!(pending >= Duration::from_secs(60) && pending < Duration::from_secs(150));
        assert_eq!(profile.pick(profile.gateway_pending, roll), Duration::ZERO);
    }
    // One factor scales every pending time (and CreateModel), not the
    // per-call latency.
    let quick = LatencyProfile::aws().scaled(0.1);
    assert_eq!(
        quick.pick(quick.interface_pending, 0.0),
        Duration::from_secs(6)
    );
    assert_eq!(
        quick.pick(quick.domain_pending, 0.0),
        Duration::from_secs(18)
    );
    assert_eq!(
        quick.call_latency("GetCallerIdentity", 0.5),
        Duration::from_millis(60)
    );
    assert_eq!(
        quick.call_latency("CreateModel", 0.5),
        Duration::from_millis(100)
    );
}

/// A proxy with AWS's latency profile, pending times × 0.02 (interface
/// endpoints pending 1.2–3 s, deleting 0.2–0.6 s; domains pending 3.6–7.2
/// s), and the provider's clients for `fx` through it, without retries.
async fn profiled(fx: &Fixture, seed: u64) -> (FaultProxy, Clients) {
    let profile = LatencyProfile::aws().scaled(0.02);
    let config = Config::new(seed).latency_profile(profile);
    let proxy = FaultProxy::start(&moto::shared().endpoint, config);
    let clients = clients(&proxy, &fx.account, Some(0)).await;
    (proxy, clients)
}

#[tokio::test]
async fn under_the_latency_profile_calls_take_their_time_and_endpoints_stay_pending_for_theirs() {
    let fx = fixture();
    let (proxy, clients) = profiled(&fx, 3).await;
    let ec2 = clients.ec2;

    let started = Instant::now();
    describe_vpcs(&ec2, 3).await;
    assert!(
        started.elapsed() >= Duration::from_millis(3 * 42),
        "three describes wait at least 3 × 42 ms: {:?}",
        started.elapsed()
    );

    let created_at = Instant::now();
    let interface = create_interface(&ec2, &fx, "sagemaker.api", None)
        .await
        .unwrap();
    let gateway = create_gateway(&ec2, &fx).await.unwrap();
    assert_eq!(
        state_of(&ec2, &gateway).await,
        "available",
        "a gateway endpoint is ready at once"
    );
    let mut states = Vec::new();
    loop {
        let state = state_of(&ec2, &interface).await;
        let at = created_at.elapsed();
        if states.last() != Some(&state) {
            states.push(state.clone());
        }
        if state == "available" {
            assert!(
                at >= Duration::from_millis(1200),
                "pending for at least 60 s × 0.02: available after {at:?}"
            );
            break;
        }
        assert!(at < Duration::from_secs(20), "still {state} after {at:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(states, ["pending", "available"]);

    let deleted_at = Instant::now();
    ec2.delete_vpc_endpoints()
        .vpc_endpoint_ids(&interface)
        .vpc_endpoint_ids(&gateway)
        .send()
        .await
        .unwrap();
    assert_eq!(
        state_of(&ec2, &gateway).await,
        "deleted",
        "a gateway endpoint is gone at once"
    );
    assert_eq!(state_of(&ec2, &interface).await, "deleting");
    while state_of(&ec2, &interface).await == "deleting" {
        assert!(deleted_at.elapsed() < Duration::from_secs(20));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(deleted_at.elapsed() >= Duration::from_millis(200));
    let counters = proxy.counters();
    assert_eq!(
        counters.faults(Fault::Profiled),
        counters.total_calls(),
        "every call waited for the profile: {counters:?}"
    );
    assert!(counters.faults(Fault::HeldPending) >= 1 && counters.faults(Fault::HeldDeleting) >= 1);
    assert_eq!(counters.failed_calls(), 0);
}

#[tokio::test]
async fn under_the_latency_profile_a_studio_domain_reads_pending_for_its_time() {
    let fx = fixture();
    let (proxy, clients) = profiled(&fx, 5).await;
    let sagemaker = clients.sagemaker;
    let created_at = Instant::now();
    let created = sagemaker
        .create_domain()
        .domain_name("profiled")
        .auth_mode(aws_sdk_sagemaker::types::AuthMode::Iam)
        .default_user_settings(
            aws_sdk_sagemaker::types::UserSettings::builder()
                .execution_role("arn:aws:iam::123456789012:role/SageMakerExecution")
                .build(),
        )
        .subnet_ids(&fx.subnet_a)
        .vpc_id(&fx.vpc_id)
        .send()
        .await
        .expect("CreateDomain through the proxy");
    let id = created
        .domain_arn()
        .and_then(|arn| arn.rsplit('/').next())
        .expect("a domain ARN")
        .to_owned();
    let status = || async {
        let described = sagemaker.describe_domain().domain_id(&id).send().await;
        let described = described.expect("DescribeDomain through the proxy");
        described
            .status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default()
    };
    assert_eq!(status().await, "Pending");
    // The bench's overshoot counts from this instant.
    let ready = proxy.domains_ready();
    assert_eq!(ready.len(), 1);
    assert_eq!(ready[0].0, id);
    assert!(ready[0].1 >= created_at + Duration::from_millis(3600));
    while status().await == "Pending" {
        assert!(created_at.elapsed() < Duration::from_secs(30));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(created_at.elapsed() >= Duration::from_millis(3600));
    assert_eq!(status().await, "InService");
    sagemaker
        .delete_domain()
        .domain_id(&id)
        .send()
        .await
        .expect("DeleteDomain");
}
