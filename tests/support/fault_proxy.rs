//! A fault-injecting AWS proxy: a loopback HTTP/1.1 server a test starts
//! in-process between the provider and the moto emulator, so the code paths
//! a real account exercises — throttling, 5xx answers, lost connections,
//! slow answers, endpoints that take time to settle, per-account rate
//! limits, `ClientToken` idempotency — run against the emulator, which has
//! none of them (see `docs/moto.md`).
//!
//! # Use
//!
//! ```ignore
//! let proxy = FaultProxy::start(&moto::shared().endpoint, Config::new(7).throttle(0.1));
//! // provider "sagemaker" { ${proxy.endpoints_block()} }  — or AWS_ENDPOINT_URL=proxy.url()
//! // … run terraform …
//! assert!(proxy.counters().faults(Fault::Throttle) > 0, "the faults really happened");
//! ```
//!
//! The provider reaches it through the provider block's
//! `endpoints { ec2 = URL, sagemaker = URL, sts = URL }`
//! ([`FaultProxy::endpoints_block`]); test fixtures keep talking to moto
//! directly, so only the provider's calls see faults.
//!
//! # What it decides, per request
//!
//! The AWS operation comes from `Action=` in the form body (EC2, STS, IAM:
//! query protocol) or from the `X-Amz-Target` header (SageMaker: JSON
//! protocol); the service from the SigV4 credential scope; the account from
//! the access key. Requests without an operation (`/moto-api/…`) pass
//! through untouched. In order:
//!
//! 1. **Token buckets** ([`Config::token_buckets`], EC2 only, per access
//!    key): EC2's published per-account limits ([`EC2_BUCKETS`]); an empty
//!    bucket answers `RequestLimitExceeded` ([`Fault::BucketThrottle`]).
//! 2. **Random faults** ([`Config::throttle`], [`Config::server_errors`],
//!    [`Config::drops`], [`Config::lost_responses`], [`Config::latency`]):
//!    the k-th call of operation X draws from a hash of (seed, X, k), so a
//!    seed gives the same faults to the same calls whatever the interleaving
//!    of other operations. A drop closes the connection *before* forwarding
//!    (moto did not act); a lost response closes it *after* (moto acted).
//! 3. **Fail once** ([`FailOnce`]): the n-th call matching an operation and
//!    body fragments gets the configured error, once.
//! 4. **Idempotency** ([`Config::idempotency`], on by default): a call
//!    carrying a `ClientToken` already answered 2xx gets the stored answer
//!    replayed ([`Fault::Replay`]) instead of a second create — moto ignores
//!    the token, AWS does not.
//! 5. **Settling** ([`Config::hold_pending`], [`Config::hold_deleting`]): a
//!    VPC endpoint reads `pending` in the next N `DescribeVpcEndpoints`
//!    answers after its create, and `deleting` (instead of moto's `deleted`)
//!    in the next N after its delete.
//! 6. **Latency profile** ([`Config::latency_profile`], [`LatencyProfile`]):
//!    real AWS timing — every call answered after the latency of its kind
//!    (Describe/List/Get ~60 ms, mutating ~150 ms, CreateModel ~1 s, with
//!    jitter), and what AWS makes wait pending for as long as AWS does: an
//!    interface endpoint reads `pending` for 60–150 s after its create and
//!    `deleting` for a while after its delete, a gateway endpoint is ready
//!    at once, a Studio domain reads `Pending` for minutes after
//!    CreateDomain. The pending times (not the per-call latency) scale by
//!    one factor ([`LatencyProfile::scaled`], [`LatencyProfile::from_env`])
//!    so a run fits in minutes.
//!
//! Every decision is counted ([`FaultProxy::counters`]) and logged
//! ([`FaultProxy::events`]) so a test can assert that the faults it asked
//! for really happened.
//!
//! The file depends on nothing else in `tests/support` (only tokio and
//! serde_json), so a benchmark can include it with
//! `#[path = "../tests/support/fault_proxy.rs"] mod fault_proxy;`.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

/// Longest request or response head the proxy accepts.
const MAX_HEAD: usize = 64 * 1024;
/// Longest request or response body the proxy accepts.
const MAX_BODY: usize = 64 * 1024 * 1024;
/// Limit for one exchange with the emulator.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/// What the proxy did to a call, beyond forwarding it. Counted per kind in
/// [`Counters::faults`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// Answered with throttling: EC2 HTTP 503 `RequestLimitExceeded`,
    /// SageMaker HTTP 400 `ThrottlingException`, STS/IAM HTTP 400 `Throttling`.
    Throttle,
    /// Answered HTTP 500 `InternalError` or 503 `Unavailable` (JSON and
    /// STS/IAM: `InternalFailure` / `ServiceUnavailable`).
    ServerError,
    /// Connection closed without an answer, before forwarding.
    Drop,
    /// Forwarded (moto acted), then the connection closed without the answer.
    LostResponse,
    /// The answer was delayed (counted in addition to the outcome).
    Latency,
    /// A [`FailOnce`] rule fired.
    FailOnce,
    /// Token-bucket mode: the operation's bucket was empty.
    BucketThrottle,
    /// A stored answer was replayed for a repeated `ClientToken`.
    Replay,
    /// An endpoint's state was rewritten to `pending` in a describe answer.
    HeldPending,
    /// An endpoint's state was rewritten to `deleting` in a describe answer.
    HeldDeleting,
    /// The answer waited for the latency profile ([`Config::latency_profile`]).
    Profiled,
}

/// An error answer: HTTP status, AWS error code, message. Rendered in the
/// protocol of the service called (EC2 XML, query XML or JSON).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorAnswer {
    /// HTTP status.
    pub status: u16,
    /// AWS error code, e.g. `InvalidRouteTableId.NotFound`.
    pub code: String,
    /// Error message.
    pub message: String,
}

impl ErrorAnswer {
    /// An answer with `status`, `code` and `message`.
    pub fn new(status: u16, code: &str, message: &str) -> ErrorAnswer {
        ErrorAnswer {
            status,
            code: code.to_owned(),
            message: message.to_owned(),
        }
    }

    /// An HTTP 400 (client error, not retried by the SDK) answer.
    pub fn client(code: &str, message: &str) -> ErrorAnswer {
        ErrorAnswer::new(400, code, message)
    }
}

/// Fails the n-th call of `operation` whose body contains every fragment,
/// once, with `answer` (instead of forwarding it).
///
/// Matches are counted among calls that pass the token buckets and the
/// random faults, i.e. calls the proxy would otherwise forward.
#[derive(Clone, Debug)]
pub struct FailOnce {
    /// The AWS operation, e.g. `CreateVpcEndpoint`.
    pub operation: String,
    /// Fragments the raw body must contain, e.g. `VpcEndpointType=Gateway`.
    pub body_contains: Vec<String>,
    /// Which matching call fails (1 = the first).
    pub nth: u32,
    /// The error to answer.
    pub answer: ErrorAnswer,
    matched: u32,
    fired: bool,
}

impl FailOnce {
    /// Fails the first call of `operation` with `answer`.
    pub fn new(operation: &str, answer: ErrorAnswer) -> FailOnce {
        FailOnce {
            operation: operation.to_owned(),
            body_contains: Vec::new(),
            nth: 1,
            answer,
            matched: 0,
            fired: false,
        }
    }

