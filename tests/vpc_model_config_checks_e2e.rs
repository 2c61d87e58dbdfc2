//! `sagemaker_vpc_model_config`: every plan-time check end to end (issue 4,
//! "must show" 4) — real `terraform`, real moto, one fresh emulator account
//! per test.
//!
//! Each check has a scenario that fails where the spec says: the static ones
//! at `terraform validate`, the account ones at `terraform plan`, and — when
//! an input is unknown at plan — at the start of `terraform apply`. Each
//! asserts the one error Terraform prints: its summary, the `main.tf` line of
//! the attribute it is attached to (so the attribute path is right), and the
//! detail naming what is wrong and the fix. And each asserts, through the
//! emulator's API, that the failed command created nothing: no model, no
//! `sagemaker-model-*` group, no endpoint.

mod support;

use support::diagnostics;
use support::ec2_fixture::{create_subnet, create_vpc, fixture, service, Fixture};
use support::holdings::Holdings;
use support::sagemaker::{
    create_model_by_hand, describe_model, main_tf, model_block, model_block_with, model_names,
    IMAGE, ROLE,
};
use support::terraform::Workspace;

const RESOURCE: &str = "sagemaker_vpc_model_config.this";
/// A subnet that doesn't exist in any account (well-formed id).
const MISSING_SUBNET: &str = "subnet-0123456789abcdef0";
/// A security group that doesn't exist in any account (well-formed id).
const MISSING_GROUP: &str = "sg-0123456789abcdef0";
/// What a /28 subnet has free in moto (16 minus the 5 AWS reserves).
const FREE_IN_A_28: usize = 11;

// ---------------------------------------------------------------------------
// Configurations
// ---------------------------------------------------------------------------

/// `["a", "b"]`.
fn hcl_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("\"{i}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

/// `main.tf` with `extra` blocks, then the resource whose `subnet_ids` is
/// the HCL expression `subnet_ids`, with `body` inside.
fn config_with(subnet_ids: &str, body: &str, extra: &str) -> String {
    main_tf(&format!(
        r#"{extra}
resource "sagemaker_vpc_model_config" "this" {{
  subnet_ids = {subnet_ids}
{body}
}}
"#
    ))
}

/// `main.tf` with the subnets written literally.
fn config(subnets: &[&str], body: &str) -> String {
    config_with(&hcl_list(subnets), body, "")
}

/// `main.tf` whose subnets come from a `terraform_data` resource, so they
/// are unknown until apply.
fn config_with_subnets_unknown(subnets: &[&str], body: &str) -> String {
    let extra = format!(
        "resource \"terraform_data\" \"subnets\" {{\n  input = {}\n}}\n",
        hcl_list(subnets)
    );
    config_with("terraform_data.subnets.output", body, &extra)
}

/// A body without a model block: just a name.
fn named(name: &str, more: &str) -> String {
    format!("  name = \"{name}\"\n{more}")
}

// ---------------------------------------------------------------------------
// Terraform's diagnostics
// ---------------------------------------------------------------------------

/// The one error a failed command must print.
struct Expect<'a> {
    summary: &'a str,
    /// Picks the one line of `main.tf` the error must point at.
    line: &'a str,
    /// What the detail must say (whitespace-insensitive).
    says: &'a [&'a str],
}

/// Asserts that `output` holds exactly one error, `expect`, attached to the
/// resource at the line of `main_tf` holding `expect.line`; returns its
/// detail (the text after the quoted line), whitespace squashed.
fn assert_only_error(output: &str, main_tf: &str, expect: &Expect<'_>) -> String {
    let error = diagnostics::only_error(output, expect.summary);
    let at = diagnostics::Expect {
        resource: RESOURCE,
        line: expect.line,
        says: expect.says,
    };
    diagnostics::assert_points_at(&error, main_tf, &at)
}

// ---------------------------------------------------------------------------
// What the emulator holds
// ---------------------------------------------------------------------------

