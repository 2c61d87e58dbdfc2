//! Checks of `sagemaker_private_network`: static ones at validate (formats,
//! cross-attribute rules, policies) and remote ones against the account at
//! plan — or at the start of apply when an input was unknown at plan —
//! before anything is created. Each names the attribute, what is wrong and
//! the fix.

use crate::aws::ec2::find::{self, FindError, RouteTable, SecurityGroup, Subnet, Vpc, VpcEndpoint};
use crate::aws::ec2::groups;
use crate::aws::endpoint_services::find_offered;
use crate::aws::ids::covers_every_address;
use crate::aws::ownership::{Claim, Owner};
use crate::aws::Clients;
use crate::catalog::{self, EndpointKind, ServiceSpec};
use crate::framework::{AttrPath, Diagnostics, InState};
use crate::limits::DEFAULT_RULES_PER_GROUP;
use crate::policy;
use crate::resources::common::{self, known_strings};
use crate::value::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The services a configuration asks for: `services` expanded, defaulting to
/// `hosting`; `None` while unknown.
pub fn wanted_services(config: &Value) -> Option<Vec<&'static ServiceSpec>> {
    let names = match config.get("services") {
        Some(Value::Null) | None => vec!["hosting".to_owned()],
        Some(_) => known_strings(config, "services")?,
    };
    catalog::expand(names.iter().map(String::as_str)).ok()
}

/// Static rules that span attributes.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    let services = wanted_services(config);
    let has = |name: &str| {
        services
            .as_ref()
            .map(|s| s.iter().any(|spec| spec.short_name == name))
    };
    let set = |name: &str| config.get(name).is_some_and(|v| !v.is_null());
    let is_true = |name: &str| config.get(name).and_then(Value::as_bool) == Some(true);
    validate_policies(config, services.as_deref(), diags);
    let policies = config.get("endpoint_policies");
    let has_policy = |name: &str| {
        policies
            .and_then(|p| p.get(name))
            .is_some_and(|v| !v.is_null())
    };
    if set("runtime_invoke_endpoint_arns") {
        let path = AttrPath::root("runtime_invoke_endpoint_arns");
        if has("sagemaker_runtime") == Some(false) {
            diags.attribute_error(path.clone(), "No sagemaker_runtime endpoint to restrict",
                "runtime_invoke_endpoint_arns generates the sagemaker_runtime endpoint policy, but services does not \
                 include sagemaker_runtime. Add it to services, or remove runtime_invoke_endpoint_arns.");
        }
        if has_policy("sagemaker_runtime") {
            diags.attribute_error(path, "Two policies for sagemaker_runtime",
                "Both runtime_invoke_endpoint_arns and endpoint_policies[\"sagemaker_runtime\"] set the runtime \
                 endpoint policy. Keep one of them.");
        }
    }
    for helper in ["s3_bucket_arns", "deny_amazon_linux_repositories"] {
        if !set(helper) || (helper == "deny_amazon_linux_repositories" && !is_true(helper)) {
            continue;
        }
        let path = AttrPath::root(helper);
        if has("s3") == Some(false) {
            diags.attribute_error(path.clone(), "No s3 endpoint to restrict",
                format!("{helper} generates the s3 gateway endpoint policy, but services does not include s3. \
                         Add s3 (or a preset that has it) to services, or remove {helper}."));
        }
        if has_policy("s3") {
            diags.attribute_error(path, "Two policies for s3",
                format!("Both {helper} and endpoint_policies[\"s3\"] set the s3 endpoint policy. Keep one of them."));
        }
    }
    let cidrs = known_strings(config, "allowed_cidr_blocks").unwrap_or_default();
    let groups = known_strings(config, "allowed_security_group_ids").unwrap_or_default();
    if cidrs.len() + groups.len() > DEFAULT_RULES_PER_GROUP {
        diags.attribute_warning(
            AttrPath::root("allowed_cidr_blocks"),
            "More sources than a security group takes by default",
            format!(
                "allowed_cidr_blocks and allowed_security_group_ids give {} sources, one inbound rule each, \
                 but a security group takes {DEFAULT_RULES_PER_GROUP} inbound rules unless the quota \
                 \"Inbound or outbound rules per security group\" was raised (Service Quotas). Merge \
                 neighbouring blocks into wider ones, or raise the quota before applying.",
                cidrs.len() + groups.len()
            ),
        );
    }
    if covers_every_address(&cidrs) && !is_true("allow_ingress_from_anywhere") {
        diags.attribute_error(AttrPath::root("allowed_cidr_blocks"), "Ingress from anywhere needs an opt-in",
            "allowed_cidr_blocks together cover every IPv4 address (0.0.0.0/0, in one block or several). \
             Narrow them to your VPC or on-premises ranges, or set allow_ingress_from_anywhere = true if \
             this is really meant.");
    }
}

