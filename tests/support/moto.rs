//! Launcher for the moto server, the local AWS emulator the end-to-end tests
//! run against.
//!
//! [`Moto::start`] runs the project's emulator launcher,
//! `<repo>/.venv/bin/python <repo>/emulator/serve.py -H 127.0.0.1 -p 0`:
//! moto's server with the SageMaker Studio extension loaded (see
//! `emulator/README.md`). Env `MOTO_SERVER` names another program taking the
//! same arguments (a plain `moto_server` has no Studio). It reads the port the
//! server bound from its log, waits until `GET /moto-api/` answers, and warms
//! the EC2 backend up. Dropping the [`Moto`] kills and reaps the server; a small
//! `sh` watchdog also kills it if the test process dies without unwinding
//! (SIGKILL, abort), so no emulator outlives its test binary.
//!
//! Talking to it from tests needs no HTTP crate: [`Moto::query`] sends an
//! AWS query-protocol call (EC2, IAM, STS) over a plain `TcpStream`. The
//! signature is a dummy: moto does not verify signatures, it only reads the
//! access key and the service out of the `Authorization` header.
//!
//! # Isolation — recommended strategy
//!
//! **One process-wide server ([`shared`]) and one fresh account per test
//! ([`Moto::new_account`]).** moto routes every request to the account that
//! owns the request's access key, so a test that runs Terraform with
//! [`Account::aws_env`] sees only its own VPCs, endpoints, models and domains,
//! even though the provider talks through the AWS SDK and cannot send moto's
//! `x-moto-account-id` header. Tests then run in parallel on one warm server.
//!
//! **Never [`Moto::reset`] the shared server**: a reset wipes every account,
//! including those of tests running at the same time. A test that needs a
//! pristine server (repeatable IDs with [`Moto::reset_seeded`], or checks on
//! the default account) starts its own with [`Moto::start`] (~1–2 s).
//!
//! Unique resource names alone are not enough: the default VPC, the AZ list
//! and the endpoint-service list are per account, and `SageMaker` silently
//! overwrites a model or domain of the same name.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::thread::sleep;
use std::time::{Duration, Instant};

/// The region every test uses.
pub const REGION: &str = "us-east-1";
/// The account moto uses for the dummy `testing` credentials.
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";
/// The dummy access key (and secret) of [`DEFAULT_ACCOUNT_ID`].
pub const DEFAULT_ACCESS_KEY: &str = "testing";

/// How long the server gets to bind its port and answer.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// Read/write timeout of one HTTP exchange with the server.
const IO_TIMEOUT: Duration = Duration::from_secs(60);
/// Interval between readiness probes.
const POLL: Duration = Duration::from_millis(20);
/// What the server logs once it is listening (werkzeug's startup banner).
const LISTENING: &str = "Running on http://127.0.0.1:";
/// Kills the server (`$2`) once the test process (`$1`) is gone.
const WATCHDOG: &str = r#"while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; kill -9 "$2" 2>/dev/null"#;

