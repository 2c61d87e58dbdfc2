//! Composite benchmarks against the emulator, side by side: for K = 1, 10,
//! 50 composites, the wall time and the AWS calls of `terraform apply`,
//! `terraform plan` (a refresh) and `terraform destroy` through the provider,
//! next to the same objects made, read and deleted in the same run by
//! `scripts/bench/aws_cli_sequential.sh` (one `aws ec2` call after another,
//! as the AWS docs show it) and `scripts/bench/boto3_floor.py` (only the
//! necessary calls, all at once: the floor). Also the peak RSS of the provider
//! during each command, and how a refresh's calls depend on the number of
//! endpoints. Run with `make bench`; writes `bench/results/composites.md`.
//!
//! Each contender works in its own emulator account on its own fixture
//! networks, built before timing: one VPC per composite (DNS hostnames on)
//! with two subnets in two Availability Zones.
//!
//! How things are counted:
//! - provider AWS calls: the provider's `AWS call` debug lines (one per SDK
//!   operation, retries inside it counted in `attempts`), from the log that
//!   `TF_LOG_PROVIDER=DEBUG` + `TF_LOG_PATH` make Terraform write per command;
//! - script AWS calls: counted by the scripts themselves (each `aws`
//!   invocation; each request boto3 sends);
//! - provider peak RSS: `VmHWM` from `/proc/PID/status` of every provider
//!   process Terraform starts from the workspace, sampled every 5 ms while the
//!   command runs (the maximum over the processes).
//!
//! Knobs (environment): `SAGEMAKER_PROVIDER_BINARY` (the provider measured;
//! `make bench` gives the release build), `BENCH_KS` (default `1,10,50`),
//! `BENCH_CLI_MAX_K` (default 3: above it the sequential CLI runs on that
//! many networks and is scaled linearly, which is what a sequential script
//! is), `BENCH_TOKEN_BUCKET_K` (default 20), `TF_TEST_TIMEOUT_SECS` (per
//! terraform command, default here 1800), `BENCH_COMPOSITES` (the `script`
//! names of the composites to measure, e.g. `studio-domain`; default all:
//! with it, only those are measured — no refresh or token-bucket section —
//! and their sections replace the same composites' sections of the existing
//! results file, each saying how it was measured, the rest kept),
//! `BENCH_SECTIONS=latency` (only the latency section, [`latency`], which
//! writes `bench/results/latency.md` and has knobs of its own).

mod common;
mod latency;
#[path = "../tests/support/mod.rs"]
mod support;

use common::{machine_description, provider_binary, version_of, vm_hwm_kib};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};
use support::ec2_fixture::{create_subnet, create_vpc, ec2, VPC_CIDR};
use support::fault_proxy::{Config as FaultConfig, Fault, FaultProxy};
use support::moto::{self, Account};
use support::terraform::Workspace;

/// Numbers of composites per run, unless `BENCH_KS` says otherwise.
const DEFAULT_KS: [usize; 3] = [1, 10, 50];
/// Largest K the sequential CLI runs in full, unless `BENCH_CLI_MAX_K` says
/// otherwise (each `aws` call costs ~1 s of Python start-up here).
const DEFAULT_CLI_MAX_K: usize = 3;
/// EC2's bucket for CreateVpcEndpoint / DeleteVpcEndpoints / ModifyVpcEndpoint.
const BUCKET_CAPACITY: f64 = 4.0;
/// Its refill, tokens per second.
const BUCKET_REFILL_PER_S: f64 = 0.3;
/// Interval between two RSS samples.
const RSS_SAMPLE: Duration = Duration::from_millis(5);
/// The results file, in `bench/results/`.
const RESULTS: &str = "composites.md";
/// Private networks applied under the fault proxy's token buckets, unless
/// `BENCH_TOKEN_BUCKET_K` says otherwise.
const DEFAULT_TOKEN_BUCKET_K: usize = 20;

/// The Terraform configuration of `sagemaker_private_network` with the
/// hosting preset, one instance per network of `var.networks`.
const PRIVATE_NETWORK_HCL: &str = r#"
terraform {
  required_providers {
    sagemaker = { source = "privatelink/sagemaker" }
  }
}
variable "networks" {
  type = map(object({ vpc_id = string, subnet_ids = list(string) }))
}
variable "services" {
  type    = list(string)
  default = ["hosting"]
}
resource "sagemaker_private_network" "bench" {
  for_each   = var.networks
  vpc_id     = each.value.vpc_id
  subnet_ids = each.value.subnet_ids
  services   = var.services
}
"#;

/// The Terraform configuration of `sagemaker_vpc_model_config` with a
/// model, one instance per network (the emulator checks neither the role
/// nor the image).
const VPC_MODEL_CONFIG_HCL: &str = r#"
terraform {
  required_providers {
    sagemaker = { source = "privatelink/sagemaker" }
  }
}
variable "networks" {
  type = map(object({ vpc_id = string, subnet_ids = list(string) }))
}
resource "sagemaker_vpc_model_config" "bench" {
  for_each   = var.networks
  subnet_ids = each.value.subnet_ids
  model {
    name               = "bench-${each.key}"
    execution_role_arn = "arn:aws:iam::123456789012:role/SageMakerExecution"
    primary_container {
      image          = "123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:1"
      model_data_url = "s3://models/bench-${each.key}/model.tar.gz"
    }
  }
}
"#;

/// The Terraform configuration of `sagemaker_studio_domain` in `VpcOnly`
/// with two user profiles, one instance per network: it makes its own
/// endpoints (the fixture VPCs have none) and deletes the home EFS and the
/// NFS groups on destroy, so nothing is left (the emulator checks no role).
const STUDIO_DOMAIN_HCL: &str = r#"
terraform {
  required_providers {
    sagemaker = { source = "privatelink/sagemaker" }
  }
}
variable "networks" {
  type = map(object({ vpc_id = string, subnet_ids = list(string) }))
}
resource "sagemaker_studio_domain" "bench" {
  for_each                   = var.networks
  name                       = "bench-${each.key}"
  subnet_ids                 = each.value.subnet_ids
  default_execution_role_arn = "arn:aws:iam::123456789012:role/SageMakerStudioExecution"
  home_efs_retention         = "Delete"
  user_profile {
    name = "user-1"
  }
  user_profile {
    name = "user-2"
  }
}
"#;

