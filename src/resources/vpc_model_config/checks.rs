//! Checks of `sagemaker_vpc_model_config`: formats and cross-attribute rules
//! at validate, and the account checks at plan (or at the start of apply
//! when an input was unknown at plan) — subnets, one VPC, two zones,
//! addresses, extra groups, the S3 path, the model name — before anything
//! is created. Each names the attribute, what is wrong and the fix.

use super::state::{addresses_per_instance, Desired};
use crate::aws::ec2::find::{self, FindError, RouteTable, SecurityGroup, Subnet, Vpc, VpcEndpoint};
use crate::aws::ec2::groups;
use crate::aws::ownership::{id_key, Claim, Owner, OWNER_KEY};
use crate::aws::sagemaker::{find_model, Model};
use crate::aws::Clients;
use crate::framework::{AttrPath, Diagnostics, InState};
use crate::resources::common;
use crate::resources::common::known_strings;
use crate::value::Value;
use std::collections::{BTreeMap, BTreeSet};

use crate::aws::ids::covers_every_address;
use crate::limits::MAX_MODEL_SECURITY_GROUPS as MAX_GROUPS;

/// Static rules that span attributes.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    if config.get("model").is_some_and(|m| !m.is_null()) {
        diags.attribute_warning(
            AttrPath::root("model"),
            "The model block is deprecated",
            "A model is immutable while its network lives long, so the model is its own resource now: \
             declare a sagemaker_model with vpc_config = sagemaker_vpc_model_config.NAME.vpc_config. Move an \
             existing model without recreating it: a removed block is not needed — drop the model block, add \
             the sagemaker_model and an import block with the model name (CHANGELOG.md).",
        );
    }
    if known_strings(config, "subnet_ids").is_some_and(|ids| ids.len() == 1) {
        diags.attribute_error(
            AttrPath::root("subnet_ids"),
            "One subnet is not enough",
            "SageMaker needs subnets in at least two Availability Zones, even for a single instance, so \
             that it can place and replace instances. Add a subnet in another zone.",
        );
    }
    let has_model = config.get("model").is_some_and(|m| !m.is_null());
    let name_set = config.get("name").is_some_and(|n| !n.is_null());
    if !has_model && !name_set {
        diags.attribute_error(
            AttrPath::root("name"),
            "No name for this configuration",
            "Without a model block the configuration needs a name (it names the security group and tags \
             every object). Set name = \"my-model-network\", or add a model block.",
        );
    }
    let creates_group = config.get("create_security_group").and_then(Value::as_bool) != Some(false);
    let extra = known_strings(config, "security_group_ids");
    let no_extra = config.get("security_group_ids").is_none_or(Value::is_null);
    if !creates_group && no_extra {
        diags.attribute_error(
            AttrPath::root("security_group_ids"),
            "No security group for the model",
            "create_security_group = false leaves the model without a group. List its groups in \
             security_group_ids, or let this resource create one (create_security_group = true).",
        );
    }
    // Without the model group, security_group_ids' own size limit applies.
    if let (Some(extra), true) = (extra, creates_group) {
        let total = extra.len() + 1;
        if total > MAX_GROUPS {
            diags.attribute_error(
                AttrPath::root("security_group_ids"),
                "Too many security groups",
                format!(
                    "A SageMaker model takes at most {MAX_GROUPS} security groups, and this configuration \
                     gives it {total} ({} here plus the model group). Remove {} of them, or set \
                     create_security_group = false.",
                    extra.len(),
                    total - MAX_GROUPS
                ),
            );
        }
    }
    let egress = known_strings(config, "egress_cidr_blocks").unwrap_or_default();
    let opted_in = config
        .get("allow_egress_to_anywhere")
        .and_then(Value::as_bool)
        == Some(true);
    if covers_every_address(&egress) && !opted_in {
        diags.attribute_error(
            AttrPath::root("egress_cidr_blocks"),
            "Egress to anywhere needs an opt-in",
            "egress_cidr_blocks together cover every IPv4 address (0.0.0.0/0, in one block or several), \
             so the model could send HTTPS wherever a route leads. Narrow them to the VPC (the default) or \
             the ranges of your endpoints, or set allow_egress_to_anywhere = true if this is really meant.",
        );
    }
    let creates_s3 = config.get("create_s3_endpoint").and_then(Value::as_bool) != Some(false);
    for helper in ["s3_bucket_arns", "deny_amazon_linux_repositories"] {
        let set = config
            .get(helper)
            .is_some_and(|v| !v.is_null() && v.as_bool() != Some(false));
        if set && !creates_s3 {
            diags.attribute_error(
                AttrPath::root(helper),
                "No S3 endpoint to put this policy on",
                format!(
                    "{helper} sets the policy of the S3 endpoint this resource creates, but \
                     create_s3_endpoint = false. Remove {helper}, or allow the endpoint."
                ),
            );
        }
    }
}

