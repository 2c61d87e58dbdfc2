//! Calls that got no HTTP answer — connection refused, unknown host, timed
//! out, connection lost — told in words: which endpoint, what happened, how
//! often it was tried, and what to check. The SDK's own error names none of
//! that (`DispatchFailure { … ConnectionRefused … }`).
//!
//! - [`NameTheEndpoint`], an interceptor, restates the connector error of a
//!   failed call as [`Unreachable`] (endpoint, attempts, time spent) once
//!   the SDK has stopped retrying; [`describe`] renders it.
//! - [`RetryUnreachableSoon`], a retry classifier, retries a connection
//!   that could not be opened at all after a short fixed pause instead of
//!   the exponential backoff (1 s doubling to 20 s) meant for throttling:
//!   an endpoint that refuses fails in seconds, not minutes. Throttling,
//!   timeouts and lost connections keep the standard backoff.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextMut, InterceptorContext,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::OrchestratorError;
use aws_smithy_runtime_api::client::result::{ConnectorError, DispatchFailure};
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use aws_smithy_types::retry::ErrorKind;
use std::error::Error;
use std::fmt;
use std::time::{Duration, Instant};

/// Pause before retrying a connection that could not be opened: the
/// default 8 retries then take about 2 s.
pub const NEVER_CONNECTED_PAUSE: Duration = Duration::from_millis(250);

/// How a message about an unreachable endpoint begins, by [`Failure`].
const CANNOT_CONNECT: &str = "cannot connect to";
const NO_ANSWER: &str = "no answer from";
const LOST: &str = "lost the connection to";
const UNREACHABLE: &str = "could not reach";

/// What went wrong on the way to the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Nothing accepts connections at that address.
    Refused,
    /// The host name does not resolve.
    UnknownHost,
    /// Connecting or waiting for the answer took too long.
    TimedOut,
    /// The connection closed or broke before the answer.
    Lost,
    /// Anything else.
    Other,
}

impl Failure {
    /// Reads the cause from a connector error and its sources.
    pub fn of(error: &ConnectorError) -> Failure {
        let io_kind = |kinds: &[std::io::ErrorKind]| {
            chain(error).any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| kinds.contains(&io.kind()))
            })
        };
        use std::io::ErrorKind as Io;
        // hyper-util's connector says "dns error" when the lookup failed.
        let dns = || chain(error).any(|e| e.to_string() == "dns error");
        if io_kind(&[Io::ConnectionRefused]) {
            Failure::Refused
        } else if dns() {
            Failure::UnknownHost
        } else if error.is_timeout() || io_kind(&[Io::TimedOut]) {
            Failure::TimedOut
        } else if error.is_io()
            || error.as_other() == Some(ErrorKind::TransientError)
            || io_kind(&[
                Io::ConnectionReset,
                Io::ConnectionAborted,
                Io::BrokenPipe,
                Io::UnexpectedEof,
            ])
        {
            Failure::Lost
        } else {
            Failure::Other
        }
    }

    /// True when no connection could be opened at all: retried soon.
    pub fn never_connected(self) -> bool {
        matches!(self, Failure::Refused | Failure::UnknownHost)
    }

    /// How the message begins, before the endpoint.
    fn summary(self) -> &'static str {
        match self {
            Failure::Refused | Failure::UnknownHost => CANNOT_CONNECT,
            Failure::TimedOut => NO_ANSWER,
            Failure::Lost => LOST,
            Failure::Other => UNREACHABLE,
        }
    }

    /// What happened, in words.
    fn what(self) -> &'static str {
        match self {
            Failure::Refused => "connection refused (nothing accepts connections there)",
            Failure::UnknownHost => "the host name does not resolve",
            Failure::TimedOut => "the connection timed out",
            Failure::Lost => "the connection closed before the answer came",
            Failure::Other => "the request could not be sent",
        }
    }

    /// What to check.
    fn hint(self) -> &'static str {
        match self {
            Failure::Refused => {
                "Check the endpoint (the provider's `endpoints` block, AWS_ENDPOINT_URL*) and that \
                 the service behind it is running."
            }
            Failure::UnknownHost => {
                "Check the endpoint's host name (the provider's `endpoints` block, \
                 AWS_ENDPOINT_URL*), the Region, and this machine's DNS."
            }
            Failure::TimedOut => {
                "Check that this machine can reach it (proxy, firewall, VPC endpoint), then run \
                 the command again."
            }
            Failure::Lost | Failure::Other => {
                "Run the command again; TF_LOG_PROVIDER=debug logs every AWS call."
            }
        }
    }
}

