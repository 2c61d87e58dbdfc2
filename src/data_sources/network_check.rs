//! `sagemaker_network_check`: which SageMaker workloads work in a VPC with
//! no internet path, and for each that does not, the object at fault and
//! the fix — for `check` blocks and postconditions in CI. The check itself
//! is [`crate::network_check`], shared with the `check` command.

use crate::aws::ids::{check_security_group_id, check_subnet_id, check_vpc_id};
use crate::aws::Configured;
use crate::framework::typed::{from_value, to_value};
use crate::framework::validators::{Each, OneOf, StringCheck};
use crate::framework::{AttrPath, Attribute, Block, Context, DataSource, Diagnostics, Schema};
use crate::network_check::{self, CheckError, Inputs, Report, AWS_CALLS, WORKLOADS};
use crate::policy::{check_bucket_arn, check_endpoint_arn};
use crate::resources::common::lookup_error;
use crate::value::{Type, Value};
use async_trait::async_trait;
use serde::Serialize;

/// The data source.
pub struct NetworkCheck {
    /// The AWS access the provider configured.
    pub configured: Configured,
}

/// The state: the inputs as given, then the report (which carries `vpc_id`).
#[derive(Serialize)]
struct State<'a> {
    subnet_ids: &'a Option<Vec<String>>,
    security_group_ids: &'a Option<Vec<String>>,
    workloads: &'a Option<Vec<String>>,
    s3_bucket_arns: &'a Option<Vec<String>>,
    endpoint_arns: &'a Option<Vec<String>>,
    #[serde(flatten)]
    report: &'a Report,
}

fn strings() -> Type {
    Type::set(Type::String)
}

fn problem_type() -> Type {
    Type::object([
        ("check", Type::String),
        ("subject", Type::String),
        ("detail", Type::String),
        ("fix", Type::String),
    ])
}

fn result_type() -> Type {
    Type::object([
        ("private", Type::Bool),
        ("path", Type::String),
        ("problems", Type::list(problem_type())),
    ])
}

fn endpoint_type() -> Type {
    Type::object([
        ("id", Type::String),
        ("service_name", Type::String),
        ("type", Type::String),
        ("state", Type::String),
        ("private_dns", Type::Bool),
        ("availability_zones", Type::list(Type::String)),
        ("url", Type::String),
    ])
}

fn internet_route_type() -> Type {
    Type::object([
        ("route_table_id", Type::String),
        ("destination", Type::String),
        ("target", Type::String),
        ("subnet_ids", Type::list(Type::String)),
    ])
}

