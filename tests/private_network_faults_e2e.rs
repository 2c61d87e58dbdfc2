//! `sagemaker_private_network` under faults: real terraform, real moto, and
//! the fault proxy (`tests/support/fault_proxy.rs`) between the provider and
//! the emulator — the code paths a real account exercises and the emulator
//! never does (throttling, 5xx, lost connections, endpoints that take time
//! to settle, a create rejected midway).
//!
//! Every test checks the emulator through its API (what exists, not what
//! the state claims) and the proxy's counters (the faults really happened).

mod support;

use serde_json::Value;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use support::ec2_fixture::{fixture, Endpoint, Fixture, Group};
use support::fault_proxy::{Config, ErrorAnswer, FailOnce, Fault, FaultProxy, Tally};
use support::holdings::Holdings;
use support::moto;
use support::terraform::{provider_header, Workspace, TEAM_TAGS};

/// Every security group this provider makes is named with this prefix.
const GROUP_NAME_PREFIX: &str = "sagemaker-private-network-";
/// The hosting preset's endpoints, by short name.
const HOSTING: [&str; 3] = ["s3", "sagemaker_api", "sagemaker_runtime"];

/// A proxy in front of the shared emulator.
fn proxy(config: Config) -> FaultProxy {
    FaultProxy::start(&moto::shared().endpoint, config)
}

/// An initialised workspace for the resource (hosting preset, subnets `b`
/// and `c`) with `body` inside it, the provider talking through `proxy`.
fn workspace(fx: &Fixture, proxy: &FaultProxy, body: &str) -> Workspace {
    let main = format!(
        r#"
{header}resource "sagemaker_private_network" "this" {{
  vpc_id     = "{vpc}"
  subnet_ids = ["{b}", "{c}"]
{body}
}}
"#,
        header = provider_header(&format!("{}\n  {TEAM_TAGS}", proxy.endpoints_block())),
        vpc = fx.vpc_id,
        b = fx.subnet_b,
        c = fx.subnet_c,
    );
    fx.workspace(&main)
}

/// The endpoints of the fixture VPC that are not deleted.
fn live_endpoints(fx: &Fixture) -> Vec<Endpoint> {
    fx.endpoints()
        .into_iter()
        .filter(|e| e.vpc_id == fx.vpc_id)
        .collect()
}

/// The security groups of the fixture VPC this provider made.
fn made_groups(fx: &Fixture) -> Vec<Group> {
    fx.groups()
        .into_iter()
        .filter(|g| g.vpc_id == fx.vpc_id)
        .filter(|g| g.name.starts_with(GROUP_NAME_PREFIX) || g.tags.contains_key("ManagedBy"))
        .collect()
}

/// The resource's attributes in `terraform show -json`.
fn resource_state(ws: &Workspace) -> Value {
    let state = ws.show_json();
    let resources = state["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        resources.len(),
        1,
        "the state holds the resource: {state:#}"
    );
    resources[0]["values"].clone()
}

