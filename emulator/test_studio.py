"""Tests of the Studio extension: the launcher (emulator/serve.py) started on a
free port exactly as the Rust tests start it, driven with boto3.

    .venv/bin/python -m unittest discover -s emulator      (make test-emulator)

Every test starts from `/moto-api/reset`. Timing tests use the per-call delay
tag (a few tenths of a second) or a second launcher with the environment knobs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
from pathlib import Path
from typing import Any, Callable

import boto3
from botocore.exceptions import ClientError

HERE = Path(__file__).resolve().parent
DELAY = "emulator:delay-seconds"
FAIL = "emulator:fail-reason"
UPDATE_FAIL = "emulator:update-fail-reason"
ROLE = "arn:aws:iam::123456789012:role/studio"


class Emulator:
    """serve.py on 127.0.0.1, port chosen by the OS and read from its banner."""

    def __init__(self, env: dict[str, str] | None = None):
        self.clients: dict[tuple[str, str | None], Any] = {}
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "serve.py"), "-H", "127.0.0.1", "-p", "0"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
        deadline = time.monotonic() + 30
        while True:
            self.log.seek(0)
            found = re.search(rb"Running on http://127\.0\.0\.1:(\d+)", self.log.read())
            if found:
                self.url = f"http://127.0.0.1:{int(found.group(1))}"
                break
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.log.seek(0)
                raise RuntimeError(f"serve.py did not start:\n{self.log.read().decode()}")
            time.sleep(0.05)

    def client(self, service: str, account: str | None = None) -> Any:
        key = (service, account)
        if key not in self.clients:
            self.clients[key] = self.new_client(service, account)
        return self.clients[key]

    def new_client(self, service: str, account: str | None) -> Any:
        client = boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        if account:  # moto's header for "another account"
            client.meta.events.register(
                "before-send.*",
                lambda request, **_: request.headers.__setitem__("x-moto-account-id", account),
            )
        return client

    def reset(self) -> None:
        urllib.request.urlopen(urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")).read()

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()
        self.log.close()


SERVER: Emulator


def setUpModule() -> None:
    global SERVER
    SERVER = Emulator()


def tearDownModule() -> None:
    SERVER.stop()


def wait_for(check: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class StudioCase(unittest.TestCase):
    """A fresh emulator state with a VPC, three subnets in three AZs and a group."""

    server: Emulator

    def setUp(self) -> None:
        self.server = SERVER
        self.server.reset()
        self.sm = self.server.client("sagemaker")
        self.ec2 = self.server.client("ec2")
        self.efs = self.server.client("efs")
        self.vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.subnets = [
            self.ec2.create_subnet(
                VpcId=self.vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{z}"
            )["Subnet"]["SubnetId"]
            for i, z in enumerate("abc", start=1)
        ]
        self.group = self.ec2.create_security_group(
            GroupName="studio-users", Description="u", VpcId=self.vpc
        )["GroupId"]

    # --- helpers

    def create_domain(
        self, *, subnets: list[str] | None = None, tags: dict[str, str] | None = None, **extra: Any
    ) -> str:
        args = dict(
            DomainName=extra.pop("DomainName", "studio"),
            AuthMode="IAM",
            DefaultUserSettings={"ExecutionRole": ROLE, "SecurityGroups": [self.group]},
            VpcId=self.vpc,
            SubnetIds=subnets or self.subnets[:2],
            AppNetworkAccessType="VpcOnly",
            Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
        )
        args.update(extra)
        return self.sm.create_domain(**args)["DomainId"]

    def domain(self, domain_id: str) -> dict[str, Any]:
        return self.sm.describe_domain(DomainId=domain_id)

    def create_profile(self, domain_id: str, name: str = "alice", **extra: Any) -> None:
        self.sm.create_user_profile(DomainId=domain_id, UserProfileName=name, **extra)

    def plant_app(self, domain_id: str, *, tags: dict[str, str] | None = None, **owner: str) -> None:
        """An app, as a test plants it: the normal CreateApp call."""
        self.sm.create_app(
            DomainId=domain_id,
            AppType="JupyterServer",
            AppName="default",
            Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
            **(owner or {"UserProfileName": "alice"}),
        )

    def describe_app(self, domain_id: str, **owner: str) -> dict[str, Any]:
        """The planted app of `owner` (UserProfileName=… or SpaceName=…; default alice)."""
        owner = owner or {"UserProfileName": "alice"}
        return self.sm.describe_app(DomainId=domain_id, AppType="JupyterServer", AppName="default", **owner)

    def app_status(self, domain_id: str, **owner: str) -> str:
        return self.describe_app(domain_id, **owner)["Status"]

    def delete_app(self, domain_id: str, **owner: str) -> None:
        owner = owner or {"UserProfileName": "alice"}
        self.sm.delete_app(DomainId=domain_id, AppType="JupyterServer", AppName="default", **owner)

    def groups_in_vpc(self) -> dict[str, dict[str, Any]]:
        groups = self.ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [self.vpc]}])
        return {g["GroupName"]: g for g in groups["SecurityGroups"]}

    def mount_targets(self, fs_id: str) -> list[dict[str, Any]]:
        return self.efs.describe_mount_targets(FileSystemId=fs_id)["MountTargets"]

    def assert_error(
        self, code: str, call: Callable[..., Any], *args: Any, match: str = "", **kwargs: Any
    ) -> str:
        with self.assertRaises(ClientError) as raised:
            call(*args, **kwargs)
        error = raised.exception.response["Error"]
        self.assertEqual(error["Code"], code, error)
        self.assertIn(match, error["Message"])
        return error["Message"]


class DomainTest(StudioCase):
    def test_moto_still_serves_the_rest(self) -> None:
        # The launcher serves what moto_server serves (the Rust tests warm up with this).
        self.assertTrue(self.ec2.describe_vpcs()["Vpcs"])
        self.sm.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "i"})
        self.assertEqual(self.sm.describe_model(ModelName="m")["ModelName"], "m")

    def test_create_domain_makes_home_efs_and_nfs_groups(self) -> None:
        domain_id = self.create_domain()
        self.assertRegex(domain_id, r"^d-[a-z0-9]{12}$")
        domain = self.domain(domain_id)
        self.assertEqual(domain["Status"], "InService")
        self.assertEqual(domain["AppNetworkAccessType"], "VpcOnly")
        self.assertEqual(domain["SubnetIds"], self.subnets[:2])
        self.assertEqual(domain["DefaultUserSettings"]["SecurityGroups"], [self.group])
        self.assertEqual(domain["Url"], f"https://{domain_id}.studio.us-east-1.sagemaker.aws")

        fs_id = domain["HomeEfsFileSystemId"]
        fs = self.efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]
        self.assertIn({"Key": "ManagedByAmazonSageMakerResource", "Value": domain["DomainArn"]}, fs["Tags"])
        targets = self.mount_targets(fs_id)
        self.assertEqual(sorted(t["SubnetId"] for t in targets), sorted(self.subnets[:2]))

        groups = self.groups_in_vpc()
        inbound = groups[f"security-group-for-inbound-nfs-{domain_id}"]
        outbound = groups[f"security-group-for-outbound-nfs-{domain_id}"]
        nfs_in = [p for p in inbound["IpPermissions"] if p.get("FromPort") == 2049]
        nfs_out = [p for p in outbound["IpPermissionsEgress"] if p.get("FromPort") == 2049]
        self.assertEqual(nfs_in[0]["UserIdGroupPairs"][0]["GroupId"], outbound["GroupId"])
        self.assertEqual(nfs_out[0]["UserIdGroupPairs"][0]["GroupId"], inbound["GroupId"])
        for target in targets:
            interface = self.ec2.describe_network_interfaces(
                NetworkInterfaceIds=[target["NetworkInterfaceId"]]
            )
            groups_on_eni = [g["GroupId"] for g in interface["NetworkInterfaces"][0]["Groups"]]
            self.assertEqual(groups_on_eni, [inbound["GroupId"]])

        summaries = self.sm.list_domains()["Domains"]
        self.assertEqual([(d["DomainId"], d["Status"]) for d in summaries], [(domain_id, "InService")])

    def test_two_subnets_in_one_zone_get_one_mount_target(self) -> None:
        extra = self.ec2.create_subnet(VpcId=self.vpc, CidrBlock="10.0.9.0/24", AvailabilityZone="us-east-1a")
        domain_id = self.create_domain(subnets=[self.subnets[0], extra["Subnet"]["SubnetId"]])
        targets = self.mount_targets(self.domain(domain_id)["HomeEfsFileSystemId"])
        self.assertEqual([t["SubnetId"] for t in targets], [self.subnets[0]])

    def test_create_domain_checks_its_input(self) -> None:
        self.create_domain()
        self.assert_error("ResourceInUse", self.create_domain, match="already exists")
        self.assert_error(
            "ValidationException", self.create_domain, DomainName="b", SubnetIds=["subnet-12345678"]
        )
        other_vpc = self.ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        self.assert_error("ValidationException", self.create_domain, DomainName="c", VpcId=other_vpc)
        self.assert_error(
            "ValidationException",
            self.sm.create_domain,
            DomainName="d",
            AuthMode="IAM",
            DefaultUserSettings={},
            AppNetworkAccessType="VpcOnly",
        )
        five = [self.group] + [
            self.ec2.create_security_group(GroupName=f"g{i}", Description="g", VpcId=self.vpc)["GroupId"]
            for i in range(4)
        ]
        self.assert_error(
            "ValidationException",
            self.create_domain,
            DomainName="e",
            DefaultUserSettings={"ExecutionRole": ROLE, "SecurityGroups": five},
            match="at most 4",
        )

    def test_status_moves_after_the_delay_of_the_call(self) -> None:
        domain_id = self.create_domain(tags={DELAY: "0.3"})
        self.assertEqual(self.domain(domain_id)["Status"], "Pending")
        self.assertEqual(self.sm.list_domains()["Domains"][0]["Status"], "Pending")
        self.assert_error("ResourceInUse", self.create_profile, domain_id)  # not ready yet
        self.assert_error("ResourceInUse", self.sm.delete_domain, DomainId=domain_id)
        wait_for(lambda: self.domain(domain_id)["Status"] == "InService", "InService")

        self.sm.update_domain(DomainId=domain_id, DefaultUserSettings={"ExecutionRole": ROLE})
        self.assertEqual(self.domain(domain_id)["Status"], "Updating")
        wait_for(lambda: self.domain(domain_id)["Status"] == "InService", "InService after the update")

        self.sm.delete_domain(DomainId=domain_id)
        self.assertEqual(self.domain(domain_id)["Status"], "Deleting")
        self.assertEqual(self.sm.list_domains()["Domains"][0]["Status"], "Deleting")
        wait_for(lambda: not self.sm.list_domains()["Domains"], "the domain gone")
        self.assert_error("ResourceNotFound", self.domain, domain_id)

    def test_failure_reason_on_request(self) -> None:
        domain_id = self.create_domain(tags={FAIL: "no capacity"})
        domain = self.domain(domain_id)
        self.assertEqual((domain["Status"], domain["FailureReason"]), ("Failed", "no capacity"))
        self.sm.delete_domain(DomainId=domain_id)  # a failed domain can be deleted
        self.assert_error("ResourceNotFound", self.domain, domain_id)

    def test_control_fails_an_existing_domain_which_then_cannot_be_updated(self) -> None:
        domain_id = self.create_domain(tags={"team": "ml"})
        arn = self.domain(domain_id)["DomainArn"]
        self.sm.add_tags(ResourceArn=arn, Tags=[{"Key": FAIL, "Value": "KMS key disabled"}])
        domain = self.domain(domain_id)
        self.assertEqual((domain["Status"], domain["FailureReason"]), ("Failed", "KMS key disabled"))
        self.assertEqual(self.sm.list_domains()["Domains"][0]["Status"], "Failed")
        # A control, not a tag: the provider sees no tag it did not set.
        self.assertEqual(self.sm.list_tags(ResourceArn=arn)["Tags"], [{"Key": "team", "Value": "ml"}])
        self.assert_error(  # "Delete the failed domain and recreate the domain"
            "ValidationException",
            self.sm.update_domain,
            DomainId=domain_id,
            DefaultUserSettings={"ExecutionRole": ROLE},
            match="cannot be updated",
        )
        self.assert_error("ResourceInUse", self.create_profile, domain_id)  # not usable
        self.sm.delete_domain(DomainId=domain_id)
        self.assert_error("ResourceNotFound", self.domain, domain_id)

    def test_control_update_failed_domain_is_updated_again(self) -> None:
        domain_id = self.create_domain()
        arn = self.domain(domain_id)["DomainArn"]
        self.sm.add_tags(ResourceArn=arn, Tags=[{"Key": UPDATE_FAIL, "Value": "role not assumable"}])
        domain = self.domain(domain_id)
        self.assertEqual((domain["Status"], domain["FailureReason"]), ("Update_Failed", "role not assumable"))
        self.create_profile(domain_id)  # still usable
        # "Call the UpdateDomain API after fixing the error mentioned in FailureReason."
        self.sm.update_domain(DomainId=domain_id, DefaultUserSettings={"ExecutionRole": ROLE})
        domain = self.domain(domain_id)
        self.assertEqual(domain["Status"], "InService")
        self.assertNotIn("FailureReason", domain)

    def test_control_is_refused_on_an_app(self) -> None:
        domain_id = self.create_domain()
        self.create_profile(domain_id)
        self.plant_app(domain_id)
        arn = self.describe_app(domain_id)["AppArn"]
        self.assert_error(
            "ValidationException", self.sm.add_tags, ResourceArn=arn, Tags=[{"Key": FAIL, "Value": "x"}]
        )

    def test_domain_not_deletable_while_profiles_or_spaces_exist(self) -> None:
        domain_id = self.create_domain()
        self.create_profile(domain_id)
        self.sm.create_space(DomainId=domain_id, SpaceName="team")
        message = self.assert_error("ResourceInUse", self.sm.delete_domain, DomainId=domain_id)
        self.assertIn("alice", message)
        self.sm.delete_user_profile(DomainId=domain_id, UserProfileName="alice")
        self.assert_error("ResourceInUse", self.sm.delete_domain, DomainId=domain_id, match="team")
        self.sm.delete_space(DomainId=domain_id, SpaceName="team")
        self.sm.delete_domain(DomainId=domain_id)

    def test_domains_of_other_accounts_are_not_seen(self) -> None:
        domain_id = self.create_domain()
        other = self.server.client("sagemaker", account="111111111111")
        self.assertEqual(other.list_domains()["Domains"], [])
        self.assert_error("ResourceNotFound", other.describe_domain, DomainId=domain_id)

    def test_domain_tags(self) -> None:
        domain_id = self.create_domain(tags={"team": "ml"})
        arn = self.domain(domain_id)["DomainArn"]
        self.sm.add_tags(
            ResourceArn=arn, Tags=[{"Key": "team", "Value": "ai"}, {"Key": "cost", "Value": "1"}]
        )
        self.assertEqual(
            self.sm.list_tags(ResourceArn=arn)["Tags"],
            [{"Key": "team", "Value": "ai"}, {"Key": "cost", "Value": "1"}],
        )
        self.sm.delete_tags(ResourceArn=arn, TagKeys=["team"])
        self.assertEqual(self.sm.list_tags(ResourceArn=arn)["Tags"], [{"Key": "cost", "Value": "1"}])

    def test_home_efs_can_be_enabled_later_but_not_disabled(self) -> None:
        domain_id = self.create_domain(HomeEfsFileSystemCreation="Disabled")
        self.assertNotIn("HomeEfsFileSystemId", self.domain(domain_id))
        self.assertEqual(self.efs.describe_file_systems()["FileSystems"], [])
        self.assertFalse([n for n in self.groups_in_vpc() if "nfs" in n])
        self.sm.update_domain(DomainId=domain_id, HomeEfsFileSystemCreation="Enabled")
        fs_id = self.domain(domain_id)["HomeEfsFileSystemId"]
        self.assertEqual(len(self.mount_targets(fs_id)), 2)
        self.assertEqual(len([n for n in self.groups_in_vpc() if "nfs" in n]), 2)
        self.assert_error(
            "ValidationException",
            self.sm.update_domain,
            DomainId=domain_id,
            HomeEfsFileSystemCreation="Disabled",
        )


class DeleteDomainTest(StudioCase):
    def test_retain_keeps_efs_and_groups_which_block_the_network(self) -> None:
        domain_id = self.create_domain()
        fs_id = self.domain(domain_id)["HomeEfsFileSystemId"]
        self.sm.delete_domain(DomainId=domain_id)  # RetentionPolicy Retain is the default
        self.assert_error("ResourceNotFound", self.domain, domain_id)
        self.assertEqual(len(self.mount_targets(fs_id)), 2)
        groups = self.groups_in_vpc()
        inbound = groups[f"security-group-for-inbound-nfs-{domain_id}"]
        outbound = groups[f"security-group-for-outbound-nfs-{domain_id}"]

        # As in AWS: the mount targets hold the subnets, the groups each other.
        self.assert_error("DependencyViolation", self.ec2.delete_subnet, SubnetId=self.subnets[0])
        self.assert_error("DependencyViolation", self.ec2.delete_security_group, GroupId=outbound["GroupId"])
        self.ec2.delete_subnet(SubnetId=self.subnets[2])  # not the domain's: free to go

        for target in self.mount_targets(fs_id):
            self.efs.delete_mount_target(MountTargetId=target["MountTargetId"])
        self.efs.delete_file_system(FileSystemId=fs_id)
        for subnet in self.subnets[:2]:
            self.ec2.delete_subnet(SubnetId=subnet)
        self.assert_error("DependencyViolation", self.ec2.delete_vpc, VpcId=self.vpc)

        self.revoke_nfs_rules(inbound, outbound)
        self.ec2.delete_security_group(GroupId=inbound["GroupId"])
        self.ec2.delete_security_group(GroupId=outbound["GroupId"])
        self.ec2.delete_security_group(GroupId=self.group)
        self.ec2.delete_vpc(VpcId=self.vpc)

    def test_delete_policy_deletes_efs_but_not_the_groups(self) -> None:
        domain_id = self.create_domain()
        fs_id = self.domain(domain_id)["HomeEfsFileSystemId"]
        self.sm.delete_domain(DomainId=domain_id, RetentionPolicy={"HomeEfsFileSystem": "Delete"})
        self.assert_error("FileSystemNotFound", self.efs.describe_file_systems, FileSystemId=fs_id)
        for subnet in self.subnets:
            self.ec2.delete_subnet(SubnetId=subnet)  # no mount target holds them now
        groups = self.groups_in_vpc()
        inbound = groups[f"security-group-for-inbound-nfs-{domain_id}"]
        outbound = groups[f"security-group-for-outbound-nfs-{domain_id}"]
        self.ec2.delete_security_group(GroupId=self.group)
        self.assert_error("DependencyViolation", self.ec2.delete_vpc, VpcId=self.vpc)
        self.assert_error("DependencyViolation", self.ec2.delete_security_group, GroupId=inbound["GroupId"])
        self.revoke_nfs_rules(inbound, outbound)
        self.ec2.delete_security_group(GroupId=inbound["GroupId"])
        self.ec2.delete_security_group(GroupId=outbound["GroupId"])
        self.ec2.delete_vpc(VpcId=self.vpc)

    def test_retention_policy_is_checked(self) -> None:
        domain_id = self.create_domain()
        self.assert_error(
            "ValidationException",
            self.sm.delete_domain,
            DomainId=domain_id,
            RetentionPolicy={"HomeEfsFileSystem": "Keep"},
        )

    def revoke_nfs_rules(self, inbound: dict[str, Any], outbound: dict[str, Any]) -> None:
        nfs = [p for p in inbound["IpPermissions"] if p.get("FromPort") == 2049]
        self.ec2.revoke_security_group_ingress(GroupId=inbound["GroupId"], IpPermissions=nfs)
        nfs = [p for p in outbound["IpPermissionsEgress"] if p.get("FromPort") == 2049]
        self.ec2.revoke_security_group_egress(GroupId=outbound["GroupId"], IpPermissions=nfs)


class UpdateDomainTest(StudioCase):
    def test_subnets_can_be_added(self) -> None:
        domain_id = self.create_domain()
        self.create_profile(domain_id)
        self.plant_app(domain_id)  # adding is fine with apps running
        self.sm.update_domain(DomainId=domain_id, SubnetIds=self.subnets)
        domain = self.domain(domain_id)
        self.assertEqual(domain["SubnetIds"], self.subnets)
        targets = self.mount_targets(domain["HomeEfsFileSystemId"])
        self.assertEqual(sorted(t["SubnetId"] for t in targets), sorted(self.subnets))

    def test_subnets_cannot_be_removed_while_an_app_runs(self) -> None:
        domain_id = self.create_domain(subnets=self.subnets)
        self.create_profile(domain_id)
        self.plant_app(domain_id)
        self.assert_error(
            "ValidationException",
            self.sm.update_domain,
            DomainId=domain_id,
            SubnetIds=self.subnets[:2],
            match="default",
        )
        self.delete_app(domain_id)
        self.assertEqual(self.app_status(domain_id), "Deleted")
        self.sm.update_domain(DomainId=domain_id, SubnetIds=self.subnets[:2])
        domain = self.domain(domain_id)
        self.assertEqual(domain["SubnetIds"], self.subnets[:2])
        targets = self.mount_targets(domain["HomeEfsFileSystemId"])
        self.assertEqual(sorted(t["SubnetId"] for t in targets), sorted(self.subnets[:2]))
        self.ec2.delete_subnet(SubnetId=self.subnets[2])  # its mount target is gone

    def test_a_pending_or_deleting_app_blocks_too(self) -> None:
        domain_id = self.create_domain(subnets=self.subnets)
        self.create_profile(domain_id)
        self.plant_app(domain_id, tags={DELAY: "0.3"})
        self.assertEqual(self.app_status(domain_id), "Pending")
        self.assert_error(
            "ValidationException", self.sm.update_domain, DomainId=domain_id, SubnetIds=self.subnets[:1]
        )
        wait_for(lambda: self.app_status(domain_id) == "InService", "the app InService")
        self.delete_app(domain_id)
        self.assertEqual(self.app_status(domain_id), "Deleting")
        self.assert_error(
            "ValidationException", self.sm.update_domain, DomainId=domain_id, SubnetIds=self.subnets[:1]
        )
        wait_for(lambda: self.app_status(domain_id) == "Deleted", "the app Deleted")
        self.sm.update_domain(DomainId=domain_id, SubnetIds=self.subnets[:1])

    def test_network_access_type(self) -> None:
        domain_id = self.create_domain()
        self.create_profile(domain_id)
        self.plant_app(domain_id)
        self.assert_error(
            "ValidationException",
            self.sm.update_domain,
            DomainId=domain_id,
            AppNetworkAccessType="PublicInternetOnly",
        )
        self.delete_app(domain_id)
        self.sm.update_domain(DomainId=domain_id, AppNetworkAccessType="PublicInternetOnly")
        self.assertEqual(self.domain(domain_id)["AppNetworkAccessType"], "PublicInternetOnly")
        # Back to VpcOnly: AWS wants VpcId and SubnetIds in the same request.
        self.assert_error(
            "ValidationException",
            self.sm.update_domain,
            DomainId=domain_id,
            AppNetworkAccessType="VpcOnly",
            match="VpcId and Subnet IDs are required",
        )
        self.sm.update_domain(
            DomainId=domain_id, AppNetworkAccessType="VpcOnly", VpcId=self.vpc, SubnetIds=self.subnets[:2]
        )
        self.assertEqual(self.domain(domain_id)["AppNetworkAccessType"], "VpcOnly")
        other_vpc = self.ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        self.assert_error(
            "ValidationException",
            self.sm.update_domain,
            DomainId=domain_id,
            AppNetworkAccessType="VpcOnly",
            VpcId=other_vpc,
            SubnetIds=self.subnets[:2],
        )

    def test_settings_are_updated(self) -> None:
        domain_id = self.create_domain(DomainSettings={"SecurityGroupIds": [self.group]})
        second = self.ec2.create_security_group(GroupName="second", Description="s", VpcId=self.vpc)[
            "GroupId"
        ]
        self.sm.update_domain(
            DomainId=domain_id,
            DefaultUserSettings={"SecurityGroups": [second]},
            DomainSettingsForUpdate={"SecurityGroupIds": [second]},
        )
        domain = self.domain(domain_id)
        self.assertEqual(domain["DefaultUserSettings"], {"ExecutionRole": ROLE, "SecurityGroups": [second]})
        self.assertEqual(domain["DomainSettings"]["SecurityGroupIds"], [second])
        self.assert_error(
            "ValidationException",
            self.sm.update_domain,
            DomainId=domain_id,
            AppSecurityGroupManagement="Service",
            match="Rstudio",
        )
        self.assert_error("ResourceNotFound", self.sm.update_domain, DomainId="d-000000000000")


class UserProfileTest(StudioCase):
    def test_lifecycle_and_settings(self) -> None:
        domain_id = self.create_domain()
        self.create_profile(
            domain_id,
            "Alice",
            UserSettings={"ExecutionRole": ROLE, "SecurityGroups": [self.group]},
            Tags=[{"Key": "team", "Value": "ml"}],
        )
        profile = self.sm.describe_user_profile(
            DomainId=domain_id, UserProfileName="alice"
        )  # not case sensitive
        self.assertEqual(profile["UserProfileName"], "Alice")
        self.assertEqual(profile["Status"], "InService")
        self.assertEqual(profile["UserSettings"], {"ExecutionRole": ROLE, "SecurityGroups": [self.group]})
        self.assertEqual(
            profile["UserProfileArn"],
            f"arn:aws:sagemaker:us-east-1:123456789012:user-profile/{domain_id}/Alice",
        )
        self.assertEqual(
            self.sm.list_tags(ResourceArn=profile["UserProfileArn"])["Tags"], [{"Key": "team", "Value": "ml"}]
        )
        self.assert_error("ResourceInUse", self.create_profile, domain_id, "ALICE")

        other_role = "arn:aws:iam::123456789012:role/other"
        self.sm.update_user_profile(
            DomainId=domain_id, UserProfileName="Alice", UserSettings={"ExecutionRole": other_role}
        )
        profile = self.sm.describe_user_profile(DomainId=domain_id, UserProfileName="Alice")
        self.assertEqual(
            profile["UserSettings"], {"ExecutionRole": other_role, "SecurityGroups": [self.group]}
        )

        self.sm.delete_user_profile(DomainId=domain_id, UserProfileName="Alice")
        self.assert_error(
            "ResourceNotFound", self.sm.describe_user_profile, DomainId=domain_id, UserProfileName="Alice"
        )

    def test_control_fails_a_profile_which_is_deleted_not_updated(self) -> None:
        domain_id = self.create_domain()
        self.create_profile(domain_id)
        describe = lambda: self.sm.describe_user_profile(  # noqa: E731
            DomainId=domain_id, UserProfileName="alice"
        )
        arn = describe()["UserProfileArn"]
        self.sm.add_tags(ResourceArn=arn, Tags=[{"Key": UPDATE_FAIL, "Value": "bad role"}])
        self.assertEqual((describe()["Status"], describe()["FailureReason"]), ("Update_Failed", "bad role"))
        self.sm.update_user_profile(DomainId=domain_id, UserProfileName="alice", UserSettings={})
        self.assertEqual(describe()["Status"], "InService")
        self.assertNotIn("FailureReason", describe())

        self.sm.add_tags(ResourceArn=arn, Tags=[{"Key": FAIL, "Value": "EFS uid taken"}])
        self.assertEqual((describe()["Status"], describe()["FailureReason"]), ("Failed", "EFS uid taken"))
        self.assertEqual(self.sm.list_tags(ResourceArn=arn)["Tags"], [])
        self.assert_error(
            "ValidationException",
            self.sm.update_user_profile,
            DomainId=domain_id,
            UserProfileName="alice",
            UserSettings={},
            match="delete it and create it again",
        )
        self.sm.delete_user_profile(DomainId=domain_id, UserProfileName="alice")
        self.create_profile(domain_id)
        self.assertEqual(describe()["Status"], "InService")

    def test_private_space_blocks_deleting_its_owner(self) -> None:
        domain_id = self.create_domain()
        self.create_profile(domain_id)
        self.create_profile(domain_id, "bob")
        self.sm.create_space(
            DomainId=domain_id,
            SpaceName="alice-notebooks",
            OwnershipSettings={"OwnerUserProfileName": "Alice"},  # names are not case sensitive
            SpaceSharingSettings={"SharingType": "Private"},
        )
        listed = self.sm.list_spaces(DomainIdEquals=domain_id)["Spaces"][0]
        self.assertEqual(listed["OwnershipSettingsSummary"], {"OwnerUserProfileName": "Alice"})
        self.assertEqual(listed["SpaceSharingSettingsSummary"], {"SharingType": "Private"})
        message = self.assert_error(
            "ResourceInUse",
            self.sm.delete_user_profile,
            DomainId=domain_id,
            UserProfileName="alice",
            match="because Space(s)",
        )
        self.assertIn("alice-notebooks", message)
        self.sm.delete_user_profile(DomainId=domain_id, UserProfileName="bob")  # owns nothing
        self.sm.delete_space(DomainId=domain_id, SpaceName="alice-notebooks")
        self.sm.delete_user_profile(DomainId=domain_id, UserProfileName="alice")
        self.assert_error(  # the owner must be a profile of the domain
            "ResourceNotFound",
            self.sm.create_space,
            DomainId=domain_id,
            SpaceName="orphan",
            OwnershipSettings={"OwnerUserProfileName": "nobody"},
        )

    def test_statuses_with_a_delay(self) -> None:
        domain_id = self.create_domain()
        self.create_profile(domain_id, Tags=[{"Key": DELAY, "Value": "0.3"}])
        describe = lambda: self.sm.describe_user_profile(DomainId=domain_id, UserProfileName="alice")[
            "Status"
        ]  # noqa: E731
        self.assertEqual(describe(), "Pending")
        self.assert_error("ResourceInUse", self.plant_app, domain_id)  # the profile is not ready
        wait_for(lambda: describe() == "InService", "InService")
        self.sm.delete_user_profile(DomainId=domain_id, UserProfileName="alice")
        self.assertEqual(describe(), "Deleting")
        self.assert_error("ResourceInUse", self.sm.delete_domain, DomainId=domain_id)  # still there
        wait_for(lambda: not self.sm.list_user_profiles()["UserProfiles"], "the profile gone")
        self.sm.delete_domain(DomainId=domain_id)

    def test_planted_app_blocks_deletion_until_deleted(self) -> None:
        domain_id = self.create_domain(tags={"team": "ml"})
        self.create_profile(domain_id, Tags=[{"Key": "owner", "Value": "alice"}])
        self.plant_app(domain_id)
        app = self.describe_app(domain_id)
        self.assertEqual(app["Status"], "InService")
        tags = self.sm.list_tags(ResourceArn=app["AppArn"])["Tags"]  # domain's and profile's tags propagate
        self.assertEqual(tags, [{"Key": "team", "Value": "ml"}, {"Key": "owner", "Value": "alice"}])
        self.assert_error(
            "ResourceInUse",
            self.sm.delete_user_profile,
            DomainId=domain_id,
            UserProfileName="alice",
            match="default",
        )
        self.delete_app(domain_id)
        listed = self.sm.list_apps(DomainIdEquals=domain_id)["Apps"]
        self.assertEqual([(a["AppName"], a["Status"]) for a in listed], [("default", "Deleted")])
        self.sm.delete_user_profile(DomainId=domain_id, UserProfileName="alice")
        self.sm.delete_domain(DomainId=domain_id)

    def test_failed_app_does_not_block(self) -> None:
        domain_id = self.create_domain()
        self.create_profile(domain_id)
        self.plant_app(domain_id, tags={FAIL: "image pull failed"})
        app = self.describe_app(domain_id)
        self.assertEqual((app["Status"], app["FailureReason"]), ("Failed", "image pull failed"))
        self.assert_error(  # "an attempt to delete an app in the failed state results in an error"
            "ResourceInUse",
            self.sm.delete_app,
            DomainId=domain_id,
            UserProfileName="alice",
            AppType="JupyterServer",
            AppName="default",
        )
        self.sm.delete_user_profile(DomainId=domain_id, UserProfileName="alice")

    def test_security_groups_rules(self) -> None:
        bare = self.create_domain(DomainName="bare", DefaultUserSettings={"ExecutionRole": ROLE})
        self.assert_error(
            "ValidationException", self.create_profile, bare, match="required in a VpcOnly domain"
        )
        self.create_profile(bare, UserSettings={"SecurityGroups": [self.group]})

        domain_id = self.create_domain()  # one default group
        more = [
            self.ec2.create_security_group(GroupName=f"g{i}", Description="g", VpcId=self.vpc)["GroupId"]
            for i in range(4)
        ]
        self.assert_error(  # aggregated with the domain's default: 5 > 4
            "ValidationException",
            self.create_profile,
            domain_id,
            UserSettings={"SecurityGroups": more},
        )
        self.create_profile(domain_id, UserSettings={"SecurityGroups": more[:3]})

    def test_list_filters_and_pages(self) -> None:
        domain_id = self.create_domain()
        other = self.create_domain(DomainName="other")
        for name in ("ann", "bob", "bea"):
            self.create_profile(domain_id, name)
        self.create_profile(other, "bob")
        names = lambda **kw: [
            p["UserProfileName"] for p in self.sm.list_user_profiles(**kw)["UserProfiles"]
        ]  # noqa: E731
        self.assertEqual(names(DomainIdEquals=domain_id), ["ann", "bob", "bea"])
        self.assertEqual(names(UserProfileNameContains="b"), ["bob", "bea", "bob"])
        self.assertEqual(names(DomainIdEquals=domain_id, SortOrder="Descending"), ["bea", "bob", "ann"])
        first = self.sm.list_user_profiles(MaxResults=2)
        self.assertEqual(len(first["UserProfiles"]), 2)
        rest = self.sm.list_user_profiles(MaxResults=2, NextToken=first["NextToken"])
        self.assertEqual(len(rest["UserProfiles"]), 2)
        self.assertNotIn("NextToken", rest)

    def test_sso_fields_only_with_sso(self) -> None:
        domain_id = self.create_domain()
        self.assert_error(
            "ValidationException",
            self.create_profile,
            domain_id,
            SingleSignOnUserIdentifier="UserName",
            SingleSignOnUserValue="alice",
        )


class SpaceAndAppTest(StudioCase):
    def test_space_with_an_app(self) -> None:
        domain_id = self.create_domain()
        self.sm.create_space(
            DomainId=domain_id,
            SpaceName="team",
            SpaceSharingSettings={"SharingType": "Shared"},
            SpaceDisplayName="Team",
        )
        space = self.sm.describe_space(DomainId=domain_id, SpaceName="team")
        self.assertEqual(
            (space["Status"], space["SpaceSharingSettings"]), ("InService", {"SharingType": "Shared"})
        )
        self.assert_error("ResourceInUse", self.sm.create_space, DomainId=domain_id, SpaceName="team")
        self.plant_app(domain_id, SpaceName="team")
        self.assertEqual(self.app_status(domain_id, SpaceName="team"), "InService")
        self.assertEqual(len(self.sm.list_apps(SpaceNameEquals="team")["Apps"]), 1)
        self.assertEqual(self.sm.list_spaces(DomainIdEquals=domain_id)["Spaces"][0]["SpaceName"], "team")
        self.assert_error("ResourceInUse", self.sm.delete_space, DomainId=domain_id, SpaceName="team")
        self.delete_app(domain_id, SpaceName="team")
        self.sm.delete_space(DomainId=domain_id, SpaceName="team")
        self.assert_error("ResourceNotFound", self.sm.describe_space, DomainId=domain_id, SpaceName="team")
        self.assertEqual(self.sm.list_apps()["Apps"], [])  # its apps went with it

    def test_app_calls_check_their_input(self) -> None:
        domain_id = self.create_domain()
        self.create_profile(domain_id)
        self.plant_app(domain_id)
        self.assert_error("ResourceInUse", self.plant_app, domain_id)  # the same app again
        self.assert_error(
            "ValidationException",
            self.sm.create_app,
            DomainId=domain_id,
            AppType="JupyterServer",
            AppName="x",
        )  # no owner
        self.assert_error("ResourceNotFound", self.plant_app, domain_id, UserProfileName="nobody")
        self.assert_error(
            "ResourceNotFound",
            self.sm.describe_app,
            DomainId=domain_id,
            UserProfileName="alice",
            AppType="KernelGateway",
            AppName="default",
        )
        self.assert_error(
            "ValidationException", self.sm.list_apps, UserProfileNameEquals="alice", SpaceNameEquals="team"
        )


class EnvironmentTest(unittest.TestCase):
    """The launcher's knobs, on a launcher of its own."""

    def test_pending_seconds_from_the_environment(self) -> None:
        server = Emulator(
            {"SAGEMAKER_STUDIO_PENDING_SECONDS": "0.3", "SAGEMAKER_STUDIO_APP_PENDING_SECONDS": "0"}
        )
        try:
            sm, ec2 = server.client("sagemaker"), server.client("ec2")
            vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
            subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
            domain_id = sm.create_domain(
                DomainName="d",
                AuthMode="IAM",
                DefaultUserSettings={"ExecutionRole": ROLE},
                VpcId=vpc,
                SubnetIds=[subnet],
            )["DomainId"]
            status = lambda: sm.describe_domain(DomainId=domain_id)["Status"]  # noqa: E731
            self.assertEqual(status(), "Pending")
            wait_for(lambda: status() == "InService", "the domain InService")
            sm.create_user_profile(DomainId=domain_id, UserProfileName="u")
            wait_for(
                lambda: sm.describe_user_profile(DomainId=domain_id, UserProfileName="u")["Status"]
                == "InService",
                "the profile InService",
            )
            sm.create_app(DomainId=domain_id, UserProfileName="u", AppType="JupyterServer", AppName="default")
            app = sm.describe_app(
                DomainId=domain_id, UserProfileName="u", AppType="JupyterServer", AppName="default"
            )
            self.assertEqual(app["Status"], "InService")  # apps: 0 s
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main()
