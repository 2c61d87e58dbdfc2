//! `sagemaker_private_network`: every VPC endpoint, route, security group
//! and policy SageMaker needs in a VPC without internet access, as one
//! composite ([`crate::resources::composite`]): its schema, its desired
//! state, its checks, and its parts — planned in [`plan`], applied in
//! [`apply`] (the group, then the endpoints concurrently, paced), refreshed
//! in [`refresh`], imported in [`import`].

pub mod apply;
pub mod checks;
pub mod import;
pub mod plan;
pub mod refresh;
pub mod schema;
pub mod state;

use crate::aws::ownership::id_key;
use crate::framework::{ApplyResult, Diagnostics, PlanResult, Schema};
use crate::resources::common::{text, TagRules};
use crate::resources::composite::{Composite, Env, Made, Refreshed};
use crate::value::Value;
use async_trait::async_trait;

/// The resource.
pub struct PrivateNetwork;

#[async_trait]
impl Composite for PrivateNetwork {
    const TYPE_NAME: &'static str = state::TYPE_NAME;
    const IMPORT_HINT: &'static str = "Import by VPC id, or by the network id (`vpc-…/…`).";
    const TAG_RULES: TagRules = TagRules::EC2;

    fn schema() -> Schema {
        schema::schema()
    }

    fn validate(config: &Value, diags: &mut Diagnostics) {
        checks::validate(config, diags);
        crate::resources::policy_principals::validate(config, diags);
    }

    fn identity(value: &Value) -> String {
        text(value, "vpc_id").unwrap_or_default()
    }

    fn made(state: &Value) -> Made {
        let mut ec2_ids = state::recorded_ids(state);
        ec2_ids.extend(text(state, "security_group_id").filter(|id| !id.is_empty()));
        Made {
            ec2_ids,
            arns: Vec::new(),
        }
    }

    fn check_import_id(id: &str) -> Result<(), String> {
        crate::aws::ids::check_vpc_id(id_key(id))
    }

    async fn plan(&self, env: &Env<'_>, prior: &Value, config: &Value, plan: &mut PlanResult) {
        match plan::plan(env, prior, config, &mut plan.planned).await {
            Ok(diags) | Err(diags) => plan.diags.extend(diags),
        }
    }

    async fn apply(&self, env: &Env<'_>, prior: &Value, planned: Value) -> ApplyResult {
        apply::apply(env, prior, planned).await
    }

    async fn refresh(&self, env: &Env<'_>, state: Value) -> Result<Option<Refreshed>, Diagnostics> {
        refresh::refresh(env, state).await
    }

    async fn delete(&self, env: &Env<'_>, prior: &Value) -> Diagnostics {
        apply::delete(env, prior).await
    }

    async fn import(&self, env: &Env<'_>, id: &str) -> Result<Value, Diagnostics> {
        import::import_state(&env.clients, &Self::schema(), id, &env.tagging).await
    }
}
