//! `sagemaker_private_network` when an apply does not finish, end to end
//! through real terraform and moto:
//!
//! - **Crash**: the provider is killed (`kill -9`) in the middle of a create.
//!   Terraform records nothing, so the next apply must find what the dead
//!   process made by its ownership tags and adopt it: one group, one
//!   endpoint per service, nothing left behind by destroy.
//! - **Interrupt**: Ctrl-C (SIGINT to terraform) in the middle of a create.
//!   Terraform sends StopProvider; the provider stops its in-flight work
//!   within 2 s and returns every object made so far, so the state lists
//!   them; the next apply finishes without duplicates.
//!
//! Both use the `studio_vpc_only` preset (7 endpoints): the provider paces
//! CreateVpcEndpoint to EC2's bucket (4 at once, then one per ~3.3 s), so
//! the create runs for more than 10 s even on moto, and the test stops it
//! once the group and the first endpoints exist.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::thread::sleep;
use std::time::{Duration, Instant};
use support::ec2_fixture::{fixture, Fixture};
use support::terraform::{provider_header, Output, Workspace};

/// The endpoint services of the `studio_vpc_only` preset.
const STUDIO_SERVICES: [&str; 7] = [
    "com.amazonaws.us-east-1.logs",
    "com.amazonaws.us-east-1.s3",
    "com.amazonaws.us-east-1.sagemaker.api",
    "com.amazonaws.us-east-1.sagemaker.runtime",
    "com.amazonaws.us-east-1.servicecatalog",
    "com.amazonaws.us-east-1.sts",
    "aws.sagemaker.us-east-1.studio",
];
/// How long the test waits for the interrupted apply to reach the middle.
const REACH_MIDDLE: Duration = Duration::from_secs(60);

/// A workspace whose provider is a wrapper script that logs the pid of
/// every provider process Terraform starts, then `exec`s the real binary
/// (same pid), so the test can find the process doing the apply.
struct Recorded {
    ws: Workspace,
    pid_log: PathBuf,
    _scratch: tempfile::TempDir,
}

impl Recorded {
    /// The studio_vpc_only network on subnets `b` and `c` of `fx`.
    fn new(fx: &Fixture) -> Recorded {
        let scratch = tempfile::Builder::new()
            .prefix("provider-wrapper-")
            .tempdir_in(support::target_tmpdir())
            .expect("create a scratch directory");
        let pid_log = scratch.path().join("provider.pids");
        let wrapper = scratch.path().join("provider.sh");
        let script = format!(
            "#!/bin/sh\necho $$ >> '{}'\nexec '{}' \"$@\"\n",
            pid_log.display(),
            support::provider_binary().display()
        );
        std::fs::write(&wrapper, script).expect("write the provider wrapper");
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755))
            .expect("make the wrapper executable");
        let main = format!(
            r#"
{header}resource "sagemaker_private_network" "this" {{
  vpc_id     = "{}"
  subnet_ids = ["{}", "{}"]
  services   = ["studio_vpc_only"]
}}
output "network" {{ value = sagemaker_private_network.this }}
"#,
            fx.vpc_id,
            fx.subnet_b,
            fx.subnet_c,
            header = provider_header("")
        );
        let mut ws = Workspace::with_provider(&main, &wrapper);
        ws.set_envs(fx.account.aws_env());
        ws.init();
        Recorded {
            ws,
            pid_log,
            _scratch: scratch,
        }
    }

    /// The pid of the provider process started last (the one applying).
    fn last_provider_pid(&self) -> String {
        let log = std::fs::read_to_string(&self.pid_log).expect("read the provider pid log");
        log.lines()
            .last()
            .expect("a provider process was started")
            .trim()
            .to_owned()
    }

    /// The pid of terraform: the parent of the last provider process.
    fn terraform_pid(&self) -> String {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.last_provider_pid()))
            .expect("the provider process is alive");
        // `pid (comm) state ppid …`: comm may hold spaces, so split after ')'.
        let after_comm = &stat[stat.rfind(')').expect("stat has (comm)") + 1..];
        after_comm
            .split_whitespace()
            .nth(1)
            .expect("stat has a ppid")
            .to_owned()
    }
}