fn validate_policies(
    config: &Value,
    services: Option<&[&'static ServiceSpec]>,
    diags: &mut Diagnostics,
) {
    let Some(Value::Map(policies)) = config.get("endpoint_policies") else {
        return;
    };
    for (name, text) in policies {
        let path = AttrPath::root("endpoint_policies").key(name);
        let Some(spec) = catalog::service(name) else {
            diags.attribute_error(
                path,
                "Unknown service in endpoint_policies",
                catalog::unknown_service(name),
            );
            continue;
        };
        if services.is_some_and(|s| !s.contains(&spec)) {
            diags.attribute_error(
                path.clone(),
                "Policy for a service that is not created",
                format!(
                    "endpoint_policies has a policy for {name}, but services does not include it. \
                         Add {name} to services, or remove this policy."
                ),
            );
        }
        let Some(text) = text.as_str() else { continue };
        match policy::parse_for(spec, text) {
            Err(problem) => diags.attribute_error(path, "Invalid endpoint policy", problem),
            Ok(document) => {
                let findings = policy::check_for_service(spec, &document);
                for error in findings.errors {
                    diags.attribute_error(path.clone(), "Endpoint policy not accepted", error);
                }
                for warning in findings.warnings {
                    diags.attribute_warning(
                        path.clone(),
                        "Endpoint policy statement never applies",
                        warning,
                    );
                }
            }
        }
    }
}

/// What the remote checks need.
pub struct RemoteInputs<'a> {
    pub vpc_id: &'a str,
    pub subnet_ids: &'a [String],
    /// `allowed_security_group_ids`: each must exist in the VPC.
    pub allowed_groups: &'a [String],
    pub services: &'a [&'static ServiceSpec],
    pub private_dns: bool,
    /// `None`: default to the subnets' route tables.
    pub route_table_ids: Option<&'a [String]>,
    /// The instance asking ([`Owner::planned`] while a create is planned).
    pub owner: &'a Owner,
    /// True for a create: what an unfinished create of the same identity
    /// left is adopted, not a conflict.
    pub creating: bool,
    /// Endpoints recorded in state (adopted by import even without the tag).
    pub recorded: &'a [String],
    /// At plan, the instances this process saw in the state: a create that
    /// replaces one of them finds that one's endpoints deleted first, or
    /// (`create_before_destroy`) fails at apply. `None` at apply.
    pub in_state: Option<&'a InState>,
}

impl<'a> RemoteInputs<'a> {
    /// The inputs for the network `want` of `owner`.
    pub fn of(
        want: &'a super::state::Desired,
        owner: &'a Owner,
        creating: bool,
        recorded: &'a [String],
        in_state: Option<&'a InState>,
    ) -> RemoteInputs<'a> {
        RemoteInputs {
            vpc_id: &want.vpc_id,
            subnet_ids: &want.subnet_ids,
            allowed_groups: &want.allowed_groups,
            services: &want.services,
            private_dns: want.private_dns,
            route_table_ids: want.route_table_ids.as_deref(),
            owner,
            creating,
            recorded,
            in_state,
        }
    }

    /// True at plan when `owner` is the instance this create replaces (one
    /// of this state's): its objects are deleted first.
    fn replaces(&self, owner: &str) -> bool {
        self.creating
            && self
                .in_state
                .is_some_and(|seen| seen.contains(super::state::TYPE_NAME, owner))
    }
}

/// What the account says about the network, as the checks found it.
#[derive(Clone)]
pub struct Network {
    pub vpc: Vpc,
    pub subnets: Vec<Subnet>,
    /// The route tables the S3 gateway routes go in.
    pub route_table_ids: Vec<String>,
    pub endpoints: Vec<VpcEndpoint>,
    /// Present when s3 is wanted.
    pub s3_prefix_list_id: Option<String>,
    /// For a create: the group an unfinished create of the same identity left.
    pub unfinished_group: Option<SecurityGroup>,
}

impl Network {
    /// For a create: the endpoints an unfinished create of the same
    /// identity left (adopted by the create).
    pub fn unfinished_endpoints<'a>(
        &'a self,
        owner: &'a Owner,
    ) -> impl Iterator<Item = &'a VpcEndpoint> {
        self.endpoints
            .iter()
            .filter(move |e| e.state != "deleting" && owner.claim(&e.tags) == Claim::Unfinished)
    }
}

impl Network {
    /// The sources allowed on TCP 443: as configured, else the VPC's CIDR blocks.
    pub fn allowed_cidrs(&self, want: &super::state::Desired) -> Vec<String> {
        want.allowed_cidrs
            .clone()
            .unwrap_or_else(|| self.vpc.cidr_blocks.clone())
    }
}

/// Runs checks 1–4 and 6 of the design against the account. `Err` when the
/// facts could not be fetched or a check failed.
pub async fn check_remote(
    clients: &Clients,
    inputs: &RemoteInputs<'_>,
) -> Result<(Network, Diagnostics), Diagnostics> {
    check_again(clients, inputs, Known::Nothing).await
}

