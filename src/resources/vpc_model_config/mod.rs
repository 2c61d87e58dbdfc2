//! `sagemaker_vpc_model_config`: everything a SageMaker model needs to run
//! in a VPC with no internet path — its security group, an S3 path for its
//! artefacts (reusing an S3 gateway endpoint already routed, else creating
//! one), the execution-role policy, the `vpc_config` — as one composite
//! ([`crate::resources::composite`]): planned in [`plan`], applied in
//! [`apply`] (group, endpoint, model, in order), refreshed in [`refresh`],
//! imported in [`import`].

pub mod apply;
pub mod checks;
pub mod import;
pub mod plan;
pub mod refresh;
pub mod schema;
pub mod state;

use crate::framework::{ApplyResult, Diagnostics, PlanResult, Schema};
use crate::resources::common::{text, TagRules};
use crate::resources::composite::{Composite, Env, Made, Refreshed};
use crate::value::Value;
use async_trait::async_trait;

/// The resource.
pub struct VpcModelConfig;

#[async_trait]
impl Composite for VpcModelConfig {
    const TYPE_NAME: &'static str = state::TYPE_NAME;
    const IMPORT_HINT: &'static str = "Import by model name.";
    const TAG_RULES: TagRules = TagRules::EC2;

    /// With a `model` block the SageMaker model gets the tags too.
    fn tag_rules(config: &Value) -> TagRules {
        if config.get("model").is_some_and(|m| !m.is_null()) {
            TagRules::SAGEMAKER
        } else {
            TagRules::EC2
        }
    }

    fn schema() -> Schema {
        schema::schema()
    }

    fn validate(config: &Value, diags: &mut Diagnostics) {
        checks::validate(config, diags);
        crate::resources::policy_principals::validate(config, diags);
    }

    fn identity(value: &Value) -> String {
        state::name_of(value).unwrap_or_default()
    }

    fn made(state: &Value) -> Made {
        let mut ec2_ids: Vec<String> = text(state, "security_group_id").into_iter().collect();
        ec2_ids.extend(state::managed_endpoint_id(state));
        Made {
            ec2_ids,
            arns: text(state, "model_arn").into_iter().collect(),
        }
    }

    fn check_import_id(id: &str) -> Result<(), String> {
        crate::aws::sagemaker_inputs::check_model_name(id)
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
