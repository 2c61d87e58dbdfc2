# A SageMaker model placed in the VPC a sagemaker_vpc_model_config prepares.
# Models are immutable: any change plans a replacement (-/+), and with
# name_prefix create_before_destroy keeps the old model until the new exists.
resource "sagemaker_model" "churn" {
  name_prefix        = "churn-"
  execution_role_arn = aws_iam_role.sagemaker.arn
  vpc_config         = sagemaker_vpc_model_config.churn.vpc_config

  primary_container {
    image          = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
    model_data_url = "s3://${aws_s3_bucket.models.bucket}/churn/model.tar.gz"
    environment    = { SAGEMAKER_PROGRAM = "inference.py" }
  }

  tags = { Team = "ml-platform" }

  lifecycle {
    create_before_destroy = true
  }
}