/// What the checks at apply start from.
pub enum Known {
    /// Nothing: every check fetches its facts.
    Nothing,
    /// What the plan of the same inputs found moments ago in this process
    /// ([`recall_facts`]): what another actor can change in between is
    /// fetched again.
    Planned(Network),
    /// What the caller's own checks fetched in this very apply (a Studio
    /// domain's, for the endpoints it makes): nothing is fetched again but
    /// the group an unfinished create left.
    Current(Network),
}

impl Known {
    /// The facts that do not move (the VPC, route tables, Region's offers).
    fn settled(&self) -> Option<&Network> {
        match self {
            Known::Nothing => None,
            Known::Planned(network) | Known::Current(network) => Some(network),
        }
    }

    /// The facts fetched in this apply, the subnets and endpoints included.
    fn current(&self) -> Option<&Network> {
        match self {
            Known::Current(network) => Some(network),
            _ => None,
        }
    }
}

/// The key of [`crate::resources::composite::checked`] for the facts the
/// checks of `inputs` find: every input they depend on but the route
/// tables (defaulted at plan, filled in at apply; [`recall_facts`] compares
/// them).
pub fn facts_key(inputs: &RemoteInputs<'_>) -> String {
    let services: Vec<&str> = inputs.services.iter().map(|s| s.short_name).collect();
    format!(
        "{} {} {:?} {:?} {services:?} {} {} {:?} {}",
        super::state::TYPE_NAME,
        inputs.vpc_id,
        inputs.subnet_ids,
        inputs.allowed_groups,
        inputs.private_dns,
        inputs.creating,
        inputs.recorded,
        inputs.owner.identity
    )
}

/// Keeps what the plan's checks of `inputs` found for the apply that
/// follows ([`check_again`]).
pub fn remember_facts(inputs: &RemoteInputs<'_>, network: &Network) {
    crate::resources::composite::checked::remember(facts_key(inputs), network.clone());
}

/// What the plan's checks of the same `inputs` found, if this process
/// planned them moments ago (see [`crate::resources::composite::checked`]).
pub fn recall_facts(inputs: &RemoteInputs<'_>) -> Option<Network> {
    let known: Network = crate::resources::composite::checked::recall(&facts_key(inputs))?;
    let sorted = |ids: &[String]| ids.iter().cloned().collect::<BTreeSet<String>>();
    let same_tables = inputs
        .route_table_ids
        .is_none_or(|ids| sorted(ids) == sorted(&known.route_table_ids));
    same_tables.then_some(known)
}

