//! Protocol-level test client: launches the provider binary the way
//! Terraform does (go-plugin handshake, auto-mTLS) and talks gRPC to it.
//!
//! - [`ClientIdentity::generate`] makes a client certificate shaped exactly
//!   like go-plugin's (self-signed P-521/ECDSA-SHA512, CA:TRUE, SAN
//!   `localhost`).
//! - [`launch`] spawns the binary with Terraform's environment, drains
//!   stderr into a buffer and parses the handshake line from stdout.
//! - [`PluginProcess::connect`] opens a tonic [`Channel`], plaintext or TLS
//!   pinned to the exact server certificate from the handshake, optionally
//!   presenting a client certificate.
//!
//! Needs the dev-dependency `hyper-util` (feature `tokio`) for
//! [`hyper_util::rt::TokioIo`], which tonic's custom connectors require.
#![allow(dead_code)]

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::pin::Pin;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use base64::Engine as _;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use tfprovider_sagemaker::protocol::proto::plugin;
use tfprovider_sagemaker::protocol::proto::plugin::grpc_controller_client::GrpcControllerClient;
use tfprovider_sagemaker::protocol::proto::tfplugin6::provider_client::ProviderClient;
use tonic::codegen::Service;
use tonic::transport::{Channel, Endpoint, Uri};

/// Boxed error returned by the async helpers.
pub type BoxError = Box<dyn StdError + Send + Sync>;

/// go-plugin magic cookie value Terraform sets for providers.
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// How long Terraform waits for the handshake line.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);

/// Message size limit used by the client (same as the Go framework).
pub const MAX_MESSAGE_BYTES: usize = 256 << 20;

/// Environment variables a stray developer shell could leak into the child
/// and change its behaviour; they are removed before every launch.
const SCRUBBED_ENV: &[&str] = &[
    "TF_PLUGIN_MAGIC_COOKIE",
    "PLUGIN_PROTOCOL_VERSIONS",
    "PLUGIN_MIN_PORT",
    "PLUGIN_MAX_PORT",
    "PLUGIN_CLIENT_CERT",
    "TF_DISABLE_PLUGIN_TLS",
    "TF_REATTACH_PROVIDERS",
];

// ---------------------------------------------------------------------------
// Client identity
// ---------------------------------------------------------------------------

/// A client certificate and its key, as Terraform presents them.
///
/// Fields are public so tests can mix a certificate with another identity's
/// key (the "right cert, wrong key" case).
#[derive(Clone)]
pub struct ClientIdentity {
    /// PEM of the certificate (the value of `PLUGIN_CLIENT_CERT`).
    pub cert_pem: String,
    /// DER of the certificate.
    pub cert_der: Vec<u8>,
    /// PKCS#8 DER of the private key.
    pub key_der: Vec<u8>,
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("cert_der_len", &self.cert_der.len())
            .finish_non_exhaustive()
    }
}

impl ClientIdentity {
    /// Generates a certificate shaped like go-plugin's `generateCert`:
    /// self-signed ECDSA P-521 / SHA-512, subject and issuer
    /// `CN=localhost, O=HashiCorp`, DNS SAN `localhost`, basic constraints
    /// CA:TRUE (no path length), key usages digitalSignature,
    /// keyEncipherment, keyAgreement and keyCertSign, extended key usages
    /// clientAuth and serverAuth, valid from 30 s ago for 262 980 hours.
    ///
    /// # Panics
    /// When key generation or signing fails (never expected).
    pub fn generate() -> Self {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512)
            .expect("generate P-521 key");
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()])
            .expect("certificate params");
        let mut name = rcgen::DistinguishedName::new();
        name.push(rcgen::DnType::CommonName, "localhost");
        name.push(rcgen::DnType::OrganizationName, "HashiCorp");
        params.distinguished_name = name;
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::DigitalSignature,
            rcgen::KeyUsagePurpose::KeyEncipherment,
            rcgen::KeyUsagePurpose::KeyAgreement,
            rcgen::KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        ];
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::seconds(30);
        params.not_after = now + time::Duration::hours(262_980);
        let cert = params.self_signed(&key).expect("self-sign certificate");
        Self {
            cert_pem: cert.pem(),
            cert_der: cert.der().to_vec(),
            key_der: key.serialize_der(),
        }
    }

    /// This identity's certificate with `other`'s private key: a client
    /// that shows the right certificate but cannot prove possession of it.
    pub fn with_key_of(&self, other: &ClientIdentity) -> Self {
        Self {
            cert_pem: self.cert_pem.clone(),
            cert_der: self.cert_der.clone(),
            key_der: other.key_der.clone(),
        }
    }
}

