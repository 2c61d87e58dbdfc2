//! `sagemaker_vpc_model_config` under faults, crashes and interrupts: real
//! terraform, real moto, and the fault proxy (`tests/support/fault_proxy.rs`)
//! between the provider and the emulator.
//!
//! - A model create rejected midway: the state lists the group and the S3
//!   endpoint made, the next apply finishes without duplicates.
//! - The S3 endpoint `pending` for several polls (waited for), then past the
//!   create timeout (a timeout error naming it and its last state).
//! - 20 seeded apply/destroy runs with a fifth of the provider's calls
//!   throttled, failed, dropped or answered into the void (two lanes of
//!   ten, each with one VPC, one workspace and one proxy).
//! - The provider killed (`kill -9`) after the group and endpoint exist and
//!   while its CreateModel is on the wire: the next apply adopts all three by
//!   their owner tag and creates nothing.
//! - Ctrl-C (SIGINT to terraform) while the endpoint is pending: terraform
//!   exits within seconds, the state lists what exists, the next apply
//!   finishes the job.
//!
//! Every test checks the emulator through its API (what exists, not what
//! the state claims) and the proxy's counters (the faults really happened).
//! Fixture calls go straight to moto; only the provider's calls see faults.

mod support;

use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant};
use support::ec2_fixture::{fixture, service, Endpoint, Fixture};
use support::fault_proxy::{Config, ErrorAnswer, FailOnce, Fault, FaultProxy, Tally};
use support::holdings::Holdings;
use support::moto;
use support::sagemaker::{describe_model, model_block, model_names, IMAGE};
use support::stopping::{apply_and_stop, eventually, provider_pid, terraform_pid};
use support::terraform::{provider_header, Workspace, TEAM_TAGS};

/// The resource's address in every configuration here.
const ADDRESS: &str = "sagemaker_vpc_model_config.this";
/// The owner tag every object of a configuration carries (value: its name).
const OWNER_TAG: &str = "sagemaker:owner";

/// A proxy in front of the shared emulator.
fn start_proxy(config: Config) -> FaultProxy {
    FaultProxy::start(&moto::shared().endpoint, config)
}

/// The configuration: the provider talking through `proxy`, the resource on
/// subnets `b` and `c` (main route table, no S3 route: the resource makes
/// its own S3 gateway endpoint) with a model `name`; `model_extra` goes
/// inside the model block, `extra` inside the resource.
fn config(fx: &Fixture, proxy: &FaultProxy, name: &str, model_extra: &str, extra: &str) -> String {
    format!(
        r#"
{header}resource "sagemaker_vpc_model_config" "this" {{
  subnet_ids = ["{b}", "{c}"]
{model}
{extra}
}}
"#,
        header = provider_header(&format!("{}\n  {TEAM_TAGS}", proxy.endpoints_block())),
        b = fx.subnet_b,
        c = fx.subnet_c,
        model = model_block(name, IMAGE, model_extra),
    )
}

/// What of configuration `name` the emulator holds.
#[derive(Debug)]
struct Made {
    /// Security groups of the fixture VPC named for it or carrying its owner tag.
    groups: Vec<String>,
    /// Live S3 gateway endpoints of the fixture VPC (the fixture has none of its own).
    endpoints: Vec<String>,
    /// Whether the model `name` exists.
    model: bool,
    /// Every model of the account.
    models: Vec<String>,
}

fn made(fx: &Fixture, name: &str) -> Made {
    let (groups, endpoints) = network_of(fx, name);
    Made {
        groups,
        endpoints,
        model: describe_model(fx, name).is_some(),
        models: model_names(fx),
    }
}

/// The ids of the groups and of the S3 endpoints in [`Made`].
fn network_of(fx: &Fixture, name: &str) -> (Vec<String>, Vec<String>) {
    let group_name = format!("sagemaker-model-{name}-");
    let owned = |tags: &BTreeMap<String, String>| {
        tags.get(OWNER_TAG)
            .is_some_and(|owner| owner.split('/').next() == Some(name))
    };
    let groups = fx
        .groups()
        .into_iter()
        .filter(|g| g.vpc_id == fx.vpc_id)
        .filter(|g| g.name.starts_with(&group_name) || owned(&g.tags))
        .map(|g| g.id)
        .collect();
    let endpoints = fx
        .endpoints()
        .into_iter()
        .filter(|e| e.vpc_id == fx.vpc_id && e.service == service("s3") && e.kind == "Gateway")
        .map(|e| e.id)
        .collect();
    (groups, endpoints)
}

