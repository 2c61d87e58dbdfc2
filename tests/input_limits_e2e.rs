//! Inputs AWS (or Terraform) would reject, or that would be silently
//! changed, fail `terraform plan` — real terraform, real moto — at the
//! attribute at fault, saying what is wrong and the fix, and nothing is
//! created. Values unknown at plan (another resource's output) plan cleanly
//! instead of producing an invalid plan.

mod support;

use support::diagnostics::{self, Expect};
use support::ec2_fixture::{fixture, Fixture};
use support::holdings::Holdings;
use support::sagemaker::{
    main_tf, model_block, model_config_resource, network_resource, IMAGE, ROLE,
};
use support::terraform::provider_header;

const NETWORK: &str = "sagemaker_private_network.this";
const MODEL_CONFIG: &str = "sagemaker_vpc_model_config.this";

/// One bad input: the body inside the resource, the error it must give,
/// the configuration line it must point at and what the detail must say.
struct Case<'a> {
    body: String,
    summary: &'a str,
    line: &'a str,
    says: &'a [&'a str],
}

fn case<'a>(
    body: impl Into<String>,
    summary: &'a str,
    line: &'a str,
    says: &'a [&'a str],
) -> Case<'a> {
    Case {
        body: body.into(),
        summary,
        line,
        says,
    }
}

/// Plans each case in one workspace: each must fail with its error, at its
/// line, and create nothing.
fn each_plan_fails(
    fx: &Fixture,
    resource: &str,
    configure: impl Fn(&str) -> String,
    cases: &[Case<'_>],
) {
    let ws = fx.workspace(&configure(""));
    let before = Holdings::of(fx);
    for case in cases {
        let main_tf = configure(&case.body);
        ws.write("main.tf", &main_tf);
        let output = ws.plan_err();
        assert!(
            !output.contains("provider bug") && !output.contains("Provider produced invalid plan"),
            "{output}"
        );
        let found = diagnostics::diagnostics(&output)
            .into_iter()
            .filter(|d| d.severity == "Error" && d.summary == case.summary)
            .find(|d| case.says.iter().all(|s| d.text().contains(s)));
        let Some(diag) = found else {
            panic!(
                "no error {:?} saying {:?} for\n{}\nterraform said:\n{output}",
                case.summary, case.says, case.body
            );
        };
        let at = Expect {
            resource,
            line: case.line,
            says: case.says,
        };
        diagnostics::assert_points_at(&diag, &main_tf, &at);
        before.assert_nothing_new(fx, &output);
    }
}

fn network(fx: &Fixture) -> impl Fn(&str) -> String + '_ {
    move |body| {
        main_tf(&network_resource(
            &fx.vpc_id,
            [&fx.subnet_a, &fx.subnet_b],
            body,
        ))
    }
}

fn tags_hcl(count: usize) -> String {
    let pairs: Vec<String> = (0..count).map(|i| format!("k{i} = \"v\"")).collect();
    format!("  tags = {{ {} }}", pairs.join(", "))
}

#[test]
fn a_network_plan_refuses_tags_aws_would_refuse() {
    let fx = fixture();
    let long_key = "k".repeat(129);
    let long_value = "v".repeat(257);
    each_plan_fails(
        &fx,
        NETWORK,
        network(&fx),
        &[
            case(
                format!("  tags = {{ {long_key} = \"x\" }}"),
                "Invalid tag in tags",
                "  tags = ",
                &["has 129 characters", "at most 128"],
            ),
            case(
                format!("  tags = {{ Owner = \"{long_value}\" }}"),
                "Invalid tag in tags",
                "  tags = ",
                &["has 257 characters", "at most 256"],
            ),
            case(
                "  tags = { \"\" = \"x\" }",
                "Invalid tag in tags",
                "  tags = ",
                &["A tag key is empty"],
            ),
            case(
                "  tags = { \"aws:team\" = \"x\" }",
                "Invalid tag in tags",
                "  tags = ",
                &["starts with \"aws:\""],
            ),
            case(
                "  tags = { ManagedBy = \"me\" }",
                "Invalid tag in tags",
                "  tags = ",
                &["set by this provider", "Remove it"],
            ),
            case(
                "  tags = { \"sagemaker:owner\" = \"someone-else\" }",
                "Invalid tag in tags",
                "  tags = ",
                &["set by this provider"],
            ),
            case(
                tags_hcl(60),
                "Too many tags in tags",
                "  tags = ",
                &["60 tags", "at most 47"],
            ),
            // 47 of the resource's own plus the provider's default Team: 48.
            case(
                tags_hcl(47),
                "Too many tags",
                "  tags = ",
                &["48 tags", "Remove 1"],
            ),
        ],
    );
}