/// Ends the advice of every message [`NameTheEndpoint`] restates.
const GAVE_UP: &str = "not retrying further.";

/// True when `text` holds a message [`describe`] made with its own advice
/// (what to check for that transport failure): a caller should not add
/// advice meant for an error answer, such as checking permissions.
pub fn carries_advice(text: &str) -> bool {
    text.contains(GAVE_UP)
}

/// True when a message made by [`describe`] tells of a failure worth
/// another try later (timed out, lost, other) — not of an endpoint that
/// refuses or does not resolve. `summary` is the message's part after the
/// action (`ACTION: SUMMARY: …`).
pub fn worth_polling_again(summary: &str) -> bool {
    [NO_ANSWER, LOST, UNREACHABLE]
        .iter()
        .any(|start| summary.starts_with(start))
}

/// A failed call restated: the connector error with the endpoint it was
/// trying, what happened and how often it was tried.
#[derive(Debug)]
pub struct Unreachable {
    /// `scheme://host[:port]` of the last attempt.
    pub endpoint: String,
    pub failure: Failure,
    /// The innermost cause, as the system said it.
    pub cause: String,
    /// Attempts made, the first included.
    pub attempts: u32,
    /// From the first attempt to giving up, retry pauses included.
    pub spent: Duration,
}

impl fmt::Display for Unreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failure = self.failure;
        write!(
            f,
            "{} {}: {}",
            failure.summary(),
            self.endpoint,
            failure.what()
        )?;
        if failure != Failure::Refused {
            write!(f, " ({})", self.cause)?;
        }
        let spent = Duration::from_millis(self.spent.as_millis() as u64 / 100 * 100);
        write!(
            f,
            "; tried {} over {}, {GAVE_UP} {}",
            times(self.attempts),
            crate::aws::ec2::wait::format_duration(spent),
            failure.hint()
        )
    }
}

impl Error for Unreachable {}

fn times(n: u32) -> String {
    if n == 1 {
        "once".to_owned()
    } else {
        format!("{n} times")
    }
}

/// The words for a call that got no answer: the [`Unreachable`] that
/// [`NameTheEndpoint`] put in, else what the connector error itself tells.
pub fn describe(failure: &DispatchFailure) -> String {
    let Some(connector) = failure.as_connector_error() else {
        return format!("{UNREACHABLE} the service");
    };
    if let Some(unreachable) = chain(connector).find_map(|e| e.downcast_ref::<Unreachable>()) {
        return unreachable.to_string();
    }
    let kind = Failure::of(connector);
    format!(
        "{} the service: {} ({})",
        kind.summary(),
        kind.what(),
        innermost(connector)
    )
}

/// `error`, then each of its sources.
fn chain<'a>(error: &'a (dyn Error + 'static)) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    std::iter::successors(Some(error), |e| (*e).source())
}

