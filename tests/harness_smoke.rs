//! Smoke tests of the end-to-end harness itself (`tests/support`): the moto
//! launcher and the Terraform workspace, without needing a working provider.
//!
//! Nothing is skipped: without `.venv` (run `scripts/venv.sh`) or
//! `terraform` on `PATH` these tests fail and say why.

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Instant;

use support::moto::{self, Account, Moto};
use support::terraform::{Workspace, PROVIDER_SOURCE, PROVIDER_VERSION, REQUIRED_PROVIDERS};

/// Configuration that only requires the provider (no provider block, no resources).
const REQUIRES_PROVIDER: &str = REQUIRED_PROVIDERS;

/// EC2 query API version.
const EC2_VERSION: &str = "2016-11-15";

/// Creates a VPC as `account` and returns its id.
fn create_vpc(moto: &Moto, account: Option<&Account>, cidr: &str) -> String {
    let params = [
        ("Action", "CreateVpc"),
        ("Version", EC2_VERSION),
        ("CidrBlock", cidr),
    ];
    moto.query("ec2", account, &params)
        .expect_ok("CreateVpc")
        .xml_text("vpcId")
}

/// The `DescribeVpcs` answer for `account` (XML text).
fn describe_vpcs(moto: &Moto, account: Option<&Account>) -> String {
    let params = [("Action", "DescribeVpcs"), ("Version", EC2_VERSION)];
    moto.query("ec2", account, &params)
        .expect_ok("DescribeVpcs")
        .body
}

/// A workspace whose mirror holds a fake provider: any executable will do,
/// `terraform init` only checksums it.
fn with_fake_provider(main_tf: &str) -> Workspace {
    let dir =
        tempfile::tempdir_in(support::target_tmpdir()).expect("temp dir for the fake provider");
    let path = dir.path().join("fake-provider");
    fs::write(
        &path,
        "#!/bin/sh\necho 'fake provider: not a plugin' >&2\nexit 1\n",
    )
    .expect("write fake provider");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod fake provider");
    Workspace::with_provider(main_tf, &path)
}

/// True while a process with this pid exists (zombies included).
fn process_exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn moto_starts_answers_resets_and_stops() {
    let started = Instant::now();
    let moto = Moto::start();
    eprintln!("moto started and warmed up in {:?}", started.elapsed());
    assert_eq!(moto.endpoint, format!("http://127.0.0.1:{}", moto.port));
    assert_eq!(moto.request("GET", "/moto-api/", &[], "").status, 200);

    let vpc = create_vpc(&moto, None, "10.42.0.0/16");
    assert!(
        describe_vpcs(&moto, None).contains(&vpc),
        "new VPC {vpc} not listed"
    );
    moto.reset();
    assert!(
        !describe_vpcs(&moto, None).contains(&vpc),
        "VPC {vpc} survived the reset"
    );

    let pid = moto.pid();
    assert!(process_exists(pid));
    drop(moto);
    assert!(
        !process_exists(pid),
        "moto_server (pid {pid}) still exists after drop"
    );
}

#[test]
fn moto_reset_seeded_repeats_ids() {
    let moto = Moto::start();
    moto.reset_seeded(42);
    let first = create_vpc(&moto, None, "10.1.0.0/16");
    moto.reset_seeded(42);
    assert_eq!(create_vpc(&moto, None, "10.1.0.0/16"), first);
}

#[test]
fn moto_accounts_isolate_tests_on_the_shared_server() {
    let moto = moto::shared();
    assert!(
        std::ptr::eq(moto, moto::shared()),
        "shared() must return one server"
    );
    let (a, b) = (moto.new_account(), moto.new_account());
    assert_ne!(a.id, b.id);

    let identity = [("Action", "GetCallerIdentity"), ("Version", "2011-06-15")];
    let caller = moto
        .query("sts", Some(&a), &identity)
        .expect_ok("GetCallerIdentity");
    assert_eq!(caller.xml_text("Account"), a.id);

    let vpc = create_vpc(moto, Some(&a), "10.7.0.0/16");
    assert!(describe_vpcs(moto, Some(&a)).contains(&vpc));
    assert!(
        !describe_vpcs(moto, Some(&b)).contains(&vpc),
        "account {} sees {vpc} of {}",
        b.id,
        a.id
    );
    assert!(
        !describe_vpcs(moto, None).contains(&vpc),
        "default account sees {vpc} of {}",
        a.id
    );
}

