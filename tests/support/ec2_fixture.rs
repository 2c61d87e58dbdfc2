//! A VPC fixture in a fresh moto account, built through the EC2 query API,
//! and readers for what the emulator then holds (endpoints, security groups,
//! route tables), parsed from moto's XML answers.
//!
//! Used by the `sagemaker_private_network` end-to-end tests (unused-item
//! warnings are silenced for all of `support` in its `mod.rs`).

use super::moto::{self, Account};
use super::terraform::Workspace;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The EC2 query API version sent with every call.
pub const EC2_VERSION: &str = "2016-11-15";
/// The CIDR block of the fixture VPC.
pub const VPC_CIDR: &str = "10.20.0.0/16";

/// The full service name of `name` in us-east-1.
pub fn service(name: &str) -> String {
    format!("com.amazonaws.us-east-1.{name}")
}

// ---------------------------------------------------------------------------
// A minimal XML reader for moto's EC2 query answers
// ---------------------------------------------------------------------------

/// One XML element: its name, its text, its child elements.
#[derive(Debug, Default)]
pub struct Xml {
    pub name: String,
    pub text: String,
    pub children: Vec<Xml>,
}

impl Xml {
    /// Parses an EC2 answer and returns its root element.
    pub fn parse(body: &str) -> Xml {
        let mut stack = vec![Xml::default()];
        let mut rest = body;
        while let Some(open) = rest.find('<') {
            let text = &rest[..open];
            if !text.trim().is_empty() {
                let top = stack.last_mut().expect("open element");
                top.text.push_str(&unescape(text));
            }
            let close = rest[open..]
                .find('>')
                .unwrap_or_else(|| panic!("unterminated tag in:\n{body}"))
                + open;
            let tag = &rest[open + 1..close];
            rest = &rest[close + 1..];
            if tag.starts_with('?') || tag.starts_with('!') {
                continue;
            }
            if let Some(name) = tag.strip_prefix('/') {
                let node = stack.pop().expect("matching open tag");
                assert_eq!(node.name, name.trim(), "malformed XML:\n{body}");
                stack.last_mut().expect("parent").children.push(node);
            } else {
                let node = Xml {
                    name: tag
                        .trim_end_matches('/')
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                    ..Xml::default()
                };
                if tag.ends_with('/') {
                    stack.last_mut().expect("parent").children.push(node);
                } else {
                    stack.push(node);
                }
            }
        }
        assert_eq!(stack.len(), 1, "unclosed elements in:\n{body}");
        stack
            .pop()
            .and_then(|doc| doc.children.into_iter().next())
            .unwrap_or_else(|| panic!("no root element in:\n{body}"))
    }

    /// The first child element called `name`.
    pub fn get(&self, name: &str) -> Option<&Xml> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Text of the child `name` (empty when absent).
    pub fn text(&self, name: &str) -> String {
        self.get(name).map(|c| c.text.clone()).unwrap_or_default()
    }

    /// The `<item>`s of the child set `name`.
    pub fn items(&self, name: &str) -> impl Iterator<Item = &Xml> {
        self.get(name).into_iter().flat_map(|s| s.children.iter())
    }

    /// The texts of the `<item>`s of the child set `name`.
    pub fn texts(&self, name: &str) -> BTreeSet<String> {
        self.items(name).map(|i| i.text.clone()).collect()
    }

    /// The `tagSet` of this element as key → value.
    pub fn tags(&self) -> BTreeMap<String, String> {
        self.items("tagSet")
            .map(|i| (i.text("key"), i.text("value")))
            .collect()
    }
}

/// Decodes the XML entities moto emits in text.
pub fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

// ---------------------------------------------------------------------------
// What the emulator holds
// ---------------------------------------------------------------------------

