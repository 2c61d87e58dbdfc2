# Private network: everything an existing VPC needs so that SageMaker
# training and hosting work with no internet path — interface endpoints
# (api, runtime, sts, logs, ecr), an S3 gateway endpoint with routes, the
# endpoints' security group and least-privilege endpoint policies.
#
#   terraform init
#   terraform apply -var vpc_id=vpc-… -var 'subnet_ids=["subnet-…","subnet-…"]'
#
# `make demo` runs it against a local AWS emulator (endpoint_url set) in a
# VPC made by scripts/demo_network.py; leave endpoint_url null to use your
# real account. Every check (VPC DNS attributes, subnets and their zones,
# service offerings, conflicting endpoints, policies) runs at plan.

terraform {
  required_version = ">= 1.5"
  required_providers {
    sagemaker = {
      source  = "privatelink/sagemaker"
      version = "~> 0.1"
    }
  }
}

provider "sagemaker" {
  region = var.region

  endpoints {
    ec2       = var.endpoint_url
    sagemaker = var.endpoint_url
    sts       = var.endpoint_url
  }

  default_tags {
    tags = { Project = "sagemaker-private-network" }
  }
}

resource "sagemaker_private_network" "this" {
  vpc_id     = var.vpc_id
  subnet_ids = var.subnet_ids
  services   = ["training"] # sagemaker_api, sagemaker_runtime, s3, sts, logs, ecr_api, ecr_dkr

  # Only these endpoints can be invoked through the runtime endpoint; every
  # other call through it is denied.
  runtime_invoke_endpoint_arns = var.runtime_invoke_endpoint_arns

  # S3 through the gateway endpoint reaches only these buckets.
  s3_bucket_arns = var.s3_bucket_arns

  tags = var.tags
}