#[test]
fn a_network_plan_refuses_policies_cidrs_timeouts_and_names_aws_would_refuse() {
    let fx = fixture();
    let statement = r#"{ Effect = "Allow", Principal = "*", Action = "sagemaker:*", Resource = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/some-long-endpoint-name-to-fill-space" }"#;
    let big_policy = format!(
        "  endpoint_policies = {{ sagemaker_api = jsonencode({{ Statement = [{}] }}) }}",
        vec![statement; 200].join(", ")
    );
    each_plan_fails(
        &fx,
        NETWORK,
        network(&fx),
        &[
            case(
                big_policy,
                "Invalid endpoint policy",
                "  endpoint_policies = ",
                &["at most 20480"],
            ),
            case(
                r#"  endpoint_policies = { sagemaker_api = "{\"Statement\": [{\"Effect\": \"Allow\", \"Effect\": \"Deny\", \"Principal\": \"*\", \"Action\": \"*\", \"Resource\": \"*\"}]}" }"#,
                "Invalid endpoint policy",
                "  endpoint_policies = ",
                &["the key \"Effect\" twice"],
            ),
            case(
                r#"  endpoint_policies = { sagemaker_api = jsonencode({ Statment = [] }) }"#,
                "Invalid endpoint policy",
                "  endpoint_policies = ",
                &["rename \"Statment\" to \"Statement\""],
            ),
            case(
                r#"  allowed_cidr_blocks = ["0.0.0.0/1", "128.0.0.0/1"]"#,
                "Ingress from anywhere needs an opt-in",
                "  allowed_cidr_blocks = ",
                &[
                    "cover every IPv4 address",
                    "allow_ingress_from_anywhere = true",
                ],
            ),
            case(
                r#"  allowed_cidr_blocks = ["10.0.0.1/16"]"#,
                "Invalid value for allowed_cidr_blocks[0]",
                "  allowed_cidr_blocks = ",
                &["host bits set", "\"10.0.0.0/16\""],
            ),
            case(
                "  timeouts {\n    create = \"99999999999999h\"\n  }",
                "Invalid value for timeouts.create",
                "    create = ",
                &["longer than 24h"],
            ),
            case(
                r#"  services = ["hostng"]"#,
                "Unsupported value for services[0]",
                "  services = ",
                &["Did you mean \"hosting\"?"],
            ),
            // Regression (trial #10): a name written short gets the names it starts.
            case(
                r#"  services = ["ecr"]"#,
                "Unsupported value for services[0]",
                "  services = ",
                &["Did you mean \"ecr_api\" or \"ecr_dkr\"?"],
            ),
            case(
                r#"  endpoint_policies = { sagemaker_apl = jsonencode({ Statement = [] }) }"#,
                "Unknown service in endpoint_policies",
                "  endpoint_policies = ",
                &["Did you mean \"sagemaker_api\"?"],
            ),
            case(
                r#"  runtime_invoke_endpoint_arns = ["arn:aws:sagemaker:eu-west-1:123456789012:endpoint/churn"]"#,
                "In another Region",
                "  runtime_invoke_endpoint_arns = ",
                &["in eu-west-1", "works in us-east-1"],
            ),
        ],
    );
}