/// The emulator's security groups of the fixture VPC made by the provider.
fn network_groups(fx: &Fixture) -> Vec<String> {
    let prefix = format!("sagemaker-private-network-{}", fx.vpc_id);
    fx.groups()
        .into_iter()
        .filter(|g| {
            g.vpc_id == fx.vpc_id
                && (g.name.starts_with(&prefix) || g.tags.contains_key("ManagedBy"))
        })
        .map(|g| g.id)
        .collect()
}

/// Endpoint id by service name, asserting there is at most one per service.
fn endpoints_by_service(fx: &Fixture) -> BTreeMap<String, String> {
    let live = fx.endpoints();
    let mut by_service = BTreeMap::new();
    for endpoint in &live {
        let earlier = by_service.insert(endpoint.service.clone(), endpoint.id.clone());
        assert!(
            earlier.is_none(),
            "two endpoints for {}: {live:?}",
            endpoint.service
        );
    }
    by_service
}

/// Polls the emulator until the group and at least four endpoints exist
/// (the paced create is then in its middle); returns how long it took.
fn wait_for_the_middle(fx: &Fixture) -> Duration {
    let started = Instant::now();
    loop {
        if network_groups(fx).len() == 1 && fx.endpoints().len() >= 4 {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < REACH_MIDDLE,
            "the create did not reach its middle within {REACH_MIDDLE:?}: endpoints {:?}",
            fx.endpoints()
        );
        sleep(Duration::from_millis(50));
    }
}