/// The last error of `error`'s source chain, as text.
fn innermost(error: &(dyn Error + 'static)) -> String {
    chain(error)
        .last()
        .map_or_else(String::new, ToString::to_string)
}

/// `scheme://authority` of a request URI (no path or query).
fn origin(uri: &str) -> String {
    match uri.parse::<http::Uri>() {
        Ok(parsed) => match (parsed.scheme_str(), parsed.authority()) {
            (Some(scheme), Some(authority)) => format!("{scheme}://{authority}"),
            _ => uri.to_owned(),
        },
        Err(_) => uri.split('?').next().unwrap_or(uri).to_owned(),
    }
}

/// The same kind of connector error with another source.
fn restated(original: &ConnectorError, source: BoxError) -> ConnectorError {
    if original.is_timeout() {
        ConnectorError::timeout(source)
    } else if original.is_user() {
        ConnectorError::user(source)
    } else if original.is_io() {
        ConnectorError::io(source)
    } else {
        ConnectorError::other(source, original.as_other())
    }
}

/// Records the endpoint of each attempt and restates a final connector
/// error as [`Unreachable`]. Reads no header and no body.
#[derive(Debug, Default)]
pub struct NameTheEndpoint;

#[derive(Debug, Clone)]
struct Target(String);
impl Storable for Target {
    type Storer = StoreReplace<Self>;
}

#[derive(Debug, Clone)]
struct Began(Instant);
impl Storable for Began {
    type Storer = StoreReplace<Self>;
}

impl Intercept for NameTheEndpoint {
    fn name(&self) -> &'static str {
        "NameTheEndpoint"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(Began(Instant::now()));
        Ok(())
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let endpoint = origin(context.request().uri());
        cfg.interceptor_state().store_put(Target(endpoint));
        Ok(())
    }

    fn modify_before_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Err(error)) = context.output_or_error_mut() else {
            return Ok(());
        };
        let Some(connector) = error.as_connector_error() else {
            return Ok(());
        };
        let unreachable = Unreachable {
            endpoint: cfg
                .load::<Target>()
                .map_or_else(|| "the service".to_owned(), |t| t.0.clone()),
            failure: Failure::of(connector),
            cause: innermost(connector),
            attempts: cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts()),
            spent: cfg
                .load::<Began>()
                .map_or(Duration::ZERO, |b| b.0.elapsed()),
        };
        *error = OrchestratorError::connector(restated(connector, Box::new(unreachable)));
        Ok(())
    }
}

/// Retries a connection that could not be opened (refused, unknown host)
/// after [`NEVER_CONNECTED_PAUSE`]; leaves every other verdict as it was.
#[derive(Debug, Default)]
pub struct RetryUnreachableSoon;

impl ClassifyRetry for RetryUnreachableSoon {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let never_connected = ctx
            .output_or_error()
            .and_then(Result::err)
            .and_then(OrchestratorError::as_connector_error)
            .is_some_and(|e| Failure::of(e).never_connected());
        if never_connected {
            RetryAction::retryable_error_with_explicit_delay(
                ErrorKind::TransientError,
                NEVER_CONNECTED_PAUSE,
            )
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "RetryUnreachableSoon"
    }

    /// After the SDK's transient-error classifier, whose verdict it refines.
    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::error::SdkError;
    use aws_smithy_runtime_api::http::Response;
    use std::io;

    fn refused() -> ConnectorError {
        ConnectorError::io(Box::new(io::Error::from(io::ErrorKind::ConnectionRefused)))
    }

