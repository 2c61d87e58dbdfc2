# SageMaker Studio with no internet path: a private network with the
# endpoints Studio needs in VpcOnly mode (the `studio_vpc_only` preset),
# then the domain, which reuses those endpoints instead of making its own,
# with two users, each in a security group that admits only itself.
#
#   terraform init
#   terraform apply -var vpc_id=vpc-… -var 'subnet_ids=["subnet-…","subnet-…"]' \
#                   -var execution_role_arn=arn:aws:iam::…:role/…
#
# `make demo` runs it against a local AWS emulator (endpoint_url set) in a
# VPC made by scripts/demo_network.py, and checks the VPC is bare after
# destroy; leave endpoint_url null to use your real account.

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
    tags = { Project = "sagemaker-studio-vpc-only" }
  }
}

resource "sagemaker_private_network" "this" {
  vpc_id     = var.vpc_id
  subnet_ids = var.subnet_ids
  # sagemaker_api, sagemaker_runtime, s3, servicecatalog, studio, sts, logs
  services = ["studio_vpc_only"]
  tags     = var.tags
}

resource "sagemaker_studio_domain" "this" {
  name                       = var.domain_name
  subnet_ids                 = var.subnet_ids
  default_execution_role_arn = var.execution_role_arn

  # A demo: destroy removes the users' home EFS and the NFS groups too, so
  # the VPC is bare afterwards. Keep the default ("Retain") for real users.
  home_efs_retention = "Delete"

  user_profile {
    name = "data-scientist-1"
  }

  user_profile {
    name = "data-scientist-2"
    tags = { CostCenter = "research" }
  }

  tags = var.tags

  # The network's endpoints must exist first, so that the domain reuses
  # them (the network admits the VPC's CIDR on 443 by default).
  depends_on = [sagemaker_private_network.this]
}