// ---------------------------------------------------------------------------
// Handshake line
// ---------------------------------------------------------------------------

/// The parsed go-plugin handshake line
/// `CORE|APP|NETWORK|ADDRESS|PROTOCOL|CERT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// go-plugin core protocol version (always `1`).
    pub core_version: u32,
    /// Negotiated application protocol version (`6` here).
    pub app_version: u32,
    /// `tcp` or `unix`.
    pub network: String,
    /// Listening address, e.g. `127.0.0.1:10000`.
    pub address: String,
    /// RPC protocol (`grpc`).
    pub protocol: String,
    /// DER of the server certificate; empty when serving plaintext.
    pub server_cert_der: Vec<u8>,
}

/// Parses a handshake line. The certificate must be standard-alphabet
/// base64 **without padding**, as go-plugin reads it.
pub fn parse_handshake(line: &str) -> Result<Handshake, String> {
    let line = line.trim_end_matches(['\r', '\n']);
    let parts: Vec<&str> = line.split('|').collect();
    if parts.len() != 6 {
        return Err(format!(
            "handshake line has {} fields, expected 6: {line:?}",
            parts.len()
        ));
    }
    let core_version = parts[0]
        .parse()
        .map_err(|e| format!("bad core version {:?}: {e}", parts[0]))?;
    let app_version = parts[1]
        .parse()
        .map_err(|e| format!("bad app version {:?}: {e}", parts[1]))?;
    let server_cert_der = if parts[5].is_empty() {
        Vec::new()
    } else {
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(parts[5])
            .map_err(|e| format!("certificate is not unpadded standard base64: {e}"))?
    };
    Ok(Handshake {
        core_version,
        app_version,
        network: parts[2].to_string(),
        address: parts[3].to_string(),
        protocol: parts[4].to_string(),
        server_cert_der,
    })
}

// ---------------------------------------------------------------------------
// Process
// ---------------------------------------------------------------------------

/// A running provider process that completed the handshake. Dropping it
/// kills the process.
pub struct PluginProcess {
    /// The child process (stdout and stderr are owned by reader threads).
    pub child: Child,
    /// Address from the handshake line, e.g. `127.0.0.1:10000`.
    pub addr: String,
    /// DER of the server certificate; empty when serving plaintext.
    pub server_cert_der: Vec<u8>,
    /// The raw handshake line (without the trailing newline).
    pub handshake_line: String,
    /// The parsed handshake line.
    pub handshake: Handshake,
    stderr: Arc<Mutex<Vec<u8>>>,
    stdout_rest: Arc<Mutex<Vec<u8>>>,
}

impl fmt::Debug for PluginProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginProcess")
            .field("pid", &self.child.id())
            .field("addr", &self.addr)
            .field("tls", &!self.server_cert_der.is_empty())
            .finish_non_exhaustive()
    }
}

/// Why a launch did not produce a handshake.
#[derive(Debug)]
pub struct LaunchError {
    /// What went wrong.
    pub message: String,
    /// Exit status, when the process had already exited.
    pub status: Option<ExitStatus>,
    /// Everything the process wrote to stdout.
    pub stdout: String,
    /// Everything the process wrote to stderr.
    pub stderr: String,
}

impl fmt::Display for LaunchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (status: {:?})\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.message, self.status, self.stdout, self.stderr
        )
    }
}

impl StdError for LaunchError {}

