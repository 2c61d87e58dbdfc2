//! `sagemaker_private_network` end to end, the issue's "must show" list:
//! real `terraform`, real moto, one fresh emulator account per test.
//!
//! - Each preset creates exactly the expected endpoints, tagged, routed and
//!   behind a security group that only lets TCP 443 in from the allowed
//!   sources — checked on the emulator through its EC2 API, not in state.
//! - Endpoint policies and the policy helpers land on the endpoints; a policy
//!   change is an in-place update; a reformatted equivalent policy is no diff.
//! - Every plan-time check fails `terraform plan` with the attribute's line of
//!   `main.tf` quoted and the expected message, and nothing is created; with
//!   the VPC unknown at plan the VPC-level checks fail `terraform apply`
//!   before any endpoint or group exists.
//! - One refresh makes as many AWS calls for `studio_vpc_only` (7 endpoints)
//!   as for `hosting` (3).

mod support;

use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use support::diagnostics;
use support::ec2_fixture::{
    create_subnet, fixture, fixture_with, service, Endpoint, Fixture, Group, VPC_CIDR,
};
use support::holdings::Holdings;
use support::policies::{assert_default_policy, Admits};
use support::terraform::{provider_header, Workspace};

const RESOURCE: &str = "sagemaker_private_network.this";
const MANAGED_BY: (&str, &str) = ("ManagedBy", "terraform-provider-sagemaker");
const OWNER_KEY: &str = "sagemaker:owner";

/// A VPC that doesn't exist in any account (well-formed id).
const MISSING_VPC: &str = "vpc-0123456789abcdef0";
/// A subnet that doesn't exist in any account (well-formed id).
const MISSING_SUBNET: &str = "subnet-0123456789abcdef0";

const STUDIO: &str = "aws.sagemaker.us-east-1.studio";

impl Fixture {
    /// `main.tf` with the fixture VPC's id written literally.
    fn config(&self, subnets: &[&str], body: &str) -> String {
        main_tf(&format!("\"{}\"", self.vpc_id), subnets, body, "")
    }

    /// `main.tf` where `vpc_id` comes from a `terraform_data` resource, so it
    /// is unknown until apply.
    fn config_with_vpc_unknown(&self, vpc_id: &str, subnets: &[&str], body: &str) -> String {
        let extra = format!("resource \"terraform_data\" \"vpc\" {{\n  input = \"{vpc_id}\"\n}}\n");
        main_tf("terraform_data.vpc.output", subnets, body, &extra)
    }
}

/// The whole configuration: provider with `default_tags`, an optional
/// `extra` block, the resource (`vpc_id` is an HCL expression) and an output.
fn main_tf(vpc: &str, subnets: &[&str], body: &str, extra: &str) -> String {
    let subnets = subnets
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"{header}
{extra}
resource "sagemaker_private_network" "this" {{
  vpc_id     = {vpc}
  subnet_ids = [{subnets}]
{body}
}}

output "network" {{
  value = sagemaker_private_network.this
}}
"#,
        header = provider_header(
            "default_tags {\n    tags = { Team = \"ml-platform\", CostCenter = \"shared\" }\n  }"
        )
    )
}

/// The resource's attributes after apply.
fn network_state(ws: &Workspace) -> Value {
    ws.output_json()["network"]["value"].clone()
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

// ---------------------------------------------------------------------------
// Terraform's diagnostics
// ---------------------------------------------------------------------------

/// What a diagnostic must say.
struct Expect<'a> {
    severity: &'a str,
    summary: &'a str,
    /// Identifies the configuration line the diagnostic must point at.
    line: &'a str,
    /// Must appear in the detail (whitespace-insensitive: Terraform wraps).
    fragments: &'a [&'a str],
}

/// Asserts that `output` has the diagnostic `expect`, attached to the
/// resource and quoting the line of `main_tf` that holds `expect.line`.
fn assert_diagnostic(output: &str, main_tf: &str, expect: &Expect<'_>) {
    let diag = diagnostics::find(output, expect.severity, expect.summary);
    let at = diagnostics::Expect {
        resource: RESOURCE,
        line: expect.line,
        says: expect.fragments,
    };
    diagnostics::assert_points_at(&diag, main_tf, &at);
}

