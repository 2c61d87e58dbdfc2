//! End to end through the real `terraform` CLI and the real moto server:
//! offline install, schema, the data source, mTLS on and off, provider
//! configuration errors at plan, and no secret in trace logs.

mod support;

use serde_json::Value as Json;
use support::moto;
use support::terraform::{Workspace, REQUIRED_PROVIDERS};

/// A workspace for `body`, pointed at a fresh emulator account.
fn workspace(body: &str) -> Workspace {
    let account = moto::shared().new_account();
    let mut ws = Workspace::new(&format!("{REQUIRED_PROVIDERS}\n{body}"));
    ws.set_envs(account.aws_env());
    ws.init();
    ws
}

const HOSTING_SERVICES: &str = r#"
provider "sagemaker" {}

data "sagemaker_endpoint_services" "this" {
  names = ["hosting"]
}

output "region" { value = data.sagemaker_endpoint_services.this.region }
output "services" { value = data.sagemaker_endpoint_services.this.services }
output "unavailable" { value = data.sagemaker_endpoint_services.this.unavailable }
"#;

fn assert_hosting_services(outputs: &Json) {
    assert_eq!(outputs["region"]["value"], "us-east-1");
    let services = outputs["services"]["value"]
        .as_object()
        .expect("services is a map");
    let names: Vec<&str> = services.keys().map(String::as_str).collect();
    assert_eq!(names, ["s3", "sagemaker_api", "sagemaker_runtime"]);
    let api = &services["sagemaker_api"];
    assert_eq!(api["service_name"], "com.amazonaws.us-east-1.sagemaker.api");
    assert_eq!(api["service_type"], "Interface");
    let zones = api["availability_zones"].as_array().expect("zones list");
    assert!(zones.iter().any(|z| z == "us-east-1a"), "zones: {zones:?}");
    assert_eq!(services["s3"]["service_type"], "Gateway");
    assert_eq!(
        services["sagemaker_runtime"]["service_name"],
        "com.amazonaws.us-east-1.sagemaker.runtime"
    );
    assert_eq!(outputs["unavailable"]["value"], serde_json::json!([]));
}

#[test]
fn init_works_offline_and_schema_has_descriptions() {
    let ws = workspace(r#"provider "sagemaker" {}"#);
    let lock = ws.read(".terraform.lock.hcl");
    assert!(
        lock.contains("registry.terraform.io/privatelink/sagemaker"),
        "{lock}"
    );
    let out = ws.run_ok(&["providers", "schema", "-json"]);
    let schema: Json = serde_json::from_str(&out.stdout).expect("schema JSON");
    let provider = &schema["provider_schemas"]["registry.terraform.io/privatelink/sagemaker"];
    let block = &provider["provider"]["block"];
    assert!(block["attributes"]["region"]["description"]
        .as_str()
        .unwrap()
        .contains("AWS Region"));
    assert_eq!(block["attributes"]["secret_key"]["sensitive"], true);
    assert_eq!(
        block["block_types"]["assume_role"]["nesting_mode"],
        "single"
    );
    let data = &provider["data_source_schemas"]["sagemaker_endpoint_services"]["block"];
    assert_eq!(data["attributes"]["services"]["computed"], true);
    assert!(data["attributes"]["names"]["description"]
        .as_str()
        .unwrap()
        .contains("presets"));
    assert_eq!(data["attributes"]["names"]["description_kind"], "markdown");
}

#[test]
fn data_source_reads_services_from_the_emulator_over_mtls() {
    let mut ws = workspace(HOSTING_SERVICES);
    let log = ws.path().join("provider.log");
    ws.with_log("DEBUG", &log);
    ws.set_env("TF_LOG_PROVIDER", "DEBUG");
    ws.apply_ok();
    assert_hosting_services(&ws.output_json());
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.contains("tls=true"),
        "the provider did not serve TLS; log:\n{log}"
    );
    assert!(
        log.contains("DescribeVpcEndpointServices"),
        "AWS calls are logged with their operation"
    );
}

#[test]
fn data_source_works_with_plugin_tls_disabled() {
    let mut ws = workspace(HOSTING_SERVICES);
    let log = ws.path().join("provider.log");
    ws.set_env("TF_DISABLE_PLUGIN_TLS", "1");
    ws.with_log("DEBUG", &log);
    ws.apply_ok();
    assert_hosting_services(&ws.output_json());
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.contains("tls=false"),
        "expected a plaintext plugin channel; log:\n{log}"
    );
}

#[test]
fn the_default_lists_every_service_and_a_second_plan_is_empty() {
    let ws = workspace(
        r#"
provider "sagemaker" {}
data "sagemaker_endpoint_services" "all" {}
output "services" { value = keys(data.sagemaker_endpoint_services.all.services) }
output "studio" { value = data.sagemaker_endpoint_services.all.services["studio"].service_name }
"#,
    );
    ws.apply_ok();
    let outputs = ws.output_json();
    assert_eq!(outputs["services"]["value"].as_array().unwrap().len(), 15);
    assert_eq!(outputs["studio"]["value"], "aws.sagemaker.us-east-1.studio");
    ws.plan_no_changes();
}

