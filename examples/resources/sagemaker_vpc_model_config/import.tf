# By the configuration's name (with a model block, the model's name).
import {
  to = sagemaker_vpc_model_config.churn
  id = "churn-prediction"
}