/// One composite of the side-by-side tables: the Terraform configuration
/// (the harness adds the provider block) and its equivalents in the two
/// scripts.
struct Composite {
    /// Resource type and variant, for headings.
    label: &'static str,
    /// Terraform configuration, instances from `var.networks`.
    hcl: &'static str,
    /// The `COMPOSITE` argument of both scripts (same objects).
    script: &'static str,
    /// CreateVpcEndpoint calls per composite (paced by EC2's bucket).
    endpoint_creates: usize,
    /// DeleteVpcEndpoints calls per composite on destroy (paced too).
    endpoint_deletes: usize,
    /// What the scripts' read must find per composite: endpoints, security
    /// groups, models.
    objects: [u64; 3],
    /// Why it is not measured yet; `None` once it is.
    todo: Option<&'static str>,
}

/// Every composite, in table order.
const COMPOSITES: [Composite; 3] = [
    Composite {
        label: "sagemaker_private_network (hosting preset: sagemaker_api + sagemaker_runtime interface endpoints, s3 gateway)",
        hcl: PRIVATE_NETWORK_HCL,
        script: "private-network",
        endpoint_creates: 3,
        endpoint_deletes: 1,
        objects: [3, 1, 0],
        todo: None,
    },
    Composite {
        label: "sagemaker_vpc_model_config (model security group, S3 gateway endpoint, SageMaker model)",
        hcl: VPC_MODEL_CONFIG_HCL,
        script: "vpc-model-config",
        endpoint_creates: 1,
        endpoint_deletes: 1,
        objects: [1, 1, 1],
        todo: None,
    },
    Composite {
        label: "sagemaker_studio_domain (VpcOnly, 2 user profiles: domain group, a group per user, \
                sagemaker_api + sagemaker_runtime + studio + sts + logs interface endpoints and their group, \
                s3 gateway, the domain and profiles waited InService; destroy deletes the home EFS and NFS groups)",
        hcl: STUDIO_DOMAIN_HCL,
        script: "studio-domain",
        endpoint_creates: 6,
        endpoint_deletes: 1,
        // The domain's group, one per user, the endpoints' group. The scripts
        // also read the domain and its profiles, and fail unless InService.
        objects: [6, 4, 0],
        todo: None,
    },
];

/// A fixture network: a VPC with DNS support and hostnames, two subnets in
/// two Availability Zones, and its main route table.
#[derive(Clone, Debug)]
struct Network {
    vpc_id: String,
    subnet_ids: [String; 2],
    route_table_id: String,
}

/// Seconds and AWS calls of one phase of one contender.
#[derive(Clone, Debug, Default)]
struct Phase {
    secs: f64,
    calls: f64,
    /// What went wrong, or a remark worth a footnote.
    note: Option<String>,
}

/// What the provider did in one phase, beyond time and calls.
#[derive(Clone, Debug, Default)]
struct ProviderDetail {
    /// Calls per AWS operation.
    operations: BTreeMap<String, u64>,
    /// HTTP attempts (calls plus SDK retries).
    attempts: u64,
    /// Peak RSS of the provider processes, KiB (0: none seen).
    peak_rss_kib: u64,
    /// Provider processes Terraform started.
    processes: usize,
}

/// One contender on K composites: create (apply), read (plan/refresh),
/// delete (destroy).
#[derive(Clone, Debug, Default)]
struct Run {
    phases: [Phase; 3],
    /// Provider only: details per phase.
    details: Vec<ProviderDetail>,
    /// Measured on this many networks, then scaled to K.
    scaled_from: Option<usize>,
    /// What the emulator still held afterwards (empty: nothing).
    leftovers: String,
}

/// The three contenders on K composites of one kind.
struct SideBySide {
    k: usize,
    provider: Run,
    cli: Run,
    floor: Run,
}

/// Phase names: in the tables, and in the scripts' JSON.
const PHASES: [(&str, &str); 3] = [
    ("apply", "create"),
    ("plan (refresh)", "read"),
    ("destroy", "delete"),
];

fn main() {
    let started = Instant::now();
    if std::env::var_os("TF_TEST_TIMEOUT_SECS").is_none() {
        // Set before any thread starts; a K = 50 apply is paced for minutes.
        std::env::set_var("TF_TEST_TIMEOUT_SECS", "1800");
    }
    let binary = provider_binary();
    let ks = parse_list("BENCH_KS").unwrap_or_else(|| DEFAULT_KS.to_vec());
    let cli_max_k = parse_list("BENCH_CLI_MAX_K")
        .and_then(|v| v.first().copied())
        .unwrap_or(DEFAULT_CLI_MAX_K)
        .max(1);
    let selected = selected_composites();
    let machine = machine_description();
    let header = header();
    let mut sections = Vec::new();
    let emulator = moto::shared();
    eprintln!("bench: emulator on {}", emulator.endpoint);
    let only = std::env::var("BENCH_SECTIONS").unwrap_or_default();
    if only.trim() == "latency" {
        latency::run(&binary, started);
        return;
    }
    let save = |sections: &[String], current: &str| match &selected {
        None => write_results(&header, sections, current, started),
        Some(names) => splice_results((names, &ks, &machine), sections, current, started),
    };

    for composite in COMPOSITES.iter().filter(|c| {
        selected
            .as_ref()
            .is_none_or(|names| names.contains(&c.script))
    }) {
        if let Some(why) = composite.todo {
            sections.push(format!(
                "## {}\n\n**TODO — not measured:** {why}.\n",
                composite.label
            ));
            continue;
        }
        let mut rows = Vec::new();
        let mut cli_runs = BTreeMap::new();
        for &k in &ks {
            eprintln!("bench: {} × {k}", composite.script);
            rows.push(side_by_side(
                composite,
                k,
                cli_max_k,
                &mut cli_runs,
                &binary,
            ));
            let section = composite_section(composite, &rows);
            save(&sections, &section);
        }
        sections.push(composite_section(composite, &rows));
    }
    if selected.is_some() {
        save(&sections, "");
        return;
    }
    eprintln!("bench: refresh cost against the number of endpoints");
    sections.push(refresh_section(&binary));
    write_results(&header, &sections, "", started);
    let k = parse_list("BENCH_TOKEN_BUCKET_K")
        .and_then(|v| v.first().copied())
        .unwrap_or(DEFAULT_TOKEN_BUCKET_K);
    eprintln!("bench: K = {k} under the fault proxy's token buckets");
    sections.push(token_bucket_section(k, &binary));
    write_results(&header, &sections, "", started);
    latency::run(&binary, Instant::now());
}