fn error<'a>(summary: &'a str, line: &'a str, fragments: &'a [&'a str]) -> Expect<'a> {
    Expect {
        severity: "Error",
        summary,
        line,
        fragments,
    }
}

/// Plans `main_tf`, which must fail with `expect`; nothing may be created.
fn plan_fails(fx: &Fixture, main_tf: &str, expect: &Expect<'_>) {
    let ws = fx.workspace(main_tf);
    let before = Holdings::of(fx);
    let output = ws.plan_err();
    assert_diagnostic(&output, main_tf, expect);
    before.assert_nothing_new(fx, &output);
}

/// Applies `main_tf` (whose VPC is unknown at plan), which must plan, then
/// fail at apply with `expect` before any endpoint or group is created.
fn apply_fails_before_creating(fx: &Fixture, main_tf: &str, expect: &Expect<'_>) {
    let ws = fx.workspace(main_tf);
    let before = Holdings::of(fx);
    let output = ws.apply_err();
    assert!(
        output.contains("terraform_data.vpc: Creation complete"),
        "the plan passed and apply got as far as the VPC id:\n{output}"
    );
    assert_diagnostic(&output, main_tf, expect);
    before.assert_nothing_new(fx, &output);
    assert_eq!(
        ws.state_list(),
        ["terraform_data.vpc"],
        "the failed network is not in state"
    );
}

// ---------------------------------------------------------------------------
// (1) Presets: exactly the right endpoints, tags, routes and group
// ---------------------------------------------------------------------------

/// What a network must look like on the emulator.
struct Network<'a> {
    /// Full service names; `s3` is the Gateway one, the rest Interface.
    services: Vec<String>,
    subnets: &'a [&'a str],
    route_tables: &'a [&'a str],
    cidrs: &'a [&'a str],
    groups: &'a [&'a str],
    tags: BTreeMap<String, String>,
}

fn assert_network(fx: &Fixture, state: &Value, want: &Network<'_>) {
    let endpoints = fx.endpoints();
    let group_id = state["security_group_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no security_group_id in state: {state:#}"));
    let mut tags = want.tags.clone();
    tags.insert(MANAGED_BY.0.into(), MANAGED_BY.1.into());
    let owner = state["id"].as_str().expect("the state has an id");
    assert!(owner.starts_with(&format!("{}/", fx.vpc_id)), "{owner}");
    tags.insert(OWNER_KEY.into(), owner.to_owned());

    let mut found: Vec<&str> = endpoints.iter().map(|e| e.service.as_str()).collect();
    found.sort_unstable();
    let mut expected: Vec<&str> = want.services.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(
        found, expected,
        "exactly these endpoints exist: {endpoints:#?}"
    );

    let s3 = service("s3");
    for endpoint in &endpoints {
        let what = format!("{} ({})", endpoint.service, endpoint.id);
        assert_eq!(endpoint.vpc_id, fx.vpc_id, "{what} is in the VPC");
        assert!(
            endpoint.state.eq_ignore_ascii_case("available"),
            "{what} is available: {endpoint:?}"
        );
        assert_eq!(
            endpoint.tags, tags,
            "{what} carries the merged and ownership tags"
        );
        // None was asked for: the default, everything to this account only.
        assert_default_policy(endpoint, &Admits::Account(&fx.account.id));
        if endpoint.service == s3 {
            assert_eq!(endpoint.kind, "Gateway", "{what}");
            assert_eq!(
                endpoint.route_tables,
                set(want.route_tables),
                "{what} route tables"
            );
            assert!(
                endpoint.subnets.is_empty() && endpoint.groups.is_empty(),
                "{what}: {endpoint:?}"
            );
        } else {
            assert_eq!(endpoint.kind, "Interface", "{what}");
            assert_eq!(endpoint.subnets, set(want.subnets), "{what} subnets");
            assert_eq!(endpoint.groups, set(&[group_id]), "{what} security group");
            assert!(endpoint.private_dns, "{what} has private DNS");
        }
        let name = state["endpoints"]
            .as_object()
            .and_then(|m| m.iter().find(|(_, e)| e["id"] == endpoint.id.as_str()));
        assert!(
            name.is_some_and(|(_, e)| e["service_name"] == endpoint.service.as_str()),
            "{what} is recorded in state: {:#}",
            state["endpoints"]
        );
    }
    assert_eq!(
        state["endpoints"].as_object().map(|m| m.len()),
        Some(endpoints.len()),
        "state records as many endpoints as exist"
    );

    // The S3 route (prefix list → gateway endpoint) on exactly the right tables.
    if let Some(gateway) = endpoints.iter().find(|e| e.service == s3) {
        let prefix_list = fx.s3_prefix_list();
        assert_eq!(state["s3_prefix_list_id"], prefix_list.as_str());
        for table in fx.route_tables() {
            let routed = table
                .prefix_list_routes
                .contains(&(prefix_list.clone(), gateway.id.clone()));
            let wanted = want.route_tables.contains(&table.id.as_str());
            assert_eq!(
                routed, wanted,
                "route {prefix_list} → {} on {} (main: {}): {table:?}",
                gateway.id, table.id, table.main
            );
            assert_eq!(table.vpc_id, fx.vpc_id);
        }
    }

    // The group: TCP 443 from exactly the allowed sources, no egress.
    let groups = fx.groups();
    let made: Vec<&Group> = groups
        .iter()
        .filter(|g| g.tags.contains_key(MANAGED_BY.0))
        .collect();
    assert_eq!(made.len(), 1, "one security group is created: {made:#?}");
    let group = made[0];
    assert_eq!(group.id, group_id);
    assert_eq!(group.vpc_id, fx.vpc_id);
    assert_eq!(
        group.tags, tags,
        "the group carries the merged and ownership tags"
    );
    assert!(
        group.egress.is_empty(),
        "the group has no egress: {:?}",
        group.egress
    );
    assert!(!group.ingress.is_empty(), "the group has ingress");
    for rule in &group.ingress {
        assert!(
            rule.protocol == "tcp" && rule.from == "443" && rule.to == "443" && rule.others == 0,
            "ingress is TCP 443 only: {:?}",
            group.ingress
        );
    }
    let cidrs: BTreeSet<String> = group.ingress.iter().flat_map(|r| r.cidrs.clone()).collect();
    let sources: BTreeSet<String> = group
        .ingress
        .iter()
        .flat_map(|r| r.groups.clone())
        .collect();
    assert_eq!(cidrs, set(want.cidrs), "ingress CIDRs: {:?}", group.ingress);
    assert_eq!(
        sources,
        set(want.groups),
        "ingress groups: {:?}",
        group.ingress
    );
}

