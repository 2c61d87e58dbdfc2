//! The SageMaker-related VPC endpoint services by short name, and the
//! presets that group them. The one table the data source and every
//! resource use to turn `sagemaker_api` into `com.amazonaws.R.sagemaker.api`.

/// How a VPC endpoint attaches to the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointKind {
    /// Network interfaces in subnets, reached over PrivateLink.
    Interface,
    /// Routes in route tables (S3).
    Gateway,
}

impl EndpointKind {
    /// The name EC2 uses: `Interface` or `Gateway`.
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointKind::Interface => "Interface",
            EndpointKind::Gateway => "Gateway",
        }
    }
}

/// One service a SageMaker network may need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceSpec {
    /// The name users write, e.g. `sagemaker_api`.
    pub short_name: &'static str,
    pub kind: EndpointKind,
    /// The endpoint service name with `{region}` in place of the Region.
    template: &'static str,
    /// False for services that reject endpoint policies.
    pub accepts_policy: bool,
}

impl ServiceSpec {
    /// The endpoint service name in `region`.
    pub fn service_name(&self, region: &str) -> String {
        self.template.replace("{region}", region)
    }

    /// The endpoint-specific URL of the interface endpoint `endpoint_id` of
    /// this service, `https://ENDPOINT_ID.LABELS.REGION.vpce.amazonaws.com`,
    /// LABELS being the service name's parts after the Region, last first
    /// (`com.amazonaws.R.sagemaker.runtime` → `runtime.sagemaker`). `None`
    /// for a Gateway service (no DNS names) or a service not named
    /// `com.amazonaws.REGION.…` (`studio`, `notebook`).
    pub fn vpce_url(&self, endpoint_id: &str, region: &str) -> Option<String> {
        if self.kind == EndpointKind::Gateway {
            return None;
        }
        let name = self.service_name(region);
        let after_region = name.strip_prefix(&format!("com.amazonaws.{region}."))?;
        let labels: Vec<&str> = after_region.split('.').rev().collect();
        Some(format!(
            "https://{endpoint_id}.{}.{region}.vpce.amazonaws.com",
            labels.join(".")
        ))
    }
}

const fn interface(short_name: &'static str, template: &'static str) -> ServiceSpec {
    ServiceSpec {
        short_name,
        kind: EndpointKind::Interface,
        template,
        accepts_policy: true,
    }
}

/// Every service, in the order docs and outputs list them.
pub const SERVICES: &[ServiceSpec] = &[
    interface("sagemaker_api", "com.amazonaws.{region}.sagemaker.api"),
    interface(
        "sagemaker_runtime",
        "com.amazonaws.{region}.sagemaker.runtime",
    ),
    ServiceSpec {
        short_name: "sagemaker_runtime_fips",
        kind: EndpointKind::Interface,
        template: "com.amazonaws.{region}.sagemaker.runtime-fips",
        accepts_policy: false,
    },
    interface(
        "featurestore_runtime",
        "com.amazonaws.{region}.sagemaker.featurestore-runtime",
    ),
    interface(
        "sagemaker_metrics",
        "com.amazonaws.{region}.sagemaker.metrics",
    ),
    interface("studio", "aws.sagemaker.{region}.studio"),
    interface("notebook", "aws.sagemaker.{region}.notebook"),
    interface("sts", "com.amazonaws.{region}.sts"),
    interface("logs", "com.amazonaws.{region}.logs"),
    interface("servicecatalog", "com.amazonaws.{region}.servicecatalog"),
    interface("ecr_api", "com.amazonaws.{region}.ecr.api"),
    interface("ecr_dkr", "com.amazonaws.{region}.ecr.dkr"),
    interface("kms", "com.amazonaws.{region}.kms"),
    interface("monitoring", "com.amazonaws.{region}.monitoring"),
    ServiceSpec {
        short_name: "s3",
        kind: EndpointKind::Gateway,
        template: "com.amazonaws.{region}.s3",
        accepts_policy: true,
    },
];

/// Named groups of services, so users need not know the list.
pub const PRESETS: &[(&str, &[&str])] = &[
    ("hosting", &["sagemaker_api", "sagemaker_runtime", "s3"]),
    (
        "training",
        &[
            "sagemaker_api",
            "sagemaker_runtime",
            "s3",
            "sts",
            "logs",
            "ecr_api",
            "ecr_dkr",
        ],
    ),
    (
        "studio_vpc_only",
        &[
            "sagemaker_api",
            "sagemaker_runtime",
            "s3",
            "servicecatalog",
            "studio",
            "sts",
            "logs",
        ],
    ),
];