/// The composites `BENCH_COMPOSITES` names (their `script` names), `None`
/// when it is unset; panics on a name no composite has.
fn selected_composites() -> Option<Vec<&'static str>> {
    let text = std::env::var("BENCH_COMPOSITES").ok()?;
    let names = text
        .split(',')
        .map(|name| {
            let name = name.trim();
            COMPOSITES
                .iter()
                .map(|c| c.script)
                .find(|script| *script == name)
                .unwrap_or_else(|| {
                    let known: Vec<&str> = COMPOSITES.iter().map(|c| c.script).collect();
                    panic!(
                        "BENCH_COMPOSITES={text}: no composite {name:?}; known: {}",
                        known.join(", ")
                    )
                })
        })
        .collect();
    Some(names)
}

/// A comma-separated list of numbers from the environment variable `name`.
fn parse_list(name: &str) -> Option<Vec<usize>> {
    let text = std::env::var(name).ok()?;
    let list: Vec<usize> = text
        .split(',')
        .map(|s| {
            s.trim().parse().unwrap_or_else(|_| {
                panic!("{name}={text}: expected comma-separated numbers, e.g. 1,10,50")
            })
        })
        .collect();
    Some(list)
}

// ---------------------------------------------------------------------------
// Runs
// ---------------------------------------------------------------------------

/// The three contenders on K composites, each in its own account. The
/// sequential CLI runs on at most `cli_max_k` networks, scaled to K; its
/// runs are kept in `cli_runs` (by networks) to serve several Ks.
fn side_by_side(
    composite: &Composite,
    k: usize,
    cli_max_k: usize,
    cli_runs: &mut BTreeMap<usize, Run>,
    binary: &Path,
) -> SideBySide {
    let provider = run_provider(composite, k, binary, &Setup::default());
    let cli_k = k.min(cli_max_k);
    let mut cli = cli_runs
        .entry(cli_k)
        .or_insert_with(|| run_script(composite, cli_k, Script::Cli))
        .clone();
    if cli_k < k {
        scale(&mut cli, cli_k, k);
    }
    let floor = run_script(composite, k, Script::Floor);
    SideBySide {
        k,
        provider,
        cli,
        floor,
    }
}

/// How [`run_provider`] sets up and drives the workspace.
struct Setup {
    /// The preset list (`None`: the configuration's default).
    services: Option<&'static [&'static str]>,
    /// The provider block.
    provider_block: String,
    /// Whether to destroy at the end (and check nothing is left).
    destroy: bool,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            services: None,
            provider_block: "provider \"sagemaker\" {}\n".to_owned(),
            destroy: true,
        }
    }
}

/// `terraform apply`, `plan`, and (as `setup` says) `destroy` of K
/// composites through the provider, in a fresh account.
fn run_provider(composite: &Composite, k: usize, binary: &Path, setup: &Setup) -> Run {
    let account = moto::shared().new_account();
    let networks = build_networks(&account, k);
    let mut ws = Workspace::with_provider(composite.hcl, binary);
    ws.set_envs(account.aws_env());
    ws.write("provider.tf", &setup.provider_block);
    ws.write("networks.auto.tfvars.json", &tfvars(&networks));
    if let Some(services) = setup.services {
        ws.write(
            "services.auto.tfvars.json",
            &serde_json::json!({ "services": services }).to_string(),
        );
    }
    ws.init();
    ws.set_env("TF_LOG_PROVIDER", "DEBUG");
    let mut run = Run::default();
    let commands: [&[&str]; 3] = [
        &["apply", "-input=false", "-auto-approve"],
        &["plan", "-input=false", "-detailed-exitcode"],
        &["destroy", "-input=false", "-auto-approve"],
    ];
    let count = if setup.destroy { 3 } else { 2 };
    for (i, args) in commands.iter().take(count).enumerate() {
        let (phase, detail) = terraform_phase(&mut ws, args);
        run.phases[i] = phase;
        run.details.push(detail);
    }
    if setup.destroy {
        run.leftovers = leftovers(&account);
    }
    run
}

