//! Checks of `sagemaker_studio_domain`: static ones at validate, and the
//! account checks at plan (at the start of apply when an input was
//! unknown, and again before anything is made) — private subnets, default
//! tenancy, DNS, addresses, the name, running apps — and which endpoint
//! serves each service Studio needs: one that already serves the VPC with
//! private DNS in every subnet's zone is reused (its group must admit the
//! domain), the others this domain makes.

use super::state::{self, Desired, ENDPOINTS_PART};
use crate::aws::ec2::find::{self, FindError, RouteTable, SecurityGroup, Subnet, Vpc, VpcEndpoint};
use crate::aws::endpoint_services::{find_offered, OfferedService};
use crate::aws::ownership::{owner_of, Claim, Owner};
use crate::aws::studio;
use crate::catalog::{EndpointKind, ServiceSpec};
use crate::framework::{AttrPath, Diagnostics};
use crate::resources::common;
use crate::resources::composite::{checked, Env};
use crate::value::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Addresses Studio takes per user (the developer guide says 2–4).
pub const ADDRESSES_PER_USER: u32 = 4;

/// Static checks: profile names unique (SageMaker compares them without
/// case), `expected_users` not below the profile count.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    let mut seen = BTreeMap::new();
    for (i, profile) in state::profiles(config).iter().enumerate() {
        let key = profile.name.to_ascii_lowercase();
        if let Some(first) = seen.insert(key, profile.name.clone()) {
            diags.attribute_error(
                AttrPath::root("user_profile").index(i).attr("name"),
                "Duplicate user profile",
                format!(
                    "{:?} is already the name of another user_profile ({first:?}); SageMaker compares \
                     profile names without case. Give each profile its own name.",
                    profile.name
                ),
            );
        }
    }
    if common::text(config, "auth_mode").as_deref() == Some("SSO") && !seen.is_empty() {
        diags.attribute_error(
            AttrPath::root("auth_mode"),
            "SSO profiles need their Identity Center user",
            "With auth_mode = \"SSO\" every user profile must name its IAM Identity Center user, which \
             user_profile blocks cannot do yet. Use auth_mode = \"IAM\", or keep SSO with no user_profile \
             block and let Identity Center assignments create the profiles.",
        );
    }
    let expected = config.get("expected_users").and_then(|v| match v {
        Value::Number(n) => n.as_i64(),
        _ => None,
    });
    if let Some(expected) = expected {
        let profiles = seen.len() as i64;
        if expected < profiles {
            diags.attribute_error(
                AttrPath::root("expected_users"),
                "Fewer expected users than profiles",
                format!(
                    "expected_users is {expected} but there are {profiles} user_profile blocks. Leave \
                     expected_users out (it defaults to the number of profiles), or raise it."
                ),
            );
        }
    }
}

/// Which endpoint serves each service Studio needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Services served by an endpoint this domain does not own: short name → endpoint id.
    pub reused: BTreeMap<&'static str, String>,
    /// Services this domain makes (or keeps) its own endpoint for.
    pub own: Vec<&'static ServiceSpec>,
    /// The subnets its own interface endpoints use: one per zone.
    pub endpoint_subnets: Vec<String>,
    /// The route tables its own S3 gateway endpoint routes.
    pub s3_route_tables: Vec<String>,
}

/// What the account says, as the checks found it.
pub struct Facts {
    pub vpc: Vpc,
    pub subnets: Vec<Subnet>,
    pub s3_prefix_list_id: String,
    pub endpoints: Vec<VpcEndpoint>,
    pub coverage: Coverage,
    /// While the instance has no domain: a domain of this name that an
    /// unfinished create of the same configuration left, or that carries
    /// this instance's tag (adopted).
    pub adoptable_domain: Option<String>,
}

/// What a plan's checks read that does not move before the apply that
/// follows it in the same process ([`checked`]): the VPC (tenancy, DNS,
/// CIDR blocks), its route tables, the S3 prefix list, the Region's
/// offers. The apply reads again only the subnets (free addresses), the
/// VPC's endpoints, the name, the reused endpoints' groups and the apps.
#[derive(Clone)]
struct Settled {
    vpc: Vpc,
    tables: Vec<RouteTable>,
    prefix_list: String,
    offers: Vec<Option<OfferedService>>,
}