/// Launch settings beyond the ones [`launch`] takes.
#[derive(Debug, Clone)]
pub struct LaunchOptions<'a> {
    /// Extra variables, applied last (they override the defaults).
    pub extra_env: &'a [(&'a str, &'a str)],
    /// Variables to remove after the defaults are set (e.g. the cookie).
    pub remove_env: &'a [&'a str],
    /// How long to wait for the handshake line.
    pub timeout: Duration,
}

impl Default for LaunchOptions<'_> {
    fn default() -> Self {
        Self {
            extra_env: &[],
            remove_env: &[],
            timeout: HANDSHAKE_TIMEOUT,
        }
    }
}

/// Launches `binary` like Terraform does and waits for the handshake.
///
/// Environment: `TF_PLUGIN_MAGIC_COOKIE`, `PLUGIN_PROTOCOL_VERSIONS=6`,
/// `PLUGIN_MIN_PORT=10000`, `PLUGIN_MAX_PORT=25000`, and
/// `PLUGIN_CLIENT_CERT=<identity PEM>` when `identity` is given, otherwise
/// `TF_DISABLE_PLUGIN_TLS=1`; then `extra_env`.
///
/// # Panics
/// When the process cannot be started or prints no valid handshake line in
/// time; the message includes its stdout and stderr.
pub fn launch(
    binary: &Path,
    identity: Option<&ClientIdentity>,
    extra_env: &[(&str, &str)],
) -> PluginProcess {
    let options = LaunchOptions {
        extra_env,
        ..LaunchOptions::default()
    };
    try_launch(binary, identity, &options).unwrap_or_else(|e| panic!("provider launch failed: {e}"))
}

/// Like [`launch`], but reports a failed handshake as an error (for tests
/// that expect the provider to refuse to start).
pub fn try_launch(
    binary: &Path,
    identity: Option<&ClientIdentity>,
    options: &LaunchOptions<'_>,
) -> Result<PluginProcess, LaunchError> {
    let mut command = Command::new(binary);
    for key in SCRUBBED_ENV {
        command.env_remove(key);
    }
    command
        .env("TF_PLUGIN_MAGIC_COOKIE", MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000");
    match identity {
        Some(identity) => command.env("PLUGIN_CLIENT_CERT", &identity.cert_pem),
        None => command.env("TF_DISABLE_PLUGIN_TLS", "1"),
    };
    for (key, value) in options.extra_env {
        command.env(key, value);
    }
    for key in options.remove_env {
        command.env_remove(key);
    }
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());

    let mut child = command.spawn().map_err(|e| LaunchError {
        message: format!("cannot start {}: {e}", binary.display()),
        status: None,
        stdout: String::new(),
        stderr: String::new(),
    })?;

    let stderr = Arc::new(Mutex::new(Vec::new()));
    if let Some(mut pipe) = child.stderr.take() {
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || drain(&mut pipe, &sink));
    }
    let stdout_rest = Arc::new(Mutex::new(Vec::new()));
    let (line_tx, line_rx) = mpsc::channel();
    if let Some(pipe) = child.stdout.take() {
        let sink = Arc::clone(&stdout_rest);
        std::thread::spawn(move || read_stdout(pipe, &line_tx, &sink));
    }

    let fail = |child: &mut Child, message: String| {
        let _ = child.kill();
        let status = child.wait().ok();
        // Give the reader threads a moment to collect the last output.
        std::thread::sleep(Duration::from_millis(50));
        LaunchError {
            message,
            status,
            stdout: lossy(&stdout_rest),
            stderr: lossy(&stderr),
        }
    };

    let line = match line_rx.recv_timeout(options.timeout) {
        Ok(Some(line)) => line,
        Ok(None) | Err(mpsc::RecvTimeoutError::Disconnected) => {
            // stdout closed without a line: collect the exit status.
            let status = wait_timeout(&mut child, Duration::from_secs(5));
            let mut error = fail(
                &mut child,
                "provider closed stdout without a handshake line".into(),
            );
            error.status = status.or(error.status);
            return Err(error);
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            return Err(fail(
                &mut child,
                format!("no handshake line within {:?}", options.timeout),
            ));
        }
    };

    let handshake = match parse_handshake(&line) {
        Ok(handshake) => handshake,
        Err(e) => {
            return Err(fail(
                &mut child,
                format!("invalid handshake line {line:?}: {e}"),
            ))
        }
    };
    Ok(PluginProcess {
        child,
        addr: handshake.address.clone(),
        server_cert_der: handshake.server_cert_der.clone(),
        handshake_line: line,
        handshake,
        stderr,
        stdout_rest,
    })
}