/// What the account checks need.
pub struct RemoteInputs<'a> {
    pub want: &'a Desired,
    /// The S3 endpoint this resource recorded as its own.
    pub recorded_endpoint: Option<&'a str>,
    /// The model ARN this resource recorded.
    pub recorded_model_arn: Option<&'a str>,
    /// The instance asking ([`Owner::planned`] while a create is planned).
    pub owner: &'a Owner,
    /// True for a create: what an unfinished create of the same identity
    /// left is adopted.
    pub creating: bool,
    /// At plan, the instances this process saw in the state (see
    /// [`InState`]); `None` at apply.
    pub in_state: Option<&'a InState>,
}

impl RemoteInputs<'_> {
    /// True when an object with `tags` (or recorded as `id`) is this
    /// instance's: its own, recorded in its state, or left by an unfinished
    /// create it is about to finish.
    fn owns(&self, tags: &BTreeMap<String, String>, recorded: bool) -> bool {
        recorded
            || match self.owner.claim(tags) {
                Claim::Mine => true,
                Claim::Unfinished => self.creating,
                Claim::Other(_) | Claim::Unmanaged => false,
            }
    }

    /// True at plan when an object with `tags` belongs to the instance this
    /// create replaces (one of this state's): it is deleted first.
    fn replaces(&self, tags: &BTreeMap<String, String>) -> bool {
        match self.owner.claim(tags) {
            Claim::Other(owner) => {
                self.creating
                    && self
                        .in_state
                        .is_some_and(|s| s.contains(super::state::TYPE_NAME, &owner))
            }
            _ => false,
        }
    }
}

/// A create (at apply) must not lean on an S3 endpoint of another instance
/// of the same name: that is the instance it replaces with
/// `create_before_destroy` (or a twin in another state), and its destroy
/// would take this configuration's S3 path with it.
fn check_reuse(
    inputs: &RemoteInputs<'_>,
    endpoints: &[VpcEndpoint],
    reused: &str,
    diags: &mut Diagnostics,
) {
    if !inputs.creating || inputs.in_state.is_some() {
        return;
    }
    let Some(endpoint) = endpoints.iter().find(|e| e.id == reused) else {
        return;
    };
    let Claim::Other(owner) = inputs.owner.claim(&endpoint.tags) else {
        return;
    };
    if id_key(&owner) != id_key(&inputs.owner.id) {
        return;
    }
    diags.attribute_error(
        AttrPath::root("name"),
        "S3 path owned by another configuration of this name",
        format!(
            "The subnets reach S3 through {reused}, which belongs to another sagemaker_vpc_model_config named \
             {:?} (owner {owner}): the instance this one replaces with create_before_destroy, or a twin in \
             another state. Its destroy would delete that endpoint and cut this configuration off from S3. \
             Remove create_before_destroy (if Terraform kept the old one as a deposed object, run terraform \
             destroy -target on this resource, then terraform apply), or give this configuration another name.",
            id_key(&owner)
        ),
    );
}

/// What the account says about where the model goes.
#[derive(Debug)]
pub struct Placement {
    pub vpc: Vpc,
    pub subnets: Vec<Subnet>,
    /// Every route table of the VPC, routes included.
    pub route_tables: Vec<RouteTable>,
    pub s3_prefix_list_id: String,
    /// The S3 gateway endpoint this configuration already owns, if any.
    pub own_endpoint: Option<VpcEndpoint>,
    /// Route tables that need this configuration's own S3 endpoint.
    pub own_route_tables: Vec<String>,
    /// An S3 gateway endpoint of someone else already routed for a subnet.
    pub reused_endpoint: Option<String>,
    /// The model of this name, when this configuration owns it.
    pub own_model: Option<Model>,
    /// The model group this configuration made (found by its owner tag),
    /// or for a create the one an unfinished create left.
    pub own_group: Option<SecurityGroup>,
}