/// `terraform validate` of `main_tf` must fail with `expect` alone — a
/// static check, no account needed — and create nothing.
fn validate_fails(fx: &Fixture, main_tf: &str, expect: &Expect<'_>) -> String {
    let ws = fx.workspace(main_tf);
    let before = Holdings::of(fx);
    let output = ws.run_err(&["validate"]);
    let detail = assert_only_error(&output, main_tf, expect);
    before.assert_nothing_new(fx, &output);
    detail
}

/// `terraform plan` of `main_tf` must fail with `expect` alone and create nothing.
fn plan_fails(fx: &Fixture, main_tf: &str, expect: &Expect<'_>) -> String {
    let ws = fx.workspace(main_tf);
    plan_fails_in(fx, &ws, main_tf, expect)
}

/// [`plan_fails`] in an existing workspace, after writing `main_tf` to it.
fn plan_fails_in(fx: &Fixture, ws: &Workspace, main_tf: &str, expect: &Expect<'_>) -> String {
    ws.write("main.tf", main_tf);
    let before = Holdings::of(fx);
    let output = ws.plan_err();
    let detail = assert_only_error(&output, main_tf, expect);
    before.assert_nothing_new(fx, &output);
    detail
}

/// Creates, outside Terraform, a security group in `vpc_id`.
fn create_group_in(fx: &Fixture, vpc_id: &str, name: &str) -> String {
    fx.ec2(&[
        ("Action", "CreateSecurityGroup"),
        ("GroupName", name),
        ("GroupDescription", "made by the test"),
        ("VpcId", vpc_id),
    ])
    .text("groupId")
}

/// The free addresses of `subnet_id` as the emulator reports them.
fn free_addresses(fx: &Fixture, subnet_id: &str) -> usize {
    fx.ec2(&[("Action", "DescribeSubnets"), ("SubnetId.1", subnet_id)])
        .items("subnetSet")
        .map(|s| s.text("availableIpAddressCount"))
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("DescribeSubnets reports {subnet_id}"))
}

/// A /28 of the fixture VPC in us-east-1d, filled with network interfaces
/// until `free` addresses are left.
fn small_subnet_with(fx: &Fixture, free: usize) -> String {
    let small = create_subnet(&fx.account, &fx.vpc_id, "10.20.9.0/28", "us-east-1d");
    assert_eq!(free_addresses(fx, &small), FREE_IN_A_28);
    for _ in free..FREE_IN_A_28 {
        fx.ec2(&[("Action", "CreateNetworkInterface"), ("SubnetId", &small)]);
    }
    assert_eq!(free_addresses(fx, &small), free, "the /28 is filled");
    small
}

// ---------------------------------------------------------------------------
// Subnets: count, zones, VPC, existence
// ---------------------------------------------------------------------------

#[test]
fn one_subnet_fails_validate() {
    let fx = fixture();
    let main_tf = config(&[&fx.subnet_a], &named("one-subnet", ""));
    validate_fails(
        &fx,
        &main_tf,
        &Expect {
            summary: "One subnet is not enough",
            line: "  subnet_ids = ",
            says: &[
                "at least two Availability Zones",
                "Add a subnet in another zone",
            ],
        },
    );
}

#[test]
fn two_subnets_in_one_zone_fail_plan() {
    let fx = fixture();
    let second_a = create_subnet(&fx.account, &fx.vpc_id, "10.20.4.0/24", "us-east-1a");
    let main_tf = config(
        &[&fx.subnet_a, &second_a],
        &model_block("one-zone", IMAGE, ""),
    );
    plan_fails(
        &fx,
        &main_tf,
        &Expect {
            summary: "Subnets in one Availability Zone",
            line: "  subnet_ids = ",
            says: &[
                &fx.subnet_a,
                &second_a,
                "all in us-east-1a",
                "at least two Availability Zones",
                "Add a subnet in another zone",
            ],
        },
    );
}

