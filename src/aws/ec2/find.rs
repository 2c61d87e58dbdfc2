//! Finders: read EC2 objects and return typed results, never SDK types.
//!
//! Every finder answers `Result<_, FindError>`, where "not found" is a
//! first-class outcome ([`FindError::NotFound`]) distinct from an API failure
//! ([`FindError::Api`]). Lists of ids are looked up with an id *filter* in one
//! call, so the ids missing from the answer are exactly the ones that do not
//! exist (with id parameters, EC2 fails the whole call, and moto even names the
//! wrong id). Listings follow `NextToken`.

use super::tags;
use crate::aws::describe_error;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::types::{self as sdk, Filter};
use std::collections::{BTreeMap, BTreeSet};

/// Why a finder returned no answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FindError {
    /// The object does not exist. `id` may list several ids, comma-separated.
    #[error("{what} ({id}) not found")]
    NotFound { what: String, id: String },
    /// The call failed, e.g. "describing EC2 VPC (vpc-1): RequestLimitExceeded: …".
    #[error("{0}")]
    Api(String),
}

impl FindError {
    /// True for [`FindError::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, FindError::NotFound { .. })
    }

    /// The ids a [`FindError::NotFound`] names (empty for an API error).
    pub fn missing_ids(&self) -> Vec<&str> {
        match self {
            FindError::NotFound { id, .. } => id.split(", ").collect(),
            FindError::Api(_) => Vec::new(),
        }
    }

    fn not_found(what: &str, ids: &[String]) -> FindError {
        FindError::NotFound {
            what: what.to_owned(),
            id: ids.join(", "),
        }
    }
}

/// A VPC with the attributes the checks need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vpc {
    pub id: String,
    /// IPv4 blocks: the primary first, then the associated ones.
    pub cidr_blocks: Vec<String>,
    /// Associated IPv6 blocks.
    pub ipv6_cidr_blocks: Vec<String>,
    /// `enableDnsSupport`.
    pub dns_support: bool,
    /// `enableDnsHostnames`.
    pub dns_hostnames: bool,
    /// `default`, `dedicated` or `host`.
    pub instance_tenancy: String,
    pub owner_id: String,
}

/// A subnet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    /// e.g. `us-east-1a`.
    pub availability_zone: String,
    /// e.g. `use1-az4`: the same physical zone in every account.
    pub availability_zone_id: String,
    pub cidr_block: String,
    pub available_ip_address_count: u32,
}

/// One route of a route table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// A CIDR (IPv4 or IPv6) or a prefix list id.
    pub destination: String,
    /// The target id (`local`, `igw-…`, `nat-…`, `vpce-…`, …), empty if none.
    pub target: String,
    /// `active` or `blackhole`.
    pub state: String,
}

/// A route table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteTable {
    pub id: String,
    pub vpc_id: String,
    /// True for the VPC's main table.
    pub main: bool,
    /// Subnets explicitly associated with this table.
    pub subnet_ids: Vec<String>,
    /// An active route through a NAT gateway.
    pub has_nat_route: bool,
    /// An active route from the S3 prefix list to a gateway endpoint
    /// (false when no S3 prefix list id was given).
    pub has_s3_gateway_route: bool,
    pub routes: Vec<Route>,
    pub tags: BTreeMap<String, String>,
}

impl RouteTable {
    /// The active default route (`0.0.0.0/0` or `::/0`) to an internet
    /// gateway, if any: the mark of a public subnet.
    pub fn internet_gateway_default_route(&self) -> Option<&Route> {
        self.routes.iter().find(|r| {
            (r.destination == "0.0.0.0/0" || r.destination == "::/0")
                && r.target.starts_with("igw-")
                && r.state != "blackhole"
        })
    }

    /// The gateway endpoint ids routed from `prefix_list_id` in this table.
    pub fn gateway_endpoints_for(&self, prefix_list_id: &str) -> Vec<&str> {
        self.routes
            .iter()
            .filter(|r| r.destination == prefix_list_id && r.target.starts_with("vpce-"))
            .map(|r| r.target.as_str())
            .collect()
    }

