# A CI gate: `terraform plan` fails, listing every problem and its fix,
# unless hosting and invocation work in these subnets with no internet path.
variable "vpc_id" {
  type = string
}

variable "subnet_ids" {
  type = list(string)
}

variable "workload_security_group_ids" {
  type    = list(string)
  default = null
}

variable "model_bucket_arns" {
  type    = list(string)
  default = null
}

variable "sagemaker_endpoint_arns" {
  type    = list(string)
  default = null
}

data "sagemaker_network_check" "serving" {
  vpc_id             = var.vpc_id
  subnet_ids         = var.subnet_ids
  security_group_ids = var.workload_security_group_ids
  workloads          = ["hosting", "runtime"]
  s3_bucket_arns     = var.model_bucket_arns
  endpoint_arns      = var.sagemaker_endpoint_arns

  lifecycle {
    # Fails the plan: "hosting: s3_route rtb-…: <what is wrong> Fix: <what to change>", one line each.
    postcondition {
      condition = self.private
      error_message = "SageMaker would not work privately in ${self.vpc_id}:\n${join("\n", flatten([
        for name, result in self.results : [
          for p in result.problems : "${name}: ${p.check} ${p.subject}: ${p.detail} Fix: ${p.fix}"
        ]
      ]))}"
    }
  }
}

# Training and Studio: reported on every plan and apply as a warning,
# without failing it (a check block never does).
check "sagemaker_training_and_studio" {
  data "sagemaker_network_check" "later" {
    vpc_id             = var.vpc_id
    subnet_ids         = var.subnet_ids
    security_group_ids = var.workload_security_group_ids
    workloads          = ["training", "studio_vpc_only"]
    s3_bucket_arns     = var.model_bucket_arns
    endpoint_arns      = var.sagemaker_endpoint_arns
  }

  assert {
    condition = data.sagemaker_network_check.later.private
    error_message = "Not yet private:\n${join("\n", flatten([
      for name, result in data.sagemaker_network_check.later.results : [
        for p in result.problems : "${name}: ${p.check} ${p.subject}: ${p.detail} Fix: ${p.fix}"
      ]
    ]))}"
  }
}

output "runtime_url" {
  description = "For clients without private DNS."
  value       = try(data.sagemaker_network_check.serving.endpoints["sagemaker_runtime"].url, null)
}