#[test]
fn moto_env_points_the_sdk_at_the_server() {
    let moto = moto::shared();
    let account = moto.new_account();
    let env = account.aws_env();
    let get = |key: &str| env.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    assert_eq!(get("AWS_ENDPOINT_URL"), Some(moto.endpoint.as_str()));
    assert_eq!(
        get("AWS_ACCESS_KEY_ID"),
        Some(account.access_key_id.as_str())
    );
    assert_eq!(get("AWS_REGION"), Some(moto::REGION));
    assert_eq!(get("AWS_EC2_METADATA_DISABLED"), Some("true"));
    let default_env = moto.aws_env();
    assert!(default_env.contains(&("AWS_ACCESS_KEY_ID".into(), moto::DEFAULT_ACCESS_KEY.into())));
}

#[test]
fn terraform_version_runs() {
    let workspace = with_fake_provider(REQUIRES_PROVIDER);
    let output = workspace.run_ok(&["version"]);
    assert!(
        output.stdout.starts_with("Terraform v"),
        "unexpected: {}",
        output.stdout
    );
}

#[test]
fn terraform_init_works_offline_from_the_mirror() {
    let mut workspace = with_fake_provider(REQUIRES_PROVIDER);
    // Any attempt to reach a registry would fail through this dead proxy.
    workspace
        .set_env("HTTPS_PROXY", "http://127.0.0.1:9")
        .set_env("HTTP_PROXY", "http://127.0.0.1:9");
    workspace.init();

    let lock = workspace.read(".terraform.lock.hcl");
    assert!(
        lock.contains(&format!("provider \"{PROVIDER_SOURCE}\"")),
        "lock file:\n{lock}"
    );
    assert!(
        lock.contains(&format!("\"{PROVIDER_VERSION}\"")),
        "lock file:\n{lock}"
    );
    assert!(lock.contains("\"h1:"), "lock file:\n{lock}");
}

#[test]
fn workspace_reports_failures_without_panicking() {
    let workspace = with_fake_provider(REQUIRES_PROVIDER);
    let output = workspace.run(&["no-such-command"]);
    assert!(!output.success());
    // Not initialised: plan must fail and say so.
    let message = workspace.plan_err();
    assert!(message.contains("terraform init"), "unexpected: {message}");
}

#[test]
fn workspace_mirrors_the_real_provider_binary() {
    let workspace = Workspace::new(REQUIRES_PROVIDER);
    let name = format!("terraform-provider-sagemaker_v{PROVIDER_VERSION}");
    let installed = fs::read_dir(
        workspace
            .mirror_dir()
            .join(PROVIDER_SOURCE)
            .join(PROVIDER_VERSION),
    )
    .expect("version directory")
    .map(|entry| entry.expect("dir entry").path().join(&name))
    .next()
    .expect("one OS_ARCH directory");
    let (built, copy) = (
        fs::metadata(support::provider_binary()).unwrap(),
        fs::metadata(&installed).unwrap(),
    );
    assert_eq!(built.len(), copy.len());
    assert_ne!(
        copy.permissions().mode() & 0o111,
        0,
        "{} is not executable",
        installed.display()
    );
}

#[test]
fn workspace_helpers_drive_a_full_cycle() {
    // Only the built-in provider: exercises every helper without ours.
    let main_tf = r#"
resource "terraform_data" "probe" {
  input = "hello"
}

output "echo" {
  value = terraform_data.probe.output
}
"#;
    let workspace = with_fake_provider(main_tf);
    workspace.init();
    let plan = workspace.plan_json();
    assert_eq!(
        plan["resource_changes"][0]["change"]["actions"][0],
        "create"
    );
    workspace.apply_ok();
    assert_eq!(workspace.state_list(), ["terraform_data.probe"]);
    assert_eq!(workspace.output_json()["echo"]["value"], "hello");
    assert_eq!(
        workspace.show_json()["values"]["outputs"]["echo"]["value"],
        "hello"
    );
    workspace.plan_no_changes();
    workspace.destroy_ok();
    assert!(workspace.state_list().is_empty());
}

#[test]
fn diagnostics_lose_their_box_and_each_keeps_its_lines() {
    let output = "╷\n│ Error: Bad subnet\n│ \n│   with x.y,\n╵\nWarning: Careful\nmore\n";
    let all = support::diagnostics::diagnostics(output);
    assert_eq!(all.len(), 2);
    assert_eq!(
        (all[0].severity.as_str(), all[0].summary.as_str()),
        ("Error", "Bad subnet")
    );
    assert_eq!(all[0].text(), "with x.y,");
    assert_eq!(all[1].lines, ["more"]);
}
