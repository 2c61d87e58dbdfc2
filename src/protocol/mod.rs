//! The plugin protocol layer: go-plugin handshake, auto-mTLS, the gRPC
//! services Terraform calls, and the debug (reattach) mode. It knows the
//! framework's [`ProviderServer`] and nothing about AWS.

pub mod accept;
pub mod controller;
pub mod convert;
pub mod handshake;
pub mod parent;
pub mod proto;
pub mod service;
pub mod tls;

use crate::framework::server::ProviderServer;
use crate::log;
use controller::{Controller, Stdio};
use proto::plugin::grpc_controller_server::GrpcControllerServer;
use proto::plugin::grpc_stdio_server::GrpcStdioServer;
use proto::tfplugin6::provider_server::ProviderServer as ProviderGrpcServer;
use serde_json::json;
use service::ProviderService;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::Router;

/// Largest gRPC message either way (the Go framework's limit).
const MAX_MESSAGE_BYTES: usize = 256 << 20;
/// How long a TLS handshake may take before the connection is dropped:
/// Terraform's takes milliseconds; an idle connection should not hold a
/// descriptor for long.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long Shutdown waits for in-flight answers before the process exits.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// Why serving failed.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Handshake(#[from] handshake::HandshakeError),
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("cannot write the handshake to stdout: {0}")]
    Announce(std::io::Error),
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error("cannot listen on 127.0.0.1: {0}")]
    Listen(std::io::Error),
    #[error("Terraform (pid {0}) is gone; exiting")]
    ParentGone(u32),
}

/// Serves Terraform after the go-plugin handshake, until Terraform calls
/// GRPCController/Shutdown — or dies: then it returns
/// [`ServeError::ParentGone`] within [`parent::POLL_EVERY`].
pub async fn serve(server: Arc<ProviderServer>) -> Result<(), ServeError> {
    let terraform_gone = parent::watch();
    let env = handshake::read_env()?;
    let listener = handshake::bind(env.min_port, env.max_port).await?;
    let addr = listener.local_addr().map_err(ServeError::Listen)?;
    let tls = env
        .client_cert_pem
        .as_deref()
        .map(tls::server_tls)
        .transpose()?;
    ignore_interrupts();
    let shutdown = CancellationToken::new();
    let router = routes(server, Some(shutdown.clone()));
    handshake::announce(&handshake::handshake_line(
        addr,
        tls.as_ref().map(|t| t.cert_der.as_slice()),
    ))
    .map_err(ServeError::Announce)?;
    log::debug(
        "plugin server listening",
        &[
            ("address", json!(addr.to_string())),
            ("tls", json!(tls.is_some())),
        ],
    );
    let stopped = shutdown.clone();
    let serving = async {
        match tls {
            Some(tls) => {
                let incoming = tls_incoming(listener, tokio_rustls::TlsAcceptor::from(tls.config));
                router
                    .serve_with_incoming_shutdown(incoming, stopped.cancelled_owned())
                    .await
            }
            None => {
                let incoming = plaintext_incoming(listener);
                router
                    .serve_with_incoming_shutdown(incoming, stopped.cancelled_owned())
                    .await
            }
        }
    };
    tokio::select! {
        result = serving => result?,
        () = async { shutdown.cancelled().await; tokio::time::sleep(SHUTDOWN_GRACE).await } => {}
        pid = terraform_gone => return Err(parent_gone(pid)),
    }
    Ok(())
}

/// Says why the provider stops serving without being asked to.
fn parent_gone(pid: u32) -> ServeError {
    let error = ServeError::ParentGone(pid);
    log::warn(
        &format!(
            "{error}. Objects created so far carry the create-in-progress marker \
             (sagemaker:creating) and are adopted by the next apply"
        ),
        &[("terraform_pid", json!(pid))],
    );
    error
}

/// Debug mode: serves plaintext on a random loopback port, prints the
/// `TF_REATTACH_PROVIDERS` value to export, and runs until Ctrl-C.
pub async fn serve_debug(
    server: Arc<ProviderServer>,
    source_address: &str,
) -> Result<(), ServeError> {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(ServeError::Listen)?;
    let addr = listener.local_addr().map_err(ServeError::Listen)?;
    let reattach = json!({
        source_address: {
            "Protocol": "grpc",
            "ProtocolVersion": 6,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": {"Network": "tcp", "String": addr.to_string()},
        }
    });
    let message = format!(
        "Provider started in debug mode. In another shell, run terraform with:\n\n\
         \texport TF_REATTACH_PROVIDERS='{reattach}'\n\n\
         Logs appear here. Press Ctrl-C to stop.\n"
    );
    handshake::announce(&message).map_err(ServeError::Announce)?;
    let router = routes(server, None);
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    router
        .serve_with_incoming_shutdown(plaintext_incoming(listener), ctrl_c)
        .await?;
    Ok(())
}

