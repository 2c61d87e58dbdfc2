//! The report: for each workload, whether it works with no internet path,
//! by which path its traffic goes, and every problem with the object at
//! fault and the fix. A pure function of a [`Snapshot`] and the [`Inputs`].
//!
//! A workload needs the services of the catalog (`api` → `sagemaker_api`,
//! `runtime` → `sagemaker_runtime`, `featurestore` → `featurestore_runtime`;
//! `hosting` and `training` → the presets of the same name;
//! `studio_vpc_only` → what a `sagemaker_studio_domain` in `VpcOnly` mode
//! needs with its defaults: API, Runtime, Studio, S3, STS and Logs, but not
//! Service Catalog, which only SageMaker Projects use; `studio_projects` →
//! the same plus Service Catalog, as with `projects = true`). For each, from
//! each of the workload's subnets:
//! - interface services: an endpoint exists and is available; private DNS
//!   is on and the VPC resolves it (`enableDnsSupport`,
//!   `enableDnsHostnames`); it has a network interface in the subnet's
//!   Availability Zone; its groups admit TCP 443 from the workload; the
//!   workload's groups (when given) let TCP 443 out to it; its policy
//!   allows the workload's actions on the workload's resources;
//! - S3: a gateway endpoint routed from the subnet's route table; the
//!   workload's groups let TCP 443 out to the S3 prefix list; the gateway
//!   policy allows reading the workload's buckets (and, for `training`, the
//!   ECR image layers);
//! - `studio_vpc_only` and `studio_projects` also: private subnets (no
//!   route to an internet gateway) and a VPC of `default` tenancy.

use super::gather::Snapshot;
use crate::aws::ec2::find::{
    admits_tcp, route_tables_by_subnet, RouteTable, Rule, SecurityGroup, Subnet, VpcEndpoint,
};
use crate::aws::ids::{cidr_contains, covers_every_address};
use crate::catalog::{self, EndpointKind, ServiceSpec};
use crate::policy::{self, Decision, Request};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The workloads, in the order reports list them.
pub const WORKLOADS: &[&str] = &[
    "api",
    "runtime",
    "featurestore",
    "training",
    "hosting",
    "studio_vpc_only",
    "studio_projects",
];

/// What to check.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Inputs {
    /// The VPC to check.
    pub vpc_id: String,
    /// Where the workload runs (default: every subnet of the VPC).
    pub subnet_ids: Option<Vec<String>>,
    /// The workload's security groups (default: not known, so the groups'
    /// egress is not checked and ingress only from the subnets' blocks).
    pub security_group_ids: Option<Vec<String>>,
    /// Which workloads (default: all of [`WORKLOADS`]).
    pub workloads: Option<Vec<String>>,
    /// Buckets the workload reads, to check the S3 gateway policy against.
    pub s3_bucket_arns: Option<Vec<String>>,
    /// SageMaker endpoints the workload invokes, to check the runtime
    /// endpoint policy against.
    pub endpoint_arns: Option<Vec<String>>,
}

/// An input that does not fit the VPC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputProblem {
    /// The input at fault (`subnet_ids`, `security_group_ids`, …).
    pub attribute: &'static str,
    /// What is wrong and what to do.
    pub detail: String,
}

/// The whole answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The VPC checked.
    pub vpc_id: String,
    /// Its Region.
    pub region: String,
    /// True when every selected workload is private.
    pub private: bool,
    /// Workload name → verdict.
    pub results: BTreeMap<String, WorkloadReport>,
    /// Service short name → the endpoint that serves it in the VPC.
    pub endpoints: BTreeMap<String, EndpointReport>,
    /// Routes of the checked subnets' tables that lead to the internet.
    pub internet_routes: Vec<InternetRoute>,
}

/// The verdict on one workload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WorkloadReport {
    /// Works with no internet path: no problem at all.
    pub private: bool,
    /// The worst path its traffic takes: `endpoint`, `nat`, `internet` or
    /// `none` (unreachable).
    pub path: String,
    /// Everything that keeps it from working privately; empty when private.
    pub problems: Vec<Problem>,
}

/// One thing that keeps a workload from working privately.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Problem {
    /// Which check failed (`endpoint`, `private_dns`, `vpc_dns`,
    /// `endpoint_az`, `endpoint_ingress`, `workload_egress`,
    /// `endpoint_policy`, `s3_route`, `public_subnet`, `vpc_tenancy`,
    /// `endpoint_state`).
    pub check: String,
    /// The object at fault: an id (`vpce-…`, `rtb-…`, `sg-…`, `vpc-…`,
    /// `subnet-…`) or, for a missing endpoint, the service short name.
    pub subject: String,
    /// What is wrong.
    pub detail: String,
    /// What to change.
    pub fix: String,
}

/// An endpoint found in the VPC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EndpointReport {
    /// `vpce-…`.
    pub id: String,
    /// The full endpoint service name.
    pub service_name: String,
    /// `Interface` or `Gateway`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Lowercase, e.g. `available`.
    pub state: String,
    /// Whether private DNS is on (false for gateways).
    pub private_dns: bool,
    /// Availability Zones with a network interface of the endpoint, sorted.
    pub availability_zones: Vec<String>,
    /// `https://VPCE_ID.….vpce.amazonaws.com`, for clients without private
    /// DNS; `None` for gateways and services without that form.
    pub url: Option<String>,
}

/// A route to the internet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InternetRoute {
    /// The route table holding the route.
    pub route_table_id: String,
    /// A CIDR block (`0.0.0.0/0`, `::/0`, …).
    pub destination: String,
    /// `igw-…`, `nat-…` or `eigw-…`.
    pub target: String,
    /// The checked subnets that use the table.
    pub subnet_ids: Vec<String>,
}

/// The path traffic takes, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Path {
    Endpoint,
    Nat,
    Internet,
    None,
}