    /// This table with its S3 routes as a fresher listing of the VPC's
    /// endpoints gives them (an S3 gateway endpoint names the tables it
    /// routes), the other routes as read before.
    pub fn with_s3_routes_of(&self, prefix_list_id: &str, endpoints: &[VpcEndpoint]) -> RouteTable {
        let mut table = self.clone();
        table.routes.retain(|r| r.destination != prefix_list_id);
        table.routes.extend(
            endpoints
                .iter()
                .filter(|e| e.is_s3_gateway() && e.route_table_ids.contains(&self.id))
                .map(|e| Route {
                    destination: prefix_list_id.to_owned(),
                    target: e.id.clone(),
                    state: "active".to_owned(),
                }),
        );
        table.has_s3_gateway_route = table
            .routes
            .iter()
            .any(|r| r.destination == prefix_list_id && r.target.starts_with("vpce-"));
        table
    }
}

/// A VPC endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VpcEndpoint {
    pub id: String,
    pub vpc_id: String,
    pub service_name: String,
    /// `Interface`, `Gateway` or `GatewayLoadBalancer`.
    pub endpoint_type: String,
    /// Lowercase: `pending`, `available`, `deleting`, `deleted`, `failed`, …
    pub state: String,
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
    pub route_table_ids: Vec<String>,
    pub network_interface_ids: Vec<String>,
    pub private_dns_enabled: bool,
    /// The policy as JSON text (URL-decoded if the API encoded it).
    pub policy_document: Option<String>,
    pub dns_names: Vec<String>,
    pub tags: BTreeMap<String, String>,
    /// RFC 3339.
    pub creation_timestamp: Option<String>,
    /// Why the endpoint failed, when AWS says.
    pub failure_reason: Option<String>,
}

impl VpcEndpoint {
    /// True once the endpoint no longer exists: `deleted` (AWS and moto keep
    /// listing deleted endpoints for a while) or `expired`.
    pub fn is_gone(&self) -> bool {
        is_gone_state(&self.state)
    }

    /// True for a live S3 gateway endpoint (the one that routes S3 on its
    /// tables).
    pub fn is_s3_gateway(&self) -> bool {
        self.endpoint_type.eq_ignore_ascii_case("gateway")
            && self.service_name.ends_with(".s3")
            && !self.is_gone()
    }
}

/// True for the states of an endpoint that no longer exists.
pub fn is_gone_state(state: &str) -> bool {
    matches!(state, "deleted" | "expired")
}

/// A security group rule, one per protocol and port range.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rule {
    /// Lowercase: `tcp`, `udp`, `icmp`, `-1` (all), or a protocol number.
    pub protocol: String,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    pub cidr_ipv4: Vec<String>,
    pub cidr_ipv6: Vec<String>,
    pub source_group_ids: Vec<String>,
    pub prefix_list_ids: Vec<String>,
}

impl Rule {
    /// True when the rule lets TCP traffic to `port` through: protocol
    /// `tcp` with the port in range, or every protocol (`-1`).
    pub fn allows_tcp_port(&self, port: i32) -> bool {
        match self.protocol.as_str() {
            "-1" | "all" => true,
            "tcp" | "6" => {
                let from = self.from_port.unwrap_or(0);
                let to = self.to_port.unwrap_or(65535);
                (from..=to).contains(&port) || (from == -1 && to == -1)
            }
            _ => false,
        }
    }
}

/// True when the ingress rules of `groups`, together, let TCP `port` in
/// from one of the groups `sources`, or from blocks holding every one of
/// the IPv4 blocks `clients` (each held by some rule).
pub fn admits_tcp(
    groups: &[&SecurityGroup],
    port: i32,
    sources: &[&str],
    clients: &[&str],
) -> bool {
    let rules: Vec<&Rule> = groups
        .iter()
        .flat_map(|g| &g.ingress)
        .filter(|r| r.allows_tcp_port(port))
        .collect();
    let by_group = rules.iter().any(|r| {
        r.source_group_ids
            .iter()
            .any(|g| sources.contains(&g.as_str()))
    });
    by_group
        || clients.iter().all(|client| {
            rules.iter().any(|r| {
                r.cidr_ipv4
                    .iter()
                    .any(|c| crate::aws::ids::cidr_contains(c, client))
            })
        })
}

/// A security group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityGroup {
    pub id: String,
    pub vpc_id: String,
    pub name: String,
    pub description: String,
    pub ingress: Vec<Rule>,
    pub egress: Vec<Rule>,
    pub tags: BTreeMap<String, String>,
}