#[test]
fn a_network_plan_refuses_null_elements_instead_of_dropping_them() {
    let fx = fixture();
    let config = |subnets: &str, body: &str| {
        main_tf(&format!(
            "resource \"sagemaker_private_network\" \"this\" {{\n  vpc_id     = \"{}\"\n  subnet_ids = {subnets}\n{body}\n}}\n",
            fx.vpc_id
        ))
    };
    let ws = fx.workspace(&config(&format!("[\"{}\"]", fx.subnet_a), ""));
    let before = Holdings::of(&fx);
    for (subnets, body, line) in [
        (
            format!("[\"{}\", null]", fx.subnet_a),
            "",
            "  subnet_ids = ",
        ),
        (
            format!("[\"{}\", \"{}\"]", fx.subnet_a, fx.subnet_b),
            "  services = [\"hosting\", null]",
            "  services = ",
        ),
    ] {
        let main_tf = config(&subnets, body);
        ws.write("main.tf", &main_tf);
        let output = ws.plan_err();
        let diag = diagnostics::diagnostics(&output)
            .into_iter()
            .find(|d| d.summary.starts_with("Null element in"))
            .unwrap_or_else(|| panic!("no null-element error:\n{output}"));
        let at = Expect {
            resource: NETWORK,
            line,
            says: &["is null", "compact()"],
        };
        diagnostics::assert_points_at(&diag, &main_tf, &at);
        before.assert_nothing_new(&fx, &output);
    }
    // The data source: an error, not "Decoding a value failed … provider bug".
    let data = format!(
        "{}\ndata \"sagemaker_endpoint_services\" \"these\" {{\n  names = [\"hosting\", null]\n}}\n",
        provider_header("")
    );
    ws.write("main.tf", &data);
    let output = ws.plan_err();
    assert!(!output.contains("provider bug"), "{output}");
    diagnostics::find(&output, "Error", "Null element in names");
}

#[test]
fn plan_checks_allowed_security_groups_exist_in_the_vpc() {
    let fx = fixture();
    let other = fx.other_vpc();
    let foreign = fx.ec2(&[
        ("Action", "CreateSecurityGroup"),
        ("GroupName", "elsewhere"),
        ("GroupDescription", "a group of another VPC"),
        ("VpcId", &other.vpc_id),
    ]);
    let foreign = foreign.text("groupId");
    let says_foreign = [foreign.as_str(), "List groups of"];
    each_plan_fails(
        &fx,
        NETWORK,
        network(&fx),
        &[
            case(
                r#"  allowed_security_group_ids = ["sg-0123456789abcdef0"]"#,
                "Not found",
                "  allowed_security_group_ids = ",
                &["sg-0123456789abcdef0", "Check allowed_security_group_ids"],
            ),
            case(
                format!("  allowed_security_group_ids = [\"{foreign}\"]"),
                "Security group in another VPC",
                "  allowed_security_group_ids = ",
                &says_foreign,
            ),
        ],
    );
}

#[test]
fn model_config_and_model_plans_refuse_environments_regions_and_egress_aws_would_refuse() {
    let fx = fixture();
    let entries: Vec<String> = (0..101).map(|i| format!("K{i} = \"v\"")).collect();
    let environment = format!("      environment = {{ {} }}", entries.join(", "));
    let long_value = format!("      environment = {{ A = \"{}\" }}", "v".repeat(1100));
    let foreign_image = IMAGE.replace("us-east-1", "eu-west-1");
    let with_model = |image: &str, extra: &str| {
        let block = model_block("churn", image, "").replace(
            "      model_data_url",
            &format!("{extra}\n      model_data_url"),
        );
        block
    };
    let configure =
        |body: &str| main_tf(&model_config_resource([&fx.subnet_a, &fx.subnet_b], body));
    each_plan_fails(
        &fx,
        MODEL_CONFIG,
        configure,
        &[
            case(
                with_model(IMAGE, &environment),
                "Invalid value for model.primary_container.environment",
                "      environment = ",
                &["101 entries", "at most 100"],
            ),
            case(
                with_model(IMAGE, &long_value),
                "Invalid value for model.primary_container.environment",
                "      environment = ",
                &["1100 characters", "at most 1024"],
            ),
            case(
                with_model(&foreign_image, ""),
                "In another Region",
                "      image ",
                &["in eu-west-1", "Replicate the repository"],
            ),
            // The model gets the resource's tags: SageMaker's characters.
            case(
                format!("{}\n  tags = {{ Team = \"a,b\" }}", with_model(IMAGE, "")),
                "Invalid tag in tags",
                "  tags = ",
                &["SageMaker does not take"],
            ),
            case(
                "  name = \"net\"\n  egress_cidr_blocks = [\"0.0.0.0/0\"]",
                "Egress to anywhere needs an opt-in",
                "  egress_cidr_blocks = ",
                &["allow_egress_to_anywhere = true"],
            ),
        ],
    );
}