impl Path {
    fn as_str(self) -> &'static str {
        match self {
            Path::Endpoint => "endpoint",
            Path::Nat => "nat",
            Path::Internet => "internet",
            Path::None => "none",
        }
    }
}

/// Whether `workload` is Studio in `VpcOnly` mode.
fn is_studio(workload: &str) -> bool {
    matches!(workload, "studio_vpc_only" | "studio_projects")
}

/// The catalog services `workload` needs. The Studio workloads take the
/// services `sagemaker_studio_domain` makes ([`catalog::studio_services`]),
/// not the `studio_vpc_only` preset, which adds Service Catalog for
/// Projects.
pub fn services_of(workload: &str) -> Vec<&'static ServiceSpec> {
    let names: &[&str] = match workload {
        "api" => &["sagemaker_api"],
        "runtime" => &["sagemaker_runtime"],
        "featurestore" => &["featurestore_runtime"],
        "studio_vpc_only" => return catalog::studio_services(true, false),
        "studio_projects" => return catalog::studio_services(true, true),
        preset => &[preset][..],
    };
    catalog::expand(names.iter().copied()).unwrap_or_default()
}

/// The actions `workload` sends through the endpoint of `spec`, checked
/// against its policy: the calls SageMaker's documentation names for that
/// work (none for `studio`, whose endpoint carries the Studio UI).
fn actions(workload: &str, spec: &ServiceSpec) -> &'static [&'static str] {
    match (spec.short_name, workload) {
        ("sagemaker_api", "api") => &["sagemaker:ListModels"],
        ("sagemaker_api", "hosting") => &["sagemaker:CreateModel", "sagemaker:CreateEndpoint"],
        ("sagemaker_api", "training") => &["sagemaker:CreateTrainingJob"],
        ("sagemaker_api", _) => &["sagemaker:CreatePresignedDomainUrl"],
        ("sagemaker_runtime", _) => &["sagemaker:InvokeEndpoint"],
        ("featurestore_runtime", _) => &["sagemaker:GetRecord", "sagemaker:PutRecord"],
        ("sts", _) => &["sts:GetCallerIdentity"],
        ("logs", _) => &["logs:CreateLogStream", "logs:PutLogEvents"],
        ("ecr_api", _) => &["ecr:GetAuthorizationToken"],
        ("ecr_dkr", _) => &["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        ("servicecatalog", _) => &["servicecatalog:SearchProducts"],
        ("s3", _) => &["s3:GetObject"],
        _ => &[],
    }
}

/// Checks `snapshot` for `inputs`.
pub fn check(snapshot: &Snapshot, inputs: &Inputs) -> Result<Report, InputProblem> {
    let ctx = Context::new(snapshot, inputs)?;
    let selected: Vec<&str> = match &inputs.workloads {
        Some(names) => WORKLOADS
            .iter()
            .copied()
            .filter(|w| names.iter().any(|n| n == w))
            .collect(),
        None => WORKLOADS.to_vec(),
    };
    let results: BTreeMap<String, WorkloadReport> = selected
        .iter()
        .map(|w| ((*w).to_owned(), ctx.workload(w)))
        .collect();
    Ok(Report {
        vpc_id: snapshot.vpc.id.clone(),
        region: snapshot.region.clone(),
        private: results.values().all(|r| r.private),
        results,
        endpoints: ctx.endpoints(),
        internet_routes: ctx.internet_routes(),
    })
}

/// What every check needs, resolved once.
struct Context<'a> {
    snap: &'a Snapshot,
    inputs: &'a Inputs,
    /// The workload's subnets.
    subnets: Vec<&'a Subnet>,
    /// Subnet id → its route table.
    table_of: BTreeMap<&'a str, &'a RouteTable>,
    /// The workload's groups; empty when not given.
    groups: Vec<&'a SecurityGroup>,
}

impl<'a> Context<'a> {
    fn new(snap: &'a Snapshot, inputs: &'a Inputs) -> Result<Self, InputProblem> {
        let vpc = &snap.vpc.id;
        let subnets = match &inputs.subnet_ids {
            Some(ids) => chosen(&snap.subnets, ids, |s| &s.id).map_err(|missing| InputProblem {
                attribute: "subnet_ids",
                detail: format!(
                    "{missing} not a subnet of {vpc}: list subnets of {vpc}, or leave subnet_ids out to \
                     check all of them."
                ),
            })?,
            None => snap.subnets.iter().collect(),
        };
        if subnets.is_empty() {
            return Err(InputProblem {
                attribute: "vpc_id",
                detail: format!(
                    "{vpc} has no subnets, so no workload can run in it: create subnets first."
                ),
            });
        }
        let groups = match &inputs.security_group_ids {
            Some(ids) => chosen(&snap.groups, ids, |g| &g.id).map_err(|missing| InputProblem {
                attribute: "security_group_ids",
                detail: format!(
                    "{missing} not a security group of {vpc}: a workload in {vpc} can only use its groups."
                ),
            })?,
            None => Vec::new(),
        };
        let ids: Vec<String> = subnets.iter().map(|s| s.id.clone()).collect();
        let by_subnet =
            route_tables_by_subnet(vpc, &snap.route_tables, &ids).map_err(|e| InputProblem {
                attribute: "vpc_id",
                detail: format!("{e}: every VPC has a main route table; check the VPC id."),
            })?;
        let table_of = subnets
            .iter()
            .filter_map(|s| {
                let table_id = by_subnet.get(&s.id)?;
                let table = snap.route_tables.iter().find(|t| &t.id == table_id)?;
                Some((s.id.as_str(), table))
            })
            .collect();
        Ok(Context {
            snap,
            inputs,
            subnets,
            table_of,
            groups,
        })
    }

    fn region(&self) -> &str {
        &self.snap.region
    }