/// Asserts exactly one group, one S3 endpoint and the model `name` (and no
/// other model); returns the group and endpoint ids.
fn assert_exactly_one_of_each(fx: &Fixture, name: &str, when: &str) -> (String, String) {
    let made = made(fx, name);
    assert_eq!(
        made.groups.len(),
        1,
        "{when}: exactly one model group sagemaker-model-{name}: {made:?}"
    );
    assert_eq!(
        made.endpoints.len(),
        1,
        "{when}: exactly one S3 gateway endpoint: {made:?}"
    );
    assert_eq!(
        made.models,
        [name],
        "{when}: the model {name} and no other: {made:?}"
    );
    (made.groups[0].clone(), made.endpoints[0].clone())
}

/// The resource's attributes in `terraform show -json`; `None` when the
/// state does not hold it.
fn recorded(ws: &Workspace) -> Option<Value> {
    let state = ws.show_json();
    state["values"]["root_module"]["resources"]
        .as_array()?
        .iter()
        .find(|r| r["address"] == ADDRESS)
        .map(|r| r["values"].clone())
}

/// Asserts the state records `group` and `endpoint` (managed) and no model:
/// what a create stopped before the model leaves.
fn assert_state_lists(ws: &Workspace, group: &str, endpoint: &str, when: &str) {
    let values = recorded(ws)
        .unwrap_or_else(|| panic!("{when}: the state holds no {ADDRESS}: {:#}", ws.show_json()));
    assert_eq!(values["security_group_id"], group, "{when}: {values:#}");
    assert_eq!(values["s3_endpoint_id"], endpoint, "{when}: {values:#}");
    assert_eq!(values["s3_endpoint_managed"], true, "{when}: {values:#}");
    assert_eq!(values["model_arn"], Value::Null, "{when}: {values:#}");
}

#[test]
fn a_rejected_model_create_keeps_group_and_endpoint_in_state_and_the_next_apply_finishes() {
    let fx = fixture();
    let name = "faults-rejected";
    let rejection = FailOnce::new(
        "CreateModel",
        ErrorAnswer::client(
            "ValidationException",
            "Could not access model data at s3://models/faults-rejected/model.tar.gz",
        ),
    );
    let proxy = start_proxy(Config::new(0).fail_once(rejection));
    let ws = fx.workspace(&config(&fx, &proxy, name, "", ""));

    let err = support::one_line(&ws.apply_err());
    assert!(
        err.contains("Could not access model data") && err.contains("ValidationException"),
        "the apply error carries AWS's error:\n{err}"
    );
    assert!(
        err.contains(&format!("SageMaker Model ({name})")),
        "the error names the model:\n{err}"
    );
    assert_eq!(proxy.counters().faults(Fault::FailOnce), 1);
    assert!(proxy.config().fail_once[0].fired());

    let before = made(&fx, name);
    assert!(!before.model, "the model was rejected: {before:?}");
    assert_eq!(
        (before.groups.len(), before.endpoints.len()),
        (1, 1),
        "the group and the S3 endpoint were made: {before:?}"
    );
    assert_state_lists(
        &ws,
        &before.groups[0],
        &before.endpoints[0],
        "after the rejected create",
    );

    ws.apply_ok();
    let (group, endpoint) = assert_exactly_one_of_each(&fx, name, "after the second apply");
    let values = recorded(&ws).expect("the state holds the resource");
    assert_eq!(values["security_group_id"], group.as_str());
    assert_eq!(values["s3_endpoint_id"], endpoint.as_str());
    let model = describe_model(&fx, name).expect("the model exists");
    assert_eq!(values["model_arn"], model["ModelArn"]);
    ws.plan_no_changes();

    ws.destroy_ok();
    Holdings::default().assert_nothing_new(&fx, "after destroy");
}

#[test]
fn an_s3_endpoint_pending_for_several_polls_is_waited_for_and_a_deleting_one_too() {
    let fx = fixture();
    let name = "faults-pending";
    let proxy = start_proxy(Config::new(0).hold_pending(4).hold_deleting(3));
    let ws = fx.workspace(&config(&fx, &proxy, name, "", ""));

    ws.apply_ok();
    let counters = proxy.counters();
    assert_eq!(
        counters.faults(Fault::HeldPending),
        4,
        "the endpoint read pending in 4 answers before apply went on: {counters:?}"
    );
    assert!(counters.calls("DescribeVpcEndpoints") >= 5, "{counters:?}");
    assert_eq!(
        counters.calls("CreateModel"),
        1,
        "the model was made once, after the wait: {counters:?}"
    );
    let (group, endpoint) = assert_exactly_one_of_each(&fx, name, "after apply");
    let values = recorded(&ws).expect("the state holds the resource");
    assert_eq!(values["security_group_id"], group.as_str());
    assert_eq!(values["s3_endpoint_id"], endpoint.as_str());
    ws.plan_no_changes();

    proxy.reset_counters();
    ws.destroy_ok();
    assert_eq!(
        proxy.counters().faults(Fault::HeldDeleting),
        3,
        "destroy waited through 3 deleting answers before deleting the group"
    );
    Holdings::default().assert_nothing_new(&fx, "after destroy");
}