/// The checks at apply, every one run on facts as fresh as `known` says:
/// with the plan's facts ([`Known::Planned`]), what can change in between
/// and matters for safety is fetched again — the VPC's endpoints (a
/// conflicting endpoint or S3 route, what this instance owns or an
/// unfinished create left), the subnets (free addresses) — while the VPC,
/// its route tables, the Region's services and prefix list are taken from
/// it; with [`Known::Current`] only the group an unfinished create left is
/// looked for; with [`Known::Nothing`], every fact is fetched.
pub async fn check_again(
    clients: &Clients,
    inputs: &RemoteInputs<'_>,
    known: Known,
) -> Result<(Network, Diagnostics), Diagnostics> {
    let ec2 = &clients.ec2;
    let wants_s3 = inputs
        .services
        .iter()
        .any(|s| s.kind == EndpointKind::Gateway);
    let unfinished_group = async {
        if inputs.creating {
            groups::find_unfinished_group(ec2, inputs.vpc_id, inputs.owner).await
        } else {
            Ok(None)
        }
    };
    let (vpc, subnets, allowed_groups, endpoints, offers, prefix_list, unfinished_group) = tokio::join!(
        async {
            match known.settled() {
                Some(known) => Ok(known.vpc.clone()),
                None => find::find_vpc(ec2, inputs.vpc_id).await,
            }
        },
        async {
            match known.current() {
                Some(known) => Ok(known.subnets.clone()),
                None => find::find_subnets(ec2, inputs.subnet_ids).await,
            }
        },
        async {
            match known.settled() {
                Some(_) => Ok(Vec::new()),
                None => find::find_security_groups(ec2, inputs.allowed_groups).await,
            }
        },
        async {
            match known.current() {
                Some(known) => Ok(known.endpoints.clone()),
                None => find::find_vpc_endpoints_in_vpc(ec2, inputs.vpc_id, false).await,
            }
        },
        async {
            match known.settled() {
                Some(_) => Ok(None),
                None => find_offered(ec2, &clients.region, inputs.services)
                    .await
                    .map(Some),
            }
        },
        async {
            if let Some(known) = known.settled() {
                Ok(known.s3_prefix_list_id.clone())
            } else if wants_s3 {
                find::find_s3_prefix_list_id(ec2, &clients.region)
                    .await
                    .map(Some)
            } else {
                Ok(None)
            }
        },
        unfinished_group,
    );
    let mut diags = Diagnostics::new();
    let vpc = match vpc {
        Ok(vpc) => Some(vpc),
        Err(e) => {
            diags.extend(lookup_error(
                e,
                "vpc_id",
                &format!(
                    "Check vpc_id and that the provider's region ({}) is the VPC's Region.",
                    clients.region
                ),
            ));
            None
        }
    };
    let subnets = subnets.map_err(|e| {
        lookup_error(
            e,
            "subnet_ids",
            "Check subnet_ids: each must exist in the VPC's Region.",
        )
    });
    let subnets = match subnets {
        Ok(subnets) => subnets,
        Err(d) => {
            diags.extend(d);
            Vec::new()
        }
    };
    match allowed_groups {
        Ok(groups) => common::check_groups_in_vpc(
            &groups,
            inputs.vpc_id,
            "allowed_security_group_ids",
            &mut diags,
        ),
        Err(e) => diags.extend(lookup_error(
            e,
            "allowed_security_group_ids",
            "Check allowed_security_group_ids: each must be a group of the VPC.",
        )),
    }
    let endpoints = endpoints.map_err(|e| lookup_error(e, "vpc_id", ""))?;
    let offers = offers?;
    let prefix_list = prefix_list.map_err(|e| lookup_error(e, "services", ""))?;
    let unfinished_group = unfinished_group.map_err(|e| lookup_error(e, "vpc_id", ""))?;
    let Some(vpc) = vpc else { return Err(diags) };
    check_dns(&vpc, inputs.private_dns, &mut diags);
    check_subnets(&vpc, &subnets, inputs.services, &mut diags);
    if let Some(offers) = &offers {
        check_offers(
            inputs.services,
            offers,
            &subnets,
            &clients.region,
            &mut diags,
        );
    }
    check_conflicts(inputs, &endpoints, &clients.region, &mut diags);
    let route_table_ids = match known.settled() {
        Some(known) => {
            // The tables' routes, as the VPC's S3 gateway endpoints list them.
            let routed = endpoints
                .iter()
                .filter(|e| e.is_s3_gateway())
                .flat_map(|e| {
                    let tables = e.route_table_ids.iter();
                    tables
                        .filter(|t| known.route_table_ids.contains(t))
                        .map(|t| (t.as_str(), e.id.as_str()))
                });
            check_s3_routes(inputs, routed, &endpoints, &mut diags);
            known.route_table_ids.clone()
        }
        None if wants_s3 => {
            let s3 = (&vpc, prefix_list.as_deref(), endpoints.as_slice());
            check_route_tables(clients, inputs, s3, &mut diags).await?
        }
        None => Vec::new(),
    };
    if diags.has_errors() {
        return Err(diags);
    }
    Ok((
        Network {
            vpc,
            subnets,
            route_table_ids,
            endpoints,
            s3_prefix_list_id: prefix_list,
            unfinished_group,
        },
        diags,
    ))
}

/// [`common::lookup_error`] for this resource's calls.
fn lookup_error(e: FindError, attribute: &str, hint: &str) -> Diagnostics {
    common::lookup_error(e, attribute, hint, "EC2")
}

fn check_dns(vpc: &Vpc, private_dns: bool, diags: &mut Diagnostics) {
    if !private_dns || (vpc.dns_support && vpc.dns_hostnames) {
        return;
    }
    let missing: Vec<&str> = [
        ("enableDnsSupport", vpc.dns_support),
        ("enableDnsHostnames", vpc.dns_hostnames),
    ]
    .iter()
    .filter(|(_, on)| !on)
    .map(|(name, _)| *name)
    .collect();
    diags.attribute_error(AttrPath::root("vpc_id"), "VPC DNS settings do not allow private DNS",
        format!("VPC {} has {} turned off, and private DNS for interface endpoints needs both enableDnsSupport \
                 and enableDnsHostnames. Turn them on (aws_vpc: enable_dns_support = true, enable_dns_hostnames = true), \
                 or set private_dns_enabled = false and use api_endpoint_url / runtime_endpoint_url.",
                vpc.id, missing.join(" and ")));
}

