//! `sagemaker_network_check` and `terraform-provider-sagemaker check` end to
//! end: real `terraform`, the real binary, real moto.
//!
//! One emulator account holds one VPC per case, each built through the EC2
//! API as a fully private VPC for every workload — then, but for the
//! baseline, broken by one fault. One `terraform apply` reads the data
//! source for every case; the command line checks each case again (text and
//! `--json`). Each fault must be reported for exactly the workloads it
//! breaks, with the right check, object, path and fix, and nothing else.
//! The same report must come out of both.
//!
//! Also: the example's postcondition fails `terraform plan` with the
//! problems in the message (and passes on a private VPC); the AWS call count
//! does not grow with the VPC; usage errors exit 2.

mod support;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Output};
use support::ec2_fixture::{
    create_route_table, create_subnet, create_vpc, ec2, main_route_table, service,
};
use support::moto::{self, Account};
use support::terraform::{provider_header, Workspace};

const WORKLOADS: [&str; 7] = [
    "api",
    "runtime",
    "featurestore",
    "training",
    "hosting",
    "studio_vpc_only",
    "studio_projects",
];
const BUCKET: &str = "arn:aws:s3:::ml-artifacts";

/// What breaks a case's VPC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    None,
    /// No ecr_dkr endpoint.
    EndpointMissing,
    /// No servicecatalog endpoint, as with a sagemaker_studio_domain of
    /// `projects = false` (trial #4: only Projects need it).
    ServiceCatalogMissing,
    /// The logs endpoint without private DNS.
    PrivateDnsOff,
    /// enableDnsHostnames off.
    DnsHostnamesOff,
    /// The runtime endpoint only in subnet a (us-east-1a).
    EndpointNotInZone,
    /// The featurestore endpoint behind a group without 443 from the workload.
    EndpointGroupClosed,
    /// The workload's group lets nothing out.
    WorkloadNoEgress,
    /// The runtime policy allows another SageMaker endpoint only.
    RuntimePolicyOtherEndpoint,
    /// The S3 gateway policy denies the workload's bucket.
    S3DenyBucket,
    /// No S3 route on subnet a's table.
    NoS3Route,
    /// Subnet a's table sends S3 (everything) through a NAT gateway instead.
    S3ThroughNat,
    /// Subnet a's table routes 0.0.0.0/0 to an internet gateway.
    PublicSubnet,
}

const FAULTS: [Fault; 13] = [
    Fault::None,
    Fault::EndpointMissing,
    Fault::ServiceCatalogMissing,
    Fault::PrivateDnsOff,
    Fault::DnsHostnamesOff,
    Fault::EndpointNotInZone,
    Fault::EndpointGroupClosed,
    Fault::WorkloadNoEgress,
    Fault::RuntimePolicyOtherEndpoint,
    Fault::S3DenyBucket,
    Fault::NoS3Route,
    Fault::S3ThroughNat,
    Fault::PublicSubnet,
];

/// One VPC built for a case.
struct Vpc {
    fault: Fault,
    id: String,
    subnet_a: String,
    subnet_b: String,
    table_a: String,
    workload_group: String,
    /// Service short name → endpoint id.
    endpoints: BTreeMap<&'static str, String>,
    /// The group of the featurestore endpoint (its own).
    featurestore_group: String,
    /// NAT or internet gateway the fault added.
    gateway: Option<String>,
}

impl Vpc {
    fn key(&self) -> String {
        format!("{:?}", self.fault)
    }
}

/// The interface endpoints every workload together needs.
const INTERFACES: [(&str, &str); 9] = [
    ("sagemaker_api", "sagemaker.api"),
    ("sagemaker_runtime", "sagemaker.runtime"),
    ("featurestore_runtime", "sagemaker.featurestore-runtime"),
    ("sts", "sts"),
    ("logs", "logs"),
    ("ecr_api", "ecr.api"),
    ("ecr_dkr", "ecr.dkr"),
    ("servicecatalog", "servicecatalog"),
    ("studio", "studio"),
];

