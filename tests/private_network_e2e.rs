//! `sagemaker_private_network` end to end: real terraform, real moto.
//! Each test builds its own VPC in its own emulator account, applies, then
//! checks the emulator through its API — what exists, not what the state
//! file claims.

mod support;

use support::moto::{self, Account, Moto};
use support::terraform::Workspace;

const EC2_VERSION: &str = "2016-11-15";

/// A VPC with two subnets in two zones, DNS as asked.
struct Fixture {
    account: Account,
    vpc_id: String,
    subnets: [String; 2],
}

fn ec2(moto: &Moto, account: &Account, params: &[(&str, &str)]) -> support::moto::HttpResponse {
    let mut all = params.to_vec();
    all.push(("Version", EC2_VERSION));
    moto.query("ec2", Some(account), &all)
        .expect_ok(params[0].1)
}

fn fixture(dns_hostnames: bool) -> Fixture {
    let moto = moto::shared();
    let account = moto.new_account();
    let vpc_id = ec2(
        moto,
        &account,
        &[("Action", "CreateVpc"), ("CidrBlock", "10.20.0.0/16")],
    )
    .xml_text("vpcId");
    let hostnames = if dns_hostnames { "true" } else { "false" };
    ec2(
        moto,
        &account,
        &[
            ("Action", "ModifyVpcAttribute"),
            ("VpcId", &vpc_id),
            ("EnableDnsHostnames.Value", hostnames),
        ],
    );
    let subnet = |cidr: &str, zone: &str| {
        ec2(
            moto,
            &account,
            &[
                ("Action", "CreateSubnet"),
                ("VpcId", &vpc_id),
                ("CidrBlock", cidr),
                ("AvailabilityZone", zone),
            ],
        )
        .xml_text("subnetId")
    };
    let subnets = [
        subnet("10.20.1.0/24", "us-east-1a"),
        subnet("10.20.2.0/24", "us-east-1b"),
    ];
    Fixture {
        account,
        vpc_id,
        subnets,
    }
}

impl Fixture {
    fn workspace(&self, resource_body: &str) -> Workspace {
        let main = format!(
            r#"
terraform {{
  required_providers {{
    sagemaker = {{ source = "privatelink/sagemaker" }}
  }}
}}
provider "sagemaker" {{
  default_tags {{ tags = {{ Team = "ml-platform" }} }}
}}
resource "sagemaker_private_network" "this" {{
  vpc_id     = "{}"
  subnet_ids = ["{}", "{}"]
{resource_body}
}}
output "network" {{ value = sagemaker_private_network.this }}
"#,
            self.vpc_id, self.subnets[0], self.subnets[1]
        );
        let mut ws = Workspace::new(&main);
        ws.set_envs(self.account.aws_env());
        ws.init();
        ws
    }

    /// The endpoints of the VPC that are not deleted, as (id, service, type).
    fn live_endpoints(&self) -> Vec<(String, String, String)> {
        let body = ec2(
            moto::shared(),
            &self.account,
            &[
                ("Action", "DescribeVpcEndpoints"),
                ("Filter.1.Name", "vpc-id"),
                ("Filter.1.Value.1", &self.vpc_id),
            ],
        )
        .body;
        body.split("<item>")
            .skip(1)
            .filter(|item| item.contains("<vpcEndpointId>"))
            .filter_map(|item| {
                let field = |tag: &str| {
                    let open = format!("<{tag}>");
                    let start = item.find(&open)? + open.len();
                    let end = item[start..].find(&format!("</{tag}>"))? + start;
                    Some(item[start..end].to_owned())
                };
                let state = field("state")?;
                if state.eq_ignore_ascii_case("deleted") {
                    return None;
                }
                Some((
                    field("vpcEndpointId")?,
                    field("serviceName")?,
                    field("vpcEndpointType")?,
                ))
            })
            .collect()
    }

    fn group_exists(&self, group_id: &str) -> bool {
        let response = moto::shared().query(
            "ec2",
            Some(&self.account),
            &[
                ("Action", "DescribeSecurityGroups"),
                ("Version", EC2_VERSION),
                ("Filter.1.Name", "group-id"),
                ("Filter.1.Value.1", group_id),
            ],
        );
        response.body.contains(group_id)
    }
}

#[test]
fn hosting_preset_creates_three_endpoints_shows_no_diff_and_destroys_cleanly() {
    let fx = fixture(true);
    let ws = fx.workspace("");
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
    assert_eq!(network["id"], fx.vpc_id.as_str());
    assert_eq!(network["tags_all"]["Team"], "ml-platform");
    assert_eq!(
        network["allowed_cidr_blocks"],
        serde_json::json!(["10.20.0.0/16"])
    );

    let live = fx.live_endpoints();
    assert_eq!(live.len(), 3, "exactly the three endpoints exist: {live:?}");
    let group_id = network["security_group_id"].as_str().unwrap().to_owned();
    assert!(fx.group_exists(&group_id));

    ws.plan_no_changes();
    ws.run_ok(&["refresh"]);
    ws.plan_no_changes();

    ws.destroy_ok();
    assert!(
        fx.live_endpoints().is_empty(),
        "endpoints left: {:?}",
        fx.live_endpoints()
    );
    assert!(
        !fx.group_exists(&group_id),
        "the security group was left behind"
    );
}