/// A running moto server, killed on drop.
pub struct Moto {
    /// Port on 127.0.0.1.
    pub port: u16,
    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL`.
    pub endpoint: String,
    child: Child,
    watchdog: Option<Child>,
    log: File,
}

/// An isolated moto account with its own credentials.
#[derive(Clone, Debug)]
pub struct Account {
    /// 12-digit account id.
    pub id: String,
    /// Access key id; moto routes every request signed with it to [`Account::id`].
    pub access_key_id: String,
    /// Secret access key (moto does not check signatures).
    pub secret_access_key: String,
    endpoint: String,
}

/// Status and body of one HTTP exchange with the server.
#[derive(Clone, Debug)]
pub struct HttpResponse {
    /// HTTP status code.
    pub status: u16,
    /// Body, decoded as UTF-8 (lossy).
    pub body: String,
}

/// The process-wide server, started on first use and never reset.
///
/// Isolate tests on it with [`Moto::new_account`]; see the module doc.
pub fn shared() -> &'static Moto {
    static SHARED: OnceLock<Moto> = OnceLock::new();
    SHARED.get_or_init(Moto::start)
}

impl Moto {
    /// Starts a private server and waits until it answers, EC2 warmed up.
    ///
    /// Panics if the launcher is missing (run `scripts/venv.sh`) or does not
    /// answer within 20 s; the panic message carries the server's log.
    pub fn start() -> Moto {
        let log = tempfile::tempfile().expect("create a temporary file for the moto log");
        let child = spawn_server(server_command(), &log);
        let watchdog = spawn_watchdog(child.id());
        let mut moto = Moto {
            port: 0,
            endpoint: String::new(),
            child,
            watchdog,
            log,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        moto.port = moto.wait_for_port(deadline);
        moto.endpoint = format!("http://127.0.0.1:{}", moto.port);
        moto.wait_until_answering(deadline);
        moto.warm_up();
        moto
    }

    /// Process id of the server.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the server wrote to stdout and stderr so far.
    pub fn log(&self) -> String {
        read_from_start(&self.log)
    }

    /// Wipes all state of all accounts (`POST /moto-api/reset`).
    ///
    /// Only for a server this test owns, never for [`shared`].
    pub fn reset(&self) {
        self.request("POST", "/moto-api/reset", &[], "")
            .expect_ok("reset moto");
    }

    /// [`Moto::reset`], then seeds moto's ID generator so that generated IDs
    /// repeat from run to run.
    pub fn reset_seeded(&self, seed: u64) {
        self.reset();
        let path = format!("/moto-api/seed?a={seed}");
        self.request("POST", &path, &[], "").expect_ok("seed moto");
    }

    /// Creates a fresh account (unique id) with an IAM user and access key.
    ///
    /// Everything done with [`Account::aws_env`] stays inside that account.
    pub fn new_account(&self) -> Account {
        let id = next_account_id();
        let as_new = [("x-moto-account-id", id.as_str())];
        let user = [
            ("Action", "CreateUser"),
            ("Version", "2010-05-08"),
            ("UserName", "e2e"),
        ];
        self.call("iam", DEFAULT_ACCESS_KEY, &as_new, &user)
            .expect_ok("IAM CreateUser");
        let key = [
            ("Action", "CreateAccessKey"),
            ("Version", "2010-05-08"),
            ("UserName", "e2e"),
        ];
        let created = self
            .call("iam", DEFAULT_ACCESS_KEY, &as_new, &key)
            .expect_ok("IAM CreateAccessKey");
        Account {
            access_key_id: created.xml_text("AccessKeyId"),
            secret_access_key: created.xml_text("SecretAccessKey"),
            endpoint: self.endpoint.clone(),
            id,
        }
    }

    /// Environment pointing the AWS SDK (and so the provider) at this server,
    /// with the default account's dummy credentials.
    pub fn aws_env(&self) -> Vec<(String, String)> {
        sdk_env(&self.endpoint, DEFAULT_ACCESS_KEY, DEFAULT_ACCESS_KEY)
    }

    /// Sends an AWS query-protocol call (`POST /`, form body) to `service`
    /// (`"ec2"`, `"iam"`, `"sts"`) as `account` (`None`: the default account).
    ///
    /// `params` must include `Action` and `Version`, e.g.
    /// `[("Action", "DescribeVpcs"), ("Version", "2016-11-15")]`.
    pub fn query(
        &self,
        service: &str,
        account: Option<&Account>,
        params: &[(&str, &str)],
    ) -> HttpResponse {
        let key = account.map_or(DEFAULT_ACCESS_KEY, |a| a.access_key_id.as_str());
        self.call(service, key, &[], params)
    }

    /// Sends an AWS JSON-protocol call (`X-Amz-Target: PREFIX.OPERATION`) as
    /// `account`, e.g. `json_call("sagemaker", "SageMaker", Some(&a),
    /// "DescribeModel", r#"{"ModelName":"m"}"#)`.
    pub fn json_call(
        &self,
        service: &str,
        target_prefix: &str,
        account: Option<&Account>,
        operation: &str,
        body: &str,
    ) -> HttpResponse {
        let key = account.map_or(DEFAULT_ACCESS_KEY, |a| a.access_key_id.as_str());
        let authorization = dummy_authorization(key, service);
        let target = format!("{target_prefix}.{operation}");
        let headers = [
            ("Authorization", authorization.as_str()),
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", target.as_str()),
        ];
        self.request("POST", "/", &headers, body)
    }

    /// Sends an AWS REST-protocol call without a body (`METHOD PATH`) to
    /// `service` as `account`, e.g. `rest_call("elasticfilesystem",
    /// Some(&a), "GET", "/2015-02-01/file-systems")`.
    pub fn rest_call(
        &self,
        service: &str,
        account: Option<&Account>,
        method: &str,
        path: &str,
    ) -> HttpResponse {
        let key = account.map_or(DEFAULT_ACCESS_KEY, |a| a.access_key_id.as_str());
        let authorization = dummy_authorization(key, service);
        self.request(
            method,
            path,
            &[("Authorization", authorization.as_str())],
            "",
        )
    }

    /// One raw HTTP/1.1 exchange with the server; panics (with the server log)
    /// only if the connection fails, not on an error status.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> HttpResponse {
        http(self.port, method, path, headers, body).unwrap_or_else(|e| {
            panic!(
                "{method} {path} to moto failed: {e}\n--- moto log ---\n{}",
                self.log()
            )
        })
    }

