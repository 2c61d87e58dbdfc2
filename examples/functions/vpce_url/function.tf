# The runtime URL of an endpoint made elsewhere, for clients without private
# DNS (e.g. boto3's endpoint_url). Needs Terraform 1.8 or later.
variable "runtime_endpoint_id" {
  type = string
}

output "runtime_url" {
  value = provider::sagemaker::vpce_url(var.runtime_endpoint_id, "sagemaker_runtime", "eu-west-1")
}
