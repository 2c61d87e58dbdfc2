output "model_arn" {
  description = "The SageMaker model, running in the VPC."
  value       = sagemaker_model.this.arn
}

output "vpc_config" {
  description = "Subnets and security groups, ready for aws_sagemaker_model, training and processing jobs."
  value       = sagemaker_vpc_model_config.this.vpc_config
}

output "s3_endpoint" {
  description = "The S3 gateway endpoint the subnets use, and whether this configuration owns it."
  value = {
    id      = sagemaker_vpc_model_config.this.s3_endpoint_id
    managed = sagemaker_vpc_model_config.this.s3_endpoint_managed
  }
}

output "security_group_rules" {
  description = "The model group's rules: HTTPS egress to the VPC and to S3, nothing else."
  value       = sagemaker_vpc_model_config.this.security_group_rules
}

output "execution_role_policy_json" {
  description = "Attach to the execution role (aws_iam_role_policy): the EC2 permissions SageMaker needs in this VPC."
  value       = sagemaker_vpc_model_config.this.execution_role_policy_json
}