#[test]
fn subnets_of_two_vpcs_fail_plan() {
    let fx = fixture();
    let other = fx.other_vpc();
    let main_tf = config(
        &[&fx.subnet_a, &other.subnet_id],
        &model_block("two-vpcs", IMAGE, ""),
    );
    plan_fails(
        &fx,
        &main_tf,
        &Expect {
            summary: "Subnets in more than one VPC",
            line: "  subnet_ids = ",
            says: &[
                &format!("{} in {}", fx.subnet_a, fx.vpc_id),
                &other.subnet_id,
                "Use subnets of one VPC",
            ],
        },
    );
}

#[test]
fn a_missing_subnet_fails_plan() {
    let fx = fixture();
    let main_tf = config(
        &[&fx.subnet_b, MISSING_SUBNET],
        &model_block("no-subnet", IMAGE, ""),
    );
    plan_fails(
        &fx,
        &main_tf,
        &Expect {
            summary: "Not found",
            line: "  subnet_ids = ",
            says: &[MISSING_SUBNET, "not found", "Check subnet_ids"],
        },
    );
}

// ---------------------------------------------------------------------------
// Capacity: 2 addresses per instance, 5 with EFA
// ---------------------------------------------------------------------------

#[test]
fn a_filled_subnet_fails_plan_for_three_instances_and_names_the_subnet() {
    let fx = fixture();
    let small = small_subnet_with(&fx, 4);
    let body = |count: u32| {
        format!(
            "  instance_count = {count}\n{}",
            model_block("capacity", IMAGE, "")
        )
    };
    // Two instances take exactly the 4 addresses left: the check counts.
    let ws = fx.workspace(&config(&[&fx.subnet_b, &small], &body(2)));
    ws.plan_ok();
    let main_tf = config(&[&fx.subnet_b, &small], &body(3));
    let detail = plan_fails_in(
        &fx,
        &ws,
        &main_tf,
        &Expect {
            summary: "Not enough free addresses",
            line: "  subnet_ids = ",
            says: &[
                &format!("Subnet {small} has 4 free addresses"),
                "3 instance(s) need 6 (2 each)",
                "use a larger subnet, or lower instance_count",
            ],
        },
    );
    assert!(
        !detail.contains(&fx.subnet_b),
        "only the filled subnet is named: {detail}"
    );
}

#[test]
fn efa_needs_five_addresses_per_instance() {
    let fx = fixture();
    let small = small_subnet_with(&fx, 4);
    let main_tf = config(
        &[&fx.subnet_b, &small],
        &named("efa-capacity", "  efa = true"),
    );
    plan_fails(
        &fx,
        &main_tf,
        &Expect {
            summary: "Not enough free addresses",
            line: "  subnet_ids = ",
            says: &[
                &format!("Subnet {small} has 4 free addresses"),
                "1 instance(s) need 5 (5 each with EFA)",
            ],
        },
    );
}

// ---------------------------------------------------------------------------
// Extra security groups
// ---------------------------------------------------------------------------

#[test]
fn an_extra_group_of_another_vpc_fails_plan() {
    let fx = fixture();
    let other_vpc = create_vpc(&fx.account, "10.99.0.0/16", true);
    let foreign = create_group_in(&fx, &other_vpc, "clients-elsewhere");
    let main_tf = config(
        &[&fx.subnet_b, &fx.subnet_c],
        &named(
            "foreign-group",
            &format!("  security_group_ids = [\"{foreign}\"]"),
        ),
    );
    plan_fails(
        &fx,
        &main_tf,
        &Expect {
            summary: "Security group in another VPC",
            line: "security_group_ids",
            says: &[
                &format!("Security group {foreign} is in {other_vpc}"),
                &format!("this configuration is in {}", fx.vpc_id),
                &format!("List groups of {}", fx.vpc_id),
            ],
        },
    );
}