/// The VPC `id` with its CIDR blocks and DNS attributes (DescribeVpcs and
/// both DescribeVpcAttribute calls, concurrently).
pub async fn find_vpc(ec2: &aws_sdk_ec2::Client, id: &str) -> Result<Vpc, FindError> {
    let action = format!("describing EC2 VPC ({id})");
    let (described, dns_support, dns_hostnames) = tokio::join!(
        ec2.describe_vpcs().vpc_ids(id).send(),
        vpc_attribute(ec2, id, sdk::VpcAttributeName::EnableDnsSupport),
        vpc_attribute(ec2, id, sdk::VpcAttributeName::EnableDnsHostnames),
    );
    let described = described.map_err(|e| classify("EC2 VPC", &[id.to_owned()], &action, &e))?;
    let Some(vpc) = described.vpcs().iter().find(|v| v.vpc_id() == Some(id)) else {
        return Err(FindError::not_found("EC2 VPC", &[id.to_owned()]));
    };
    Ok(Vpc {
        id: id.to_owned(),
        cidr_blocks: ipv4_blocks(vpc),
        ipv6_cidr_blocks: ipv6_blocks(vpc),
        dns_support: dns_support?,
        dns_hostnames: dns_hostnames?,
        instance_tenancy: text(vpc.instance_tenancy().map(|t| t.as_str())),
        owner_id: text(vpc.owner_id()),
    })
}

/// The IPv4 CIDR blocks of VPC `id` (one DescribeVpcs; [`find_vpc`] also
/// reads its DNS attributes).
pub async fn find_vpc_cidr_blocks(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
) -> Result<Vec<String>, FindError> {
    let action = format!("describing EC2 VPC ({id})");
    let described = ec2
        .describe_vpcs()
        .vpc_ids(id)
        .send()
        .await
        .map_err(|e| classify("EC2 VPC", &[id.to_owned()], &action, &e))?;
    match described.vpcs().iter().find(|v| v.vpc_id() == Some(id)) {
        Some(vpc) => Ok(ipv4_blocks(vpc)),
        None => Err(FindError::not_found("EC2 VPC", &[id.to_owned()])),
    }
}

async fn vpc_attribute(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    attribute: sdk::VpcAttributeName,
) -> Result<bool, FindError> {
    let action = format!("describing EC2 VPC ({id}) attribute {}", attribute.as_str());
    let out = ec2
        .describe_vpc_attribute()
        .vpc_id(id)
        .attribute(attribute.clone())
        .send()
        .await
        .map_err(|e| classify("EC2 VPC", &[id.to_owned()], &action, &e))?;
    let value = match attribute {
        sdk::VpcAttributeName::EnableDnsHostnames => out.enable_dns_hostnames(),
        _ => out.enable_dns_support(),
    };
    Ok(value.and_then(|v| v.value()).unwrap_or(false))
}

fn ipv4_blocks(vpc: &sdk::Vpc) -> Vec<String> {
    let associated = vpc
        .cidr_block_association_set()
        .iter()
        .filter(|a| {
            association_live(
                a.cidr_block_state()
                    .and_then(|s| s.state())
                    .map(|s| s.as_str()),
            )
        })
        .filter_map(|a| a.cidr_block());
    unique(vpc.cidr_block().into_iter().chain(associated))
}

fn ipv6_blocks(vpc: &sdk::Vpc) -> Vec<String> {
    let associated = vpc
        .ipv6_cidr_block_association_set()
        .iter()
        .filter(|a| {
            association_live(
                a.ipv6_cidr_block_state()
                    .and_then(|s| s.state())
                    .map(|s| s.as_str()),
            )
        })
        .filter_map(|a| a.ipv6_cidr_block());
    unique(associated)
}

/// A CIDR association counts unless it is being or has been removed.
fn association_live(state: Option<&str>) -> bool {
    !matches!(state, Some(s) if s.starts_with("disassociat") || s == "failed")
}

/// The subnets `ids`, in the order asked, in one DescribeSubnets call.
/// Ids that do not exist → [`FindError::NotFound`] naming all of them.
pub async fn find_subnets(
    ec2: &aws_sdk_ec2::Client,
    ids: &[String],
) -> Result<Vec<Subnet>, FindError> {
    const WHAT: &str = "EC2 Subnet";
    let ids = unique(ids.iter().map(String::as_str));
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let action = format!("describing EC2 Subnets ({})", ids.join(", "));
    let found = ec2
        .describe_subnets()
        .filters(filter("subnet-id", &ids))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| classify(WHAT, &ids, &action, &e))?;
    let found: Vec<Subnet> = found.iter().map(flatten_subnet).collect();
    in_requested_order(WHAT, &ids, found, |s| &s.id)
}

