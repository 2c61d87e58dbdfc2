//! The `sagemaker` provider: its configuration block and the resources and
//! data sources it offers.

pub mod config;
pub mod schema;

use crate::aws::Aws;
use crate::data_sources::endpoint_services::EndpointServices;
use crate::framework::typed::from_value;
use crate::framework::{Context, DataSource, Diagnostics, Provider, Resource, Schema};
use crate::resources::private_network::PrivateNetwork;
use crate::resources::vpc_model_config::VpcModelConfig;
use crate::value::Value;
use async_trait::async_trait;
use config::ProviderConfig;
use std::sync::{Arc, OnceLock};

/// Where resources find the AWS access set up by ConfigureProvider.
pub type Configured = Arc<OnceLock<Aws>>;

/// The AWS access, or an error saying the provider was not configured.
pub fn aws(configured: &Configured) -> Result<&Aws, Diagnostics> {
    configured.get().ok_or_else(|| {
        Diagnostics::from_error(
            "Provider not configured",
            "Terraform did not configure the provider before using it. This is a bug: report it with TF_LOG=trace output.",
        )
    })
}

/// The AWS clients and the provider's `default_tags`, for a resource's
/// create, read, update, delete or import.
pub async fn clients(
    configured: &Configured,
) -> Result<
    (
        crate::aws::Clients,
        std::collections::BTreeMap<String, String>,
    ),
    Diagnostics,
> {
    let aws = aws(configured)?;
    Ok((aws.clients().await?.clone(), aws.config().default_tags()))
}

/// The provider.
#[derive(Default)]
pub struct SageMakerProvider {
    configured: Configured,
}

#[async_trait]
impl Provider for SageMakerProvider {
    fn type_name(&self) -> &'static str {
        "sagemaker"
    }

    fn schema(&self) -> Schema {
        schema::provider_schema()
    }

    fn validate_config(&self, config: &Value, diags: &mut Diagnostics) {
        config::check_credentials(config, diags);
    }

    async fn configure(&self, _ctx: &Context, config: Value) -> Diagnostics {
        let (known, unknown) = split_unknown(config);
        let parsed: ProviderConfig = match from_value(&known) {
            Ok(parsed) => parsed,
            Err(diags) => return diags,
        };
        let _ = self.configured.set(Aws::new(parsed, unknown));
        Diagnostics::new()
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![
            Arc::new(PrivateNetwork {
                configured: self.configured.clone(),
            }),
            Arc::new(VpcModelConfig {
                configured: self.configured.clone(),
            }),
        ]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![Arc::new(EndpointServices {
            configured: self.configured.clone(),
        })]
    }
}

/// Replaces unknown top-level attributes (or attributes holding unknowns) by
/// null and returns their names.
fn split_unknown(config: Value) -> (Value, Vec<String>) {
    let Value::Object(mut attributes) = config else {
        return (config, Vec::new());
    };
    let unknown: Vec<String> = attributes
        .iter()
        .filter(|(_, v)| !v.is_wholly_known())
        .map(|(k, _)| k.clone())
        .collect();
    for name in &unknown {
        attributes.insert(name.clone(), Value::Null);
    }
    (Value::Object(attributes), unknown)
}