fn check_subnets(
    vpc: &Vpc,
    subnets: &[Subnet],
    services: &[&ServiceSpec],
    diags: &mut Diagnostics,
) {
    let path = || AttrPath::root("subnet_ids");
    let interfaces = services
        .iter()
        .filter(|s| s.kind == EndpointKind::Interface)
        .count() as u32;
    let foreign: Vec<&Subnet> = subnets.iter().filter(|s| s.vpc_id != vpc.id).collect();
    for subnet in &foreign {
        diags.attribute_error(
            path(),
            "Subnet in another VPC",
            format!(
                "Subnet {} is in {}, not in vpc_id {}. Use subnets of {}.",
                subnet.id, subnet.vpc_id, vpc.id, vpc.id
            ),
        );
    }
    // The zones and addresses of a set that must change anyway would only
    // add misleading follow-ons (the other VPC's zones are no zones of this one).
    if !foreign.is_empty() {
        return;
    }
    let mut by_zone: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for subnet in subnets {
        by_zone
            .entry(&subnet.availability_zone)
            .or_default()
            .push(&subnet.id);
        if subnet.available_ip_address_count < interfaces {
            diags.attribute_error(path(), "Not enough free addresses",
                format!("Subnet {} has {} free addresses but the {interfaces} interface endpoints need one each. \
                         Free addresses in it, or use a larger subnet.", subnet.id, subnet.available_ip_address_count));
        }
    }
    for (zone, ids) in by_zone.iter().filter(|(_, ids)| ids.len() > 1) {
        diags.attribute_error(path(), "Two subnets in one Availability Zone",
            format!("Subnets {} are all in {zone}; an endpoint takes at most one subnet per zone. Keep one of them.", ids.join(", ")));
    }
    if by_zone.len() == 1 && interfaces > 0 {
        diags.attribute_warning(path(), "Endpoints in one Availability Zone only",
            "All subnets are in one zone: clients in other zones fail private DNS resolution and an outage of \
             that zone cuts SageMaker off. Add a subnet in a second zone.");
    }
}

fn check_offers(
    services: &[&ServiceSpec],
    offers: &[Option<crate::aws::endpoint_services::OfferedService>],
    subnets: &[Subnet],
    region: &str,
    diags: &mut Diagnostics,
) {
    for (spec, offer) in services.iter().zip(offers) {
        let Some(offer) = offer else {
            diags.attribute_error(AttrPath::root("services"), "Service not offered in this Region",
                format!("{} ({}) is not offered in {region}. Remove it from services, or use a Region that offers it.",
                        spec.short_name, spec.service_name(region)));
            continue;
        };
        if spec.kind != EndpointKind::Interface {
            continue;
        }
        let missing: BTreeSet<&str> = subnets
            .iter()
            .map(|s| s.availability_zone.as_str())
            .filter(|zone| !offer.availability_zones.iter().any(|z| z == zone))
            .collect();
        if !missing.is_empty() {
            diags.attribute_error(
                AttrPath::root("subnet_ids"),
                "Service not offered in a subnet's zone",
                format!(
                    "{} is not offered in {}. It is offered in: {}. Use subnets in those zones.",
                    spec.short_name,
                    missing.into_iter().collect::<Vec<_>>().join(", "),
                    offer.availability_zones.join(", ")
                ),
            );
        }
    }
}

fn check_conflicts(
    inputs: &RemoteInputs<'_>,
    endpoints: &[VpcEndpoint],
    region: &str,
    diags: &mut Diagnostics,
) {
    if !inputs.private_dns {
        return;
    }
    for spec in inputs
        .services
        .iter()
        .filter(|s| s.kind == EndpointKind::Interface)
    {
        let name = spec.service_name(region);
        let serving = endpoints.iter().filter(|e| {
            e.service_name == name
                && e.private_dns_enabled
                && e.state != "deleting"
                && !inputs.recorded.contains(&e.id)
        });
        for existing in serving {
            let detail = match inputs.owner.claim(&existing.tags) {
                Claim::Mine => continue,
                Claim::Unfinished if inputs.creating => continue,
                Claim::Other(owner) if inputs.replaces(&owner) => continue,
                Claim::Other(owner) => taken_by_other(existing, spec, inputs, Some(&owner)),
                Claim::Unfinished => taken_by_other(existing, spec, inputs, None),
                Claim::Unmanaged if for_domain(inputs.owner) => format!(
                    "VPC endpoint {} already serves {} with private DNS in {}, made outside this provider \
                     after this sagemaker_studio_domain was planned; AWS would reject a second one (conflicting \
                     DNS domain). Run terraform apply again: the domain's plan then reuses {} (its security \
                     groups must admit TCP 443 from the domain).",
                    existing.id, spec.short_name, inputs.vpc_id, existing.id
                ),
                Claim::Unmanaged => format!(
                    "VPC endpoint {} already serves {} with private DNS in {}; AWS would reject a second one \
                     (conflicting DNS domain). Import the VPC into this resource (terraform import), delete {}, \
                     or set private_dns_enabled = false.",
                    existing.id, spec.short_name, inputs.vpc_id, existing.id
                ),
            };
            diags.attribute_error(
                AttrPath::root("services"),
                "Another endpoint already serves this service",
                detail,
            );
            break;
        }
    }
}

