# By the domain id (`d-…`, the `domain_id` attribute). home_efs_retention is
# not kept by AWS: import records "Retain"; a configuration saying "Delete"
# plans that one change, which calls no API.
terraform import sagemaker_studio_domain.ml d-abcdef123456
