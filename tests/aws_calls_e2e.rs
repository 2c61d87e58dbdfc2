//! The AWS calls of each phase — `terraform plan -out`, `terraform apply`
//! of that plan, a plan after it (the refresh), `terraform destroy` — of
//! every composite, pinned per API: real terraform, real moto, the calls
//! counted from the provider's `AWS call` debug lines. A check that starts
//! running twice, a refresh that starts reading per endpoint, or a wait that
//! polls per endpoint fails here. Speed itself is measured in `bench/`,
//! never timed here.

mod support;

use std::collections::BTreeMap;
use support::ec2_fixture::{fixture, Fixture};
use support::sagemaker::{main_tf, model_block, model_config_resource, IMAGE};
use support::terraform::Workspace;

/// Calls per AWS operation.
type Counts = BTreeMap<String, usize>;

/// The calls of one phase of `ws`, per operation.
fn counted(ws: &mut Workspace, args: &[&str]) -> Counts {
    let mut counts = Counts::new();
    for operation in ws.aws_calls_of(args) {
        *counts.entry(operation).or_default() += 1;
    }
    counts
}

/// The calls of plan (saved), apply (of that plan), plan after apply (the
/// refresh), destroy.
fn phases(fx: &Fixture, main_tf: &str) -> [Counts; 4] {
    let mut ws = fx.workspace(main_tf);
    let plan = counted(&mut ws, &["plan", "-input=false", "-out=tfplan"]);
    let apply = counted(&mut ws, &["apply", "-input=false", "tfplan"]);
    let refresh = counted(&mut ws, &["plan", "-input=false", "-detailed-exitcode"]);
    let destroy = counted(&mut ws, &["destroy", "-input=false", "-auto-approve"]);
    [plan, apply, refresh, destroy]
}

/// `pairs` as [`Counts`].
fn counts(pairs: &[(&str, usize)]) -> Counts {
    pairs.iter().map(|(op, n)| ((*op).to_owned(), *n)).collect()
}

/// Asserts each phase made exactly the calls expected, naming the phase.
fn assert_phases(label: &str, got: &[Counts; 4], want: [Counts; 4]) {
    for ((phase, got), want) in ["plan", "apply", "refresh", "destroy"]
        .iter()
        .zip(got)
        .zip(want)
    {
        assert_eq!(
            got, &want,
            "{label}: the AWS calls of {phase} changed (calls per operation, got vs expected)"
        );
    }
}

/// `sagemaker_private_network` with `services` on subnets `b` and `c`;
/// `vpc_id` is the HCL expression `vpc` (`extra` declares what it names).
fn private_network(fx: &Fixture, services: &str, vpc: &str, extra: &str) -> String {
    main_tf(&format!(
        r#"
{extra}
resource "sagemaker_private_network" "this" {{
  vpc_id     = {vpc}
  subnet_ids = ["{b}", "{c}"]
  services   = ["{services}"]
}}
"#,
        b = fx.subnet_b,
        c = fx.subnet_c,
    ))
}

/// The plan-time checks of a private network create, in one plan: the VPC
/// and both DNS attributes, the subnets, the VPC's endpoints (conflicts,
/// unfinished creates), the Region's services and S3 prefix list, the VPC's
/// route tables (one listing: the subnets' tables with their routes), the
/// group an unfinished create left, and the account id (default policies).
const NETWORK_CHECKS: [(&str, usize); 9] = [
    ("DescribePrefixLists", 1),
    ("DescribeRouteTables", 1),
    ("DescribeSecurityGroups", 1),
    ("DescribeSubnets", 1),
    ("DescribeVpcAttribute", 2),
    ("DescribeVpcEndpointServices", 1),
    ("DescribeVpcEndpoints", 1),
    ("DescribeVpcs", 1),
    ("GetCallerIdentity", 1),
];

/// The apply of a private network create with `endpoints` endpoints, after
/// `checks` (the plan Terraform makes again in the apply's process):
/// re-checked are only the VPC's endpoints, the subnets and the group an
/// unfinished create left; then the group (made, default egress revoked,
/// ingress set), the endpoints, one listing that finds them available (and
/// stands for the read-back), the group read back, the marker removed.
fn network_apply(checks: &[(&str, usize)], endpoints: usize) -> Counts {
    let mut want = counts(checks);
    for (op, n) in [
        ("DescribeVpcEndpoints", 2),
        ("DescribeSubnets", 1),
        ("DescribeSecurityGroups", 2),
        ("CreateSecurityGroup", 1),
        ("RevokeSecurityGroupEgress", 1),
        ("AuthorizeSecurityGroupIngress", 1),
        ("CreateVpcEndpoint", endpoints),
        ("DeleteTags", 1),
    ] {
        *want.entry(op.to_owned()).or_default() += n;
    }
    want
}

/// A refresh: one group read, one endpoint listing, the account id.
const NETWORK_REFRESH: [(&str, usize); 3] = [
    ("DescribeSecurityGroups", 1),
    ("DescribeVpcEndpoints", 1),
    ("GetCallerIdentity", 1),
];

