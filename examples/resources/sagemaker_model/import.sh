terraform import sagemaker_model.churn churn-prediction
