//! Process-cost benchmark: what Terraform pays each time it starts the
//! provider (at least three times per command). Measures the release binary
//! size, time from spawn to the handshake line, GetProviderSchema latency
//! over the mTLS channel, and peak RSS — side by side with the floor of
//! spawning a trivial process that prints one line, so results read as
//! ratios. Run with `make bench`; writes `bench/results/startup.md`.
//!
//! The provider measured is `SAGEMAKER_PROVIDER_BINARY` (`make bench` points
//! it at the release build); the measuring client may be built in any
//! profile — `make bench` uses the warm dev profile, because building the
//! benchmark's dev-dependencies in release would rebuild the AWS SDK.

mod common;
#[path = "../tests/support/plugin_client.rs"]
mod plugin_client;

use common::{machine_description, median, ms, percentile, provider_binary, vm_hwm_kib};
use plugin_client::{launch, ClientIdentity};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tfprovider_sagemaker::protocol::proto::tfplugin6 as pb;

const LAUNCHES: usize = 25;
const SCHEMA_CALLS: usize = 100;

fn main() {
    let binary = provider_binary();
    let size = std::fs::metadata(&binary).expect("release binary").len();
    let floor = median(
        &(0..LAUNCHES)
            .map(|_| spawn_and_read_line())
            .collect::<Vec<_>>(),
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut handshakes = Vec::new();
    let mut first_calls = Vec::new();
    let mut warm_calls = Vec::new();
    let mut peak_rss_kib = 0;
    for launch_index in 0..LAUNCHES {
        let identity = ClientIdentity::generate();
        let started = Instant::now();
        let process = launch(&binary, Some(&identity), &[]);
        handshakes.push(started.elapsed());
        runtime.block_on(async {
            let began = Instant::now();
            let channel = process.connect(Some(&identity)).await.expect("connect");
            let mut client = pb::provider_client::ProviderClient::new(channel.clone());
            client
                .get_provider_schema(pb::get_provider_schema::Request {})
                .await
                .expect("schema");
            first_calls.push(began.elapsed());
            if launch_index == 0 {
                for _ in 0..SCHEMA_CALLS {
                    let began = Instant::now();
                    client
                        .get_provider_schema(pb::get_provider_schema::Request {})
                        .await
                        .expect("schema");
                    warm_calls.push(began.elapsed());
                }
            }
            peak_rss_kib = peak_rss_kib.max(vm_hwm_kib(process.child.id()));
            let _ = process.shutdown(channel).await;
        });
    }
    let handshake = median(&handshakes);
    let report = format!(
        "# Provider process cost\n\n{machine}\n\n\
         | measure | value | ratio to floor |\n|---|---|---|\n\
         | provider binary size | {size_mib:.1} MiB | |\n\
         | spawn → handshake line (median of {LAUNCHES}) | {handshake_ms:.1} ms | {ratio:.1}× (floor: spawn → first line of `echo`, {floor_ms:.2} ms) |\n\
         | spawn → handshake line (p90) | {handshake_p90:.1} ms | |\n\
         | first GetProviderSchema incl. TLS connect (median) | {first_ms:.2} ms | |\n\
         | warm GetProviderSchema (median of {SCHEMA_CALLS}) | {warm_ms:.3} ms | |\n\
         | peak RSS after schema calls | {rss_mib:.1} MiB | |\n\n\
         Peak RSS during real `terraform apply`, `plan` and `destroy` runs: see \
         [composites.md](composites.md).\n",
        machine = machine_description(),
        size_mib = size as f64 / 1048576.0,
        handshake_ms = ms(handshake),
        ratio = handshake.as_secs_f64() / floor.as_secs_f64(),
        floor_ms = ms(floor),
        handshake_p90 = ms(percentile(&handshakes, 0.9)),
        first_ms = ms(median(&first_calls)),
        warm_ms = ms(median(&warm_calls)),
        rss_mib = peak_rss_kib as f64 / 1024.0,
    );
    eprintln!("{report}");
    let out = common::results_file("startup.md");
    std::fs::write(&out, report).expect("write results");
    eprintln!("written to {}", out.display());
}

/// The floor: spawning a process and reading the first line it prints.
fn spawn_and_read_line() -> Duration {
    let started = Instant::now();
    let mut child = Command::new("echo")
        .arg("1|6|tcp|x|grpc|")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let elapsed = started.elapsed();
    child.wait().unwrap();
    elapsed
}
