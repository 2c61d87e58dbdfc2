//! `sagemaker_endpoint_services`: which SageMaker-related VPC endpoint
//! services the configured Region offers, in which Availability Zones, with
//! their full names, types, private DNS names and policy support.

use crate::aws::endpoint_services::find_offered;
use crate::aws::Configured;
use crate::catalog::{self, NAMES};
use crate::framework::typed::{from_value, to_value};
use crate::framework::validators::{Each, OneOf};
use crate::framework::{Attribute, Block, Context, DataSource, Diagnostics, Schema};
use crate::value::{Type, Value};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The data source.
pub struct EndpointServices {
    pub configured: Configured,
}

#[derive(Deserialize)]
struct Config {
    names: Option<Vec<String>>,
}

#[derive(Serialize)]
struct State {
    names: Option<Vec<String>>,
    region: String,
    services: BTreeMap<String, Service>,
    unavailable: Vec<String>,
}

#[derive(Serialize)]
struct Service {
    service_name: String,
    service_type: String,
    availability_zones: Vec<String>,
    private_dns_name: Option<String>,
    policy_supported: bool,
}

fn service_type() -> Type {
    Type::object([
        ("service_name", Type::String),
        ("service_type", Type::String),
        ("availability_zones", Type::list(Type::String)),
        ("private_dns_name", Type::String),
        ("policy_supported", Type::Bool),
    ])
}

#[async_trait]
impl DataSource for EndpointServices {
    fn type_name(&self) -> &'static str {
        "sagemaker_endpoint_services"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new(
                "The SageMaker-related VPC endpoint services the provider's Region offers: full service name, \
                 endpoint type, Availability Zones and policy support, by the short names the resources use.",
            )
            .attribute(
                Attribute::optional("names", Type::set(Type::String))
                    .description("Short names or presets to look up (default: every known service).")
                    .validator(Each(OneOf(NAMES))),
            )
            .attribute(Attribute::computed("region", Type::String).description("The Region that was queried."))
            .attribute(
                Attribute::computed("services", Type::map(service_type())).description(
                    "Offered services by short name: `service_name`, `service_type` (`Interface` or `Gateway`), \
                     `availability_zones`, `private_dns_name` and `policy_supported`.",
                ),
            )
            .attribute(
                Attribute::computed("unavailable", Type::list(Type::String))
                    .description("Short names the Region does not offer."),
            ),
        )
    }

    async fn read(
        &self,
        _ctx: &Context,
        config: Value,
    ) -> Result<(Value, Diagnostics), Diagnostics> {
        let config: Config = from_value(&config)?;
        let aws = crate::aws::configured(&self.configured)?;
        let clients = aws.clients().await?;
        let wanted = match &config.names {
            Some(names) => {
                catalog::expand(names.iter().map(String::as_str)).map_err(|unknown| {
                    Diagnostics::from_error("Unknown service", unknown.join(", "))
                })?
            }
            None => catalog::SERVICES.iter().collect(),
        };
        let offers = find_offered(&clients.ec2, &clients.region, &wanted).await?;
        let mut state = State {
            names: config.names,
            region: clients.region.clone(),
            services: BTreeMap::new(),
            unavailable: Vec::new(),
        };
        for (spec, offer) in wanted.iter().zip(offers) {
            match offer {
                Some(o) => {
                    let service = Service {
                        service_name: o.service_name,
                        service_type: o.service_type,
                        availability_zones: o.availability_zones,
                        private_dns_name: o.private_dns_name,
                        policy_supported: o.policy_supported && spec.accepts_policy,
                    };
                    state.services.insert(spec.short_name.to_owned(), service);
                }
                None => state.unavailable.push(spec.short_name.to_owned()),
            }
        }
        Ok((
            to_value(&state, &self.schema().value_type())?,
            Diagnostics::new(),
        ))
    }
}
