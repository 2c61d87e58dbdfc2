//! `sagemaker_vpc_model_config` end to end: real terraform, real moto. Each
//! test builds its own VPC in its own emulator account, applies, then checks
//! the emulator through its API — what exists, not what the state claims.

mod support;

use serde_json::Value;
use support::ec2_fixture::{fixture, service, Fixture};
use support::policies::{assert_default_policy, Admits};
use support::sagemaker::{
    describe_model, main_tf, model_block, model_config_resource, sagemaker_call, IMAGE,
};

/// The model configuration on subnets `b` and `c` (main route table, no
/// S3 route yet) with `body`.
fn config_on_b_and_c(fx: &Fixture, body: &str) -> String {
    model_config_resource([&fx.subnet_b, &fx.subnet_c], body)
}

fn delete_model_by_hand(fx: &Fixture, name: &str) {
    sagemaker_call(fx, "DeleteModel", &serde_json::json!({ "ModelName": name }))
        .expect_ok("DeleteModel");
}

fn strings(value: &Value) -> Vec<String> {
    let mut items: Vec<String> = value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    items.sort();
    items
}

fn s3_endpoints(fx: &Fixture) -> Vec<support::ec2_fixture::Endpoint> {
    fx.endpoints()
        .into_iter()
        .filter(|e| e.service == service("s3") && e.kind == "Gateway")
        .collect()
}

#[test]
fn model_in_vpc_gets_its_group_s3_endpoint_and_policy_then_destroys_cleanly() {
    let fx = fixture();
    let body = model_block("churn-1", IMAGE, "");
    let ws = fx.workspace(&main_tf(&config_on_b_and_c(&fx, &body)));
    let plan = ws.plan_ok().combined();
    assert!(
        plan.lines()
            .any(|l| l.contains("vpc_id") && l.contains(&fx.vpc_id)),
        "the plan knows the VPC from the subnets:\n{plan}"
    );
    ws.apply_ok();

    let config = &ws.output_json()["config"]["value"];
    let group_id = config["security_group_id"]
        .as_str()
        .expect("a model group")
        .to_owned();
    let id = config["id"].as_str().unwrap().to_owned();
    assert!(
        id.starts_with("churn-1/"),
        "the id is the name and this instance's own suffix: {id}"
    );
    assert_eq!(config["vpc_id"], fx.vpc_id.as_str());
    assert_eq!(config["tags_all"]["Team"], "ml-platform");

    let model = describe_model(&fx, "churn-1").expect("the model exists");
    let mut subnets = strings(&model["VpcConfig"]["Subnets"]);
    subnets.sort();
    let mut wanted = vec![fx.subnet_b.clone(), fx.subnet_c.clone()];
    wanted.sort();
    assert_eq!(
        subnets, wanted,
        "the model runs in exactly the configured subnets"
    );
    assert_eq!(
        strings(&model["VpcConfig"]["SecurityGroupIds"]),
        vec![group_id.clone()]
    );
    assert_eq!(model["PrimaryContainer"]["Image"], IMAGE);
    assert_eq!(config["model_arn"], model["ModelArn"]);
    assert_eq!(strings(&config["vpc_config"]["subnets"]), wanted);
    assert_eq!(
        strings(&config["vpc_config"]["security_group_ids"]),
        vec![group_id.clone()]
    );

    let group = fx.groups().into_iter().find(|g| g.id == group_id).unwrap();
    assert_eq!(
        group.name,
        format!("sagemaker-model-{}", id.replace('/', "-"))
    );
    assert!(
        group.ingress.is_empty(),
        "no ingress at all: {:?}",
        group.ingress
    );
    for rule in &group.egress {
        assert_eq!(
            (rule.protocol.as_str(), rule.from.as_str(), rule.to.as_str()),
            ("tcp", "443", "443"),
            "egress is HTTPS only: {:?}",
            group.egress
        );
        assert!(rule.groups.is_empty());
    }
    let cidrs: Vec<&String> = group.egress.iter().flat_map(|r| &r.cidrs).collect();
    assert_eq!(cidrs, vec!["10.20.0.0/16"], "HTTPS to the VPC");
    let prefix_lists: usize = group.egress.iter().map(|r| r.others).sum();
    assert_eq!(prefix_lists, 1, "and to the S3 prefix list, nothing else");
    assert_eq!(
        group.tags.get("sagemaker:owner").map(String::as_str),
        Some(id.as_str())
    );

    let s3 = s3_endpoints(&fx);
    assert_eq!(s3.len(), 1, "one S3 gateway endpoint: {s3:?}");
    assert_default_policy(&s3[0], &Admits::Account(&fx.account.id));
    assert_eq!(config["s3_endpoint_id"], s3[0].id.as_str());
    assert_eq!(config["s3_endpoint_managed"], true);
    assert_eq!(
        s3[0].route_tables.iter().collect::<Vec<_>>(),
        vec![&fx.main_table]
    );
    let main = fx
        .route_tables()
        .into_iter()
        .find(|t| t.id == fx.main_table)
        .unwrap();
    assert_eq!(
        main.prefix_list_routes,
        vec![(fx.s3_prefix_list(), s3[0].id.clone())]
    );

    let policy: Value =
        serde_json::from_str(config["execution_role_policy_json"].as_str().unwrap()).unwrap();
    let text = policy.to_string();
    for action in [
        "ec2:CreateNetworkInterfacePermission",
        "ec2:DescribeDhcpOptions",
        "ec2:DeleteNetworkInterface",
    ] {
        assert!(text.contains(action), "{action} in {text}");
    }
    assert!(
        text.contains(&format!("security-group/{group_id}")),
        "{text}"
    );

    ws.plan_no_changes();
    ws.refresh_only_no_changes();
    ws.run_ok(&["refresh"]);
    ws.plan_no_changes();

    ws.destroy_ok();
    assert!(
        describe_model(&fx, "churn-1").is_none(),
        "the model is gone"
    );
    assert!(s3_endpoints(&fx).is_empty(), "the S3 endpoint is gone");
    assert!(!fx.group_exists(&group_id), "the group is gone");
}

