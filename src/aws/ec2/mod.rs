//! EC2 building blocks for the composite resources, in the
//! terraform-provider-aws shape: [`find`] (typed finders with a first-class
//! not-found), [`wait`] (waiters and retries with backoff), [`tags`] (tag
//! specifications and updates; who owns what is [`crate::aws::ownership`]),
//! [`groups`] (owned security groups and their rules as lines) and
//! [`endpoints`] (paced VPC endpoint create, modify, delete).
//!
//! Everything returns plain Rust types, never SDK types, so resource code
//! reads as a short story built from these calls.

pub mod endpoints;
pub mod find;
pub mod groups;
pub mod tags;
pub mod wait;

pub use find::FindError;
pub use wait::{Backoff, Target, WaitError};