#[test]
fn an_s3_endpoint_pending_past_the_create_timeout_fails_apply_naming_it_and_destroy_cleans_up() {
    let fx = fixture();
    let name = "faults-timeout";
    let proxy = start_proxy(Config::new(0).hold_pending(100_000));
    let ws = fx.workspace(&config(
        &fx,
        &proxy,
        name,
        "",
        "  timeouts { create = \"15s\" }",
    ));

    let started = Instant::now();
    let err = support::one_line(&ws.apply_err());
    let took = started.elapsed();
    assert!(
        err.contains("S3 gateway endpoint not available"),
        "a timeout error:\n{err}"
    );
    assert!(
        took >= Duration::from_secs(15) && took < Duration::from_secs(75),
        "apply waited for the 15 s timeout, then stopped: {took:?}"
    );

    let made_now = made(&fx, name);
    assert_eq!(
        (
            made_now.groups.len(),
            made_now.endpoints.len(),
            made_now.model
        ),
        (1, 1, false),
        "the group and the endpoint exist, the model was never asked for: {made_now:?}"
    );
    let endpoint = &made_now.endpoints[0];
    assert!(
        err.contains(&format!(
            "waiting for VPC endpoint {endpoint} to become available: still pending after"
        )) && err.contains("(last state: pending)")
            && err.contains("within 15s (timeouts.create)"),
        "the error names {endpoint}, its last state and the limit:\n{err}"
    );
    assert_eq!(proxy.counters().calls("CreateModel"), 0);
    assert_state_lists(&ws, &made_now.groups[0], endpoint, "after the timeout");

    ws.destroy_ok();
    Holdings::default().assert_nothing_new(&fx, "after destroy");
}

// ---------------------------------------------------------------------------
// Seeded runs under a fifth of calls failing
// ---------------------------------------------------------------------------

/// A fifth of the calls fail — 7 % throttled, 5 % HTTP 500/503, 4 %
/// connections dropped before moto acts, 4 % answers lost after it acted —
/// 10 % are slowed, and the endpoint takes one poll to settle each way.
fn a_fifth_failing(seed: u64) -> Config {
    Config::new(seed)
        .throttle(0.07)
        .server_errors(0.05)
        .drops(0.04)
        .lost_responses(0.04)
        .latency(0.10, Duration::from_millis(5), Duration::from_millis(100))
        .hold_pending(1)
        .hold_deleting(1)
}

/// The most groups and S3 endpoints of configuration `name` seen at once
/// while `run` ran (the emulator polled every 200 ms on another thread).
fn most_at_once<T>(fx: &Fixture, name: &str, run: impl FnOnce() -> T) -> (T, usize, usize) {
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            let (mut groups, mut endpoints) = (0, 0);
            while !done.load(Ordering::Relaxed) {
                let (now_groups, now_endpoints) = network_of(fx, name);
                groups = groups.max(now_groups.len());
                endpoints = endpoints.max(now_endpoints.len());
                sleep(Duration::from_millis(200));
            }
            (groups, endpoints)
        });
        let result = run();
        done.store(true, Ordering::Relaxed);
        let (groups, endpoints) = watcher.join().expect("the watcher thread");
        (result, groups, endpoints)
    })
}

/// Apply then destroy once per seed of `seeds` in one VPC, one workspace
/// and one proxy, checking the emulator during and after each step.
fn apply_and_destroy_per_seed(lane: u64, seeds: Vec<u64>) -> Tally {
    let fx = fixture();
    let name = format!("faults-seeded-{lane}");
    let proxy = start_proxy(Config::new(0));
    let ws = fx.workspace(&config(&fx, &proxy, &name, "", ""));
    proxy.seeded_runs(seeds, a_fifth_failing, |seed| {
        let (_, groups, endpoints) = most_at_once(&fx, &name, || ws.apply_ok());
        assert!(
            groups <= 1 && endpoints <= 1,
            "seed {seed}: at most one group and one S3 endpoint at any time during apply, saw \
             {groups} groups and {endpoints} endpoints at once"
        );
        let (group, endpoint) =
            assert_exactly_one_of_each(&fx, &name, &format!("seed {seed}, after apply"));
        let values = recorded(&ws).expect("the state holds the resource");
        assert_eq!(values["security_group_id"], group.as_str(), "seed {seed}");
        assert_eq!(values["s3_endpoint_id"], endpoint.as_str(), "seed {seed}");
        assert_eq!(values["s3_endpoint_managed"], true, "seed {seed}");

        ws.destroy_ok();
        Holdings::default().assert_nothing_new(&fx, &format!("seed {seed}, after destroy"));
    })
}

