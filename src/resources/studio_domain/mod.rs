//! `sagemaker_studio_domain`: a SageMaker Studio domain with no internet
//! path and everything it needs in the VPC, as one composite
//! ([`crate::resources::composite`]): its schema, its desired state
//! ([`state`]), its checks ([`checks`]) and its parts — its groups and
//! profiles ([`apply`]), the endpoints it makes, which are a private
//! network of its own ([`network`]) changed in the order the domain needs
//! ([`endpoint_order`]), destroy in AWS's order ([`delete`]), refresh and
//! import ([`refresh`]).

pub mod apply;
pub mod checks;
pub mod delete;
pub mod endpoint_order;
pub mod network;
pub mod plan;
pub mod refresh;
pub mod schema;
pub mod state;

use crate::framework::{ApplyResult, Diagnostics, PlanResult, Schema};
use crate::resources::common::{string_map, text, TagRules};
use crate::resources::composite::{Composite, Env, Made, Refreshed};
use crate::value::Value;
use async_trait::async_trait;

/// The resource.
pub struct StudioDomain;

#[async_trait]
impl Composite for StudioDomain {
    const TYPE_NAME: &'static str = state::TYPE_NAME;
    const IMPORT_HINT: &'static str = "Import by domain id (`d-…`).";
    const TAG_RULES: TagRules = TagRules::SAGEMAKER;

    fn schema() -> Schema {
        schema::schema()
    }

    fn validate(config: &Value, diags: &mut Diagnostics) {
        checks::validate(config, diags);
    }

    fn identity(value: &Value) -> String {
        text(value, "name").unwrap_or_default()
    }

    fn made(state: &Value) -> Made {
        let mut ec2_ids: Vec<String> = state::managed_endpoints(state).into_values().collect();
        for name in ["security_group_id", "endpoint_security_group_id"] {
            ec2_ids.extend(text(state, name).filter(|id| !id.is_empty()));
        }
        ec2_ids.extend(string_map(state, "user_security_group_ids").into_values());
        let mut arns: Vec<String> = string_map(state, "user_profile_arns")
            .into_values()
            .collect();
        arns.extend(text(state, "arn").filter(|arn| !arn.is_empty()));
        Made { ec2_ids, arns }
    }

    fn check_import_id(id: &str) -> Result<(), String> {
        let ok = id.len() > 2
            && id.starts_with("d-")
            && id[2..]
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok {
            Ok(())
        } else {
            Err(format!(
                "{id:?} is not a SageMaker domain id (`d-` and lower-case letters and digits)."
            ))
        }
    }

    async fn plan(&self, env: &Env<'_>, prior: &Value, config: &Value, plan: &mut PlanResult) {
        plan::plan(env, prior, config, plan).await;
    }

    async fn apply(&self, env: &Env<'_>, prior: &Value, planned: Value) -> ApplyResult {
        apply::apply(env, prior, planned).await
    }

    async fn refresh(&self, env: &Env<'_>, state: Value) -> Result<Option<Refreshed>, Diagnostics> {
        refresh::refresh(env, state).await
    }

    async fn delete(&self, env: &Env<'_>, prior: &Value) -> Diagnostics {
        delete::delete(env, prior).await
    }

    async fn import(&self, env: &Env<'_>, id: &str) -> Result<Value, Diagnostics> {
        refresh::import(env, &Self::schema(), id).await
    }
}
