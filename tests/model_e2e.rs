//! `sagemaker_model` end to end (real terraform, real moto): placed in a VPC
//! by a `sagemaker_vpc_model_config`, every change but tags is a
//! replacement the plan shows as one, a model replaced by hand is drift and
//! is never deleted by destroy, a name another state owns fails the plan,
//! `name_prefix` lets `create_before_destroy` work, import is clean.

mod support;

use serde_json::Value;
use support::ec2_fixture::{fixture_with, Fixture};
use support::one_line;
use support::sagemaker::{create_model_by_hand, describe_model, main_tf, model_names, IMAGE, ROLE};

const OTHER_IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:2";

/// A placement on subnets `b` and `c`, and a model in it with `body`.
fn config(fx: &Fixture, body: &str) -> String {
    main_tf(&format!(
        r#"
resource "sagemaker_vpc_model_config" "net" {{
  name       = "churn-net"
  subnet_ids = ["{}", "{}"]
}}
resource "sagemaker_model" "this" {{
  execution_role_arn = "{ROLE}"
  vpc_config         = sagemaker_vpc_model_config.net.vpc_config
{body}
}}
output "model" {{ value = sagemaker_model.this }}
"#,
        fx.subnet_b, fx.subnet_c
    ))
}

fn container(image: &str) -> String {
    format!(
        "  primary_container {{\n    image          = \"{image}\"\n    model_data_url = \"s3://models/churn/model.tar.gz\"\n  }}"
    )
}

fn model_of(ws: &support::terraform::Workspace) -> Value {
    ws.output_json()["model"]["value"].clone()
}