/// The key of [`Settled`]: every input it depends on.
fn settled_key(env: &Env<'_>, want: &Desired) -> String {
    let services: Vec<&str> = want.services().iter().map(|s| s.short_name).collect();
    format!(
        "{} {:?} {services:?} {}",
        state::TYPE_NAME,
        want.subnet_ids,
        env.owner.identity
    )
}

/// When the checks run.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Plan,
    Apply,
}

/// Runs the account checks for `want` (`prior`: the state, null on
/// create). `Err` when facts could not be read or a check failed.
pub async fn check_remote(
    env: &Env<'_>,
    want: &Desired,
    prior: &Value,
    stage: Stage,
) -> Result<(Facts, Diagnostics), Diagnostics> {
    let clients = &env.clients;
    let (ec2, sagemaker) = (&clients.ec2, &clients.sagemaker);
    let creating = prior.is_null();
    let lookup =
        |e: FindError, attribute: &str, hint: &str| common::lookup_error(e, attribute, hint, "EC2");
    // The name is checked while this instance has no domain: at create, or
    // when its domain is gone.
    let domainless = creating || common::text(prior, "domain_id").is_none();
    let name_owner = async {
        if domainless {
            find_taken_name(sagemaker, &want.name, &env.owner).await
        } else {
            Ok(None)
        }
    };
    let key = settled_key(env, want);
    let settled = match stage {
        Stage::Apply => checked::recall::<Settled>(&key),
        Stage::Plan => None,
    };
    let (subnets, prefix_list, taken) = tokio::join!(
        find::find_subnets(ec2, &want.subnet_ids),
        async {
            match &settled {
                Some(settled) => Ok(settled.prefix_list.clone()),
                None => find::find_s3_prefix_list_id(ec2, &clients.region).await,
            }
        },
        name_owner,
    );
    let subnets = subnets.map_err(|e| {
        lookup(
            e,
            "subnet_ids",
            "Check subnet_ids: each must exist in the provider's Region.",
        )
    })?;
    let prefix_list = prefix_list.map_err(|e| lookup(e, "subnet_ids", ""))?;
    let taken = taken.map_err(|e| Diagnostics::from_error("Cannot list SageMaker domains", e))?;
    let mut diags = Diagnostics::new();
    let vpc_ids: BTreeSet<&str> = subnets.iter().map(|s| s.vpc_id.as_str()).collect();
    if vpc_ids.len() > 1 {
        diags.attribute_error(
            AttrPath::root("subnet_ids"),
            "Subnets in different VPCs",
            format!(
                "The subnets are in {}; a domain lives in one VPC. Use subnets of one VPC.",
                vpc_ids.into_iter().collect::<Vec<_>>().join(" and ")
            ),
        );
        return Err(diags);
    }
    let vpc_id = subnets
        .first()
        .map(|s| s.vpc_id.clone())
        .unwrap_or_default();
    let services = want.services();
    let settled = settled.filter(|settled| settled.vpc.id == vpc_id);
    let (vpc, tables, endpoints, offers) = tokio::join!(
        async {
            match &settled {
                Some(settled) => Ok(settled.vpc.clone()),
                None => find::find_vpc(ec2, &vpc_id).await,
            }
        },
        async {
            match &settled {
                Some(settled) => Ok(settled.tables.clone()),
                None => find::find_vpc_route_tables(ec2, &vpc_id, Some(&prefix_list)).await,
            }
        },
        find::find_vpc_endpoints_in_vpc(ec2, &vpc_id, false),
        async {
            match &settled {
                Some(settled) => Ok(settled.offers.clone()),
                None => find_offered(ec2, &clients.region, &services).await,
            }
        },
    );
    let vpc = vpc.map_err(|e| lookup(e, "subnet_ids", ""))?;
    let tables = tables.map_err(|e| lookup(e, "subnet_ids", ""))?;
    let endpoints = endpoints.map_err(|e| lookup(e, "subnet_ids", ""))?;
    let offers = offers?;
    let adoptable_domain = match taken {
        Some((id, Claim::Unfinished | Claim::Mine)) => {
            if stage == Stage::Plan {
                diags.attribute_warning(
                    AttrPath::root("name"),
                    "Adopting an unfinished create",
                    format!(
                        "Domain {id} ({}) was made by an earlier apply of this resource that did not finish \
                         (the process was stopped, or an answer was lost). This apply adopts it and what \
                         it left instead of making them again.",
                        want.name
                    ),
                );
            }
            Some(id)
        }
        // The instance this create replaces: Terraform deletes it first
        // (with create_before_destroy, the apply's own check refuses).
        Some((_, Claim::Other(owner))) if stage == Stage::Plan && replaced(env, &owner) => None,
        Some((id, claim)) => {
            let whose = match claim {
                Claim::Other(owner) => format!(
                    "it belongs to another sagemaker_studio_domain (owner {owner}): another workspace, \
                     resource, or the instance this one replaces with create_before_destroy"
                ),
                _ => "it was made outside this resource".to_owned(),
            };
            diags.attribute_error(
                AttrPath::root("name"),
                "Domain name taken",
                format!(
                    "A SageMaker domain named {:?} already exists ({id}); {whose}. Domain names are unique \
                     in a Region. Choose another name; to manage that domain here, import it \
                     (import {{ to = …, id = \"{id}\" }}); when replacing, remove create_before_destroy (a unique name cannot be made twice), and if Terraform \
                     kept the old one as a deposed object, run terraform destroy -target on this resource, then \
                     terraform apply.",
                    want.name
                ),
            );
            None
        }
        None => None,
    };
    let table_of = find::route_tables_by_subnet(&vpc.id, &tables, &want.subnet_ids)
        .map_err(|e| lookup(e, "subnet_ids", ""))?;
    if want.network_access == "VpcOnly" {
        check_vpc_only(&vpc, &subnets, (&tables, &table_of), &mut diags);
    }
    let coverage = decide_coverage(
        env,
        want,
        prior,
        (&subnets, &tables, &table_of),
        (&endpoints, &prefix_list),
    );
    let coverage = match coverage {
        Ok(coverage) => coverage,
        Err(found) => {
            diags.extend(found);
            Coverage::default()
        }
    };
    check_addresses(want, &subnets, &coverage, &mut diags);
    check_offers(&services, &offers, &coverage, &subnets, &mut diags);
    if !want.create_endpoints && !coverage.own.is_empty() {
        let missing: Vec<&str> = coverage.own.iter().map(|s| s.short_name).collect();
        diags.attribute_error(
            AttrPath::root("create_endpoints"),
            "Services without an endpoint",
            format!(
                "No endpoint serves {} in {} with private DNS in every subnet's zone, and create_endpoints \
                 is false. Studio in VpcOnly mode cannot reach them. Set create_endpoints = true, or add them \
                 to the sagemaker_private_network of this VPC (services) first.",
                missing.join(", "),
                vpc.id
            ),
        );
    }
    let known_group = common::text(prior, "security_group_id").filter(|id| !id.is_empty());
    check_reused_admit(
        env,
        &coverage,
        &endpoints,
        &subnets,
        known_group.as_deref(),
        &mut diags,
    )
    .await?;
    if !creating {
        check_running_apps(env, want, prior, &mut diags).await?;
    }
    if diags.has_errors() {
        return Err(diags);
    }
    if stage == Stage::Plan {
        let settled = Settled {
            vpc: vpc.clone(),
            tables,
            prefix_list: prefix_list.clone(),
            offers,
        };
        checked::remember(key, settled);
    }
    Ok((
        Facts {
            vpc,
            subnets,
            s3_prefix_list_id: prefix_list,
            endpoints,
            coverage,
            adoptable_domain,
        },
        diags,
    ))
}

