# By the VPC id, or by the network id (`vpc-…/…`, the `id` attribute).
terraform import sagemaker_private_network.ml vpc-0a1b2c3d4e5f60718
