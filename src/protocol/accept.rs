//! Accepting plugin connections so that another local process cannot wear
//! the provider out before authenticating: a failing `accept` (EMFILE once
//! descriptors run out) backs off instead of spinning, warnings are
//! rate-limited with a count of those left out, and connections still in
//! their TLS handshake are capped — the oldest is dropped first, so idle
//! connections cannot hold every descriptor and Terraform's own connection
//! still gets through.

use crate::log;
use serde_json::json;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;
use tokio::time::Instant;

/// First pause after a failed accept.
const FIRST_PAUSE: Duration = Duration::from_millis(5);
/// Longest pause between accepts while they keep failing.
const MAX_PAUSE: Duration = Duration::from_secs(1);
/// A rate-limited warning is written at most once per this.
pub const LOG_EVERY: Duration = Duration::from_secs(10);
/// Connections allowed in their TLS handshake at once. Terraform opens one
/// per provider process and completes it in milliseconds.
pub const MAX_PENDING_HANDSHAKES: usize = 16;

/// Exponential pauses after failures, from [`FIRST_PAUSE`] doubling up to
/// [`MAX_PAUSE`]; back to the first after a success.
#[derive(Debug)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { next: FIRST_PAUSE }
    }
}

impl Backoff {
    /// The pause before retrying after one more failure.
    pub fn failed(&mut self) -> Duration {
        let pause = self.next;
        self.next = (self.next * 2).min(MAX_PAUSE);
        pause
    }

    /// Starts over: the next failure pauses [`FIRST_PAUSE`].
    pub fn succeeded(&mut self) {
        self.next = FIRST_PAUSE;
    }
}

/// Lets one warning through per [`LOG_EVERY`] and counts the others.
#[derive(Debug)]
pub struct Throttled {
    every: Duration,
    last: Option<Instant>,
    left_out: u64,
}

impl Default for Throttled {
    fn default() -> Self {
        Throttled::every(LOG_EVERY)
    }
}

impl Throttled {
    /// At most one warning per `every`.
    pub fn every(every: Duration) -> Self {
        Throttled {
            every,
            last: None,
            left_out: 0,
        }
    }

    /// `Some(n)` when a warning may be written now, `n` being how many were
    /// left out since the last one; `None` (and counted) otherwise.
    pub fn admit(&mut self, now: Instant) -> Option<u64> {
        if self
            .last
            .is_some_and(|last| now.duration_since(last) < self.every)
        {
            self.left_out += 1;
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.left_out))
    }
}

/// Writes a warning through `gate` with the count of those left out.
pub fn warn_throttled(
    gate: &Mutex<Throttled>,
    message: &str,
    fields: &[(&str, serde_json::Value)],
) {
    let admitted = gate
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .admit(Instant::now());
    if let Some(left_out) = admitted {
        let mut fields = fields.to_vec();
        fields.push(("similar_warnings_left_out", json!(left_out)));
        log::warn(message, &fields);
    }
}

/// The TLS handshakes under way, oldest first.
#[derive(Debug)]
pub struct Pending {
    cap: usize,
    tasks: VecDeque<AbortHandle>,
    dropped: Mutex<Throttled>,
}

impl Pending {
    /// At most `cap` handshakes at once.
    pub fn new(cap: usize) -> Self {
        Pending {
            cap,
            tasks: VecDeque::new(),
            dropped: Mutex::default(),
        }
    }

    /// Adds the handshake task `task`; with more than the cap under way,
    /// the oldest is aborted (its connection closed).
    pub fn admit(&mut self, task: AbortHandle) {
        self.tasks.retain(|t| !t.is_finished());
        self.tasks.push_back(task);
        if self.tasks.len() > self.cap {
            self.drop_oldest("more plugin connections in their TLS handshake than allowed");
        }
    }

    /// Aborts the oldest unfinished handshake, which frees its descriptor;
    /// false when there is none.
    pub fn drop_oldest(&mut self, why: &str) -> bool {
        self.tasks.retain(|t| !t.is_finished());
        let Some(oldest) = self.tasks.pop_front() else {
            return false;
        };
        oldest.abort();
        warn_throttled(
            &self.dropped,
            &format!("refused a plugin connection: {why}; dropped the oldest one still in its TLS handshake"),
            &[("max_pending_handshakes", json!(self.cap))],
        );
        true
    }