/// Regression (trial #9): a malformed `kms_key_id` passed validate and plan.
#[test]
fn a_studio_domain_plan_refuses_a_kms_key_aws_would_refuse() {
    let fx = fixture();
    let configure = |body: &str| {
        main_tf(&format!(
            r#"
resource "sagemaker_studio_domain" "this" {{
  name                       = "checked"
  subnet_ids                 = ["{}", "{}"]
  default_execution_role_arn = "{ROLE}"
{body}
}}
"#,
            fx.subnet_a, fx.subnet_b
        ))
    };
    each_plan_fails(
        &fx,
        "sagemaker_studio_domain.this",
        configure,
        &[
            case(
                r#"  kms_key_id = "not-a-key""#,
                "Invalid value for kms_key_id",
                "  kms_key_id = ",
                &["\"not-a-key\" is not a KMS key", "\"alias/NAME\""],
            ),
            case(
                r#"  kms_key_id = "arn:aws:kms:us-east-1:123456789012:secret/x""#,
                "Invalid value for kms_key_id",
                "  kms_key_id = ",
                &["not \"key/KEY_ID\" or \"alias/NAME\""],
            ),
        ],
    );
}

#[test]
fn values_unknown_at_plan_plan_and_apply_cleanly() {
    let fx = fixture();
    let unknowns = r#"
resource "terraform_data" "dns" {
  input = false
}
resource "terraform_data" "name" {
  input = "late-named"
}
"#;
    let main_tf = main_tf(&format!(
        "{unknowns}{}{}",
        network_resource(
            &fx.vpc_id,
            [&fx.subnet_a, &fx.subnet_b],
            "  services = [\"sagemaker_api\"]\n  private_dns_enabled = terraform_data.dns.output"
        ),
        model_config_resource(
            [&fx.subnet_a, &fx.subnet_b],
            "  name = terraform_data.name.output"
        )
    ));
    let ws = fx.workspace(&main_tf);
    let plan = ws.plan_ok().combined();
    assert!(
        plan.lines().any(|l| {
            let l = l.trim_start_matches([' ', '+']);
            l.starts_with("private_dns_enabled") && l.ends_with("= (known after apply)")
        }),
        "{plan}"
    );
    ws.apply_ok();
    let listing = fx.ec2(&[("Action", "DescribeVpcEndpoints")]);
    let api = listing
        .items("vpcEndpointSet")
        .find(|e| e.text("serviceName").ends_with(".sagemaker.api"))
        .expect("the api endpoint exists");
    assert_eq!(
        api.text("privateDnsEnabled"),
        "false",
        "private DNS off, as the unknown said"
    );
    let state = ws.output_json();
    assert_eq!(state["config"]["value"]["name"], "late-named");
    ws.plan_no_changes();
}

#[test]
fn a_model_plan_refuses_environments_tags_and_images_aws_would_refuse() {
    let fx = fixture();
    let configure = |body: &str| {
        main_tf(&format!(
            r#"
resource "sagemaker_model" "this" {{
  name               = "churn"
  execution_role_arn = "{role}"
{body}
}}
"#,
            role = support::sagemaker::ROLE
        ))
    };
    let container = |image: &str, extra: &str| {
        format!("  primary_container {{\n    image          = \"{image}\"\n{extra}\n  }}")
    };
    let entries: Vec<String> = (0..101).map(|i| format!("K{i} = \"v\"")).collect();
    let environment = format!("    environment = {{ {} }}", entries.join(", "));
    let foreign_image = IMAGE.replace("us-east-1", "eu-west-1");
    each_plan_fails(
        &fx,
        "sagemaker_model.this",
        configure,
        &[
            case(
                container(IMAGE, &environment),
                "Invalid value for primary_container.environment",
                "    environment = ",
                &["101 entries", "at most 100"],
            ),
            case(
                container(IMAGE, "    environment = { \"1ST\" = \"x\" }"),
                "Invalid value for primary_container.environment",
                "    environment = ",
                &["not a variable name"],
            ),
            case(
                container(&foreign_image, ""),
                "In another Region",
                "    image ",
                &["in eu-west-1"],
            ),
            case(
                format!("{}\n  tags = {{ Team = \"a,b\" }}", container(IMAGE, "")),
                "Invalid tag in tags",
                "  tags = ",
                &["SageMaker does not take"],
            ),
        ],
    );
}
