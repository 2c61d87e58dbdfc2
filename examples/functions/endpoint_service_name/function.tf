# The endpoint service name of a SageMaker service, e.g. for an
# aws_vpc_endpoint or a policy condition. Needs Terraform 1.8 or later.
output "studio_service" {
  value = provider::sagemaker::endpoint_service_name("studio", "eu-west-1")
}
