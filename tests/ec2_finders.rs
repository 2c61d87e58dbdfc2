//! The EC2 finders, waiters and tag helpers against the real moto server.
//!
//! Each test builds its fixtures with the SDK in a fresh moto account (one
//! shared server): a VPC with a secondary CIDR, subnets in two AZs, a route
//! table explicitly associated with the first subnet (the second falls back
//! to the main table), an S3 gateway endpoint, two interface endpoints (one
//! then deleted) and security groups with rules.

mod support;

use aws_sdk_ec2::types::{
    AttributeBooleanValue, DomainType, IpPermission, IpRange, PrefixListId, ResourceType,
    UserIdGroupPair, VpcEndpointType,
};
use aws_smithy_types::error::ErrorMetadata;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use support::moto;
use tfprovider_sagemaker::aws::config::{Endpoints, ProviderConfig};
use tfprovider_sagemaker::aws::ec2::find::{self, FindError};
use tfprovider_sagemaker::aws::ec2::tags;
use tfprovider_sagemaker::aws::ec2::wait::{
    self, Backoff, RetryError, Schedule, Schedules, Target, WaitError,
};
use tfprovider_sagemaker::aws::ownership::{Owner, MANAGED_BY_KEY, MANAGED_BY_VALUE, OWNER_KEY};
use tfprovider_sagemaker::aws::Aws;
use tokio_util::sync::CancellationToken;

const REGION: &str = moto::REGION;
const OWNER: &str = "vpc-owner-under-test";

