# A SageMaker model that runs inside the VPC with no internet path: its
# security group, the S3 path to its artefacts (an S3 gateway endpoint
# already routed is reused, else one is created), checked at plan.
resource "sagemaker_vpc_model_config" "churn" {
  subnet_ids     = [aws_subnet.private_a.id, aws_subnet.private_b.id]
  instance_count = 2

  model {
    name               = "churn-prediction"
    execution_role_arn = aws_iam_role.sagemaker.arn
    primary_container {
      image          = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
      model_data_url = "s3://${aws_s3_bucket.models.bucket}/churn/model.tar.gz"
    }
  }

  tags = { Team = "ml-platform" }

  # Reuse the network's S3 gateway endpoint rather than create a second one.
  depends_on = [sagemaker_private_network.ml]
}

# The EC2 permissions SageMaker needs to attach the model to these subnets.
resource "aws_iam_role_policy" "sagemaker_vpc" {
  role   = aws_iam_role.sagemaker.id
  policy = sagemaker_vpc_model_config.churn.execution_role_policy_json
}

# The same placement for a model managed by the AWS provider.
resource "aws_sagemaker_model" "other" {
  name               = "fraud-detection"
  execution_role_arn = aws_iam_role.sagemaker.arn
  primary_container {
    image = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
  }
  vpc_config {
    subnets            = sagemaker_vpc_model_config.churn.vpc_config.subnets
    security_group_ids = sagemaker_vpc_model_config.churn.vpc_config.security_group_ids
  }
}