/// True when `owner` (an instance id, or an owner part of one) is an
/// instance of this type that this state records: at the plan of a
/// create, the instance it replaces, whose objects go first.
fn replaced(env: &Env<'_>, owner: &str) -> bool {
    let instance = owner
        .strip_suffix(&format!("/{ENDPOINTS_PART}"))
        .unwrap_or(owner);
    env.ctx.in_state.contains(state::TYPE_NAME, instance)
}

/// The domain named `name` in the Region and whose it is, seen from
/// `owner` (the planned instance), if one exists.
async fn find_taken_name(
    sagemaker: &aws_sdk_sagemaker::Client,
    name: &str,
    owner: &Owner,
) -> Result<Option<(String, Claim)>, String> {
    let Some(id) = studio::find_domain_id_by_name(sagemaker, name).await? else {
        return Ok(None);
    };
    let Some(domain) = studio::find_domain(sagemaker, &id).await? else {
        return Ok(None);
    };
    Ok(Some((id, owner.claim(&domain.tags))))
}

/// VpcOnly: default tenancy, DNS support and hostnames (private DNS of
/// the endpoints), private subnets, two zones.
fn check_vpc_only(
    vpc: &Vpc,
    subnets: &[Subnet],
    (tables, table_of): (&[RouteTable], &BTreeMap<String, String>),
    diags: &mut Diagnostics,
) {
    let path = || AttrPath::root("subnet_ids");
    if vpc.instance_tenancy != "default" {
        diags.attribute_error(
            path(),
            "VPC tenancy is not default",
            format!(
                "VPC {} has instance tenancy {:?}; Studio runs only in VPCs of default tenancy. Use subnets \
                 of a default-tenancy VPC.",
                vpc.id, vpc.instance_tenancy
            ),
        );
    }
    if !(vpc.dns_support && vpc.dns_hostnames) {
        let off: Vec<&str> = [
            ("enableDnsSupport", vpc.dns_support),
            ("enableDnsHostnames", vpc.dns_hostnames),
        ]
        .iter()
        .filter(|(_, on)| !on)
        .map(|(name, _)| *name)
        .collect();
        diags.attribute_error(
            path(),
            "VPC DNS settings do not allow private DNS",
            format!(
                "VPC {} has {} turned off. Studio in VpcOnly mode reaches SageMaker through endpoints with \
                 private DNS, which needs both enableDnsSupport and enableDnsHostnames. Turn them on \
                 (aws_vpc: enable_dns_support = true, enable_dns_hostnames = true).",
                vpc.id,
                off.join(" and ")
            ),
        );
    }
    for subnet in subnets {
        let Some(table) = table_of
            .get(&subnet.id)
            .and_then(|id| tables.iter().find(|t| &t.id == id))
        else {
            continue;
        };
        let internet = table.internet_gateway_default_route();
        if let Some(route) = internet {
            let how = if table.main && !table.subnet_ids.contains(&subnet.id) {
                "the VPC's main route table, which it uses having no table of its own,"
            } else {
                "its route table"
            };
            diags.attribute_error(
                path(),
                "Public subnet",
                format!(
                    "Subnet {} is public: {how} {} sends {} to internet gateway {}. A VpcOnly domain must \
                     have no internet path. Use private subnets, or remove that route.",
                    subnet.id, table.id, route.destination, route.target
                ),
            );
        }
    }
    let zones: BTreeSet<&str> = subnets
        .iter()
        .map(|s| s.availability_zone.as_str())
        .collect();
    if zones.len() == 1 {
        diags.attribute_warning(
            path(),
            "Studio in one Availability Zone only",
            "All subnets are in one zone: an outage of that zone stops Studio. Add a subnet in a second zone.",
        );
    }
}

