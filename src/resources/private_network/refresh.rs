//! Refreshing `sagemaker_private_network`: one endpoint listing and one
//! group lookup, whatever the number of endpoints; the endpoints, rules,
//! tags and policies as AWS reports them, so drift shows in the plan.

use super::state::{
    desired, endpoint_urls, endpoint_value, ingress_lines, recorded_ids, rule_lines_value,
    short_name_of, Desired,
};
use crate::aws::ec2::endpoints::{EndpointChange, Placement};
use crate::aws::ec2::find::{self, SecurityGroup, VpcEndpoint};
use crate::aws::ec2::groups::find_security_group_if_exists;
use crate::aws::ownership::{shown_tags, Claim, Owner};
use crate::aws::{Clients, TagSettings};
use crate::catalog::EndpointKind;
use crate::framework::{AttrPath, Diagnostics};
use crate::resources::common::{string_map, text};
use crate::resources::composite::{Env, Refreshed};
use crate::value::Value;
use std::collections::BTreeMap;

/// The network as AWS reports it; `None` when its group and every endpoint
/// it owns are gone.
pub async fn refresh(env: &Env<'_>, prior: Value) -> Result<Option<Refreshed>, Diagnostics> {
    let vpc_id = text(&prior, "vpc_id").unwrap_or_default();
    let group_id = text(&prior, "security_group_id").filter(|id| !id.is_empty());
    let (group, endpoints) = observe(&env.clients, &vpc_id, group_id.as_deref()).await?;
    if group.is_none() && owned(&endpoints, &env.owner, &prior).next().is_none() {
        return Ok(None);
    }
    let state = with_observed(prior, &env.owner, env.region(), group.as_ref(), &endpoints);
    let live_tags = group
        .as_ref()
        .map(|group| live_tags(&state, group, tagged(&endpoints, &env.owner), &env.tagging));
    let mut diags = Diagnostics::new();
    let state = with_observed_placement(state, &env.owner, env.region(), &endpoints, &mut diags);
    let mut want = desired(&state, &TagSettings::default());
    want.resolve_policies(&env.clients).await?;
    let state = with_observed_policies(state, &want, &endpoints, &mut diags);
    Ok(Some(Refreshed {
        state,
        live_tags,
        diags,
    }))
}

/// The network's tags as AWS reports them: those of the first of its
/// objects — the group, then the endpoints carrying its owner tag (one
/// adopted by import is tagged by the next apply) — whose tags are not what
/// `state` records (changed outside Terraform, or an unfinished-create
/// marker left), else the group's; so the plan shows any difference and
/// apply puts every object's tags back.
fn live_tags<'a>(
    state: &Value,
    group: &'a SecurityGroup,
    endpoints: impl Iterator<Item = &'a VpcEndpoint>,
    tagging: &TagSettings,
) -> BTreeMap<String, String> {
    let shown = |tags: &BTreeMap<String, String>| tagging.managed(&shown_tags(tags));
    let recorded = tagging.managed(&string_map(state, "tags_all"));
    std::iter::once(&group.tags)
        .chain(endpoints.map(|e| &e.tags))
        .find(|tags| shown(tags) != recorded)
        .unwrap_or(&group.tags)
        .clone()
}

