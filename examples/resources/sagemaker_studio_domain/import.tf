import {
  to = sagemaker_studio_domain.ml
  id = "d-abcdef123456"
}