#[test]
fn hosting_preset_creates_api_runtime_and_s3_tagged_routed_and_reachable_from_the_vpc_only() {
    let fx = fixture();
    let main_tf = fx.config(
        &[&fx.subnet_a, &fx.subnet_b],
        r#"  services   = ["hosting"]
  tags       = { CostCenter = "cc-42", Project = "vision" }"#,
    );
    let ws = fx.workspace(&main_tf);
    ws.apply_ok();
    let state = network_state(&ws);
    assert_network(
        &fx,
        &state,
        &Network {
            services: vec![
                service("sagemaker.api"),
                service("sagemaker.runtime"),
                service("s3"),
            ],
            subnets: &[&fx.subnet_a, &fx.subnet_b],
            // Subnet a has its own table; subnet b falls back to the main one.
            route_tables: &[&fx.table_a, &fx.main_table],
            cidrs: &[VPC_CIDR],
            groups: &[],
            tags: tags(&[
                ("Team", "ml-platform"),
                ("CostCenter", "cc-42"),
                ("Project", "vision"),
            ]),
        },
    );
}

#[test]
fn training_preset_creates_seven_endpoints_and_lets_in_exactly_the_allowed_sources() {
    let fx = fixture();
    let clients = fx.create_group("training-clients");
    let main_tf = fx.config(
        &[&fx.subnet_b, &fx.subnet_c],
        &format!(
            r#"  services                   = ["training"]
  allowed_cidr_blocks        = ["10.30.0.0/16", "192.168.10.0/24"]
  allowed_security_group_ids = ["{clients}"]"#
        ),
    );
    let ws = fx.workspace(&main_tf);
    ws.apply_ok();
    let state = network_state(&ws);
    assert_network(
        &fx,
        &state,
        &Network {
            services: [
                "sagemaker.api",
                "sagemaker.runtime",
                "s3",
                "sts",
                "logs",
                "ecr.api",
                "ecr.dkr",
            ]
            .map(service)
            .to_vec(),
            subnets: &[&fx.subnet_b, &fx.subnet_c],
            // Both subnets use the main table: table_a must not get the route.
            route_tables: &[&fx.main_table],
            cidrs: &["10.30.0.0/16", "192.168.10.0/24"],
            groups: &[&clients],
            tags: tags(&[("Team", "ml-platform"), ("CostCenter", "shared")]),
        },
    );
}

#[test]
fn studio_vpc_only_preset_creates_its_seven_endpoints_tagged_and_routed() {
    let fx = fixture();
    let main_tf = fx.config(
        &[&fx.subnet_a, &fx.subnet_b],
        r#"  services   = ["studio_vpc_only"]
  tags       = { Team = "studio" }"#,
    );
    let ws = fx.workspace(&main_tf);
    ws.apply_ok();
    let state = network_state(&ws);
    let mut services = [
        "sagemaker.api",
        "sagemaker.runtime",
        "s3",
        "servicecatalog",
        "sts",
        "logs",
    ]
    .map(service)
    .to_vec();
    services.push(STUDIO.to_owned());
    assert_network(
        &fx,
        &state,
        &Network {
            services,
            subnets: &[&fx.subnet_a, &fx.subnet_b],
            route_tables: &[&fx.table_a, &fx.main_table],
            cidrs: &[VPC_CIDR],
            groups: &[],
            // The resource's Team overrides the provider's default.
            tags: tags(&[("Team", "studio"), ("CostCenter", "shared")]),
        },
    );
}

// ---------------------------------------------------------------------------
// (5) Policies
// ---------------------------------------------------------------------------

