//! A throw-away Terraform working directory wired to the local provider build.
//!
//! [`Workspace::new`] creates a temporary directory (under Cargo's
//! `CARGO_TARGET_TMPDIR`, so the provider binary can be hard-linked) holding:
//!
//! - `mirror/registry.terraform.io/privatelink/sagemaker/<version>/<os_arch>/terraform-provider-sagemaker_v<version>`,
//!   an unpacked filesystem mirror with the binary under test;
//! - `terraformrc`, a CLI config whose only installation method is that
//!   mirror (no `direct` block, no plugin cache), so `terraform init` works
//!   offline;
//! - `main.tf`.
//!
//! Every command runs in that directory with a clean environment: inherited
//! `TF_*` and `AWS_*` variables are dropped (no real credentials can leak in),
//! then the workspace's own variables ([`Workspace::set_env`], e.g. from
//! `Moto::aws_env`) are applied. The `*_ok` helpers panic with the full
//! output when the command fails. Set `KEEP_TF_WORKSPACE=1` to keep the
//! directory of a failing test; its path is printed on stderr.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::{self, sleep, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

/// Provider source address as written in `required_providers`.
pub const PROVIDER_SOURCE: &str = "registry.terraform.io/privatelink/sagemaker";
/// Provider version installed in the mirror (the crate version).
pub const PROVIDER_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The `terraform` block every test configuration starts with: it requires
/// this provider (installed from the workspace's mirror).
pub const REQUIRED_PROVIDERS: &str = r#"terraform {
  required_providers {
    sagemaker = { source = "privatelink/sagemaker" }
  }
}
"#;

/// The provider settings most test configurations use: default tags.
pub const TEAM_TAGS: &str = r#"default_tags { tags = { Team = "ml-platform" } }"#;

/// The header of a test configuration: [`REQUIRED_PROVIDERS`], then a
/// `provider "sagemaker"` block holding `settings` (default tags, a fault
/// proxy's endpoints block, …).
pub fn provider_header(settings: &str) -> String {
    format!("{REQUIRED_PROVIDERS}provider \"sagemaker\" {{\n  {settings}\n}}\n")
}

