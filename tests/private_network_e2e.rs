//! `sagemaker_private_network` end to end: real terraform, real moto.
//! Each test builds its own VPC in its own emulator account, applies, then
//! checks the emulator through its API — what exists, not what the state
//! file claims.

mod support;

use std::collections::BTreeSet;

use support::ec2_fixture::{create_subnet, fixture_with, Fixture};
use support::policies::{assert_default_policy, Admits};
use support::sagemaker::{main_tf, network_resource};
use support::terraform::{Workspace, REQUIRED_PROVIDERS};

/// Subnets `b` (us-east-1b) and `c` (us-east-1c) of the shared fixture: two
/// subnets in two zones, both on the main route table.
fn subnets(fx: &Fixture) -> [&str; 2] {
    [&fx.subnet_b, &fx.subnet_c]
}

/// The workspace for the resource with `resource_body`, on [`subnets`].
fn workspace(fx: &Fixture, resource_body: &str) -> Workspace {
    fx.workspace(&main_tf(&network_resource(
        &fx.vpc_id,
        subnets(fx),
        resource_body,
    )))
}

#[test]
fn hosting_preset_creates_three_endpoints_shows_no_diff_and_destroys_cleanly() {
    let fx = fixture_with(true);
    let ws = workspace(&fx, "");
    let plan = ws.plan_ok().combined();
    assert!(
        plan.contains("sagemaker_api")
            && plan.contains("com.amazonaws.us-east-1.sagemaker.runtime"),
        "the plan lists the endpoints:\n{plan}"
    );
    ws.apply_ok();

    let network = &ws.output_json()["network"]["value"];
    let endpoints = network["endpoints"].as_object().expect("endpoints map");
    let names: Vec<&str> = endpoints.keys().map(String::as_str).collect();
    assert_eq!(names, ["s3", "sagemaker_api", "sagemaker_runtime"]);
    assert_eq!(endpoints["s3"]["type"], "Gateway");
    let api_id = endpoints["sagemaker_api"]["id"].as_str().unwrap();
    assert_eq!(
        network["api_endpoint_url"],
        format!("https://{api_id}.api.sagemaker.us-east-1.vpce.amazonaws.com")
    );
    assert_eq!(
        network["featurestore_runtime_endpoint_url"],
        serde_json::Value::Null
    );
    let id = network["id"].as_str().unwrap();
    assert!(
        id.starts_with(&format!("{}/", fx.vpc_id)) && id.len() > fx.vpc_id.len() + 8,
        "the id is the VPC id and this instance's own suffix: {id}"
    );
    assert_eq!(network["tags_all"]["Team"], "ml-platform");
    assert_eq!(
        network["allowed_cidr_blocks"],
        serde_json::json!(["10.20.0.0/16"])
    );

    let live = fx.endpoints();
    assert_eq!(live.len(), 3, "exactly the three endpoints exist: {live:?}");
    let group_id = network["security_group_id"].as_str().unwrap().to_owned();
    assert!(fx.group_exists(&group_id));

    ws.plan_no_changes();
    ws.refresh_only_no_changes();
    ws.run_ok(&["refresh"]);
    ws.plan_no_changes();

    ws.destroy_ok();
    assert!(
        fx.endpoints().is_empty(),
        "endpoints left: {:?}",
        fx.endpoints()
    );
    assert!(
        !fx.group_exists(&group_id),
        "the security group was left behind"
    );
}

#[test]
fn vpc_without_dns_hostnames_fails_at_plan_and_creates_nothing() {
    let fx = fixture_with(false);
    let ws = workspace(&fx, "");
    let err = ws.plan_err();
    assert!(
        err.contains("VPC DNS settings do not allow private DNS"),
        "{err}"
    );
    assert!(
        err.contains("enableDnsHostnames") && err.contains("private_dns_enabled = false"),
        "the error says how to fix it:\n{err}"
    );
    assert!(err.contains("vpc_id"), "{err}");
    assert!(fx.endpoints().is_empty());
}