/// The statements of a policy as an array.
fn statements(policy: &Value) -> Vec<Value> {
    match &policy["Statement"] {
        Value::Array(items) => items.clone(),
        one @ Value::Object(_) => vec![one.clone()],
        other => panic!("policy without statements ({other}): {policy}"),
    }
}

/// A string-or-array policy field as a sorted set.
fn strings_of(value: &Value) -> BTreeSet<String> {
    match value {
        Value::String(s) => BTreeSet::from([s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().expect("a string").to_owned())
            .collect(),
        other => panic!("not a string or array: {other}"),
    }
}

fn policy_of<'a>(endpoints: &'a [Endpoint], service_name: &str) -> &'a Value {
    let endpoint = endpoints
        .iter()
        .find(|e| e.service == service_name)
        .unwrap_or_else(|| panic!("no {service_name} endpoint: {endpoints:#?}"));
    endpoint
        .policy
        .as_ref()
        .unwrap_or_else(|| panic!("{service_name} has no policy"))
}

/// The condition that admits only the principals of `account`.
fn account_condition(account: &str) -> Value {
    json!({"StringEquals": {"aws:PrincipalAccount": account}})
}

/// The runtime policy only allows `sagemaker:InvokeEndpoint` on `arns`, to
/// the principals of `account`.
fn assert_runtime_policy(endpoints: &[Endpoint], arns: &[&str], account: &str) {
    let policy = policy_of(endpoints, &service("sagemaker.runtime"));
    let allows: Vec<Value> = statements(policy)
        .into_iter()
        .filter(|s| s["Effect"] == "Allow")
        .collect();
    assert_eq!(allows.len(), 1, "one Allow statement: {policy:#}");
    let actions: BTreeSet<String> = strings_of(&allows[0]["Action"])
        .into_iter()
        .map(|a| a.to_ascii_lowercase())
        .collect();
    assert_eq!(actions, set(&["sagemaker:invokeendpoint"]), "{policy:#}");
    assert_eq!(strings_of(&allows[0]["Resource"]), set(arns), "{policy:#}");
    assert_eq!(
        allows[0]["Condition"],
        account_condition(account),
        "{policy:#}"
    );
}

/// The S3 policy only allows access to `bucket` and its objects, to the
/// principals of `account` — and reading ECR image layers.
fn assert_s3_policy(endpoints: &[Endpoint], bucket: &str, account: &str) {
    let policy = policy_of(endpoints, &service("s3"));
    let allows: Vec<Value> = statements(policy)
        .into_iter()
        .filter(|s| s["Effect"] == "Allow")
        .collect();
    let allowed: BTreeSet<String> = allows
        .iter()
        .flat_map(|s| strings_of(&s["Resource"]))
        .collect();
    let ecr_layers = "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*";
    assert_eq!(
        allowed,
        set(&[bucket, &format!("{bucket}/*"), ecr_layers]),
        "{policy:#}"
    );
    for allow in &allows {
        let for_anyone = strings_of(&allow["Resource"]) == set(&[ecr_layers]);
        if !for_anyone {
            assert_eq!(allow["Condition"], account_condition(account), "{policy:#}");
        }
    }
}

fn api_policy_hcl(actions: &str) -> String {
    format!(
        r#"  endpoint_policies = {{
    sagemaker_api = jsonencode({{
      Version = "2012-10-17"
      Statement = [{{
        Sid       = "ReadOnly"
        Effect    = "Allow"
        Principal = "*"
        Action    = [{actions}]
        Resource  = "*"
      }}]
    }})
  }}"#
    )
}

fn api_policy(actions: &[&str]) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "ReadOnly", "Effect": "Allow", "Principal": "*",
            "Action": actions, "Resource": "*"
        }]
    })
}

