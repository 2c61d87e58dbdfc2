//! The provider's functions: `vpce_url` and `endpoint_service_name`, the
//! two names clients need when they cannot use a resource's outputs (another
//! configuration, a module input, an endpoint made elsewhere).

use crate::catalog::{self, EndpointKind};
use crate::framework::function::{Function, FunctionError, Parameter};
use crate::value::{Type, Value};

/// Every function of the provider.
pub fn all() -> Vec<std::sync::Arc<dyn Function>> {
    vec![
        std::sync::Arc::new(VpceUrl),
        std::sync::Arc::new(EndpointServiceName),
    ]
}

/// `vpce_url(endpoint_id, service, region)`.
pub struct VpceUrl;

/// `endpoint_service_name(short_name, region)`.
pub struct EndpointServiceName;

fn text(arguments: &[Value], index: usize) -> &str {
    arguments
        .get(index)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The catalog service `short_name` (argument `index`), or an error that
/// lists the names and suggests the one meant.
fn service(short_name: &str, index: usize) -> Result<&'static catalog::ServiceSpec, FunctionError> {
    catalog::service(short_name)
        .ok_or_else(|| FunctionError::argument(index, catalog::unknown_service(short_name)))
}

/// `region` (argument `index`) when it has the form of a Region code.
fn region(region: &str, index: usize) -> Result<&str, FunctionError> {
    if crate::policy::is_region(region) {
        Ok(region)
    } else {
        Err(FunctionError::argument(
            index,
            format!("{region:?} is not a Region code: write it like \"eu-west-1\"."),
        ))
    }
}

/// The `region` parameter both functions take.
fn region_parameter() -> Parameter {
    Parameter {
        name: "region",
        ty: Type::String,
        description: "The Region code, e.g. `eu-west-1`.",
    }
}

impl Function for EndpointServiceName {
    fn name(&self) -> &'static str {
        "endpoint_service_name"
    }

    fn summary(&self) -> &'static str {
        "The VPC endpoint service name of a service short name in a Region"
    }

    fn description(&self) -> &'static str {
        "Returns the endpoint service name AWS uses for `short_name` in `region` — e.g. \
         `com.amazonaws.eu-west-1.sagemaker.api` for `sagemaker_api`, `aws.sagemaker.eu-west-1.studio` \
         for `studio` — for an `aws_vpc_endpoint` or a policy condition. Fails naming the argument \
         when the short name is not one of the provider's services (with the closest one) or the \
         Region is not a Region code."
    }

    fn parameters(&self) -> Vec<Parameter> {
        vec![
            Parameter {
                name: "short_name",
                ty: Type::String,
                description: "A service short name, as in `services` (`sagemaker_api`, `s3`, …).",
            },
            region_parameter(),
        ]
    }

    fn return_type(&self) -> Type {
        Type::String
    }

    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError> {
        let spec = service(text(arguments, 0), 0)?;
        let region = region(text(arguments, 1), 1)?;
        Ok(Value::String(spec.service_name(region)))
    }
}

