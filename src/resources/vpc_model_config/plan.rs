//! Planning `sagemaker_vpc_model_config`: defaults; the prior state kept
//! when no input changed and nothing drifted (no AWS call); else, with
//! every input known, the account checks and what they decide — the VPC,
//! the S3 path, the group rules, `vpc_config` and the role policy.

use super::checks::{check_remote, remember_facts, Placement, RemoteInputs};
use super::state::{
    desired, managed_endpoint_id, model_group_ids, model_spec, string_set, vpc_config_value,
    wanted_rules, Desired, ModelSpec,
};
use crate::framework::plan::semantic_eq;
use crate::framework::{AttrPath, Diagnostics};
use crate::resources::common::{known_strings, text};
use crate::resources::composite::Env;
use crate::resources::model::check_image_region;
use crate::value::Value;
use std::collections::BTreeMap;

/// The inputs: when they all equal the prior state's (and nothing drifted),
/// the plan keeps the prior state and makes no AWS call.
const INPUTS: [&str; 15] = [
    "name",
    "subnet_ids",
    "security_group_ids",
    "create_security_group",
    "egress_cidr_blocks",
    "create_s3_endpoint",
    "s3_bucket_arns",
    "deny_amazon_linux_repositories",
    "policy_principals",
    "principal_org_id",
    "instance_count",
    "efa",
    "tags",
    "tags_all",
    "model",
];

/// Fills the planned value: defaults, tags, and — when something changes
/// and every input is known — the account checks and what they decide.
pub async fn plan(
    env: &Env<'_>,
    prior: &Value,
    config: &Value,
    planned: &mut Value,
) -> Result<Diagnostics, Diagnostics> {
    let (clients, tagging) = (&env.clients, &env.tagging);
    fill_input_defaults(config, planned);
    let mut diags = Diagnostics::new();
    if !prior.is_null()
        && !changed(prior, planned)
        && !s3_policy_drifted(env, prior, planned).await?
    {
        for (name, value) in computed_of(prior) {
            planned.set_attribute(&name, value);
        }
        return Ok(diags);
    }
    let image = planned
        .get("model")
        .and_then(|m| m.get("primary_container"))
        .and_then(|c| c.get("image"))
        .and_then(Value::as_str);
    if let Some(image) = image {
        let path = AttrPath::root("model")
            .attr("primary_container")
            .attr("image");
        check_image_region(path, image, env.region(), &mut diags);
        if diags.has_errors() {
            return Err(diags);
        }
    }
    let known = INPUTS
        .iter()
        .filter(|name| **name != "egress_cidr_blocks")
        .all(|name| planned.get(name).is_none_or(Value::is_wholly_known))
        && config
            .get("egress_cidr_blocks")
            .is_none_or(Value::is_wholly_known);
    if !known {
        return Ok(diags);
    }
    let mut want = desired(planned, tagging);
    let managed = managed_endpoint_id(prior);
    let model_arn = text(prior, "model_arn");
    let inputs = RemoteInputs {
        want: &want,
        recorded_endpoint: managed.as_deref(),
        recorded_model_arn: model_arn.as_deref(),
        owner: &env.owner,
        creating: prior.is_null(),
        in_state: Some(&env.ctx.in_state),
    };
    let (placement, found) = check_remote(clients, &inputs).await?;
    remember_facts(&inputs, &placement);
    diags.extend(found);
    if prior.is_null() {
        // What a create would adopt: only an unfinished create's objects.
        let mut left: Vec<&str> = placement.own_group.iter().map(|g| g.id.as_str()).collect();
        left.extend(placement.own_endpoint.iter().map(|e| e.id.as_str()));
        left.extend(placement.own_model.iter().map(|m| m.name.as_str()));
        if !left.is_empty() {
            diags.warning(
                "Apply will adopt what an unfinished create left",
                format!(
                    "An earlier apply of this configuration did not finish and left {}. No Terraform state \
                     records them: apply adopts them instead of making them again.",
                    left.join(", ")
                ),
            );
        }
    }
    fill_from_placement(planned, &want, &placement);
    // A create never promises the ids of owned objects it finds: when it
    // replaces a tainted or replaced instance (Terraform plans those with
    // no prior state), destroy deletes them before create runs, and a
    // known id would then change at apply. Apply still adopts what is
    // left (a crashed apply's objects).
    let adoptable = !prior.is_null();
    let group_id = if want.create_security_group {
        text(prior, "security_group_id")
            .or_else(|| {
                let own = placement.own_group.as_ref().filter(|_| adoptable);
                own.map(|g| g.id.clone())
            })
            .map_or(Value::Unknown, Value::String)
    } else {
        Value::Null
    };
    planned.set_attribute("security_group_id", group_id);
    let rules = if want.create_security_group {
        string_set(&wanted_rules(
            &placement.egress_cidrs(&want),
            &placement.s3_prefix_list_id,
        ))
    } else {
        Value::Null
    };
    planned.set_attribute("security_group_rules", rules);
    // Whether a route table still needs this configuration's own S3
    // endpoint is decided again at apply: another resource of the same
    // apply (a private network with s3) may route it first.
    let endpoint = match (
        &placement.own_endpoint,
        placement.own_route_tables.is_empty(),
    ) {
        (_, true) => placement
            .reused_endpoint
            .clone()
            .map_or(Value::Null, Value::String),
        (Some(own), false) if adoptable => Value::String(own.id.clone()),
        (_, false) => Value::Unknown,
    };
    if endpoint.is_unknown() {
        planned.set_attribute("s3_endpoint_managed", Value::Unknown);
        planned.set_attribute("s3_route_table_ids", Value::Unknown);
    }
    let policy = plan_s3_policy(env, prior, &mut want, &placement, &endpoint).await?;
    planned.set_attribute("s3_endpoint_policy", policy);
    planned.set_attribute("s3_endpoint_id", endpoint);
    derive_outputs(planned, &placement.vpc.owner_id, &clients.region);
    if let (Some(old), None) = (model_spec(prior), &want.model) {
        if text(prior, "model_arn").is_some() {
            diags.attribute_warning(
                AttrPath::root("model"),
                "The model is released, not deleted",
                format!(
                    "The model block was removed, so this configuration stops managing the model {:?} and \
                     leaves it in place. Adopt it with a sagemaker_model and an import block (id: {:?}), or \
                     delete it.",
                    old.name, old.name
                ),
            );
        }
    }
    let replaced = model_replacement(prior, planned);
    let model_arn = match (&want.model, &replaced, text(prior, "model_arn")) {
        (None, _, _) => Value::Null,
        (Some(_), None, Some(arn)) => Value::String(arn),
        (Some(_), _, _) => Value::Unknown,
    };
    planned.set_attribute("model_arn", model_arn);
    if let (Some(reason), false) = (replaced, prior.is_null()) {
        diags.attribute_warning(
            AttrPath::root("model"),
            "The SageMaker model will be replaced",
            format!(
                "{reason}. SageMaker models cannot change, so apply deletes the model and creates it \
                 again under the same name; endpoints already deployed from it keep running."
            ),
        );
    }
    Ok(diags)
}