#[test]
fn existing_s3_endpoint_is_reused_and_left_intact() {
    let fx = fixture();
    let resources = format!(
        r#"
resource "sagemaker_private_network" "net" {{
  vpc_id     = "{vpc}"
  subnet_ids = ["{b}", "{c}"]
}}
resource "sagemaker_vpc_model_config" "this" {{
  name       = "batch-jobs"
  subnet_ids = ["{b}", "{c}"]
  depends_on = [sagemaker_private_network.net]
}}
output "config" {{ value = sagemaker_vpc_model_config.this }}
output "net" {{ value = sagemaker_private_network.net }}
"#,
        vpc = fx.vpc_id,
        b = fx.subnet_b,
        c = fx.subnet_c
    );
    let ws = fx.workspace(&main_tf(&resources));
    ws.apply_ok();
    let outputs = ws.output_json();
    let config = &outputs["config"]["value"];
    let network_s3 = outputs["net"]["value"]["endpoints"]["s3"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(s3_endpoints(&fx).len(), 1, "no second S3 endpoint");
    assert_eq!(config["s3_endpoint_id"], network_s3.as_str());
    assert_eq!(config["s3_endpoint_managed"], false);
    assert_eq!(config["model_arn"], Value::Null);
    ws.plan_no_changes();

    ws.run_ok(&[
        "destroy",
        "-auto-approve",
        "-target=sagemaker_vpc_model_config.this",
    ]);
    let left = s3_endpoints(&fx);
    assert_eq!(left.len(), 1, "the network's S3 endpoint is intact");
    assert_eq!(left[0].id, network_s3);
    ws.destroy_ok();
    assert!(fx.endpoints().is_empty());
}

#[test]
fn drift_is_detected_and_repaired_and_changes_replace_only_the_model() {
    let fx = fixture();
    let ws = fx.workspace(&main_tf(&config_on_b_and_c(
        &fx,
        &model_block("churn-2", IMAGE, ""),
    )));
    ws.apply_ok();
    let config = ws.output_json()["config"]["value"].clone();
    let group_id = config["security_group_id"].as_str().unwrap().to_owned();

    // A model deleted by hand comes back.
    delete_model_by_hand(&fx, "churn-2");
    let plan = ws.plan_ok().combined();
    assert!(
        plan.contains("model_arn") && plan.contains("update in-place"),
        "{plan}"
    );
    ws.apply_ok();
    assert!(
        describe_model(&fx, "churn-2").is_some(),
        "apply recreated the model"
    );
    ws.plan_no_changes();

    // A rule added by hand is removed again.
    fx.ec2(&[
        ("Action", "AuthorizeSecurityGroupIngress"),
        ("GroupId", &group_id),
        ("IpPermissions.1.IpProtocol", "tcp"),
        ("IpPermissions.1.FromPort", "22"),
        ("IpPermissions.1.ToPort", "22"),
        ("IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0"),
    ]);
    let plan = ws.plan_ok().combined();
    assert!(
        plan.contains("ingress tcp 22 0.0.0.0/0"),
        "the plan shows the hand-made rule going:\n{plan}"
    );
    ws.apply_ok();
    let group = fx.groups().into_iter().find(|g| g.id == group_id).unwrap();
    assert!(group.ingress.is_empty(), "{:?}", group.ingress);
    ws.plan_no_changes();

    // A new image replaces the model (the plan says so); the group stays.
    let image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:2";
    ws.write(
        "main.tf",
        &main_tf(&config_on_b_and_c(&fx, &model_block("churn-2", image, ""))),
    );
    let plan = ws.plan_ok().combined();
    assert!(plan.contains("model will be replaced"), "{plan}");
    ws.apply_ok();
    let model = describe_model(&fx, "churn-2").unwrap();
    assert_eq!(model["PrimaryContainer"]["Image"], image);
    assert_eq!(
        ws.output_json()["config"]["value"]["security_group_id"],
        group_id.as_str()
    );

    // Tags change in place, without replacing the model.
    let tagged = config_on_b_and_c(
        &fx,
        &format!(
            "{}\n  tags = {{ CostCenter = \"42\" }}",
            model_block("churn-2", image, "")
        ),
    );
    ws.write("main.tf", &main_tf(&tagged));
    let plan = ws.plan_ok().combined();
    assert!(!plan.contains("model will be replaced"), "{plan}");
    ws.apply_ok();
    let group = fx.groups().into_iter().find(|g| g.id == group_id).unwrap();
    assert_eq!(group.tags.get("CostCenter").map(String::as_str), Some("42"));
    ws.plan_no_changes();
    ws.destroy_ok();
    assert!(describe_model(&fx, "churn-2").is_none());
    assert!(!fx.group_exists(&group_id));
}

#[test]
fn import_by_model_name_then_no_changes() {
    let fx = fixture();
    // moto stores EnableNetworkIsolation as false whatever is asked, so the
    // imported configuration states it.
    let body = model_block("churn-3", IMAGE, "    enable_network_isolation = false");
    let tf = main_tf(&config_on_b_and_c(&fx, &body));
    let ws = fx.workspace(&tf);
    ws.apply_ok();
    let before = ws.output_json()["config"]["value"].clone();
    ws.run_ok(&["state", "rm", "sagemaker_vpc_model_config.this"]);
    ws.import_ok("sagemaker_vpc_model_config.this", "churn-3");
    ws.plan_no_changes();
    let after = ws.output_json();
    let _ = after;
    let state = ws.show_json();
    let resource = &state["values"]["root_module"]["resources"][0]["values"];
    assert_eq!(resource["security_group_id"], before["security_group_id"]);
    assert_eq!(resource["s3_endpoint_id"], before["s3_endpoint_id"]);
    assert_eq!(resource["s3_endpoint_managed"], true);
    ws.destroy_ok();
    assert!(describe_model(&fx, "churn-3").is_none());
    assert!(s3_endpoints(&fx).is_empty());
}

#[test]
fn moving_subnets_reroutes_its_s3_endpoint_in_place_and_replaces_the_model() {
    let fx = fixture();
    let body = model_block("churn-4", IMAGE, "");
    let on = |subnets: [&str; 2]| main_tf(&model_config_resource(subnets, &body));
    let ws = fx.workspace(&on([&fx.subnet_b, &fx.subnet_c]));
    ws.apply_ok();
    let before = ws.output_json()["config"]["value"].clone();
    let endpoint_id = before["s3_endpoint_id"].as_str().unwrap().to_owned();

    // Subnet a has its own route table: the endpoint gains a route there.
    ws.write("main.tf", &on([&fx.subnet_a, &fx.subnet_b]));
    let plan = ws.plan_ok().combined();
    assert!(
        plan.contains("update in-place") && !plan.contains("must be replaced"),
        "{plan}"
    );
    assert!(
        plan.contains("The SageMaker model will be replaced"),
        "{plan}"
    );
    ws.apply_ok();
    let after = ws.output_json()["config"]["value"].clone();
    assert_eq!(
        after["s3_endpoint_id"],
        endpoint_id.as_str(),
        "same endpoint, rerouted"
    );
    assert_eq!(after["security_group_id"], before["security_group_id"]);
    let endpoint = s3_endpoints(&fx)
        .into_iter()
        .find(|e| e.id == endpoint_id)
        .unwrap();
    let mut tables: Vec<&String> = endpoint.route_tables.iter().collect();
    tables.sort();
    let mut wanted = vec![&fx.main_table, &fx.table_a];
    wanted.sort();
    assert_eq!(tables, wanted);
    let model = describe_model(&fx, "churn-4").unwrap();
    let mut subnets = strings(&model["VpcConfig"]["Subnets"]);
    subnets.sort();
    let mut expected = vec![fx.subnet_a.clone(), fx.subnet_b.clone()];
    expected.sort();
    assert_eq!(
        subnets, expected,
        "the model was made again in the new subnets"
    );
    ws.plan_no_changes();

    // Back to b and c: the route on table a goes.
    ws.write("main.tf", &on([&fx.subnet_b, &fx.subnet_c]));
    ws.apply_ok();
    let endpoint = s3_endpoints(&fx)
        .into_iter()
        .find(|e| e.id == endpoint_id)
        .unwrap();
    assert_eq!(
        endpoint.route_tables.iter().collect::<Vec<_>>(),
        vec![&fx.main_table]
    );
    ws.plan_no_changes();
    ws.destroy_ok();
    assert!(s3_endpoints(&fx).is_empty() && describe_model(&fx, "churn-4").is_none());
}

#[test]
fn a_refresh_reads_each_object_once_and_an_unchanged_plan_calls_nothing_more() {
    let fx = fixture();
    let mut ws = fx.workspace(&main_tf(&config_on_b_and_c(
        &fx,
        &model_block("churn-5", IMAGE, ""),
    )));
    ws.apply_ok();
    let mut refresh = ws.aws_calls_of(&["refresh", "-input=false"]);
    refresh.sort();
    // And once per provider process the account id, to compare the S3
    // endpoint's policy with the account-only default.
    assert_eq!(
        refresh,
        [
            "DescribeModel",
            "DescribeSecurityGroups",
            "DescribeVpcEndpoints",
            "GetCallerIdentity",
            "ListTags"
        ],
        "one read of the group, the endpoints, the model and its tags, and the account id"
    );
    let mut plan = ws.aws_calls_of(&["plan", "-input=false", "-detailed-exitcode"]);
    plan.sort();
    assert_eq!(
        plan, refresh,
        "a plan with nothing to change refreshes, and runs no account check"
    );
    ws.destroy_ok();
}