impl Placement {
    /// The CIDRs the model group allows HTTPS to: as configured, else the VPC's.
    pub fn egress_cidrs(&self, want: &Desired) -> Vec<String> {
        want.egress_cidrs
            .clone()
            .unwrap_or_else(|| self.vpc.cidr_blocks.clone())
    }
}

/// [`common::lookup_error`] for this resource's calls.
fn lookup_error(e: FindError, attribute: &str, hint: &str) -> Diagnostics {
    common::lookup_error(e, attribute, hint, "EC2 and SageMaker")
}

/// Runs every account check. `Err` when a fact could not be fetched or a
/// check failed; warnings come back with the placement.
pub async fn check_remote(
    clients: &Clients,
    inputs: &RemoteInputs<'_>,
) -> Result<(Placement, Diagnostics), Diagnostics> {
    check_again(clients, inputs, None).await
}

/// What the checks found that does not move between a plan and its apply:
/// the subnets' VPC (CIDR blocks), the Region's S3 prefix list, and the
/// VPC's route tables (their S3 routes are taken again from the VPC's
/// endpoints, which the apply lists anew).
#[derive(Clone)]
pub struct Facts {
    vpc: Vpc,
    s3_prefix_list_id: String,
    route_tables: Vec<RouteTable>,
}

/// The key of [`crate::resources::composite::checked`] for the [`Facts`]
/// of `inputs`: what they depend on, the subnets.
fn facts_key(inputs: &RemoteInputs<'_>) -> String {
    let want = inputs.want;
    format!(
        "{} {} {:?}",
        super::state::TYPE_NAME,
        want.name,
        want.subnet_ids
    )
}

/// Keeps the facts the plan's checks of `inputs` found for the apply that
/// follows ([`check_again`]).
pub fn remember_facts(inputs: &RemoteInputs<'_>, placement: &Placement) {
    let facts = Facts {
        vpc: placement.vpc.clone(),
        s3_prefix_list_id: placement.s3_prefix_list_id.clone(),
        route_tables: placement.route_tables.clone(),
    };
    crate::resources::composite::checked::remember(facts_key(inputs), facts);
}

/// The facts of the plan's checks of the same `inputs`, if this process
/// planned them moments ago.
pub fn recall_facts(inputs: &RemoteInputs<'_>) -> Option<Facts> {
    crate::resources::composite::checked::recall(&facts_key(inputs))
}