fn flatten_subnet(subnet: &sdk::Subnet) -> Subnet {
    Subnet {
        id: text(subnet.subnet_id()),
        vpc_id: text(subnet.vpc_id()),
        availability_zone: text(subnet.availability_zone()),
        availability_zone_id: text(subnet.availability_zone_id()),
        cidr_block: text(subnet.cidr_block()),
        available_ip_address_count: subnet
            .available_ip_address_count()
            .map_or(0, |n| u32::try_from(n).unwrap_or(0)),
    }
}

/// The route table of each of `subnet_ids` (one DescribeRouteTables call
/// filtered by VPC): the explicitly associated table, else the VPC's main
/// table. Subnets not in `vpc_id` get the main table too: check membership
/// with [`find_subnets`] first.
pub async fn find_route_tables_for_subnets(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    subnet_ids: &[String],
) -> Result<BTreeMap<String, String>, FindError> {
    let tables = find_vpc_route_tables(ec2, vpc_id, None).await?;
    route_tables_by_subnet(vpc_id, &tables, subnet_ids)
}

/// Every route table of `vpc_id` (one listing), with `has_s3_gateway_route`
/// computed against `s3_prefix_list_id` when given: where
/// [`route_tables_by_subnet`] finds the subnets' tables, with their routes
/// (no second call for the tables found).
pub async fn find_vpc_route_tables(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    s3_prefix_list_id: Option<&str>,
) -> Result<Vec<RouteTable>, FindError> {
    let action = format!("describing EC2 Route Tables of VPC ({vpc_id})");
    let tables = ec2
        .describe_route_tables()
        .filters(filter("vpc-id", [vpc_id]))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| FindError::Api(describe_error(&action, &e)))?;
    Ok(tables
        .iter()
        .map(|t| flatten_route_table(t, s3_prefix_list_id))
        .collect())
}

/// Every subnet of `vpc_id` in one paginated listing (filter `vpc-id`).
pub async fn find_subnets_in_vpc(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
) -> Result<Vec<Subnet>, FindError> {
    let action = format!("describing EC2 Subnets of VPC ({vpc_id})");
    let found = ec2
        .describe_subnets()
        .filters(filter("vpc-id", [vpc_id]))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| FindError::Api(describe_error(&action, &e)))?;
    Ok(found.iter().map(flatten_subnet).collect())
}

/// Maps each subnet to its explicit table, else the main table, among the
/// `tables` of `vpc_id`.
pub fn route_tables_by_subnet(
    vpc_id: &str,
    tables: &[RouteTable],
    subnet_ids: &[String],
) -> Result<BTreeMap<String, String>, FindError> {
    let explicit: BTreeMap<&str, &str> = tables
        .iter()
        .flat_map(|t| t.subnet_ids.iter().map(|s| (s.as_str(), t.id.as_str())))
        .collect();
    let main = tables.iter().find(|t| t.main).map(|t| t.id.as_str());
    subnet_ids
        .iter()
        .map(
            |subnet| match explicit.get(subnet.as_str()).copied().or(main) {
                Some(table) => Ok((subnet.clone(), table.to_owned())),
                None => Err(FindError::NotFound {
                    what: "main EC2 Route Table of VPC".to_owned(),
                    id: vpc_id.to_owned(),
                }),
            },
        )
        .collect()
}

/// The route tables `ids`, in the order asked, in one call.
/// `has_s3_gateway_route` is computed against `s3_prefix_list_id` (from
/// [`find_s3_prefix_list_id`]); pass `None` when it is not needed.
pub async fn find_route_tables(
    ec2: &aws_sdk_ec2::Client,
    ids: &[String],
    s3_prefix_list_id: Option<&str>,
) -> Result<Vec<RouteTable>, FindError> {
    const WHAT: &str = "EC2 Route Table";
    let ids = unique(ids.iter().map(String::as_str));
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let action = format!("describing EC2 Route Tables ({})", ids.join(", "));
    let found = ec2
        .describe_route_tables()
        .filters(filter("route-table-id", &ids))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| classify(WHAT, &ids, &action, &e))?;
    let found = found
        .iter()
        .map(|t| flatten_route_table(t, s3_prefix_list_id))
        .collect();
    in_requested_order(WHAT, &ids, found, |t| &t.id)
}

