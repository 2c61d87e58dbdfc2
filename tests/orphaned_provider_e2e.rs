//! Regression tests for the orphaned provider: after `kill -9` of Terraform
//! the provider process was re-parented (to init or a subreaper) and kept
//! listening, with the user's AWS credentials, until killed by hand. Started
//! by Terraform (the go-plugin cookie), it must now exit within 2 s of its
//! parent's death.
//!
//! - A cheap check without Terraform: the provider started by a shell that
//!   is then killed.
//! - End to end: `kill -9` of `terraform apply` in the middle of a paced
//!   create (the `studio_vpc_only` preset, 7 endpoints, runs for more than
//!   10 s on moto), then no provider process of the workspace remains; the
//!   next apply adopts what the dead one made.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread::sleep;
use std::time::{Duration, Instant};
use support::ec2_fixture::{fixture, Fixture};
use support::plugin_client::MAGIC_COOKIE_VALUE;
use support::process::{self, KillOnDrop};
use support::sagemaker::studio_network_workspace;
use support::terraform::Workspace;

/// How soon the provider must be gone after its parent died.
const EXIT_LIMIT: Duration = Duration::from_secs(2);
/// The limit the end-to-end check allows (Terraform's own teardown of the
/// killed process tree takes nothing, but the poll runs on a busy machine).
const E2E_EXIT_LIMIT: Duration = Duration::from_secs(3);
/// How long the test waits for the apply to reach the middle of its create.
const REACH_MIDDLE: Duration = Duration::from_secs(60);

/// Starts the provider the way Terraform does (cookie, plaintext) but as
/// the background child of `sh`; returns the shell and the provider's pid
/// once the provider printed its handshake line.
fn provider_under_a_shell() -> (std::process::Child, u32, std::process::ChildStderr) {
    let mut shell = Command::new("sh")
        .args(["-c", r#""$0" & echo "provider pid $!"; wait"#])
        .arg(support::provider_binary())
        .env("TF_PLUGIN_MAGIC_COOKIE", MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("TF_DISABLE_PLUGIN_TLS", "1")
        .env("TF_LOG_PROVIDER", "warn")
        .env_remove("TF_REATTACH_PROVIDERS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sh");
    let stdout = shell.stdout.take().expect("piped stdout");
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let (mut pid, mut handshake) = (None, false);
    while pid.is_none() || !handshake {
        let line = received
            .recv_timeout(Duration::from_secs(30))
            .expect("the shell prints the provider pid and the provider its handshake");
        if let Some(n) = line.strip_prefix("provider pid ") {
            pid = n.trim().parse().ok();
        }
        handshake |= line.starts_with("1|6|tcp|");
    }
    let stderr = shell.stderr.take().expect("piped stderr");
    (shell, pid.expect("a provider pid"), stderr)
}

#[test]
fn the_provider_exits_within_two_seconds_when_its_parent_dies() {
    let (mut shell, provider, mut stderr) = provider_under_a_shell();
    let _cleanup = KillOnDrop(vec![provider]);
    assert_eq!(process::parent_of(provider), Some(shell.id()));
    sleep(Duration::from_millis(700));
    assert!(
        process::is_running(provider),
        "the provider must keep running while its parent lives"
    );

    support::signal("-9", &shell.id().to_string());
    let _ = shell.wait();
    let took = process::wait_until_gone(&[provider], Duration::from_secs(10));
    eprintln!("the provider exited {took:?} after its parent was killed");
    let took = took.expect("the orphaned provider must exit by itself");
    assert!(
        took <= EXIT_LIMIT,
        "the provider exited {took:?} after its parent died (limit {EXIT_LIMIT:?})"
    );
    let mut log = String::new();
    let _ = stderr.read_to_string(&mut log);
    assert!(
        log.contains(&format!("Terraform (pid {}) is gone; exiting", shell.id()))
            && log.contains("\"@level\":\"warn\""),
        "the provider says why it exits, as a warning:\n{log}"
    );
}

/// Waits until the create made its first endpoints (it is then in its
/// paced middle) and returns the provider processes of the workspace.
fn providers_in_the_middle(fx: &Fixture, ws: &Workspace) -> Vec<u32> {
    let started = Instant::now();
    loop {
        let providers = process::running_from(ws.path());
        if fx.endpoints().len() >= 2 && !providers.is_empty() {
            return providers;
        }
        assert!(
            started.elapsed() < REACH_MIDDLE,
            "the create did not reach its middle within {REACH_MIDDLE:?}: endpoints {:?}",
            fx.endpoints()
        );
        sleep(Duration::from_millis(50));
    }
}

#[test]
fn after_kill_9_of_terraform_mid_apply_no_provider_process_remains() {
    let fx = fixture();
    let ws = studio_network_workspace(&fx);
    let (providers, took) = std::thread::scope(|scope| {
        let apply = scope.spawn(|| ws.run(&["apply", "-input=false", "-auto-approve"]));
        let providers = providers_in_the_middle(&fx, &ws);
        let _cleanup = KillOnDrop(providers.clone());
        let terraform = process::parent_of(providers[0]).expect("the provider has a parent");
        assert_eq!(
            process::program_of(terraform).as_deref(),
            Some("terraform"),
            "the provider's parent is terraform"
        );
        support::signal("-9", &terraform.to_string());
        let took = process::wait_until_gone(&providers, Duration::from_secs(10));
        let killed = apply.join().expect("the apply thread");
        assert!(!killed.success(), "the killed apply must fail");
        (providers, took)
    });
    eprintln!("provider processes {providers:?} exited {took:?} after kill -9 of terraform");
    let took = took.expect("no provider process may outlive terraform");
    assert!(
        took <= E2E_EXIT_LIMIT,
        "the provider exited {took:?} after terraform died (limit {E2E_EXIT_LIMIT:?})"
    );

    let made = fx.endpoints().len();
    let adopted = ws.apply_ok().combined();
    assert!(
        support::one_line(&adopted).contains("Apply will adopt what an unfinished create left"),
        "what the orphaned provider made carries the create-in-progress marker:\n{adopted}"
    );
    let services: Vec<String> = fx.endpoints().into_iter().map(|e| e.service).collect();
    let mut unique = services.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        (services.len(), unique.len()),
        (7, 7),
        "one endpoint per service after adopting the {made} made before the kill: {services:?}"
    );
}
