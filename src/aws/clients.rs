//! AWS clients built from the provider configuration, lazily: the first
//! resource or data source that needs AWS builds them, so starting the
//! provider (three times per terraform command) costs no AWS work. The
//! caller's account id is read the same way: on first need, once.

use super::call_log::CallLogger;
use super::config::ProviderConfig;
use super::transport::{NameTheEndpoint, RetryUnreachableSoon};
use crate::framework::{AttrPath, Diagnostics};
use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_sdk_ec2::config::retry::{RetryPartition, TokenBucket};
use std::sync::Arc;
use tokio::sync::OnceCell;

/// Retries when `max_retries` is not set: enough to ride out EC2 throttling
/// (1 s doubling to 20 s, with jitter). A connection that cannot be opened
/// at all is retried after a short fixed pause instead
/// ([`super::transport::RetryUnreachableSoon`]).
const DEFAULT_MAX_RETRIES: u32 = 8;

/// Standard retry mode also keeps a client-side retry quota: a bucket of 500
/// tokens shared by every call to a service, each retry costing 5
/// (throttling) to 10 (5xx, lost connection), refilled by 1 per first-try
/// success. A large apply on a throttled account empties it, and every call
/// after that fails on its first error however many retries are allowed.
/// Retries here are already bounded — `max_retries` per call, `timeouts` per
/// operation — so, like terraform-provider-aws, the quota is turned off: one
/// unlimited bucket per service, separate from other SDK users in the process.
fn retry_partition(service: &'static str) -> RetryPartition {
    RetryPartition::custom(service)
        .token_bucket(TokenBucket::unlimited())
        .build()
}

/// The service clients, with the Region they talk to.
#[derive(Clone, Debug)]
pub struct Clients {
    pub region: String,
    pub ec2: aws_sdk_ec2::Client,
    pub sagemaker: aws_sdk_sagemaker::Client,
    pub sts: aws_sdk_sts::Client,
    /// The answer of the one GetCallerIdentity call (see
    /// [`Clients::account_id`]), shared by every clone.
    account: Arc<OnceCell<Result<String, String>>>,
}

impl Clients {
    /// The id of the account the credentials belong to, from STS
    /// GetCallerIdentity. Only the first call of the process asks STS; every
    /// later one (from any clone) gets the same answer — a failure too: the
    /// SDK has already retried it, and one plan then reports one cause.
    /// `Err` says what failed, e.g. "reading the caller's identity (STS
    /// GetCallerIdentity): ExpiredToken: …".
    pub async fn account_id(&self) -> Result<String, String> {
        let lookup = || async {
            let action = "reading the caller's identity (STS GetCallerIdentity)";
            let answer = self
                .sts
                .get_caller_identity()
                .send()
                .await
                .map_err(|e| super::describe_error(action, &e))?;
            answer
                .account
                .filter(|id| !id.is_empty())
                .ok_or_else(|| format!("{action}: STS returned no account id"))
        };
        self.account.get_or_init(lookup).await.clone()
    }
}

/// The provider configuration and the clients made from it on first use.
#[derive(Debug, Default)]
pub struct Aws {
    config: ProviderConfig,
    /// Attributes still unknown when the provider was configured.
    unknown: Vec<String>,
    clients: OnceCell<Clients>,
}

impl Aws {
    /// Keeps `config`; `unknown` names provider attributes not yet known.
    pub fn new(config: ProviderConfig, unknown: Vec<String>) -> Self {
        Aws {
            config,
            unknown,
            clients: OnceCell::new(),
        }
    }

    /// The provider configuration.
    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// The clients, built on the first call.
    pub async fn clients(&self) -> Result<&Clients, Diagnostics> {
        if let Some(name) = self.unknown.first() {
            return Err(Diagnostics::from_attribute_error(
                AttrPath::root(name),
                "Provider configuration not yet known",
                format!(
                    "The provider's {name} depends on a value known only after apply, so this cannot be read \
                     at plan time. Set {name} from a variable or a value known before apply."
                ),
            ));
        }
        self.clients
            .get_or_try_init(|| build_clients(&self.config))
            .await
    }
}

