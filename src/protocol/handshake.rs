//! The go-plugin handshake: check that Terraform started us (magic cookie,
//! protocol 6), bind a loopback port in the allowed range, and print the
//! one line Terraform reads from stdout.

use std::io::Write;
use tokio::net::TcpListener;

/// The cookie go-plugin puts in the environment of every Terraform plugin.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
/// Its value for Terraform providers.
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// What Terraform told us through the environment.
#[derive(Debug)]
pub struct PluginEnv {
    /// Terraform's client certificate (PEM); `None` when TLS is disabled.
    pub client_cert_pem: Option<String>,
    pub min_port: u16,
    pub max_port: u16,
}

/// Why the provider cannot serve.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    #[error(
        "This binary is a plugin for Terraform and is not meant to be run directly.\n\
         Install it with `make install` and run `terraform init`, or start it with --debug \
         to attach Terraform to it (see README)."
    )]
    NotStartedByTerraform,
    #[error("Terraform asked for plugin protocol versions {0:?}; this provider speaks only 6 (Terraform 1.0 or newer).")]
    UnsupportedProtocol(String),
    #[error(
        "PLUGIN_CLIENT_CERT is missing: Terraform sets it unless TF_DISABLE_PLUGIN_TLS is set."
    )]
    MissingClientCert,
    #[error("no free port on 127.0.0.1 between {0} and {1}: {2}")]
    NoPort(u16, u16, std::io::Error),
}

/// Reads and checks the plugin environment.
pub fn read_env() -> Result<PluginEnv, HandshakeError> {
    let var = |key: &str| std::env::var(key).ok().filter(|v| !v.is_empty());
    if var(MAGIC_COOKIE_KEY).as_deref() != Some(MAGIC_COOKIE_VALUE) {
        return Err(HandshakeError::NotStartedByTerraform);
    }
    if let Some(versions) = var("PLUGIN_PROTOCOL_VERSIONS") {
        if !versions.split(',').any(|v| v.trim() == "6") {
            return Err(HandshakeError::UnsupportedProtocol(versions));
        }
    }
    let tls_disabled = var("TF_DISABLE_PLUGIN_TLS").is_some();
    let client_cert_pem = if tls_disabled {
        None
    } else {
        Some(var("PLUGIN_CLIENT_CERT").ok_or(HandshakeError::MissingClientCert)?)
    };
    let port = |key: &str, default: u16| var(key).and_then(|v| v.parse().ok()).unwrap_or(default);
    Ok(PluginEnv {
        client_cert_pem,
        min_port: port("PLUGIN_MIN_PORT", 10000),
        max_port: port("PLUGIN_MAX_PORT", 25000),
    })
}

/// Binds 127.0.0.1 on a port in `[min, max]`, starting at a random offset
/// so that several providers started at once do not race for one port.
pub async fn bind(min: u16, max: u16) -> Result<TcpListener, HandshakeError> {
    let (min, max) = (min.min(max), max.max(min));
    let span = u32::from(max - min) + 1;
    let start = random_below(span);
    let mut last_error = std::io::Error::other("empty port range");
    for i in 0..span {
        let port = min + ((start + i) % span) as u16;
        match TcpListener::bind(("127.0.0.1", port)).await {
            Ok(listener) => return Ok(listener),
            Err(e) => last_error = e,
        }
    }
    Err(HandshakeError::NoPort(min, max, last_error))
}

fn random_below(n: u32) -> u32 {
    use std::hash::{BuildHasher, RandomState};
    (RandomState::new().hash_one(std::process::id()) % u64::from(n)) as u32
}

/// The handshake line: `1|6|tcp|ADDR|grpc|CERT`, CERT being the server
/// certificate DER in unpadded standard base64 (empty for plaintext).
pub fn handshake_line(addr: std::net::SocketAddr, server_cert_der: Option<&[u8]>) -> String {
    use base64::Engine;
    let cert =
        server_cert_der.map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der));
    format!("1|6|tcp|{addr}|grpc|{}\n", cert.unwrap_or_default())
}

/// Writes `line` to stdout and flushes it: Terraform waits for it.
pub fn announce(line: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(line.as_bytes())?;
    stdout.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_line_has_six_fields_and_unpadded_base64() {
        let addr = "127.0.0.1:12345".parse().unwrap();
        let line = handshake_line(addr, Some(&[1, 2, 3, 4]));
        assert_eq!(line, "1|6|tcp|127.0.0.1:12345|grpc|AQIDBA\n");
        assert_eq!(
            handshake_line(addr, None),
            "1|6|tcp|127.0.0.1:12345|grpc|\n"
        );
    }

    #[tokio::test]
    async fn binds_inside_the_range() {
        let listener = bind(20000, 20100).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        assert!((20000..=20100).contains(&port));
    }
}
