"""Tests of scripts/demo_network.py against moto in process (no server).

    .venv/bin/python -m unittest discover -s scripts      (make test-emulator)
"""

from __future__ import annotations

import os
import sys
import unittest
from pathlib import Path

from moto import mock_aws

sys.path.insert(0, str(Path(__file__).resolve().parent))
import demo_network  # noqa: E402

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/demo"


@mock_aws
class VerifyClean(unittest.TestCase):
    """--verify-clean VPC blames only what is in that VPC."""

    def setUp(self):
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        self.ec2 = demo_network.ec2_client(None, REGION)
        self.sagemaker = demo_network.sagemaker_client(None, REGION)
        self.mine = demo_network.create(self.ec2)
        self.other = demo_network.create(self.ec2)

    def domain(self, name, network):
        self.sagemaker.create_domain(
            DomainName=name,
            AuthMode="IAM",
            DefaultUserSettings={"ExecutionRole": ROLE},
            SubnetIds=network["subnet_ids"],
            VpcId=network["vpc_id"],
            AppNetworkAccessType="VpcOnly",
        )

    def model(self, name, network):
        self.sagemaker.create_model(
            ModelName=name,
            ExecutionRoleArn=ROLE,
            PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1"},
            VpcConfig={"SecurityGroupIds": ["sg-0123456789abcdef0"], "Subnets": network["subnet_ids"]},
        )

    def test_domains_and_models_of_another_vpc_are_not_blamed(self):
        # Regression (trial #14): "Studio domain left in vpc-A" for a domain of vpc-B.
        self.domain("team-b", self.other)
        self.model("churn-b", self.other)
        vpc = self.mine["vpc_id"]
        self.assertEqual(demo_network.leftover_domains(self.sagemaker, vpc), [])
        self.assertEqual(demo_network.leftover_models(self.ec2, self.sagemaker, vpc), [])

    def test_domains_and_models_of_the_vpc_are_blamed(self):
        self.domain("team-a", self.mine)
        self.model("churn-a", self.mine)
        vpc = self.mine["vpc_id"]
        domains = demo_network.leftover_domains(self.sagemaker, vpc)
        self.assertEqual(len(domains), 1)
        self.assertIn("(team-a)", domains[0])
        self.assertEqual(
            demo_network.leftover_models(self.ec2, self.sagemaker, vpc), ["churn-a"]
        )


if __name__ == "__main__":
    unittest.main()
