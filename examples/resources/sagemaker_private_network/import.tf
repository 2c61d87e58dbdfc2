# By the VPC id: the VPC's one network of this provider, or — in a VPC
# without one — the endpoints and group made by hand, adopted.
import {
  to = sagemaker_private_network.ml
  id = "vpc-0a1b2c3d4e5f60718"
}