/// Free addresses for the users, the home EFS (a mount target per subnet)
/// and this domain's own interface endpoints.
fn check_addresses(
    want: &Desired,
    subnets: &[Subnet],
    coverage: &Coverage,
    diags: &mut Diagnostics,
) {
    let interfaces = coverage
        .own
        .iter()
        .filter(|s| s.kind == EndpointKind::Interface)
        .count() as u64;
    let free: u64 = subnets
        .iter()
        .map(|s| u64::from(s.available_ip_address_count))
        .sum();
    let users = u64::from(want.expected_users) * u64::from(ADDRESSES_PER_USER);
    let efs = subnets.len() as u64;
    let endpoints = interfaces * coverage.endpoint_subnets.len() as u64;
    let need = users + efs + endpoints;
    if free < need {
        diags.attribute_error(
            AttrPath::root("subnet_ids"),
            "Not enough free addresses",
            format!(
                "The subnets have {free} free addresses; the domain needs {need}: {ADDRESSES_PER_USER} per \
                 expected user ({} users: {users}), one per subnet for the home EFS ({efs}) and one per zone \
                 for each of its {interfaces} interface endpoints ({endpoints}). Add subnets or use larger \
                 ones, or lower expected_users.",
                want.expected_users
            ),
        );
    }
}