#[test]
fn policies_land_on_the_endpoints_and_a_policy_change_is_an_in_place_update() {
    let fx = fixture();
    let churn = format!(
        "arn:aws:sagemaker:us-east-1:{}:endpoint/churn",
        fx.account.id
    );
    let fraud = format!(
        "arn:aws:sagemaker:us-east-1:{}:endpoint/fraud",
        fx.account.id
    );
    let config = |actions: &str, arns: &str| {
        fx.config(
            &[&fx.subnet_a, &fx.subnet_b],
            &format!(
                "  services = [\"hosting\"]\n{}\n  runtime_invoke_endpoint_arns = [{arns}]\n  s3_bucket_arns = [\"arn:aws:s3:::ml-artifacts\"]",
                api_policy_hcl(actions)
            ),
        )
    };
    let ws = fx.workspace(&config(
        r#""sagemaker:Describe*", "sagemaker:List*""#,
        &format!("\"{churn}\""),
    ));
    ws.apply_ok();
    let endpoints = fx.endpoints();
    assert_eq!(endpoints.len(), 3, "{endpoints:#?}");
    assert_eq!(
        policy_of(&endpoints, &service("sagemaker.api")),
        &api_policy(&["sagemaker:Describe*", "sagemaker:List*"]),
        "endpoint_policies lands as written"
    );
    assert_runtime_policy(&endpoints, &[&churn], &fx.account.id);
    assert_s3_policy(&endpoints, "arn:aws:s3:::ml-artifacts", &fx.account.id);
    ws.plan_no_changes();

    let ids: BTreeMap<String, String> = endpoints
        .iter()
        .map(|e| (e.service.clone(), e.id.clone()))
        .collect();
    ws.write(
        "main.tf",
        &config(
            r#""sagemaker:Describe*", "sagemaker:List*", "sagemaker:Search""#,
            &format!("\"{churn}\", \"{fraud}\""),
        ),
    );
    let plan = ws.run(&["plan", "-input=false", "-detailed-exitcode"]);
    let text = plan.combined();
    assert_eq!(
        plan.status.code(),
        Some(2),
        "the change is planned:\n{text}"
    );
    assert!(
        text.contains(&format!("{RESOURCE} will be updated in-place"))
            && !text.contains("must be replaced")
            && text.contains("Plan: 0 to add, 1 to change, 0 to destroy"),
        "a policy change is an in-place update:\n{text}"
    );
    ws.apply_ok();
    let after = fx.endpoints();
    let ids_after: BTreeMap<String, String> = after
        .iter()
        .map(|e| (e.service.clone(), e.id.clone()))
        .collect();
    assert_eq!(ids_after, ids, "no endpoint is replaced");
    assert_eq!(
        policy_of(&after, &service("sagemaker.api")),
        &api_policy(&["sagemaker:Describe*", "sagemaker:List*", "sagemaker:Search"]),
    );
    assert_runtime_policy(&after, &[&churn, &fraud], &fx.account.id);
    ws.plan_no_changes();
}

#[test]
fn a_reformatted_but_equivalent_policy_plans_no_changes() {
    let fx = fixture();
    let config = |policy: &str| {
        fx.config(
            &[&fx.subnet_a, &fx.subnet_b],
            &format!("  services = [\"hosting\"]\n{policy}"),
        )
    };
    let ws = fx.workspace(&config(&api_policy_hcl(
        r#""sagemaker:Describe*", "sagemaker:List*""#,
    )));
    ws.apply_ok();
    // Same meaning: keys reordered, whitespace changed, actions reordered,
    // and a heredoc instead of jsonencode.
    let reformatted = r#"  endpoint_policies = {
    sagemaker_api = <<-EOT
      {
        "Statement": [
          {
            "Resource": "*",
            "Action": ["sagemaker:List*", "sagemaker:Describe*"],
            "Principal": "*",
            "Effect": "Allow",
            "Sid": "ReadOnly"
          }
        ],
        "Version": "2012-10-17"
      }
    EOT
  }"#;
    ws.write("main.tf", &config(reformatted));
    ws.plan_no_changes();
}

// ---------------------------------------------------------------------------
// (7) Every check fails the plan, at the attribute, and creates nothing
// ---------------------------------------------------------------------------

#[test]
fn plan_fails_when_the_vpc_does_not_exist() {
    let fx = fixture();
    let main_tf = main_tf(
        &format!("\"{MISSING_VPC}\""),
        &[&fx.subnet_a, &fx.subnet_b],
        "",
        "",
    );
    plan_fails(
        &fx,
        &main_tf,
        &error("Not found", "  vpc_id ", &[MISSING_VPC, "Check vpc_id"]),
    );
}

// Check 1 with enableDnsHostnames off is covered at plan by
// tests/private_network_e2e.rs; the apply-time variant is below.

#[test]
fn plan_fails_when_a_subnet_does_not_exist() {
    let fx = fixture();
    let main_tf = fx.config(&[&fx.subnet_a, MISSING_SUBNET], "");
    plan_fails(
        &fx,
        &main_tf,
        &error(
            "Not found",
            "  subnet_ids ",
            &[MISSING_SUBNET, "Check subnet_ids"],
        ),
    );
}

/// Regression (trial #11): the subnet in another VPC is the one
/// diagnostic; its zone (here subnet_a's) adds neither "Two subnets in one
/// Availability Zone" nor "Endpoints in one Availability Zone only".
#[test]
fn plan_fails_when_a_subnet_is_in_another_vpc() {
    let fx = fixture();
    let other = fx.other_vpc();
    let beside_a = create_subnet(&fx.account, &other.vpc_id, "10.99.2.0/24", "us-east-1a");
    let main_tf = fx.config(&[&fx.subnet_a, &beside_a], "");
    let ws = fx.workspace(&main_tf);
    let before = Holdings::of(&fx);
    let output = ws.plan_err();
    assert_diagnostic(
        &output,
        &main_tf,
        &error(
            "Subnet in another VPC",
            "  subnet_ids ",
            &[&beside_a, &format!("not in vpc_id {}", fx.vpc_id)],
        ),
    );
    let summaries: Vec<String> = diagnostics::diagnostics(&output)
        .into_iter()
        .map(|d| d.summary)
        .collect();
    assert_eq!(summaries, ["Subnet in another VPC"], "{output}");
    before.assert_nothing_new(&fx, &output);
}