/// A VPC endpoint as `DescribeVpcEndpoints` reports it.
#[derive(Debug)]
pub struct Endpoint {
    /// `vpce-…` id.
    pub id: String,
    /// The VPC it belongs to.
    pub vpc_id: String,
    /// Full service name, e.g. `com.amazonaws.us-east-1.s3`.
    pub service: String,
    /// `Interface` or `Gateway`.
    pub kind: String,
    /// Lifecycle state, e.g. `available`.
    pub state: String,
    /// Subnets of an interface endpoint.
    pub subnets: BTreeSet<String>,
    /// Security groups of an interface endpoint.
    pub groups: BTreeSet<String>,
    /// Route tables of a gateway endpoint.
    pub route_tables: BTreeSet<String>,
    /// Whether private DNS is enabled.
    pub private_dns: bool,
    /// The endpoint policy, parsed, when there is one.
    pub policy: Option<Value>,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
}

/// One ingress or egress rule of a security group.
#[derive(Debug)]
pub struct Permission {
    /// IP protocol (`tcp`, `-1`, …).
    pub protocol: String,
    /// First port (empty when not given).
    pub from: String,
    /// Last port (empty when not given).
    pub to: String,
    /// IPv4 CIDR sources or destinations.
    pub cidrs: BTreeSet<String>,
    /// Security-group sources or destinations.
    pub groups: BTreeSet<String>,
    /// How many IPv6 ranges and prefix lists the rule also has.
    pub others: usize,
}

/// A security group as `DescribeSecurityGroups` reports it.
#[derive(Debug)]
pub struct Group {
    /// `sg-…` id.
    pub id: String,
    /// Group name.
    pub name: String,
    /// The VPC it belongs to.
    pub vpc_id: String,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
    /// Inbound rules.
    pub ingress: Vec<Permission>,
    /// Outbound rules.
    pub egress: Vec<Permission>,
}

/// A route table as `DescribeRouteTables` reports it.
#[derive(Debug)]
pub struct RouteTable {
    /// `rtb-…` id.
    pub id: String,
    /// The VPC it belongs to.
    pub vpc_id: String,
    /// Whether it is the VPC's main table.
    pub main: bool,
    /// (destination prefix list, target) of each prefix-list route.
    pub prefix_list_routes: Vec<(String, String)>,
}