#[async_trait]
impl DataSource for NetworkCheck {
    fn type_name(&self) -> &'static str {
        "sagemaker_network_check"
    }

    fn schema(&self) -> Schema {
        let check =
            |rule: &'static str, check: fn(&str) -> Result<(), String>| StringCheck { rule, check };
        Schema::new(
            Block::new(format!(
                "Which SageMaker workloads work in a VPC with **no internet path**, by which path their \
                 traffic goes, and for each problem the object at fault and the fix — for `check` blocks and \
                 postconditions that fail `terraform plan` in CI. The same report, without Terraform: \
                 `terraform-provider-sagemaker check --vpc-id VPC_ID` (see the README).\n\n\
                 Per workload (`api`, `runtime` (InvokeEndpoint), `featurestore`, `training`, `hosting`, \
                 `studio_vpc_only`, `studio_projects`) and per service it needs, from each subnet: the endpoint exists and is \
                 available; private DNS is on and the VPC has `enableDnsSupport` and `enableDnsHostnames` \
                 (else the `vpce` URL to use); the endpoint has a network interface in the subnet's \
                 Availability Zone; its groups admit TCP 443 from the workload; the workload's groups (when \
                 given) let TCP 443 out to it and to the S3 prefix list; the subnet's route table routes S3 \
                 to the gateway endpoint (else NAT: reachable, not private); the endpoint policies allow the \
                 workload's actions on its resources — Allow and Deny statements, wildcards and \
                 `aws:PrincipalAccount` conditions (the VPC owner's account) are decided, anything else \
                 that depends on the request is a problem that says it cannot tell, and why; `training` \
                 needs ECR (api, dkr) and the ECR image layers through the S3 gateway; `studio_vpc_only` \
                 needs what a `sagemaker_studio_domain` makes with its defaults (the SageMaker API and \
                 Runtime, Studio, S3, STS and Logs — no Service Catalog, which only SageMaker Projects use), \
                 private subnets (no route to an internet gateway) and default tenancy; `studio_projects` \
                 needs the same plus Service Catalog (a domain with `projects = true`). Presigned \
                 notebook and Studio URLs are always opened from the user's browser over the internet: \
                 no VPC setting changes that.\n\n\
                 **AWS calls:** {AWS_CALLS} per read, concurrently, whatever the number of subnets, groups and \
                 endpoints: DescribeVpcs, DescribeVpcAttribute (twice), DescribeSubnets, DescribeRouteTables, \
                 DescribeVpcEndpoints, DescribeSecurityGroups and DescribePrefixLists (a listing takes more \
                 pages only beyond 1,000 objects)."
            ))
            .attribute(
                Attribute::required("vpc_id", Type::String)
                    .description("The VPC to check.")
                    .validator(check("must be a VPC id (`vpc-…`)", check_vpc_id)),
            )
            .attribute(
                Attribute::optional("subnet_ids", strings())
                    .description("Where the workloads run. Default: every subnet of the VPC.")
                    .validator(Each(check("must be a subnet id (`subnet-…`)", check_subnet_id))),
            )
            .attribute(
                Attribute::optional("security_group_ids", strings())
                    .description(
                        "The workloads' security groups. With them, their egress is checked and endpoint \
                         groups may admit them by reference; without, endpoints must admit the subnets' blocks.",
                    )
                    .validator(Each(check(
                        "must be a security group id (`sg-…`)",
                        check_security_group_id,
                    ))),
            )
            .attribute(
                Attribute::optional("workloads", strings())
                    .description("The workloads to check. Default: all of them.")
                    .validator(Each(OneOf(WORKLOADS))),
            )
            .attribute(
                Attribute::optional("s3_bucket_arns", strings())
                    .description(
                        "Buckets the workloads read (model artefacts, data), to check the S3 gateway policy \
                         against. Without them, a policy limited to some buckets cannot be decided.",
                    )
                    .validator(Each(check("must be an S3 bucket ARN", check_bucket_arn))),
            )
            .attribute(
                Attribute::optional("endpoint_arns", strings())
                    .description(
                        "SageMaker endpoints the workloads invoke, to check the runtime endpoint policy against.",
                    )
                    .validator(Each(check("must be a SageMaker endpoint ARN", check_endpoint_arn))),
            )
            .attribute(Attribute::computed("region", Type::String).description("The Region checked."))
            .attribute(Attribute::computed("private", Type::Bool).description(
                "True when every checked workload works with no internet path (no problem at all).",
            ))
            .attribute(
                Attribute::computed("results", Type::map(result_type())).description(
                    "Workload name → `private`, `path` (`endpoint`, `nat` (reachable through a NAT gateway, \
                     not private), `internet` or `none` (unreachable): the worst path its traffic takes) and \
                     `problems`, each `{check, subject, detail, fix}`: the check that failed, the object at \
                     fault (an id, or the service short name of a missing endpoint), what is wrong, and what \
                     to change.",
                ),
            )
            .attribute(
                Attribute::computed("endpoints", Type::map(endpoint_type())).description(
                    "Service short name → the endpoint serving it in the VPC: `id`, `service_name`, `type`, \
                     `state`, `private_dns`, `availability_zones` covered, and `url` \
                     (`https://VPCE_ID.api.sagemaker.REGION.vpce.amazonaws.com`, for clients without private \
                     DNS; null for gateways).",
                ),
            )
            .attribute(
                Attribute::computed("internet_routes", Type::list(internet_route_type())).description(
                    "Routes of the checked subnets' route tables to an internet gateway, NAT gateway or \
                     egress-only internet gateway: `route_table_id`, `destination`, `target`, `subnet_ids`.",
                ),
            ),
        )
    }

    async fn read(
        &self,
        _ctx: &Context,
        config: Value,
    ) -> Result<(Value, Diagnostics), Diagnostics> {
        let inputs: Inputs = from_value(&config)?;
        let aws = crate::aws::configured(&self.configured)?;
        let clients = aws.clients().await?;
        let report = network_check::run(clients, &inputs)
            .await
            .map_err(|e| match e {
                CheckError::Read(e) => lookup_error(
                    e,
                    "vpc_id",
                    "Check vpc_id and the provider's Region and account.",
                    "EC2",
                ),
                CheckError::Input(problem) => Diagnostics::from_attribute_error(
                    AttrPath::root(problem.attribute),
                    "Not in the VPC",
                    problem.detail,
                ),
            })?;
        let state = State {
            subnet_ids: &inputs.subnet_ids,
            security_group_ids: &inputs.security_group_ids,
            workloads: &inputs.workloads,
            s3_bucket_arns: &inputs.s3_bucket_arns,
            endpoint_arns: &inputs.endpoint_arns,
            report: &report,
        };
        Ok((
            to_value(&state, &self.schema().value_type())?,
            Diagnostics::new(),
        ))
    }
}