impl Function for VpceUrl {
    fn name(&self) -> &'static str {
        "vpce_url"
    }

    fn summary(&self) -> &'static str {
        "The endpoint-specific HTTPS URL of an interface VPC endpoint"
    }

    fn description(&self) -> &'static str {
        "Returns `https://ENDPOINT_ID.LABELS.REGION.vpce.amazonaws.com` — e.g. \
         `https://vpce-0a1b2c3d.runtime.sagemaker.eu-west-1.vpce.amazonaws.com` for `sagemaker_runtime` \
         — the URL clients use when private DNS is off (the SDKs' `endpoint_url`). LABELS are the \
         service name's parts after the Region, last first (`com.amazonaws.REGION.ecr.dkr` gives \
         `dkr.ecr`). Fails naming the argument for an id that is not `vpce-…`, an unknown short name, \
         a Gateway service (`s3` here: gateway endpoints have no DNS names), a service not named \
         `com.amazonaws.REGION.…` (`studio`, `notebook`: use their private DNS names), or a malformed \
         Region."
    }

    fn parameters(&self) -> Vec<Parameter> {
        vec![
            Parameter {
                name: "endpoint_id",
                ty: Type::String,
                description: "The interface endpoint's id, `vpce-…`.",
            },
            Parameter {
                name: "service",
                ty: Type::String,
                description: "Its service short name, as in `services` (`sagemaker_runtime`, …).",
            },
            region_parameter(),
        ]
    }

    fn return_type(&self) -> Type {
        Type::String
    }

    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError> {
        let id = text(arguments, 0);
        let well_formed = id
            .strip_prefix("vpce-")
            .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_hexdigit()));
        if !well_formed {
            return Err(FunctionError::argument(
                0,
                format!(
                    "{id:?} is not a VPC endpoint id: write it like \"vpce-0a1b2c3d4e5f60718\"."
                ),
            ));
        }
        let spec = service(text(arguments, 1), 1)?;
        let region = region(text(arguments, 2), 2)?;
        if spec.kind == EndpointKind::Gateway {
            return Err(FunctionError::argument(
                1,
                format!(
                    "{} is a Gateway endpoint here: gateway endpoints have no DNS names, clients reach \
                     the service at its usual address through the route.",
                    spec.short_name
                ),
            ));
        }
        let Some(url) = spec.vpce_url(id, region) else {
            return Err(FunctionError::argument(
                1,
                format!(
                    "{} ({}) has no endpoint-specific vpce URL form this function knows: reach it \
                     through its private DNS name.",
                    spec.short_name,
                    spec.service_name(region)
                ),
            ));
        };
        Ok(Value::String(url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(f: &dyn Function, args: &[&str]) -> Result<String, FunctionError> {
        let values: Vec<Value> = args.iter().map(|a| Value::String((*a).into())).collect();
        f.call(&values)
            .map(|v| v.as_str().unwrap_or_default().to_owned())
    }

    #[test]
    fn vpce_urls_follow_the_service_name() {
        let url = |service| call(&VpceUrl, &["vpce-0a1b2c", service, "eu-west-1"]);
        assert_eq!(
            url("sagemaker_runtime").unwrap(),
            "https://vpce-0a1b2c.runtime.sagemaker.eu-west-1.vpce.amazonaws.com"
        );
        assert_eq!(
            url("sagemaker_api").unwrap(),
            "https://vpce-0a1b2c.api.sagemaker.eu-west-1.vpce.amazonaws.com"
        );
        assert_eq!(
            url("ecr_dkr").unwrap(),
            "https://vpce-0a1b2c.dkr.ecr.eu-west-1.vpce.amazonaws.com"
        );
        assert_eq!(
            url("sts").unwrap(),
            "https://vpce-0a1b2c.sts.eu-west-1.vpce.amazonaws.com"
        );
    }

    #[test]
    fn vpce_url_errors_name_the_argument() {
        let err = |args: &[&str]| call(&VpceUrl, args).unwrap_err();
        assert_eq!(
            err(&["vpc-1", "sagemaker_api", "eu-west-1"]).argument,
            Some(0)
        );
        let typo = err(&["vpce-1", "sagemaker_runtim", "eu-west-1"]);
        assert_eq!(typo.argument, Some(1));
        assert!(
            typo.text.contains("Did you mean \"sagemaker_runtime\"?"),
            "{}",
            typo.text
        );
        assert_eq!(err(&["vpce-1", "s3", "eu-west-1"]).argument, Some(1));
        assert_eq!(err(&["vpce-1", "studio", "eu-west-1"]).argument, Some(1));
        assert_eq!(err(&["vpce-1", "sts", "Europe"]).argument, Some(2));
    }

    #[test]
    fn endpoint_service_names() {
        let name = |args: &[&str]| call(&EndpointServiceName, args);
        assert_eq!(
            name(&["sagemaker_api", "us-east-1"]).unwrap(),
            "com.amazonaws.us-east-1.sagemaker.api"
        );
        assert_eq!(
            name(&["studio", "us-east-1"]).unwrap(),
            "aws.sagemaker.us-east-1.studio"
        );
        assert_eq!(
            name(&["hosting", "us-east-1"]).unwrap_err().argument,
            Some(0)
        );
        assert_eq!(name(&["s3", "us_east_1"]).unwrap_err().argument, Some(1));
    }
}
