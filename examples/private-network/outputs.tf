output "endpoint_ids" {
  description = "VPC endpoint id of each service, by short name."
  value       = { for name, e in sagemaker_private_network.this.endpoints : name => e.id }
}

output "runtime_endpoint_url" {
  description = "SageMaker Runtime through its VPC endpoint, for clients that do not use private DNS."
  value       = sagemaker_private_network.this.runtime_endpoint_url
}

output "security_group_id" {
  description = "The endpoints' security group (ingress TCP 443 from the VPC only)."
  value       = sagemaker_private_network.this.security_group_id
}

output "s3_prefix_list_id" {
  description = "The Region's S3 prefix list, for security group egress rules of training jobs and models."
  value       = sagemaker_private_network.this.s3_prefix_list_id
}
