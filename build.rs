//! Build script: turns the `.proto` files under `proto/` into Rust code.
//!
//! `protox` parses the protos in pure Rust (no system `protoc` needed) and
//! `tonic-prost-build` generates prost messages plus tonic clients and
//! servers. Well-known types (`google.protobuf.Timestamp`/`Empty`) are
//! generated too, so the crate does not need a direct `prost-types`
//! dependency; they land in the `google.protobuf` package module.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");

    let protos = [
        "proto/tfplugin6.proto",
        "proto/plugin/grpc_controller.proto",
        "proto/plugin/grpc_stdio.proto",
        "proto/plugin/grpc_broker.proto",
    ];
    for proto in protos {
        println!("cargo:rerun-if-changed={proto}");
    }

    let fds = protox::compile(protos, ["proto"])?;

    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_well_known_types(true)
        .compile_fds(fds)?;

    Ok(())
}