/// Reads the first stdout line, hands it over, then keeps draining stdout so
/// the child never blocks on a full pipe.
fn read_stdout(pipe: ChildStdout, line_tx: &mpsc::Sender<Option<String>>, rest: &Mutex<Vec<u8>>) {
    let mut reader = BufReader::new(pipe);
    let mut first = String::new();
    match reader.read_line(&mut first) {
        Ok(n) if n > 0 && first.ends_with('\n') => {
            let _ = line_tx.send(Some(first.trim_end_matches(['\r', '\n']).to_string()));
        }
        _ => {
            // EOF (or error) before a complete line: record what we got.
            if let Ok(mut rest) = rest.lock() {
                rest.extend_from_slice(first.as_bytes());
            }
            let _ = line_tx.send(None);
        }
    }
    drain(&mut reader, rest);
}

/// Copies everything from `reader` into `sink` until EOF.
fn drain(reader: &mut impl Read, sink: &Mutex<Vec<u8>>) {
    let mut buf = [0u8; 8192];
    loop {
        match reader.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if let Ok(mut sink) = sink.lock() {
                    sink.extend_from_slice(&buf[..n]);
                }
            }
        }
    }
}

fn lossy(buffer: &Mutex<Vec<u8>>) -> String {
    buffer
        .lock()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// Polls `child` until it exits or `timeout` passes.
fn wait_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => return None,
        }
    }
}

impl PluginProcess {
    /// Everything the provider wrote to stderr so far (its JSON log lines).
    pub fn stderr_text(&self) -> String {
        lossy(&self.stderr)
    }

    /// Everything the provider wrote to stdout after the handshake line.
    pub fn stdout_text(&self) -> String {
        lossy(&self.stdout_rest)
    }

    /// Whether the server announced a certificate (auto-mTLS on).
    pub fn is_tls(&self) -> bool {
        !self.server_cert_der.is_empty()
    }

    /// Waits up to `timeout` for the process to exit on its own.
    pub fn wait_for_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        wait_timeout(&mut self.child, timeout)
    }

    /// Opens a gRPC channel to the provider.
    ///
    /// Plaintext when the handshake carried no certificate. Otherwise TLS
    /// 1.2/1.3 (rustls, aws-lc-rs) with ALPN `h2` and server name
    /// `localhost`, trusting only the exact certificate from the handshake
    /// and presenting `presented` as client certificate (`None`: no client
    /// certificate at all).
    ///
    /// With TLS 1.3 the server judges the client certificate after the
    /// client considers the handshake done, so a refused client may only
    /// see the failure on its first RPC; tests of refusal should check both.
    pub async fn connect(&self, presented: Option<&ClientIdentity>) -> Result<Channel, BoxError> {
        let tls = if self.is_tls() {
            let config = client_tls_config(&self.server_cert_der, presented)?;
            Some(tokio_rustls::TlsConnector::from(Arc::new(config)))
        } else {
            None
        };
        let connector = PluginConnector {
            addr: self.addr.clone(),
            tls,
        };
        // The URI is only a placeholder: the connector dials `self.addr`.
        let endpoint =
            Endpoint::from_static("http://127.0.0.1").connect_timeout(Duration::from_secs(10));
        Ok(endpoint.connect_with_connector(connector).await?)
    }

    /// A `tfplugin6.Provider` client over a fresh channel (large message
    /// limits, like Terraform).
    ///
    /// # Panics
    /// When the connection fails; the message includes the provider's stderr.
    pub async fn provider_client(
        &self,
        presented: Option<&ClientIdentity>,
    ) -> ProviderClient<Channel> {
        let channel = self.connect(presented).await.unwrap_or_else(|e| {
            panic!(
                "connect to provider failed: {e}\n--- stderr ---\n{}",
                self.stderr_text()
            )
        });
        ProviderClient::new(channel)
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES)
    }

    /// Calls `plugin.GRPCController/Shutdown` over `channel`, as Terraform
    /// does when it is done with the process.
    pub async fn shutdown(&self, channel: Channel) -> Result<(), tonic::Status> {
        GrpcControllerClient::new(channel)
            .shutdown(plugin::Empty {})
            .await
            .map(|_| ())
    }
}