/// `items` as the inside of an HCL list of strings: `"a", "b"`.
pub fn hcl_strings(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Default limit for one terraform command (override: `TF_TEST_TIMEOUT_SECS`).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
/// Commands whose colours are turned off through `TF_CLI_ARGS_<command>`.
const NO_COLOR_COMMANDS: [&str; 9] = [
    "init", "validate", "plan", "apply", "destroy", "refresh", "import", "show", "output",
];
/// Name of the saved plan written by [`Workspace::plan_json`].
const PLAN_FILE: &str = "tfplan";

/// A temporary Terraform working directory; removed on drop.
pub struct Workspace {
    dir: TempDir,
    env: Vec<(String, String)>,
}

/// What a terraform command printed, and how it ended.
#[derive(Debug)]
pub struct Output {
    /// Exit status (a timed-out command is killed: no exit code).
    pub status: ExitStatus,
    /// Everything printed on stdout.
    pub stdout: String,
    /// Everything printed on stderr, plus the harness's own notes.
    pub stderr: String,
}

impl Output {
    /// True if the command exited with status 0.
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// stdout then stderr, for `contains` checks on error messages.
    pub fn combined(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl Workspace {
    /// A workspace with the provider binary of this test run in its mirror.
    pub fn new(main_tf: &str) -> Workspace {
        Workspace::with_provider(main_tf, &super::provider_binary())
    }

    /// A workspace whose mirror holds `provider` (any executable) as the
    /// provider binary.
    pub fn with_provider(main_tf: &str, provider: &Path) -> Workspace {
        let dir = tempfile::Builder::new()
            .prefix("tf-workspace-")
            .tempdir_in(super::target_tmpdir())
            .expect("create a temporary Terraform workspace");
        let mut workspace = Workspace {
            dir,
            env: Vec::new(),
        };
        workspace.install_provider(provider);
        workspace.write_cli_config();
        workspace.set_base_env();
        workspace.write("main.tf", main_tf);
        workspace
    }

    /// The working directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The filesystem mirror's root directory.
    pub fn mirror_dir(&self) -> PathBuf {
        self.path().join("mirror")
    }

    /// Writes (or replaces) a file in the working directory.
    pub fn write(&self, name: &str, content: &str) {
        let path = self.path().join(name);
        fs::write(&path, content).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    /// Reads a file of the working directory (e.g. `.terraform.lock.hcl`).
    pub fn read(&self, name: &str) -> String {
        let path = self.path().join(name);
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    /// Sets an environment variable for every later command (replacing an
    /// earlier value of the same name).
    pub fn set_env(&mut self, key: &str, value: &str) -> &mut Workspace {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// [`Workspace::set_env`] for each pair, e.g. `ws.set_envs(moto.aws_env())`.
    pub fn set_envs(&mut self, vars: impl IntoIterator<Item = (String, String)>) -> &mut Workspace {
        for (key, value) in vars {
            self.set_env(&key, &value);
        }
        self
    }

    /// Logs Terraform and the provider at `level` (`trace`…`error`) to `path`.
    pub fn with_log(&mut self, level: &str, path: &Path) -> &mut Workspace {
        self.set_env("TF_LOG", level);
        self.set_env("TF_LOG_PATH", &path.to_string_lossy())
    }

    /// Makes Terraform use an already running provider (`--debug` mode)
    /// listening on `addr` (`127.0.0.1:PORT`) instead of starting one.
    pub fn with_reattach(&mut self, addr: &str, pid: u32) -> &mut Workspace {
        let reattach = serde_json::json!({ PROVIDER_SOURCE: {
            "Protocol": "grpc", "ProtocolVersion": 6, "Pid": pid, "Test": true,
            "Addr": { "Network": "tcp", "String": addr },
        }});
        self.set_env("TF_REATTACH_PROVIDERS", &reattach.to_string())
    }

    /// Runs `terraform ARGS`; never panics (a failure to start or a timeout
    /// is reported in `stderr` with a failed status).
    pub fn run(&self, args: &[&str]) -> Output {
        let mut command = self.command(args);
        match command.spawn() {
            Ok(child) => wait_with_timeout(child, timeout()),
            Err(e) => failed_to_start(&command, &e),
        }
    }

    /// Runs `terraform ARGS` (which must succeed) with the provider logging
    /// at debug level, and returns the AWS operations it called, in log
    /// order (from the provider's "AWS call" lines).
    pub fn aws_calls_of(&mut self, args: &[&str]) -> Vec<String> {
        let log = self
            .path()
            .join(format!("aws-calls-{}.log", args.join("-")));
        let saved = self.env.clone();
        self.set_env("TF_LOG_PROVIDER", "DEBUG");
        self.set_env("TF_LOG_PATH", &log.to_string_lossy());
        let output = self.run(args);
        self.env = saved;
        assert!(output.success(), "{}", self.report(args, "failed", &output));
        let text =
            std::fs::read_to_string(&log).unwrap_or_else(|e| panic!("read {}: {e}", log.display()));
        text.lines()
            .filter(|l| l.contains("AWS call"))
            .map(|l| {
                l.split_whitespace()
                    .find_map(|w| w.strip_prefix("aws_operation="))
                    .unwrap_or("?")
                    .to_owned()
            })
            .collect()
    }

    /// Runs `terraform ARGS`; panics with the full output unless it succeeds.
    pub fn run_ok(&self, args: &[&str]) -> Output {
        let output = self.run(args);
        assert!(output.success(), "{}", self.report(args, "failed", &output));
        output
    }

    /// Runs `terraform ARGS`; panics unless it fails, returns stdout + stderr.
    pub fn run_err(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            !output.success(),
            "{}",
            self.report(args, "succeeded but was expected to fail", &output)
        );
        output.combined()
    }

    /// `terraform init`, must succeed.
    pub fn init(&self) -> Output {
        self.run_ok(&["init", "-input=false"])
    }

    /// `terraform plan`, must succeed.
    pub fn plan_ok(&self) -> Output {
        self.run_ok(&["plan", "-input=false"])
    }

    /// `terraform plan`, must fail; returns stdout + stderr.
    pub fn plan_err(&self) -> String {
        self.run_err(&["plan", "-input=false"])
    }

    /// `terraform plan -detailed-exitcode`; panics (with the plan) unless
    /// the plan is empty — the check that apply converged.
    pub fn plan_no_changes(&self) {
        let args = ["plan", "-input=false", "-detailed-exitcode"];
        let output = self.run(&args);
        match output.status.code() {
            Some(0) => {}
            Some(2) => panic!(
                "{}",
                self.report(&args, "planned changes where none were expected", &output)
            ),
            _ => panic!("{}", self.report(&args, "failed", &output)),
        }
    }

    /// `terraform plan -refresh-only -detailed-exitcode`; panics unless the
    /// refresh finds nothing changed outside Terraform (exit 0): the check a
    /// nightly drift job makes.
    pub fn refresh_only_no_changes(&self) {
        let args = [
            "plan",
            "-refresh-only",
            "-input=false",
            "-detailed-exitcode",
        ];
        let output = self.run(&args);
        match output.status.code() {
            Some(0) => {}
            Some(2) => panic!(
                "{}",
                self.report(&args, "found drift where none was expected", &output)
            ),
            _ => panic!("{}", self.report(&args, "failed", &output)),
        }
    }

    /// `terraform apply -auto-approve`, must succeed.
    pub fn apply_ok(&self) -> Output {
        self.run_ok(&["apply", "-input=false", "-auto-approve"])
    }

    /// `terraform apply -auto-approve`, must fail; returns stdout + stderr.
    pub fn apply_err(&self) -> String {
        self.run_err(&["apply", "-input=false", "-auto-approve"])
    }

    /// `terraform destroy -auto-approve`, must succeed.
    pub fn destroy_ok(&self) -> Output {
        self.run_ok(&["destroy", "-input=false", "-auto-approve"])
    }

    /// `terraform import ADDRESS ID`, must succeed.
    pub fn import_ok(&self, address: &str, id: &str) -> Output {
        self.run_ok(&["import", "-input=false", address, id])
    }

    /// `terraform output -json`, parsed.
    pub fn output_json(&self) -> Value {
        self.json(&["output", "-json"])
    }

    /// `terraform show -json` of the current state, parsed.
    pub fn show_json(&self) -> Value {
        self.json(&["show", "-json"])
    }

    /// `terraform plan -out` then `terraform show -json` of that plan, parsed.
    pub fn plan_json(&self) -> Value {
        self.run_ok(&["plan", "-input=false", &format!("-out={PLAN_FILE}")]);
        self.json(&["show", "-json", PLAN_FILE])
    }

    /// `terraform state list`: one resource address per entry.
    pub fn state_list(&self) -> Vec<String> {
        let output = self.run_ok(&["state", "list"]);
        output
            .stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// Runs a command that must succeed and parses its stdout as JSON.
    pub fn json(&self, args: &[&str]) -> Value {
        let output = self.run_ok(args);
        serde_json::from_str(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "{}",
                self.report(args, &format!("printed invalid JSON ({e})"), &output)
            )
        })
    }

    /// The terraform command with the workspace's directory and environment.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(terraform_program());
        command.args(args).current_dir(self.path());
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, _) in std::env::vars_os() {
            if is_isolated_var(&key) {
                command.env_remove(key);
            }
        }
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// Panic message: what ran, where, how it ended, everything it printed.
    fn report(&self, args: &[&str], what: &str, output: &Output) -> String {
        format!(
            "`terraform {}` {what} ({}) in {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            args.join(" "),
            output.status,
            self.path().display(),
            output.stdout,
            output.stderr
        )
    }

    /// Hard-links (or copies) `provider` into the mirror.
    fn install_provider(&self, provider: &Path) {
        let dir = self.provider_dir();
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        let target = dir.join(format!("terraform-provider-sagemaker_v{PROVIDER_VERSION}"));
        fs::hard_link(provider, &target)
            .or_else(|_| fs::copy(provider, &target).map(drop))
            .unwrap_or_else(|e| {
                panic!(
                    "install {} as {}: {e}",
                    provider.display(),
                    target.display()
                )
            });
    }

    /// `mirror/HOST/NAMESPACE/TYPE/VERSION/OS_ARCH`.
    fn provider_dir(&self) -> PathBuf {
        self.mirror_dir()
            .join(PROVIDER_SOURCE)
            .join(PROVIDER_VERSION)
            .join(os_arch())
    }

    /// Writes `terraformrc`: the mirror as the only installation method.
    fn write_cli_config(&self) {
        let mirror = hcl_string(&self.mirror_dir().to_string_lossy());
        let include = hcl_string(PROVIDER_SOURCE);
        let config = format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = {mirror}\n    include = [{include}]\n  }}\n}}\n"
        );
        self.write("terraformrc", &config);
    }

    /// The variables every command gets before [`Workspace::set_env`] ones.
    fn set_base_env(&mut self) {
        let cli_config = self.path().join("terraformrc");
        self.set_env("TF_CLI_CONFIG_FILE", &cli_config.to_string_lossy());
        self.set_env("TF_IN_AUTOMATION", "1");
        self.set_env("TF_INPUT", "0");
        self.set_env("CHECKPOINT_DISABLE", "1");
        for command in NO_COLOR_COMMANDS {
            self.set_env(&format!("TF_CLI_ARGS_{command}"), "-no-color");
        }
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        if thread::panicking() && std::env::var("KEEP_TF_WORKSPACE").is_ok_and(|v| v == "1") {
            self.dir.disable_cleanup(true);
            eprintln!(
                "KEEP_TF_WORKSPACE=1: Terraform workspace kept at {}",
                self.path().display()
            );
        }
    }
}

