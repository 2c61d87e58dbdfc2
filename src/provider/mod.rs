//! The `sagemaker` provider: its configuration block and the resources and
//! data sources it offers.

pub mod config;
pub mod schema;

use crate::aws::config::ProviderConfig;
use crate::aws::{Aws, Configured};
use crate::data_sources::endpoint_services::EndpointServices;
use crate::data_sources::network_check::NetworkCheck;
use crate::framework::typed::from_value;
use crate::framework::{Context, DataSource, Diagnostics, Provider, Resource, Schema};
use crate::resources::composite::CompositeResource;
use crate::resources::model::SageMakerModel;
use crate::resources::private_network::PrivateNetwork;
use crate::resources::studio_domain::StudioDomain;
use crate::resources::vpc_model_config::VpcModelConfig;
use crate::value::Value;
use async_trait::async_trait;
use std::sync::Arc;

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
        config::warn_reserved_default_tags(config, diags);
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
            Arc::new(CompositeResource::new(
                self.configured.clone(),
                PrivateNetwork,
            )),
            Arc::new(CompositeResource::new(
                self.configured.clone(),
                VpcModelConfig,
            )),
            Arc::new(CompositeResource::new(
                self.configured.clone(),
                SageMakerModel,
            )),
            Arc::new(CompositeResource::new(
                self.configured.clone(),
                StudioDomain,
            )),
        ]
    }

    fn functions(&self) -> Vec<Arc<dyn crate::framework::function::Function>> {
        crate::functions::all()
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![
            Arc::new(EndpointServices {
                configured: self.configured.clone(),
            }),
            Arc::new(NetworkCheck {
                configured: self.configured.clone(),
            }),
        ]
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
