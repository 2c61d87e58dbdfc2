//! terraform-provider-sagemaker: a Terraform provider (plugin protocol v6)
//! for private networking of Amazon SageMaker.
//!
//! Layers, from the wire up: [`protocol`] (handshake, mTLS, gRPC) and
//! [`value`] (msgpack, cty types) → [`framework`] (schemas, diagnostics,
//! resource traits) → [`provider`] (configuration) and [`aws`] (clients,
//! finders) → [`data_sources`]; [`network_check`] is shared by a data
//! source and the `check` command. Data flows one way; a resource never sees
//! protobuf, and the protocol layer never sees AWS.

pub mod aws;
pub mod catalog;
pub mod data_sources;
pub mod docs;
pub mod framework;
pub mod functions;
pub mod limits;
pub mod log;
pub mod network_check;
pub mod policy;
pub mod protocol;
pub mod provider;
pub mod resources;
pub mod value;