/// The rules in the permission set `set` of a security-group element.
pub fn permissions(group: &Xml, set: &str) -> Vec<Permission> {
    group
        .items(set)
        .map(|p| Permission {
            protocol: p.text("ipProtocol"),
            from: p.text("fromPort"),
            to: p.text("toPort"),
            cidrs: p.items("ipRanges").map(|r| r.text("cidrIp")).collect(),
            groups: p.items("groups").map(|g| g.text("groupId")).collect(),
            others: p.items("ipv6Ranges").count() + p.items("prefixListIds").count(),
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The fixture: a VPC in a fresh account
// ---------------------------------------------------------------------------

/// A VPC (10.20.0.0/16, DNS support on, hostnames as asked) with three
/// subnets: `a` in us-east-1a explicitly associated with its own route table
/// `table_a`, `b` (us-east-1b) and `c` (us-east-1c) on the main table.
pub struct Fixture {
    /// The fresh emulator account holding everything.
    pub account: Account,
    /// The VPC.
    pub vpc_id: String,
    /// Subnet 10.20.1.0/24 in us-east-1a, on `table_a`.
    pub subnet_a: String,
    /// Subnet 10.20.2.0/24 in us-east-1b, on the main table.
    pub subnet_b: String,
    /// Subnet 10.20.3.0/24 in us-east-1c, on the main table.
    pub subnet_c: String,
    /// The route table explicitly associated with `subnet_a`.
    pub table_a: String,
    /// The VPC's main route table.
    pub main_table: String,
}

/// Another VPC of the same account, with a subnet and a route table.
pub struct OtherVpc {
    /// The VPC's id.
    pub vpc_id: String,
    /// Subnet 10.99.1.0/24 in us-east-1d.
    pub subnet_id: String,
    /// A route table of that VPC.
    pub table_id: String,
}

/// [`fixture_with`] DNS hostnames on.
pub fn fixture() -> Fixture {
    fixture_with(true)
}

/// A [`Fixture`] in a fresh account, DNS hostnames on or off.
pub fn fixture_with(dns_hostnames: bool) -> Fixture {
    let account = moto::shared().new_account();
    let call = |params: &[(&str, &str)]| ec2(&account, params);
    let vpc_id = create_vpc(&account, VPC_CIDR, dns_hostnames);
    let subnet = |cidr: &str, zone: &str| create_subnet(&account, &vpc_id, cidr, zone);
    let subnet_a = subnet("10.20.1.0/24", "us-east-1a");
    let subnet_b = subnet("10.20.2.0/24", "us-east-1b");
    let subnet_c = subnet("10.20.3.0/24", "us-east-1c");
    let table_a = create_route_table(&account, &vpc_id);
    call(&[
        ("Action", "AssociateRouteTable"),
        ("RouteTableId", &table_a),
        ("SubnetId", &subnet_a),
    ]);
    let main_table = main_route_table(&account, &vpc_id);
    Fixture {
        account,
        vpc_id,
        subnet_a,
        subnet_b,
        subnet_c,
        table_a,
        main_table,
    }
}

/// One EC2 query call as `account`; panics unless it succeeds.
pub fn ec2(account: &Account, params: &[(&str, &str)]) -> Xml {
    let mut all = params.to_vec();
    all.push(("Version", EC2_VERSION));
    let response = moto::shared()
        .query("ec2", Some(account), &all)
        .expect_ok(params[0].1);
    Xml::parse(&response.body)
}

/// Creates a VPC with `cidr` and DNS hostnames as asked; returns its id.
pub fn create_vpc(account: &Account, cidr: &str, dns_hostnames: bool) -> String {
    let vpc_id = ec2(account, &[("Action", "CreateVpc"), ("CidrBlock", cidr)])
        .get("vpc")
        .expect("CreateVpc answers a vpc")
        .text("vpcId");
    let hostnames = if dns_hostnames { "true" } else { "false" };
    ec2(
        account,
        &[
            ("Action", "ModifyVpcAttribute"),
            ("VpcId", &vpc_id),
            ("EnableDnsHostnames.Value", hostnames),
        ],
    );
    vpc_id
}

/// Creates a subnet of `vpc_id` in `zone`; returns its id.
pub fn create_subnet(account: &Account, vpc_id: &str, cidr: &str, zone: &str) -> String {
    ec2(
        account,
        &[
            ("Action", "CreateSubnet"),
            ("VpcId", vpc_id),
            ("CidrBlock", cidr),
            ("AvailabilityZone", zone),
        ],
    )
    .get("subnet")
    .expect("CreateSubnet answers a subnet")
    .text("subnetId")
}

/// The id of the main route table of `vpc_id`.
pub fn main_route_table(account: &Account, vpc_id: &str) -> String {
    ec2(
        account,
        &[
            ("Action", "DescribeRouteTables"),
            ("Filter.1.Name", "vpc-id"),
            ("Filter.1.Value.1", vpc_id),
            ("Filter.2.Name", "association.main"),
            ("Filter.2.Value.1", "true"),
        ],
    )
    .items("routeTableSet")
    .map(|t| t.text("routeTableId"))
    .next()
    .expect("the VPC has a main route table")
}

/// Creates a route table of `vpc_id`; returns its id.
pub fn create_route_table(account: &Account, vpc_id: &str) -> String {
    ec2(
        account,
        &[("Action", "CreateRouteTable"), ("VpcId", vpc_id)],
    )
    .get("routeTable")
    .expect("CreateRouteTable answers a routeTable")
    .text("routeTableId")
}

impl Fixture {
    /// One EC2 query call as the fixture's account; panics unless it succeeds.
    pub fn ec2(&self, params: &[(&str, &str)]) -> Xml {
        ec2(&self.account, params)
    }

    /// A second VPC (10.99.0.0/16) in the same account.
    pub fn other_vpc(&self) -> OtherVpc {
        let vpc_id = create_vpc(&self.account, "10.99.0.0/16", true);
        OtherVpc {
            vpc_id: vpc_id.clone(),
            subnet_id: create_subnet(&self.account, &vpc_id, "10.99.1.0/24", "us-east-1d"),
            table_id: create_route_table(&self.account, &vpc_id),
        }
    }

    /// A security group of the fixture VPC (e.g. for clients).
    pub fn create_group(&self, name: &str) -> String {
        self.ec2(&[
            ("Action", "CreateSecurityGroup"),
            ("GroupName", name),
            ("GroupDescription", "made by the test"),
            ("VpcId", &self.vpc_id),
        ])
        .text("groupId")
    }

    /// The endpoints of the account that are not deleted.
    pub fn endpoints(&self) -> Vec<Endpoint> {
        self.ec2(&[("Action", "DescribeVpcEndpoints")])
            .items("vpcEndpointSet")
            .filter(|e| !e.text("state").eq_ignore_ascii_case("deleted"))
            .map(|e| Endpoint {
                id: e.text("vpcEndpointId"),
                vpc_id: e.text("vpcId"),
                service: e.text("serviceName"),
                kind: e.text("vpcEndpointType"),
                state: e.text("state"),
                subnets: e.texts("subnetIdSet"),
                groups: e.items("groupSet").map(|g| g.text("groupId")).collect(),
                route_tables: e.texts("routeTableIdSet"),
                private_dns: e.text("privateDnsEnabled") == "true",
                policy: e.get("policyDocument").map(|p| {
                    serde_json::from_str(&p.text).unwrap_or_else(|err| {
                        panic!(
                            "policy of {} is not JSON ({err}): {}",
                            e.text("vpcEndpointId"),
                            p.text
                        )
                    })
                }),
                tags: e.tags(),
            })
            .collect()
    }

    /// Whether the security group `group_id` exists in the account.
    pub fn group_exists(&self, group_id: &str) -> bool {
        self.groups().iter().any(|g| g.id == group_id)
    }

    /// Every security group of the account.
    pub fn groups(&self) -> Vec<Group> {
        self.ec2(&[("Action", "DescribeSecurityGroups")])
            .items("securityGroupInfo")
            .map(|g| Group {
                id: g.text("groupId"),
                name: g.text("groupName"),
                vpc_id: g.text("vpcId"),
                tags: g.tags(),
                ingress: permissions(g, "ipPermissions"),
                egress: permissions(g, "ipPermissionsEgress"),
            })
            .collect()
    }

    /// Every route table of the fixture VPC.
    pub fn route_tables(&self) -> Vec<RouteTable> {
        self.ec2(&[
            ("Action", "DescribeRouteTables"),
            ("Filter.1.Name", "vpc-id"),
            ("Filter.1.Value.1", &self.vpc_id),
        ])
        .items("routeTableSet")
        .map(|t| RouteTable {
            id: t.text("routeTableId"),
            vpc_id: t.text("vpcId"),
            main: t.items("associationSet").any(|a| a.text("main") == "true"),
            prefix_list_routes: t
                .items("routeSet")
                .filter(|r| r.get("destinationPrefixListId").is_some())
                .map(|r| (r.text("destinationPrefixListId"), r.text("gatewayId")))
                .collect(),
        })
        .collect()
    }

    /// The Region's S3 prefix list as this account sees it.
    pub fn s3_prefix_list(&self) -> String {
        self.ec2(&[("Action", "DescribePrefixLists")])
            .items("prefixListSet")
            .find(|p| p.text("prefixListName") == service("s3"))
            .map(|p| p.text("prefixListId"))
            .expect("moto lists the S3 prefix list")
    }

    /// The workspace for `main_tf`, initialised, signed as the fixture's account.
    pub fn workspace(&self, main_tf: &str) -> Workspace {
        let mut ws = Workspace::new(main_tf);
        ws.set_envs(self.account.aws_env());
        ws.init();
        ws
    }
}
