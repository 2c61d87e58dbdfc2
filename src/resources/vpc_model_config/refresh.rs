//! Refreshing `sagemaker_vpc_model_config`: one group lookup, one endpoint
//! listing and one model lookup, whatever the configuration; the group's
//! rules and tags, the endpoint (and its policy) and the model as AWS
//! reports them.

use super::state::{managed_endpoint_id, model_spec, string_set};
use crate::aws::ec2::find::{self, SecurityGroup, VpcEndpoint};
use crate::aws::ec2::groups::{find_security_group_if_exists, rule_lines};
use crate::aws::sagemaker::{self, Model};
use crate::aws::Clients;
use crate::framework::Diagnostics;
use crate::resources::common::text;
use crate::resources::composite::{Env, Refreshed};
use crate::value::Value;

/// The configuration as AWS reports it; `None` when all of it is gone.
pub async fn refresh(env: &Env<'_>, prior: Value) -> Result<Option<Refreshed>, Diagnostics> {
    let observed = observe(&env.clients, &prior).await?;
    if observed.is_empty() {
        return Ok(None);
    }
    let live_tags = observed.group.as_ref().map(|g| g.tags.clone());
    Ok(Some(Refreshed {
        state: with_observed(prior, &observed),
        live_tags,
        diags: Diagnostics::new(),
    }))
}

/// What AWS reports of the objects a state value records.
pub struct Observed {
    group: Option<SecurityGroup>,
    /// The endpoint `s3_endpoint_id` names, when it still exists.
    endpoint: Option<VpcEndpoint>,
    model: Option<Model>,
    wants_model: bool,
    wants_endpoint: bool,
}

impl Observed {
    fn is_empty(&self) -> bool {
        self.group.is_none()
            && self.model.is_none()
            && (self.endpoint.is_none() || !self.wants_endpoint)
    }
}

/// One group lookup, one endpoint listing and one model lookup, whatever
/// the configuration.
pub async fn observe(clients: &Clients, value: &Value) -> Result<Observed, Diagnostics> {
    observe_fresh(clients, value, Fresh::default()).await
}

/// What an apply read or made moments before its read-back, which the
/// read-back then takes instead of fetching it again.
#[derive(Default)]
pub struct Fresh {
    /// The VPC's endpoints as a wait last listed them.
    pub endpoints: Option<Vec<VpcEndpoint>>,
    /// The model as the apply placed it (made, or found as wanted).
    pub model: Option<Model>,
}

/// [`observe`], taking from `fresh` what an apply just read or made.
pub async fn observe_fresh(
    clients: &Clients,
    value: &Value,
    fresh: Fresh,
) -> Result<Observed, Diagnostics> {
    let ec2 = &clients.ec2;
    let vpc_id = text(value, "vpc_id").unwrap_or_default();
    let group_id = text(value, "security_group_id");
    let endpoint_id = text(value, "s3_endpoint_id");
    let model_name = model_spec(value)
        .filter(|_| value.get("model_arn").is_some_and(|a| !a.is_null()))
        .map(|m| m.name);
    let group = async {
        match &group_id {
            Some(id) => find_security_group_if_exists(ec2, id)
                .await
                .map_err(|e| e.to_string()),
            None => Ok(None),
        }
    };
    let endpoints = async {
        if endpoint_id.is_none() || vpc_id.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(listed) = fresh.endpoints {
            return Ok(listed);
        }
        find::find_vpc_endpoints_in_vpc(ec2, &vpc_id, false)
            .await
            .map_err(|e| e.to_string())
    };
    let model = async {
        match (&model_name, fresh.model) {
            (Some(_), Some(placed)) => Ok(Some(placed)),
            (Some(name), None) => sagemaker::find_model(&clients.sagemaker, name).await,
            (None, _) => Ok(None),
        }
    };
    let (group, endpoints, model) = tokio::join!(group, endpoints, model);
    let fail = |e: String| Diagnostics::from_error("Cannot read the VPC model configuration", e);
    let endpoints = endpoints.map_err(fail)?;
    Ok(Observed {
        group: group.map_err(fail)?,
        endpoint: endpoints
            .into_iter()
            .find(|e| Some(&e.id) == endpoint_id.as_ref()),
        model: model.map_err(fail)?,
        wants_model: model_name.is_some(),
        wants_endpoint: managed_endpoint_id(value).is_some(),
    })
}

/// `base` with what AWS reports: the group and its rules, the endpoint, the model.
pub fn with_observed(mut base: Value, observed: &Observed) -> Value {
    match &observed.group {
        Some(group) => {
            base.set_attribute("security_group_id", Value::String(group.id.clone()));
            base.set_attribute("security_group_rules", string_set(&rule_lines(group)));
        }
        None => {
            base.set_attribute("security_group_id", Value::Null);
            base.set_attribute("security_group_rules", Value::Null);
        }
    }
    if observed.endpoint.is_none() {
        base.set_attribute("s3_endpoint_id", Value::Null);
    }
    let policy = s3_endpoint_policy(&base, observed);
    base.set_attribute("s3_endpoint_policy", policy);
    if observed.wants_model {
        let arn = observed
            .model
            .as_ref()
            .map_or(Value::Null, |m| Value::String(m.arn.clone()));
        base.set_attribute("model_arn", arn);
    }
    base
}

/// The policy of the S3 endpoint this configuration owns, as AWS reports it
/// (AWS's full access written out when it has none) — `base`'s text when it
/// means the same, so a reformatted policy is no drift; null when it owns
/// no endpoint.
fn s3_endpoint_policy(base: &Value, observed: &Observed) -> Value {
    let Some(endpoint) = observed
        .endpoint
        .as_ref()
        .filter(|_| observed.wants_endpoint)
    else {
        return Value::Null;
    };
    let live = endpoint
        .policy_document
        .as_deref()
        .unwrap_or(crate::policy::FULL_ACCESS_POLICY);
    let recorded = base.get("s3_endpoint_policy").and_then(Value::as_str);
    let same = recorded.is_some_and(|text| crate::policy::same_effect(Some(text), Some(live)));
    Value::String(recorded.filter(|_| same).unwrap_or(live).to_owned())
}