/// Each service this domain makes an endpoint for is offered in every
/// subnet's zone.
fn check_offers(
    services: &[&'static ServiceSpec],
    offers: &[Option<crate::aws::endpoint_services::OfferedService>],
    coverage: &Coverage,
    subnets: &[Subnet],
    diags: &mut Diagnostics,
) {
    for (spec, offer) in services.iter().zip(offers) {
        if !coverage.own.contains(spec) {
            continue;
        }
        let Some(offer) = offer else {
            diags.attribute_error(
                AttrPath::root("subnet_ids"),
                "Service not offered in this Region",
                format!("{} is not offered in this Region, and Studio in VpcOnly mode needs it. Use a Region that offers it.", spec.short_name),
            );
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
                    "{} is not offered in {}: apps in subnets there could not reach it. It is offered in {}. \
                     Use subnets in those zones.",
                    spec.short_name,
                    missing.into_iter().collect::<Vec<_>>().join(", "),
                    offer.availability_zones.join(", ")
                ),
            );
        }
    }
}

/// Which endpoint serves each service: reused when one this domain does
/// not own serves it (private DNS, every subnet's zone; for S3 a gateway
/// route on every subnet's table), else this domain's own.
fn decide_coverage(
    env: &Env<'_>,
    want: &Desired,
    prior: &Value,
    (subnets, tables, table_of): (&[Subnet], &[RouteTable], &BTreeMap<String, String>),
    (endpoints, prefix_list): (&[VpcEndpoint], &str),
) -> Result<Coverage, Diagnostics> {
    let region = env.region();
    let part = env.owner.part(ENDPOINTS_PART);
    let recorded = state::managed_endpoints(prior);
    let creating = prior.is_null();
    let is_own = |e: &VpcEndpoint| {
        recorded.values().any(|id| id == &e.id)
            || match part.claim(&e.tags) {
                Claim::Mine => true,
                Claim::Unfinished => creating,
                _ => false,
            }
    };
    // Endpoints of the instance a create replaces go first: not reused.
    let going =
        |e: &VpcEndpoint| creating && owner_of(&e.tags).is_some_and(|owner| replaced(env, owner));
    let live = |e: &&VpcEndpoint| {
        !e.is_gone() && !matches!(e.state.as_str(), "deleting" | "failed" | "rejected") && !going(e)
    };
    let zone_of: BTreeMap<&str, &str> = subnets
        .iter()
        .map(|s| (s.id.as_str(), s.availability_zone.as_str()))
        .collect();
    let zones: BTreeSet<&str> = zone_of.values().copied().collect();
    let mut coverage = Coverage::default();
    let mut diags = Diagnostics::new();
    let mut by_zone: BTreeMap<&str, &str> = BTreeMap::new();
    let mut sorted: Vec<&Subnet> = subnets.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    for subnet in sorted {
        by_zone
            .entry(&subnet.availability_zone)
            .or_insert(&subnet.id);
    }
    coverage.endpoint_subnets = by_zone.values().map(|s| (*s).to_owned()).collect();
    for spec in want.services() {
        let name = spec.service_name(region);
        if spec.kind == EndpointKind::Gateway {
            let mut uncovered = Vec::new();
            let mut foreign = None;
            let ours: BTreeSet<&str> = table_of.values().map(String::as_str).collect();
            for table_id in ours {
                let Some(table) = tables.iter().find(|t| t.id == table_id) else {
                    continue;
                };
                let via_other = table
                    .gateway_endpoints_for(prefix_list)
                    .into_iter()
                    .find(|id| {
                        endpoints
                            .iter()
                            .any(|e| e.id == *id && !is_own(e) && !going(e))
                    });
                match via_other {
                    Some(id) => foreign = foreign.or(Some(id.to_owned())),
                    None => uncovered.push(table_id.to_owned()),
                }
            }
            if uncovered.is_empty() {
                if let Some(id) = foreign {
                    coverage.reused.insert(spec.short_name, id);
                    continue;
                }
            }
            coverage.s3_route_tables = uncovered;
            coverage.own.push(spec);
            continue;
        }
        let serving: Vec<&VpcEndpoint> = endpoints
            .iter()
            .filter(live)
            .filter(|e| e.service_name == name && e.endpoint_type.eq_ignore_ascii_case("interface"))
            .collect();
        if serving.iter().any(|e| is_own(e)) {
            coverage.own.push(spec);
            continue;
        }
        let Some(other) = serving.iter().find(|e| e.private_dns_enabled) else {
            coverage.own.push(spec);
            continue;
        };
        let covered: BTreeSet<&str> = other
            .subnet_ids
            .iter()
            .filter_map(|s| zone_of.get(s.as_str()).copied())
            .collect();
        let missing: Vec<&str> = zones.difference(&covered).copied().collect();
        // Its subnets outside the domain's may still cover a zone: decided
        // by zone only when every one of its subnets is known here.
        let unknown_subnets = other
            .subnet_ids
            .iter()
            .any(|s| !zone_of.contains_key(s.as_str()));
        if missing.is_empty() || unknown_subnets {
            coverage.reused.insert(spec.short_name, other.id.clone());
            continue;
        }
        diags.attribute_error(
            AttrPath::root("subnet_ids"),
            "An endpoint serves this service in some zones only",
            format!(
                "VPC endpoint {} ({}) serves {} with private DNS but has no subnet in {}: Studio apps in \
                 subnets there cannot reach it, and AWS allows only one private-DNS endpoint per service in a \
                 VPC, so this domain cannot add its own. Add a subnet in {} to that endpoint (in the \
                 configuration that owns it{}), or use subnets in the zones it serves.",
                other.id,
                owner_of(&other.tags).map_or("made outside this provider".to_owned(), |o| format!("owner {o}")),
                spec.short_name,
                missing.join(", "),
                missing.join(", "),
                owner_of(&other.tags).map_or(String::new(), |_| ": its subnet_ids".to_owned()),
            ),
        );
    }
    if diags.has_errors() {
        return Err(diags);
    }
    Ok(coverage)
}

