//! The Registry docs under `docs/` are generated from the schemas
//! (`src/docs.rs`): this test fails when the committed pages are stale, and
//! rewrites them with `UPDATE_DOCS=1 cargo test --test docs` (`make docs`).
//! It also fails when an attribute or block has no description.

use std::path::Path;
use std::sync::Arc;
use tfprovider_sagemaker::docs;
use tfprovider_sagemaker::framework::server::ProviderServer;
use tfprovider_sagemaker::framework::Block;
use tfprovider_sagemaker::provider::SageMakerProvider;

const FIX: &str = "UPDATE_DOCS=1 cargo test --test docs   (or: make docs)";

fn server() -> ProviderServer {
    ProviderServer::new(Arc::new(SageMakerProvider::default()))
}

/// The generated pages already on disk (`docs/index.md` and one directory
/// level of data-source and resource pages), relative to `root`.
fn pages_on_disk(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    if root.join("docs/index.md").exists() {
        found.push("docs/index.md".to_owned());
    }
    for dir in ["docs/data-sources", "docs/resources", "docs/functions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".md") {
                found.push(format!("{dir}/{name}"));
            }
        }
    }
    found
}

#[test]
fn docs_are_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let server = server();
    let pages = docs::render_all(&server, root);
    let stale_extra: Vec<String> = pages_on_disk(root)
        .into_iter()
        .filter(|on_disk| !pages.iter().any(|(rel, _)| rel == on_disk))
        .collect();

    if std::env::var("UPDATE_DOCS").as_deref() == Ok("1") {
        docs::write_all(&server, root).expect("write docs");
        for rel in &stale_extra {
            std::fs::remove_file(root.join(rel)).expect("remove stale page");
        }
        return;
    }

    let mut problems = Vec::new();
    for (rel, expected) in &pages {
        match std::fs::read_to_string(root.join(rel)) {
            Ok(actual) if actual == *expected => {}
            Ok(_) => problems.push(format!("{rel} is stale")),
            Err(_) => problems.push(format!("{rel} is missing")),
        }
    }
    for rel in &stale_extra {
        problems.push(format!("{rel} documents nothing the provider declares"));
    }
    assert!(
        problems.is_empty(),
        "The Registry docs do not match the schemas:\n  {}\nRegenerate them with: {FIX}",
        problems.join("\n  ")
    );
}

/// Names of attributes and nested blocks under `block` with no description.
fn undocumented(block: &Block, at: &str, missing: &mut Vec<String>) {
    for attribute in &block.attributes {
        if attribute.description.trim().is_empty() {
            missing.push(format!("{at}.{}", attribute.name));
        }
    }
    for nested in &block.blocks {
        let path = format!("{at}.{}", nested.name);
        if nested.block.description.trim().is_empty() {
            missing.push(format!("{path} (block)"));
        }
        undocumented(&nested.block, &path, missing);
    }
}

#[test]
fn every_attribute_and_block_is_documented() {
    let server = server();
    let provider = [("provider", server.provider_schema())];
    let schemas = provider
        .into_iter()
        .chain(server.data_source_schemas())
        .chain(server.resource_schemas());
    let mut missing = Vec::new();
    for (name, schema) in schemas {
        if schema.block.description.trim().is_empty() {
            missing.push(format!("{name} (schema)"));
        }
        undocumented(&schema.block, name, &mut missing);
    }
    assert!(
        missing.is_empty(),
        "These have no description, so their Registry docs would be empty; add one in the schema:\n  {}",
        missing.join("\n  ")
    );
}