    /// Only calls whose raw body contains `fragment` match (form bodies are
    /// URL-encoded: `VpcEndpointType=Gateway`).
    pub fn when_body_contains(mut self, fragment: &str) -> FailOnce {
        self.body_contains.push(fragment.to_owned());
        self
    }

    /// Fails the n-th matching call (1-based) instead of the first.
    pub fn nth(mut self, n: u32) -> FailOnce {
        self.nth = n.max(1);
        self
    }

    /// Whether the rule has fired.
    pub fn fired(&self) -> bool {
        self.fired
    }

    fn matches(&self, operation: &str, body: &str) -> bool {
        self.operation == operation && self.body_contains.iter().all(|f| body.contains(f.as_str()))
    }
}

/// One of EC2's per-account token buckets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BucketSpec {
    /// Which calls it limits, for messages.
    pub name: &'static str,
    /// Calls allowed at once.
    pub capacity: f64,
    /// Tokens added per second.
    pub refill_per_second: f64,
}

/// EC2's published limits, as token-bucket mode enforces them per account:
/// `[0]` CreateVpcEndpoint / DeleteVpcEndpoints / ModifyVpcEndpoint (one
/// shared bucket), `[1]` other mutating calls, `[2]` non-mutating calls
/// (`Describe*`, `Get*`, `List*`).
pub const EC2_BUCKETS: [BucketSpec; 3] = [
    BucketSpec {
        name: "VPC endpoint mutations",
        capacity: 4.0,
        refill_per_second: 0.3,
    },
    BucketSpec {
        name: "mutating calls",
        capacity: 50.0,
        refill_per_second: 5.0,
    },
    BucketSpec {
        name: "non-mutating calls",
        capacity: 100.0,
        refill_per_second: 20.0,
    },
];

/// Which of [`EC2_BUCKETS`] limits the EC2 `operation`.
pub fn ec2_bucket_of(operation: &str) -> usize {
    match operation {
        "CreateVpcEndpoint" | "DeleteVpcEndpoints" | "ModifyVpcEndpoint" => 0,
        op if ["Describe", "Get", "List"]
            .iter()
            .any(|p| op.starts_with(p)) =>
        {
            2
        }
        _ => 1,
    }
}

/// Real AWS timing for [`Config::latency_profile`]: per-call latency and
/// how long what AWS makes wait stays pending. Durations are drawn uniformly
/// in each range from the proxy's seed (a seed repeats its times).
#[derive(Clone, Debug, PartialEq)]
pub struct LatencyProfile {
    /// Added to each `Describe*`/`List*`/`Get*` call.
    pub read: Duration,
    /// Added to each other call.
    pub write: Duration,
    /// Added to CreateModel instead of `write` (scaled).
    pub model_create: Duration,
    /// Share each call's latency is spread by (± 0.3 = ± 30 %).
    pub jitter: f64,
    /// How long a new interface endpoint reads `pending` (scaled).
    pub interface_pending: (Duration, Duration),
    /// How long a new gateway endpoint reads `pending` (scaled).
    pub gateway_pending: (Duration, Duration),
    /// How long a deleted interface endpoint reads `deleting` (scaled).
    pub interface_deleting: (Duration, Duration),
    /// How long a deleted gateway endpoint reads `deleting` (scaled).
    pub gateway_deleting: (Duration, Duration),
    /// How long a new Studio domain reads `Pending` (scaled).
    pub domain_pending: (Duration, Duration),
    /// The factor on every pending time and on `model_create`.
    pub scale: f64,
}

/// The environment variable [`LatencyProfile::from_env`] reads the scale
/// from (a positive number; default 1).
pub const LATENCY_SCALE_ENV: &str = "LATENCY_PROFILE_SCALE";

impl LatencyProfile {
    /// AWS as seen from a client in the same Region: Describe ~60 ms,
    /// mutating calls ~150 ms, CreateModel ~1 s (± 30 %); interface
    /// endpoints pending 60–150 s and deleting 10–30 s, gateway endpoints
    /// ready and gone at once; Studio domains pending 3–6 min. Scale 1.
    pub fn aws() -> LatencyProfile {
        let secs = Duration::from_secs;
        LatencyProfile {
            read: Duration::from_millis(60),
            write: Duration::from_millis(150),
            model_create: secs(1),
            jitter: 0.3,
            interface_pending: (secs(60), secs(150)),
            gateway_pending: (Duration::ZERO, Duration::ZERO),
            interface_deleting: (secs(10), secs(30)),
            gateway_deleting: (Duration::ZERO, Duration::ZERO),
            domain_pending: (secs(180), secs(360)),
            scale: 1.0,
        }
    }

    /// The profile with every pending time multiplied by `factor`.
    pub fn scaled(mut self, factor: f64) -> LatencyProfile {
        self.scale = factor;
        self
    }

    /// [`LatencyProfile::aws`] scaled by [`LATENCY_SCALE_ENV`] (default 1).
    pub fn from_env() -> LatencyProfile {
        let scale = std::env::var(LATENCY_SCALE_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v > 0.0)
            .unwrap_or(1.0);
        LatencyProfile::aws().scaled(scale)
    }

    /// The latency of one call of `operation` for a draw `roll` in [0, 1).
    pub fn call_latency(&self, operation: &str, roll: f64) -> Duration {
        let base = if operation == "CreateModel" {
            self.model_create.mul_f64(self.scale)
        } else if ["Describe", "List", "Get"]
            .iter()
            .any(|p| operation.starts_with(p))
        {
            self.read
        } else {
            self.write
        };
        let spread = self.jitter.clamp(0.0, 1.0) * (2.0 * roll - 1.0);
        base.mul_f64(1.0 + spread)
    }

    /// The pending time the proxy seeded `seed` gives the `nth` (from 0)
    /// gateway or interface endpoint an account creates.
    pub fn pending_of(&self, seed: u64, nth: u64, gateway: bool) -> Duration {
        let range = if gateway {
            self.gateway_pending
        } else {
            self.interface_pending
        };
        self.pick(range, unit(seed, "pending", nth, u64::from(gateway)))
    }

    /// A time in `range`, scaled, for a draw `roll` in [0, 1).
    pub fn pick(&self, (min, max): (Duration, Duration), roll: f64) -> Duration {
        (min + max.saturating_sub(min).mul_f64(roll)).mul_f64(self.scale)
    }
}

