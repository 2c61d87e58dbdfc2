//! Ownership under Terraform's lifecycle, end to end (real terraform, real
//! moto): no apply deletes, modifies or adopts what another state owns.
//!
//! - Two workspaces (two states) on one VPC: the second plan fails naming
//!   the first one's object, its owner and the fix; the first is untouched.
//! - Two networks that can share a VPC (private DNS off) each destroy only
//!   their own objects.
//! - `-replace` plans and applies a clean replacement; with
//!   `create_before_destroy` it stops before creating anything (private DNS
//!   names and model names are unique) and the old instance stays whole
//!   (Terraform keeps it as a deposed object); the way out the error names
//!   (`destroy -target`, then apply) works.

mod support;

use std::collections::BTreeSet;
use support::ec2_fixture::{fixture_with, Fixture};
use support::one_line;
use support::sagemaker::{
    describe_model, main_tf, model_block, model_config_resource, network_resource, IMAGE,
};

/// A `sagemaker_private_network` "this" on subnets `b` and `c` of `fx`.
fn network(fx: &Fixture, body: &str) -> String {
    main_tf(&network_resource(
        &fx.vpc_id,
        [&fx.subnet_b, &fx.subnet_c],
        body,
    ))
}

/// A `sagemaker_vpc_model_config` "this" on subnets `b` and `c` of `fx`.
fn model_config(fx: &Fixture, body: &str) -> String {
    main_tf(&model_config_resource([&fx.subnet_b, &fx.subnet_c], body))
}

/// What exists in the account: endpoint ids and group ids, with their owner tags.
fn snapshot(fx: &Fixture) -> BTreeSet<String> {
    let endpoints = fx
        .endpoints()
        .into_iter()
        .map(|e| format!("{} {:?} {:?}", e.id, e.tags, e.subnets));
    let groups = fx
        .groups()
        .into_iter()
        .filter(|g| g.vpc_id == fx.vpc_id && g.name != "default")
        .map(|g| format!("{} {:?} {:?}", g.id, g.tags, g.ingress));
    endpoints.chain(groups).collect()
}

