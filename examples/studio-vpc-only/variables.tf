variable "region" {
  description = "AWS Region of the VPC."
  type        = string
  default     = "us-east-1"
}

variable "endpoint_url" {
  description = "Custom AWS endpoint (an emulator or a VPC endpoint URL); null for the real AWS endpoints."
  type        = string
  default     = null
}

variable "vpc_id" {
  description = "The VPC: default tenancy, DNS support and hostnames on, no internet gateway route on the subnets."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets, one per Availability Zone, at least two zones."
  type        = list(string)
}

variable "domain_name" {
  description = "Name of the Studio domain, unique in the Region."
  type        = string
  default     = "ml-platform"
}

variable "execution_role_arn" {
  description = "The role Studio apps run as."
  type        = string
  default     = "arn:aws:iam::123456789012:role/SageMakerStudioExecution"
}

variable "tags" {
  description = "Tags for every object created."
  type        = map(string)
  default     = { Team = "ml-platform" }
}