    fn workload(&self, workload: &str) -> WorkloadReport {
        let mut problems = Vec::new();
        let mut path = Path::Endpoint;
        for spec in services_of(workload) {
            let found = match spec.kind {
                EndpointKind::Interface => self.interface_service(workload, spec),
                EndpointKind::Gateway => self.s3(workload, spec),
            };
            path = path.max(found.1);
            problems.extend(found.0);
        }
        if is_studio(workload) {
            problems.extend(self.studio_problems());
        }
        let mut unique = BTreeSet::new();
        problems.retain(|p: &Problem| unique.insert(p.clone()));
        WorkloadReport {
            private: problems.is_empty(),
            path: path.as_str().to_owned(),
            problems,
        }
    }

    /// The best endpoint of `spec` in the VPC: available ones with private
    /// DNS first.
    fn endpoint_of(&self, spec: &ServiceSpec) -> Option<&'a VpcEndpoint> {
        let name = spec.service_name(self.region());
        self.snap
            .endpoints
            .iter()
            .filter(|e| e.service_name == name && e.endpoint_type == spec.kind.as_str())
            .min_by_key(|e| (e.state != "available", !e.private_dns_enabled, e.id.clone()))
    }

    /// Where traffic goes from `subnets` when no endpoint takes it: the
    /// worst path and the sentence that says so.
    fn fallback(&self, subnets: &[&Subnet]) -> (Path, String) {
        let mut worst = (Path::Endpoint, String::new());
        for subnet in subnets {
            let found = match self.table_of.get(subnet.id.as_str()) {
                Some(table) => default_route(table),
                None => (Path::None, String::new()),
            };
            let found = match found {
                (Path::Nat, target) => (
                    Path::Nat,
                    format!("its traffic leaves through NAT gateway {target} instead (reachable, not private)"),
                ),
                (Path::Internet, target) => (
                    Path::Internet,
                    format!(
                        "its traffic would go out through internet gateway {target} instead, which needs a \
                         public address (not private)"
                    ),
                ),
                _ => (
                    Path::None,
                    "no NAT or internet route leads elsewhere either, so it is unreachable".to_owned(),
                ),
            };
            if found.0 > worst.0 {
                worst = found;
            }
        }
        worst
    }

    fn interface_service(&self, workload: &str, spec: &ServiceSpec) -> (Vec<Problem>, Path) {
        let region = self.region();
        let vpc = &self.snap.vpc;
        let name = spec.service_name(region);
        let host = default_host(spec, region);
        let Some(endpoint) = self.endpoint_of(spec) else {
            let (path, via) = self.fallback(&self.subnets);
            let domain = match spec.short_name {
                "servicecatalog" if is_studio(workload) => {
                    "set projects = true on the sagemaker_studio_domain, or "
                }
                "sts" | "logs" if is_studio(workload) => {
                    "set sdk_training = true on the sagemaker_studio_domain, or "
                }
                _ => "",
            };
            let problem = Problem {
                check: "endpoint".into(),
                subject: spec.short_name.into(),
                detail: format!("{} has no interface endpoint for {name}: {via}.", vpc.id),
                fix: format!(
                    "Create it: {domain}add \"{}\" to services of a sagemaker_private_network in {} (or \
                     create an Interface endpoint for {name} with private DNS on).",
                    spec.short_name, vpc.id
                ),
            };
            return (vec![problem], path);
        };
        let id = &endpoint.id;
        let url_hint = spec
            .vpce_url(id, region)
            .map(|url| format!(", or point clients at {url} (the SDKs' endpoint_url, the CLI's --endpoint-url)"))
            .unwrap_or_default();
        if endpoint.state != "available" {
            let reason = endpoint
                .failure_reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            let problem = Problem {
                check: "endpoint_state".into(),
                subject: id.clone(),
                detail: format!(
                    "The {} endpoint {id} is {}{reason}.",
                    spec.short_name, endpoint.state
                ),
                fix: format!("Wait until {id} is available, or delete and create it again."),
            };
            return (vec![problem], Path::None);
        }
        let mut problems = Vec::new();
        let mut path = Path::Endpoint;
        if !endpoint.private_dns_enabled {
            let (fallback, via) = self.fallback(&self.subnets);
            path = path.max(fallback);
            problems.push(Problem {
                check: "private_dns".into(),
                subject: id.clone(),
                detail: format!(
                    "Private DNS is off on {id} ({name}), so {host} resolves to the public service: {via}."
                ),
                fix: format!("Turn private DNS on for {id} (private_dns_enabled = true){url_hint}."),
            });
        } else if !vpc.dns_support || !vpc.dns_hostnames {
            let (fallback, via) = self.fallback(&self.subnets);
            path = path.max(fallback);
            let off: Vec<&str> = [
                (!vpc.dns_support).then_some("enableDnsSupport"),
                (!vpc.dns_hostnames).then_some("enableDnsHostnames"),
            ]
            .into_iter()
            .flatten()
            .collect();
            problems.push(Problem {
                check: "vpc_dns".into(),
                subject: vpc.id.clone(),
                detail: format!(
                    "{} of {} is off, so the endpoints' private DNS names do not resolve in the VPC and the \
                     services' default hostnames reach the public services: {via}.",
                    off.join(" and "),
                    vpc.id
                ),
                fix: format!(
                    "Turn on {} of {} (enable_dns_support and enable_dns_hostnames on aws_vpc), or point \
                     clients at the endpoints' vpce URLs.",
                    off.join(" and "),
                    vpc.id
                ),
            });
        }
        let covered = self.zones_of(endpoint);
        let mut uncovered: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for subnet in &self.subnets {
            if !covered.contains(&subnet.availability_zone) {
                uncovered
                    .entry(subnet.availability_zone.as_str())
                    .or_default()
                    .push(subnet.id.as_str());
            }
        }
        if !uncovered.is_empty() {
            path = Path::None;
            let listed: Vec<String> = uncovered
                .iter()
                .map(|(zone, subnets)| format!("{zone} ({})", subnets.join(", ")))
                .collect();
            let zones: Vec<&str> = uncovered.keys().copied().collect();
            problems.push(Problem {
                check: "endpoint_az".into(),
                subject: id.clone(),
                detail: format!(
                    "{id} ({}) has no network interface in {}: from there {host} does not resolve to it \
                     (SageMaker documents that runtime private DNS fails from a zone without the endpoint).",
                    spec.short_name,
                    listed.join(", ")
                ),
                fix: format!(
                    "Add a subnet in {} to {id} (subnet_ids of the sagemaker_private_network), or run the \
                     workload only in {}.",
                    zones.join(" and "),
                    sorted_join(&covered)
                ),
            });
        }
        if let Some(problem) = self.ingress_problem(endpoint, spec) {
            path = Path::None;
            problems.push(problem);
        }
        if let Some(problem) = self.egress_to_endpoint_problem(endpoint, spec) {
            path = Path::None;
            problems.push(problem);
        }
        let resources = match spec.short_name {
            "sagemaker_runtime" => given(&self.inputs.endpoint_arns, |arn| arn.to_owned()),
            _ => vec![None],
        };
        problems.extend(self.policy_problems(workload, spec, endpoint, &resources));
        (problems, path)
    }

    /// The Availability Zones of `endpoint`'s subnets.
    fn zones_of(&self, endpoint: &VpcEndpoint) -> BTreeSet<String> {
        self.snap
            .subnets
            .iter()
            .filter(|s| endpoint.subnet_ids.contains(&s.id))
            .map(|s| s.availability_zone.clone())
            .collect()
    }

    fn ingress_problem(&self, endpoint: &VpcEndpoint, spec: &ServiceSpec) -> Option<Problem> {
        let id = &endpoint.id;
        let groups: Vec<&SecurityGroup> = self
            .snap
            .groups
            .iter()
            .filter(|g| endpoint.security_group_ids.contains(&g.id))
            .collect();
        let workload_groups: Vec<&str> = self.groups.iter().map(|g| g.id.as_str()).collect();
        let subnet_blocks: Vec<&str> = self.subnets.iter().map(|s| s.cidr_block.as_str()).collect();
        if admits_tcp(&groups, 443, &workload_groups, &subnet_blocks) {
            return None;
        }
        let group_ids: Vec<&str> = groups.iter().map(|g| g.id.as_str()).collect();
        let subject = if group_ids.is_empty() {
            id.clone()
        } else {
            group_ids.join(", ")
        };
        let from_groups: BTreeSet<&str> = groups
            .iter()
            .flat_map(|g| &g.ingress)
            .filter(|r| r.allows_tcp_port(443))
            .flat_map(|r| &r.source_group_ids)
            .map(String::as_str)
            .collect();
        if workload_groups.is_empty() && !from_groups.is_empty() {
            return Some(Problem {
                check: "endpoint_ingress".into(),
                subject,
                detail: format!(
                    "Cannot tell whether {id} ({}) admits the workload: its groups admit TCP 443 only from \
                     security groups {} and from no block holding every workload subnet, and the workload's \
                     groups were not given.",
                    spec.short_name,
                    sorted_join(&from_groups)
                ),
                fix: "Give the workload's security_group_ids (--security-group-ids) to decide.".into(),
            });
        }
        let source = if workload_groups.is_empty() {
            format!("the subnets' blocks ({})", subnet_blocks.join(", "))
        } else {
            format!(
                "{} or the subnets' blocks ({})",
                workload_groups.join(", "),
                subnet_blocks.join(", ")
            )
        };
        let add = if workload_groups.is_empty() {
            format!("allowed_cidr_blocks: {}", subnet_blocks.join(", "))
        } else {
            format!("allowed_security_group_ids: {}", workload_groups.join(", "))
        };
        Some(Problem {
            check: "endpoint_ingress".into(),
            subject: subject.clone(),
            detail: format!(
                "The security groups of {id} ({}) do not admit TCP 443 from {source}, so connections to \
                 it time out.",
                spec.short_name
            ),
            fix: format!(
                "Allow TCP 443 in on {subject} from the workload (in sagemaker_private_network, {add})."
            ),
        })
    }

    /// The workload's groups let TCP 443 out to `endpoint` (to its groups,
    /// or to blocks holding its subnets); `None` when they do or were not
    /// given.
    fn egress_to_endpoint_problem(
        &self,
        endpoint: &VpcEndpoint,
        spec: &ServiceSpec,
    ) -> Option<Problem> {
        let rules = self.https_egress()?;
        let endpoint_blocks: Vec<&str> = self
            .snap
            .subnets
            .iter()
            .filter(|s| endpoint.subnet_ids.contains(&s.id))
            .map(|s| s.cidr_block.as_str())
            .collect();
        let to_group = rules.iter().any(|r| {
            r.source_group_ids
                .iter()
                .any(|g| endpoint.security_group_ids.contains(g))
        });
        let to_blocks = endpoint_blocks.iter().all(|block| {
            rules
                .iter()
                .any(|r| r.cidr_ipv4.iter().any(|c| cidr_contains(c, block)))
        });
        if to_group || to_blocks {
            return None;
        }
        let groups = self.group_list();
        Some(Problem {
            check: "workload_egress".into(),
            subject: groups.clone(),
            detail: format!(
                "The workload's security groups ({groups}) let no TCP 443 out to {} ({}): neither to its \
                 groups ({}) nor to its subnets ({}).",
                endpoint.id,
                spec.short_name,
                endpoint.security_group_ids.join(", "),
                endpoint_blocks.join(", ")
            ),
            fix: format!(
                "Add an egress rule for TCP 443 to the VPC's blocks ({}) on one of {groups}.",
                self.snap.vpc.cidr_blocks.join(", ")
            ),
        })
    }

    /// The egress rules of the workload's groups that let TCP 443 out;
    /// `None` when the groups were not given.
    fn https_egress(&self) -> Option<Vec<&'a Rule>> {
        if self.groups.is_empty() {
            return None;
        }
        Some(
            self.groups
                .iter()
                .flat_map(|g| &g.egress)
                .filter(|r| r.allows_tcp_port(443))
                .collect(),
        )
    }

    fn group_list(&self) -> String {
        self.groups
            .iter()
            .map(|g| g.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn s3(&self, workload: &str, spec: &ServiceSpec) -> (Vec<Problem>, Path) {
        let vpc = &self.snap.vpc.id;
        let name = spec.service_name(self.region());
        let gateways: Vec<&VpcEndpoint> = self
            .snap
            .endpoints
            .iter()
            .filter(|e| e.service_name == name && e.endpoint_type == "Gateway")
            .collect();
        if gateways.is_empty() {
            let (path, via) = self.fallback(&self.subnets);
            let problem = Problem {
                check: "endpoint".into(),
                subject: spec.short_name.into(),
                detail: format!("{vpc} has no S3 gateway endpoint ({name}), so model artefacts and data in S3 are not reached privately: {via}."),
                fix: format!(
                    "Create it: add \"s3\" to services of a sagemaker_private_network in {vpc} (or a \
                     sagemaker_vpc_model_config, which adds one), routed from the subnets' route tables."
                ),
            };
            return (vec![problem], path);
        }
        let mut problems = Vec::new();
        let mut path = Path::Endpoint;
        let mut policies: Vec<&VpcEndpoint> = Vec::new();
        let mut by_table: BTreeMap<&str, Vec<&Subnet>> = BTreeMap::new();
        for subnet in &self.subnets {
            if let Some(table) = self.table_of.get(subnet.id.as_str()) {
                by_table.entry(table.id.as_str()).or_default().push(subnet);
            }
        }
        for (table_id, subnets) in &by_table {
            let table = self.table_of[subnets[0].id.as_str()];
            let routed: Vec<&VpcEndpoint> = gateways
                .iter()
                .copied()
                .filter(|g| self.routes_to(table, g))
                .collect();
            if let Some(first) = routed.first() {
                if !policies.iter().any(|p| p.id == first.id) {
                    policies.push(first);
                }
                continue;
            }
            let (fallback, via) = self.fallback(subnets);
            path = path.max(fallback);
            let ids: Vec<&str> = subnets.iter().map(|s| s.id.as_str()).collect();
            let gateway_ids: Vec<&str> = gateways.iter().map(|g| g.id.as_str()).collect();
            problems.push(Problem {
                check: "s3_route".into(),
                subject: (*table_id).to_owned(),
                detail: format!(
                    "{} {} route table {table_id}, which has no route from the S3 prefix list{} to the \
                     gateway endpoint {}: {via}.",
                    ids.join(", "),
                    if ids.len() == 1 { "uses" } else { "use" },
                    self.snap
                        .s3_prefix_list_id
                        .as_deref()
                        .map(|pl| format!(" ({pl})"))
                        .unwrap_or_default(),
                    gateway_ids.join(", ")
                ),
                fix: format!(
                    "Route {table_id} to {}: add it to the endpoint's route tables (s3_route_table_ids of the \
                     sagemaker_private_network).",
                    gateway_ids[0]
                ),
            });
        }
        if let Some(problem) = self.egress_to_s3_problem() {
            path = Path::None;
            problems.push(problem);
        }
        let mut objects = given(&self.inputs.s3_bucket_arns, |bucket| format!("{bucket}/*"));
        if workload == "training" {
            objects.push(Some(policy::ecr_layer_bucket_arn(self.region())));
        }
        for gateway in policies {
            problems.extend(self.policy_problems(workload, spec, gateway, &objects));
        }
        (problems, path)
    }

    /// True when `table` routes the S3 prefix list to `gateway` (or, when
    /// the Region's prefix list is not known, the gateway lists the table).
    fn routes_to(&self, table: &RouteTable, gateway: &VpcEndpoint) -> bool {
        match &self.snap.s3_prefix_list_id {
            Some(pl) => table
                .routes
                .iter()
                .any(|r| &r.destination == pl && r.target == gateway.id && r.state != "blackhole"),
            None => gateway.route_table_ids.contains(&table.id),
        }
    }

    fn egress_to_s3_problem(&self) -> Option<Problem> {
        let rules = self.https_egress()?;
        let pl = self.snap.s3_prefix_list_id.as_deref();
        let to_list = rules
            .iter()
            .any(|r| pl.is_some_and(|pl| r.prefix_list_ids.iter().any(|p| p == pl)));
        let blocks: Vec<String> = rules.iter().flat_map(|r| r.cidr_ipv4.clone()).collect();
        if to_list || covers_every_address(&blocks) {
            return None;
        }
        let groups = self.group_list();
        let pl = pl.unwrap_or("the S3 prefix list");
        Some(Problem {
            check: "workload_egress".into(),
            subject: groups.clone(),
            detail: format!(
                "The workload's security groups ({groups}) let no TCP 443 out to S3 ({pl}), so reading \
                 model artefacts and data times out."
            ),
            fix: format!("Add an egress rule for TCP 443 to the prefix list {pl} on one of {groups}."),
        })
    }

    /// The policy of `endpoint` checked for each action of `workload` on
    /// each of `resources` (`None`: not known).
    fn policy_problems(
        &self,
        workload: &str,
        spec: &ServiceSpec,
        endpoint: &VpcEndpoint,
        resources: &[Option<String>],
    ) -> Vec<Problem> {
        let Some(text) = &endpoint.policy_document else {
            return Vec::new();
        };
        let id = &endpoint.id;
        let policy = match policy::parse(text) {
            Ok(policy) => policy,
            Err(why) => {
                return vec![Problem {
                    check: "endpoint_policy".into(),
                    subject: id.clone(),
                    detail: format!("Cannot tell what the policy of {id} allows: {why}."),
                    fix: format!("Replace the policy of {id} with a valid one."),
                }]
            }
        };
        // The helper that writes this policy, and the input naming the
        // workload's resources.
        let (helper, resources_input) = match spec.short_name {
            "sagemaker_runtime" => (
                "runtime_invoke_endpoint_arns".to_owned(),
                Some("endpoint_arns"),
            ),
            "s3" => ("s3_bucket_arns".to_owned(), Some("s3_bucket_arns")),
            other => (format!("endpoint_policies[\"{other}\"]"), None),
        };
        let mut problems = Vec::new();
        for action in actions(workload, spec) {
            for resource in resources {
                let request = Request {
                    action,
                    resource: resource.as_deref(),
                    account: Some(&self.snap.vpc.owner_id),
                };
                let on = resource
                    .as_deref()
                    .map(|r| format!(" on {r}"))
                    .unwrap_or_default();
                let (detail, fix) = match policy::evaluate(&policy, &request) {
                    Decision::Allowed => continue,
                    Decision::Denied(label) => (
                        format!("{label} of the policy of {id} ({}) denies {action}{on}.", spec.short_name),
                        format!("Narrow or remove that Deny statement so that {action}{on} goes through."),
                    ),
                    Decision::NotAllowed => (
                        format!("The policy of {id} ({}) allows no {action}{on}.", spec.short_name),
                        format!("Allow {action}{on} in the policy of {id} ({helper} of the sagemaker_private_network)."),
                    ),
                    Decision::CannotTell(why) => (
                        format!("Cannot tell statically whether the policy of {id} ({}) allows {action}{on}: {why}.", spec.short_name),
                        match (resource, resources_input) {
                            (None, Some(input)) => format!(
                                "Give {input} to check the workload's own resources, or make the policy decidable \
                                 (no per-request conditions)."
                            ),
                            _ => format!(
                                "Check by hand that the workload's requests meet that statement, or allow \
                                 {action}{on} without per-request conditions."
                            ),
                        },
                    ),
                };
                problems.push(Problem {
                    check: "endpoint_policy".into(),
                    subject: id.clone(),
                    detail,
                    fix,
                });
            }
        }
        problems
    }

    fn studio_problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let vpc = &self.snap.vpc;
        if vpc.instance_tenancy != "default" {
            problems.push(Problem {
                check: "vpc_tenancy".into(),
                subject: vpc.id.clone(),
                detail: format!(
                    "{} has {} tenancy; Studio domains need a VPC of default tenancy.",
                    vpc.id, vpc.instance_tenancy
                ),
                fix: "Use a VPC with instance_tenancy = \"default\".".into(),
            });
        }
        for subnet in &self.subnets {
            let Some(table) = self.table_of.get(subnet.id.as_str()) else {
                continue;
            };
            if let Some(route) = table.internet_gateway_default_route() {
                problems.push(Problem {
                    check: "public_subnet".into(),
                    subject: subnet.id.clone(),
                    detail: format!(
                        "{} is public: its route table {} sends {} to internet gateway {}. Studio in VpcOnly \
                         mode needs private subnets.",
                        subnet.id, table.id, route.destination, route.target
                    ),
                    fix: format!(
                        "Place the domain in private subnets, or remove the {} route to {} from {}.",
                        route.destination, route.target, table.id
                    ),
                });
            }
        }
        problems
    }

    fn endpoints(&self) -> BTreeMap<String, EndpointReport> {
        catalog::SERVICES
            .iter()
            .filter_map(|spec| {
                let endpoint = self.endpoint_of(spec)?;
                let mut zones: Vec<String> = self.zones_of(endpoint).into_iter().collect();
                zones.sort();
                Some((
                    spec.short_name.to_owned(),
                    EndpointReport {
                        id: endpoint.id.clone(),
                        service_name: endpoint.service_name.clone(),
                        kind: endpoint.endpoint_type.clone(),
                        state: endpoint.state.clone(),
                        private_dns: endpoint.private_dns_enabled,
                        availability_zones: zones,
                        url: spec.vpce_url(&endpoint.id, self.region()),
                    },
                ))
            })
            .collect()
    }

    fn internet_routes(&self) -> Vec<InternetRoute> {
        let mut by_table: BTreeMap<&str, (&RouteTable, Vec<String>)> = BTreeMap::new();
        for subnet in &self.subnets {
            if let Some(table) = self.table_of.get(subnet.id.as_str()) {
                by_table
                    .entry(table.id.as_str())
                    .or_insert((table, Vec::new()))
                    .1
                    .push(subnet.id.clone());
            }
        }
        by_table
            .values()
            .flat_map(|(table, subnets)| {
                table
                    .routes
                    .iter()
                    .filter(|r| r.state != "blackhole" && is_internet_target(&r.target))
                    .map(|r| InternetRoute {
                        route_table_id: table.id.clone(),
                        destination: r.destination.clone(),
                        target: r.target.clone(),
                        subnet_ids: subnets.clone(),
                    })
            })
            .collect()
    }
}