#[test]
fn vpc_without_dns_hostnames_fails_at_plan_and_creates_nothing() {
    let fx = fixture(false);
    let ws = fx.workspace("");
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
    assert!(fx.live_endpoints().is_empty());
}

#[test]
fn adding_and_removing_services_updates_in_place() {
    let fx = fixture(true);
    let ws = fx.workspace("");
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
        .live_endpoints()
        .into_iter()
        .map(|(_, service, _)| service)
        .collect();
    assert_eq!(services.len(), 3, "{services:?}");
    assert!(
        services.iter().any(|s| s.ends_with(".sts"))
            && !services.iter().any(|s| s.ends_with(".runtime"))
    );
    ws.plan_no_changes();
    ws.destroy_ok();
    assert!(fx.live_endpoints().is_empty());
}

#[test]
fn an_endpoint_deleted_by_hand_is_planned_again_and_repaired() {
    let fx = fixture(true);
    let ws = fx.workspace("");
    ws.apply_ok();
    let api = ws.output_json()["network"]["value"]["endpoints"]["sagemaker_api"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ec2(
        moto::shared(),
        &fx.account,
        &[("Action", "DeleteVpcEndpoints"), ("VpcEndpointId.1", &api)],
    );

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
    assert_eq!(fx.live_endpoints().len(), 3);
    ws.plan_no_changes();
    ws.destroy_ok();
    assert!(fx.live_endpoints().is_empty());
}

#[test]
fn endpoints_made_outside_terraform_are_imported_and_plan_clean() {
    let fx = fixture(true);
    let moto = moto::shared();
    let group = ec2(
        moto,
        &fx.account,
        &[
            ("Action", "CreateSecurityGroup"),
            ("GroupName", "hand-made"),
            ("GroupDescription", "by hand"),
            ("VpcId", &fx.vpc_id),
        ],
    )
    .xml_text("groupId");
    ec2(
        moto,
        &fx.account,
        &[
            ("Action", "AuthorizeSecurityGroupIngress"),
            ("GroupId", &group),
            ("IpPermissions.1.IpProtocol", "tcp"),
            ("IpPermissions.1.FromPort", "443"),
            ("IpPermissions.1.ToPort", "443"),
            ("IpPermissions.1.IpRanges.1.CidrIp", "10.20.0.0/16"),
        ],
    );
    for service in ["sagemaker.api", "sagemaker.runtime"] {
        ec2(
            moto,
            &fx.account,
            &[
                ("Action", "CreateVpcEndpoint"),
                ("VpcId", &fx.vpc_id),
                ("VpcEndpointType", "Interface"),
                ("ServiceName", &format!("com.amazonaws.us-east-1.{service}")),
                ("SubnetId.1", &fx.subnets[0]),
                ("SubnetId.2", &fx.subnets[1]),
                ("SecurityGroupId.1", &group),
                ("PrivateDnsEnabled", "true"),
            ],
        );
    }
    let main_table = ec2(
        moto,
        &fx.account,
        &[
            ("Action", "DescribeRouteTables"),
            ("Filter.1.Name", "vpc-id"),
            ("Filter.1.Value.1", &fx.vpc_id),
        ],
    )
    .xml_text("routeTableId");
    ec2(
        moto,
        &fx.account,
        &[
            ("Action", "CreateVpcEndpoint"),
            ("VpcId", &fx.vpc_id),
            ("VpcEndpointType", "Gateway"),
            ("ServiceName", "com.amazonaws.us-east-1.s3"),
            ("RouteTableId.1", &main_table),
        ],
    );

    let ws = fx.workspace("");
    ws.import_ok("sagemaker_private_network.this", &fx.vpc_id);
    let state = ws.show_json();
    let resource = &state["values"]["root_module"]["resources"][0]["values"];
    assert_eq!(resource["security_group_id"], group.as_str());
    assert_eq!(resource["services"], serde_json::json!(["hosting"]));
    ws.plan_no_changes();
    ws.destroy_ok();
    assert!(
        fx.live_endpoints().is_empty(),
        "destroy removes the adopted endpoints"
    );
}

#[test]
fn moving_to_another_subnet_updates_the_endpoints_in_place() {
    let fx = fixture(true);
    let ws = fx.workspace("");
    ws.apply_ok();
    let third = ec2(
        moto::shared(),
        &fx.account,
        &[
            ("Action", "CreateSubnet"),
            ("VpcId", &fx.vpc_id),
            ("CidrBlock", "10.20.3.0/24"),
            ("AvailabilityZone", "us-east-1c"),
        ],
    )
    .xml_text("subnetId");
    let main = ws
        .read("main.tf")
        .replace(&format!("\"{}\"]", fx.subnets[1]), &format!("\"{third}\"]"));
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
    let body = ec2(
        moto::shared(),
        &fx.account,
        &[
            ("Action", "DescribeVpcEndpoints"),
            ("VpcEndpointId.1", &api),
        ],
    )
    .body;
    assert!(
        body.contains(&fx.subnets[0]) && body.contains(&third),
        "endpoint subnets: {body}"
    );
    assert!(
        !body.contains(&fx.subnets[1]),
        "the old subnet is removed: {body}"
    );
    ws.plan_no_changes();
    ws.destroy_ok();
}