fn endpoint_arn(account: &Account, name: &str) -> String {
    format!("arn:aws:sagemaker:us-east-1:{}:endpoint/{name}", account.id)
}

fn account_only(account: &Account) -> Value {
    serde_json::json!({"StringEquals": {"aws:PrincipalAccount": account.id}})
}

/// The runtime policy: InvokeEndpoint on `endpoint` only, to the account.
fn runtime_policy(account: &Account, endpoint: &str) -> String {
    serde_json::json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "sagemaker:InvokeEndpoint",
        "Resource": endpoint_arn(account, endpoint), "Condition": account_only(account)}]})
    .to_string()
}

/// The S3 gateway policy: the bucket to the account, ECR layers to anyone,
/// and with `deny` a Deny on the bucket's objects.
fn s3_policy(account: &Account, deny: bool) -> String {
    let mut statements = vec![
        serde_json::json!({"Effect": "Allow", "Principal": "*",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
            "Resource": [BUCKET, format!("{BUCKET}/*")], "Condition": account_only(account)}),
        serde_json::json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*"}),
    ];
    if deny {
        statements.push(
            serde_json::json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": format!("{BUCKET}/*")}),
        );
    }
    serde_json::json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

fn create_group(account: &Account, vpc: &str, name: &str) -> String {
    ec2(
        account,
        &[
            ("Action", "CreateSecurityGroup"),
            ("GroupName", name),
            ("GroupDescription", "network check test"),
            ("VpcId", vpc),
        ],
    )
    .text("groupId")
}

/// Adds (`Authorize…`) or removes (`Revoke…`) one TCP 443 rule.
fn rule(account: &Account, action: &str, group: &str, source: (&str, &str)) {
    let key = format!("IpPermissions.1.{}", source.0);
    let mut params = vec![
        ("Action", action),
        ("GroupId", group),
        ("IpPermissions.1.IpProtocol", "tcp"),
        ("IpPermissions.1.FromPort", "443"),
        ("IpPermissions.1.ToPort", "443"),
    ];
    params.push((&key, source.1));
    ec2(account, &params);
}

fn prefix_list(account: &Account) -> String {
    ec2(account, &[("Action", "DescribePrefixLists")])
        .items("prefixListSet")
        .find(|p| p.text("prefixListName") == service("s3"))
        .map(|p| p.text("prefixListId"))
        .expect("moto lists the S3 prefix list")
}

/// Builds the VPC of `fault` in `account`: private for every workload
/// unless the fault breaks something.
fn build(account: &Account, fault: Fault) -> Vpc {
    let call = |params: &[(&str, &str)]| ec2(account, params);
    let id = create_vpc(account, "10.20.0.0/16", fault != Fault::DnsHostnamesOff);
    let subnet_a = create_subnet(account, &id, "10.20.1.0/24", "us-east-1a");
    let subnet_b = create_subnet(account, &id, "10.20.2.0/24", "us-east-1b");
    let table_a = create_route_table(account, &id);
    call(&[
        ("Action", "AssociateRouteTable"),
        ("RouteTableId", &table_a),
        ("SubnetId", &subnet_a),
    ]);
    let main_table = main_route_table(account, &id);
    let pl = prefix_list(account);
    // The workload's group: TCP 443 out to the VPC and to S3, nothing else.
    let workload_group = create_group(account, &id, "workload");
    ec2(
        account,
        &[
            ("Action", "RevokeSecurityGroupEgress"),
            ("GroupId", &workload_group),
            ("IpPermissions.1.IpProtocol", "-1"),
            ("IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0"),
        ],
    );
    if fault != Fault::WorkloadNoEgress {
        let out = "AuthorizeSecurityGroupEgress";
        rule(
            account,
            out,
            &workload_group,
            ("IpRanges.1.CidrIp", "10.20.0.0/16"),
        );
        rule(
            account,
            out,
            &workload_group,
            ("PrefixListIds.1.PrefixListId", &pl),
        );
    }
    // The endpoints' groups: TCP 443 in from the workload's group.
    let endpoint_group = create_group(account, &id, "endpoints");
    let featurestore_group = create_group(account, &id, "featurestore-endpoint");
    let stranger = create_group(account, &id, "stranger");
    let admit = "AuthorizeSecurityGroupIngress";
    rule(
        account,
        admit,
        &endpoint_group,
        ("Groups.1.GroupId", &workload_group),
    );
    let featurestore_source = if fault == Fault::EndpointGroupClosed {
        &stranger
    } else {
        &workload_group
    };
    rule(
        account,
        admit,
        &featurestore_group,
        ("Groups.1.GroupId", featurestore_source),
    );
    let mut endpoints = BTreeMap::new();
    for (short, suffix) in INTERFACES {
        if (fault == Fault::EndpointMissing && short == "ecr_dkr")
            || (fault == Fault::ServiceCatalogMissing && short == "servicecatalog")
        {
            continue;
        }
        let name = if short == "studio" {
            "aws.sagemaker.us-east-1.studio".to_owned()
        } else {
            service(suffix)
        };
        let group = if short == "featurestore_runtime" {
            &featurestore_group
        } else {
            &endpoint_group
        };
        let private_dns = if fault == Fault::PrivateDnsOff && short == "logs" {
            "false"
        } else {
            "true"
        };
        let mut params = vec![
            ("Action", "CreateVpcEndpoint"),
            ("VpcId", id.as_str()),
            ("ServiceName", name.as_str()),
            ("VpcEndpointType", "Interface"),
            ("PrivateDnsEnabled", private_dns),
            ("SecurityGroupId.1", group.as_str()),
            ("SubnetId.1", subnet_a.as_str()),
        ];
        if !(fault == Fault::EndpointNotInZone && short == "sagemaker_runtime") {
            params.push(("SubnetId.2", subnet_b.as_str()));
        }
        let policy;
        if short == "sagemaker_runtime" {
            let allowed = if fault == Fault::RuntimePolicyOtherEndpoint {
                "fraud"
            } else {
                "churn"
            };
            policy = runtime_policy(account, allowed);
            params.push(("PolicyDocument", policy.as_str()));
        }
        let endpoint = call(&params)
            .get("vpcEndpoint")
            .expect("an endpoint")
            .text("vpcEndpointId");
        endpoints.insert(short, endpoint);
    }
    let policy = s3_policy(account, fault == Fault::S3DenyBucket);
    let s3 = call(&[
        ("Action", "CreateVpcEndpoint"),
        ("VpcId", &id),
        ("ServiceName", &service("s3")),
        ("VpcEndpointType", "Gateway"),
        ("RouteTableId.1", &table_a),
        ("RouteTableId.2", &main_table),
        ("PolicyDocument", &policy),
    ])
    .get("vpcEndpoint")
    .expect("an endpoint")
    .text("vpcEndpointId");
    endpoints.insert("s3", s3);
    if matches!(fault, Fault::NoS3Route | Fault::S3ThroughNat) {
        call(&[
            ("Action", "DeleteRoute"),
            ("RouteTableId", &table_a),
            ("DestinationPrefixListId", &pl),
        ]);
    }
    let gateway = match fault {
        Fault::S3ThroughNat => {
            let allocation =
                call(&[("Action", "AllocateAddress"), ("Domain", "vpc")]).text("allocationId");
            let nat = call(&[
                ("Action", "CreateNatGateway"),
                ("SubnetId", &subnet_b),
                ("AllocationId", &allocation),
            ])
            .get("natGateway")
            .expect("a NAT gateway")
            .text("natGatewayId");
            call(&[
                ("Action", "CreateRoute"),
                ("RouteTableId", &table_a),
                ("DestinationCidrBlock", "0.0.0.0/0"),
                ("NatGatewayId", &nat),
            ]);
            Some(nat)
        }
        Fault::PublicSubnet => {
            let igw = call(&[("Action", "CreateInternetGateway")])
                .get("internetGateway")
                .expect("an internet gateway")
                .text("internetGatewayId");
            call(&[
                ("Action", "AttachInternetGateway"),
                ("InternetGatewayId", &igw),
                ("VpcId", &id),
            ]);
            call(&[
                ("Action", "CreateRoute"),
                ("RouteTableId", &table_a),
                ("DestinationCidrBlock", "0.0.0.0/0"),
                ("GatewayId", &igw),
            ]);
            Some(igw)
        }
        _ => None,
    };
    Vpc {
        fault,
        id,
        subnet_a,
        subnet_b,
        table_a,
        workload_group,
        endpoints,
        featurestore_group,
        gateway,
    }
}

/// What a case must report: the broken workloads, and for each of their
/// problems the check, the object at fault, a fragment of the fix; and the
/// path of the broken workloads.
struct Expected {
    broken: &'static [&'static str],
    check: &'static str,
    subject: String,
    fix: String,
    path: &'static str,
}

const WITH_RUNTIME: &[&str] = &[
    "runtime",
    "training",
    "hosting",
    "studio_vpc_only",
    "studio_projects",
];
const WITH_S3: &[&str] = &["training", "hosting", "studio_vpc_only", "studio_projects"];
const STUDIO: &[&str] = &["studio_vpc_only", "studio_projects"];

fn expected(vpc: &Vpc) -> Expected {
    let endpoint = |short: &str| vpc.endpoints[short].clone();
    let (broken, check, subject, fix, path): (&[&str], _, _, _, _) = match vpc.fault {
        Fault::None => (&[], "", String::new(), String::new(), "endpoint"),
        Fault::EndpointMissing => (
            &["training"],
            "endpoint",
            "ecr_dkr".to_owned(),
            "add \"ecr_dkr\" to services".to_owned(),
            "none",
        ),
        Fault::ServiceCatalogMissing => (
            &["studio_projects"],
            "endpoint",
            "servicecatalog".to_owned(),
            "set projects = true on the sagemaker_studio_domain, or add \"servicecatalog\" to services"
                .to_owned(),
            "none",
        ),
        Fault::PrivateDnsOff => (
            &["training", "studio_vpc_only", "studio_projects"],
            "private_dns",
            endpoint("logs"),
            format!(
                "private_dns_enabled = true), or point clients at https://{}.logs.us-east-1.vpce.amazonaws.com",
                endpoint("logs")
            ),
            "none",
        ),
        Fault::DnsHostnamesOff => (
            &WORKLOADS,
            "vpc_dns",
            vpc.id.clone(),
            format!("Turn on enableDnsHostnames of {}", vpc.id),
            "none",
        ),
        Fault::EndpointNotInZone => (
            WITH_RUNTIME,
            "endpoint_az",
            endpoint("sagemaker_runtime"),
            format!("Add a subnet in us-east-1b to {}", endpoint("sagemaker_runtime")),
            "none",
        ),
        Fault::EndpointGroupClosed => (
            &["featurestore"],
            "endpoint_ingress",
            vpc.featurestore_group.clone(),
            format!("allowed_security_group_ids: {}", vpc.workload_group),
            "none",
        ),
        Fault::WorkloadNoEgress => (
            &WORKLOADS,
            "workload_egress",
            vpc.workload_group.clone(),
            "Add an egress rule for TCP 443 to".to_owned(),
            "none",
        ),
        Fault::RuntimePolicyOtherEndpoint => (
            WITH_RUNTIME,
            "endpoint_policy",
            endpoint("sagemaker_runtime"),
            "Allow sagemaker:InvokeEndpoint on arn:aws:sagemaker:us-east-1:".to_owned()
                + "ACCOUNT:endpoint/churn in the policy",
            "endpoint",
        ),
        Fault::S3DenyBucket => (
            WITH_S3,
            "endpoint_policy",
            endpoint("s3"),
            "Narrow or remove that Deny statement so that s3:GetObject on arn:aws:s3:::ml-artifacts/* goes through"
                .to_owned(),
            "endpoint",
        ),
        Fault::NoS3Route => (
            WITH_S3,
            "s3_route",
            vpc.table_a.clone(),
            format!("Route {} to {}", vpc.table_a, endpoint("s3")),
            "none",
        ),
        Fault::S3ThroughNat => (
            WITH_S3,
            "s3_route",
            vpc.table_a.clone(),
            format!("Route {} to {}", vpc.table_a, endpoint("s3")),
            "nat",
        ),
        Fault::PublicSubnet => (
            STUDIO,
            "public_subnet",
            vpc.subnet_a.clone(),
            format!(
                "remove the 0.0.0.0/0 route to {} from {}",
                vpc.gateway.as_deref().unwrap_or_default(),
                vpc.table_a
            ),
            "endpoint",
        ),
    };
    Expected {
        broken,
        check,
        subject,
        fix,
        path,
    }
}

/// The mistakes in one case's report (`results` etc. as the data source
/// and `--json` give them), as lines; empty when it is right.
fn mistakes(vpc: &Vpc, account: &Account, report: &Value) -> Vec<String> {
    let want = expected(vpc);
    let fix = want.fix.replace("ACCOUNT", &account.id);
    let mut wrong = Vec::new();
    let results = &report["results"];
    for workload in WORKLOADS {
        let result = &results[workload];
        let problems = result["problems"].as_array().cloned().unwrap_or_default();
        if want.broken.contains(&workload) {
            if result["private"] != false || problems.is_empty() {
                wrong.push(format!("{workload}: not reported ({result})"));
                continue;
            }
            if result["path"] != want.path {
                wrong.push(format!(
                    "{workload}: path {} instead of {}",
                    result["path"], want.path
                ));
            }
            for p in &problems {
                if p["check"] != want.check || p["subject"] != want.subject.as_str() {
                    wrong.push(format!(
                        "{workload}: unexpected problem {p} (want check {} on {})",
                        want.check, want.subject
                    ));
                }
            }
            if !problems
                .iter()
                .any(|p| p["fix"].as_str().unwrap_or_default().contains(&fix))
            {
                wrong.push(format!("{workload}: no fix says {fix:?}: {problems:?}"));
            }
        } else if result["private"] != true || !problems.is_empty() || result["path"] != "endpoint"
        {
            wrong.push(format!(
                "{workload}: should be private by the endpoints: {result}"
            ));
        }
    }
    let everything_private = want.broken.is_empty();
    if report["private"] != everything_private {
        wrong.push(format!(
            "private is {} for the whole VPC",
            report["private"]
        ));
    }
    let routes = report["internet_routes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let targets: Vec<&str> = routes.iter().filter_map(|r| r["target"].as_str()).collect();
    let want_targets: Vec<&str> = vpc.gateway.iter().map(String::as_str).collect();
    if targets != want_targets {
        wrong.push(format!(
            "internet_routes {routes:?}, expected routes to {want_targets:?}"
        ));
    }
    let found: BTreeSet<&str> = report["endpoints"]
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let built: BTreeSet<&str> = vpc.endpoints.keys().copied().collect();
    if found != built {
        wrong.push(format!("endpoints {found:?}, built {built:?}"));
    }
    wrong
}

/// Runs `terraform-provider-sagemaker check ARGS` as `account`.
fn cli(account: &Account, args: &[&str], extra_env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(support::provider_binary());
    command.arg("check").args(args).env_clear();
    command.env("PATH", std::env::var_os("PATH").unwrap_or_default());
    command.envs(account.aws_env());
    command.envs(extra_env.iter().copied());
    command.output().expect("run the provider binary")
}

/// The command-line arguments that check `vpc` like the data source does.
fn cli_args(vpc: &Vpc, account: &Account) -> Vec<String> {
    vec![
        "--region".into(),
        "us-east-1".into(),
        "--endpoint-url".into(),
        moto::shared().endpoint.clone(),
        "--vpc-id".into(),
        vpc.id.clone(),
        "--subnet-ids".into(),
        format!("{},{}", vpc.subnet_a, vpc.subnet_b),
        format!("--security-group-ids={}", vpc.workload_group),
        "--endpoint-arns".into(),
        endpoint_arn(account, "churn"),
        "--s3-bucket-arns".into(),
        BUCKET.into(),
    ]
}

fn data_source(name: &str, vpc: &Vpc, account: &Account, extra: &str) -> String {
    format!(
        r#"
data "sagemaker_network_check" "{name}" {{
  vpc_id             = "{}"
  subnet_ids         = ["{}", "{}"]
  security_group_ids = ["{}"]
  endpoint_arns      = ["{}"]
  s3_bucket_arns     = ["{BUCKET}"]
{extra}}}
"#,
        vpc.id,
        vpc.subnet_a,
        vpc.subnet_b,
        vpc.workload_group,
        endpoint_arn(account, "churn")
    )
}

fn workspace(account: &Account, main_tf: &str) -> Workspace {
    let mut ws = Workspace::new(main_tf);
    ws.set_envs(account.aws_env());
    ws.init();
    ws
}

#[test]
fn every_fault_is_reported_for_exactly_the_workloads_it_breaks_by_terraform_and_the_command_line() {
    let account = moto::shared().new_account();
    let vpcs: Vec<Vpc> = FAULTS.iter().map(|f| build(&account, *f)).collect();
    let mut main_tf = provider_header("");
    for vpc in &vpcs {
        main_tf.push_str(&data_source(&vpc.key(), vpc, &account, ""));
        main_tf.push_str(&format!(
            "output \"{0}\" {{\n  value = data.sagemaker_network_check.{0}\n}}\n",
            vpc.key()
        ));
    }
    let ws = workspace(&account, &main_tf);
    ws.apply_ok();
    let outputs = ws.output_json();
    let mut wrong = Vec::new();
    for vpc in &vpcs {
        let from_terraform = &outputs[vpc.key()]["value"];
        for line in mistakes(vpc, &account, from_terraform) {
            wrong.push(format!("{:?} (terraform): {line}", vpc.fault));
        }
        let args = cli_args(vpc, &account);
        let mut json_args: Vec<&str> = args.iter().map(String::as_str).collect();
        json_args.push("--json");
        let json = cli(&account, &json_args, &[]);
        let code = json.status.code();
        let want_code = if vpc.fault == Fault::None { 0 } else { 1 };
        if code != Some(want_code) {
            wrong.push(format!(
                "{:?} (--json): exit {code:?}, expected {want_code}: {}",
                vpc.fault,
                String::from_utf8_lossy(&json.stderr)
            ));
            continue;
        }
        let from_cli: Value = serde_json::from_slice(&json.stdout).expect("--json prints JSON");
        for line in mistakes(vpc, &account, &from_cli) {
            wrong.push(format!("{:?} (--json): {line}", vpc.fault));
        }
        for key in [
            "results",
            "endpoints",
            "internet_routes",
            "private",
            "region",
            "vpc_id",
        ] {
            if from_cli[key] != from_terraform[key] {
                wrong.push(format!(
                    "{:?}: {key} differs between the command line ({}) and the data source ({})",
                    vpc.fault, from_cli[key], from_terraform[key]
                ));
            }
        }
        let text = cli(&account, &json_args[..json_args.len() - 1], &[]);
        let table = String::from_utf8_lossy(&text.stdout);
        eprintln!("{:?}:\n{table}", vpc.fault);
        if text.status.code() != Some(want_code) || table.contains('\x1b') {
            wrong.push(format!(
                "{:?} (text): exit {:?} or colours off a terminal:\n{table}",
                vpc.fault,
                text.status.code()
            ));
        }
        let want = expected(vpc);
        for workload in WORKLOADS {
            let row = table
                .lines()
                .find(|l| l.split_whitespace().next() == Some(workload))
                .unwrap_or_default();
            let verdict = if want.broken.contains(&workload) {
                format!("NOT PRIVATE ({})", want.path)
            } else {
                "private (endpoint)".to_owned()
            };
            if !row.contains(&verdict)
                || (want.broken.contains(&workload) && !row.contains(want.check))
            {
                wrong.push(format!(
                    "{:?} (text): row of {workload} lacks {verdict:?} / {:?}:\n{table}",
                    vpc.fault, want.check
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} mistakes:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// The example of the docs (`examples/data-sources/…/data-source.tf`),
/// with its variables set.
fn example_workspace(account: &Account, vpc: &Vpc) -> Workspace {
    let example = std::fs::read_to_string(
        support::repo_root().join("examples/data-sources/sagemaker_network_check/data-source.tf"),
    )
    .expect("the example exists");
    let ws = workspace(account, &format!("{}\n{example}", provider_header("")));
    ws.write(
        "terraform.tfvars",
        &format!(
            "vpc_id = \"{}\"\nsubnet_ids = [\"{}\", \"{}\"]\nworkload_security_group_ids = [\"{}\"]\n\
             model_bucket_arns = [\"{BUCKET}\"]\nsagemaker_endpoint_arns = [\"{}\"]\n",
            vpc.id,
            vpc.subnet_a,
            vpc.subnet_b,
            vpc.workload_group,
            endpoint_arn(account, "churn")
        ),
    );
    ws
}

#[test]
fn the_example_postcondition_fails_the_plan_with_the_problems_and_its_check_block_warns() {
    let account = moto::shared().new_account();
    let private = build(&account, Fault::None);
    let no_s3_route = build(&account, Fault::NoS3Route);
    let no_ecr_dkr = build(&account, Fault::EndpointMissing);
    let output = example_workspace(&account, &private).plan_ok().combined();
    assert!(!output.contains("Warning"), "{output}");
    // Hosting broken: the postcondition fails the plan with every problem.
    let output = support::one_line(&example_workspace(&account, &no_s3_route).plan_err());
    for fragment in [
        "Resource postcondition failed",
        &format!("SageMaker would not work privately in {}:", no_s3_route.id),
        &format!("hosting: s3_route {}", no_s3_route.table_a),
        &format!(
            "Fix: Route {} to {}",
            no_s3_route.table_a, no_s3_route.endpoints["s3"]
        ),
    ] {
        assert!(output.contains(fragment), "{fragment:?} not in:\n{output}");
    }
    // Only training broken: the plan goes on, the check block warns.
    let output = support::one_line(
        &example_workspace(&account, &no_ecr_dkr)
            .plan_ok()
            .combined(),
    );
    for fragment in [
        "Warning: Check block assertion failed",
        "Not yet private: training: endpoint ecr_dkr:",
        "Fix: Create it: add \"ecr_dkr\" to services",
    ] {
        assert!(output.contains(fragment), "{fragment:?} not in:\n{output}");
    }
}

/// The AWS operations one `check` makes (from its debug log).
fn cli_calls(account: &Account, vpc: &Vpc) -> Vec<String> {
    let args = cli_args(vpc, account);
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    args.push("--json");
    let output = cli(account, &args, &[("TF_LOG_PROVIDER", "DEBUG")]);
    let log = String::from_utf8_lossy(&output.stderr);
    let mut calls: Vec<String> = log
        .lines()
        .filter(|l| l.contains("AWS call"))
        .filter_map(|l| {
            let line: Value = serde_json::from_str(l).ok()?;
            line["aws_operation"].as_str().map(str::to_owned)
        })
        .collect();
    calls.sort();
    calls
}

#[test]
fn a_check_makes_eight_aws_calls_whatever_the_size_of_the_vpc() {
    let account = moto::shared().new_account();
    let small = build(&account, Fault::None);
    let large = build(&account, Fault::None);
    // Grow the second VPC: six more subnets and twelve more endpoints.
    for i in 3..9 {
        let zone = format!("us-east-1{}", ['a', 'b', 'c', 'd', 'e', 'f'][i % 6]);
        let subnet = create_subnet(&account, &large.id, &format!("10.20.{i}.0/24"), &zone);
        for suffix in ["kms", "monitoring"] {
            ec2(
                &account,
                &[
                    ("Action", "CreateVpcEndpoint"),
                    ("VpcId", &large.id),
                    ("ServiceName", &service(suffix)),
                    ("VpcEndpointType", "Interface"),
                    ("PrivateDnsEnabled", "false"),
                    ("SubnetId.1", &subnet),
                ],
            );
        }
    }
    let expected = [
        "DescribePrefixLists",
        "DescribeRouteTables",
        "DescribeSecurityGroups",
        "DescribeSubnets",
        "DescribeVpcAttribute",
        "DescribeVpcAttribute",
        "DescribeVpcEndpoints",
        "DescribeVpcs",
    ];
    assert_eq!(
        cli_calls(&account, &small),
        expected,
        "the command line, small VPC"
    );
    assert_eq!(
        cli_calls(&account, &large),
        expected,
        "the command line, larger VPC"
    );
    // The data source: one plan reads it with the same calls.
    let mut ws = workspace(
        &account,
        &format!(
            "{}{}",
            provider_header(""),
            data_source("large", &large, &account, "")
        ),
    );
    let mut calls = ws.aws_calls_of(&["plan", "-input=false"]);
    calls.sort();
    assert_eq!(calls, expected, "terraform plan");
}

/// `check ARGS` run on a pseudo-terminal (util-linux `script`), with
/// `extra_env`; what it printed.
fn on_terminal(account: &Account, args: &[String], extra_env: &[(&str, &str)]) -> String {
    let quoted: Vec<String> = std::iter::once(support::provider_binary().display().to_string())
        .chain(std::iter::once("check".to_owned()))
        .chain(args.iter().cloned())
        .map(|a| format!("'{a}'"))
        .collect();
    let output = Command::new("script")
        .args(["-qec", &quoted.join(" "), "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TERM", "xterm")
        .envs(account.aws_env())
        .envs(extra_env.iter().copied())
        .output()
        .expect("run script(1)");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn colours_only_on_a_terminal_and_never_with_no_color() {
    let account = moto::shared().new_account();
    let vpc = build(&account, Fault::PublicSubnet);
    let args = cli_args(&vpc, &account);
    let coloured = on_terminal(&account, &args, &[]);
    assert!(
        coloured.contains("\x1b[1;31mNOT PRIVATE (endpoint)\x1b[0m"),
        "{coloured}"
    );
    assert!(
        coloured.contains("\x1b[32mprivate (endpoint)\x1b[0m"),
        "{coloured}"
    );
    let plain = on_terminal(&account, &args, &[("NO_COLOR", "1")]);
    assert!(
        !plain.contains('\x1b') && plain.contains("NOT PRIVATE (endpoint)"),
        "{plain}"
    );
}

#[test]
fn usage_errors_exit_2_and_say_what_to_do() {
    let account = moto::shared().new_account();
    let output = cli(
        &account,
        &["--vpc-id", "vpc-1", "--workloads", "hostin"],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Did you mean \"hosting\"?"), "{stderr}");
    let output = cli(&account, &["--region", "us-east-1"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--vpc-id is required"));
    // A VPC that does not exist: not a usage error, but not private either.
    let output = cli(&account, &["--vpc-id", "vpc-0123456789abcdef0"], &[]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("vpc-0123456789abcdef0") && stderr.contains("check --vpc-id"),
        "{stderr}"
    );
}
