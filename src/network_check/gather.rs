//! Reading everything the check needs about one VPC, concurrently, with a
//! fixed number of calls: each kind of object is listed once, filtered by
//! the VPC, never looked up one by one.

use crate::aws::ec2::find::{self, FindError, RouteTable, SecurityGroup, Subnet, Vpc, VpcEndpoint};

/// The AWS calls one check makes, whatever the size of the VPC:
/// DescribeVpcs, DescribeVpcAttribute (DNS support), DescribeVpcAttribute
/// (DNS hostnames), DescribeSubnets, DescribeRouteTables,
/// DescribeVpcEndpoints, DescribeSecurityGroups and DescribePrefixLists
/// (more only when a listing has more than one page: over 1,000 objects of
/// one kind).
pub const AWS_CALLS: usize = 8;

/// What the check reads about a VPC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The Region the VPC is in.
    pub region: String,
    /// The VPC with its DNS attributes, tenancy and owner.
    pub vpc: Vpc,
    /// Every subnet of the VPC.
    pub subnets: Vec<Subnet>,
    /// Every route table of the VPC.
    pub route_tables: Vec<RouteTable>,
    /// Every endpoint of the VPC that is not gone.
    pub endpoints: Vec<VpcEndpoint>,
    /// Every security group of the VPC.
    pub groups: Vec<SecurityGroup>,
    /// The Region's S3 prefix list (`None` if the Region has none).
    pub s3_prefix_list_id: Option<String>,
}

/// Reads the VPC `vpc_id` of `region` ([`AWS_CALLS`] calls, concurrently).
pub async fn gather(
    ec2: &aws_sdk_ec2::Client,
    region: &str,
    vpc_id: &str,
) -> Result<Snapshot, FindError> {
    let (vpc, subnets, route_tables, endpoints, groups, prefix_list) = tokio::join!(
        find::find_vpc(ec2, vpc_id),
        find::find_subnets_in_vpc(ec2, vpc_id),
        find::find_vpc_route_tables(ec2, vpc_id, None),
        find::find_vpc_endpoints_in_vpc(ec2, vpc_id, false),
        find::find_security_groups_in_vpc(ec2, vpc_id),
        find::find_s3_prefix_list_id(ec2, region),
    );
    let s3_prefix_list_id = match prefix_list {
        Ok(id) => Some(id),
        Err(e) if e.is_not_found() => None,
        Err(e) => return Err(e),
    };
    Ok(Snapshot {
        region: region.to_owned(),
        vpc: vpc?,
        subnets: subnets?,
        route_tables: route_tables?,
        endpoints: endpoints?,
        groups: groups?,
        s3_prefix_list_id,
    })
}

/// A [`Snapshot`] built in code, for unit tests of the report.
#[cfg(test)]
pub(crate) fn empty_snapshot(vpc_id: &str) -> Snapshot {
    Snapshot {
        region: "us-east-1".to_owned(),
        vpc: Vpc {
            id: vpc_id.to_owned(),
            cidr_blocks: vec!["10.0.0.0/16".to_owned()],
            ipv6_cidr_blocks: Vec::new(),
            dns_support: true,
            dns_hostnames: true,
            instance_tenancy: "default".to_owned(),
            owner_id: "123456789012".to_owned(),
        },
        subnets: Vec::new(),
        route_tables: Vec::new(),
        endpoints: Vec::new(),
        groups: Vec::new(),
        s3_prefix_list_id: Some("pl-s3".to_owned()),
    }
}
