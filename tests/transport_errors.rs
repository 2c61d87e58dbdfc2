//! Regression tests for unreadable transport errors: with the emulator gone
//! mid-apply, errors surfaced after 149 s of retries as a raw
//! `DispatchFailure{… ConnectionRefused}`. The clients the provider builds
//! (in-process, through [`Aws`]) are pointed at endpoints that cannot
//! answer; the error must say in words which endpoint, what happened and
//! how often it was tried, and a refused connection must fail within
//! seconds (it took 72 s here, up to ~90 s by the backoff). Last, the same
//! through `terraform plan` and the real binary.

mod support;

use std::net::TcpListener;
use std::time::{Duration, Instant};
use support::terraform::{provider_header, Workspace};
use tfprovider_sagemaker::aws::config::{Endpoints, ProviderConfig};
use tfprovider_sagemaker::aws::ec2::find;
use tfprovider_sagemaker::aws::Aws;

/// How long a refused connection may take to fail with the default retries.
const REFUSED_LIMIT: Duration = Duration::from_secs(10);

/// A provider configuration whose every endpoint is `url`.
fn config_for(url: &str, max_retries: Option<u32>) -> ProviderConfig {
    ProviderConfig {
        region: Some("us-east-1".into()),
        access_key: Some("testing".into()),
        secret_key: Some("testing".into()),
        max_retries,
        endpoints: Some(Endpoints {
            ec2: Some(url.to_owned()),
            sagemaker: Some(url.to_owned()),
            sts: Some(url.to_owned()),
        }),
        ..ProviderConfig::default()
    }
}

/// The error of a VPC lookup through `url`, and how long it took.
async fn find_vpc_error(url: &str, max_retries: Option<u32>) -> (String, Duration) {
    let aws = Aws::new(config_for(url, max_retries), Vec::new());
    let clients = aws
        .clients()
        .await
        .unwrap_or_else(|d| panic!("clients: {d:?}"));
    let started = Instant::now();
    let error = find::find_vpc(&clients.ec2, "vpc-0123456789abcdef0")
        .await
        .expect_err("nothing answers at the endpoint")
        .to_string();
    let took = started.elapsed();
    eprintln!("after {took:?}: {error}");
    (error, took)
}

/// Asserts `error` holds every one of `words`, and no SDK debug output.
fn assert_says(error: &str, words: &[&str]) {
    for word in words {
        assert!(
            error.contains(word),
            "the error does not say {word:?}:\n{error}"
        );
    }
    assert!(
        !error.contains("DispatchFailure") && !error.contains("ConnectorError"),
        "the error shows the SDK's debug output:\n{error}"
    );
}

#[tokio::test]
async fn a_refused_connection_names_the_endpoint_and_fails_within_seconds() {
    let url = format!("http://127.0.0.1:{}", support::free_port());
    let (error, took) = find_vpc_error(&url, None).await;
    assert_says(
        &error,
        &[
            "describing EC2 VPC (vpc-0123456789abcdef0): ",
            &format!("cannot connect to {url}: connection refused"),
            "tried 9 times",
            "not retrying further",
            "endpoints",
        ],
    );
    assert!(
        took < REFUSED_LIMIT,
        "a refused connection took {took:?} to fail (limit {REFUSED_LIMIT:?})"
    );
}

#[tokio::test]
async fn an_unknown_host_says_the_name_does_not_resolve() {
    let url = "http://sagemaker-provider-test.invalid";
    let (error, _) = find_vpc_error(url, Some(1)).await;
    assert_says(
        &error,
        &[
            &format!("cannot connect to {url}: the host name does not resolve"),
            "tried 2 times",
            "not retrying further",
        ],
    );
}

#[tokio::test]
async fn a_connection_closed_without_an_answer_says_it_was_lost() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    std::thread::spawn(move || {
        // Accept, read nothing, close: the request gets no answer.
        for stream in listener.incoming() {
            drop(stream);
        }
    });
    let (error, _) = find_vpc_error(&url, Some(1)).await;
    assert_says(
        &error,
        &[
            &format!("lost the connection to {url}: "),
            "tried 2 times",
            "not retrying further",
        ],
    );
}

#[test]
fn terraform_plan_against_a_closed_port_says_so_within_seconds() {
    let url = format!("http://127.0.0.1:{}", support::free_port());
    let provider = format!(
        r#"region     = "us-east-1"
  access_key = "testing"
  secret_key = "testing"
  endpoints {{
    ec2       = "{url}"
    sagemaker = "{url}"
    sts       = "{url}"
  }}"#
    );
    let main = format!(
        "{}data \"sagemaker_endpoint_services\" \"training\" {{\n  names = [\"training\"]\n}}\n",
        provider_header(&provider)
    );
    let ws = Workspace::new(&main);
    ws.init();
    let started = Instant::now();
    let output = support::one_line(&ws.plan_err());
    let took = started.elapsed();
    eprintln!("terraform plan failed after {took:?}:\n{output}");
    assert_says(
        &output,
        &[
            "Cannot list VPC endpoint services",
            &format!("cannot connect to {url}: connection refused"),
            "tried 9 times",
            "not retrying further",
        ],
    );
    assert!(
        !output.contains("Check the credentials"),
        "advice about permissions does not fit a refused connection:\n{output}"
    );
    assert!(
        took < REFUSED_LIMIT,
        "terraform plan took {took:?} to fail (limit {REFUSED_LIMIT:?})"
    );
}
