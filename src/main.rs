//! Entry point of `terraform-provider-sagemaker`: serves Terraform (the
//! normal case, started by terraform itself), or `--debug` for attaching
//! terraform to a provider started by hand, or `check`: the network check
//! of `sagemaker_network_check` from the command line.

use std::process::ExitCode;
use std::sync::Arc;
use tfprovider_sagemaker::framework::server::ProviderServer;
use tfprovider_sagemaker::protocol;
use tfprovider_sagemaker::provider::SageMakerProvider;

/// The address terraform knows this provider by.
const SOURCE_ADDRESS: &str = "registry.terraform.io/privatelink/sagemaker";

const USAGE: &str =
    "terraform-provider-sagemaker: Terraform provider for private networking of Amazon SageMaker.

Terraform starts this binary itself. By hand:
  terraform-provider-sagemaker --debug     serve for TF_REATTACH_PROVIDERS (prints what to export)
  terraform-provider-sagemaker --version   print the version
  terraform-provider-sagemaker check --vpc-id VPC_ID [options]
                                           which SageMaker workloads work privately in the VPC
                                           (`check --help` lists the options)";

fn main() -> ExitCode {
    let arg = std::env::args().nth(1);
    match arg.as_deref() {
        Some("--version" | "-v") => {
            eprintln!("terraform-provider-sagemaker {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Some("--help" | "-h") => {
            eprintln!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some("check") => {
            let rest: Vec<String> = std::env::args().skip(2).collect();
            return ExitCode::from(tfprovider_sagemaker::network_check::cli::run(&rest));
        }
        Some("--debug") | None => {}
        Some(other) => {
            eprintln!("unknown argument {other:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let server = Arc::new(ProviderServer::new(Arc::new(SageMakerProvider::default())));
    let result = runtime.block_on(async {
        if arg.as_deref() == Some("--debug") {
            protocol::serve_debug(server, SOURCE_ADDRESS).await
        } else {
            protocol::serve(server).await
        }
    });
    // Spawned tasks (accept loop, signal listener) never end by themselves.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // Already logged; nobody reads stderr any more.
        Err(protocol::ServeError::ParentGone(_)) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
