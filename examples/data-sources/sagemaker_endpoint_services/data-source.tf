# The endpoint services SageMaker training jobs need in a VPC without
# internet access, as offered in the provider's Region.
data "sagemaker_endpoint_services" "training" {
  names = ["training"] # short names or presets: hosting, training, studio_vpc_only
}

# Availability Zones where every needed service is offered: place the
# training subnets there.
locals {
  training_azs = setintersection([
    for s in values(data.sagemaker_endpoint_services.training.services) : s.availability_zones
  ]...)
}

output "training_service_names" {
  value = { for k, s in data.sagemaker_endpoint_services.training.services : k => s.service_name }
}

output "training_azs" {
  value = local.training_azs
}

# Fail early when the Region lacks a service the training preset needs.
check "training_services_offered" {
  assert {
    condition     = length(data.sagemaker_endpoint_services.training.unavailable) == 0
    error_message = "Not offered in this Region: ${join(", ", data.sagemaker_endpoint_services.training.unavailable)}."
  }
}
