//! `terraform-provider-sagemaker check`: the network check without
//! Terraform, for a person at a terminal or a CI step. Same code as the
//! data source ([`super::run`]); AWS access through the standard credential
//! chain, like the AWS CLI.
//!
//! Exit codes: 0 when every workload asked for is private, 1 when one is
//! not (or the check could not run), 2 on a usage error.

use super::report::{Inputs, WORKLOADS};
use crate::aws::config::{Endpoints, ProviderConfig};
use crate::aws::Aws;
use std::io::{IsTerminal, Write};

/// The usage text.
pub const USAGE: &str = "Usage: terraform-provider-sagemaker check --vpc-id VPC_ID [options]

Checks which SageMaker workloads work in the VPC with no internet path, and
says what is missing. The same check as the data source sagemaker_network_check.

Options:
  --vpc-id ID                   the VPC to check (required)
  --region REGION               the Region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's)
  --profile NAME                the AWS profile (default: AWS_PROFILE, else the standard chain)
  --subnet-ids ID,...           where the workload runs (default: every subnet of the VPC)
  --security-group-ids ID,...   the workload's security groups (checks their egress)
  --workloads NAME,...          of api, runtime, featurestore, training, hosting, studio_vpc_only,
                                studio_projects (default: all)
  --s3-bucket-arns ARN,...      buckets to check the S3 gateway policy against
  --endpoint-arns ARN,...       SageMaker endpoints to check the runtime endpoint policy against
  --endpoint-url URL            send every AWS call to URL (an emulator, or a VPC endpoint)
  --json                        print the report as JSON (the data source's attributes)
  -h, --help                    print this help

Exit codes: 0 every workload asked for is private, 1 not (or the check could
not run), 2 usage error. Colours only on a terminal, never with NO_COLOR set.";

/// Parsed command line.
#[derive(Debug, Default, PartialEq, Eq)]
struct Options {
    inputs: Inputs,
    region: Option<String>,
    profile: Option<String>,
    endpoint_url: Option<String>,
    json: bool,
    help: bool,
}

/// A list flag's value: comma- or space-separated, empty items dropped.
fn list(value: &str) -> Vec<String> {
    value
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Appends `items` to the list in `slot` (flags may repeat).
fn extend(slot: &mut Option<Vec<String>>, items: Vec<String>) {
    slot.get_or_insert_with(Vec::new).extend(items);
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options::default();
    let mut vpc_id = None;
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_owned())),
            _ => (arg.as_str(), None),
        };
        match flag {
            "--json" => options.json = true,
            "-h" | "--help" => options.help = true,
            "--vpc-id"
            | "--region"
            | "--profile"
            | "--subnet-ids"
            | "--security-group-ids"
            | "--workloads"
            | "--s3-bucket-arns"
            | "--endpoint-arns"
            | "--endpoint-url" => {
                let value = match inline {
                    Some(value) => value,
                    None => {
                        i += 1;
                        match args.get(i) {
                            Some(value) if !value.starts_with("--") => value.clone(),
                            _ => return Err(format!("{flag} needs a value")),
                        }
                    }
                };
                let inputs = &mut options.inputs;
                match flag {
                    "--vpc-id" => vpc_id = Some(value),
                    "--region" => options.region = Some(value),
                    "--profile" => options.profile = Some(value),
                    "--endpoint-url" => options.endpoint_url = Some(value),
                    "--subnet-ids" => extend(&mut inputs.subnet_ids, list(&value)),
                    "--security-group-ids" => extend(&mut inputs.security_group_ids, list(&value)),
                    "--workloads" => extend(&mut inputs.workloads, list(&value)),
                    "--s3-bucket-arns" => extend(&mut inputs.s3_bucket_arns, list(&value)),
                    _ => extend(&mut inputs.endpoint_arns, list(&value)),
                }
            }
            other => {
                let hint = crate::framework::validators::did_you_mean(
                    other,
                    USAGE.split_whitespace().filter(|w| w.starts_with("--")),
                );
                return Err(format!("unknown argument {other:?}.{hint}"));
            }
        }
        i += 1;
    }
    if options.help {
        return Ok(options);
    }
    options.inputs.vpc_id = vpc_id.ok_or("--vpc-id is required")?;
    validate(&options.inputs)?;
    Ok(options)
}

