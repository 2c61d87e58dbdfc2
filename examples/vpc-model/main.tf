# A SageMaker model inside a private VPC: the private network (interface
# endpoints for the SageMaker API and Runtime, an S3 gateway endpoint), then
# the model's own configuration — its security group (no ingress, HTTPS to
# the VPC and S3 only), the S3 path checked for every subnet (here the
# network's S3 endpoint is reused, not duplicated), the IAM policy its
# execution role needs — and the model itself, placed there.
#
#   terraform init
#   terraform apply -var vpc_id=vpc-… -var 'subnet_ids=["subnet-…","subnet-…"]' \
#                   -var execution_role_arn=arn:aws:iam::…:role/… -var image=… -var model_data_url=s3://…
#
# `make demo` runs it against a local AWS emulator (endpoint_url set) in a
# VPC made by scripts/demo_network.py; leave endpoint_url null to use your
# real account.

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
    tags = { Project = "sagemaker-vpc-model" }
  }
}

resource "sagemaker_private_network" "this" {
  vpc_id     = var.vpc_id
  subnet_ids = var.subnet_ids
  services   = ["hosting"] # sagemaker_api, sagemaker_runtime, s3
  tags       = var.tags
}

resource "sagemaker_vpc_model_config" "this" {
  name       = var.model_name
  subnet_ids = var.subnet_ids

  # Each instance takes 2 addresses in every subnet; checked at plan.
  instance_count = 2

  tags = var.tags

  # The network's S3 gateway endpoint must exist first so that this
  # configuration reuses it instead of creating its own.
  depends_on = [sagemaker_private_network.this]
}

# The model itself: immutable, so any change here plans as a replacement.
resource "sagemaker_model" "this" {
  name               = var.model_name
  execution_role_arn = var.execution_role_arn
  vpc_config         = sagemaker_vpc_model_config.this.vpc_config

  primary_container {
    image          = var.image
    model_data_url = var.model_data_url
  }

  tags = var.tags
}