fn flatten_route_table(table: &sdk::RouteTable, s3_prefix_list_id: Option<&str>) -> RouteTable {
    let live: Vec<&sdk::RouteTableAssociation> = table
        .associations()
        .iter()
        .filter(|a| {
            association_live(
                a.association_state()
                    .and_then(|s| s.state())
                    .map(|s| s.as_str()),
            )
        })
        .collect();
    let routes: Vec<Route> = table.routes().iter().map(flatten_route).collect();
    let active = |r: &&Route| r.state != "blackhole";
    let has_nat_route = routes
        .iter()
        .filter(active)
        .any(|r| r.target.starts_with("nat-"));
    let has_s3_gateway_route = s3_prefix_list_id.is_some_and(|pl| {
        routes
            .iter()
            .filter(active)
            .any(|r| r.destination == pl && r.target.starts_with("vpce-"))
    });
    RouteTable {
        id: text(table.route_table_id()),
        vpc_id: text(table.vpc_id()),
        main: live.iter().any(|a| a.main() == Some(true)),
        subnet_ids: live
            .iter()
            .filter_map(|a| a.subnet_id())
            .map(str::to_owned)
            .collect(),
        has_nat_route,
        has_s3_gateway_route,
        routes,
        tags: tags::from_sdk(table.tags()),
    }
}

fn flatten_route(route: &sdk::Route) -> Route {
    let destination = route
        .destination_cidr_block()
        .or(route.destination_ipv6_cidr_block())
        .or(route.destination_prefix_list_id());
    let target = route
        .gateway_id()
        .or(route.nat_gateway_id())
        .or(route.transit_gateway_id())
        .or(route.vpc_peering_connection_id())
        .or(route.egress_only_internet_gateway_id())
        .or(route.network_interface_id())
        .or(route.instance_id())
        .or(route.local_gateway_id())
        .or(route.carrier_gateway_id());
    Route {
        destination: text(destination),
        target: text(target),
        state: text(route.state().map(|s| s.as_str())).to_ascii_lowercase(),
    }
}

/// Every VPC endpoint of `vpc_id` in one paginated listing (filter
/// `vpc-id`). Endpoints that are gone ([`VpcEndpoint::is_gone`]) are left out
/// unless `include_gone`.
pub async fn find_vpc_endpoints_in_vpc(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    include_gone: bool,
) -> Result<Vec<VpcEndpoint>, FindError> {
    let action = format!("describing EC2 VPC Endpoints of VPC ({vpc_id})");
    let found = ec2
        .describe_vpc_endpoints()
        .filters(filter("vpc-id", [vpc_id]))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| FindError::Api(describe_error(&action, &e)))?;
    Ok(found
        .iter()
        .map(flatten_vpc_endpoint)
        .filter(|e| include_gone || !e.is_gone())
        .collect())
}

fn flatten_vpc_endpoint(endpoint: &sdk::VpcEndpoint) -> VpcEndpoint {
    VpcEndpoint {
        id: text(endpoint.vpc_endpoint_id()),
        vpc_id: text(endpoint.vpc_id()),
        service_name: text(endpoint.service_name()),
        endpoint_type: endpoint_type(endpoint.vpc_endpoint_type().map(|t| t.as_str())),
        state: text(endpoint.state().map(|s| s.as_str())).to_ascii_lowercase(),
        subnet_ids: endpoint.subnet_ids().to_vec(),
        security_group_ids: endpoint
            .groups()
            .iter()
            .filter_map(|g| g.group_id())
            .map(str::to_owned)
            .collect(),
        route_table_ids: endpoint.route_table_ids().to_vec(),
        network_interface_ids: endpoint.network_interface_ids().to_vec(),
        private_dns_enabled: endpoint.private_dns_enabled().unwrap_or(false),
        policy_document: endpoint.policy_document().map(decode_policy),
        dns_names: endpoint
            .dns_entries()
            .iter()
            .filter_map(|d| d.dns_name())
            .map(str::to_owned)
            .collect(),
        tags: tags::from_sdk(endpoint.tags()),
        creation_timestamp: endpoint
            .creation_timestamp()
            .and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok()),
        failure_reason: endpoint
            .failure_reason()
            .or(endpoint.last_error().and_then(|e| e.message()))
            .map(str::to_owned),
    }
}

/// Canonical spelling of an endpoint type, whatever case the API used.
fn endpoint_type(raw: Option<&str>) -> String {
    match raw.map(str::to_ascii_lowercase).as_deref() {
        Some("interface") => "Interface".to_owned(),
        Some("gateway") => "Gateway".to_owned(),
        Some("gatewayloadbalancer") => "GatewayLoadBalancer".to_owned(),
        _ => text(raw),
    }
}

