//! Generated gRPC/protobuf code for the plugin protocol.
//!
//! Built by `build.rs` from `proto/`:
//! - [`tfplugin6`]: Terraform plugin protocol 6.8 (`Provider` service,
//!   schemas, diagnostics, dynamic values…);
//! - [`plugin`]: go-plugin's `GRPCController`, `GRPCStdio` and `GRPCBroker`;
//! - [`google::protobuf`]: the well-known types those files import
//!   (`Timestamp`, `Empty`).
//!
//! Nothing here is hand-written; higher layers convert these wire types into
//! framework types so resources never see protobuf.

/// Terraform plugin protocol version 6.8 (package `tfplugin6`).
#[allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    clippy::nursery,
    clippy::doc_markdown,
    clippy::doc_lazy_continuation,
    clippy::large_enum_variant,
    clippy::enum_variant_names,
    clippy::derive_partial_eq_without_eq,
    rustdoc::all
)]
pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

/// go-plugin's internal services (package `plugin`).
#[allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    clippy::nursery,
    clippy::doc_markdown,
    clippy::doc_lazy_continuation,
    clippy::enum_variant_names,
    clippy::derive_partial_eq_without_eq,
    rustdoc::all
)]
pub mod plugin {
    tonic::include_proto!("plugin");
}

/// Well-known protobuf types used by the protos above.
#[allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    clippy::nursery,
    rustdoc::all
)]
pub mod google {
    /// Package `google.protobuf` (only the types actually imported).
    #[allow(
        missing_docs,
        clippy::all,
        clippy::pedantic,
        clippy::nursery,
        rustdoc::all
    )]
    pub mod protobuf {
        tonic::include_proto!("google.protobuf");
    }
}