impl Drop for PluginProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------
// Connector
// ---------------------------------------------------------------------------

/// A byte stream tonic can run HTTP/2 over (plain TCP or TLS over TCP).
trait PluginIo: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin {}

impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin> PluginIo for T {}

/// Future returned by [`PluginConnector`].
type ConnectFuture =
    Pin<Box<dyn Future<Output = std::io::Result<TokioIo<Box<dyn PluginIo>>>> + Send>>;

/// tonic connector: dials the provider's address, then optionally runs the
/// TLS handshake (server name `localhost`).
#[derive(Clone)]
struct PluginConnector {
    addr: String,
    tls: Option<tokio_rustls::TlsConnector>,
}

impl Service<Uri> for PluginConnector {
    type Response = TokioIo<Box<dyn PluginIo>>;
    type Error = std::io::Error;
    type Future = ConnectFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _uri: Uri) -> Self::Future {
        let (addr, tls) = (self.addr.clone(), self.tls.clone());
        Box::pin(async move {
            let tcp = tokio::net::TcpStream::connect(addr).await?;
            tcp.set_nodelay(true)?;
            let io: Box<dyn PluginIo> = match tls {
                None => Box::new(tcp),
                Some(tls) => {
                    let server_name =
                        ServerName::try_from("localhost").map_err(std::io::Error::other)?;
                    Box::new(tls.connect(server_name, tcp).await?)
                }
            };
            Ok(TokioIo::new(io))
        })
    }
}

// ---------------------------------------------------------------------------
// TLS
// ---------------------------------------------------------------------------

/// Builds the client TLS configuration: aws-lc-rs, TLS 1.3 and 1.2, ALPN
/// `h2`, the server certificate pinned to `server_cert_der`, and the
/// optional client certificate.
///
/// The client certificate is installed without rustls's "does the key match
/// the certificate" check, so an identity built with
/// [`ClientIdentity::with_key_of`] really reaches the server (which must
/// then refuse the handshake signature).
pub fn client_tls_config(
    server_cert_der: &[u8],
    presented: Option<&ClientIdentity>,
) -> Result<rustls::ClientConfig, BoxError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Arc::new(PinnedServerCert::new(server_cert_der.to_vec(), &provider));
    let client_key = match presented {
        Some(identity) => {
            let key = provider
                .key_provider
                .load_private_key(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
                    identity.key_der.clone(),
                )))?;
            let chain = vec![CertificateDer::from(identity.cert_der.clone())];
            Some(Arc::new(SingleCertAndKey::from(CertifiedKey::new(
                chain, key,
            ))))
        }
        None => None,
    };
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match client_key {
        Some(resolver) => builder.with_client_cert_resolver(resolver),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}

/// Trusts exactly one server certificate (the one from the handshake line)
/// and checks handshake signatures with the crypto provider's algorithms.
#[derive(Debug)]
struct PinnedServerCert {
    expected_der: Vec<u8>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedServerCert {
    fn new(expected_der: Vec<u8>, provider: &CryptoProvider) -> Self {
        Self {
            expected_der,
            algorithms: provider.signature_verification_algorithms,
        }
    }
}

impl ServerCertVerifier for PinnedServerCert {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.expected_der.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
