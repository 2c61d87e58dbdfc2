//! The provider functions through real terraform (1.8+ calls them over the
//! plugin protocol): results in outputs, and an error that names the
//! argument at fault and says what to write.

mod support;

use support::terraform::{Workspace, REQUIRED_PROVIDERS};

fn workspace(outputs: &str) -> Workspace {
    let ws = Workspace::new(&format!("{REQUIRED_PROVIDERS}\n{outputs}"));
    ws.init();
    ws
}

#[test]
fn functions_return_the_url_and_the_service_name() {
    let ws = workspace(
        r#"
output "url" {
  value = provider::sagemaker::vpce_url("vpce-0a1b2c3d", "sagemaker_runtime", "eu-west-1")
}
output "service" {
  value = provider::sagemaker::endpoint_service_name("sagemaker_api", "eu-west-1")
}
"#,
    );
    ws.apply_ok();
    let outputs = ws.output_json();
    assert_eq!(
        outputs["url"]["value"],
        "https://vpce-0a1b2c3d.runtime.sagemaker.eu-west-1.vpce.amazonaws.com"
    );
    assert_eq!(
        outputs["service"]["value"],
        "com.amazonaws.eu-west-1.sagemaker.api"
    );
}

#[test]
fn a_bad_argument_fails_the_plan_naming_it() {
    let ws = workspace(
        r#"
output "url" {
  value = provider::sagemaker::vpce_url("vpce-0a1b2c3d", "sagemaker_runtim", "eu-west-1")
}
"#,
    );
    let raw = ws.plan_err();
    let output = support::one_line(&raw);
    assert!(output.contains("Invalid function argument"), "{output}");
    assert!(output.contains("\"service\" parameter"), "{output}");
    assert!(
        output.contains("Did you mean \"sagemaker_runtime\"?"),
        "{output}"
    );
    // Regression (trial #10): Terraform ends the sentence the error is
    // put in; the error's own period does not double it.
    let error = support::diagnostics::find(&raw, "Error", "Invalid function argument").text();
    assert!(error.ends_with(", s3."), "{error}");
    assert!(!error.contains(".."), "{error}");
}