/// Every service Terraform may call.
fn routes(server: Arc<ProviderServer>, shutdown: Option<CancellationToken>) -> Router {
    let (health, health_service) = tonic_health::server::health_reporter();
    let provider = ProviderGrpcServer::new(ProviderService::new(server))
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    tokio::spawn(async move {
        health
            .set_service_status("plugin", tonic_health::ServingStatus::Serving)
            .await
    });
    tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(provider)
        .add_service(GrpcControllerServer::new(Controller { shutdown }))
        .add_service(GrpcStdioServer::new(Stdio))
}

/// Accepts connections and completes each TLS handshake in its own task
/// (at most [`accept::MAX_PENDING_HANDSHAKES`] at once, the oldest dropped
/// first); a client without the pinned certificate is logged and dropped.
fn tls_incoming(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
) -> ReceiverStream<TlsConnection> {
    let (sender, receiver) = tokio::sync::mpsc::channel(16);
    let refusals = Arc::new(Mutex::new(accept::Throttled::default()));
    tokio::spawn(async move {
        let mut listener = accept::Acceptor::new(listener);
        let mut pending = accept::Pending::new(accept::MAX_PENDING_HANDSHAKES);
        loop {
            let (tcp, peer) = listener.next(Some(&mut pending)).await;
            no_delay(&tcp);
            let handshake = tokio::spawn(complete_handshake(
                acceptor.clone(),
                (tcp, peer),
                sender.clone(),
                Arc::clone(&refusals),
            ));
            pending.admit(handshake.abort_handle());
        }
    });
    ReceiverStream::new(receiver)
}

/// A TLS stream for tonic, or the error that ended it.
type TlsConnection = Result<tokio_rustls::server::TlsStream<tokio::net::TcpStream>, std::io::Error>;

/// Runs the TLS handshake of one connection within [`TLS_HANDSHAKE_TIMEOUT`]
/// and hands the stream to tonic; a refusal is logged through `refusals`.
async fn complete_handshake(
    acceptor: tokio_rustls::TlsAcceptor,
    (tcp, peer): (tokio::net::TcpStream, std::net::SocketAddr),
    sender: tokio::sync::mpsc::Sender<TlsConnection>,
    refusals: Arc<Mutex<accept::Throttled>>,
) {
    let peer = ("peer", json!(peer.to_string()));
    match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
        Ok(Ok(stream)) => {
            let _ = sender.send(Ok(stream)).await;
        }
        Ok(Err(e)) => accept::warn_throttled(
            &refusals,
            "refused a plugin connection: TLS handshake failed",
            &[peer, ("error", json!(e.to_string()))],
        ),
        Err(_) => accept::warn_throttled(
            &refusals,
            "refused a plugin connection: TLS handshake timed out",
            &[peer],
        ),
    }
}

/// Plaintext connections, each with Nagle's algorithm off.
fn plaintext_incoming(
    listener: TcpListener,
) -> ReceiverStream<std::io::Result<tokio::net::TcpStream>> {
    let (sender, receiver) = tokio::sync::mpsc::channel(16);
    tokio::spawn(async move {
        let mut listener = accept::Acceptor::new(listener);
        loop {
            let (tcp, _) = listener.next(None).await;
            no_delay(&tcp);
            if sender.send(Ok(tcp)).await.is_err() {
                return;
            }
        }
    });
    ReceiverStream::new(receiver)
}

/// Turns Nagle's algorithm off: small gRPC answers would otherwise wait for
/// the peer's delayed ACK (~40 ms per call). tonic sets this only on the
/// listeners it opens itself.
fn no_delay(stream: &tokio::net::TcpStream) {
    if let Err(e) = stream.set_nodelay(true) {
        log::debug("cannot set TCP_NODELAY", &[("error", json!(e.to_string()))]);
    }
}

/// Ctrl-C in a terminal reaches every process of the group, the provider
/// too. Terraform relays it as StopProvider, so the provider itself must not
/// die on SIGINT: it would lose the state of objects being created.
fn ignore_interrupts() {
    tokio::spawn(async {
        while tokio::signal::ctrl_c().await.is_ok() {
            log::debug(
                "SIGINT ignored: Terraform stops the provider through StopProvider",
                &[],
            );
        }
    });
}