/// Defaults of the inputs that have one, where `config` leaves them null.
fn fill_input_defaults(config: &Value, planned: &mut Value) {
    let unset = |name: &str| config.get(name).is_none_or(Value::is_null);
    for (name, default) in [
        ("create_security_group", Value::Bool(true)),
        ("create_s3_endpoint", Value::Bool(true)),
        ("efa", Value::Bool(false)),
        ("instance_count", Value::Number(1.into())),
    ] {
        if unset(name) {
            planned.set_attribute(name, default);
        }
    }
    if let Some(Value::Object(model)) = planned.get("model").cloned() {
        let mut model = model;
        let configured = config
            .get("model")
            .and_then(|m| m.get("enable_network_isolation"))
            .is_some_and(|v| !v.is_null());
        if !configured {
            model.insert("enable_network_isolation".into(), Value::Bool(true));
        }
        planned.set_attribute("model", Value::Object(model));
    }
    if config.get("name").is_none_or(Value::is_null) {
        let model_name = planned
            .get("model")
            .and_then(|m| m.get("name"))
            .cloned()
            .unwrap_or(Value::Null);
        planned.set_attribute("name", model_name);
    }
}

/// True when an input differs from `prior`, or something drifted that the
/// next apply must repair (a model, group, rule or endpoint gone or changed).
fn changed(prior: &Value, planned: &Value) -> bool {
    let differs = INPUTS.iter().any(|name| {
        !semantic_eq(
            prior.get(name).unwrap_or(&Value::Null),
            planned.get(name).unwrap_or(&Value::Null),
        )
    });
    let missing = |name: &str| prior.get(name).is_none_or(Value::is_null);
    let wants = |name: &str| planned.get(name).and_then(Value::as_bool) == Some(true);
    let model_gone = planned.get("model").is_some_and(|m| !m.is_null()) && missing("model_arn");
    let group_gone = wants("create_security_group") && missing("security_group_id");
    let endpoint_gone = wants("create_s3_endpoint") && missing("s3_endpoint_id");
    let rules_drifted = wants("create_security_group") && {
        let cidrs = known_strings(prior, "egress_cidr_blocks").unwrap_or_default();
        let prefix_list = text(prior, "s3_prefix_list_id").unwrap_or_default();
        !semantic_eq(
            prior.get("security_group_rules").unwrap_or(&Value::Null),
            &string_set(&wanted_rules(&cidrs, &prefix_list)),
        )
    };
    differs || model_gone || group_gone || endpoint_gone || rules_drifted
}

