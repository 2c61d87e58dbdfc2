# Quickstart: configure the provider and list the SageMaker endpoint
# services your Region offers, with the Availability Zones of each.
#
#   terraform init && terraform apply
#
# `make demo` runs this against a local AWS emulator (endpoint_url set);
# leave endpoint_url null to use your real account.

terraform {
  required_version = ">= 1.5"
  required_providers {
    sagemaker = {
      source  = "privatelink/sagemaker"
      version = "~> 0.1"
    }
  }
}

variable "region" {
  description = "AWS Region to inspect."
  type        = string
  default     = "us-east-1"
}

variable "endpoint_url" {
  description = "Custom AWS endpoint (an emulator or a VPC endpoint URL); null for the real AWS endpoints."
  type        = string
  default     = null
}

provider "sagemaker" {
  region = var.region

  endpoints {
    ec2       = var.endpoint_url
    sagemaker = var.endpoint_url
    sts       = var.endpoint_url
  }

  default_tags {
    tags = { Project = "sagemaker-quickstart" }
  }
}

data "sagemaker_endpoint_services" "training" {
  names = ["training"]
}

output "region" {
  value = data.sagemaker_endpoint_services.training.region
}

output "service_names" {
  description = "Endpoint service name of each service the training preset needs."
  value       = { for k, s in data.sagemaker_endpoint_services.training.services : k => s.service_name }
}

output "availability_zones" {
  description = "Where each service is offered."
  value       = { for k, s in data.sagemaker_endpoint_services.training.services : k => s.availability_zones }
}

output "unavailable" {
  value = data.sagemaker_endpoint_services.training.unavailable
}
