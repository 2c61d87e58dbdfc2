//! The tfplugin6 `Provider` gRPC service: one small adapter per RPC that
//! decodes the request, calls [`ProviderServer`], and encodes the answer.

use super::convert::{
    decode_dynamic, diagnostics_to_proto, encode_dynamic, function_to_proto, path_to_proto,
    schema_to_proto,
};
use super::proto::tfplugin6 as pb;
use crate::framework::server::ProviderServer;
use crate::framework::Diagnostics;
use crate::log;
use std::sync::Arc;
use tonic::{Request, Response, Status};

/// The gRPC face of a [`ProviderServer`].
pub struct ProviderService {
    server: Arc<ProviderServer>,
}

impl ProviderService {
    /// Serves `server`.
    pub fn new(server: Arc<ProviderServer>) -> Self {
        ProviderService { server }
    }
}

type Reply<T> = Result<Response<T>, Status>;

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        move_resource_state: false,
    }
}

/// The signatures of every provider function.
fn functions_to_proto(server: &ProviderServer) -> std::collections::HashMap<String, pb::Function> {
    server
        .functions()
        .map(|(name, f)| (name.to_owned(), function_to_proto(f)))
        .collect()
}

fn unimplemented<T>(what: &str) -> Reply<T> {
    Err(Status::unimplemented(format!(
        "{what} is not offered by this provider"
    )))
}