/// A policy as JSON text. DescribeVpcEndpoints (AWS and moto) returns plain
/// JSON, but some EC2-adjacent APIs (IAM) return it URL-encoded: decode when
/// the text is not JSON and decodes cleanly.
pub fn decode_policy(raw: &str) -> String {
    let trimmed = raw.trim_start();
    if trimmed.starts_with('{') || !raw.contains('%') {
        return raw.to_owned();
    }
    percent_decode(raw).unwrap_or_else(|| raw.to_owned())
}

/// Decodes `%XX` escapes (and `+` as space); `None` if malformed or not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The security group `id`.
pub async fn find_security_group(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
) -> Result<SecurityGroup, FindError> {
    let mut groups = find_security_groups(ec2, &[id.to_owned()]).await?;
    Ok(groups.remove(0))
}

/// The security groups `ids`, in the order asked, in one call.
pub async fn find_security_groups(
    ec2: &aws_sdk_ec2::Client,
    ids: &[String],
) -> Result<Vec<SecurityGroup>, FindError> {
    const WHAT: &str = "EC2 Security Group";
    let ids = unique(ids.iter().map(String::as_str));
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let action = format!("describing EC2 Security Groups ({})", ids.join(", "));
    let found = describe_security_groups(ec2, vec![filter("group-id", &ids)])
        .await
        .map_err(|e| classify(WHAT, &ids, &action, &e))?;
    in_requested_order(WHAT, &ids, found, |g| &g.id)
}

/// The security groups of `vpc_id` tagged `key` = `value` (to adopt what a
/// crashed apply created). Empty when there are none.
pub async fn find_security_groups_by_tag(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    key: &str,
    value: &str,
) -> Result<Vec<SecurityGroup>, FindError> {
    let filters = vec![
        filter("vpc-id", [vpc_id]),
        filter(&format!("tag:{key}"), [value]),
    ];
    describe_security_groups(ec2, filters).await.map_err(|e| {
        let action =
            format!("describing EC2 Security Groups of VPC ({vpc_id}) tagged {key}={value}");
        FindError::Api(describe_error(&action, &e))
    })
}

/// The security groups of `vpc_id` named one of `names` (groups SageMaker
/// makes carry no tags). Empty when there are none.
pub async fn find_security_groups_by_name(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    names: &[String],
) -> Result<Vec<SecurityGroup>, FindError> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let filters = vec![filter("vpc-id", [vpc_id]), filter("group-name", names)];
    describe_security_groups(ec2, filters).await.map_err(|e| {
        let action = format!(
            "describing EC2 Security Groups of VPC ({vpc_id}) named {}",
            names.join(", ")
        );
        FindError::Api(describe_error(&action, &e))
    })
}

/// Every security group of `vpc_id` in one paginated listing (filter
/// `vpc-id`).
pub async fn find_security_groups_in_vpc(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
) -> Result<Vec<SecurityGroup>, FindError> {
    describe_security_groups(ec2, vec![filter("vpc-id", [vpc_id])])
        .await
        .map_err(|e| {
            let action = format!("describing EC2 Security Groups of VPC ({vpc_id})");
            FindError::Api(describe_error(&action, &e))
        })
}

type DescribeSecurityGroupsError =
    SdkError<aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsError>;

async fn describe_security_groups(
    ec2: &aws_sdk_ec2::Client,
    filters: Vec<Filter>,
) -> Result<Vec<SecurityGroup>, DescribeSecurityGroupsError> {
    let groups = ec2
        .describe_security_groups()
        .set_filters(Some(filters))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await?;
    Ok(groups.iter().map(flatten_security_group).collect())
}

fn flatten_security_group(group: &sdk::SecurityGroup) -> SecurityGroup {
    SecurityGroup {
        id: text(group.group_id()),
        vpc_id: text(group.vpc_id()),
        name: text(group.group_name()),
        description: text(group.description()),
        ingress: group.ip_permissions().iter().map(flatten_rule).collect(),
        egress: group
            .ip_permissions_egress()
            .iter()
            .map(flatten_rule)
            .collect(),
        tags: tags::from_sdk(group.tags()),
    }
}