#[test]
fn a_model_in_the_vpc_is_replaced_on_change_and_the_plan_says_so() {
    let fx = fixture_with(true);
    let body = format!("  name = \"churn-model\"\n{}", container(IMAGE));
    let ws = fx.workspace(&config(&fx, &body));
    ws.apply_ok();
    let model = model_of(&ws);
    let live = describe_model(&fx, "churn-model").expect("the model exists");
    assert_eq!(model["arn"], live["ModelArn"]);
    assert_eq!(live["VpcConfig"]["Subnets"].as_array().unwrap().len(), 2);
    assert!(model["id"].as_str().unwrap().starts_with("churn-model/"));
    ws.plan_no_changes();
    ws.refresh_only_no_changes();

    // A new image replaces the model, and the plan says so.
    let changed = format!("  name = \"churn-model\"\n{}", container(OTHER_IMAGE));
    ws.write("main.tf", &config(&fx, &changed));
    ws.run_ok(&["plan", "-input=false", "-out=replace.plan"]);
    let shown = ws.json(&["show", "-json", "replace.plan"]);
    let actions: Vec<Value> = shown["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["address"] == "sagemaker_model.this")
        .map(|c| c["change"]["actions"].clone())
        .collect();
    assert_eq!(actions, [serde_json::json!(["delete", "create"])]);
    // prevent_destroy sees the delete.
    let guarded = format!("{changed}\n  lifecycle {{\n    prevent_destroy = true\n  }}");
    ws.write("main.tf", &config(&fx, &guarded));
    let err = one_line(&ws.plan_err());
    assert!(err.contains("prevent_destroy"), "{err}");
    ws.write("main.tf", &config(&fx, &changed));
    ws.apply_ok();
    let live = describe_model(&fx, "churn-model").unwrap();
    assert_eq!(live["PrimaryContainer"]["Image"], OTHER_IMAGE);
    ws.plan_no_changes();

    // Tags change in place.
    let tagged = format!("{changed}\n  tags = {{ Stage = \"prod\" }}");
    ws.write("main.tf", &config(&fx, &tagged));
    let plan = ws.plan_ok().combined();
    assert!(plan.contains("1 to change, 0 to destroy"), "{plan}");
    ws.apply_ok();
    assert_eq!(
        describe_model(&fx, "churn-model").unwrap()["ModelArn"],
        live["ModelArn"]
    );
    ws.destroy_ok();
    assert!(model_names(&fx).is_empty());
}

#[test]
fn a_model_replaced_by_hand_is_drift_and_destroy_leaves_it() {
    let fx = fixture_with(true);
    let body = format!("  name = \"hand-model\"\n{}", container(IMAGE));
    let ws = fx.workspace(&config(&fx, &body));
    ws.apply_ok();
    support::sagemaker::sagemaker_call(
        &fx,
        "DeleteModel",
        &serde_json::json!({ "ModelName": "hand-model" }),
    )
    .expect_ok("DeleteModel");
    create_model_by_hand(&fx, "hand-model", OTHER_IMAGE);

    let err = one_line(&ws.plan_err());
    assert!(
        err.contains("Model name already taken") && err.contains("not made by this provider"),
        "the hand-made model is not this state's:\n{err}"
    );
    // (-refresh=false: a refresh plans the model, and its name check fails.)
    ws.run_ok(&["destroy", "-input=false", "-auto-approve", "-refresh=false"]);
    assert_eq!(
        describe_model(&fx, "hand-model").unwrap()["PrimaryContainer"]["Image"],
        OTHER_IMAGE,
        "destroy never touches a model it did not make"
    );
}

#[test]
fn a_name_another_state_owns_fails_the_plan_and_name_prefix_allows_create_before_destroy() {
    let fx = fixture_with(true);
    let first = fx.workspace(&config(
        &fx,
        &format!("  name = \"shared-name\"\n{}", container(IMAGE)),
    ));
    first.apply_ok();
    let owner = model_of(&first)["id"].as_str().unwrap().to_owned();
    let second = fx.workspace(&main_tf(&format!(
        r#"
resource "sagemaker_model" "this" {{
  name               = "shared-name"
  execution_role_arn = "{ROLE}"
{}
}}
"#,
        container(OTHER_IMAGE)
    )));
    let err = one_line(&second.plan_err());
    assert!(
        err.contains("Model name already taken") && err.contains(&owner),
        "{err}"
    );
    first.destroy_ok();

    let cbd = |image: &str| {
        format!(
            "  name_prefix = \"churn-\"\n{}\n  lifecycle {{\n    create_before_destroy = true\n  }}",
            container(image)
        )
    };
    let ws = fx.workspace(&config(&fx, &cbd(IMAGE)));
    ws.apply_ok();
    let old = model_of(&ws)["name"].as_str().unwrap().to_owned();
    assert!(old.starts_with("churn-") && old.len() <= 63, "{old}");
    ws.write("main.tf", &config(&fx, &cbd(OTHER_IMAGE)));
    ws.apply_ok();
    let new = model_of(&ws)["name"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert_eq!(model_names(&fx), vec![new.clone()], "the old model is gone");
    ws.plan_no_changes();
    ws.destroy_ok();
    assert!(model_names(&fx).is_empty());
}

#[test]
fn an_import_block_with_the_original_configuration_plans_no_change() {
    let fx = fixture_with(true);
    // The emulator does not keep EnableNetworkIsolation (it reads back
    // false), so the round trip is checked with false.
    let body = format!(
        "  name = \"imported-model\"\n{}\n  tags = {{ Stage = \"prod\" }}\n  enable_network_isolation = false",
        container(IMAGE)
    );
    let ws = fx.workspace(&config(&fx, &body));
    ws.apply_ok();
    let before = model_of(&ws);
    ws.run_ok(&["state", "rm", "sagemaker_model.this"]);
    ws.write(
        "import.tf",
        "import {\n  to = sagemaker_model.this\n  id = \"imported-model\"\n}\n",
    );
    let plan = ws.plan_ok().combined();
    assert!(
        plan.contains("1 to import, 0 to add, 0 to change, 0 to destroy"),
        "{plan}"
    );
    ws.apply_ok();
    assert_eq!(model_of(&ws)["arn"], before["arn"], "the same model");
    assert_eq!(
        model_of(&ws)["id"],
        "imported-model",
        "an import's id is the model name"
    );
    ws.plan_no_changes();
    ws.destroy_ok();
    assert!(model_names(&fx).is_empty());
}

#[test]
fn an_import_block_with_a_different_image_plans_the_replacement() {
    let fx = fixture_with(true);
    create_model_by_hand(&fx, "imported-other", OTHER_IMAGE);
    let body = format!(
        "  name = \"imported-other\"\n{}\n  enable_network_isolation = false",
        container(IMAGE)
    );
    let ws = fx.workspace(&config(&fx, &body));
    ws.write(
        "import.tf",
        "import {\n  to = sagemaker_model.this\n  id = \"imported-other\"\n}\n",
    );
    let plan = support::one_line(&ws.plan_ok().combined());
    assert!(
        plan.contains("1 to import, 2 to add, 0 to change, 1 to destroy")
            && plan.contains("must be replaced"),
        "the import plans a replacement, not an error:\n{plan}"
    );
    ws.apply_ok();
    let live = describe_model(&fx, "imported-other").expect("the model exists");
    assert_eq!(
        live["PrimaryContainer"]["Image"], IMAGE,
        "replaced: {live:#}"
    );
    ws.plan_no_changes();
    ws.destroy_ok();
    assert!(model_names(&fx).is_empty());
}

#[test]
fn a_model_moves_out_of_a_vpc_model_config_without_being_recreated() {
    let fx = fixture_with(true);
    let old = main_tf(&format!(
        r#"
resource "sagemaker_vpc_model_config" "net" {{
  subnet_ids = ["{}", "{}"]
  model {{
    name               = "moved-model"
    execution_role_arn = "{ROLE}"
    enable_network_isolation = false
    primary_container {{
      image          = "{IMAGE}"
      model_data_url = "s3://models/churn/model.tar.gz"
    }}
  }}
}}
"#,
        fx.subnet_b, fx.subnet_c
    ));
    let ws = fx.workspace(&old);
    let applied = ws.apply_ok().combined();
    assert!(applied.contains("deprecated"), "the block warns: {applied}");
    let arn = describe_model(&fx, "moved-model").unwrap()["ModelArn"].clone();

    // The documented move: drop the block, name the configuration, declare
    // the model and import it.
    let body = format!(
        "  name = \"moved-model\"\n  enable_network_isolation = false\n{}",
        container(IMAGE)
    );
    let new = config(&fx, &body).replace("\"churn-net\"", "\"moved-model\"");
    ws.write("main.tf", &new);
    ws.write(
        "import.tf",
        "import {\n  to = sagemaker_model.this\n  id = \"moved-model\"\n}\n",
    );
    let plan = ws.plan_ok().combined();
    assert!(
        plan.contains("1 to import") && plan.contains("0 to destroy") && plan.contains("released"),
        "{plan}"
    );
    ws.apply_ok();
    assert_eq!(describe_model(&fx, "moved-model").unwrap()["ModelArn"], arn);
    ws.plan_no_changes();
    ws.destroy_ok();
    assert!(model_names(&fx).is_empty());
}

#[test]
fn subnets_in_one_zone_fail_the_plan_and_nothing_is_made() {
    let fx = fixture_with(true);
    let same_zone =
        support::ec2_fixture::create_subnet(&fx.account, &fx.vpc_id, "10.20.9.0/24", "us-east-1b");
    let group = fx.create_group("model-clients");
    let ws = fx.workspace(&main_tf(&format!(
        r#"
resource "sagemaker_model" "this" {{
  name               = "one-zone"
  execution_role_arn = "{ROLE}"
  vpc_config = {{
    subnets            = ["{}", "{same_zone}"]
    security_group_ids = ["{group}"]
  }}
{}
}}
"#,
        fx.subnet_b,
        container(IMAGE)
    )));
    let err = one_line(&ws.plan_err());
    assert!(
        err.contains("Subnets in one Availability Zone") && err.contains("vpc_config"),
        "{err}"
    );
    assert!(ws.apply_err().contains("one Availability Zone"));
    assert!(model_names(&fx).is_empty(), "nothing is made");
}