#[tonic::async_trait]
impl pb::provider_server::Provider for ProviderService {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> Reply<pb::get_metadata::Response> {
        let server = &self.server;
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            resources: server
                .resource_schemas()
                .map(|(name, _)| pb::get_metadata::ResourceMetadata {
                    type_name: name.to_owned(),
                })
                .collect(),
            data_sources: server
                .data_source_schemas()
                .map(|(name, _)| pb::get_metadata::DataSourceMetadata {
                    type_name: name.to_owned(),
                })
                .collect(),
            functions: server
                .functions()
                .map(|(name, _)| pb::get_metadata::FunctionMetadata {
                    name: name.to_owned(),
                })
                .collect(),
            ..Default::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Reply<pb::get_provider_schema::Response> {
        let server = &self.server;
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(schema_to_proto(server.provider_schema())),
            resource_schemas: server
                .resource_schemas()
                .map(|(n, s)| (n.to_owned(), schema_to_proto(s)))
                .collect(),
            data_source_schemas: server
                .data_source_schemas()
                .map(|(n, s)| (n.to_owned(), schema_to_proto(s)))
                .collect(),
            functions: functions_to_proto(server),
            server_capabilities: Some(capabilities()),
            ..Default::default()
        }))
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> Reply<pb::validate_provider_config::Response> {
        let ty = self.server.provider_schema().value_type();
        let diags = match decode_dynamic(request.get_ref().config.as_ref(), &ty) {
            Ok(config) => self.server.validate_provider_config(&config),
            Err(diags) => diags,
        };
        Ok(Response::new(pb::validate_provider_config::Response {
            diagnostics: diagnostics_to_proto(diags),
        }))
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Reply<pb::validate_resource_config::Response> {
        let request = request.into_inner();
        let diags = (|| {
            let ty = self
                .server
                .resource_schema(&request.type_name)?
                .value_type();
            let config = decode_dynamic(request.config.as_ref(), &ty)?;
            Ok::<_, Diagnostics>(
                self.server
                    .validate_resource_config(&request.type_name, &config),
            )
        })()
        .unwrap_or_else(|diags| diags);
        Ok(Response::new(pb::validate_resource_config::Response {
            diagnostics: diagnostics_to_proto(diags),
        }))
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Reply<pb::validate_data_resource_config::Response> {
        let request = request.into_inner();
        let diags = (|| {
            let ty = self
                .server
                .data_source_schema(&request.type_name)?
                .value_type();
            let config = decode_dynamic(request.config.as_ref(), &ty)?;
            Ok::<_, Diagnostics>(
                self.server
                    .validate_data_source_config(&request.type_name, &config),
            )
        })()
        .unwrap_or_else(|diags| diags);
        Ok(Response::new(pb::validate_data_resource_config::Response {
            diagnostics: diagnostics_to_proto(diags),
        }))
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Reply<pb::upgrade_resource_state::Response> {
        let request = request.into_inner();
        let json = request.raw_state.map(|raw| raw.json).unwrap_or_default();
        let (state, mut diags) =
            self.server
                .upgrade_resource_state(&request.type_name, request.version, &json);
        let upgraded_state =
            encode_optional(&self.server, &request.type_name, state.as_ref(), &mut diags);
        Ok(Response::new(pb::upgrade_resource_state::Response {
            upgraded_state,
            diagnostics: diagnostics_to_proto(diags),
        }))
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> Reply<pb::configure_provider::Response> {
        let ty = self.server.provider_schema().value_type();
        let diags = match decode_dynamic(request.get_ref().config.as_ref(), &ty) {
            Ok(config) => self.server.configure(config).await,
            Err(diags) => diags,
        };
        Ok(Response::new(pb::configure_provider::Response {
            diagnostics: diagnostics_to_proto(diags),
        }))
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Reply<pb::read_resource::Response> {
        let request = request.into_inner();
        let name = request.type_name;
        let decoded = self.server.resource_schema(&name).and_then(|schema| {
            decode_dynamic(request.current_state.as_ref(), &schema.value_type())
        });
        let (state, mut diags) = match decoded {
            Ok(current) => self.server.read_resource(&name, current).await,
            Err(diags) => (None, diags),
        };
        let new_state = encode_optional(&self.server, &name, state.as_ref(), &mut diags);
        Ok(Response::new(pb::read_resource::Response {
            new_state,
            diagnostics: diagnostics_to_proto(diags),
            private: request.private,
            deferred: None,
        }))
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Reply<pb::plan_resource_change::Response> {
        let request = request.into_inner();
        let name = request.type_name;
        let decoded = self.server.resource_schema(&name).and_then(|schema| {
            let ty = schema.value_type();
            Ok((
                decode_dynamic(request.prior_state.as_ref(), &ty)?,
                decode_dynamic(request.proposed_new_state.as_ref(), &ty)?,
                decode_dynamic(request.config.as_ref(), &ty)?,
            ))
        });
        let (prior, proposed, config) = match decoded {
            Ok(values) => values,
            Err(diags) => {
                return Ok(Response::new(pb::plan_resource_change::Response {
                    diagnostics: diagnostics_to_proto(diags),
                    ..Default::default()
                }))
            }
        };
        let mut plan = self
            .server
            .plan_resource_change(&name, prior, proposed, config)
            .await;
        let planned_state =
            encode_optional(&self.server, &name, Some(&plan.planned), &mut plan.diags);
        Ok(Response::new(pb::plan_resource_change::Response {
            planned_state,
            requires_replace: plan.requires_replace.iter().map(path_to_proto).collect(),
            planned_private: request.prior_private,
            diagnostics: diagnostics_to_proto(plan.diags),
            legacy_type_system: false,
            deferred: None,
        }))
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Reply<pb::apply_resource_change::Response> {
        let request = request.into_inner();
        let name = request.type_name;
        let decoded = self.server.resource_schema(&name).and_then(|schema| {
            let ty = schema.value_type();
            Ok((
                decode_dynamic(request.prior_state.as_ref(), &ty)?,
                decode_dynamic(request.planned_state.as_ref(), &ty)?,
            ))
        });
        let (prior, planned) = match decoded {
            Ok(values) => values,
            Err(diags) => {
                return Ok(Response::new(pb::apply_resource_change::Response {
                    new_state: request.prior_state,
                    diagnostics: diagnostics_to_proto(diags),
                    ..Default::default()
                }))
            }
        };
        let mut result = self
            .server
            .apply_resource_change(&name, prior, planned)
            .await;
        let new_state = encode_optional(
            &self.server,
            &name,
            result.state.as_ref(),
            &mut result.diags,
        );
        Ok(Response::new(pb::apply_resource_change::Response {
            new_state,
            private: request.planned_private,
            diagnostics: diagnostics_to_proto(result.diags),
            legacy_type_system: false,
        }))
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Reply<pb::import_resource_state::Response> {
        let request = request.into_inner();
        let (state, mut diags) = self
            .server
            .import_resource_state(&request.type_name, &request.id)
            .await;
        let encoded = encode_optional(&self.server, &request.type_name, state.as_ref(), &mut diags);
        let imported_resources = match (state, encoded) {
            (Some(_), Some(state)) => vec![pb::import_resource_state::ImportedResource {
                type_name: request.type_name,
                state: Some(state),
                private: Vec::new(),
            }],
            _ => Vec::new(),
        };
        Ok(Response::new(pb::import_resource_state::Response {
            imported_resources,
            diagnostics: diagnostics_to_proto(diags),
            deferred: None,
        }))
    }

    async fn move_resource_state(
        &self,
        _: Request<pb::move_resource_state::Request>,
    ) -> Reply<pb::move_resource_state::Response> {
        unimplemented("MoveResourceState")
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Reply<pb::read_data_source::Response> {
        let request = request.into_inner();
        let name = request.type_name;
        let ty = match self.server.data_source_schema(&name) {
            Ok(schema) => schema.value_type(),
            Err(diags) => {
                return Ok(Response::new(pb::read_data_source::Response {
                    diagnostics: diagnostics_to_proto(diags),
                    ..Default::default()
                }))
            }
        };
        let (state, mut diags) = match decode_dynamic(request.config.as_ref(), &ty) {
            Ok(config) => self.server.read_data_source(&name, config).await,
            Err(diags) => (None, diags),
        };
        let state = state.and_then(|s| encode_dynamic(&s, &ty).map_err(|d| diags.extend(d)).ok());
        Ok(Response::new(pb::read_data_source::Response {
            state,
            diagnostics: diagnostics_to_proto(diags),
            deferred: None,
        }))
    }

    async fn validate_ephemeral_resource_config(
        &self,
        _: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> Reply<pb::validate_ephemeral_resource_config::Response> {
        unimplemented("Ephemeral resources")
    }

    async fn open_ephemeral_resource(
        &self,
        _: Request<pb::open_ephemeral_resource::Request>,
    ) -> Reply<pb::open_ephemeral_resource::Response> {
        unimplemented("Ephemeral resources")
    }

    async fn renew_ephemeral_resource(
        &self,
        _: Request<pb::renew_ephemeral_resource::Request>,
    ) -> Reply<pb::renew_ephemeral_resource::Response> {
        unimplemented("Ephemeral resources")
    }

    async fn close_ephemeral_resource(
        &self,
        _: Request<pb::close_ephemeral_resource::Request>,
    ) -> Reply<pb::close_ephemeral_resource::Response> {
        unimplemented("Ephemeral resources")
    }

    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> Reply<pb::get_functions::Response> {
        Ok(Response::new(pb::get_functions::Response {
            functions: functions_to_proto(&self.server),
            diagnostics: Vec::new(),
        }))
    }

    async fn call_function(
        &self,
        request: Request<pb::call_function::Request>,
    ) -> Reply<pb::call_function::Response> {
        let request = request.into_inner();
        let failed = |text: String, argument: Option<usize>| {
            Ok(Response::new(pb::call_function::Response {
                result: None,
                error: Some(pb::FunctionError {
                    text: function_error_text(&text),
                    function_argument: argument.map(|i| i as i64),
                }),
            }))
        };
        let function = match self.server.function(&request.name) {
            Ok(function) => function,
            Err(e) => return failed(e.text, e.argument),
        };
        let parameters = function.parameters();
        if request.arguments.len() != parameters.len() {
            let names: Vec<&str> = parameters.iter().map(|p| p.name).collect();
            return failed(
                format!(
                    "{} takes {} arguments ({}), but {} were given.",
                    request.name,
                    parameters.len(),
                    names.join(", "),
                    request.arguments.len()
                ),
                None,
            );
        }
        let mut arguments = Vec::with_capacity(request.arguments.len());
        for (i, (argument, parameter)) in request.arguments.iter().zip(&parameters).enumerate() {
            match decode_dynamic(Some(argument), &parameter.ty) {
                Ok(value) => arguments.push(value),
                Err(diags) => return failed(diags.to_string(), Some(i)),
            }
        }
        let result = function
            .call(&arguments)
            .map_err(|e| (e.text, e.argument))
            .and_then(|value| {
                encode_dynamic(&value, &function.return_type()).map_err(|d| (d.to_string(), None))
            });
        match result {
            Ok(value) => Ok(Response::new(pb::call_function::Response {
                result: Some(value),
                error: None,
            })),
            Err((text, argument)) => failed(text, argument),
        }
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> Reply<pb::stop_provider::Response> {
        log::info("StopProvider: cancelling in-flight work", &[]);
        self.server.stop();
        Ok(Response::new(pb::stop_provider::Response::default()))
    }
}

/// A function error as Terraform wants it: Terraform puts it inside its
/// own sentence ("Invalid value for \"x\" parameter: TEXT.") and ends that
/// with a period, so the text's own last period goes (else "..").
fn function_error_text(text: &str) -> String {
    let text = text.trim_end();
    text.strip_suffix('.').unwrap_or(text).to_owned()
}

/// Encodes a resource state (None stays None); encoding problems become diagnostics.
fn encode_optional(
    server: &ProviderServer,
    type_name: &str,
    state: Option<&crate::value::Value>,
    diags: &mut Diagnostics,
) -> Option<pb::DynamicValue> {
    let state = state?;
    let ty = match server.resource_schema(type_name) {
        Ok(schema) => schema.value_type(),
        Err(d) => {
            diags.extend(d);
            return None;
        }
    };
    encode_dynamic(state, &ty).map_err(|d| diags.extend(d)).ok()
}

#[cfg(test)]
mod tests {
    use super::function_error_text;

    #[test]
    fn function_errors_leave_the_last_period_to_terraform() {
        assert_eq!(
            function_error_text("\"x\" is not a Region code: write it like \"eu-west-1\".\n"),
            "\"x\" is not a Region code: write it like \"eu-west-1\""
        );
        assert_eq!(
            function_error_text("Did you mean \"a\"?"),
            "Did you mean \"a\"?"
        );
    }
}