#[test]
fn plan_fails_with_two_subnets_in_one_zone() {
    let fx = fixture();
    let second_a = create_subnet(&fx.account, &fx.vpc_id, "10.20.4.0/24", "us-east-1a");
    let main_tf = fx.config(&[&fx.subnet_a, &second_a, &fx.subnet_b], "");
    plan_fails(
        &fx,
        &main_tf,
        &error(
            "Two subnets in one Availability Zone",
            "  subnet_ids ",
            &[&fx.subnet_a, &second_a, "us-east-1a", "Keep one of them"],
        ),
    );
}

#[test]
fn plan_fails_when_a_subnet_has_fewer_free_addresses_than_interface_endpoints() {
    let fx = fixture();
    // A /28 has 11 usable addresses; 10 network interfaces leave 1 for the
    // 2 interface endpoints of `hosting`.
    let small = create_subnet(&fx.account, &fx.vpc_id, "10.20.9.0/28", "us-east-1c");
    for _ in 0..10 {
        fx.ec2(&[("Action", "CreateNetworkInterface"), ("SubnetId", &small)]);
    }
    let free = fx
        .ec2(&[("Action", "DescribeSubnets"), ("SubnetId.1", &small)])
        .items("subnetSet")
        .map(|s| s.text("availableIpAddressCount"))
        .next();
    assert_eq!(
        free.as_deref(),
        Some("1"),
        "the fixture leaves one free address"
    );
    let main_tf = fx.config(&[&fx.subnet_a, &small], "  services   = [\"hosting\"]");
    plan_fails(
        &fx,
        &main_tf,
        &error(
            "Not enough free addresses",
            "  subnet_ids ",
            &[
                &format!("Subnet {small} has 1 free addresses"),
                "2 interface endpoints",
            ],
        ),
    );
}

// Check 3 ("service not offered in the Region or in a subnet's zone") has no
// scenario: moto offers every catalog service in every zone of the Region and
// cannot be told otherwise, so the emulator cannot produce the failure.

/// Creates, outside Terraform, a `sagemaker.api` endpoint with private DNS.
fn create_foreign_api_endpoint(fx: &Fixture) -> String {
    fx.ec2(&[
        ("Action", "CreateVpcEndpoint"),
        ("VpcId", &fx.vpc_id),
        ("VpcEndpointType", "Interface"),
        ("ServiceName", &service("sagemaker.api")),
        ("SubnetId.1", &fx.subnet_a),
        ("PrivateDnsEnabled", "true"),
    ])
    .get("vpcEndpoint")
    .expect("CreateVpcEndpoint answers a vpcEndpoint")
    .text("vpcEndpointId")
}

#[test]
fn plan_fails_when_another_endpoint_already_serves_sagemaker_api_with_private_dns() {
    let fx = fixture();
    let existing = create_foreign_api_endpoint(&fx);
    let main_tf = fx.config(
        &[&fx.subnet_a, &fx.subnet_b],
        "  services   = [\"hosting\"]",
    );
    plan_fails(
        &fx,
        &main_tf,
        &error(
            "Another endpoint already serves this service",
            "  services ",
            &[
                &existing,
                "sagemaker_api",
                "terraform import",
                "private_dns_enabled = false",
            ],
        ),
    );
}

#[test]
fn plan_fails_on_an_endpoint_policy_that_is_not_json() {
    let fx = fixture();
    let main_tf = fx.config(
        &[&fx.subnet_a, &fx.subnet_b],
        r#"  endpoint_policies = {
    sagemaker_api = "{\"Statement\": [{\"Effect\": \"Allow\""
  }"#,
    );
    plan_fails(
        &fx,
        &main_tf,
        &error(
            "Invalid endpoint policy",
            "sagemaker_api = ",
            &["the policy is not valid JSON", "jsonencode()"],
        ),
    );
}

#[test]
fn plan_fails_on_a_policy_for_sagemaker_runtime_fips() {
    let fx = fixture();
    let main_tf = fx.config(
        &[&fx.subnet_a, &fx.subnet_b],
        r#"  services = ["sagemaker_api", "sagemaker_runtime_fips"]
  endpoint_policies = {
    sagemaker_runtime_fips = jsonencode({
      Statement = [{ Effect = "Allow", Principal = "*", Action = "sagemaker:InvokeEndpoint", Resource = "*" }]
    })
  }"#,
    );
    plan_fails(
        &fx,
        &main_tf,
        &error(
            "Endpoint policy not accepted",
            "sagemaker_runtime_fips = ",
            &[
                "sagemaker_runtime_fips does not accept endpoint policies",
                "remove it from endpoint_policies",
            ],
        ),
    );
}

