//! go-plugin's side services: `GRPCController` (Terraform's "shut down
//! now") and `GRPCStdio` (no output is forwarded: logs go to stderr).

use super::proto::google::protobuf::Empty;
use super::proto::plugin;
use std::pin::Pin;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

/// Signals the server to stop when Terraform calls Shutdown.
pub struct Controller {
    /// Notified on Shutdown; `None` in debug mode, where the process
    /// outlives each terraform command.
    pub shutdown: Option<CancellationToken>,
}

#[tonic::async_trait]
impl plugin::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(&self, _: Request<plugin::Empty>) -> Result<Response<plugin::Empty>, Status> {
        if let Some(token) = &self.shutdown {
            token.cancel();
        }
        Ok(Response::new(plugin::Empty {}))
    }
}

/// A stdio stream that never sends anything: everything the provider has
/// to say goes to stderr as structured logs.
pub struct Stdio;

type StdioStream = Pin<Box<dyn futures::Stream<Item = Result<plugin::StdioData, Status>> + Send>>;

#[tonic::async_trait]
impl plugin::grpc_stdio_server::GrpcStdio for Stdio {
    type StreamStdioStream = StdioStream;

    async fn stream_stdio(
        &self,
        _: Request<Empty>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        Ok(Response::new(Box::pin(futures::stream::pending())))
    }
}