#[test]
fn bad_provider_configuration_fails_at_plan_naming_the_attribute() {
    let ws = workspace(
        r#"
provider "sagemaker" {
  region      = "useast1"
  secret_key  = "not-shown-anywhere"
  max_retries = 99
  endpoints {
    ec2 = "127.0.0.1:5000"
  }
  assume_role {
    role_arn = "arn:aws:iam::123:user/bob"
  }
}
data "sagemaker_endpoint_services" "this" {}
"#,
    );
    let err = ws.plan_err();
    for expected in [
        "Invalid value for region",
        r#"region      = "useast1""#,
        "secret_key without access_key",
        "max_retries",
        "Invalid value for endpoints.ec2",
        r#"ec2 = "127.0.0.1:5000""#,
        "Invalid value for assume_role.role_arn",
        "arn:aws:iam::123456789012:role/NAME",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    // Terraform quotes the user's own source lines ("  11:   secret_key = …");
    // the provider's messages must not repeat the value.
    let messages: Vec<&str> = err.lines().filter(|l| !is_source_snippet(l)).collect();
    assert!(
        !messages.join("\n").contains("not-shown-anywhere"),
        "a secret was echoed:\n{err}"
    );
}

/// A line where Terraform quotes configuration source, e.g. `  11:   x = 1`.
fn is_source_snippet(line: &str) -> bool {
    let trimmed = line.trim_start();
    let digits = trimmed.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && trimmed[digits..].starts_with(':')
}

#[test]
fn unknown_service_name_fails_validate_with_its_path() {
    let ws = workspace(
        r#"
provider "sagemaker" {}
data "sagemaker_endpoint_services" "this" {
  names = ["hosting", "sagemaker-api"]
}
"#,
    );
    let err = ws.run_err(&["validate", "-no-color"]);
    assert!(err.contains("Unsupported value for names"), "{err}");
    assert!(err.contains(r#""sagemaker-api" is not supported"#), "{err}");
    assert!(
        err.contains("`sagemaker_api`"),
        "the error lists valid names: {err}"
    );
}

#[test]
fn secret_key_never_reaches_the_logs() {
    const SECRET: &str = "zQ9SECRETdoNotLog7f3b2c1a0e9d8c7b6a5f4e3d2";
    let account = moto::shared().new_account();
    let mut ws = Workspace::new(&format!(
        r#"{REQUIRED_PROVIDERS}
provider "sagemaker" {{
  region     = "us-east-1"
  access_key = "{}"
  secret_key = "{SECRET}"
  token      = "{SECRET}-token"
}}
data "sagemaker_endpoint_services" "this" {{ names = ["hosting"] }}
output "n" {{ value = length(data.sagemaker_endpoint_services.this.services) }}
"#,
        account.access_key_id
    ));
    ws.set_envs(
        account
            .aws_env()
            .into_iter()
            .filter(|(k, _)| !k.starts_with("AWS_SECRET") && !k.starts_with("AWS_ACCESS")),
    );
    ws.init();
    let log = ws.path().join("trace.log");
    ws.with_log("trace", &log);
    let applied = ws.apply_ok();
    assert_eq!(ws.output_json()["n"]["value"], 3);
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.contains("AWS call"),
        "trace log has the provider's lines"
    );
    assert!(
        !log.contains(SECRET),
        "the secret key is in the TF_LOG=trace output"
    );
    assert!(!applied.combined().contains(SECRET));
}

/// Kills the provider started by hand when the test ends, however it ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn debug_mode_serves_terraform_through_reattach() {
    use std::io::{BufRead, BufReader};
    let account = moto::shared().new_account();
    let mut child = std::process::Command::new(support::provider_binary())
        .arg("--debug")
        .envs(account.aws_env())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the provider in debug mode");
    let stdout = child.stdout.take().unwrap();
    let provider = KillOnDrop(child);
    let reattach_line = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find(|line| line.contains("TF_REATTACH_PROVIDERS="))
        .expect("debug mode prints the TF_REATTACH_PROVIDERS line");
    let json = reattach_line
        .split('\'')
        .nth(1)
        .expect("the value is single-quoted");
    let reattach: Json = serde_json::from_str(json).expect("reattach JSON");
    let entry = &reattach["registry.terraform.io/privatelink/sagemaker"];
    assert_eq!(entry["ProtocolVersion"], 6);
    assert_eq!(entry["Test"], true, "protocol 6 reattach needs Test=true");
    assert_eq!(entry["Pid"], provider.0.id());
    let addr = entry["Addr"]["String"].as_str().unwrap();

    let mut ws = Workspace::new(&format!("{REQUIRED_PROVIDERS}\n{HOSTING_SERVICES}"));
    ws.with_reattach(addr, provider.0.id());
    ws.init();
    ws.apply_ok();
    assert_hosting_services(&ws.output_json());
    ws.plan_no_changes();
}