/// The endpoints `want` reuses in the VPC of its subnets (short name →
/// id), decided as the checks decide them ([`decide_coverage`]), `state`
/// recording the instance's own: for import, which finds the own ones by
/// their tags. Empty when the coverage cannot be decided; the plan that
/// follows says why.
pub async fn find_reused(
    env: &Env<'_>,
    want: &Desired,
    state: &Value,
) -> Result<BTreeMap<&'static str, String>, Diagnostics> {
    if want.services().is_empty() || want.subnet_ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let ec2 = &env.clients.ec2;
    let lookup = |e: FindError| common::lookup_error(e, "subnet_ids", "", "EC2");
    let (subnets, prefix_list) = tokio::join!(
        find::find_subnets(ec2, &want.subnet_ids),
        find::find_s3_prefix_list_id(ec2, &env.clients.region),
    );
    let (subnets, prefix_list) = (subnets.map_err(lookup)?, prefix_list.map_err(lookup)?);
    let Some(vpc_id) = subnets.first().map(|s| s.vpc_id.clone()) else {
        return Ok(BTreeMap::new());
    };
    let (tables, endpoints) = tokio::join!(
        find::find_vpc_route_tables(ec2, &vpc_id, Some(&prefix_list)),
        find::find_vpc_endpoints_in_vpc(ec2, &vpc_id, false),
    );
    let (tables, endpoints) = (tables.map_err(lookup)?, endpoints.map_err(lookup)?);
    let table_of =
        find::route_tables_by_subnet(&vpc_id, &tables, &want.subnet_ids).map_err(lookup)?;
    let coverage = decide_coverage(
        env,
        want,
        state,
        (&subnets, &tables, &table_of),
        (&endpoints, &prefix_list),
    );
    Ok(coverage.map(|c| c.reused).unwrap_or_default())
}

