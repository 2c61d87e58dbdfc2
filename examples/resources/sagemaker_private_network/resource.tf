# Private SageMaker hosting and training in an existing VPC: one resource
# plans the interface endpoints, the S3 gateway route, the endpoints'
# security group and least-privilege policies, and checks them at plan.
resource "sagemaker_private_network" "ml" {
  vpc_id     = aws_vpc.ml.id
  subnet_ids = [aws_subnet.private_a.id, aws_subnet.private_b.id]
  services   = ["training", "featurestore_runtime"]

  # Only these SageMaker endpoints can be invoked through the runtime endpoint.
  runtime_invoke_endpoint_arns = [aws_sagemaker_endpoint.churn.arn]

  # S3 through the gateway reaches only the model and data buckets.
  s3_bucket_arns                 = [aws_s3_bucket.models.arn, aws_s3_bucket.datasets.arn]
  deny_amazon_linux_repositories = true

  # Every endpoint's policy admits only this account's principals (the
  # default); "organization" (with principal_org_id) or "any" widens it.
  policy_principals = "account"

  tags = { Team = "ml-platform" }

  timeouts {
    create = "20m"
  }
}

# Clients without private DNS use the VPC endpoint URL directly.
output "runtime_url" {
  value = sagemaker_private_network.ml.runtime_endpoint_url
}