fn is_internet_target(target: &str) -> bool {
    ["igw-", "nat-", "eigw-"]
        .iter()
        .any(|p| target.starts_with(p))
}

/// The default route of `table` that leads out: NAT before internet
/// gateway (a table with both uses neither for everything; NAT is the
/// usual private-subnet default), with its target.
fn default_route(table: &RouteTable) -> (Path, String) {
    let defaults = table.routes.iter().filter(|r| {
        r.state != "blackhole" && (r.destination == "0.0.0.0/0" || r.destination == "::/0")
    });
    let mut best = (Path::None, String::new());
    for route in defaults {
        let path = if route.target.starts_with("nat-") {
            Path::Nat
        } else if route.target.starts_with("igw-") {
            Path::Internet
        } else {
            continue;
        };
        if path < best.0 {
            best = (path, route.target.clone());
        }
    }
    best
}

/// The hostname clients use by default: `runtime.sagemaker.R.amazonaws.com`
/// for `com.amazonaws.R.sagemaker.runtime`.
fn default_host(spec: &ServiceSpec, region: &str) -> String {
    let name = spec.service_name(region);
    match name.strip_prefix(&format!("com.amazonaws.{region}.")) {
        Some(rest) => {
            let labels: Vec<&str> = rest.split('.').rev().collect();
            format!("{}.{region}.amazonaws.com", labels.join("."))
        }
        None => format!("the private DNS name of {name}"),
    }
}

