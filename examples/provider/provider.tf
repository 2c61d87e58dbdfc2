terraform {
  required_providers {
    sagemaker = {
      source  = "privatelink/sagemaker"
      version = "~> 0.1"
    }
  }
}

# Every argument is optional: credentials and Region resolve like the AWS CLI
# (environment, shared files, SSO, web identity, instance role).
provider "sagemaker" {
  region  = "eu-west-1"
  profile = "ml-platform"

  # Work in another account through a role the profile's credentials may assume.
  assume_role {
    role_arn     = "arn:aws:iam::123456789012:role/terraform-sagemaker-network"
    session_name = "terraform-ml-platform"
    external_id  = "ml-platform"
  }

  # Tags added to every object the provider creates.
  default_tags {
    tags = {
      Team       = "ml-platform"
      CostCenter = "ml-1234"
    }
  }

  # Custom API URLs, e.g. interface VPC endpoints or a local emulator:
  # endpoints {
  #   ec2       = "https://vpce-0123456789abcdef0-abcdefgh.ec2.eu-west-1.vpce.amazonaws.com"
  #   sagemaker = "https://vpce-0123456789abcdef0-ijklmnop.api.sagemaker.eu-west-1.vpce.amazonaws.com"
  #   sts       = "https://vpce-0123456789abcdef0-qrstuvwx.sts.eu-west-1.vpce.amazonaws.com"
  # }
}