/// AWS takes one S3 gateway route per route table: a table that already
/// routes S3 through someone else's endpoint cannot take this network's.
/// `routed`: (route table, gateway endpoint) pairs of the S3 routes.
fn check_s3_routes<'r>(
    inputs: &RemoteInputs<'_>,
    routed: impl Iterator<Item = (&'r str, &'r str)>,
    endpoints: &[VpcEndpoint],
    diags: &mut Diagnostics,
) {
    for (table, id) in routed {
        let Some(endpoint) = endpoints.iter().find(|e| e.id == id) else {
            continue;
        };
        let whose = match inputs.owner.claim(&endpoint.tags) {
            _ if inputs.recorded.iter().any(|r| r == id) => continue,
            Claim::Mine => continue,
            Claim::Unfinished if inputs.creating => continue,
            Claim::Other(owner) if inputs.replaces(&owner) => continue,
            Claim::Other(owner) => {
                format!("owned by another resource of this provider, owner {owner}")
            }
            Claim::Unfinished => "left by an unfinished create".to_owned(),
            Claim::Unmanaged => "made outside this provider".to_owned(),
        };
        diags.attribute_error(
            AttrPath::root("services"),
            "Route table already has an S3 gateway route",
            format!(
                "Route table {table} already sends S3 traffic through gateway endpoint {id} ({whose}). AWS allows \
                 one S3 gateway route per route table, so this network cannot add its own there. Leave s3 out \
                 of services — that endpoint already serves these subnets; for a preset, list its other \
                 services (e.g. [\"sagemaker_api\", \"sagemaker_runtime\"] instead of \"hosting\") — or list in \
                 s3_route_table_ids only tables without an S3 route."
            ),
        );
    }
}

/// The resource of this provider that owns objects tagged with owner
/// `owner`, as users write it: a Studio domain's endpoints carry its
/// instance id plus `/endpoints` ([`Owner::part`]), a network's its
/// instance id. E.g. `sagemaker_studio_domain (owner my-domain/3f…)`.
pub fn owner_resource(owner: &str) -> String {
    let part = format!(
        "/{}",
        crate::resources::studio_domain::state::ENDPOINTS_PART
    );
    match owner.strip_suffix(&part) {
        Some(domain) => format!("{} (owner {domain})", studio_type()),
        None => format!("{} (owner {owner})", super::state::TYPE_NAME),
    }
}

fn studio_type() -> &'static str {
    crate::resources::studio_domain::state::TYPE_NAME
}

/// True when `owner` is a Studio domain's endpoints part (these checks run
/// for the endpoints a `sagemaker_studio_domain` makes), not a network.
pub fn for_domain(owner: &Owner) -> bool {
    owner
        .identity
        .strip_prefix(studio_type())
        .is_some_and(|rest| rest.starts_with('/'))
}

/// Why an endpoint of another instance of this provider blocks this one,
/// and the ways out — worded for the resource asking (a network, or a
/// Studio domain's endpoints) and the one that owns it (`owner`, its owner
/// tag; `None` for an unfinished create of the same identity).
fn taken_by_other(
    existing: &VpcEndpoint,
    spec: &ServiceSpec,
    inputs: &RemoteInputs<'_>,
    owner: Option<&str>,
) -> String {
    let asker = if for_domain(inputs.owner) {
        studio_type()
    } else {
        super::state::TYPE_NAME
    };
    let (whose, owned_by_domain) = match owner {
        Some(owner) => {
            let holder = owner_resource(owner);
            let by_domain = holder.starts_with(studio_type());
            let same_type = holder.starts_with(asker);
            (
                format!("{} {holder}", if same_type { "another" } else { "a" }),
                by_domain,
            )
        }
        None => (
            format!("an unfinished create of a {asker} with the same identity"),
            asker == studio_type(),
        ),
    };
    let head = format!(
        "VPC endpoint {} already serves {} with private DNS in {}, and it belongs to {whose}. AWS allows one \
         private-DNS endpoint per service in a VPC, and this provider never takes over what another \
         Terraform state or resource owns.",
        existing.id, spec.short_name, inputs.vpc_id
    );
    let service = spec.short_name;
    let fix = match (asker == studio_type(), owned_by_domain) {
        // A network meets another network's endpoint.
        (false, false) => "It is another workspace or resource, or the instance this one replaces with \
             create_before_destroy. Use that network (one per VPC), or set private_dns_enabled = false here — \
             and, since that network also routes S3, list your services without s3 (e.g. [\"sagemaker_api\", \
             \"sagemaker_runtime\"] instead of \"hosting\"). When replacing it: remove create_before_destroy, \
             and if Terraform kept the old one as a deposed object, run terraform destroy -target on this \
             resource, then terraform apply."
            .to_owned(),
        // A network meets a domain's endpoint.
        (false, true) => format!(
            "Leave {service} out of services here (that endpoint already serves the VPC; for a preset, list \
             its other services), or set private_dns_enabled = false here. For the domain to use this \
             network's endpoints instead, the network must exist before the domain is created (a domain \
             keeps the endpoints it made): in one configuration, add depends_on = \
             [sagemaker_private_network.NAME] to the {}.",
            studio_type()
        ),
        // A domain's endpoints meet a network's endpoint: made after the
        // domain's plan, which found none (the two raced in one apply).
        (true, false) => format!(
            "This domain's plan found no endpoint for {service} and planned its own; the network made one \
             since (two resources of one configuration are applied at the same time unless ordered). When \
             both are in one configuration, add depends_on = [sagemaker_private_network.NAME] to this \
             {}; then run terraform apply again: the plan reuses {} (its group must admit TCP 443 from \
             the domain: the network's default, the VPC's CIDR, does).",
            studio_type(),
            existing.id
        ),
        // Two domains' endpoints.
        (true, true) => format!(
            "Run terraform apply again: this domain's plan then reuses {} — but a domain's endpoints admit \
             only that domain, so for several domains in one VPC serve the endpoints from one \
             sagemaker_private_network (services = [\"studio_vpc_only\"]) and add depends_on = \
             [sagemaker_private_network.NAME] to each {}.",
            existing.id,
            studio_type()
        ),
    };
    format!("{head} {fix}")
}

