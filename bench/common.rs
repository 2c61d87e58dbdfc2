//! What every benchmark of `bench/` shares: the provider binary under
//! measurement, the machine description written at the top of each results
//! file, the results directory, and small statistics helpers.
#![allow(dead_code)] // Each benchmark uses a different subset.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The provider measured: `SAGEMAKER_PROVIDER_BINARY` (`make bench` points it
/// at the release build), else the dev binary Cargo built for this bench.
pub fn provider_binary() -> PathBuf {
    std::env::var_os("SAGEMAKER_PROVIDER_BINARY").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-sagemaker")),
        PathBuf::from,
    )
}

/// `release`, `dev` or `unknown`: the Cargo profile the binary at `path`
/// was built with, read from its directory (`…/release/…`, `…/debug/…`).
pub fn profile_of(path: &Path) -> &'static str {
    let parent = path.parent().and_then(Path::file_name);
    // Cargo's own directories, or a copy's named after them (`after-release`).
    match parent.and_then(|p| p.to_str()) {
        Some(dir) if dir.ends_with("release") => "release",
        Some(dir) if dir.ends_with("debug") => "dev",
        _ => "unknown",
    }
}

/// `bench/results/NAME` in the repository.
pub fn results_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("bench/results")
        .join(name)
}

/// One paragraph: CPU model, cores, memory, kernel, load average, and the
/// provider measured (version, profile, path).
pub fn machine_description() -> String {
    let cpuinfo = read("/proc/cpuinfo");
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map_or("unknown CPU", |m| m.trim_start_matches([' ', '\t', ':']));
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_kib = proc_kib(&read("/proc/meminfo"), "MemTotal:");
    let kernel = read("/proc/sys/kernel/osrelease");
    let provider = provider_binary();
    let client = if cfg!(debug_assertions) {
        "dev profile"
    } else {
        "release profile"
    };
    format!(
        "Machine: {model}, {cores} cores, {:.0} GiB RAM, Linux {}; load average at the start {}. \
         Provider {} ({} profile): `{}`; measuring client: {client}.",
        mem_kib as f64 / 1_048_576.0,
        kernel.trim(),
        load_average(),
        env!("CARGO_PKG_VERSION"),
        profile_of(&provider),
        provider.display(),
    )
}

/// The 1-minute load average (`/proc/loadavg`), e.g. `1.84`: above the core
/// count, other work shared the CPU and absolute figures are noisy.
pub fn load_average() -> String {
    read("/proc/loadavg")
        .split_whitespace()
        .next()
        .unwrap_or("?")
        .to_owned()
}

/// The first line `program ARGS` prints (stdout, else stderr), or why not.
pub fn version_of(program: &Path, args: &[&str]) -> String {
    match Command::new(program).args(args).output() {
        Ok(out) => {
            let text = if out.stdout.is_empty() {
                out.stderr
            } else {
                out.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_owned()
        }
        Err(e) => format!("not found ({}: {e})", program.display()),
    }
}

/// A `/proc` size line (`VmHWM:   20480 kB`) as KiB; 0 when absent.
pub fn proc_kib(text: &str, key: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The peak resident set (`VmHWM`) of process `pid` so far, in KiB; 0 once
/// it has exited.
pub fn vm_hwm_kib(pid: u32) -> u64 {
    proc_kib(&read(&format!("/proc/{pid}/status")), "VmHWM:")
}

/// A file's text, empty when it cannot be read.
fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Milliseconds, for tables.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The median of `samples` (at least one).
pub fn median(samples: &[Duration]) -> Duration {
    percentile(samples, 0.5)
}

/// The `p` quantile (0..=1) of `samples` (at least one), nearest rank.
pub fn percentile(samples: &[Duration], p: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}