fn sorted_join<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    let mut items: Vec<String> = items.into_iter().map(|s| s.as_ref().to_owned()).collect();
    items.sort();
    items.join(", ")
}

/// The resources an input names, as `f` turns each into the ARN a request
/// uses; `[None]` (not known) when the input was not given.
fn given(input: &Option<Vec<String>>, f: impl Fn(&str) -> String) -> Vec<Option<String>> {
    match input {
        Some(items) => items.iter().map(|i| Some(f(i))).collect(),
        None => vec![None],
    }
}

/// The items of `all` whose id is in `ids`; else `Err("subnet-1 is")` /
/// `Err("subnet-1, subnet-2 are")` naming the ids `all` lacks.
fn chosen<'a, T>(
    all: &'a [T],
    ids: &[String],
    id_of: impl Fn(&T) -> &String,
) -> Result<Vec<&'a T>, String> {
    let missing: Vec<&str> = ids
        .iter()
        .filter(|id| !all.iter().any(|t| id_of(t) == *id))
        .map(String::as_str)
        .collect();
    match missing.len() {
        0 => Ok(all.iter().filter(|t| ids.contains(id_of(t))).collect()),
        1 => Err(format!("{} is", missing[0])),
        _ => Err(format!("{} are", missing.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::ec2::find::Route;
    use crate::network_check::gather::empty_snapshot;

    fn subnet(id: &str, zone: &str, cidr: &str) -> Subnet {
        Subnet {
            id: id.into(),
            vpc_id: "vpc-1".into(),
            availability_zone: zone.into(),
            availability_zone_id: String::new(),
            cidr_block: cidr.into(),
            available_ip_address_count: 250,
        }
    }

    fn https_from(cidr: &str) -> Rule {
        Rule {
            protocol: "tcp".into(),
            from_port: Some(443),
            to_port: Some(443),
            cidr_ipv4: vec![cidr.into()],
            ..Rule::default()
        }
    }

    fn endpoint(id: &str, service: &str, kind: &str) -> VpcEndpoint {
        VpcEndpoint {
            id: id.into(),
            vpc_id: "vpc-1".into(),
            service_name: format!("com.amazonaws.us-east-1.{service}"),
            endpoint_type: kind.into(),
            state: "available".into(),
            subnet_ids: vec!["subnet-a".into(), "subnet-b".into()],
            security_group_ids: vec!["sg-endpoints".into()],
            route_table_ids: Vec::new(),
            network_interface_ids: Vec::new(),
            private_dns_enabled: kind == "Interface",
            policy_document: None,
            dns_names: Vec::new(),
            tags: BTreeMap::new(),
            creation_timestamp: None,
            failure_reason: None,
        }
    }

    /// A VPC where `hosting` works privately.
    fn hosting_vpc() -> Snapshot {
        let mut snap = empty_snapshot("vpc-1");
        snap.subnets = vec![
            subnet("subnet-a", "us-east-1a", "10.0.1.0/24"),
            subnet("subnet-b", "us-east-1b", "10.0.2.0/24"),
        ];
        snap.route_tables = vec![RouteTable {
            id: "rtb-main".into(),
            vpc_id: "vpc-1".into(),
            main: true,
            subnet_ids: Vec::new(),
            has_nat_route: false,
            has_s3_gateway_route: true,
            routes: vec![Route {
                destination: "pl-s3".into(),
                target: "vpce-s3".into(),
                state: "active".into(),
            }],
            tags: BTreeMap::new(),
        }];
        snap.groups = vec![SecurityGroup {
            id: "sg-endpoints".into(),
            vpc_id: "vpc-1".into(),
            name: "endpoints".into(),
            description: String::new(),
            ingress: vec![https_from("10.0.0.0/16")],
            egress: Vec::new(),
            tags: BTreeMap::new(),
        }];
        snap.endpoints = vec![
            endpoint("vpce-api", "sagemaker.api", "Interface"),
            endpoint("vpce-runtime", "sagemaker.runtime", "Interface"),
            endpoint("vpce-s3", "s3", "Gateway"),
        ];
        snap
    }

    fn hosting(snap: &Snapshot) -> WorkloadReport {
        let inputs = Inputs {
            vpc_id: "vpc-1".into(),
            workloads: Some(vec!["hosting".into()]),
            ..Inputs::default()
        };
        check(snap, &inputs)
            .unwrap()
            .results
            .remove("hosting")
            .unwrap()
    }

    #[test]
    fn a_complete_vpc_is_private() {
        let report = hosting(&hosting_vpc());
        assert_eq!(report.problems, vec![]);
        assert!(report.private);
        assert_eq!(report.path, "endpoint");
    }

    /// Regression (trial #4): the endpoints a `sagemaker_studio_domain`
    /// makes with its defaults (`projects = false`: no Service Catalog) are
    /// all `studio_vpc_only` needs; only `studio_projects` asks for Service
    /// Catalog, and says which attribute of the domain adds it.
    #[test]
    fn studio_vpc_only_takes_the_domains_endpoints_and_only_projects_need_servicecatalog() {
        let mut snap = hosting_vpc();
        let mut studio = endpoint("vpce-studio", "studio", "Interface");
        studio.service_name = "aws.sagemaker.us-east-1.studio".into();
        snap.endpoints.extend([
            studio,
            endpoint("vpce-sts", "sts", "Interface"),
            endpoint("vpce-logs", "logs", "Interface"),
        ]);
        let domain: BTreeSet<&str> = catalog::studio_services(true, false)
            .iter()
            .map(|s| s.short_name)
            .collect();
        let found: BTreeSet<&str> = snap
            .endpoints
            .iter()
            .filter_map(|e| {
                catalog::SERVICES
                    .iter()
                    .find(|s| s.service_name("us-east-1") == e.service_name)
            })
            .map(|s| s.short_name)
            .collect();
        assert_eq!(found, domain, "the VPC holds what the domain makes");
        let inputs = Inputs {
            vpc_id: "vpc-1".into(),
            workloads: Some(vec!["studio_vpc_only".into(), "studio_projects".into()]),
            ..Inputs::default()
        };
        let report = check(&snap, &inputs).unwrap();
        let vpc_only = &report.results["studio_vpc_only"];
        assert_eq!(vpc_only.problems, vec![]);
        assert!(vpc_only.private);
        let projects = &report.results["studio_projects"];
        let missing: Vec<(&str, &str)> = projects
            .problems
            .iter()
            .map(|p| (p.check.as_str(), p.subject.as_str()))
            .collect();
        assert_eq!(missing, vec![("endpoint", "servicecatalog")]);
        assert!(
            projects.problems[0]
                .fix
                .contains("set projects = true on the sagemaker_studio_domain"),
            "{}",
            projects.problems[0].fix
        );
    }

    #[test]
    fn a_missing_endpoint_falls_back_to_nat() {
        let mut snap = hosting_vpc();
        snap.endpoints.retain(|e| e.id != "vpce-runtime");
        snap.route_tables[0].routes.push(Route {
            destination: "0.0.0.0/0".into(),
            target: "nat-1".into(),
            state: "active".into(),
        });
        let report = hosting(&snap);
        assert_eq!(report.path, "nat");
        assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
        assert_eq!(report.problems[0].check, "endpoint");
        assert_eq!(report.problems[0].subject, "sagemaker_runtime");
        assert!(report.problems[0].detail.contains("nat-1"));
    }

    #[test]
    fn an_uncovered_zone_and_closed_groups_are_unreachable() {
        let mut snap = hosting_vpc();
        snap.endpoints[1].subnet_ids = vec!["subnet-a".into()];
        snap.groups[0].ingress = vec![https_from("10.0.1.0/24")];
        let report = hosting(&snap);
        let checks: Vec<(&str, &str)> = report
            .problems
            .iter()
            .map(|p| (p.check.as_str(), p.subject.as_str()))
            .collect();
        assert_eq!(
            checks,
            [
                ("endpoint_ingress", "sg-endpoints"),
                ("endpoint_az", "vpce-runtime"),
                ("endpoint_ingress", "sg-endpoints"),
            ],
            "one ingress problem per endpoint behind the group"
        );
        assert!(checks.contains(&("endpoint_az", "vpce-runtime")));
        assert!(checks.contains(&("endpoint_ingress", "sg-endpoints")));
        assert_eq!(report.path, "none");
    }

    #[test]
    fn a_policy_for_another_endpoint_is_reported() {
        let mut snap = hosting_vpc();
        snap.endpoints[1].policy_document = Some(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sagemaker:InvokeEndpoint",
                "Resource":"arn:aws:sagemaker:us-east-1:123456789012:endpoint/other"}]}"#
                .into(),
        );
        let inputs = Inputs {
            vpc_id: "vpc-1".into(),
            workloads: Some(vec!["runtime".into()]),
            endpoint_arns: Some(vec![
                "arn:aws:sagemaker:us-east-1:123456789012:endpoint/mine".into(),
            ]),
            ..Inputs::default()
        };
        let report = check(&snap, &inputs).unwrap();
        let runtime = &report.results["runtime"];
        assert_eq!(runtime.path, "endpoint");
        assert_eq!(runtime.problems.len(), 1);
        assert_eq!(runtime.problems[0].check, "endpoint_policy");
        assert!(runtime.problems[0]
            .fix
            .contains("runtime_invoke_endpoint_arns"));
        assert!(!report.private);
    }

    #[test]
    fn an_s3_policy_limited_to_buckets_needs_the_buckets_and_training_the_ecr_layers() {
        let mut snap = hosting_vpc();
        snap.endpoints[2].policy_document = Some(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",
                "Resource":"arn:aws:s3:::models/*"}]}"#
                .into(),
        );
        let hosting = hosting(&snap);
        assert_eq!(hosting.problems.len(), 1, "{:?}", hosting.problems);
        assert!(hosting.problems[0]
            .detail
            .starts_with("Cannot tell statically"));
        assert!(hosting.problems[0].fix.starts_with("Give s3_bucket_arns"));
        let inputs = Inputs {
            vpc_id: "vpc-1".into(),
            workloads: Some(vec!["hosting".into(), "training".into()]),
            s3_bucket_arns: Some(vec!["arn:aws:s3:::models".into()]),
            ..Inputs::default()
        };
        let report = check(&snap, &inputs).unwrap();
        assert!(report.results["hosting"].private);
        let training: Vec<&str> = report.results["training"]
            .problems
            .iter()
            .filter(|p| p.subject == "vpce-s3")
            .map(|p| p.detail.as_str())
            .collect();
        assert_eq!(
            training,
            ["The policy of vpce-s3 (s3) allows no s3:GetObject on \
              arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*."]
        );
    }

    #[test]
    fn inputs_outside_the_vpc_are_refused() {
        let inputs = Inputs {
            vpc_id: "vpc-1".into(),
            subnet_ids: Some(vec!["subnet-zz".into()]),
            ..Inputs::default()
        };
        let err = check(&hosting_vpc(), &inputs).unwrap_err();
        assert_eq!(err.attribute, "subnet_ids");
        assert!(
            err.detail.contains("subnet-zz is not a subnet of vpc-1"),
            "{}",
            err.detail
        );
    }
}