/// Warns of each endpoint no longer placed where `state` puts it — its
/// subnets, route tables, private DNS or security groups changed outside
/// Terraform — and clears `ingress_rules` in the refreshed state, so the
/// next plan updates the network and apply puts the endpoints back.
fn with_observed_placement(
    mut state: Value,
    owner: &Owner,
    region: &str,
    endpoints: &[VpcEndpoint],
    diags: &mut Diagnostics,
) -> Value {
    let want = desired(&state, &TagSettings::default());
    let group_id = text(&state, "security_group_id").unwrap_or_default();
    let route_tables = want.route_table_ids.clone().unwrap_or_default();
    let mut drifted = false;
    for endpoint in owned(endpoints, owner, &state) {
        let Some(spec) = short_name_of(&endpoint.service_name, &endpoint.endpoint_type, region)
        else {
            continue;
        };
        let wanted = Placement {
            subnets: &want.subnet_ids,
            route_tables: &route_tables,
            private_dns: want.private_dns,
            policy: None,
        };
        let observed = Placement {
            policy: None,
            ..Placement::observed(endpoint)
        };
        let mut changed = !EndpointChange::between(spec.kind, &observed, &wanted).is_empty();
        if spec.kind == EndpointKind::Interface && !group_id.is_empty() {
            changed |= endpoint.security_group_ids != [group_id.clone()];
        }
        if !changed {
            continue;
        }
        drifted = true;
        diags.warning(
            format!("The {} endpoint was moved outside Terraform", spec.short_name),
            format!(
                "VPC endpoint {} is now in subnets [{}], route tables [{}], with security groups [{}] and \
                 private DNS {}: not what this configuration asks for. Apply puts it back.",
                endpoint.id,
                endpoint.subnet_ids.join(", "),
                endpoint.route_table_ids.join(", "),
                endpoint.security_group_ids.join(", "),
                if endpoint.private_dns_enabled { "on" } else { "off" },
            ),
        );
    }
    if drifted {
        state.set_attribute("ingress_rules", Value::Null);
    }
    state
}

/// The endpoints tagged as the network `owner`'s own.
fn tagged<'a>(
    endpoints: &'a [VpcEndpoint],
    owner: &'a Owner,
) -> impl Iterator<Item = &'a VpcEndpoint> {
    endpoints
        .iter()
        .filter(move |e| e.state != "deleting" && owner.claim(&e.tags) == Claim::Mine)
}

/// The endpoints of the network `owner`: tagged as its own, or recorded in
/// `state` (adopted by import) — except those already being deleted.
pub fn owned<'a>(
    endpoints: &'a [VpcEndpoint],
    owner: &'a Owner,
    state: &'a Value,
) -> impl Iterator<Item = &'a VpcEndpoint> {
    let recorded = recorded_ids(state);
    endpoints.iter().filter(move |e| {
        e.state != "deleting" && (owner.claim(&e.tags) == Claim::Mine || recorded.contains(&e.id))
    })
}

/// One endpoint listing and one group lookup, whatever the endpoint count.
pub async fn observe(
    clients: &Clients,
    vpc_id: &str,
    group_id: Option<&str>,
) -> Result<(Option<SecurityGroup>, Vec<VpcEndpoint>), Diagnostics> {
    observe_with(clients, vpc_id, group_id, None).await
}

/// [`observe`], with the endpoints a caller `listed` moments ago (a wait's
/// last listing, gone ones left out) standing for the listing.
pub async fn observe_with(
    clients: &Clients,
    vpc_id: &str,
    group_id: Option<&str>,
    listed: Option<Vec<VpcEndpoint>>,
) -> Result<(Option<SecurityGroup>, Vec<VpcEndpoint>), Diagnostics> {
    let ec2 = &clients.ec2;
    let endpoints = async {
        match listed {
            Some(listed) => Ok(listed),
            None => find::find_vpc_endpoints_in_vpc(ec2, vpc_id, false).await,
        }
    };
    let group = async {
        match group_id {
            Some(id) => find_security_group_if_exists(ec2, id).await,
            None => Ok(None),
        }
    };
    let (group, endpoints) = tokio::join!(group, endpoints);
    let fail = |e: find::FindError| {
        Diagnostics::from_error("Cannot read the private network", e.to_string())
    };
    Ok((group.map_err(fail)?, endpoints.map_err(fail)?))
}

/// `base` with the computed attributes taken from AWS.
pub fn with_observed(
    mut base: Value,
    owner: &Owner,
    region: &str,
    group: Option<&SecurityGroup>,
    endpoints: &[VpcEndpoint],
) -> Value {
    let mut entries = BTreeMap::new();
    for endpoint in owned(endpoints, owner, &base) {
        if let Some(spec) = short_name_of(&endpoint.service_name, &endpoint.endpoint_type, region) {
            entries
                .entry(spec.short_name.to_owned())
                .or_insert_with(|| endpoint_value(spec, endpoint));
        }
    }
    let endpoints = Value::Map(entries);
    for (name, url) in endpoint_urls(&endpoints, region) {
        base.set_attribute(name, url);
    }
    base.set_attribute("endpoints", endpoints);
    base.set_attribute(
        "security_group_id",
        group.map_or(Value::Null, |g| Value::String(g.id.clone())),
    );
    base.set_attribute(
        "ingress_rules",
        group.map_or(Value::Null, |g| rule_lines_value(ingress_lines(g))),
    );
    base
}