#[test]
fn plan_fails_on_runtime_invoke_endpoint_arns_without_sagemaker_runtime() {
    let fx = fixture();
    let main_tf = fx.config(
        &[&fx.subnet_a, &fx.subnet_b],
        &format!(
            "  services = [\"sagemaker_api\", \"s3\"]\n  runtime_invoke_endpoint_arns = [\"arn:aws:sagemaker:us-east-1:{}:endpoint/churn\"]",
            fx.account.id
        ),
    );
    plan_fails(
        &fx,
        &main_tf,
        &error(
            "No sagemaker_runtime endpoint to restrict",
            "runtime_invoke_endpoint_arns",
            &[
                "services does not include sagemaker_runtime",
                "Add it to services",
            ],
        ),
    );
}

#[test]
fn plan_fails_on_an_s3_route_table_of_another_vpc() {
    let fx = fixture();
    let other = fx.other_vpc();
    let main_tf = fx.config(
        &[&fx.subnet_a, &fx.subnet_b],
        &format!(
            "  s3_route_table_ids = [\"{}\", \"{}\"]",
            fx.main_table, other.table_id
        ),
    );
    plan_fails(
        &fx,
        &main_tf,
        &error(
            "Route table in another VPC",
            "s3_route_table_ids",
            &[&other.table_id, &format!("not in {}", fx.vpc_id)],
        ),
    );
}

#[test]
fn plan_fails_on_ingress_from_anywhere_without_the_opt_in_and_plans_with_it() {
    let fx = fixture();
    let main_tf = fx.config(
        &[&fx.subnet_a, &fx.subnet_b],
        r#"  allowed_cidr_blocks = ["10.20.0.0/16", "0.0.0.0/0"]"#,
    );
    let ws = fx.workspace(&main_tf);
    let output = ws.plan_err();
    assert_diagnostic(
        &output,
        &main_tf,
        &error(
            "Ingress from anywhere needs an opt-in",
            "allowed_cidr_blocks",
            &["allow_ingress_from_anywhere = true"],
        ),
    );
    Holdings::default().assert_nothing_new(&fx, &output);

    let opted_in = fx.config(
        &[&fx.subnet_a, &fx.subnet_b],
        "  allowed_cidr_blocks = [\"10.20.0.0/16\", \"0.0.0.0/0\"]\n  allow_ingress_from_anywhere = true",
    );
    ws.write("main.tf", &opted_in);
    ws.plan_ok();
}

#[test]
fn a_single_zone_subnet_list_warns_but_plans() {
    let fx = fixture();
    let main_tf = fx.config(&[&fx.subnet_a], "");
    let ws = fx.workspace(&main_tf);
    let output = ws.plan_ok().combined();
    assert_diagnostic(
        &output,
        &main_tf,
        &Expect {
            severity: "Warning",
            summary: "Endpoints in one Availability Zone only",
            line: "  subnet_ids ",
            fragments: &["Add a subnet in a second zone"],
        },
    );
    assert!(
        output.contains("Plan: 1 to add, 0 to change, 0 to destroy"),
        "{output}"
    );
    Holdings::default().assert_nothing_new(&fx, &output);
}

// ---------------------------------------------------------------------------
// (7) The VPC-level checks when the VPC is known only at apply
// ---------------------------------------------------------------------------

#[test]
fn apply_with_the_vpc_unknown_at_plan_fails_before_creating_when_the_vpc_does_not_exist() {
    let fx = fixture();
    let main_tf = fx.config_with_vpc_unknown(MISSING_VPC, &[&fx.subnet_a, &fx.subnet_b], "");
    apply_fails_before_creating(
        &fx,
        &main_tf,
        &error("Not found", "  vpc_id ", &[MISSING_VPC, "Check vpc_id"]),
    );
}

#[test]
fn apply_with_the_vpc_unknown_at_plan_fails_before_creating_when_dns_hostnames_are_off() {
    let fx = fixture_with(false);
    let main_tf = fx.config_with_vpc_unknown(&fx.vpc_id, &[&fx.subnet_a, &fx.subnet_b], "");
    apply_fails_before_creating(
        &fx,
        &main_tf,
        &error(
            "VPC DNS settings do not allow private DNS",
            "  vpc_id ",
            &[
                "enableDnsHostnames turned off",
                "private_dns_enabled = false",
            ],
        ),
    );
}

#[test]
fn apply_with_the_vpc_unknown_at_plan_fails_before_creating_when_a_subnet_is_in_another_vpc() {
    let fx = fixture();
    let other = fx.other_vpc();
    let main_tf = fx.config_with_vpc_unknown(&fx.vpc_id, &[&fx.subnet_a, &other.subnet_id], "");
    apply_fails_before_creating(
        &fx,
        &main_tf,
        &error(
            "Subnet in another VPC",
            "  subnet_ids ",
            &[&other.subnet_id, &format!("not in vpc_id {}", fx.vpc_id)],
        ),
    );
}