#[test]
fn a_second_workspace_on_the_same_vpc_fails_at_plan_and_never_touches_the_first() {
    let fx = fixture_with(true);
    let first = fx.workspace(&network(&fx, ""));
    first.apply_ok();
    let first_id = first.output_json()["network"]["value"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = snapshot(&fx);

    let second = fx.workspace(&network(&fx, r#"  services = ["sagemaker_api"]"#));
    let err = one_line(&second.plan_err());
    assert!(
        err.contains("Another endpoint already serves this service")
            && err.contains(&first_id)
            && err.contains("another workspace or resource")
            && err.contains("private_dns_enabled = false"),
        "the plan names the first network's endpoint, its owner and the fix:\n{err}"
    );
    let err = one_line(&second.apply_err());
    assert!(err.contains(&first_id), "{err}");
    assert_eq!(snapshot(&fx), before, "the first network is untouched");
    first.plan_no_changes();

    first.destroy_ok();
    assert!(fx.endpoints().is_empty(), "{:?}", fx.endpoints());
}

#[test]
fn two_networks_of_one_apply_never_both_make_the_private_dns_endpoint_of_a_service() {
    let fx = fixture_with(true);
    // A module used twice: independent resources Terraform applies in
    // parallel, each planned before the other's endpoint exists.
    let twin = |name: &str| {
        format!(
            "resource \"sagemaker_private_network\" \"{name}\" {{\n  vpc_id     = \"{}\"\n  subnet_ids = [\"{}\", \"{}\"]\n  services   = [\"sagemaker_api\"]\n}}\n",
            fx.vpc_id, fx.subnet_b, fx.subnet_c
        )
    };
    let ws = fx.workspace(&main_tf(&format!("{}{}", twin("a"), twin("b"))));
    let err = one_line(&ws.apply_err());
    assert!(
        err.contains("Another resource of this apply makes the same endpoint")
            && err.contains("the private-DNS endpoint for sagemaker_api"),
        "the second to apply stops with the reason:\n{err}"
    );
    let api: Vec<_> = fx
        .endpoints()
        .into_iter()
        .filter(|e| e.service.ends_with("sagemaker.api"))
        .collect();
    assert_eq!(
        api.len(),
        1,
        "one private-DNS endpoint for the service: {api:?}"
    );
    assert_eq!(
        ws.state_list().len(),
        1,
        "the one that stopped made nothing"
    );
    // The next apply finds that endpoint and stops before making anything.
    let err = one_line(&ws.apply_err());
    assert!(
        err.contains("Another endpoint already serves this service")
            && err.contains("private_dns_enabled = false"),
        "the next apply names the conflict and its fix:\n{err}"
    );
    assert_eq!(ws.state_list().len(), 1, "still nothing made: {err}");
    ws.destroy_ok();
    assert!(fx.endpoints().is_empty(), "{:?}", fx.endpoints());
}

#[test]
fn networks_sharing_a_vpc_destroy_only_their_own_objects() {
    let fx = fixture_with(true);
    let first = fx.workspace(&network(
        &fx,
        r#"  services = ["sagemaker_api", "sagemaker_runtime"]"#,
    ));
    first.apply_ok();
    let first_state = first.output_json()["network"]["value"].clone();

    let second = fx.workspace(&network(
        &fx,
        "  services = [\"sagemaker_api\"]\n  private_dns_enabled = false",
    ));
    second.apply_ok();
    let second_state = second.output_json()["network"]["value"].clone();
    assert_ne!(first_state["id"], second_state["id"]);
    assert_ne!(
        first_state["security_group_id"],
        second_state["security_group_id"]
    );
    assert_eq!(fx.endpoints().len(), 3, "2 + 1 endpoints");
    first.plan_no_changes();
    second.plan_no_changes();

    second.destroy_ok();
    let left: BTreeSet<String> = fx.endpoints().into_iter().map(|e| e.id).collect();
    let first_endpoints: BTreeSet<String> = first_state["endpoints"]
        .as_object()
        .unwrap()
        .values()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        left, first_endpoints,
        "destroying the second keeps the first"
    );
    assert!(fx.group_exists(first_state["security_group_id"].as_str().unwrap()));
    first.plan_no_changes();
    first.destroy_ok();
    assert!(fx.endpoints().is_empty());
}

#[test]
fn replace_deletes_the_old_network_first_and_create_before_destroy_stops_before_creating() {
    let fx = fixture_with(true);
    let ws = fx.workspace(&network(&fx, ""));
    ws.apply_ok();
    let old = ws.output_json()["network"]["value"].clone();

    // -replace without create_before_destroy: the old network goes first.
    let plan = ws.run_ok(&[
        "plan",
        "-input=false",
        "-replace=sagemaker_private_network.this",
    ]);
    assert!(
        plan.combined().contains("will be replaced"),
        "{}",
        plan.combined()
    );
    ws.run_ok(&[
        "apply",
        "-input=false",
        "-auto-approve",
        "-replace=sagemaker_private_network.this",
    ]);
    let new = ws.output_json()["network"]["value"].clone();
    assert_ne!(old["id"], new["id"], "a new instance");
    let live: BTreeSet<String> = fx.endpoints().into_iter().map(|e| e.id).collect();
    assert_eq!(live.len(), 3, "only the new endpoints exist: {live:?}");
    assert!(!fx.group_exists(old["security_group_id"].as_str().unwrap()));
    ws.plan_no_changes();

    // create_before_destroy: AWS allows one private-DNS endpoint per service
    // in a VPC, so apply stops before creating anything and keeps the old one.
    ws.write(
        "main.tf",
        &network(&fx, "  lifecycle {\n    create_before_destroy = true\n  }"),
    );
    let before = snapshot(&fx);
    let err = one_line(&ws.run_err(&[
        "apply",
        "-input=false",
        "-auto-approve",
        "-replace=sagemaker_private_network.this",
    ]));
    assert!(
        err.contains("create_before_destroy") && err.contains(new["id"].as_str().unwrap()),
        "the error names the old instance and create_before_destroy:\n{err}"
    );
    assert_eq!(snapshot(&fx), before, "nothing made, nothing deleted");
    // Terraform keeps the old network as a deposed object (the apply failed
    // while planning the new one): the way out the error names works.
    assert!(err.contains("destroy -target"), "{err}");
    ws.write("main.tf", &network(&fx, ""));
    ws.run_ok(&[
        "destroy",
        "-input=false",
        "-auto-approve",
        "-target=sagemaker_private_network.this",
    ]);
    assert!(fx.endpoints().is_empty(), "{:?}", fx.endpoints());
    ws.apply_ok();
    let newest = ws.output_json()["network"]["value"].clone();
    assert_ne!(newest["id"], new["id"]);
    assert_eq!(fx.endpoints().len(), 3, "{:?}", fx.endpoints());
    ws.plan_no_changes();
    ws.destroy_ok();
    assert!(fx.endpoints().is_empty());
}

#[test]
fn a_second_workspace_with_the_same_model_name_fails_at_plan_and_never_touches_the_first() {
    let fx = fixture_with(true);
    let first = fx.workspace(&model_config(&fx, &model_block("shared-model", IMAGE, "")));
    first.apply_ok();
    let first_id = first.output_json()["config"]["value"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let model = describe_model(&fx, "shared-model").expect("the model exists");
    let before = snapshot(&fx);

    let other_image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/other:2";
    let second = fx.workspace(&model_config(
        &fx,
        &model_block("shared-model", other_image, ""),
    ));
    let err = one_line(&second.plan_err());
    assert!(
        err.contains("Model name already taken") && err.contains(&first_id),
        "the plan names the model's owner:\n{err}"
    );
    assert_eq!(
        snapshot(&fx),
        before,
        "the first configuration is untouched"
    );
    assert_eq!(
        describe_model(&fx, "shared-model").unwrap()["PrimaryContainer"],
        model["PrimaryContainer"],
        "the first model is untouched"
    );
    first.plan_no_changes();

    // Without a model of its own, a second configuration on the same
    // subnets has its own group and reuses the first one's S3 route.
    let second = fx.workspace(&model_config(&fx, r#"  name = "second-config""#));
    second.apply_ok();
    second.refresh_only_no_changes();
    let config = second.output_json()["config"]["value"].clone();
    assert_eq!(config["s3_endpoint_managed"], false);
    second.destroy_ok();
    assert_eq!(
        snapshot(&fx),
        before,
        "destroying the second leaves the first whole"
    );
    first.plan_no_changes();
    first.destroy_ok();
    assert!(describe_model(&fx, "shared-model").is_none());
}

#[test]
fn create_before_destroy_of_a_named_model_stops_before_creating_and_keeps_the_old_one() {
    let fx = fixture_with(true);
    let body = format!(
        "{}\n  lifecycle {{\n    create_before_destroy = true\n  }}",
        model_block("cbd-model", IMAGE, "")
    );
    let ws = fx.workspace(&model_config(&fx, &body));
    ws.apply_ok();
    let old = ws.output_json()["config"]["value"].clone();
    let before = snapshot(&fx);

    let err = one_line(&ws.run_err(&[
        "apply",
        "-input=false",
        "-auto-approve",
        "-replace=sagemaker_vpc_model_config.this",
    ]));
    assert!(
        err.contains("Model name already taken")
            && err.contains("create_before_destroy")
            && err.contains(old["id"].as_str().unwrap()),
        "{err}"
    );
    assert_eq!(snapshot(&fx), before, "nothing made, nothing deleted");
    assert!(describe_model(&fx, "cbd-model").is_some());
    assert!(err.contains("destroy -target"), "{err}");
    ws.write(
        "main.tf",
        &model_config(&fx, &model_block("cbd-model", IMAGE, "")),
    );
    ws.run_ok(&[
        "destroy",
        "-input=false",
        "-auto-approve",
        "-target=sagemaker_vpc_model_config.this",
    ]);
    assert!(describe_model(&fx, "cbd-model").is_none());
    ws.apply_ok();
    let new = ws.output_json()["config"]["value"].clone();
    assert_ne!(new["id"], old["id"]);
    assert_eq!(
        new["model_arn"],
        describe_model(&fx, "cbd-model").unwrap()["ModelArn"]
    );
    assert!(!fx.group_exists(old["security_group_id"].as_str().unwrap()));
    ws.plan_no_changes();
    ws.destroy_ok();
    assert!(describe_model(&fx, "cbd-model").is_none());
}

#[test]
fn a_network_and_a_model_config_of_one_apply_never_both_route_s3_on_a_table() {
    let fx = fixture_with(true);
    // No depends_on: Terraform applies them in parallel, and each planned
    // its own S3 gateway endpoint before the other's existed.
    let both = main_tf(&format!(
        "{}{}",
        network_resource(&fx.vpc_id, [&fx.subnet_b, &fx.subnet_c], ""),
        model_config_resource([&fx.subnet_b, &fx.subnet_c], r#"  name = "racing-config""#)
    ));
    let ws = fx.workspace(&both);
    let err = one_line(&ws.apply_err());
    assert!(
        err.contains("Another resource of this apply")
            && err.contains(&format!("the S3 route of {}", fx.main_table)),
        "the second to apply stops, naming the route table:\n{err}"
    );
    let gateways: Vec<_> = fx
        .endpoints()
        .into_iter()
        .filter(|e| e.kind.eq_ignore_ascii_case("gateway"))
        .collect();
    assert_eq!(gateways.len(), 1, "one S3 route per table: {gateways:?}");
    assert_eq!(
        ws.state_list().len(),
        1,
        "the one that stopped made nothing"
    );
    ws.run_ok(&["destroy", "-auto-approve", "-input=false", "-refresh=false"]);
    assert!(fx.endpoints().is_empty(), "{:?}", fx.endpoints());
}

#[test]
fn one_s3_gateway_route_per_table_whatever_the_order_and_destroy_in_any_order_leaves_nothing() {
    let fx = fixture_with(true);
    // A model configuration routes S3 first (its own gateway endpoint)…
    let config = fx.workspace(&model_config(&fx, r#"  name = "first-config""#));
    config.apply_ok();
    let s3 = config.output_json()["config"]["value"]["s3_endpoint_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // …so a network asking for s3 on the same route table fails at plan,
    // naming the table and the endpoint, instead of doubling the route.
    let network_ws = fx.workspace(&network(&fx, ""));
    let err = one_line(&network_ws.plan_err());
    assert!(
        err.contains("Route table already has an S3 gateway route") && err.contains(&s3),
        "{err}"
    );
    // Without s3 it coexists; destroying the network first, then the
    // configuration, leaves nothing.
    network_ws.write(
        "main.tf",
        &network(
            &fx,
            r#"  services = ["sagemaker_api", "sagemaker_runtime"]"#,
        ),
    );
    network_ws.apply_ok();
    network_ws.destroy_ok();
    config.plan_no_changes();
    config.destroy_ok();
    assert!(fx.endpoints().is_empty(), "{:?}", fx.endpoints());

    // The other order: the network routes S3, the configuration reuses it,
    // and destroying the network first (its endpoint goes) leaves the
    // configuration to destroy cleanly too.
    let network_ws = fx.workspace(&network(&fx, ""));
    network_ws.apply_ok();
    let config = fx.workspace(&model_config(&fx, r#"  name = "second-config""#));
    config.apply_ok();
    assert_eq!(
        config.output_json()["config"]["value"]["s3_endpoint_managed"],
        false
    );
    network_ws.destroy_ok();
    config.destroy_ok();
    assert!(fx.endpoints().is_empty(), "{:?}", fx.endpoints());
}

#[test]
fn a_marker_left_by_a_failed_clean_up_shows_in_the_plan_and_the_next_apply_removes_it() {
    let fx = fixture_with(true);
    let ws = fx.workspace(&network(&fx, ""));
    ws.apply_ok();
    let state = ws.output_json()["network"]["value"].clone();
    let api = state["endpoints"]["sagemaker_api"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // What a create leaves when its last call (removing the marker) fails:
    // an object the state records, still marked as an unfinished create.
    let identity = format!("sagemaker_private_network/{}", fx.vpc_id);
    fx.ec2(&[
        ("Action", "CreateTags"),
        ("ResourceId.1", &api),
        ("Tag.1.Key", "sagemaker:creating"),
        ("Tag.1.Value", &identity),
    ]);
    let plan = ws.run(&["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(2), "{}", plan.combined());
    assert!(
        plan.combined().contains("sagemaker:creating"),
        "{}",
        plan.combined()
    );
    ws.apply_ok();
    let tags = fx
        .endpoints()
        .into_iter()
        .find(|e| e.id == api)
        .unwrap()
        .tags;
    assert!(!tags.contains_key("sagemaker:creating"), "{tags:?}");
    ws.plan_no_changes();
    ws.destroy_ok();
}
