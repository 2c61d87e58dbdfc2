//! The order of the endpoint changes around a domain update: the
//! endpoints, subnets and S3 routes the domain will need are made before
//! UpdateDomain ([`add`]); what it no longer needs (a service dropped or now
//! served by another endpoint, the zone of a subnet it leaves, the route of
//! a table it leaves) goes after it ([`converge`]). Both are the
//! endpoints part's one converge, given what to serve. So a
//! failed update leaves the domain with everything it used, and nothing it
//! may still use is removed first.

use super::checks::{Coverage, Facts};
use super::network::converge;
use super::state::{managed_endpoints, Desired, ENDPOINTS_PART};
use crate::aws::ec2::find::{find_subnets_in_vpc, Subnet};
use crate::aws::ownership::Claim;
use crate::catalog::{self, EndpointKind};
use crate::resources::composite::applier::Applier;
use crate::resources::composite::Env;
use crate::resources::private_network;
use crate::value::Value;
use std::collections::{BTreeMap, BTreeSet};

/// What the endpoints part serves: services (short names), the subnets of
/// its interface endpoints, the route tables of its S3 gateway.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Footprint {
    pub services: BTreeSet<String>,
    pub subnets: BTreeSet<String>,
    pub route_tables: BTreeSet<String>,
}

impl Footprint {
    /// What the checks decided the domain serves itself.
    fn wanted(facts: &Facts) -> Footprint {
        let own = &facts.coverage.own;
        let gateway = own.iter().any(|s| s.kind == EndpointKind::Gateway);
        Footprint {
            services: own.iter().map(|s| s.short_name.to_owned()).collect(),
            subnets: facts.coverage.endpoint_subnets.iter().cloned().collect(),
            route_tables: if gateway {
                facts.coverage.s3_route_tables.iter().cloned().collect()
            } else {
                BTreeSet::new()
            },
        }
    }
}

/// What serves while the domain changes: every service and route table of
/// `wanted` and of `current`, and one subnet per zone — the current one
/// where there is one, else the wanted one (an endpoint takes one subnet
/// per zone). `zone_of` gives the zones; a subnet it does not know is left
/// out.
pub fn grown(
    wanted: &Footprint,
    current: &Footprint,
    zone_of: &BTreeMap<String, String>,
) -> Footprint {
    let mut subnets = BTreeSet::new();
    let mut zones = BTreeSet::new();
    for subnet in current.subnets.iter().chain(&wanted.subnets) {
        if let Some(zone) = zone_of.get(subnet) {
            if zones.insert(zone.as_str()) {
                subnets.insert(subnet.clone());
            }
        }
    }
    Footprint {
        services: current.services.union(&wanted.services).cloned().collect(),
        subnets,
        route_tables: current
            .route_tables
            .union(&wanted.route_tables)
            .cloned()
            .collect(),
    }
}

/// What the endpoints this instance owns serve now (recorded in `prior`, or
/// tagged as its own), as the checks listed them.
fn current_footprint(env: &Env<'_>, facts: &Facts, prior: &Value) -> Footprint {
    let part = env.owner.part(ENDPOINTS_PART);
    let recorded = managed_endpoints(prior);
    let mut current = Footprint::default();
    let own = facts.endpoints.iter().filter(|e| {
        !e.is_gone()
            && e.state != "deleting"
            && (recorded.values().any(|id| *id == e.id) || part.claim(&e.tags) == Claim::Mine)
    });
    for endpoint in own {
        let Some(spec) = private_network::state::short_name_of(
            &endpoint.service_name,
            &endpoint.endpoint_type,
            env.region(),
        ) else {
            continue;
        };
        current.services.insert(spec.short_name.to_owned());
        match spec.kind {
            EndpointKind::Interface => current.subnets.extend(endpoint.subnet_ids.iter().cloned()),
            EndpointKind::Gateway => current
                .route_tables
                .extend(endpoint.route_table_ids.iter().cloned()),
        }
    }
    current
}

/// The subnets of `footprints`: the checked ones, and from the VPC's
/// listing (one call) those the domain leaves, only when there are any. A
/// subnet that cannot be read is left out, which only removes it early.
async fn subnets_of(env: &Env<'_>, facts: &Facts, footprints: [&Footprint; 2]) -> Vec<Subnet> {
    let mut subnets = facts.subnets.clone();
    let checked: BTreeSet<String> = subnets.iter().map(|s| s.id.clone()).collect();
    let left: BTreeSet<&String> = footprints
        .iter()
        .flat_map(|f| &f.subnets)
        .filter(|s| !checked.contains(*s))
        .collect();
    if !left.is_empty() {
        if let Ok(all) = find_subnets_in_vpc(&env.clients.ec2, &facts.vpc.id).await {
            subnets.extend(all.into_iter().filter(|s| left.contains(&s.id)));
        }
    }
    subnets
}