/// The same rules the data source's validators apply.
fn validate(inputs: &Inputs) -> Result<(), String> {
    use crate::aws::ids::{check_security_group_id, check_subnet_id, check_vpc_id};
    use crate::policy::{check_bucket_arn, check_endpoint_arn};
    check_vpc_id(&inputs.vpc_id)?;
    let each = |items: &Option<Vec<String>>, rule: fn(&str) -> Result<(), String>| {
        items.iter().flatten().try_for_each(|item| rule(item))
    };
    each(&inputs.subnet_ids, check_subnet_id)?;
    each(&inputs.security_group_ids, check_security_group_id)?;
    each(&inputs.s3_bucket_arns, check_bucket_arn)?;
    each(&inputs.endpoint_arns, check_endpoint_arn)?;
    for name in inputs.workloads.iter().flatten() {
        if !WORKLOADS.contains(&name.as_str()) {
            return Err(format!(
                "{name:?} is not a workload.{} Use one of: {}.",
                crate::framework::validators::did_you_mean(name, WORKLOADS.iter().copied()),
                WORKLOADS.join(", ")
            ));
        }
    }
    Ok(())
}

/// True when stdout should get colours: a terminal, and NO_COLOR unset or
/// empty (<https://no-color.org>).
fn use_colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Runs `check ARGS` (the arguments after `check`) and returns the exit code.
pub fn run(args: &[String]) -> u8 {
    let options = match parse(args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("terraform-provider-sagemaker check: {message}\n\n{USAGE}");
            return 2;
        }
    };
    if options.help {
        eprintln!("{USAGE}");
        return 0;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return 1;
        }
    };
    let outcome = runtime.block_on(check(&options));
    let report = match outcome {
        Ok(report) => report,
        Err(message) => {
            eprintln!("terraform-provider-sagemaker check: {message}");
            return 1;
        }
    };
    let text = if options.json {
        match serde_json::to_string_pretty(&report) {
            Ok(json) => json + "\n",
            Err(e) => {
                eprintln!("cannot write the report as JSON: {e}");
                return 1;
            }
        }
    } else {
        super::text::render(&report, use_colour())
    };
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return 1;
    }
    u8::from(!report.private)
}

async fn check(options: &Options) -> Result<super::Report, String> {
    let config = ProviderConfig {
        region: options.region.clone(),
        profile: options.profile.clone(),
        endpoints: options.endpoint_url.as_ref().map(|url| Endpoints {
            ec2: Some(url.clone()),
            sagemaker: Some(url.clone()),
            sts: Some(url.clone()),
        }),
        ..ProviderConfig::default()
    };
    let aws = Aws::new(config, Vec::new());
    let clients = aws.clients().await.map_err(|diags| {
        diags
            .iter()
            .map(|d| {
                format!("{}: {}", d.summary, d.detail).replace(
                    "Set `region` in the provider block, or export AWS_REGION.",
                    "Give --region, or export AWS_REGION.",
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    super::run(clients, &options.inputs).await.map_err(|e| match e {
        super::CheckError::Read(e) if e.is_not_found() => {
            format!("{e}: check --vpc-id and --region (and that the credentials are for the VPC's account).")
        }
        super::CheckError::Read(e) => crate::aws::with_advice(
            e,
            "Check the credentials and that they allow the EC2 Describe calls (ec2:Describe*).",
        ),
        super::CheckError::Input(problem) => {
            format!("--{}: {}", problem.attribute.replace('_', "-"), problem.detail)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn flags_take_values_inline_or_next_and_lists_repeat() {
        let options = parse(&args(
            "--vpc-id vpc-1 --region=eu-west-1 --subnet-ids subnet-1,subnet-2 --subnet-ids=subnet-3 --json",
        ))
        .unwrap();
        assert_eq!(options.inputs.vpc_id, "vpc-1");
        assert_eq!(options.region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            options.inputs.subnet_ids,
            Some(vec![
                "subnet-1".into(),
                "subnet-2".into(),
                "subnet-3".into()
            ])
        );
        assert!(options.json);
    }

    #[test]
    fn usage_errors_say_what_to_do() {
        assert_eq!(parse(&args("--json")).unwrap_err(), "--vpc-id is required");
        assert!(parse(&args("--vpc-id"))
            .unwrap_err()
            .contains("needs a value"));
        assert!(parse(&args("--vpc-id vpc-1 --workload hosting"))
            .unwrap_err()
            .contains("--workloads"));
        assert!(parse(&args("--vpc-id vpc-1 --workloads hostin"))
            .unwrap_err()
            .contains("\"hosting\""));
        assert!(parse(&args("--vpc-id subnet-1"))
            .unwrap_err()
            .contains("VPC id"));
        assert!(parse(&args("--help")).unwrap().help);
    }
}
