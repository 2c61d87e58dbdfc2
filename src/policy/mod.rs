//! VPC endpoint policies, one module a job: parsing with errors that say how to fix the
//! document, comparison by meaning (so AWS reformatting never shows up as a
//! diff), per-service checks, and the generators behind the least-privilege
//! helpers (`runtime_invoke_endpoint_arns`, `s3_bucket_arns`,
//! `deny_amazon_linux_repositories`), and whom the policies the provider
//! writes admit (`policy_principals`: the default policy of an endpoint
//! given none), and what a policy does with one request (static
//! evaluation, for `sagemaker_network_check`). Pure functions: nothing here calls AWS.

use crate::catalog::ServiceSpec;
use serde_json::{json, Map, Value};

mod arns;
mod compare;
mod document;
mod evaluate;
mod execution_role;
mod helpers;
mod principals;
mod service;

pub use arns::*;
pub use compare::*;
pub use document::*;
pub use evaluate::*;
pub use execution_role::*;
pub use helpers::*;
pub use principals::*;
pub use service::*;

#[cfg(test)]
mod tests;
