//! The plugin protocol as Terraform drives it, with a gRPC client built from
//! the same proto files: handshake, pinned mutual TLS, capabilities,
//! Shutdown, StopProvider, and what happens when started by hand.

mod support;

use std::time::Duration;
use support::plugin_client::{launch, try_launch, ClientIdentity, LaunchOptions, PluginProcess};
use support::provider_binary;
use tfprovider_sagemaker::protocol::proto::tfplugin6 as pb;

async fn schema_call(
    process: &PluginProcess,
    identity: Option<&ClientIdentity>,
) -> Result<pb::get_provider_schema::Response, String> {
    let channel = process
        .connect(identity)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let mut client =
        pb::provider_client::ProviderClient::new(channel).max_decoding_message_size(256 << 20);
    let call = client.get_provider_schema(pb::get_provider_schema::Request {});
    match tokio::time::timeout(Duration::from_secs(10), call).await {
        Ok(Ok(response)) => Ok(response.into_inner()),
        Ok(Err(status)) => Err(format!("rpc: {status}")),
        Err(_) => Err("rpc timed out".into()),
    }
}

#[tokio::test]
async fn mtls_accepts_only_the_certificate_terraform_announced() {
    let terraform = ClientIdentity::generate();
    let process = launch(&provider_binary(), Some(&terraform), &[]);
    assert!(
        process.is_tls(),
        "handshake must carry a server certificate"
    );

    let schema = schema_call(&process, Some(&terraform))
        .await
        .expect("the announced client is served");
    assert!(schema
        .provider
        .unwrap()
        .block
        .unwrap()
        .attributes
        .iter()
        .any(|a| a.name == "region"));
    let capabilities = schema.server_capabilities.unwrap();
    assert!(capabilities.get_provider_schema_optional && capabilities.plan_destroy);
    assert!(schema
        .data_source_schemas
        .contains_key("sagemaker_endpoint_services"));

    let stranger = ClientIdentity::generate();
    for (who, identity) in [
        ("no client certificate", None),
        ("another certificate", Some(stranger.clone())),
        (
            "the right certificate with another key",
            Some(terraform.with_key_of(&stranger)),
        ),
    ] {
        let refused = schema_call(&process, identity.as_ref()).await;
        assert!(refused.is_err(), "a client with {who} was served");
    }
    assert!(
        process
            .stderr_text()
            .contains("refused a plugin connection"),
        "refusals are logged"
    );
}

#[tokio::test]
async fn serves_plaintext_when_terraform_disables_tls() {
    let process = launch(&provider_binary(), None, &[]);
    assert!(
        !process.is_tls(),
        "TF_DISABLE_PLUGIN_TLS must give an empty certificate field"
    );
    schema_call(&process, None)
        .await
        .expect("plaintext schema call");
}

#[tokio::test]
async fn shutdown_ends_the_process_promptly() {
    let terraform = ClientIdentity::generate();
    let mut process = launch(&provider_binary(), Some(&terraform), &[]);
    let channel = process.connect(Some(&terraform)).await.expect("connect");
    let mut client = pb::provider_client::ProviderClient::new(channel.clone());
    client
        .stop_provider(pb::stop_provider::Request {})
        .await
        .expect("StopProvider answers");
    process
        .shutdown(channel)
        .await
        .expect("GRPCController/Shutdown");
    let status = process
        .wait_for_exit(Duration::from_secs(2))
        .expect("exits within 2 s of Shutdown");
    assert!(status.success(), "clean exit, got {status:?}");
}

#[tokio::test]
async fn binds_inside_the_port_range_terraform_gives() {
    let process = launch(
        &provider_binary(),
        None,
        &[("PLUGIN_MIN_PORT", "23100"), ("PLUGIN_MAX_PORT", "23140")],
    );
    let port: u16 = process.addr.rsplit(':').next().unwrap().parse().unwrap();
    assert!((23100..=23140).contains(&port), "port {port}");
    assert!(
        process.addr.starts_with("127.0.0.1:"),
        "loopback only: {}",
        process.addr
    );
}

#[test]
fn started_by_hand_it_explains_and_fails() {
    let output = std::process::Command::new(provider_binary())
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        output.stdout.is_empty(),
        "nothing on stdout: it is the handshake channel"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("not meant to be run directly") && stderr.contains("--debug"),
        "{stderr}"
    );
}

#[test]
fn refuses_a_terraform_that_only_speaks_protocol_5() {
    let options = LaunchOptions {
        extra_env: &[("PLUGIN_PROTOCOL_VERSIONS", "5")],
        ..LaunchOptions::default()
    };
    let error =
        try_launch(&provider_binary(), None, &options).expect_err("protocol 5 only must fail");
    assert!(error.stderr.contains("speaks only 6"), "{error}");
}

#[tokio::test]
async fn unknown_types_get_a_diagnostic_not_a_crash() {
    let process = launch(&provider_binary(), None, &[]);
    let channel = process.connect(None).await.unwrap();
    let mut client = pb::provider_client::ProviderClient::new(channel);
    let response = client
        .upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: "sagemaker_nope".into(),
            version: 0,
            raw_state: Some(pb::RawState {
                json: b"{}".to_vec(),
                flatmap: Default::default(),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let diagnostic = &response.diagnostics[0];
    assert_eq!(diagnostic.severity, pb::diagnostic::Severity::Error as i32);
    assert!(
        diagnostic.summary.contains("sagemaker_nope"),
        "{}",
        diagnostic.summary
    );
}