fn flatten_rule(permission: &sdk::IpPermission) -> Rule {
    Rule {
        protocol: text(permission.ip_protocol()).to_ascii_lowercase(),
        from_port: permission.from_port(),
        to_port: permission.to_port(),
        cidr_ipv4: permission
            .ip_ranges()
            .iter()
            .filter_map(|r| r.cidr_ip())
            .map(str::to_owned)
            .collect(),
        cidr_ipv6: permission
            .ipv6_ranges()
            .iter()
            .filter_map(|r| r.cidr_ipv6())
            .map(str::to_owned)
            .collect(),
        source_group_ids: permission
            .user_id_group_pairs()
            .iter()
            .filter_map(|p| p.group_id())
            .map(str::to_owned)
            .collect(),
        prefix_list_ids: permission
            .prefix_list_ids()
            .iter()
            .filter_map(|p| p.prefix_list_id())
            .map(str::to_owned)
            .collect(),
    }
}

/// The id of the AWS-managed S3 prefix list of `region`
/// (`com.amazonaws.REGION.s3`), from DescribePrefixLists. Never hard-code
/// it: it differs per Region (and per moto process).
pub async fn find_s3_prefix_list_id(
    ec2: &aws_sdk_ec2::Client,
    region: &str,
) -> Result<String, FindError> {
    let name = format!("com.amazonaws.{region}.s3");
    let action = format!("describing EC2 Prefix List ({name})");
    let lists = ec2
        .describe_prefix_lists()
        .filters(filter("prefix-list-name", [name.as_str()]))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| FindError::Api(describe_error(&action, &e)))?;
    lists
        .iter()
        .filter(|l| l.prefix_list_name() == Some(name.as_str()))
        .find_map(|l| l.prefix_list_id())
        .map(str::to_owned)
        .ok_or_else(|| FindError::not_found("EC2 Prefix List", &[name]))
}

/// An EC2 filter.
fn filter<I, S>(name: &str, values: I) -> Filter
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let values = values.into_iter().map(|v| v.as_ref().to_owned()).collect();
    Filter::builder()
        .name(name)
        .set_values(Some(values))
        .build()
}

/// Maps an SDK error: a `*.NotFound` code → [`FindError::NotFound`] naming
/// the requested ids the message mentions (all of them if it names none),
/// anything else → [`FindError::Api`].
fn classify<E>(what: &str, requested: &[String], action: &str, err: &SdkError<E>) -> FindError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if !err.code().is_some_and(|c| c.ends_with(".NotFound")) {
        return FindError::Api(describe_error(action, err));
    }
    FindError::not_found(
        what,
        &missing_from_message(err.message().unwrap_or_default(), requested),
    )
}

/// The requested ids a not-found message names, else all requested.
fn missing_from_message(message: &str, requested: &[String]) -> Vec<String> {
    let named: Vec<String> = requested
        .iter()
        .filter(|id| mentions(message, id))
        .cloned()
        .collect();
    if named.is_empty() {
        requested.to_vec()
    } else {
        named
    }
}

/// True if `id` appears in `message` as a whole word.
fn mentions(message: &str, id: &str) -> bool {
    let is_id_char = |c: char| c.is_ascii_alphanumeric() || c == '-';
    message
        .split(|c: char| !is_id_char(c))
        .any(|word| word == id)
}

/// `found` sorted like `ids`; ids without a match → NotFound naming them.
fn in_requested_order<T>(
    what: &str,
    ids: &[String],
    found: Vec<T>,
    id_of: impl Fn(&T) -> &String,
) -> Result<Vec<T>, FindError> {
    let mut by_id: BTreeMap<String, T> =
        found.into_iter().map(|t| (id_of(&t).clone(), t)).collect();
    let missing: Vec<String> = ids
        .iter()
        .filter(|id| !by_id.contains_key(*id))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(FindError::not_found(what, &missing));
    }
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// Distinct values, first occurrence order.
fn unique<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    values
        .into_iter()
        .filter(|v| seen.insert(*v))
        .map(str::to_owned)
        .collect()
}