/// Each reused interface endpoint's groups admit HTTPS from the domain:
/// from its group (`domain_group`, once known) or from addresses covering
/// every subnet.
async fn check_reused_admit(
    env: &Env<'_>,
    coverage: &Coverage,
    endpoints: &[VpcEndpoint],
    subnets: &[Subnet],
    domain_group: Option<&str>,
    diags: &mut Diagnostics,
) -> Result<(), Diagnostics> {
    let reused: Vec<(&str, &VpcEndpoint)> = coverage
        .reused
        .iter()
        .filter_map(|(name, id)| Some((*name, endpoints.iter().find(|e| &e.id == id)?)))
        .filter(|(_, e)| e.endpoint_type.eq_ignore_ascii_case("interface"))
        .collect();
    let group_ids: Vec<String> = reused
        .iter()
        .flat_map(|(_, e)| e.security_group_ids.iter().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if group_ids.is_empty() {
        return Ok(());
    }
    let groups = find::find_security_groups(&env.clients.ec2, &group_ids)
        .await
        .map_err(|e| common::lookup_error(e, "subnet_ids", "", "EC2"))?;
    // One error per owner of endpoints that do not admit the domain.
    let mut refused: BTreeMap<Option<String>, Vec<(&str, &VpcEndpoint)>> = BTreeMap::new();
    for (name, endpoint) in reused {
        let own: Vec<&SecurityGroup> = groups
            .iter()
            .filter(|g| endpoint.security_group_ids.contains(&g.id))
            .collect();
        if !own.iter().any(|g| admits_https(g, subnets, domain_group)) {
            let owner = owner_of(&endpoint.tags).map(str::to_owned);
            refused.entry(owner).or_default().push((name, endpoint));
        }
    }
    for (owner, endpoints) in refused {
        let listed: Vec<String> = endpoints
            .iter()
            .map(|(name, e)| {
                format!(
                    "{} ({name}, groups {})",
                    e.id,
                    e.security_group_ids.join(", ")
                )
            })
            .collect();
        let domain_part = owner
            .as_deref()
            .and_then(|o| o.strip_suffix(&format!("/{ENDPOINTS_PART}")));
        let fix = match (domain_part, &owner) {
            (Some(domain), _) => format!(
                "They belong to the sagemaker_studio_domain with owner {domain}, which admits only its own \
                 domain. For several domains in one VPC, serve the endpoints from one \
                 sagemaker_private_network (services = [\"studio_vpc_only\"]) that every domain reuses."
            ),
            (None, Some(owner)) => format!(
                "They belong to the sagemaker_private_network with owner {owner}: add this domain's \
                 security_group_id to its allowed_security_group_ids, or let it admit the subnets' CIDR \
                 blocks (its default, the VPC's CIDR, does)."
            ),
            (None, None) => "Add ingress rules for TCP 443 from this domain's security_group_id, or from the \
                     subnets' CIDR blocks, to their groups."
                .to_owned(),
        };
        diags.attribute_error(
            AttrPath::root("subnet_ids"),
            "A reused endpoint does not admit the domain",
            format!(
                "This domain uses the endpoints that already serve its services in the VPC, but the security \
                 groups of {} admit HTTPS (TCP 443) neither from the domain's group nor from every subnet of \
                 the domain, so Studio apps would time out. {fix}",
                listed.join("; ")
            ),
        );
    }
    Ok(())
}

/// True when `group` has an ingress rule for TCP 443 from `domain_group`
/// or from blocks covering every one of `subnets`.
fn admits_https(group: &SecurityGroup, subnets: &[Subnet], domain_group: Option<&str>) -> bool {
    let blocks: Vec<&str> = subnets.iter().map(|s| s.cidr_block.as_str()).collect();
    find::admits_tcp(&[group], 443, domain_group.as_slice(), &blocks)
}

/// On update: removing subnets or changing `network_access` needs no app
/// running (AWS refuses the update otherwise).
async fn check_running_apps(
    env: &Env<'_>,
    want: &Desired,
    prior: &Value,
    diags: &mut Diagnostics,
) -> Result<(), Diagnostics> {
    let before = common::known_strings(prior, "subnet_ids").unwrap_or_default();
    let removed: Vec<&String> = before
        .iter()
        .filter(|s| !want.subnet_ids.contains(s))
        .collect();
    let access_changes =
        common::text(prior, "network_access").is_some_and(|a| a != want.network_access);
    if removed.is_empty() && !access_changes {
        return Ok(());
    }
    let Some(domain_id) = common::text(prior, "domain_id") else {
        return Ok(());
    };
    let apps = studio::list_apps(&env.clients.sagemaker, &domain_id)
        .await
        .map_err(|e| Diagnostics::from_error("Cannot list the domain's apps", e))?;
    let running: Vec<String> = apps
        .iter()
        .filter(|a| matches!(a.status.as_str(), "InService" | "Pending" | "Deleting"))
        .map(studio::App::describe)
        .collect();
    if running.is_empty() {
        return Ok(());
    }
    let (path, what) = if removed.is_empty() {
        ("network_access", "change network_access".to_owned())
    } else {
        (
            "subnet_ids",
            format!(
                "remove {} from the domain",
                removed
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    };
    diags.attribute_error(
        AttrPath::root(path),
        "Apps are running",
        format!(
            "SageMaker cannot {what} while apps run: {}. Stop them in Studio (or delete them: aws \
             sagemaker delete-app), then apply again.",
            running.join("; ")
        ),
    );
    Ok(())
}