/// The computed attributes of a state value (kept as they are when nothing changes).
fn computed_of(prior: &Value) -> Vec<(String, Value)> {
    [
        "id",
        "vpc_id",
        "security_group_id",
        "security_group_rules",
        "vpc_config",
        "s3_endpoint_id",
        "s3_endpoint_managed",
        "s3_endpoint_policy",
        "s3_route_table_ids",
        "s3_prefix_list_id",
        "model_arn",
        "execution_role_policy_json",
        "egress_cidr_blocks",
    ]
    .iter()
    .map(|name| {
        (
            (*name).to_owned(),
            prior.get(name).cloned().unwrap_or(Value::Null),
        )
    })
    .collect()
}

/// Why the model must be replaced, when it must: its definition or its
/// VPC placement changed (tags alone change in place).
fn model_replacement(prior: &Value, planned: &Value) -> Option<String> {
    let (Some(before), Some(after)) = (model_spec(prior), model_spec(planned)) else {
        return None;
    };
    let strip = |m: ModelSpec| ModelSpec {
        tags: BTreeMap::new(),
        ..m
    };
    if strip(before.clone()) != strip(after.clone()) {
        return Some(format!("The model block of {:?} changed", after.name));
    }
    for name in ["subnet_ids", "security_group_ids", "create_security_group"] {
        if !semantic_eq(
            prior.get(name).unwrap_or(&Value::Null),
            planned.get(name).unwrap_or(&Value::Null),
        ) {
            return Some(format!("{name} changed, and with it the model's VpcConfig"));
        }
    }
    if planned
        .get("security_group_id")
        .is_some_and(Value::is_unknown)
        && !prior.is_null()
    {
        return Some("The model security group is created again".to_owned());
    }
    None
}

/// Sets what the checks decided: the VPC, the egress default, the S3 path.
pub fn fill_from_placement(value: &mut Value, want: &Desired, placement: &Placement) {
    value.set_attribute("vpc_id", Value::String(placement.vpc.id.clone()));
    value.set_attribute(
        "egress_cidr_blocks",
        string_set(&placement.egress_cidrs(want)),
    );
    value.set_attribute(
        "s3_prefix_list_id",
        Value::String(placement.s3_prefix_list_id.clone()),
    );
    value.set_attribute(
        "s3_endpoint_managed",
        Value::Bool(!placement.own_route_tables.is_empty()),
    );
    value.set_attribute(
        "s3_route_table_ids",
        string_set(&placement.own_route_tables),
    );
}

/// `vpc_config` and `execution_role_policy_json` from the subnets and
/// groups in `value`; unknown while the model group id is.
pub fn derive_outputs(value: &mut Value, account: &str, region: &str) {
    let subnets = known_strings(value, "subnet_ids").unwrap_or_default();
    let extra = known_strings(value, "security_group_ids").unwrap_or_default();
    let groups = match value.get("security_group_id") {
        Some(Value::Unknown) => None,
        Some(Value::String(id)) => Some(model_group_ids(Some(id), &extra)),
        _ => Some(extra),
    };
    let policy = groups.as_ref().map_or(Value::Unknown, |groups| {
        Value::String(crate::policy::execution_role_network_policy(
            region, account, &subnets, groups,
        ))
    });
    value.set_attribute("vpc_config", vpc_config_value(&subnets, groups));
    value.set_attribute("execution_role_policy_json", policy);
}

/// The planned `s3_endpoint_policy`: null without an S3 endpoint of this
/// configuration, unknown while apply decides whether it makes one, else
/// the policy `want` asks for — the prior text when it means the same, so
/// reformatting shows no diff. Reads the account id (a failure stops the
/// plan) whenever the configuration routes its own endpoint.
async fn plan_s3_policy(
    env: &Env<'_>,
    prior: &Value,
    want: &mut Desired,
    placement: &Placement,
    endpoint: &Value,
) -> Result<Value, Diagnostics> {
    if placement.own_route_tables.is_empty() {
        return Ok(Value::Null);
    }
    want.resolve_s3_policy(&env.clients).await?;
    if endpoint.is_unknown() {
        return Ok(Value::Unknown);
    }
    let before = text(prior, "s3_endpoint_policy");
    let wanted = want.s3_policy.as_deref();
    Ok(Value::String(
        match before.filter(|b| crate::policy::same_effect(Some(b), wanted)) {
            Some(kept) => kept,
            None => wanted
                .unwrap_or(crate::policy::FULL_ACCESS_POLICY)
                .to_owned(),
        },
    ))
}

/// True when the S3 endpoint this configuration owns has a policy (as the
/// last refresh read it) that no longer means what the configuration asks
/// for — changed outside Terraform, or AWS's full access on an endpoint
/// made before endpoints got the default of `policy_principals` — so the
/// plan must update it. Called only when no input changed.
async fn s3_policy_drifted(
    env: &Env<'_>,
    prior: &Value,
    planned: &Value,
) -> Result<bool, Diagnostics> {
    if managed_endpoint_id(prior).is_none() {
        return Ok(false);
    }
    let mut want = desired(planned, &env.tagging);
    want.resolve_s3_policy(&env.clients).await?;
    let live = text(prior, "s3_endpoint_policy");
    Ok(!crate::policy::same_effect(
        live.as_deref(),
        want.s3_policy.as_deref(),
    ))
}