/// The proxy's schedule. Build it with [`Config::new`] and the chained
/// setters; change it while running with [`FaultProxy::update`].
#[derive(Clone, Debug)]
pub struct Config {
    /// Seed of the random faults.
    pub seed: u64,
    /// Share of calls answered with throttling ([`Fault::Throttle`]).
    pub throttle: f64,
    /// Share of calls answered HTTP 500/503 ([`Fault::ServerError`]).
    pub server_error: f64,
    /// Share of calls whose connection is closed before forwarding.
    pub drop: f64,
    /// Share of calls forwarded whose answer is then lost.
    pub lost_response: f64,
    /// Share of calls delayed, and the delay range (uniform).
    pub latency: f64,
    /// Shortest and longest added delay.
    pub latency_range: (Duration, Duration),
    /// Random faults apply only to these operations (empty: to all).
    pub operations: Vec<String>,
    /// `DescribeVpcEndpoints` answers in which a new endpoint reads `pending`.
    pub pending_describes: u32,
    /// `DescribeVpcEndpoints` answers in which a deleted endpoint reads `deleting`.
    pub deleting_describes: u32,
    /// Calls to fail once each.
    pub fail_once: Vec<FailOnce>,
    /// Enforce [`EC2_BUCKETS`] per account.
    pub token_buckets: bool,
    /// Replay the stored answer for a repeated `ClientToken` (default on).
    pub idempotency: bool,
    /// Real AWS timing (step 6 of the module doc); `None`: moto's own.
    pub profile: Option<LatencyProfile>,
}

impl Default for Config {
    fn default() -> Self {
        Config::new(0)
    }
}

impl Config {
    /// No faults, idempotency on, random faults seeded with `seed`.
    pub fn new(seed: u64) -> Config {
        Config {
            seed,
            throttle: 0.0,
            server_error: 0.0,
            drop: 0.0,
            lost_response: 0.0,
            latency: 0.0,
            latency_range: (Duration::ZERO, Duration::ZERO),
            operations: Vec::new(),
            pending_describes: 0,
            deleting_describes: 0,
            fail_once: Vec::new(),
            token_buckets: false,
            idempotency: true,
            profile: None,
        }
    }

    /// Throttles `share` of the calls.
    pub fn throttle(mut self, share: f64) -> Config {
        self.throttle = share;
        self
    }

    /// Answers `share` of the calls with HTTP 500 or 503 (half each).
    pub fn server_errors(mut self, share: f64) -> Config {
        self.server_error = share;
        self
    }

    /// Closes the connection of `share` of the calls before forwarding them.
    pub fn drops(mut self, share: f64) -> Config {
        self.drop = share;
        self
    }

    /// Forwards `share` of the calls, then closes without answering.
    pub fn lost_responses(mut self, share: f64) -> Config {
        self.lost_response = share;
        self
    }

    /// Delays `share` of the calls by a uniform time in `min..=max`.
    pub fn latency(mut self, share: f64, min: Duration, max: Duration) -> Config {
        self.latency = share;
        self.latency_range = (min, max.max(min));
        self
    }

    /// Restricts the random faults to `operations`.
    pub fn only(mut self, operations: &[&str]) -> Config {
        self.operations = operations.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// New endpoints read `pending` in the next `describes` describe answers.
    pub fn hold_pending(mut self, describes: u32) -> Config {
        self.pending_describes = describes;
        self
    }

    /// Deleted endpoints read `deleting` in the next `describes` answers.
    pub fn hold_deleting(mut self, describes: u32) -> Config {
        self.deleting_describes = describes;
        self
    }

    /// Adds a call to fail once.
    pub fn fail_once(mut self, rule: FailOnce) -> Config {
        self.fail_once.push(rule);
        self
    }

    /// Enforces EC2's per-account token buckets ([`EC2_BUCKETS`]).
    pub fn token_buckets(mut self) -> Config {
        self.token_buckets = true;
        self
    }

    /// Answers with real AWS timing ([`LatencyProfile`]).
    pub fn latency_profile(mut self, profile: LatencyProfile) -> Config {
        self.profile = Some(profile);
        self
    }

    /// Turns `ClientToken` replay off (moto's own behaviour: a repeated
    /// token makes a second object).
    pub fn without_idempotency(mut self) -> Config {
        self.idempotency = false;
        self
    }
}

/// How one call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Forwarded to the emulator; its HTTP status.
    Forwarded(u16),
    /// Answered by the proxy with this error kind and HTTP status.
    Refused(Fault, u16),
    /// Connection closed without an answer ([`Fault::Drop`] or
    /// [`Fault::LostResponse`]).
    Closed(Fault),
    /// The stored answer of an earlier call with the same `ClientToken`.
    Replayed(u16),
}

/// One call the proxy saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// AWS service, from the credential scope (`ec2`, `sagemaker`, `sts`).
    pub service: String,
    /// AWS operation.
    pub operation: String,
    /// Whether the answer was delayed.
    pub delayed: bool,
    /// What happened.
    pub outcome: Outcome,
}

/// What seeded runs under faults added up to: runs, calls, calls failed by
/// the proxy, the fault kinds that happened, and the operations whose
/// answer was lost at least once (moto acted, the client never heard).
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub runs: u64,
    pub calls: u64,
    pub failed: u64,
    pub kinds: std::collections::BTreeSet<Fault>,
    pub lost: std::collections::BTreeSet<String>,
}