fn text(value: Option<&str>) -> String {
    value.unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_table_takes_its_s3_routes_from_a_fresher_endpoint_listing() {
        let route = |destination: &str, target: &str| Route {
            destination: destination.into(),
            target: target.into(),
            state: "active".into(),
        };
        let table = RouteTable {
            id: "rtb-1".into(),
            vpc_id: "vpc-1".into(),
            main: false,
            subnet_ids: ids(&["subnet-1"]),
            has_nat_route: false,
            has_s3_gateway_route: true,
            routes: vec![route("10.0.0.0/16", "local"), route("pl-s3", "vpce-old")],
            tags: BTreeMap::new(),
        };
        let gateway = |id: &str, service: &str, state: &str, tables: &[&str]| VpcEndpoint {
            id: id.into(),
            vpc_id: "vpc-1".into(),
            service_name: service.into(),
            endpoint_type: "Gateway".into(),
            state: state.into(),
            route_table_ids: ids(tables),
            ..VpcEndpoint::default()
        };
        let now = [
            gateway(
                "vpce-old",
                "com.amazonaws.us-east-1.s3",
                "deleted",
                &["rtb-1"],
            ),
            gateway(
                "vpce-new",
                "com.amazonaws.us-east-1.s3",
                "available",
                &["rtb-1"],
            ),
            gateway(
                "vpce-ddb",
                "com.amazonaws.us-east-1.dynamodb",
                "available",
                &["rtb-1"],
            ),
            gateway(
                "vpce-far",
                "com.amazonaws.us-east-1.s3",
                "available",
                &["rtb-2"],
            ),
        ];
        let fresh = table.with_s3_routes_of("pl-s3", &now);
        assert_eq!(fresh.gateway_endpoints_for("pl-s3"), vec!["vpce-new"]);
        assert!(fresh.has_s3_gateway_route);
        assert!(fresh.routes.contains(&route("10.0.0.0/16", "local")));
        let gone = table.with_s3_routes_of("pl-s3", &now[..1]);
        assert!(gone.gateway_endpoints_for("pl-s3").is_empty());
        assert!(!gone.has_s3_gateway_route);
    }

    fn table(id: &str, main: bool, subnets: &[&str]) -> RouteTable {
        RouteTable {
            id: id.to_owned(),
            vpc_id: "vpc-1".to_owned(),
            main,
            subnet_ids: ids(subnets),
            has_nat_route: false,
            has_s3_gateway_route: false,
            routes: Vec::new(),
            tags: BTreeMap::new(),
        }
    }

    #[test]
    fn not_found_messages_name_only_requested_ids() {
        let requested = ids(&["subnet-1", "subnet-12", "subnet-2"]);
        let message = "The subnet ID 'subnet-12' does not exist";
        assert_eq!(
            missing_from_message(message, &requested),
            ids(&["subnet-12"])
        );
        let set_repr = "The security group '{'subnet-1', 'subnet-2'}' does not exist";
        assert_eq!(
            missing_from_message(set_repr, &requested),
            ids(&["subnet-1", "subnet-2"])
        );
        assert_eq!(missing_from_message("gone", &requested), requested);
    }

    #[test]
    fn explicit_association_wins_over_the_main_table() {
        let tables = [
            table("rtb-main", true, &[]),
            table("rtb-a", false, &["subnet-a"]),
        ];
        let map =
            route_tables_by_subnet("vpc-1", &tables, &ids(&["subnet-a", "subnet-b"])).unwrap();
        assert_eq!(map["subnet-a"], "rtb-a");
        assert_eq!(map["subnet-b"], "rtb-main");
        let err = route_tables_by_subnet("vpc-1", &tables[1..], &ids(&["subnet-b"])).unwrap_err();
        assert!(err.is_not_found());
    }

    #[test]
    fn results_follow_the_requested_order_and_name_the_missing() {
        let found = ids(&["b", "a"]);
        assert_eq!(
            in_requested_order("X", &ids(&["a", "b"]), found.clone(), |s| s).unwrap(),
            ids(&["a", "b"])
        );
        let err = in_requested_order("X", &ids(&["a", "c", "d"]), found, |s| s).unwrap_err();
        assert_eq!(err.to_string(), "X (c, d) not found");
        assert_eq!(err.missing_ids(), vec!["c", "d"]);
    }

    #[test]
    fn policies_are_url_decoded_only_when_encoded() {
        let json = r#"{"Statement":[{"Effect":"Allow","Resource":"arn:aws:s3:::a%b"}]}"#;
        assert_eq!(decode_policy(json), json);
        let encoded = "%7B%22Statement%22%3A%5B%5D%7D";
        assert_eq!(decode_policy(encoded), r#"{"Statement":[]}"#);
        assert_eq!(decode_policy("%zz"), "%zz");
    }

    #[test]
    fn endpoint_types_are_canonical() {
        assert_eq!(endpoint_type(Some("interface")), "Interface");
        assert_eq!(endpoint_type(Some("Gateway")), "Gateway");
        assert_eq!(endpoint_type(None), "");
    }
}
