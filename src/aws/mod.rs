//! Everything that talks to AWS: client construction from the provider
//! configuration, call logging, and (per service) finders and waiters.

pub mod call_log;
pub mod clients;
pub mod ec2;
pub mod endpoint_services;
pub mod pace;
pub mod sagemaker;

pub use clients::{Aws, Clients};

/// Turns an SDK error into a message that names the call and its cause,
/// e.g. "describing EC2 VPC endpoint services: RequestLimitExceeded: …".
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
        SdkError::DispatchFailure(e) => format!("could not reach the service ({e:?})"),
        other => other.to_string(),
    };
    format!("{action}: {cause}")
}