/// Runs one terraform command with the provider's log in its own file;
/// returns its time, AWS calls and the provider's peak RSS.
fn terraform_phase(ws: &mut Workspace, args: &[&str]) -> (Phase, ProviderDetail) {
    let log = ws.path().join(format!("{}.log", args[0]));
    // Terraform appends to TF_LOG_PATH: a second command of the same name
    // must not count the first one's calls.
    let _ = std::fs::remove_file(&log);
    ws.set_env("TF_LOG_PATH", &log.to_string_lossy());
    let watch = RssWatch::start(ws.path());
    let began = Instant::now();
    let output = ws.run(args);
    let secs = began.elapsed().as_secs_f64();
    let (peak_rss_kib, processes) = watch.finish();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let (operations, attempts) = aws_calls(&text);
    let note = match output.status.code() {
        Some(0) => None,
        Some(2) if args[0] == "plan" => Some("planned changes: apply did not converge".to_owned()),
        _ => {
            eprintln!(
                "bench: `terraform {}` failed in {}:\n{}",
                args.join(" "),
                ws.path().display(),
                output.combined()
            );
            Some(format!("FAILED: {}", first_error(&output.combined())))
        }
    };
    let phase = Phase {
        secs,
        calls: operations.values().sum::<u64>() as f64,
        note,
    };
    let detail = ProviderDetail {
        operations,
        attempts,
        peak_rss_kib,
        processes,
    };
    (phase, detail)
}

/// The first Terraform `Error:` line of an output, or its last line.
fn first_error(output: &str) -> String {
    let mut lines = output.lines().map(str::trim);
    lines
        .clone()
        .find(|l| l.contains("Error:"))
        .or_else(|| lines.rfind(|l| !l.is_empty()))
        .unwrap_or("no output")
        .trim_start_matches(['│', ' '])
        .to_owned()
}

/// Calls per operation and HTTP attempts, from a provider debug log.
fn aws_calls(log: &str) -> (BTreeMap<String, u64>, u64) {
    let mut operations = BTreeMap::new();
    let mut attempts = 0;
    for line in log.lines().filter(|l| l.contains("AWS call")) {
        let field = |key: &str| {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(key))
                .map(|v| v.trim_matches('"').to_owned())
        };
        let operation = field("aws_operation=").unwrap_or_else(|| "?".to_owned());
        *operations.entry(operation).or_insert(0) += 1;
        attempts += field("attempts=").and_then(|a| a.parse().ok()).unwrap_or(1);
    }
    (operations, attempts)
}

/// The two scripts of `scripts/bench/`.
#[derive(Clone, Copy)]
enum Script {
    /// `aws_cli_sequential.sh`.
    Cli,
    /// `boto3_floor.py`.
    Floor,
}

/// One script's create, read and delete of K composites, in a fresh account.
fn run_script(composite: &Composite, k: usize, script: Script) -> Run {
    run_script_via(composite, k, script, None)
}

