//! Everything that talks to AWS: client construction from the provider
//! configuration, call logging, and (per service) finders and waiters.

pub mod call_log;
pub mod clients;
pub mod config;
pub mod ec2;
pub mod endpoint_services;
pub mod ids;
pub mod ownership;
pub mod pace;
pub mod sagemaker;
pub mod sagemaker_inputs;
pub mod studio;
pub mod transport;

pub use clients::{Aws, Clients};
pub use config::TagSettings;

use crate::framework::Diagnostics;
use std::sync::{Arc, OnceLock};

/// The AWS access ConfigureProvider sets up, shared with every resource and
/// data source (the provider fills it; they only read it).
pub type Configured = Arc<OnceLock<Aws>>;

/// The AWS access, or an error saying the provider was not configured.
pub fn configured(configured: &Configured) -> Result<&Aws, Diagnostics> {
    configured.get().ok_or_else(|| {
        Diagnostics::from_error(
            "Provider not configured",
            "Terraform did not configure the provider before using it. This is a bug: report it with TF_LOG=trace output.",
        )
    })
}

/// The AWS clients and the provider's tag settings, for a resource's
/// create, read, update, delete or import.
pub async fn access(configured: &Configured) -> Result<(Clients, TagSettings), Diagnostics> {
    let aws = self::configured(configured)?;
    Ok((aws.clients().await?.clone(), aws.config().tag_settings()))
}

/// `error`, then `advice` on what to check when AWS answered with an error
/// (permissions, ids) — unless `error` tells of an endpoint that could not
/// be reached, whose message carries its own advice.
pub fn with_advice(error: impl std::fmt::Display, advice: &str) -> String {
    let text = error.to_string();
    if transport::carries_advice(&text) {
        text
    } else {
        format!("{text}. {advice}")
    }
}

/// Turns an SDK error into a message that names the call and its cause,
/// e.g. "describing EC2 VPC endpoint services: RequestLimitExceeded: …", or
/// for a call that got no answer "…: cannot connect to URL: connection
/// refused …; tried 9 times over 2s, not retrying further. Check …" (see
/// [`transport`]).
pub fn describe_error<E>(action: &str, err: &aws_sdk_ec2::error::SdkError<E>) -> String
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_sdk_ec2::error::SdkError;
    let cause = match err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            match (e.code(), e.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.to_owned(),
                _ => format!("HTTP {} from the service", service.raw().status().as_u16()),
            }
        }
        SdkError::TimeoutError(_) => "the request timed out".to_owned(),
        SdkError::DispatchFailure(e) => transport::describe(e),
        other => other.to_string(),
    };
    format!("{action}: {cause}")
}