#[test]
fn adding_and_removing_services_updates_in_place() {
    let fx = fixture_with(true);
    let ws = workspace(&fx, "");
    ws.apply_ok();
    let before = ws.output_json()["network"]["value"]["endpoints"]["sagemaker_api"]["id"].clone();
    ws.write("services.auto.tfvars", "");
    let main = ws.read("main.tf").replace(
        "subnet_ids = [",
        "services = [\"sagemaker_api\", \"sts\", \"s3\"]\n  subnet_ids = [",
    );
    ws.write("main.tf", &main);
    let plan = ws.plan_ok().combined();
    assert!(
        plan.contains("will be updated in-place") && !plan.contains("must be replaced"),
        "{plan}"
    );
    ws.apply_ok();
    let network = &ws.output_json()["network"]["value"];
    let names: Vec<&str> = network["endpoints"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(names, ["s3", "sagemaker_api", "sts"]);
    assert_eq!(
        network["endpoints"]["sagemaker_api"]["id"], before,
        "kept endpoints are not replaced"
    );
    assert_eq!(network["runtime_endpoint_url"], serde_json::Value::Null);
    let services: Vec<String> = fx
        .endpoints()
        .into_iter()
        .map(|endpoint| endpoint.service)
        .collect();
    assert_eq!(services.len(), 3, "{services:?}");
    assert!(
        services.iter().any(|s| s.ends_with(".sts"))
            && !services.iter().any(|s| s.ends_with(".runtime"))
    );
    ws.plan_no_changes();
    ws.destroy_ok();
    assert!(fx.endpoints().is_empty());
}

#[test]
fn an_endpoint_deleted_by_hand_is_planned_again_and_repaired() {
    let fx = fixture_with(true);
    let ws = workspace(&fx, "");
    ws.apply_ok();
    let api = ws.output_json()["network"]["value"]["endpoints"]["sagemaker_api"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    fx.ec2(&[("Action", "DeleteVpcEndpoints"), ("VpcEndpointId.1", &api)]);

    let drift = ws.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(
        drift.status.code(),
        Some(2),
        "the deleted endpoint must show as a change:\n{}",
        drift.combined()
    );
    assert!(
        drift.stdout.contains("sagemaker_api") && drift.stdout.contains("update in-place"),
        "{}",
        drift.stdout
    );

    ws.apply_ok();
    let repaired = ws.output_json()["network"]["value"]["endpoints"]["sagemaker_api"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(repaired, api, "a new endpoint replaces the deleted one");
    assert_eq!(fx.endpoints().len(), 3);
    ws.plan_no_changes();
    ws.destroy_ok();
    assert!(fx.endpoints().is_empty());
}

#[test]
fn endpoints_made_outside_terraform_are_imported_and_plan_clean() {
    let fx = fixture_with(true);
    let [first, second] = subnets(&fx);
    let group = fx
        .ec2(&[
            ("Action", "CreateSecurityGroup"),
            ("GroupName", "hand-made"),
            ("GroupDescription", "by hand"),
            ("VpcId", &fx.vpc_id),
            ("TagSpecification.1.ResourceType", "security-group"),
            ("TagSpecification.1.Tag.1.Key", "Team"),
            ("TagSpecification.1.Tag.1.Value", "ml-platform"),
        ])
        .text("groupId");
    fx.ec2(&[
        ("Action", "AuthorizeSecurityGroupIngress"),
        ("GroupId", &group),
        ("IpPermissions.1.IpProtocol", "tcp"),
        ("IpPermissions.1.FromPort", "443"),
        ("IpPermissions.1.ToPort", "443"),
        ("IpPermissions.1.IpRanges.1.CidrIp", "10.20.0.0/16"),
    ]);
    for service in ["sagemaker.api", "sagemaker.runtime"] {
        fx.ec2(&[
            ("Action", "CreateVpcEndpoint"),
            ("VpcId", &fx.vpc_id),
            ("VpcEndpointType", "Interface"),
            ("ServiceName", &format!("com.amazonaws.us-east-1.{service}")),
            ("SubnetId.1", first),
            ("SubnetId.2", second),
            ("SecurityGroupId.1", &group),
            ("PrivateDnsEnabled", "true"),
        ]);
    }
    let main_table = &fx.main_table;
    fx.ec2(&[
        ("Action", "CreateVpcEndpoint"),
        ("VpcId", &fx.vpc_id),
        ("VpcEndpointType", "Gateway"),
        ("ServiceName", "com.amazonaws.us-east-1.s3"),
        ("RouteTableId.1", main_table),
    ]);

    // Endpoints made by hand have AWS's full access: the configuration that
    // matches them says so.
    let ws = workspace(&fx, "  policy_principals = \"any\"");
    ws.import_ok("sagemaker_private_network.this", &fx.vpc_id);
    let state = ws.show_json();
    let resource = &state["values"]["root_module"]["resources"][0]["values"];
    assert_eq!(resource["security_group_id"], group.as_str());
    assert_eq!(resource["services"], serde_json::json!(["hosting"]));
    assert_eq!(resource["policy_principals"], "any");
    ws.plan_no_changes();

    // Without it, the default narrows every policy to the account in place.
    let main = ws
        .read("main.tf")
        .replace("  policy_principals = \"any\"\n", "");
    ws.write("main.tf", &main);
    let plan = plan_shows_drift(&ws, "the default policy on imported endpoints");
    assert!(
        plan.contains("policy_principals") && plan.contains("update in-place"),
        "{plan}"
    );
    ws.apply_ok();
    for endpoint in fx.endpoints() {
        assert_default_policy(&endpoint, &Admits::Account(&fx.account.id));
    }
    ws.plan_no_changes();
    ws.destroy_ok();
    assert!(
        fx.endpoints().is_empty(),
        "destroy removes the adopted endpoints"
    );
}

#[test]
fn moving_to_another_subnet_updates_the_endpoints_in_place() {
    let fx = fixture_with(true);
    let ws = workspace(&fx, "");
    ws.apply_ok();
    let [first, second] = subnets(&fx);
    let third = create_subnet(&fx.account, &fx.vpc_id, "10.20.4.0/24", "us-east-1d");
    let main = ws
        .read("main.tf")
        .replace(&format!("\"{second}\"]"), &format!("\"{third}\"]"));
    ws.write("main.tf", &main);
    let plan = ws.plan_ok().combined();
    assert!(
        plan.contains("update in-place") && !plan.contains("must be replaced"),
        "{plan}"
    );
    ws.apply_ok();
    let network = &ws.output_json()["network"]["value"];
    let api = network["endpoints"]["sagemaker_api"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let endpoint = fx
        .endpoints()
        .into_iter()
        .find(|endpoint| endpoint.id == api)
        .expect("the API endpoint exists");
    let body = &endpoint.subnets;
    assert!(
        body.contains(first) && body.contains(&third),
        "endpoint subnets: {body:?}"
    );
    assert!(
        !body.contains(second),
        "the old subnet is removed: {body:?}"
    );
    ws.plan_no_changes();
    ws.destroy_ok();
}

/// The id of endpoint `short_name` in the applied state.
fn endpoint_id(ws: &Workspace, short_name: &str) -> String {
    ws.output_json()["network"]["value"]["endpoints"][short_name]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no {short_name} endpoint in state"))
        .to_owned()
}

/// `terraform plan -detailed-exitcode`: asserts it plans a change (exit 2)
/// and returns what it printed.
fn plan_shows_drift(ws: &Workspace, what: &str) -> String {
    let drift = ws.run(&["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(
        drift.status.code(),
        Some(2),
        "{what} must show as a change:\n{}",
        drift.combined()
    );
    drift.stdout
}

/// The `Action` of the single statement of `endpoint`'s policy.
fn policy_actions(fx: &Fixture, endpoint: &str) -> serde_json::Value {
    let live = fx.endpoints();
    let found = live
        .iter()
        .find(|e| e.id == endpoint)
        .unwrap_or_else(|| panic!("{endpoint} exists: {live:?}"));
    let policy = found.policy.as_ref().expect("the endpoint has a policy");
    let statements = policy["Statement"].as_array().expect("Statement array");
    assert_eq!(statements.len(), 1, "{policy}");
    statements[0]["Action"].clone()
}

#[test]
fn an_endpoint_policy_changed_by_hand_is_planned_back_and_restored() {
    let fx = fixture_with(true);
    let ws = workspace(
        &fx,
        r#"  endpoint_policies = {
    sagemaker_api = jsonencode({
      Version   = "2012-10-17"
      Statement = [{ Effect = "Allow", Principal = "*", Action = ["sagemaker:Describe*", "sagemaker:List*"], Resource = "*" }]
    })
  }"#,
    );
    ws.apply_ok();
    let api = endpoint_id(&ws, "sagemaker_api");
    let runtime = endpoint_id(&ws, "sagemaker_runtime");
    let set_policy = |endpoint: &str, policy: &str| {
        fx.ec2(&[
            ("Action", "ModifyVpcEndpoint"),
            ("VpcEndpointId", endpoint),
            ("PolicyDocument", policy),
        ]);
    };

    // The same meaning written differently is not drift.
    set_policy(
        &api,
        r#"{"Statement":{"Resource":["*"],"Principal":{"AWS":"*"},"Effect":"Allow","Action":["sagemaker:list*","sagemaker:Describe*"]},"Version":"2012-10-17"}"#,
    );
    ws.plan_no_changes();

    // A wider policy on the configured endpoint, and a policy on an
    // endpoint that has none configured (AWS's default: full access).
    set_policy(
        &api,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sagemaker:*","Resource":"*"}]}"#,
    );
    set_policy(
        &runtime,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}"#,
    );
    let plan = plan_shows_drift(&ws, "policies changed by hand");
    assert!(
        plan.contains("endpoint_policies") && plan.contains("update in-place"),
        "{plan}"
    );
    assert!(
        plan.contains("sagemaker_runtime") && plan.contains("Deny"),
        "the plan shows the hand-made policy it removes:\n{plan}"
    );
    assert!(
        support::one_line(&plan).contains("endpoint policy was changed outside Terraform"),
        "a warning says what happened:\n{plan}"
    );

    ws.apply_ok();
    assert_eq!(
        policy_actions(&fx, &api),
        serde_json::json!(["sagemaker:Describe*", "sagemaker:List*"]),
        "the configured policy is back"
    );
    assert_eq!(
        policy_actions(&fx, &runtime),
        serde_json::json!("*"),
        "the unconfigured endpoint is back to full access"
    );
    ws.plan_no_changes();
    ws.destroy_ok();
    assert!(fx.endpoints().is_empty());
}

#[test]
fn ingress_rules_changed_by_hand_are_planned_back_and_restored() {
    let fx = fixture_with(true);
    let ws = workspace(&fx, "");
    ws.apply_ok();
    let network = ws.output_json()["network"]["value"].clone();
    let group = network["security_group_id"].as_str().unwrap().to_owned();
    assert_eq!(
        network["ingress_rules"],
        serde_json::json!(["ingress tcp 443 10.20.0.0/16"])
    );
    let rule = |action: &str, port: &str, cidr: &str| {
        fx.ec2(&[
            ("Action", action),
            ("GroupId", &group),
            ("IpPermissions.1.IpProtocol", "tcp"),
            ("IpPermissions.1.FromPort", port),
            ("IpPermissions.1.ToPort", port),
            ("IpPermissions.1.IpRanges.1.CidrIp", cidr),
        ]);
    };
    let assert_only_https_from_the_vpc = || {
        let live = fx.groups();
        let found = live
            .iter()
            .find(|g| g.id == group)
            .expect("the group exists");
        let rules: Vec<(String, String, String, Vec<String>)> = found
            .ingress
            .iter()
            .map(|p| {
                let cidrs = p.cidrs.iter().cloned().collect();
                (p.protocol.clone(), p.from.clone(), p.to.clone(), cidrs)
            })
            .collect();
        assert_eq!(
            rules,
            [(
                "tcp".to_owned(),
                "443".to_owned(),
                "443".to_owned(),
                vec!["10.20.0.0/16".to_owned()]
            )],
            "ingress is TCP 443 from the VPC only: {:?}",
            found.ingress
        );
        assert!(found.egress.is_empty(), "no egress: {:?}", found.egress);
    };

    // Added by hand: SSH from anywhere, HTTPS from another network.
    rule("AuthorizeSecurityGroupIngress", "22", "0.0.0.0/0");
    rule("AuthorizeSecurityGroupIngress", "443", "192.168.0.0/16");
    let plan = plan_shows_drift(&ws, "rules added by hand");
    assert!(
        plan.contains("ingress tcp 22 0.0.0.0/0")
            && plan.contains("ingress tcp 443 192.168.0.0/16"),
        "the plan shows the rules it removes:\n{plan}"
    );
    ws.apply_ok();
    assert_only_https_from_the_vpc();
    ws.plan_no_changes();

    // Removed by hand: the VPC's HTTPS rule.
    rule("RevokeSecurityGroupIngress", "443", "10.20.0.0/16");
    plan_shows_drift(&ws, "a rule removed by hand");
    ws.apply_ok();
    assert_only_https_from_the_vpc();
    ws.plan_no_changes();
    ws.destroy_ok();
    assert!(!fx.group_exists(&group));
}

#[test]
fn the_s3_prefix_list_is_known_at_plan_even_when_the_vpc_is_not() {
    let fx = fixture_with(true);
    let [first, second] = subnets(&fx);
    let ws = fx.workspace(&format!(
        r#"
{REQUIRED_PROVIDERS}resource "terraform_data" "vpc" {{
  input = "{}"
}}
resource "sagemaker_private_network" "this" {{
  vpc_id     = terraform_data.vpc.output
  subnet_ids = ["{first}", "{second}"]
}}
output "network" {{ value = sagemaker_private_network.this }}
"#,
        fx.vpc_id
    ));
    let plan = ws.plan_json();
    let change = plan["resource_changes"]
        .as_array()
        .expect("resource_changes")
        .iter()
        .find(|c| c["address"] == "sagemaker_private_network.this")
        .expect("the network is planned")["change"]
        .clone();
    assert_eq!(
        change["after_unknown"]["vpc_id"], true,
        "the VPC id is unknown at plan: {change}"
    );
    let prefix_list = fx.s3_prefix_list();
    assert_eq!(
        change["after"]["s3_prefix_list_id"], prefix_list,
        "the S3 prefix list depends on the Region only: {change}"
    );
    ws.apply_ok();
    assert_eq!(
        ws.output_json()["network"]["value"]["s3_prefix_list_id"],
        prefix_list
    );
    ws.destroy_ok();
    assert!(fx.endpoints().is_empty());
}

#[test]
fn a_change_runs_the_account_checks_again_at_plan() {
    let fx = fixture_with(true);
    let ws = workspace(&fx, "");
    ws.apply_ok();
    ws.plan_no_changes();
    // A plan that changes nothing skips the checks; one that changes
    // something runs them: a subnet of another VPC is caught at plan.
    let other = fx.other_vpc();
    let [_, second] = subnets(&fx);
    let applied = ws.read("main.tf");
    let main = applied.replace(
        &format!("\"{second}\"]"),
        &format!("\"{second}\", \"{}\"]", other.subnet_id),
    );
    ws.write("main.tf", &main);
    let err = ws.plan_err();
    assert!(
        err.contains("Subnet in another VPC") && err.contains(&other.subnet_id),
        "{err}"
    );
    let unchanged: Vec<String> = fx.endpoints().into_iter().map(|e| e.id).collect();
    assert_eq!(unchanged.len(), 3, "nothing changed: {unchanged:?}");
    // Destroy plans with the configuration too (its refresh is a normal plan).
    ws.write("main.tf", &applied);
    ws.destroy_ok();
    assert!(fx.endpoints().is_empty());
}

/// Sets tag `key` = `value` on EC2 object `id` by hand.
fn tag_by_hand(fx: &Fixture, id: &str, key: &str, value: &str) {
    fx.ec2(&[
        ("Action", "CreateTags"),
        ("ResourceId.1", id),
        ("Tag.1.Key", key),
        ("Tag.1.Value", value),
    ]);
}

#[test]
fn tags_changed_by_hand_show_in_the_plan_and_apply_restores_them() {
    let fx = fixture_with(true);
    let ws = workspace(&fx, "  tags = { Project = \"vision\" }");
    ws.apply_ok();
    let network = ws.output_json()["network"]["value"].clone();
    let group = network["security_group_id"].as_str().unwrap().to_owned();
    let api = network["endpoints"]["sagemaker_api"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ws.refresh_only_no_changes();

    tag_by_hand(&fx, &group, "Project", "hijacked");
    tag_by_hand(&fx, &api, "Project", "hijacked");
    let plan = ws.run(&["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(2), "{}", plan.combined());
    assert!(
        plan.combined().contains("hijacked"),
        "the plan shows what AWS has now:\n{}",
        plan.combined()
    );
    ws.apply_ok();
    let group_tags = fx
        .groups()
        .into_iter()
        .find(|g| g.id == group)
        .unwrap()
        .tags;
    assert_eq!(group_tags["Project"], "vision");
    let api_tags = fx
        .endpoints()
        .into_iter()
        .find(|e| e.id == api)
        .unwrap()
        .tags;
    assert_eq!(
        api_tags["Project"], "vision",
        "the endpoint is repaired too"
    );
    ws.plan_no_changes();
    ws.destroy_ok();
}

#[test]
fn a_default_tags_change_reaches_every_object_and_ignored_tags_are_left_alone() {
    let fx = fixture_with(true);
    let ws = workspace(&fx, "");
    ws.apply_ok();
    let network = ws.output_json()["network"]["value"].clone();
    let group = network["security_group_id"].as_str().unwrap().to_owned();
    for endpoint in fx.endpoints() {
        tag_by_hand(&fx, &endpoint.id, "CostCenter", "cc-7");
    }
    tag_by_hand(&fx, &group, "CostCenter", "cc-7");

    let main = ws
        .read("main.tf")
        .replace(
            r#"default_tags { tags = { Team = "ml-platform" } }"#,
            "default_tags { tags = { Team = \"research\" } }\n  ignore_tags { keys = [\"CostCenter\"] }",
        );
    assert!(main.contains("research"), "{main}");
    ws.write("main.tf", &main);
    let plan = ws.plan_ok().combined();
    assert!(
        plan.contains("research") && !plan.contains("CostCenter"),
        "the plan shows the new default and hides the ignored tag:\n{plan}"
    );
    ws.apply_ok();
    let live = fx.endpoints();
    assert_eq!(live.len(), 3);
    for endpoint in &live {
        assert_eq!(endpoint.tags["Team"], "research", "{endpoint:?}");
        assert_eq!(endpoint.tags["CostCenter"], "cc-7", "ignored: {endpoint:?}");
    }
    let group_tags = fx
        .groups()
        .into_iter()
        .find(|g| g.id == group)
        .unwrap()
        .tags;
    assert_eq!(group_tags["Team"], "research");
    assert_eq!(group_tags["CostCenter"], "cc-7");
    ws.plan_no_changes();
    ws.refresh_only_no_changes();
    ws.destroy_ok();
}

#[test]
fn the_create_timeout_bounds_the_whole_create_and_the_state_keeps_what_was_made() {
    let fx = fixture_with(true);
    // Seven endpoints: EC2's pacing (4 at once, then one per ~3.3 s) makes
    // this create take more than 10 s even on the emulator.
    let ws = workspace(
        &fx,
        "  services = [\"studio_vpc_only\"]\n  timeouts {\n    create = \"3s\"\n  }",
    );
    let err = support::one_line(&ws.apply_err());
    assert!(
        err.contains("create timed out") && err.contains("timeouts.create") && err.contains("3s"),
        "the error names the limit and what to do:\n{err}"
    );
    let state = ws.show_json();
    let values = &state["values"]["root_module"]["resources"][0]["values"];
    let recorded = values["endpoints"].as_object().map_or(0, |e| e.len());
    let live = fx.endpoints().len();
    assert!(
        live < 7 && recorded == live,
        "the create stopped early ({live} of 7 endpoints) and the state lists each: {values:#}"
    );
    ws.destroy_ok();
    assert!(fx.endpoints().is_empty(), "{:?}", fx.endpoints());
}

#[test]
fn the_group_deleted_by_hand_is_made_again_and_attached_to_the_endpoints() {
    let fx = fixture_with(true);
    let ws = workspace(&fx, "");
    ws.apply_ok();
    let old = ws.output_json()["network"]["value"]["security_group_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // As a person must on AWS: move the endpoints to another group, then
    // delete the network's group.
    let default_group = fx
        .groups()
        .into_iter()
        .find(|g| g.vpc_id == fx.vpc_id && g.name == "default")
        .expect("the VPC has a default group")
        .id;
    for endpoint in fx.endpoints().iter().filter(|e| e.kind == "Interface") {
        fx.ec2(&[
            ("Action", "ModifyVpcEndpoint"),
            ("VpcEndpointId", &endpoint.id),
            ("AddSecurityGroupId.1", &default_group),
            ("RemoveSecurityGroupId.1", &old),
        ]);
    }
    fx.ec2(&[("Action", "DeleteSecurityGroup"), ("GroupId", &old)]);
    let plan = ws.run(&["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(2), "{}", plan.combined());
    ws.apply_ok();
    let new = ws.output_json()["network"]["value"]["security_group_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new, old);
    let group = fx
        .groups()
        .into_iter()
        .find(|g| g.id == new)
        .expect("made again");
    assert_eq!(
        group.ingress.len(),
        1,
        "HTTPS from the VPC: {:?}",
        group.ingress
    );
    for endpoint in fx.endpoints().iter().filter(|e| e.kind == "Interface") {
        assert!(
            endpoint.groups == BTreeSet::from([new.clone()]),
            "{} uses the new group and no other: {:?}",
            endpoint.id,
            endpoint.groups
        );
    }
    ws.plan_no_changes();
    ws.destroy_ok();
    assert!(!fx.group_exists(&new));
}

#[test]
fn an_import_block_with_the_original_configuration_plans_no_change() {
    let fx = fixture_with(true);
    let body = r#"  services                       = ["hosting"]
  s3_bucket_arns                 = ["arn:aws:s3:::ml-artifacts"]
  deny_amazon_linux_repositories = true
  runtime_invoke_endpoint_arns   = ["arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn"]
  tags                           = { Project = "vision" }"#;
    let ws = workspace(&fx, body);
    ws.apply_ok();
    let before = ws.output_json()["network"]["value"].clone();
    ws.run_ok(&["state", "rm", "sagemaker_private_network.this"]);

    ws.write(
        "import.tf",
        &format!(
            "import {{\n  to = sagemaker_private_network.this\n  id = \"{}\"\n}}\n",
            fx.vpc_id
        ),
    );
    let plan = ws.plan_ok().combined();
    assert!(
        plan.contains("1 to import, 0 to add, 0 to change, 0 to destroy"),
        "the import changes nothing:\n{plan}"
    );
    ws.apply_ok();
    let after = ws.output_json()["network"]["value"].clone();
    assert_eq!(after["id"], before["id"], "the network keeps its id");
    assert_eq!(after["endpoints"], before["endpoints"]);
    ws.plan_no_changes();
    ws.destroy_ok();
    assert!(fx.endpoints().is_empty());
}

#[test]
fn a_state_that_lost_the_group_id_finds_its_own_group_again_and_makes_no_second() {
    let fx = fixture_with(true);
    let ws = workspace(&fx, "");
    ws.apply_ok();
    let group = ws.output_json()["network"]["value"]["security_group_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // State surgery gone wrong: the group id is blank.
    let mut state: serde_json::Value =
        serde_json::from_str(&ws.read("terraform.tfstate")).expect("the state is JSON");
    state["serial"] = serde_json::json!(state["serial"].as_u64().unwrap() + 1);
    state["resources"][0]["instances"][0]["attributes"]["security_group_id"] =
        serde_json::json!("");
    ws.write("terraform.tfstate", &state.to_string());

    ws.apply_ok();
    let again = ws.output_json()["network"]["value"]["security_group_id"].clone();
    assert_eq!(
        again,
        group.as_str(),
        "the network's own group, found by its tags"
    );
    let groups: Vec<String> = fx
        .groups()
        .into_iter()
        .filter(|g| g.vpc_id == fx.vpc_id && g.name != "default")
        .map(|g| g.id)
        .collect();
    assert_eq!(groups, std::slice::from_ref(&group), "no second group");
    ws.plan_no_changes();
    ws.destroy_ok();
    assert!(!fx.group_exists(&group));
}

#[test]
fn an_endpoint_moved_or_retagged_by_hand_shows_in_the_plan_and_apply_puts_it_back() {
    let fx = fixture_with(true);
    let ws = workspace(&fx, "");
    ws.apply_ok();
    let api = endpoint_id(&ws, "sagemaker_api");
    let runtime = endpoint_id(&ws, "sagemaker_runtime");
    fx.ec2(&[
        ("Action", "ModifyVpcEndpoint"),
        ("VpcEndpointId", &api),
        ("RemoveSubnetId.1", &fx.subnet_c),
    ]);
    tag_by_hand(&fx, &runtime, "Owner", "someone-else");

    let drift = ws.run(&["plan", "-input=false", "-detailed-exitcode"]);
    let said = support::one_line(&drift.combined());
    assert_eq!(
        drift.status.code(),
        Some(2),
        "the drift is a change:\n{said}"
    );
    assert!(
        said.contains("The sagemaker_api endpoint was moved outside Terraform")
            && said.contains(&api),
        "the plan names the moved endpoint:\n{said}"
    );
    assert!(
        said.contains("someone-else"),
        "the plan shows the tag:\n{said}"
    );

    ws.apply_ok();
    let live = fx.endpoints();
    let find = |id: &str| live.iter().find(|e| e.id == id).unwrap();
    let wanted: std::collections::BTreeSet<String> =
        [fx.subnet_b.clone(), fx.subnet_c.clone()].into();
    assert_eq!(find(&api).subnets, wanted, "the subnet is back");
    assert!(
        !find(&runtime).tags.contains_key("Owner"),
        "the tag added by hand is gone: {:?}",
        find(&runtime).tags
    );
    ws.plan_no_changes();
    ws.destroy_ok();
}