async fn check_route_tables(
    clients: &Clients,
    inputs: &RemoteInputs<'_>,
    (vpc, prefix_list_id, endpoints): (&Vpc, Option<&str>, &[VpcEndpoint]),
    diags: &mut Diagnostics,
) -> Result<Vec<String>, Diagnostics> {
    let ec2 = &clients.ec2;
    let lookup = |e| lookup_error(e, "s3_route_table_ids", "");
    let (ids, tables): (Vec<String>, Vec<RouteTable>) = match inputs.route_table_ids {
        Some([]) => return Ok(Vec::new()),
        Some(ids) => match find::find_route_tables(ec2, ids, prefix_list_id).await {
            Ok(tables) => (ids.to_vec(), tables),
            Err(e) => {
                diags.extend(lookup_error(
                    e,
                    "s3_route_table_ids",
                    "Check s3_route_table_ids: each must be a route table of the VPC.",
                ));
                return Ok(ids.to_vec());
            }
        },
        // The subnets' tables, routes included, from one listing of the VPC's.
        None => {
            let all = find::find_vpc_route_tables(ec2, &vpc.id, prefix_list_id)
                .await
                .map_err(lookup)?;
            let by_subnet =
                find::route_tables_by_subnet(&vpc.id, &all, inputs.subnet_ids).map_err(lookup)?;
            let ids: BTreeSet<String> = by_subnet.into_values().collect();
            let tables = all.into_iter().filter(|t| ids.contains(&t.id)).collect();
            (ids.into_iter().collect(), tables)
        }
    };
    if let Some(prefix_list_id) = prefix_list_id {
        let routed = tables.iter().flat_map(|table| {
            let ids = table.gateway_endpoints_for(prefix_list_id).into_iter();
            ids.map(|id| (table.id.as_str(), id))
        });
        check_s3_routes(inputs, routed, endpoints, diags);
    }
    for table in tables.iter().filter(|t| t.vpc_id != vpc.id) {
        diags.attribute_error(
            AttrPath::root("s3_route_table_ids"),
            "Route table in another VPC",
            format!(
                "Route table {} is in {}, not in {}. Use route tables of {}.",
                table.id, table.vpc_id, vpc.id, vpc.id
            ),
        );
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(cidrs: &[String]) -> Value {
        let strings = cidrs.iter().map(|c| Value::String(c.clone())).collect();
        Value::Object(BTreeMap::from([(
            "allowed_cidr_blocks".to_owned(),
            Value::Set(strings),
        )]))
    }

    fn summaries(config: &Value) -> Vec<String> {
        let mut diags = Diagnostics::new();
        validate(config, &mut diags);
        diags.iter().map(|d| d.summary.clone()).collect()
    }

    /// The conflict a network or a Studio domain's endpoints (`asker`)
    /// meets on an api endpoint with owner tag `owner`.
    fn conflict(asker: &Owner, owner: &str) -> String {
        let endpoint = VpcEndpoint {
            id: "vpce-taken".into(),
            vpc_id: "vpc-1".into(),
            service_name: "com.amazonaws.us-east-1.sagemaker.api".into(),
            endpoint_type: "Interface".into(),
            state: "available".into(),
            private_dns_enabled: true,
            tags: BTreeMap::from([
                (
                    "ManagedBy".to_owned(),
                    "terraform-provider-sagemaker".to_owned(),
                ),
                ("sagemaker:owner".to_owned(), owner.to_owned()),
            ]),
            subnet_ids: Vec::new(),
            security_group_ids: Vec::new(),
            route_table_ids: Vec::new(),
            network_interface_ids: Vec::new(),
            policy_document: None,
            dns_names: Vec::new(),
            creation_timestamp: None,
            failure_reason: None,
        };
        let services = [catalog::service("sagemaker_api").unwrap()];
        let inputs = RemoteInputs {
            vpc_id: "vpc-1",
            subnet_ids: &[],
            allowed_groups: &[],
            services: &services,
            private_dns: true,
            route_table_ids: None,
            owner: asker,
            creating: true,
            recorded: &[],
            in_state: None,
        };
        let mut diags = Diagnostics::new();
        check_conflicts(&inputs, &[endpoint], "us-east-1", &mut diags);
        let details: Vec<String> = diags.iter().map(|d| d.detail.clone()).collect();
        assert_eq!(details.len(), 1, "{details:?}");
        details[0].clone()
    }

    fn network() -> Owner {
        Owner::planned(super::super::state::TYPE_NAME, "vpc-1")
    }

    fn domain_endpoints() -> Owner {
        let studio = crate::resources::studio_domain::state::TYPE_NAME;
        Owner::planned(studio, "team-a").part("endpoints")
    }

    /// Regression (trial #5): a Studio domain whose endpoints meet a
    /// network's is told about the domain's fix (depends_on), not the
    /// network's attribute it does not have.
    #[test]
    fn a_domain_meeting_a_networks_endpoint_is_told_to_depend_on_the_network() {
        let text = conflict(&domain_endpoints(), "vpc-1/0a1b");
        assert!(
            text.contains("belongs to a sagemaker_private_network (owner vpc-1/0a1b)")
                && text.contains(
                    "depends_on = [sagemaker_private_network.NAME] to this sagemaker_studio_domain"
                )
                && !text.contains("private_dns_enabled"),
            "{text}"
        );
    }

    /// Regression (trial #5): a network meeting a domain's endpoint names
    /// the domain as the owner, not "another sagemaker_private_network".
    #[test]
    fn a_network_meeting_a_domains_endpoint_names_the_domain() {
        let text = conflict(&network(), "team-a/9f8e/endpoints");
        assert!(
            text.contains("belongs to a sagemaker_studio_domain (owner team-a/9f8e)")
                && !text.contains("Use that network")
                && text.contains("Leave sagemaker_api out of services here"),
            "{text}"
        );
        let text = conflict(&network(), "vpc-1/0a1b");
        assert!(
            text.contains("another sagemaker_private_network (owner vpc-1/0a1b)")
                && text.contains("private_dns_enabled = false here"),
            "{text}"
        );
        let text = conflict(&domain_endpoints(), "team-b/77/endpoints");
        assert!(
            text.contains("belongs to another sagemaker_studio_domain (owner team-b/77)")
                && !text.contains("private_dns_enabled"),
            "{text}"
        );
    }

    fn subnet(id: &str, vpc_id: &str, zone: &str) -> Subnet {
        Subnet {
            id: id.into(),
            vpc_id: vpc_id.into(),
            availability_zone: zone.into(),
            availability_zone_id: String::new(),
            cidr_block: "10.0.0.0/24".into(),
            available_ip_address_count: 200,
        }
    }

    /// Regression (trial #11): a subnet of another VPC is the one problem
    /// reported, with no zone warning or error following from it.
    #[test]
    fn a_subnet_of_another_vpc_is_reported_alone() {
        let vpc = Vpc {
            id: "vpc-1".into(),
            cidr_blocks: vec!["10.0.0.0/16".into()],
            ipv6_cidr_blocks: Vec::new(),
            dns_support: true,
            dns_hostnames: true,
            instance_tenancy: "default".into(),
            owner_id: String::new(),
        };
        let services = [catalog::service("sagemaker_api").unwrap()];
        let summaries = |subnets: &[Subnet]| {
            let mut diags = Diagnostics::new();
            check_subnets(&vpc, subnets, &services, &mut diags);
            diags.iter().map(|d| d.summary.clone()).collect::<Vec<_>>()
        };
        let foreign = [
            subnet("subnet-a", "vpc-1", "us-east-1a"),
            subnet("subnet-x", "vpc-2", "us-east-1a"),
        ];
        assert_eq!(summaries(&foreign), ["Subnet in another VPC"]);
        let same_zone = [
            subnet("subnet-a", "vpc-1", "us-east-1a"),
            subnet("subnet-b", "vpc-1", "us-east-1a"),
        ];
        assert_eq!(
            summaries(&same_zone),
            [
                "Two subnets in one Availability Zone",
                "Endpoints in one Availability Zone only"
            ]
        );
    }

    #[test]
    fn anywhere_in_several_blocks_needs_the_opt_in() {
        let split = config(&["0.0.0.0/1".into(), "128.0.0.0/1".into()]);
        assert_eq!(summaries(&split), ["Ingress from anywhere needs an opt-in"]);
        let half = config(&["0.0.0.0/1".into()]);
        assert!(summaries(&half).is_empty());
    }

    #[test]
    fn more_sources_than_a_group_takes_warns() {
        let many: Vec<String> = (0..61).map(|i| format!("10.{i}.0.0/16")).collect();
        assert_eq!(
            summaries(&config(&many)),
            ["More sources than a security group takes by default"]
        );
        assert!(summaries(&config(&many[..60])).is_empty());
    }
}
