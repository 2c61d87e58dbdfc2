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
  description = "The VPC. It needs enableDnsSupport and enableDnsHostnames (private DNS)."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets in two or more Availability Zones, one per zone."
  type        = list(string)
}

variable "model_name" {
  description = "Name of the SageMaker model."
  type        = string
  default     = "churn-prediction"
}

variable "execution_role_arn" {
  description = "The model's execution role; attach the output execution_role_policy_json to it."
  type        = string
  default     = "arn:aws:iam::123456789012:role/SageMakerExecution"
}

variable "image" {
  description = "Inference container image (ECR, reached through the VPC)."
  type        = string
  default     = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
}

variable "model_data_url" {
  description = "Model artefacts in S3, read through the S3 gateway endpoint."
  type        = string
  default     = "s3://example-ml-models-123456789012/churn/model.tar.gz"
}

variable "tags" {
  description = "Tags for every object created."
  type        = map(string)
  default     = { Team = "ml-platform" }
}
