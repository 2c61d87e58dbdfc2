# A model made outside Terraform, by its name (the configuration then gives
# `name` = that name, or the plan replaces the model).
import {
  to = sagemaker_model.churn
  id = "churn-prediction"
}
