//! What a plan's account checks found, kept in the provider process for the
//! apply that follows, so the apply re-checks only what can change between
//! the two and matters for safety instead of repeating every check.
//!
//! Terraform plans each instance again at the start of the apply walk, in
//! the process that then applies it, right before ApplyResourceChange. That
//! plan runs the checks (it cannot know it is not the first); the apply
//! then finds their facts here, keyed by everything they depended on, and
//! fetches again only what another actor can change in the meantime: the
//! endpoints of the VPC (a conflicting one, what an instance owns or left
//! unfinished), the subnets' free addresses, the objects a create adopts.
//! Facts that do not move — a VPC's CIDR blocks, the Region's endpoint
//! services and S3 prefix list, which VPC a route table is in — are reused.
//! Nothing is found when the plan had unknowns (its checks could not run),
//! when the inputs differ, or when the facts are older than [`FRESH_FOR`]:
//! then the apply runs every check itself.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the facts of a plan serve the apply that follows it. The re-plan
/// and the apply of one instance run back to back; this only bounds what a
/// long-lived process (a debug-mode provider) keeps.
pub const FRESH_FOR: Duration = Duration::from_secs(300);

type Store = HashMap<String, (Instant, Arc<dyn Any + Send + Sync>)>;

fn store() -> &'static Mutex<Store> {
    static STORE: std::sync::OnceLock<Mutex<Store>> = std::sync::OnceLock::new();
    STORE.get_or_init(Mutex::default)
}

/// Keeps `facts`, found by the checks of the inputs `key` names (every
/// input the checks depend on, the composite's type first).
pub fn remember<T: Any + Send + Sync>(key: String, facts: T) {
    let mut store = store().lock().unwrap_or_else(|e| e.into_inner());
    store.retain(|_, (at, _)| at.elapsed() < FRESH_FOR);
    store.insert(key, (Instant::now(), Arc::new(facts)));
}

/// The facts kept for `key`, if fresh; taken out, so they serve one apply.
pub fn recall<T: Any + Send + Sync + Clone>(key: &str) -> Option<T> {
    let mut store = store().lock().unwrap_or_else(|e| e.into_inner());
    let (at, facts) = store.remove(key)?;
    if at.elapsed() >= FRESH_FOR {
        return None;
    }
    facts.downcast_ref::<T>().cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_serve_one_apply_of_the_same_inputs() {
        remember("test vpc-1 a".to_owned(), 7_u32);
        assert_eq!(recall::<u32>("test vpc-1 b"), None, "other inputs");
        assert_eq!(recall::<String>("test vpc-1 a"), None, "another type");
        remember("test vpc-1 a".to_owned(), 7_u32);
        assert_eq!(recall::<u32>("test vpc-1 a"), Some(7));
        assert_eq!(recall::<u32>("test vpc-1 a"), None, "taken by the first");
    }
}
