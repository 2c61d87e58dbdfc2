//! Regression tests for the accept loop that spun on errors: with 400 idle
//! TCP connections to the plugin port and a 256-descriptor limit, every
//! `accept` failed with EMFILE and the loop retried at once — ~0.9 core and
//! 390,105 warnings (72 MB of log) in 5 s, and Terraform could not connect.
//! Any local process can do this before authenticating.
//!
//! The real binary runs under `ulimit -n` [`OPEN_FILES`] (a wrapper script
//! that `exec`s it, same pid) and gets [`IDLE_CONNECTIONS`]: more than it
//! can accept, fewer than that plus the listen backlog (128), so every
//! connect succeeds even while nothing is accepted. While the flood is held the provider must
//! stay cheap (CPU time from `/proc/PID/stat`) and quiet (stderr lines), a
//! client with Terraform's certificate must still get the schema, and once
//! the flood is gone any client must get it.

mod support;

use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use support::plugin_client::{launch, ClientIdentity, PluginProcess};
use support::process::cpu_time;
use tfprovider_sagemaker::protocol::proto::tfplugin6 as pb;

/// The provider's descriptor limit: fewer than the idle connections and
/// fewer than the pending TLS handshakes it would otherwise keep.
const OPEN_FILES: u32 = 24;
/// Idle connections another local process opens.
const IDLE_CONNECTIONS: usize = 120;
/// How long the flood is measured.
const WINDOW: Duration = Duration::from_secs(3);
/// CPU the provider may use in [`WINDOW`] (it used ~2.7 s).
const CPU_LIMIT: Duration = Duration::from_millis(300);
/// Log lines it may write in [`WINDOW`] (it wrote ~230,000).
const LOG_LINE_LIMIT: usize = 50;
/// How soon a real client must get the schema.
const CONNECT_LIMIT: Duration = Duration::from_secs(5);

/// A script that lowers the descriptor limit, then `exec`s the provider.
fn limited_provider(dir: &tempfile::TempDir) -> PathBuf {
    let script = dir.path().join("provider-ulimit.sh");
    let body = format!(
        "#!/bin/sh\nulimit -n {OPEN_FILES} || exit 111\nexec '{}' \"$@\"\n",
        support::provider_binary().display()
    );
    std::fs::write(&script, body).expect("write the wrapper script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
        .expect("make the wrapper executable");
    script
}

/// What the provider did while flooded.
#[derive(Debug)]
struct Flooded {
    cpu: Duration,
    log_lines: usize,
}

/// Opens [`IDLE_CONNECTIONS`] connections that never send a byte and
/// measures the provider over [`WINDOW`]; returns them still open.
async fn flood(provider: &PluginProcess) -> (Vec<TcpStream>, Flooded) {
    let pid = provider.child.id();
    let (cpu_before, lines_before) = (cpu_time(pid), provider.stderr_text().lines().count());
    let idle: Vec<TcpStream> = (0..IDLE_CONNECTIONS)
        .map(|_| TcpStream::connect(&provider.addr).expect("connect to the plugin port"))
        .collect();
    tokio::time::sleep(WINDOW).await;
    let flooded = Flooded {
        cpu: cpu_time(pid) - cpu_before,
        log_lines: provider.stderr_text().lines().count() - lines_before,
    };
    eprintln!("while flooded for {WINDOW:?}: {flooded:?}");
    (idle, flooded)
}

/// Asserts the flood cost little and logged little.
fn assert_cheap_and_quiet(provider: &PluginProcess, flooded: &Flooded) {
    let log = provider.stderr_text();
    let tail: Vec<&str> = log.lines().rev().take(5).collect();
    assert!(
        flooded.cpu < CPU_LIMIT,
        "the provider used {:?} of CPU in {WINDOW:?} (limit {CPU_LIMIT:?}); last log lines: {tail:#?}",
        flooded.cpu
    );
    assert!(
        flooded.log_lines < LOG_LINE_LIMIT,
        "the provider wrote {} log lines in {WINDOW:?} (limit {LOG_LINE_LIMIT}); last: {tail:#?}",
        flooded.log_lines
    );
}

/// Asks for the schema as `identity` and returns how long it took.
async fn schema_within_limit(
    provider: &PluginProcess,
    identity: Option<&ClientIdentity>,
    when: &str,
) -> Duration {
    let started = Instant::now();
    let call = async {
        let channel = provider.connect(identity).await?;
        let mut client =
            pb::provider_client::ProviderClient::new(channel).max_decoding_message_size(256 << 20);
        let schema = client
            .get_provider_schema(pb::get_provider_schema::Request {})
            .await?;
        Ok::<_, support::plugin_client::BoxError>(schema.into_inner())
    };
    let outcome = tokio::time::timeout(CONNECT_LIMIT, call).await;
    let took = started.elapsed();
    eprintln!(
        "schema {when}: {:?} after {took:?}",
        outcome.as_ref().map(|r| r.is_ok())
    );
    match outcome {
        Ok(Ok(schema)) => assert!(schema.provider.is_some(), "a schema {when}"),
        Ok(Err(e)) => panic!(
            "no schema {when}: {e}\n--- stderr (tail) ---\n{}",
            tail(&provider.stderr_text())
        ),
        Err(_) => panic!(
            "no schema {when} within {CONNECT_LIMIT:?}\n--- stderr (tail) ---\n{}",
            tail(&provider.stderr_text())
        ),
    }
    took
}

fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(10)..].join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_to_the_tls_port_cost_little_and_terraform_still_connects() {
    let scratch = tempfile::tempdir_in(support::target_tmpdir()).expect("scratch directory");
    let terraform = ClientIdentity::generate();
    let provider = launch(
        &limited_provider(&scratch),
        Some(&terraform),
        &[("TF_LOG_PROVIDER", "warn")],
    );
    let (idle, flooded) = flood(&provider).await;
    assert_cheap_and_quiet(&provider, &flooded);
    schema_within_limit(&provider, Some(&terraform), "while the flood is held").await;
    drop(idle);
    schema_within_limit(&provider, Some(&terraform), "after the flood").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_to_the_plaintext_port_cost_little_and_a_client_connects_after() {
    let scratch = tempfile::tempdir_in(support::target_tmpdir()).expect("scratch directory");
    let provider = launch(
        &limited_provider(&scratch),
        None,
        &[("TF_LOG_PROVIDER", "warn")],
    );
    let (idle, flooded) = flood(&provider).await;
    assert_cheap_and_quiet(&provider, &flooded);
    drop(idle);
    schema_within_limit(&provider, None, "after the flood").await;
}