/// [`run_script`] with the AWS endpoint `via` (a fault proxy's URL) instead
/// of the emulator's.
fn run_script_via(composite: &Composite, k: usize, script: Script, via: Option<&str>) -> Run {
    let account = moto::shared().new_account();
    let networks = build_networks(&account, k);
    let list = tempfile::NamedTempFile::new().expect("create the networks file");
    let lines: String = networks
        .iter()
        .map(|n| {
            format!(
                "{} {} {} {} {VPC_CIDR}\n",
                n.vpc_id, n.subnet_ids[0], n.subnet_ids[1], n.route_table_id
            )
        })
        .collect();
    std::fs::write(list.path(), lines).expect("write the networks file");
    let repo = support::repo_root();
    let mut command = match script {
        Script::Cli => {
            let mut c = Command::new("bash");
            c.arg(repo.join("scripts/bench/aws_cli_sequential.sh"));
            c
        }
        Script::Floor => {
            let mut c = Command::new(repo.join(".venv/bin/python"));
            c.arg(repo.join("scripts/bench/boto3_floor.py"));
            c
        }
    };
    command.arg(composite.script).arg(list.path());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("AWS_") {
            command.env_remove(key);
        }
    }
    command.envs(account.aws_env());
    if let Some(url) = via {
        command.env("AWS_ENDPOINT_URL", url);
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("could not run {command:?}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let parsed: Option<Value> = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok());
    let mut run = Run::default();
    match parsed {
        Some(result) if output.status.success() => {
            for (i, (_, name)) in PHASES.iter().enumerate() {
                run.phases[i] = Phase {
                    secs: result[format!("{name}_s")].as_f64().unwrap_or(f64::NAN),
                    calls: result["calls"][name].as_f64().unwrap_or(f64::NAN),
                    note: None,
                };
            }
            let found = &result["found"];
            let [endpoints, groups, models] = composite.objects.map(|n| n * k as u64);
            let seen = ["endpoints", "groups", "models"].map(|key| found[key].as_u64());
            if seen != [Some(endpoints), Some(groups), Some(models)] {
                run.phases[1].note = Some(format!(
                    "the read found {found}, expected {endpoints} endpoints, {groups} groups, \
                     {models} models"
                ));
            }
        }
        _ => {
            let stderr = String::from_utf8_lossy(&output.stderr);
            eprintln!(
                "bench: {command:?} failed ({}):\n{stdout}\n{stderr}",
                output.status
            );
            let last = stderr.lines().last().unwrap_or("no output").to_owned();
            for phase in &mut run.phases {
                phase.note = Some(format!("FAILED: {last}"));
            }
        }
    }
    run.leftovers = leftovers(&account);
    run
}

/// Scales a run measured on `measured` networks to `k` (sequential: linear).
fn scale(run: &mut Run, measured: usize, k: usize) {
    let factor = k as f64 / measured as f64;
    for phase in &mut run.phases {
        phase.secs *= factor;
        phase.calls *= factor;
    }
    run.scaled_from = Some(measured);
}

// ---------------------------------------------------------------------------
// Fixture
// ---------------------------------------------------------------------------

/// K fixture networks in `account`.
fn build_networks(account: &Account, k: usize) -> Vec<Network> {
    (0..k)
        .map(|_| {
            let vpc_id = create_vpc(account, VPC_CIDR, true);
            let subnet_ids = [
                create_subnet(account, &vpc_id, "10.20.1.0/24", "us-east-1a"),
                create_subnet(account, &vpc_id, "10.20.2.0/24", "us-east-1b"),
            ];
            let route_table_id = ec2(
                account,
                &[
                    ("Action", "DescribeRouteTables"),
                    ("Filter.1.Name", "vpc-id"),
                    ("Filter.1.Value.1", &vpc_id),
                    ("Filter.2.Name", "association.main"),
                    ("Filter.2.Value.1", "true"),
                ],
            )
            .items("routeTableSet")
            .map(|t| t.text("routeTableId"))
            .next()
            .expect("a new VPC has a main route table");
            Network {
                vpc_id,
                subnet_ids,
                route_table_id,
            }
        })
        .collect()
}

/// `networks.auto.tfvars.json`: one entry per network, keyed `n000`…
fn tfvars(networks: &[Network]) -> String {
    let map: serde_json::Map<String, Value> = networks
        .iter()
        .enumerate()
        .map(|(i, n)| {
            (
                format!("n{i:03}"),
                serde_json::json!({ "vpc_id": n.vpc_id, "subnet_ids": n.subnet_ids }),
            )
        })
        .collect();
    serde_json::json!({ "networks": map }).to_string()
}

/// What `account` still holds besides its fixture: endpoints that are not
/// deleted, security groups other than `default` (the NFS groups of a
/// Studio domain included), SageMaker models, Studio domains, EFS file
/// systems (a domain's home EFS). Empty when nothing.
fn leftovers(account: &Account) -> String {
    let endpoints = ec2(account, &[("Action", "DescribeVpcEndpoints")])
        .items("vpcEndpointSet")
        .filter(|e| !e.text("state").eq_ignore_ascii_case("deleted"))
        .count();
    let groups = ec2(account, &[("Action", "DescribeSecurityGroups")])
        .items("securityGroupInfo")
        .filter(|g| g.text("groupName") != "default")
        .count();
    let models = model_count(account);
    let (domains, file_systems) = studio_leftovers(account);
    if endpoints + groups + models + domains + file_systems == 0 {
        String::new()
    } else {
        format!(
            "{endpoints} endpoint(s), {groups} security group(s), {models} model(s), \
             {domains} Studio domain(s), {file_systems} EFS file system(s) left after delete"
        )
    }
}

/// How many Studio domains (`ListDomains`) and EFS file systems
/// (`DescribeFileSystems`) `account` holds.
fn studio_leftovers(account: &Account) -> (usize, usize) {
    let moto = moto::shared();
    let domains = moto
        .json_call("sagemaker", "SageMaker", Some(account), "ListDomains", "{}")
        .expect_ok("SageMaker ListDomains");
    let file_systems = moto
        .rest_call(
            "elasticfilesystem",
            Some(account),
            "GET",
            "/2015-02-01/file-systems",
        )
        .expect_ok("EFS DescribeFileSystems");
    let count = |body: &str, key: &str| {
        let parsed: Value = serde_json::from_str(body).unwrap_or_default();
        parsed[key].as_array().map_or(0, Vec::len)
    };
    (
        count(&domains.body, "Domains"),
        count(&file_systems.body, "FileSystems"),
    )
}

/// How many SageMaker models `account` holds (`ListModels`).
fn model_count(account: &Account) -> usize {
    let answer = moto::shared()
        .json_call("sagemaker", "SageMaker", Some(account), "ListModels", "{}")
        .expect_ok("SageMaker ListModels");
    let listed: Value = serde_json::from_str(&answer.body).unwrap_or_default();
    listed["Models"].as_array().map_or(0, Vec::len)
}

// ---------------------------------------------------------------------------
// Peak RSS of the provider processes of one terraform command
// ---------------------------------------------------------------------------

/// Samples `VmHWM` of every process whose executable lives under a
/// workspace (the provider, which Terraform starts from the workspace's
/// mirror or `.terraform/`), until [`RssWatch::finish`].
struct RssWatch {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<(u64, usize)>,
}

impl RssWatch {
    /// Starts sampling on a thread.
    fn start(workspace: &Path) -> RssWatch {
        let stop = Arc::new(AtomicBool::new(false));
        let prefix = workspace
            .canonicalize()
            .unwrap_or_else(|_| workspace.to_path_buf());
        let flag = Arc::clone(&stop);
        let thread = thread::spawn(move || sample_rss(&prefix, &flag));
        RssWatch { stop, thread }
    }

    /// Stops sampling; returns the peak in KiB and how many processes were seen.
    fn finish(self) -> (u64, usize) {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or((0, 0))
    }
}

/// The sampling loop of [`RssWatch`]. A process is classified once by its
/// executable (`/proc/PID/exe`); a `terraform` process is looked at again,
/// since a child it has forked runs terraform's executable until it
/// executes the provider.
fn sample_rss(prefix: &Path, stop: &AtomicBool) -> (u64, usize) {
    let mut others: HashSet<u32> = HashSet::new();
    let mut providers: HashSet<u32> = HashSet::new();
    let mut peak = 0;
    loop {
        let last = stop.load(Ordering::Relaxed);
        for pid in std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        {
            if others.contains(&pid) || providers.contains(&pid) {
                continue;
            }
            match std::fs::read_link(format!("/proc/{pid}/exe")) {
                Ok(exe) if exe.starts_with(prefix) => {
                    providers.insert(pid);
                }
                Ok(exe) if exe.ends_with("terraform") => {}
                _ => {
                    others.insert(pid);
                }
            }
        }
        for &pid in &providers {
            peak = peak.max(vm_hwm_kib(pid));
        }
        if last {
            return (peak, providers.len());
        }
        thread::sleep(RSS_SAMPLE);
    }
}

// ---------------------------------------------------------------------------
// Refresh cost against the number of endpoints
// ---------------------------------------------------------------------------

/// One `sagemaker_private_network` with `hosting` (3 endpoints) and one with
/// `studio_vpc_only` (7): AWS calls of a refresh (`terraform plan`).
fn refresh_section(binary: &Path) -> String {
    let composite = &COMPOSITES[0];
    let presets: [(&'static [&'static str], usize); 2] =
        [(&["hosting"], 3), (&["studio_vpc_only"], 7)];
    let mut out = String::from(
        "## Refresh cost against the number of endpoints\n\n\
         One `sagemaker_private_network` (K = 1) per preset: AWS calls of `terraform plan` \
         after apply (the refresh, plus the plan-time checks if the provider runs them).\n\n\
         | preset | endpoints | plan calls | operations | plan s |\n|---|---|---|---|---|\n",
    );
    let mut counts = Vec::new();
    for (preset, endpoints) in presets {
        let setup = Setup {
            services: Some(preset),
            ..Setup::default()
        };
        let run = run_provider(composite, 1, binary, &setup);
        let preset = preset[0];
        let plan = &run.phases[1];
        counts.push(plan.calls);
        let _ = writeln!(
            out,
            "| {preset} | {endpoints} | {}{} | {} | {:.2} |",
            plan.calls,
            plan.note
                .as_ref()
                .map_or(String::new(), |n| format!(" ({n})")),
            operations(&run.details[1].operations),
            plan.secs
        );
    }
    let met = counts.windows(2).all(|w| w[0] == w[1]);
    let _ = writeln!(
        out,
        "\nTarget — refresh calls per composite independent of its endpoint count: **{}** \
         ({} calls with 3 endpoints, {} with 7).\n",
        if met { "met" } else { "not met" },
        counts[0],
        counts[1]
    );
    out
}