impl Tally {
    /// Counts one run whose proxy ended with `counters`.
    pub fn add_run(&mut self, counters: &Counters) {
        self.runs += 1;
        self.calls += counters.total_calls();
        self.failed += counters.failed_calls();
        self.kinds.extend(
            counters
                .faults
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(k, _)| *k),
        );
        self.lost.extend(
            counters
                .faults_by_operation
                .iter()
                .filter(|(_, kinds)| kinds.get(&Fault::LostResponse).is_some_and(|n| *n > 0))
                .map(|(op, _)| op.clone()),
        );
    }

    /// The share of calls the proxy failed.
    pub fn failed_share(&self) -> f64 {
        self.failed as f64 / self.calls.max(1) as f64
    }

    /// Runs seeds `1..=seeds` split over `lanes` threads — each lane gets
    /// its seeds (`seed % lanes == lane`) and makes its own fixture and
    /// proxy in `run(lane, seeds)` — and adds up what the lanes tallied.
    /// A panic in a lane fails the caller with that panic.
    pub fn in_lanes(lanes: u64, seeds: u64, run: impl Fn(u64, Vec<u64>) -> Tally + Sync) -> Tally {
        let run = &run;
        let tallies: Vec<Tally> = std::thread::scope(|scope| {
            let running: Vec<_> = (0..lanes)
                .map(|lane| {
                    let mine = (1..=seeds).filter(|seed| seed % lanes == lane).collect();
                    scope.spawn(move || run(lane, mine))
                })
                .collect();
            running
                .into_iter()
                .map(|lane| lane.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        let mut total = Tally::default();
        for tally in tallies {
            total.runs += tally.runs;
            total.calls += tally.calls;
            total.failed += tally.failed;
            total.kinds.extend(tally.kinds);
            total.lost.extend(tally.lost);
        }
        total
    }
}

/// What the proxy has seen and done since start (or
/// [`FaultProxy::reset_counters`]).
#[derive(Clone, Debug, Default)]
pub struct Counters {
    /// Calls received, per operation.
    pub calls: BTreeMap<String, u64>,
    /// Calls that reached the emulator, per operation.
    pub forwarded: BTreeMap<String, u64>,
    /// Faults injected, per kind.
    pub faults: BTreeMap<Fault, u64>,
    /// Faults injected, per operation and kind.
    pub faults_by_operation: BTreeMap<String, BTreeMap<Fault, u64>>,
}

impl Counters {
    /// Calls of `operation` received.
    pub fn calls(&self, operation: &str) -> u64 {
        self.calls.get(operation).copied().unwrap_or(0)
    }

    /// Calls received, all operations.
    pub fn total_calls(&self) -> u64 {
        self.calls.values().sum()
    }

    /// Calls of `operation` that reached the emulator.
    pub fn forwarded(&self, operation: &str) -> u64 {
        self.forwarded.get(operation).copied().unwrap_or(0)
    }

    /// Faults of `kind` injected.
    pub fn faults(&self, kind: Fault) -> u64 {
        self.faults.get(&kind).copied().unwrap_or(0)
    }

    /// Faults of `kind` injected into `operation`.
    pub fn faults_of(&self, operation: &str, kind: Fault) -> u64 {
        self.faults_by_operation
            .get(operation)
            .and_then(|m| m.get(&kind))
            .copied()
            .unwrap_or(0)
    }

    /// Calls that failed because of the proxy: throttled, 5xx, dropped,
    /// lost, failed once or bucket-throttled (not latency, replays, holds).
    pub fn failed_calls(&self) -> u64 {
        [
            Fault::Throttle,
            Fault::ServerError,
            Fault::Drop,
            Fault::LostResponse,
            Fault::FailOnce,
            Fault::BucketThrottle,
        ]
        .iter()
        .map(|k| self.faults(*k))
        .sum()
    }
}

/// A running proxy; stopped on drop.
pub struct FaultProxy {
    url: String,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FaultProxy {
    /// Starts a proxy on 127.0.0.1 (OS-chosen port) forwarding to
    /// `upstream` (`http://127.0.0.1:PORT`, e.g. the moto endpoint), with
    /// its own thread and tokio runtime, so sync and async tests can use it.
    ///
    /// Panics if `upstream` is not an `http://IP:PORT` URL or the port
    /// cannot be bound.
    pub fn start(upstream: &str, config: Config) -> FaultProxy {
        let upstream_addr: SocketAddr = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .unwrap_or_else(|e| {
                panic!(
                    "fault proxy upstream {upstream:?} must look like http://127.0.0.1:PORT: {e}"
                )
            });
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind 127.0.0.1:0 for the fault proxy");
        listener
            .set_nonblocking(true)
            .expect("make the fault proxy listener non-blocking");
        let port = listener
            .local_addr()
            .expect("fault proxy local address")
            .port();
        let shared = Arc::new(Shared {
            upstream: upstream_addr,
            state: Mutex::new(State::new(config)),
        });
        let (stop, stopped) = oneshot::channel();
        let serving = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("fault-proxy".into())
            .spawn(move || serve(listener, serving, stopped))
            .expect("spawn the fault proxy thread");
        FaultProxy {
            url: format!("http://127.0.0.1:{port}"),
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The provider block's `endpoints { … }` pointing EC2, SageMaker and
    /// STS at the proxy, ready to paste into HCL.
    pub fn endpoints_block(&self) -> String {
        let url = &self.url;
        format!("endpoints {{\n    ec2       = \"{url}\"\n    sagemaker = \"{url}\"\n    sts       = \"{url}\"\n  }}")
    }

    /// Changes the schedule in place (counters, holds, buckets and stored
    /// answers are kept; a [`FailOnce`] keeps its progress unless replaced).
    pub fn update(&self, change: impl FnOnce(&mut Config)) {
        change(&mut self.shared.lock().config);
    }

    /// Replaces the schedule (see [`FaultProxy::update`]).
    pub fn set_config(&self, config: Config) {
        self.shared.lock().config = config;
    }

    /// A copy of the current schedule (e.g. to see which [`FailOnce`] fired).
    pub fn config(&self) -> Config {
        self.shared.lock().config.clone()
    }

    /// What the proxy has seen and done so far.
    pub fn counters(&self) -> Counters {
        self.shared.lock().counters.clone()
    }

    /// Every call seen so far, in arrival order.
    pub fn events(&self) -> Vec<Event> {
        self.shared.lock().events.clone()
    }

    /// Clears counters and events (the schedule, holds, buckets and stored
    /// answers stay; random draws restart from each operation's first call).
    pub fn reset_counters(&self) {
        let mut state = self.shared.lock();
        state.counters = Counters::default();
        state.events.clear();
        state.draws.clear();
    }

    /// The seeded-fault loop: for each seed of `seeds`, sets the faults
    /// `faults(seed)`, resets the counters and calls `run(seed)` (which
    /// applies, checks, destroys, checks); asserts each run met a fault, and
    /// tallies the calls.
    pub fn seeded_runs(
        &self,
        seeds: Vec<u64>,
        faults: impl Fn(u64) -> Config,
        mut run: impl FnMut(u64),
    ) -> Tally {
        let mut tally = Tally::default();
        for seed in seeds {
            let started = Instant::now();
            self.set_config(faults(seed));
            self.reset_counters();
            run(seed);
            let counters = self.counters();
            assert!(
                counters.failed_calls() > 0,
                "seed {seed}: no fault was injected: {counters:?}"
            );
            tally.add_run(&counters);
            eprintln!(
                "seed {seed}: {} calls, {} failed by the proxy, {:?}",
                counters.total_calls(),
                counters.failed_calls(),
                started.elapsed()
            );
        }
        tally
    }

    /// Each endpoint created through the proxy (since start or
    /// [`FaultProxy::clear_memory`]) with the instant it reads `available`
    /// under the latency profile: at once, or when its pending time ends
    /// (holds by answer count are not times: not counted).
    pub fn endpoints_ready(&self) -> Vec<(String, Instant)> {
        self.shared.lock().ready.clone()
    }

    /// Every Studio domain created through the proxy with the instant its
    /// `Pending` ends under the latency profile.
    pub fn domains_ready(&self) -> Vec<(String, Instant)> {
        let state = self.shared.lock();
        state
            .domains
            .iter()
            .map(|(id, at)| (id.clone(), *at))
            .collect()
    }

    /// Forgets pending/deleting holds, token buckets and stored answers.
    pub fn clear_memory(&self) {
        let mut state = self.shared.lock();
        state.holds.clear();
        state.domains.clear();
        state.ready.clear();
        state.made.clear();
        state.domains_made.clear();
        state.buckets.clear();
        state.answers.clear();
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

// ---------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------

struct Shared {
    upstream: SocketAddr,
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// How long a hold lasts: so many more describe answers, or until a time.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Left {
    Answers(u32),
    Until(Instant),
}

/// A state an endpoint is held in, and for how long.
#[derive(Clone, Copy, Debug)]
enum Hold {
    Pending(Left),
    Deleting(Left),
}

/// A token bucket's level and when it was last refilled.
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// A stored answer, replayed for a repeated `ClientToken`.
#[derive(Clone)]
struct Answer {
    status: u16,
    reason: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

struct State {
    config: Config,
    counters: Counters,
    events: Vec<Event>,
    /// Calls drawn per operation, for the random faults.
    draws: HashMap<String, u64>,
    holds: HashMap<String, Hold>,
    /// Endpoints created through the proxy: true for a gateway endpoint.
    gateways: HashMap<String, bool>,
    /// Studio domains created through the proxy: `Pending` until then.
    domains: HashMap<String, Instant>,
    /// Endpoints created through the proxy: when each reads `available`.
    ready: Vec<(String, Instant)>,
    /// Creates and deletes per (access key, gateway?, delete?), so the n-th
    /// of an account draws the n-th time whoever calls (contenders in
    /// their own accounts wait alike).
    made: HashMap<(String, bool, bool), u64>,
    /// Studio domains created per access key: the n-th of an account
    /// draws the n-th pending time, as endpoints do.
    domains_made: HashMap<String, u64>,
    buckets: HashMap<(String, usize), Bucket>,
    /// (access key, operation, ClientToken) → first 2xx answer.
    answers: HashMap<(String, String, String), Answer>,
    next_request_id: u64,
}

impl State {
    fn new(config: Config) -> State {
        State {
            config,
            counters: Counters::default(),
            events: Vec::new(),
            draws: HashMap::new(),
            holds: HashMap::new(),
            gateways: HashMap::new(),
            domains: HashMap::new(),
            ready: Vec::new(),
            made: HashMap::new(),
            domains_made: HashMap::new(),
            buckets: HashMap::new(),
            answers: HashMap::new(),
            next_request_id: 0,
        }
    }

    /// The index of this create (`delete` false) or delete of a gateway or
    /// interface endpoint among `account`'s, from 0.
    fn nth_made(&mut self, account: &str, gateway: bool, delete: bool) -> u64 {
        let n = self
            .made
            .entry((account.to_owned(), gateway, delete))
            .or_default();
        *n += 1;
        *n - 1
    }

    fn nth_domain(&mut self, account: &str) -> u64 {
        let n = self.domains_made.entry(account.to_owned()).or_default();
        *n += 1;
        *n - 1
    }

    fn count_fault(&mut self, operation: &str, kind: Fault, n: u64) {
        if n == 0 {
            return;
        }
        *self.counters.faults.entry(kind).or_default() += n;
        *self
            .counters
            .faults_by_operation
            .entry(operation.to_owned())
            .or_default()
            .entry(kind)
            .or_default() += n;
    }

    /// Takes a token from `account`'s bucket for `operation`, if any left.
    fn take_token(&mut self, account: &str, operation: &str) -> bool {
        let group = ec2_bucket_of(operation);
        let spec = EC2_BUCKETS[group];
        let now = Instant::now();
        let bucket = self
            .buckets
            .entry((account.to_owned(), group))
            .or_insert(Bucket {
                tokens: spec.capacity,
                at: now,
            });
        let elapsed = now.duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * spec.refill_per_second).min(spec.capacity);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

// ---------------------------------------------------------------------------
// Serving
// ---------------------------------------------------------------------------

/// Runs the accept loop on a current-thread runtime until `stopped`.
fn serve(listener: std::net::TcpListener, shared: Arc<Shared>, stopped: oneshot::Receiver<()>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build the fault proxy runtime");
    runtime.block_on(async move {
        let listener =
            tokio::net::TcpListener::from_std(listener).expect("register the fault proxy listener");
        tokio::pin!(stopped);
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                accepted = listener.accept() => {
                    if let Ok((stream, _)) = accepted {
                        let _ = stream.set_nodelay(true);
                        tokio::spawn(handle(stream, Arc::clone(&shared)));
                    }
                }
            }
        }
    });
}

/// A parsed HTTP/1.1 message.
struct Message {
    /// Request line or status line.
    start: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The protocol family of an AWS service, which fixes the error format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Protocol {
    /// EC2's query dialect (`<Response><Errors><Error>…`).
    Ec2,
    /// awsQuery: STS, IAM (`<ErrorResponse><Error>…`).
    Query,
    /// awsJson: SageMaker (`{"__type": …}`).
    Json,
}

/// What the proxy knows about one AWS call.
struct Call {
    protocol: Protocol,
    service: String,
    operation: String,
    account: String,
    client_token: Option<String>,
    /// `VpcEndpointId.N` values of the form body.
    endpoint_ids: Vec<String>,
    /// `VpcEndpointType` of the form body (CreateVpcEndpoint).
    endpoint_type: Option<String>,
}

/// What to do with one call, decided under the lock.
enum Plan {
    Refuse(Fault, ErrorAnswer),
    Drop,
    /// The stored answer; lost instead of sent when `lose_answer`.
    Replay {
        answer: Answer,
        lose_answer: bool,
    },
    /// Forward to the emulator; lose its answer when `lose_answer`.
    Forward {
        lose_answer: bool,
    },
}

/// Serves one connection: one request, one answer (or none), then close.
async fn handle(mut client: TcpStream, shared: Arc<Shared>) {
    let Ok(Some(request)) = read_request(&mut client).await else {
        return;
    };
    let Some(call) = classify(&request) else {
        if let Ok(answer) = forward(shared.upstream, &request).await {
            let _ = write_answer(&mut client, &answer).await;
        }
        return;
    };
    let (plan, delay) = decide(&shared, &call, &request);
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let outcome = match plan {
        Plan::Refuse(kind, error) => {
            let answer = render_error(&shared, call.protocol, &error);
            let _ = write_answer(&mut client, &answer).await;
            Outcome::Refused(kind, error.status)
        }
        Plan::Drop => Outcome::Closed(Fault::Drop),
        Plan::Replay {
            lose_answer: true, ..
        } => Outcome::Closed(Fault::LostResponse),
        Plan::Replay { answer, .. } => {
            let _ = write_answer(&mut client, &answer).await;
            Outcome::Replayed(answer.status)
        }
        Plan::Forward { lose_answer } => match forward(shared.upstream, &request).await {
            Ok(answer) => {
                let answer = after_forward(&shared, &call, &request, answer);
                if lose_answer {
                    Outcome::Closed(Fault::LostResponse)
                } else {
                    let _ = write_answer(&mut client, &answer).await;
                    Outcome::Forwarded(answer.status)
                }
            }
            Err(e) => {
                let error = ErrorAnswer::new(502, "ProxyUpstreamError", &format!("emulator: {e}"));
                let answer = render_error(&shared, call.protocol, &error);
                let _ = write_answer(&mut client, &answer).await;
                Outcome::Forwarded(502)
            }
        },
    };
    shared.lock().events.push(Event {
        service: call.service,
        operation: call.operation,
        delayed: delay.is_some(),
        outcome,
    });
    // Dropping `client` closes the connection: without an answer for
    // `Closed`, after it otherwise (every answer says `Connection: close`).
}

/// Decides the fate of `call` (steps 1–4 of the module doc) and its delay.
fn decide(shared: &Shared, call: &Call, request: &Message) -> (Plan, Option<Duration>) {
    let mut state = shared.lock();
    let op = call.operation.as_str();
    *state.counters.calls.entry(op.to_owned()).or_default() += 1;
    let index = {
        let n = state.draws.entry(op.to_owned()).or_default();
        *n += 1;
        *n - 1
    };
    let config = state.config.clone();
    let random = config.operations.is_empty() || config.operations.iter().any(|o| o == op);
    let draw = |salt: u64| unit(config.seed, op, index, salt);
    let random_delay = (random && draw(3) < config.latency).then(|| {
        let (min, max) = config.latency_range;
        min + (max - min).mul_f64(draw(4))
    });
    let profiled = config.profile.as_ref().map(|p| p.call_latency(op, draw(5)));
    let delay = match (random_delay, profiled) {
        (Some(a), Some(b)) => Some(a + b),
        (a, b) => a.or(b),
    };
    let mut plan = None;
    if config.token_buckets
        && call.protocol == Protocol::Ec2
        && !state.take_token(&call.account, op)
    {
        plan = Some(Plan::Refuse(
            Fault::BucketThrottle,
            throttling(call.protocol),
        ));
    }
    if plan.is_none() && random {
        plan = random_fault(&config, call.protocol, draw(1), draw(2));
    }
    if matches!(plan, None | Some(Plan::Forward { .. })) {
        let body = String::from_utf8_lossy(&request.body);
        let fired = state
            .config
            .fail_once
            .iter_mut()
            .filter(|rule| !rule.fired && rule.matches(op, &body))
            .find_map(|rule| {
                rule.matched += 1;
                (rule.matched >= rule.nth).then(|| {
                    rule.fired = true;
                    rule.answer.clone()
                })
            });
        if let Some(error) = fired {
            plan = Some(Plan::Refuse(Fault::FailOnce, error));
        }
    }
    let mut plan = plan.unwrap_or(Plan::Forward { lose_answer: false });
    let forwarding = match plan {
        Plan::Forward { lose_answer } => Some(lose_answer),
        _ => None,
    };
    if let (Some(lose_answer), true, Some(token)) =
        (forwarding, config.idempotency, &call.client_token)
    {
        let key = (call.account.clone(), op.to_owned(), token.clone());
        if let Some(answer) = state.answers.get(&key) {
            plan = Plan::Replay {
                answer: answer.clone(),
                lose_answer,
            };
        }
    }
    match &plan {
        Plan::Refuse(kind, _) => state.count_fault(op, *kind, 1),
        Plan::Drop => state.count_fault(op, Fault::Drop, 1),
        Plan::Replay { .. } => state.count_fault(op, Fault::Replay, 1),
        Plan::Forward { .. } => *state.counters.forwarded.entry(op.to_owned()).or_default() += 1,
    }
    if let Plan::Forward { lose_answer: true }
    | Plan::Replay {
        lose_answer: true, ..
    } = plan
    {
        state.count_fault(op, Fault::LostResponse, 1);
    }
    if random_delay.is_some() {
        state.count_fault(op, Fault::Latency, 1);
    }
    if profiled.is_some() {
        state.count_fault(op, Fault::Profiled, 1);
    }
    (plan, delay)
}

/// The random fault for a call that drew `roll` (and `coin` for 500 vs 503).
fn random_fault(config: &Config, protocol: Protocol, roll: f64, coin: f64) -> Option<Plan> {
    let mut edge = config.throttle;
    if roll < edge {
        return Some(Plan::Refuse(Fault::Throttle, throttling(protocol)));
    }
    edge += config.server_error;
    if roll < edge {
        let error = server_error(protocol, coin < 0.5);
        return Some(Plan::Refuse(Fault::ServerError, error));
    }
    edge += config.drop;
    if roll < edge {
        return Some(Plan::Drop);
    }
    edge += config.lost_response;
    (roll < edge).then_some(Plan::Forward { lose_answer: true })
}

/// Steps 5 and 6 of the module doc and the idempotency store, on a
/// forwarded answer.
fn after_forward(shared: &Shared, call: &Call, request: &Message, mut answer: Answer) -> Answer {
    if !(200..300).contains(&answer.status) {
        return answer;
    }
    let mut state = shared.lock();
    let profile = state.config.profile.clone();
    let seed = state.config.seed;
    let now = Instant::now();
    match call.operation.as_str() {
        "CreateVpcEndpoint" if call.protocol == Protocol::Ec2 => {
            let n = state.config.pending_describes;
            let body = String::from_utf8_lossy(&answer.body).into_owned();
            if let Some(id) = xml_text(&body, "vpcEndpointId") {
                let gateway = call
                    .endpoint_type
                    .as_deref()
                    .is_some_and(|t| t.eq_ignore_ascii_case("gateway"));
                state.gateways.insert(id.to_owned(), gateway);
                let nth = state.nth_made(&call.account, gateway, false);
                let pending = profile
                    .as_ref()
                    .map_or(Duration::ZERO, |p| p.pending_of(seed, nth, gateway));
                state.ready.push((id.to_owned(), now + pending));
                let hold = if n > 0 {
                    Some(Hold::Pending(Left::Answers(n)))
                } else {
                    (!pending.is_zero()).then(|| Hold::Pending(Left::Until(now + pending)))
                };
                if let Some(hold) = hold {
                    state.holds.insert(id.to_owned(), hold);
                    answer.body = replace_state_after(&body, id, "pending").into_bytes();
                }
            }
        }
        "DeleteVpcEndpoints" if call.protocol == Protocol::Ec2 => {
            let n = state.config.deleting_describes;
            for id in &call.endpoint_ids {
                let hold = if n > 0 {
                    Some(Hold::Deleting(Left::Answers(n)))
                } else {
                    let gateway = state.gateways.get(id).copied().unwrap_or(false);
                    let nth = state.nth_made(&call.account, gateway, true);
                    profile.as_ref().and_then(|p| {
                        let range = if gateway {
                            p.gateway_deleting
                        } else {
                            p.interface_deleting
                        };
                        let roll = unit(seed, "deleting", nth, u64::from(gateway));
                        let deleting = p.pick(range, roll);
                        (!deleting.is_zero()).then(|| Hold::Deleting(Left::Until(now + deleting)))
                    })
                };
                match hold {
                    Some(hold) => state.holds.insert(id.clone(), hold),
                    None => state.holds.remove(id),
                };
            }
        }
        "DescribeVpcEndpoints" if call.protocol == Protocol::Ec2 && !state.holds.is_empty() => {
            let body = String::from_utf8_lossy(&answer.body).into_owned();
            let (rewritten, pending, deleting) = rewrite_held_states(&body, &mut state.holds);
            answer.body = rewritten.into_bytes();
            state.count_fault(&call.operation, Fault::HeldPending, pending);
            state.count_fault(&call.operation, Fault::HeldDeleting, deleting);
        }
        "CreateDomain" if call.protocol == Protocol::Json => {
            let body: serde_json::Value = serde_json::from_slice(&answer.body).unwrap_or_default();
            let arn = body["DomainArn"].as_str().unwrap_or_default();
            let id = arn.rsplit('/').next().unwrap_or_default().to_owned();
            if let (Some(p), false) = (&profile, id.is_empty()) {
                let nth = state.nth_domain(&call.account);
                let pending = p.pick(p.domain_pending, unit(seed, "CreateDomain", nth, 8));
                state.domains.insert(id, now + pending);
            }
        }
        "DescribeDomain" if call.protocol == Protocol::Json && !state.domains.is_empty() => {
            let asked: serde_json::Value =
                serde_json::from_slice(&request.body).unwrap_or_default();
            let id = asked["DomainId"].as_str().unwrap_or_default();
            let pending = state.domains.get(id).is_some_and(|until| now < *until);
            let mut body: serde_json::Value =
                serde_json::from_slice(&answer.body).unwrap_or_default();
            if pending && body["Status"] == "InService" {
                body["Status"] = serde_json::Value::from("Pending");
                answer.body = body.to_string().into_bytes();
                state.count_fault(&call.operation, Fault::HeldPending, 1);
            }
        }
        _ => {}
    }
    if let (true, Some(token)) = (state.config.idempotency, &call.client_token) {
        let key = (call.account.clone(), call.operation.clone(), token.clone());
        state.answers.entry(key).or_insert_with(|| answer.clone());
    }
    answer
}

/// Rewrites the `<state>` of each held endpoint in a describe answer and
/// counts the rewrites (pending, deleting). A hold ends after its count,
/// or as soon as moto's state is not the one it masks.
fn rewrite_held_states(body: &str, holds: &mut HashMap<String, Hold>) -> (String, u64, u64) {
    const ID_OPEN: &str = "<vpcEndpointId>";
    let mut out = String::with_capacity(body.len());
    let (mut pending, mut deleting) = (0, 0);
    let mut rest = body;
    while let Some(at) = rest.find(ID_OPEN) {
        let id_start = at + ID_OPEN.len();
        let Some(id_len) = rest[id_start..].find('<') else {
            break;
        };
        let id = rest[id_start..id_start + id_len].to_owned();
        // This endpoint's elements end where the next endpoint starts.
        let next = rest[id_start..]
            .find(ID_OPEN)
            .map_or(rest.len(), |n| id_start + n);
        let item = &rest[..next];
        let replaced = holds.get(&id).copied().and_then(|hold| {
            let moto_state = xml_text(&item[id_start..], "state")?;
            let (shown, masks, left) = match hold {
                Hold::Pending(left) => ("pending", "available", left),
                Hold::Deleting(left) => ("deleting", "deleted", left),
            };
            let over = match left {
                Left::Answers(n) => n == 0,
                Left::Until(until) => Instant::now() >= until,
            };
            if moto_state != masks || over {
                holds.remove(&id);
                return None;
            }
            match (left, hold) {
                (Left::Answers(1), _) => {
                    holds.remove(&id);
                }
                (Left::Answers(n), Hold::Pending(_)) => {
                    holds.insert(id.clone(), Hold::Pending(Left::Answers(n - 1)));
                }
                (Left::Answers(n), Hold::Deleting(_)) => {
                    holds.insert(id.clone(), Hold::Deleting(Left::Answers(n - 1)));
                }
                (Left::Until(_), _) => {}
            }
            match hold {
                Hold::Pending(_) => pending += 1,
                Hold::Deleting(_) => deleting += 1,
            }
            Some(replace_state_after(item, &id, shown))
        });
        out.push_str(replaced.as_deref().unwrap_or(item));
        rest = &rest[next..];
    }
    out.push_str(rest);
    (out, pending, deleting)
}

/// `text` with the first `<state>` after `<vpcEndpointId>ID` set to `state`.
fn replace_state_after(text: &str, id: &str, state: &str) -> String {
    let marker = format!("<vpcEndpointId>{id}<");
    let Some(from) = text.find(&marker) else {
        return text.to_owned();
    };
    let Some(open) = text[from..]
        .find("<state>")
        .map(|i| from + i + "<state>".len())
    else {
        return text.to_owned();
    };
    let Some(close) = text[open..].find("</state>").map(|i| open + i) else {
        return text.to_owned();
    };
    format!("{}{state}{}", &text[..open], &text[close..])
}

/// The text of the first `<tag>…</tag>` in `text`.
fn xml_text<'a>(text: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = text.find(&open)? + open.len();
    let len = text[start..].find('<')?;
    Some(&text[start..start + len])
}

/// A uniform draw in [0, 1) from (seed, operation, call index, salt).
fn unit(seed: u64, operation: &str, index: u64, salt: u64) -> f64 {
    // FNV-1a of the operation, then SplitMix64 over the mixed inputs.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in operation.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut x = seed
        ^ h.rotate_left(17)
        ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ salt.wrapping_mul(0xd1b5_4a32_d192_ed03);
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

// ---------------------------------------------------------------------------
// AWS protocol details
// ---------------------------------------------------------------------------

/// The AWS call in `request`, or `None` for anything else (moto's own API).
fn classify(request: &Message) -> Option<Call> {
    let authorization = request.header("authorization").unwrap_or_default();
    let (account, service) = credential_scope(authorization);
    if let Some(target) = request.header("x-amz-target") {
        let operation = target.rsplit('.').next().unwrap_or(target).to_owned();
        let body: serde_json::Value =
            serde_json::from_slice(&request.body).unwrap_or(serde_json::Value::Null);
        let client_token = body
            .get("ClientToken")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned);
        return Some(Call {
            protocol: Protocol::Json,
            service: service.unwrap_or_else(|| "sagemaker".into()),
            operation,
            account,
            client_token,
            endpoint_ids: Vec::new(),
            endpoint_type: None,
        });
    }
    let form = parse_form(&String::from_utf8_lossy(&request.body));
    let value = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let operation = value("Action")?;
    let service = service.unwrap_or_else(|| "ec2".into());
    let endpoint_ids = form
        .iter()
        .filter(|(k, _)| k.starts_with("VpcEndpointId."))
        .map(|(_, v)| v.clone())
        .collect();
    Some(Call {
        protocol: if service == "ec2" {
            Protocol::Ec2
        } else {
            Protocol::Query
        },
        service,
        operation,
        account,
        client_token: value("ClientToken"),
        endpoint_ids,
        endpoint_type: value("VpcEndpointType"),
    })
}

/// (access key, service) from `Credential=AKID/DATE/REGION/SERVICE/aws4_request`.
fn credential_scope(authorization: &str) -> (String, Option<String>) {
    let Some(start) = authorization.find("Credential=") else {
        return (String::new(), None);
    };
    let scope = authorization[start + "Credential=".len()..]
        .split([',', ' '])
        .next()
        .unwrap_or_default();
    let parts: Vec<&str> = scope.split('/').collect();
    let account = parts.first().copied().unwrap_or_default().to_owned();
    (account, parts.get(3).map(|s| (*s).to_owned()))
}

/// Decodes an `application/x-www-form-urlencoded` body.
fn parse_form(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The throttling answer of `protocol`'s services.
fn throttling(protocol: Protocol) -> ErrorAnswer {
    match protocol {
        Protocol::Ec2 => ErrorAnswer::new(503, "RequestLimitExceeded", "Request limit exceeded."),
        Protocol::Json => ErrorAnswer::new(400, "ThrottlingException", "Rate exceeded"),
        Protocol::Query => ErrorAnswer::new(400, "Throttling", "Rate exceeded"),
    }
}

/// An HTTP 503 (`unavailable`) or 500 answer of `protocol`'s services.
fn server_error(protocol: Protocol, unavailable: bool) -> ErrorAnswer {
    match (protocol, unavailable) {
        (Protocol::Ec2, false) => {
            ErrorAnswer::new(500, "InternalError", "An internal error has occurred.")
        }
        (Protocol::Ec2, true) => ErrorAnswer::new(
            503,
            "Unavailable",
            "The server is overloaded and can't handle the request.",
        ),
        (_, false) => ErrorAnswer::new(500, "InternalFailure", "An internal error has occurred."),
        (_, true) => ErrorAnswer::new(503, "ServiceUnavailable", "Service unavailable."),
    }
}

/// `error` as the service would send it.
fn render_error(shared: &Shared, protocol: Protocol, error: &ErrorAnswer) -> Answer {
    let request_id = {
        let mut state = shared.lock();
        state.next_request_id += 1;
        format!("fault-proxy-{:08}", state.next_request_id)
    };
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let (code, message) = (escape(&error.code), escape(&error.message));
    let (content_type, body) = match protocol {
        Protocol::Ec2 => (
            "text/xml;charset=UTF-8",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code>\
                 <Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
            ),
        ),
        Protocol::Query => {
            let kind = if error.status >= 500 { "Receiver" } else { "Sender" };
            (
                "text/xml",
                format!(
                    "<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message>\
                     </Error><RequestId>{request_id}</RequestId></ErrorResponse>"
                ),
            )
        }
        Protocol::Json => (
            "application/x-amz-json-1.1",
            serde_json::json!({ "__type": error.code, "message": error.message }).to_string(),
        ),
    };
    let mut headers = vec![
        ("Content-Type".to_owned(), content_type.to_owned()),
        ("x-amzn-RequestId".to_owned(), request_id),
    ];
    if protocol == Protocol::Json {
        headers.push(("x-amzn-ErrorType".to_owned(), error.code.clone()));
    }
    Answer {
        status: error.status,
        reason: reason_phrase(error.status).to_owned(),
        headers,
        body: body.into_bytes(),
    }
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

// ---------------------------------------------------------------------------
// HTTP/1.1
// ---------------------------------------------------------------------------

/// Reads one request; `None` if the client closed before sending one.
async fn read_request(stream: &mut TcpStream) -> io::Result<Option<Message>> {
    let mut buf = Vec::new();
    let Some(head_len) = read_head(stream, &mut buf).await? else {
        return Ok(None);
    };
    let (start, headers) = parse_head(&buf[..head_len])?;
    let mut message = Message {
        start,
        headers,
        body: Vec::new(),
    };
    let mut rest = buf.split_off(head_len + 4);
    if is_chunked(&message) {
        message.body = read_chunked(stream, &mut rest).await?;
    } else {
        let length = content_length(&message).unwrap_or(0);
        if length > MAX_BODY {
            return Err(invalid("request body too large"));
        }
        while rest.len() < length {
            if read_more(stream, &mut rest).await? == 0 {
                return Err(invalid("request body cut short"));
            }
        }
        rest.truncate(length);
        message.body = rest;
    }
    Ok(Some(message))
}

/// Reads until the end of the head; its length (without `\r\n\r\n`), or
/// `None` on a clean close before any byte.
async fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<Option<usize>> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            return Ok(Some(end));
        }
        if buf.len() > MAX_HEAD {
            return Err(invalid("head too large"));
        }
        if read_more(stream, buf).await? == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err(invalid("connection closed inside the head"))
            };
        }
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<usize> {
    let mut chunk = [0u8; 16 * 1024];
    let n = stream.read(&mut chunk).await?;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n)
}

/// Reads a chunked body whose first bytes are in `rest`.
async fn read_chunked(stream: &mut TcpStream, rest: &mut Vec<u8>) -> io::Result<Vec<u8>> {
    loop {
        if let Some(body) = decode_chunked(rest)? {
            return Ok(body);
        }
        if rest.len() > MAX_BODY {
            return Err(invalid("chunked body too large"));
        }
        if read_more(stream, rest).await? == 0 {
            return Err(invalid("chunked body cut short"));
        }
    }
}

/// The decoded body if `raw` holds a complete chunked body, else `None`.
fn decode_chunked(raw: &[u8]) -> io::Result<Option<Vec<u8>>> {
    let mut body = Vec::new();
    let mut rest = raw;
    loop {
        let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") else {
            return Ok(None);
        };
        let size_text = String::from_utf8_lossy(&rest[..eol]);
        let size_hex = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| invalid("bad chunk size"))?;
        rest = &rest[eol + 2..];
        if size == 0 {
            return Ok(Some(body));
        }
        let Some(chunk) = rest.get(..size) else {
            return Ok(None);
        };
        body.extend_from_slice(chunk);
        let Some(after) = rest.get(size + 2..) else {
            return Ok(None);
        };
        rest = after;
    }
}

fn parse_head(head: &[u8]) -> io::Result<(String, Vec<(String, String)>)> {
    let text = std::str::from_utf8(head).map_err(|_| invalid("head is not UTF-8"))?;
    let mut lines = text.split("\r\n");
    let start = lines.next().unwrap_or_default().to_owned();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Ok((start, headers))
}

fn is_chunked(message: &Message) -> bool {
    message
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
}

fn content_length(message: &Message) -> Option<usize> {
    message
        .header("content-length")
        .and_then(|v| v.parse().ok())
}

/// Headers a hop must not pass on (the proxy sets its own framing).
fn is_hop_by_hop(name: &str) -> bool {
    [
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "content-length",
        "te",
        "trailer",
        "upgrade",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

/// Sends `request` to the emulator on a fresh connection and reads its answer.
async fn forward(upstream: SocketAddr, request: &Message) -> io::Result<Answer> {
    let exchange = async {
        let mut stream = TcpStream::connect(upstream).await?;
        let _ = stream.set_nodelay(true);
        let mut head = format!("{}\r\n", request.start);
        for (name, value) in request.headers.iter().filter(|(k, _)| !is_hop_by_hop(k)) {
            let _ = write!(head, "{name}: {value}\r\n");
        }
        let _ = write!(
            head,
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            request.body.len()
        );
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(&request.body).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        parse_answer(&raw)
    };
    tokio::time::timeout(UPSTREAM_TIMEOUT, exchange)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "the emulator did not answer"))?
}

/// Parses a complete answer read up to the close of the connection.
fn parse_answer(raw: &[u8]) -> io::Result<Answer> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| invalid("answer without a complete head"))?;
    let (start, headers) = parse_head(&raw[..end])?;
    let message = Message {
        start,
        headers,
        body: Vec::new(),
    };
    let rest = &raw[end + 4..];
    let body = if is_chunked(&message) {
        decode_chunked(rest)?.ok_or_else(|| invalid("chunked answer cut short"))?
    } else {
        let length = content_length(&message)
            .unwrap_or(rest.len())
            .min(rest.len());
        rest[..length].to_vec()
    };
    let mut status_line = message.start.splitn(3, ' ');
    let _version = status_line.next();
    let status = status_line
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("answer without a status"))?;
    let reason = status_line.next().unwrap_or("").to_owned();
    Ok(Answer {
        status,
        reason,
        headers: message
            .headers
            .into_iter()
            .filter(|(k, _)| !is_hop_by_hop(k))
            .collect(),
        body,
    })
}

/// Writes `answer` with its own framing and `Connection: close`.
async fn write_answer(stream: &mut TcpStream, answer: &Answer) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", answer.status, answer.reason);
    for (name, value) in &answer.headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    let _ = write!(
        head,
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        answer.body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&answer.body).await?;
    stream.flush().await?;
    stream.shutdown().await
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("fault proxy: {what}"))
}