/// Seeded runs.
const SEEDS: u64 = 20;
/// Runs at once, each lane with its own VPC, workspace and proxy: a run
/// mostly waits on the SDK's retry backoff (about 14 s per run), not on the
/// CPU, and 20 runs in a row would take about 5 minutes.
const LANES: u64 = 2;

#[test]
fn with_a_fifth_of_calls_failing_twenty_seeded_applies_and_destroys_leave_nothing_behind() {
    let started = Instant::now();
    let tally = Tally::in_lanes(LANES, SEEDS, apply_and_destroy_per_seed);
    let (runs, calls, failed, share) =
        (tally.runs, tally.calls, tally.failed, tally.failed_share());
    assert_eq!(runs, SEEDS);
    let lost = &tally.lost;
    eprintln!(
        "{runs} runs: {calls} calls, {failed} failed ({share:.3}), answers lost for {lost:?}, \
         {:?} in all",
        started.elapsed()
    );
    assert!(
        (0.12..=0.28).contains(&share),
        "about a fifth of all {calls} calls failed, got {share:.3}"
    );
    for operation in [
        "CreateSecurityGroup",
        "CreateVpcEndpoint",
        "DeleteVpcEndpoints",
    ] {
        assert!(
            lost.contains(&operation.to_owned()),
            "no answer of {operation} was lost, so its retry after moto acted went untested: \
             raise lost_responses or change the seeds ({lost:?})"
        );
    }
    let kinds = &tally.kinds;
    for kind in [
        Fault::Throttle,
        Fault::ServerError,
        Fault::Drop,
        Fault::LostResponse,
        Fault::Latency,
        Fault::HeldPending,
        Fault::HeldDeleting,
    ] {
        assert!(kinds.contains(&kind), "{kind:?} never happened: {kinds:?}");
    }
}

// ---------------------------------------------------------------------------
// Crash and interrupt
// ---------------------------------------------------------------------------

/// How long the proxy holds the crashed apply's CreateModel before
/// forwarding it: the provider is killed meanwhile.
const MODEL_DELAY: Duration = Duration::from_secs(6);