/// K private networks under the fault proxy's token-bucket mode: the
/// provider talks to EC2 through the proxy, which answers
/// `RequestLimitExceeded` whenever one of EC2's per-account buckets is
/// empty, as a real account does. Apply and plan; no destroy (the emulator
/// is thrown away with the bench).
fn token_bucket_section(k: usize, binary: &Path) -> String {
    let composite = &COMPOSITES[0];
    let proxy = FaultProxy::start(
        &moto::shared().endpoint,
        FaultConfig::new(0).token_buckets(),
    );
    let setup = Setup {
        provider_block: format!(
            "provider \"sagemaker\" {{\n  {}\n}}\n",
            proxy.endpoints_block()
        ),
        destroy: false,
        ..Setup::default()
    };
    let run = run_provider(composite, k, binary, &setup);
    let counters = proxy.counters();
    let creates = composite.endpoint_creates * k;
    let floor = bucket_floor(creates);
    let [apply, plan, _] = &run.phases;
    let refused = counters.faults(Fault::BucketThrottle);
    let refused_by_op: Vec<String> = counters
        .faults_by_operation
        .iter()
        .filter_map(|(op, kinds)| {
            kinds
                .get(&Fault::BucketThrottle)
                .map(|n| format!("{op} {n}"))
        })
        .collect();
    let failed = |p: &Phase| p.note.as_deref().is_some_and(|n| n.starts_with("FAILED"));
    let mut out = format!(
        "## K = {k} under EC2's token buckets (fault proxy)\n\n\
         {k} `sagemaker_private_network` (hosting) applied through \
         `tests/support/fault_proxy.rs` in token-bucket mode: per account, CreateVpcEndpoint / \
         DeleteVpcEndpoints / ModifyVpcEndpoint share a bucket of 4 refilled at 0.3/s, other \
         mutating calls 50 at 5/s, Describe calls 100 at 20/s; an empty bucket answers \
         `RequestLimitExceeded`. The floor the buckets impose on the apply is \
         ({creates} creates − 4) / 0.3 = {floor:.1} s.\n\n\
         | phase | provider s | bucket floor s | provider / floor | AWS calls (provider log) | HTTP attempts | result |\n\
         |---|---|---|---|---|---|---|\n"
    );
    for (i, (phase, name)) in [(apply, "apply"), (plan, "plan (refresh)")]
        .iter()
        .enumerate()
    {
        let detail = run.details.get(i).cloned().unwrap_or_default();
        let phase_floor = if i == 0 { floor } else { 0.0 };
        let _ = writeln!(
            out,
            "| {name} | {:.1} | {} | {} | {} | {} | {} |",
            phase.secs,
            if i == 0 {
                format!("{floor:.1}")
            } else {
                "–".to_owned()
            },
            if i == 0 {
                ratio(phase.secs, phase_floor)
            } else {
                "–".to_owned()
            },
            phase.calls,
            detail.attempts,
            phase.note.as_deref().unwrap_or("succeeded"),
        );
    }
    let _ = writeln!(
        out,
        "\nCalls the buckets refused (the provider retried them): {refused}{}. \
         Calls through the proxy: {}.\n\n\
         Targets (reported, not asserted):\n\n\
         - no failed apply: **{}**;\n\
         - apply within 1.2× of the token-bucket floor: **{}** ({}).\n",
        if refused_by_op.is_empty() {
            String::new()
        } else {
            format!(" ({})", refused_by_op.join(", "))
        },
        counters.total_calls(),
        met(!failed(apply)),
        met(!failed(apply) && apply.secs <= 1.2 * floor),
        ratio(apply.secs, floor),
    );
    out
}

// ---------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------

/// The seconds EC2's bucket imposes on `calls` paced calls made at once.
fn bucket_floor(calls: usize) -> f64 {
    (calls as f64 - BUCKET_CAPACITY).max(0.0) / BUCKET_REFILL_PER_S
}