/// The instance whose ownership tags the test objects carry.
fn owner() -> Owner {
    Owner::existing("sagemaker_private_network", "vpc-owner", OWNER)
}
const GATEWAY_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::models/*"}]}"#;

/// Millisecond backoff so waits finish quickly.
fn fast_backoff() -> Backoff {
    Backoff {
        initial: Duration::from_millis(20),
        factor: 1.5,
        max: Duration::from_millis(80),
        jitter: 0.2,
    }
}

/// Millisecond polls so waits finish quickly.
fn fast_schedules() -> Schedules {
    let fast = Schedule {
        early: fast_backoff(),
        settle: Duration::ZERO,
        late: Duration::from_millis(80),
    };
    Schedules {
        interface: fast.clone(),
        gateway: fast,
    }
}

/// What every test starts from.
struct Fixture {
    account_id: String,
    ec2: aws_sdk_ec2::Client,
    vpc_id: String,
    subnet_a: String,
    subnet_b: String,
    /// Explicitly associated with `subnet_a`; routes S3 to the gateway.
    route_table_a: String,
    main_route_table: String,
    s3_prefix_list_id: String,
    s3_endpoint: String,
    /// Interface endpoint in both subnets, still available.
    api_endpoint: String,
    /// Interface endpoint deleted right after creation.
    deleted_endpoint: String,
    /// The endpoint group: ingress 443 from CIDR, group and prefix list.
    group_id: String,
    source_group_id: String,
}

impl Fixture {
    async fn new() -> Fixture {
        let account = moto::shared().new_account();
        let ec2 = ec2_client(&account).await;
        let vpc_id = create_vpc(&ec2).await;
        let subnet_a = create_subnet(&ec2, &vpc_id, "10.0.1.0/24", "us-east-1a").await;
        let subnet_b = create_subnet(&ec2, &vpc_id, "10.0.2.0/28", "us-east-1b").await;
        let route_table_a = create_route_table(&ec2, &vpc_id, &subnet_a).await;
        let main_route_table = main_route_table(&ec2, &vpc_id).await;
        let s3_prefix_list_id = find::find_s3_prefix_list_id(&ec2, REGION).await.unwrap();
        let s3_endpoint = create_gateway_endpoint(&ec2, &vpc_id, &route_table_a).await;
        let (group_id, source_group_id) = create_groups(&ec2, &vpc_id, &s3_prefix_list_id).await;
        let subnets = [subnet_a.clone(), subnet_b.clone()];
        let api_endpoint =
            create_interface_endpoint(&ec2, &vpc_id, "sagemaker.api", &subnets, &group_id).await;
        let deleted_endpoint =
            create_interface_endpoint(&ec2, &vpc_id, "sagemaker.runtime", &subnets, &group_id)
                .await;
        ec2.delete_vpc_endpoints()
            .vpc_endpoint_ids(&deleted_endpoint)
            .send()
            .await
            .unwrap();
        Fixture {
            account_id: account.id,
            ec2,
            vpc_id,
            subnet_a,
            subnet_b,
            route_table_a,
            main_route_table,
            s3_prefix_list_id,
            s3_endpoint,
            api_endpoint,
            deleted_endpoint,
            group_id,
            source_group_id,
        }
    }
}

/// The provider's own client construction, pointed at moto as `account`.
async fn ec2_client(account: &moto::Account) -> aws_sdk_ec2::Client {
    let endpoint = moto::shared().endpoint.clone();
    let config = ProviderConfig {
        region: Some(REGION.to_owned()),
        access_key: Some(account.access_key_id.clone()),
        secret_key: Some(account.secret_access_key.clone()),
        max_retries: Some(1),
        endpoints: Some(Endpoints {
            ec2: Some(endpoint.clone()),
            sagemaker: Some(endpoint.clone()),
            sts: Some(endpoint),
        }),
        ..ProviderConfig::default()
    };
    let aws = Aws::new(config, vec![]);
    let clients = aws.clients().await.expect("clients for moto");
    clients.ec2.clone()
}

async fn create_vpc(ec2: &aws_sdk_ec2::Client) -> String {
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await
        .unwrap();
    let vpc_id = vpc.vpc().and_then(|v| v.vpc_id()).unwrap().to_owned();
    ec2.associate_vpc_cidr_block()
        .vpc_id(&vpc_id)
        .cidr_block("10.1.0.0/16")
        .send()
        .await
        .unwrap();
    ec2.modify_vpc_attribute()
        .vpc_id(&vpc_id)
        .enable_dns_hostnames(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
        .unwrap();
    vpc_id
}

async fn create_subnet(ec2: &aws_sdk_ec2::Client, vpc_id: &str, cidr: &str, az: &str) -> String {
    let out = ec2
        .create_subnet()
        .vpc_id(vpc_id)
        .cidr_block(cidr)
        .availability_zone(az)
        .send()
        .await
        .unwrap();
    out.subnet().and_then(|s| s.subnet_id()).unwrap().to_owned()
}

async fn create_route_table(ec2: &aws_sdk_ec2::Client, vpc_id: &str, subnet_id: &str) -> String {
    let out = ec2
        .create_route_table()
        .vpc_id(vpc_id)
        .send()
        .await
        .unwrap();
    let id = out
        .route_table()
        .and_then(|t| t.route_table_id())
        .unwrap()
        .to_owned();
    ec2.associate_route_table()
        .route_table_id(&id)
        .subnet_id(subnet_id)
        .send()
        .await
        .unwrap();
    id
}

async fn main_route_table(ec2: &aws_sdk_ec2::Client, vpc_id: &str) -> String {
    let filter = |name: &str, value: &str| {
        aws_sdk_ec2::types::Filter::builder()
            .name(name)
            .values(value)
            .build()
    };
    let out = ec2
        .describe_route_tables()
        .filters(filter("vpc-id", vpc_id))
        .filters(filter("association.main", "true"))
        .send()
        .await
        .unwrap();
    let [table] = out.route_tables() else {
        panic!("one main table expected: {out:?}");
    };
    table.route_table_id().unwrap().to_owned()
}

async fn create_gateway_endpoint(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    route_table: &str,
) -> String {
    let out = ec2
        .create_vpc_endpoint()
        .vpc_id(vpc_id)
        .service_name(format!("com.amazonaws.{REGION}.s3"))
        .vpc_endpoint_type(VpcEndpointType::Gateway)
        .route_table_ids(route_table)
        .policy_document(GATEWAY_POLICY)
        .send()
        .await
        .unwrap();
    out.vpc_endpoint()
        .and_then(|e| e.vpc_endpoint_id())
        .unwrap()
        .to_owned()
}

async fn create_interface_endpoint(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    service: &str,
    subnets: &[String],
    group_id: &str,
) -> String {
    let tags = owner().tags(&BTreeMap::new(), &BTreeMap::new(), false);
    let out = ec2
        .create_vpc_endpoint()
        .vpc_id(vpc_id)
        .service_name(format!("com.amazonaws.{REGION}.{service}"))
        .vpc_endpoint_type(VpcEndpointType::Interface)
        .set_subnet_ids(Some(subnets.to_vec()))
        .security_group_ids(group_id)
        .private_dns_enabled(true)
        .tag_specifications(tags::tag_specification(ResourceType::VpcEndpoint, &tags))
        .send()
        .await
        .unwrap();
    out.vpc_endpoint()
        .and_then(|e| e.vpc_endpoint_id())
        .unwrap()
        .to_owned()
}

/// The endpoint group (tagged as owned) and a source group it admits.
async fn create_groups(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    prefix_list: &str,
) -> (String, String) {
    let source = create_group(ec2, vpc_id, "clients", &BTreeMap::new()).await;
    let resource_tags = BTreeMap::from([("team".to_owned(), "ml".to_owned())]);
    let tags = owner().tags(&BTreeMap::new(), &resource_tags, false);
    let group = create_group(ec2, vpc_id, "endpoints", &tags).await;
    let https = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(443)
        .to_port(443)
        .ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/16").build())
        .user_id_group_pairs(UserIdGroupPair::builder().group_id(&source).build())
        .prefix_list_ids(PrefixListId::builder().prefix_list_id(prefix_list).build())
        .build();
    ec2.authorize_security_group_ingress()
        .group_id(&group)
        .ip_permissions(https)
        .send()
        .await
        .unwrap();
    (group, source)
}

async fn create_group(
    ec2: &aws_sdk_ec2::Client,
    vpc_id: &str,
    name: &str,
    tags: &BTreeMap<String, String>,
) -> String {
    let mut create = ec2
        .create_security_group()
        .vpc_id(vpc_id)
        .group_name(name)
        .description(format!("{name} group"));
    if !tags.is_empty() {
        create =
            create.tag_specifications(tags::tag_specification(ResourceType::SecurityGroup, tags));
    }
    create.send().await.unwrap().group_id().unwrap().to_owned()
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn assert_not_found(err: FindError, what: &str, ids: &[&str]) {
    match &err {
        FindError::NotFound { what: w, .. } => assert_eq!(w, what, "{err}"),
        FindError::Api(message) => panic!("expected NotFound, got Api({message})"),
    }
    assert_eq!(err.missing_ids(), ids, "{err}");
}

#[tokio::test]
async fn vpc_has_every_cidr_block_and_both_dns_attributes() {
    let fx = Fixture::new().await;
    let vpc = find::find_vpc(&fx.ec2, &fx.vpc_id).await.unwrap();
    assert_eq!(vpc.id, fx.vpc_id);
    assert_eq!(vpc.cidr_blocks, strings(&["10.0.0.0/16", "10.1.0.0/16"]));
    assert!(vpc.dns_support, "moto's default");
    assert!(vpc.dns_hostnames, "set by the fixture");
    assert_eq!(vpc.instance_tenancy, "default");
    assert_eq!(vpc.owner_id, fx.account_id);
}

#[tokio::test]
async fn missing_vpc_is_not_found() {
    let fx = Fixture::new().await;
    let err = find::find_vpc(&fx.ec2, "vpc-0123456789abcdef0")
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "EC2 VPC (vpc-0123456789abcdef0) not found");
    assert_not_found(err, "EC2 VPC", &["vpc-0123456789abcdef0"]);
}

#[tokio::test]
async fn subnets_come_in_the_order_asked_with_zone_and_capacity() {
    let fx = Fixture::new().await;
    let ids = [fx.subnet_b.clone(), fx.subnet_a.clone()];
    let subnets = find::find_subnets(&fx.ec2, &ids).await.unwrap();
    let summary: Vec<(&str, &str, &str, u32)> = subnets
        .iter()
        .map(|s| {
            (
                s.id.as_str(),
                s.availability_zone.as_str(),
                s.cidr_block.as_str(),
                s.available_ip_address_count,
            )
        })
        .collect();
    // /28 → 11 and /24 → 251 free addresses, minus the API endpoint's ENI
    // in each subnet (the deleted endpoint's ENIs were released).
    assert_eq!(
        summary,
        [
            (fx.subnet_b.as_str(), "us-east-1b", "10.0.2.0/28", 10),
            (fx.subnet_a.as_str(), "us-east-1a", "10.0.1.0/24", 250),
        ]
    );
    assert!(subnets.iter().all(|s| s.vpc_id == fx.vpc_id));
    assert!(subnets.iter().all(|s| !s.availability_zone_id.is_empty()));
    assert!(find::find_subnets(&fx.ec2, &[]).await.unwrap().is_empty());
}

#[tokio::test]
async fn missing_subnets_are_named_and_only_they() {
    let fx = Fixture::new().await;
    let ids = strings(&[
        "subnet-00000000000000001",
        &fx.subnet_a,
        "subnet-00000000000000002",
    ]);
    let err = find::find_subnets(&fx.ec2, &ids).await.unwrap_err();
    assert_not_found(
        err,
        "EC2 Subnet",
        &["subnet-00000000000000001", "subnet-00000000000000002"],
    );
}

#[tokio::test]
async fn subnets_without_an_explicit_table_fall_back_to_the_main_table() {
    let fx = Fixture::new().await;
    let ids = [fx.subnet_a.clone(), fx.subnet_b.clone()];
    let tables = find::find_route_tables_for_subnets(&fx.ec2, &fx.vpc_id, &ids)
        .await
        .unwrap();
    assert_eq!(
        tables,
        BTreeMap::from([
            (fx.subnet_a.clone(), fx.route_table_a.clone()),
            (fx.subnet_b.clone(), fx.main_route_table.clone()),
        ])
    );
}

#[tokio::test]
async fn route_tables_report_s3_gateway_and_nat_routes() {
    let fx = Fixture::new().await;
    add_nat_route(&fx).await;
    let ids = [fx.route_table_a.clone(), fx.main_route_table.clone()];
    let tables = find::find_route_tables(&fx.ec2, &ids, Some(&fx.s3_prefix_list_id))
        .await
        .unwrap();
    let [a, main] = &tables[..] else {
        panic!("{tables:?}")
    };
    assert_eq!((a.id.as_str(), a.main), (fx.route_table_a.as_str(), false));
    assert_eq!(a.subnet_ids, [fx.subnet_a.as_str()]);
    assert!(a.has_s3_gateway_route && !a.has_nat_route, "{a:?}");
    assert_eq!(
        a.gateway_endpoints_for(&fx.s3_prefix_list_id),
        [fx.s3_endpoint.as_str()]
    );
    assert!(main.main && main.subnet_ids.is_empty(), "{main:?}");
    assert!(main.has_nat_route && !main.has_s3_gateway_route, "{main:?}");
    assert!(main
        .routes
        .iter()
        .any(|r| r.destination == "10.0.0.0/16" && r.target == "local"));
    let without_prefix_list = find::find_route_tables(&fx.ec2, &ids[..1], None)
        .await
        .unwrap();
    assert!(!without_prefix_list[0].has_s3_gateway_route);
}

/// A NAT gateway in subnet A and a default route to it in the main table.
async fn add_nat_route(fx: &Fixture) {
    let eip = fx
        .ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .send()
        .await
        .unwrap();
    let nat = fx
        .ec2
        .create_nat_gateway()
        .subnet_id(&fx.subnet_a)
        .allocation_id(eip.allocation_id().unwrap())
        .send()
        .await
        .unwrap();
    let nat_id = nat.nat_gateway().and_then(|n| n.nat_gateway_id()).unwrap();
    fx.ec2
        .create_route()
        .route_table_id(&fx.main_route_table)
        .destination_cidr_block("0.0.0.0/0")
        .nat_gateway_id(nat_id)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn missing_route_tables_are_not_found() {
    let fx = Fixture::new().await;
    let ids = strings(&[&fx.route_table_a, "rtb-00000000000000001"]);
    let err = find::find_route_tables(&fx.ec2, &ids, None)
        .await
        .unwrap_err();
    assert_not_found(err, "EC2 Route Table", &["rtb-00000000000000001"]);
}

#[tokio::test]
async fn endpoint_listing_hides_gone_endpoints_unless_asked() {
    let fx = Fixture::new().await;
    let live = find::find_vpc_endpoints_in_vpc(&fx.ec2, &fx.vpc_id, false)
        .await
        .unwrap();
    let mut live_ids: Vec<&str> = live.iter().map(|e| e.id.as_str()).collect();
    live_ids.sort_unstable();
    let mut expected = [fx.api_endpoint.as_str(), fx.s3_endpoint.as_str()];
    expected.sort_unstable();
    assert_eq!(live_ids, expected);
    let all = find::find_vpc_endpoints_in_vpc(&fx.ec2, &fx.vpc_id, true)
        .await
        .unwrap();
    let deleted = all
        .iter()
        .find(|e| e.id == fx.deleted_endpoint)
        .expect("deleted still listed");
    assert_eq!(deleted.state, "deleted");
    assert!(deleted.is_gone());
    assert_eq!(all.len(), 3);
}

#[tokio::test]
async fn endpoints_are_read_into_typed_fields() {
    let fx = Fixture::new().await;
    let endpoints = find::find_vpc_endpoints_in_vpc(&fx.ec2, &fx.vpc_id, false)
        .await
        .unwrap();
    let api = endpoints.iter().find(|e| e.id == fx.api_endpoint).unwrap();
    assert_eq!(
        api.service_name,
        format!("com.amazonaws.{REGION}.sagemaker.api")
    );
    assert_eq!(api.endpoint_type, "Interface");
    assert_eq!(api.state, "available");
    assert_eq!(api.vpc_id, fx.vpc_id);
    assert_eq!(api.subnet_ids, [fx.subnet_a.clone(), fx.subnet_b.clone()]);
    assert_eq!(api.security_group_ids, [fx.group_id.as_str()]);
    assert_eq!(api.network_interface_ids.len(), 2, "one ENI per subnet");
    assert!(api.private_dns_enabled);
    assert!(!api.dns_names.is_empty());
    assert_eq!(api.tags.get(OWNER_KEY).map(String::as_str), Some(OWNER));
    assert_eq!(
        api.tags.get(MANAGED_BY_KEY).map(String::as_str),
        Some(MANAGED_BY_VALUE)
    );
    assert!(api
        .creation_timestamp
        .as_deref()
        .is_some_and(|t| t.ends_with('Z')));
    let s3 = endpoints.iter().find(|e| e.id == fx.s3_endpoint).unwrap();
    assert_eq!(s3.endpoint_type, "Gateway");
    assert_eq!(s3.route_table_ids, [fx.route_table_a.as_str()]);
    let policy: Json = serde_json::from_str(s3.policy_document.as_deref().unwrap()).unwrap();
    assert_eq!(
        policy,
        serde_json::from_str::<Json>(GATEWAY_POLICY).unwrap()
    );
}

#[tokio::test]
async fn security_group_rules_are_flattened() {
    let fx = Fixture::new().await;
    let group = find::find_security_group(&fx.ec2, &fx.group_id)
        .await
        .unwrap();
    assert_eq!(
        (group.name.as_str(), group.vpc_id.as_str()),
        ("endpoints", fx.vpc_id.as_str())
    );
    assert_eq!(group.description, "endpoints group");
    let [https] = &group.ingress[..] else {
        panic!("{:?}", group.ingress)
    };
    assert_eq!(
        (https.protocol.as_str(), https.from_port, https.to_port),
        ("tcp", Some(443), Some(443))
    );
    assert_eq!(https.cidr_ipv4, ["10.0.0.0/16"]);
    assert_eq!(https.source_group_ids, [fx.source_group_id.as_str()]);
    assert_eq!(https.prefix_list_ids, [fx.s3_prefix_list_id.as_str()]);
    assert!(https.cidr_ipv6.is_empty());
    assert!(
        group
            .egress
            .iter()
            .any(|r| r.protocol == "-1" && r.cidr_ipv4 == ["0.0.0.0/0"]),
        "default egress: {:?}",
        group.egress
    );
    assert_eq!(group.tags.get("team").map(String::as_str), Some("ml"));
}

#[tokio::test]
async fn security_groups_by_id_and_by_ownership_tag() {
    let fx = Fixture::new().await;
    let ids = [fx.source_group_id.clone(), fx.group_id.clone()];
    let groups = find::find_security_groups(&fx.ec2, &ids).await.unwrap();
    let found: Vec<&str> = groups.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(found, [fx.source_group_id.as_str(), fx.group_id.as_str()]);
    let owned = find::find_security_groups_by_tag(&fx.ec2, &fx.vpc_id, OWNER_KEY, OWNER)
        .await
        .unwrap();
    let owned: Vec<&str> = owned.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(owned, [fx.group_id.as_str()]);
    let nobody = find::find_security_groups_by_tag(&fx.ec2, &fx.vpc_id, OWNER_KEY, "someone-else")
        .await
        .unwrap();
    assert!(nobody.is_empty());
}

#[tokio::test]
async fn missing_security_groups_are_not_found() {
    let fx = Fixture::new().await;
    let err = find::find_security_group(&fx.ec2, "sg-00000000000000001")
        .await
        .unwrap_err();
    assert_not_found(err, "EC2 Security Group", &["sg-00000000000000001"]);
    let ids = strings(&["sg-00000000000000002", &fx.group_id]);
    let err = find::find_security_groups(&fx.ec2, &ids).await.unwrap_err();
    assert_not_found(err, "EC2 Security Group", &["sg-00000000000000002"]);
}

#[tokio::test]
async fn s3_prefix_list_is_looked_up_by_name() {
    let fx = Fixture::new().await;
    assert!(
        fx.s3_prefix_list_id.starts_with("pl-"),
        "{}",
        fx.s3_prefix_list_id
    );
    let tables = find::find_route_tables(&fx.ec2, std::slice::from_ref(&fx.route_table_a), None)
        .await
        .unwrap();
    assert!(
        tables[0]
            .routes
            .iter()
            .any(|r| r.destination == fx.s3_prefix_list_id),
        "the gateway route uses the same prefix list: {:?}",
        tables[0].routes
    );
    let err = find::find_s3_prefix_list_id(&fx.ec2, "xx-nowhere-1")
        .await
        .unwrap_err();
    assert_not_found(err, "EC2 Prefix List", &["com.amazonaws.xx-nowhere-1.s3"]);
}

#[tokio::test]
async fn sync_tags_adds_changes_and_removes() {
    let fx = Fixture::new().await;
    let old = find::find_security_group(&fx.ec2, &fx.group_id)
        .await
        .unwrap()
        .tags;
    let mut new = old.clone();
    new.remove("team");
    new.insert("cost-center".to_owned(), "42".to_owned());
    new.insert(OWNER_KEY.to_owned(), "new-owner".to_owned());
    tags::sync_tags(&fx.ec2, &fx.group_id, &old, &new)
        .await
        .unwrap();
    let read = find::find_security_group(&fx.ec2, &fx.group_id)
        .await
        .unwrap()
        .tags;
    assert_eq!(read, new);
    tags::sync_tags(&fx.ec2, "sg-does-not-matter", &new, &new)
        .await
        .unwrap();
}

#[tokio::test]
async fn waiting_for_available_endpoints_returns_at_once() {
    let fx = Fixture::new().await;
    let ids = [fx.s3_endpoint.clone(), fx.api_endpoint.clone()];
    let cancel = CancellationToken::new();
    let ready = wait::wait_endpoints_with(
        &fx.ec2,
        &fx.vpc_id,
        &ids,
        Target::Available,
        Duration::from_secs(5),
        &cancel,
        &fast_schedules(),
    )
    .await
    .unwrap();
    let ready: Vec<(&str, &str)> = ready
        .iter()
        .map(|e| (e.id.as_str(), e.state.as_str()))
        .collect();
    assert_eq!(
        ready,
        [
            (fx.s3_endpoint.as_str(), "available"),
            (fx.api_endpoint.as_str(), "available")
        ]
    );
}

#[tokio::test]
async fn deleted_and_unlisted_endpoints_count_as_deleted() {
    let fx = Fixture::new().await;
    let ids = strings(&[&fx.deleted_endpoint, "vpce-00000000000000001"]);
    let gone = wait::wait_endpoints(
        &fx.ec2,
        &fx.vpc_id,
        &ids,
        Target::Deleted,
        Duration::from_secs(5),
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    let gone: Vec<&str> = gone.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        gone,
        [fx.deleted_endpoint.as_str()],
        "only listed endpoints are returned"
    );
}

#[tokio::test]
async fn waiting_for_a_deleted_endpoint_that_stays_available_times_out() {
    let fx = Fixture::new().await;
    let started = std::time::Instant::now();
    let err = wait::wait_endpoints_with(
        &fx.ec2,
        &fx.vpc_id,
        std::slice::from_ref(&fx.api_endpoint),
        Target::Deleted,
        Duration::from_millis(300),
        &CancellationToken::new(),
        &fast_schedules(),
    )
    .await
    .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let WaitError::Timeout { pending, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(
        pending,
        &[(fx.api_endpoint.clone(), "available".to_owned())]
    );
    assert_eq!(
        err.to_string(),
        format!(
            "waiting for VPC endpoint {} to be deleted: still pending after 300ms (last state: available)",
            fx.api_endpoint
        )
    );
}

#[tokio::test]
async fn cancellation_stops_the_wait() {
    let fx = Fixture::new().await;
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    // Late enough that the first listing has answered even on a loaded
    // machine (it reports the endpoint's state), early within the wait.
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        trigger.cancel();
    });
    let started = std::time::Instant::now();
    let err = wait::wait_endpoints_with(
        &fx.ec2,
        &fx.vpc_id,
        std::slice::from_ref(&fx.api_endpoint),
        Target::Deleted,
        Duration::from_secs(600),
        &cancel,
        &fast_schedules(),
    )
    .await
    .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let WaitError::Cancelled { pending, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(
        pending,
        &[(fx.api_endpoint.clone(), "available".to_owned())]
    );
}

fn dependency_violation() -> ErrorMetadata {
    ErrorMetadata::builder()
        .code("DependencyViolation")
        .message("resource sg-1 has a dependent object")
        .build()
}

#[tokio::test]
async fn dependency_violations_are_retried_until_success() {
    let calls = AtomicU32::new(0);
    let op = || async {
        match calls.fetch_add(1, Ordering::SeqCst) {
            0 | 1 => Err(dependency_violation()),
            n => Ok(n),
        }
    };
    let cancel = CancellationToken::new();
    let result =
        wait::retry_dependency_violation_with(op, Duration::from_secs(5), &cancel, &fast_backoff())
            .await;
    assert_eq!(result.unwrap(), 2);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn other_errors_are_not_retried_and_violations_time_out() {
    let cancel = CancellationToken::new();
    let calls = AtomicU32::new(0);
    let other = || async {
        calls.fetch_add(1, Ordering::SeqCst);
        Err::<(), _>(
            ErrorMetadata::builder()
                .code("UnauthorizedOperation")
                .build(),
        )
    };
    let err = wait::retry_dependency_violation_with(
        other,
        Duration::from_secs(5),
        &cancel,
        &fast_backoff(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, RetryError::Failed(_)), "{err}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let always = || async { Err::<(), _>(dependency_violation()) };
    let err = wait::retry_dependency_violation_with(
        always,
        Duration::from_millis(200),
        &cancel,
        &fast_backoff(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "still failing after 200ms: DependencyViolation: resource sg-1 has a dependent object"
    );
    cancel.cancel();
    let err = wait::retry_dependency_violation_with(
        always,
        Duration::from_secs(5),
        &cancel,
        &fast_backoff(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, RetryError::Cancelled { .. }), "{err}");
}
