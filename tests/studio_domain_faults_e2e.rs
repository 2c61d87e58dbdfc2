//! `sagemaker_studio_domain` under faults, Ctrl-C and a crash: the real
//! terraform CLI and the provider against the emulator (with its Studio
//! extension), here behind the fault proxy or with Studio objects kept
//! `Pending` by the extension's `emulator:delay-seconds` tag.
//!
//! - **Faults**: a fifth of the calls fail (throttled, HTTP 500/503,
//!   connections dropped, answers lost after the emulator acted); every
//!   seeded apply ends with exactly one domain, its profiles, groups and
//!   endpoints, recorded in state, and every destroy leaves nothing.
//! - **Interrupt**: Ctrl-C while the domain is `Pending` stops the apply
//!   within seconds; the state records the domain and what came before it,
//!   and destroy (which waits for the domain to settle) removes it all.
//! - **Crash**: `kill -9` of the provider while the domain is `Pending`;
//!   the next apply adopts the domain (its tags say an unfinished create
//!   of this configuration made it) instead of failing on its name.

mod support;

use serde_json::{json, Value};
use std::time::Duration;
use support::ec2_fixture::{fixture, Fixture};
use support::fault_proxy::{Config, ErrorAnswer, FailOnce, Fault, FaultProxy, Tally};
use support::holdings::Holdings;
use support::moto;
use support::sagemaker::{sagemaker_call, ROLE};
use support::stopping::{apply_and_stop, provider_pid, terraform_pid};
use support::terraform::{hcl_strings, provider_header, Workspace};

/// The configuration: a domain on subnets `a` and `b`, two users, destroy
/// deleting the home EFS and the NFS groups; `tags` on every object and
/// `settings` in the provider block.
fn config(fx: &Fixture, name: &str, settings: &str, tags: &str) -> String {
    format!(
        r#"
{header}resource "sagemaker_studio_domain" "this" {{
  name                       = "{name}"
  subnet_ids                 = ["{a}", "{b}"]
  default_execution_role_arn = "{ROLE}"
  home_efs_retention         = "Delete"
  tags                       = {tags}
  user_profile {{
    name = "alice"
  }}
  user_profile {{
    name = "bob"
  }}
}}
"#,
        header = provider_header(settings),
        a = fx.subnet_a,
        b = fx.subnet_b,
    )
}

fn sagemaker(fx: &Fixture, operation: &str, body: Value) -> Value {
    let response = sagemaker_call(fx, operation, &body).expect_ok(operation);
    serde_json::from_str(&response.body).unwrap_or(Value::Null)
}