/// The services a Studio domain in `VpcOnly` mode needs: the SageMaker API
/// and Runtime, Studio and S3; STS and CloudWatch Logs for SDK training
/// jobs from notebooks (`sdk_training`); Service Catalog only for SageMaker
/// Projects (`projects`). `sagemaker_studio_domain` creates or reuses these,
/// and the network check's `studio_vpc_only` (defaults: `sdk_training`, no
/// projects) and `studio_projects` workloads ask for them.
pub fn studio_services(sdk_training: bool, projects: bool) -> Vec<&'static ServiceSpec> {
    let mut names = vec!["sagemaker_api", "sagemaker_runtime", "studio", "s3"];
    if sdk_training {
        names.extend(["sts", "logs"]);
    }
    if projects {
        names.push("servicecatalog");
    }
    names.into_iter().filter_map(service).collect()
}

/// Every short name and preset name, for validators and docs.
pub const NAMES: &[&str] = &[
    "sagemaker_api",
    "sagemaker_runtime",
    "sagemaker_runtime_fips",
    "featurestore_runtime",
    "sagemaker_metrics",
    "studio",
    "notebook",
    "sts",
    "logs",
    "servicecatalog",
    "ecr_api",
    "ecr_dkr",
    "kms",
    "monitoring",
    "s3",
    "hosting",
    "training",
    "studio_vpc_only",
];

/// The error for a short name the catalog does not have: the names, and
/// the one meant when it looks like a typo.
pub fn unknown_service(short_name: &str) -> String {
    let names = SERVICES.iter().map(|s| s.short_name);
    format!(
        "{short_name:?} is not a service short name.{} Use one of: {}.",
        crate::framework::validators::did_you_mean(short_name, names.clone()),
        names.collect::<Vec<_>>().join(", ")
    )
}

/// The service called `short_name`.
pub fn service(short_name: &str) -> Option<&'static ServiceSpec> {
    SERVICES.iter().find(|s| s.short_name == short_name)
}

/// Expands short names and preset names into services, each once, in
/// catalog order. Unknown names are returned in `Err`.
pub fn expand<'a>(
    names: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<&'static ServiceSpec>, Vec<String>> {
    let mut wanted = Vec::new();
    let mut unknown = Vec::new();
    for name in names {
        match PRESETS.iter().find(|(preset, _)| *preset == name) {
            Some((_, members)) => wanted.extend(members.iter().copied()),
            None if service(name).is_some() => {
                wanted.push(service(name).map_or(name, |s| s.short_name))
            }
            None => unknown.push(name.to_owned()),
        }
    }
    if !unknown.is_empty() {
        return Err(unknown);
    }
    Ok(SERVICES
        .iter()
        .filter(|s| wanted.contains(&s.short_name))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lists_every_service_and_preset() {
        let mut expected: Vec<&str> = SERVICES.iter().map(|s| s.short_name).collect();
        expected.extend(PRESETS.iter().map(|(p, _)| *p));
        assert_eq!(NAMES, expected.as_slice());
    }

    #[test]
    fn presets_expand_in_catalog_order_without_duplicates() {
        let names: Vec<_> = expand(["s3", "hosting"])
            .unwrap()
            .iter()
            .map(|s| s.short_name)
            .collect();
        assert_eq!(names, ["sagemaker_api", "sagemaker_runtime", "s3"]);
        let training = expand(["training"]).unwrap();
        assert_eq!(training.len(), 7);
    }

    #[test]
    fn unknown_names_are_reported() {
        assert_eq!(
            expand(["hosting", "sagemaker"]).unwrap_err(),
            vec!["sagemaker".to_owned()]
        );
    }

    #[test]
    fn service_names_follow_the_aws_patterns() {
        assert_eq!(
            service("sagemaker_api").unwrap().service_name("eu-west-1"),
            "com.amazonaws.eu-west-1.sagemaker.api"
        );
        assert_eq!(
            service("studio").unwrap().service_name("us-east-1"),
            "aws.sagemaker.us-east-1.studio"
        );
        assert_eq!(service("s3").unwrap().kind, EndpointKind::Gateway);
        assert!(!service("sagemaker_runtime_fips").unwrap().accepts_policy);
    }
}
