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
  description = "The VPC to make private. It needs enableDnsSupport and enableDnsHostnames (private DNS)."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the endpoint network interfaces: at most one per Availability Zone, two zones or more."
  type        = list(string)
}

variable "runtime_invoke_endpoint_arns" {
  description = "The only SageMaker endpoints that may be invoked through the runtime VPC endpoint (in the Region above)."
  type        = list(string)
  default     = ["arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn-prediction"]
}

variable "s3_bucket_arns" {
  description = "The only buckets reachable through the S3 gateway endpoint: training data and model artefacts."
  type        = list(string)
  default = [
    "arn:aws:s3:::example-ml-datasets-123456789012",
    "arn:aws:s3:::example-ml-models-123456789012",
  ]
}

variable "tags" {
  description = "Tags for every object the private network creates."
  type        = map(string)
  default     = { Team = "ml-platform" }
}