/// `facts` with the coverage of `footprint` — the services, subnets and
/// route tables the endpoints part serves (reused services unchanged) —
/// and `subnets` (every one the footprint uses, as the endpoints part
/// takes them from here rather than reading them again).
fn covering(facts: &Facts, footprint: &Footprint, subnets: Vec<Subnet>) -> Facts {
    let own = footprint
        .services
        .iter()
        .filter_map(|name| catalog::service(name))
        .collect();
    Facts {
        vpc: facts.vpc.clone(),
        subnets,
        s3_prefix_list_id: facts.s3_prefix_list_id.clone(),
        endpoints: facts.endpoints.clone(),
        coverage: Coverage {
            reused: facts.coverage.reused.clone(),
            own,
            endpoint_subnets: footprint.subnets.iter().cloned().collect(),
            s3_route_tables: footprint.route_tables.iter().cloned().collect(),
        },
        adoptable_domain: facts.adoptable_domain.clone(),
    }
}

/// Before the domain changes: makes what the domain will need and removes
/// nothing ([`grown`]). Returns the `endpoints` entries, the endpoints'
/// group, and whether removals are left for [`converge`] once the domain
/// is updated (when nothing is to go, this was that converge).
pub async fn add(
    env: &Env<'_>,
    applier: &mut Applier<'_>,
    want: &Desired,
    facts: &Facts,
    prior: &Value,
    domain_group: &str,
) -> (BTreeMap<String, Value>, Option<String>, bool) {
    let wanted = Footprint::wanted(facts);
    let current = current_footprint(env, facts, prior);
    if current.services.is_empty() {
        let (entries, group) = converge(env, applier, want, facts, prior, domain_group).await;
        return (entries, group, false);
    }
    let subnets = subnets_of(env, facts, [&wanted, &current]).await;
    let zone_of = subnets
        .iter()
        .map(|s| (s.id.clone(), s.availability_zone.clone()))
        .collect();
    let grown = grown(&wanted, &current, &zone_of);
    let removals_left = grown != wanted;
    let facts = if removals_left {
        &covering(facts, &grown, subnets)
    } else {
        facts
    };
    let (entries, group) = converge(env, applier, want, facts, prior, domain_group).await;
    (entries, group, removals_left)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn footprint(services: &[&str], subnets: &[&str], tables: &[&str]) -> Footprint {
        Footprint {
            services: strings(services),
            subnets: strings(subnets),
            route_tables: strings(tables),
        }
    }

    fn zones(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(s, z)| ((*s).to_owned(), (*z).to_owned()))
            .collect()
    }

    #[test]
    fn while_the_domain_changes_nothing_it_uses_goes() {
        let zone_of = zones(&[
            ("subnet-a", "us-east-1a"),
            ("subnet-b", "us-east-1b"),
            ("subnet-c", "us-east-1c"),
            ("subnet-a2", "us-east-1a"),
        ]);
        // Subnets shrink from a, b, c to a2 (zone a), b; sts and logs are
        // dropped, servicecatalog added; the route of table 1 is left.
        let current = footprint(
            &["s3", "sagemaker_api", "sts", "logs"],
            &["subnet-a", "subnet-b", "subnet-c"],
            &["rtb-1", "rtb-2"],
        );
        let wanted = footprint(
            &["s3", "sagemaker_api", "servicecatalog"],
            &["subnet-a2", "subnet-b"],
            &["rtb-2"],
        );
        let during = grown(&wanted, &current, &zone_of);
        assert_eq!(
            during,
            footprint(
                &["logs", "s3", "sagemaker_api", "servicecatalog", "sts"],
                &["subnet-a", "subnet-b", "subnet-c"],
                &["rtb-1", "rtb-2"],
            ),
            "everything current stays, one subnet per zone (the current one)"
        );
        assert_ne!(during, wanted, "removals are left for after the update");
    }

    #[test]
    fn additions_only_need_no_second_step() {
        let zone_of = zones(&[("subnet-a", "us-east-1a"), ("subnet-b", "us-east-1b")]);
        let current = footprint(&["sagemaker_api"], &["subnet-a"], &[]);
        let wanted = footprint(&["sagemaker_api", "sts"], &["subnet-a", "subnet-b"], &[]);
        assert_eq!(grown(&wanted, &current, &zone_of), wanted);
    }

    #[test]
    fn a_subnet_of_unknown_zone_is_left_out() {
        let zone_of = zones(&[("subnet-b", "us-east-1b")]);
        let current = footprint(&["sts"], &["subnet-gone", "subnet-b"], &[]);
        let wanted = footprint(&["sts"], &["subnet-b"], &[]);
        assert_eq!(grown(&wanted, &current, &zone_of), wanted);
    }
}