/// A destroy: the refresh, one listing of what to delete, one delete, one
/// listing that finds them deleted, the group deleted.
const NETWORK_DESTROY: [(&str, usize); 5] = [
    ("DeleteSecurityGroup", 1),
    ("DeleteVpcEndpoints", 1),
    ("DescribeSecurityGroups", 1),
    ("DescribeVpcEndpoints", 3),
    ("GetCallerIdentity", 1),
];

#[test]
fn private_network_calls_per_phase_are_pinned_and_a_refresh_does_not_grow_with_the_endpoints() {
    let runs = std::thread::scope(|scope| {
        let run = |services: &'static str| {
            scope.spawn(move || {
                let fx = fixture();
                let vpc = format!("\"{}\"", fx.vpc_id);
                phases(&fx, &private_network(&fx, services, &vpc, ""))
            })
        };
        let (hosting, training) = (run("hosting"), run("training"));
        [
            hosting.join().expect("hosting"),
            training.join().expect("training"),
        ]
    });
    let [hosting, training] = &runs;
    for (label, got, endpoints) in [("hosting", hosting, 3), ("training", training, 7)] {
        assert_phases(
            label,
            got,
            [
                counts(&NETWORK_CHECKS),
                network_apply(&NETWORK_CHECKS, endpoints),
                counts(&NETWORK_REFRESH),
                counts(&NETWORK_DESTROY),
            ],
        );
    }
    assert_eq!(
        hosting[2], training[2],
        "a refresh makes the same calls for 3 endpoints as for 7"
    );
}

#[test]
fn private_network_with_the_vpc_unknown_at_plan_runs_every_check_at_apply() {
    let fx = fixture();
    let extra = format!(
        "resource \"terraform_data\" \"vpc\" {{\n  input = \"{}\"\n}}",
        fx.vpc_id
    );
    let main_tf = private_network(&fx, "hosting", "terraform_data.vpc.output", &extra);
    let got = phases(&fx, &main_tf);
    // The plan cannot check: it reads only the Region's S3 prefix list
    // (known without the VPC). The apply's own plan then runs every check.
    assert_phases(
        "hosting, VPC unknown at plan",
        &got,
        [
            counts(&[("DescribePrefixLists", 1)]),
            network_apply(&NETWORK_CHECKS, 3),
            counts(&NETWORK_REFRESH),
            counts(&NETWORK_DESTROY),
        ],
    );
}

#[test]
fn vpc_model_config_calls_per_phase_are_pinned() {
    let fx = fixture();
    let body = model_block("calls-1", IMAGE, "");
    let got = phases(
        &fx,
        &main_tf(&model_config_resource([&fx.subnet_b, &fx.subnet_c], &body)),
    );
    // The plan's checks: the subnets, the Region's S3 prefix list, the
    // model name, the VPC and both DNS attributes, the VPC's route tables
    // (one listing) and endpoints, the group an unfinished create left,
    // and the account id (the S3 endpoint's default policy).
    let checks = [
        ("DescribeModel", 1),
        ("DescribePrefixLists", 1),
        ("DescribeRouteTables", 1),
        ("DescribeSecurityGroups", 1),
        ("DescribeSubnets", 1),
        ("DescribeVpcAttribute", 2),
        ("DescribeVpcEndpoints", 1),
        ("DescribeVpcs", 1),
        ("GetCallerIdentity", 1),
    ];
    // The apply after its own plan (13 calls, the minimal script's 7 ×
    // 1.86): the checks again but the VPC, the prefix list and the route
    // tables (their S3 routes come from the endpoints listed again); the
    // group, the S3 endpoint and one listing that finds it available, the
    // model, the markers removed (EC2, SageMaker), and the read-back of the
    // group (the endpoints from the wait's listing, the model as made).
    let mut apply = counts(&checks);
    for (op, n) in [
        ("DescribeSubnets", 1),
        ("DescribeModel", 1),
        ("DescribeVpcEndpoints", 1),
        ("DescribeSecurityGroups", 1),
        ("CreateSecurityGroup", 1),
        ("RevokeSecurityGroupEgress", 1),
        ("AuthorizeSecurityGroupEgress", 1),
        ("CreateVpcEndpoint", 1),
        ("DescribeVpcEndpoints", 1),
        ("CreateModel", 1),
        ("DeleteTags", 2),
        ("DescribeSecurityGroups", 1),
    ] {
        *apply.entry(op.to_owned()).or_default() += n;
    }
    let refresh = counts(&[
        ("DescribeModel", 1),
        ("DescribeSecurityGroups", 1),
        ("DescribeVpcEndpoints", 1),
        ("GetCallerIdentity", 1),
        ("ListTags", 1),
    ]);
    let destroy = counts(&[
        ("DeleteModel", 1),
        ("DeleteSecurityGroup", 1),
        ("DeleteVpcEndpoints", 1),
        ("DescribeModel", 1),
        ("DescribeSecurityGroups", 1),
        ("DescribeVpcEndpoints", 2),
        ("GetCallerIdentity", 1),
        ("ListTags", 1),
    ]);
    assert_phases(
        "vpc_model_config",
        &got,
        [counts(&checks), apply, refresh, destroy],
    );
}