/// The checks at apply: every one, fetching again all that can change and
/// matters for safety (the subnets' free addresses, the VPC's endpoints —
/// and from them the tables' S3 routes —, the model name, what this
/// instance owns or an unfinished create left), but the VPC, the S3 prefix
/// list and the route tables from `known` when the plan's checks found
/// them (see [`recall_facts`]).
pub async fn check_again(
    clients: &Clients,
    inputs: &RemoteInputs<'_>,
    known: Option<Facts>,
) -> Result<(Placement, Diagnostics), Diagnostics> {
    let ec2 = &clients.ec2;
    let want = inputs.want;
    let model_name = want.model.as_ref().map(|m| m.name.clone());
    let known_prefix_list = known.as_ref().map(|k| k.s3_prefix_list_id.clone());
    let (subnets, groups, prefix_list, model) = tokio::join!(
        find::find_subnets(ec2, &want.subnet_ids),
        find::find_security_groups(ec2, &want.extra_group_ids),
        async {
            match known_prefix_list {
                Some(id) => Ok(id),
                None => find::find_s3_prefix_list_id(ec2, &clients.region).await,
            }
        },
        async {
            match &model_name {
                Some(name) => find_model(&clients.sagemaker, name).await,
                None => Ok(None),
            }
        },
    );
    let subnets = subnets.map_err(|e| {
        lookup_error(
            e,
            "subnet_ids",
            "Check subnet_ids: each must exist in the provider's Region.",
        )
    })?;
    let mut diags = Diagnostics::new();
    let groups = match groups {
        Ok(groups) => groups,
        Err(e) => {
            diags.extend(lookup_error(
                e,
                "security_group_ids",
                "Check security_group_ids: each must exist in the subnets' VPC.",
            ));
            Vec::new()
        }
    };
    let s3_prefix_list_id = prefix_list.map_err(|e| lookup_error(e, "subnet_ids", ""))?;
    let model = model.map_err(|e| Diagnostics::from_error("Cannot check the model name", e))?;
    let vpc_id = check_one_vpc(&subnets, &mut diags).ok_or(diags.clone())?;
    check_zones(&subnets, &mut diags);
    check_capacity(&subnets, want, &mut diags);
    common::check_groups_in_vpc(&groups, &vpc_id, "security_group_ids", &mut diags);
    let own_model = check_model_name_free(model, inputs, &mut diags);
    let known = known.filter(|k| k.vpc.id == vpc_id);
    let (known_vpc, known_tables) = match known {
        Some(k) => (Some(k.vpc), Some(k.route_tables)),
        None => (None, None),
    };
    let (vpc, all_tables, endpoints, own_groups) = tokio::join!(
        async {
            match known_vpc {
                Some(vpc) => Ok(vpc),
                None => find::find_vpc(ec2, &vpc_id).await,
            }
        },
        async {
            match &known_tables {
                Some(_) => Ok(Vec::new()),
                None => find::find_vpc_route_tables(ec2, &vpc_id, Some(&s3_prefix_list_id)).await,
            }
        },
        find::find_vpc_endpoints_in_vpc(ec2, &vpc_id, false),
        async {
            if inputs.creating {
                groups::find_unfinished_group(ec2, &vpc_id, inputs.owner).await
            } else {
                let mine =
                    find::find_security_groups_by_tag(ec2, &vpc_id, OWNER_KEY, &inputs.owner.id);
                Ok(mine
                    .await?
                    .into_iter()
                    .find(|g| inputs.owns(&g.tags, false)))
            }
        },
    );
    let vpc = vpc.map_err(|e| lookup_error(e, "subnet_ids", ""))?;
    let endpoints = endpoints.map_err(|e| lookup_error(e, "subnet_ids", ""))?;
    // The VPC's tables, routes included, from one listing (or the plan's,
    // with the S3 routes the endpoints give now).
    let all_tables = match known_tables {
        Some(known) => known
            .iter()
            .map(|t| t.with_s3_routes_of(&s3_prefix_list_id, &endpoints))
            .collect(),
        None => all_tables.map_err(|e| lookup_error(e, "subnet_ids", ""))?,
    };
    let by_subnet = find::route_tables_by_subnet(&vpc_id, &all_tables, &want.subnet_ids)
        .map_err(|e| lookup_error(e, "subnet_ids", ""))?;
    let ids: BTreeSet<&String> = by_subnet.values().collect();
    let tables: Vec<RouteTable> = all_tables
        .iter()
        .filter(|t| ids.contains(&t.id))
        .cloned()
        .collect();
    let own_group = own_groups.map_err(|e| lookup_error(e, "subnet_ids", ""))?;
    let own_endpoint = endpoints
        .iter()
        .filter(|e| !e.is_gone() && e.endpoint_type.eq_ignore_ascii_case("gateway"))
        .find(|e| inputs.owns(&e.tags, inputs.recorded_endpoint == Some(e.id.as_str())))
        .cloned();
    // Neither this configuration's endpoint nor that of the instance it
    // replaces (deleted before this one is made) is someone else's to reuse.
    let mut not_reused: Vec<&str> = own_endpoint.iter().map(|e| e.id.as_str()).collect();
    not_reused.extend(
        endpoints
            .iter()
            .filter(|e| inputs.replaces(&e.tags))
            .map(|e| e.id.as_str()),
    );
    let s3 = plan_s3(
        &by_subnet,
        &tables,
        &s3_prefix_list_id,
        &not_reused,
        want.create_s3_endpoint,
        &mut diags,
    );
    if let Some(reused) = s3.reused_endpoint.as_deref() {
        check_reuse(inputs, &endpoints, reused, &mut diags);
    }
    if diags.has_errors() {
        return Err(diags);
    }
    Ok((
        Placement {
            vpc,
            subnets,
            route_tables: all_tables,
            s3_prefix_list_id,
            own_endpoint,
            own_route_tables: s3.own_route_tables,
            reused_endpoint: s3.reused_endpoint,
            own_model,
            own_group,
        },
        diags,
    ))
}