/// Regression (trial #7): before a destroy, Terraform plans the
/// configuration (a normal plan, which the provider cannot tell from any
/// other), so a check that fails stops `terraform destroy` too. The error
/// says how to get out, and that way works.
#[test]
fn a_failing_check_stops_destroy_with_the_way_out_and_that_way_works() {
    let fx = fixture();
    let other = fx.other_vpc();
    let main_tf = fx.config_with_vpc_unknown(&fx.vpc_id, &[&fx.subnet_a, &other.subnet_id], "");
    let ws = fx.workspace(&main_tf);
    ws.apply_err();
    let err = support::one_line(&ws.run_err(&["destroy", "-input=false", "-auto-approve"]));
    assert!(
        err.contains("Subnet in another VPC")
            && err.contains("run terraform destroy -refresh=false"),
        "the destroy names the failing check and the way out:\n{err}"
    );
    ws.run_ok(&["destroy", "-input=false", "-auto-approve", "-refresh=false"]);
    assert_eq!(
        ws.state_list(),
        Vec::<String>::new(),
        "everything destroyed"
    );
}

#[test]
fn apply_with_the_vpc_unknown_at_plan_fails_before_creating_when_another_endpoint_serves_sagemaker_api(
) {
    let fx = fixture();
    let existing = create_foreign_api_endpoint(&fx);
    let main_tf = fx.config_with_vpc_unknown(
        &fx.vpc_id,
        &[&fx.subnet_a, &fx.subnet_b],
        "  services   = [\"hosting\"]",
    );
    apply_fails_before_creating(
        &fx,
        &main_tf,
        &error(
            "Another endpoint already serves this service",
            "  services ",
            &[&existing, "private_dns_enabled = false"],
        ),
    );
}

#[test]
fn apply_with_the_vpc_unknown_at_plan_fails_before_creating_when_a_route_table_is_in_another_vpc() {
    let fx = fixture();
    let other = fx.other_vpc();
    let main_tf = fx.config_with_vpc_unknown(
        &fx.vpc_id,
        &[&fx.subnet_a, &fx.subnet_b],
        &format!("  s3_route_table_ids = [\"{}\"]", other.table_id),
    );
    apply_fails_before_creating(
        &fx,
        &main_tf,
        &error(
            "Route table in another VPC",
            "s3_route_table_ids",
            &[&other.table_id, &format!("not in {}", fx.vpc_id)],
        ),
    );
}

// ---------------------------------------------------------------------------
// (9) Refresh cost does not grow with the number of endpoints
// ---------------------------------------------------------------------------

/// Applies `preset`, then refreshes with provider debug logging and returns
/// the AWS operations the refresh made, in log order.
fn refresh_calls(preset: &str) -> Vec<String> {
    let fx = fixture();
    let main_tf = fx.config(
        &[&fx.subnet_a, &fx.subnet_b],
        &format!("  services   = [\"{preset}\"]"),
    );
    let mut ws = fx.workspace(&main_tf);
    ws.apply_ok();
    ws.aws_calls_of(&["refresh", "-input=false"])
}

#[test]
fn one_refresh_makes_as_many_aws_calls_for_studio_vpc_only_as_for_hosting() {
    let (hosting, studio) = std::thread::scope(|scope| {
        let hosting = scope.spawn(|| refresh_calls("hosting"));
        let studio = scope.spawn(|| refresh_calls("studio_vpc_only"));
        (
            hosting.join().expect("hosting refresh"),
            studio.join().expect("studio refresh"),
        )
    });
    eprintln!(
        "AWS calls per refresh: hosting (3 endpoints) {} {hosting:?}; \
         studio_vpc_only (7 endpoints) {} {studio:?}",
        hosting.len(),
        studio.len()
    );
    assert!(
        !hosting.is_empty(),
        "the provider logs its AWS calls at debug level"
    );
    // `terraform refresh` reads (one endpoint listing, one group lookup,
    // and — once per provider process, to compare the endpoints with the
    // account-only default policy — the account id) and then plans in
    // refresh-only mode; that plan changes nothing, so the remote checks
    // (VPC, attributes, subnets, services, prefix list, route tables: 8
    // calls) do not run again.
    let sorted = |calls: &[String]| {
        let mut calls = calls.to_vec();
        calls.sort();
        calls
    };
    assert_eq!(
        sorted(&hosting),
        sorted(&studio),
        "a refresh makes the same calls whatever the number of endpoints"
    );
    assert_eq!(
        sorted(&studio),
        [
            "DescribeSecurityGroups",
            "DescribeVpcEndpoints",
            "GetCallerIdentity"
        ],
        "a refresh is one endpoint listing, one group lookup and the account id"
    );
}