    fn dns() -> ConnectorError {
        #[derive(Debug)]
        struct DnsError(io::Error);
        impl fmt::Display for DnsError {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("dns error")
            }
        }
        impl Error for DnsError {
            fn source(&self) -> Option<&(dyn Error + 'static)> {
                Some(&self.0)
            }
        }
        let lookup =
            io::Error::other("failed to lookup address information: Name or service not known");
        ConnectorError::io(Box::new(DnsError(lookup)))
    }

    #[test]
    fn causes_are_read_from_the_error_chain() {
        assert_eq!(Failure::of(&refused()), Failure::Refused);
        assert_eq!(Failure::of(&dns()), Failure::UnknownHost);
        let slow = ConnectorError::timeout("HTTP connect timeout occurred after 3.1s".into());
        assert_eq!(Failure::of(&slow), Failure::TimedOut);
        let reset = ConnectorError::io(Box::new(io::Error::from(io::ErrorKind::ConnectionReset)));
        assert_eq!(Failure::of(&reset), Failure::Lost);
        let incomplete = ConnectorError::other(
            "connection closed before message completed".into(),
            Some(ErrorKind::TransientError),
        );
        assert_eq!(Failure::of(&incomplete), Failure::Lost);
        assert_eq!(
            Failure::of(&ConnectorError::user("bad header".into())),
            Failure::Other
        );
        assert!(Failure::Refused.never_connected() && Failure::UnknownHost.never_connected());
        assert!(!Failure::TimedOut.never_connected() && !Failure::Lost.never_connected());
    }

    #[test]
    fn a_restated_refusal_names_the_endpoint_the_attempts_and_what_to_check() {
        let unreachable = Unreachable {
            endpoint: "http://127.0.0.1:4566".into(),
            failure: Failure::of(&refused()),
            cause: innermost(&refused()),
            attempts: 9,
            spent: Duration::from_millis(2049),
        };
        let error: SdkError<aws_sdk_ec2::operation::describe_vpcs::DescribeVpcsError, Response> =
            SdkError::dispatch_failure(restated(&refused(), Box::new(unreachable)));
        assert_eq!(
            crate::aws::describe_error("describing EC2 VPC (vpc-1)", &error),
            "describing EC2 VPC (vpc-1): cannot connect to http://127.0.0.1:4566: connection \
             refused (nothing accepts connections there); tried 9 times over 2s, not retrying \
             further. Check the endpoint (the provider's `endpoints` block, AWS_ENDPOINT_URL*) \
             and that the service behind it is running."
        );
    }

    #[test]
    fn without_the_interceptor_the_cause_is_still_in_words() {
        let error: SdkError<aws_sdk_ec2::operation::describe_vpcs::DescribeVpcsError, Response> =
            SdkError::dispatch_failure(dns());
        assert_eq!(
            crate::aws::describe_error("describing EC2 VPC (vpc-1)", &error),
            "describing EC2 VPC (vpc-1): cannot connect to the service: the host name does not \
             resolve (failed to lookup address information: Name or service not known)"
        );
    }

    #[test]
    fn only_refused_and_unknown_hosts_are_not_worth_polling_again() {
        for (failure, again) in [
            (Failure::Refused, false),
            (Failure::UnknownHost, false),
            (Failure::TimedOut, true),
            (Failure::Lost, true),
            (Failure::Other, true),
        ] {
            let summary = format!("{} http://127.0.0.1:1", failure.summary());
            assert_eq!(worth_polling_again(&summary), again, "{failure:?}");
        }
    }

    #[test]
    fn advice_for_error_answers_is_not_added_to_a_transport_failure() {
        let unreachable = Unreachable {
            endpoint: "http://127.0.0.1:4566".into(),
            failure: Failure::Refused,
            cause: String::new(),
            attempts: 1,
            spent: Duration::ZERO,
        };
        let text = format!("describing EC2 VPC (vpc-1): {unreachable}");
        assert_eq!(
            crate::aws::with_advice(&text, "Check the credentials."),
            text
        );
        assert_eq!(
            crate::aws::with_advice(
                "describing EC2 VPC (vpc-1): AccessDenied",
                "Check the credentials."
            ),
            "describing EC2 VPC (vpc-1): AccessDenied. Check the credentials."
        );
    }

    #[test]
    fn the_origin_drops_path_and_query() {
        assert_eq!(
            origin("https://ec2.us-east-1.amazonaws.com/?Action=DescribeVpcs"),
            "https://ec2.us-east-1.amazonaws.com"
        );
        assert_eq!(origin("http://127.0.0.1:4566/"), "http://127.0.0.1:4566");
    }
}