/// The VPC all subnets are in; an error when they span several.
fn check_one_vpc(subnets: &[Subnet], diags: &mut Diagnostics) -> Option<String> {
    let mut by_vpc: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for subnet in subnets {
        by_vpc.entry(&subnet.vpc_id).or_default().push(&subnet.id);
    }
    if by_vpc.len() > 1 {
        let listing: Vec<String> = by_vpc
            .iter()
            .map(|(vpc, ids)| format!("{} in {vpc}", ids.join(", ")))
            .collect();
        diags.attribute_error(
            AttrPath::root("subnet_ids"),
            "Subnets in more than one VPC",
            format!(
                "A model's subnets must all be in one VPC, but these span {}: {}. Use subnets of one VPC.",
                by_vpc.len(),
                listing.join("; ")
            ),
        );
        return None;
    }
    by_vpc.keys().next().map(|vpc| (*vpc).to_owned())
}

fn check_zones(subnets: &[Subnet], diags: &mut Diagnostics) {
    let zones: BTreeSet<&str> = subnets
        .iter()
        .map(|s| s.availability_zone.as_str())
        .collect();
    if zones.len() < 2 {
        diags.attribute_error(
            AttrPath::root("subnet_ids"),
            "Subnets in one Availability Zone",
            format!(
                "SageMaker needs subnets in at least two Availability Zones, even for one instance, but \
                 {} {} all in {}. Add a subnet in another zone.",
                subnets.iter().map(|s| s.id.as_str()).collect::<Vec<_>>().join(", "),
                if subnets.len() == 1 { "is" } else { "are" },
                zones.into_iter().next().unwrap_or("one zone"),
            ),
        );
    }
}

fn check_capacity(subnets: &[Subnet], want: &Desired, diags: &mut Diagnostics) {
    let each = addresses_per_instance(want.efa);
    let needed = want.instance_count.saturating_mul(each);
    for subnet in subnets
        .iter()
        .filter(|s| s.available_ip_address_count < needed)
    {
        diags.attribute_error(
            AttrPath::root("subnet_ids"),
            "Not enough free addresses",
            format!(
                "Subnet {} has {} free addresses, but {} instance(s) need {needed} ({each} each{}), and \
                 SageMaker may place any instance in any subnet. Free addresses in it, use a larger subnet, \
                 or lower instance_count.",
                subnet.id,
                subnet.available_ip_address_count,
                want.instance_count,
                if want.efa { " with EFA" } else { "" },
            ),
        );
    }
}

/// The existing model of this name when this configuration owns it; an
/// error when someone else's model has the name.
fn check_model_name_free(
    model: Option<Model>,
    inputs: &RemoteInputs<'_>,
    diags: &mut Diagnostics,
) -> Option<Model> {
    let model = model?;
    if inputs.owns(
        &model.tags,
        inputs.recorded_model_arn == Some(model.arn.as_str()),
    ) {
        return Some(model);
    }
    let detail = match inputs.owner.claim(&model.tags) {
        // The instance this create replaces: destroyed first, unless
        // create_before_destroy — then apply stops here before making anything.
        Claim::Other(_) if inputs.replaces(&model.tags) => return None,
        Claim::Other(owner) => format!(
            "A SageMaker model named {:?} already exists ({}) and belongs to another \
             sagemaker_vpc_model_config (owner {owner}): another workspace or resource, or the instance \
             this one replaces with create_before_destroy. Model names are unique per account and Region, \
             and this provider never takes over what another Terraform state owns. Choose another model \
             name. When replacing it: remove create_before_destroy, and if Terraform kept the old one as a \
             deposed object, run terraform destroy -target on this resource, then terraform apply.",
            model.name, model.arn
        ),
        _ => format!(
            "A SageMaker model named {:?} already exists ({}) and was not made by this configuration; \
             creating it would fail. Choose another model name, delete that model, or adopt it with \
             `terraform import` (import id: the model name).",
            model.name, model.arn
        ),
    };
    diags.attribute_error(
        AttrPath::root("model").attr("name"),
        "Model name already taken",
        detail,
    );
    None
}

