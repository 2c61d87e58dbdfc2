//! Finder for VPC endpoint services: which catalog services the Region
//! offers, where, and how. One paginated listing, filtered here (filtering
//! by service name server-side is not portable across AWS and emulators).

use super::{describe_error, with_advice};
use crate::catalog::ServiceSpec;
use crate::framework::Diagnostics;

/// What the Region says about one endpoint service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfferedService {
    pub service_name: String,
    /// `Interface` or `Gateway`.
    pub service_type: String,
    /// Sorted.
    pub availability_zones: Vec<String>,
    pub private_dns_name: Option<String>,
    pub policy_supported: bool,
}

/// Lists every endpoint service of the Region and returns, for each of
/// `wanted`, the matching offer (same name and endpoint type), if any.
pub async fn find_offered(
    ec2: &aws_sdk_ec2::Client,
    region: &str,
    wanted: &[&ServiceSpec],
) -> Result<Vec<Option<OfferedService>>, Diagnostics> {
    let mut details = Vec::new();
    let mut next_token: Option<String> = None;
    loop {
        let page = ec2
            .describe_vpc_endpoint_services()
            .set_next_token(next_token.take())
            .send()
            .await
            .map_err(|e| {
                Diagnostics::from_error(
                    "Cannot list VPC endpoint services",
                    with_advice(
                        describe_error("describing EC2 VPC endpoint services", &e),
                        "Check the credentials and that they allow ec2:DescribeVpcEndpointServices.",
                    ),
                )
            })?;
        details.extend(page.service_details.unwrap_or_default());
        match page.next_token {
            Some(token) if !token.is_empty() => next_token = Some(token),
            _ => break,
        }
    }
    Ok(wanted
        .iter()
        .map(|spec| match_offer(spec, region, &details))
        .collect())
}

fn match_offer(
    spec: &ServiceSpec,
    region: &str,
    details: &[aws_sdk_ec2::types::ServiceDetail],
) -> Option<OfferedService> {
    let name = spec.service_name(region);
    let kind = spec.kind.as_str();
    details.iter().find_map(|detail| {
        let types: Vec<&str> = detail
            .service_type()
            .iter()
            .filter_map(|t| t.service_type())
            .map(|t| t.as_str())
            .collect();
        let same_kind = types.iter().any(|t| t.eq_ignore_ascii_case(kind));
        if detail.service_name() != Some(name.as_str()) || !same_kind {
            return None;
        }
        let mut zones: Vec<String> = detail.availability_zones().to_vec();
        zones.sort();
        Some(OfferedService {
            service_name: name.clone(),
            service_type: kind.to_owned(),
            availability_zones: zones,
            private_dns_name: detail.private_dns_name().map(str::to_owned),
            policy_supported: detail.vpc_endpoint_policy_supported().unwrap_or(false),
        })
    })
}
