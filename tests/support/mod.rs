//! Shared support for the end-to-end tests: the moto emulator launcher
//! ([`moto`]), the Terraform workspace helper ([`terraform`]), the
//! protocol-level plugin client ([`plugin_client`]), what `/proc` says about
//! a process ([`process`]), and small helpers they share (repository paths,
//! the provider binary, free ports).
//!
//! Use it from a test crate with `mod support;`. Every test binary uses a
//! different subset, so unused-item warnings are silenced here.
#![allow(dead_code)]

pub mod diagnostics;
pub mod ec2_fixture;
pub mod fault_proxy;
pub mod holdings;
pub mod moto;
pub mod plugin_client;
pub mod policies;
pub mod process;
pub mod sagemaker;
pub mod stopping;
pub mod terraform;

use std::net::TcpListener;
use std::path::{Path, PathBuf};

/// Root of the repository (the directory holding `Cargo.toml`).
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The provider binary Cargo built for this test run.
pub fn provider_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-sagemaker"))
}

/// Scratch directory for tests inside the target directory (same file system
/// as [`provider_binary`], so hard links to it work).
pub fn target_tmpdir() -> &'static Path {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
///
/// The port is released before returning, so another process may take it in
/// between: prefer letting a server bind port 0 and report its port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("bind 127.0.0.1:0 to find a free port")
}

/// `text` on one line with single spaces: Terraform wraps long messages,
/// so compare against this.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Sends `signal` (`-KILL`, `-INT`, `-9`) to process `pid`; panics if `kill` fails.
pub fn signal(signal: &str, pid: &str) {
    let status = std::process::Command::new("kill")
        .args([signal, pid])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {signal} {pid} failed");
}