async fn build_clients(config: &ProviderConfig) -> Result<Clients, Diagnostics> {
    let sdk = load_sdk_config(config).await?;
    let Some(region) = sdk.region().map(|r| r.to_string()) else {
        return Err(Diagnostics::from_attribute_error(
            AttrPath::root("region"),
            "No AWS Region",
            "No Region was found in the provider block, AWS_REGION/AWS_DEFAULT_REGION or the profile. \
             Set `region` in the provider block, or export AWS_REGION.",
        ));
    };
    let endpoints = config.endpoints.clone().unwrap_or_default();
    let mut ec2 = aws_sdk_ec2::config::Builder::from(&sdk)
        .interceptor(CallLogger)
        .interceptor(NameTheEndpoint)
        .retry_classifier(RetryUnreachableSoon)
        .retry_partition(retry_partition("terraform-provider-sagemaker-ec2"));
    if let Some(url) = &endpoints.ec2 {
        ec2 = ec2.endpoint_url(url);
    }
    let mut sagemaker = aws_sdk_sagemaker::config::Builder::from(&sdk)
        .interceptor(CallLogger)
        .interceptor(NameTheEndpoint)
        .retry_classifier(RetryUnreachableSoon)
        .retry_partition(retry_partition("terraform-provider-sagemaker-sagemaker"));
    if let Some(url) = &endpoints.sagemaker {
        sagemaker = sagemaker.endpoint_url(url);
    }
    let mut sts = aws_sdk_sts::config::Builder::from(&sdk)
        .interceptor(CallLogger)
        .interceptor(NameTheEndpoint)
        .retry_classifier(RetryUnreachableSoon)
        .retry_partition(retry_partition("terraform-provider-sagemaker-sts"));
    if let Some(url) = &endpoints.sts {
        sts = sts.endpoint_url(url);
    }
    Ok(Clients {
        region,
        ec2: aws_sdk_ec2::Client::from_conf(ec2.build()),
        sagemaker: aws_sdk_sagemaker::Client::from_conf(sagemaker.build()),
        sts: aws_sdk_sts::Client::from_conf(sts.build()),
        account: Arc::default(),
    })
}

/// Resolves Region, credentials and retries like the AWS CLI, with the
/// provider block taking precedence.
async fn load_sdk_config(config: &ProviderConfig) -> Result<SdkConfig, Diagnostics> {
    let max_retries = config.max_retries.unwrap_or(DEFAULT_MAX_RETRIES);
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(max_retries + 1));
    if let Some(region) = &config.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = &config.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(files) = profile_files(config) {
        loader = loader.profile_files(files);
    }
    if let (Some(access_key), Some(secret_key)) = (&config.access_key, &config.secret_key) {
        let credentials = Credentials::new(
            access_key,
            secret_key,
            config.token.clone(),
            None,
            "provider-configuration",
        );
        loader = loader.credentials_provider(credentials);
    }
    let sdk = loader.load().await;
    let Some(role) = &config.assume_role else {
        return Ok(sdk);
    };
    let mut sts_view = sdk.to_builder();
    if let Some(url) = config.endpoints.as_ref().and_then(|e| e.sts.clone()) {
        sts_view.set_endpoint_url(Some(url));
    }
    let mut assume = AssumeRoleProvider::builder(role.role_arn.clone())
        .session_name(
            role.session_name
                .clone()
                .unwrap_or_else(|| "terraform-provider-sagemaker".into()),
        )
        .configure(&sts_view.build());
    if let Some(external_id) = &role.external_id {
        assume = assume.external_id(external_id.clone());
    }
    let provider = assume.build().await;
    Ok(sdk
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build())
}

fn profile_files(config: &ProviderConfig) -> Option<EnvConfigFiles> {
    let configs = config.shared_config_files.as_deref().unwrap_or_default();
    let credentials = config
        .shared_credentials_files
        .as_deref()
        .unwrap_or_default();
    if configs.is_empty() && credentials.is_empty() {
        return None;
    }
    let mut builder = EnvConfigFiles::builder();
    for path in configs {
        builder = builder.with_file(EnvConfigFileKind::Config, path);
    }
    for path in credentials {
        builder = builder.with_file(EnvConfigFileKind::Credentials, path);
    }
    if configs.is_empty() {
        builder = builder.include_default_config_file(true);
    }
    if credentials.is_empty() {
        builder = builder.include_default_credentials_file(true);
    }
    Some(builder.build())
}