    /// A query call signed (dummily) with `access_key`, plus extra headers.
    fn call(
        &self,
        service: &str,
        access_key: &str,
        headers: &[(&str, &str)],
        params: &[(&str, &str)],
    ) -> HttpResponse {
        let authorization = dummy_authorization(access_key, service);
        let mut all = vec![
            ("Authorization", authorization.as_str()),
            (
                "Content-Type",
                "application/x-www-form-urlencoded; charset=utf-8",
            ),
        ];
        all.extend_from_slice(headers);
        self.request("POST", "/", &all, &form_encode(params))
    }

    /// Waits for the "Running on" banner and returns the port in it.
    fn wait_for_port(&mut self, deadline: Instant) -> u16 {
        loop {
            if let Some(port) = parse_port(&self.log()) {
                return port;
            }
            self.check_alive_before(deadline, "bind a port");
            sleep(POLL);
        }
    }

    /// Waits until `GET /moto-api/` answers 200.
    fn wait_until_answering(&mut self, deadline: Instant) {
        loop {
            if http(self.port, "GET", "/moto-api/", &[], "").is_ok_and(|r| r.status == 200) {
                return;
            }
            self.check_alive_before(deadline, "answer GET /moto-api/");
            sleep(POLL);
        }
    }

    /// Panics (with the log) if the server exited or the deadline passed.
    fn check_alive_before(&mut self, deadline: Instant, what: &str) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!(
                "the emulator exited ({status}) before it could {what}\n--- moto log ---\n{}",
                self.log()
            );
        }
        assert!(
            Instant::now() <= deadline,
            "the emulator did not {what} within {START_TIMEOUT:?}\n--- moto log ---\n{}",
            self.log()
        );
    }

    /// Loads the EC2 backend (lazy, 1–2 s) so the first test call is fast.
    fn warm_up(&self) {
        let describe = [("Action", "DescribeVpcs"), ("Version", "2016-11-15")];
        self.query("ec2", None, &describe)
            .expect_ok("warm-up EC2 DescribeVpcs");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        // Watchdog first, so it cannot kill a recycled pid.
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Account {
    /// Environment pointing the AWS SDK (and so the provider) at the server,
    /// signed as this account.
    pub fn aws_env(&self) -> Vec<(String, String)> {
        sdk_env(&self.endpoint, &self.access_key_id, &self.secret_access_key)
    }
}

impl HttpResponse {
    /// True for a 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Returns `self` if 2xx, else panics naming `what` with status and body.
    pub fn expect_ok(self, what: &str) -> HttpResponse {
        assert!(
            self.is_success(),
            "{what}: HTTP {}\n{}",
            self.status,
            self.body
        );
        self
    }

    /// Text of the first `<tag>…</tag>` in an XML body; panics if absent.
    pub fn xml_text(&self, tag: &str) -> String {
        let open = format!("<{tag}>");
        let close = format!("</{tag}>");
        let start = self.body.find(&open).map(|i| i + open.len());
        let text = start.and_then(|s| {
            self.body[s..]
                .find(&close)
                .map(|len| &self.body[s..s + len])
        });
        text.unwrap_or_else(|| panic!("no <{tag}> in response:\n{}", self.body))
            .to_owned()
    }
}

/// `MOTO_SERVER`, else `<repo>/.venv/bin/python <repo>/emulator/serve.py`;
/// panics if missing.
fn server_command() -> Command {
    if let Some(program) = std::env::var_os("MOTO_SERVER").map(PathBuf::from) {
        assert!(
            program.is_file(),
            "MOTO_SERVER={} is not a file (a moto_server-compatible executable)",
            program.display()
        );
        return Command::new(program);
    }
    let root = super::repo_root();
    let python = root.join(".venv/bin/python");
    assert!(
        python.is_file(),
        "{} not found: run `make test` or `scripts/venv.sh` to create .venv \
         (or set MOTO_SERVER to a moto_server executable)",
        python.display()
    );
    let mut command = Command::new(python);
    command.arg(root.join("emulator/serve.py"));
    command
}

/// Spawns the server on an OS-chosen port, output appended to `log`.
fn spawn_server(mut command: Command, log: &File) -> Child {
    let output = || Stdio::from(log.try_clone().expect("duplicate the moto log file"));
    command
        .args(["-H", "127.0.0.1", "-p", "0"])
        .stdin(Stdio::null())
        .stdout(output())
        .stderr(output())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start the emulator ({command:?}): {e}"))
}

/// Spawns the `sh` watchdog that kills `server_pid` once this process is gone.
fn spawn_watchdog(server_pid: u32) -> Option<Child> {
    Command::new("sh")
        .args(["-c", WATCHDOG, "moto-watchdog"])
        .args([std::process::id().to_string(), server_pid.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()
}

/// Reads a file from offset 0 without moving the offset the server writes at.
fn read_from_start(file: &File) -> String {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 8192];
    while let Ok(n @ 1..) = file.read_at(&mut buf, bytes.len() as u64) {
        bytes.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The port in werkzeug's "Running on http://127.0.0.1:PORT" banner.
fn parse_port(log: &str) -> Option<u16> {
    let rest = &log[log.find(LISTENING)? + LISTENING.len()..];
    let digits = rest.split(|c: char| !c.is_ascii_digit()).next()?;
    digits.parse().ok()
}

/// A fresh, process-unique 12-digit account id.
fn next_account_id() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("9{:05}{:06}", std::process::id() % 100_000, n % 1_000_000)
}

/// The variables the AWS SDK reads, isolated from any real AWS configuration.
fn sdk_env(endpoint: &str, key: &str, secret: &str) -> Vec<(String, String)> {
    [
        ("AWS_ACCESS_KEY_ID", key),
        ("AWS_SECRET_ACCESS_KEY", secret),
        ("AWS_REGION", REGION),
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// A SigV4-shaped header moto parses for the access key and the service.
fn dummy_authorization(access_key: &str, service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={access_key}/20250101/{REGION}/{service}/aws4_request, \
         SignedHeaders=host, Signature=0000"
    )
}

/// `application/x-www-form-urlencoded` body from key/value pairs.
fn form_encode(params: &[(&str, &str)]) -> String {
    let pairs: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect();
    pairs.join("&")
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One HTTP/1.1 exchange on a fresh connection (`Connection: close`).
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> io::Result<HttpResponse> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (name, value) in headers {
        let _ = write!(request, "{name}: {value}\r\n");
    }
    let _ = write!(request, "Content-Length: {}\r\n\r\n{body}", body.len());
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw)
}

/// Splits a raw response into status and (de-chunked) body.
fn parse_response(raw: &[u8]) -> io::Result<HttpResponse> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| invalid("no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("no status"))?;
    let body = &raw[split + 4..];
    let chunked = head
        .lines()
        .any(|l| l.starts_with("transfer-encoding:") && l.contains("chunked"));
    let body = if chunked {
        decode_chunked(body)?
    } else {
        body.to_vec()
    };
    Ok(HttpResponse {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// Decodes a `Transfer-Encoding: chunked` body.
fn decode_chunked(mut rest: &[u8]) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let eol = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| invalid("bad chunk header"))?;
        let size_text = String::from_utf8_lossy(&rest[..eol]);
        let size_hex = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| invalid("bad chunk size"))?;
        rest = &rest[eol + 2..];
        if size == 0 {
            return Ok(body);
        }
        body.extend_from_slice(rest.get(..size).ok_or_else(|| invalid("truncated chunk"))?);
        rest = rest.get(size + 2..).unwrap_or_default();
    }
}

/// An `InvalidData` I/O error.
fn invalid(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("malformed HTTP response from moto: {what}"),
    )
}
