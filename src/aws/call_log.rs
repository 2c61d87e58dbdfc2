//! An SDK interceptor that logs every AWS call at debug level with its
//! service, operation, HTTP status, attempts and duration. It reads no
//! request or response body and no header, so no secret can reach the log.

use crate::log;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use std::time::Instant;

/// Logs each AWS call once it has finished.
#[derive(Debug, Default)]
pub struct CallLogger;

#[derive(Debug, Clone)]
struct StartedAt(Instant);
impl Storable for StartedAt {
    type Storer = StoreReplace<Self>;
}

#[derive(Debug, Clone)]
struct Attempts(u32);
impl Storable for Attempts {
    type Storer = StoreReplace<Self>;
}

impl Intercept for CallLogger {
    fn name(&self) -> &'static str {
        "CallLogger"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(StartedAt(Instant::now()));
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let attempts = cfg.load::<Attempts>().map_or(0, |a| a.0) + 1;
        cfg.interceptor_state().store_put(Attempts(attempts));
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if !log::enabled(log::Level::Debug) {
            return Ok(());
        }
        let (service, operation) = cfg
            .load::<Metadata>()
            .map_or(("unknown", "unknown"), |m| (m.service(), m.name()));
        let millis = cfg
            .load::<StartedAt>()
            .map_or(0.0, |s| s.0.elapsed().as_secs_f64() * 1000.0);
        let status = context.response().map(|r| r.status().as_u16());
        let failed = matches!(context.output_or_error(), Some(Err(_)));
        log::debug(
            "AWS call",
            &[
                ("aws_service", service.into()),
                ("aws_operation", operation.into()),
                ("http_status", status.into()),
                ("attempts", cfg.load::<Attempts>().map_or(0, |a| a.0).into()),
                ("duration_ms", ((millis * 10.0).round() / 10.0).into()),
                ("failed", failed.into()),
            ],
        );
        Ok(())
    }
}