/// How the subnets will reach S3.
struct S3Plan {
    own_route_tables: Vec<String>,
    reused_endpoint: Option<String>,
}

/// Decides the S3 path of each subnet's route table: a gateway endpoint of
/// someone else already routed there is reused; otherwise this
/// configuration's own endpoint is routed there (when allowed), or a NAT
/// route is accepted; with neither, an error.
fn plan_s3(
    by_subnet: &BTreeMap<String, String>,
    tables: &[RouteTable],
    prefix_list_id: &str,
    not_reused: &[&str],
    create_allowed: bool,
    diags: &mut Diagnostics,
) -> S3Plan {
    let mut own_route_tables = BTreeSet::new();
    let mut reused_endpoint = None;
    for table in tables {
        let foreign: Vec<&str> = table
            .gateway_endpoints_for(prefix_list_id)
            .into_iter()
            .filter(|id| !not_reused.contains(id))
            .collect();
        if let Some(id) = foreign.first() {
            reused_endpoint.get_or_insert_with(|| (*id).to_owned());
            continue;
        }
        if create_allowed {
            own_route_tables.insert(table.id.clone());
            continue;
        }
        if table.has_nat_route {
            continue;
        }
        let subnets: Vec<&str> = by_subnet
            .iter()
            .filter(|(_, t)| **t == table.id)
            .map(|(s, _)| s.as_str())
            .collect();
        diags.attribute_error(
            AttrPath::root("create_s3_endpoint"),
            "No path to S3",
            format!(
                "Subnet(s) {} use route table {}, which has neither an S3 gateway endpoint route nor a NAT \
                 route, so the model cannot download its artefacts. Set create_s3_endpoint = true to let this \
                 resource create one, add an S3 gateway endpoint for that table (sagemaker_private_network \
                 with s3), or route the table through a NAT gateway.",
                subnets.join(", "),
                table.id
            ),
        );
    }
    S3Plan {
        own_route_tables: own_route_tables.into_iter().collect(),
        reused_endpoint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(id: &str, routes: &[(&str, &str)], nat: bool) -> RouteTable {
        RouteTable {
            id: id.into(),
            vpc_id: "vpc-1".into(),
            main: false,
            subnet_ids: vec![],
            has_nat_route: nat,
            has_s3_gateway_route: false,
            routes: routes
                .iter()
                .map(|(d, t)| find::Route {
                    destination: (*d).into(),
                    target: (*t).into(),
                    state: "active".into(),
                })
                .collect(),
            tags: BTreeMap::new(),
        }
    }

    #[test]
    fn s3_path_reuses_foreign_endpoints_and_routes_the_rest_to_its_own() {
        let by_subnet = BTreeMap::from([
            ("subnet-a".to_owned(), "rtb-a".to_owned()),
            ("subnet-b".to_owned(), "rtb-b".to_owned()),
        ]);
        let tables = [
            table("rtb-a", &[("pl-s3", "vpce-theirs")], false),
            table("rtb-b", &[("pl-s3", "vpce-mine")], true),
        ];
        let mut diags = Diagnostics::new();
        let plan = plan_s3(
            &by_subnet,
            &tables,
            "pl-s3",
            &["vpce-mine"],
            true,
            &mut diags,
        );
        assert_eq!(plan.own_route_tables, vec!["rtb-b"]);
        assert_eq!(plan.reused_endpoint.as_deref(), Some("vpce-theirs"));
        assert!(diags.is_empty());

        let plan = plan_s3(
            &by_subnet,
            &tables,
            "pl-s3",
            &["vpce-mine"],
            false,
            &mut diags,
        );
        assert!(
            plan.own_route_tables.is_empty(),
            "NAT is a path when creation is off"
        );
        assert!(diags.is_empty());

        let bare = [table("rtb-a", &[], false), table("rtb-b", &[], false)];
        let plan = plan_s3(&by_subnet, &bare, "pl-s3", &[], false, &mut diags);
        assert!(plan.own_route_tables.is_empty());
        let errors: Vec<String> = diags.iter().map(|d| d.detail.clone()).collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].contains("subnet-a") && errors[0].contains("rtb-a"));
    }
}