/// Records in the refreshed `state` each endpoint policy that no longer
/// means what `want` (the inputs `state` records, policies resolved) asks
/// for — changed outside Terraform, or still AWS's full access where the
/// default of `policy_principals` now applies (a network made before
/// endpoints got that default): the policy AWS reports goes into
/// `endpoint_policies` (AWS's default full access as its document where
/// the configuration gives none, else removed), and the helper that
/// generated the expected one is cleared, so the next plan shows the
/// difference and apply restores it. Policies are compared by meaning: a
/// reformatted policy is no drift.
fn with_observed_policies(
    mut state: Value,
    want: &Desired,
    endpoints: &[VpcEndpoint],
    diags: &mut Diagnostics,
) -> Value {
    let mut policies = string_map(&state, "endpoint_policies");
    let mut drifted = false;
    let recorded: Vec<(String, String)> = match state.get("endpoints") {
        Some(Value::Map(entries)) => entries
            .iter()
            .filter_map(|(name, e)| Some((name.clone(), e.get("id")?.as_str()?.to_owned())))
            .collect(),
        _ => Vec::new(),
    };
    for (short_name, id) in recorded {
        let Some(spec) = crate::catalog::service(&short_name) else {
            continue;
        };
        let Some(endpoint) = endpoints.iter().find(|e| e.id == id) else {
            continue;
        };
        if !spec.accepts_policy {
            continue;
        }
        // AWS's default full access reads as no policy.
        let actual = endpoint
            .policy_document
            .as_deref()
            .filter(|text| !crate::policy::is_full_access(text));
        let wanted = want.policies.get(spec.short_name).map(String::as_str);
        let same = crate::policy::same_effect(wanted, actual);
        if same {
            continue;
        }
        drifted = true;
        let by_default = want.has_default_policy(spec.short_name);
        if by_default && actual.is_none() {
            diags.attribute_warning(
                AttrPath::root("endpoint_policies"),
                format!("The {short_name} endpoint admits any principal"),
                format!(
                    "VPC endpoint {} has AWS's default full-access policy, but an endpoint given no policy now \
                     admits only {} (policy_principals). The plan shows the full-access policy in \
                     endpoint_policies; apply replaces it with the default. To keep full access, set \
                     policy_principals = \"any\".",
                    endpoint.id,
                    want.scope.describe()
                ),
            );
        } else {
            diags.attribute_warning(
                AttrPath::root("endpoint_policies"),
                format!("The {short_name} endpoint policy was changed outside Terraform"),
                format!(
                    "VPC endpoint {} now has the policy {}. The plan shows it in endpoint_policies (and the \
                     policy helpers cleared); apply puts back the policy this configuration asks for.",
                    endpoint.id,
                    actual.unwrap_or("AWS's default full access")
                ),
            );
        }
        match actual {
            Some(text) => policies.insert(short_name.clone(), text.to_owned()),
            // No entry would read as the default: the plan would show nothing.
            None if by_default => policies.insert(
                short_name.clone(),
                crate::policy::FULL_ACCESS_POLICY.to_owned(),
            ),
            None => policies.remove(&short_name),
        };
        let helpers: &[&str] = match spec.short_name {
            "sagemaker_runtime" => &["runtime_invoke_endpoint_arns"],
            "s3" => &["s3_bucket_arns", "deny_amazon_linux_repositories"],
            _ => &[],
        };
        for helper in helpers {
            let used = state
                .get(helper)
                .is_some_and(|v| !v.is_null() && *v != Value::Bool(false));
            if used {
                state.set_attribute(helper, Value::Null);
            }
        }
    }
    if drifted {
        let value = if policies.is_empty() {
            Value::Null
        } else {
            Value::Map(
                policies
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect(),
            )
        };
        state.set_attribute("endpoint_policies", value);
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{default_policy, Principals, FULL_ACCESS_POLICY};
    use crate::resources::policy_principals::Scope;

    const REGION: &str = "us-east-1";

    fn endpoint(id: &str, service: &str, policy: Option<&str>) -> VpcEndpoint {
        VpcEndpoint {
            id: id.to_owned(),
            vpc_id: "vpc-1".to_owned(),
            service_name: format!("com.amazonaws.{REGION}.{service}"),
            endpoint_type: "Interface".to_owned(),
            state: "available".to_owned(),
            subnet_ids: Vec::new(),
            security_group_ids: Vec::new(),
            route_table_ids: Vec::new(),
            network_interface_ids: Vec::new(),
            private_dns_enabled: true,
            policy_document: policy.map(str::to_owned),
            dns_names: Vec::new(),
            tags: BTreeMap::new(),
            creation_timestamp: None,
            failure_reason: None,
        }
    }

    /// A state of a network with the `sagemaker_api` endpoint `vpce-api`
    /// and these extra attributes.
    fn state(extra: &[(&str, Value)]) -> Value {
        let entry = Value::Object(BTreeMap::from([(
            "id".to_owned(),
            Value::String("vpce-api".into()),
        )]));
        let mut attributes = BTreeMap::from([
            (
                "services".to_owned(),
                Value::Set(vec![Value::String("sagemaker_api".into())]),
            ),
            (
                "endpoints".to_owned(),
                Value::Map(BTreeMap::from([("sagemaker_api".to_owned(), entry)])),
            ),
        ]);
        for (name, value) in extra {
            attributes.insert((*name).to_owned(), value.clone());
        }
        Value::Object(attributes)
    }

    /// The refreshed state and the warnings, for `live` on the endpoint,
    /// the account default resolved for account 123456789012.
    fn refreshed(state: Value, live: Option<&str>) -> (Value, Diagnostics) {
        let mut want = desired(&state, &TagSettings::default());
        let principals = match &want.scope {
            Scope::Account => Principals::Account("123456789012".into()),
            Scope::Organization(id) => Principals::Organization(id.clone()),
            Scope::Any => Principals::Any,
        };
        want.policies = want
            .policy_sources
            .iter()
            .filter_map(|(name, (spec, source))| {
                source.render(spec, &principals, REGION).map(|t| (*name, t))
            })
            .collect();
        let mut diags = Diagnostics::new();
        let endpoints = [endpoint("vpce-api", "sagemaker.api", live)];
        let state = with_observed_policies(state, &want, &endpoints, &mut diags);
        (state, diags)
    }

    fn account_default() -> String {
        let spec = crate::catalog::service("sagemaker_api").unwrap();
        let principals = Principals::Account("123456789012".into());
        default_policy(spec, &principals, REGION).unwrap()
    }

    #[test]
    fn the_account_default_in_place_is_no_drift() {
        let (after, diags) = refreshed(state(&[]), Some(&account_default()));
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(after.get("endpoint_policies"), None);
    }

    #[test]
    fn full_access_where_the_default_applies_shows_in_endpoint_policies() {
        for live in [None, Some(FULL_ACCESS_POLICY)] {
            let (after, diags) = refreshed(state(&[]), live);
            assert_eq!(
                string_map(&after, "endpoint_policies"),
                BTreeMap::from([("sagemaker_api".to_owned(), FULL_ACCESS_POLICY.to_owned())]),
                "the plan then shows the full access it replaces"
            );
            let warning = diags.iter().next().expect("a warning");
            assert_eq!(
                warning.summary,
                "The sagemaker_api endpoint admits any principal"
            );
            assert!(
                warning.detail.contains("policy_principals = \"any\""),
                "{}",
                warning.detail
            );
        }
        // Refreshed again before apply: the state's entry explains the
        // endpoint, so no second warning, and the plan still shows it.
        let (once, _) = refreshed(state(&[]), None);
        let (twice, diags) = refreshed(once.clone(), None);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(twice, once);
    }

    #[test]
    fn any_principal_keeps_full_access_and_flags_the_account_default() {
        let any = [("policy_principals", Value::String("any".into()))];
        let (after, diags) = refreshed(state(&any), None);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(after.get("endpoint_policies"), None);
        let (after, diags) = refreshed(state(&any), Some(&account_default()));
        assert_eq!(diags.iter().count(), 1);
        assert_eq!(
            string_map(&after, "endpoint_policies").get("sagemaker_api"),
            Some(&account_default())
        );
    }
}