/// Machine, versions and method.
fn header() -> String {
    let repo = support::repo_root();
    let terraform = std::env::var_os("TERRAFORM").map_or_else(|| "terraform".into(), PathBuf::from);
    let python = repo.join(".venv/bin/python");
    let moto_version = version_of(
        &python,
        &[
            "-c",
            "import moto, boto3; print('moto', moto.__version__, '/ boto3', boto3.__version__)",
        ],
    );
    format!(
        "# Composite benchmarks against the emulator\n\n\
         {machine}\n\n\
         Versions: {terraform}; {moto_version}; {cli}.\n\n\
         Written by `make bench` (`bench/composites.rs`). Each contender works in its own emulator \
         account on its own fixture networks (one VPC per composite, DNS hostnames on, two subnets \
         in us-east-1a and us-east-1b), built before timing. The emulator runs on loopback and \
         answers at once: no network latency, every endpoint `available` immediately, so these \
         figures measure the clients' own cost, their call counts and EC2's pacing.\n\n\
         - **provider**: `terraform apply`, `terraform plan -detailed-exitcode` (the refresh), \
           `terraform destroy` in one workspace (`init` not timed; Terraform's default parallelism \
           of 10). AWS calls: the provider's `AWS call` debug lines (`TF_LOG_PROVIDER=DEBUG`, \
           `TF_LOG_PATH`), one per SDK operation.\n\
         - **AWS CLI**: `scripts/bench/aws_cli_sequential.sh`, one `aws ec2` call after another as \
           the AWS docs show it (create-security-group, revoke-security-group-egress so the group has \
           no egress like the provider's, authorize-security-group-ingress, create-vpc-endpoint ×3, a \
           describe loop to wait; then describe to read; delete-vpc-endpoints, wait, \
           delete-security-group). Each call starts the CLI (~1 s of Python start-up here).\n\
         - **floor**: `scripts/bench/boto3_floor.py`, the same calls with boto3, every network and \
           every independent call at once.\n\
         - **paced floor**: the provider paces CreateVpcEndpoint and DeleteVpcEndpoints to EC2's \
           real per-account limit (bucket of 4, refilled at 0.3/s, process-wide), so large applies \
           are slow by design on the emulator; the floor under the same pacing is \
           max(floor, (paced calls − 4) / 0.3 s). The pacing stays: on a real account it is what \
           keeps a large apply from failing with `RequestLimitExceeded`.\n\n\
         Load: other engineers build and test on the same 2 cores; absolute times are noisy, the \
         ratios (measured in the same run) less so.\n",
        machine = machine_description(),
        terraform = version_of(&terraform, &["version"]),
        cli = version_of(&repo.join(".venv/bin/aws"), &["--version"]),
    )
}