/// The endpoint ids recorded in the state, by short name.
fn state_endpoints(ws: &Workspace) -> BTreeMap<String, String> {
    let state = ws.show_json();
    let resources = state["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let Some(network) = resources
        .iter()
        .find(|r| r["address"] == "sagemaker_private_network.this")
    else {
        return BTreeMap::new();
    };
    network["values"]["endpoints"]
        .as_object()
        .map(|entries| {
            entries
                .iter()
                .map(|(name, e)| (name.clone(), e["id"].as_str().unwrap_or("").to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// After a finishing apply: exactly one group and one endpoint per
/// service of the preset, the state recording exactly those; then destroy
/// leaves nothing.
fn assert_finished_then_destroy(fx: &Fixture, ws: &Workspace) {
    let groups = network_groups(fx);
    assert_eq!(groups.len(), 1, "exactly one group: {groups:?}");
    let by_service = endpoints_by_service(fx);
    let services: BTreeSet<&str> = by_service.keys().map(String::as_str).collect();
    assert_eq!(
        services,
        STUDIO_SERVICES.into_iter().collect::<BTreeSet<_>>(),
        "one endpoint per service of the preset"
    );
    let in_state: BTreeSet<String> = state_endpoints(ws).into_values().collect();
    let live: BTreeSet<String> = by_service.into_values().collect();
    assert_eq!(in_state, live, "the state records every endpoint");
    ws.plan_no_changes();
    ws.destroy_ok();
    assert!(
        fx.endpoints().is_empty(),
        "endpoints left: {:?}",
        fx.endpoints()
    );
    assert!(network_groups(fx).is_empty(), "the group was left behind");
}

/// Runs `terraform apply` on a thread, waits for the middle of the create,
/// calls `stop` (which signals a process), and returns terraform's output
/// with the time from `stop` to terraform's exit.
fn apply_and_stop(fx: &Fixture, recorded: &Recorded, stop: impl FnOnce()) -> (Output, Duration) {
    std::thread::scope(|scope| {
        let apply = scope.spawn(|| {
            let output = recorded.ws.run(&["apply", "-input=false", "-auto-approve"]);
            (output, Instant::now())
        });
        let waited = wait_for_the_middle(fx);
        eprintln!("create reached its middle after {waited:?}");
        let stopped = Instant::now();
        stop();
        let (output, exited) = apply.join().expect("the apply thread");
        (output, exited.duration_since(stopped))
    })
}

#[test]
fn after_the_provider_is_killed_mid_create_the_next_apply_adopts_what_it_made() {
    let fx = fixture();
    let recorded = Recorded::new(&fx);
    let (crashed, _) = apply_and_stop(&fx, &recorded, || {
        support::signal("-9", &recorded.last_provider_pid());
    });
    assert!(
        !crashed.success(),
        "the apply whose provider was killed must fail:\n{}",
        crashed.combined()
    );
    let made = endpoints_by_service(&fx);
    let groups = network_groups(&fx);
    eprintln!(
        "the crashed apply made {} endpoints and {groups:?}",
        made.len()
    );
    assert!(
        made.len() < STUDIO_SERVICES.len(),
        "the provider must die before the create finished: {made:?}"
    );
    assert_eq!(groups.len(), 1, "the crashed apply made the group");
    assert!(
        state_endpoints(&recorded.ws).is_empty(),
        "Terraform recorded nothing of the crashed create"
    );

    let adopted = recorded.ws.apply_ok().combined();
    assert!(
        support::one_line(&adopted).contains("Apply will adopt what an unfinished create left"),
        "the plan says it adopts:\n{adopted}"
    );
    let after = endpoints_by_service(&fx);
    for (service_name, id) in &made {
        assert_eq!(
            after.get(service_name),
            Some(id),
            "the endpoint for {service_name} made before the crash is adopted, not made again"
        );
    }
    assert_eq!(network_groups(&fx), groups, "the group is adopted");
    assert_finished_then_destroy(&fx, &recorded.ws);
}

#[test]
fn ctrl_c_mid_create_stops_within_two_seconds_and_the_state_lists_what_was_made() {
    let fx = fixture();
    let recorded = Recorded::new(&fx);
    let (interrupted, took) = apply_and_stop(&fx, &recorded, || {
        support::signal("-INT", &recorded.terraform_pid());
    });
    let output = interrupted.combined();
    eprintln!("terraform exited {took:?} after SIGINT");
    assert!(
        !interrupted.success(),
        "the interrupted apply must fail:\n{output}"
    );
    assert!(
        took <= Duration::from_secs(2),
        "terraform exited {took:?} after SIGINT: in-flight work must stop within 2 s:\n{output}"
    );
    assert!(
        output.contains("Stopped before the apply finished")
            && support::one_line(&output).contains("not done: the "),
        "the provider says what it did not make:\n{output}"
    );
    let made = endpoints_by_service(&fx);
    assert!(
        made.len() < STUDIO_SERVICES.len(),
        "the interrupt came before the create finished: {made:?}"
    );
    let in_state: BTreeSet<String> = state_endpoints(&recorded.ws).into_values().collect();
    let live: BTreeSet<String> = made.values().cloned().collect();
    assert_eq!(
        in_state, live,
        "the state lists every endpoint made before the interrupt"
    );
    let state = recorded.ws.show_json();
    let network = &state["values"]["root_module"]["resources"][0]["values"];
    assert_eq!(
        vec![network["security_group_id"]
            .as_str()
            .unwrap_or("")
            .to_owned()],
        network_groups(&fx),
        "the state lists the group"
    );

    // Terraform marks a create that failed (here: was interrupted) tainted,
    // so the next apply replaces it: destroy what was made, then create.
    assert_eq!(
        state["values"]["root_module"]["resources"][0]["tainted"], true,
        "an interrupted create is tainted"
    );
    let next = recorded.ws.apply_ok();
    assert!(
        next.stdout
            .contains("Plan: 1 to add, 0 to change, 1 to destroy."),
        "the tainted network is replaced:\n{}",
        next.stdout
    );
    assert_finished_then_destroy(&fx, &recorded.ws);
}