/// Short name → endpoint id, as recorded in the state.
fn recorded_endpoints(values: &Value) -> Vec<(String, String)> {
    values["endpoints"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(name, e)| (name.clone(), e["id"].as_str().unwrap_or("").to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts that the VPC holds exactly one endpoint per hosting service and
/// one group: no duplicates, nothing missing.
fn assert_exactly_hosting(fx: &Fixture, when: &str) {
    let endpoints = live_endpoints(fx);
    let services: Vec<String> = endpoints.iter().map(|e| e.service.clone()).collect();
    let distinct: BTreeSet<&String> = services.iter().collect();
    assert_eq!(
        (services.len(), distinct.len()),
        (3, 3),
        "{when}: one endpoint per hosting service: {services:?}"
    );
    let groups = made_groups(fx);
    assert_eq!(groups.len(), 1, "{when}: one security group: {groups:?}");
}

#[test]
fn a_rejected_s3_gateway_create_keeps_everything_made_in_state_and_destroy_removes_it() {
    let fx = fixture();
    let rejection = FailOnce::new(
        "CreateVpcEndpoint",
        ErrorAnswer::client(
            "InvalidRouteTableId.NotFound",
            "The routeTable ID 'rtb-0deleted0000000000' does not exist",
        ),
    )
    .when_body_contains("VpcEndpointType=Gateway");
    let proxy = proxy(Config::new(0).fail_once(rejection));
    let ws = workspace(&fx, &proxy, "");

    let err = support::one_line(&ws.apply_err());
    assert!(
        err.contains("InvalidRouteTableId.NotFound") && err.contains("rtb-0deleted0000000000"),
        "the apply error carries AWS's error:\n{err}"
    );
    assert!(err.contains("s3"), "the error names the endpoint:\n{err}");
    assert_eq!(proxy.counters().faults(Fault::FailOnce), 1);
    assert!(proxy.config().fail_once[0].fired());

    // The interface endpoints and the group were made; the state lists them.
    let live = live_endpoints(&fx);
    let live_ids: BTreeSet<String> = live.iter().map(|e| e.id.clone()).collect();
    assert_eq!(live.len(), 2, "both interface endpoints exist: {live:?}");
    assert!(live.iter().all(|e| e.kind == "Interface"), "{live:?}");
    let values = resource_state(&ws);
    let recorded = recorded_endpoints(&values);
    let names: Vec<&str> = recorded.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["sagemaker_api", "sagemaker_runtime"], "{values:#}");
    let recorded_ids: BTreeSet<String> = recorded.into_iter().map(|(_, id)| id).collect();
    assert_eq!(
        recorded_ids, live_ids,
        "the state lists every endpoint made"
    );
    let groups = made_groups(&fx);
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!(values["security_group_id"], groups[0].id.as_str());

    ws.destroy_ok();
    Holdings::default().assert_nothing_new(&fx, "after destroy");
}

#[test]
fn endpoints_pending_for_several_polls_are_waited_for_and_deleting_ones_too() {
    let fx = fixture();
    let proxy = proxy(Config::new(0).hold_pending(4).hold_deleting(3));
    let ws = workspace(&fx, &proxy, "");

    ws.apply_ok();
    let counters = proxy.counters();
    assert_eq!(
        counters.faults(Fault::HeldPending),
        3 * 4,
        "each of the 3 endpoints read pending in 4 answers before apply finished: {counters:?}"
    );
    assert!(counters.calls("DescribeVpcEndpoints") >= 5, "{counters:?}");
    assert_exactly_hosting(&fx, "after apply");
    let values = resource_state(&ws);
    assert_eq!(recorded_endpoints(&values).len(), 3);
    ws.plan_no_changes();

    proxy.reset_counters();
    ws.destroy_ok();
    assert_eq!(
        proxy.counters().faults(Fault::HeldDeleting),
        3 * 3,
        "destroy waited through 3 deleting answers per endpoint"
    );
    Holdings::default().assert_nothing_new(&fx, "after destroy");
}

#[test]
fn endpoints_pending_past_the_create_timeout_fail_apply_naming_them_and_destroy_cleans_up() {
    let fx = fixture();
    let proxy = proxy(Config::new(0).hold_pending(100_000));
    let ws = workspace(&fx, &proxy, "  timeouts { create = \"20s\" }");

    let started = Instant::now();
    let err = support::one_line(&ws.apply_err());
    let took = started.elapsed();
    assert!(
        err.contains("to become available: still pending after")
            && err.contains("create timed out")
            && err.contains("within 20s (timeouts.create)"),
        "a timeout error naming the limit:\n{err}"
    );
    assert!(
        took >= Duration::from_secs(20) && took < Duration::from_secs(90),
        "apply waited for the 20 s timeout, then stopped: {took:?}"
    );

    // The state lists what exists, and the error names each endpoint with
    // its last state.
    let values = resource_state(&ws);
    let recorded = recorded_endpoints(&values);
    assert_eq!(recorded.len(), 3, "{values:#}");
    let live: BTreeSet<String> = live_endpoints(&fx).into_iter().map(|e| e.id).collect();
    for (name, id) in &recorded {
        assert!(live.contains(id), "{name} ({id}) exists in the emulator");
        assert!(
            err.contains(&format!("{id} pending")),
            "the error names {id} and its last state:\n{err}"
        );
    }
    assert_eq!(made_groups(&fx).len(), 1);
    assert_eq!(values["security_group_id"], made_groups(&fx)[0].id.as_str());

    ws.destroy_ok();
    Holdings::default().assert_nothing_new(&fx, "after destroy");
}

/// A fifth of the calls fail — 8 % throttled, 7 % HTTP 500/503, 5 %
/// connections dropped — 10 % are slowed, and endpoints take one poll to
/// settle each way.
fn a_fifth_failing(seed: u64) -> Config {
    Config::new(seed)
        .throttle(0.08)
        .server_errors(0.07)
        .drops(0.05)
        .latency(0.10, Duration::from_millis(5), Duration::from_millis(100))
        .hold_pending(1)
        .hold_deleting(1)
}

/// Seeded runs in all.
const SEEDS: u64 = 20;
/// Runs at once, each lane with its own VPC, workspace and proxy: a run
/// mostly waits on the SDK's retry backoff, not on the CPU.
const LANES: u64 = 4;

/// Apply then destroy once per seed in one workspace, checking the
/// emulator after each step.
fn apply_and_destroy_per_seed(seeds: Vec<u64>) -> Tally {
    let fx = fixture();
    let proxy = proxy(Config::new(0));
    let ws = workspace(&fx, &proxy, "");
    proxy.seeded_runs(seeds, a_fifth_failing, |seed| {
        ws.apply_ok();
        assert_exactly_hosting(&fx, &format!("seed {seed}, after apply"));
        let recorded = recorded_endpoints(&resource_state(&ws));
        let live: BTreeSet<String> = live_endpoints(&fx).into_iter().map(|e| e.id).collect();
        let ids: BTreeSet<String> = recorded.iter().map(|(_, id)| id.clone()).collect();
        let names: Vec<&str> = recorded.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, HOSTING, "seed {seed}");
        assert_eq!(ids, live, "seed {seed}: the state records what exists");

        ws.destroy_ok();
        Holdings::default().assert_nothing_new(&fx, &format!("seed {seed}, after destroy"));
    })
}

#[test]
fn with_a_fifth_of_calls_failing_twenty_seeded_applies_and_destroys_leave_nothing_behind() {
    let tally = Tally::in_lanes(LANES, SEEDS, |_, seeds| apply_and_destroy_per_seed(seeds));
    assert_eq!(tally.runs, SEEDS);
    let (calls, share) = (tally.calls, tally.failed_share());
    assert!(
        (0.14..=0.26).contains(&share),
        "about a fifth of all {calls} calls failed, got {share:.3}"
    );
    let kinds = &tally.kinds;
    for kind in [
        Fault::Throttle,
        Fault::ServerError,
        Fault::Drop,
        Fault::Latency,
        Fault::HeldPending,
        Fault::HeldDeleting,
    ] {
        assert!(kinds.contains(&kind), "{kind:?} never happened: {kinds:?}");
    }
}