/// The tables of one composite.
fn composite_section(composite: &Composite, rows: &[SideBySide]) -> String {
    let mut out = format!("## {}\n\n### Wall time (s) and ratios\n\n", composite.label);
    out.push_str(
        "| K | phase | provider | AWS CLI | floor | paced floor | provider / CLI | provider / floor | provider / paced floor |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    let mut notes = Vec::new();
    for row in rows {
        for (i, (phase, _)) in PHASES.iter().enumerate() {
            let p = &row.provider.phases[i];
            let c = &row.cli.phases[i];
            let f = &row.floor.phases[i];
            let paced = match i {
                0 => f.secs.max(bucket_floor(composite.endpoint_creates * row.k)),
                2 => f.secs.max(bucket_floor(composite.endpoint_deletes * row.k)),
                _ => f.secs,
            };
            let cli_mark = row.cli.scaled_from.map_or(String::new(), |n| {
                format!(" (×{:.1} from K={n})", row.k as f64 / n as f64)
            });
            let _ = writeln!(
                out,
                "| {} | {phase} | {:.2}{} | {:.2}{cli_mark}{} | {:.2}{} | {paced:.2} | {} | {} | {} |",
                row.k,
                p.secs,
                mark(p, &mut notes),
                c.secs,
                mark(c, &mut notes),
                f.secs,
                mark(f, &mut notes),
                ratio(p.secs, c.secs),
                ratio(p.secs, f.secs),
                ratio(p.secs, paced),
            );
        }
    }
    out.push_str(
        "\n### AWS calls\n\n\
         | K | phase | provider | provider per composite | AWS CLI per composite | floor per composite |\n\
         |---|---|---|---|---|---|\n",
    );
    for row in rows {
        let k = row.k as f64;
        let mut totals = [0.0; 3];
        for (i, (phase, _)) in PHASES.iter().enumerate() {
            let calls = [
                row.provider.phases[i].calls,
                row.cli.phases[i].calls,
                row.floor.phases[i].calls,
            ];
            for (total, c) in totals.iter_mut().zip(calls) {
                *total += c;
            }
            let _ = writeln!(
                out,
                "| {} | {phase} | {} | {:.1} | {:.1} | {:.1} |",
                row.k,
                calls[0],
                calls[0] / k,
                calls[1] / k,
                calls[2] / k
            );
        }
        let _ = writeln!(
            out,
            "| {} | **all three** | {} | **{:.1}** | **{:.1}** | **{:.1}** |",
            row.k,
            totals[0],
            totals[0] / k,
            totals[1] / k,
            totals[2] / k
        );
    }
    out.push_str(
        "\n### Provider: operations, retries, peak RSS\n\n\
         | K | phase | AWS operations (calls) | HTTP attempts | provider processes | peak RSS (MiB) |\n\
         |---|---|---|---|---|---|\n",
    );
    for row in rows {
        for (i, (phase, _)) in PHASES.iter().enumerate() {
            let d = row.provider.details.get(i).cloned().unwrap_or_default();
            let _ = writeln!(
                out,
                "| {} | {phase} | {} | {} | {} | {:.1} |",
                row.k,
                operations(&d.operations),
                d.attempts,
                d.processes,
                d.peak_rss_kib as f64 / 1024.0
            );
        }
    }
    out.push_str("\n### Targets (reported, not asserted)\n\n");
    for row in rows {
        let apply = row.provider.phases[0].secs;
        let floor = row.floor.phases[0].secs;
        let paced = floor.max(bucket_floor(composite.endpoint_creates * row.k));
        let _ = writeln!(
            out,
            "- K = {}: apply within 1.5× of the concurrent floor: **{}** ({}); within 1.2× of the \
             floor under EC2's pacing (the token-bucket target): **{}** ({}).",
            row.k,
            met(apply <= 1.5 * floor),
            ratio(apply, floor),
            met(apply <= 1.2 * paced),
            ratio(apply, paced),
        );
    }
    let peak = rows
        .iter()
        .flat_map(|r| r.provider.details.iter())
        .map(|d| d.peak_rss_kib)
        .max()
        .unwrap_or(0);
    let verdict = if peak == 0 {
        "not measured (no provider process seen)"
    } else {
        met((peak as f64) * 1024.0 < 50e6)
    };
    let _ = writeln!(
        out,
        "- Provider peak RSS under 50 MB during any command above (largest: {:.1} MiB = {:.1} MB): **{verdict}**.",
        peak as f64 / 1024.0,
        peak as f64 * 1024.0 / 1e6,
    );
    for (who, run) in rows.iter().flat_map(|r| {
        [
            ("provider", &r.provider),
            ("AWS CLI", &r.cli),
            ("floor", &r.floor),
        ]
        .map(|(w, run)| ((w, r.k), run))
    }) {
        if !run.leftovers.is_empty() {
            notes.push(format!("{} at K = {}: {}", who.0, who.1, run.leftovers));
        }
    }
    if !notes.is_empty() {
        out.push_str("\nNotes:\n\n");
        for (i, note) in notes.iter().enumerate() {
            let _ = writeln!(out, "{}. {note}", i + 1);
        }
    } else {
        out.push_str(
            "\nEvery contender found what it made and left nothing behind after delete.\n",
        );
    }
    out
}

/// Writes the sections of a run limited by `BENCH_COMPOSITES` (`names`,
/// on `ks`, on the machine `machine` describes at the start) into the
/// results file: each replaces the section of the same heading, or follows
/// the last composite section, and says how it was measured; the rest of
/// the file stays as the last full run wrote it. Without a results file, it
/// is written as a full run would.
fn splice_results(
    (names, ks, machine): (&[&str], &[usize], &str),
    sections: &[String],
    current: &str,
    started: Instant,
) {
    let path = common::results_file(RESULTS);
    let Ok(mut text) = std::fs::read_to_string(&path) else {
        return write_results(&header(), sections, current, started);
    };
    let ks: Vec<String> = ks.iter().map(usize::to_string).collect();
    let how = format!(
        "Measured on its own (`BENCH_COMPOSITES={}`, K = {}; {:.1} min, load average at the end {}), \
         not in the run the header describes. {}",
        names.join(","),
        ks.join(", "),
        started.elapsed().as_secs_f64() / 60.0,
        common::load_average(),
        machine,
    );
    let headings: Vec<String> = COMPOSITES
        .iter()
        .map(|c| format!("## {}", c.label))
        .collect();
    for section in sections.iter().map(String::as_str).chain([current]) {
        let Some((heading, body)) = section.split_once('\n') else {
            continue;
        };
        text = splice(
            &text,
            heading,
            &format!("{heading}\n\n{how}\n{body}"),
            &headings,
        );
    }
    std::fs::write(&path, &text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    eprintln!("bench: sections spliced into {}", path.display());
}

/// `text` (a results file) with its section under `heading` replaced by
/// `section`, or, when it has none, `section` added after the last section
/// whose heading is one of `composites` (else before the closing `---`).
/// A section runs from its heading to the next `\n## ` or `\n---\n`.
fn splice(text: &str, heading: &str, section: &str, composites: &[String]) -> String {
    let start_of = |heading: &str| {
        text.match_indices(heading).map(|(i, _)| i).find(|&i| {
            (i == 0 || text[..i].ends_with('\n')) && text[i + heading.len()..].starts_with('\n')
        })
    };
    let end_after = |start: usize| {
        ["\n## ", "\n---\n"]
            .iter()
            .filter_map(|mark| text[start..].find(mark).map(|i| start + i))
            .min()
            .unwrap_or(text.len())
    };
    if let Some(start) = start_of(heading) {
        return format!("{}{section}{}", &text[..start], &text[end_after(start)..]);
    }
    let at = composites
        .iter()
        .filter_map(|h| start_of(h))
        .max()
        .map(end_after)
        .or_else(|| text.find("\n---\n"))
        .unwrap_or(text.len());
    format!("{}\n{section}{}", &text[..at], &text[at..])
}

/// A footnote mark for a phase with a note (the note joins `notes`).
fn mark(phase: &Phase, notes: &mut Vec<String>) -> String {
    match &phase.note {
        Some(note) => {
            notes.push(note.clone());
            format!(" [{}]", notes.len())
        }
        None => String::new(),
    }
}

/// `a / b` as `1.23×`, or `–` when undefined.
fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 && a.is_finite() && b.is_finite() {
        format!("{:.2}×", a / b)
    } else {
        "–".to_owned()
    }
}

/// `met` or `not met`.
fn met(yes: bool) -> &'static str {
    if yes {
        "met"
    } else {
        "not met"
    }
}

/// `CreateVpcEndpoint 3, DescribeVpcs 1, …`.
fn operations(operations: &BTreeMap<String, u64>) -> String {
    if operations.is_empty() {
        return "none".to_owned();
    }
    operations
        .iter()
        .map(|(op, n)| format!("{op} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes the results file: header, finished sections, the section in
/// progress, and the bench's own running time.
fn write_results(header: &str, sections: &[String], current: &str, started: Instant) {
    let mut text = header.to_owned();
    for section in sections.iter().map(String::as_str).chain([current]) {
        if !section.is_empty() {
            text.push('\n');
            text.push_str(section);
        }
    }
    let _ = write!(
        text,
        "\n---\nThis benchmark ran for {:.1} min; load average at the end {}.\n",
        started.elapsed().as_secs_f64() / 60.0,
        common::load_average()
    );
    let path = common::results_file(RESULTS);
    std::fs::write(&path, &text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    eprintln!("bench: results written to {}", path.display());
}