#[test]
fn after_the_provider_is_killed_mid_create_the_next_apply_adopts_group_endpoint_and_model() {
    let fx = fixture();
    let name = "faults-crash";
    // Every CreateModel waits MODEL_DELAY in the proxy before reaching moto:
    // the provider dies with it on the wire, and moto makes the model after
    // the provider is gone — the worst case for adoption.
    let proxy = start_proxy(
        Config::new(0)
            .latency(1.0, MODEL_DELAY, MODEL_DELAY)
            .only(&["CreateModel"]),
    );
    // Network isolation off: moto reads it back false whatever was sent
    // (docs/moto.md), so an adopted model would otherwise look changed and
    // be replaced, hiding whether it was adopted.
    let ws = fx.workspace(&config(
        &fx,
        &proxy,
        name,
        "    enable_network_isolation = false",
        "",
    ));

    let mut killed = None;
    let (crashed, _) = apply_and_stop(
        &ws,
        || proxy.counters().calls("CreateModel") > 0,
        || {
            let pid = provider_pid(&ws).expect("terraform runs a provider process");
            killed = Some(pid);
            support::signal("-KILL", &pid.to_string());
        },
    );
    assert!(
        !crashed.success(),
        "the apply whose provider was killed must fail:\n{}",
        crashed.combined()
    );
    eprintln!("killed provider process {killed:?}");
    let at_crash = made(&fx, name);
    assert_eq!(
        (at_crash.groups.len(), at_crash.endpoints.len()),
        (1, 1),
        "the killed apply made the group and the endpoint: {at_crash:?}"
    );
    assert!(
        recorded(&ws).is_none(),
        "Terraform recorded nothing of the crashed create"
    );
    // The CreateModel the dead provider sent still lands.
    assert!(
        eventually(MODEL_DELAY * 3, || describe_model(&fx, name).is_some()),
        "the model of the crashed apply was never made: {:?}",
        made(&fx, name)
    );

    proxy.set_config(Config::new(0));
    proxy.reset_counters();
    let adopted = ws.apply_ok().combined();
    assert!(
        support::one_line(&adopted).contains("Apply will adopt what an unfinished create left"),
        "the plan says it adopts:\n{adopted}"
    );
    let counters = proxy.counters();
    for create in ["CreateSecurityGroup", "CreateVpcEndpoint", "CreateModel"] {
        assert_eq!(
            counters.calls(create),
            0,
            "the next apply adopts instead of calling {create}: {counters:?}"
        );
    }
    let (group, endpoint) = assert_exactly_one_of_each(&fx, name, "after the next apply");
    let owners: Vec<Option<String>> = fx
        .endpoints()
        .into_iter()
        .filter(|e| e.id == endpoint)
        .map(|e| e.tags.get(OWNER_TAG).cloned())
        .collect();
    let values = recorded(&ws).expect("the state holds the resource");
    assert_eq!(
        owners,
        [values["id"].as_str().map(str::to_owned)],
        "the S3 endpoint carries the new instance's owner tag"
    );
    let unfinished: Vec<Endpoint> = fx
        .endpoints()
        .into_iter()
        .filter(|e| e.tags.contains_key("sagemaker:creating"))
        .collect();
    assert!(
        unfinished.is_empty(),
        "a finished create leaves no unfinished-create marker: {unfinished:?}"
    );
    assert_eq!(
        (group.as_str(), endpoint.as_str()),
        (at_crash.groups[0].as_str(), at_crash.endpoints[0].as_str()),
        "the group and endpoint made before the crash are the ones adopted"
    );
    assert_eq!(values["security_group_id"], group.as_str());
    assert_eq!(values["s3_endpoint_id"], endpoint.as_str());
    assert_eq!(values["s3_endpoint_managed"], true);
    let model = describe_model(&fx, name).expect("the model exists");
    assert_eq!(values["model_arn"], model["ModelArn"]);
    ws.plan_no_changes();

    ws.destroy_ok();
    Holdings::default().assert_nothing_new(&fx, "after destroy");
}

/// The longest terraform may take to exit after Ctrl-C: the provider stops
/// within 2 s of StopProvider, then terraform saves the state.
const INTERRUPT_EXIT: Duration = Duration::from_secs(3);

#[test]
fn ctrl_c_while_the_s3_endpoint_is_pending_stops_within_seconds_and_the_next_apply_finishes() {
    let fx = fixture();
    let name = "faults-interrupt";
    let proxy = start_proxy(Config::new(0).hold_pending(100_000));
    let ws = fx.workspace(&config(&fx, &proxy, name, "", ""));

    let (interrupted, took) = apply_and_stop(
        &ws,
        || proxy.counters().faults(Fault::HeldPending) >= 2,
        || {
            support::signal(
                "-INT",
                &terraform_pid(&ws).expect("terraform runs").to_string(),
            )
        },
    );
    eprintln!("terraform exited {took:?} after Ctrl-C");
    let output = support::one_line(&interrupted.combined());
    assert!(
        !interrupted.success(),
        "the interrupted apply must fail:\n{output}"
    );
    assert!(
        took < INTERRUPT_EXIT,
        "terraform exits within {INTERRUPT_EXIT:?} of Ctrl-C, took {took:?}:\n{output}"
    );
    let at_stop = made(&fx, name);
    assert_eq!(
        (at_stop.groups.len(), at_stop.endpoints.len(), at_stop.model),
        (1, 1, false),
        "the group and the endpoint exist, no model: {at_stop:?}"
    );
    let cancelled = format!(
        "stopped waiting for VPC endpoint {} to become available: the operation was cancelled",
        at_stop.endpoints[0]
    );
    assert!(
        output.contains(&cancelled),
        "the error says which wait was cancelled:\n{output}"
    );
    assert_state_lists(
        &ws,
        &at_stop.groups[0],
        &at_stop.endpoints[0],
        "after Ctrl-C",
    );

    proxy.clear_memory();
    proxy.set_config(Config::new(0));
    ws.apply_ok();
    let (group, endpoint) = assert_exactly_one_of_each(&fx, name, "after the next apply");
    let values = recorded(&ws).expect("the state holds the resource");
    assert_eq!(values["security_group_id"], group.as_str());
    assert_eq!(values["s3_endpoint_id"], endpoint.as_str());
    ws.plan_no_changes();

    ws.destroy_ok();
    Holdings::default().assert_nothing_new(&fx, "after destroy");
}