#[test]
fn a_missing_extra_group_fails_plan() {
    let fx = fixture();
    let clients = fx.create_group("clients");
    let main_tf = config(
        &[&fx.subnet_b, &fx.subnet_c],
        &named(
            "missing-group",
            &format!("  security_group_ids = [\"{clients}\", \"{MISSING_GROUP}\"]"),
        ),
    );
    let detail = plan_fails(
        &fx,
        &main_tf,
        &Expect {
            summary: "Not found",
            line: "security_group_ids",
            says: &[MISSING_GROUP, "not found", "Check security_group_ids"],
        },
    );
    assert!(
        !detail.contains(&clients),
        "the group that exists is not blamed: {detail}"
    );
}

#[test]
fn more_than_five_groups_in_all_fail_validate() {
    let fx = fixture();
    let five: Vec<String> = (1..=5).map(|i| format!("sg-000000000000000{i}")).collect();
    let five: Vec<&str> = five.iter().map(String::as_str).collect();
    let main_tf = config(
        &[&fx.subnet_b, &fx.subnet_c],
        &named(
            "six-groups",
            &format!("  security_group_ids = {}", hcl_list(&five)),
        ),
    );
    validate_fails(
        &fx,
        &main_tf,
        &Expect {
            summary: "Too many security groups",
            line: "security_group_ids",
            says: &[
                "at most 5 security groups",
                "gives it 6 (5 here plus the model group)",
                "Remove 1 of them, or set create_security_group = false",
            ],
        },
    );
}

// ---------------------------------------------------------------------------
// The S3 path
// ---------------------------------------------------------------------------

#[test]
fn no_s3_path_with_creation_disabled_fails_plan_until_an_s3_gateway_is_routed() {
    let fx = fixture();
    // b and c are on the main table: no S3 route, no NAT.
    let no_creation = named("no-s3", "  create_s3_endpoint = false");
    let on_main = config(&[&fx.subnet_b, &fx.subnet_c], &no_creation);
    let ws = fx.workspace(&on_main);
    plan_fails_in(
        &fx,
        &ws,
        &on_main,
        &Expect {
            summary: "No path to S3",
            line: "create_s3_endpoint",
            says: &[
                &fx.subnet_b,
                &fx.subnet_c,
                &format!("use route table {}", fx.main_table),
                "neither an S3 gateway endpoint route nor a NAT route",
                "Set create_s3_endpoint = true",
                "add an S3 gateway endpoint for that table",
            ],
        },
    );

    // An S3 gateway endpoint made with the SDK, routed on the main table.
    let gateway = fx
        .ec2(&[
            ("Action", "CreateVpcEndpoint"),
            ("VpcId", &fx.vpc_id),
            ("VpcEndpointType", "Gateway"),
            ("ServiceName", &service("s3")),
            ("RouteTableId.1", &fx.main_table),
        ])
        .get("vpcEndpoint")
        .expect("CreateVpcEndpoint answers a vpcEndpoint")
        .text("vpcEndpointId");
    let before = Holdings::of(&fx);
    let plan = ws.plan_ok().combined();
    assert!(
        plan.lines()
            .any(|l| l.contains("s3_endpoint_id") && l.contains(&gateway)),
        "the plan reuses {gateway}:\n{plan}"
    );
    before.assert_nothing_new(&fx, &plan);

    // Subnet a has its own table, which the gateway does not route: only it fails.
    let with_a = config(&[&fx.subnet_a, &fx.subnet_b], &no_creation);
    let detail = plan_fails_in(
        &fx,
        &ws,
        &with_a,
        &Expect {
            summary: "No path to S3",
            line: "create_s3_endpoint",
            says: &[&format!(
                "Subnet(s) {} use route table {}",
                fx.subnet_a, fx.table_a
            )],
        },
    );
    assert!(
        !detail.contains(&fx.main_table),
        "the routed table is not blamed: {detail}"
    );
}

