//! The provider framework: what resource authors use. Schemas as data,
//! validators, plan rules, diagnostics with attribute paths, the provider /
//! resource / data-source traits, typed values, and [`server::ProviderServer`]
//! which answers each plugin RPC in these terms. No protobuf here.

pub mod diagnostics;
pub mod function;
pub mod path;
pub mod plan;
pub mod schema;
pub mod server;
pub mod timeouts;
pub mod traits;
pub mod typed;
pub mod validators;

pub use diagnostics::{Diagnostic, Diagnostics, Severity};
pub use path::AttrPath;
pub use schema::{Attribute, Block, NestedBlock, Schema};
pub use traits::{ApplyResult, Context, DataSource, InState, PlanResult, Provider, Resource};