/// `TERRAFORM`, else `terraform` from `PATH`.
fn terraform_program() -> PathBuf {
    std::env::var_os("TERRAFORM").map_or_else(|| PathBuf::from("terraform"), PathBuf::from)
}

/// Limit per command: `TF_TEST_TIMEOUT_SECS`, else five minutes.
fn timeout() -> Duration {
    std::env::var("TF_TEST_TIMEOUT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs)
}

/// Inherited variables a workspace never passes on (`TF_*`, `AWS_*`).
fn is_isolated_var(key: &OsStr) -> bool {
    let key = key.to_string_lossy();
    key.starts_with("TF_") || key.starts_with("AWS_")
}

/// Terraform's `OS_ARCH` for this machine (`linux_amd64`, `darwin_arm64`…).
fn os_arch() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    format!("{}_{arch}", std::env::consts::OS)
}

/// A quoted HCL string (JSON escaping is valid HCL for paths).
fn hcl_string(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

/// Collects the child's output; kills it after `limit`.
fn wait_with_timeout(mut child: Child, limit: Duration) -> Output {
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let deadline = Instant::now() + limit;
    let (status, timed_out) = loop {
        match child.try_wait() {
            Ok(Some(status)) => break (status, false),
            Ok(None) if Instant::now() < deadline => sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                break (
                    child.wait().expect("reap the killed terraform process"),
                    true,
                );
            }
        }
    };
    let mut stderr = stderr.join().unwrap_or_default();
    if timed_out {
        let _ = writeln!(
            stderr,
            "\n[harness] terraform killed after {limit:?} (TF_TEST_TIMEOUT_SECS)"
        );
    }
    Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr,
    }
}

/// Reads a pipe to its end on a thread, so the child never blocks on it.
fn drain(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// The [`Output`] of a command that could not be started (exit code 127).
fn failed_to_start(command: &Command, error: &std::io::Error) -> Output {
    use std::os::unix::process::ExitStatusExt;
    Output {
        status: ExitStatus::from_raw(127 << 8),
        stdout: String::new(),
        stderr: format!(
            "[harness] could not start {:?}: {error} (set TERRAFORM to its path)\n",
            command.get_program()
        ),
    }
}