// ---------------------------------------------------------------------------
// The model block (static formats)
// ---------------------------------------------------------------------------

#[test]
fn a_role_arn_that_is_not_a_role_fails_validate() {
    let fx = fixture();
    let block = model_block_with(
        "bad-role",
        "arn:aws:iam::123456789012:user/alice",
        IMAGE,
        "s3://models/bad-role/model.tar.gz",
        "",
    );
    let main_tf = config(&[&fx.subnet_b, &fx.subnet_c], &block);
    validate_fails(
        &fx,
        &main_tf,
        &Expect {
            summary: "Invalid value for model.execution_role_arn",
            line: "execution_role_arn",
            says: &[
                "is not an IAM role ARN",
                "not \"role/NAME\"",
                "Use the form \"arn:aws:iam::ACCOUNT_ID:role/NAME\"",
            ],
        },
    );
}

#[test]
fn a_bad_image_uri_fails_validate() {
    let fx = fixture();
    let image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/Churn:1";
    let main_tf = config(
        &[&fx.subnet_b, &fx.subnet_c],
        &model_block("bad-image", image, ""),
    );
    validate_fails(
        &fx,
        &main_tf,
        &Expect {
            summary: "Invalid value for model.primary_container.image",
            line: "image          = ",
            says: &[
                "is not a container image URI",
                "the repository must be lowercase",
                "Use the form \"123456789012.dkr.ecr.us-east-1.amazonaws.com/repository:tag\"",
            ],
        },
    );
}

#[test]
fn a_bad_model_data_url_fails_validate() {
    let fx = fixture();
    let block = model_block_with("bad-data", ROLE, IMAGE, "models/churn.tar.gz", "");
    let main_tf = config(&[&fx.subnet_b, &fx.subnet_c], &block);
    validate_fails(
        &fx,
        &main_tf,
        &Expect {
            summary: "Invalid value for model.primary_container.model_data_url",
            line: "model_data_url",
            says: &[
                "is not a model data URL",
                "it must start with `s3://` or `https://`",
                "Use the form \"s3://my-bucket/models/model.tar.gz\"",
            ],
        },
    );
}

#[test]
fn a_bad_model_name_fails_validate() {
    let fx = fixture();
    let main_tf = config(
        &[&fx.subnet_b, &fx.subnet_c],
        &model_block("churn_v2", IMAGE, ""),
    );
    validate_fails(
        &fx,
        &main_tf,
        &Expect {
            summary: "Invalid value for model.name",
            line: "\"churn_v2\"",
            says: &[
                "is not a valid SageMaker model name",
                "only letters, digits and hyphens",
                "Example: \"churn-xgboost-v2\"",
            ],
        },
    );
}

#[test]
fn neither_name_nor_model_fails_validate() {
    let fx = fixture();
    let main_tf = config(&[&fx.subnet_b, &fx.subnet_c], "");
    validate_fails(
        &fx,
        &main_tf,
        &Expect {
            summary: "No name for this configuration",
            line: "resource \"sagemaker_vpc_model_config\" \"this\"",
            says: &["Set name = \"my-model-network\", or add a model block"],
        },
    );
}

// ---------------------------------------------------------------------------
// The model name in the account
// ---------------------------------------------------------------------------

#[test]
fn a_model_name_taken_by_another_model_fails_plan_at_model_name_suggesting_import() {
    let fx = fixture();
    let theirs = "123456789012.dkr.ecr.us-east-1.amazonaws.com/theirs:7";
    create_model_by_hand(&fx, "churn-taken", theirs);
    let main_tf = config(
        &[&fx.subnet_b, &fx.subnet_c],
        &model_block("churn-taken", IMAGE, ""),
    );
    plan_fails(
        &fx,
        &main_tf,
        &Expect {
            summary: "Model name already taken",
            line: "\"churn-taken\"",
            says: &[
                "A SageMaker model named \"churn-taken\" already exists",
                "was not made by this configuration",
                "Choose another model name",
                "`terraform import` (import id: the model name)",
            ],
        },
    );
    let model = describe_model(&fx, "churn-taken").expect("their model is still there");
    assert_eq!(model["PrimaryContainer"]["Image"], theirs, "and unchanged");
}