/// The domains of the fixture's account, as (id, name).
fn domains(fx: &Fixture) -> Vec<(String, String)> {
    sagemaker(fx, "ListDomains", json!({}))["Domains"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            (
                d["DomainId"].as_str().unwrap_or("").to_owned(),
                d["DomainName"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// The resource's attributes in the state, if it is there.
fn recorded(ws: &Workspace) -> Option<Value> {
    let state = ws.show_json();
    state["values"]["root_module"]["resources"]
        .as_array()
        .and_then(|r| r.first())
        .map(|r| r["values"].clone())
}

/// Asserts nothing of Studio is left: no domain, and (by [`Holdings`]) no
/// endpoint or group of this provider — the NFS groups included.
fn assert_nothing_left(fx: &Fixture, when: &str) {
    assert!(
        domains(fx).is_empty(),
        "{when}: domains left: {:?}",
        domains(fx)
    );
    Holdings::default().assert_nothing_new(fx, when);
    let nfs: Vec<String> = fx
        .groups()
        .into_iter()
        .filter(|g| g.name.contains("-nfs-"))
        .map(|g| g.name)
        .collect();
    assert!(nfs.is_empty(), "{when}: NFS groups left: {nfs:?}");
}

/// A fifth of the calls fail — 7 % throttled, 5 % HTTP 500/503, 4 %
/// connections dropped before the emulator acts, 4 % answers lost after it
/// acted — 10 % are slowed, and endpoints take one poll to settle each way.
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

/// Seeded runs in all, and runs at once (each lane its own VPC and proxy).
const SEEDS: u64 = 10;
const LANES: u64 = 2;

/// Apply then destroy once per seed, checking the emulator after each.
fn apply_and_destroy_per_seed(lane: u64, seeds: Vec<u64>) -> Tally {
    let fx = fixture();
    let proxy = FaultProxy::start(&moto::shared().endpoint, Config::new(0));
    // Studio objects stay Pending/Deleting for a second: waits are exercised.
    let tags = r#"{ "emulator:delay-seconds" = "1" }"#;
    let name = format!("faults-{lane}");
    let ws = fx.workspace(&config(&fx, &name, &proxy.endpoints_block(), tags));
    proxy.seeded_runs(seeds, a_fifth_failing, |seed| {
        ws.apply_ok();
        let found = domains(&fx);
        assert_eq!(found.len(), 1, "seed {seed}: exactly one domain: {found:?}");
        let values = recorded(&ws).expect("the state holds the domain");
        assert_eq!(values["domain_id"], found[0].0.as_str(), "seed {seed}");
        let profiles = sagemaker(
            &fx,
            "ListUserProfiles",
            json!({ "DomainIdEquals": found[0].0 }),
        );
        assert_eq!(
            profiles["UserProfiles"].as_array().map(Vec::len),
            Some(2),
            "seed {seed}"
        );
        let live: Vec<String> = fx.endpoints().into_iter().map(|e| e.id).collect();
        assert_eq!(
            live.len(),
            6,
            "seed {seed}: one endpoint per service: {live:?}"
        );
        let users = values["user_security_group_ids"]
            .as_object()
            .map(|m| m.len());
        assert_eq!(users, Some(2), "seed {seed}");
        ws.plan_no_changes();

        ws.destroy_ok();
        assert_nothing_left(&fx, &format!("seed {seed}, after destroy"));
    })
}

#[test]
fn with_a_fifth_of_calls_failing_seeded_applies_and_destroys_leave_nothing_behind() {
    let tally = Tally::in_lanes(LANES, SEEDS, apply_and_destroy_per_seed);
    assert_eq!(tally.runs, SEEDS);
    let (calls, share) = (tally.calls, tally.failed_share());
    assert!(
        (0.12..=0.28).contains(&share),
        "about a fifth of all {calls} calls failed, got {share:.3}"
    );
    let lost = &tally.lost;
    assert!(
        lost.iter().any(|op| op.starts_with("CreateUserProfile")
            || op.starts_with("CreateDomain")
            || op.starts_with("DeleteUserProfile")),
        "no answer of a Studio create or delete was lost, so its retry went untested: {lost:?}"
    );
    for kind in [
        Fault::Throttle,
        Fault::ServerError,
        Fault::Drop,
        Fault::LostResponse,
    ] {
        assert!(
            tally.kinds.contains(&kind),
            "{kind:?} never happened: {:?}",
            tally.kinds
        );
    }
}

/// The domain of `name` exists (it is being made).
fn domain_exists(fx: &Fixture, name: &str) -> bool {
    domains(fx).iter().any(|(_, n)| n == name)
}

#[test]
fn ctrl_c_while_the_domain_is_pending_returns_what_exists_and_destroy_removes_it() {
    let fx = fixture();
    let tags = r#"{ "emulator:delay-seconds" = "20" }"#;
    let ws = fx.workspace(&config(&fx, "interrupted", "", tags));
    let (interrupted, took) = apply_and_stop(
        &ws,
        || domain_exists(&fx, "interrupted"),
        || {
            support::signal(
                "-INT",
                &terraform_pid(&ws).expect("terraform runs").to_string(),
            )
        },
    );
    let output = interrupted.combined();
    assert!(
        !interrupted.success(),
        "the interrupted apply must fail:\n{output}"
    );
    assert!(
        took <= Duration::from_secs(3),
        "terraform exited {took:?} after SIGINT:\n{output}"
    );
    assert!(
        output.contains("Stopped before the apply finished"),
        "{output}"
    );
    let values = recorded(&ws).expect("the state holds what was made");
    let id = &domains(&fx)[0].0;
    assert_eq!(
        values["domain_id"],
        id.as_str(),
        "the state records the domain"
    );
    assert!(values["security_group_id"]
        .as_str()
        .is_some_and(|g| g.starts_with("sg-")));
    ws.destroy_ok();
    assert_nothing_left(&fx, "after destroy");
}

#[test]
fn after_the_provider_is_killed_while_the_domain_is_pending_the_next_apply_adopts_it() {
    let fx = fixture();
    let tags = r#"{ "emulator:delay-seconds" = "8" }"#;
    let ws = fx.workspace(&config(&fx, "crashed", "", tags));
    let (crashed, _) = apply_and_stop(
        &ws,
        || domain_exists(&fx, "crashed"),
        || {
            let pid = provider_pid(&ws).expect("terraform runs a provider process");
            support::signal("-9", &pid.to_string());
        },
    );
    assert!(
        !crashed.success(),
        "the apply whose provider was killed must fail"
    );
    let made = domains(&fx);
    assert_eq!(made.len(), 1);
    let adopted = ws.apply_ok().combined();
    assert!(
        support::one_line(&adopted).contains("Adopting an unfinished create"),
        "the plan says it adopts:\n{adopted}"
    );
    assert_eq!(domains(&fx), made, "the domain is adopted, not made again");
    let values = recorded(&ws).expect("the state holds the domain");
    assert_eq!(values["domain_id"], made[0].0.as_str());
    let groups: Vec<String> = fx
        .groups()
        .into_iter()
        .filter(|g| g.name.starts_with("sagemaker-studio-"))
        .map(|g| g.name)
        .collect();
    assert_eq!(
        groups.len(),
        3,
        "the groups are adopted, not made again: {groups:?}"
    );
    ws.plan_no_changes();
    ws.destroy_ok();
    assert_nothing_left(&fx, "after destroy");
}

#[test]
fn a_refused_domain_create_keeps_what_was_made_in_state_and_the_next_apply_finishes_without_duplicates(
) {
    let fx = fixture();
    let refusal = ErrorAnswer::client(
        "ValidationException",
        "SageMaker is not authorized to perform: iam:PassRole on the execution role",
    );
    let proxy = FaultProxy::start(
        &moto::shared().endpoint,
        Config::new(0).fail_once(FailOnce::new("CreateDomain", refusal)),
    );
    let ws = fx.workspace(&config(&fx, "refused", &proxy.endpoints_block(), "{}"));
    let output = ws.apply_err();
    assert!(output.contains("iam:PassRole"), "{output}");
    assert!(domains(&fx).is_empty(), "no domain was made");
    let values = recorded(&ws).expect("the state keeps what was made before the domain");
    let made: Vec<String> = fx.endpoints().into_iter().map(|e| e.id).collect();
    assert_eq!(made.len(), 6, "the endpoints were made: {made:?}");
    assert!(values["security_group_id"]
        .as_str()
        .is_some_and(|g| g.starts_with("sg-")));

    // The next apply (the role fixed) finishes: one of everything.
    ws.apply_ok();
    assert_eq!(domains(&fx).len(), 1);
    let endpoints: Vec<String> = fx.endpoints().into_iter().map(|e| e.id).collect();
    assert_eq!(endpoints.len(), 6, "nothing duplicated: {endpoints:?}");
    let groups: Vec<String> = fx
        .groups()
        .into_iter()
        .filter(|g| g.tags.contains_key("ManagedBy"))
        .map(|g| g.name)
        .collect();
    assert_eq!(groups.len(), 4, "domain, two users, endpoints: {groups:?}");
    ws.plan_no_changes();
    ws.destroy_ok();
    assert_nothing_left(&fx, "after destroy");
}

/// A domain `ordered` on `subnets`, with `sdk_training`, one user,
/// AWS reached through `settings`.
fn ordered_config(settings: &str, subnets: &[&str], sdk_training: bool) -> String {
    let subnets = hcl_strings(subnets);
    format!(
        r#"
{header}resource "sagemaker_studio_domain" "this" {{
  name                       = "ordered"
  subnet_ids                 = [{subnets}]
  default_execution_role_arn = "{ROLE}"
  home_efs_retention         = "Delete"
  sdk_training               = {sdk_training}
  user_profile {{
    name = "alice"
  }}
}}
"#,
        header = provider_header(settings),
    )
}

/// The short service names of the endpoints of the fixture's account
/// (`sts` for `com.amazonaws.us-east-1.sts`) and every subnet they use.
fn endpoint_services_and_subnets(
    fx: &Fixture,
) -> (
    std::collections::BTreeSet<String>,
    std::collections::BTreeSet<String>,
) {
    let endpoints = fx.endpoints();
    let services = endpoints
        .iter()
        .map(|e| e.service.rsplit('.').next().unwrap_or_default().to_owned())
        .collect();
    let subnets = endpoints.iter().flat_map(|e| e.subnets.clone()).collect();
    (services, subnets)
}

#[test]
fn endpoints_the_domain_may_still_use_go_only_after_its_update() {
    let fx = fixture();
    let proxy = FaultProxy::start(&moto::shared().endpoint, Config::new(0));
    let settings = proxy.endpoints_block();
    let all = [
        fx.subnet_a.as_str(),
        fx.subnet_b.as_str(),
        fx.subnet_c.as_str(),
    ];
    let ws = fx.workspace(&ordered_config(&settings, &all, true));
    ws.apply_ok();
    let (services, subnets) = endpoint_services_and_subnets(&fx);
    assert!(
        services.contains("sts") && services.contains("logs"),
        "{services:?}"
    );
    assert!(subnets.contains(&fx.subnet_c), "{subnets:?}");

    // One subnet and the SDK-training endpoints less, and UpdateDomain
    // refused: the endpoints and the zone the domain still uses stay.
    let refusal = ErrorAnswer::client("ValidationException", "Simulated refusal of UpdateDomain");
    proxy.set_config(Config::new(0).fail_once(FailOnce::new("UpdateDomain", refusal)));
    let fewer = [fx.subnet_a.as_str(), fx.subnet_b.as_str()];
    ws.write("main.tf", &ordered_config(&settings, &fewer, false));
    let output = ws.apply_err();
    assert!(
        support::one_line(&output).contains("Simulated refusal"),
        "{output}"
    );
    assert!(proxy.config().fail_once[0].fired());
    let (services, subnets) = endpoint_services_and_subnets(&fx);
    assert!(
        services.contains("sts") && services.contains("logs"),
        "removed before the domain was updated: {services:?}"
    );
    assert!(
        subnets.contains(&fx.subnet_c),
        "the zone left before the domain was updated: {subnets:?}"
    );

    // The next apply updates the domain, then removes what it no longer needs.
    ws.apply_ok();
    let (services, subnets) = endpoint_services_and_subnets(&fx);
    assert!(
        !services.contains("sts") && !services.contains("logs"),
        "{services:?}"
    );
    assert_eq!(fx.endpoints().len(), 4, "api, runtime, studio, s3");
    assert!(!subnets.contains(&fx.subnet_c), "{subnets:?}");
    ws.plan_no_changes();
    ws.destroy_ok();
    assert_nothing_left(&fx, "after destroy");
}
