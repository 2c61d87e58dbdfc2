//! Notices that Terraform is gone. After `kill -9` of Terraform the
//! provider is re-parented (to init or a subreaper) and nothing would ever
//! call Shutdown: it would keep listening, with the user's AWS credentials,
//! until killed by hand. So the parent pid is read once at start and
//! compared every [`POLL_EVERY`] (one `getppid`, no allocation).
//!
//! `prctl(PR_SET_PDEATHSIG)` is not used: it fires when the *thread* that
//! started the process exits, and Go's runtime starts and ends threads at
//! will — it would kill a provider whose Terraform is alive and well.

use std::future::Future;
use std::os::unix::process::parent_id;
use std::time::Duration;
use tokio::time::MissedTickBehavior;

/// How often the parent pid is compared with the one read at start.
pub const POLL_EVERY: Duration = Duration::from_millis(250);

/// Reads the parent pid now and returns a future that resolves with it
/// once this process has another parent (the first one died). Call it
/// first thing, before any slow start-up work.
pub fn watch() -> impl Future<Output = u32> {
    gone(parent_id(), POLL_EVERY, parent_id)
}

/// Resolves with `original` once `current()` returns another pid, checked
/// every `every`.
pub async fn gone(original: u32, every: Duration, current: impl Fn() -> u32) -> u32 {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if current() != original {
            return original;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test(start_paused = true)]
    async fn resolves_on_the_first_check_after_the_parent_changed() {
        let checks = AtomicU32::new(0);
        let parent = || {
            // Terraform (pid 42) is the parent for 4 checks, then init.
            if checks.fetch_add(1, Ordering::SeqCst) < 4 {
                42
            } else {
                1
            }
        };
        let started = tokio::time::Instant::now();
        assert_eq!(gone(42, POLL_EVERY, parent).await, 42);
        assert_eq!(checks.load(Ordering::SeqCst), 5);
        assert_eq!(started.elapsed(), POLL_EVERY * 4);
    }

    #[tokio::test(start_paused = true)]
    async fn never_resolves_while_the_parent_lives() {
        let watching = gone(42, POLL_EVERY, || 42);
        let outcome = tokio::time::timeout(Duration::from_secs(3600), watching).await;
        assert!(
            outcome.is_err(),
            "resolved although the parent never changed"
        );
    }
}