// ---------------------------------------------------------------------------
// Checks at apply
// ---------------------------------------------------------------------------

#[test]
fn subnets_unknown_at_plan_in_one_zone_fail_apply_before_anything_is_created() {
    let fx = fixture();
    let second_a = create_subnet(&fx.account, &fx.vpc_id, "10.20.4.0/24", "us-east-1a");
    let main_tf = config_with_subnets_unknown(
        &[&fx.subnet_a, &second_a],
        &model_block("late-zone", IMAGE, ""),
    );
    let ws = fx.workspace(&main_tf);
    let before = Holdings::of(&fx);
    let output = ws.apply_err();
    assert!(
        output.contains("Plan: 2 to add")
            && output.contains("terraform_data.subnets: Creation complete"),
        "the plan passed with the subnets unknown and apply got as far as them:\n{output}"
    );
    assert_only_error(
        &output,
        &main_tf,
        &Expect {
            summary: "Subnets in one Availability Zone",
            line: "  subnet_ids = ",
            says: &[&fx.subnet_a, &second_a, "Add a subnet in another zone"],
        },
    );
    before.assert_nothing_new(&fx, &output);
    assert_eq!(
        ws.state_list(),
        ["terraform_data.subnets"],
        "the failed configuration is not in state"
    );
}

#[test]
fn subnets_unknown_at_plan_in_a_sound_account_pass_the_checks_at_apply() {
    let fx = fixture();
    let main_tf = config_with_subnets_unknown(
        &[&fx.subnet_b, &fx.subnet_c],
        &model_block("late-ok", IMAGE, ""),
    );
    let ws = fx.workspace(&main_tf);
    let plan = ws.plan_ok().combined();
    assert!(
        plan.lines()
            .any(|l| l.contains("subnet_ids") && l.contains("known after apply")),
        "the subnets are unknown at plan:\n{plan}"
    );
    ws.apply_ok();
    let model = describe_model(&fx, "late-ok").expect("apply created the model");
    let mut subnets: Vec<&str> = model["VpcConfig"]["Subnets"]
        .as_array()
        .expect("the model has a VpcConfig")
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    subnets.sort_unstable();
    let mut wanted = [fx.subnet_b.as_str(), fx.subnet_c.as_str()];
    wanted.sort_unstable();
    assert_eq!(subnets, wanted);
    ws.destroy_ok();
    assert!(model_names(&fx).is_empty(), "destroy removed the model");
}

#[test]
fn a_model_name_taken_between_plan_and_apply_fails_the_saved_plan_before_anything_is_created() {
    let fx = fixture();
    let main_tf = config(
        &[&fx.subnet_b, &fx.subnet_c],
        &model_block("churn-race", IMAGE, ""),
    );
    let ws = fx.workspace(&main_tf);
    ws.run_ok(&["plan", "-input=false", "-out=tfplan"]);
    let theirs = "123456789012.dkr.ecr.us-east-1.amazonaws.com/theirs:7";
    create_model_by_hand(&fx, "churn-race", theirs);
    let before = Holdings::of(&fx);
    let output = ws.run_err(&["apply", "-input=false", "tfplan"]);
    assert_only_error(
        &output,
        &main_tf,
        &Expect {
            summary: "Model name already taken",
            line: "\"churn-race\"",
            says: &["\"churn-race\" already exists", "terraform import"],
        },
    );
    before.assert_nothing_new(&fx, &output);
    let model = describe_model(&fx, "churn-race").expect("their model is still there");
    assert_eq!(model["PrimaryContainer"]["Image"], theirs, "and unchanged");
    assert!(ws.state_list().is_empty(), "nothing is in state");
}