    /// How many handshakes are under way.
    pub fn len(&mut self) -> usize {
        self.tasks.retain(|t| !t.is_finished());
        self.tasks.len()
    }

    /// True when no handshake is under way.
    pub fn is_empty(&mut self) -> bool {
        self.len() == 0
    }
}

/// Accepts connections on the plugin port, backing off while that fails.
#[derive(Debug)]
pub struct Acceptor {
    listener: TcpListener,
    backoff: Backoff,
    failures: Throttled,
}

impl Acceptor {
    /// Accepts on `listener`.
    pub fn new(listener: TcpListener) -> Self {
        Acceptor {
            listener,
            backoff: Backoff::default(),
            failures: Throttled::default(),
        }
    }

    /// The next connection. While accepting fails the loop pauses (5 ms
    /// doubling to 1 s); out of descriptors, it first drops the oldest of
    /// `pending` handshakes to free one.
    pub async fn next(&mut self, mut pending: Option<&mut Pending>) -> (TcpStream, SocketAddr) {
        loop {
            match self.listener.accept().await {
                Ok(accepted) => {
                    self.backoff.succeeded();
                    return accepted;
                }
                Err(e) => {
                    if is_out_of_descriptors(&e) {
                        if let Some(pending) = pending.as_deref_mut() {
                            pending.drop_oldest("out of file descriptors");
                        }
                    }
                    let pause = self.backoff.failed();
                    self.log_failure(&e, pause);
                    tokio::time::sleep(pause).await;
                }
            }
        }
    }

    fn log_failure(&mut self, error: &std::io::Error, pause: Duration) {
        let Some(left_out) = self.failures.admit(Instant::now()) else {
            return;
        };
        let hint = if is_out_of_descriptors(error) {
            "; the process is out of file descriptors (another local process may be holding \
             connections to the plugin port open; raise `ulimit -n` if Terraform runs many providers)"
        } else {
            ""
        };
        log::warn(
            &format!("accepting a plugin connection failed: {error}{hint}; retrying with a backoff of up to {MAX_PAUSE:?}"),
            &[
                ("error", json!(error.to_string())),
                ("retry_in_ms", json!(pause.as_millis())),
                ("similar_warnings_left_out", json!(left_out)),
            ],
        );
    }
}

/// EMFILE (this process) or ENFILE (the whole system).
fn is_out_of_descriptors(error: &std::io::Error) -> bool {
    const EMFILE: i32 = 24;
    const ENFILE: i32 = 23;
    matches!(error.raw_os_error(), Some(EMFILE | ENFILE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_up_to_one_second_and_start_over_after_a_success() {
        let mut backoff = Backoff::default();
        let pauses: Vec<u128> = (0..10).map(|_| backoff.failed().as_millis()).collect();
        assert_eq!(pauses, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        backoff.succeeded();
        assert_eq!(backoff.failed(), FIRST_PAUSE);
    }

    #[test]
    fn one_warning_per_period_with_the_count_of_those_left_out() {
        let mut gate = Throttled::every(Duration::from_secs(10));
        let start = Instant::now();
        assert_eq!(gate.admit(start), Some(0));
        for i in 1..=1000 {
            assert_eq!(gate.admit(start + Duration::from_millis(i)), None);
        }
        assert_eq!(gate.admit(start + Duration::from_secs(10)), Some(1000));
        assert_eq!(gate.admit(start + Duration::from_secs(11)), None);
    }

    #[tokio::test]
    async fn beyond_the_cap_the_oldest_handshake_is_dropped() {
        let mut pending = Pending::new(2);
        let handshakes: Vec<_> = (0..3)
            .map(|_| tokio::spawn(std::future::pending::<()>()))
            .collect();
        for handshake in &handshakes {
            pending.admit(handshake.abort_handle());
        }
        tokio::task::yield_now().await;
        let [oldest, second, newest] = handshakes.try_into().expect("three tasks");
        assert!(oldest.await.expect_err("aborted").is_cancelled());
        assert_eq!(pending.len(), 2);
        assert!(pending.drop_oldest("test"));
        assert!(second.await.expect_err("aborted").is_cancelled());
        assert!(!newest.is_finished());
        newest.abort();
        let _ = newest.await;
        assert!(pending.is_empty());
        assert!(!pending.drop_oldest("test"), "nothing left to drop");
    }
}
