resource "sagemaker_studio_domain" "ml" {
  name                       = "ml-platform"
  subnet_ids                 = ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"]
  default_execution_role_arn = "arn:aws:iam::123456789012:role/SageMakerStudioExecution"

  user_profile {
    name = "data-scientist-1"
  }

  user_profile {
    name               = "ml-engineer-1"
    execution_role_arn = "arn:aws:iam::123456789012:role/SageMakerMLEngineer"
  }

  tags = { Team = "ml-platform" }
}
