//! Client-side pacing to EC2's published per-account limits, so a large
//! apply slows down instead of failing on `RequestLimitExceeded`. Calls
//! whose result takes long to settle (an interface endpoint is pending for
//! minutes, a gateway endpoint for none) can go first
//! ([`TokenBucket::take_first_or_cancel`]), so the pending times overlap the
//! pacing instead of following it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// A wait for a token given up because Terraform asked the provider to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "stopped while waiting for EC2's request pacing (Ctrl-C, or the operation's timeout passed)"
)]
pub struct Cancelled;

/// A token bucket: `capacity` calls at once, refilled at `per_second`.
pub struct TokenBucket {
    capacity: f64,
    per_second: f64,
    state: Mutex<(f64, Instant)>,
    /// Takers waiting to go first.
    first: AtomicUsize,
}

/// Counts a taker among those waiting to go first while it waits.
struct GoingFirst<'a>(&'a AtomicUsize);

impl Drop for GoingFirst<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(capacity: f64, per_second: f64) -> Self {
        TokenBucket {
            capacity,
            per_second,
            state: Mutex::new((capacity, Instant::now())),
            first: AtomicUsize::new(0),
        }
    }

    /// EC2's bucket for CreateVpcEndpoint, DeleteVpcEndpoints and
    /// ModifyVpcEndpoint: 4 calls, refilled at 0.3 per second.
    pub fn vpc_endpoint_mutations() -> Self {
        Self::new(4.0, 0.3)
    }

    /// Takes a token if one is free; else how long until one is.
    fn try_take(&self) -> Option<Duration> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let refilled = (state.0 + now.duration_since(state.1).as_secs_f64() * self.per_second)
            .min(self.capacity);
        *state = (refilled, now);
        if refilled >= 1.0 {
            state.0 -= 1.0;
            return None;
        }
        Some(Duration::from_secs_f64((1.0 - refilled) / self.per_second))
    }

    /// Waits until a token is free and no taker waits to go first, and
    /// takes it.
    pub async fn take(&self) {
        loop {
            let wait = if self.first.load(Ordering::SeqCst) == 0 {
                match self.try_take() {
                    None => return,
                    Some(wait) => wait,
                }
            } else {
                // Those going first take the next tokens: look again after one.
                Duration::from_secs_f64(1.0 / self.per_second)
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Waits until a token is free, ahead of [`TokenBucket::take`]'s takers,
    /// and takes it.
    pub async fn take_first(&self) {
        self.first.fetch_add(1, Ordering::SeqCst);
        let _waiting = GoingFirst(&self.first);
        while let Some(wait) = self.try_take() {
            tokio::time::sleep(wait).await;
        }
    }

    /// [`TokenBucket::take_first`], unless `cancel` fires first.
    pub async fn take_first_or_cancel(&self, cancel: &CancellationToken) -> Result<(), Cancelled> {
        tokio::select! {
            biased;
            () = cancel.cancelled() => Err(Cancelled),
            () = self.take_first() => Ok(()),
        }
    }

    /// [`TokenBucket::take`], unless `cancel` fires first (StopProvider):
    /// then no token is taken and the caller must not make its call.
    pub async fn take_or_cancel(&self, cancel: &CancellationToken) -> Result<(), Cancelled> {
        tokio::select! {
            biased;
            () = cancel.cancelled() => Err(Cancelled),
            () = self.take() => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_fifth_call_waits_for_a_refill() {
        let bucket = TokenBucket::new(4.0, 2.0);
        let started = tokio::time::Instant::now();
        for _ in 0..4 {
            bucket.take().await;
        }
        assert!(started.elapsed() < Duration::from_millis(10));
        bucket.take().await;
        assert!(
            started.elapsed() >= Duration::from_millis(450),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_taker_going_first_gets_the_next_token_ahead_of_earlier_ones() {
        let bucket = TokenBucket::new(1.0, 1.0);
        bucket.take().await;
        let order = Mutex::new(Vec::new());
        let later = async {
            bucket.take().await;
            order.lock().unwrap().push("gateway");
        };
        let first = async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            bucket.take_first().await;
            order.lock().unwrap().push("interface");
        };
        let started = tokio::time::Instant::now();
        tokio::join!(later, first);
        assert_eq!(*order.lock().unwrap(), ["interface", "gateway"]);
        assert!(
            started.elapsed() >= Duration::from_millis(1900),
            "one token a second: {:?}",
            started.elapsed()
        );
        assert_eq!(bucket.first.load(Ordering::SeqCst), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_wait_ends_at_once_and_takes_no_token() {
        let bucket = TokenBucket::new(1.0, 0.1);
        let cancel = CancellationToken::new();
        bucket
            .take_or_cancel(&cancel)
            .await
            .expect("a token is free");
        let waiting = bucket.take_or_cancel(&cancel);
        let stop = async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            cancel.cancel();
        };
        let started = tokio::time::Instant::now();
        let (waited, ()) = tokio::join!(waiting, stop);
        assert_eq!(waited, Err(Cancelled));
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(bucket.take_or_cancel(&cancel).await, Err(Cancelled));
        // No token was consumed by the cancelled waits: after a refill of
        // one token (10 s at 0.1/s), an uncancelled take is immediate.
        tokio::time::sleep(Duration::from_secs(10)).await;
        let before = tokio::time::Instant::now();
        bucket.take().await;
        assert!(before.elapsed() < Duration::from_millis(10));
    }
}
